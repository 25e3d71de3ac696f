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

/// Each branch of a parallel split gets its own job; the join waits for both
/// (AsyncTaskTest#testAsyncServiceConcurrent).
#[test]
fn test_async_branches_of_a_parallel_split() {
    let xml = process(
        r#"<startEvent id="start"/><parallelGateway id="fork"/><parallelGateway id="join"/>
           <task id="a" camunda:asyncBefore="true" camunda:exclusive="false"/>
           <task id="b" camunda:asyncBefore="true"/>
           <endEvent id="end"/>"#,
        "start -> fork -> a -> join -> end; fork -> b -> join",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.jobs(), ["a:before", "b:before"]);
    assert_eq!(h.run_jobs(), 2);
    assert!(h.ended(), "{}", h.dump());
}

/// The boundary events of an asynchronous activity subscribe only when the activity
/// starts, that is when its job runs.
#[test]
fn test_boundary_events_wait_for_the_job() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="work" camunda:asyncBefore="true"/>
           <boundaryEvent id="late" attachedToRef="work"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
           <endEvent id="end"/><endEvent id="lateEnd"/>"#,
        "start -> work -> end; late -> lateEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert!(h.timers().is_empty());
    assert!(h.user_tasks().is_empty());
    h.run_jobs();
    assert_eq!(h.timers(), ["late@+3600s"]);
    assert_eq!(h.user_tasks(), ["work"]);
}

/// asyncBefore on the multi-instance characteristics makes one job per inner instance;
/// asyncBefore on the activity itself makes one job for the body.
#[test]
fn test_async_multi_instance_body_and_inner_instances() {
    let inner = process(
        r#"<startEvent id="start"/>
           <task id="work"><multiInstanceLoopCharacteristics camunda:asyncBefore="true"><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics></task>
           <endEvent id="end"/>"#,
        "start -> work -> end",
    );
    let mut h = Harness::new(&inner);
    h.start(none());
    assert_eq!(h.jobs(), ["work:before", "work:before", "work:before"]);
    assert_eq!(h.run_jobs(), 3);
    assert!(h.ended());

    let body = process(
        r#"<startEvent id="start"/>
           <task id="work" camunda:asyncBefore="true"><multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics></task>
           <endEvent id="end"/>"#,
        "start -> work -> end",
    );
    let mut h = Harness::new(&body);
    h.start(none());
    assert_eq!(h.jobs(), ["work:before"]);
    assert_eq!(h.run_jobs(), 1);
    assert!(h.ended());
}

/// asyncAfter on an activity with two outgoing flows: one job, then both flows are taken.
#[test]
fn test_async_after_with_two_outgoing_flows() {
    let xml = process(
        r#"<startEvent id="start"/><task id="t" camunda:asyncAfter="true"/>
           <userTask id="a"/><userTask id="b"/><endEvent id="end"/>"#,
        "start -> t -> a -> end; t -> b -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.jobs(), ["t:after"]);
    h.run_jobs();
    assert_eq!(h.user_tasks(), ["a", "b"]);
}

/// Deleting an instance with a pending job removes the job; the activity never started.
#[test]
fn test_cancel_removes_pending_jobs() {
    let xml = process(
        r#"<startEvent id="start"/><task id="t" camunda:asyncBefore="true"/><endEvent id="end"/>"#,
        "start -> t -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.cancel();
    assert!(h.jobs().is_empty());
    assert!(!h.history.contains(&"start:t".to_owned()));
}
