//! Statistics: running instances, failed jobs and incidents per activity of one process
//! definition (`GET /process-definition/{id}/statistics`) and per process definition
//! (`GET /process-definition/statistics`), as Cockpit-like dashboards read them.
//!
//! Shapes are Camunda's `ActivityStatisticsResultDto` and
//! `ProcessDefinitionStatisticsResultDto`, including Jackson's `@class` type property
//! (`StatisticsResultDto` is annotated with `@JsonTypeInfo(use = CLASS)`). A job has
//! failed when it has no retries left. procos raises only root incidents, so
//! `rootIncidents=true` counts the same incidents as `incidents=true`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use procos_engine::store::{Filter, Op, Query, SqlValue, Table};
use serde_json::{json, Value as Json};

use crate::dto::ProcessDefinitionDto;
use crate::error::RestError;
use crate::http::{Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::AppState;

/// Statistics routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/process-definition/statistics", get(definition_statistics))
        .route(
            "/process-definition/{id}/statistics",
            get(activity_statistics),
        )
}

const ACTIVITY_CLASS: &str =
    "org.camunda.bpm.engine.rest.dto.repository.ActivityStatisticsResultDto";
const DEFINITION_CLASS: &str =
    "org.camunda.bpm.engine.rest.dto.repository.ProcessDefinitionStatisticsResultDto";

/// Which incidents to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incidents {
    /// None: `incidents` is `[]`.
    Excluded,
    /// Every type.
    All,
    /// Only this type (`incidentsForType`).
    OfType(String),
}

/// The flags of the statistics endpoints, validated as Camunda's REST layer does: any
/// two of `incidents`, `incidentsForType` and `rootIncidents` given together (even as
/// `false`) are a 400.
pub fn flags(p: &Params, with_root: bool) -> Result<(bool, Incidents), RestError> {
    let failed_jobs = p.flag("failedJobs")?;
    let incidents = p.bool("incidents")?;
    let for_type = p.str("incidentsForType");
    let root = if with_root {
        p.bool("rootIncidents")?
    } else {
        None
    };
    let conflict = |a: &str, b: &str| {
        RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Only one of the query parameter {a} or {b} can be set."),
        )
    };
    if incidents.is_some() && for_type.is_some() {
        return Err(conflict("includeIncidents", "includeIncidentsForType"));
    }
    if incidents.is_some() && root.is_some() {
        return Err(conflict("includeIncidents", "includeRootIncidents"));
    }
    if root.is_some() && for_type.is_some() {
        return Err(conflict("includeRootIncidents", "includeIncidentsForType"));
    }
    let which = match (incidents, for_type, root) {
        (Some(true), _, _) | (_, _, Some(true)) => Incidents::All,
        (_, Some(t), _) => Incidents::OfType(t.to_owned()),
        _ => Incidents::Excluded,
    };
    Ok((failed_jobs, which))
}

/// Incident counts by a key column and type, as `{key: [{incidentType, incidentCount}]}`.
async fn incident_counts(
    state: &AppState,
    key: &'static str,
    mut q: Query,
    which: &Incidents,
) -> Result<BTreeMap<String, Vec<Json>>, RestError> {
    let mut out: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    match which {
        Incidents::Excluded => return Ok(out),
        Incidents::All => {}
        Incidents::OfType(t) => q = q.eq("incident_type", t.as_str()),
    }
    let groups = state
        .engine
        .store()
        .count_grouped(Table::Incident, &[key, "incident_type"], &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    for (keys, n) in groups {
        if let [Some(k), incident_type] = keys.as_slice() {
            out.entry(k.clone()).or_default().push(json!({
                "incidentType": incident_type,
                "incidentCount": n,
            }));
        }
    }
    Ok(out)
}

/// Failed jobs (no retries left) by a key column.
async fn failed_job_counts(
    state: &AppState,
    key: &'static str,
    q: Query,
    wanted: bool,
) -> Result<BTreeMap<String, i64>, RestError> {
    if !wanted {
        return Ok(BTreeMap::new());
    }
    let q = q.filter(Filter::Cmp("retries", Op::Lteq, SqlValue::Int(0)));
    grouped(state, Table::Job, key, q).await
}

/// Row counts of `table` by one text column.
async fn grouped(
    state: &AppState,
    table: Table,
    key: &'static str,
    q: Query,
) -> Result<BTreeMap<String, i64>, RestError> {
    let groups = state
        .engine
        .store()
        .count_grouped(table, &[key], &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(groups
        .into_iter()
        .filter_map(|(keys, n)| keys.into_iter().next().flatten().map(|k| (k, n)))
        .collect())
}

/// Running activity instances per activity id, as Camunda names the activities: a
/// multi-instance body is `<activityId>#multiInstanceBody`, apart from its inner
/// instances.
async fn running_activities(
    state: &AppState,
    q: Query,
) -> Result<BTreeMap<String, i64>, RestError> {
    let groups = state
        .engine
        .store()
        .count_grouped(
            Table::HistoricActivity,
            &["activity_id", "activity_type"],
            &q.filter(Filter::IsNull("end_time")),
        )
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let mut out = BTreeMap::new();
    for (keys, n) in groups {
        if let [Some(activity), activity_type] = keys.as_slice() {
            let id = if activity_type.as_deref() == Some("multiInstanceBody") {
                format!("{activity}#multiInstanceBody")
            } else {
                activity.clone()
            };
            *out.entry(id).or_insert(0) += n;
        }
    }
    Ok(out)
}

async fn activity_statistics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, RestError> {
    let (failed_jobs, which) = flags(&p, false)?;
    let of_definition = || Query::all().eq("definition_id", id.as_str());
    // Running activity instances are the historic ones that have not ended. An unknown
    // definition has none, and Camunda answers an empty list rather than 404.
    let running = running_activities(&state, of_definition()).await?;
    let jobs = failed_job_counts(&state, "activity_id", of_definition(), failed_jobs).await?;
    let mut incidents = incident_counts(&state, "activity_id", of_definition(), &which).await?;
    let list: Vec<Json> = running
        .into_iter()
        .map(|(activity, instances)| {
            json!({
                "@class": ACTIVITY_CLASS,
                "id": activity,
                "instances": instances,
                "failedJobs": jobs.get(&activity).copied().unwrap_or(0),
                "incidents": incidents.remove(&activity).unwrap_or_default(),
            })
        })
        .collect();
    Ok(JsonResponse(list).into_response())
}

async fn definition_statistics(
    State(state): State<AppState>,
    p: Params,
) -> Result<Response, RestError> {
    let (failed_jobs, which) = flags(&p, true)?;
    let mut all = Query::all();
    all.order = vec![
        ("key", procos_engine::store::Order::Asc),
        ("version", procos_engine::store::Order::Asc),
    ];
    let definitions = state
        .engine
        .store()
        .definitions(&all)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let instances = grouped(&state, Table::Instance, "definition_id", Query::all()).await?;
    let jobs = failed_job_counts(&state, "definition_id", Query::all(), failed_jobs).await?;
    let mut incidents = incident_counts(&state, "definition_id", Query::all(), &which).await?;
    // Camunda lists every definition, those without running instances too.
    let list: Vec<Json> = definitions
        .iter()
        .map(|d| {
            json!({
                "@class": DEFINITION_CLASS,
                "id": d.id,
                "instances": instances.get(&d.id).copied().unwrap_or(0),
                "failedJobs": jobs.get(&d.id).copied().unwrap_or(0),
                "definition": ProcessDefinitionDto::from_row(d),
                "incidents": incidents.remove(&d.id).unwrap_or_default(),
            })
        })
        .collect();
    Ok(JsonResponse(list).into_response())
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
    fn incident_flags_exclude_each_other_even_when_false() {
        let e = flags(
            &params(&[("incidents", "false"), ("incidentsForType", "failedJob")]),
            false,
        )
        .unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            e.message,
            "Only one of the query parameter includeIncidents or includeIncidentsForType can be set."
        );
        assert!(flags(
            &params(&[("incidents", "true"), ("rootIncidents", "false")]),
            true
        )
        .is_err());
        // Without rootIncidents support (activity statistics) the flag is ignored.
        assert!(flags(
            &params(&[("incidents", "true"), ("rootIncidents", "true")]),
            false
        )
        .is_ok());
    }

    #[test]
    fn which_incidents() {
        assert_eq!(
            flags(&params(&[("failedJobs", "true")]), true).unwrap(),
            (true, Incidents::Excluded)
        );
        assert_eq!(
            flags(&params(&[("rootIncidents", "true")]), true).unwrap(),
            (false, Incidents::All)
        );
        assert_eq!(
            flags(&params(&[("incidentsForType", "failedJob")]), true).unwrap(),
            (false, Incidents::OfType("failedJob".into()))
        );
    }
}
