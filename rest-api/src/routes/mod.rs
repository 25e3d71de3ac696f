//! The routes, one module per Camunda resource.

pub mod activity_instances;
pub mod condition;
pub mod deployment;
pub mod engine;
pub mod event_subscription;
pub mod execution;
pub mod external_task;
pub mod history;
pub mod incident;
pub mod job;
pub mod message;
pub mod openapi;
pub mod process_definition;
pub mod process_instance;
pub mod signal;
pub mod statistics;
pub mod suspension;
pub mod task;
pub mod variable_instance;
pub mod variables;

use axum::Router;

use crate::AppState;

/// Every resource, relative to `/engine-rest`.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(engine::router())
        .merge(deployment::router())
        .merge(process_definition::router())
        .merge(process_instance::router())
        .merge(external_task::router())
        .merge(history::router())
        .merge(variables::router())
        .merge(task::router())
        .merge(message::router())
        .merge(signal::router())
        .merge(condition::router())
        .merge(execution::router())
        .merge(job::router())
        .merge(incident::router())
        .merge(event_subscription::router())
        .merge(variable_instance::router())
        .merge(activity_instances::router())
        .merge(statistics::router())
        .merge(suspension::router())
        .merge(openapi::router())
}

/// `http://host/engine-rest`, for the links Camunda puts in some responses.
pub fn base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}/engine-rest")
}
