//! fetchAndLock long polling (`asyncResponseTimeout`): a waiting request is answered as
//! soon as it locks a task; new tasks and unlocks wake it at once (also from another
//! node on PostgreSQL); an expiring lock is noticed without Camunda's 30 s re-check; the
//! timeout is capped at 30 minutes; an expired wait answers `[]`.
//!
//! Where a test must show that a request was *woken* rather than answered at its deadline,
//! the deadline is 120 s and the test only requires an answer within half of it.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{bpmn, Server, Store};

on_both_stores!(
    a_waiting_request_is_answered_as_soon_as_a_task_is_created,
    an_unlock_wakes_a_waiting_request,
    an_expiring_lock_is_noticed_without_a_30_second_delay,
    a_wait_that_expires_answers_an_empty_list,
    without_a_timeout_the_answer_is_immediate,
    a_timeout_above_30_minutes_is_refused,
    one_task_goes_to_exactly_one_of_several_waiting_requests,
    workers_that_give_up_waiting_leave_no_waiting_request_behind,
    a_failed_task_is_handed_out_again_once_its_retry_timeout_elapses,
    raising_retries_from_zero_wakes_a_waiting_request,
    a_task_created_by_a_timer_wakes_a_waiting_request,
);
on_postgres!(tasks_created_or_unlocked_on_one_node_wake_requests_waiting_on_another);

/// The deadline of requests that must be woken.
const LONG: u64 = 120_000;

fn poll_body(worker: &str, topic: &str, timeout_ms: u64) -> Value {
    json!({
        "workerId": worker,
        "maxTasks": 5,
        "asyncResponseTimeout": timeout_ms,
        "topics": [{"topicName": topic, "lockDuration": 600_000}],
    })
}

/// Starts a long poll in the background; the handle yields (tasks, how long it waited).
fn long_poll(
    server: &Server,
    worker: &str,
    topic: &str,
    timeout_ms: u64,
) -> tokio::task::JoinHandle<(Vec<Value>, Duration)> {
    let http = server.http.clone();
    let url = server.url("/external-task/fetchAndLock");
    let body = poll_body(worker, topic, timeout_ms);
    tokio::spawn(async move {
        let started = Instant::now();
        let r = http.post(url).json(&body).send().await.expect("long poll");
        assert_eq!(r.status().as_u16(), 200);
        let tasks: Vec<Value> = r.json().await.expect("a JSON list");
        (tasks, started.elapsed())
    })
}

/// Gives a background request time to reach the server and start waiting. Correctness
/// does not depend on it: a request that arrives later finds the task at once.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

async fn a_waiting_request_is_answered_as_soon_as_a_task_is_created(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    let poll = long_poll(&server, "w", "mail", LONG);
    settle().await;
    let instance = server.start_instance("p", json!({})).await;
    let (tasks, waited) = poll.await.expect("the poll");
    // It asked for up to 5 and got the one there is, without waiting for more.
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["processInstanceId"], instance["id"]);
    assert_eq!(tasks[0]["workerId"], "w");
    assert!(
        waited < Duration::from_millis(LONG / 2),
        "answered only after {waited:?}"
    );
}

async fn an_unlock_wakes_a_waiting_request(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    server.start_instance("p", json!({})).await;
    // The first worker holds the task far longer than the second one will wait.
    let held = server.fetch("first", "mail", 1, 3_600_000).await;
    assert_eq!(held.len(), 1);
    let poll = long_poll(&server, "second", "mail", LONG);
    settle().await;
    let id = held[0]["id"].as_str().expect("an id");
    server
        .post(&format!("/external-task/{id}/unlock"), &json!(null))
        .await
        .expect(204);
    let (tasks, _) = poll.await.expect("the poll");
    assert_eq!(support::ids(&tasks), [id]);
    assert_eq!(tasks[0]["workerId"], "second");
}

async fn an_expiring_lock_is_noticed_without_a_30_second_delay(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    server.start_instance("p", json!({})).await;
    let held = server.fetch("first", "mail", 1, 2_000).await;
    assert_eq!(held.len(), 1);
    let poll = long_poll(&server, "second", "mail", LONG);
    let (tasks, waited) = poll.await.expect("the poll");
    assert_eq!(support::ids(&tasks), support::ids(&held));
    // Camunda re-checks every 30 s; procos wakes when the lock expires.
    assert!(
        waited < Duration::from_secs(25),
        "noticed the expired lock only after {waited:?}"
    );
}

async fn a_wait_that_expires_answers_an_empty_list(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    let (tasks, waited) = long_poll(&server, "w", "mail", 1_500)
        .await
        .expect("the poll");
    assert!(tasks.is_empty());
    assert!(
        waited >= Duration::from_millis(1_400),
        "answered before its timeout, after {waited:?}"
    );
}

async fn without_a_timeout_the_answer_is_immediate(store: Store) {
    let server = Server::start(&store).await;
    let r = server
        .post(
            "/external-task/fetchAndLock",
            &json!({"workerId": "w", "maxTasks": 1,
                    "topics": [{"topicName": "nothing", "lockDuration": 1000}]}),
        )
        .await
        .expect(200);
    assert_eq!(r.json, json!([]));
    // Python clients send explicit nulls; they mean "absent".
    let r = server
        .post(
            "/external-task/fetchAndLock",
            &json!({"workerId": "w", "maxTasks": 1, "sorting": null, "usePriority": false,
                    "topics": [{"topicName": "nothing", "lockDuration": 1000,
                                "variables": null, "processVariables": {}}]}),
        )
        .await
        .expect(200);
    assert_eq!(r.json, json!([]));
}

async fn a_timeout_above_30_minutes_is_refused(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    let r = server
        .post(
            "/external-task/fetchAndLock",
            &poll_body("w", "mail", 1_800_001),
        )
        .await
        .expect(400);
    assert_eq!(r.json["type"], "InvalidRequestException");
    assert_eq!(
        r.json["message"],
        "The asynchronous response timeout cannot be set to a value greater than 1800000 milliseconds"
    );
    // Exactly 30 minutes is allowed (a task is there, so it answers at once).
    server.start_instance("p", json!({})).await;
    let r = server
        .post(
            "/external-task/fetchAndLock",
            &poll_body("w", "mail", 1_800_000),
        )
        .await
        .expect(200);
    assert_eq!(r.json.as_array().map(Vec::len), Some(1));
}

async fn one_task_goes_to_exactly_one_of_several_waiting_requests(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    let polls: Vec<_> = (0..4)
        .map(|i| long_poll(&server, &format!("w{i}"), "mail", 5_000))
        .collect();
    settle().await;
    server.start_instance("p", json!({})).await;
    let mut got = Vec::new();
    for poll in polls {
        got.extend(poll.await.expect("a poll").0);
    }
    assert_eq!(got.len(), 1, "{got:?}");
}

async fn tasks_created_or_unlocked_on_one_node_wake_requests_waiting_on_another(store: Store) {
    let a = Server::start(&store).await;
    let b = a.another_node("b").await;
    a.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;

    // A task created through node B wakes a request waiting on node A.
    let poll = long_poll(&a, "on-a", "mail", LONG);
    settle().await;
    let instance = b.start_instance("p", json!({})).await;
    let (tasks, waited) = poll.await.expect("the poll");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["processInstanceId"], instance["id"]);
    assert!(
        waited < Duration::from_millis(LONG / 2),
        "node A noticed node B's task only after {waited:?}"
    );

    // An unlock on node A wakes a request waiting on node B (the task was locked for an
    // hour, so nothing else could hand it out).
    let poll = long_poll(&b, "on-b", "mail", LONG);
    settle().await;
    let id = tasks[0]["id"].as_str().expect("an id");
    a.post(&format!("/external-task/{id}/unlock"), &json!(null))
        .await
        .expect(204);
    let (tasks, _) = poll.await.expect("the poll");
    assert_eq!(support::ids(&tasks), [id]);
    assert_eq!(tasks[0]["workerId"], "on-b");
}

async fn workers_that_give_up_waiting_leave_no_waiting_request_behind(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    // Three waves of 100 workers each give up on a long poll (their HTTP timeout, or
    // the process died) and close the connection: 300 in all, more than the 200 requests
    // that may wait at once.
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .expect("a client");
    for wave in 0..3 {
        let gave_up: Vec<_> = (0..100)
            .map(|i| {
                let (http, url) = (impatient.clone(), server.url("/external-task/fetchAndLock"));
                tokio::spawn(async move {
                    let r = http
                        .post(url)
                        .json(&poll_body(&format!("gone-{wave}-{i}"), "mail", 600_000))
                        .send()
                        .await;
                    if let Ok(r) = r {
                        let status = r.status();
                        let body = r.text().await.unwrap_or_default();
                        panic!("wave {wave}: answered {status} {body} before the client gave up");
                    }
                })
            })
            .collect();
        for g in gave_up {
            g.await.expect("an impatient worker");
        }
    }
    // The abandoned requests do not count against the limit, and do not lock tasks for
    // workers that are gone.
    let (tasks, _) = long_poll(&server, "patient", "mail", 1_000)
        .await
        .expect("a long poll");
    assert!(tasks.is_empty());
    let poll = long_poll(&server, "patient", "mail", LONG);
    settle().await;
    server.start_instance("p", json!({})).await;
    let (tasks, _) = poll.await.expect("the poll");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["workerId"], "patient");
}

async fn a_failed_task_is_handed_out_again_once_its_retry_timeout_elapses(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    server.start_instance("p", json!({})).await;
    let held = server.fetch("first", "mail", 1, 600_000).await;
    let id = held[0]["id"].as_str().expect("an id");
    server
        .post(
            &format!("/external-task/{id}/failure"),
            &json!({"workerId": "first", "errorMessage": "SMTP down", "retries": 2,
                    "retryTimeout": 1_500}),
        )
        .await
        .expect(204);
    // Not before the retry timeout…
    assert!(server.fetch("second", "mail", 1, 600_000).await.is_empty());
    // …but as soon as it elapses, without Camunda's 30 s re-check.
    let (tasks, waited) = long_poll(&server, "second", "mail", LONG)
        .await
        .expect("the poll");
    assert_eq!(support::ids(&tasks), [id]);
    assert_eq!(tasks[0]["retries"], 2);
    assert_eq!(tasks[0]["errorMessage"], "SMTP down");
    assert!(
        waited < Duration::from_secs(25),
        "handed out again only after {waited:?}"
    );
}

async fn raising_retries_from_zero_wakes_a_waiting_request(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    server.start_instance("p", json!({})).await;
    let held = server.fetch("first", "mail", 1, 600_000).await;
    let id = held[0]["id"].as_str().expect("an id");
    // No retries left: an incident, and the task cannot be fetched.
    server
        .post(
            &format!("/external-task/{id}/failure"),
            &json!({"workerId": "first", "errorMessage": "broken", "retries": 0}),
        )
        .await
        .expect(204);
    let poll = long_poll(&server, "second", "mail", LONG);
    settle().await;
    server
        .put(
            &format!("/external-task/{id}/retries"),
            &json!({"retries": 3}),
        )
        .await
        .expect(204);
    let (tasks, waited) = poll.await.expect("the poll");
    assert_eq!(support::ids(&tasks), [id]);
    assert!(
        waited < Duration::from_millis(LONG / 2),
        "woken only after {waited:?}"
    );
}

async fn a_task_created_by_a_timer_wakes_a_waiting_request(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("t.bpmn", &bpmn::timer_then_task("t", "PT1S", "after-timer"))
        .await;
    let poll = long_poll(&server, "w", "after-timer", LONG);
    let instance = server.start_instance("t", json!({})).await;
    let (tasks, waited) = poll.await.expect("the poll");
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["processInstanceId"], instance["id"]);
    assert!(
        waited < Duration::from_millis(LONG / 2),
        "woken only after {waited:?}"
    );
}
