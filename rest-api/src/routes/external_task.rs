//! External tasks: fetch-and-lock with long polling, complete, failure, BPMN error, lock
//! management, retries, and queries.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use procos_engine::service::external_tasks::Failure;
use procos_engine::service::fetch::{Fetch, FetchTopic};
use procos_engine::store::{Filter, Op, Query, SqlValue, Table};
use serde::Deserialize;
use serde_json::{json, Map, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{date, no_content, Body, Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::values::{untyped_value, value_to_json, variables_from_dto};
use crate::AppState;

use super::variables::variable_filter;

/// External task routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/external-task/fetchAndLock", post(fetch_and_lock))
        .route("/external-task", get(list))
        .route("/external-task/count", get(count))
        .route("/external-task/{id}", get(one))
        .route("/external-task/{id}/complete", post(complete))
        .route("/external-task/{id}/failure", post(failure))
        .route("/external-task/{id}/bpmnError", post(bpmn_error))
        .route("/external-task/{id}/extendLock", post(extend_lock))
        .route("/external-task/{id}/lock", post(lock))
        .route("/external-task/{id}/unlock", post(unlock))
        .route("/external-task/{id}/retries", put(retries))
        .route("/external-task/{id}/priority", put(priority))
        .route("/external-task/{id}/errorDetails", get(error_details))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TopicDto {
    topic_name: Option<String>,
    #[serde(default)]
    lock_duration: Option<i64>,
    variables: Option<Vec<String>>,
    #[serde(default)]
    local_variables: Option<bool>,
    #[serde(default)]
    deserialize_values: Option<bool>,
    #[serde(default)]
    include_extension_properties: Option<bool>,
    business_key: Option<String>,
    process_definition_id: Option<String>,
    process_definition_id_in: Option<Vec<String>>,
    process_definition_key: Option<String>,
    process_definition_key_in: Option<Vec<String>>,
    process_definition_version_tag: Option<String>,
    tenant_id_in: Option<Vec<String>>,
    #[serde(default)]
    without_tenant_id: Option<bool>,
    process_variables: Option<Map<String, Json>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FetchDto {
    worker_id: Option<String>,
    #[serde(default)]
    max_tasks: Option<i64>,
    #[serde(default)]
    use_priority: Option<bool>,
    async_response_timeout: Option<u64>,
    sorting: Option<Vec<Json>>,
    topics: Option<Vec<TopicDto>>,
}

fn topic_filters(t: &TopicDto) -> Vec<Filter> {
    let mut f = Vec::new();
    let text = |s: &str| SqlValue::Text(s.to_owned());
    if let Some(bk) = &t.business_key {
        f.push(Filter::Cmp("business_key", Op::Eq, text(bk)));
    }
    if let Some(id) = &t.process_definition_id {
        f.push(Filter::Cmp("definition_id", Op::Eq, text(id)));
    }
    if let Some(ids) = &t.process_definition_id_in {
        f.push(Filter::In(
            "definition_id",
            ids.iter().map(|s| text(s)).collect(),
        ));
    }
    if let Some(key) = &t.process_definition_key {
        f.push(Filter::Cmp("definition_key", Op::Eq, text(key)));
    }
    if let Some(keys) = &t.process_definition_key_in {
        f.push(Filter::In(
            "definition_key",
            keys.iter().map(|s| text(s)).collect(),
        ));
    }
    if let Some(tag) = &t.process_definition_version_tag {
        f.push(Filter::Cmp("version_tag", Op::Eq, text(tag)));
    }
    if let Some(tenants) = &t.tenant_id_in {
        f.push(Filter::In(
            "tenant_id",
            tenants.iter().map(|s| text(s)).collect(),
        ));
    }
    if t.without_tenant_id == Some(true) {
        f.push(Filter::IsNull("tenant_id"));
    }
    if let Some(vars) = &t.process_variables {
        for (name, raw) in vars {
            // Camunda passes processVariables raw: plain JSON values, compared for equality.
            let value = untyped_value(raw);
            f.push(variable_filter(
                "external_task.instance_id",
                name,
                Op::Eq,
                &value,
                false,
                false,
            ));
        }
    }
    f
}

async fn fetch_and_lock(
    State(state): State<AppState>,
    Body(dto): Body<FetchDto>,
) -> Result<Response, RestError> {
    let topics = dto.topics.unwrap_or_default();
    let create_time_asc = dto
        .sorting
        .as_ref()
        .and_then(|s| s.first())
        .and_then(|s| {
            let by = s.get("sortBy").and_then(Json::as_str)?;
            if by != "createTime" {
                return Some(Err(by.to_owned()));
            }
            Some(Ok(s.get("sortOrder").and_then(Json::as_str) != Some("desc")))
        })
        .transpose()
        .map_err(|by| {
            RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!("Cannot set query sortBy parameter to value {by}"),
            )
        })?;
    let fetch = Fetch {
        worker_id: dto.worker_id.unwrap_or_default(),
        max_tasks: dto.max_tasks.unwrap_or(0),
        use_priority: dto.use_priority.unwrap_or(false),
        create_time_asc,
        async_response_timeout: dto.async_response_timeout,
        topics: topics
            .iter()
            .filter_map(|t| {
                Some(FetchTopic {
                    topic: t.topic_name.clone()?,
                    lock_duration: t.lock_duration.unwrap_or(0),
                    variables: t.variables.clone(),
                    local_variables: t.local_variables.unwrap_or(false),
                    include_extension_properties: t.include_extension_properties.unwrap_or(false),
                    filters: topic_filters(t),
                })
            })
            .collect(),
    };
    let locked = state
        .engine
        .fetch_and_lock(&fetch)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = locked
        .iter()
        .map(|task| {
            let t = &task.row;
            let deserialize = topics
                .iter()
                .find(|d| d.topic_name.as_deref() == Some(t.topic.as_str()))
                .and_then(|d| d.deserialize_values)
                .unwrap_or(false);
            let variables: Map<String, Json> = task
                .variables
                .iter()
                .map(|(n, v)| (n.clone(), value_to_json(v, deserialize)))
                .collect();
            let properties: Map<String, Json> = task
                .extension_properties
                .iter()
                .map(|(k, v)| (k.clone(), Json::String(v.clone())))
                .collect();
            json!({
                "activityId": t.activity_id,
                "activityInstanceId": t.activity_instance_id,
                "errorMessage": t.error_message,
                "errorDetails": t.error_details,
                "executionId": t.execution_id,
                "id": t.id,
                "lockExpirationTime": date(t.lock_expiration),
                "createTime": date(Some(t.create_time)),
                "processDefinitionId": t.definition_id,
                "processDefinitionKey": t.definition_key,
                "processDefinitionVersionTag": t.version_tag,
                "processInstanceId": t.instance_id,
                "tenantId": t.tenant_id,
                "retries": t.retries,
                "suspended": t.suspended,
                "workerId": t.worker_id,
                "topicName": t.topic,
                "priority": t.priority,
                "businessKey": t.business_key,
                "variables": variables,
                "extensionProperties": properties,
            })
        })
        .collect();
    Ok(JsonResponse(list).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompleteDto {
    worker_id: Option<String>,
    variables: Option<Map<String, Json>>,
    local_variables: Option<Map<String, Json>>,
}

fn worker(id: Option<String>) -> Result<String, RestError> {
    id.filter(|w| !w.is_empty())
        .ok_or_else(|| RestError::null_value("workerId is null"))
}

fn bad_value(e: crate::values::ValueError) -> RestError {
    RestError::from(e)
}

async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(dto): Body<CompleteDto>,
) -> Result<Response, RestError> {
    let worker = worker(dto.worker_id)?;
    let variables = variables_from_dto(dto.variables.as_ref()).map_err(bad_value)?;
    let local = variables_from_dto(dto.local_variables.as_ref()).map_err(bad_value)?;
    state
        .engine
        .complete_external_task(&id, &worker, variables, local)
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FailureDto {
    worker_id: Option<String>,
    error_message: Option<String>,
    error_details: Option<String>,
    #[serde(default)]
    retries: Option<i32>,
    #[serde(default)]
    retry_timeout: Option<i64>,
    variables: Option<Map<String, Json>>,
    local_variables: Option<Map<String, Json>>,
}

async fn failure(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(dto): Body<FailureDto>,
) -> Result<Response, RestError> {
    let failure = Failure {
        worker_id: worker(dto.worker_id)?,
        error_message: dto.error_message,
        error_details: dto.error_details,
        // A missing retries value is 0 in Camunda (a primitive int): an incident at once.
        retries: dto.retries.unwrap_or(0),
        retry_timeout: dto.retry_timeout.unwrap_or(0),
        variables: variables_from_dto(dto.variables.as_ref()).map_err(bad_value)?,
        local_variables: variables_from_dto(dto.local_variables.as_ref()).map_err(bad_value)?,
    };
    state
        .engine
        .external_task_failure(&id, failure)
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BpmnErrorDto {
    worker_id: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    variables: Option<Map<String, Json>>,
}

async fn bpmn_error(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(dto): Body<BpmnErrorDto>,
) -> Result<Response, RestError> {
    let worker = worker(dto.worker_id)?;
    let code = dto
        .error_code
        .filter(|c| !c.is_empty())
        .ok_or_else(|| RestError::null_value("errorCode is null"))?;
    let variables = variables_from_dto(dto.variables.as_ref()).map_err(bad_value)?;
    state
        .engine
        .external_task_bpmn_error(&id, &worker, &code, dto.error_message, variables)
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtendLockDto {
    worker_id: Option<String>,
    #[serde(default)]
    new_duration: Option<i64>,
}

async fn extend_lock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(dto): Body<ExtendLockDto>,
) -> Result<Response, RestError> {
    let worker = worker(dto.worker_id)?;
    state
        .engine
        .extend_lock(&id, &worker, dto.new_duration.unwrap_or(0))
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LockDto {
    worker_id: Option<String>,
    #[serde(default)]
    lock_duration: Option<i64>,
}

async fn lock(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(dto): Body<LockDto>,
) -> Result<Response, RestError> {
    let worker = worker(dto.worker_id)?;
    state
        .engine
        .lock_external_task(&id, &worker, dto.lock_duration.unwrap_or(0))
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

async fn unlock(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    state
        .engine
        .unlock_external_task(&id)
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

async fn retries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    let retries = body.get("retries").and_then(Json::as_i64).ok_or_else(|| {
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            "The number of retries cannot be null.",
        )
    })?;
    let retries = i32::try_from(retries).map_err(|_| {
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            "The number of retries is out of range.",
        )
    })?;
    state
        .engine
        .set_external_task_retries(&id, retries)
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

async fn priority(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    let priority = body.get("priority").and_then(Json::as_i64).ok_or_else(|| {
        RestError::invalid_request(StatusCode::BAD_REQUEST, "The priority cannot be null.")
    })?;
    state
        .engine
        .set_external_task_priority(&id, priority)
        .await
        .or_rest(NotFoundAs::NotFound)?;
    Ok(no_content())
}

async fn find(
    state: &AppState,
    id: &str,
) -> Result<Option<procos_engine::store::ExternalTaskRow>, RestError> {
    Ok(state
        .engine
        .store()
        .external_tasks(&Query::all().eq("id", id))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next())
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, RestError> {
    let row = find(&state, &id).await?.ok_or_else(|| {
        RestError::rest(
            StatusCode::NOT_FOUND,
            format!("External task with id {id} does not exist"),
        )
    })?;
    Ok(JsonResponse(dto::external_task(&row)).into_response())
}

async fn error_details(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    let row = find(&state, &id).await?.ok_or_else(|| {
        RestError::null_value(format!(
            "No external task found with id '{id}': externalTask is null"
        ))
    })?;
    match row.error_details {
        Some(details) => {
            Ok(([(axum::http::header::CONTENT_TYPE, "text/plain")], details).into_response())
        }
        None => Ok(no_content()),
    }
}

const SORT: &[(&str, &str)] = &[
    ("id", "id"),
    ("lockExpirationTime", "lock_expiration"),
    ("processInstanceId", "instance_id"),
    ("processDefinitionId", "definition_id"),
    ("processDefinitionKey", "definition_key"),
    ("tenantId", "tenant_id"),
    ("taskPriority", "priority"),
    ("createTime", "create_time"),
];

fn query(p: &Params, now: i64) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("externalTaskId", "id"),
        ("topicName", "topic"),
        ("workerId", "worker_id"),
        ("executionId", "execution_id"),
        ("processInstanceId", "instance_id"),
        ("processDefinitionId", "definition_id"),
        ("activityId", "activity_id"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    for (param, col) in [
        ("externalTaskIdIn", "id"),
        ("activityIdIn", "activity_id"),
        ("processInstanceIdIn", "instance_id"),
        ("tenantIdIn", "tenant_id"),
    ] {
        if let Some(list) = p.list(param) {
            q = q.filter(Filter::In(
                col,
                list.into_iter().map(SqlValue::Text).collect(),
            ));
        }
    }
    if p.flag("locked")? {
        q = q.filter(Filter::Cmp("lock_expiration", Op::Gt, SqlValue::Int(now)));
    }
    if p.flag("notLocked")? {
        q = q.filter(Filter::Any(vec![
            Filter::IsNull("lock_expiration"),
            Filter::Cmp("lock_expiration", Op::Lteq, SqlValue::Int(now)),
        ]));
    }
    if p.flag("withRetriesLeft")? {
        q = q.filter(Filter::Any(vec![
            Filter::IsNull("retries"),
            Filter::Cmp("retries", Op::Gt, SqlValue::Int(0)),
        ]));
    }
    if p.flag("noRetriesLeft")? {
        q = q.filter(Filter::Cmp("retries", Op::Eq, SqlValue::Int(0)));
    }
    if let Some(t) = p.date("lockExpirationAfter")? {
        q = q.filter(Filter::Cmp("lock_expiration", Op::Gt, SqlValue::Int(t)));
    }
    if let Some(t) = p.date("lockExpirationBefore")? {
        q = q.filter(Filter::Cmp("lock_expiration", Op::Lt, SqlValue::Int(t)));
    }
    if p.flag("active")? {
        q = q.eq("suspended", false);
    }
    if p.flag("suspended")? {
        q = q.eq("suspended", true);
    }
    if let Some(n) = p.int("priorityHigherThanOrEquals")? {
        q = q.filter(Filter::Cmp("priority", Op::Gteq, SqlValue::Int(n)));
    }
    if let Some(n) = p.int("priorityLowerThanOrEquals")? {
        q = q.filter(Filter::Cmp("priority", Op::Lteq, SqlValue::Int(n)));
    }
    Ok(q)
}

async fn list(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = query(&p, state.engine.now().0)?;
    q.order = p.sorting(SORT)?;
    (q.first, q.max) = p.paging()?;
    let rows = state
        .engine
        .store()
        .external_tasks(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows.iter().map(dto::external_task).collect();
    Ok(JsonResponse(list).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p, state.engine.now().0)?;
    let n = state
        .engine
        .store()
        .count(Table::ExternalTask, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}
