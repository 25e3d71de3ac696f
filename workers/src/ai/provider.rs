//! What both providers share: the request and answer of one model call, token usage,
//! and the error of a call, classified as worth retrying or not.

use std::fmt;
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use serde::Serialize;
use serde_json::{json, Value as Json};

/// A model provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// OpenAI or an OpenAI-compatible server.
    OpenAi,
    /// Ollama.
    Ollama,
}

impl ProviderKind {
    /// The name written to the `provider` output variable: `openai` or `ollama`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Ollama => "ollama",
        }
    }

    /// The other provider (the fallback).
    pub fn other(self) -> ProviderKind {
        match self {
            ProviderKind::OpenAi => ProviderKind::Ollama,
            ProviderKind::Ollama => ProviderKind::OpenAi,
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatMessage {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// A message with `role`.
    pub fn new(role: &str, content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: role.to_owned(),
            content: content.into(),
        }
    }
}

/// One model call. Settings left None take the provider's configured value.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRequest {
    /// The conversation, system message first when there is one.
    pub messages: Vec<ChatMessage>,
    /// The model.
    pub model: Option<String>,
    /// The token limit of the answer.
    pub max_tokens: Option<u32>,
    /// The sampling temperature.
    pub temperature: Option<f64>,
}

/// Token counts of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Tokens of the prompt.
    pub prompt_tokens: u64,
    /// Tokens of the answer.
    pub completion_tokens: u64,
    /// Both.
    pub total_tokens: u64,
}

impl Usage {
    /// Counts with the total computed when the provider gives none.
    pub fn new(prompt_tokens: u64, completion_tokens: u64, total_tokens: Option<u64>) -> Usage {
        Usage {
            prompt_tokens,
            completion_tokens,
            total_tokens: total_tokens.unwrap_or(prompt_tokens + completion_tokens),
        }
    }

    /// `{prompt_tokens, completion_tokens, total_tokens}`, the original worker's `usage`.
    pub fn to_json(self) -> Json {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        })
    }
}

/// The answer of one model call.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatResponse {
    /// The generated text.
    pub content: String,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// Token counts.
    pub usage: Usage,
}

/// Whether a failed call may succeed when repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 429 (quota left), 5xx, timeouts, unreachable server, an error body under 200:
    /// retried with backoff, then handed to the other provider.
    Transient,
    /// A rejected key, an exhausted quota, an unknown model, any other 4xx: repeating
    /// the call cannot help, so the task fails with no retries.
    Permanent,
}

/// A failed model call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{provider}: {message}")]
pub struct ProviderError {
    /// The provider called.
    pub provider: ProviderKind,
    /// Retry or not.
    pub kind: ErrorKind,
    /// One line for people (no secrets).
    pub message: String,
    /// The response body or the transport error, shortened (no secrets).
    pub details: Option<String>,
    /// How long the server asked to wait (`retry-after-ms`, `Retry-After`).
    pub retry_after: Option<Duration>,
}

impl ProviderError {
    /// A transient error.
    pub fn transient(
        provider: ProviderKind,
        message: impl Into<String>,
        details: Option<String>,
    ) -> Self {
        ProviderError {
            provider,
            kind: ErrorKind::Transient,
            message: message.into(),
            details,
            retry_after: None,
        }
    }

    /// A permanent error.
    pub fn permanent(
        provider: ProviderKind,
        message: impl Into<String>,
        details: Option<String>,
    ) -> Self {
        ProviderError {
            provider,
            kind: ErrorKind::Permanent,
            message: message.into(),
            details,
            retry_after: None,
        }
    }

    /// True for [`ErrorKind::Transient`].
    pub fn is_transient(&self) -> bool {
        self.kind == ErrorKind::Transient
    }

    /// A transport error (timeout, connection refused, broken body) of a call to `url`.
    pub(crate) fn from_reqwest(
        provider: ProviderKind,
        url: &str,
        err: &reqwest::Error,
        timeout: Duration,
    ) -> Self {
        let detail = Some(error_chain(err));
        if err.is_timeout() {
            ProviderError::transient(
                provider,
                format!(
                    "no answer from {url} within {} ms (timeout)",
                    timeout.as_millis()
                ),
                detail,
            )
        } else if err.is_connect() {
            ProviderError::transient(provider, format!("{url} is unreachable"), detail)
        } else if err.is_builder() {
            ProviderError::permanent(
                provider,
                format!("the request to {url} cannot be built (check the base URL)"),
                detail,
            )
        } else {
            ProviderError::transient(provider, format!("the call to {url} failed"), detail)
        }
    }

    /// The error for a non-2xx answer: classified by status and by the error body.
    pub(crate) fn from_status(
        provider: ProviderKind,
        status: StatusCode,
        headers: &HeaderMap,
        body: &str,
        model: &str,
    ) -> Self {
        let parsed: Option<Json> = serde_json::from_str(body).ok();
        let (text, code) = error_text_and_code(parsed.as_ref());
        let text = text.unwrap_or_else(|| shorten(body.trim(), 300));
        let code = code.unwrap_or_default();
        let details = Some(shorten(body, 2000));
        let n = status.as_u16();
        let kind_and_message = match n {
            429 if code == "insufficient_quota" => (
                ErrorKind::Permanent,
                format!("quota exhausted (HTTP 429 insufficient_quota): {text}; check the plan and billing of the API key"),
            ),
            429 => (ErrorKind::Transient, format!("rate limited (HTTP 429): {text}")),
            401 | 403 => (
                ErrorKind::Permanent,
                format!("the API key was rejected (HTTP {n}): {text}"),
            ),
            404 => (
                ErrorKind::Permanent,
                format!("unknown model '{model}' or endpoint (HTTP 404): {text}"),
            ),
            408 | 409 | 425 => (ErrorKind::Transient, format!("HTTP {n}: {text}")),
            500..=599 => (ErrorKind::Transient, format!("server error (HTTP {n}): {text}")),
            400..=499 => (
                ErrorKind::Permanent,
                format!("the request was refused (HTTP {n}): {text}"),
            ),
            _ => (ErrorKind::Permanent, format!("unexpected HTTP {n}: {text}")),
        };
        ProviderError {
            provider,
            kind: kind_and_message.0,
            message: kind_and_message.1,
            details,
            retry_after: retry_after(headers, SystemTime::now()),
        }
    }
}

/// The error message and code of an OpenAI (`{"error": {"message", "code", "type"}}`) or
/// Ollama (`{"error": "..."}`) error body.
pub(crate) fn error_text_and_code(body: Option<&Json>) -> (Option<String>, Option<String>) {
    let Some(error) = body.and_then(|b| b.get("error")) else {
        return (None, None);
    };
    match error {
        Json::String(s) => (Some(s.clone()), None),
        Json::Object(o) => {
            let text = o.get("message").and_then(Json::as_str).map(str::to_owned);
            let code = o
                .get("code")
                .and_then(Json::as_str)
                .or_else(|| o.get("type").and_then(Json::as_str))
                .map(str::to_owned);
            (text, code)
        }
        Json::Null => (None, None),
        other => (Some(other.to_string()), None),
    }
}

/// How long a server asked to wait: `retry-after-ms` (OpenAI's, milliseconds) first, then
/// `Retry-After` as seconds or as an HTTP date (relative to `now`).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        if ms.is_finite() && ms >= 0.0 {
            return Some(Duration::from_secs_f64(ms / 1000.0));
        }
    }
    let value = header("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// `text` cut to at most `max` characters (on a character boundary), marked when cut.
pub(crate) fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_owned(),
    }
}

/// An error and its causes on one line.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            if let Ok(v) = HeaderValue::from_str(value) {
                map.insert(*name, v);
            }
        }
        map
    }

    #[test]
    fn retry_after_reads_milliseconds_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_470);
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                now
            ),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), now),
            Some(Duration::from_secs(3))
        );
        // Wed, 21 Oct 2015 07:28:00 GMT is 1445412480.
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]),
                now
            ),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 21 Oct 2015 07:27:00 GMT")]),
                now
            ),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")]), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn statuses_are_classified() {
        let h = HeaderMap::new();
        let quota = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#;
        let e = ProviderError::from_status(
            ProviderKind::OpenAi,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            quota,
            "m",
        );
        assert_eq!(e.kind, ErrorKind::Permanent);
        assert!(e.message.contains("insufficient_quota"), "{}", e.message);
        let e = ProviderError::from_status(
            ProviderKind::OpenAi,
            StatusCode::TOO_MANY_REQUESTS,
            &h,
            "{}",
            "m",
        );
        assert_eq!(e.kind, ErrorKind::Transient);
        for (status, kind) in [
            (401, ErrorKind::Permanent),
            (403, ErrorKind::Permanent),
            (404, ErrorKind::Permanent),
            (400, ErrorKind::Permanent),
            (408, ErrorKind::Transient),
            (500, ErrorKind::Transient),
            (503, ErrorKind::Transient),
        ] {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::IM_A_TEAPOT);
            let e = ProviderError::from_status(
                ProviderKind::Ollama,
                status,
                &h,
                r#"{"error":"boom"}"#,
                "m",
            );
            assert_eq!(e.kind, kind, "{status}");
            assert!(e.message.contains("boom"));
        }
    }

    #[test]
    fn shorten_respects_char_boundaries() {
        assert_eq!(shorten("héllo", 2), "hé…");
        assert_eq!(shorten("hé", 2), "hé");
    }
}
