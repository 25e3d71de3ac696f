//! Deployments: `POST /deployment/create` (multipart, as Camunda Modeler, pycamunda and
//! curl send it), listing, reading and deleting.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use procos_engine::service::DeployRequest;
use procos_engine::store::{Filter, Op, Query, SqlValue, Table};
use serde_json::{json, Value as Json};

use crate::dto::{self, DeploymentDto, ProcessDefinitionDto};
use crate::error::RestError;
use crate::http::{body_too_large, no_content, Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::AppState;

/// Deployment routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/deployment/create", post(create))
        .route("/deployment", get(list))
        .route("/deployment/count", get(count))
        .route("/deployment/{id}", get(one).delete(remove))
        .route("/deployment/{id}/resources", get(resources))
        .route("/deployment/{id}/resources/{name}/data", get(resource_data))
}

/// The text parts Camunda reads; every other part with a file name is a resource.
const TEXT_PARTS: &[&str] = &[
    "deployment-name",
    "deployment-source",
    "tenant-id",
    "deployment-activation-time",
    "enable-duplicate-filtering",
    "deploy-changed-only",
];

async fn create(
    State(state): State<AppState>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, RestError> {
    // A request that is not a multipart form has no resources, as Camunda words it.
    let mut multipart = multipart.map_err(|_| {
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            "No deployment resources contained in the form upload.",
        )
    })?;
    let mut req = DeployRequest::default();
    let bad = |e: axum::extract::multipart::MultipartError| {
        // The body limit shows up as a multipart error in the middle of a part.
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return body_too_large();
        }
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("The multipart form is not valid: {e}"),
        )
    };
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        if TEXT_PARTS.contains(&name.as_str()) {
            let text = field.text().await.map_err(bad)?;
            // Camunda reads the two flags with Boolean.parseBoolean (case-insensitive).
            let flag = text.trim().eq_ignore_ascii_case("true");
            match name.as_str() {
                "deployment-name" => req.name = Some(text),
                "deployment-source" => req.source = Some(text),
                "tenant-id" => req.tenant_id = Some(text).filter(|t| !t.is_empty()),
                "enable-duplicate-filtering" => req.duplicate_filtering = flag,
                "deploy-changed-only" => req.changed_only = flag,
                _ => {}
            }
            continue;
        }
        let Some(file_name) = file_name else {
            return Err(RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!("No file name found in the deployment resource described by form parameter '{name}'."),
            ));
        };
        let bytes = field.bytes().await.map_err(bad)?;
        req.resources.push((file_name, bytes.to_vec()));
    }
    let engine = &state.engine;
    let result = engine.deploy(req).await.or_rest(NotFoundAs::BadRequest)?;
    let mut body = serde_json::to_value(DeploymentDto::from_row(&result.deployment))
        .map_err(|e| RestError::engine(e.to_string()))?;
    if let Json::Object(map) = &mut body {
        let defs = result.definitions.map(|defs| {
            defs.iter()
                .map(|d| (d.id.clone(), json!(ProcessDefinitionDto::from_row(d))))
                .collect::<serde_json::Map<_, _>>()
        });
        map.insert(
            "deployedProcessDefinitions".to_owned(),
            defs.map_or(Json::Null, Json::Object),
        );
        map.insert("deployedCaseDefinitions".to_owned(), Json::Null);
        map.insert("deployedDecisionDefinitions".to_owned(), Json::Null);
        map.insert(
            "deployedDecisionRequirementsDefinitions".to_owned(),
            Json::Null,
        );
    }
    Ok(JsonResponse(body).into_response())
}

fn query(p: &Params) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [("id", "id"), ("name", "name"), ("source", "source")] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    if let Some(v) = p.str("nameLike") {
        q = q.filter(Filter::Cmp("name", Op::Like, SqlValue::Text(v.to_owned())));
    }
    if p.flag("withoutSource")? {
        q = q.filter(Filter::IsNull("source"));
    }
    if let Some(t) = p.list("tenantIdIn") {
        let values = t.into_iter().map(SqlValue::Text).collect();
        if p.flag("includeDeploymentsWithoutTenantId")? {
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
    if let Some(after) = p.date("after")? {
        q = q.filter(Filter::Cmp("deploy_time", Op::Gt, SqlValue::Int(after)));
    }
    if let Some(before) = p.date("before")? {
        q = q.filter(Filter::Cmp("deploy_time", Op::Lt, SqlValue::Int(before)));
    }
    Ok(q)
}

async fn list(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = query(&p)?;
    q.order = p.sorting(&[
        ("id", "id"),
        ("name", "name"),
        ("deploymentTime", "deploy_time"),
        ("tenantId", "tenant_id"),
    ])?;
    (q.first, q.max) = p.paging()?;
    let rows = state
        .engine
        .store()
        .deployments(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let dtos: Vec<DeploymentDto> = rows.iter().map(DeploymentDto::from_row).collect();
    Ok(JsonResponse(dtos).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p)?;
    let n = state
        .engine
        .store()
        .count(Table::Deployment, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn find(
    state: &AppState,
    id: &str,
) -> Result<procos_engine::store::DeploymentRow, RestError> {
    state
        .engine
        .store()
        .deployments(&Query::all().eq("id", id))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("Deployment with id '{id}' does not exist"),
            )
        })
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, RestError> {
    let row = find(&state, &id).await?;
    Ok(JsonResponse(DeploymentDto::from_row(&row)).into_response())
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    find(&state, &id).await?;
    let cascade = p.flag("cascade")?;
    let skip_listeners = p.flag("skipCustomListeners")?;
    state
        .engine
        .delete_deployment(&id, cascade, skip_listeners)
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

async fn resources(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    find(&state, &id).await?;
    let rows = state
        .engine
        .store()
        .resources(&id)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows
        .iter()
        .map(|r| json!({"id": r.name, "name": r.name, "deploymentId": r.deployment_id}))
        .collect();
    Ok(JsonResponse(list).into_response())
}

async fn resource_data(
    State(state): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, RestError> {
    let row = state
        .engine
        .store()
        .resource(&id, &name)
        .await
        .or_rest(NotFoundAs::ServerError)?
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("Deployment resource '{name}' for deployment id '{id}' does not exist."),
            )
        })?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        row.content,
    )
        .into_response())
}
