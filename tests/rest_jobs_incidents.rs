//! Asynchronous continuations that fail, seen from outside: the job executor retries a
//! failing `camunda:asyncBefore` service task (three times by default, or as
//! `camunda:failedJobRetryTimeCycle` says), `POST /job/{id}/execute` uses up a retry each
//! time it fails, the last failure raises a `failedJob` incident, and
//! `PUT /job/{id}/retries` resolves it so the job runs again (Camunda's
//! FoxJobRetryCmdTest, JobRestServiceTest, IncidentRestServiceTest).

mod support;

use serde_json::{json, Value};
use support::{bpmn, Server, Store};

on_both_stores!(
    a_failing_job_uses_three_retries_then_raises_an_incident_that_retries_resolve,
    retries_count_down_with_execute_and_follow_the_retry_cycle,
);

/// start → svc (asyncBefore, an expression that needs the variable `needed`) → review →
/// end.
fn failing(key: &str, retry_cycle: Option<&str>) -> String {
    let ext = retry_cycle
        .map(|c| {
            format!(
                "<bpmn:extensionElements><camunda:failedJobRetryTimeCycle>{c}</camunda:failedJobRetryTimeCycle></bpmn:extensionElements>"
            )
        })
        .unwrap_or_default();
    bpmn::definitions(
        key,
        &format!(
            r#"<bpmn:startEvent id="start"/>
    <bpmn:serviceTask id="svc" camunda:asyncBefore="true" camunda:expression="${{execution.setVariable('out', needed * 2)}}">{ext}</bpmn:serviceTask>
    <bpmn:userTask id="review"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="svc"/>
    <bpmn:sequenceFlow id="f2" sourceRef="svc" targetRef="review"/>
    <bpmn:sequenceFlow id="f3" sourceRef="review" targetRef="end"/>"#
        ),
    )
}

async fn the_job(server: &Server, instance: &str) -> Value {
    let jobs = server
        .get(&format!("/job?processInstanceId={instance}"))
        .await
        .expect(200)
        .json;
    let jobs = jobs.as_array().cloned().unwrap_or_default();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0].clone()
}

async fn incidents(server: &Server, instance: &str) -> Vec<Value> {
    server
        .get(&format!("/incident?processInstanceId={instance}"))
        .await
        .expect(200)
        .json
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn tasks(server: &Server, instance: &str) -> Vec<String> {
    server
        .get(&format!("/task?processInstanceId={instance}"))
        .await
        .expect(200)
        .json
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|t| t["taskDefinitionKey"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn provide_needed(server: &Server, instance: &str) {
    server
        .put(
            &format!("/process-instance/{instance}/variables/needed"),
            &json!({ "value": 21, "type": "Integer" }),
        )
        .await
        .expect(204);
}

async fn a_failing_job_uses_three_retries_then_raises_an_incident_that_retries_resolve(
    store: Store,
) {
    let server = Server::start(&store).await;
    server.deploy("f.bpmn", &failing("f", None)).await;
    let instance = server.start_instance("f", json!({})).await;
    let id = instance["id"].as_str().expect("an id").to_owned();

    // The job executor tries three times, then gives up with an incident.
    let incident = server
        .eventually("the failedJob incident", || async {
            incidents(&server, &id).await.into_iter().next()
        })
        .await;
    let job = the_job(&server, &id).await;
    assert_eq!(job["retries"], 0);
    assert!(
        job["exceptionMessage"]
            .as_str()
            .is_some_and(|m| m.contains("needed")),
        "{job}"
    );
    assert_eq!(incident["incidentType"], "failedJob");
    assert_eq!(incident["activityId"], "svc");
    assert_eq!(incident["configuration"], job["id"]);
    assert!(tasks(&server, &id).await.is_empty());
    // Failing did not move the instance: it still waits before svc.
    assert_eq!(
        server
            .count(&format!("/history/activity-instance/count?processInstanceId={id}&activityId=svc&finished=true"))
            .await,
        0
    );

    // Fix the cause, give the job a retry: the incident is resolved and the job runs.
    provide_needed(&server, &id).await;
    let job_id = job["id"].as_str().expect("a job id");
    server
        .put(&format!("/job/{job_id}/retries"), &json!({ "retries": 1 }))
        .await
        .expect(204);
    assert!(incidents(&server, &id).await.is_empty());
    server
        .eventually("the job runs again", || async {
            (tasks(&server, &id).await == ["review"]).then_some(())
        })
        .await;
    let out = server
        .get(&format!("/process-instance/{id}/variables/out"))
        .await
        .expect(200)
        .json;
    assert_eq!(out["value"], 42);
    assert_eq!(
        server
            .count(&format!("/job/count?processInstanceId={id}"))
            .await,
        0
    );
}

async fn retries_count_down_with_execute_and_follow_the_retry_cycle(store: Store) {
    let server = Server::start(&store).await;
    server
        .deploy("c.bpmn", &failing("c", Some("R3/PT1H")))
        .await;
    let instance = server.start_instance("c", json!({})).await;
    let id = instance["id"].as_str().expect("an id").to_owned();

    // The executor's first attempt fails; the next one is an hour away.
    let job = server
        .eventually("the first attempt fails", || async {
            let job = the_job(&server, &id).await;
            (job["retries"] == 2).then_some(job)
        })
        .await;
    let job_id = job["id"].as_str().expect("a job id").to_owned();
    let due = job["dueDate"].as_str().expect("a due date").to_owned();
    assert!(
        due.as_str() > chrono_now_plus_minutes(50).as_str(),
        "the retry waits PT1H: due {due}"
    );

    // Executing by hand fails too, and uses up a retry each time (404, as Camunda
    // answers a ProcessEngineException).
    let r = server
        .post(&format!("/job/{job_id}/execute"), &json!({}))
        .await
        .expect(404);
    assert!(
        r.json["message"]
            .as_str()
            .is_some_and(|m| m.contains("needed")),
        "{}",
        r.json
    );
    assert_eq!(the_job(&server, &id).await["retries"], 1);
    assert!(incidents(&server, &id).await.is_empty());
    server
        .post(&format!("/job/{job_id}/execute"), &json!({}))
        .await
        .expect(404);
    assert_eq!(the_job(&server, &id).await["retries"], 0);
    let list = incidents(&server, &id).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["incidentType"], "failedJob");
    assert_eq!(
        server.count("/incident/count?incidentType=failedJob").await,
        1
    );

    provide_needed(&server, &id).await;
    server
        .put(&format!("/job/{job_id}/retries"), &json!({ "retries": 2 }))
        .await
        .expect(204);
    assert!(incidents(&server, &id).await.is_empty());
    assert_eq!(the_job(&server, &id).await["retries"], 2);
    server
        .post(&format!("/job/{job_id}/execute"), &json!({}))
        .await
        .expect(204);
    assert_eq!(tasks(&server, &id).await, ["review"]);
    server
        .post(&format!("/job/{job_id}/execute"), &json!({}))
        .await
        .expect(404);
}

/// Now plus `minutes` as `yyyy-MM-ddTHH:mm:ss` in UTC: a prefix of Camunda's date format
/// (procos answers in +0000), so text order is time order.
fn chrono_now_plus_minutes(minutes: i64) -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64
        + minutes * 60;
    // yyyy-MM-ddTHH:mm:ss in UTC.
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}
