//! A procos app over a throwaway SQLite file, called in-process through
//! `tower::ServiceExt::oneshot`, and the BPMN the route tests run.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use axum::Router;
use procos_engine::service::{DeployRequest, Engine, EngineConfig, ManualClock};
use procos_engine::time::Timestamp;
use procos_rest::RestConfig;
use serde_json::{json, Value as Json};
use tower::ServiceExt;

/// 2026-01-01T00:00:00Z, the tests' "now".
pub const T0: i64 = 1_767_225_600_000;

/// The app, its engine and its clock, over a database file removed on drop.
pub struct Api {
    /// The router under test.
    pub app: Router,
    /// The engine behind it.
    pub engine: Arc<Engine>,
    /// The engine's clock.
    pub clock: Arc<ManualClock>,
    dir: PathBuf,
}

/// A response.
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub bytes: Vec<u8>,
}

impl Reply {
    /// The body as JSON (panics with the body when it is not).
    pub fn json(&self) -> Json {
        serde_json::from_slice(&self.bytes).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}), status {}: {}",
                self.status,
                String::from_utf8_lossy(&self.bytes)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts the status, showing the body when it differs.
    pub fn expect(self, status: u16) -> Reply {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text()
        );
        self
    }

    /// Asserts a Camunda error body of `type_name` and returns it.
    pub fn error(self, status: u16, type_name: &str) -> Json {
        let reply = self.expect(status);
        assert_eq!(
            reply
                .headers
                .get(header::CONTENT_TYPE)
                .map(|v| v.as_bytes()),
            Some(&b"application/json"[..])
        );
        let body = reply.json();
        assert_eq!(body["type"], type_name, "{body}");
        assert!(body["message"].is_string(), "{body}");
        assert!(body.get("code").is_some(), "{body}");
        body
    }
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Api {
    /// With the default configuration.
    pub async fn new() -> Api {
        Api::with_config(RestConfig::default()).await
    }

    /// With `config`.
    pub async fn with_config(config: RestConfig) -> Api {
        let dir = std::env::temp_dir().join(format!(
            "procos-rest-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}", dir.join("t.db").display());
        let store = procos_engine::store::connect(&url, 4).await.expect("store");
        store.migrate().await.expect("migrate");
        let clock = Arc::new(ManualClock::new(Timestamp(T0)));
        let engine = Engine::new(store, clock.clone(), EngineConfig::default());
        let app = procos_rest::app(engine.clone(), config);
        Api {
            app,
            engine,
            clock,
            dir,
        }
    }

    /// Sends a request; `body` is sent as JSON.
    pub async fn call(&self, method: &str, uri: &str, body: Option<Json>) -> Reply {
        self.call_with(method, uri, body, &[]).await
    }

    /// Sends a request with extra headers.
    pub async fn call_with(
        &self,
        method: &str,
        uri: &str,
        body: Option<Json>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let response = self.app.clone().oneshot(req).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body")
            .to_vec();
        Reply {
            status,
            headers,
            bytes,
        }
    }

    /// `GET /engine-rest{path}`.
    pub async fn get(&self, path: &str) -> Reply {
        self.call("GET", &format!("/engine-rest{path}"), None).await
    }

    /// `POST /engine-rest{path}` with a JSON body.
    pub async fn post(&self, path: &str, body: Json) -> Reply {
        self.call("POST", &format!("/engine-rest{path}"), Some(body))
            .await
    }

    /// `PUT /engine-rest{path}` with a JSON body.
    pub async fn put(&self, path: &str, body: Json) -> Reply {
        self.call("PUT", &format!("/engine-rest{path}"), Some(body))
            .await
    }

    /// Deploys one BPMN file; returns the id of its (first) process definition.
    pub async fn deploy(&self, xml: &str) -> String {
        let result = self
            .engine
            .deploy(DeployRequest {
                name: Some("test".into()),
                resources: vec![("test.bpmn".into(), xml.as_bytes().to_vec())],
                ..DeployRequest::default()
            })
            .await
            .expect("deploy");
        result
            .definitions
            .and_then(|d| d.into_iter().next())
            .expect("a definition")
            .id
    }

    /// Starts an instance through the API; returns its id.
    pub async fn start(&self, definition_id: &str, variables: Json) -> String {
        let reply = self
            .post(
                &format!("/process-definition/{definition_id}/start"),
                json!({ "variables": variables, "businessKey": "bk" }),
            )
            .await
            .expect(200);
        reply.json()["id"]
            .as_str()
            .expect("an instance id")
            .to_owned()
    }

    /// Fetches and locks every task of `topic` for worker `w`.
    pub async fn fetch(&self, topic: &str) -> Vec<Json> {
        let reply = self
            .post(
                "/external-task/fetchAndLock",
                json!({"workerId": "w", "maxTasks": 10, "topics": [{"topicName": topic, "lockDuration": 60000}]}),
            )
            .await
            .expect(200);
        reply.json().as_array().cloned().unwrap_or_default()
    }

    /// Fails external task `id` with no retries left: a `failedExternalTask` incident.
    pub async fn fail_task(&self, id: &str, message: &str) {
        self.post(
            &format!("/external-task/{id}/failure"),
            json!({"workerId": "w", "errorMessage": message, "retries": 0, "retryTimeout": 0}),
        )
        .await
        .expect(204);
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// A process with a bit of everything the route tests look at: a timer (a job), an
/// external task (topic `work`), a message catch (`Go`, a subscription), and a
/// subprocess holding a user task, all running in parallel.
pub const PROCESS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="http://procos.test">
  <message id="m" name="Go"/>
  <process id="p" name="Test process" isExecutable="true" camunda:historyTimeToLive="1">
    <startEvent id="start"/>
    <parallelGateway id="fork"/>
    <intermediateCatchEvent id="wait" name="Wait an hour">
      <timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>
    </intermediateCatchEvent>
    <endEvent id="endWait"/>
    <serviceTask id="work" name="Work" camunda:type="external" camunda:topic="work"/>
    <endEvent id="endWork"/>
    <intermediateCatchEvent id="catchGo" name="Go">
      <messageEventDefinition messageRef="m"/>
    </intermediateCatchEvent>
    <endEvent id="endGo"/>
    <subProcess id="sub" name="Sub">
      <startEvent id="subStart"/>
      <userTask id="review" name="Review"/>
      <endEvent id="subEnd"/>
      <sequenceFlow id="s1" sourceRef="subStart" targetRef="review"/>
      <sequenceFlow id="s2" sourceRef="review" targetRef="subEnd"/>
    </subProcess>
    <endEvent id="endSub"/>
    <sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
    <sequenceFlow id="f1" sourceRef="fork" targetRef="wait"/>
    <sequenceFlow id="f2" sourceRef="wait" targetRef="endWait"/>
    <sequenceFlow id="f3" sourceRef="fork" targetRef="work"/>
    <sequenceFlow id="f4" sourceRef="work" targetRef="endWork"/>
    <sequenceFlow id="f5" sourceRef="fork" targetRef="catchGo"/>
    <sequenceFlow id="f6" sourceRef="catchGo" targetRef="endGo"/>
    <sequenceFlow id="f7" sourceRef="fork" targetRef="sub"/>
    <sequenceFlow id="f8" sourceRef="sub" targetRef="endSub"/>
  </process>
</definitions>
"#;

/// An external task behind an asynchronous continuation (`asyncWork`, topic `later`),
/// in parallel with a parallel multi-instance user task (`mi`, two instances).
pub const ASYNC_AND_MULTI: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="http://procos.test">
  <process id="am" isExecutable="true" camunda:historyTimeToLive="1">
    <startEvent id="start"/>
    <parallelGateway id="fork"/>
    <serviceTask id="asyncWork" name="Later" camunda:asyncBefore="true" camunda:type="external" camunda:topic="later"/>
    <endEvent id="end1"/>
    <userTask id="mi" name="Many">
      <multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics>
    </userTask>
    <endEvent id="end2"/>
    <sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
    <sequenceFlow id="f1" sourceRef="fork" targetRef="asyncWork"/>
    <sequenceFlow id="f2" sourceRef="asyncWork" targetRef="end1"/>
    <sequenceFlow id="f3" sourceRef="fork" targetRef="mi"/>
    <sequenceFlow id="f4" sourceRef="mi" targetRef="end2"/>
  </process>
</definitions>
"#;
