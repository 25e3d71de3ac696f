//! `/variable-instance`: runtime variables listed, counted, filtered, read one by one,
//! and their binary content.

mod support;

use serde_json::{json, Value as Json};
use support::{Api, PROCESS};

async fn setup() -> (Api, String, String, String) {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let instance = api
        .start(
            &definition,
            json!({
                "a": {"value": "x", "type": "String"},
                "n": {"value": 5, "type": "Integer"},
                "blob": {"value": "aGVsbG8=", "type": "Bytes"},
                "obj": {
                    "value": "{\"k\":1}",
                    "type": "Object",
                    "valueInfo": {"objectTypeName": "java.util.HashMap", "serializationDataFormat": "application/json"}
                },
            }),
        )
        .await;
    // A variable set locally on the user task's execution inside the subprocess: the
    // task is no scope of its own, so (as in Camunda) it lands on the subprocess.
    let tree = api
        .get(&format!("/process-instance/{instance}/activity-instances"))
        .await
        .expect(200)
        .json();
    let sub = tree["childActivityInstances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["activityId"] == "sub")
        .expect("the subprocess")
        .clone();
    let review = sub["childActivityInstances"][0].clone();
    assert_eq!(review["activityId"], "review");
    let execution = review["executionIds"][0].as_str().unwrap().to_owned();
    api.put(
        &format!("/execution/{execution}/localVariables/local"),
        json!({"value": "in sub", "type": "String"}),
    )
    .await
    .expect(204);
    let local = api
        .get(&format!("/execution/{execution}/localVariables"))
        .await
        .expect(200)
        .json();
    assert_eq!(local["local"]["value"], "in sub");
    (
        api,
        instance,
        sub["executionIds"][0].as_str().unwrap().to_owned(),
        sub["id"].as_str().unwrap().to_owned(),
    )
}

fn names(list: &Json) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn lists_variables_with_every_key() {
    let (api, instance, execution, sub_activity_instance) = setup().await;
    let list = api
        .get("/variable-instance?sortBy=variableName&sortOrder=asc")
        .await
        .expect(200)
        .json();
    assert_eq!(names(&list), ["a", "blob", "local", "n", "obj"]);
    for v in list.as_array().unwrap() {
        for key in [
            "type",
            "value",
            "valueInfo",
            "id",
            "name",
            "processDefinitionId",
            "processInstanceId",
            "executionId",
            "caseInstanceId",
            "caseExecutionId",
            "taskId",
            "batchId",
            "activityInstanceId",
            "tenantId",
            "errorMessage",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
        assert_eq!(v["processInstanceId"], instance.as_str());
        assert!(v["processDefinitionId"]
            .as_str()
            .unwrap()
            .starts_with("p:1:"));
    }
    let a = &list[0];
    assert_eq!(a["type"], "String");
    assert_eq!(a["value"], "x");
    assert_eq!(a["executionId"], instance.as_str());
    assert_eq!(a["activityInstanceId"], instance.as_str());
    let local = list
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "local")
        .unwrap();
    assert_eq!(local["executionId"], execution.as_str());
    assert_eq!(local["activityInstanceId"], sub_activity_instance.as_str());
    let obj = list
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "obj")
        .unwrap();
    assert_eq!(obj["value"], json!({"k": 1}), "deserialized by default");
    assert_eq!(obj["valueInfo"]["objectTypeName"], "java.util.HashMap");

    let raw = api
        .get("/variable-instance?variableName=obj&deserializeValues=false")
        .await
        .expect(200)
        .json();
    assert_eq!(raw[0]["value"], "{\"k\":1}");
}

#[tokio::test]
async fn filters() {
    let (api, instance, execution, sub_activity_instance) = setup().await;
    let get = |q: String| {
        let api = &api;
        async move {
            names(
                &api.get(&format!("/variable-instance?{q}"))
                    .await
                    .expect(200)
                    .json(),
            )
        }
    };
    assert_eq!(get("variableName=a".into()).await, ["a"]);
    assert_eq!(
        get("variableNameLike=%25o%25".into()).await,
        ["blob", "local", "obj"]
    );
    assert_eq!(
        get(format!("processInstanceIdIn={instance}")).await.len(),
        5
    );
    assert!(get("processInstanceIdIn=other".into()).await.is_empty());
    assert_eq!(get(format!("executionIdIn={execution}")).await, ["local"]);
    assert_eq!(
        get(format!("variableScopeIdIn={execution}")).await,
        ["local"]
    );
    assert_eq!(
        get(format!("activityInstanceIdIn={sub_activity_instance}")).await,
        ["local"]
    );
    assert_eq!(
        get(format!("activityInstanceIdIn={instance}")).await,
        ["a", "blob", "n", "obj"]
    );
    assert!(get("tenantIdIn=t1".into()).await.is_empty());
    assert!(get("taskIdIn=t1".into()).await.is_empty());
    // variableValues filters the rows themselves: only `a` matches a_eq_x.
    assert_eq!(get("variableValues=a_eq_x".into()).await, ["a"]);
    assert!(get("variableValues=a_eq_y".into()).await.is_empty());
    assert_eq!(
        get(
            "variableValues=A_eq_X&variableNamesIgnoreCase=true&variableValuesIgnoreCase=true"
                .into()
        )
        .await,
        ["a"]
    );
    assert_eq!(
        get("variableValues=local_like_in%25".into()).await,
        ["local"]
    );
    let count = api
        .get("/variable-instance/count?variableValues=a_eq_x")
        .await
        .expect(200)
        .json();
    assert_eq!(count, json!({"count": 1}));
    assert_eq!(
        api.get("/variable-instance/count").await.expect(200).json()["count"],
        5
    );

    api.get("/variable-instance?variableValues=nonsense")
        .await
        .error(400, "InvalidRequestException");
    api.get("/variable-instance?sortBy=name&sortOrder=asc")
        .await
        .error(400, "InvalidRequestException");
    api.get("/variable-instance?deserializeValues=perhaps")
        .await
        .error(400, "InvalidRequestException");
    let page = api
        .get("/variable-instance?sortBy=variableName&sortOrder=desc&firstResult=1&maxResults=2")
        .await
        .expect(200)
        .json();
    let page: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(page, ["n", "local"]);
}

#[tokio::test]
async fn one_and_its_data() {
    let (api, _, _, _) = setup().await;
    let list = api.get("/variable-instance").await.expect(200).json();
    let id_of = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let one = api
        .get(&format!("/variable-instance/{}", id_of("n")))
        .await
        .expect(200)
        .json();
    assert_eq!(one["type"], "Integer");
    assert_eq!(one["value"], 5);
    let obj = api
        .get(&format!(
            "/variable-instance/{}?deserializeValue=false",
            id_of("obj")
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(obj["value"], "{\"k\":1}");
    let e = api
        .get("/variable-instance/nope")
        .await
        .error(404, "InvalidRequestException");
    assert_eq!(
        e["message"],
        "Variable instance with Id 'nope' does not exist."
    );

    let data = api
        .get(&format!("/variable-instance/{}/data", id_of("blob")))
        .await
        .expect(200);
    assert_eq!(data.bytes, b"hello");
    assert_eq!(data.headers["content-type"], "application/octet-stream");
    api.get(&format!("/variable-instance/{}/data", id_of("a")))
        .await
        .error(400, "InvalidRequestException");
    api.get("/variable-instance/nope/data")
        .await
        .error(404, "InvalidRequestException");
}
