//! HTTP basic authentication and CORS, both off by default.
//!
//! With users configured, every request must carry `Authorization: Basic
//! base64(user:password)` naming one of them; otherwise the answer is Camunda's: 401
//! with no body and `WWW-Authenticate: Basic realm="default"`
//! (`ProcessEngineAuthenticationFilter` with `HttpBasicAuthenticationProvider`).
//! `GET /engine-rest/engine` stays open, as in Camunda's white list, and so does
//! `/health`, which orchestrators probe without credentials.
//!
//! CORS is answered only for the configured origins (`*` for any), so a browser-based
//! tool such as the Modeler's web variant can call the API when the operator allows it.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use procos_engine::value::base64;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// The realm Camunda names in its challenge: the engine's name.
const CHALLENGE: &str = "Basic realm=\"default\"";

/// Paths that never need credentials.
const OPEN_PATHS: &[&str] = &["/engine-rest/engine", "/engine-rest/engine/", "/health"];

/// The configured users, checked in constant time.
pub struct Credentials {
    users: Vec<(String, String)>,
}

impl Credentials {
    /// Users as (name, password) pairs.
    pub fn new(users: Vec<(String, String)>) -> Self {
        Credentials { users }
    }

    /// True when `user` and `password` match one configured pair. Every pair is
    /// compared in full, so the time taken does not reveal which part differed or
    /// which user exists.
    pub fn accept(&self, user: &str, password: &str) -> bool {
        let mut ok = false;
        for (u, p) in &self.users {
            // `&` and `|` rather than `&&` and `||`: no short cut.
            ok |= constant_time_eq(u.as_bytes(), user.as_bytes())
                & constant_time_eq(p.as_bytes(), password.as_bytes());
        }
        ok
    }
}

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().max(b.len());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..n {
        let x = a.get(i).copied().unwrap_or(0);
        let y = b.get(i).copied().unwrap_or(0);
        diff |= x ^ y;
    }
    // Keeps the compiler from turning the loop into an early-exit comparison.
    std::hint::black_box(diff) == 0
}

/// The user and password of an `Authorization: Basic …` header value; None for any
/// other scheme (Bearer tokens included) or a malformed value.
pub fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    // The password may contain ':'; the user name cannot (RFC 7617).
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// True for the paths that need no credentials.
pub fn is_open(path: &str) -> bool {
    OPEN_PATHS.contains(&path)
}

/// The middleware: passes authenticated requests on, answers the others with 401.
pub async fn require(
    State(credentials): State<Arc<Credentials>>,
    request: Request,
    next: Next,
) -> Response {
    if is_open(request.uri().path()) {
        return next.run(request).await;
    }
    let authenticated = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_basic)
        .is_some_and(|(user, password)| credentials.accept(&user, &password));
    if authenticated {
        next.run(request).await
    } else {
        unauthorized()
    }
}

/// 401 with no body and the Basic challenge.
pub fn unauthorized() -> Response {
    let mut response = StatusCode::UNAUTHORIZED.into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static(CHALLENGE),
    );
    response
}

/// The CORS layer for `origins` (`*` allows any origin); None when CORS is off. Origins
/// that are not valid header values are skipped.
pub fn cors(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow_origin = if origins.iter().any(|o| o.trim() == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(
            origins
                .iter()
                .filter_map(|o| HeaderValue::from_str(o.trim()).ok()),
        )
    };
    Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::DELETE,
                Method::OPTIONS,
            ])
            // Whatever the browser asks for, `Authorization` and `Content-Type` above all.
            .allow_headers(AllowHeaders::mirror_request())
            .expose_headers([header::WWW_AUTHENTICATE, header::CONTENT_DISPOSITION])
            .max_age(Duration::from_secs(600)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_headers_parse() {
        // "demo:s3:cret" — the password keeps its colon.
        let header = format!("Basic {}", base64::encode(b"demo:s3:cret"));
        assert_eq!(
            parse_basic(&header),
            Some(("demo".to_owned(), "s3:cret".to_owned()))
        );
        assert_eq!(
            parse_basic(&format!("basic  {}", base64::encode(b"a:b"))),
            Some(("a".to_owned(), "b".to_owned()))
        );
        assert_eq!(parse_basic("Bearer abc.def"), None);
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(
            parse_basic(&format!("Basic {}", base64::encode(b"nocolon"))),
            None
        );
        assert_eq!(parse_basic("Basic"), None);
    }

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
        assert!(constant_time_eq(b"", b""));
        // A prefix padded with zero bytes is still different.
        assert!(!constant_time_eq(b"ab", b"ab\0"));
    }

    #[test]
    fn credentials_need_both_parts_of_one_user() {
        let c = Credentials::new(vec![
            ("demo".into(), "demo".into()),
            ("ops".into(), "pw".into()),
        ]);
        assert!(c.accept("demo", "demo"));
        assert!(c.accept("ops", "pw"));
        assert!(!c.accept("demo", "pw"));
        assert!(!c.accept("nobody", ""));
    }

    #[test]
    fn only_the_engine_list_and_health_are_open() {
        assert!(is_open("/engine-rest/engine"));
        assert!(is_open("/health"));
        assert!(!is_open("/engine-rest/engine/default/process-definition"));
        assert!(!is_open("/engine-rest/version"));
    }
}
