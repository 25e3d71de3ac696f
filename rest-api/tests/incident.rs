//! `/incident`: external-task incidents listed, counted, filtered and sorted.

mod support;

use serde_json::json;
use support::{Api, PROCESS};

#[tokio::test]
async fn failed_external_tasks_are_incidents() {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let first = api.start(&definition, json!({})).await;
    api.clock.advance(1000);
    let second = api.start(&definition, json!({})).await;
    let tasks = api.fetch("work").await;
    assert_eq!(tasks.len(), 2);
    for (i, task) in tasks.iter().enumerate() {
        api.clock.advance(1000);
        api.fail_task(task["id"].as_str().unwrap(), &format!("boom {i}"))
            .await;
    }

    let list = api
        .get("/incident?sortBy=incidentTimestamp&sortOrder=asc")
        .await
        .expect(200)
        .json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let incident = &list[0];
    for key in [
        "id",
        "processDefinitionId",
        "processInstanceId",
        "executionId",
        "incidentTimestamp",
        "incidentType",
        "activityId",
        "failedActivityId",
        "causeIncidentId",
        "rootCauseIncidentId",
        "configuration",
        "tenantId",
        "incidentMessage",
        "jobDefinitionId",
        "annotation",
    ] {
        assert!(incident.get(key).is_some(), "{key} missing in {incident}");
    }
    assert_eq!(incident["incidentType"], "failedExternalTask");
    assert_eq!(incident["incidentMessage"], "boom 0");
    assert_eq!(incident["activityId"], "work");
    assert_eq!(incident["causeIncidentId"], incident["id"]);
    let id = incident["id"].as_str().unwrap();

    let count = |q: String| {
        let api = &api;
        async move {
            api.get(&format!("/incident/count?{q}"))
                .await
                .expect(200)
                .json()["count"]
                .clone()
        }
    };
    assert_eq!(count(String::new()).await, 2);
    assert_eq!(count(format!("processInstanceId={first}")).await, 1);
    assert_eq!(count(format!("processInstanceId={second}")).await, 1);
    assert_eq!(count("incidentType=failedExternalTask".into()).await, 2);
    assert_eq!(count("incidentType=failedJob".into()).await, 0);
    assert_eq!(count("incidentMessage=boom%201".into()).await, 1);
    assert_eq!(count("incidentMessageLike=boom%25".into()).await, 2);
    assert_eq!(count(format!("incidentId={id}")).await, 1);
    assert_eq!(count(format!("rootCauseIncidentId={id}")).await, 1);
    assert_eq!(
        count(format!(
            "configuration={}",
            tasks[0]["id"].as_str().unwrap()
        ))
        .await,
        1
    );
    assert_eq!(
        count("activityId=work&failedActivityId=work".into()).await,
        2
    );
    assert_eq!(count(format!("processDefinitionId={definition}")).await, 2);
    assert_eq!(count("processDefinitionKeyIn=p,q".into()).await, 2);
    assert_eq!(count("processDefinitionKeyIn=q".into()).await, 0);
    assert_eq!(count("jobDefinitionIdIn=x".into()).await, 0);
    assert_eq!(count("tenantIdIn=t".into()).await, 0);
    // Incidents were raised at T0+2s and T0+3s.
    assert_eq!(
        count("incidentTimestampAfter=2026-01-01T00:00:02.500%2B0000".into()).await,
        1
    );
    assert_eq!(
        count("incidentTimestampBefore=2026-01-01T00:00:02.500%2B0000".into()).await,
        1
    );

    let desc = api
        .get("/incident?sortBy=incidentMessage&sortOrder=desc&maxResults=1")
        .await
        .expect(200)
        .json();
    assert_eq!(desc.as_array().unwrap().len(), 1);
    assert_eq!(desc[0]["incidentMessage"], "boom 1");
    api.get("/incident?sortOrder=desc")
        .await
        .error(400, "InvalidRequestException");
    api.get("/incident?incidentTimestampAfter=yesterday")
        .await
        .error(400, "InvalidRequestException");

    // Raising the retries resolves the incident.
    api.put(
        &format!(
            "/external-task/{}/retries",
            tasks[0]["id"].as_str().unwrap()
        ),
        json!({"retries": 1}),
    )
    .await
    .expect(204);
    assert_eq!(count(String::new()).await, 1);
}
