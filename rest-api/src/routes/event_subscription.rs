//! Event subscriptions (message and signal catches, and message and signal start
//! events): list and count.
//!
//! procos keeps timers as jobs, not subscriptions, and has no compensation or
//! conditional events, so `eventType` other than `message` or `signal` matches nothing,
//! as it would in Camunda for a process without such events.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use procos_engine::store::{Filter, Query, SqlValue, Table};
use serde_json::Value as Json;

use crate::dto;
use crate::error::RestError;
use crate::http::{Json as JsonResponse, NotFoundAs, OrRest, Params};
use crate::AppState;

/// Event subscription routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/event-subscription", get(list))
        .route("/event-subscription/count", get(count))
}

/// Camunda's `sortBy` values and the columns they sort.
pub const SORT: &[(&str, &str)] = &[("created", "created"), ("tenantId", "tenant_id")];

/// The subscription query.
pub fn query(p: &Params) -> Result<Query, RestError> {
    let mut q = Query::all();
    for (param, col) in [
        ("eventSubscriptionId", "id"),
        ("eventName", "event_name"),
        ("eventType", "event_type"),
        ("executionId", "execution_id"),
        ("processInstanceId", "instance_id"),
        ("activityId", "activity_id"),
    ] {
        if let Some(v) = p.str(param) {
            q = q.eq(col, v);
        }
    }
    if let Some(tenants) = p.list("tenantIdIn") {
        let tenants = Filter::In(
            "tenant_id",
            tenants.into_iter().map(SqlValue::Text).collect(),
        );
        if p.flag("includeEventSubscriptionsWithoutTenantId")? {
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
    let mut q = query(&p)?;
    q.order = p.sorting(SORT)?;
    (q.first, q.max) = p.paging()?;
    let rows = state
        .engine
        .store()
        .subscriptions(&q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    let list: Vec<Json> = rows.iter().map(dto::subscription).collect();
    Ok(JsonResponse(list).into_response())
}

async fn count(State(state): State<AppState>, p: Params) -> Result<Response, RestError> {
    let q = query(&p)?;
    let n = state
        .engine
        .store()
        .count(Table::Subscription, &q)
        .await
        .or_rest(NotFoundAs::ServerError)?;
    Ok(JsonResponse(dto::count(n)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use procos_engine::store::Op;

    #[test]
    fn filters_map_to_columns() {
        let p = Params(vec![
            ("eventType".into(), "message".into()),
            ("withoutTenantId".into(), "true".into()),
        ]);
        let q = query(&p).unwrap();
        assert_eq!(
            q.filters,
            vec![
                Filter::Cmp("event_type", Op::Eq, "message".into()),
                Filter::IsNull("tenant_id"),
            ]
        );
    }
}
