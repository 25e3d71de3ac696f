//! `/process-definition/statistics` and `/process-definition/{id}/statistics`.

mod support;

use serde_json::{json, Value as Json};
use support::{Api, PROCESS};

fn by_id<'a>(list: &'a Json, id: &str) -> &'a Json {
    list.as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {list}"))
}

#[tokio::test]
async fn activity_statistics_count_running_activity_instances() {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    api.start(&definition, json!({})).await;
    api.start(&definition, json!({})).await;
    let task = api.fetch("work").await.remove(0);
    api.fail_task(task["id"].as_str().unwrap(), "broken").await;

    let stats = api
        .get(&format!("/process-definition/{definition}/statistics"))
        .await
        .expect(200)
        .json();
    let mut ids: Vec<&str> = stats
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids, ["catchGo", "review", "sub", "wait", "work"]);
    let work = by_id(&stats, "work");
    assert_eq!(
        *work,
        json!({
            "@class": "org.camunda.bpm.engine.rest.dto.repository.ActivityStatisticsResultDto",
            "id": "work",
            "instances": 2,
            "failedJobs": 0,
            "incidents": [],
        })
    );

    let with_incidents = api
        .get(&format!(
            "/process-definition/{definition}/statistics?incidents=true&failedJobs=true"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(
        by_id(&with_incidents, "work")["incidents"],
        json!([{"incidentType": "failedExternalTask", "incidentCount": 1}])
    );
    assert_eq!(by_id(&with_incidents, "wait")["incidents"], json!([]));
    let of_type = api
        .get(&format!(
            "/process-definition/{definition}/statistics?incidentsForType=failedJob"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(by_id(&of_type, "work")["incidents"], json!([]));

    // An unknown definition has no running activities (Camunda answers [] too).
    assert_eq!(
        api.get("/process-definition/nope/statistics")
            .await
            .expect(200)
            .json(),
        json!([])
    );
    let e = api
        .get(&format!(
            "/process-definition/{definition}/statistics?incidents=true&incidentsForType=x"
        ))
        .await
        .error(400, "InvalidRequestException");
    assert_eq!(
        e["message"],
        "Only one of the query parameter includeIncidents or includeIncidentsForType can be set."
    );
}

#[tokio::test]
async fn definition_statistics_list_every_definition() {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let idle = api
        .deploy(&PROCESS.replace("id=\"p\"", "id=\"idle\""))
        .await;
    api.start(&definition, json!({})).await;
    api.start(&definition, json!({})).await;
    let task = api.fetch("work").await.remove(0);
    api.fail_task(task["id"].as_str().unwrap(), "broken").await;
    // A job without retries counts as failed.
    let job = api.get("/job?maxResults=1").await.json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    api.put(&format!("/job/{job}/retries"), json!({"retries": 0}))
        .await
        .expect(204);

    let stats = api
        .get("/process-definition/statistics?failedJobs=true&rootIncidents=true")
        .await
        .expect(200)
        .json();
    assert_eq!(stats.as_array().unwrap().len(), 2);
    let p = by_id(&stats, &definition);
    assert_eq!(
        p["@class"],
        "org.camunda.bpm.engine.rest.dto.repository.ProcessDefinitionStatisticsResultDto"
    );
    assert_eq!(p["instances"], 2);
    assert_eq!(p["failedJobs"], 1);
    assert_eq!(
        p["incidents"],
        json!([{"incidentType": "failedExternalTask", "incidentCount": 1}])
    );
    assert_eq!(p["definition"]["id"], definition.as_str());
    assert_eq!(p["definition"]["key"], "p");
    let i = by_id(&stats, &idle);
    assert_eq!(i["instances"], 0);
    assert_eq!(i["failedJobs"], 0);
    assert_eq!(i["incidents"], json!([]));

    let plain = api
        .get("/process-definition/statistics")
        .await
        .expect(200)
        .json();
    assert_eq!(by_id(&plain, &definition)["failedJobs"], 0);
    assert_eq!(by_id(&plain, &definition)["incidents"], json!([]));
    api.get("/process-definition/statistics?incidents=false&rootIncidents=true")
        .await
        .error(400, "InvalidRequestException");
    api.get("/process-definition/statistics?failedJobs=sometimes")
        .await
        .error(400, "InvalidRequestException");
}

#[tokio::test]
async fn a_multi_instance_body_counts_apart_from_its_instances() {
    let api = Api::new().await;
    let definition = api.deploy(support::ASYNC_AND_MULTI).await;
    api.start(&definition, json!({})).await;
    let stats = api
        .get(&format!("/process-definition/{definition}/statistics"))
        .await
        .expect(200)
        .json();
    assert_eq!(by_id(&stats, "mi#multiInstanceBody")["instances"], 1);
    assert_eq!(by_id(&stats, "mi")["instances"], 2);
}
