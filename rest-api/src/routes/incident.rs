//! Incidents: list and count with the filters of COMPAT §3.8.
//!
//! procos raises only root incidents (`failedExternalTask`, `failedJob`), so an
//! incident's `causeIncidentId` and `rootCauseIncidentId` are its own id, and the
//! filters on them compare with the id. procos has no job definitions: every
//! `jobDefinitionId` is null and `jobDefinitionIdIn` matches nothing.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use procos_engine::store::{Filter, Op, Query, SqlValue, Table};
use serde_json::Value as Json;

use crate::dto;
use crate::error::RestError;
use crate::http::{Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::AppState;

/// Incident routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incident", get(list))
        .route("/incident/count", get(count))
}

/// Camunda's `sortBy` values and the columns they sort.
pub const SORT: &[(&str, &str)] = &[
    ("incidentId", "id"),
    ("incidentMessage", "message"),
    ("incidentTimestamp", "created"),
    ("incidentType", "incident_type"),
    ("executionId", "execution_id"),
    ("activityId", "activity_id"),
    ("processInstanceId", "instance_id"),
    ("processDefinitionId", "definition_id"),
    ("causeIncidentId", "id"),
    ("rootCauseIncidentId", "id"),
    ("configuration", "configuration"),
    ("tenantId", "tenant_id"),
];

/// The incident query. `definitions_of_keys` are the ids of the definitions whose keys
/// `processDefinitionKeyIn` names (the incident table holds only the definition id), or
/// None when the parameter is absent.
pub fn query(p: &Params, definitions_of_keys: Option<Vec<String>>) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("incidentId", "id"),
        ("incidentType", "incident_type"),
        ("incidentMessage", "message"),
        ("processDefinitionId", "definition_id"),
        ("processInstanceId", "instance_id"),
        ("executionId", "execution_id"),
        ("activityId", "activity_id"),
        ("failedActivityId", "failed_activity_id"),
        ("causeIncidentId", "id"),
        ("rootCauseIncidentId", "id"),
        ("configuration", "configuration"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    if let Some(v) = p.str("incidentMessageLike") {
        q = q.filter(Filter::Cmp(
            "message",
            Op::Like,
            SqlValue::Text(v.to_owned()),
        ));
    }
    if let Some(t) = p.date("incidentTimestampBefore")? {
        q = q.filter(Filter::Cmp("created", Op::Lt, SqlValue::Int(t)));
    }
    if let Some(t) = p.date("incidentTimestampAfter")? {
        q = q.filter(Filter::Cmp("created", Op::Gt, SqlValue::Int(t)));
    }
    if let Some(tenants) = p.list("tenantIdIn") {
        q = q.filter(Filter::In(
            "tenant_id",
            tenants.into_iter().map(SqlValue::Text).collect(),
        ));
    }
    if p.list("jobDefinitionIdIn").is_some() {
        q = q.filter(Filter::Nothing);
    }
    if let Some(ids) = definitions_of_keys {
        q = q.filter(Filter::In(
            "definition_id",
            ids.into_iter().map(SqlValue::Text).collect(),
        ));
    }
    Ok(q)
}

/// Resolves `processDefinitionKeyIn` to definition ids.
async fn definitions_of_keys(
    state: &AppState,
    p: &Params,
) -> Result<Option<Vec<String>>, RestError> {
    let Some(keys) = p.list("processDefinitionKeyIn") else {
        return Ok(None);
    };
    let rows = state
        .engine
        .store()
        .definitions(&Query::all().filter(Filter::In(
            "key",
            keys.into_iter().map(SqlValue::Text).collect(),
        )))
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(Some(rows.into_iter().map(|d| d.id).collect()))
}

async fn list(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let mut q = query(&p, definitions_of_keys(&state, &p).await?)?;
    q.order = p.sorting(SORT)?;
    (q.first, q.max) = p.paging()?;
    let rows = state
        .engine
        .store()
        .incidents(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows.iter().map(dto::incident).collect();
    Ok(JsonResponse(list).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p, definitions_of_keys(&state, &p).await?)?;
    let n = state
        .engine
        .store()
        .count(Table::Incident, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
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
    fn cause_and_root_cause_are_the_incident_itself() {
        let q = query(&params(&[("rootCauseIncidentId", "i1")]), None).unwrap();
        assert_eq!(q.filters, vec![Filter::Cmp("id", Op::Eq, "i1".into())]);
    }

    #[test]
    fn timestamps_are_exclusive_bounds() {
        let q = query(
            &params(&[("incidentTimestampAfter", "2026-01-01T00:00:00.000+0000")]),
            None,
        )
        .unwrap();
        assert_eq!(
            q.filters,
            vec![Filter::Cmp(
                "created",
                Op::Gt,
                SqlValue::Int(1_767_225_600_000)
            )]
        );
        assert!(query(&params(&[("incidentTimestampBefore", "soon")]), None).is_err());
    }

    #[test]
    fn keys_become_definition_ids_and_job_definitions_match_nothing() {
        let q = query(
            &params(&[("jobDefinitionIdIn", "x")]),
            Some(vec!["p:1:a".into()]),
        )
        .unwrap();
        assert_eq!(
            q.filters,
            vec![
                Filter::Nothing,
                Filter::In("definition_id", vec!["p:1:a".into()]),
            ]
        );
    }
}
