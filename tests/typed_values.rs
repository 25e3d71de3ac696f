//! Camunda's typed variable values `{value, type, valueInfo}` survive every trip through
//! procos: start, the instance's variables, fetch-and-lock, complete and history, for
//! each value type Camunda knows; untyped values are inferred as Camunda infers them.

mod support;

use serde_json::{json, Map, Value};
use support::{bpmn, Server, Store};

on_both_stores!(
    every_typed_value_round_trips_through_start_fetch_complete_and_history,
    untyped_values_are_inferred_as_camunda_does,
    dates_are_read_leniently_and_written_with_milliseconds_and_an_offset,
    object_values_come_back_as_a_tree_only_when_deserialization_is_asked_for,
    a_single_variable_is_written_and_read_by_name,
);

/// Base64 of "hello, file".
const FILE_BASE64: &str = "aGVsbG8sIGZpbGU=";
/// Base64 of the bytes 0, 1, 2, 255.
const BYTES_BASE64: &str = "AAEC/w==";

/// One variable of every type, as a client sends it.
fn every_type() -> Value {
    json!({
        "aString": {"value": "hello", "type": "String"},
        "aBoolean": {"value": true, "type": "Boolean"},
        "anInteger": {"value": 42, "type": "Integer"},
        "aShort": {"value": 7, "type": "Short"},
        "aLong": {"value": 4_000_000_000_i64, "type": "Long"},
        "aDouble": {"value": 3.25, "type": "Double"},
        "aDate": {"value": "2024-03-05T10:15:30.123+0200", "type": "Date"},
        "aNull": {"value": null, "type": "Null"},
        "someBytes": {"value": BYTES_BASE64, "type": "Bytes"},
        "aJson": {"value": "{\"items\":[1,2]}", "type": "Json"},
        "anXml": {"value": "<order id=\"1\"/>", "type": "Xml"},
        "anObject": {
            "value": "{\"name\":\"Ada\"}",
            "type": "Object",
            "valueInfo": {
                "objectTypeName": "java.util.HashMap",
                "serializationDataFormat": "application/json"
            }
        },
        "aFile": {
            "value": FILE_BASE64,
            "type": "File",
            "valueInfo": {"filename": "hello.txt", "mimeType": "text/plain", "encoding": "UTF-8"}
        },
    })
}

/// The same variables as Camunda answers them. `object` is the Object's value: a tree
/// when deserialized, the serialized text otherwise.
fn every_type_answered(object: Value) -> Value {
    json!({
        "aString": {"value": "hello", "type": "String", "valueInfo": {}},
        "aBoolean": {"value": true, "type": "Boolean", "valueInfo": {}},
        "anInteger": {"value": 42, "type": "Integer", "valueInfo": {}},
        "aShort": {"value": 7, "type": "Short", "valueInfo": {}},
        "aLong": {"value": 4_000_000_000_i64, "type": "Long", "valueInfo": {}},
        "aDouble": {"value": 3.25, "type": "Double", "valueInfo": {}},
        // The same instant, written in UTC with milliseconds and an RFC 822 offset.
        "aDate": {"value": "2024-03-05T08:15:30.123+0000", "type": "Date", "valueInfo": {}},
        "aNull": {"value": null, "type": "Null", "valueInfo": {}},
        "someBytes": {"value": BYTES_BASE64, "type": "Bytes", "valueInfo": {}},
        "aJson": {"value": "{\"items\":[1,2]}", "type": "Json", "valueInfo": {}},
        "anXml": {"value": "<order id=\"1\"/>", "type": "Xml", "valueInfo": {}},
        "anObject": {
            "value": object,
            "type": "Object",
            "valueInfo": {
                "objectTypeName": "java.util.HashMap",
                "serializationDataFormat": "application/json"
            }
        },
        // A file never carries its content; it is read from …/data.
        "aFile": {
            "value": null,
            "type": "File",
            "valueInfo": {"filename": "hello.txt", "mimeType": "text/plain", "encoding": "UTF-8"}
        },
    })
}

/// Prefixes every variable name of a map.
fn renamed(vars: &Value, prefix: &str) -> Value {
    Value::Object(
        vars.as_object()
            .expect("a map")
            .iter()
            .map(|(k, v)| (format!("{prefix}{k}"), v.clone()))
            .collect::<Map<_, _>>(),
    )
}

/// The JS client's spelling: lowercase type names, `mimetype` in lowercase.
fn js_client_spelling(vars: &Value) -> Value {
    let mut out = vars.clone();
    for (_, v) in out.as_object_mut().expect("a map") {
        let lower = v["type"].as_str().expect("typed").to_lowercase();
        v["type"] = Value::String(lower);
        if let Some(info) = v.get_mut("valueInfo").and_then(Value::as_object_mut) {
            if let Some(mime) = info.remove("mimeType") {
                info.insert("mimetype".to_owned(), mime);
            }
        }
    }
    out
}

async fn every_typed_value_round_trips_through_start_fetch_complete_and_history(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("typed.bpmn", &bpmn::one_task("typed", "typed"))
        .await;
    let instance = server.start_instance("typed", every_type()).await["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    // The instance's variables: deserialized by default, as in Camunda.
    let vars = server
        .get(&format!("/process-instance/{instance}/variables"))
        .await
        .expect(200)
        .json;
    assert_eq!(vars, every_type_answered(json!({"name": "Ada"})));
    let vars = server
        .get(&format!(
            "/process-instance/{instance}/variables?deserializeValues=false"
        ))
        .await
        .expect(200)
        .json;
    assert_eq!(vars, every_type_answered(json!("{\"name\":\"Ada\"}")));

    // A file's and bytes' content comes from …/data, also by the JS client's path.
    for path in [
        format!("/process-instance/{instance}/variables/aFile/data"),
        format!("/execution/{instance}/localVariables/aFile/data"),
    ] {
        let r = server.get(&path).await.expect(200);
        assert_eq!(r.bytes, b"hello, file", "{path}");
        assert!(
            r.content_type
                .as_deref()
                .is_some_and(|c| c.starts_with("text/plain")),
            "{path}: {:?}",
            r.content_type
        );
    }
    let r = server
        .get(&format!(
            "/process-instance/{instance}/variables/someBytes/data"
        ))
        .await
        .expect(200);
    assert_eq!(r.bytes, [0, 1, 2, 255]);

    // fetchAndLock does not deserialize unless asked (deserializeValues defaults to false).
    let tasks = server.fetch("w", "typed", 1, 60_000).await;
    assert_eq!(tasks.len(), 1);
    assert_eq!(
        tasks[0]["variables"],
        every_type_answered(json!("{\"name\":\"Ada\"}"))
    );

    // The worker completes with every type again, spelled as the JS client spells them.
    let task = tasks[0]["id"].as_str().expect("a task id");
    server
        .complete(
            task,
            "w",
            js_client_spelling(&renamed(&every_type(), "done_")),
        )
        .await
        .expect(204);

    // History keeps both sets, typed as they were.
    let history = server
        .get(&format!(
            "/history/variable-instance?processInstanceId={instance}"
        ))
        .await
        .expect(200)
        .json;
    let history: Map<String, Value> = history
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| {
            let name = v["name"].as_str().expect("a name").to_owned();
            let value =
                json!({"value": v["value"], "type": v["type"], "valueInfo": v["valueInfo"]});
            (name, value)
        })
        .collect();
    let mut expected = every_type_answered(json!({"name": "Ada"}))
        .as_object()
        .expect("a map")
        .clone();
    for (k, v) in renamed(&every_type_answered(json!({"name": "Ada"})), "done_")
        .as_object()
        .expect("a map")
    {
        expected.insert(k.clone(), v.clone());
    }
    assert_eq!(Value::Object(history), Value::Object(expected));
}

async fn untyped_values_are_inferred_as_camunda_does(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("untyped.bpmn", &bpmn::one_task("untyped", "untyped"))
        .await;
    // The Python clients send `{"value": v}` or `{"value": v, "type": null, "valueInfo": null}`.
    let instance = server
        .start_instance(
            "untyped",
            json!({
                "text": {"value": "abc"},
                "flag": {"value": false, "type": null, "valueInfo": null},
                "small": {"value": 2_147_483_647},
                "big": {"value": 2_147_483_648_i64},
                "negativeBig": {"value": -2_147_483_649_i64},
                "fraction": {"value": 0.5},
                "nothing": {"value": null},
                // Camunda would make this an Object in Java serialization (refused on
                // stock engines); procos keeps it readable as Json.
                "document": {"value": {"a": [1, 2]}},
            }),
        )
        .await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let vars = server
        .get(&format!("/process-instance/{instance}/variables"))
        .await
        .expect(200)
        .json;
    let typed = |name: &str| (vars[name]["type"].clone(), vars[name]["value"].clone());
    assert_eq!(typed("text"), (json!("String"), json!("abc")));
    assert_eq!(typed("flag"), (json!("Boolean"), json!(false)));
    assert_eq!(typed("small"), (json!("Integer"), json!(2_147_483_647)));
    assert_eq!(typed("big"), (json!("Long"), json!(2_147_483_648_i64)));
    assert_eq!(
        typed("negativeBig"),
        (json!("Long"), json!(-2_147_483_649_i64))
    );
    assert_eq!(typed("fraction"), (json!("Double"), json!(0.5)));
    assert_eq!(typed("nothing"), (json!("Null"), json!(null)));
    assert_eq!(typed("document"), (json!("Json"), json!("{\"a\":[1,2]}")));

    // The same inference applies to what a worker sends.
    let task = server.fetch("w", "untyped", 1, 60_000).await[0]["id"]
        .as_str()
        .expect("a task")
        .to_owned();
    server
        .complete(
            &task,
            "w",
            json!({"count": {"value": 3}, "ok": {"value": true}}),
        )
        .await
        .expect(204);
    let history = server
        .get(&format!(
            "/history/variable-instance?processInstanceId={instance}&variableName=count"
        ))
        .await
        .expect(200)
        .json;
    assert_eq!(history[0]["type"], "Integer");
    assert_eq!(history[0]["value"], 3);
}

async fn dates_are_read_leniently_and_written_with_milliseconds_and_an_offset(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("dates.bpmn", &bpmn::one_task("dates", "dates"))
        .await;
    // Every spelling of 2024-03-05 08:15:30.123 UTC that clients send.
    let spellings = [
        "2024-03-05T10:15:30.123+0200", // Camunda's own format
        "2024-03-05T08:15:30.123+0000", // the JS client
        "2024-03-05T10:15:30.123+02:00",
        "2024-03-05T08:15:30.123Z",
        "2024-03-05T03:15:30.123-05:00",
    ];
    let variables: Map<String, Value> = spellings
        .iter()
        .enumerate()
        .map(|(i, s)| (format!("d{i}"), json!({"value": s, "type": "Date"})))
        .collect();
    let instance = server
        .start_instance("dates", Value::Object(variables))
        .await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let vars = server
        .get(&format!("/process-instance/{instance}/variables"))
        .await
        .expect(200)
        .json;
    for (i, spelling) in spellings.iter().enumerate() {
        assert_eq!(
            vars[format!("d{i}")],
            json!({"value": "2024-03-05T08:15:30.123+0000", "type": "Date", "valueInfo": {}}),
            "{spelling}"
        );
    }
    // Dates without milliseconds still get them on the way out.
    server
        .put(
            &format!("/process-instance/{instance}/variables/plain"),
            &json!({"value": "2024-12-31T23:59:59Z", "type": "Date"}),
        )
        .await
        .expect(204);
    let plain = server
        .get(&format!("/process-instance/{instance}/variables/plain"))
        .await
        .expect(200)
        .json;
    assert_eq!(plain["value"], "2024-12-31T23:59:59.000+0000");
    // Dates the engine writes itself use the same format.
    let historic = server
        .get(&format!("/history/process-instance/{instance}"))
        .await
        .expect(200)
        .json;
    let start = historic["startTime"].as_str().expect("a start time");
    assert_eq!(start.len(), "2024-03-05T08:15:30.123+0000".len(), "{start}");
    assert_eq!(&start[19..20], ".", "{start}");
    assert!(start.ends_with("+0000"), "{start}");
}

async fn object_values_come_back_as_a_tree_only_when_deserialization_is_asked_for(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("objects.bpmn", &bpmn::one_task("objects", "objects"))
        .await;
    let object = json!({
        "value": "{\"customer\":{\"id\":7}}",
        "type": "Object",
        "valueInfo": {
            "objectTypeName": "com.example.Order",
            "serializationDataFormat": "application/json"
        }
    });
    server
        .start_instance("objects", json!({"order": object}))
        .await;
    let fetch = |deserialize: bool| {
        json!({
            "workerId": "w",
            "maxTasks": 1,
            "topics": [{
                "topicName": "objects",
                "lockDuration": 1,
                "deserializeValues": deserialize,
            }],
        })
    };
    let serialized = server
        .post("/external-task/fetchAndLock", &fetch(false))
        .await
        .expect(200)
        .json;
    assert_eq!(
        serialized[0]["variables"]["order"]["value"],
        "{\"customer\":{\"id\":7}}"
    );
    // The 1 ms lock has expired by now: fetch again, deserializing.
    let tree = server
        .eventually("the task's lock expires", || async {
            let r = server
                .post("/external-task/fetchAndLock", &fetch(true))
                .await
                .expect(200)
                .json;
            r.as_array().is_some_and(|l| !l.is_empty()).then_some(r)
        })
        .await;
    assert_eq!(
        tree[0]["variables"]["order"]["value"],
        json!({"customer": {"id": 7}})
    );
    assert_eq!(
        tree[0]["variables"]["order"]["valueInfo"]["objectTypeName"],
        "com.example.Order"
    );
}

async fn a_single_variable_is_written_and_read_by_name(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("single.bpmn", &bpmn::one_task("single", "single"))
        .await;
    let instance = server.start_instance("single", json!({})).await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let all = every_type();
    for (name, value) in all.as_object().expect("a map") {
        server
            .put(
                &format!("/process-instance/{instance}/variables/{name}"),
                value,
            )
            .await
            .expect(204);
    }
    let answered = every_type_answered(json!({"name": "Ada"}));
    for (name, expected) in answered.as_object().expect("a map") {
        let got = server
            .get(&format!("/process-instance/{instance}/variables/{name}"))
            .await
            .expect(200)
            .json;
        assert_eq!(&got, expected, "{name}");
    }
    let serialized = server
        .get(&format!(
            "/process-instance/{instance}/variables/anObject?deserializeValue=false"
        ))
        .await
        .expect(200)
        .json;
    assert_eq!(serialized["value"], "{\"name\":\"Ada\"}");
    server
        .get(&format!("/process-instance/{instance}/variables/missing"))
        .await
        .expect(404);
}
