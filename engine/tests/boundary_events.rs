//! Message and signal boundary events, step by step, mirroring Camunda 7's
//! MessageBoundaryEventTest, MessageNonInterruptingBoundaryEventTest and SignalEventTest.
//! (Timer boundary events are in timers.rs, error and escalation boundary events in
//! errors_and_escalations.rs.)

mod support;
use support::*;

const MESSAGES: &str = r#"<message id="messageId_1" name="messageName_1"/>
<message id="messageId_2" name="messageName_2"/>
<message id="exprMessage" name="messageName_${foo}"/>
<signal id="alertSignal" name="alert"/>"#;

fn with_messages(elements: &str, flows: &str) -> String {
    definitions(&process_element("p", elements, flows), MESSAGES)
}

/// An interrupting message boundary event on a user task: the message cancels the task
/// and the boundary path continues; completing the task first removes the subscription.
#[test]
fn message_boundary_event_test_single_boundary_message_event() {
    let xml = with_messages(
        &format!(
            r#"{}{}<boundaryEvent id="messageBoundary" attachedToRef="task"><messageEventDefinition messageRef="messageId_1"/></boundaryEvent>"#,
            start_end("theEnd"),
            usr("task taskAfterTask taskAfterMessage")
        ),
        "start -> task -> taskAfterTask -> theEnd; messageBoundary -> taskAfterMessage -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["task"]);
    assert_eq!(h.subscriptions(), ["message:messageName_1@messageBoundary"]);

    h.message("messageName_1", vars(&[("fromMessage", int(1))]));
    assert_eq!(h.user_tasks(), ["taskAfterMessage"]);
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.var("fromMessage"), Some(int(1)));
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:task",
            "cancel:task",
            "start:messageBoundary",
            "end:messageBoundary",
            "start:taskAfterMessage"
        ]
    );

    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete_user("task", none());
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.user_tasks(), ["taskAfterTask"]);
}

/// The message name of a boundary event may be an expression, evaluated when the
/// subscription is opened.
#[test]
fn message_boundary_event_test_expression_in_boundary_message_event_name() {
    let xml = with_messages(
        &format!(
            r#"{}{}<boundaryEvent id="messageBoundary" attachedToRef="task"><messageEventDefinition messageRef="exprMessage"/></boundaryEvent>"#,
            start_end("end"),
            usr("task taskAfterMessage")
        ),
        "start -> task -> end; messageBoundary -> taskAfterMessage -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("foo", text("bar"))]));
    assert_eq!(
        h.subscriptions(),
        ["message:messageName_bar@messageBoundary"]
    );
    h.message("messageName_bar", none());
    assert_eq!(h.user_tasks(), ["taskAfterMessage"]);
}

/// Two message boundary events on one task: whichever message comes first wins, and both
/// subscriptions go.
#[test]
fn message_boundary_event_test_double_boundary_message_event() {
    let xml = with_messages(
        &format!(
            r#"{}{}
               <boundaryEvent id="messageBoundary_1" attachedToRef="task"><messageEventDefinition messageRef="messageId_1"/></boundaryEvent>
               <boundaryEvent id="messageBoundary_2" attachedToRef="task"><messageEventDefinition messageRef="messageId_2"/></boundaryEvent>"#,
            start_end("end"),
            ext("task afterMessage_1 afterMessage_2")
        ),
        "start -> task -> end; messageBoundary_1 -> afterMessage_1 -> end; messageBoundary_2 -> afterMessage_2 -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.subscriptions(),
        [
            "message:messageName_1@messageBoundary_1",
            "message:messageName_2@messageBoundary_2"
        ]
    );
    h.message("messageName_2", none());
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.external_tasks(), ["afterMessage_2@afterMessage_2"]);
}

/// A non-interrupting message boundary event can fire again and again; the task stays.
#[test]
fn message_non_interrupting_boundary_event_test_single_non_interrupting_boundary_message_event() {
    let xml = with_messages(
        &format!(
            r#"{}{}<boundaryEvent id="messageBoundary" attachedToRef="task" cancelActivity="false"><messageEventDefinition messageRef="messageId_1"/></boundaryEvent>"#,
            start_end("end"),
            usr("task taskAfterMessage")
        ),
        "start -> task -> end; messageBoundary -> taskAfterMessage -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.message("messageName_1", none());
    assert_eq!(h.user_tasks(), ["task", "taskAfterMessage"]);
    assert_eq!(h.subscriptions(), ["message:messageName_1@messageBoundary"]);

    h.message("messageName_1", none());
    assert_eq!(
        h.user_tasks(),
        ["task", "taskAfterMessage", "taskAfterMessage"]
    );
    assert_eq!(h.subscriptions(), ["message:messageName_1@messageBoundary"]);

    h.complete_user("task", none());
    assert!(
        h.subscriptions().is_empty(),
        "the subscription ends with its activity"
    );
    assert_eq!(h.user_tasks(), ["taskAfterMessage", "taskAfterMessage"]);
    h.complete_user("taskAfterMessage", none())
        .complete_user("taskAfterMessage", none());
    assert!(h.ended());
}

/// An interrupting message boundary event on a subprocess cancels the whole subprocess,
/// including every task inside it.
#[test]
fn message_boundary_event_test_boundary_message_event_on_subprocess() {
    let xml = with_messages(
        &format!(
            r#"{}<subProcess id="subProcess">
                 <startEvent id="subStart"/><parallelGateway id="fork"/>
                 <serviceTask id="subTask1" camunda:type="external" camunda:topic="sub"/>
                 <userTask id="subTask2"/>
                 <endEvent id="subEnd1"/><endEvent id="subEnd2"/>
                 <sequenceFlow id="s1" sourceRef="subStart" targetRef="fork"/>
                 <sequenceFlow id="s2" sourceRef="fork" targetRef="subTask1"/>
                 <sequenceFlow id="s3" sourceRef="fork" targetRef="subTask2"/>
                 <sequenceFlow id="s4" sourceRef="subTask1" targetRef="subEnd1"/>
                 <sequenceFlow id="s5" sourceRef="subTask2" targetRef="subEnd2"/>
               </subProcess>
               <boundaryEvent id="messageBoundary" attachedToRef="subProcess"><messageEventDefinition messageRef="messageId_1"/></boundaryEvent>
               {}"#,
            start_end("end"),
            usr("taskAfterSubProcess taskAfterMessage")
        ),
        "start -> subProcess -> taskAfterSubProcess -> end; messageBoundary -> taskAfterMessage -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  subProcess\n    subTask1\n    subTask2\n");
    assert_eq!(h.external_tasks(), ["sub@subTask1"]);
    assert_eq!(h.user_tasks(), ["subTask2"]);

    h.message("messageName_1", none());
    assert_eq!(h.tree(), "p\n  taskAfterMessage\n");
    assert!(h.external_tasks().is_empty());
    assert_eq!(h.user_tasks(), ["taskAfterMessage"]);
    assert!(h.subscriptions().is_empty());
}

/// A non-interrupting signal boundary event on a user task starts its path on every
/// signal while the task stays.
#[test]
fn signal_event_test_non_interrupting_signal() {
    let xml = with_messages(
        &format!(
            r#"{}{}<boundaryEvent id="signalBoundary" attachedToRef="task" cancelActivity="false"><signalEventDefinition signalRef="alertSignal"/></boundaryEvent>"#,
            start_end("end"),
            usr("task afterSignal")
        ),
        "start -> task -> end; signalBoundary -> afterSignal -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.subscriptions(), ["signal:alert@signalBoundary"]);
    h.signal("alert");
    assert_eq!(h.user_tasks(), ["afterSignal", "task"]);
    assert_eq!(h.subscriptions(), ["signal:alert@signalBoundary"]);
    h.complete_user("task", none());
    assert!(h.subscriptions().is_empty());
}

/// A non-interrupting signal boundary event on a subprocess nested in another: the signal
/// starts a second subprocess beside the first, and the outer subprocess completes only
/// when both are done.
#[test]
fn signal_event_test_non_interrupting_signal_with_sub_process() {
    let xml = with_messages(
        &format!(
            r#"{}<subProcess id="SubProcess_1">
                 <startEvent id="StartEvent_2"/>
                 <subProcess id="SubProcess_2">
                   <startEvent id="StartEvent_3"/><userTask id="Approve"/><endEvent id="EndEvent_2"/>
                   <sequenceFlow id="s5" sourceRef="StartEvent_3" targetRef="Approve"/>
                   <sequenceFlow id="s6" sourceRef="Approve" targetRef="EndEvent_2"/>
                 </subProcess>
                 <endEvent id="EndEvent_3"/>
                 <subProcess id="SubProcess_3">
                   <startEvent id="StartEvent_4"/><userTask id="Review"/><endEvent id="EndEvent_4"/>
                   <sequenceFlow id="s8" sourceRef="StartEvent_4" targetRef="Review"/>
                   <sequenceFlow id="s9" sourceRef="Review" targetRef="EndEvent_4"/>
                 </subProcess>
                 <boundaryEvent id="BoundaryEvent_1" attachedToRef="SubProcess_2" cancelActivity="false"><signalEventDefinition signalRef="alertSignal"/></boundaryEvent>
                 <endEvent id="EndEvent_5"/>
                 <sequenceFlow id="s4" sourceRef="StartEvent_2" targetRef="SubProcess_2"/>
                 <sequenceFlow id="s7" sourceRef="SubProcess_2" targetRef="EndEvent_3"/>
                 <sequenceFlow id="s10" sourceRef="BoundaryEvent_1" targetRef="SubProcess_3"/>
                 <sequenceFlow id="s11" sourceRef="SubProcess_3" targetRef="EndEvent_5"/>
               </subProcess>{}"#,
            start_end("EndEvent_1"),
            usr("Finish")
        ),
        "start -> SubProcess_1 -> Finish -> EndEvent_1",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.tree(),
        "p\n  SubProcess_1\n    SubProcess_2\n      Approve\n"
    );
    assert_eq!(h.subscriptions(), ["signal:alert@BoundaryEvent_1"]);

    h.signal("alert");
    assert_eq!(
        h.tree(),
        "p\n  SubProcess_1\n    SubProcess_2\n      Approve\n    SubProcess_3\n      Review\n"
    );
    assert_eq!(h.subscriptions(), ["signal:alert@BoundaryEvent_1"]);

    h.complete_user("Review", none());
    assert_eq!(
        h.tree(),
        "p\n  SubProcess_1\n    SubProcess_2\n      Approve\n"
    );
    h.complete_user("Approve", none());
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.tree(), "p\n  Finish\n");
    h.complete_user("Finish", none());
    assert!(h.ended());
}
