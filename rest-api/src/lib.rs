//! procos's Camunda 7 `engine-rest` API, on axum.
//!
//! Every resource is served under `/engine-rest` and again under
//! `/engine-rest/engine/default`, the named-engine prefix. Responses, status codes and
//! error bodies follow Camunda 7.23 as `shared/camunda/COMPAT.md` describes them.

pub mod dto;
pub mod error;
pub mod http;
pub mod routes;
pub mod values;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use procos_engine::service::Engine;

/// Settings of the REST layer.
#[derive(Debug, Clone)]
pub struct RestConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The version `GET /version` reports.
    pub version: String,
}

impl Default for RestConfig {
    fn default() -> Self {
        RestConfig {
            max_body_bytes: 16 * 1024 * 1024,
            version: "7.23.0".to_owned(),
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The engine.
    pub engine: Arc<Engine>,
    /// Settings.
    pub config: Arc<RestConfig>,
}

/// The whole API as a router, ready to serve.
pub fn app(engine: Arc<Engine>, config: RestConfig) -> Router {
    let limit = config.max_body_bytes;
    let state = AppState {
        engine,
        config: Arc::new(config),
    };
    let api = routes::router();
    Router::new()
        .nest("/engine-rest", api.clone())
        .nest("/engine-rest/engine/default", api)
        .merge(routes::engine::outside())
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state)
}
