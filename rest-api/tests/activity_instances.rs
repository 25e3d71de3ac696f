//! `GET /process-instance/{id}/activity-instances`: the tree of a running instance.

mod support;

use serde_json::{json, Value as Json};
use support::{Api, PROCESS};

const KEYS: &[&str] = &[
    "id",
    "parentActivityInstanceId",
    "activityId",
    "activityType",
    "processInstanceId",
    "processDefinitionId",
    "childActivityInstances",
    "childTransitionInstances",
    "executionIds",
    "activityName",
    "name",
    "incidentIds",
    "incidents",
];

fn child<'a>(node: &'a Json, activity: &str) -> &'a Json {
    node["childActivityInstances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["activityId"] == activity)
        .unwrap_or_else(|| panic!("no child {activity} in {node}"))
}

fn check_keys(node: &Json) {
    for key in KEYS {
        assert!(node.get(key).is_some(), "{key} missing in {node}");
    }
    assert!(node["childTransitionInstances"].is_array());
    for c in node["childActivityInstances"].as_array().unwrap() {
        check_keys(c);
    }
}

#[tokio::test]
async fn the_tree_nests_subprocesses_and_shows_incidents() {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let instance = api.start(&definition, json!({})).await;
    let task = api.fetch("work").await.remove(0);
    api.fail_task(task["id"].as_str().unwrap(), "broken").await;

    let tree = api
        .get(&format!("/process-instance/{instance}/activity-instances"))
        .await
        .expect(200)
        .json();
    check_keys(&tree);
    assert_eq!(tree["childTransitionInstances"], json!([]));
    assert_eq!(tree["id"], instance.as_str());
    assert_eq!(tree["activityId"], definition.as_str());
    assert_eq!(tree["activityType"], "processDefinition");
    assert_eq!(tree["activityName"], "Test process");
    assert_eq!(tree["parentActivityInstanceId"], Json::Null);
    assert_eq!(tree["executionIds"], json!([instance]));
    assert_eq!(tree["processInstanceId"], instance.as_str());
    assert_eq!(tree["processDefinitionId"], definition.as_str());

    let mut top: Vec<&str> = tree["childActivityInstances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["activityId"].as_str().unwrap())
        .collect();
    top.sort();
    assert_eq!(top, ["catchGo", "sub", "wait", "work"]);

    let work = child(&tree, "work");
    assert_eq!(work["activityType"], "serviceTask");
    assert_eq!(work["name"], "Work");
    assert_eq!(work["parentActivityInstanceId"], instance.as_str());
    assert_eq!(work["id"], task["activityInstanceId"]);
    assert_eq!(work["executionIds"], json!([task["executionId"]]));
    let incidents = api
        .get(&format!("/incident?processInstanceId={instance}"))
        .await
        .json();
    assert_eq!(work["incidentIds"], json!([incidents[0]["id"]]));
    assert_eq!(
        work["incidents"],
        json!([{"id": incidents[0]["id"], "activityId": "work"}])
    );

    let sub = child(&tree, "sub");
    assert_eq!(sub["activityType"], "subProcess");
    let review = child(sub, "review");
    assert_eq!(review["activityType"], "userTask");
    assert_eq!(review["parentActivityInstanceId"], sub["id"]);
    assert!(review["id"].as_str().unwrap().starts_with("review:"));
    assert_eq!(review["incidents"], json!([]));

    let e = api
        .get("/process-instance/nope/activity-instances")
        .await
        .error(404, "InvalidRequestException");
    assert_eq!(e["message"], "Process instance with id nope does not exist");
}

#[tokio::test]
async fn continuations_are_transition_instances_and_multi_instance_has_a_body() {
    let api = Api::new().await;
    let definition = api.deploy(support::ASYNC_AND_MULTI).await;
    let instance = api.start(&definition, json!({})).await;
    let tree = api
        .get(&format!("/process-instance/{instance}/activity-instances"))
        .await
        .expect(200)
        .json();
    check_keys(&tree);

    let transitions = tree["childTransitionInstances"].as_array().unwrap();
    assert_eq!(transitions.len(), 1, "{tree}");
    let t = &transitions[0];
    assert_eq!(t["activityId"], "asyncWork");
    assert_eq!(t["activityType"], "serviceTask");
    assert_eq!(t["activityName"], "Later");
    assert_eq!(t["id"], t["executionId"]);
    assert_eq!(t["parentActivityInstanceId"], instance.as_str());
    assert_eq!(t["incidents"], json!([]));

    let body = child(&tree, "mi#multiInstanceBody");
    assert_eq!(body["activityType"], "multiInstanceBody");
    assert!(body["id"]
        .as_str()
        .unwrap()
        .starts_with("mi#multiInstanceBody:"));
    let inner = body["childActivityInstances"].as_array().unwrap();
    assert_eq!(inner.len(), 2);
    for i in inner {
        assert_eq!(i["activityId"], "mi");
        assert_eq!(i["activityType"], "userTask");
        assert_eq!(i["parentActivityInstanceId"], body["id"]);
    }

    // Once the continuation ran, the task is an activity instance.
    let job = api.get("/job?messages=true").await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.post(&format!("/job/{job}/execute"), json!({}))
        .await
        .expect(204);
    let tree = api
        .get(&format!("/process-instance/{instance}/activity-instances"))
        .await
        .json();
    assert_eq!(tree["childTransitionInstances"], json!([]));
    assert_eq!(child(&tree, "asyncWork")["activityType"], "serviceTask");
}
