//! What can go wrong talking to the engine: [`ClientError`].

use std::error::Error as _;

/// An error of a call to the engine, or of the client's configuration.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The configuration cannot work (a bad URL, zero tasks, no topic subscribed).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// No answer: connection refused, DNS, TLS, or the HTTP timeout.
    #[error("cannot reach the engine ({call}): {message}")]
    Unreachable {
        /// The call (`POST /external-task/fetchAndLock`).
        call: String,
        /// The cause, innermost reasons included (`connection refused`).
        message: String,
        /// True when the HTTP timeout expired.
        timeout: bool,
    },
    /// The engine answered with an error status; Camunda's `{type, message, code}` body
    /// when there was one.
    #[error("{call} answered HTTP {status}{}: {message}", error_type.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Engine {
        /// The call (`POST /external-task/{id}/complete`).
        call: String,
        /// The HTTP status.
        status: u16,
        /// The exception type (`RestException`, `InvalidRequestException`, ...).
        error_type: Option<String>,
        /// The engine's message, or the start of the body when it was not Camunda's form.
        message: String,
        /// Camunda's error code (0 by default, 1 optimistic locking, ...).
        code: Option<i64>,
    },
    /// The engine answered success with a body the client cannot read.
    #[error("{call}: unexpected answer: {message}")]
    Protocol {
        /// The call.
        call: String,
        /// What was wrong.
        message: String,
    },
}

impl ClientError {
    /// The HTTP status of an error answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Engine { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True when the engine could not be reached at all.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. })
    }

    /// True for a 404: the task (or resource) does not exist, e.g. because its process
    /// instance was cancelled while a handler ran.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// A short name of the kind of failure, for telling apart a change of reason
    /// (`unreachable`, `HTTP 401`, ...).
    pub fn kind(&self) -> String {
        match self {
            ClientError::Config(_) => "configuration".to_owned(),
            ClientError::Unreachable { timeout: true, .. } => "timeout".to_owned(),
            ClientError::Unreachable { .. } => "unreachable".to_owned(),
            ClientError::Engine { status, .. } => format!("HTTP {status}"),
            ClientError::Protocol { .. } => "protocol".to_owned(),
        }
    }

    /// A transport error of `call`, with the chain of causes in the message (reqwest's
    /// own message alone says only "error sending request").
    pub(crate) fn transport(call: &str, error: &reqwest::Error) -> ClientError {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            let text = cause.to_string();
            if !message.contains(&text) {
                message.push_str(": ");
                message.push_str(&text);
            }
            source = cause.source();
        }
        ClientError::Unreachable {
            call: call.to_owned(),
            message,
            timeout: error.is_timeout(),
        }
    }

    /// The error for an answer with status `status` and `body`: Camunda's
    /// `{type, message, code}` when the body has that form, else its start.
    pub(crate) fn from_answer(call: &str, status: u16, body: &[u8]) -> ClientError {
        #[derive(serde::Deserialize)]
        struct ExceptionDto {
            #[serde(rename = "type")]
            error_type: Option<String>,
            message: Option<String>,
            code: Option<i64>,
        }
        match serde_json::from_slice::<ExceptionDto>(body) {
            Ok(dto) if dto.error_type.is_some() || dto.message.is_some() => ClientError::Engine {
                call: call.to_owned(),
                status,
                error_type: dto.error_type,
                message: dto.message.unwrap_or_default(),
                code: dto.code,
            },
            _ => {
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                let message = if text.is_empty() {
                    reqwest::StatusCode::from_u16(status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("no body")
                        .to_owned()
                } else {
                    text.chars().take(300).collect()
                };
                ClientError::Engine {
                    call: call.to_owned(),
                    status,
                    error_type: None,
                    message,
                    code: None,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camunda_error_bodies_are_read() {
        let e = ClientError::from_answer(
            "POST /external-task/x/complete",
            404,
            br#"{"type":"RestException","message":"External task with id x does not exist","code":0}"#,
        );
        assert_eq!(
            e,
            ClientError::Engine {
                call: "POST /external-task/x/complete".into(),
                status: 404,
                error_type: Some("RestException".into()),
                message: "External task with id x does not exist".into(),
                code: Some(0),
            }
        );
        assert!(e.is_not_found());
        assert_eq!(
            e.to_string(),
            "POST /external-task/x/complete answered HTTP 404 (RestException): External task with id x does not exist"
        );
        let e = ClientError::from_answer("GET /engine", 401, b"");
        assert_eq!(e.status(), Some(401));
        assert_eq!(e.to_string(), "GET /engine answered HTTP 401: Unauthorized");
        let e = ClientError::from_answer("GET /engine", 502, b"<html>bad gateway</html>");
        assert!(e.to_string().ends_with("<html>bad gateway</html>"));
        assert_eq!(e.kind(), "HTTP 502");
    }
}
