//! [`EngineClient`]: the external-task calls of Camunda's `engine-rest` API, one method
//! per call, with the worker id and authentication of a [`ClientConfig`].

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};

use super::config::{normalise_base_url, Auth, ClientConfig, EngineUrl};
use super::ClientError;
use crate::task::{Task, Variables};

/// One topic of a fetchAndLock request (`FetchExternalTaskTopicDto`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FetchTopic {
    /// The topic.
    pub topic_name: String,
    /// The lock duration of the tasks fetched, in milliseconds.
    pub lock_duration: u64,
    /// The variables to fetch; None (not sent) fetches all of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variables: Option<Vec<String>>,
    /// Fetch only local variables.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub local_variables: bool,
    /// Fetch `camunda:properties` of the activity.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub include_extension_properties: bool,
}

/// How a failure is reported (`ExternalTaskFailureDto`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FailureReport {
    /// The message (Cockpit, incidents); the engine keeps its first 666 characters.
    pub error_message: String,
    /// Details (a stack trace, a response body).
    pub error_details: Option<String>,
    /// The retries left; 0 raises an incident.
    pub retries: i32,
    /// How long before the task may be fetched again, in milliseconds.
    pub retry_timeout_ms: u64,
    /// Variables set on the process with the failure.
    pub variables: Variables,
    /// Variables set locally on the task's execution.
    pub local_variables: Variables,
}

/// An engine, as `GET /engine` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EngineInfo {
    /// The engine's name (`default`).
    pub name: String,
}

/// A client of one engine's REST API. Cheap to clone: clones share the connection pool.
#[derive(Debug, Clone)]
pub struct EngineClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ClientConfig,
    url: EngineUrl,
    auth: Auth,
    http: reqwest::Client,
}

impl EngineClient {
    /// A client with its own connection pool. When the process has not installed a
    /// rustls crypto provider yet, ring becomes the default one (reqwest is built
    /// without a provider of its own, and would panic).
    pub fn new(config: ClientConfig) -> Result<EngineClient, ClientError> {
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            // Losing a race with another installer is fine: a provider is installed.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ClientError::Config(format!("cannot build the HTTP client: {e}")))?;
        EngineClient::with_http_client(config, http)
    }

    /// A client that sends its requests through `http` (a shared pool, a proxy set-up).
    /// Timeouts are set per request, so `http` needs none.
    pub fn with_http_client(
        config: ClientConfig,
        http: reqwest::Client,
    ) -> Result<EngineClient, ClientError> {
        config.validate()?;
        let url = normalise_base_url(&config.base_url)?;
        let auth = match (&config.auth, &url.credentials) {
            (Auth::None, Some((user, password))) => Auth::Basic {
                user: user.clone(),
                password: password.clone(),
            },
            (auth, _) => auth.clone(),
        };
        Ok(EngineClient {
            inner: Arc::new(Inner {
                config,
                url,
                auth,
                http,
            }),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Where the resources are (`http://host:port/engine-rest`).
    pub fn base_url(&self) -> &str {
        &self.inner.url.base
    }

    /// `GET /engine`: the engines the server runs (a health check that needs no auth on
    /// Camunda).
    pub async fn engine_info(&self) -> Result<Vec<EngineInfo>, ClientError> {
        let url = format!("{}/engine", self.inner.url.root);
        let answer = self
            .send(
                "GET /engine",
                self.inner.http.get(url),
                self.request_timeout(),
            )
            .await?;
        serde_json::from_slice(&answer).map_err(|e| ClientError::Protocol {
            call: "GET /engine".to_owned(),
            message: e.to_string(),
        })
    }

    /// `POST /external-task/fetchAndLock`: locks up to `max_tasks` tasks of `topics` for
    /// this worker, waiting up to the configured `async_response_timeout_ms` for one to
    /// appear (the HTTP timeout is longer, see [`ClientConfig::fetch_timeout`]).
    pub async fn fetch_and_lock(
        &self,
        max_tasks: u32,
        topics: &[FetchTopic],
    ) -> Result<Vec<Task>, ClientError> {
        const CALL: &str = "POST /external-task/fetchAndLock";
        let config = &self.inner.config;
        let mut body = json!({
            "workerId": config.worker_id,
            "maxTasks": max_tasks,
            "usePriority": config.use_priority,
            "topics": topics,
        });
        if config.async_response_timeout_ms > 0 {
            body["asyncResponseTimeout"] = json!(config.async_response_timeout_ms);
        }
        let answer = self
            .post(
                CALL,
                "/external-task/fetchAndLock",
                &body,
                config.fetch_timeout(),
            )
            .await?;
        let tasks: Vec<Task> =
            serde_json::from_slice(&answer).map_err(|e| ClientError::Protocol {
                call: CALL.to_owned(),
                message: e.to_string(),
            })?;
        Ok(tasks)
    }

    /// `POST /external-task/{id}/complete` with process and local variables.
    pub async fn complete(
        &self,
        task_id: &str,
        variables: &Variables,
        local_variables: &Variables,
    ) -> Result<(), ClientError> {
        let body = json!({
            "workerId": self.inner.config.worker_id,
            "variables": variables,
            "localVariables": local_variables,
        });
        self.task_call(task_id, "complete", &body).await
    }

    /// `POST /external-task/{id}/failure`.
    pub async fn failure(&self, task_id: &str, failure: &FailureReport) -> Result<(), ClientError> {
        let body = json!({
            "workerId": self.inner.config.worker_id,
            "errorMessage": failure.error_message,
            "errorDetails": failure.error_details,
            "retries": failure.retries,
            "retryTimeout": failure.retry_timeout_ms,
            "variables": failure.variables,
            "localVariables": failure.local_variables,
        });
        self.task_call(task_id, "failure", &body).await
    }

    /// `POST /external-task/{id}/bpmnError`: throws the BPMN error `code` at the task,
    /// after setting `variables`.
    pub async fn bpmn_error(
        &self,
        task_id: &str,
        code: &str,
        message: &str,
        variables: &Variables,
    ) -> Result<(), ClientError> {
        let body = json!({
            "workerId": self.inner.config.worker_id,
            "errorCode": code,
            "errorMessage": message,
            "variables": variables,
        });
        self.task_call(task_id, "bpmnError", &body).await
    }

    /// `POST /external-task/{id}/extendLock`: the lock now expires `new_duration_ms` from
    /// now. Fails with 400 when the lock has expired or another worker holds it.
    pub async fn extend_lock(
        &self,
        task_id: &str,
        new_duration_ms: u64,
    ) -> Result<(), ClientError> {
        let body = json!({
            "workerId": self.inner.config.worker_id,
            "newDuration": new_duration_ms,
        });
        self.task_call(task_id, "extendLock", &body).await
    }

    /// `POST /external-task/{id}/unlock`: gives the task back at once.
    pub async fn unlock(&self, task_id: &str) -> Result<(), ClientError> {
        self.task_call(task_id, "unlock", &Json::Null).await
    }

    async fn task_call(&self, task_id: &str, action: &str, body: &Json) -> Result<(), ClientError> {
        let call = format!("POST /external-task/{task_id}/{action}");
        let path = format!("/external-task/{}/{action}", path_segment(task_id));
        self.post(&call, &path, body, self.request_timeout())
            .await
            .map(drop)
    }

    fn request_timeout(&self) -> Duration {
        Duration::from_millis(self.inner.config.request_timeout_ms.max(1))
    }

    async fn post(
        &self,
        call: &str,
        path: &str,
        body: &Json,
        timeout: Duration,
    ) -> Result<Vec<u8>, ClientError> {
        let url = format!("{}{path}", self.inner.url.base);
        let request = self.inner.http.post(url);
        // `unlock` takes no body, as the JS client sends it.
        let request = if body.is_null() {
            request
        } else {
            request.json(body)
        };
        self.send(call, request, timeout).await
    }

    async fn send(
        &self,
        call: &str,
        request: reqwest::RequestBuilder,
        timeout: Duration,
    ) -> Result<Vec<u8>, ClientError> {
        let request = match &self.inner.auth {
            Auth::None => request,
            Auth::Basic { user, password } => request.basic_auth(user, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        };
        let response = request
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| ClientError::transport(call, &e.without_url()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ClientError::transport(call, &e.without_url()))?;
        if status.is_success() {
            Ok(body.to_vec())
        } else {
            Err(ClientError::from_answer(call, status.as_u16(), &body))
        }
    }
}

/// A task id as one path segment: ids are UUIDs, but a stray `/` or `?` must not reach
/// another resource.
fn path_segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b':') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_stay_one_path_segment() {
        assert_eq!(path_segment("0b6e-11ef:a"), "0b6e-11ef:a");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
    }

    #[test]
    fn topics_send_only_what_is_set() {
        let t = FetchTopic {
            topic_name: "mail".into(),
            lock_duration: 1000,
            variables: None,
            local_variables: false,
            include_extension_properties: false,
        };
        assert_eq!(
            serde_json::to_value(&t).expect("json"),
            json!({"topicName": "mail", "lockDuration": 1000})
        );
        let t = FetchTopic {
            variables: Some(vec!["a".into()]),
            local_variables: true,
            include_extension_properties: true,
            ..t
        };
        assert_eq!(
            serde_json::to_value(&t).expect("json"),
            json!({"topicName": "mail", "lockDuration": 1000, "variables": ["a"],
                   "localVariables": true, "includeExtensionProperties": true})
        );
    }
}
