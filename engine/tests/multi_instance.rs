//! Multi-instance activities (Camunda's MultiInstanceTest): parallel and sequential,
//! cardinality and collections, the body's counters, completion conditions, and boundary
//! events on the body.

mod support;
use procos_engine::value::Value;
use support::*;

fn mi(characteristics: &str) -> String {
    process(
        &format!(
            r#"<startEvent id="start"/>
               <serviceTask id="work" camunda:type="external" camunda:topic="work">{characteristics}</serviceTask>
               <endEvent id="end"/>"#
        ),
        "start -> work -> end",
    )
}

/// A parallel multi-instance task with loopCardinality 3 opens three tasks at once; each
/// inner instance has its own loopCounter; the body ends when all three completed.
#[test]
fn test_parallel_cardinality() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics><loopCardinality>${3}</loopCardinality></multiInstanceLoopCharacteristics>"#,
    ));
    h.start(vars(&[]));
    assert_eq!(
        h.external_tasks(),
        ["work@work", "work@work", "work@work"],
        "{}",
        h.dump()
    );
    assert!(
        h.dump().contains("nrOfInstances=Integer(3)"),
        "{}",
        h.dump()
    );
    for _ in 0..2 {
        h.complete("work", vars(&[]));
        assert!(!h.ended());
    }
    assert!(
        h.dump().contains("nrOfCompletedInstances=Integer(2)"),
        "{}",
        h.dump()
    );
    h.complete("work", vars(&[]));
    assert!(h.ended(), "{}", h.dump());
    let bodies = h.history.iter().filter(|e| *e == "start:work").count();
    assert_eq!(
        bodies, 4,
        "a body and three inner instances: {:?}",
        h.history
    );
}

/// A sequential multi-instance over a collection runs one element after another, each
/// with its element variable.
#[test]
fn test_sequential_collection_with_element_variable() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics isSequential="true" camunda:collection="reviewers" camunda:elementVariable="reviewer"/>"#,
    ));
    let reviewers = Value::json_object("java.util.ArrayList", &serde_json::json!(["ann", "bob"]));
    h.start(vars(&[("reviewers", reviewers)]));
    assert_eq!(h.external_tasks(), ["work@work"]);
    assert!(
        h.dump().contains("reviewer=String(\"ann\")"),
        "{}",
        h.dump()
    );
    h.complete("work", vars(&[]));
    assert!(
        h.dump().contains("reviewer=String(\"bob\")"),
        "{}",
        h.dump()
    );
    assert!(h.dump().contains("loopCounter=Integer(1)"), "{}", h.dump());
    h.complete("work", vars(&[]));
    assert!(h.ended());
}

/// A completion condition ends the body early and cancels the remaining instances.
#[test]
fn test_completion_condition() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics><loopCardinality>4</loopCardinality><completionCondition>${nrOfCompletedInstances/nrOfInstances >= 0.5}</completionCondition></multiInstanceLoopCharacteristics>"#,
    ));
    h.start(vars(&[]));
    assert_eq!(h.external_tasks().len(), 4);
    h.complete("work", vars(&[]));
    assert_eq!(h.external_tasks().len(), 3);
    h.complete("work", vars(&[]));
    assert!(h.ended(), "{}", h.dump());
    assert_eq!(h.external_tasks().len(), 0);
}

/// An empty collection skips the activity.
#[test]
fn test_empty_collection() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics camunda:collection="${items}" camunda:elementVariable="item"/>"#,
    ));
    let empty = Value::json_object("java.util.ArrayList", &serde_json::json!([]));
    h.start(vars(&[("items", empty)]));
    assert!(h.ended(), "{}", h.dump());
}

/// A boundary timer on a multi-instance activity belongs to the body: it interrupts all
/// inner instances at once.
#[test]
fn test_boundary_event_on_body() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="review"><multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></userTask>
           <boundaryEvent id="late" attachedToRef="review"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
           <endEvent id="done"/><endEvent id="escalated"/>"#,
        "start -> review -> done; late -> escalated",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.user_tasks(), ["review", "review"]);
    assert_eq!(
        h.timers(),
        ["late@+3600s"],
        "one timer for the body, not one per instance"
    );
    h.advance(3600);
    assert!(h.ended(), "{}", h.dump());
    assert!(h.user_tasks().is_empty());
}
