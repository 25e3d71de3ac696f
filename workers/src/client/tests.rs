//! The client and the worker against a small fake engine on 127.0.0.1 that speaks the
//! external-task part of `engine-rest`: long polls, records every call with its body and
//! `Authorization` header, and answers errors on demand.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value as Json};
use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinHandle;

use super::*;
use crate::task::{Handler, Outcome, Task, TypedValue, Variables};

/// One request the fake engine received.
#[derive(Debug, Clone)]
struct Call {
    /// The path below `/engine-rest` (`/external-task/t1/complete`).
    path: String,
    /// The JSON body (null when there was none).
    body: Json,
    /// The `Authorization` header.
    auth: Option<String>,
}

#[derive(Default)]
struct FakeState {
    /// Tasks not locked yet.
    queue: Vec<Json>,
    calls: Vec<Call>,
    /// Fetches still to be answered with a 500.
    failing_fetches: u32,
    /// Answers for `{id}/{action}`: status and body.
    answers: HashMap<String, (u16, Json)>,
}

#[derive(Clone, Default)]
struct Fake {
    state: Arc<Mutex<FakeState>>,
    wake: Arc<Notify>,
}

impl Fake {
    /// Starts the fake engine; returns it and its URL *without* `/engine-rest` (the
    /// client adds it).
    async fn start() -> (Fake, String) {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let fake = Fake::default();
        let app = Router::new()
            .route("/engine-rest/engine", get(engine))
            .route("/engine-rest/external-task/fetchAndLock", post(fetch))
            .route("/engine-rest/external-task/{id}/{action}", post(action))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake engine");
        let addr = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (fake, format!("http://{addr}"))
    }

    fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().expect("the fake's state")
    }

    /// Queues a task of `topic`, with `retries` and variables.
    fn add(&self, id: &str, topic: &str, retries: Option<i32>) {
        self.state().queue.push(json!({
            "id": id,
            "topicName": topic,
            "retries": retries,
            "processInstanceId": "pi",
            "activityId": "task",
            "variables": {"n": {"type": "Long", "value": 7, "valueInfo": {}}},
            "extensionProperties": {},
        }));
        self.wake.notify_waiters();
    }

    /// Answers `action` on task `id` with `status` and a Camunda error body.
    fn answer(&self, id: &str, action: &str, status: u16, message: &str) {
        self.state().answers.insert(
            format!("{id}/{action}"),
            (
                status,
                json!({"type": "RestException", "message": message, "code": 0}),
            ),
        );
    }

    /// The calls whose path ends with `suffix`.
    fn calls(&self, suffix: &str) -> Vec<Call> {
        self.state()
            .calls
            .iter()
            .filter(|c| c.path.ends_with(suffix))
            .cloned()
            .collect()
    }

    fn record(&self, path: String, body: &Bytes, headers: &HeaderMap) -> Json {
        let body: Json = serde_json::from_slice(body).unwrap_or(Json::Null);
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.state().calls.push(Call {
            path,
            body: body.clone(),
            auth,
        });
        body
    }

    /// Locks up to `max` queued tasks of `topics` for `worker`.
    fn take(&self, max: usize, topics: &[String], worker: &Json) -> Vec<Json> {
        let mut state = self.state();
        let mut taken = Vec::new();
        let mut i = 0;
        while i < state.queue.len() && taken.len() < max {
            let topic = state.queue[i]["topicName"]
                .as_str()
                .unwrap_or("")
                .to_owned();
            if topics.contains(&topic) {
                let mut task = state.queue.remove(i);
                task["workerId"] = worker.clone();
                taken.push(task);
            } else {
                i += 1;
            }
        }
        taken
    }
}

fn camunda_error(status: u16, body: Json) -> Response {
    let status = StatusCode::from_u16(status).expect("a status");
    (
        status,
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn engine(State(fake): State<Fake>, headers: HeaderMap) -> Response {
    fake.record("/engine".into(), &Bytes::new(), &headers);
    axum::Json(json!([{"name": "default"}])).into_response()
}

async fn fetch(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let body = fake.record("/external-task/fetchAndLock".into(), &body, &headers);
    {
        let mut state = fake.state();
        if state.failing_fetches > 0 {
            state.failing_fetches -= 1;
            return camunda_error(
                500,
                json!({"type": "ProcessEngineException", "message": "the database is down", "code": 0}),
            );
        }
    }
    let max = body["maxTasks"].as_u64().unwrap_or(0) as usize;
    let topics: Vec<String> = body["topics"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter_map(|t| t["topicName"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let deadline = body["asyncResponseTimeout"]
        .as_u64()
        .map(|ms| tokio::time::Instant::now() + Duration::from_millis(ms));
    loop {
        let woken = fake.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let tasks = fake.take(max, &topics, &body["workerId"]);
        let expired = deadline.is_none_or(|d| tokio::time::Instant::now() >= d);
        if !tasks.is_empty() || expired {
            return axum::Json(Json::Array(tasks)).into_response();
        }
        if let Some(deadline) = deadline {
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }
}

async fn action(
    State(fake): State<Fake>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    fake.record(format!("/external-task/{id}/{action}"), &body, &headers);
    let answer = fake.state().answers.get(&format!("{id}/{action}")).cloned();
    match answer {
        Some((status, body)) => camunda_error(status, body),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

fn handler<F, Fut>(f: F) -> Arc<dyn Handler>
where
    F: Fn(Task) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    handler_fn(f)
}

fn completes() -> Arc<dyn Handler> {
    handler(|_| async { Outcome::complete(Variables::new()) })
}

/// A configuration for tests: short waits everywhere.
fn config(url: &str) -> ClientConfig {
    let mut c = ClientConfig::new(url);
    c.worker_id = "w1".into();
    c.async_response_timeout_ms = 1_000;
    c.lock_duration_ms = 10_000;
    c.backoff_initial_ms = 20;
    c.backoff_max_ms = 100;
    c.shutdown_grace_ms = 2_000;
    c.request_timeout_ms = 5_000;
    c
}

/// A running worker: the shutdown switch and the task running it.
struct Running {
    stop: watch::Sender<bool>,
    handle: JoinHandle<Result<(), ClientError>>,
}

impl Running {
    fn start(worker: Worker) -> Running {
        let (stop, stopped) = watch::channel(false);
        Running {
            stop,
            handle: tokio::spawn(worker.run(stopped)),
        }
    }

    /// Asks it to stop; returns how long it took.
    async fn stop(self) -> Duration {
        let started = Instant::now();
        let _ = self.stop.send(true);
        let result = tokio::time::timeout(Duration::from_secs(20), self.handle)
            .await
            .expect("the worker stops")
            .expect("the worker does not panic");
        assert_eq!(result, Ok(()));
        started.elapsed()
    }
}

/// Waits until `what` holds (10 s at most).
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !cond() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn auth_headers_basic_bearer_and_from_the_url() {
    let (fake, url) = Fake::start().await;
    let mut c = config(&url);
    EngineClient::new(c.clone())
        .expect("a client")
        .engine_info()
        .await
        .expect("GET /engine");
    c.auth = Auth::Basic {
        user: "demo".into(),
        password: "demo".into(),
    };
    let info = EngineClient::new(c.clone())
        .expect("a client")
        .engine_info()
        .await
        .expect("GET /engine");
    assert_eq!(
        info,
        [EngineInfo {
            name: "default".into()
        }]
    );
    c.auth = Auth::Bearer("t0ken".into());
    EngineClient::new(c.clone())
        .expect("a client")
        .engine_info()
        .await
        .expect("GET /engine");
    let mut c = config(&url.replace("http://", "http://kermit:fr%3Ag@"));
    c.base_url.push_str("/engine-rest/");
    EngineClient::new(c)
        .expect("a client")
        .engine_info()
        .await
        .expect("GET /engine");
    let auths: Vec<Option<String>> = fake.calls("/engine").into_iter().map(|c| c.auth).collect();
    assert_eq!(
        auths,
        [
            None,
            Some("Basic ZGVtbzpkZW1v".to_owned()),
            Some("Bearer t0ken".to_owned()),
            // kermit:fr:g
            Some("Basic a2VybWl0OmZyOmc=".to_owned()),
        ]
    );
}

#[tokio::test]
async fn the_worker_sends_its_auth_with_every_call() {
    let (fake, url) = Fake::start().await;
    let mut c = config(&url);
    c.auth = Auth::Bearer("abc".into());
    let mut worker = Worker::new(c).expect("a worker");
    worker.subscribe("t", completes(), TopicOptions::default());
    fake.add("t1", "t", None);
    let running = Running::start(worker);
    eventually("completed", || !fake.calls("t1/complete").is_empty()).await;
    running.stop().await;
    let state = fake.state();
    assert!(state.calls.len() >= 2);
    assert!(state
        .calls
        .iter()
        .all(|c| c.auth.as_deref() == Some("Bearer abc")));
}

#[tokio::test]
async fn error_answers_and_transport_errors_are_typed() {
    let (fake, url) = Fake::start().await;
    let client = EngineClient::new(config(&url)).expect("a client");
    fake.answer(
        "gone",
        "complete",
        404,
        "External task with id gone does not exist",
    );
    let e = client
        .complete("gone", &Variables::new(), &Variables::new())
        .await
        .expect_err("404");
    assert_eq!(
        e,
        ClientError::Engine {
            call: "POST /external-task/gone/complete".into(),
            status: 404,
            error_type: Some("RestException".into()),
            message: "External task with id gone does not exist".into(),
            code: Some(0),
        }
    );
    assert!(e.is_not_found());
    // Nothing listens on a port that was just freed.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let client = EngineClient::new(config(&format!("http://127.0.0.1:{port}"))).expect("a client");
    let e = client.engine_info().await.expect_err("unreachable");
    assert!(e.is_unreachable(), "{e:?}");
    assert!(
        e.to_string()
            .starts_with("cannot reach the engine (GET /engine)"),
        "{e}"
    );
}

#[tokio::test]
async fn fetch_long_polls_and_its_http_timeout_outlasts_the_poll() {
    let (fake, url) = Fake::start().await;
    let mut c = config(&url);
    c.async_response_timeout_ms = 1_500;
    c.use_priority = false;
    let client = EngineClient::new(c).expect("a client");
    let topics = [FetchTopic {
        topic_name: "t".into(),
        lock_duration: 5_000,
        variables: Some(vec!["n".into()]),
        local_variables: false,
        include_extension_properties: true,
    }];
    // Nothing comes: the engine answers [] at its deadline, before the HTTP timeout.
    let started = Instant::now();
    let tasks = client.fetch_and_lock(2, &topics).await.expect("a fetch");
    assert!(tasks.is_empty());
    assert!(started.elapsed() >= Duration::from_millis(1_400));
    assert_eq!(
        fake.calls("fetchAndLock")[0].body,
        json!({"workerId": "w1", "maxTasks": 2, "usePriority": false,
               "asyncResponseTimeout": 1_500,
               "topics": [{"topicName": "t", "lockDuration": 5_000, "variables": ["n"],
                           "includeExtensionProperties": true}]})
    );
    // A task created while the request waits is handed out at once.
    let waiting = {
        let client = client.clone();
        let topics = topics.clone();
        tokio::spawn(async move {
            let started = Instant::now();
            let tasks = client.fetch_and_lock(2, &topics).await;
            (tasks, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    fake.add("t1", "t", None);
    let (tasks, waited) = waiting.await.expect("the poll");
    let tasks = tasks.expect("a fetch");
    assert!(waited < Duration::from_millis(1_400), "{waited:?}");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].id, "t1");
    assert_eq!(tasks[0].worker_id.as_deref(), Some("w1"));
    assert_eq!(tasks[0].i64("n"), Some(7));
}

#[tokio::test]
async fn one_fetch_asks_for_every_topic_with_its_options() {
    let (fake, url) = Fake::start().await;
    let mut worker = Worker::new(config(&url)).expect("a worker");
    worker.subscribe(
        "b",
        completes(),
        TopicOptions {
            lock_duration: Some(Duration::from_millis(1_234)),
            variables: Some(vec!["x".into(), "y".into()]),
            local_variables: true,
            include_extension_properties: true,
        },
    );
    worker.subscribe("a", completes(), TopicOptions::default());
    assert_eq!(worker.topics(), ["a", "b"]);
    let running = Running::start(worker);
    eventually("a fetch", || !fake.calls("fetchAndLock").is_empty()).await;
    running.stop().await;
    assert_eq!(
        fake.calls("fetchAndLock")[0].body["topics"],
        json!([{"topicName": "a", "lockDuration": 10_000},
               {"topicName": "b", "lockDuration": 1_234, "variables": ["x", "y"],
                "localVariables": true, "includeExtensionProperties": true}])
    );
}

#[tokio::test]
async fn fetches_ask_for_no_more_than_the_free_slots() {
    let (fake, url) = Fake::start().await;
    let mut c = config(&url);
    c.max_tasks = 3;
    c.max_in_flight = 4;
    let gate = Arc::new(Semaphore::new(0));
    let now = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let h = {
        let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
        handler(move |_| {
            let (gate, now, most) = (gate.clone(), now.clone(), most.clone());
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                let _ = gate.acquire().await.map(|p| p.forget());
                now.fetch_sub(1, Ordering::SeqCst);
                Outcome::complete(Variables::new())
            }
        })
    };
    for i in 0..10 {
        fake.add(&format!("t{i}"), "t", None);
    }
    let mut worker = Worker::new(c).expect("a worker");
    worker.subscribe("t", h, TopicOptions::default());
    let running = Running::start(worker);
    eventually("4 handlers running", || now.load(Ordering::SeqCst) == 4).await;
    // Full: no further fetch while every slot is taken.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let asked: Vec<u64> = fake
        .calls("fetchAndLock")
        .iter()
        .map(|c| c.body["maxTasks"].as_u64().expect("maxTasks"))
        .collect();
    assert_eq!(asked, [3, 1]);
    assert_eq!(fake.state().queue.len(), 6);
    // One handler finishes: one slot, one task.
    gate.add_permits(1);
    eventually("t0..t4 handed out", || fake.state().queue.len() == 5).await;
    assert_eq!(
        fake.calls("fetchAndLock")[2].body["maxTasks"],
        json!(1),
        "one free slot"
    );
    gate.add_permits(100);
    eventually("all completed", || fake.calls("/complete").len() == 10).await;
    running.stop().await;
    assert_eq!(most.load(Ordering::SeqCst), 4);
    assert!(fake
        .calls("fetchAndLock")
        .iter()
        .all(|c| (1..=3).contains(&c.body["maxTasks"].as_u64().unwrap_or(0))));
}

#[tokio::test]
async fn the_lock_is_extended_while_a_slow_handler_runs() {
    let (fake, url) = Fake::start().await;
    let mut worker = Worker::new(config(&url)).expect("a worker");
    worker.subscribe(
        "slow",
        handler(|_| async {
            tokio::time::sleep(Duration::from_millis(1_100)).await;
            Outcome::complete(Variables::new())
        }),
        TopicOptions {
            lock_duration: Some(Duration::from_millis(400)),
            ..TopicOptions::default()
        },
    );
    fake.add("t1", "slow", None);
    let running = Running::start(worker);
    eventually("completed", || !fake.calls("t1/complete").is_empty()).await;
    running.stop().await;
    let calls: Vec<Call> = fake.calls("");
    let extends: Vec<&Call> = calls
        .iter()
        .filter(|c| c.path == "/external-task/t1/extendLock")
        .collect();
    // Every 200 ms for 1.1 s: about 5; at least 3 whatever the scheduling.
    assert!(extends.len() >= 3, "{extends:?}");
    assert!(extends
        .iter()
        .all(|c| c.body == json!({"workerId": "w1", "newDuration": 400})));
    let last = calls
        .iter()
        .rposition(|c| c.path.starts_with("/external-task/t1/"))
        .expect("calls about t1");
    assert_eq!(calls[last].path, "/external-task/t1/complete");
}

#[tokio::test]
async fn failures_count_retries_down_and_back_off() {
    let (fake, url) = Fake::start().await;
    let mut c = config(&url);
    c.retry = RetryPolicy {
        retries: 3,
        retry_timeout_ms: 1_000,
        backoff_factor: 2.0,
        max_retry_timeout_ms: 60_000,
    };
    let mut worker = Worker::new(c).expect("a worker");
    worker.subscribe(
        "policy",
        handler(|_| async { Outcome::retry("boom", Some("at line 1".into())) }),
        TopicOptions::default(),
    );
    worker.subscribe(
        "explicit",
        handler(|task| async move {
            if task.id == "fatal" {
                Outcome::fatal("bad key", None)
            } else {
                Outcome::Failure {
                    message: "later".into(),
                    details: None,
                    retries: Some(5),
                    retry_timeout_ms: Some(10),
                }
            }
        }),
        TopicOptions::default(),
    );
    worker.subscribe(
        "panics",
        handler(|_| async { panic!("index out of bounds") }),
        TopicOptions::default(),
    );
    fake.add("first", "policy", None);
    fake.add("second", "policy", Some(2));
    fake.add("third", "policy", Some(1));
    fake.add("fatal", "explicit", None);
    fake.add("given", "explicit", Some(1));
    fake.add("panic", "panics", Some(2));
    let running = Running::start(worker);
    eventually("six failures", || fake.calls("/failure").len() == 6).await;
    running.stop().await;
    let body = |id: &str| fake.calls(&format!("/{id}/failure"))[0].body.clone();
    assert_eq!(
        body("first"),
        json!({"workerId": "w1", "errorMessage": "boom", "errorDetails": "at line 1",
               "retries": 2, "retryTimeout": 1_000, "variables": {}, "localVariables": {}})
    );
    let numbers = |id: &str| {
        let b = body(id);
        (b["retries"].clone(), b["retryTimeout"].clone())
    };
    assert_eq!(numbers("second"), (json!(1), json!(2_000)));
    assert_eq!(numbers("third"), (json!(0), json!(4_000)));
    assert_eq!(numbers("fatal"), (json!(0), json!(0)));
    assert_eq!(numbers("given"), (json!(5), json!(10)));
    assert_eq!(numbers("panic"), (json!(1), json!(2_000)));
    let panic = body("panic");
    assert_eq!(
        panic["errorMessage"],
        "the handler of topic panics panicked"
    );
    assert_eq!(panic["errorDetails"], "index out of bounds");
}

#[tokio::test]
async fn completions_and_bpmn_errors_carry_typed_variables() {
    let (fake, url) = Fake::start().await;
    let mut worker = Worker::new(config(&url)).expect("a worker");
    worker.subscribe(
        "t",
        handler(|task| async move {
            let n = task.i64("n").unwrap_or(0);
            if task.id == "err" {
                Outcome::BpmnError {
                    code: "VALIDATION_FAILED".into(),
                    message: "n is odd".into(),
                    variables: [("valid".to_owned(), TypedValue::boolean(false))].into(),
                }
            } else {
                Outcome::Complete {
                    variables: [
                        ("doubled".to_owned(), TypedValue::long(n * 2)),
                        ("doc".to_owned(), TypedValue::json(&json!({"a": [1]}))),
                    ]
                    .into(),
                    local_variables: [("mine".to_owned(), TypedValue::string("x"))].into(),
                }
            }
        }),
        TopicOptions::default(),
    );
    fake.add("ok", "t", None);
    fake.add("err", "t", None);
    let running = Running::start(worker);
    eventually("both reported", || {
        !fake.calls("ok/complete").is_empty() && !fake.calls("err/bpmnError").is_empty()
    })
    .await;
    running.stop().await;
    assert_eq!(
        fake.calls("ok/complete")[0].body,
        json!({"workerId": "w1",
               "variables": {"doubled": {"value": 14, "type": "Long"},
                             "doc": {"value": "{\"a\":[1]}", "type": "Json"}},
               "localVariables": {"mine": {"value": "x", "type": "String"}}})
    );
    assert_eq!(
        fake.calls("err/bpmnError")[0].body,
        json!({"workerId": "w1", "errorCode": "VALIDATION_FAILED", "errorMessage": "n is odd",
               "variables": {"valid": {"value": false, "type": "Boolean"}}})
    );
}

#[tokio::test]
async fn refused_reports_are_logged_and_the_worker_goes_on() {
    let (fake, url) = Fake::start().await;
    let mut worker = Worker::new(config(&url)).expect("a worker");
    worker.subscribe("t", completes(), TopicOptions::default());
    fake.answer(
        "gone",
        "complete",
        404,
        "External task with id gone does not exist",
    );
    fake.answer(
        "stolen",
        "complete",
        400,
        "External Task stolen cannot be completed by worker 'w1'. It is locked by worker 'w2'.",
    );
    fake.add("gone", "t", None);
    fake.add("stolen", "t", None);
    let running = Running::start(worker);
    eventually("both refused", || {
        !fake.calls("gone/complete").is_empty() && !fake.calls("stolen/complete").is_empty()
    })
    .await;
    fake.add("next", "t", None);
    eventually("the next one completed", || {
        !fake.calls("next/complete").is_empty()
    })
    .await;
    running.stop().await;
    // A refusal is final: no second attempt, no unlock at shutdown.
    assert_eq!(fake.calls("gone/complete").len(), 1);
    assert!(fake.calls("/unlock").is_empty());
}

#[tokio::test]
async fn failed_fetches_back_off_and_the_worker_recovers() {
    let (fake, url) = Fake::start().await;
    fake.state().failing_fetches = 3;
    fake.add("t1", "t", None);
    let mut worker = Worker::new(config(&url)).expect("a worker");
    worker.subscribe("t", completes(), TopicOptions::default());
    let running = Running::start(worker);
    eventually("completed", || !fake.calls("t1/complete").is_empty()).await;
    // Three failures, the fetch that got the task, perhaps the next long poll.
    let n = fake.calls("fetchAndLock").len();
    assert!((4..=5).contains(&n), "{n} fetches");
    running.stop().await;
}

#[tokio::test]
async fn an_engine_that_keeps_failing_is_not_polled_in_a_tight_loop() {
    let (fake, url) = Fake::start().await;
    fake.state().failing_fetches = u32::MAX;
    let mut c = config(&url);
    c.backoff_initial_ms = 50;
    c.backoff_max_ms = 200;
    let mut worker = Worker::new(c).expect("a worker");
    worker.subscribe("t", completes(), TopicOptions::default());
    let running = Running::start(worker);
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    running.stop().await;
    // Waits of 50, 100, 200, 200, ... ms: about 7 fetches in a second.
    let n = fake.calls("fetchAndLock").len();
    assert!((3..=10).contains(&n), "{n} fetches in one second");
}

#[tokio::test]
async fn shutdown_abandons_the_long_poll_lets_handlers_finish_and_unlocks_the_rest() {
    let (fake, url) = Fake::start().await;
    let mut c = config(&url);
    c.async_response_timeout_ms = 60_000;
    c.shutdown_grace_ms = 500;
    // An idle worker in a long poll stops at once.
    let mut worker = Worker::new(c.clone()).expect("a worker");
    worker.subscribe("t", completes(), TopicOptions::default());
    let running = Running::start(worker);
    eventually("a long poll", || !fake.calls("fetchAndLock").is_empty()).await;
    let took = running.stop().await;
    assert!(took < Duration::from_secs(2), "{took:?}");

    // A busy one: "quick" finishes within the grace period, "stuck" does not.
    struct SetOnDrop(Arc<AtomicUsize>);
    impl Drop for SetOnDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let started = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(AtomicUsize::new(0));
    let mut worker = Worker::new(c).expect("a worker");
    worker.subscribe(
        "t",
        {
            let (started, dropped) = (started.clone(), dropped.clone());
            handler(move |task| {
                started.fetch_add(1, Ordering::SeqCst);
                let guard = SetOnDrop(dropped.clone());
                async move {
                    let _guard = guard;
                    let work = if task.id == "stuck" { 60_000 } else { 300 };
                    tokio::time::sleep(Duration::from_millis(work)).await;
                    Outcome::complete(Variables::new())
                }
            })
        },
        TopicOptions::default(),
    );
    fake.add("quick", "t", None);
    fake.add("stuck", "t", None);
    let running = Running::start(worker);
    eventually("both started", || started.load(Ordering::SeqCst) == 2).await;
    let took = running.stop().await;
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(fake.calls("quick/complete").len(), 1);
    assert!(fake.calls("quick/unlock").is_empty());
    assert_eq!(fake.calls("stuck/unlock").len(), 1);
    assert!(fake.calls("stuck/complete").is_empty());
    assert_eq!(fake.calls("stuck/unlock")[0].body, Json::Null, "no body");
    // The stuck handler was cancelled, not left running.
    assert_eq!(dropped.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_worker_without_topics_does_not_run() {
    let (_fake, url) = Fake::start().await;
    let worker = Worker::new(config(&url)).expect("a worker");
    let (_stop, stopped) = watch::channel(false);
    assert!(matches!(
        worker.run(stopped).await,
        Err(ClientError::Config(_))
    ));
}
