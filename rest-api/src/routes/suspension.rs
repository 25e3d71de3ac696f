//! Suspending and activating process instances and process definitions.
//!
//! - `PUT /process-instance/{id}/suspended` `{suspended}`;
//! - `PUT /process-definition/{id}/suspended`, `…/key/{key}/suspended` and
//!   `…/key/{key}/tenant-id/{tenant}/suspended` `{suspended, includeProcessInstances,
//!   executionDate}`.
//!
//! All answer 204. As in Camunda 7.23 an unknown instance or definition id changes
//! nothing and is not an error (the engine's commands are plain updates), while an
//! unknown key is a 404 (the key is resolved to its latest version first, and only
//! that version changes). `suspended` missing is `false` (a Java primitive), which
//! activates.
//!
//! Camunda schedules a suspension with a future `executionDate` as a job; procos does
//! not, and refuses such a request with a 400 rather than applying it early. A date in
//! the past is due, so it applies at once, as Camunda's job would.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::put;
use axum::Router;
use procos_engine::store::{DefinitionRow, Order, Query};
use procos_engine::time;
use serde::Deserialize;

use crate::error::RestError;
use crate::http::{no_content, Body, NotFoundAs, OrRest};
use crate::AppState;

/// Suspension routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/process-instance/{id}/suspended", put(instance))
        .route("/process-definition/{id}/suspended", put(definition_by_id))
        .route(
            "/process-definition/key/{key}/suspended",
            put(definition_by_key),
        )
        .route(
            "/process-definition/key/{key}/tenant-id/{tenant}/suspended",
            put(definition_by_key_and_tenant),
        )
}

/// `SuspensionStateDto` / `ProcessDefinitionSuspensionStateDto`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SuspensionDto {
    suspended: Option<bool>,
    include_process_instances: Option<bool>,
    execution_date: Option<String>,
}

async fn instance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(dto): Body<SuspensionDto>,
) -> Result<Response, RestError> {
    state
        .engine
        .set_instance_suspended(&id, dto.suspended.unwrap_or(false))
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

/// Checks `executionDate`: absent, null or empty means now; a past date is due now; a
/// future one would need a scheduled job, which procos does not offer.
pub fn check_execution_date(
    text: Option<&str>,
    now: i64,
    definition: &str,
) -> Result<(), RestError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(());
    };
    let at = time::parse_date_lenient(text).map_err(|e| {
        RestError::invalid_request_from_engine(
            StatusCode::BAD_REQUEST,
            format!(
                "The suspension state of Process Definition with id {definition} could not be updated due to: {e}"
            ),
        )
    })?;
    if at.0 > now {
        return Err(RestError::invalid_request(
            StatusCode::BAD_REQUEST,
            format!(
                "The suspension state of Process Definition with id {definition} could not be updated due to: \
                 procos does not schedule suspensions, and executionDate {text} is in the future; \
                 leave it out (or null) to change the state now"
            ),
        ));
    }
    Ok(())
}

async fn apply(state: &AppState, id: &str, dto: SuspensionDto) -> Result<Response, RestError> {
    check_execution_date(dto.execution_date.as_deref(), state.engine.now().0, id)?;
    state
        .engine
        .set_definition_suspended(
            id,
            dto.suspended.unwrap_or(false),
            dto.include_process_instances.unwrap_or(false),
        )
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(no_content())
}

async fn definition_by_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Body(dto): Body<SuspensionDto>,
) -> Result<Response, RestError> {
    apply(&state, &id, dto).await
}

/// The latest version of `key`, resolved as `GET /process-definition/key/{key}` does in
/// procos: without a tenant it prefers definitions without tenant, and falls back to
/// the single tenant that owns the key.
async fn latest(
    state: &AppState,
    key: &str,
    tenant: Option<&str>,
) -> Result<DefinitionRow, RestError> {
    let mut q = Query::all().eq("key", key);
    q.order = vec![("version", Order::Desc)];
    let rows = state
        .engine
        .store()
        .definitions(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let found = match tenant {
        Some(t) => rows.into_iter().find(|d| d.tenant_id.as_deref() == Some(t)),
        None => {
            let single_tenant = rows
                .iter()
                .all(|d| d.tenant_id == rows.first().and_then(|f| f.tenant_id.clone()));
            match rows.iter().position(|d| d.tenant_id.is_none()) {
                Some(i) => rows.into_iter().nth(i),
                None if single_tenant => rows.into_iter().next(),
                None => None,
            }
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

async fn definition_by_key(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Body(dto): Body<SuspensionDto>,
) -> Result<Response, RestError> {
    let row = latest(&state, &key, None).await?;
    apply(&state, &row.id, dto).await
}

async fn definition_by_key_and_tenant(
    State(state): State<AppState>,
    Path((key, tenant)): Path<(String, String)>,
    Body(dto): Body<SuspensionDto>,
) -> Result<Response, RestError> {
    let row = latest(&state, &key, Some(&tenant)).await?;
    apply(&state, &row.id, dto).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_dates_in_the_past_apply_now_and_future_ones_are_refused() {
        let now = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        assert!(check_execution_date(None, now, "d").is_ok());
        assert!(check_execution_date(Some(""), now, "d").is_ok());
        assert!(check_execution_date(Some("2025-12-31T23:59:59.000+0000"), now, "d").is_ok());
        let e = check_execution_date(Some("2026-01-02T00:00:00.000+0000"), now, "d").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(e.message.contains("does not schedule"), "{}", e.message);
        let e = check_execution_date(Some("someday"), now, "d").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
    }
}
