//! The external-task client library (`procos-workers`'s `client`) against a real
//! `procos serve`: a [`Worker`] completes tasks with typed variables, counts retries
//! down to an incident, throws a BPMN error a boundary event catches, keeps the lock of a
//! slow handler, authenticates with basic auth, and unlocks what it holds on shutdown.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use procos_workers::client::{
    handler_fn, Auth, ClientConfig, ClientError, EngineClient, FetchTopic, RetryPolicy,
    TopicOptions, Worker,
};
use procos_workers::{Handler, Outcome, TypedValue, Variables};
use serde_json::{json, Value};
use support::{bpmn, Server, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

on_both_stores!(
    a_worker_completes_tasks_with_typed_variables,
    failures_count_retries_down_to_an_incident,
    a_bpmn_error_is_caught_by_a_boundary_event,
    a_slow_handler_keeps_its_lock,
    a_worker_authenticates_with_basic_auth,
    shutdown_unlocks_the_tasks_still_held,
);

/// A client configuration for `server`: short long polls and backoffs.
fn config(server: &Server, worker_id: &str) -> ClientConfig {
    let mut c = ClientConfig::new(server.base.clone());
    c.worker_id = worker_id.to_owned();
    c.async_response_timeout_ms = 2_000;
    c.backoff_initial_ms = 50;
    c.backoff_max_ms = 500;
    c.shutdown_grace_ms = 5_000;
    c
}

/// A worker running in the background until [`Running::stop`].
struct Running {
    stop: watch::Sender<bool>,
    handle: JoinHandle<Result<(), ClientError>>,
}

fn run(config: ClientConfig, topics: Vec<(&str, Arc<dyn Handler>, TopicOptions)>) -> Running {
    let mut worker = Worker::new(config).expect("a worker");
    for (topic, handler, options) in topics {
        worker.subscribe(topic, handler, options);
    }
    let (stop, stopped) = watch::channel(false);
    Running {
        stop,
        handle: tokio::spawn(worker.run(stopped)),
    }
}

impl Running {
    async fn stop(self) {
        let _ = self.stop.send(true);
        let result = tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("the worker stops")
            .expect("the worker does not panic");
        assert_eq!(result, Ok(()));
    }
}

/// The process instance's state in history, once it is `state`.
async fn until_state(server: &Server, instance: &str, state: &str) {
    server
        .eventually(&format!("instance {instance} {state}"), || async {
            let r = server
                .get(&format!("/history/process-instance/{instance}"))
                .await
                .expect(200);
            (r.json["state"] == state).then_some(())
        })
        .await;
}

/// The value of a variable in history.
async fn history_value(server: &Server, instance: &str, name: &str) -> Value {
    let r = server
        .get(&format!(
            "/history/variable-instance?processInstanceId={instance}&variableName={name}"
        ))
        .await
        .expect(200);
    r.json[0]["value"].clone()
}

/// start → external task `check` (topic `check`) with an error boundary event for
/// `VALIDATION_FAILED` → `rejected`; the task itself leads to `accepted`.
fn task_with_error_boundary(key: &str) -> String {
    bpmn::definitions(
        key,
        r#"    <bpmn:startEvent id="start" />
    <bpmn:serviceTask id="check" camunda:type="external" camunda:topic="check" />
    <bpmn:boundaryEvent id="invalid" attachedToRef="check">
      <bpmn:errorEventDefinition id="invalid_def" errorRef="validation_failed" />
    </bpmn:boundaryEvent>
    <bpmn:endEvent id="accepted" />
    <bpmn:endEvent id="rejected" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="check" />
    <bpmn:sequenceFlow id="f2" sourceRef="check" targetRef="accepted" />
    <bpmn:sequenceFlow id="f3" sourceRef="invalid" targetRef="rejected" />"#,
    )
    .replace(
        "  <bpmn:process ",
        r#"  <bpmn:error id="validation_failed" name="Validation failed" errorCode="VALIDATION_FAILED" />
  <bpmn:process "#,
    )
}

async fn a_worker_completes_tasks_with_typed_variables(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("p.bpmn", &bpmn::one_task("p", "double"))
        .await;
    let instance = server
        .start_instance("p", json!({"n": {"value": 21, "type": "Long"}}))
        .await;
    let id = instance["id"].as_str().expect("an id");
    let double = handler_fn(|task| async move {
        let n = task.i64("n").unwrap_or(0);
        Outcome::complete(Variables::from([
            ("doubled".to_owned(), TypedValue::long(n * 2)),
            ("report".to_owned(), TypedValue::json(&json!({"n": n}))),
        ]))
    });
    let worker = run(
        config(&server, "doubler"),
        vec![("double", double, TopicOptions::default())],
    );
    until_state(&server, id, "COMPLETED").await;
    worker.stop().await;
    assert_eq!(history_value(&server, id, "doubled").await, json!(42));
    assert_eq!(
        history_value(&server, id, "report").await,
        json!("{\"n\":21}")
    );
}

async fn failures_count_retries_down_to_an_incident(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "flaky")).await;
    let instance = server.start_instance("p", json!({})).await;
    let id = instance["id"].as_str().expect("an id");
    let tries = Arc::new(AtomicUsize::new(0));
    let failing = {
        let tries = tries.clone();
        handler_fn(move |_| {
            tries.fetch_add(1, Ordering::SeqCst);
            async { Outcome::retry("the service said no", Some("HTTP 503".to_owned())) }
        })
    };
    let mut c = config(&server, "flaky-worker");
    c.retry = RetryPolicy {
        retries: 3,
        retry_timeout_ms: 200,
        backoff_factor: 2.0,
        max_retry_timeout_ms: 1_000,
    };
    let worker = run(c, vec![("flaky", failing, TopicOptions::default())]);
    let incidents = server
        .eventually("an incident", || async {
            let r = server
                .get(&format!("/incident?processInstanceId={id}"))
                .await
                .expect(200);
            r.json.as_array().filter(|list| !list.is_empty()).cloned()
        })
        .await;
    // No more tries once retries are 0.
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    worker.stop().await;
    assert_eq!(tries.load(Ordering::SeqCst), 3);
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["incidentType"], "failedExternalTask");
    assert_eq!(incidents[0]["incidentMessage"], "the service said no");
    let tasks = server
        .get(&format!("/external-task?processInstanceId={id}"))
        .await
        .expect(200)
        .json;
    assert_eq!(tasks[0]["retries"], 0);
    let task_id = tasks[0]["id"].as_str().expect("a task id");
    let details = server
        .get(&format!("/external-task/{task_id}/errorDetails"))
        .await
        .expect(200);
    assert_eq!(String::from_utf8_lossy(&details.bytes), "HTTP 503");
}

async fn a_bpmn_error_is_caught_by_a_boundary_event(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("check.bpmn", &task_with_error_boundary("check"))
        .await;
    let good = server
        .start_instance("check", json!({"amount": {"value": 5, "type": "Long"}}))
        .await;
    let bad = server
        .start_instance("check", json!({"amount": {"value": -5, "type": "Long"}}))
        .await;
    let check = handler_fn(|task| async move {
        if task.i64("amount").unwrap_or(0) < 0 {
            Outcome::BpmnError {
                code: "VALIDATION_FAILED".to_owned(),
                message: "the amount is negative".to_owned(),
                variables: Variables::from([("valid".to_owned(), TypedValue::boolean(false))]),
            }
        } else {
            Outcome::complete(Variables::new())
        }
    });
    let worker = run(
        config(&server, "checker"),
        vec![(
            "check",
            check,
            TopicOptions {
                variables: Some(vec!["amount".to_owned()]),
                ..TopicOptions::default()
            },
        )],
    );
    let good = good["id"].as_str().expect("an id");
    let bad = bad["id"].as_str().expect("an id");
    until_state(&server, good, "COMPLETED").await;
    until_state(&server, bad, "COMPLETED").await;
    worker.stop().await;
    let ended_at = |instance: &str| {
        let server = &server;
        let instance = instance.to_owned();
        async move {
            let r = server
                .get(&format!(
                    "/history/activity-instance?processInstanceId={instance}&activityType=noneEndEvent"
                ))
                .await
                .expect(200);
            r.json[0]["activityId"].clone()
        }
    };
    assert_eq!(ended_at(good).await, "accepted");
    assert_eq!(ended_at(bad).await, "rejected");
    assert_eq!(history_value(&server, bad, "valid").await, json!(false));
}

async fn a_slow_handler_keeps_its_lock(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "slow")).await;
    let instance = server.start_instance("p", json!({})).await;
    let id = instance["id"].as_str().expect("an id");
    let calls = Arc::new(AtomicUsize::new(0));
    let slow = {
        let calls = calls.clone();
        handler_fn(move |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_millis(3_500)).await;
                Outcome::complete(Variables::new())
            }
        })
    };
    let worker = run(
        config(&server, "slow-worker"),
        vec![(
            "slow",
            slow,
            TopicOptions {
                lock_duration: Some(Duration::from_millis(1_000)),
                ..TopicOptions::default()
            },
        )],
    );
    server
        .eventually("the task is locked", || async {
            (calls.load(Ordering::SeqCst) == 1).then_some(())
        })
        .await;
    // Another worker finds nothing long after the first lock would have expired.
    let thief = EngineClient::new(config(&server, "thief")).expect("a client");
    let topic = [FetchTopic {
        topic_name: "slow".to_owned(),
        lock_duration: 60_000,
        variables: None,
        local_variables: false,
        include_extension_properties: false,
    }];
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let stolen = thief.fetch_and_lock(1, &topic).await.expect("a fetch");
        assert!(stolen.is_empty(), "the lock expired: {stolen:?}");
    }
    until_state(&server, id, "COMPLETED").await;
    worker.stop().await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

async fn a_worker_authenticates_with_basic_auth(store: Store) {
    let server = Server::start_with_processes(
        &store,
        &["--auth-users", "demo:s3cret"],
        &[("p.bpmn", &bpmn::one_task("p", "secure"))],
    )
    .await;
    let mut c = config(&server, "secure-worker");
    c.auth = Auth::Basic {
        user: "demo".to_owned(),
        password: "wrong".to_owned(),
    };
    let refused = EngineClient::new(c.clone())
        .expect("a client")
        .fetch_and_lock(1, &[])
        .await
        .expect_err("a wrong password");
    assert_eq!(refused.status(), Some(401));
    c.auth = Auth::Basic {
        user: "demo".to_owned(),
        password: "s3cret".to_owned(),
    };
    let client = EngineClient::new(c.clone()).expect("a client");
    let started = server
        .http
        .post(server.url("/process-definition/key/p/start"))
        .basic_auth("demo", Some("s3cret"))
        .json(&json!({}))
        .send()
        .await
        .expect("start an instance");
    assert_eq!(started.status().as_u16(), 200);
    let instance: Value = started.json().await.expect("an instance");
    let id = instance["id"].as_str().expect("an id");
    let worker = run(
        c,
        vec![(
            "secure",
            handler_fn(|_| async { Outcome::complete(Variables::new()) }),
            TopicOptions::default(),
        )],
    );
    server
        .eventually("the instance completed", || async {
            let r = server
                .http
                .get(server.url(&format!("/history/process-instance/{id}")))
                .basic_auth("demo", Some("s3cret"))
                .send()
                .await
                .ok()?;
            let instance: Value = r.json().await.ok()?;
            (instance["state"] == "COMPLETED").then_some(())
        })
        .await;
    // The engine answers this worker's own calls too.
    assert_eq!(
        client.engine_info().await.expect("GET /engine")[0].name,
        "default"
    );
    worker.stop().await;
}

async fn shutdown_unlocks_the_tasks_still_held(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "stuck")).await;
    let instance = server.start_instance("p", json!({})).await;
    let id = instance["id"].as_str().expect("an id");
    let calls = Arc::new(AtomicUsize::new(0));
    let stuck = {
        let calls = calls.clone();
        handler_fn(move |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                tokio::time::sleep(Duration::from_secs(600)).await;
                Outcome::complete(Variables::new())
            }
        })
    };
    let mut c = config(&server, "stuck-worker");
    c.shutdown_grace_ms = 300;
    let worker = run(c, vec![("stuck", stuck, TopicOptions::default())]);
    server
        .eventually("the task is locked", || async {
            (calls.load(Ordering::SeqCst) == 1).then_some(())
        })
        .await;
    let task = server
        .get(&format!("/external-task?processInstanceId={id}"))
        .await
        .expect(200)
        .json;
    assert_eq!(task[0]["workerId"], "stuck-worker");
    worker.stop().await;
    let task = server
        .get(&format!("/external-task?processInstanceId={id}"))
        .await
        .expect(200)
        .json;
    assert_eq!(task[0]["workerId"], Value::Null, "{task}");
    assert_eq!(task[0]["lockExpirationTime"], Value::Null, "{task}");
    // Another worker gets it at once.
    let next = server.fetch("next", "stuck", 1, 10_000).await;
    assert_eq!(next.len(), 1);
}
