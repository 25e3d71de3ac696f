//! Compensation and transactions as a user sees them over REST: while a compensation
//! handler waits, the activity instance tree shows the throwing event and the handler;
//! a cancelled transaction leaves through its cancel boundary event and is cancelled in
//! history (Camunda's CompensateEventTest, TransactionSubProcessTest).

mod support;

use serde_json::{json, Value};
use support::{bpmn, Server, Store};

on_both_stores!(
    a_compensation_throw_event_waits_for_its_handler_in_the_tree,
    a_cancel_end_event_compensates_and_leaves_through_the_cancel_boundary,
);

fn flows(chain: &[(&str, &str)]) -> String {
    chain
        .iter()
        .map(|(a, b)| {
            format!(r#"<bpmn:sequenceFlow id="{a}_{b}" sourceRef="{a}" targetRef="{b}"/>"#)
        })
        .collect()
}

/// `activity` with a compensation boundary event whose handler is the user task `handler`.
fn compensated(activity: &str, handler: &str) -> String {
    format!(
        r#"<bpmn:userTask id="{activity}"/>
    <bpmn:boundaryEvent id="{activity}Comp" attachedToRef="{activity}"><bpmn:compensateEventDefinition/></bpmn:boundaryEvent>
    <bpmn:userTask id="{handler}" isForCompensation="true"/>
    <bpmn:association id="{activity}Assoc" associationDirection="One" sourceRef="{activity}Comp" targetRef="{handler}"/>"#
    )
}

/// The activity instance tree as `id(type)` lines, children indented and sorted.
fn tree(node: &Value, depth: usize, out: &mut String) {
    let mut children: Vec<&Value> = node["childActivityInstances"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    children.extend(
        node["childTransitionInstances"]
            .as_array()
            .into_iter()
            .flatten(),
    );
    let mut lines: Vec<(String, &Value)> = children
        .into_iter()
        .map(|c| (c["activityId"].as_str().unwrap_or("?").to_owned(), c))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    for (id, child) in lines {
        out.push_str(&format!("{}{id}\n", "  ".repeat(depth)));
        tree(child, depth + 1, out);
    }
}

async fn activity_tree(server: &Server, instance: &str) -> String {
    let root = server
        .get(&format!("/process-instance/{instance}/activity-instances"))
        .await
        .expect(200)
        .json;
    let mut out = String::new();
    tree(&root, 0, &mut out);
    out
}

async fn complete(server: &Server, instance: &str, key: &str, variables: Value) {
    let tasks = server
        .get(&format!(
            "/task?processInstanceId={instance}&taskDefinitionKey={key}"
        ))
        .await
        .expect(200)
        .json;
    let id = tasks[0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no task {key}: {tasks}"));
    server
        .post(
            &format!("/task/{id}/complete"),
            &json!({ "variables": variables }),
        )
        .await
        .expect(204);
}

async fn a_compensation_throw_event_waits_for_its_handler_in_the_tree(store: Store) {
    let server = Server::start(&store).await;
    let xml = bpmn::definitions(
        "booking",
        &format!(
            r#"<bpmn:startEvent id="start"/>{}
    <bpmn:intermediateThrowEvent id="undo"><bpmn:compensateEventDefinition/></bpmn:intermediateThrowEvent>
    <bpmn:userTask id="after"/><bpmn:endEvent id="end"/>
    {}"#,
            compensated("book", "undoBook"),
            flows(&[
                ("start", "book"),
                ("book", "undo"),
                ("undo", "after"),
                ("after", "end")
            ])
        ),
    );
    server.deploy("booking.bpmn", &xml).await;
    let id = server.start_instance("booking", json!({})).await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(activity_tree(&server, &id).await, "book\n");
    complete(&server, &id, "book", json!({})).await;
    assert_eq!(activity_tree(&server, &id).await, "undo\nundoBook\n");
    complete(&server, &id, "undoBook", json!({})).await;
    assert_eq!(activity_tree(&server, &id).await, "after\n");
}

async fn a_cancel_end_event_compensates_and_leaves_through_the_cancel_boundary(store: Store) {
    let server = Server::start(&store).await;
    let xml = bpmn::definitions(
        "trip",
        &format!(
            r#"<bpmn:startEvent id="start"/>
    <bpmn:transaction id="tx">
      <bpmn:startEvent id="txStart"/>{}
      <bpmn:exclusiveGateway id="ok" default="ok_txEnd"/>
      <bpmn:endEvent id="txEnd"/>
      <bpmn:endEvent id="cancelEnd"><bpmn:cancelEventDefinition/></bpmn:endEvent>
      <bpmn:sequenceFlow id="ok_cancelEnd" sourceRef="ok" targetRef="cancelEnd"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${{cancel}}</bpmn:conditionExpression></bpmn:sequenceFlow>
      <bpmn:sequenceFlow id="ok_txEnd" sourceRef="ok" targetRef="txEnd"/>
      {}
    </bpmn:transaction>
    <bpmn:boundaryEvent id="cancelled" attachedToRef="tx"><bpmn:cancelEventDefinition/></bpmn:boundaryEvent>
    <bpmn:userTask id="afterSuccess"/><bpmn:userTask id="afterCancel"/>
    <bpmn:endEvent id="end"/><bpmn:endEvent id="end2"/>
    {}"#,
            compensated("book", "undoBook"),
            flows(&[("txStart", "book"), ("book", "ok")]),
            flows(&[
                ("start", "tx"),
                ("tx", "afterSuccess"),
                ("afterSuccess", "end"),
                ("cancelled", "afterCancel"),
                ("afterCancel", "end2")
            ])
        ),
    )
    .replace(
        "xmlns:camunda=",
        r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="#,
    );
    server.deploy("trip.bpmn", &xml).await;

    // Cancelled: the handler runs inside the transaction, then the boundary path.
    let id = server.start_instance("trip", json!({})).await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(activity_tree(&server, &id).await, "tx\n  book\n");
    complete(
        &server,
        &id,
        "book",
        json!({ "cancel": { "value": true, "type": "Boolean" } }),
    )
    .await;
    assert_eq!(
        activity_tree(&server, &id).await,
        "tx\n  cancelEnd\n  undoBook\n"
    );
    complete(&server, &id, "undoBook", json!({})).await;
    assert_eq!(activity_tree(&server, &id).await, "afterCancel\n");
    let tx = server
        .get(&format!(
            "/history/activity-instance?processInstanceId={id}&activityId=tx"
        ))
        .await
        .expect(200)
        .json;
    assert_eq!(tx[0]["canceled"], true, "{tx}");
    assert_eq!(tx[0]["activityType"], "transaction", "{tx}");

    // Not cancelled: no handler, the transaction completes normally.
    let id = server.start_instance("trip", json!({})).await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    complete(
        &server,
        &id,
        "book",
        json!({ "cancel": { "value": false, "type": "Boolean" } }),
    )
    .await;
    assert_eq!(activity_tree(&server, &id).await, "afterSuccess\n");
    let handlers = server
        .count(&format!(
            "/history/activity-instance/count?processInstanceId={id}&activityId=undoBook"
        ))
        .await;
    assert_eq!(handlers, 0);
}
