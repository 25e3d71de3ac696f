//! Camunda's error body, `{"type": …, "message": …, "code": …}`, and its HTTP status.
//!
//! The contract is `shared/camunda/COMPAT.md` §2.1 and §2.2, from Camunda 7.23's
//! `ExceptionHandlerHelper` and `ExceptionDto`:
//!
//! - `type` is the simple name of the Java exception Camunda would throw;
//! - `code` is the engine's error code, copied from a `ProcessEngineException` or from the
//!   engine exception a `RestException` wraps: 0 unless a specific one applies (see
//!   [`code`]). It is **`null` for a REST exception with no engine cause**, e.g. a bad
//!   query parameter or a malformed variable value;
//! - the status is chosen per endpoint (COMPAT §2.2): engine exceptions are 500 except
//!   `BadUserRequestException` (including the engine's `NotFoundException`) and
//!   `ParseException`, which are 400.
//!
//! This module only builds the error; the routes turn it into a response (status,
//! `Content-Type: application/json` exactly, and [`RestError::body`] or the error itself
//! serialized).

use std::borrow::Cow;

use http::StatusCode;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::values::ValueError;

/// Camunda's engine error codes (`BuiltinExceptionCode`), the body's `code`.
pub mod code {
    /// Any engine exception without a more specific code.
    pub const FALLBACK: i32 = 0;
    /// An optimistic locking conflict: someone else changed the same data concurrently.
    pub const OPTIMISTIC_LOCKING: i32 = 1;
    /// The database chose this transaction as a deadlock victim.
    pub const DEADLOCK: i32 = 10_000;
    /// A foreign key constraint was violated.
    pub const FOREIGN_KEY_CONSTRAINT_VIOLATION: i32 = 10_001;
    /// A value was too long for its column.
    pub const COLUMN_SIZE_TOO_SMALL: i32 = 10_002;
}

/// An error as the REST API answers it.
///
/// [`Display`](std::fmt::Display) is the message alone, as clients show it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct RestError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body's `type`: the Java exception's simple class name, e.g.
    /// `InvalidRequestException`, `RestException`, `ProcessEngineException`.
    pub type_name: Cow<'static, str>,
    /// The body's `message`, in Camunda's words where a client might match on them.
    pub message: String,
    /// The body's `code`: `None` (written as `null`) for a REST exception with no engine
    /// cause, else an engine error code (see [`code`]).
    pub code: Option<i32>,
    /// `details` of a `ParseException`: `{resourceName: {errors: […], warnings: […]}}`.
    /// Written only when set.
    pub details: Option<serde_json::Value>,
}

impl RestError {
    /// An error of any Camunda exception type, with no engine cause (`code` null).
    pub fn new(
        status: StatusCode,
        type_name: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        RestError {
            status,
            type_name: type_name.into(),
            message: message.into(),
            code: None,
            details: None,
        }
    }

    /// `InvalidRequestException`: the REST layer refused the request itself (a bad
    /// parameter, an unknown sort key, a value that does not fit its type). `code` null.
    pub fn invalid_request(status: StatusCode, message: impl Into<String>) -> Self {
        RestError::new(status, "InvalidRequestException", message)
    }

    /// `RestException` raised by the REST layer on its own (e.g. "No message name
    /// supplied"). `code` null.
    pub fn rest(status: StatusCode, message: impl Into<String>) -> Self {
        RestError::new(status, "RestException", message)
    }

    /// `RestException` wrapping an engine failure, the most common shape of Camunda's
    /// endpoint errors: "External task with id X does not exist" (404), "Cannot
    /// instantiate process definition X: …" (500). `code` 0.
    pub fn rest_from_engine(status: StatusCode, message: impl Into<String>) -> Self {
        RestError::rest(status, message).with_engine_cause()
    }

    /// `InvalidRequestException` wrapping an engine failure, e.g. "No matching definition
    /// with id X" (404). `code` 0.
    pub fn invalid_request_from_engine(status: StatusCode, message: impl Into<String>) -> Self {
        RestError::invalid_request(status, message).with_engine_cause()
    }

    /// `ProcessEngineException` passed through unwrapped: 500, `code` 0 (e.g. "retries is
    /// not greater than or equal to 0").
    pub fn engine(message: impl Into<String>) -> Self {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "ProcessEngineException",
            message,
        )
        .with_engine_cause()
    }

    /// `NullValueException` (Camunda's `ensureNotNull`): 500, `code` 0 (e.g. "workerId is
    /// null").
    pub fn null_value(message: impl Into<String>) -> Self {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "NullValueException",
            message,
        )
        .with_engine_cause()
    }

    /// `BadUserRequestException`: 400, `code` 0.
    pub fn bad_user_request(message: impl Into<String>) -> Self {
        RestError::new(StatusCode::BAD_REQUEST, "BadUserRequestException", message)
            .with_engine_cause()
    }

    /// The engine's `NotFoundException` passed through unwrapped. It extends
    /// `BadUserRequestException`, so it is a **400**, not a 404; endpoints that answer
    /// 404 wrap it with [`RestError::rest_from_engine`] instead. `code` 0.
    pub fn not_found(message: impl Into<String>) -> Self {
        RestError::new(StatusCode::BAD_REQUEST, "NotFoundException", message).with_engine_cause()
    }

    /// `TaskAlreadyClaimedException`: "Task 'X' is already claimed by someone else.", 500,
    /// `code` 0.
    pub fn task_already_claimed(task_id: &str) -> Self {
        RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "TaskAlreadyClaimedException",
            format!("Task '{task_id}' is already claimed by someone else."),
        )
        .with_engine_cause()
    }

    /// `ParseException` for a deployment whose BPMN does not parse: 400, `code` 0, with
    /// `details` `{resourceName: {errors: [{message, line, column, mainBpmnElementId,
    /// bpmnElementIds}], warnings: […]}}`. The Modeler recognises the message by its
    /// prefix "ENGINE-09005 Could not parse BPMN process.".
    pub fn parse(message: impl Into<String>, details: serde_json::Value) -> Self {
        RestError {
            details: Some(details),
            ..RestError::new(StatusCode::BAD_REQUEST, "ParseException", message).with_engine_cause()
        }
    }

    /// A request body that is not JSON or does not fit the endpoint's DTO: Camunda
    /// answers 400 `InvalidRequestException` with an empty message and `code` null.
    pub fn malformed_body() -> Self {
        RestError::invalid_request(StatusCode::BAD_REQUEST, "")
    }

    /// Marks the error as caused by an engine exception, whose code Camunda copies:
    /// `code` becomes [`code::FALLBACK`] unless one is already set.
    pub fn with_engine_cause(mut self) -> Self {
        self.code.get_or_insert(code::FALLBACK);
        self
    }

    /// Sets the engine error code (see [`code`]).
    pub fn with_code(mut self, code: i32) -> Self {
        self.code = Some(code);
        self
    }

    /// The JSON body: `type`, `message`, `code` (`null` when unset), and `details` only
    /// when set.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("type".into(), self.type_name.as_ref().into());
        body.insert("message".into(), self.message.as_str().into());
        body.insert("code".into(), self.code.into());
        if let Some(details) = &self.details {
            body.insert("details".into(), details.clone());
        }
        serde_json::Value::Object(body)
    }
}

/// Serializes as [`RestError::body`], keys in Camunda's order (`type`, `message`, `code`,
/// `details`), without building a `serde_json::Value` first.
impl Serialize for RestError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = if self.details.is_some() { 4 } else { 3 };
        let mut map = serializer.serialize_map(Some(len))?;
        map.serialize_entry("type", &self.type_name)?;
        map.serialize_entry("message", &self.message)?;
        map.serialize_entry("code", &self.code)?;
        if let Some(details) = &self.details {
            map.serialize_entry("details", details)?;
        }
        map.end()
    }
}

/// A refused variable value, answered as Camunda does where no endpoint wraps it: 400,
/// `RestException` for an unknown type, `InvalidRequestException` otherwise, `code` null,
/// the message unchanged.
impl From<ValueError> for RestError {
    fn from(e: ValueError) -> Self {
        RestError::new(StatusCode::BAD_REQUEST, e.exception, e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pure_rest_exception_has_a_null_code() {
        let e = RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            "sortBy parameter has invalid value: x",
        );
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body(),
            json!({"type": "InvalidRequestException",
                "message": "sortBy parameter has invalid value: x", "code": null})
        );
        assert_eq!(
            RestError::rest(StatusCode::BAD_REQUEST, "No message name supplied").body(),
            json!({"type": "RestException", "message": "No message name supplied", "code": null})
        );
    }

    #[test]
    fn a_rest_exception_with_an_engine_cause_has_code_0() {
        let e = RestError::rest_from_engine(
            StatusCode::NOT_FOUND,
            "External task with id x does not exist",
        );
        assert_eq!(e.status, StatusCode::NOT_FOUND);
        assert_eq!(
            e.body(),
            json!({"type": "RestException",
                "message": "External task with id x does not exist", "code": 0})
        );
        let e = RestError::invalid_request_from_engine(
            StatusCode::NOT_FOUND,
            "No matching definition with id X",
        );
        assert_eq!(
            (e.type_name.as_ref(), e.code),
            ("InvalidRequestException", Some(0))
        );
    }

    #[test]
    fn engine_exceptions_carry_their_status_and_code() {
        let cases = [
            (
                RestError::engine("retries is not greater than or equal to 0"),
                StatusCode::INTERNAL_SERVER_ERROR,
                "ProcessEngineException",
            ),
            (
                RestError::null_value("workerId is null"),
                StatusCode::INTERNAL_SERVER_ERROR,
                "NullValueException",
            ),
            (
                RestError::bad_user_request("bad"),
                StatusCode::BAD_REQUEST,
                "BadUserRequestException",
            ),
            (
                RestError::not_found("not there"),
                StatusCode::BAD_REQUEST,
                "NotFoundException",
            ),
            (
                RestError::task_already_claimed("t1"),
                StatusCode::INTERNAL_SERVER_ERROR,
                "TaskAlreadyClaimedException",
            ),
        ];
        for (e, status, type_name) in cases {
            assert_eq!(e.status, status, "{type_name}");
            assert_eq!(e.type_name, type_name);
            assert_eq!(e.code, Some(code::FALLBACK), "{type_name}");
            assert!(e.body().get("details").is_none());
        }
        assert_eq!(
            RestError::task_already_claimed("t1").message,
            "Task 't1' is already claimed by someone else."
        );
    }

    #[test]
    fn a_specific_engine_code_survives_the_engine_cause() {
        let e = RestError::engine("conflict")
            .with_code(code::OPTIMISTIC_LOCKING)
            .with_engine_cause();
        assert_eq!(e.code, Some(1));
    }

    #[test]
    fn a_parse_exception_adds_details() {
        let details = json!({"p.bpmn": {"errors": [{"message": "m", "line": 3, "column": 4,
            "mainBpmnElementId": "t", "bpmnElementIds": ["t"]}], "warnings": []}});
        let e = RestError::parse(
            "ENGINE-09005 Could not parse BPMN process. Errors: m",
            details.clone(),
        );
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body(),
            json!({"type": "ParseException",
                "message": "ENGINE-09005 Could not parse BPMN process. Errors: m",
                "code": 0, "details": details})
        );
    }

    #[test]
    fn a_malformed_body_is_an_empty_invalid_request() {
        let e = RestError::malformed_body();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.body(),
            json!({"type": "InvalidRequestException", "message": "", "code": null})
        );
    }

    #[test]
    fn serializes_in_camundas_key_order() {
        let e = RestError::rest_from_engine(StatusCode::BAD_REQUEST, "m");
        assert_eq!(
            serde_json::to_string(&e).ok().as_deref(),
            Some(r#"{"type":"RestException","message":"m","code":0}"#)
        );
        let e = RestError::parse("p", json!({}));
        assert_eq!(
            serde_json::to_string(&e).ok().as_deref(),
            Some(r#"{"type":"ParseException","message":"p","code":0,"details":{}}"#)
        );
        assert_eq!(serde_json::to_value(&e).ok(), Some(e.body()));
    }

    #[test]
    fn displays_the_message() {
        assert_eq!(
            RestError::engine("lockTime is not greater than 0").to_string(),
            "lockTime is not greater than 0"
        );
    }

    #[test]
    fn refused_values_answer_400_with_camundas_exception_type() {
        let unsupported = ValueError {
            variable: Some("v".into()),
            message: "Unsupported value type 'Foo'".into(),
            exception: "RestException",
        };
        assert_eq!(
            RestError::from(unsupported).body(),
            json!({"type": "RestException", "message": "Unsupported value type 'Foo'", "code": null})
        );
        let unconvertible = ValueError {
            variable: None,
            message: "Cannot convert value 'abc' of type 'Integer' to java type java.lang.Integer"
                .into(),
            exception: "InvalidRequestException",
        };
        let e = RestError::from(unconvertible.clone());
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            (e.type_name.as_ref(), e.code),
            ("InvalidRequestException", None)
        );
        // The start endpoint prefixes every variable error and answers it as an
        // InvalidRequestException with the same status (COMPAT §2.2).
        let start = RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Cannot instantiate process definition X: {unconvertible}"),
        );
        assert_eq!(
            start.body(),
            json!({"type": "InvalidRequestException",
                "message": "Cannot instantiate process definition X: Cannot convert value 'abc' of type 'Integer' to java type java.lang.Integer",
                "code": null})
        );
    }
}
