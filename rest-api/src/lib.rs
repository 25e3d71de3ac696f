//! procos's Camunda 7 `engine-rest` API, on axum.
//!
//! Every resource is served under `/engine-rest` and again under
//! `/engine-rest/engine/default`, the named-engine prefix. Responses, status codes and
//! error bodies follow Camunda 7.23 as `shared/camunda/COMPAT.md` describes them.

pub mod auth;
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
#[derive(Clone)]
pub struct RestConfig {
    /// Largest accepted request body, in bytes.
    pub max_body_bytes: usize,
    /// The version `GET /version` reports.
    pub version: String,
    /// Users for HTTP basic authentication, as (name, password); empty turns
    /// authentication off (Camunda's default).
    pub users: Vec<(String, String)>,
    /// Origins allowed by CORS (`*` for any); empty turns CORS off.
    pub cors_origins: Vec<String>,
}

impl Default for RestConfig {
    fn default() -> Self {
        RestConfig {
            max_body_bytes: 16 * 1024 * 1024,
            version: "7.23.0".to_owned(),
            users: Vec::new(),
            cors_origins: Vec::new(),
        }
    }
}

// Written by hand so that passwords never reach a log through `{:?}`.
impl std::fmt::Debug for RestConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let users: Vec<&str> = self.users.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("RestConfig")
            .field("max_body_bytes", &self.max_body_bytes)
            .field("version", &self.version)
            .field("users", &users)
            .field("cors_origins", &self.cors_origins)
            .finish()
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

/// A path procos does not serve: Camunda's error body for JAX-RS's `NotFoundException`,
/// so that clients which read `message` on every error get one.
async fn unknown_route() -> error::RestError {
    error::RestError::new(
        axum::http::StatusCode::NOT_FOUND,
        "NotFoundException",
        "HTTP 404 Not Found",
    )
}

/// A served path with a method it does not take (JAX-RS's `NotAllowedException`).
async fn method_not_allowed() -> error::RestError {
    error::RestError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "NotAllowedException",
        "HTTP 405 Method Not Allowed",
    )
}

/// The whole API as a router, ready to serve.
pub fn app(engine: Arc<Engine>, config: RestConfig) -> Router {
    let limit = config.max_body_bytes;
    let users = config.users.clone();
    let cors = auth::cors(&config.cors_origins);
    let state = AppState {
        engine,
        config: Arc::new(config),
    };
    let api = routes::router();
    let routes = Router::new()
        .nest("/engine-rest", api.clone())
        .nest("/engine-rest/engine/default", api)
        .merge(routes::engine::outside())
        .fallback(unknown_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state);
    // The routes sit behind a fallback so that the layers below also see requests for
    // paths no route matches: without credentials those are a 401 too, as in Camunda.
    let mut app = Router::new().fallback_service(routes);
    if !users.is_empty() {
        app = app.layer(axum::middleware::from_fn_with_state(
            Arc::new(auth::Credentials::new(users)),
            auth::require,
        ));
    }
    // Outermost, so that preflights are answered before authentication and 401s carry
    // the CORS headers a browser needs to read them.
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    app
}
