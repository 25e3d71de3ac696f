//! `/event-subscription`: message catches listed, counted and filtered.

mod support;

use serde_json::json;
use support::{Api, PROCESS};

#[tokio::test]
async fn message_catches_are_subscriptions() {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let instance = api.start(&definition, json!({})).await;
    api.clock.advance(1000);
    api.start(&definition, json!({})).await;

    let list = api
        .get(&format!("/event-subscription?processInstanceId={instance}"))
        .await
        .expect(200)
        .json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s["eventType"], "message");
    assert_eq!(s["eventName"], "Go");
    assert_eq!(s["activityId"], "catchGo");
    assert_eq!(s["processInstanceId"], instance.as_str());
    assert_eq!(s["createdDate"], "2026-01-01T00:00:00.000+0000");
    assert_eq!(s["tenantId"], serde_json::Value::Null);
    assert!(s["executionId"].is_string());

    let count = |q: &str| {
        let api = &api;
        let q = q.to_owned();
        async move {
            api.get(&format!("/event-subscription/count?{q}"))
                .await
                .expect(200)
                .json()["count"]
                .clone()
        }
    };
    assert_eq!(count("").await, 2);
    assert_eq!(count("eventType=message&eventName=Go").await, 2);
    assert_eq!(count("eventType=signal").await, 0);
    assert_eq!(count("activityId=catchGo&withoutTenantId=true").await, 2);
    assert_eq!(count("tenantIdIn=t").await, 0);
    assert_eq!(
        count("tenantIdIn=t&includeEventSubscriptionsWithoutTenantId=true").await,
        2
    );
    assert_eq!(
        count(&format!(
            "eventSubscriptionId={}",
            s["id"].as_str().unwrap()
        ))
        .await,
        1
    );
    assert_eq!(
        count(&format!(
            "executionId={}",
            s["executionId"].as_str().unwrap()
        ))
        .await,
        1
    );

    let sorted = api
        .get("/event-subscription?sortBy=created&sortOrder=desc")
        .await
        .expect(200)
        .json();
    assert_eq!(sorted[0]["createdDate"], "2026-01-01T00:00:01.000+0000");
    api.get("/event-subscription?sortBy=eventName&sortOrder=asc")
        .await
        .error(400, "InvalidRequestException");
    api.get("/event-subscription?withoutTenantId=maybe")
        .await
        .error(400, "InvalidRequestException");

    // Correlating the message ends the subscription.
    api.post(
        "/message",
        json!({"messageName": "Go", "processInstanceId": instance}),
    )
    .await
    .expect(204);
    assert_eq!(count("").await, 1);
}
