//! Asynchronous continuations (Camunda's AsyncTaskTest): `camunda:asyncBefore` and
//! `asyncAfter` put a job between commands.

mod support;
use support::*;

/// asyncBefore: the start call returns with a job waiting; the activity runs when the job
/// runs (its history starts then).
#[test]
fn test_async_before_task() {
    let xml = process(
        r#"<startEvent id="start"/>
           <serviceTask id="work" camunda:asyncBefore="true" camunda:type="external" camunda:topic="t"/>
           <endEvent id="end"/>"#,
        "start -> work -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.jobs(), ["work:before"]);
    assert!(h.external_tasks().is_empty());
    assert!(!h.history.contains(&"start:work".to_owned()));
    assert_eq!(h.run_jobs(), 1);
    assert_eq!(h.external_tasks(), ["t@work"]);
    assert!(h.history.contains(&"start:work".to_owned()));
    h.complete("work", vars(&[]));
    assert!(h.ended());
}

/// asyncAfter: the activity ends at once; the flow continues when the job runs.
#[test]
fn test_async_after_task() {
    let xml = process(
        r#"<startEvent id="start"/>
           <task id="work" camunda:asyncAfter="true"/>
           <endEvent id="end"/>"#,
        "start -> work -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.jobs(), ["work:after"]);
    assert!(h.history.contains(&"end:work".to_owned()));
    assert!(!h.ended());
    h.run_jobs();
    assert!(h.ended(), "{}", h.dump());
}

/// An asynchronous start event: starting only creates the job.
#[test]
fn test_async_start_event() {
    let xml = process(
        r#"<startEvent id="start" camunda:asyncBefore="true"/><endEvent id="end"/>"#,
        "start -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert!(!h.ended());
    assert_eq!(h.jobs(), ["start:before"]);
    h.run_jobs();
    assert!(h.ended());
}
