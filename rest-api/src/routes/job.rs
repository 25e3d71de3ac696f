//! Jobs: list and count with Camunda's filters, read one, set retries, execute now, move
//! the due date.
//!
//! procos's jobs are timers (`timer` in running instances, `timer-start` for timer start
//! events) and asynchronous continuations (`async-before`, `async-after`), which are
//! what Camunda calls message jobs: `timers=true` and `messages=true` select them by
//! type. Status codes follow Camunda 7.23's
//! `JobResourceImpl`, not its OpenAPI document (COMPAT §2.2): an unknown job is a 500
//! for retries and due date, a 404 for execute.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use procos_engine::service::ServiceError;
use procos_engine::store::{Filter, Op, Query, SqlValue, Table};
use procos_engine::time;
use serde_json::{Map, Value as Json};

use crate::dto;
use crate::error::RestError;
use crate::http::{no_content, Body, Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::AppState;

/// Job routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/job", get(list))
        .route("/job/count", get(count))
        .route("/job/{id}", get(one))
        .route("/job/{id}/retries", put(retries))
        .route("/job/{id}/execute", post(execute))
        .route("/job/{id}/duedate", put(due_date))
}

/// Camunda's `sortBy` values and the columns they sort.
pub const SORT: &[(&str, &str)] = &[
    ("jobId", "id"),
    ("executionId", "execution_id"),
    ("processInstanceId", "instance_id"),
    ("processDefinitionId", "definition_id"),
    ("processDefinitionKey", "definition_key"),
    ("jobRetries", "retries"),
    ("jobDueDate", "due"),
    ("jobPriority", "priority"),
    ("tenantId", "tenant_id"),
];

/// The job types Camunda's `timers` filter selects.
const TIMER_TYPES: &[&str] = &["timer", "timer-start"];
/// The job types Camunda's `messages` filter selects: asynchronous continuations.
const MESSAGE_TYPES: &[&str] = &["async-before", "async-after"];

fn of_types(types: &[&str]) -> Filter {
    Filter::In(
        "job_type",
        types
            .iter()
            .map(|t| SqlValue::Text((*t).to_owned()))
            .collect(),
    )
}

fn text_list(values: Vec<String>) -> Vec<SqlValue> {
    values.into_iter().map(SqlValue::Text).collect()
}

/// Parses a `dueDates`/`createTimes` parameter, `gt_<date>,lt_<date>`, into filters on
/// `column` (Camunda's `ConditionListConverter` and `JobQueryDto.ApplyDates`). Only `gt`
/// and `lt` exist; both bounds are exclusive.
pub fn date_conditions(
    param: &str,
    text: &str,
    column: &'static str,
    field: &str,
) -> Result<Vec<Filter>, RestError> {
    let mut filters = Vec::new();
    for condition in text.split(',') {
        let Some((op, value)) = condition.split_once('_') else {
            return Err(RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!("Cannot set query parameter '{param}' to value '{text}'"),
            ));
        };
        let at = time::parse_date_lenient(value).map_err(|_| {
            RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                format!(
                    "Invalid {field} format: Cannot convert value \"{value}\" to java type java.util.Date"
                ),
            )
        })?;
        let op = match op {
            "gt" => Op::Gt,
            "lt" => Op::Lt,
            other => {
                return Err(RestError::invalid_request(
                    StatusCode::BAD_REQUEST,
                    format!("Invalid {field} comparator specified: {other}"),
                ))
            }
        };
        filters.push(Filter::Cmp(column, op, SqlValue::Int(at.0)));
    }
    Ok(filters)
}

/// The job query of `GET /job` and `/job/count`. `now` decides `executable`.
pub fn query(p: &Params, now: i64) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("jobId", "id"),
        ("processInstanceId", "instance_id"),
        ("executionId", "execution_id"),
        ("processDefinitionId", "definition_id"),
        ("processDefinitionKey", "definition_key"),
        ("activityId", "activity_id"),
        ("exceptionMessage", "exception_message"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    for (param, col) in [("jobIds", "id"), ("processInstanceIds", "instance_id")] {
        if let Some(list) = p.list(param) {
            q = q.filter(Filter::In(col, text_list(list)));
        }
    }
    if p.str("jobDefinitionId").is_some() {
        // procos has no job definitions: every job's jobDefinitionId is null.
        q = q.filter(Filter::Nothing);
    }
    if let Some(activity) = p.str("failedActivityId") {
        // A job's failed activity is its own activity once a run failed.
        q = q
            .eq("activity_id", activity)
            .filter(Filter::NotNull("exception_message"));
    }
    let timers = p.flag("timers")?;
    let messages = p.flag("messages")?;
    if timers && messages {
        return Err(RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            "Parameter timers cannot be used together with parameter messages.",
        ));
    }
    if timers {
        q = q.filter(of_types(TIMER_TYPES));
    }
    if messages {
        q = q.filter(of_types(MESSAGE_TYPES));
    }
    if p.flag("withRetriesLeft")? {
        q = q.filter(Filter::Cmp("retries", Op::Gt, SqlValue::Int(0)));
    }
    if p.flag("noRetriesLeft")? {
        q = q.filter(Filter::Cmp("retries", Op::Lteq, SqlValue::Int(0)));
    }
    if p.flag("executable")? {
        // Camunda: retries left and due (a null due date is due; procos always has one).
        q = q
            .filter(Filter::Cmp("retries", Op::Gt, SqlValue::Int(0)))
            .filter(Filter::Cmp("due", Op::Lteq, SqlValue::Int(now)));
    }
    if p.flag("withException")? {
        q = q.filter(Filter::NotNull("exception_message"));
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
    if let Some(text) = p.str("dueDates") {
        q.filters
            .extend(date_conditions("dueDates", text, "due", "due date")?);
    }
    if let Some(text) = p.str("createTimes") {
        q.filters.extend(date_conditions(
            "createTimes",
            text,
            "created",
            "create time",
        )?);
    }
    if let Some(tenants) = p.list("tenantIdIn") {
        let tenants = Filter::In("tenant_id", text_list(tenants));
        if p.flag("includeJobsWithoutTenantId")? {
            q = q.filter(Filter::Any(vec![tenants, Filter::IsNull("tenant_id")]));
        } else {
            q = q.filter(tenants);
        }
    }
    if p.flag("withoutTenantId")? {
        q = q.filter(Filter::IsNull("tenant_id"));
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
        .jobs(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows.iter().map(dto::job).collect();
    Ok(JsonResponse(list).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p, state.engine.now().0)?;
    let n = state
        .engine
        .store()
        .count(Table::Job, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, RestError> {
    let row = state
        .engine
        .store()
        .jobs(&Query::all().eq("id", id.as_str()))
        .await
        .or_rest(NotFoundAs::ServerError)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            RestError::invalid_request(
                StatusCode::NOT_FOUND,
                format!("Job with id {id} does not exist"),
            )
        })?;
    Ok(JsonResponse(dto::job(&row)).into_response())
}

/// A date field of a request body: absent, null, or a date. A date that does not parse
/// is Jackson's mapping failure, a 400.
fn body_date(body: &Map<String, Json>, key: &str) -> Result<Option<Option<i64>>, RestError> {
    match body.get(key) {
        None => Ok(None),
        Some(Json::Null) => Ok(Some(None)),
        Some(Json::String(s)) => time::parse_date_lenient(s)
            .map(|t| Some(Some(t.0)))
            .map_err(|_| {
                RestError::invalid_request(
                    StatusCode::BAD_REQUEST,
                    format!("Cannot convert value \"{s}\" to java type java.util.Date"),
                )
            }),
        Some(other) => Err(RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!("Cannot convert value {other} to java type java.util.Date"),
        )),
    }
}

/// Camunda wraps every engine failure of retries and due date in a 500
/// `InvalidRequestException` carrying the engine's message (no engine code).
fn as_server_error(e: ServiceError) -> RestError {
    let inner = crate::http::service_error(e, NotFoundAs::ServerError);
    if inner.status == StatusCode::SERVICE_UNAVAILABLE {
        return inner;
    }
    RestError::invalid_request(StatusCode::INTERNAL_SERVER_ERROR, inner.message)
}

async fn retries(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    // Camunda unboxes a null `retries` into an int and fails with a bare
    // NullPointerException (500); procos says what is wrong instead.
    let retries = match body.get("retries") {
        None | Some(Json::Null) => {
            return Err(RestError::invalid_request(
                StatusCode::BAD_REQUEST,
                "The number of retries cannot be null.",
            ))
        }
        // Jackson also reads a number written as text ("5").
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|t| t.trim().parse().ok()))
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(RestError::malformed_body)?,
    };
    // An explicit null due date means "due now", as a job without due date is in Camunda;
    // no `dueDate` key keeps the current one.
    let due = body_date(&body, "dueDate")?.map(|d| d.unwrap_or(state.engine.now().0));
    state
        .engine
        .set_job_retries(&id, retries, due)
        .await
        .map_err(as_server_error)?;
    Ok(no_content())
}

async fn execute(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RestError> {
    match state.engine.execute_job_now(&id).await {
        Ok(()) => Ok(no_content()),
        // Camunda answers 404 for every ProcessEngineException (an unknown job, or the
        // job's own failure) and 500 for other runtime exceptions; a database failure is
        // the nearest procos has to the latter.
        Err(ServiceError::Store(e)) => {
            tracing::error!(error = %e, job = %id, "store error while executing a job");
            Err(RestError::rest(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.to_string(),
            ))
        }
        Err(ServiceError::ShuttingDown) => Err(crate::http::service_error(
            ServiceError::ShuttingDown,
            NotFoundAs::NotFound,
        )),
        Err(e) => Err(RestError::invalid_request(
            StatusCode::NOT_FOUND,
            e.to_string(),
        )),
    }
}

async fn due_date(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(body): Body<Map<String, Json>>,
) -> Result<Response, RestError> {
    // A null or missing `duedate` makes the job due at once (Camunda sets it to null).
    let due = body_date(&body, "duedate")?
        .flatten()
        .unwrap_or(state.engine.now().0);
    state
        .engine
        .set_job_due_date(&id, due)
        .await
        .map_err(as_server_error)?;
    Ok(no_content())
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
    fn due_dates_take_gt_and_lt() {
        let f = date_conditions(
            "dueDates",
            "gt_2026-01-01T00:00:00.000+0000,lt_2026-01-02T00:00:00.000+0000",
            "due",
            "due date",
        )
        .unwrap();
        assert_eq!(
            f,
            vec![
                Filter::Cmp("due", Op::Gt, SqlValue::Int(1_767_225_600_000)),
                Filter::Cmp("due", Op::Lt, SqlValue::Int(1_767_312_000_000)),
            ]
        );
    }

    #[test]
    fn due_dates_refuse_other_comparators_and_bad_dates() {
        let e = date_conditions(
            "dueDates",
            "eq_2026-01-01T00:00:00.000+0000",
            "due",
            "due date",
        )
        .unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.message, "Invalid due date comparator specified: eq");
        let e = date_conditions("dueDates", "gt_tomorrow", "due", "due date").unwrap_err();
        assert!(
            e.message.starts_with("Invalid due date format"),
            "{}",
            e.message
        );
        let e = date_conditions("dueDates", "nonsense", "due", "due date").unwrap_err();
        assert_eq!(
            e.message,
            "Cannot set query parameter 'dueDates' to value 'nonsense'"
        );
    }

    #[test]
    fn timers_and_messages_select_job_types_but_not_together() {
        let q = query(&params(&[("messages", "true")]), 0).unwrap();
        assert_eq!(q.filters, vec![of_types(MESSAGE_TYPES)]);
        let q = query(&params(&[("timers", "true")]), 0).unwrap();
        assert_eq!(q.filters, vec![of_types(TIMER_TYPES)]);
        let e = query(&params(&[("timers", "true"), ("messages", "true")]), 0).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn executable_means_retries_left_and_due() {
        let q = query(&params(&[("executable", "true")]), 42).unwrap();
        assert_eq!(
            q.filters,
            vec![
                Filter::Cmp("retries", Op::Gt, SqlValue::Int(0)),
                Filter::Cmp("due", Op::Lteq, SqlValue::Int(42)),
            ]
        );
    }

    #[test]
    fn tenants_may_include_jobs_without_tenant() {
        let q = query(
            &params(&[
                ("tenantIdIn", "a,b"),
                ("includeJobsWithoutTenantId", "true"),
            ]),
            0,
        )
        .unwrap();
        assert_eq!(
            q.filters,
            vec![Filter::Any(vec![
                Filter::In(
                    "tenant_id",
                    vec![SqlValue::Text("a".into()), SqlValue::Text("b".into())]
                ),
                Filter::IsNull("tenant_id"),
            ])]
        );
    }

    #[test]
    fn a_bad_flag_is_camundas_400() {
        let e = query(&params(&[("withException", "yes")]), 0).unwrap_err();
        assert_eq!(
            e.message,
            "Cannot set query parameter 'withException' to value 'yes'"
        );
    }
}
