//! Call activities seen over REST: the child is a real process instance linked to its
//! caller (`superProcessInstance` / `subProcessInstance` filters, history's
//! `superProcessInstanceId`, `calledProcessInstanceId` on the call activity), variables
//! travel in and out, the binding picks the version, and errors and escalations thrown
//! in the child reach the call activity's boundary events (Camunda's CallActivityTest).

mod support;

use serde_json::{json, Value};
use support::{Server, Store};

on_both_stores!(
    the_child_is_a_linked_instance_and_variables_travel_in_and_out,
    the_binding_picks_the_called_version,
    an_error_in_the_child_reaches_the_boundary_event_of_the_call_activity,
    a_non_interrupting_escalation_from_the_child_leaves_it_running,
    deleting_the_caller_deletes_the_child,
);

fn process(key: &str, attrs: &str, body: &str, flows: &[(&str, &str)]) -> String {
    let flows: String = flows
        .iter()
        .map(|(a, b)| {
            format!(r#"<bpmn:sequenceFlow id="{a}_{b}" sourceRef="{a}" targetRef="{b}"/>"#)
        })
        .collect();
    format!(
        r#"<bpmn:process id="{key}" isExecutable="true" camunda:historyTimeToLive="30" {attrs}>{body}{flows}</bpmn:process>"#
    )
}

fn document(processes: &[String], globals: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
{}
{globals}
</bpmn:definitions>"#,
        processes.join("\n")
    )
}

/// start → review (user task) → end.
fn child(key: &str, attrs: &str) -> String {
    process(
        key,
        attrs,
        r#"<bpmn:startEvent id="childStart"/><bpmn:userTask id="review"/><bpmn:endEvent id="childEnd"/>"#,
        &[("childStart", "review"), ("review", "childEnd")],
    )
}

fn list(v: Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

async fn the_child(server: &Server, parent: &str) -> Value {
    let children = list(
        server
            .get(&format!("/process-instance?superProcessInstance={parent}"))
            .await
            .expect(200)
            .json,
    );
    assert_eq!(children.len(), 1, "{children:?}");
    children[0].clone()
}

async fn task_of(server: &Server, instance: &str) -> Vec<Value> {
    list(
        server
            .get(&format!("/task?processInstanceId={instance}"))
            .await
            .expect(200)
            .json,
    )
}

async fn var(server: &Server, instance: &str, name: &str) -> Value {
    server
        .get(&format!("/process-instance/{instance}/variables/{name}"))
        .await
        .expect(200)
        .json["value"]
        .clone()
}

async fn the_child_is_a_linked_instance_and_variables_travel_in_and_out(store: Store) {
    let server = Server::start(&store).await;
    let parent = process(
        "parent",
        "",
        r#"<bpmn:startEvent id="start"/>
           <bpmn:callActivity id="call" calledElement="${childKey}">
             <bpmn:extensionElements>
               <camunda:in source="order" target="input"/>
               <camunda:in sourceExpression="${amount * 2}" target="doubled"/>
               <camunda:in businessKey="${execution.processBusinessKey}"/>
               <camunda:out source="verdict" target="result"/>
             </bpmn:extensionElements>
           </bpmn:callActivity>
           <bpmn:userTask id="after"/><bpmn:endEvent id="end"/>"#,
        &[("start", "call"), ("call", "after"), ("after", "end")],
    );
    server
        .deploy("family.bpmn", &document(&[parent, child("child", "")], ""))
        .await;
    let started = server
        .post(
            "/process-definition/key/parent/start",
            &json!({
                "businessKey": "bk-42",
                "variables": {
                    "childKey": { "value": "child", "type": "String" },
                    "order": { "value": "o-1", "type": "String" },
                    "amount": { "value": 21, "type": "Integer" },
                },
            }),
        )
        .await
        .expect(200)
        .json;
    let parent_id = id(&started);
    let child = the_child(&server, &parent_id).await;
    let child_id = id(&child);
    assert_eq!(child["businessKey"], "bk-42");
    assert!(
        child["definitionId"]
            .as_str()
            .is_some_and(|d| d.starts_with("child:")),
        "{child}"
    );
    // And the other way round.
    let up = list(
        server
            .get(&format!("/process-instance?subProcessInstance={child_id}"))
            .await
            .expect(200)
            .json,
    );
    assert_eq!(up.len(), 1);
    assert_eq!(id(&up[0]), parent_id);
    assert_eq!(var(&server, &child_id, "input").await, "o-1");
    assert_eq!(var(&server, &child_id, "doubled").await, 42);
    // Only the mapped variables went in.
    server
        .get(&format!("/process-instance/{child_id}/variables/order"))
        .await
        .expect(404);
    // The caller waits in the call activity, which names its child.
    let tree = server
        .get(&format!("/process-instance/{parent_id}/activity-instances"))
        .await
        .expect(200)
        .json;
    assert_eq!(tree["childActivityInstances"][0]["activityId"], "call");
    let call = list(
        server
            .get(&format!(
                "/history/activity-instance?processInstanceId={parent_id}&activityId=call"
            ))
            .await
            .expect(200)
            .json,
    );
    assert_eq!(call[0]["calledProcessInstanceId"], child_id.as_str());
    let history = list(
        server
            .get(&format!(
                "/history/process-instance?superProcessInstanceId={parent_id}"
            ))
            .await
            .expect(200)
            .json,
    );
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["id"], child_id.as_str());
    assert_eq!(history[0]["superProcessInstanceId"], parent_id.as_str());

    // The child completes: the verdict comes back and the caller goes on.
    let task = &task_of(&server, &child_id).await[0];
    server
        .post(
            &format!("/task/{}/complete", id(task)),
            &json!({ "variables": { "verdict": { "value": "approved", "type": "String" } } }),
        )
        .await
        .expect(204);
    let after = task_of(&server, &parent_id).await;
    assert_eq!(after[0]["taskDefinitionKey"], "after");
    assert_eq!(var(&server, &parent_id, "result").await, "approved");
    let done = server
        .get(&format!("/history/process-instance/{child_id}"))
        .await
        .expect(200)
        .json;
    assert_eq!(done["state"], "COMPLETED");
    assert!(list(
        server
            .get(&format!(
                "/process-instance?superProcessInstance={parent_id}"
            ))
            .await
            .expect(200)
            .json
    )
    .is_empty());
}

async fn the_binding_picks_the_called_version(store: Store) {
    let server = Server::start(&store).await;
    let call = |id: &str, attrs: &str| {
        format!(r#"<bpmn:callActivity id="{id}" calledElement="child" {attrs}/>"#)
    };
    let parent = process(
        "parent",
        "",
        &format!(
            r#"<bpmn:startEvent id="start"/><bpmn:parallelGateway id="fork"/>{}{}{}{}
               <bpmn:parallelGateway id="join"/><bpmn:endEvent id="end"/>"#,
            call("latest", ""),
            call("deployment", r#"camunda:calledElementBinding="deployment""#),
            call(
                "version",
                r#"camunda:calledElementBinding="version" camunda:calledElementVersion="2""#
            ),
            call(
                "tagged",
                r#"camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="one""#
            ),
        ),
        &[
            ("start", "fork"),
            ("fork", "latest"),
            ("fork", "deployment"),
            ("fork", "version"),
            ("fork", "tagged"),
            ("latest", "join"),
            ("deployment", "join"),
            ("version", "join"),
            ("tagged", "join"),
            ("join", "end"),
        ],
    );
    // Deployment 1: the parent with child version 1 (tag "one").
    server
        .deploy(
            "parent.bpmn",
            &document(&[parent, child("child", r#"camunda:versionTag="one""#)], ""),
        )
        .await;
    // Then child versions 2 and 3 on their own.
    for (n, tag) in [(2, "two"), (3, "three")] {
        let xml = document(
            &[child(
                "child",
                &format!(r#"camunda:versionTag="{tag}" name="v{n}""#),
            )],
            "",
        );
        server.deploy(&format!("child-{n}.bpmn"), &xml).await;
    }
    let parent_id = id(&server.start_instance("parent", json!({})).await);
    let children = list(
        server
            .get(&format!("/history/activity-instance?processInstanceId={parent_id}&activityType=callActivity"))
            .await
            .expect(200)
            .json,
    );
    assert_eq!(children.len(), 4, "{children:?}");
    for a in children {
        let child_id = a["calledProcessInstanceId"].as_str().expect("a child");
        let def = server
            .get(&format!("/process-instance/{child_id}"))
            .await
            .expect(200)
            .json["definitionId"]
            .as_str()
            .expect("a definition")
            .to_owned();
        let version = server
            .get(&format!("/process-definition/{def}"))
            .await
            .expect(200)
            .json["version"]
            .clone();
        let expected = match a["activityId"].as_str().unwrap_or("") {
            "latest" => 3,
            "deployment" => 1,
            "version" => 2,
            "tagged" => 1,
            other => panic!("unexpected {other}"),
        };
        assert_eq!(version, expected, "{}", a["activityId"]);
    }
}

async fn an_error_in_the_child_reaches_the_boundary_event_of_the_call_activity(store: Store) {
    let server = Server::start(&store).await;
    let child = process(
        "failingChild",
        "",
        r#"<bpmn:startEvent id="childStart"/><bpmn:userTask id="review"/>
           <bpmn:endEvent id="fail"><bpmn:errorEventDefinition errorRef="rejected"/></bpmn:endEvent>"#,
        &[("childStart", "review"), ("review", "fail")],
    );
    let parent = process(
        "caller",
        "",
        r#"<bpmn:startEvent id="start"/><bpmn:callActivity id="call" calledElement="failingChild"/>
           <bpmn:boundaryEvent id="onRejected" attachedToRef="call"><bpmn:errorEventDefinition errorRef="rejected" camunda:errorCodeVariable="code"/></bpmn:boundaryEvent>
           <bpmn:userTask id="after"/><bpmn:userTask id="handle"/><bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>"#,
        &[
            ("start", "call"),
            ("call", "after"),
            ("after", "end"),
            ("onRejected", "handle"),
            ("handle", "end2"),
        ],
    );
    server
        .deploy(
            "e.bpmn",
            &document(
                &[parent, child],
                r#"<bpmn:error id="rejected" errorCode="REJECTED"/>"#,
            ),
        )
        .await;
    let parent_id = id(&server.start_instance("caller", json!({})).await);
    let child_id = id(&the_child(&server, &parent_id).await);
    let task = &task_of(&server, &child_id).await[0];
    server
        .post(&format!("/task/{}/complete", id(task)), &json!({}))
        .await
        .expect(204);
    let tasks = task_of(&server, &parent_id).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0]["taskDefinitionKey"], "handle");
    assert_eq!(var(&server, &parent_id, "code").await, "REJECTED");
    server
        .get(&format!("/process-instance/{child_id}"))
        .await
        .expect(404);
    let call = list(
        server
            .get(&format!(
                "/history/activity-instance?processInstanceId={parent_id}&activityId=call"
            ))
            .await
            .expect(200)
            .json,
    );
    assert_eq!(call[0]["canceled"], true, "{call:?}");
}

async fn a_non_interrupting_escalation_from_the_child_leaves_it_running(store: Store) {
    let server = Server::start(&store).await;
    let child = process(
        "escalatingChild",
        "",
        r#"<bpmn:startEvent id="childStart"/>
           <bpmn:intermediateThrowEvent id="raise"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:intermediateThrowEvent>
           <bpmn:userTask id="review"/><bpmn:endEvent id="childEnd"/>"#,
        &[
            ("childStart", "raise"),
            ("raise", "review"),
            ("review", "childEnd"),
        ],
    );
    let parent = process(
        "watcher",
        "",
        r#"<bpmn:startEvent id="start"/><bpmn:callActivity id="call" calledElement="escalatingChild"/>
           <bpmn:boundaryEvent id="onLate" attachedToRef="call" cancelActivity="false"><bpmn:escalationEventDefinition escalationRef="late"/></bpmn:boundaryEvent>
           <bpmn:userTask id="after"/><bpmn:userTask id="notify"/><bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>"#,
        &[
            ("start", "call"),
            ("call", "after"),
            ("after", "end"),
            ("onLate", "notify"),
            ("notify", "end2"),
        ],
    );
    server
        .deploy(
            "x.bpmn",
            &document(
                &[parent, child],
                r#"<bpmn:escalation id="late" escalationCode="LATE"/>"#,
            ),
        )
        .await;
    let parent_id = id(&server.start_instance("watcher", json!({})).await);
    let tasks = task_of(&server, &parent_id).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["taskDefinitionKey"], "notify");
    let child_id = id(&the_child(&server, &parent_id).await);
    let review = &task_of(&server, &child_id).await[0];
    assert_eq!(review["taskDefinitionKey"], "review");
    server
        .post(&format!("/task/{}/complete", id(review)), &json!({}))
        .await
        .expect(204);
    let mut keys: Vec<String> = task_of(&server, &parent_id)
        .await
        .iter()
        .map(|t| t["taskDefinitionKey"].as_str().unwrap_or("").to_owned())
        .collect();
    keys.sort();
    assert_eq!(keys, ["after", "notify"]);
}

async fn deleting_the_caller_deletes_the_child(store: Store) {
    let server = Server::start(&store).await;
    let parent = process(
        "parent",
        "",
        r#"<bpmn:startEvent id="start"/><bpmn:callActivity id="call" calledElement="child"/><bpmn:endEvent id="end"/>"#,
        &[("start", "call"), ("call", "end")],
    );
    server
        .deploy("d.bpmn", &document(&[parent, child("child", "")], ""))
        .await;
    let parent_id = id(&server.start_instance("parent", json!({})).await);
    let child_id = id(&the_child(&server, &parent_id).await);
    let r = server
        .http
        .delete(server.url(&format!("/process-instance/{parent_id}")))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status().as_u16(), 204);
    server
        .get(&format!("/process-instance/{child_id}"))
        .await
        .expect(404);
    let state = server
        .get(&format!("/history/process-instance/{child_id}"))
        .await
        .expect(200)
        .json["state"]
        .clone();
    assert!(
        state == "EXTERNALLY_TERMINATED" || state == "INTERNALLY_TERMINATED",
        "{state}"
    );
}
