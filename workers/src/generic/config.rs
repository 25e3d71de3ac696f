//! [`GenericConfig`]: what the generic worker's handlers need, from a TOML `[generic]`
//! table or from the environment (the variable names are listed in [`super`]).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;

/// The engine's REST root when nothing is configured.
pub const DEFAULT_ENGINE_URL: &str = "http://localhost:8080/engine-rest";

/// A configuration value that is wrong (a number that is not one, an unknown TLS mode).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ConfigError {
    /// The environment variable (or TOML key) at fault.
    pub name: String,
    /// What is wrong with it (never the value of a secret).
    pub message: String,
}

/// A secret (a password, a token): deserialized like a string, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How `email_send` secures the SMTP connection. Chosen explicitly and never downgraded:
/// `Starttls` fails when the server does not offer STARTTLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text, no TLS at all (a local relay).
    #[serde(alias = "plain")]
    None,
    /// Plain connection upgraded with STARTTLS, which the server must offer (port 587).
    Starttls,
    /// Implicit TLS from the first byte (SMTPS, port 465).
    #[serde(alias = "ssl", alias = "implicit")]
    Tls,
}

impl SmtpTls {
    /// The mode for `port` when none is configured: STARTTLS on 587, TLS on 465, else none.
    pub fn default_for_port(port: u16) -> SmtpTls {
        match port {
            587 => SmtpTls::Starttls,
            465 => SmtpTls::Tls,
            _ => SmtpTls::None,
        }
    }
}

impl FromStr for SmtpTls {
    type Err = String;

    fn from_str(s: &str) -> Result<SmtpTls, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(SmtpTls::None),
            "starttls" => Ok(SmtpTls::Starttls),
            "tls" | "ssl" | "implicit" => Ok(SmtpTls::Tls),
            other => Err(format!(
                "unknown TLS mode {other:?} (none, starttls or tls)"
            )),
        }
    }
}

/// `http_request` settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Hosts that may be reached although they resolve to loopback, private, link-local
    /// or other non-global addresses: `host`, `host:port`, `[v6]:port`, an IP, a CIDR
    /// range (`10.0.0.0/8`) or `*.domain`. Global addresses need no entry.
    pub allowed_hosts: Vec<String>,
    /// The timeout of a request in seconds when the task gives none.
    pub timeout_secs: f64,
    /// How many redirects a request follows (each target is checked like the first URL).
    pub max_redirects: usize,
    /// The largest response body read, in bytes; a larger one fails the task.
    pub max_response_bytes: u64,
}

impl Default for HttpConfig {
    fn default() -> HttpConfig {
        HttpConfig {
            allowed_hosts: Vec::new(),
            timeout_secs: 30.0,
            max_redirects: 10,
            max_response_bytes: 10 * 1024 * 1024,
        }
    }
}

/// `email_send` settings: the SMTP server the worker sends through.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpConfig {
    /// The server's host name; None disables `email_send` (tasks fail with a clear message).
    pub server: Option<String>,
    /// The port (587 when not set).
    pub port: Option<u16>,
    /// The user to log in as; no AUTH when not set.
    pub username: Option<String>,
    /// The password (never logged).
    pub password: Option<Secret>,
    /// The TLS mode; by default from the port (see [`SmtpTls::default_for_port`]).
    pub tls: Option<SmtpTls>,
    /// The sender when the task gives no `from_email` (else the username).
    pub from: Option<String>,
    /// Connection and command timeout in seconds.
    pub timeout_secs: f64,
    /// The name sent with EHLO (else `[127.0.0.1]`).
    pub helo_name: Option<String>,
    /// Whether a task may choose the server and credentials itself with the original
    /// worker's `smtp_server`, `smtp_port`, `smtp_username` and `smtp_password`
    /// variables. Off by default: a process variable should not pick where mail goes.
    pub allow_task_override: bool,
}

impl Default for SmtpConfig {
    fn default() -> SmtpConfig {
        SmtpConfig {
            server: None,
            port: None,
            username: None,
            password: None,
            tls: None,
            from: None,
            timeout_secs: 30.0,
            helo_name: None,
            allow_task_override: false,
        }
    }
}

/// Everything the generic worker's handlers need. Deserializes from a TOML `[generic]`
/// table (with `[generic.http]` and `[generic.smtp]`); [`GenericConfig::from_env`] reads
/// the environment instead, and [`GenericConfig::with_env`] lays it over a file's values.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenericConfig {
    /// The engine's REST root (`http://host:8080/engine-rest`), for the system topics;
    /// None: [`DEFAULT_ENGINE_URL`] (the binary sets the URL its client polls).
    pub engine_url: Option<String>,
    /// Basic-auth user for the engine's REST API.
    pub engine_username: Option<String>,
    /// Basic-auth password for the engine's REST API.
    pub engine_password: Option<Secret>,
    /// Bearer token for the engine's REST API (instead of basic auth).
    pub engine_token: Option<Secret>,
    /// `http_request` settings.
    pub http: HttpConfig,
    /// `email_send` settings.
    pub smtp: SmtpConfig,
    /// The folder `file_operation` is confined to; None disables the topic.
    pub files_dir: Option<PathBuf>,
    /// The largest file `file_operation` reads, in bytes.
    pub files_max_bytes: u64,
    /// The folder `input_validation` loads named schemas from.
    pub schemas_dir: Option<PathBuf>,
    /// The folder `email_send` loads named templates from.
    pub email_templates_dir: Option<PathBuf>,
    /// The topics this worker serves; each is listed by `worker_management`.
    /// Empty means all of [`super::TOPICS`].
    pub topics: Vec<String>,
}

impl Default for GenericConfig {
    fn default() -> GenericConfig {
        GenericConfig {
            engine_url: None,
            engine_username: None,
            engine_password: None,
            engine_token: None,
            http: HttpConfig::default(),
            smtp: SmtpConfig::default(),
            files_dir: None,
            files_max_bytes: 10 * 1024 * 1024,
            schemas_dir: None,
            email_templates_dir: None,
            topics: Vec::new(),
        }
    }
}

/// `url` as an `engine-rest` root: without a trailing slash, ending in `/engine-rest`.
pub fn engine_rest_url(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.ends_with("/engine-rest") {
        trimmed.to_owned()
    } else {
        format!("{trimmed}/engine-rest")
    }
}

impl GenericConfig {
    /// The defaults overlaid with the process environment.
    pub fn from_env() -> Result<GenericConfig, ConfigError> {
        GenericConfig::default().with_env()
    }

    /// This configuration overlaid with the process environment: a variable that is set
    /// (and not empty) wins over the value from the file.
    pub fn with_env(self) -> Result<GenericConfig, ConfigError> {
        self.with_env_from(|name| std::env::var(name).ok())
    }

    /// This configuration overlaid with the variables `lookup` finds (a test's map, or
    /// the environment); empty values count as unset.
    pub fn with_env_from(
        mut self,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<GenericConfig, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let parse = |name: &str| -> Result<Option<f64>, ConfigError> {
            get(name)
                .map(|v| {
                    v.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite() && *n > 0.0)
                        .ok_or_else(|| ConfigError {
                            name: name.to_owned(),
                            message: format!("{v:?} is not a positive number"),
                        })
                })
                .transpose()
        };
        let whole = |name: &str| -> Result<Option<u64>, ConfigError> {
            get(name)
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| ConfigError {
                        name: name.to_owned(),
                        message: format!("{v:?} is not a whole number"),
                    })
                })
                .transpose()
        };
        let flag = |name: &str| -> Result<Option<bool>, ConfigError> {
            get(name)
                .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => Ok(true),
                    "0" | "false" | "no" | "off" => Ok(false),
                    _ => Err(ConfigError {
                        name: name.to_owned(),
                        message: format!("{v:?} is not true or false"),
                    }),
                })
                .transpose()
        };

        if let Some(url) = get("PROCOS_ENGINE_URL")
            .or_else(|| get("CAMUNDA_URL"))
            .or_else(|| get("CAMUNDA_BASE_URL"))
        {
            self.engine_url = Some(url);
        }
        self.engine_url = self.engine_url.as_deref().map(engine_rest_url);
        if let Some(user) = get("PROCOS_ENGINE_USER") {
            self.engine_username = Some(user);
        }
        if let Some(password) = lookup("PROCOS_ENGINE_PASSWORD") {
            self.engine_password = Some(Secret(password));
        }
        if let Some(token) = get("PROCOS_ENGINE_TOKEN") {
            self.engine_token = Some(Secret(token));
        }

        if let Some(hosts) = get("HTTP_ALLOWED_HOSTS") {
            self.http.allowed_hosts = split_list(&hosts);
        }
        if let Some(t) = parse("HTTP_TIMEOUT")? {
            self.http.timeout_secs = t;
        }
        if let Some(n) = whole("HTTP_MAX_REDIRECTS")? {
            self.http.max_redirects = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = whole("HTTP_MAX_RESPONSE_BYTES")? {
            self.http.max_response_bytes = n;
        }

        if let Some(server) = get("SMTP_SERVER") {
            self.smtp.server = Some(server.trim().to_owned());
        }
        if let Some(port) = get("SMTP_PORT") {
            self.smtp.port = Some(port.trim().parse::<u16>().map_err(|_| ConfigError {
                name: "SMTP_PORT".to_owned(),
                message: format!("{port:?} is not a port number"),
            })?);
        }
        if let Some(user) = get("SMTP_USERNAME") {
            self.smtp.username = Some(user);
        }
        if let Some(password) = get("SMTP_PASSWORD") {
            self.smtp.password = Some(Secret(password));
        }
        if let Some(mode) = get("SMTP_TLS") {
            self.smtp.tls = Some(mode.parse().map_err(|message| ConfigError {
                name: "SMTP_TLS".to_owned(),
                message,
            })?);
        }
        if let Some(from) = get("SMTP_FROM") {
            self.smtp.from = Some(from);
        }
        if let Some(t) = parse("SMTP_TIMEOUT")? {
            self.smtp.timeout_secs = t;
        }
        if let Some(name) = get("SMTP_HELO_NAME") {
            self.smtp.helo_name = Some(name);
        }
        if let Some(allow) = flag("SMTP_ALLOW_TASK_OVERRIDE")? {
            self.smtp.allow_task_override = allow;
        }

        if let Some(dir) = get("FILES_DIR") {
            self.files_dir = Some(PathBuf::from(dir));
        }
        if let Some(n) = whole("FILES_MAX_BYTES")? {
            self.files_max_bytes = n;
        }
        if let Some(dir) = get("SCHEMAS_DIR") {
            self.schemas_dir = Some(PathBuf::from(dir));
        }
        if let Some(dir) = get("EMAIL_TEMPLATES_DIR") {
            self.email_templates_dir = Some(PathBuf::from(dir));
        }
        if let Some(topics) = get("GENERIC_TOPICS") {
            self.topics = split_list(&topics);
        }
        self.validate()?;
        Ok(self)
    }

    /// The engine's REST root: the configured one, or [`DEFAULT_ENGINE_URL`].
    pub fn engine_rest_url(&self) -> String {
        engine_rest_url(self.engine_url.as_deref().unwrap_or(DEFAULT_ENGINE_URL))
    }

    /// Checks what the handlers would otherwise only report per task: the allow-list.
    pub fn validate(&self) -> Result<(), ConfigError> {
        super::net_guard::AllowList::parse(&self.http.allowed_hosts).map_err(|message| {
            ConfigError {
                name: "HTTP_ALLOWED_HOSTS".to_owned(),
                message,
            }
        })?;
        Ok(())
    }
}

/// The items of a comma (or whitespace) separated list, trimmed, without empty ones.
fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn the_environment_overrides_the_file() {
        let file: GenericConfig = toml::from_str(
            r#"
            engine_url = "http://engine:8080"
            files_dir = "/data"
            [http]
            allowed_hosts = ["localhost"]
            [smtp]
            server = "mail.example.com"
            password = "from-file"
            tls = "starttls"
            "#,
        )
        .expect("the TOML parses");
        assert_eq!(file.smtp.tls, Some(SmtpTls::Starttls));
        let config = file
            .with_env_from(lookup(&[
                ("CAMUNDA_BASE_URL", "http://camunda:8080/"),
                ("HTTP_ALLOWED_HOSTS", "127.0.0.1:8080, internal.example"),
                ("SMTP_PORT", "465"),
                ("SMTP_PASSWORD", "hunter2"),
                ("SMTP_TLS", "tls"),
                ("SCHEMAS_DIR", "/schemas"),
            ]))
            .expect("the environment is valid");
        assert_eq!(
            config.engine_url.as_deref(),
            Some("http://camunda:8080/engine-rest")
        );
        assert_eq!(
            config.http.allowed_hosts,
            vec!["127.0.0.1:8080", "internal.example"]
        );
        assert_eq!(config.smtp.server.as_deref(), Some("mail.example.com"));
        assert_eq!(config.smtp.port, Some(465));
        assert_eq!(config.smtp.tls, Some(SmtpTls::Tls));
        assert_eq!(config.files_dir, Some(PathBuf::from("/data")));
        assert_eq!(config.schemas_dir, Some(PathBuf::from("/schemas")));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Secret(***)"));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let err = GenericConfig::default()
            .with_env_from(lookup(&[("SMTP_TLS", "maybe")]))
            .expect_err("an unknown mode is an error");
        assert_eq!(err.name, "SMTP_TLS");
        let err = GenericConfig::default()
            .with_env_from(lookup(&[("SMTP_PORT", "smtp")]))
            .expect_err("a port must be a number");
        assert_eq!(err.name, "SMTP_PORT");
        let err = GenericConfig::default()
            .with_env_from(lookup(&[
                ("SMTP_PASSWORD", "s3cret"),
                ("HTTP_TIMEOUT", "-1"),
            ]))
            .expect_err("a timeout must be positive");
        assert!(!err.to_string().contains("s3cret"));
    }

    #[test]
    fn engine_urls_get_engine_rest_once() {
        assert_eq!(
            engine_rest_url("http://h:8080"),
            "http://h:8080/engine-rest"
        );
        assert_eq!(
            engine_rest_url("http://h:8080/engine-rest/"),
            "http://h:8080/engine-rest"
        );
        assert_eq!(SmtpTls::default_for_port(587), SmtpTls::Starttls);
        assert_eq!(SmtpTls::default_for_port(465), SmtpTls::Tls);
        assert_eq!(SmtpTls::default_for_port(25), SmtpTls::None);
    }
}
