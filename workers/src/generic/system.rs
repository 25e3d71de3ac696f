//! The system orchestrator's topics, served by the generic worker: small checks against
//! the engine's REST API at the configured engine URL.
//!
//! | topic | outputs |
//! |---|---|
//! | `system_initialization` | `system_status` = `"initialized"`, `initialized_at` (ISO 8601) |
//! | `worker_management` | `workers` (Json: this worker's topics), `workers_ready` = true |
//! | `health_monitoring` | `system_healthy` (the engine answers `GET /engine`), `engine_status`, `checked_at` |
//! | `request_routing` | reads `process_to_execute` or `request_type`; `route_valid`, `process_to_execute`; BPMN error `UNKNOWN_PROCESS` when no definition has that key |
//! | `system_shutdown` | `system_status` = `"shutdown"`, `shutdown_at` |
//!
//! An engine that cannot be reached makes `health_monitoring` report `system_healthy =
//! false` (the task completes); for `request_routing` it is a failure left to the retry
//! policy.

use std::time::Duration;

use reqwest::{StatusCode, Url};
use serde_json::{json, Value as Json};

use super::common::{finish, now_iso8601, text_of, Out, TaskError};
use super::config::{GenericConfig, Secret};
use super::tls;
use crate::task::{Handler, Outcome, Task, TypedValue, Variables};

/// The BPMN error `request_routing` throws for a process key with no definition.
pub const UNKNOWN_PROCESS: &str = "UNKNOWN_PROCESS";

/// The five topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemTopic {
    /// `system_initialization`.
    Initialization,
    /// `worker_management`.
    WorkerManagement,
    /// `health_monitoring`.
    HealthMonitoring,
    /// `request_routing`.
    RequestRouting,
    /// `system_shutdown`.
    Shutdown,
}

impl SystemTopic {
    /// All of them.
    pub const ALL: [SystemTopic; 5] = [
        SystemTopic::Initialization,
        SystemTopic::WorkerManagement,
        SystemTopic::HealthMonitoring,
        SystemTopic::RequestRouting,
        SystemTopic::Shutdown,
    ];

    /// The topic name.
    pub fn topic(self) -> &'static str {
        match self {
            SystemTopic::Initialization => "system_initialization",
            SystemTopic::WorkerManagement => "worker_management",
            SystemTopic::HealthMonitoring => "health_monitoring",
            SystemTopic::RequestRouting => "request_routing",
            SystemTopic::Shutdown => "system_shutdown",
        }
    }
}

/// Calls the engine's REST API.
#[derive(Clone)]
pub struct EngineApi {
    base: String,
    client: Result<reqwest::Client, String>,
    username: Option<String>,
    password: Option<Secret>,
    token: Option<Secret>,
}

impl EngineApi {
    /// A client for the engine in `config` (its URL and credentials).
    pub fn new(config: &GenericConfig) -> EngineApi {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .user_agent(concat!("procos-worker-generic/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = tls::client_config() {
            builder = builder.tls_backend_preconfigured(tls);
        }
        EngineApi {
            base: config.engine_rest_url(),
            client: builder.build().map_err(|e| e.to_string()),
            username: config.engine_username.clone(),
            password: config.engine_password.clone(),
            token: config.engine_token.clone(),
        }
    }

    /// `GET` of `segments` under the engine URL; the status and the body as JSON (null
    /// when it is not JSON).
    async fn get(&self, segments: &[&str]) -> Result<(StatusCode, Json), String> {
        let client = self.client.as_ref().map_err(Clone::clone)?;
        let mut url =
            Url::parse(&self.base).map_err(|e| format!("engine URL {}: {e}", self.base))?;
        url.path_segments_mut()
            .map_err(|()| format!("engine URL {} cannot have a path", self.base))?
            .pop_if_empty()
            .extend(segments);
        let mut request = client.get(url.clone());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        } else if let Some(user) = &self.username {
            request = request.basic_auth(user, self.password.as_ref().map(Secret::expose));
        }
        let response = request.send().await.map_err(|e| {
            let mut message = format!("GET {url}: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !message.contains(&cause_text) {
                    message.push_str(": ");
                    message.push_str(&cause_text);
                }
                source = cause.source();
            }
            message
        })?;
        let status = response.status();
        let body = response.json::<Json>().await.unwrap_or(Json::Null);
        Ok((status, body))
    }
}

/// Serves one of the system topics.
pub struct SystemHandler {
    kind: SystemTopic,
    engine: EngineApi,
    topics: Vec<String>,
}

impl SystemHandler {
    /// A handler for `kind`, talking to `engine`; `worker_management` lists `topics`.
    pub fn new(kind: SystemTopic, engine: EngineApi, topics: Vec<String>) -> SystemHandler {
        SystemHandler {
            kind,
            engine,
            topics,
        }
    }

    async fn run(&self, task: &Task) -> Result<Result<Variables, Outcome>, TaskError> {
        Ok(Ok(match self.kind {
            SystemTopic::Initialization => Out::new()
                .set("system_status", TypedValue::string("initialized"))
                .set("initialized_at", TypedValue::string(now_iso8601()))
                .done(),
            SystemTopic::WorkerManagement => Out::new()
                .json_typed(
                    "workers",
                    &json!({"generic": {"status": "running", "topics": self.topics}}),
                )
                .set("workers_ready", TypedValue::boolean(true))
                .done(),
            SystemTopic::HealthMonitoring => {
                let (healthy, status) = match self.engine.get(&["engine"]).await {
                    Ok((code, body)) if code.is_success() && body.is_array() => {
                        (true, "up".to_owned())
                    }
                    Ok((code, _)) => (false, format!("GET /engine answered {code}")),
                    Err(e) => (false, e),
                };
                if !healthy {
                    tracing::warn!(task = %task.id, "the engine is unhealthy: {status}");
                }
                Out::new()
                    .set("system_healthy", TypedValue::boolean(healthy))
                    .set("engine_status", TypedValue::string(status))
                    .set("checked_at", TypedValue::string(now_iso8601()))
                    .done()
            }
            SystemTopic::RequestRouting => {
                let key = text_of(task, &["process_to_execute", "request_type"])
                    .map(|k| k.trim().to_owned())
                    .unwrap_or_default();
                let unknown = |message: String| Outcome::BpmnError {
                    code: UNKNOWN_PROCESS.to_owned(),
                    message,
                    variables: Out::new()
                        .set("route_valid", TypedValue::boolean(false))
                        .set("process_to_execute", TypedValue::string(key.clone()))
                        .done(),
                };
                if key.is_empty() {
                    return Ok(Err(unknown(
                        "request_routing: neither process_to_execute nor request_type is set"
                            .to_owned(),
                    )));
                }
                let (status, _) = self
                    .engine
                    .get(&["process-definition", "key", &key])
                    .await
                    .map_err(|e| TaskError::Retry(format!("request_routing: {e}")))?;
                match status {
                    s if s.is_success() => Out::new()
                        .set("route_valid", TypedValue::boolean(true))
                        .set("process_to_execute", TypedValue::string(key.clone()))
                        .done(),
                    StatusCode::NOT_FOUND => {
                        return Ok(Err(unknown(format!(
                            "request_routing: no process definition has the key {key:?}"
                        ))))
                    }
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                        return Err(TaskError::fatal(format!(
                            "request_routing: the engine refused the worker's credentials ({status}); check PROCOS_ENGINE_USER / PROCOS_ENGINE_TOKEN"
                        )))
                    }
                    other => {
                        return Err(TaskError::Retry(format!(
                            "request_routing: the engine answered {other} for the key {key:?}"
                        )))
                    }
                }
            }
            SystemTopic::Shutdown => Out::new()
                .set("system_status", TypedValue::string("shutdown"))
                .set("shutdown_at", TypedValue::string(now_iso8601()))
                .done(),
        }))
    }
}

#[async_trait::async_trait]
impl Handler for SystemHandler {
    async fn handle(&self, task: &Task) -> Outcome {
        match self.run(task).await {
            Ok(Ok(variables)) => finish(task, Ok(variables)),
            Ok(Err(outcome)) => outcome,
            Err(e) => e.into_outcome(task),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generic::test_support::task;
    use axum::extract::Path as AxumPath;
    use axum::http::HeaderMap;
    use axum::routing::get;
    use axum::Router;

    async fn engine() -> String {
        let app = Router::new()
            .route(
                "/engine-rest/engine",
                get(|| async { axum::Json(json!([{"name": "default"}])) }),
            )
            .route(
                "/engine-rest/process-definition/key/{key}",
                get(
                    |AxumPath(key): AxumPath<String>, headers: HeaderMap| async move {
                        let authorized = headers.get("authorization").and_then(|v| v.to_str().ok())
                            == Some("Basic ZGVtbzpkZW1v");
                        match (authorized, key.as_str()) {
                            (false, _) => {
                                (axum::http::StatusCode::UNAUTHORIZED, axum::Json(json!({})))
                            }
                            (true, "order process") => (
                                axum::http::StatusCode::OK,
                                axum::Json(json!({"key": key, "id": "order:1"})),
                            ),
                            _ => (
                                axum::http::StatusCode::NOT_FOUND,
                                axum::Json(json!({"type": "RestException"})),
                            ),
                        }
                    },
                ),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        format!("http://{addr}/engine-rest")
    }

    fn handler(kind: SystemTopic, url: &str, user: Option<&str>) -> SystemHandler {
        let config = GenericConfig {
            engine_url: Some(url.to_owned()),
            engine_username: user.map(str::to_owned),
            engine_password: user.map(Secret::new),
            ..GenericConfig::default()
        };
        SystemHandler::new(
            kind,
            EngineApi::new(&config),
            vec!["http_request".to_owned()],
        )
    }

    fn completed(outcome: Outcome) -> Variables {
        match outcome {
            Outcome::Complete { variables, .. } => variables,
            other => panic!("expected completion, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn health_routing_and_the_simple_topics() {
        let url = engine().await;
        let v = completed(
            handler(SystemTopic::HealthMonitoring, &url, None)
                .handle(&task("health_monitoring", json!({})))
                .await,
        );
        assert_eq!(v["system_healthy"], TypedValue::boolean(true));
        assert!(v["checked_at"]
            .to_json()
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
        let v = completed(
            handler(
                SystemTopic::HealthMonitoring,
                "http://127.0.0.1:1/engine-rest",
                None,
            )
            .handle(&task("health_monitoring", json!({})))
            .await,
        );
        assert_eq!(v["system_healthy"], TypedValue::boolean(false));

        let routing = handler(SystemTopic::RequestRouting, &url, Some("demo"));
        let v = completed(
            routing
                .handle(&task(
                    "request_routing",
                    json!({"request_type": "order process"}),
                ))
                .await,
        );
        assert_eq!(v["route_valid"], TypedValue::boolean(true));
        assert_eq!(v["process_to_execute"], TypedValue::string("order process"));
        match routing
            .handle(&task(
                "request_routing",
                json!({"process_to_execute": "nope"}),
            ))
            .await
        {
            Outcome::BpmnError {
                code, variables, ..
            } => {
                assert_eq!(code, UNKNOWN_PROCESS);
                assert_eq!(variables["route_valid"], TypedValue::boolean(false));
            }
            other => panic!("expected UNKNOWN_PROCESS, got {other:?}"),
        }
        match handler(SystemTopic::RequestRouting, &url, None)
            .handle(&task(
                "request_routing",
                json!({"request_type": "order process"}),
            ))
            .await
        {
            Outcome::Failure {
                retries, message, ..
            } => {
                assert_eq!(retries, Some(0));
                assert!(message.contains("credentials"), "{message}");
            }
            other => panic!("expected a failure, got {other:?}"),
        }

        let v = completed(
            handler(SystemTopic::WorkerManagement, &url, None)
                .handle(&task("worker_management", json!({})))
                .await,
        );
        assert_eq!(
            v["workers"].to_json(),
            json!({"generic": {"status": "running", "topics": ["http_request"]}})
        );
        let v = completed(
            handler(SystemTopic::Initialization, &url, None)
                .handle(&task("system_initialization", json!({})))
                .await,
        );
        assert_eq!(v["system_status"], TypedValue::string("initialized"));
        let v = completed(
            handler(SystemTopic::Shutdown, &url, None)
                .handle(&task("system_shutdown", json!({})))
                .await,
        );
        assert!(v.contains_key("shutdown_at"));
    }
}
