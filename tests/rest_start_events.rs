//! Starting instances from outside through their start events: message start events
//! (several per process, beside a none start) by `POST /message`, signal start events by
//! `POST /signal`, conditional start events by `POST /condition`, and timer start events
//! with a cycle by the job executor (Camunda's MessageStartEventTest,
//! SignalEventTest#testSignalStartEvent, ConditionalStartEventTest, StartTimerEventTest).

mod support;

use serde_json::{json, Value};
use support::{bpmn, Server, Store};

on_both_stores!(
    message_start_events_start_at_their_own_start_event,
    a_signal_starts_every_process_with_a_signal_start_event,
    post_condition_starts_the_processes_whose_condition_holds,
    a_timer_start_cycle_starts_one_instance_per_repetition,
);

fn flows(chain: &[(&str, &str)]) -> String {
    chain
        .iter()
        .map(|(a, b)| {
            format!(r#"<bpmn:sequenceFlow id="{a}_{b}" sourceRef="{a}" targetRef="{b}"/>"#)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A process with its messages declared after it.
fn with_globals(xml: String, globals: &str) -> String {
    xml.replace(
        "</bpmn:definitions>",
        &format!("{globals}\n</bpmn:definitions>"),
    )
}

async fn started_at(server: &Server, instance: &str) -> String {
    let list = server
        .get(&format!(
            "/history/activity-instance?processInstanceId={instance}&sortBy=startTime&sortOrder=asc"
        ))
        .await
        .expect(200)
        .json;
    // Several activities may share a start time: pick the start event by its type.
    let starts: Vec<String> = list
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|a| {
            a["activityType"]
                .as_str()
                .map(str::to_ascii_lowercase)
                .is_some_and(|t| t.contains("start") && t.ends_with("event"))
        })
        .map(|a| a["activityId"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(starts.len(), 1, "one start event: {list}");
    starts[0].clone()
}

async fn instances_of(server: &Server, key: &str) -> Vec<Value> {
    server
        .get(&format!("/process-instance?processDefinitionKey={key}"))
        .await
        .expect(200)
        .json
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn message_start_events_start_at_their_own_start_event(store: Store) {
    let server = Server::start(&store).await;
    let xml = with_globals(
        bpmn::definitions(
            "orders",
            &format!(
                r#"<bpmn:startEvent id="start"/>
    <bpmn:startEvent id="byMail"><bpmn:messageEventDefinition messageRef="mail"/></bpmn:startEvent>
    <bpmn:startEvent id="byPhone"><bpmn:messageEventDefinition messageRef="phone"/></bpmn:startEvent>
    <bpmn:userTask id="handle"/><bpmn:endEvent id="end"/>
    {}"#,
                flows(&[
                    ("start", "handle"),
                    ("byMail", "handle"),
                    ("byPhone", "handle"),
                    ("handle", "end")
                ])
            ),
        ),
        r#"<bpmn:message id="mail" name="orderByMail"/><bpmn:message id="phone" name="orderByPhone"/>"#,
    );
    server.deploy("orders.bpmn", &xml).await;

    // Each message start event has a subscription that belongs to no instance.
    let subs = server
        .get("/event-subscription?eventType=message")
        .await
        .expect(200)
        .json;
    let mut names: Vec<String> = subs
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| {
            assert_eq!(s["processInstanceId"], Value::Null, "{s}");
            s["eventName"].as_str().unwrap_or("").to_owned()
        })
        .collect();
    names.sort();
    assert_eq!(names, ["orderByMail", "orderByPhone"]);

    let r = server
        .post(
            "/message",
            &json!({
                "messageName": "orderByMail",
                "businessKey": "order-1",
                "processVariables": { "item": { "value": "book", "type": "String" } },
                "resultEnabled": true,
            }),
        )
        .await
        .expect(200);
    assert_eq!(r.json[0]["resultType"], "ProcessDefinition", "{}", r.json);
    let by_mail = r.json[0]["processInstance"]["id"]
        .as_str()
        .expect("the new instance")
        .to_owned();
    assert_eq!(r.json[0]["processInstance"]["businessKey"], "order-1");
    assert_eq!(started_at(&server, &by_mail).await, "byMail");
    let item = server
        .get(&format!("/process-instance/{by_mail}/variables/item"))
        .await
        .expect(200)
        .json;
    assert_eq!(item["value"], "book");

    // Without resultEnabled: 204; the other message start event.
    server
        .post("/message", &json!({ "messageName": "orderByPhone" }))
        .await
        .expect(204);
    // And the none start event still starts instances by key.
    let plain = server.start_instance("orders", json!({})).await;
    let plain = plain["id"].as_str().expect("an id").to_owned();
    assert_eq!(started_at(&server, &plain).await, "start");

    let all = instances_of(&server, "orders").await;
    assert_eq!(all.len(), 3);
    let mut starts = Vec::new();
    for i in &all {
        starts.push(started_at(&server, i["id"].as_str().expect("an id")).await);
    }
    starts.sort();
    assert_eq!(starts, ["byMail", "byPhone", "start"]);
    // The start subscriptions stay for the next message.
    assert_eq!(
        server
            .count("/event-subscription/count?eventType=message")
            .await,
        2
    );

    // A message nobody waits for is a 400 with Camunda's wording.
    let r = server
        .post("/message", &json!({ "messageName": "orderByFax" }))
        .await
        .expect(400);
    assert!(
        r.json["message"]
            .as_str()
            .is_some_and(|m| m.contains("orderByFax")),
        "{}",
        r.json
    );
}

fn signal_started(key: &str) -> String {
    with_globals(
        bpmn::definitions(
            key,
            &format!(
                r#"<bpmn:startEvent id="onAlarm"><bpmn:signalEventDefinition signalRef="alarm"/></bpmn:startEvent>
    <bpmn:userTask id="react"/><bpmn:endEvent id="end"/>
    {}"#,
                flows(&[("onAlarm", "react"), ("react", "end")])
            ),
        ),
        r#"<bpmn:signal id="alarm" name="alarm"/>"#,
    )
}

async fn a_signal_starts_every_process_with_a_signal_start_event(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("a.bpmn", &signal_started("firstResponder"))
        .await;
    server
        .deploy("b.bpmn", &signal_started("secondResponder"))
        .await;
    // A running instance waiting for the same signal gets it too.
    let catcher = with_globals(
        bpmn::definitions(
            "waiter",
            &format!(
                r#"<bpmn:startEvent id="start"/>
    <bpmn:intermediateCatchEvent id="wait"><bpmn:signalEventDefinition signalRef="alarm"/></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="after"/><bpmn:endEvent id="end"/>
    {}"#,
                flows(&[("start", "wait"), ("wait", "after"), ("after", "end")])
            ),
        ),
        r#"<bpmn:signal id="alarm" name="alarm"/>"#,
    );
    server.deploy("w.bpmn", &catcher).await;
    let waiter = server.start_instance("waiter", json!({})).await;
    let waiter = waiter["id"].as_str().expect("an id").to_owned();

    // A signal with no start event of another name starts nothing.
    server
        .post("/signal", &json!({ "name": "fire" }))
        .await
        .expect(204);
    assert!(instances_of(&server, "firstResponder").await.is_empty());

    server
        .post(
            "/signal",
            &json!({ "name": "alarm", "variables": { "level": { "value": 3, "type": "Integer" } } }),
        )
        .await
        .expect(204);
    for key in ["firstResponder", "secondResponder"] {
        let list = instances_of(&server, key).await;
        assert_eq!(list.len(), 1, "{key}: {list:?}");
        let id = list[0]["id"].as_str().expect("an id");
        let level = server
            .get(&format!("/process-instance/{id}/variables/level"))
            .await
            .expect(200)
            .json;
        assert_eq!(level["value"], 3);
    }
    let tasks = server
        .get(&format!("/task?processInstanceId={waiter}"))
        .await
        .expect(200)
        .json;
    assert_eq!(tasks[0]["taskDefinitionKey"], "after");

    // Signal start subscriptions stay: a second signal starts a second round.
    server
        .post("/signal", &json!({ "name": "alarm" }))
        .await
        .expect(204);
    assert_eq!(instances_of(&server, "firstResponder").await.len(), 2);
}

async fn post_condition_starts_the_processes_whose_condition_holds(store: Store) {
    let server = Server::start(&store).await;
    let xml = bpmn::definitions(
        "cooling",
        &format!(
            r#"<bpmn:startEvent id="tooHot"><bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression">${{temperature > 30}}</bpmn:condition></bpmn:conditionalEventDefinition></bpmn:startEvent>
    <bpmn:userTask id="cool"/><bpmn:endEvent id="end"/>
    {}"#,
            flows(&[("tooHot", "cool"), ("cool", "end")])
        ),
    )
    .replace(
        "xmlns:camunda=",
        r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="#,
    );
    server.deploy("cooling.bpmn", &xml).await;

    let r = server
        .post(
            "/condition",
            &json!({ "variables": { "temperature": { "value": 20, "type": "Integer" } } }),
        )
        .await
        .expect(200);
    assert_eq!(r.json, json!([]), "the condition does not hold");
    assert!(instances_of(&server, "cooling").await.is_empty());

    let r = server
        .post(
            "/condition",
            &json!({
                "variables": { "temperature": { "value": 35, "type": "Integer" } },
                "businessKey": "room-7",
            }),
        )
        .await
        .expect(200);
    let started = r.json.as_array().cloned().unwrap_or_default();
    assert_eq!(started.len(), 1, "{}", r.json);
    let id = started[0]["id"].as_str().expect("an id");
    assert_eq!(started[0]["businessKey"], "room-7");
    assert_eq!(started_at(&server, id).await, "tooHot");
    let t = server
        .get(&format!("/process-instance/{id}/variables/temperature"))
        .await
        .expect(200)
        .json;
    assert_eq!(t["value"], 35);
}

async fn a_timer_start_cycle_starts_one_instance_per_repetition(store: Store) {
    let server = Server::start(&store).await;
    let xml = bpmn::definitions(
        "ticker",
        &format!(
            r#"<bpmn:startEvent id="tick"><bpmn:timerEventDefinition><bpmn:timeCycle>R2/PT1S</bpmn:timeCycle></bpmn:timerEventDefinition></bpmn:startEvent>
    <bpmn:userTask id="work"/><bpmn:endEvent id="end"/>
    {}"#,
            flows(&[("tick", "work"), ("work", "end")])
        ),
    );
    server.deploy("ticker.bpmn", &xml).await;
    server
        .eventually("two instances from R2", || async {
            let n = instances_of(&server, "ticker").await.len();
            assert!(n <= 2, "R2 started {n} instances");
            (n == 2 && server.count("/job/count?processDefinitionKey=ticker").await == 0)
                .then_some(())
        })
        .await;
    for i in instances_of(&server, "ticker").await {
        assert_eq!(
            started_at(&server, i["id"].as_str().expect("an id")).await,
            "tick"
        );
    }
}
