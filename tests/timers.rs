//! Timers fire through the job executor of a running server: a timer catch event lets the
//! instance move on, a boundary timer interrupts a task nobody completed, and timers
//! survive a restart. Durations are short (PT1S); the tests wait with generous deadlines
//! and assert what happened, not how fast.

mod support;

use serde_json::json;
use support::{bpmn, Server, Store};

on_both_stores!(
    a_timer_catch_event_fires_and_the_instance_moves_on,
    a_boundary_timer_interrupts_a_task_nobody_completed,
    a_task_completed_in_time_cancels_its_boundary_timer,
    a_timer_due_while_the_server_was_down_fires_after_a_restart,
);
on_postgres!(each_timer_fires_once_on_a_cluster_of_two_nodes);

async fn activity_ids(server: &Server, instance: &str) -> Vec<(String, bool)> {
    let list = server
        .get(&format!(
            "/history/activity-instance?processInstanceId={instance}&sortBy=startTime&sortOrder=asc"
        ))
        .await
        .expect(200)
        .json;
    list.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            (
                a["activityId"].as_str().unwrap_or("").to_owned(),
                a["canceled"] == true,
            )
        })
        .collect()
}

async fn history_state(server: &Server, instance: &str) -> String {
    server
        .get(&format!("/history/process-instance/{instance}"))
        .await
        .expect(200)
        .json["state"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

async fn a_timer_catch_event_fires_and_the_instance_moves_on(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("t.bpmn", &bpmn::timer_then_task("t", "PT1S", "after-timer"))
        .await;
    let instance = server.start_instance("t", json!({})).await;
    let id = instance["id"].as_str().expect("an id").to_owned();
    // Right after the start the instance waits at the timer; nothing to fetch yet.
    assert!(server.fetch("w", "after-timer", 1, 60_000).await.is_empty());

    // The timer fires by itself and the task after it appears.
    let task = server
        .eventually("the timer fires", || async {
            let tasks = server.fetch("w", "after-timer", 1, 60_000).await;
            tasks.into_iter().next()
        })
        .await;
    assert_eq!(task["processInstanceId"], id.as_str());
    server
        .complete(task["id"].as_str().expect("a task id"), "w", json!({}))
        .await
        .expect(204);
    assert_eq!(history_state(&server, &id).await, "COMPLETED");
    let steps: Vec<String> = activity_ids(&server, &id)
        .await
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(steps, ["start", "wait", "after", "end"]);
}

async fn a_boundary_timer_interrupts_a_task_nobody_completed(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy(
            "b.bpmn",
            &bpmn::task_with_boundary_timer("b", "slow", "PT1S"),
        )
        .await;
    let instance = server.start_instance("b", json!({})).await;
    let id = instance["id"].as_str().expect("an id").to_owned();
    // A worker takes the task but never finishes it.
    let task = server.fetch("w", "slow", 1, 600_000).await;
    assert_eq!(task.len(), 1);

    server
        .eventually("the boundary timer fires", || async {
            (history_state(&server, &id).await == "COMPLETED").then_some(())
        })
        .await;
    let steps = activity_ids(&server, &id).await;
    assert!(
        steps.contains(&("work".to_owned(), true)),
        "the task was not cancelled: {steps:?}"
    );
    assert!(
        steps.iter().any(|(a, _)| a == "timedOut"),
        "did not end at timedOut: {steps:?}"
    );
    assert!(!steps.iter().any(|(a, _)| a == "done"), "{steps:?}");
    // The task is gone: the worker's late completion finds nothing.
    let task_id = task[0]["id"].as_str().expect("a task id");
    server.complete(task_id, "w", json!({})).await.expect(404);
}

async fn a_task_completed_in_time_cancels_its_boundary_timer(store: Store) {
    let server = Server::start(&store).await;
    // A timer far in the future: the task is completed long before it.
    server
        .deploy(
            "c.bpmn",
            &bpmn::task_with_boundary_timer("c", "quick", "PT1H"),
        )
        .await;
    let instance = server.start_instance("c", json!({})).await;
    let id = instance["id"].as_str().expect("an id").to_owned();
    let task = server.fetch("w", "quick", 1, 60_000).await;
    server
        .complete(task[0]["id"].as_str().expect("a task id"), "w", json!({}))
        .await
        .expect(204);
    assert_eq!(history_state(&server, &id).await, "COMPLETED");
    let steps = activity_ids(&server, &id).await;
    assert!(steps.iter().any(|(a, _)| a == "done"), "{steps:?}");
    assert!(!steps.iter().any(|(a, _)| a == "timedOut"), "{steps:?}");
    // No timer job is left behind.
    assert_eq!(server.db.scalar_i64("SELECT COUNT(*) FROM job").await, 0);
}

async fn a_timer_due_while_the_server_was_down_fires_after_a_restart(store: Store) {
    let mut server = Server::start(&store).await;
    server
        .deploy(
            "r.bpmn",
            &bpmn::timer_then_task("r", "PT1S", "after-restart"),
        )
        .await;
    let instance = server.start_instance("r", json!({})).await;
    let id = instance["id"].as_str().expect("an id").to_owned();
    server.kill9();
    // Down for longer than the timer's duration.
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    server.restart().await;
    let task = server
        .eventually("the overdue timer fires", || async {
            server
                .fetch("w", "after-restart", 1, 60_000)
                .await
                .into_iter()
                .next()
        })
        .await;
    assert_eq!(task["processInstanceId"], id.as_str());
}

async fn each_timer_fires_once_on_a_cluster_of_two_nodes(store: Store) {
    let a = Server::start(&store).await;
    let b = a.another_node("b").await;
    let deployment = a
        .deploy("t.bpmn", &bpmn::timer_then_task("t", "PT1S", "after-timer"))
        .await;
    let definition = deployment["deployedProcessDefinitions"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("a definition");
    let count = 20;
    for i in 0..count {
        let node = if i % 2 == 0 { &a } else { &b };
        node.start_instance("t", json!({})).await;
    }
    a.eventually("every timer fires", || async {
        let n = a.count("/external-task/count?topicName=after-timer").await;
        (n >= count).then_some(())
    })
    .await;
    // Both job executors ran; no timer fired twice.
    assert_eq!(a.count("/external-task/count").await, count);
    assert_eq!(a.db.scalar_i64("SELECT COUNT(*) FROM job").await, 0);
    let waits = a
        .count(&format!(
            "/history/activity-instance/count?processDefinitionId={definition}&activityId=wait"
        ))
        .await;
    assert_eq!(waits, count);
    let finished_waits = a
        .count(&format!(
            "/history/activity-instance/count?processDefinitionId={definition}&activityId=wait&finished=true"
        ))
        .await;
    assert_eq!(finished_waits, count);
}
