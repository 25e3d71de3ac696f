//! How a client reaches the engine and how its worker behaves: [`ClientConfig`],
//! [`Auth`], [`RetryPolicy`] and the per-topic [`TopicOptions`].

use std::fmt;
use std::time::Duration;

use reqwest::Url;

use super::ClientError;

/// The longest `asyncResponseTimeout` Camunda accepts (30 minutes).
pub const MAX_ASYNC_RESPONSE_TIMEOUT_MS: u64 = 1_800_000;

/// How the client authenticates to the engine.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Basic base64(user:password)` (Camunda's `HttpBasicAuthenticationProvider`).
    Basic {
        /// The user id.
        user: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>` (an OAuth access token, for a gateway in front of the engine).
    Bearer(String),
}

impl fmt::Debug for Auth {
    // Never show a secret, not even in a debug dump of the configuration.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { user, .. } => f
                .debug_struct("Basic")
                .field("user", user)
                .field("password", &"<hidden>")
                .finish(),
            Auth::Bearer(_) => f.write_str("Bearer(<hidden>)"),
        }
    }
}

/// What the client does when a handler reports a failure without saying how many retries
/// are left or when to retry ([`crate::Outcome::Failure`] with `None`s), as Camunda's
/// Python client does: the first failure leaves `retries - 1`, each later one one less
/// than the task has; the retry timeout starts at `retry_timeout_ms` and grows by
/// `backoff_factor` with each failure, up to `max_retry_timeout_ms`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// How many times a task is tried in all before the engine raises an incident.
    pub retries: i32,
    /// The retry timeout after the first failure, in milliseconds.
    pub retry_timeout_ms: u64,
    /// The factor the retry timeout grows by with each further failure (1.0: constant).
    pub backoff_factor: f64,
    /// The longest retry timeout, in milliseconds.
    pub max_retry_timeout_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            retries: 3,
            retry_timeout_ms: 30_000,
            backoff_factor: 2.0,
            max_retry_timeout_ms: 600_000,
        }
    }
}

impl RetryPolicy {
    /// The retries left after a failure of a task that had `task_retries` (None: it never
    /// failed before): `retries - 1` for a first failure, else one less, never below 0.
    pub fn retries_after_failure(&self, task_retries: Option<i32>) -> i32 {
        match task_retries {
            None => self.retries.saturating_sub(1).max(0),
            Some(left) => left.saturating_sub(1).max(0),
        }
    }

    /// The retry timeout after a failure of a task that had `task_retries`, in
    /// milliseconds: the base for a first failure, times `backoff_factor` for each
    /// failure before it (counted from the policy's `retries`), capped.
    pub fn retry_timeout_after_failure(&self, task_retries: Option<i32>) -> u64 {
        let earlier_failures = match task_retries {
            None => 0,
            Some(left) => self.retries.saturating_sub(left).max(0),
        };
        let factor = if self.backoff_factor.is_finite() && self.backoff_factor >= 1.0 {
            self.backoff_factor
        } else {
            1.0
        };
        let timeout = self.retry_timeout_ms as f64 * factor.powi(earlier_failures);
        let cap = self.max_retry_timeout_ms.max(self.retry_timeout_ms);
        if timeout >= cap as f64 {
            cap
        } else {
            timeout as u64
        }
    }
}

/// How a worker fetches one topic.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicOptions {
    /// How long a fetched task stays locked (extended while its handler runs); None: the
    /// client's `lock_duration_ms`.
    pub lock_duration: Option<Duration>,
    /// The variables to fetch with a task; None fetches all of them.
    pub variables: Option<Vec<String>>,
    /// Fetch only the task execution's local variables.
    pub local_variables: bool,
    /// Fetch the activity's `camunda:properties` as `extensionProperties`.
    pub include_extension_properties: bool,
}

/// Everything a client needs: where the engine is, who the worker is, and how it polls.
///
/// Build one with [`ClientConfig::new`] (defaults for everything but the URL) or
/// [`ClientConfig::from_env`], then change fields as needed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// The engine's REST root, with or without `/engine-rest` (`http://localhost:8080`
    /// and `http://localhost:8080/engine-rest` are the same engine). A user and password
    /// in the URL become [`Auth::Basic`] when `auth` is [`Auth::None`].
    pub base_url: String,
    /// The worker id the engine records as the lock holder.
    pub worker_id: String,
    /// How to authenticate.
    pub auth: Auth,
    /// The most tasks one fetch locks.
    pub max_tasks: u32,
    /// The most tasks a worker holds at once (fetched and not yet reported); a fetch asks
    /// for no more than the free slots.
    pub max_in_flight: usize,
    /// How long a fetch waits on the engine for a task (long polling), in milliseconds;
    /// 0 asks for an immediate answer and polls every `poll_interval_ms` instead.
    pub async_response_timeout_ms: u64,
    /// How long an empty immediate answer makes the worker wait before it fetches again,
    /// in milliseconds.
    pub poll_interval_ms: u64,
    /// The default lock duration of a fetched task, in milliseconds.
    pub lock_duration_ms: u64,
    /// Ask for the tasks of highest priority first.
    pub use_priority: bool,
    /// What a failure without explicit retries does.
    pub retry: RetryPolicy,
    /// The HTTP timeout of every call but fetchAndLock (whose timeout is the long-poll
    /// timeout plus a margin), in milliseconds.
    pub request_timeout_ms: u64,
    /// The first wait after a fetch failed (engine unreachable, or an error answer), in
    /// milliseconds; it doubles with each further failure.
    pub backoff_initial_ms: u64,
    /// The longest wait between fetches while they fail, in milliseconds.
    pub backoff_max_ms: u64,
    /// On shutdown, how long running handlers may take to finish before their tasks are
    /// unlocked, in milliseconds.
    pub shutdown_grace_ms: u64,
}

impl Default for ClientConfig {
    fn default() -> ClientConfig {
        ClientConfig::new("http://localhost:8080/engine-rest")
    }
}

impl ClientConfig {
    /// A configuration for the engine at `base_url` with the defaults: worker id
    /// `procos-worker-<pid>`, no auth, 10 tasks per fetch and in flight, 30 s long polls,
    /// 5 min locks, priority order, 3 tries with a retry timeout from 30 s doubling, 30 s
    /// HTTP timeout, fetch backoff from 0.5 s to 30 s, 30 s shutdown grace.
    pub fn new(base_url: impl Into<String>) -> ClientConfig {
        ClientConfig {
            base_url: base_url.into(),
            worker_id: format!("procos-worker-{}", std::process::id()),
            auth: Auth::None,
            max_tasks: 10,
            max_in_flight: 10,
            async_response_timeout_ms: 30_000,
            poll_interval_ms: 300,
            lock_duration_ms: 300_000,
            use_priority: true,
            retry: RetryPolicy::default(),
            request_timeout_ms: 30_000,
            backoff_initial_ms: 500,
            backoff_max_ms: 30_000,
            shutdown_grace_ms: 30_000,
        }
    }

    /// A configuration from the process environment; see [`ClientConfig::from_lookup`].
    pub fn from_env(prefix: &str) -> Result<ClientConfig, ClientError> {
        ClientConfig::from_lookup(prefix, |name| std::env::var(name).ok())
    }

    /// A configuration from variables read through `lookup`, with the original ProcOS
    /// workers' names. `prefix` selects a worker's own variables first (`"AI_"` reads
    /// `AI_WORKER_ID` before `WORKER_ID`); empty or unset values count as absent.
    ///
    /// - engine: `PROCOS_ENGINE_URL`, else `CAMUNDA_URL` (with `/engine-rest`), else
    ///   `CAMUNDA_BASE_URL` (without), else `http://localhost:8080/engine-rest`;
    /// - auth: `PROCOS_ENGINE_TOKEN` (bearer), else `PROCOS_ENGINE_USER` with
    ///   `PROCOS_ENGINE_PASSWORD` (basic);
    /// - `{prefix}WORKER_ID`, `{prefix}WORKER_MAX_TASKS` (also the in-flight bound),
    ///   `{prefix}WORKER_LOCK_DURATION` (ms), `{prefix}WORKER_RETRY_TIMEOUT` (ms; as in
    ///   the original, the long-poll `asyncResponseTimeout`, not a failure's retry
    ///   timeout), `{prefix}WORKER_MAX_IN_FLIGHT`, `{prefix}WORKER_RETRIES` (the retry
    ///   policy's tries), `{prefix}WORKER_FAILURE_RETRY_TIMEOUT` (ms, its base).
    pub fn from_lookup(
        prefix: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<ClientConfig, ClientError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let worker = |name: &str| {
            get(&format!("{prefix}{name}")).or_else(|| {
                if prefix.is_empty() {
                    None
                } else {
                    get(name)
                }
            })
        };
        let number = |name: &str| -> Result<Option<u64>, ClientError> {
            match worker(name) {
                None => Ok(None),
                Some(v) => v.trim().parse().map(Some).map_err(|_| {
                    ClientError::Config(format!("{prefix}{name} is not a number: {v:?}"))
                }),
            }
        };
        let base_url = get("PROCOS_ENGINE_URL")
            .or_else(|| get("CAMUNDA_URL"))
            .or_else(|| get("CAMUNDA_BASE_URL"))
            .unwrap_or_else(|| "http://localhost:8080/engine-rest".to_owned());
        let mut config = ClientConfig::new(base_url);
        if let Some(token) = get("PROCOS_ENGINE_TOKEN") {
            config.auth = Auth::Bearer(token);
        } else if let Some(user) = get("PROCOS_ENGINE_USER") {
            config.auth = Auth::Basic {
                user,
                password: lookup("PROCOS_ENGINE_PASSWORD").unwrap_or_default(),
            };
        }
        if let Some(id) = worker("WORKER_ID") {
            config.worker_id = id;
        }
        if let Some(n) = number("WORKER_MAX_TASKS")? {
            config.max_tasks = u32::try_from(n).unwrap_or(u32::MAX);
            config.max_in_flight = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = number("WORKER_MAX_IN_FLIGHT")? {
            config.max_in_flight = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = number("WORKER_LOCK_DURATION")? {
            config.lock_duration_ms = n;
        }
        if let Some(n) = number("WORKER_RETRY_TIMEOUT")? {
            config.async_response_timeout_ms = n;
        }
        if let Some(n) = number("WORKER_RETRIES")? {
            config.retry.retries = i32::try_from(n).unwrap_or(i32::MAX);
        }
        if let Some(n) = number("WORKER_FAILURE_RETRY_TIMEOUT")? {
            config.retry.retry_timeout_ms = n;
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks the values an engine would refuse or a worker could not run with.
    pub fn validate(&self) -> Result<(), ClientError> {
        let fail = |m: String| Err(ClientError::Config(m));
        normalise_base_url(&self.base_url)?;
        if self.worker_id.trim().is_empty() {
            return fail("the worker id is empty".to_owned());
        }
        if self.max_tasks == 0 {
            return fail("max_tasks must be at least 1".to_owned());
        }
        if self.max_in_flight == 0 {
            return fail("max_in_flight must be at least 1".to_owned());
        }
        if self.lock_duration_ms == 0 {
            return fail("lock_duration_ms must be greater than 0".to_owned());
        }
        if self.async_response_timeout_ms > MAX_ASYNC_RESPONSE_TIMEOUT_MS {
            return fail(format!(
                "async_response_timeout_ms {} is above the engine's limit of {MAX_ASYNC_RESPONSE_TIMEOUT_MS}",
                self.async_response_timeout_ms
            ));
        }
        if self.retry.retries < 0 {
            return fail("retry.retries must not be negative".to_owned());
        }
        Ok(())
    }

    /// The HTTP timeout of a fetchAndLock: the long-poll timeout plus a margin (5 s, or a
    /// tenth of it when longer), so the engine always answers first.
    pub fn fetch_timeout(&self) -> Duration {
        let wait = self.async_response_timeout_ms;
        Duration::from_millis(wait + (wait / 10).max(5_000))
    }
}

/// Where an engine's resources are, from a configured base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineUrl {
    /// The REST root (`…/engine-rest`), where `GET /engine` is.
    pub root: String,
    /// Where the resources are: the root, or `…/engine-rest/engine/{name}` for a named engine.
    pub base: String,
    /// Credentials written into the URL (`http://user:password@host`), removed from it.
    pub credentials: Option<(String, String)>,
}

/// Normalises a base URL: trailing slashes go; `/engine-rest` is added unless the path
/// already has an `engine-rest` segment (`…/engine-rest` or `…/engine-rest/engine/{name}`);
/// credentials move out of the URL.
pub fn normalise_base_url(raw: &str) -> Result<EngineUrl, ClientError> {
    let mut url = Url::parse(raw.trim())
        .map_err(|e| ClientError::Config(format!("invalid engine URL {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ClientError::Config(format!(
            "the engine URL {raw:?} is not an http(s) URL"
        )));
    }
    let credentials = if url.username().is_empty() {
        None
    } else {
        let user = percent_decode(url.username());
        let password = percent_decode(url.password().unwrap_or(""));
        Some((user, password))
    };
    // Setting an empty user and no password cannot fail on an http(s) URL with a host.
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_query(None);
    url.set_fragment(None);
    let segments: Vec<String> = url
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let origin = url.as_str().trim_end_matches('/').to_owned();
    let origin = match origin.find("://").map(|i| i + 3) {
        Some(start) => match origin[start..].find('/') {
            Some(slash) => origin[..start + slash].to_owned(),
            None => origin,
        },
        None => origin,
    };
    let (root, base) = match segments.iter().position(|s| s == "engine-rest") {
        Some(i) => {
            let root = format!("{origin}/{}", segments[..=i].join("/"));
            let base = format!("{origin}/{}", segments.join("/"));
            (root, base)
        }
        None => {
            let mut root = origin;
            for s in &segments {
                root.push('/');
                root.push_str(s);
            }
            root.push_str("/engine-rest");
            (root.clone(), root)
        }
    };
    Ok(EngineUrl {
        root,
        base,
        credentials,
    })
}

/// Decodes `%XX` escapes of a URL's user or password.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_with_or_without_engine_rest_are_the_same_engine() {
        for raw in [
            "http://localhost:8080",
            "http://localhost:8080/",
            "http://localhost:8080/engine-rest",
            "http://localhost:8080/engine-rest/",
            " http://localhost:8080/engine-rest// ",
        ] {
            let url = normalise_base_url(raw).expect(raw);
            assert_eq!(url.base, "http://localhost:8080/engine-rest", "{raw}");
            assert_eq!(url.root, url.base);
            assert_eq!(url.credentials, None);
        }
        let url = normalise_base_url("https://gw.example/camunda").expect("a prefix");
        assert_eq!(url.base, "https://gw.example/camunda/engine-rest");
        let url = normalise_base_url("http://h/engine-rest/engine/other/").expect("named");
        assert_eq!(url.root, "http://h/engine-rest");
        assert_eq!(url.base, "http://h/engine-rest/engine/other");
        let url = normalise_base_url("http://demo:p%40ss@h:1/").expect("credentials");
        assert_eq!(url.base, "http://h:1/engine-rest");
        assert_eq!(
            url.credentials,
            Some(("demo".to_owned(), "p@ss".to_owned()))
        );
        assert!(normalise_base_url("localhost:8080").is_err());
        assert!(normalise_base_url("ftp://h/").is_err());
        assert!(normalise_base_url("").is_err());
    }

    #[test]
    fn the_environment_uses_the_original_names() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let c = ClientConfig::from_lookup(
            "AI_",
            env(&[
                ("CAMUNDA_BASE_URL", "http://camunda:8080"),
                ("AI_WORKER_ID", "ai_worker_001"),
                ("WORKER_ID", "generic"),
                ("WORKER_MAX_TASKS", "5"),
                ("AI_WORKER_LOCK_DURATION", "60000"),
                ("AI_WORKER_RETRY_TIMEOUT", "20000"),
                ("PROCOS_ENGINE_USER", "demo"),
                ("PROCOS_ENGINE_PASSWORD", "secret"),
            ]),
        )
        .expect("a configuration");
        assert_eq!(c.base_url, "http://camunda:8080");
        assert_eq!(c.worker_id, "ai_worker_001");
        assert_eq!((c.max_tasks, c.max_in_flight), (5, 5));
        assert_eq!(c.lock_duration_ms, 60_000);
        assert_eq!(c.async_response_timeout_ms, 20_000);
        assert_eq!(
            c.auth,
            Auth::Basic {
                user: "demo".into(),
                password: "secret".into()
            }
        );
        assert!(!format!("{c:?}").contains("secret"));
        let c = ClientConfig::from_lookup(
            "",
            env(&[
                ("PROCOS_ENGINE_URL", "http://p/engine-rest"),
                ("CAMUNDA_URL", "http://c/engine-rest"),
                ("PROCOS_ENGINE_TOKEN", "tok"),
            ]),
        )
        .expect("a configuration");
        assert_eq!(c.base_url, "http://p/engine-rest");
        assert_eq!(c.auth, Auth::Bearer("tok".into()));
        let bad = ClientConfig::from_lookup("", env(&[("WORKER_MAX_TASKS", "many")]));
        assert!(matches!(bad, Err(ClientError::Config(_))));
        let zero = ClientConfig::from_lookup("", env(&[("WORKER_MAX_TASKS", "0")]));
        assert!(matches!(zero, Err(ClientError::Config(_))));
    }

    #[test]
    fn the_fetch_timeout_exceeds_the_long_poll() {
        let mut c = ClientConfig::new("http://h");
        c.async_response_timeout_ms = 30_000;
        assert_eq!(c.fetch_timeout(), Duration::from_millis(35_000));
        c.async_response_timeout_ms = 600_000;
        assert_eq!(c.fetch_timeout(), Duration::from_millis(660_000));
        c.async_response_timeout_ms = 0;
        assert_eq!(c.fetch_timeout(), Duration::from_millis(5_000));
    }

    #[test]
    fn the_retry_policy_counts_down_and_backs_off() {
        let p = RetryPolicy {
            retries: 3,
            retry_timeout_ms: 1_000,
            backoff_factor: 2.0,
            max_retry_timeout_ms: 3_000,
        };
        // First failure: the task has never failed.
        assert_eq!(p.retries_after_failure(None), 2);
        assert_eq!(p.retry_timeout_after_failure(None), 1_000);
        // Second and third.
        assert_eq!(p.retries_after_failure(Some(2)), 1);
        assert_eq!(p.retry_timeout_after_failure(Some(2)), 2_000);
        assert_eq!(p.retries_after_failure(Some(1)), 0);
        assert_eq!(p.retry_timeout_after_failure(Some(1)), 3_000); // capped
                                                                   // Retries raised by an operator above the policy start the backoff again.
        assert_eq!(p.retries_after_failure(Some(10)), 9);
        assert_eq!(p.retry_timeout_after_failure(Some(10)), 1_000);
        // Never negative.
        assert_eq!(p.retries_after_failure(Some(0)), 0);
        let once = RetryPolicy {
            retries: 0,
            ..p.clone()
        };
        assert_eq!(once.retries_after_failure(None), 0);
        let flat = RetryPolicy {
            backoff_factor: 0.5,
            ..p
        };
        assert_eq!(flat.retry_timeout_after_failure(Some(1)), 1_000);
    }
}
