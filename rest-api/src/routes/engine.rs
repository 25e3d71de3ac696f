//! `GET /engine`, `GET /version`, and the health endpoint.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;

use crate::http::{json_response, Json};
use crate::AppState;

/// `/engine` and `/version`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/engine", get(engines))
        .route("/version", get(version))
}

/// Routes outside `/engine-rest`: `GET /health`.
pub fn outside() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn engines() -> Json<serde_json::Value> {
    Json(json!([{ "name": "default" }]))
}

async fn version(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "version": state.config.version }))
}

/// 200 when the store answers, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    match state.engine.store().ping().await {
        Ok(()) if !state.engine.is_draining() => {
            Json(json!({ "status": "UP", "store": "UP" })).into_response()
        }
        Ok(()) => json_response(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "DRAINING", "store": "UP" })
                .to_string()
                .into_bytes(),
        ),
        Err(e) => json_response(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "DOWN", "store": "DOWN", "error": e.to_string() })
                .to_string()
                .into_bytes(),
        ),
    }
}
