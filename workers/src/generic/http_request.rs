//! `http_request`: calls an HTTP endpoint named by process variables.
//!
//! Inputs (the original worker's names): `url` (required), `method` (GET), `headers`
//! (Json map), `params` or `query` (Json map; list values repeat the key), `data` (sent as
//! a JSON body; a text holding a JSON object or list is sent as that JSON) or `body`
//! (sent as text), `timeout` (seconds, a number or numeric text), `expected_status` (a
//! list or comma text of codes, or classes such as `2xx`).
//!
//! Outputs: `status_code` (Long), `headers` (Json map, lower-case names), `text`, `json`
//! (the parsed body when the response says it is JSON, else null) and `success` (2xx, or
//! one of `expected_status`). Any status completes the task, as in the original, unless
//! `expected_status` is set and the status is not in it: then the BPMN error
//! `HTTP_STATUS_UNEXPECTED` is thrown with the same variables.
//!
//! Every URL, including each redirect target, goes through the [`net_guard`](super::net_guard): the host is
//! resolved, non-global addresses are refused unless allow-listed, and the request is
//! pinned to the checked addresses. A refusal fails the task with no retries. Network
//! errors and timeouts are left to the client's retry policy.

use std::str::FromStr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde_json::{Map, Value as Json};
use tokio::time::Instant;

use super::common::{finish, json_var, list_var, Out, TaskError};
use super::config::HttpConfig;
use super::net_guard::{AllowList, Guard, GuardError, Target};
use super::tls;
use crate::task::{Handler, Outcome, Task, TypedValue, Variables};

/// The topic.
pub const TOPIC: &str = "http_request";

/// The BPMN error thrown when `expected_status` does not hold the response's status.
pub const UNEXPECTED_STATUS: &str = "HTTP_STATUS_UNEXPECTED";

/// Serves `http_request`.
pub struct HttpRequestHandler {
    config: HttpConfig,
    guard: Result<Guard, String>,
    tls: Option<rustls::ClientConfig>,
}

/// A status the task accepts: one code, or a class such as `2xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Code(u16),
    Class(u16),
}

impl Expected {
    fn matches(self, status: u16) -> bool {
        match self {
            Expected::Code(code) => code == status,
            Expected::Class(class) => status / 100 == class,
        }
    }
}

impl FromStr for Expected {
    type Err = String;

    fn from_str(s: &str) -> Result<Expected, String> {
        let s = s.trim();
        let lower = s.to_ascii_lowercase();
        if let Some(class) = lower.strip_suffix("xx") {
            if let Ok(c @ 1..=5) = class.parse::<u16>() {
                return Ok(Expected::Class(c));
            }
        }
        // `200.0` arrives when a number went through a Double variable.
        let code = s.parse::<u16>().ok().or_else(|| {
            s.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as u16)
        });
        match code {
            Some(c @ 100..=599) => Ok(Expected::Code(c)),
            _ => Err(format!(
                "expected_status: {s:?} is not an HTTP status or class such as 2xx"
            )),
        }
    }
}

/// The body to send.
#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Json),
    Text(String),
}

/// A request as the task describes it.
#[derive(Debug)]
struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Body,
    timeout: Duration,
    expected: Option<Vec<Expected>>,
}

/// What came back.
#[derive(Debug)]
struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl HttpRequestHandler {
    /// A handler with these settings; an invalid allow-list makes every task fail with
    /// the reason.
    pub fn new(config: &HttpConfig) -> HttpRequestHandler {
        let guard = AllowList::parse(&config.allowed_hosts).map(Guard::new);
        if let Err(e) = &guard {
            tracing::error!("http_request: {e}");
        }
        HttpRequestHandler {
            config: config.clone(),
            guard,
            tls: tls::client_config(),
        }
    }

    fn request(&self, task: &Task) -> Result<Request, TaskError> {
        let url_text = task
            .text("url")
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| TaskError::fatal("http_request: the variable url is required"))?;
        let mut url = Url::parse(url_text.trim()).map_err(|e| {
            TaskError::fatal(format!("http_request: invalid url {url_text:?}: {e}"))
        })?;
        let method_text = task.text("method").unwrap_or_else(|| "GET".to_owned());
        let method = Method::from_bytes(method_text.trim().to_ascii_uppercase().as_bytes())
            .map_err(|_| {
                TaskError::fatal(format!("http_request: invalid method {method_text:?}"))
            })?;

        let mut headers = HeaderMap::new();
        match json_var(task, "headers") {
            None | Some(Json::Null) => {}
            Some(Json::Object(map)) => {
                for (name, value) in map {
                    let value = match value {
                        Json::String(s) => s,
                        Json::Null => continue,
                        other => other.to_string(),
                    };
                    let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        TaskError::fatal(format!("http_request: invalid header name {name:?}"))
                    })?;
                    let value = HeaderValue::from_str(&value).map_err(|_| {
                        TaskError::fatal(format!(
                            "http_request: invalid value for header {name:?} (control characters are not allowed)"
                        ))
                    })?;
                    headers.append(header, value);
                }
            }
            Some(other) => {
                return Err(TaskError::fatal(format!(
                    "http_request: headers must be a JSON object, not {other}"
                )))
            }
        }

        for name in ["params", "query"] {
            match json_var(task, name) {
                None | Some(Json::Null) => {}
                Some(Json::Object(map)) => {
                    let mut pairs = url.query_pairs_mut();
                    for (key, value) in &map {
                        let values = match value {
                            Json::Array(items) => items.iter().collect(),
                            other => vec![other],
                        };
                        for v in values {
                            match v {
                                Json::Null => {}
                                Json::String(s) => {
                                    pairs.append_pair(key, s);
                                }
                                other => {
                                    pairs.append_pair(key, &other.to_string());
                                }
                            }
                        }
                    }
                }
                Some(other) => {
                    return Err(TaskError::fatal(format!(
                        "http_request: {name} must be a JSON object, not {other}"
                    )))
                }
            }
        }

        // Python's truthiness decided whether the original sent `data`: empty values are
        // not sent.
        let body = match json_var(task, "data") {
            Some(Json::Null) | None => None,
            Some(Json::String(s)) if s.is_empty() => None,
            Some(Json::Object(m)) if m.is_empty() => None,
            Some(Json::Array(a)) if a.is_empty() => None,
            Some(Json::Bool(false)) => None,
            Some(value) => Some(Body::Json(value)),
        };
        let body = match body {
            Some(b) => b,
            None => task.text("body").map_or(Body::None, Body::Text),
        };

        let timeout = match task.json("timeout") {
            None | Some(Json::Null) => self.config.timeout_secs,
            Some(_) => task
                .f64("timeout")
                .filter(|t| t.is_finite() && *t > 0.0)
                .ok_or_else(|| {
                    TaskError::fatal("http_request: timeout must be a positive number of seconds")
                })?,
        };
        let timeout = Duration::try_from_secs_f64(timeout)
            .map_err(|_| TaskError::fatal("http_request: timeout is out of range"))?;

        let expected = list_var(task, "expected_status");
        let expected = if expected.is_empty() {
            None
        } else {
            Some(
                expected
                    .iter()
                    .map(|s| s.parse::<Expected>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| TaskError::fatal(format!("http_request: {e}")))?,
            )
        };

        Ok(Request {
            method,
            url,
            headers,
            body,
            timeout,
            expected,
        })
    }

    /// A client that connects only to `target`'s checked addresses.
    fn client(&self, target: &Target, timeout: Duration) -> Result<reqwest::Client, TaskError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(timeout)
            .user_agent(concat!("procos-worker-generic/", env!("CARGO_PKG_VERSION")));
        if let Some(domain) = &target.domain {
            builder = builder.resolve_to_addrs(domain, &target.addrs);
        }
        if let Some(tls) = &self.tls {
            builder = builder.tls_backend_preconfigured(tls.clone());
        }
        builder.build().map_err(|e| {
            TaskError::fatal(format!("http_request: cannot build the HTTP client: {e}"))
        })
    }

    async fn send(&self, request: Request) -> Result<Response, TaskError> {
        let guard = self
            .guard
            .as_ref()
            .map_err(|e| TaskError::fatal(format!("http_request: {e}")))?;
        let deadline = Instant::now() + request.timeout;
        let Request {
            mut method,
            mut url,
            mut headers,
            mut body,
            ..
        } = request;
        let mut hops = 0usize;
        loop {
            let target = guard.check(&url).await.map_err(|e| match e {
                GuardError::Resolve { .. } => TaskError::Retry(format!("http_request: {e}")),
                refused => TaskError::Fatal(format!("http_request: {refused}")),
            })?;
            let remaining = deadline.saturating_duration_since(Instant::now());
            if remaining.is_zero() {
                return Err(timed_out(&url));
            }
            let client = self.client(&target, remaining)?;
            let mut builder = client
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            builder = match &body {
                Body::None => builder,
                Body::Json(value) => builder.json(value),
                Body::Text(text) => {
                    if !headers.contains_key(reqwest::header::CONTENT_TYPE) {
                        builder = builder
                            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8");
                    }
                    builder.body(text.clone())
                }
            };
            let mut response = builder.send().await.map_err(|e| network_error(&url, &e))?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned);
            if let (true, Some(location)) = (status.is_redirection(), location) {
                if matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
                    if hops >= self.config.max_redirects {
                        return Err(TaskError::fatal(format!(
                            "http_request: more than {} redirects, last to {location}",
                            self.config.max_redirects
                        )));
                    }
                    hops += 1;
                    let next = url.join(&location).map_err(|e| {
                        TaskError::fatal(format!(
                            "http_request: invalid redirect location {location:?}: {e}"
                        ))
                    })?;
                    if matches!(status.as_u16(), 301..=303)
                        && method != Method::GET
                        && method != Method::HEAD
                    {
                        method = Method::GET;
                        body = Body::None;
                        headers.remove(reqwest::header::CONTENT_TYPE);
                        headers.remove(reqwest::header::CONTENT_LENGTH);
                    }
                    if next.origin() != url.origin() {
                        for sensitive in [
                            reqwest::header::AUTHORIZATION,
                            reqwest::header::COOKIE,
                            reqwest::header::PROXY_AUTHORIZATION,
                        ] {
                            headers.remove(sensitive);
                        }
                    }
                    tracing::debug!(from = %url, to = %next, status = status.as_u16(), "following a redirect");
                    url = next;
                    continue;
                }
            }

            let limit = self.config.max_response_bytes;
            let mut bytes = Vec::new();
            loop {
                let chunk = response
                    .chunk()
                    .await
                    .map_err(|e| network_error(&url, &e))?;
                let Some(chunk) = chunk else { break };
                if bytes.len() as u64 + chunk.len() as u64 > limit {
                    return Err(TaskError::fatal(format!(
                        "http_request: the response from {url} is larger than {limit} bytes"
                    )));
                }
                bytes.extend_from_slice(&chunk);
            }
            return Ok(Response {
                status,
                headers: response.headers().clone(),
                body: bytes,
            });
        }
    }
}

fn timed_out(url: &Url) -> TaskError {
    TaskError::Retry(format!("http_request: {url} timed out"))
}

fn network_error(url: &Url, e: &reqwest::Error) -> TaskError {
    if e.is_timeout() {
        return timed_out(url);
    }
    let mut message = format!("http_request: {url}: {e}");
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !message.contains(&cause_text) {
            message.push_str(": ");
            message.push_str(&cause_text);
        }
        source = cause.source();
    }
    TaskError::Retry(message)
}

/// Whether a `Content-Type` says JSON (`application/json`, `application/problem+json`).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|essence| {
            let essence = essence.trim().to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        })
        .unwrap_or(false)
}

fn response_variables(response: &Response, success: bool) -> Variables {
    let mut headers = Map::new();
    for name in response.headers.keys() {
        let values: Vec<String> = response
            .headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        headers.insert(name.as_str().to_owned(), Json::String(values.join(", ")));
    }
    let text = String::from_utf8_lossy(&response.body).into_owned();
    let json = if is_json(&response.headers) {
        serde_json::from_slice::<Json>(&response.body).unwrap_or(Json::Null)
    } else {
        Json::Null
    };
    Out::new()
        .set(
            "status_code",
            TypedValue::long(i64::from(response.status.as_u16())),
        )
        .json_typed("headers", &Json::Object(headers))
        .set("text", TypedValue::string(text))
        .set(
            "json",
            match &json {
                Json::Null => TypedValue::null(),
                other => TypedValue::json(other),
            },
        )
        .set("success", TypedValue::boolean(success))
        .done()
}

#[async_trait::async_trait]
impl Handler for HttpRequestHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        let request = match self.request(task) {
            Ok(r) => r,
            Err(e) => return e.into_outcome(task),
        };
        let expected = request.expected.clone();
        let method = request.method.clone();
        let url = request.url.clone();
        let response = match self.send(request).await {
            Ok(r) => r,
            Err(e) => return e.into_outcome(task),
        };
        let status = response.status.as_u16();
        tracing::info!(task = %task.id, %method, %url, status, "http_request done");
        match expected {
            Some(expected) if !expected.iter().any(|e| e.matches(status)) => {
                let variables = response_variables(&response, false);
                Outcome::BpmnError {
                    code: UNEXPECTED_STATUS.to_owned(),
                    message: format!(
                        "{method} {url} answered {status}, expected one of {expected:?}"
                    ),
                    variables,
                }
            }
            Some(_) => finish(task, Ok(response_variables(&response, true))),
            None => finish(
                task,
                Ok(response_variables(&response, response.status.is_success())),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::test_support::task;
    use axum::extract::Query;
    use axum::http::HeaderMap as AxumHeaders;
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::{any, get};
    use axum::Router;
    use serde_json::json;
    use std::collections::HashMap;
    use std::net::SocketAddr;

    async fn echo(
        method: axum::http::Method,
        Query(query): Query<HashMap<String, String>>,
        headers: AxumHeaders,
        body: String,
    ) -> impl IntoResponse {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        (
            [("x-echo", "yes")],
            axum::Json(json!({
                "method": method.as_str(),
                "query": query,
                "token": header("x-token"),
                "content_type": header("content-type"),
                "body": body,
            })),
        )
    }

    async fn server() -> SocketAddr {
        let app = Router::new()
            .route("/echo", any(echo))
            .route("/text", get(|| async { "plain words" }))
            .route(
                "/missing",
                get(|| async { (axum::http::StatusCode::NOT_FOUND, "nope") }),
            )
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "late"
                }),
            )
            .route(
                "/to-loopback",
                get(|Query(q): Query<HashMap<String, String>>| async move {
                    Redirect::temporary(q.get("to").map_or("/", String::as_str))
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a test port");
        let addr = listener.local_addr().expect("a local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        addr
    }

    fn handler(allowed: &[String]) -> HttpRequestHandler {
        HttpRequestHandler::new(&HttpConfig {
            allowed_hosts: allowed.to_vec(),
            ..HttpConfig::default()
        })
    }

    fn completed(outcome: Outcome) -> Variables {
        match outcome {
            Outcome::Complete { variables, .. } => variables,
            other => panic!("expected completion, got {other:?}"),
        }
    }

    fn fatal_message(outcome: Outcome) -> String {
        match outcome {
            Outcome::Failure {
                message, retries, ..
            } => {
                assert_eq!(retries, Some(0), "{message} should not be retried");
                message
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn posts_json_with_headers_and_query_and_parses_the_json_answer() {
        let addr = server().await;
        let h = handler(&[format!("127.0.0.1:{}", addr.port())]);
        let vars = completed(
            h.handle(&task(
                TOPIC,
                json!({
                    "url": format!("http://{addr}/echo"),
                    "method": "post",
                    "headers": {"X-Token": "abc"},
                    "params": {"q": "rust", "n": 2, "tag": ["a", "b"]},
                    "data": {"order": 1},
                    "timeout": "30",
                }),
            ))
            .await,
        );
        assert_eq!(vars["status_code"], TypedValue::long(200));
        assert_eq!(vars["success"], TypedValue::boolean(true));
        let body = vars["json"].to_json();
        assert_eq!(body["method"], "POST");
        assert_eq!(body["token"], "abc");
        assert_eq!(body["query"]["q"], "rust");
        assert_eq!(body["query"]["n"], "2");
        assert_eq!(body["content_type"], "application/json");
        assert_eq!(body["body"], r#"{"order":1}"#);
        let headers = vars["headers"].to_json();
        assert_eq!(headers["x-echo"], "yes");
        assert!(vars["text"]
            .to_json()
            .as_str()
            .is_some_and(|t| t.contains("\"POST\"")));
    }

    #[tokio::test]
    async fn text_bodies_and_text_answers() {
        let addr = server().await;
        let h = handler(&["127.0.0.1".to_owned()]);
        let vars = completed(
            h.handle(&task(
                TOPIC,
                json!({"url": format!("http://{addr}/echo"), "method": "PUT", "body": "hello"}),
            ))
            .await,
        );
        let body = vars["json"].to_json();
        assert_eq!(body["body"], "hello");
        assert_eq!(body["content_type"], "text/plain; charset=utf-8");
        let vars = completed(
            h.handle(&task(TOPIC, json!({"url": format!("http://{addr}/text")})))
                .await,
        );
        assert_eq!(vars["text"], TypedValue::string("plain words"));
        assert_eq!(vars["json"], TypedValue::null());
    }

    #[tokio::test]
    async fn unexpected_status_is_a_bpmn_error_and_otherwise_completes_unsuccessfully() {
        let addr = server().await;
        let h = handler(&["127.0.0.1".to_owned()]);
        let url = format!("http://{addr}/missing");
        let vars = completed(h.handle(&task(TOPIC, json!({"url": url}))).await);
        assert_eq!(vars["status_code"], TypedValue::long(404));
        assert_eq!(vars["success"], TypedValue::boolean(false));
        match h
            .handle(&task(
                TOPIC,
                json!({"url": url, "expected_status": "200, 201"}),
            ))
            .await
        {
            Outcome::BpmnError {
                code, variables, ..
            } => {
                assert_eq!(code, UNEXPECTED_STATUS);
                assert_eq!(variables["status_code"], TypedValue::long(404));
                assert_eq!(variables["text"], TypedValue::string("nope"));
            }
            other => panic!("expected a BPMN error, got {other:?}"),
        }
        let vars = completed(
            h.handle(&task(
                TOPIC,
                json!({"url": url, "expected_status": [404, "2xx"]}),
            ))
            .await,
        );
        assert_eq!(vars["success"], TypedValue::boolean(true));
    }

    #[tokio::test]
    async fn a_slow_server_times_out_and_is_retried() {
        let addr = server().await;
        let h = handler(&["127.0.0.1".to_owned()]);
        let started = std::time::Instant::now();
        let outcome = h
            .handle(&task(
                TOPIC,
                json!({"url": format!("http://{addr}/slow"), "timeout": 0.3}),
            ))
            .await;
        assert!(started.elapsed() < Duration::from_secs(3));
        match outcome {
            Outcome::Failure {
                message, retries, ..
            } => {
                assert!(message.contains("timed out"), "{message}");
                assert_eq!(retries, None, "a timeout is left to the retry policy");
            }
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn non_global_targets_are_refused_without_retries() {
        let addr = server().await;
        // Allow-listed only on another port: 127.0.0.1 on the server's port is refused.
        let h = handler(&["127.0.0.1:1".to_owned()]);
        for url in [
            format!("http://{addr}/echo"),
            format!("http://localhost:{}/echo", addr.port()),
            "http://10.1.2.3/".to_owned(),
            "http://[::1]:8080/".to_owned(),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ] {
            let message = fatal_message(h.handle(&task(TOPIC, json!({"url": url}))).await);
            assert!(message.contains("refused"), "{url}: {message}");
            assert!(message.contains("HTTP_ALLOWED_HOSTS"), "{message}");
        }
        let message = fatal_message(
            h.handle(&task(TOPIC, json!({"url": "file:///etc/passwd"})))
                .await,
        );
        assert!(message.contains("only http and https"), "{message}");
    }

    #[tokio::test]
    async fn a_redirect_to_a_disallowed_host_is_refused() {
        let open = server().await;
        let hidden = server().await;
        // The first server is allowed; the redirect points at the second, which is not.
        let h = handler(&[format!("127.0.0.1:{}", open.port())]);
        let target = format!("http://127.0.0.1:{}/echo", hidden.port());
        let url = format!("http://{open}/to-loopback?to={}", url_encode(&target));
        let message = fatal_message(h.handle(&task(TOPIC, json!({"url": url}))).await);
        assert!(message.contains(&format!("refused {target}")), "{message}");
        let to_v6 = format!(
            "http://{open}/to-loopback?to={}",
            url_encode("http://[::1]/")
        );
        let message = fatal_message(h.handle(&task(TOPIC, json!({"url": to_v6}))).await);
        assert!(message.contains("loopback"), "{message}");
        // A redirect within the allowed server is followed.
        let inside = format!("http://{open}/to-loopback?to=/text");
        let vars = completed(h.handle(&task(TOPIC, json!({"url": inside}))).await);
        assert_eq!(vars["text"], TypedValue::string("plain words"));
    }

    #[tokio::test]
    async fn bad_input_fails_without_retries() {
        let h = handler(&[]);
        for (vars, needle) in [
            (json!({}), "url is required"),
            (json!({"url": "not a url"}), "invalid url"),
            (
                json!({"url": "http://example.com", "method": "GE T"}),
                "invalid method",
            ),
            (
                json!({"url": "http://example.com", "timeout": "soon"}),
                "timeout",
            ),
            (
                json!({"url": "http://example.com", "headers": {"X": "a\nb"}}),
                "control characters",
            ),
            (
                json!({"url": "http://example.com", "expected_status": "ok"}),
                "expected_status",
            ),
        ] {
            let message = fatal_message(h.handle(&task(TOPIC, vars)).await);
            assert!(message.contains(needle), "{message}");
        }
    }

    fn url_encode(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                other => format!("%{other:02X}"),
            })
            .collect()
    }
}
