//! Bad input gets Camunda's status and error body (`{type, message, code}`), and leaves
//! the store exactly as it was: malformed BPMN, unknown definitions, bad variable values,
//! the wrong worker, expired locks, malformed JSON and oversized bodies.

mod support;

use serde_json::{json, Value};
use support::{bpmn, Response, Server, Store};

on_both_stores!(
    malformed_or_invalid_bpmn_is_refused_with_a_parse_exception_and_nothing_is_deployed,
    starting_an_unknown_definition_answers_as_camunda_does_and_starts_nothing,
    a_bad_variable_type_or_value_is_a_400_and_starts_nothing,
    a_worker_cannot_complete_a_task_another_worker_holds,
    an_expired_lock_cannot_be_extended_and_a_relocked_task_belongs_to_its_new_worker,
    unknown_external_tasks_are_404_and_bad_fetch_requests_are_refused,
    malformed_json_is_a_400_with_an_empty_message,
    an_oversized_body_is_refused_and_changes_nothing,
);

/// Everything a client can see of the store, to compare before and after a refusal.
async fn snapshot(server: &Server) -> Value {
    let mut out = serde_json::Map::new();
    for path in [
        "/deployment",
        "/process-definition",
        "/process-instance",
        "/external-task",
        "/history/process-instance",
        "/history/activity-instance",
        "/history/variable-instance",
    ] {
        out.insert(path.to_owned(), server.get(path).await.expect(200).json);
    }
    // Variables of every running instance.
    let instances = out["/process-instance"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for instance in support::ids(&instances) {
        let path = format!("/process-instance/{instance}/variables");
        out.insert(path.clone(), server.get(&path).await.expect(200).json);
    }
    Value::Object(out)
}

/// Asserts Camunda's error body: exactly `type`, `message` and `code` (plus `details`
/// for parse errors), with `Content-Type: application/json`.
#[track_caller]
fn assert_error(r: &Response, status: u16, type_name: &str, message: &str) {
    assert_eq!(
        r.status,
        status,
        "body: {}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    assert_eq!(r.json["type"], type_name, "{}", r.json);
    assert_eq!(r.json["message"], message, "{}", r.json);
    assert!(r.json.get("code").is_some(), "no code in {}", r.json);
}

async fn malformed_or_invalid_bpmn_is_refused_with_a_parse_exception_and_nothing_is_deployed(
    store: Store,
) {
    let server = Server::start(&store).await;
    let before = snapshot(&server).await;

    // Not XML at all (cut off in the middle).
    let xml = bpmn::one_task("p", "t");
    let r = server
        .deploy_raw("broken.bpmn", &xml.as_bytes()[..xml.len() / 2])
        .await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(r.json["type"], "ParseException");
    let message = r.json["message"].as_str().unwrap_or("");
    // Camunda Modeler recognises a parse error by this prefix.
    assert!(
        message.starts_with("ENGINE-09005 Could not parse BPMN process."),
        "{message}"
    );
    assert!(r.json["details"]["broken.bpmn"]["errors"].is_array());

    // Well-formed XML, but a flow leads nowhere: every problem has a line and an element.
    let invalid = xml.replace(r#"targetRef="end""#, r#"targetRef="nowhere""#);
    let r = server.deploy_raw("invalid.bpmn", invalid.as_bytes()).await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(r.json["type"], "ParseException");
    let errors = r.json["details"]["invalid.bpmn"]["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!errors.is_empty(), "{}", r.json);
    for e in &errors {
        assert!(e["line"].as_i64().is_some_and(|l| l > 0), "{e}");
        assert!(e["message"].is_string(), "{e}");
        assert!(e.get("mainElementId").is_some(), "{e}");
        assert!(e["elementIds"].is_array(), "{e}");
    }

    // A form without any file.
    let form = reqwest::multipart::Form::new().text("deployment-name", "empty");
    let r = server
        .http
        .post(server.url("/deployment/create"))
        .multipart(form)
        .send()
        .await
        .expect("POST /deployment/create");
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.expect("a JSON error");
    assert_eq!(
        body["message"],
        "No deployment resources contained in the form upload."
    );

    assert_eq!(snapshot(&server).await, before);
}

async fn starting_an_unknown_definition_answers_as_camunda_does_and_starts_nothing(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    let before = snapshot(&server).await;

    // By key: 404 (the spec says 400; Camunda's code says 404).
    let r = server
        .post("/process-definition/key/nope/start", &json!({}))
        .await;
    assert_error(
        &r,
        404,
        "RestException",
        "No matching process definition with key: nope and no tenant-id",
    );
    let r = server.get("/process-definition/key/nope").await;
    assert_eq!(r.status, 404);
    // By id: reading is 404, starting is a 500 wrapping the engine's complaint.
    let r = server.get("/process-definition/nope:1:x").await;
    assert_error(
        &r,
        404,
        "InvalidRequestException",
        "No matching definition with id nope:1:x",
    );
    let r = server
        .post("/process-definition/nope:1:x/start", &json!({}))
        .await;
    assert_eq!(r.status, 500, "{}", r.json);
    assert_eq!(r.json["type"], "RestException");
    assert!(
        r.json["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Cannot instantiate process definition nope:1:x: ")),
        "{}",
        r.json
    );

    assert_eq!(snapshot(&server).await, before);
}

async fn a_bad_variable_type_or_value_is_a_400_and_starts_nothing(store: Store) {
    let server = Server::start(&store).await;
    let deployment = server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    let id = deployment["deployedProcessDefinitions"]
        .as_object()
        .and_then(|m| m.keys().next().cloned())
        .expect("a definition id");
    let before = snapshot(&server).await;

    let cases = [
        (
            json!({"ok": {"value": 1}, "x": {"value": 1, "type": "Foo"}}),
            "Unsupported value type 'Foo'".to_owned(),
        ),
        // Only the first letter of a type name is case-insensitive.
        (
            json!({"x": {"value": "{}", "type": "JSON"}}),
            "Unsupported value type 'JSON'".to_owned(),
        ),
        (
            json!({"x": {"value": "abc", "type": "Integer"}}),
            "Cannot convert value 'abc' of type 'Integer' to java type java.lang.Integer"
                .to_owned(),
        ),
        (
            json!({"x": {"value": 4.5, "type": "Integer"}}),
            "Cannot convert value '4.5' of type 'Integer' to java type java.lang.Integer"
                .to_owned(),
        ),
        (
            json!({"x": {"value": 40000, "type": "Short"}}),
            "Cannot convert value '40000' of type 'Short' to java type java.lang.Short".to_owned(),
        ),
        (
            json!({"x": {"value": {"a": 1}, "type": "Object"}}),
            "Must provide 'null' or String value for value of SerializableValue type 'Object'."
                .to_owned(),
        ),
        (
            json!({"x": {"value": "yesterday", "type": "Date"}}),
            "Cannot convert value 'yesterday' of type 'Date' to java type java.util.Date"
                .to_owned(),
        ),
    ];
    for (variables, message) in cases {
        for path in [
            format!("/process-definition/{id}/start"),
            "/process-definition/key/p/start".to_owned(),
        ] {
            let r = server.post(&path, &json!({ "variables": variables })).await;
            assert_error(
                &r,
                400,
                "InvalidRequestException",
                &format!("Cannot instantiate process definition {id}: {message}"),
            );
        }
    }
    assert_eq!(snapshot(&server).await, before);

    // The same on complete: the task stays locked, the instance does not move.
    server.start_instance("p", json!({})).await;
    let task = server.fetch("w", "t", 1, 600_000).await;
    let task_id = task[0]["id"].as_str().expect("a task id");
    let before = snapshot(&server).await;
    let r = server
        .complete(task_id, "w", json!({"x": {"value": 1, "type": "Foo"}}))
        .await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(r.json["message"], "Unsupported value type 'Foo'");
    let r = server
        .complete(task_id, "w", json!({"x": {"value": "abc", "type": "Long"}}))
        .await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(snapshot(&server).await, before);
    server.complete(task_id, "w", json!({})).await.expect(204);
}

async fn a_worker_cannot_complete_a_task_another_worker_holds(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    server.start_instance("p", json!({})).await;
    let task = server.fetch("w1", "t", 1, 600_000).await;
    let id = task[0]["id"].as_str().expect("a task id");
    let before = snapshot(&server).await;

    let refused = format!(
        "External Task {id} cannot be completed by worker 'w2'. It is locked by worker 'w1'."
    );
    let r = server.complete(id, "w2", json!({"x": {"value": 1}})).await;
    assert_error(&r, 400, "RestException", &refused);
    assert_eq!(r.json["code"], 0);
    for (action, body) in [
        (
            "failure",
            json!({"workerId": "w2", "retries": 1, "retryTimeout": 0}),
        ),
        ("bpmnError", json!({"workerId": "w2", "errorCode": "E"})),
        ("extendLock", json!({"workerId": "w2", "newDuration": 1000})),
    ] {
        let r = server
            .post(&format!("/external-task/{id}/{action}"), &body)
            .await;
        assert_eq!(r.status, 400, "{action}: {}", r.json);
        assert_eq!(r.json["type"], "RestException", "{action}");
    }
    // Without a worker id at all, Camunda's engine complains that it is null.
    let r = server
        .post(&format!("/external-task/{id}/complete"), &json!({}))
        .await;
    assert_eq!(r.status, 500, "{}", r.json);
    assert_eq!(r.json["type"], "NullValueException");

    assert_eq!(snapshot(&server).await, before);
    let held = server
        .get(&format!("/external-task/{id}"))
        .await
        .expect(200);
    assert_eq!(held.json["workerId"], "w1");
    server.complete(id, "w1", json!({})).await.expect(204);
}

async fn an_expired_lock_cannot_be_extended_and_a_relocked_task_belongs_to_its_new_worker(
    store: Store,
) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    server.start_instance("p", json!({})).await;
    let task = server.fetch("w1", "t", 1, 500).await;
    let id = task[0]["id"].as_str().expect("a task id").to_owned();
    // Wait until another worker can take it, which means the lock expired.
    let retaken = server
        .eventually("the lock expires", || async {
            let t = server.fetch("w2", "t", 1, 600_000).await;
            (!t.is_empty()).then_some(t)
        })
        .await;
    assert_eq!(support::ids(&retaken), [id.as_str()]);
    let before = snapshot(&server).await;

    // The first worker lost it: no extension, no completion.
    let r = server
        .post(
            &format!("/external-task/{id}/extendLock"),
            &json!({"workerId": "w1", "newDuration": 60_000}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert_eq!(r.json["type"], "RestException");
    let r = server.complete(&id, "w1", json!({})).await;
    assert_error(
        &r,
        400,
        "RestException",
        &format!(
            "External Task {id} cannot be completed by worker 'w1'. It is locked by worker 'w2'."
        ),
    );
    assert_eq!(snapshot(&server).await, before);

    // A lock that expired cannot be extended even by its holder.
    let lock = server
        .post(
            &format!("/external-task/{id}/lock"),
            &json!({"workerId": "w2", "lockDuration": 300}),
        )
        .await;
    assert_eq!(lock.status, 204, "{}", lock.json);
    // Well past the 300 ms (both clocks are this machine's).
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    let r = server
        .post(
            &format!("/external-task/{id}/extendLock"),
            &json!({"workerId": "w2", "newDuration": 60_000}),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.json);
    assert!(
        r.json["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Cannot extend a lock that expired")),
        "{}",
        r.json
    );
    // Its holder may still complete it: ownership is by worker id, not by expiry.
    server.complete(&id, "w2", json!({})).await.expect(204);
}

async fn unknown_external_tasks_are_404_and_bad_fetch_requests_are_refused(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    server.start_instance("p", json!({})).await;
    let before = snapshot(&server).await;
    let missing = "01a2b3c4-0000-7000-8000-000000000000";
    for action in ["complete", "failure", "bpmnError", "extendLock"] {
        let r = server
            .post(
                &format!("/external-task/{missing}/{action}"),
                &json!({"workerId": "w", "errorCode": "E", "newDuration": 1000}),
            )
            .await;
        assert_error(
            &r,
            404,
            "RestException",
            &format!("External task with id {missing} does not exist"),
        );
    }
    let r = server.get(&format!("/external-task/{missing}")).await;
    assert_eq!(r.status, 404);

    let fetch = |body: Value| {
        let server = &server;
        async move { server.post("/external-task/fetchAndLock", &body).await }
    };
    let r =
        fetch(json!({"maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": 1000}]})).await;
    assert_error(&r, 500, "NullValueException", "workerId is null");
    let r = fetch(
        json!({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t", "lockDuration": 0}]}),
    )
    .await;
    assert_error(
        &r,
        500,
        "ProcessEngineException",
        "lockTime is not greater than 0",
    );
    let r = fetch(json!({"workerId": "w", "maxTasks": 1, "sorting": [{"sortBy": "priority", "sortOrder": "asc"}],
                         "topics": [{"topicName": "t", "lockDuration": 1000}]}))
    .await;
    assert_eq!(r.status, 400, "{}", r.json);
    // A missing maxTasks is 0: nothing is locked.
    let r =
        fetch(json!({"workerId": "w", "topics": [{"topicName": "t", "lockDuration": 1000}]})).await;
    assert_eq!(r.expect(200).json, json!([]));
    let r = server
        .post(
            "/external-task/x/failure",
            &json!({"workerId": "w", "retries": -1}),
        )
        .await;
    assert_eq!(r.status, 500, "{}", r.json);

    assert_eq!(snapshot(&server).await, before);
}

async fn malformed_json_is_a_400_with_an_empty_message(store: Store) {
    let server = Server::start(&store).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    let before = snapshot(&server).await;
    for (path, body) in [
        ("/process-definition/key/p/start", "{\"variables\": "),
        ("/external-task/fetchAndLock", "not json"),
        // Valid JSON that does not fit the request (Jackson's mapping error).
        (
            "/external-task/fetchAndLock",
            "{\"workerId\": \"w\", \"maxTasks\": \"many\"}",
        ),
    ] {
        let r = server
            .post_raw(path, "application/json", body.as_bytes().to_vec())
            .await;
        assert_eq!(r.status, 400, "{path} {body}");
        assert_eq!(
            r.json,
            json!({"type": "InvalidRequestException", "message": "", "code": null}),
            "{path} {body}"
        );
    }
    assert_eq!(snapshot(&server).await, before);
}

async fn an_oversized_body_is_refused_and_changes_nothing(store: Store) {
    let server = Server::start_with(&store, &["--max-body-bytes", "65536"]).await;
    server.deploy("p.bpmn", &bpmn::one_task("p", "t")).await;
    let before = snapshot(&server).await;
    let big = "x".repeat(100_000);

    let r = server
        .post(
            "/process-definition/key/p/start",
            &json!({"variables": {"big": {"value": big, "type": "String"}}}),
        )
        .await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.json["type"], "InvalidRequestException");
    assert!(r.json["message"].is_string() && r.json.get("code").is_some());

    // The same for a deployment upload.
    let padded = bpmn::one_task("q", "t").replace(
        "</bpmn:definitions>",
        &format!("<!-- {big} --></bpmn:definitions>"),
    );
    let r = server.deploy_raw("q.bpmn", padded.as_bytes()).await;
    assert_eq!(r.status, 413, "{}", String::from_utf8_lossy(&r.bytes));
    assert_eq!(r.json["type"], "InvalidRequestException");

    assert_eq!(snapshot(&server).await, before);
    // A body under the limit is fine.
    server
        .start_instance("p", json!({"small": {"value": "x".repeat(1000)}}))
        .await;
}
