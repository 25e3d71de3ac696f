//! `POST /condition`: start process instances through their conditional start events.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use procos_engine::service::conditions::ConditionEvaluation;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{Body, Json as JsonResponse, NotFoundAs, OrRest};
use crate::values::variables_from_dto;
use crate::AppState;

/// Condition routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/condition", post(evaluate))
}

/// `EvaluationConditionDto`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EvaluationConditionDto {
    variables: Option<Map<String, Json>>,
    business_key: Option<String>,
    process_definition_id: Option<String>,
    tenant_id: Option<String>,
    #[serde(default)]
    without_tenant_id: Option<bool>,
}

async fn evaluate(
    State(state): State<AppState>,
    headers: HeaderMap,
    Body(b): Body<EvaluationConditionDto>,
) -> Result<Response, RestError> {
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
    let started = state
        .engine
        .evaluate_start_conditions(&ConditionEvaluation {
            variables,
            business_key: b.business_key.clone(),
            definition_id: b.process_definition_id,
            tenant,
        })
        .await
        .or_rest(NotFoundAs::BadRequest)?;
    let base = super::base_url(&headers);
    let list: Vec<Json> = started
        .iter()
        .map(|(deployed, s)| {
            let mut dto = dto::process_instance(
                &base,
                &s.id,
                &deployed.row.id,
                &deployed.row.key,
                b.business_key.as_deref(),
                deployed.row.tenant_id.as_deref(),
                s.ended,
                false,
            );
            // Camunda's `ProcessInstanceDto.fromProcessInstance` carries no links here.
            if let Json::Object(map) = &mut dto {
                map.insert("links".to_owned(), Json::Array(Vec::new()));
            }
            dto
        })
        .collect();
    Ok(JsonResponse(Json::Array(list)).into_response())
}
