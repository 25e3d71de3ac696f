//! `POST /signal`: broadcast a signal, or deliver it to one execution.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::error::RestError;
use crate::http::{no_content, Body, NotFoundAs, OrRest};
use crate::values::variables_from_dto;
use crate::AppState;

/// Signal routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/signal", post(signal))
}

/// `SignalDto`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignalDto {
    name: Option<String>,
    execution_id: Option<String>,
    variables: Option<Map<String, Json>>,
    tenant_id: Option<String>,
    #[serde(default)]
    without_tenant_id: Option<bool>,
}

async fn signal(
    State(state): State<AppState>,
    Body(b): Body<SignalDto>,
) -> Result<Response, RestError> {
    let name = b.name.filter(|n| !n.is_empty()).ok_or_else(|| {
        RestError::invalid_request(StatusCode::BAD_REQUEST, "No signal name given")
    })?;
    if b.tenant_id.is_some() && b.without_tenant_id == Some(true) {
        return Err(RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            "Parameter 'tenantId' cannot be used together with parameter 'withoutTenantId'.",
        ));
    }
    let tenant = match (b.tenant_id, b.without_tenant_id) {
        (Some(t), _) => Some(Some(t)),
        (None, Some(true)) => Some(None),
        _ => None,
    };
    let variables = variables_from_dto(b.variables.as_ref()).map_err(RestError::from)?;
    state
        .engine
        .signal(&name, variables, b.execution_id.as_deref(), tenant)
        .await
        .or_rest(NotFoundAs::BadRequest)?;
    Ok(no_content())
}
