//! History: process instances, activity instances and variable instances.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use procos_engine::service::variables::value_of;
use procos_engine::store::{Filter, Op, Query, SqlValue, Table};
use serde_json::{json, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{date, Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::values::value_to_json;
use crate::AppState;

use super::variables::variable_filters;

/// History routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/history/process-instance", get(instances))
        .route("/history/process-instance/count", get(instances_count))
        .route("/history/process-instance/{id}", get(instance))
        .route("/history/activity-instance", get(activities))
        .route("/history/activity-instance/count", get(activities_count))
        .route("/history/variable-instance", get(variables))
        .route("/history/variable-instance/count", get(variables_count))
        .route("/history/cleanup", post(cleanup))
}

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn eqs(mut q: Query, p: &Params, pairs: &[(&str, &'static str)]) -> Query {
    for (param, col) in pairs {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    q
}

fn ins(mut q: Query, p: &Params, pairs: &[(&str, &'static str)]) -> Query {
    for (param, col) in pairs {
        if let Some(list) = p.list(param) {
            q = q.filter(Filter::In(
                col,
                list.into_iter().map(SqlValue::Text).collect(),
            ));
        }
    }
    q
}

fn time_range(
    mut q: Query,
    p: &Params,
    pairs: &[(&str, &'static str, Op)],
) -> Result<Query, RestError> {
    for (param, col, op) in pairs {
        if let Some(t) = p.date(param)? {
            q = q.filter(Filter::Cmp(col, *op, SqlValue::Int(t)));
        }
    }
    Ok(q)
}

const INSTANCE_SORT: &[(&str, &str)] = &[
    ("instanceId", "id"),
    ("definitionId", "definition_id"),
    ("definitionKey", "definition_key"),
    ("definitionName", "definition_name"),
    ("definitionVersion", "definition_version"),
    ("businessKey", "business_key"),
    ("startTime", "start_time"),
    ("endTime", "end_time"),
    ("tenantId", "tenant_id"),
];

fn instance_query(p: &Params) -> Result<Query, RestError> {
    let mut q = eqs(
        Query::all(),
        p,
        &[
            ("processInstanceId", "id"),
            ("processDefinitionId", "definition_id"),
            ("processDefinitionKey", "definition_key"),
            ("processInstanceBusinessKey", "business_key"),
            ("superProcessInstanceId", "super_instance_id"),
            ("rootProcessInstanceId", "root_instance_id"),
            ("state", "state"),
        ],
    );
    q = ins(
        q,
        p,
        &[
            ("processInstanceIds", "id"),
            ("processDefinitionKeyIn", "definition_key"),
            ("tenantIdIn", "tenant_id"),
        ],
    );
    if let Some(v) = p.str("processInstanceBusinessKeyLike") {
        q = q.filter(Filter::Cmp("business_key", Op::Like, text(v)));
    }
    if let Some(v) = p.str("processDefinitionName") {
        q = q.eq("definition_name", v);
    }
    if p.flag("finished")? {
        q = q.filter(Filter::NotNull("end_time"));
    }
    if p.flag("unfinished")? {
        q = q.filter(Filter::IsNull("end_time"));
    }
    for (flag, state) in [
        ("active", "ACTIVE"),
        ("suspended", "SUSPENDED"),
        ("completed", "COMPLETED"),
        ("externallyTerminated", "EXTERNALLY_TERMINATED"),
        ("internallyTerminated", "INTERNALLY_TERMINATED"),
    ] {
        if p.flag(flag)? {
            q = q.eq("state", state);
        }
    }
    if p.flag("withoutTenantId")? {
        q = q.filter(Filter::IsNull("tenant_id"));
    }
    q = time_range(
        q,
        p,
        &[
            ("startedBefore", "start_time", Op::Lteq),
            ("startedAfter", "start_time", Op::Gteq),
            ("finishedBefore", "end_time", Op::Lteq),
            ("finishedAfter", "end_time", Op::Gteq),
        ],
    )?;
    if let Some(vars) = p.str("variables") {
        // History filters match the variables' last values, which the history keeps.
        for f in variable_filters(vars, "hi_process_instance.id", false, false)? {
            if let Filter::Variable {
                name, op, value, ..
            } = f
            {
                q = q.filter(Filter::Variable {
                    instance_column: "hi_process_instance.id",
                    by_scope: false,
                    name,
                    op,
                    value,
                    ignore_case: false,
                });
            }
        }
    }
    Ok(q)
}

async fn instances(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = instance_query(&p)?;
    q.order = p.sorting(INSTANCE_SORT)?;
    (q.first, q.max) = p.paging()?;
    let rows = state
        .engine
        .store()
        .historic_instances(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows.iter().map(dto::historic_instance).collect();
    Ok(JsonResponse(list).into_response())
}

async fn instances_count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = instance_query(&p)?;
    let n = state
        .engine
        .store()
        .count(Table::HistoricInstance, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn instance(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    let row = state
        .engine
        .store()
        .historic_instances(&Query::all().eq("id", id.as_str()))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("Historic process instance with id {id} does not exist"),
            )
        })?;
    Ok(JsonResponse(dto::historic_instance(&row)).into_response())
}

const ACTIVITY_SORT: &[(&str, &str)] = &[
    ("activityInstanceId", "id"),
    ("instanceId", "instance_id"),
    ("executionId", "execution_id"),
    ("activityId", "activity_id"),
    ("activityName", "activity_name"),
    ("activityType", "activity_type"),
    ("startTime", "start_time"),
    ("endTime", "end_time"),
    ("duration", "end_time"),
    ("definitionId", "definition_id"),
    ("occurrence", "seq"),
    ("tenantId", "tenant_id"),
];

fn activity_query(p: &Params) -> Result<Query, RestError> {
    let mut q = eqs(
        Query::all(),
        p,
        &[
            ("activityInstanceId", "id"),
            ("processInstanceId", "instance_id"),
            ("processDefinitionId", "definition_id"),
            ("executionId", "execution_id"),
            ("activityId", "activity_id"),
            ("activityName", "activity_name"),
            ("activityType", "activity_type"),
            ("taskAssignee", "assignee"),
        ],
    );
    q = ins(
        q,
        p,
        &[("tenantIdIn", "tenant_id"), ("activityInstanceIdIn", "id")],
    );
    if p.flag("finished")? {
        q = q.filter(Filter::NotNull("end_time"));
    }
    if p.flag("unfinished")? {
        q = q.filter(Filter::IsNull("end_time"));
    }
    if p.flag("canceled")? {
        q = q.eq("canceled", true);
    }
    q = time_range(
        q,
        p,
        &[
            ("startedBefore", "start_time", Op::Lteq),
            ("startedAfter", "start_time", Op::Gteq),
            ("finishedBefore", "end_time", Op::Lteq),
            ("finishedAfter", "end_time", Op::Gteq),
        ],
    )?;
    Ok(q)
}

async fn activities(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = activity_query(&p)?;
    q.order = p.sorting(ACTIVITY_SORT)?;
    if q.order.is_empty() {
        q.order = vec![("seq", procos_engine::store::Order::Asc)];
    }
    (q.first, q.max) = p.paging()?;
    let rows = state
        .engine
        .store()
        .historic_activities(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows
        .iter()
        .map(|a| dto::historic_activity(a, &a.instance_id))
        .collect();
    Ok(JsonResponse(list).into_response())
}

async fn activities_count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = activity_query(&p)?;
    let n = state
        .engine
        .store()
        .count(Table::HistoricActivity, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

fn variable_query(p: &Params) -> Result<Query, RestError> {
    let mut q = eqs(
        Query::all(),
        p,
        &[
            ("variableName", "name"),
            ("processInstanceId", "instance_id"),
            ("processDefinitionId", "definition_id"),
            ("processDefinitionKey", "definition_key"),
        ],
    );
    q = ins(
        q,
        p,
        &[
            ("processInstanceIdIn", "instance_id"),
            ("executionIdIn", "scope_id"),
            ("tenantIdIn", "tenant_id"),
            ("variableNameIn", "name"),
            ("variableTypeIn", "type"),
        ],
    );
    if let Some(v) = p.str("variableNameLike") {
        q = q.filter(Filter::Cmp("name", Op::Like, text(v)));
    }
    if !p.flag("includeDeleted")? {
        q = q.eq("state", "CREATED");
    }
    Ok(q)
}

async fn variables(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = variable_query(&p)?;
    q.order = p.sorting(&[
        ("instanceId", "instance_id"),
        ("variableName", "name"),
        ("tenantId", "tenant_id"),
    ])?;
    (q.first, q.max) = p.paging()?;
    let deserialize = p.bool("deserializeValues")?.unwrap_or(true);
    let rows = state
        .engine
        .store()
        .historic_variables(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows
        .iter()
        .map(|h| {
            let v = &h.var;
            let mut obj = match value_to_json(&value_of(v), deserialize) {
                Json::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            let extra = json!({
                "id": v.id,
                "name": v.name,
                "processDefinitionKey": h.definition_key,
                "processDefinitionId": h.definition_id,
                "processInstanceId": v.instance_id,
                "executionId": v.scope_id,
                "activityInstanceId": v.scope_id,
                "caseDefinitionKey": null,
                "caseDefinitionId": null,
                "caseInstanceId": null,
                "caseExecutionId": null,
                "taskId": null,
                "tenantId": h.tenant_id,
                "errorMessage": null,
                "state": h.state,
                "createTime": date(Some(h.created)),
                "removalTime": null,
                "rootProcessInstanceId": v.instance_id,
            });
            if let Json::Object(extra) = extra {
                obj.extend(extra);
            }
            Json::Object(obj)
        })
        .collect();
    Ok(JsonResponse(list).into_response())
}

async fn variables_count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = variable_query(&p)?;
    let n = state
        .engine
        .store()
        .count(Table::HistoricVariable, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

/// `POST /history/cleanup`: procos cleans up at once, within the request, and answers
/// with the `JobDto` Camunda returns for its clean-up job, describing this finished run.
async fn cleanup(State(state): State<AppState>) -> Result<Response, RestError> {
    let removed = state
        .engine
        .clean_up_history()
        .await
        .or_rest(NotFoundAs::ServerError)?;
    tracing::debug!(removed, "history clean-up requested through the REST API");
    let now = state.engine.now().0;
    Ok(JsonResponse(json!({
        "id": procos_engine::service::ids::new_id(),
        "jobDefinitionId": null,
        "dueDate": date(Some(now)),
        "processInstanceId": null,
        "executionId": null,
        "processDefinitionId": null,
        "processDefinitionKey": null,
        "retries": 0,
        "exceptionMessage": null,
        "failedActivityId": null,
        "suspended": false,
        "priority": 0,
        "tenantId": null,
        "createTime": date(Some(now)),
        "batchId": null,
    }))
    .into_response())
}
