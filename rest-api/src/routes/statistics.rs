//! Being written.

use axum::Router;

use crate::AppState;

/// Routes of this resource.
pub fn router() -> Router<AppState> {
    Router::new()
}
