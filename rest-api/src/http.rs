//! HTTP plumbing shared by every route: Camunda-style JSON responses, request bodies that
//! fail with Camunda's error, query-string parameters with Camunda's validation, and the
//! mapping of service errors to Camunda's status codes.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use procos_engine::service::ServiceError;
use procos_engine::store::Order;
use procos_engine::time::{self, Timestamp};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::RestError;

/// A JSON response with `Content-Type: application/json` exactly: Camunda's JS client
/// parses a body only when the header has no charset suffix.
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => json_response(StatusCode::OK, body),
            Err(e) => RestError::engine(format!("cannot write the response: {e}")).into_response(),
        }
    }
}

/// A response with a JSON body and `status`.
pub fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `204 No Content`.
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        json_response(self.status, body)
    }
}

/// A JSON request body. A missing or empty body reads as `{}`, since Camunda's clients
/// post some commands without one; malformed JSON is Camunda's 400
/// `InvalidRequestException`.
pub struct Body<T>(pub T);

impl<S, T> FromRequest<S> for Body<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = RestError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                body_too_large()
            } else {
                RestError::invalid_request(StatusCode::BAD_REQUEST, e.body_text())
            }
        })?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(text).map(Body).map_err(|e| {
            // Camunda's JsonParseExceptionHandler and JsonMappingExceptionHandler answer
            // with an empty message; clients match on that, so the reason goes to the log.
            tracing::debug!(error = %e, "refused a malformed request body");
            RestError::malformed_body()
        })
    }
}

/// 413 for a request body over `max_body_bytes`. Camunda has no such limit, so there is
/// no Camunda wording to follow; the body still has Camunda's error shape.
pub fn body_too_large() -> RestError {
    RestError::invalid_request(
        StatusCode::PAYLOAD_TOO_LARGE,
        "The request body is larger than the configured limit",
    )
}

/// The query string as name/value pairs (a name may repeat).
#[derive(Debug, Default, Clone)]
pub struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = RestError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .map(Params)
            .map_err(|e| {
                RestError::invalid_request(
                    StatusCode::BAD_REQUEST,
                    format!("The query string is not valid: {e}"),
                )
            })
    }
}

fn bad_param(name: &str, value: &str) -> RestError {
    RestError::invalid_request(
        StatusCode::BAD_REQUEST,
        format!("Cannot set query parameter '{name}' to value '{value}'"),
    )
}

impl Params {
    /// The first value of `name`, when present and not empty.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    /// A boolean: `true` or `false` (Jackson reads them case-insensitively).
    pub fn bool(&self, name: &str) -> Result<Option<bool>, RestError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(bad_param(name, v)),
        }
    }

    /// True when the flag is given as `true`.
    pub fn flag(&self, name: &str) -> Result<bool, RestError> {
        Ok(self.bool(name)?.unwrap_or(false))
    }

    /// An integer.
    pub fn int(&self, name: &str) -> Result<Option<i64>, RestError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| bad_param(name, v)),
        }
    }

    /// A date in Camunda's format (read leniently).
    pub fn date(&self, name: &str) -> Result<Option<i64>, RestError> {
        match self.str(name) {
            None => Ok(None),
            Some(v) => time::parse_date_lenient(v)
                .map(|t| Some(t.0))
                .map_err(|_| bad_param(name, v)),
        }
    }

    /// A comma-separated list (`...In` parameters).
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.str(name).map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
    }

    /// `firstResult` and `maxResults`.
    pub fn paging(&self) -> Result<(i64, Option<i64>), RestError> {
        let first = self.int("firstResult")?.unwrap_or(0).max(0);
        let max = self.int("maxResults")?.map(|m| m.max(0));
        Ok((first, max))
    }

    /// `sortBy` and `sortOrder`, validated against `allowed` (Camunda's names mapped to
    /// columns); both must be given together.
    pub fn sorting(
        &self,
        allowed: &[(&str, &'static str)],
    ) -> Result<Vec<(&'static str, Order)>, RestError> {
        sorting(self.str("sortBy"), self.str("sortOrder"), allowed)
    }
}

/// Validates one `sortBy`/`sortOrder` pair as Camunda's `AbstractQueryDto` does.
pub fn sorting(
    sort_by: Option<&str>,
    sort_order: Option<&str>,
    allowed: &[(&str, &'static str)],
) -> Result<Vec<(&'static str, Order)>, RestError> {
    match (sort_by, sort_order) {
        (None, None) => Ok(Vec::new()),
        (Some(by), Some(order)) => {
            let column = allowed
                .iter()
                .find(|(name, _)| *name == by)
                .map(|(_, c)| *c)
                .ok_or_else(|| {
                    RestError::invalid_request(
                        StatusCode::BAD_REQUEST,
                        format!("Cannot set query parameter 'sortBy' to value '{by}'"),
                    )
                })?;
            let order = match order {
                "asc" => Order::Asc,
                "desc" => Order::Desc,
                other => {
                    return Err(RestError::invalid_request(
                        StatusCode::BAD_REQUEST,
                        format!("Cannot set query parameter 'sortOrder' to value '{other}'"),
                    ))
                }
            };
            Ok(vec![(column, order)])
        }
        _ => Err(RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            "Only a single sorting parameter specified. sortBy and sortOrder required",
        )),
    }
}

/// A date in Camunda's REST format, or null.
pub fn date(millis: Option<i64>) -> Option<String> {
    millis.map(|m| time::format_camunda(Timestamp(m)))
}

/// Where a service error is reported: Camunda answers the same engine exception with
/// different status codes depending on the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundAs {
    /// 404 `RestException` / `InvalidRequestException`.
    NotFound,
    /// 400 (the engine's `NotFoundException` is a `BadUserRequestException`).
    BadRequest,
    /// 500.
    ServerError,
}

/// Maps a service error to Camunda's response, with `missing` deciding the status for
/// an unknown id.
pub fn service_error(e: ServiceError, missing: NotFoundAs) -> RestError {
    match e {
        ServiceError::NotFound(m) => match missing {
            NotFoundAs::NotFound => RestError::rest_from_engine(StatusCode::NOT_FOUND, m),
            NotFoundAs::BadRequest => RestError::not_found(m),
            NotFoundAs::ServerError => RestError::engine(m),
        },
        ServiceError::BadRequest(m) => RestError::invalid_request(StatusCode::BAD_REQUEST, m),
        ServiceError::NullValue(m) => RestError::null_value(m),
        ServiceError::Engine(m) => RestError::engine(m),
        ServiceError::Lock(m) => RestError::rest_from_engine(StatusCode::BAD_REQUEST, m),
        ServiceError::AlreadyClaimed(m) => RestError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "TaskAlreadyClaimedException",
            m,
        )
        .with_code(0),
        ServiceError::Correlation(m) => RestError::rest_from_engine(
            StatusCode::BAD_REQUEST,
            format!("org.camunda.bpm.engine.MismatchingMessageCorrelationException: {m}"),
        ),
        ServiceError::Parse { resource, rejected } => {
            let problems = |list: &[procos_engine::bpmn::Problem]| -> Vec<serde_json::Value> {
                list.iter()
                    .map(|p| {
                        serde_json::json!({
                            "message": p.message,
                            "line": p.line,
                            "column": p.column,
                            "mainElementId": p.element_id,
                            "elementIds": p.element_id.iter().collect::<Vec<_>>(),
                        })
                    })
                    .collect()
            };
            let details = serde_json::json!({
                resource.clone(): {
                    "errors": problems(&rejected.errors),
                    "warnings": problems(&rejected.warnings),
                }
            });
            RestError::parse(rejected.message_for(&resource), details)
        }
        ServiceError::Runtime(e) => RestError::engine(e.to_string()),
        ServiceError::Store(e) => {
            tracing::error!(error = %e, "store error");
            RestError::engine(e.to_string())
        }
        ServiceError::ShuttingDown => RestError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ProcessEngineException",
            "procos is shutting down",
        ),
    }
}

/// Shorthand for `.map_err(|e| service_error(e, missing))`.
pub trait OrRest<T> {
    /// Maps the error.
    fn or_rest(self, missing: NotFoundAs) -> Result<T, RestError>;
}

impl<T> OrRest<T> for Result<T, ServiceError> {
    fn or_rest(self, missing: NotFoundAs) -> Result<T, RestError> {
        self.map_err(|e| service_error(e, missing))
    }
}

impl<T> OrRest<T> for Result<T, procos_engine::store::StoreError> {
    fn or_rest(self, missing: NotFoundAs) -> Result<T, RestError> {
        self.map_err(|e| service_error(ServiceError::Store(e), missing))
    }
}
