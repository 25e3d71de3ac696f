//! SIGTERM drains the server: requests waiting in a long poll are answered with `[]`, the
//! process exits with 0, and a restart finds everything it had.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{bpmn, Server, Store};

on_both_stores!(
    sigterm_answers_waiting_long_polls_with_an_empty_list_and_exits_0,
    a_drained_server_restarts_with_all_its_work,
);

async fn sigterm_answers_waiting_long_polls_with_an_empty_list_and_exits_0(store: Store) {
    let mut server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    let polls: Vec<_> = (0..3)
        .map(|i| {
            let http = server.http.clone();
            let url = server.url("/external-task/fetchAndLock");
            tokio::spawn(async move {
                let started = Instant::now();
                let r = http
                    .post(url)
                    .json(&json!({
                        "workerId": format!("w{i}"),
                        "maxTasks": 1,
                        "asyncResponseTimeout": 120_000,
                        "topics": [{"topicName": "mail", "lockDuration": 60_000}],
                    }))
                    .send()
                    .await
                    .expect("the long poll is answered");
                let status = r.status().as_u16();
                let body: Value = r.json().await.expect("a JSON body");
                (status, body, started.elapsed())
            })
        })
        .collect();
    // Let the polls reach the server and start waiting.
    tokio::time::sleep(Duration::from_millis(500)).await;

    server.sigterm();
    for poll in polls {
        let (status, body, waited) = poll.await.expect("a poll");
        assert_eq!((status, body), (200, json!([])));
        assert!(
            waited < Duration::from_secs(60),
            "answered only at its own timeout ({waited:?})"
        );
    }
    assert_eq!(server.wait_exit().await, Some(0), "{}", server.log());
    assert!(server.log().contains("\"stopped\""), "{}", server.log());
}

async fn a_drained_server_restarts_with_all_its_work(store: Store) {
    let mut server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "mail")).await;
    let mut started = Vec::new();
    for _ in 0..20 {
        started.push(server.start_instance("p", json!({})).await["id"].clone());
    }
    server.sigterm();
    assert_eq!(server.wait_exit().await, Some(0), "{}", server.log());

    server.restart().await;
    assert_eq!(server.count("/process-instance/count").await, 20);
    let tasks = server.fetch("w", "mail", 100, 60_000).await;
    assert_eq!(tasks.len(), 20);
    for task in &tasks {
        assert!(started.contains(&task["processInstanceId"]));
        server
            .complete(task["id"].as_str().expect("an id"), "w", json!({}))
            .await
            .expect(204);
    }
    assert_eq!(server.count("/process-instance/count").await, 0);
}
