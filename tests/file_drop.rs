//! The processes folder: a file dropped in is deployed, a changed file becomes a new
//! version, an unchanged one does not, and an invalid file is logged without stopping
//! the server.
//!
//! The server polls the folder about once a second and deploys a file only once it has
//! stopped changing, so these tests wait (with generous deadlines) for what they expect.
//! To show that something did *not* happen, a test drops a marker file named to sort
//! after the file in question: the folder is handled in name order, so once the marker is
//! deployed, the earlier file has been handled too.

mod support;

use std::fs;

use serde_json::Value;
use support::{bpmn, Server, Store};

on_both_stores!(
    a_file_dropped_into_the_folder_is_deployed,
    a_changed_file_gets_a_new_version_and_an_unchanged_one_does_not,
    an_invalid_file_is_logged_and_does_not_stop_the_server,
    files_present_at_boot_are_deployed_once_even_across_restarts,
);

/// The latest definition of `key`, once there is one with at least `version`.
async fn wait_for_version(server: &Server, key: &str, version: i64) -> Value {
    server
        .eventually(&format!("{key} version {version} is deployed"), || async {
            let r = server.get(&format!("/process-definition/key/{key}")).await;
            (r.status == 200 && r.json["version"].as_i64() >= Some(version)).then_some(r.json)
        })
        .await
}

fn drop_file(server: &Server, name: &str, content: &str) {
    fs::write(server.processes().join(name), content).expect("write into the processes folder");
}

async fn a_file_dropped_into_the_folder_is_deployed(store: Store) {
    let server = Server::start(&store).await;
    assert_eq!(server.count("/process-definition/count").await, 0);
    drop_file(&server, "order.bpmn", &bpmn::one_task("order", "ship"));

    let definition = wait_for_version(&server, "order", 1).await;
    assert_eq!(definition["version"], 1);
    assert_eq!(definition["resource"], "order.bpmn");
    let deployment = server
        .get(&format!(
            "/deployment/{}",
            definition["deploymentId"].as_str().expect("a deployment")
        ))
        .await
        .expect(200)
        .json;
    assert_eq!(deployment["name"], "order.bpmn");
    // It runs like any other deployment.
    server.start_instance("order", serde_json::json!({})).await;
    assert_eq!(server.fetch("w", "ship", 1, 60_000).await.len(), 1);
}

async fn a_changed_file_gets_a_new_version_and_an_unchanged_one_does_not(store: Store) {
    let server = Server::start(&store).await;
    let original = bpmn::one_task("order", "ship");
    drop_file(&server, "order.bpmn", &original);
    wait_for_version(&server, "order", 1).await;

    // The same content written again (a new modification time): nothing new.
    drop_file(&server, "order.bpmn", &original);
    drop_file(&server, "z1.bpmn", &bpmn::one_task("z1", "z"));
    wait_for_version(&server, "z1", 1).await;
    let latest = server
        .get("/process-definition/key/order")
        .await
        .expect(200);
    assert_eq!(latest.json["version"], 1);
    assert_eq!(server.count("/process-definition/count?key=order").await, 1);
    assert_eq!(server.count("/deployment/count").await, 2);

    // A real change: version 2, in a deployment of its own.
    drop_file(
        &server,
        "order.bpmn",
        &bpmn::one_task_renamed("order", "ship", "Ship the order"),
    );
    let v2 = wait_for_version(&server, "order", 2).await;
    assert_eq!(v2["version"], 2);
    assert_eq!(server.count("/process-definition/count?key=order").await, 2);
    assert_eq!(server.count("/deployment/count").await, 3);
    // New instances start the new version.
    let started = server.start_instance("order", serde_json::json!({})).await;
    assert_eq!(started["definitionId"], v2["id"]);
}

async fn an_invalid_file_is_logged_and_does_not_stop_the_server(store: Store) {
    let server = Server::start(&store).await;
    let valid = bpmn::one_task("fixed", "t");
    drop_file(&server, "broken.bpmn", &valid[..valid.len() / 2]);
    drop_file(&server, "good.bpmn", &bpmn::one_task("good", "t"));
    wait_for_version(&server, "good", 1).await;

    // The broken file was handled (it sorts first), refused, and logged by name.
    let refused = server
        .eventually("the refusal is logged", || async {
            server
                .log()
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|l| l["level"] == "ERROR" && l["file"] == "broken.bpmn")
        })
        .await;
    assert!(refused["message"].is_string(), "{refused}");
    assert_eq!(server.count("/process-definition/count").await, 1);
    server.get("/engine").await.expect(200);

    // Once fixed, it is deployed.
    drop_file(&server, "broken.bpmn", &valid);
    wait_for_version(&server, "fixed", 1).await;
}

async fn files_present_at_boot_are_deployed_once_even_across_restarts(store: Store) {
    let files = [
        ("a.bpmn", bpmn::one_task("a", "t")),
        ("b.bpmn20.xml", bpmn::one_task("b", "t")),
        ("invalid.bpmn", "<bpmn:definitions".to_owned()),
        ("notes.txt", "not a process".to_owned()),
    ];
    let files: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    let mut server = Server::start_with_processes(&store, &[], &files).await;
    // Deployed during boot: there before the server reported ready.
    assert_eq!(server.count("/process-definition/count").await, 2);
    assert_eq!(server.count("/deployment/count").await, 2);

    server.restart().await;
    assert_eq!(server.count("/process-definition/count").await, 2);
    assert_eq!(server.count("/deployment/count").await, 2);
    let a = server.get("/process-definition/key/a").await.expect(200);
    assert_eq!(a.json["version"], 1);

    // A file changed while the server was down is a new version at the next boot.
    server.kill9();
    drop_file(
        &server,
        "a.bpmn",
        &bpmn::one_task_renamed("a", "t", "Changed"),
    );
    server.restart().await;
    let a = server.get("/process-definition/key/a").await.expect(200);
    assert_eq!(a.json["version"], 2);
    assert_eq!(server.count("/process-definition/count?key=b").await, 1);
}
