//! Running process instances: list and count (GET and POST), read, delete.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use procos_engine::store::{Filter, Op, Query, SqlValue, SubSelect, Table};
use serde_json::{Map, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{no_content, sorting, Body, Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::AppState;

use super::variables::{json_variable_filter, variable_filters};

/// Process instance routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/process-instance", get(list).post(list_post))
        .route("/process-instance/count", get(count).post(count_post))
        .route("/process-instance/{id}", get(one).delete(remove))
}

const SORT: &[(&str, &str)] = &[
    ("instanceId", "id"),
    ("definitionKey", "definition_key"),
    ("definitionId", "definition_id"),
    ("tenantId", "tenant_id"),
    ("businessKey", "business_key"),
];

/// The query, from query-string parameters (a POST body is turned into the same shape).
fn query(p: &Params, json_variables: Option<&Json>) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("businessKey", "business_key"),
        ("processDefinitionId", "definition_id"),
        ("processDefinitionKey", "definition_key"),
        ("superProcessInstance", "super_instance_id"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    if let Some(v) = p.str("businessKeyLike") {
        q = q.filter(Filter::Cmp(
            "business_key",
            Op::Like,
            SqlValue::Text(v.to_owned()),
        ));
    }
    for (param, col) in [
        ("processInstanceIds", "id"),
        ("processDefinitionKeyIn", "definition_key"),
        ("tenantIdIn", "tenant_id"),
    ] {
        if let Some(list) = p.list(param) {
            q = q.filter(Filter::In(
                col,
                list.into_iter().map(SqlValue::Text).collect(),
            ));
        }
    }
    if let Some(list) = p.list("processDefinitionKeyNotIn") {
        q = q.filter(Filter::NotIn(
            "definition_key",
            list.into_iter().map(SqlValue::Text).collect(),
        ));
    }
    if let Some(sub) = p.str("subProcessInstance") {
        q = q.filter(Filter::InSubSelect(
            "id",
            SubSelect::SuperInstancesOf,
            vec![SqlValue::Text(sub.to_owned())],
        ));
    }
    if p.flag("active")? {
        q = q.eq("suspended", false);
    }
    if p.flag("suspended")? {
        q = q.eq("suspended", true);
    }
    if p.flag("withoutTenantId")? {
        q = q.filter(Filter::IsNull("tenant_id"));
    }
    if p.flag("rootProcessInstances")? {
        q = q.filter(Filter::IsNull("super_instance_id"));
    }
    if p.flag("withIncident")? {
        q = q.filter(Filter::InSubSelect(
            "id",
            SubSelect::InstancesWithIncident,
            Vec::new(),
        ));
    }
    if let Some(list) = p.list("activityIdIn") {
        q = q.filter(Filter::InSubSelect(
            "id",
            SubSelect::InstancesAtActivity,
            list.into_iter().map(SqlValue::Text).collect(),
        ));
    }
    let names_ic = p.flag("variableNamesIgnoreCase")?;
    let values_ic = p.flag("variableValuesIgnoreCase")?;
    if let Some(text) = p.str("variables") {
        q.filters.extend(variable_filters(
            text,
            "process_instance.id",
            names_ic,
            values_ic,
        )?);
    }
    if let Some(Json::Array(items)) = json_variables {
        for item in items {
            q = q.filter(json_variable_filter(
                item,
                "process_instance.id",
                names_ic,
                values_ic,
            )?);
        }
    }
    Ok(q)
}

/// A POST query body as query parameters: scalars as text, arrays of scalars as comma
/// lists; `variables` and `sorting` stay structured.
pub fn params_from_body(body: &Map<String, Json>) -> Params {
    let mut pairs = Vec::new();
    for (k, v) in body {
        let text = match v {
            Json::String(s) => s.clone(),
            Json::Bool(b) => b.to_string(),
            Json::Number(n) => n.to_string(),
            Json::Array(items) if items.iter().all(|i| !i.is_object()) => items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(","),
            _ => continue,
        };
        pairs.push((k.clone(), text));
    }
    Params(pairs)
}

/// The first entry of a POST body's `sorting` list.
pub fn body_sorting(
    body: &Map<String, Json>,
    allowed: &[(&str, &'static str)],
) -> Result<Vec<(&'static str, procos_engine::store::Order)>, RestError> {
    match body
        .get("sorting")
        .and_then(Json::as_array)
        .and_then(|s| s.first())
    {
        Some(first) => sorting(
            first.get("sortBy").and_then(Json::as_str),
            first.get("sortOrder").and_then(Json::as_str),
            allowed,
        ),
        None => Ok(Vec::new()),
    }
}

async fn run_list(state: &AppState, q: Query) -> Result<Response, RestError> {
    let rows = state
        .engine
        .store()
        .instances(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows.iter().map(dto::instance_row).collect();
    Ok(JsonResponse(list).into_response())
}

async fn list(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = query(&p, None)?;
    q.order = p.sorting(SORT)?;
    (q.first, q.max) = p.paging()?;
    run_list(&state, q).await
}

async fn list_post(
    State(state): State<AppState>,
    p: Params,
    Body(body): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    let bp = params_from_body(&body);
    let mut q = query(&bp, body.get("variables"))?;
    q.order = body_sorting(&body, SORT)?;
    (q.first, q.max) = p.paging()?;
    run_list(&state, q).await
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p, None)?;
    let n = state
        .engine
        .store()
        .count(Table::Instance, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn count_post(
    State(state): State<AppState>,
    Body(body): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    let q = query(&params_from_body(&body), body.get("variables"))?;
    let n = state
        .engine
        .store()
        .count(Table::Instance, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

fn missing(id: &str) -> RestError {
    RestError::invalid_request(
        StatusCode::NOT_FOUND,
        format!("Process instance with id {id} does not exist"),
    )
}

async fn one(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    let row = state
        .engine
        .store()
        .instances(&Query::all().eq("id", id.as_str()))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next()
        .ok_or_else(|| missing(&id))?;
    let body = dto::process_instance(
        &super::base_url(&headers),
        &row.id,
        &row.definition_id,
        &row.definition_key,
        row.business_key.as_deref(),
        row.tenant_id.as_deref(),
        false,
        row.suspended,
    );
    Ok(JsonResponse(body).into_response())
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    let skip_listeners = p.bool("skipCustomListeners")?.unwrap_or(false);
    match state.engine.delete_instance(&id, skip_listeners).await {
        Ok(()) => Ok(no_content()),
        Err(procos_engine::service::ServiceError::NotFound(_)) => {
            if p.bool("failIfNotExists")? == Some(false) {
                Ok(no_content())
            } else {
                Err(missing(&id))
            }
        }
        Err(e) => Err(crate::http::service_error(e, NotFoundAs::NotFound)),
    }
}
