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

// ----- counters, loop counter and data input ------------------------------------------

/// A variable of the multi-instance body at `activity`.
fn body_var(h: &Harness, activity: &str, name: &str) -> Option<Value> {
    let inst = h.instance.as_ref()?;
    inst.tokens
        .iter()
        .find(|t| t.body && t.node.is_some_and(|n| &*h.graph.node(n).id == activity))
        .and_then(|t| t.vars.get(name).cloned())
}

/// `name` of every inner instance at `activity` (tokens whose parent is the body), in
/// creation order.
fn inner_vars(h: &Harness, activity: &str, name: &str) -> Vec<Option<Value>> {
    let Some(inst) = h.instance.as_ref() else {
        return Vec::new();
    };
    let body = inst
        .tokens
        .iter()
        .find(|t| t.body && t.node.is_some_and(|n| &*h.graph.node(n).id == activity));
    let Some(body) = body else {
        return Vec::new();
    };
    inst.tokens
        .iter()
        .filter(|t| t.parent == Some(body.id))
        .map(|t| t.vars.get(name).cloned())
        .collect()
}

fn counters(h: &Harness, activity: &str) -> [Option<Value>; 3] {
    [
        body_var(h, activity, "nrOfInstances"),
        body_var(h, activity, "nrOfActiveInstances"),
        body_var(h, activity, "nrOfCompletedInstances"),
    ]
}

fn ints(a: i32, b: i32, c: i32) -> [Option<Value>; 3] {
    [Some(int(a)), Some(int(b)), Some(int(c))]
}

fn list(items: &[&str]) -> Value {
    Value::json_object("java.util.ArrayList", &serde_json::json!(items))
}

/// Parallel: nrOfInstances, nrOfActiveInstances and nrOfCompletedInstances live on the
/// body and count down/up as instances complete (MultiInstanceTest.testParallelUserTasks).
#[test]
fn test_parallel_counters_on_the_body() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>"#,
    ));
    h.start(none());
    assert_eq!(counters(&h, "work"), ints(3, 3, 0));
    h.complete("work", none());
    assert_eq!(counters(&h, "work"), ints(3, 2, 1));
    h.complete("work", none());
    assert_eq!(counters(&h, "work"), ints(3, 1, 2));
    assert_eq!(
        h.var("nrOfInstances"),
        None,
        "the counters are not process variables"
    );
}

/// Sequential: one instance at a time, so nrOfActiveInstances stays 1
/// (MultiInstanceTest.testSequentialUserTasks).
#[test]
fn test_sequential_counters_on_the_body() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics isSequential="true"><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>"#,
    ));
    h.start(none());
    assert_eq!(h.external_tasks().len(), 1);
    assert_eq!(counters(&h, "work"), ints(3, 1, 0));
    h.complete("work", none());
    assert_eq!(h.external_tasks().len(), 1);
    assert_eq!(counters(&h, "work"), ints(3, 1, 1));
    h.complete("work", none());
    assert_eq!(counters(&h, "work"), ints(3, 1, 2));
    h.complete("work", none());
    assert!(h.ended());
}

/// Each parallel instance has its own loopCounter and element variable, local to it:
/// neither appears among the process variables, during or after the loop.
#[test]
fn test_loop_counter_and_element_variable_are_local_to_each_instance() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics camunda:collection="${people}" camunda:elementVariable="person"/>"#,
    ));
    h.start(vars(&[("people", list(&["ann", "bob", "cid"]))]));
    assert_eq!(
        inner_vars(&h, "work", "loopCounter"),
        [Some(int(0)), Some(int(1)), Some(int(2))]
    );
    assert_eq!(
        inner_vars(&h, "work", "person"),
        [Some(text("ann")), Some(text("bob")), Some(text("cid"))]
    );
    assert_eq!(h.var("loopCounter"), None);
    assert_eq!(h.var("person"), None);
    for _ in 0..3 {
        h.complete("work", none());
    }
    assert!(h.ended());
    assert_eq!(h.var("loopCounter"), None);
    assert_eq!(h.var("person"), None);
}

/// The external task of each instance sees its own element in expressions: the user
/// task's assignee comes from the element variable
/// (MultiInstanceTest.testParallelUserTasksBasedOnCollection, with BPMN's own
/// `loopDataInputRef`/`inputDataItem` instead of Camunda's attributes).
#[test]
fn test_loop_data_input_ref_and_input_data_item() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="miTasks" camunda:assignee="${assignee}">
             <multiInstanceLoopCharacteristics isSequential="false">
               <loopDataInputRef>assigneeList</loopDataInputRef>
               <inputDataItem name="assignee"/>
               <completionCondition>${nrOfCompletedInstances/nrOfInstances >= 0.6 }</completionCondition>
             </multiInstanceLoopCharacteristics>
           </userTask>
           <endEvent id="end"/>"#,
        "start -> miTasks -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[(
        "assigneeList",
        list(&["kermit", "gonzo", "mispiggy", "fozzie", "bubba"]),
    )]));
    assert_eq!(
        inner_vars(&h, "miTasks", "assignee"),
        ["kermit", "gonzo", "mispiggy", "fozzie", "bubba"].map(|w| Some(text(w)))
    );
    assert_eq!(h.user_spec("miTasks").assignee.as_deref(), Some("bubba"));
    assert_eq!(h.user_tasks().len(), 5);
    for _ in 0..2 {
        h.complete_user("miTasks", none());
        assert!(!h.ended());
    }
    // 3 of 5 = 0.6: the completion condition holds and the other two are cancelled.
    h.complete_user("miTasks", none());
    assert!(h.ended(), "{}", h.dump());
    assert!(h.user_tasks().is_empty());
    let cancelled = h.history.iter().filter(|e| *e == "cancel:miTasks").count();
    assert_eq!(cancelled, 2, "{:?}", h.history);
}

/// A sequential completion condition stops before the remaining elements are created.
#[test]
fn test_sequential_completion_condition_stops_early() {
    let mut h = Harness::new(&mi(
        r#"<multiInstanceLoopCharacteristics isSequential="true" camunda:collection="${items}" camunda:elementVariable="item"><completionCondition>${done}</completionCondition></multiInstanceLoopCharacteristics>"#,
    ));
    h.start(vars(&[
        ("items", list(&["a", "b", "c"])),
        ("done", Value::Boolean(false)),
    ]));
    h.complete("work", none());
    assert_eq!(inner_vars(&h, "work", "item"), [Some(text("b"))]);
    h.complete("work", vars(&[("done", Value::Boolean(true))]));
    assert!(h.ended(), "{}", h.dump());
    let started = h.history.iter().filter(|e| *e == "start:work").count();
    assert_eq!(started, 3, "the body and two instances: {:?}", h.history);
}

/// Multi-instance characteristics with neither loopCardinality nor a collection are
/// refused at deploy, as Camunda's parser does.
#[test]
fn test_neither_cardinality_nor_collection_is_refused() {
    let xml = mi(r#"<multiInstanceLoopCharacteristics/>"#);
    let errors = rejection(&xml);
    assert!(!errors.is_empty());
}

// ----- multi-instance subprocesses and call activities --------------------------------

/// A parallel multi-instance subprocess: each instance is its own scope with its own
/// loopCounter; the body ends when every subprocess instance completed
/// (MultiInstanceTest.testParallelSubProcess).
#[test]
fn test_parallel_subprocess() {
    let xml = process(
        r#"<startEvent id="start"/>
           <subProcess id="sub">
             <multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics>
             <startEvent id="subStart"/><userTask id="a"/><userTask id="b"/><endEvent id="subEnd"/>
             <sequenceFlow id="s1" sourceRef="subStart" targetRef="a"/>
             <sequenceFlow id="s2" sourceRef="a" targetRef="b"/>
             <sequenceFlow id="s3" sourceRef="b" targetRef="subEnd"/>
           </subProcess>
           <userTask id="after"/><endEvent id="end"/>"#,
        "start -> sub -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  sub\n    sub\n      a\n    sub\n      a\n");
    assert_eq!(
        inner_vars(&h, "sub", "loopCounter"),
        [Some(int(0)), Some(int(1))]
    );
    h.complete_user("a", none());
    assert_eq!(h.user_tasks(), ["a", "b"]);
    h.complete_user("a", none()).complete_user("b", none());
    assert_eq!(h.user_tasks(), ["b"]);
    assert_eq!(counters(&h, "sub"), ints(2, 1, 1));
    h.complete_user("b", none());
    assert_eq!(h.user_tasks(), ["after"]);
}

/// A sequential multi-instance subprocess runs its instances one after another.
#[test]
fn test_sequential_subprocess() {
    let xml = process(
        r#"<startEvent id="start"/>
           <subProcess id="sub">
             <multiInstanceLoopCharacteristics isSequential="true"><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics>
             <startEvent id="subStart"/><userTask id="a"/><endEvent id="subEnd"/>
             <sequenceFlow id="s1" sourceRef="subStart" targetRef="a"/>
             <sequenceFlow id="s2" sourceRef="a" targetRef="subEnd"/>
           </subProcess>
           <endEvent id="end"/>"#,
        "start -> sub -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    for i in 0..3 {
        assert_eq!(h.tree(), "p\n  sub\n    sub\n      a\n", "round {i}");
        assert_eq!(inner_vars(&h, "sub", "loopCounter"), [Some(int(i))]);
        h.complete_user("a", none());
    }
    assert!(h.ended());
}

fn mi_call(sequential: bool) -> String {
    definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="start"/>
                   <callActivity id="call" calledElement="child">
                     <extensionElements><camunda:in source="element" target="element"/><camunda:out source="result" target="result"/></extensionElements>
                     <multiInstanceLoopCharacteristics isSequential="{sequential}" camunda:collection="${{list}}" camunda:elementVariable="element"/>
                   </callActivity>
                   <boundaryEvent id="failed" attachedToRef="call"><errorEventDefinition errorRef="e"/></boundaryEvent>
                   <userTask id="handleErrorTask"/><userTask id="after"/><endEvent id="end"/><endEvent id="end2"/>"#
            ),
            "start -> call -> after -> end; failed -> handleErrorTask -> end2",
        ),
        r#"<error id="e" errorCode="E"/>"#,
    )
}

/// A parallel multi-instance call activity starts one child per element, each with its
/// own element passed in (MultiInstanceTest.testSequentialCallActivityWithList, parallel).
#[test]
fn test_parallel_call_activity_starts_one_child_per_element() {
    let mut h = Harness::new(&mi_call(false));
    h.start(vars(&[("list", list(&["x", "y", "z"]))]));
    assert_eq!(h.calls.len(), 3);
    let elements: Vec<_> = h
        .calls
        .iter()
        .map(|c| c.variables.get("element").cloned())
        .collect();
    assert_eq!(
        elements,
        [Some(text("x")), Some(text("y")), Some(text("z"))]
    );
    let children: Vec<_> = h.calls.iter().map(|c| c.child).collect();
    let mut distinct = children.clone();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "three distinct child instances");
    for call in h.calls.clone() {
        h.try_apply(procos_engine::runtime::Command::CalledCompleted {
            token: call.token,
            variables: none(),
        })
        .unwrap();
    }
    assert_eq!(h.user_tasks(), ["after"]);
}

/// A sequential multi-instance call activity starts the next child only when the
/// previous one completed.
#[test]
fn test_sequential_call_activity_starts_children_one_by_one() {
    let mut h = Harness::new(&mi_call(true));
    h.start(vars(&[("list", list(&["x", "y"]))]));
    assert_eq!(h.calls.len(), 1);
    let first = h.calls[0].clone();
    h.try_apply(procos_engine::runtime::Command::CalledCompleted {
        token: first.token,
        variables: none(),
    })
    .unwrap();
    assert_eq!(h.calls.len(), 2);
    assert_eq!(h.calls[1].variables.get("element"), Some(&text("y")));
}

/// An error from one child reaches the boundary event on the multi-instance body: the
/// body is interrupted and every child instance still open is removed, the thrower
/// included, as Camunda deletes the sub process instances of an interrupted call activity
/// (MultiInstanceTest.callActivityWithBoundaryErrorEvent).
#[test]
fn test_error_from_one_child_cancels_all_children() {
    let mut h = Harness::new(&mi_call(false));
    h.start(vars(&[("list", list(&["x", "y", "z"]))]));
    let calls = h.calls.clone();
    h.try_apply(procos_engine::runtime::Command::CalledError {
        token: calls[1].token,
        code: Some("E".to_owned()),
        message: None,
    })
    .unwrap();
    assert_eq!(h.user_tasks(), ["handleErrorTask"], "{}", h.dump());
    let mut canceled = h.canceled_calls.clone();
    canceled.sort();
    let mut children: Vec<_> = calls.iter().map(|c| c.child).collect();
    children.sort();
    assert_eq!(canceled, children);
    assert_eq!(
        h.history.iter().filter(|e| *e == "cancel:call").count(),
        4,
        "the body and its three instances: {:?}",
        h.history
    );
}

/// A non-interrupting boundary timer on the body fires once for the whole activity and
/// leaves every instance running.
#[test]
fn test_non_interrupting_boundary_event_on_body() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="review"><multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></userTask>
           <boundaryEvent id="remind" attachedToRef="review" cancelActivity="false"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
           <userTask id="reminder"/><endEvent id="done"/><endEvent id="reminded"/>"#,
        "start -> review -> done; remind -> reminder -> reminded",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["reminder", "review", "review"]);
    // The timer ends with the body, not with the first instance.
    h.complete_user("review", none());
    assert!(h.timers().is_empty(), "a duration timer fires once");
    h.complete_user("review", none())
        .complete_user("reminder", none());
    assert!(h.ended());
}

/// A message boundary event on the body stays until the last instance completes.
#[test]
fn test_boundary_subscription_lives_as_long_as_the_body() {
    let xml = definitions(
        &process_element(
            "p",
            r#"<startEvent id="start"/>
               <userTask id="review"><multiInstanceLoopCharacteristics><loopCardinality>2</loopCardinality></multiInstanceLoopCharacteristics></userTask>
               <boundaryEvent id="stop" attachedToRef="review"><messageEventDefinition messageRef="m"/></boundaryEvent>
               <endEvent id="done"/><endEvent id="stopped"/>"#,
            "start -> review -> done; stop -> stopped",
        ),
        r#"<message id="m" name="stop"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.subscriptions(), ["message:stop@stop"]);
    h.complete_user("review", none());
    assert_eq!(h.subscriptions(), ["message:stop@stop"]);
    h.message("stop", none());
    assert!(h.ended());
    assert!(h.history.contains(&"start:stopped".to_owned()));
    assert!(h.history.contains(&"cancel:review".to_owned()));
}
