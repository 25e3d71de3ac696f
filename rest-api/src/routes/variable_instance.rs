//! Runtime variable instances: list and count (`GET /variable-instance`), read one, and
//! its binary content.
//!
//! A variable row knows its process instance and its scope (the execution it belongs
//! to); the definition, the tenant and the activity instance come from the instance row
//! and its state. procos has no case instances, task-local variable rows or batches, so
//! `caseInstanceId`, `caseExecutionId`, `taskId` and `batchId` are always null and the
//! filters on them match nothing.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use procos_engine::ids::Id;
use procos_engine::runtime::Instance;
use procos_engine::service::variables::value_of;
use procos_engine::service::write;
use procos_engine::store::{
    Filter, InstanceRow, Op, Query, SqlValue, SubSelect, Table, VariableRow,
};
use procos_engine::value::Value;
use serde_json::{json, Map, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::values::value_to_json;
use crate::AppState;

use super::variables::variable_filters;

/// Variable instance routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/variable-instance", get(list))
        .route("/variable-instance/count", get(count))
        .route("/variable-instance/{id}", get(one))
        .route("/variable-instance/{id}/data", get(data))
}

/// Camunda's `sortBy` values and the columns they sort. Variable rows carry no tenant:
/// `tenantId` is accepted, as Camunda does, and orders by id.
pub const SORT: &[(&str, &str)] = &[
    ("variableName", "name"),
    ("variableType", "type"),
    ("activityInstanceId", "scope_id"),
    ("tenantId", "id"),
];

/// The column expression that makes a variable filter look at the filtered row itself.
/// [`Filter::Variable`] with `by_scope` compares `v.scope_id` with its column, inside an
/// `EXISTS` over the variable table; adding the row's own id turns "some variable of the
/// same scope" into "this variable" (`variableValues` filters the rows, not their
/// scopes). A constant of this module, never request text.
const SAME_ROW: &str = "variable.scope_id AND v.id = variable.id";

/// The execution ids that activity instance ids stand for: `<activityId>:<token>` is
/// token `<token>`, and the process instance's own activity instance id is its id.
fn scopes_of_activity_instances(ids: Vec<String>) -> Vec<SqlValue> {
    ids.into_iter()
        .map(|id| match id.rsplit_once(':') {
            Some((_, token)) => SqlValue::Text(token.to_owned()),
            None => SqlValue::Text(id),
        })
        .collect()
}

fn texts(values: Vec<String>) -> Vec<SqlValue> {
    values.into_iter().map(SqlValue::Text).collect()
}

/// The variable instance query.
pub fn query(p: &Params) -> Result<Query, RestError> {
    let mut q = Query::all();
    if let Some(v) = p.str("variableName") {
        q = q.eq("name", v);
    }
    if let Some(v) = p.str("variableNameLike") {
        q = q.filter(Filter::Cmp("name", Op::Like, SqlValue::Text(v.to_owned())));
    }
    if let Some(ids) = p.list("processInstanceIdIn") {
        q = q.filter(Filter::In("instance_id", texts(ids)));
    }
    for param in ["executionIdIn", "variableScopeIdIn"] {
        if let Some(ids) = p.list(param) {
            q = q.filter(Filter::In("scope_id", texts(ids)));
        }
    }
    if let Some(ids) = p.list("activityInstanceIdIn") {
        q = q.filter(Filter::In("scope_id", scopes_of_activity_instances(ids)));
    }
    for param in [
        "taskIdIn",
        "caseInstanceIdIn",
        "caseExecutionIdIn",
        "batchIdIn",
    ] {
        if p.list(param).is_some() {
            q = q.filter(Filter::Nothing);
        }
    }
    if let Some(tenants) = p.list("tenantIdIn") {
        q = q.filter(Filter::InSubSelect(
            "instance_id",
            SubSelect::InstancesOfTenants,
            texts(tenants),
        ));
    }
    if let Some(text) = p.str("variableValues") {
        let names_ic = p.flag("variableNamesIgnoreCase")?;
        let values_ic = p.flag("variableValuesIgnoreCase")?;
        for f in variable_filters(text, SAME_ROW, names_ic, values_ic)? {
            q = q.filter(match f {
                Filter::Variable {
                    name,
                    op,
                    value,
                    ignore_case,
                    ..
                } => Filter::Variable {
                    instance_column: SAME_ROW,
                    by_scope: true,
                    name,
                    op,
                    value,
                    ignore_case,
                },
                other => other,
            });
        }
    }
    Ok(q)
}

/// What the DTOs need beyond the variable rows: the instances they belong to, with
/// their states parsed on demand.
struct Context {
    instances: HashMap<String, InstanceRow>,
    states: HashMap<String, Option<Instance>>,
}

impl Context {
    async fn load(state: &AppState, rows: &[VariableRow]) -> Result<Context, RestError> {
        let mut ids: Vec<String> = rows.iter().map(|r| r.instance_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let instances = if ids.is_empty() {
            Vec::new()
        } else {
            state
                .engine
                .store()
                .instances(&Query::all().filter(Filter::In("id", texts(ids))))
                .await
                .or_rest(NotFoundAs::ServerError)?
        };
        Ok(Context {
            instances: instances.into_iter().map(|i| (i.id.clone(), i)).collect(),
            states: HashMap::new(),
        })
    }

    /// `<activityId>:<token>` of the variable's scope; the instance id for process
    /// variables, and the scope id itself when the scope is no longer running.
    async fn activity_instance_id(&mut self, state: &AppState, row: &VariableRow) -> String {
        if row.scope_id == row.instance_id {
            return row.instance_id.clone();
        }
        let Some(instance) = self.instances.get(&row.instance_id) else {
            return row.scope_id.clone();
        };
        let parsed = self
            .states
            .entry(instance.id.clone())
            .or_insert_with(|| serde_json::from_str(&instance.state).ok());
        let (Some(parsed), Ok(token)) = (parsed.as_ref(), row.scope_id.parse::<Id>()) else {
            return row.scope_id.clone();
        };
        let Some((node, body)) = parsed
            .token(token)
            .and_then(|t| t.node.map(|n| (n, t.body)))
        else {
            return row.scope_id.clone();
        };
        match state
            .engine
            .definitions()
            .get(&instance.definition_id)
            .await
        {
            Ok(deployed) if body => write::body_instance_id(&deployed.graph, node, token),
            Ok(deployed) => write::activity_instance_id(&deployed.graph, Some(node), token),
            Err(_) => row.scope_id.clone(),
        }
    }

    async fn dto(&mut self, state: &AppState, row: &VariableRow, deserialize: bool) -> Json {
        let mut out = match value_to_json(&value_of(row), deserialize) {
            Json::Object(map) => map,
            _ => Map::new(),
        };
        let activity_instance_id = self.activity_instance_id(state, row).await;
        let instance = self.instances.get(&row.instance_id);
        let extra = json!({
            "id": row.id,
            "name": row.name,
            "processDefinitionId": instance.map(|i| i.definition_id.as_str()),
            "processInstanceId": row.instance_id,
            "executionId": row.scope_id,
            "caseInstanceId": null,
            "caseExecutionId": null,
            "taskId": null,
            "batchId": null,
            "activityInstanceId": activity_instance_id,
            "tenantId": instance.and_then(|i| i.tenant_id.as_deref()),
            "errorMessage": null,
        });
        if let Json::Object(extra) = extra {
            out.extend(extra);
        }
        Json::Object(out)
    }
}

async fn list(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = query(&p)?;
    q.order = p.sorting(SORT)?;
    (q.first, q.max) = p.paging()?;
    let deserialize = p.bool("deserializeValues")?.unwrap_or(true);
    let rows = state
        .engine
        .store()
        .variables(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let mut cx = Context::load(&state, &rows).await?;
    let mut list = Vec::with_capacity(rows.len());
    for row in &rows {
        list.push(cx.dto(&state, row, deserialize).await);
    }
    Ok(JsonResponse(list).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p)?;
    let n = state
        .engine
        .store()
        .count(Table::Variable, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn find(state: &AppState, id: &str) -> Result<VariableRow, RestError> {
    state
        .engine
        .store()
        .variables(&Query::all().eq("id", id))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("Variable instance with Id '{id}' does not exist."),
            )
        })
}

async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    // The single resource takes `deserializeValue`, singular, as Camunda names it.
    let deserialize = p.bool("deserializeValue")?.unwrap_or(true);
    let row = find(&state, &id).await?;
    let mut cx = Context::load(&state, std::slice::from_ref(&row)).await?;
    Ok(JsonResponse(cx.dto(&state, &row, deserialize).await).into_response())
}

async fn data(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    let row = find(&state, &id).await?;
    let (content_type, bytes) = match value_of(&row) {
        Value::Bytes(b) => ("application/octet-stream".to_owned(), b),
        Value::File(f) => (
            f.mime_type
                .unwrap_or_else(|| "application/octet-stream".to_owned()),
            f.data,
        ),
        // Camunda streams serialized objects in their serialization format.
        Value::Object(o) => (
            o.format.unwrap_or_else(|| "text/plain".to_owned()),
            o.serialized.into_bytes(),
        ),
        other => {
            return Err(RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!(
                    "Value of variable with id {id} is not a binary value (it is a {}).",
                    other.type_name()
                ),
            ))
        }
    };
    Ok(([(header::CONTENT_TYPE, content_type)], bytes).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        Params(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    #[test]
    fn activity_instance_ids_name_their_token() {
        assert_eq!(
            scopes_of_activity_instances(vec!["task:abc".into(), "pi".into()]),
            vec![SqlValue::Text("abc".into()), SqlValue::Text("pi".into())]
        );
    }

    #[test]
    fn variable_values_filter_the_row_itself() {
        let q = query(&params(&[("variableValues", "amount_gt_5,name_eq_x")])).unwrap();
        assert_eq!(q.filters.len(), 2);
        for f in &q.filters {
            match f {
                Filter::Variable {
                    instance_column,
                    by_scope,
                    ..
                } => {
                    assert_eq!(*instance_column, SAME_ROW);
                    assert!(*by_scope);
                }
                other => panic!("not a variable filter: {other:?}"),
            }
        }
        assert!(query(&params(&[("variableValues", "nonsense")])).is_err());
    }

    #[test]
    fn case_and_task_filters_match_nothing() {
        let q = query(&params(&[("taskIdIn", "t1")])).unwrap();
        assert_eq!(q.filters, vec![Filter::Nothing]);
    }
}
