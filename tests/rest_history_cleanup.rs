//! `camunda:historyTimeToLive` over REST: stored and shown on the definition, and
//! honoured by `POST /history/cleanup`, which removes the history of finished instances
//! whose time to live has passed and leaves running instances and younger history alone
//! (Camunda's HistoryCleanupTest, with a time to live of 0 days so nothing needs to wait).

mod support;

use serde_json::json;
use support::{bpmn, Server, Store};

on_both_stores!(history_cleanup_removes_only_expired_finished_history);

fn with_ttl(key: &str, ttl: Option<&str>) -> String {
    let xml = bpmn::two_tasks(key);
    match ttl {
        Some(t) => xml.replace(
            r#"camunda:historyTimeToLive="30""#,
            &format!(r#"camunda:historyTimeToLive="{t}""#),
        ),
        None => xml.replace(r#" camunda:historyTimeToLive="30""#, ""),
    }
}

async fn finish(server: &Server, key: &str) -> String {
    let id = server
        .start_instance(key, json!({ "note": { "value": "x", "type": "String" } }))
        .await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    for topic in ["a", "b"] {
        let task = server
            .fetch("w", &format!("{key}-{topic}"), 1, 60_000)
            .await;
        server
            .complete(task[0]["id"].as_str().expect("a task"), "w", json!({}))
            .await
            .expect(204);
    }
    id
}

async fn history_count(server: &Server, instance: &str) -> [i64; 3] {
    [
        server
            .count(&format!(
                "/history/process-instance/count?processInstanceId={instance}"
            ))
            .await,
        server
            .count(&format!(
                "/history/activity-instance/count?processInstanceId={instance}"
            ))
            .await,
        server
            .count(&format!(
                "/history/variable-instance/count?processInstanceId={instance}"
            ))
            .await,
    ]
}

async fn history_cleanup_removes_only_expired_finished_history(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("short.bpmn", &with_ttl("short", Some("0")))
        .await;
    server
        .deploy("long.bpmn", &with_ttl("long", Some("P5D")))
        .await;
    server
        .deploy("forever.bpmn", &with_ttl("forever", None))
        .await;

    // Stored and exposed.
    for (key, ttl) in [
        ("short", json!(0)),
        ("long", json!(5)),
        ("forever", json!(null)),
    ] {
        let def = server
            .get(&format!("/process-definition/key/{key}"))
            .await
            .expect(200)
            .json;
        assert_eq!(def["historyTimeToLive"], ttl, "{key}: {def}");
    }

    let expired = finish(&server, "short").await;
    let running = server
        .start_instance(
            "short",
            json!({ "note": { "value": "y", "type": "String" } }),
        )
        .await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let young = finish(&server, "long").await;
    let kept = finish(&server, "forever").await;
    assert_eq!(history_count(&server, &expired).await[0], 1);
    let before_running = history_count(&server, &running).await;
    let before_young = history_count(&server, &young).await;
    let before_kept = history_count(&server, &kept).await;
    assert!(before_running.iter().all(|n| *n > 0), "{before_running:?}");

    let job = server
        .post("/history/cleanup", &json!({}))
        .await
        .expect(200)
        .json;
    assert!(job["id"].is_string(), "{job}");

    assert_eq!(history_count(&server, &expired).await, [0, 0, 0]);
    server
        .get(&format!("/history/process-instance/{expired}"))
        .await
        .expect(404);
    assert_eq!(history_count(&server, &running).await, before_running);
    assert_eq!(history_count(&server, &young).await, before_young);
    assert_eq!(history_count(&server, &kept).await, before_kept);

    // The running instance, once finished, is cleaned up by the next run.
    let task = server.fetch("w", "short-a", 1, 60_000).await;
    server
        .complete(task[0]["id"].as_str().expect("a task"), "w", json!({}))
        .await
        .expect(204);
    let task = server.fetch("w", "short-b", 1, 60_000).await;
    server
        .complete(task[0]["id"].as_str().expect("a task"), "w", json!({}))
        .await
        .expect(204);
    server
        .post("/history/cleanup", &json!({}))
        .await
        .expect(200);
    assert_eq!(history_count(&server, &running).await, [0, 0, 0]);
}
