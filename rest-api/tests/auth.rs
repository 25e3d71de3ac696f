//! HTTP basic authentication and CORS, both off by default.

mod support;

use procos_engine::value::base64;
use procos_rest::RestConfig;
use support::Api;

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::encode(format!("{user}:{password}").as_bytes())
    )
}

fn secured(origins: &[&str]) -> RestConfig {
    RestConfig {
        users: vec![
            ("demo".into(), "s3cret".into()),
            ("ops".into(), "pw:with:colons".into()),
        ],
        cors_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
        ..RestConfig::default()
    }
}

#[tokio::test]
async fn everything_is_open_by_default() {
    let api = Api::new().await;
    let reply = api.get("/version").await.expect(200);
    assert!(reply.headers.get("www-authenticate").is_none());
    assert!(reply.headers.get("access-control-allow-origin").is_none());
    let reply = api
        .call_with(
            "GET",
            "/engine-rest/version",
            None,
            &[("origin", "http://elsewhere")],
        )
        .await
        .expect(200);
    assert!(
        reply.headers.get("access-control-allow-origin").is_none(),
        "CORS is off"
    );
}

#[tokio::test]
async fn requests_without_valid_credentials_get_401_without_body() {
    let api = Api::with_config(secured(&[])).await;
    for (uri, headers) in [
        ("/engine-rest/version", vec![]),
        ("/engine-rest/engine/default/version", vec![]),
        ("/engine-rest/process-definition", vec![]),
        ("/engine-rest/no-such-resource", vec![]),
        (
            "/engine-rest/version",
            vec![("authorization", basic("demo", "wrong"))],
        ),
        (
            "/engine-rest/version",
            vec![("authorization", basic("nobody", "s3cret"))],
        ),
        (
            "/engine-rest/version",
            vec![("authorization", "Bearer token".to_owned())],
        ),
        (
            "/engine-rest/version",
            vec![("authorization", "Basic %%%".to_owned())],
        ),
    ] {
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let reply = api.call_with("GET", uri, None, &headers).await.expect(401);
        assert!(reply.bytes.is_empty(), "{uri}: {}", reply.text());
        assert_eq!(
            reply.headers["www-authenticate"], "Basic realm=\"default\"",
            "{uri}"
        );
    }
}

#[tokio::test]
async fn valid_credentials_pass_and_the_white_list_stays_open() {
    let api = Api::with_config(secured(&[])).await;
    let demo = basic("demo", "s3cret");
    let reply = api
        .call_with(
            "GET",
            "/engine-rest/version",
            None,
            &[("authorization", &demo)],
        )
        .await
        .expect(200);
    assert_eq!(reply.json()["version"], "7.23.0");
    let ops = basic("ops", "pw:with:colons");
    api.call_with(
        "GET",
        "/engine-rest/engine/default/job/count",
        None,
        &[("authorization", &ops)],
    )
    .await
    .expect(200);
    // Camunda's white list: the engine list; procos adds its health check.
    api.call("GET", "/engine-rest/engine", None)
        .await
        .expect(200);
    api.call("GET", "/health", None).await.expect(200);
    // An authenticated request for an unknown path is an ordinary 404.
    api.call_with(
        "GET",
        "/engine-rest/no-such-resource",
        None,
        &[("authorization", &demo)],
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn cors_answers_preflights_before_authentication() {
    let api = Api::with_config(secured(&["http://modeler.local"])).await;
    let preflight = api
        .call_with(
            "OPTIONS",
            "/engine-rest/deployment/create",
            None,
            &[
                ("origin", "http://modeler.local"),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization,content-type",
                ),
            ],
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "http://modeler.local"
    );
    let methods = preflight.headers["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = preflight.headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");

    // A 401 carries the CORS headers, so the browser lets the page read it.
    let reply = api
        .call_with(
            "GET",
            "/engine-rest/version",
            None,
            &[("origin", "http://modeler.local")],
        )
        .await
        .expect(401);
    assert_eq!(
        reply.headers["access-control-allow-origin"],
        "http://modeler.local"
    );
    // Other origins get no CORS headers.
    let reply = api
        .call_with(
            "GET",
            "/engine-rest/version",
            None,
            &[("origin", "http://evil.local")],
        )
        .await
        .expect(401);
    assert!(reply.headers.get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn a_star_allows_any_origin() {
    let api = Api::with_config(RestConfig {
        cors_origins: vec!["*".into()],
        ..RestConfig::default()
    })
    .await;
    let reply = api
        .call_with(
            "GET",
            "/engine-rest/version",
            None,
            &[("origin", "http://anywhere")],
        )
        .await
        .expect(200);
    assert_eq!(reply.headers["access-control-allow-origin"], "*");
}

#[test]
fn passwords_stay_out_of_debug_output() {
    let text = format!("{:?}", secured(&[]));
    assert!(text.contains("demo"), "{text}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(!text.contains("colons"), "{text}");
}
