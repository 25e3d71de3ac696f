//! `POST /message`: correlate a message to a waiting execution or a message start event.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use procos_engine::service::messages::{Correlate, Correlated};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::error::RestError;
use crate::http::{no_content, Body, Json as JsonResponse, NotFoundAs, OrRest};
use crate::values::{value_from_dto, variables_from_dto, variables_to_json, VariableValueDto};
use crate::AppState;

/// Message routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/message", post(correlate))
}

/// `CorrelationMessageDto`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CorrelationDto {
    message_name: Option<String>,
    business_key: Option<String>,
    tenant_id: Option<String>,
    #[serde(default)]
    without_tenant_id: Option<bool>,
    process_instance_id: Option<String>,
    correlation_keys: Option<Map<String, Json>>,
    local_correlation_keys: Option<Map<String, Json>>,
    process_variables: Option<Map<String, Json>>,
    process_variables_local: Option<Map<String, Json>>,
    #[serde(default)]
    all: Option<bool>,
    #[serde(default)]
    result_enabled: Option<bool>,
    #[serde(default)]
    variables_in_result_enabled: Option<bool>,
}

fn keys(
    map: Option<&Map<String, Json>>,
) -> Result<Vec<(String, procos_engine::value::Value)>, RestError> {
    let mut out = Vec::new();
    for (name, raw) in map.into_iter().flatten() {
        let dto = match raw {
            Json::Object(o) => VariableValueDto::from_object(o).map_err(RestError::from)?,
            _ => VariableValueDto::default(),
        };
        let (value, _) = value_from_dto(&dto).map_err(RestError::from)?;
        out.push((name.clone(), value));
    }
    Ok(out)
}

async fn correlate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(b): Body<CorrelationDto>,
) -> Result<Response, RestError> {
    let message = b.message_name.filter(|m| !m.is_empty()).ok_or_else(|| {
        RestError::invalid_request(StatusCode::BAD_REQUEST, "No message name supplied")
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
    let request = Correlate {
        message: message.clone(),
        business_key: b.business_key,
        instance_id: b.process_instance_id,
        tenant,
        correlation_keys: keys(b.correlation_keys.as_ref())?,
        local_correlation_keys: keys(b.local_correlation_keys.as_ref())?,
        variables: variables_from_dto(b.process_variables.as_ref()).map_err(RestError::from)?,
        local_variables: variables_from_dto(b.process_variables_local.as_ref())
            .map_err(RestError::from)?,
        all: b.all.unwrap_or(false),
    };
    let results = state
        .engine
        .correlate(&request)
        .await
        .or_rest(NotFoundAs::BadRequest)?;
    if b.result_enabled != Some(true) {
        return Ok(no_content());
    }
    let with_vars = b.variables_in_result_enabled == Some(true);
    let base = super::base_url(&headers);
    let list: Vec<Json> = results
        .iter()
        .map(|r| match r {
            Correlated::Execution {
                execution_id,
                instance_id,
                ended,
                variables,
            } => {
                let mut o = json!({
                    "resultType": "Execution",
                    "execution": {"id": execution_id, "processInstanceId": instance_id, "ended": ended, "tenantId": null},
                    "processInstance": null,
                });
                if with_vars {
                    o["variables"] = variables_to_json(variables.iter().map(|v| (v.name.as_str(), &v.value)), false);
                }
                o
            }
            Correlated::Started {
                definition_id,
                started,
                business_key,
            } => {
                let key = procos_engine::service::deploy::definition_key_of(definition_id).unwrap_or("");
                let mut o = json!({
                    "resultType": "ProcessDefinition",
                    "execution": null,
                    "processInstance": crate::dto::process_instance(
                        &base, &started.id, definition_id, key, business_key.as_deref(), None, started.ended, false,
                    ),
                });
                if with_vars {
                    o["variables"] = variables_to_json(started.variables.iter().map(|v| (v.name.as_str(), &v.value)), false);
                }
                o
            }
        })
        .collect();
    Ok(JsonResponse(list).into_response())
}
