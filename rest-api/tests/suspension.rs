//! Suspending and activating instances and definitions.

mod support;

use serde_json::json;
use support::{Api, PROCESS};

#[tokio::test]
async fn a_suspended_instance_does_no_work_until_activated() {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let instance = api.start(&definition, json!({})).await;

    api.put(
        &format!("/process-instance/{instance}/suspended"),
        json!({"suspended": true}),
    )
    .await
    .expect(204);
    assert_eq!(
        api.get(&format!("/process-instance/{instance}"))
            .await
            .json()["suspended"],
        true
    );
    assert_eq!(
        api.get("/job/count?suspended=true").await.json()["count"],
        1
    );
    assert_eq!(
        api.get("/external-task/count?suspended=true").await.json()["count"],
        1
    );
    assert!(
        api.fetch("work").await.is_empty(),
        "suspended tasks are not fetched"
    );
    let history = api
        .get(&format!("/history/process-instance/{instance}"))
        .await
        .json();
    assert_eq!(history["state"], "SUSPENDED");

    api.put(
        &format!("/process-instance/{instance}/suspended"),
        json!({"suspended": false}),
    )
    .await
    .expect(204);
    assert_eq!(
        api.get(&format!("/process-instance/{instance}"))
            .await
            .json()["suspended"],
        false
    );
    assert_eq!(api.fetch("work").await.len(), 1);

    // Camunda's command is a plain update: an unknown instance changes nothing, 204.
    api.put(
        "/process-instance/nope/suspended",
        json!({"suspended": true}),
    )
    .await
    .expect(204);
    api.put(
        &format!("/process-instance/{instance}/suspended"),
        json!({"suspended": "yes"}),
    )
    .await
    .error(400, "InvalidRequestException");
}

#[tokio::test]
async fn a_suspended_definition_cannot_start() {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let instance = api.start(&definition, json!({})).await;

    api.put(
        &format!("/process-definition/{definition}/suspended"),
        json!({"suspended": true, "includeProcessInstances": false, "executionDate": null}),
    )
    .await
    .expect(204);
    assert_eq!(
        api.get(&format!("/process-definition/{definition}"))
            .await
            .json()["suspended"],
        true
    );
    assert_eq!(
        api.get(&format!("/process-instance/{instance}"))
            .await
            .json()["suspended"],
        false
    );
    let e = api
        .post(
            &format!("/process-definition/{definition}/start"),
            json!({}),
        )
        .await
        .error(500, "RestException");
    assert!(e["message"].as_str().unwrap().contains("suspended"), "{e}");

    // By key, with the instances; a past execution date applies now.
    api.put(
        "/process-definition/key/p/suspended",
        json!({"suspended": false, "includeProcessInstances": true, "executionDate": "2025-12-31T00:00:00.000+0000"}),
    )
    .await
    .expect(204);
    api.start(&definition, json!({})).await;
    api.put(
        "/process-definition/key/p/suspended",
        json!({"suspended": true, "includeProcessInstances": true}),
    )
    .await
    .expect(204);
    assert_eq!(
        api.get("/process-instance/count?suspended=true")
            .await
            .json()["count"],
        2
    );
    assert!(api.fetch("work").await.is_empty());
    // Missing `suspended` is false: activate.
    api.put(
        "/process-definition/key/p/suspended",
        json!({"includeProcessInstances": true}),
    )
    .await
    .expect(204);
    assert_eq!(
        api.get("/process-instance/count?active=true").await.json()["count"],
        2
    );

    // procos does not schedule suspensions.
    let e = api
        .put(
            &format!("/process-definition/{definition}/suspended"),
            json!({"suspended": true, "executionDate": "2026-06-01T00:00:00.000+0000"}),
        )
        .await
        .error(400, "InvalidRequestException");
    assert!(
        e["message"].as_str().unwrap().contains("does not schedule"),
        "{e}"
    );
    assert_eq!(
        api.get(&format!("/process-definition/{definition}"))
            .await
            .json()["suspended"],
        false
    );
    api.put(
        &format!("/process-definition/{definition}/suspended"),
        json!({"executionDate": "soon"}),
    )
    .await
    .error(400, "InvalidRequestException");

    // An unknown id changes nothing (204); an unknown key is a 404.
    api.put(
        "/process-definition/nope/suspended",
        json!({"suspended": true}),
    )
    .await
    .expect(204);
    let e = api
        .put(
            "/process-definition/key/nope/suspended",
            json!({"suspended": true}),
        )
        .await
        .error(404, "RestException");
    assert_eq!(
        e["message"],
        "No matching process definition with key: nope and no tenant-id"
    );
    api.put(
        "/process-definition/key/p/tenant-id/t1/suspended",
        json!({"suspended": true}),
    )
    .await
    .error(404, "RestException");
}
