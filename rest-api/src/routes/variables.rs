//! Variables of process instances and executions: read all, read one (and its binary
//! data), set one, delete one, modify many. Also the variable filters of list queries.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use procos_engine::store::{Filter, Op};
use procos_engine::value::{Value, Variables};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::error::RestError;
use crate::http::{no_content, service_error, Body, Json as JsonResponse, NotFoundAs, Params};
use crate::values::{
    filter_operand, filter_operand_json, value_from_dto, value_to_json, variables_from_dto,
    VariableValueDto,
};
use crate::AppState;

/// Variable routes of process instances and executions.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/process-instance/{id}/variables",
            get(instance_all).post(instance_modify),
        )
        .route(
            "/process-instance/{id}/variables/{name}",
            get(instance_one).put(instance_put).delete(instance_delete),
        )
        .route(
            "/process-instance/{id}/variables/{name}/data",
            get(instance_data),
        )
        .route(
            "/execution/{id}/localVariables",
            get(execution_all).post(execution_modify),
        )
        .route(
            "/execution/{id}/localVariables/{name}",
            get(execution_one)
                .put(execution_put)
                .delete(execution_delete),
        )
        .route(
            "/execution/{id}/localVariables/{name}/data",
            get(execution_data),
        )
}

/// Whether `deserializeValues` (or `deserializeValue`) asks for deserialized objects;
/// Camunda's default is true outside fetch-and-lock.
fn deserialize(p: &Params, name: &str) -> Result<bool, RestError> {
    Ok(p.bool(name)?.unwrap_or(true))
}

async fn scope_variables(
    state: &AppState,
    scope: &str,
    local: bool,
) -> Result<Vec<(String, Value)>, RestError> {
    state
        .engine
        .scope_variables(scope, local)
        .await
        .map_err(|e| service_error(e, NotFoundAs::ServerError))?
        .ok_or_else(|| {
            RestError::null_value(format!(
                "execution {scope} doesn't exist: execution is null"
            ))
        })
}

async fn all(state: &AppState, scope: &str, p: &Params) -> Result<Response, RestError> {
    let vars = scope_variables(state, scope, true).await?;
    let d = deserialize(p, "deserializeValues")?;
    let body = crate::values::variables_to_json(vars.iter().map(|(n, v)| (n.as_str(), v)), d);
    Ok(JsonResponse(body).into_response())
}

async fn one(
    state: &AppState,
    scope: &str,
    name: &str,
    p: &Params,
    what: &str,
) -> Result<Response, RestError> {
    let vars = state
        .engine
        .scope_variables(scope, true)
        .await
        .map_err(|e| service_error(e, NotFoundAs::ServerError))?
        .ok_or_else(|| {
            RestError::rest_from_engine(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("Cannot get {what} variable {name}: execution {scope} doesn't exist"),
            )
        })?;
    let value = vars
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("{what} variable with name {name} does not exist"),
            )
        })?;
    let d = deserialize(p, "deserializeValue")?;
    Ok(JsonResponse(value_to_json(&value, d)).into_response())
}

async fn data(
    state: &AppState,
    scope: &str,
    name: &str,
    what: &str,
) -> Result<Response, RestError> {
    let vars = scope_variables(state, scope, true).await?;
    let value = vars
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("{what} variable with name {name} does not exist"),
            )
        })?;
    let (content_type, bytes) = match value {
        Value::Bytes(b) => ("application/octet-stream".to_owned(), b),
        Value::File(f) => return Ok(file_response(f)),
        Value::Object(o) => (
            o.format.unwrap_or_else(|| "text/plain".to_owned()),
            o.serialized.into_bytes(),
        ),
        other => {
            return Err(RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!(
                    "Value of variable with id {name} is not a binary value (it is a {}).",
                    other.type_name()
                ),
            ))
        }
    };
    Ok(([(axum::http::header::CONTENT_TYPE, content_type)], bytes).into_response())
}

/// A File variable's content as Camunda's `VariableResponseProvider` sends it: the MIME
/// type (with `; charset=` when the file has an encoding) and an attachment disposition
/// with the file name, plain and RFC 5987-encoded.
fn file_response(f: procos_engine::value::FileValue) -> Response {
    let mut content_type = f
        .mime_type
        .unwrap_or_else(|| "application/octet-stream".to_owned());
    if let Some(encoding) = &f.encoding {
        content_type.push_str("; charset=");
        content_type.push_str(encoding);
    }
    let name = f.filename;
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        name.replace(['"', '\r', '\n'], "_"),
        percent_encode(&name)
    );
    let mut response = f.data.into_response();
    for (header, value) in [
        (axum::http::header::CONTENT_TYPE, content_type),
        (axum::http::header::CONTENT_DISPOSITION, disposition),
    ] {
        // from_bytes: a file name may be UTF-8, which HTTP carries as opaque bytes.
        if let Ok(v) = axum::http::HeaderValue::from_bytes(value.as_bytes()) {
            response.headers_mut().insert(header, v);
        }
    }
    response
}

/// `URLEncoder.encode(s, UTF-8)` with `+` as `%20`, as Camunda's `URLEncodingUtil` does.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'*' | b'_' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

async fn put(
    state: &AppState,
    scope: &str,
    name: &str,
    dto: Map<String, Json>,
    what: &str,
) -> Result<Response, RestError> {
    let parsed = VariableValueDto::from_object(&dto)
        .and_then(|d| value_from_dto(&d))
        .map_err(|e| {
            RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!("Cannot put {what} variable {name}: {}", e.message),
            )
        })?;
    let mut vars = Variables::new();
    vars.set_with(name, parsed.0, parsed.1);
    state
        .engine
        .modify_variables(scope, vars, Vec::new(), true)
        .await
        .map_err(|e| {
            let inner = service_error(e, NotFoundAs::ServerError);
            RestError::rest_from_engine(
                inner.status,
                format!("Cannot put {what} variable {name}: {}", inner.message),
            )
        })?;
    Ok(no_content())
}

async fn remove(
    state: &AppState,
    scope: &str,
    name: &str,
    what: &str,
) -> Result<Response, RestError> {
    state
        .engine
        .modify_variables(scope, Variables::new(), vec![name.to_owned()], true)
        .await
        .map_err(|e| {
            let inner = service_error(e, NotFoundAs::ServerError);
            RestError::rest_from_engine(
                inner.status,
                format!("Cannot delete {what} variable {name}: {}", inner.message),
            )
        })?;
    Ok(no_content())
}

/// `PatchVariablesDto`.
#[derive(Debug, Default, Deserialize)]
struct Modifications {
    modifications: Option<Map<String, Json>>,
    deletions: Option<Vec<String>>,
}

async fn modify(
    state: &AppState,
    scope: &str,
    body: Modifications,
    what: &str,
) -> Result<Response, RestError> {
    let vars = variables_from_dto(body.modifications.as_ref()).map_err(|e| {
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Cannot modify variables for {what} {scope}: {}", e.message),
        )
    })?;
    state
        .engine
        .modify_variables(scope, vars, body.deletions.unwrap_or_default(), true)
        .await
        .map_err(|e| {
            let inner = service_error(e, NotFoundAs::ServerError);
            RestError::rest_from_engine(
                inner.status,
                format!(
                    "Cannot modify variables for {what} {scope}: {}",
                    inner.message
                ),
            )
        })?;
    Ok(no_content())
}

async fn instance_all(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    all(&s, &id, &p).await
}
async fn instance_one(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
) -> Result<Response, RestError> {
    one(&s, &id, &name, &p, "process instance").await
}
async fn instance_data(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, RestError> {
    data(&s, &id, &name, "process instance").await
}
async fn instance_put(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Body(dto): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    put(&s, &id, &name, dto, "process instance").await
}
async fn instance_delete(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, RestError> {
    remove(&s, &id, &name, "process instance").await
}
async fn instance_modify(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<Modifications>,
) -> Result<Response, RestError> {
    modify(&s, &id, b, "process instance").await
}
async fn execution_all(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    all(&s, &id, &p).await
}
async fn execution_one(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
) -> Result<Response, RestError> {
    one(&s, &id, &name, &p, "execution").await
}
async fn execution_data(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, RestError> {
    data(&s, &id, &name, "execution").await
}
async fn execution_put(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Body(dto): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    put(&s, &id, &name, dto, "execution").await
}
async fn execution_delete(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, RestError> {
    remove(&s, &id, &name, "execution").await
}
async fn execution_modify(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<Modifications>,
) -> Result<Response, RestError> {
    modify(&s, &id, b, "execution").await
}

/// Parses Camunda's `variables=name_op_value,name_op_value` query parameter into
/// filters on the process instance whose id is in `instance_column`.
pub fn variable_filters(
    text: &str,
    instance_column: &'static str,
    names_ignore_case: bool,
    values_ignore_case: bool,
) -> Result<Vec<Filter>, RestError> {
    let mut filters = Vec::new();
    for expr in text.split(',').filter(|e| !e.is_empty()) {
        let parsed = [
            "_eq_", "_neq_", "_gteq_", "_gt_", "_lteq_", "_lt_", "_like_",
        ]
        .iter()
        .find_map(|sep| {
            expr.split_once(sep)
                .map(|(n, v)| (n, &sep[1..sep.len() - 1], v))
        });
        let Some((name, op, value)) = parsed else {
            return Err(RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!("variable query parameter has to have format KEY_OPERATOR_VALUE, but was '{expr}'"),
            ));
        };
        let op = Op::parse(op).unwrap_or(Op::Eq);
        filters.push(variable_filter(
            instance_column,
            name,
            op,
            &filter_operand(value),
            names_ignore_case,
            values_ignore_case,
        ));
    }
    Ok(filters)
}

/// A filter from a JSON `{name, operator, value}` (POST query bodies).
pub fn json_variable_filter(
    item: &Json,
    instance_column: &'static str,
    names_ignore_case: bool,
    values_ignore_case: bool,
) -> Result<Filter, RestError> {
    let name = item.get("name").and_then(Json::as_str).unwrap_or("");
    let op_name = item.get("operator").and_then(Json::as_str).unwrap_or("eq");
    let op = Op::parse(op_name).ok_or_else(|| {
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Invalid variable comparator specified: {op_name}"),
        )
    })?;
    let value = filter_operand_json(item.get("value").unwrap_or(&Json::Null));
    Ok(variable_filter(
        instance_column,
        name,
        op,
        &value,
        names_ignore_case,
        values_ignore_case,
    ))
}

/// One variable filter on a process instance.
pub fn variable_filter(
    instance_column: &'static str,
    name: &str,
    op: Op,
    value: &Value,
    names_ignore_case: bool,
    values_ignore_case: bool,
) -> Filter {
    Filter::Variable {
        instance_column,
        by_scope: false,
        name: name.to_owned(),
        op,
        value: procos_engine::service::messages::sql_operand(value),
        ignore_case: names_ignore_case || values_ignore_case,
    }
}
