//! The life of an instance through Camunda's REST API on a real socket: deploy, start,
//! fetch-and-lock, complete, and what history says afterwards.

mod support;

use serde_json::{json, Value};
use support::{bpmn, Server, Store};

on_both_stores!(
    a_deployed_process_runs_from_start_to_end_through_an_external_task,
    redeploying_an_unchanged_file_returns_the_existing_deployment,
    the_api_is_also_served_under_the_named_engine_prefix,
    fetch_and_lock_honours_the_topic_filters_and_returns_only_the_variables_asked_for,
);

async fn a_deployed_process_runs_from_start_to_end_through_an_external_task(store: Store) {
    let server = Server::start(&store).await;

    // Deploy, as Camunda Modeler does.
    let deployment = server
        .deploy("invoice.bpmn", &bpmn::one_task("invoice", "approve"))
        .await;
    let deployment_id = deployment["id"]
        .as_str()
        .expect("a deployment id")
        .to_owned();
    let definitions = deployment["deployedProcessDefinitions"]
        .as_object()
        .expect("the new definitions");
    assert_eq!(definitions.len(), 1);
    let definition = definitions.values().next().expect("one definition");
    assert_eq!(definition["key"], "invoice");
    assert_eq!(definition["version"], 1);
    assert_eq!(definition["deploymentId"], deployment_id.as_str());
    for key in [
        "deployedCaseDefinitions",
        "deployedDecisionDefinitions",
        "deployedDecisionRequirementsDefinitions",
        "links",
    ] {
        assert!(deployment.get(key).is_some(), "{key} is missing");
    }
    let r = server
        .get("/process-definition/key/invoice")
        .await
        .expect(200);
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.json["id"], definition["id"]);

    // Start, with a business key and a variable.
    let started = server
        .post(
            "/process-definition/key/invoice/start",
            &json!({
                "businessKey": "INV-1",
                "variables": {"amount": {"value": 120, "type": "Integer"}},
            }),
        )
        .await
        .expect(200)
        .json;
    let instance = started["id"].as_str().expect("an instance id").to_owned();
    assert_eq!(started["definitionId"], definition["id"]);
    assert_eq!(started["businessKey"], "INV-1");
    assert_eq!(started["ended"], false);
    assert_eq!(started["links"][0]["rel"], "self");
    let running = server
        .get(&format!("/process-instance/{instance}"))
        .await
        .expect(200)
        .json;
    assert_eq!(running["id"], instance.as_str());
    assert_eq!(
        server.count("/external-task/count?topicName=approve").await,
        1
    );

    // A worker fetches and locks the task, with the instance's variables.
    let tasks = server.fetch("worker-1", "approve", 10, 60_000).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let task = &tasks[0];
    assert_eq!(task["processInstanceId"], instance.as_str());
    assert_eq!(task["activityId"], "work");
    assert_eq!(task["topicName"], "approve");
    assert_eq!(task["workerId"], "worker-1");
    assert_eq!(task["businessKey"], "INV-1");
    assert_eq!(task["processDefinitionKey"], "invoice");
    assert_eq!(
        task["variables"]["amount"],
        json!({"type": "Integer", "value": 120, "valueInfo": {}})
    );
    assert!(task["lockExpirationTime"].is_string());
    // A locked task is not handed out again.
    assert!(server
        .fetch("worker-2", "approve", 10, 60_000)
        .await
        .is_empty());

    // The worker completes it; the instance ends.
    let task_id = task["id"].as_str().expect("a task id");
    server
        .complete(
            task_id,
            "worker-1",
            json!({"approved": {"value": true, "type": "Boolean"}}),
        )
        .await
        .expect(204);
    server
        .get(&format!("/process-instance/{instance}"))
        .await
        .expect(404);
    server
        .get(&format!("/external-task/{task_id}"))
        .await
        .expect(404);

    // History tells the whole story.
    let historic = server
        .get(&format!("/history/process-instance/{instance}"))
        .await
        .expect(200)
        .json;
    assert_eq!(historic["state"], "COMPLETED");
    assert_eq!(historic["businessKey"], "INV-1");
    assert_eq!(historic["processDefinitionKey"], "invoice");
    assert!(historic["endTime"].is_string(), "{historic}");
    let activities = server
        .get(&format!(
            "/history/activity-instance?processInstanceId={instance}&sortBy=startTime&sortOrder=asc"
        ))
        .await
        .expect(200)
        .json;
    let steps: Vec<(&str, &str)> = activities
        .as_array()
        .expect("a list")
        .iter()
        .map(|a| {
            assert!(a["endTime"].is_string(), "unfinished activity {a}");
            (
                a["activityId"].as_str().unwrap_or(""),
                a["activityType"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("start", "startEvent"),
            ("work", "serviceTask"),
            ("end", "noneEndEvent")
        ]
    );
    let variables = server
        .get(&format!(
            "/history/variable-instance?processInstanceId={instance}&sortBy=variableName&sortOrder=asc"
        ))
        .await
        .expect(200)
        .json;
    let variables: Vec<(&str, &Value)> = variables
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| (v["name"].as_str().unwrap_or(""), &v["value"]))
        .collect();
    assert_eq!(
        variables,
        [("amount", &json!(120)), ("approved", &json!(true))]
    );
    assert_eq!(
        server
            .count("/history/process-instance/count?processDefinitionKey=invoice&finished=true")
            .await,
        1
    );
}

async fn redeploying_an_unchanged_file_returns_the_existing_deployment(store: Store) {
    let server = Server::start(&store).await;
    let xml = bpmn::one_task("order", "ship");
    let first = server.deploy("order.bpmn", &xml).await;
    let again = server.deploy("order.bpmn", &xml).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["deployedProcessDefinitions"], Value::Null);
    assert_eq!(server.count("/deployment/count").await, 1);

    let changed = server
        .deploy(
            "order.bpmn",
            &bpmn::one_task_renamed("order", "ship", "Ship it"),
        )
        .await;
    assert_ne!(changed["id"], first["id"]);
    let latest = server
        .get("/process-definition/key/order")
        .await
        .expect(200);
    assert_eq!(latest.json["version"], 2);
    assert_eq!(server.count("/process-definition/count?key=order").await, 2);
}

async fn the_api_is_also_served_under_the_named_engine_prefix(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    let plain = server.get("/process-definition/key/p").await.expect(200);
    let named = server
        .get("/engine/default/process-definition/key/p")
        .await
        .expect(200);
    assert_eq!(plain.json, named.json);
    let engines = server.get("/engine").await.expect(200);
    assert_eq!(engines.json, json!([{"name": "default"}]));
    let version = server.get("/version").await.expect(200);
    assert!(version.json["version"]
        .as_str()
        .is_some_and(|v| v.starts_with("7.")));
}

async fn fetch_and_lock_honours_the_topic_filters_and_returns_only_the_variables_asked_for(
    store: Store,
) {
    let server = Server::start(&store).await;
    server
        .deploy("ship.bpmn", &bpmn::one_task("ship", "ship"))
        .await;
    server
        .deploy("bill.bpmn", &bpmn::one_task("bill", "ship"))
        .await;
    let mut ids = std::collections::BTreeMap::new();
    for (key, business_key, region, weight) in [
        ("ship", "A", "EU", 2),
        ("ship", "B", "EU", 3),
        ("ship", "C", "US", 2),
        ("bill", "D", "EU", 2),
    ] {
        let started = server
            .post(
                &format!("/process-definition/key/{key}/start"),
                &json!({
                    "businessKey": business_key,
                    "variables": {
                        "region": {"value": region},
                        "weight": {"value": weight},
                        "note": {"value": "not asked for"},
                    },
                }),
            )
            .await
            .expect(200)
            .json;
        ids.insert(business_key, started["id"].clone());
    }
    let fetch = |topic: Value| {
        let server = &server;
        async move {
            let r = server
                .post(
                    "/external-task/fetchAndLock",
                    &json!({"workerId": "w", "maxTasks": 10, "topics": [topic]}),
                )
                .await
                .expect(200)
                .json;
            let mut keys: Vec<String> = r
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|t| t["businessKey"].as_str().unwrap_or("").to_owned())
                .collect();
            keys.sort();
            (keys, r)
        }
    };
    // Process variables (equality on each), a process definition key: EU, weight 2, ship.
    let (keys, tasks) = fetch(json!({
        "topicName": "ship", "lockDuration": 1,
        "processVariables": {"region": "EU", "weight": 2},
        "processDefinitionKey": "ship",
        "variables": ["region"],
    }))
    .await;
    assert_eq!(keys, ["A"]);
    assert_eq!(tasks[0]["processInstanceId"], ids["A"]);
    // Only the variables asked for.
    assert_eq!(
        tasks[0]["variables"],
        json!({"region": {"type": "String", "value": "EU", "valueInfo": {}}})
    );
    // A business key; the 1 ms lock of the last fetch has expired meanwhile.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (keys, tasks) = fetch(json!({
        "topicName": "ship", "lockDuration": 1, "businessKey": "C", "variables": [],
    }))
    .await;
    assert_eq!(keys, ["C"]);
    assert_eq!(tasks[0]["variables"], json!({}));
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (keys, _) = fetch(json!({
        "topicName": "ship", "lockDuration": 1,
        "processDefinitionKeyIn": ["bill"],
    }))
    .await;
    assert_eq!(keys, ["D"]);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    // No filter: all four, with every variable.
    let (keys, tasks) = fetch(json!({"topicName": "ship", "lockDuration": 60_000})).await;
    assert_eq!(keys, ["A", "B", "C", "D"]);
    for t in tasks.as_array().cloned().unwrap_or_default() {
        let vars = t["variables"].as_object().cloned().unwrap_or_default();
        let mut names: Vec<&String> = vars.keys().collect();
        names.sort();
        assert_eq!(names, ["note", "region", "weight"]);
    }
}
