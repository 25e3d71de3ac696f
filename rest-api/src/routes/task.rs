//! User tasks: list and count with the common filters, read, claim, unclaim, assign,
//! complete, form variables, and task variables.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use procos_engine::bpmn::{NodeKind, TaskKind};
use procos_engine::store::{Filter, Op, Query, SqlValue, SubSelect, Table, UserTaskRow};
use procos_engine::value::Value;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{
    no_content, service_error, Body, Json as JsonResponse, NotFoundAs, OrRest, Params,
};
use crate::values::{
    value_from_dto, value_to_json, variables_from_dto, variables_to_json, VariableValueDto,
};
use crate::AppState;

use super::process_instance::{body_sorting, params_from_body};
use super::variables::{json_variable_filter, variable_filters};

/// User task routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/task", get(list).post(list_post))
        .route("/task/count", get(count).post(count_post))
        .route("/task/{id}", get(one))
        .route("/task/{id}/claim", post(claim))
        .route("/task/{id}/unclaim", post(unclaim))
        .route("/task/{id}/assignee", post(assignee))
        .route("/task/{id}/complete", post(complete))
        .route("/task/{id}/submit-form", post(complete))
        .route("/task/{id}/form-variables", get(form_variables))
        .route(
            "/task/{id}/variables",
            get(variables_all).post(variables_modify),
        )
        .route(
            "/task/{id}/variables/{name}",
            get(variable_one).put(variable_put).delete(variable_delete),
        )
        .route(
            "/task/{id}/localVariables",
            get(local_all).post(local_modify),
        )
        .route(
            "/task/{id}/localVariables/{name}",
            get(local_one).put(local_put).delete(local_delete),
        )
}

const SORT: &[(&str, &str)] = &[
    ("instanceId", "instance_id"),
    ("processInstanceId", "instance_id"),
    ("dueDate", "due"),
    ("followUpDate", "follow_up"),
    ("executionId", "execution_id"),
    ("assignee", "assignee"),
    ("created", "created"),
    ("lastUpdated", "last_updated"),
    ("description", "description"),
    ("id", "id"),
    ("name", "name"),
    ("priority", "priority"),
    ("tenantId", "tenant_id"),
    ("taskDefinitionKey", "activity_id"),
];

fn text(s: &str) -> SqlValue {
    SqlValue::Text(s.to_owned())
}

fn query(p: &Params, json_variables: Option<&Json>) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("taskId", "id"),
        ("processInstanceId", "instance_id"),
        ("processInstanceBusinessKey", "business_key"),
        ("processDefinitionId", "definition_id"),
        ("processDefinitionKey", "definition_key"),
        ("taskDefinitionKey", "activity_id"),
        ("executionId", "execution_id"),
        ("assignee", "assignee"),
        ("owner", "owner"),
        ("name", "name"),
        ("description", "description"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    for (param, col) in [
        ("taskIdIn", "id"),
        ("processInstanceIdIn", "instance_id"),
        ("processInstanceBusinessKeyIn", "business_key"),
        ("processDefinitionKeyIn", "definition_key"),
        ("taskDefinitionKeyIn", "activity_id"),
        ("assigneeIn", "assignee"),
        ("tenantIdIn", "tenant_id"),
    ] {
        if let Some(list) = p.list(param) {
            q = q.filter(Filter::In(
                col,
                list.into_iter().map(SqlValue::Text).collect(),
            ));
        }
    }
    if let Some(list) = p.list("assigneeNotIn") {
        q = q.filter(Filter::NotIn(
            "assignee",
            list.into_iter().map(SqlValue::Text).collect(),
        ));
    }
    for (param, col) in [
        ("nameLike", "name"),
        ("assigneeLike", "assignee"),
        ("descriptionLike", "description"),
        ("processInstanceBusinessKeyLike", "business_key"),
        ("taskDefinitionKeyLike", "activity_id"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.filter(Filter::Cmp(col, Op::Like, text(v)));
        }
    }
    if p.flag("unassigned")? {
        q = q.filter(Filter::IsNull("assignee"));
    }
    if p.flag("assigned")? {
        q = q.filter(Filter::NotNull("assignee"));
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
    if let Some(n) = p.int("priority")? {
        q = q.eq("priority", n);
    }
    if let Some(n) = p.int("maxPriority")? {
        q = q.filter(Filter::Cmp("priority", Op::Lteq, SqlValue::Int(n)));
    }
    if let Some(n) = p.int("minPriority")? {
        q = q.filter(Filter::Cmp("priority", Op::Gteq, SqlValue::Int(n)));
    }
    for (param, col, op) in [
        ("dueBefore", "due", Op::Lt),
        ("dueAfter", "due", Op::Gt),
        ("dueDate", "due", Op::Eq),
        ("followUpBefore", "follow_up", Op::Lt),
        ("followUpAfter", "follow_up", Op::Gt),
        ("createdBefore", "created", Op::Lt),
        ("createdAfter", "created", Op::Gt),
        ("createdOn", "created", Op::Eq),
    ] {
        if let Some(t) = p.date(param)? {
            q = q.filter(Filter::Cmp(col, op, SqlValue::Int(t)));
        }
    }
    if p.flag("withoutDueDate")? {
        q = q.filter(Filter::IsNull("due"));
    }
    // Candidates: procos has no identity service, so a candidate user matches only tasks
    // naming that user; groups match by name.
    let mut candidates = Vec::new();
    if let Some(user) = p.str("candidateUser") {
        candidates.extend([text("user"), text(user)]);
    }
    let mut groups = p.list("candidateGroups").unwrap_or_default();
    if let Some(g) = p.str("candidateGroup") {
        groups.push(g.to_owned());
    }
    for g in &groups {
        candidates.extend([text("group"), text(g)]);
    }
    if !candidates.is_empty() {
        q = q.filter(Filter::InSubSelect(
            "id",
            SubSelect::TaskCandidates,
            candidates,
        ));
        if !p.flag("includeAssignedTasks")? {
            q = q.filter(Filter::IsNull("assignee"));
        }
    }
    if p.flag("withCandidateUsers")? {
        q = q.filter(Filter::InSubSelect("id", SubSelect::TaskCandidates, vec![]));
    }
    let names_ic = p.flag("variableNamesIgnoreCase")?;
    let values_ic = p.flag("variableValuesIgnoreCase")?;
    if let Some(vars) = p.str("processVariables") {
        q.filters.extend(variable_filters(
            vars,
            "user_task.instance_id",
            names_ic,
            values_ic,
        )?);
    }
    if let Some(Json::Array(items)) = json_variables {
        for item in items {
            q = q.filter(json_variable_filter(
                item,
                "user_task.instance_id",
                names_ic,
                values_ic,
            )?);
        }
    }
    Ok(q)
}

async fn run_list(state: &AppState, q: Query) -> Result<Response, RestError> {
    let rows = state
        .engine
        .store()
        .user_tasks(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows.iter().map(dto::user_task).collect();
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
    let mut q = query(&bp, body.get("processVariables"))?;
    q.order = body_sorting(&body, SORT)?;
    (q.first, q.max) = p.paging()?;
    run_list(&state, q).await
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p, None)?;
    let n = state
        .engine
        .store()
        .count(Table::UserTask, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn count_post(
    State(state): State<AppState>,
    Body(body): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    let q = query(&params_from_body(&body), body.get("processVariables"))?;
    let n = state
        .engine
        .store()
        .count(Table::UserTask, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn find(state: &AppState, id: &str) -> Result<Option<UserTaskRow>, RestError> {
    Ok(state
        .engine
        .store()
        .user_tasks(&Query::all().eq("id", id))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next())
}

fn missing(id: &str) -> RestError {
    RestError::invalid_request(
        StatusCode::NOT_FOUND,
        format!("No matching task with id {id}"),
    )
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, RestError> {
    let row = find(&state, &id).await?.ok_or_else(|| missing(&id))?;
    Ok(JsonResponse(dto::user_task(&row)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserIdDto {
    user_id: Option<String>,
}

async fn claim(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<UserIdDto>,
) -> Result<Response, RestError> {
    let user = b
        .user_id
        .filter(|u| !u.is_empty())
        .ok_or_else(|| RestError::null_value("userId is null"))?;
    state
        .engine
        .claim_user_task(&id, &user)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

async fn unclaim(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    state
        .engine
        .set_user_task_assignee(&id, None)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

async fn assignee(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<UserIdDto>,
) -> Result<Response, RestError> {
    state
        .engine
        .set_user_task_assignee(&id, b.user_id.as_deref().filter(|u| !u.is_empty()))
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompleteDto {
    variables: Option<Map<String, Json>>,
    #[serde(default)]
    with_variables_in_return: Option<bool>,
}

async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<CompleteDto>,
) -> Result<Response, RestError> {
    let wrap = |m: String| format!("Cannot complete task {id}: {m}");
    let vars = variables_from_dto(b.variables.as_ref())
        .map_err(|e| RestError::invalid_request(StatusCode::BAD_REQUEST, wrap(e.message)))?;
    let result = state
        .engine
        .complete_user_task(&id, vars)
        .await
        .map_err(|e| {
            let inner = service_error(e, NotFoundAs::ServerError);
            RestError::rest_from_engine(
                inner.status.max(StatusCode::INTERNAL_SERVER_ERROR),
                wrap(inner.message),
            )
        })?;
    if b.with_variables_in_return == Some(true) {
        // Camunda answers with the serialized form of object values here.
        let body = variables_to_json(result.iter().map(|v| (v.name.as_str(), &v.value)), false);
        return Ok(JsonResponse(body).into_response());
    }
    Ok(no_content())
}

async fn form_variables(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    let row = find(&state, &id).await?.ok_or_else(|| {
        RestError::null_value(format!("Cannot find task with id {id}: task is null"))
    })?;
    let deserialize = p.bool("deserializeValues")?.unwrap_or(true);
    let only: Option<Vec<String>> = p.list("variableNames");
    let mut out = Map::new();
    // Form field defaults first, then the variables visible from the task.
    if let Ok(deployed) = state.engine.definitions().get(&row.definition_id).await {
        if let Some(idx) = deployed.graph.node_by_id(&row.activity_id) {
            if let NodeKind::Task(TaskKind::User(def)) = &deployed.graph.node(idx).kind {
                for field in &def.form_fields {
                    let value = field
                        .default_value
                        .as_ref()
                        .and_then(|d| d.literal_text())
                        .map_or(Value::Null, form_default(field.field_type.as_deref()));
                    out.insert(field.id.clone(), value_to_json(&value, deserialize));
                }
            }
        }
    }
    let visible = state
        .engine
        .scope_variables(&row.execution_id, false)
        .await
        .or_rest(NotFoundAs::ServerError)?
        .unwrap_or_default();
    for (name, value) in visible {
        out.insert(name, value_to_json(&value, deserialize));
    }
    if let Some(only) = only {
        out.retain(|k, _| only.contains(k));
    }
    Ok(JsonResponse(Json::Object(out)).into_response())
}

/// A form field's literal default, typed by the field's type.
fn form_default(field_type: Option<&str>) -> impl Fn(&str) -> Value + '_ {
    move |text: &str| match field_type {
        Some("long") => text.parse().map_or_else(|_| Value::from(text), Value::Long),
        Some("boolean") => Value::Boolean(text.eq_ignore_ascii_case("true")),
        _ => Value::from(text),
    }
}

async fn task_scope(state: &AppState, id: &str) -> Result<String, RestError> {
    Ok(find(state, id)
        .await?
        .ok_or_else(|| {
            RestError::invalid_request(StatusCode::NOT_FOUND, format!("task {id} doesn't exist"))
        })?
        .execution_id)
}

async fn scope_vars(
    state: &AppState,
    id: &str,
    local: bool,
) -> Result<Vec<(String, Value)>, RestError> {
    let scope = task_scope(state, id).await?;
    Ok(state
        .engine
        .scope_variables(&scope, local)
        .await
        .or_rest(NotFoundAs::ServerError)?
        .unwrap_or_default())
}

async fn all(state: &AppState, id: &str, p: &Params, local: bool) -> Result<Response, RestError> {
    let vars = scope_vars(state, id, local).await?;
    let d = p.bool("deserializeValues")?.unwrap_or(true);
    Ok(JsonResponse(variables_to_json(
        vars.iter().map(|(n, v)| (n.as_str(), v)),
        d,
    ))
    .into_response())
}

async fn get_one(
    state: &AppState,
    id: &str,
    name: &str,
    p: &Params,
    local: bool,
) -> Result<Response, RestError> {
    let vars = scope_vars(state, id, local).await?;
    let value = vars
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("task variable with name {name} does not exist"),
            )
        })?;
    let d = p.bool("deserializeValue")?.unwrap_or(true);
    Ok(JsonResponse(value_to_json(&value, d)).into_response())
}

async fn put_one(
    state: &AppState,
    id: &str,
    name: &str,
    dto: Map<String, Json>,
    local: bool,
) -> Result<Response, RestError> {
    let (value, transient) = VariableValueDto::from_object(&dto)
        .and_then(|d| value_from_dto(&d))
        .map_err(|e| {
            RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!("Cannot put task variable {name}: {}", e.message),
            )
        })?;
    let scope = task_scope(state, id).await?;
    let mut vars = procos_engine::value::Variables::new();
    vars.set_with(name, value, transient);
    state
        .engine
        .modify_variables(&scope, vars, Vec::new(), local)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

async fn delete_one(
    state: &AppState,
    id: &str,
    name: &str,
    local: bool,
) -> Result<Response, RestError> {
    let scope = task_scope(state, id).await?;
    state
        .engine
        .modify_variables(
            &scope,
            procos_engine::value::Variables::new(),
            vec![name.to_owned()],
            local,
        )
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

#[derive(Debug, Default, Deserialize)]
struct Modifications {
    modifications: Option<Map<String, Json>>,
    deletions: Option<Vec<String>>,
}

async fn modify(
    state: &AppState,
    id: &str,
    b: Modifications,
    local: bool,
) -> Result<Response, RestError> {
    let vars = variables_from_dto(b.modifications.as_ref()).map_err(|e| {
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Cannot modify variables for task {id}: {}", e.message),
        )
    })?;
    let scope = task_scope(state, id).await?;
    state
        .engine
        .modify_variables(&scope, vars, b.deletions.unwrap_or_default(), local)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

async fn variables_all(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    all(&s, &id, &p, false).await
}
async fn local_all(
    State(s): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    all(&s, &id, &p, true).await
}
async fn variable_one(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
) -> Result<Response, RestError> {
    get_one(&s, &id, &name, &p, false).await
}
async fn local_one(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    p: Params,
) -> Result<Response, RestError> {
    get_one(&s, &id, &name, &p, true).await
}
async fn variable_put(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Body(dto): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    put_one(&s, &id, &name, dto, false).await
}
async fn local_put(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
    Body(dto): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    put_one(&s, &id, &name, dto, true).await
}
async fn variable_delete(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, RestError> {
    delete_one(&s, &id, &name, false).await
}
async fn local_delete(
    State(s): State<AppState>,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, RestError> {
    delete_one(&s, &id, &name, true).await
}
async fn variables_modify(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<Modifications>,
) -> Result<Response, RestError> {
    modify(&s, &id, b, false).await
}
async fn local_modify(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<Modifications>,
) -> Result<Response, RestError> {
    modify(&s, &id, b, true).await
}
