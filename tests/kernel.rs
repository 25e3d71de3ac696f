//! The microkernel: `--root-process` starts the root process after deploying unless it
//! already runs (also across nodes sharing PostgreSQL), with the kernel's variables;
//! `--shutdown-message` tells it on SIGTERM that the system stops.

mod support;

use serde_json::Value;
use support::{Server, Store};

/// start → wait for the message `shutdown_signal` → end.
const ROOT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
    id="Definitions_root" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="Message_shutdown" name="shutdown_signal" />
  <bpmn:process id="root" isExecutable="true" camunda:historyTimeToLive="30">
    <bpmn:startEvent id="start" />
    <bpmn:intermediateCatchEvent id="wait_for_shutdown">
      <bpmn:messageEventDefinition messageRef="Message_shutdown" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="stopped" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="wait_for_shutdown" />
    <bpmn:sequenceFlow id="f2" sourceRef="wait_for_shutdown" targetRef="stopped" />
  </bpmn:process>
</bpmn:definitions>
"#;

const ARGS: &[&str] = &[
    "--root-process",
    "root",
    "--shutdown-message",
    "shutdown_signal",
    "--system-mode",
    "test",
];

on_both_stores!(
    the_root_process_starts_once_with_the_kernel_variables,
    sigterm_sends_the_shutdown_message_to_the_root_process,
);
on_postgres!(two_nodes_start_one_root_process);

async fn the_root_process_starts_once_with_the_kernel_variables(store: Store) {
    let mut server = Server::start_with_processes(&store, ARGS, &[("root.bpmn", ROOT)]).await;
    let list = server
        .get("/process-instance?processDefinitionKey=root")
        .await
        .expect(200)
        .json;
    let instances = list.as_array().expect("a list");
    assert_eq!(instances.len(), 1, "{list}");
    let id = instances[0]["id"].as_str().expect("an id").to_owned();
    let vars = server
        .get(&format!("/process-instance/{id}/variables"))
        .await
        .expect(200)
        .json;
    assert_eq!(vars["system_mode"]["value"], "test");
    assert_eq!(vars["system_mode"]["type"], "String");
    assert_eq!(vars["kernel_version"]["value"], env!("CARGO_PKG_VERSION"));
    assert_eq!(vars["startup_time"]["type"], "Long");
    assert!(vars["startup_time"]["value"].as_i64().unwrap_or(0) > 1_700_000_000);

    // A restart finds the root process running and leaves it alone.
    server.restart().await;
    let again = server
        .get("/process-instance?processDefinitionKey=root")
        .await
        .expect(200)
        .json;
    assert_eq!(again.as_array().map(Vec::len), Some(1), "{again}");
    assert_eq!(again[0]["id"], id.as_str());
    assert!(server.log().contains("root process already running"));
}

async fn sigterm_sends_the_shutdown_message_to_the_root_process(store: Store) {
    let mut server = Server::start_with_processes(&store, ARGS, &[("root.bpmn", ROOT)]).await;
    let list = server
        .get("/process-instance?processDefinitionKey=root")
        .await
        .expect(200)
        .json;
    let id = list[0]["id"]
        .as_str()
        .expect("the root instance")
        .to_owned();
    server.sigterm();
    assert_eq!(server.wait_exit().await, Some(0));
    assert!(
        server.log().contains("shutdown message delivered"),
        "{}",
        server.log()
    );
    // After a restart the history shows the root instance ended at `stopped`, and a new
    // one was started.
    server.restart().await;
    let history = server
        .get(&format!("/history/process-instance/{id}"))
        .await
        .expect(200)
        .json;
    assert_eq!(history["state"], "COMPLETED", "{history}");
    let ended_at = server
        .get(&format!(
            "/history/activity-instance?processInstanceId={id}&activityId=stopped"
        ))
        .await
        .expect(200)
        .json;
    assert_eq!(ended_at.as_array().map(Vec::len), Some(1), "{ended_at}");
    let running: Value = server
        .get("/process-instance?processDefinitionKey=root")
        .await
        .expect(200)
        .json;
    assert_eq!(running.as_array().map(Vec::len), Some(1));
    assert_ne!(running[0]["id"], id.as_str());
}

async fn two_nodes_start_one_root_process(store: Store) {
    let first = Server::start_with_processes(&store, ARGS, &[("root.bpmn", ROOT)]).await;
    let second = first
        .another_node_with_processes_and_args("second", &[("root.bpmn", ROOT)], ARGS)
        .await;
    for node in [&first, &second] {
        let list = node
            .get("/process-instance?processDefinitionKey=root")
            .await
            .expect(200)
            .json;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    }
}
