//! Executions: list, count, read, and `POST /execution/{id}/signal` for receive tasks.
//!
//! procos's executions are the tokens of the instance state: the process instance
//! itself and every activity instance.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use procos_engine::runtime::{Instance, SubscriptionKind};
use procos_engine::service::ServiceError;
use procos_engine::store::{Filter, Query, SqlValue};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{
    no_content, service_error, Body, Json as JsonResponse, NotFoundAs, OrRest, Params,
};
use crate::values::variables_from_dto;
use crate::AppState;

/// Execution routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/execution", get(list))
        .route("/execution/count", get(count))
        .route("/execution/{id}", get(one))
        .route("/execution/{id}/signal", post(signal))
}

struct Execution {
    id: String,
    instance_id: String,
    tenant_id: Option<String>,
}

/// Every execution of the instances matching the filters.
async fn executions(state: &AppState, p: &Params) -> Result<Vec<Execution>, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("processInstanceId", "id"),
        ("businessKey", "business_key"),
        ("processDefinitionId", "definition_id"),
        ("processDefinitionKey", "definition_key"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    if let Some(t) = p.list("tenantIdIn") {
        q = q.filter(Filter::In(
            "tenant_id",
            t.into_iter().map(SqlValue::Text).collect(),
        ));
    }
    if p.flag("active")? {
        q = q.eq("suspended", false);
    }
    if p.flag("suspended")? {
        q = q.eq("suspended", true);
    }
    let activity = p.str("activityId");
    let message = p.str("messageEventSubscriptionName");
    let signal = p.str("signalEventSubscriptionName");
    let execution_id = p.str("executionId");
    let rows = state
        .engine
        .store()
        .instances(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let mut out = Vec::new();
    for row in rows {
        let Ok(instance) = serde_json::from_str::<Instance>(&row.state) else {
            continue;
        };
        let graph = state
            .engine
            .definitions()
            .get(&row.definition_id)
            .await
            .ok();
        for token in &instance.tokens {
            let id = token.id.to_string();
            if execution_id.is_some_and(|e| e != id) {
                continue;
            }
            if let Some(activity) = activity {
                let at = match (&graph, token.node) {
                    (Some(g), Some(n)) => *g.graph.node(n).id == *activity,
                    _ => false,
                };
                if !at {
                    continue;
                }
            }
            let subscribed = |want: &str, message: bool| {
                token.subs.iter().any(|s| match &s.kind {
                    SubscriptionKind::Message(n) => message && n == want,
                    SubscriptionKind::Signal(n) => !message && n == want,
                    SubscriptionKind::Timer { .. }
                    | SubscriptionKind::Async { .. }
                    | SubscriptionKind::Conditional => false,
                })
            };
            if message.is_some_and(|m| !subscribed(m, true))
                || signal.is_some_and(|s| !subscribed(s, false))
            {
                continue;
            }
            out.push(Execution {
                id,
                instance_id: row.id.clone(),
                tenant_id: row.tenant_id.clone(),
            });
        }
    }
    Ok(out)
}

fn execution_dto(e: &Execution) -> Json {
    json!({"id": e.id, "processInstanceId": e.instance_id, "ended": false, "tenantId": e.tenant_id})
}

async fn list(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let all = executions(&state, &p).await?;
    let (first, max) = p.paging()?;
    let list: Vec<Json> = all
        .iter()
        .skip(usize::try_from(first).unwrap_or(0))
        .take(
            max.and_then(|m| usize::try_from(m).ok())
                .unwrap_or(usize::MAX),
        )
        .map(execution_dto)
        .collect();
    Ok(JsonResponse(list).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let all = executions(&state, &p).await?;
    Ok(JsonResponse(dto::count(all.len() as i64)).into_response())
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, RestError> {
    let found = state
        .engine
        .instance_of_execution(&id)
        .await
        .or_rest(NotFoundAs::ServerError)?
        .filter(|(_, inst)| inst.tokens.iter().any(|t| t.id.to_string() == id));
    let (row, _) = found.ok_or_else(|| {
        RestError::invalid_request(
            StatusCode::NOT_FOUND,
            format!("Execution with id {id} does not exist"),
        )
    })?;
    Ok(JsonResponse(execution_dto(&Execution {
        id,
        instance_id: row.id,
        tenant_id: row.tenant_id,
    }))
    .into_response())
}

#[derive(Debug, Default, Deserialize)]
struct SignalDto {
    variables: Option<Map<String, Json>>,
}

async fn signal(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<SignalDto>,
) -> Result<Response, RestError> {
    let variables = variables_from_dto(b.variables.as_ref()).map_err(RestError::from)?;
    match state.engine.signal_execution(&id, variables).await {
        Ok(()) => Ok(no_content()),
        Err(ServiceError::NotFound(m)) => Err(RestError::engine(m)),
        Err(e) => Err(service_error(e, NotFoundAs::ServerError)),
    }
}
