//! Process definitions: list, count, read (by id, by key, by key and tenant), XML, and
//! start.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use procos_engine::service::instances::StartRequest;
use procos_engine::store::{DefinitionRow, Filter, Op, Query, SqlValue, SubSelect, Table};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::dto::{self, ProcessDefinitionDto};
use crate::error::RestError;
use crate::http::{service_error, Body, Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::values::{variables_from_dto, variables_to_json};
use crate::AppState;

/// Process definition routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/process-definition", get(list))
        .route("/process-definition/count", get(count))
        .route("/process-definition/{id}", get(by_id))
        .route("/process-definition/{id}/xml", get(xml_by_id))
        .route("/process-definition/{id}/start", post(start_by_id))
        .route("/process-definition/key/{key}", get(by_key))
        .route("/process-definition/key/{key}/xml", get(xml_by_key))
        .route("/process-definition/key/{key}/start", post(start_by_key))
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}",
            get(by_key_and_tenant),
        )
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}/xml",
            get(xml_by_key_and_tenant),
        )
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}/start",
            post(start_by_key_and_tenant),
        )
}

const SORT: &[(&str, &str)] = &[
    ("category", "category"),
    ("key", "key"),
    ("id", "id"),
    ("name", "name"),
    ("version", "version"),
    ("deploymentId", "deployment_id"),
    ("tenantId", "tenant_id"),
    ("versionTag", "version_tag"),
];

fn text(v: &str) -> SqlValue {
    SqlValue::Text(v.to_owned())
}

fn query(p: &Params) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("processDefinitionId", "id"),
        ("name", "name"),
        ("deploymentId", "deployment_id"),
        ("key", "key"),
        ("category", "category"),
        ("resourceName", "resource_name"),
        ("versionTag", "version_tag"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    for (param, col) in [
        ("nameLike", "name"),
        ("keyLike", "key"),
        ("categoryLike", "category"),
        ("resourceNameLike", "resource_name"),
        ("versionTagLike", "version_tag"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.filter(Filter::Cmp(col, Op::Like, text(v)));
        }
    }
    for (param, col) in [
        ("processDefinitionIdIn", "id"),
        ("keysIn", "key"),
        ("keyIn", "key"),
    ] {
        if let Some(list) = p.list(param) {
            q = q.filter(Filter::In(
                col,
                list.into_iter().map(SqlValue::Text).collect(),
            ));
        }
    }
    if let Some(v) = p.int("version")? {
        q = q.eq("version", v);
    }
    if p.flag("latestVersion")? {
        q = q.filter(Filter::InSubSelect(
            "id",
            SubSelect::LatestDefinitions,
            Vec::new(),
        ));
    }
    if p.flag("active")? {
        q = q.eq("suspended", false);
    }
    if p.flag("suspended")? {
        q = q.eq("suspended", true);
    }
    if p.flag("withoutVersionTag")? {
        q = q.filter(Filter::IsNull("version_tag"));
    }
    if p.flag("startableInTasklist")? {
        q = q.eq("startable", true);
    }
    if p.flag("notStartableInTasklist")? {
        q = q.eq("startable", false);
    }
    if let Some(t) = p.list("tenantIdIn") {
        let values = t.into_iter().map(SqlValue::Text).collect();
        if p.flag("includeProcessDefinitionsWithoutTenantId")? {
            q = q.filter(Filter::Any(vec![
                Filter::In("tenant_id", values),
                Filter::IsNull("tenant_id"),
            ]));
        } else {
            q = q.filter(Filter::In("tenant_id", values));
        }
    }
    if p.flag("withoutTenantId")? {
        q = q.filter(Filter::IsNull("tenant_id"));
    }
    Ok(q)
}

async fn list(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = query(&p)?;
    q.order = p.sorting(SORT)?;
    (q.first, q.max) = p.paging()?;
    let rows = state
        .engine
        .store()
        .definitions(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let dtos: Vec<ProcessDefinitionDto> = rows.iter().map(ProcessDefinitionDto::from_row).collect();
    Ok(JsonResponse(dtos).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p)?;
    let n = state
        .engine
        .store()
        .count(Table::Definition, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn find_by_id(state: &AppState, id: &str) -> Result<Option<DefinitionRow>, RestError> {
    Ok(state
        .engine
        .store()
        .definitions(&Query::all().eq("id", id))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next())
}

/// The latest version of `key`. Without a tenant Camunda looks only at definitions
/// without a tenant; procos falls back to the single tenant that has the key, so that
/// processes deployed with a tenant can still be started by key (a documented
/// difference from Camunda).
async fn find_latest(
    state: &AppState,
    key: &str,
    tenant: Option<&str>,
) -> Result<DefinitionRow, RestError> {
    let mut q = Query::all().eq("key", key);
    q.order = vec![("version", procos_engine::store::Order::Desc)];
    let rows = state
        .engine
        .store()
        .definitions(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let found = match tenant {
        Some(t) => rows.into_iter().find(|d| d.tenant_id.as_deref() == Some(t)),
        None => {
            let without = rows.iter().find(|d| d.tenant_id.is_none()).cloned();
            without.or_else(|| {
                let mut tenants: Vec<&Option<String>> = rows.iter().map(|d| &d.tenant_id).collect();
                tenants.dedup();
                if tenants.len() == 1 {
                    rows.into_iter().next()
                } else {
                    None
                }
            })
        }
    };
    found.ok_or_else(|| {
        let message = match tenant {
            Some(t) => format!("No matching process definition with key: {key} and tenant-id: {t}"),
            None => format!("No matching process definition with key: {key} and no tenant-id"),
        };
        RestError::rest(StatusCode::NOT_FOUND, message)
    })
}

fn definition_missing(id: &str) -> RestError {
    RestError::invalid_request(
        StatusCode::NOT_FOUND,
        format!("No matching definition with id {id}"),
    )
}

async fn by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    let row = find_by_id(&state, &id)
        .await?
        .ok_or_else(|| definition_missing(&id))?;
    Ok(JsonResponse(ProcessDefinitionDto::from_row(&row)).into_response())
}

async fn by_key(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, RestError> {
    let row = find_latest(&state, &key, None).await?;
    Ok(JsonResponse(ProcessDefinitionDto::from_row(&row)).into_response())
}

async fn by_key_and_tenant(
    State(state): State<AppState>,
    Path((key, tenant)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let row = find_latest(&state, &key, Some(&tenant)).await?;
    Ok(JsonResponse(ProcessDefinitionDto::from_row(&row)).into_response())
}

async fn xml(state: &AppState, row: &DefinitionRow) -> Result<Response, RestError> {
    let resource = state
        .engine
        .store()
        .resource(&row.deployment_id, &row.resource_name)
        .await
        .or_rest(NotFoundAs::ServerError)?
        .ok_or_else(|| definition_missing(&row.id))?;
    let text = String::from_utf8_lossy(&resource.content).into_owned();
    Ok(JsonResponse(json!({ "id": row.id, "bpmn20Xml": text })).into_response())
}

async fn xml_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    let row = find_by_id(&state, &id)
        .await?
        .ok_or_else(|| definition_missing(&id))?;
    xml(&state, &row).await
}

async fn xml_by_key(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Response, RestError> {
    let row = find_latest(&state, &key, None).await?;
    xml(&state, &row).await
}

async fn xml_by_key_and_tenant(
    State(state): State<AppState>,
    Path((key, tenant)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let row = find_latest(&state, &key, Some(&tenant)).await?;
    xml(&state, &row).await
}

/// `StartProcessInstanceDto`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartBody {
    business_key: Option<String>,
    variables: Option<Map<String, Json>>,
    #[serde(default)]
    with_variables_in_return: Option<bool>,
    start_instructions: Option<Vec<Json>>,
}

/// Starts an instance of definition `id`; `fresh` is its row when the caller just read
/// it (by key), which spares reading it again for its suspension flag.
async fn start(
    state: &AppState,
    headers: &HeaderMap,
    id: &str,
    fresh: Option<&DefinitionRow>,
    body: StartBody,
) -> Result<Response, RestError> {
    let wrap = |message: String| format!("Cannot instantiate process definition {id}: {message}");
    let variables = variables_from_dto(body.variables.as_ref())
        .map_err(|e| RestError::invalid_request(StatusCode::BAD_REQUEST, wrap(e.message)))?;
    let start_at = body
        .start_instructions
        .as_ref()
        .and_then(|list| list.first())
        .and_then(|i| i.get("activityId"))
        .and_then(|a| a.as_str())
        .map(str::to_owned);
    let req = StartRequest {
        business_key: body.business_key.clone(),
        variables,
        start_at,
    };
    let started = match fresh {
        Some(row) => state.engine.start_instance_of(row, req).await,
        None => state.engine.start_instance(id, req).await,
    };
    let (deployed, started) = started.map_err(|e| {
        let inner = service_error(e, NotFoundAs::ServerError);
        RestError::rest_from_engine(
            inner.status.max(StatusCode::INTERNAL_SERVER_ERROR),
            wrap(inner.message),
        )
    })?;
    let mut dto = dto::process_instance(
        &super::base_url(headers),
        &started.id,
        &deployed.row.id,
        &deployed.row.key,
        body.business_key.as_deref(),
        deployed.row.tenant_id.as_deref(),
        started.ended,
        false,
    );
    if body.with_variables_in_return == Some(true) {
        if let Json::Object(map) = &mut dto {
            map.insert(
                "variables".to_owned(),
                variables_to_json(
                    started
                        .variables
                        .iter()
                        .map(|v| (v.name.as_str(), &v.value)),
                    false,
                ),
            );
        }
    }
    Ok(JsonResponse(dto).into_response())
}

async fn start_by_id(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Body(body): Body<StartBody>,
) -> Result<Response, RestError> {
    start(&state, &headers, &id, None, body).await
}

async fn start_by_key(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
    Body(body): Body<StartBody>,
) -> Result<Response, RestError> {
    let row = find_latest(&state, &key, None).await?;
    start(&state, &headers, &row.id, Some(&row), body).await
}

async fn start_by_key_and_tenant(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((key, tenant)): Path<(String, String)>,
    Body(body): Body<StartBody>,
) -> Result<Response, RestError> {
    let row = find_latest(&state, &key, Some(&tenant)).await?;
    start(&state, &headers, &row.id, Some(&row), body).await
}
