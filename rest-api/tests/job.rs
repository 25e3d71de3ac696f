//! `/job`: list, count, filters, sorting, one job, retries, execute, due date.

mod support;

use serde_json::json;
use support::{Api, PROCESS, T0};

async fn with_instance() -> (Api, String, String) {
    let api = Api::new().await;
    let definition = api.deploy(PROCESS).await;
    let instance = api.start(&definition, json!({})).await;
    (api, definition, instance)
}

#[tokio::test]
async fn lists_counts_and_reads_timer_jobs() {
    let (api, definition, instance) = with_instance().await;
    let list = api
        .get(&format!("/job?processInstanceId={instance}"))
        .await
        .expect(200)
        .json();
    let jobs = list.as_array().unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    for key in [
        "id",
        "jobDefinitionId",
        "dueDate",
        "processInstanceId",
        "executionId",
        "processDefinitionId",
        "processDefinitionKey",
        "retries",
        "exceptionMessage",
        "failedActivityId",
        "suspended",
        "priority",
        "tenantId",
        "createTime",
        "batchId",
    ] {
        assert!(job.get(key).is_some(), "{key} missing in {job}");
    }
    assert_eq!(job["processDefinitionId"], definition.as_str());
    assert_eq!(job["processDefinitionKey"], "p");
    assert_eq!(job["retries"], 3);
    assert_eq!(job["dueDate"], "2026-01-01T01:00:00.000+0000");
    let id = job["id"].as_str().unwrap().to_owned();

    assert_eq!(
        api.get("/job/count?timers=true").await.expect(200).json(),
        json!({"count": 1})
    );
    assert_eq!(
        api.get("/job/count?messages=true").await.expect(200).json(),
        json!({"count": 0})
    );
    assert_eq!(
        api.get("/job/count?activityId=wait")
            .await
            .expect(200)
            .json()["count"],
        1
    );
    assert_eq!(
        api.get("/job/count?activityId=work")
            .await
            .expect(200)
            .json()["count"],
        0
    );
    assert_eq!(
        api.get(&format!("/job/count?jobIds=x,{id}"))
            .await
            .expect(200)
            .json()["count"],
        1
    );
    assert_eq!(
        api.get(&format!("/job/count?processInstanceIds={instance}"))
            .await
            .expect(200)
            .json()["count"],
        1
    );
    assert_eq!(
        api.get("/job/count?processDefinitionKey=p&active=true")
            .await
            .expect(200)
            .json()["count"],
        1
    );
    assert_eq!(
        api.get("/job/count?suspended=true")
            .await
            .expect(200)
            .json()["count"],
        0
    );
    assert_eq!(
        api.get("/job/count?withRetriesLeft=true")
            .await
            .expect(200)
            .json()["count"],
        1
    );
    assert_eq!(
        api.get("/job/count?noRetriesLeft=true")
            .await
            .expect(200)
            .json()["count"],
        0
    );
    assert_eq!(
        api.get("/job/count?withException=true")
            .await
            .expect(200)
            .json()["count"],
        0
    );
    assert_eq!(
        api.get("/job/count?withoutTenantId=true")
            .await
            .expect(200)
            .json()["count"],
        1
    );
    assert_eq!(
        api.get("/job/count?tenantIdIn=t1").await.expect(200).json()["count"],
        0
    );
    // Not due for an hour.
    assert_eq!(
        api.get("/job/count?executable=true")
            .await
            .expect(200)
            .json()["count"],
        0
    );
    api.clock.advance(3_600_000);
    assert_eq!(
        api.get("/job/count?executable=true")
            .await
            .expect(200)
            .json()["count"],
        1
    );
    // `+` must be sent as %2B in a query string.
    assert_eq!(
        api.get("/job/count?dueDates=gt_2026-01-01T00:30:00.000%2B0000,lt_2026-01-01T01:30:00.000%2B0000")
            .await
            .expect(200)
            .json()["count"],
        1
    );
    assert_eq!(
        api.get("/job/count?dueDates=gt_2026-01-01T01:00:00.000%2B0000")
            .await
            .expect(200)
            .json()["count"],
        0
    );

    let one = api.get(&format!("/job/{id}")).await.expect(200).json();
    assert_eq!(one, *job);
    let e = api
        .get("/job/nope")
        .await
        .error(404, "InvalidRequestException");
    assert_eq!(e["message"], "Job with id nope does not exist");
}

#[tokio::test]
async fn sorting_and_paging_follow_camunda() {
    let (api, definition, _) = with_instance().await;
    api.clock.advance(1000);
    api.start(&definition, json!({})).await;
    let desc = api
        .get("/job?sortBy=jobDueDate&sortOrder=desc&firstResult=0&maxResults=10")
        .await
        .expect(200)
        .json();
    let dues: Vec<&str> = desc
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["dueDate"].as_str().unwrap())
        .collect();
    assert_eq!(
        dues,
        [
            "2026-01-01T01:00:01.000+0000",
            "2026-01-01T01:00:00.000+0000"
        ]
    );
    let page = api
        .get("/job?sortBy=jobDueDate&sortOrder=asc&maxResults=1")
        .await
        .expect(200)
        .json();
    assert_eq!(page.as_array().unwrap().len(), 1);
    assert_eq!(page[0]["dueDate"], "2026-01-01T01:00:00.000+0000");

    let e = api
        .get("/job?sortBy=jobDueDate")
        .await
        .error(400, "InvalidRequestException");
    assert_eq!(
        e["message"],
        "Only a single sorting parameter specified. sortBy and sortOrder required"
    );
    api.get("/job?sortBy=nope&sortOrder=asc")
        .await
        .error(400, "InvalidRequestException");
    api.get("/job?timers=true&messages=true")
        .await
        .error(400, "InvalidRequestException");
    let e = api
        .get("/job?dueDates=eq_2026-01-01T00:00:00.000%2B0000")
        .await
        .error(400, "InvalidRequestException");
    assert_eq!(e["message"], "Invalid due date comparator specified: eq");
}

#[tokio::test]
async fn retries_and_due_date_change_the_job() {
    let (api, _, instance) = with_instance().await;
    let jobs = api
        .get(&format!("/job?processInstanceId={instance}"))
        .await
        .json();
    let id = jobs[0]["id"].as_str().unwrap().to_owned();

    api.put(&format!("/job/{id}/retries"), json!({"retries": "5"}))
        .await
        .expect(204);
    let job = api.get(&format!("/job/{id}")).await.json();
    assert_eq!(job["retries"], 5);
    assert_eq!(job["dueDate"], "2026-01-01T01:00:00.000+0000");

    api.put(
        &format!("/job/{id}/retries"),
        json!({"retries": 2, "dueDate": "2026-01-02T00:00:00.000+0000"}),
    )
    .await
    .expect(204);
    let job = api.get(&format!("/job/{id}")).await.json();
    assert_eq!(job["retries"], 2);
    assert_eq!(job["dueDate"], "2026-01-02T00:00:00.000+0000");

    api.put(
        &format!("/job/{id}/duedate"),
        json!({"duedate": "2026-03-01T12:00:00.000+0100"}),
    )
    .await
    .expect(204);
    let job = api.get(&format!("/job/{id}")).await.json();
    assert_eq!(job["dueDate"], "2026-03-01T11:00:00.000+0000");
    // A null due date makes the job due now.
    api.put(&format!("/job/{id}/duedate"), json!({"duedate": null}))
        .await
        .expect(204);
    assert_eq!(
        api.get(&format!("/job/{id}")).await.json()["dueDate"],
        "2026-01-01T00:00:00.000+0000"
    );
    let _ = T0;

    // Camunda's codes: an unknown job is a 500 InvalidRequestException for retries and
    // due date; a null retries value is refused.
    let e = api
        .put("/job/nope/retries", json!({"retries": 1}))
        .await
        .error(500, "InvalidRequestException");
    assert_eq!(e["code"], serde_json::Value::Null);
    api.put("/job/nope/duedate", json!({"duedate": null}))
        .await
        .error(500, "InvalidRequestException");
    api.put(&format!("/job/{id}/retries"), json!({}))
        .await
        .error(400, "InvalidRequestException");
    api.put(&format!("/job/{id}/retries"), json!({"retries": -1}))
        .await
        .error(500, "InvalidRequestException");
    api.put(&format!("/job/{id}/duedate"), json!({"duedate": "soon"}))
        .await
        .error(400, "InvalidRequestException");
}

#[tokio::test]
async fn execute_fires_the_timer_now() {
    let (api, _, instance) = with_instance().await;
    let jobs = api
        .get(&format!("/job?processInstanceId={instance}"))
        .await
        .json();
    let id = jobs[0]["id"].as_str().unwrap().to_owned();
    api.post(&format!("/job/{id}/execute"), json!({}))
        .await
        .expect(204);
    api.get(&format!("/job/{id}")).await.expect(404);
    // The timer branch ended; the instance still runs its other branches.
    let ended = api
        .get(&format!(
            "/history/activity-instance?processInstanceId={instance}&activityId=endWait"
        ))
        .await
        .expect(200)
        .json();
    assert_eq!(ended.as_array().unwrap().len(), 1);

    let e = api
        .post("/job/nope/execute", json!({}))
        .await
        .error(404, "InvalidRequestException");
    assert!(e["message"].as_str().unwrap().contains("nope"), "{e}");
}

#[tokio::test]
async fn the_named_engine_prefix_serves_jobs_too() {
    let (api, _, _) = with_instance().await;
    let reply = api
        .call("GET", "/engine-rest/engine/default/job/count", None)
        .await
        .expect(200);
    assert_eq!(reply.json()["count"], 1);
}

#[tokio::test]
async fn continuations_are_message_jobs() {
    let api = Api::new().await;
    let definition = api.deploy(support::ASYNC_AND_MULTI).await;
    api.start(&definition, json!({})).await;
    assert_eq!(
        api.get("/job/count?messages=true").await.expect(200).json()["count"],
        1
    );
    assert_eq!(
        api.get("/job/count?timers=true").await.expect(200).json()["count"],
        0
    );
    assert_eq!(
        api.get("/job/count?activityId=asyncWork&executable=true")
            .await
            .json()["count"],
        1
    );
}
