//! `GET /openapi.json`: the document is served, every documented route exists, and
//! real responses of the documented `GET` routes match their documented status codes
//! and schemas (a small schemathesis: statuses, content types, and a JSON-schema check
//! of the subset of OpenAPI the document uses).

mod support;

use procos_rest::RestConfig;
use serde_json::{json, Map, Value as Json};
use support::{Api, PROCESS};

/// Checks `value` against `schema`, resolving `$ref`s in `schemas`; returns the first
/// mismatch as `path: problem`.
fn validate(
    value: &Json,
    schema: &Json,
    schemas: &Map<String, Json>,
    at: &str,
) -> Result<(), String> {
    if let Some(Json::String(r)) = schema.get("$ref") {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = schemas.get(name).ok_or(format!("{at}: unresolved {r}"))?;
        return validate(value, target, schemas, at);
    }
    if value.is_null() {
        return if schema.get("nullable") == Some(&Json::Bool(true)) || schema.get("type").is_none()
        {
            Ok(())
        } else {
            Err(format!("{at}: null but not nullable"))
        };
    }
    if let Some(Json::Array(options)) = schema.get("enum") {
        if !options.contains(value) {
            return Err(format!("{at}: {value} not in {options:?}"));
        }
    }
    match schema.get("type").and_then(Json::as_str) {
        None => Ok(()),
        Some("string") => {
            let s = value
                .as_str()
                .ok_or(format!("{at}: {value} is not a string"))?;
            if schema.get("pattern").is_some() {
                // The only pattern is Camunda's date format.
                let b = s.as_bytes();
                let shape = b"dddd-dd-ddTdd:dd:dd.ddd+dddd";
                let ok = b.len() == shape.len()
                    && b.iter().zip(shape).all(|(c, p)| match p {
                        b'd' => c.is_ascii_digit(),
                        b'+' => *c == b'+' || *c == b'-',
                        _ => c == p,
                    });
                if !ok {
                    return Err(format!("{at}: {s} is not a Camunda date"));
                }
            }
            Ok(())
        }
        Some("integer") => value
            .as_i64()
            .map(|_| ())
            .ok_or(format!("{at}: {value} is not an integer")),
        Some("number") => value
            .as_f64()
            .map(|_| ())
            .ok_or(format!("{at}: {value} is not a number")),
        Some("boolean") => value
            .as_bool()
            .map(|_| ())
            .ok_or(format!("{at}: {value} is not a boolean")),
        Some("array") => {
            let items = value
                .as_array()
                .ok_or(format!("{at}: {value} is not an array"))?;
            for (i, item) in items.iter().enumerate() {
                validate(item, &schema["items"], schemas, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        Some("object") => {
            let object = value
                .as_object()
                .ok_or(format!("{at}: {value} is not an object"))?;
            for key in schema
                .get("required")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let key = key.as_str().unwrap_or_default();
                if !object.contains_key(key) {
                    return Err(format!("{at}: required key {key} missing"));
                }
            }
            let properties = schema.get("properties").and_then(Json::as_object);
            for (key, v) in object {
                match properties.and_then(|p| p.get(key)) {
                    Some(s) => validate(v, s, schemas, &format!("{at}.{key}"))?,
                    None => {
                        if let Some(extra) = schema.get("additionalProperties") {
                            validate(v, extra, schemas, &format!("{at}.{key}"))?;
                        } else if properties.is_some() {
                            return Err(format!("{at}: undocumented key {key}"));
                        }
                    }
                }
            }
            Ok(())
        }
        Some(other) => Err(format!("{at}: unknown type {other}")),
    }
}

/// Ids of a small but complete scenario.
struct Ids {
    deployment: String,
    definition: String,
    instance: String,
    external_task: String,
    job: String,
    variable: String,
    user_task: String,
    execution: String,
}

async fn scenario(api: &Api) -> Ids {
    let definition = api.deploy(PROCESS).await;
    let instance = api
        .start(
            &definition,
            json!({"a": {"value": "x"}, "blob": {"value": "aGk=", "type": "Bytes"}}),
        )
        .await;
    let second = api.start(&definition, json!({})).await;
    let tasks = api.fetch("work").await;
    let failed = tasks
        .iter()
        .find(|t| t["processInstanceId"] == second.as_str())
        .unwrap();
    api.fail_task(failed["id"].as_str().unwrap(), "broken")
        .await;
    let external_task = tasks
        .iter()
        .find(|t| t["processInstanceId"] == instance.as_str())
        .unwrap();
    let first = |path: String| {
        let api = &api;
        async move { api.get(&path).await.expect(200).json()[0].clone() }
    };
    let job = first(format!("/job?processInstanceId={instance}")).await;
    let variable = first(format!(
        "/variable-instance?variableName=a&processInstanceIdIn={instance}"
    ))
    .await;
    let user_task = first(format!("/task?processInstanceId={instance}")).await;
    let deployment = first("/deployment".to_owned()).await;
    Ids {
        deployment: deployment["id"].as_str().unwrap().to_owned(),
        definition,
        instance,
        external_task: external_task["id"].as_str().unwrap().to_owned(),
        job: job["id"].as_str().unwrap().to_owned(),
        variable: variable["id"].as_str().unwrap().to_owned(),
        execution: user_task["executionId"].as_str().unwrap().to_owned(),
        user_task: user_task["id"].as_str().unwrap().to_owned(),
    }
}

/// The documented path with real ids in it.
fn concrete(path: &str, ids: &Ids) -> String {
    let id = if path.starts_with("/deployment/") {
        &ids.deployment
    } else if path.starts_with("/process-definition/") {
        &ids.definition
    } else if path.starts_with("/external-task/") {
        &ids.external_task
    } else if path.starts_with("/job/") {
        &ids.job
    } else if path.starts_with("/variable-instance/") {
        &ids.variable
    } else if path.starts_with("/task/") {
        &ids.user_task
    } else if path.starts_with("/execution/") {
        &ids.execution
    } else {
        &ids.instance
    };
    let name = if path.starts_with("/deployment/") {
        "test.bpmn"
    } else {
        "a"
    };
    path.replace("{id}", id)
        .replace("{key}", "p")
        .replace("{tenant}", "t1")
        .replace("{name}", name)
}

fn check(
    doc: &Json,
    method: &str,
    path: &str,
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) {
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let responses = &doc["paths"][path][method]["responses"];
    let response = responses.get(status.to_string()).unwrap_or_else(|| {
        panic!(
            "{method} {path}: status {status} is not documented: {}",
            String::from_utf8_lossy(body)
        )
    });
    let Some(content) = response.get("content").and_then(Json::as_object) else {
        assert!(
            body.is_empty(),
            "{method} {path}: {status} has a body but documents none"
        );
        return;
    };
    let content_type = content_type.unwrap_or_default();
    let media = content
        .get(content_type)
        .or_else(|| content.get("*/*"))
        .unwrap_or_else(|| panic!("{method} {path}: {status} {content_type} is not documented"));
    if content_type == "application/json" {
        let value: Json = serde_json::from_slice(body).expect("JSON");
        if let Err(e) = validate(&value, &media["schema"], schemas, "$") {
            panic!("{method} {path} ({status}) does not match its schema: {e}\n{value}");
        }
    }
}

#[tokio::test]
async fn documented_get_responses_match_their_schemas() {
    let api = Api::new().await;
    let ids = scenario(&api).await;
    let doc = api.get("/openapi.json").await.expect(200).json();
    assert_eq!(doc["openapi"], "3.0.3");
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if item.get("get").is_none() || path == "/openapi.json" {
            continue;
        }
        let uri = format!("/engine-rest{}", concrete(path, &ids));
        let reply = api.call("GET", &uri, None).await;
        let content_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        check(
            &doc,
            "get",
            path,
            reply.status.as_u16(),
            content_type,
            &reply.bytes,
        );
        checked += 1;
        // The same with an id that names nothing: a documented error (or an empty answer).
        if path.contains('{') {
            let uri = format!("/engine-rest{}", path.replace(['{', '}'], "_"));
            let reply = api.call("GET", &uri, None).await;
            let content_type = reply
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok());
            check(
                &doc,
                "get",
                path,
                reply.status.as_u16(),
                content_type,
                &reply.bytes,
            );
        }
    }
    assert!(checked > 40, "only {checked} GET routes checked");

    // A tree with a transition instance and a multi-instance body, and the statistics
    // and jobs of that process.
    let other = api.deploy(support::ASYNC_AND_MULTI).await;
    let instance = api.start(&other, json!({})).await;
    for (path, uri) in [
        (
            "/process-instance/{id}/activity-instances",
            format!("/process-instance/{instance}/activity-instances"),
        ),
        (
            "/process-definition/{id}/statistics",
            format!("/process-definition/{other}/statistics?failedJobs=true&incidents=true"),
        ),
        ("/job", "/job?messages=true".to_owned()),
    ] {
        let reply = api.get(&uri).await.expect(200);
        check(
            &doc,
            "get",
            path,
            200,
            Some("application/json"),
            &reply.bytes,
        );
    }
}

#[tokio::test]
async fn command_responses_match_their_schemas() {
    let api = Api::new().await;
    let doc = api.get("/openapi.json").await.expect(200).json();
    let definition = api.deploy(PROCESS).await;
    let calls: Vec<(&str, String, &str, Json)> = vec![
        (
            "post",
            format!("/process-definition/{definition}/start"),
            "/process-definition/{id}/start",
            json!({"variables": {"n": {"value": 1}}, "withVariablesInReturn": true}),
        ),
        (
            "post",
            "/process-definition/key/p/start".to_owned(),
            "/process-definition/key/{key}/start",
            json!({"businessKey": "b"}),
        ),
        (
            "post",
            "/external-task/fetchAndLock".to_owned(),
            "/external-task/fetchAndLock",
            json!({"workerId": "w", "maxTasks": 5, "topics": [{"topicName": "work", "lockDuration": 1000, "includeExtensionProperties": true}]}),
        ),
        (
            "post",
            "/message".to_owned(),
            "/message",
            json!({"messageName": "Go", "all": true, "resultEnabled": true, "variablesInResultEnabled": true}),
        ),
        (
            "post",
            "/process-instance".to_owned(),
            "/process-instance",
            json!({"variables": [{"name": "n", "operator": "eq", "value": 1}], "sorting": [{"sortBy": "instanceId", "sortOrder": "asc"}]}),
        ),
        (
            "post",
            "/task".to_owned(),
            "/task",
            json!({"taskDefinitionKey": "review"}),
        ),
    ];
    for (method, uri, path, body) in calls {
        let reply = api
            .call(
                &method.to_uppercase(),
                &format!("/engine-rest{uri}"),
                Some(body),
            )
            .await;
        assert!(
            reply.status.is_success(),
            "{method} {uri}: {}",
            reply.text()
        );
        let content_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        check(
            &doc,
            method,
            path,
            reply.status.as_u16(),
            content_type,
            &reply.bytes,
        );
    }
    let task = api.get("/task?maxResults=1").await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = api
        .post(
            &format!("/task/{task}/complete"),
            json!({"withVariablesInReturn": true}),
        )
        .await
        .expect(200);
    check(
        &doc,
        "post",
        "/task/{id}/complete",
        200,
        Some("application/json"),
        &reply.bytes,
    );
}

#[tokio::test]
async fn bad_parameters_get_documented_errors() {
    let api = Api::new().await;
    let doc = api.get("/openapi.json").await.expect(200).json();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let params = get["parameters"].as_array().unwrap();
        let query: Vec<String> = params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| {
                let name = p["name"].as_str().unwrap();
                let value = match p["schema"]["type"].as_str() {
                    Some("boolean") => "maybe",
                    Some("integer") => "many",
                    _ => "x",
                };
                format!("{name}={value}")
            })
            .collect();
        if query.is_empty() {
            continue;
        }
        let uri = format!(
            "/engine-rest{}?{}",
            path.replace(['{', '}'], "_"),
            query.join("&")
        );
        let reply = api.call("GET", &uri, None).await;
        let content_type = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok());
        check(
            &doc,
            "get",
            path,
            reply.status.as_u16(),
            content_type,
            &reply.bytes,
        );
    }
}

#[tokio::test]
async fn every_documented_route_is_served() {
    let api = Api::new().await;
    let doc = api.get("/openapi.json").await.expect(200).json();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let uri = format!("/engine-rest{}", path.replace(['{', '}'], "_"));
            // A multipart body is not JSON: 400 from the route, which still proves it is there.
            let body = (method != "get" && method != "delete").then(|| json!({}));
            let reply = api.call(&method.to_uppercase(), &uri, body).await;
            // The router's own answers are JAX-RS's exceptions: NotAllowedException (405)
            // for an unknown method, NotFoundException (404) for an unknown path. Every
            // route answers JSON or a documented empty status.
            assert_ne!(reply.status.as_u16(), 405, "{method} {path}");
            if reply.status.as_u16() == 404 {
                let body: Json = serde_json::from_slice(&reply.bytes).unwrap_or(Json::Null);
                assert_ne!(
                    body["message"], "HTTP 404 Not Found",
                    "{method} {path} is not routed"
                );
            }
            let content_type = reply
                .headers
                .get("content-type")
                .and_then(|v| v.to_str().ok());
            check(
                &doc,
                method,
                path,
                reply.status.as_u16(),
                content_type,
                &reply.bytes,
            );
        }
    }
}

#[tokio::test]
async fn with_authentication_the_document_says_so() {
    let api = Api::with_config(RestConfig {
        users: vec![("demo".into(), "pw".into())],
        ..RestConfig::default()
    })
    .await;
    api.get("/openapi.json").await.expect(401);
    let auth = format!("Basic {}", procos_engine::value::base64::encode(b"demo:pw"));
    let doc = api
        .call_with(
            "GET",
            "/engine-rest/openapi.json",
            None,
            &[("authorization", &auth)],
        )
        .await
        .expect(200)
        .json();
    assert_eq!(
        doc["components"]["securitySchemes"]["basicAuth"]["scheme"],
        "basic"
    );
    assert!(doc["paths"]["/job"]["get"]["responses"]
        .get("401")
        .is_some());
    assert!(doc["paths"]["/engine"]["get"]["responses"]
        .get("401")
        .is_none());
    assert_eq!(doc["paths"]["/engine"]["get"]["security"], json!([]));
}

#[tokio::test]
async fn unknown_paths_and_methods_get_camunda_error_bodies() {
    let api = Api::new().await;
    for path in [
        "/engine-rest/incident/abc",
        "/engine-rest/batch",
        "/engine-rest/engine/default/process-definition/x/diagram",
    ] {
        let e = api
            .call("GET", path, None)
            .await
            .error(404, "NotFoundException");
        assert_eq!(e["message"], "HTTP 404 Not Found", "{path}");
    }
    let e = api
        .call("DELETE", "/engine-rest/external-task/fetchAndLock", None)
        .await
        .error(405, "NotAllowedException");
    assert_eq!(e["message"], "HTTP 405 Method Not Allowed");
}
