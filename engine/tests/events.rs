//! Start, end, intermediate and link events, step by step, mirroring Camunda 7's
//! StartToEndTest, MessageStartEventTest, StartTimerEventTest, SignalEventTest,
//! TerminateEndEventTest, MessageEndEventTest, SignalEndEventTest,
//! MessageIntermediateEventTest, MessageIntermediateThrowEventTest,
//! IntermediateNoneEventTest and LinkEventTest.

mod support;
use support::*;

use procos_engine::bpmn::{EventTrigger, NodeKind};
use procos_engine::runtime::{EndState, RuntimeError, Wait};
use procos_engine::time::TimerKind;

// ----- start events -----------------------------------------------------------------------

/// None start straight to none end: the instance completes within the start command.
#[test]
fn start_to_end_test_start_to_end() {
    let xml = process(&start_end("end"), "start -> end");
    let mut h = Harness::new(&xml);
    h.start(none());
    assert!(h.ended());
    assert_eq!(h.end_state(), Some(EndState::Completed));
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:end",
            "end:end",
            "instance-end"
        ]
    );
    assert!(h.active().is_empty());
}

fn message_start_xml(with_none_start: bool) -> String {
    let none_start = if with_none_start {
        r#"<startEvent id="noneStart"/>"#
    } else {
        ""
    };
    definitions(
        &process_element(
            "p",
            &format!(
                r#"{none_start}
                   <startEvent id="theStart"><messageEventDefinition messageRef="tns:newInvoice"/></startEvent>
                   {}<endEvent id="end"/>"#,
                usr("taskAfterMessageStart taskAfterNoneStart")
            ),
            &format!(
                "theStart -> taskAfterMessageStart -> end{}",
                if with_none_start {
                    "; noneStart -> taskAfterNoneStart -> end"
                } else {
                    ""
                }
            ),
        ),
        r#"<message id="newInvoice" name="newInvoiceMessage"/>"#,
    )
}

/// A message start event is a definition-level subscription (the graph lists it); the
/// instance starts at it. As the only start event it is also the process's initial
/// activity: a plain start (by key) enters there too, as in Camunda.
#[test]
fn message_start_event_test_single_message_start_event() {
    let mut h = Harness::new(&message_start_xml(false));
    let starts: Vec<(String, String)> = h
        .graph
        .message_starts()
        .map(|(n, name)| (h.graph.node(n).id.to_string(), name.to_owned()))
        .collect();
    assert_eq!(
        starts,
        [("theStart".to_owned(), "newInvoiceMessage".to_owned())]
    );
    assert_eq!(h.graph.scope.none_start, None);

    h.try_start(None, none()).unwrap();
    assert_eq!(h.user_tasks(), ["taskAfterMessageStart"]);

    let mut h = Harness::new(&message_start_xml(false));
    h.try_start(Some("theStart"), vars(&[("invoice", text("4711"))]))
        .unwrap();
    assert_eq!(h.user_tasks(), ["taskAfterMessageStart"]);
    assert_eq!(
        h.history,
        [
            "start:theStart",
            "end:theStart",
            "start:taskAfterMessageStart"
        ]
    );
    assert_eq!(h.var("invoice"), Some(text("4711")));
    // The start message is not an instance subscription.
    assert!(h.subscriptions().is_empty());
}

/// Two message start events and no none or timer start event: the process has no initial
/// activity, and a plain start is refused.
#[test]
fn message_start_event_test_several_message_start_events_refuse_a_plain_start() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="a"><messageEventDefinition messageRef="tns:newInvoice"/></startEvent>
                   <startEvent id="b"><messageEventDefinition messageRef="tns:other"/></startEvent>
                   {}<endEvent id="end"/>"#,
                usr("task")
            ),
            "a -> task -> end; b -> task",
        ),
        r#"<message id="newInvoice" name="newInvoiceMessage"/><message id="other" name="otherMessage"/>"#,
    );
    let mut h = Harness::new(&xml);
    let err = h.try_start(None, none()).unwrap_err();
    assert!(
        matches!(err, RuntimeError::NoNoneStartEvent { .. }),
        "{err}"
    );
    assert!(h.instance.is_none());
    h.try_start(Some("b"), none()).unwrap();
    assert_eq!(h.user_tasks(), ["task"]);
}

/// A message start next to a none start: either can start the instance.
#[test]
fn message_start_event_test_message_start_event_and_none_start_event() {
    let xml = message_start_xml(true);
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["taskAfterNoneStart"]);

    let mut h = Harness::new(&xml);
    h.try_start(Some("theStart"), none()).unwrap();
    assert_eq!(h.user_tasks(), ["taskAfterMessageStart"]);

    // A node that is not a start event cannot be used to start.
    let mut h = Harness::new(&xml);
    let err = h.try_start(Some("taskAfterNoneStart"), none()).unwrap_err();
    assert!(matches!(err, RuntimeError::NotAStartEvent { .. }), "{err}");
}

/// Timer start events compile into definition-level timers (scheduled by the server at
/// deployment); the instance the job starts begins at the timer start event.
#[test]
fn start_timer_event_test_fixed_date_start_timer_event() {
    let xml = process(
        &format!(
            r#"<startEvent id="theStart"><timerEventDefinition><timeDate>2036-11-14T11:12:22Z</timeDate></timerEventDefinition></startEvent>
               {}<endEvent id="end"/>"#,
            usr("task")
        ),
        "theStart -> task -> end",
    );
    let mut h = Harness::new(&xml);
    let timers: Vec<(String, TimerKind, String)> = h
        .graph
        .timer_starts()
        .map(|(n, def)| {
            (
                h.graph.node(n).id.to_string(),
                def.kind,
                def.text.source().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        timers,
        [(
            "theStart".to_owned(),
            TimerKind::Date,
            "2036-11-14T11:12:22Z".to_owned()
        )]
    );
    h.try_start(Some("theStart"), none()).unwrap();
    assert_eq!(h.user_tasks(), ["task"]);
    assert!(
        h.timers().is_empty(),
        "the start timer is not an instance timer"
    );
}

/// A cycle timer start event is listed with its cycle.
#[test]
fn start_timer_event_test_time_cycle() {
    let xml = process(
        r#"<startEvent id="theStart"><timerEventDefinition><timeCycle>R5/PT10M</timeCycle></timerEventDefinition></startEvent>
           <endEvent id="end"/>"#,
        "theStart -> end",
    );
    let h = Harness::new(&xml);
    let timers: Vec<(TimerKind, String)> = h
        .graph
        .timer_starts()
        .map(|(_, def)| (def.kind, def.text.source().to_owned()))
        .collect();
    assert_eq!(timers, [(TimerKind::Cycle, "R5/PT10M".to_owned())]);
}

/// A signal start event is a definition-level signal subscription.
#[test]
fn signal_event_test_signal_start_event() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="theStart"><signalEventDefinition signalRef="alertSignal"/></startEvent>{}<endEvent id="end"/>"#,
                usr("task")
            ),
            "theStart -> task -> end",
        ),
        r#"<signal id="alertSignal" name="alert"/>"#,
    );
    let mut h = Harness::new(&xml);
    let starts: Vec<(String, String)> = h
        .graph
        .signal_starts()
        .map(|(n, name)| (h.graph.node(n).id.to_string(), name.to_owned()))
        .collect();
    assert_eq!(starts, [("theStart".to_owned(), "alert".to_owned())]);
    assert!(h.graph.message_starts().next().is_none());
    h.try_start(Some("theStart"), none()).unwrap();
    assert_eq!(h.user_tasks(), ["task"]);
}

// ----- end events -------------------------------------------------------------------------

/// A terminate end event at process level ends the whole instance, cancelling the other
/// branches.
#[test]
fn terminate_end_event_test_process_terminate() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><parallelGateway id="fork"/>{}
               <endEvent id="terminateEnd"><terminateEventDefinition/></endEvent><endEvent id="end"/>"#,
            ext("preTerminateTask preNormalTask")
        ),
        "start -> fork; fork -> preTerminateTask -> terminateEnd; fork -> preNormalTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.external_tasks(),
        [
            "preNormalTask@preNormalTask",
            "preTerminateTask@preTerminateTask"
        ]
    );
    h.complete("preTerminateTask", none());
    assert!(h.ended());
    assert_eq!(h.end_state(), Some(EndState::Completed));
    assert!(h.external_tasks().is_empty());
    assert!(h.active().is_empty());
    let tail: Vec<&str> = h
        .history
        .iter()
        .rev()
        .take(4)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        [
            "start:terminateEnd",
            "cancel:preNormalTask",
            "end:terminateEnd",
            "instance-end"
        ]
    );
}

/// A terminate end event inside a subprocess ends only the subprocess (cancelling what
/// else runs in it); the subprocess then completes normally and the process continues.
#[test]
fn terminate_end_event_test_terminate_in_sub_process() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><parallelGateway id="fork"/>{}
               <subProcess id="subProcess">
                 <startEvent id="subStart"/><parallelGateway id="subFork"/>
                 <serviceTask id="innerTask" camunda:type="external" camunda:topic="inner"/>
                 <serviceTask id="preTerminate" camunda:type="external" camunda:topic="terminate"/>
                 <endEvent id="terminateEnd"><terminateEventDefinition/></endEvent>
                 <endEvent id="innerEnd"/>
                 <sequenceFlow id="f1" sourceRef="subStart" targetRef="subFork"/>
                 <sequenceFlow id="f2" sourceRef="subFork" targetRef="innerTask"/>
                 <sequenceFlow id="f3" sourceRef="subFork" targetRef="preTerminate"/>
                 <sequenceFlow id="f4" sourceRef="innerTask" targetRef="innerEnd"/>
                 <sequenceFlow id="f5" sourceRef="preTerminate" targetRef="terminateEnd"/>
               </subProcess>
               <endEvent id="end"/><endEvent id="normalEnd"/>"#,
            ext("preNormalEnd afterSubProcess")
        ),
        "start -> fork; fork -> preNormalEnd -> normalEnd; fork -> subProcess -> afterSubProcess -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.external_tasks(),
        [
            "inner@innerTask",
            "preNormalEnd@preNormalEnd",
            "terminate@preTerminate"
        ]
    );
    assert_eq!(
        h.tree(),
        "p\n  preNormalEnd\n  subProcess\n    innerTask\n    preTerminate\n"
    );

    h.complete("preTerminate", none());
    assert!(!h.ended());
    assert_eq!(
        h.external_tasks(),
        [
            "afterSubProcess@afterSubProcess",
            "preNormalEnd@preNormalEnd"
        ]
    );
    assert_eq!(h.tree(), "p\n  afterSubProcess\n  preNormalEnd\n");
    assert!(h.history.contains(&"cancel:innerTask".to_owned()));
    assert!(
        h.history.contains(&"end:subProcess".to_owned()),
        "the subprocess completes, it is not cancelled"
    );

    h.complete("preNormalEnd", none())
        .complete("afterSubProcess", none());
    assert!(h.ended());
}

/// A message end event without an implementation behaves like a none end event.
#[test]
fn message_end_event_test_message_end_event() {
    let xml = definitions(
        &process_element(
            "p",
            r#"<startEvent id="start"/><endEvent id="messageEnd"><messageEventDefinition messageRef="m"/></endEvent>"#,
            "start -> messageEnd",
        ),
        r#"<message id="m" name="endMessage"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert!(h.ended());
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:messageEnd",
            "end:messageEnd",
            "instance-end"
        ]
    );
    assert!(h.subscriptions().is_empty());
}

/// A signal end event broadcasts its signal; a signal catch event of the same instance
/// receives it (Camunda delivers a signal to every subscription, including its own).
#[test]
fn signal_end_event_test_catch_signal_end_event_in_embedded_subprocess() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="start"/><parallelGateway id="fork"/>
                   <subProcess id="subProcess">
                     <startEvent id="subStart"/>
                     <serviceTask id="work" camunda:type="external" camunda:topic="work"/>
                     <endEvent id="signalEnd"><signalEventDefinition signalRef="alertSignal"/></endEvent>
                     <sequenceFlow id="f1" sourceRef="subStart" targetRef="work"/>
                     <sequenceFlow id="f2" sourceRef="work" targetRef="signalEnd"/>
                   </subProcess>
                   <intermediateCatchEvent id="catchSignal"><signalEventDefinition signalRef="alertSignal"/></intermediateCatchEvent>
                   {}<endEvent id="end1"/><endEvent id="end2"/>"#,
                usr("afterSignal")
            ),
            "start -> fork; fork -> subProcess -> end1; fork -> catchSignal -> afterSignal -> end2",
        ),
        r#"<signal id="alertSignal" name="alert"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.subscriptions(), ["signal:alert@catchSignal"]);
    assert_eq!(h.waits("catchSignal"), [Wait::Event]);
    assert_eq!(h.external_tasks(), ["work@work"]);

    h.complete("work", none());
    assert_eq!(h.thrown_signals, ["alert"]);
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.user_tasks(), ["afterSignal"]);
    assert_eq!(h.active(), ["afterSignal"]);
    h.complete_user("afterSignal", none());
    assert!(h.ended());
}

// ----- intermediate events ----------------------------------------------------------------

/// An intermediate message catch event waits for its message; the message's variables
/// become process variables.
#[test]
fn message_intermediate_event_test_single_intermediate_message_event() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="start"/>
                   <intermediateCatchEvent id="messageCatch"><messageEventDefinition messageRef="newInvoice"/></intermediateCatchEvent>
                   {}<endEvent id="end"/>"#,
                usr("task")
            ),
            "start -> messageCatch -> task -> end",
        ),
        r#"<message id="newInvoice" name="newInvoiceMessage"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.active(), ["messageCatch"]);
    assert_eq!(h.waits("messageCatch"), [Wait::Event]);
    assert_eq!(
        h.subscriptions(),
        ["message:newInvoiceMessage@messageCatch"]
    );
    assert!(h.user_tasks().is_empty());

    h.message("newInvoiceMessage", vars(&[("amount", int(42))]));
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.user_tasks(), ["task"]);
    assert_eq!(h.var("amount"), Some(int(42)));
}

/// An intermediate signal catch event waits for a signal; an intermediate signal throw
/// event in a parallel branch of the same instance delivers it and moves on.
#[test]
fn signal_event_test_signal_catch_intermediate() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="start"/><parallelGateway id="fork"/>
                   <intermediateCatchEvent id="signalCatch"><signalEventDefinition signalRef="alertSignal"/></intermediateCatchEvent>
                   <intermediateThrowEvent id="signalThrow"><signalEventDefinition signalRef="alertSignal"/></intermediateThrowEvent>
                   {}{}<endEvent id="end1"/><endEvent id="end2"/>"#,
                ext("beforeThrow"),
                usr("afterCatch afterThrow")
            ),
            "start -> fork; fork -> signalCatch -> afterCatch -> end1; fork -> beforeThrow -> signalThrow -> afterThrow -> end2",
        ),
        r#"<signal id="alertSignal" name="alert"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.subscriptions(), ["signal:alert@signalCatch"]);
    assert_eq!(h.active(), ["beforeThrow", "signalCatch"]);

    h.complete("beforeThrow", none());
    assert_eq!(h.thrown_signals, ["alert"]);
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.user_tasks(), ["afterCatch", "afterThrow"]);
}

/// An intermediate none throw event passes straight through, with history.
#[test]
fn intermediate_none_event_test_intermediate_none_event() {
    let xml = process(
        &format!(
            r#"{}<intermediateThrowEvent id="noneEvent"/>{}"#,
            start_end("end"),
            usr("task")
        ),
        "start -> noneEvent -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["task"]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:noneEvent",
            "end:noneEvent",
            "start:task"
        ]
    );
}

/// A message throw event without an implementation behaves like a none event.
#[test]
fn message_intermediate_throw_event_test_single_intermediate_throw_message_event() {
    let xml = definitions(
        &process_element(
            "p",
            r#"<startEvent id="start"/>
               <intermediateThrowEvent id="messageThrow"><messageEventDefinition messageRef="m"/></intermediateThrowEvent>
               <endEvent id="end"/>"#,
            "start -> messageThrow -> end",
        ),
        r#"<message id="m" name="thrown"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert!(h.ended());
    assert!(h.subscriptions().is_empty());
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:messageThrow",
            "end:messageThrow",
            "start:end",
            "end:end",
            "instance-end"
        ]
    );
}

/// A message throw event with `camunda:type="external"` behaves like a service task: it
/// waits for a worker on its topic.
#[test]
fn message_intermediate_throw_event_test_single_intermediate_throw_message_event_service_task_behavior(
) {
    let xml = definitions(
        &process_element(
            "p",
            r#"<startEvent id="start"/>
               <intermediateThrowEvent id="messageThrow"><messageEventDefinition messageRef="m" camunda:type="external" camunda:topic="send"/></intermediateThrowEvent>
               <endEvent id="end"/>"#,
            "start -> messageThrow -> end",
        ),
        r#"<message id="m" name="thrown"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.external_tasks(), ["send@messageThrow"]);
    assert_eq!(h.active(), ["messageThrow"]);
    h.complete("messageThrow", none());
    assert!(h.ended());
}

/// A link throw event jumps to the link catch event with the same name; neither leaves a
/// trace in history.
#[test]
fn link_event_test_valid_event_link() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <intermediateThrowEvent id="linkThrow"><linkEventDefinition name="LinkA"/></intermediateThrowEvent>
               <intermediateCatchEvent id="linkCatch"><linkEventDefinition name="LinkA"/></intermediateCatchEvent>
               {}<endEvent id="end"/>"#,
            usr("waitAfterLink")
        ),
        "start -> linkThrow; linkCatch -> waitAfterLink -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["waitAfterLink"]);
    assert_eq!(h.active(), ["waitAfterLink"]);
    assert_eq!(
        h.history,
        ["start:start", "end:start", "start:waitAfterLink"]
    );
    h.complete_user("waitAfterLink", none());
    assert!(h.ended());
    assert!(!h.history.iter().any(|e| e.contains("link")));
}

/// Several link throw events may target one catch event.
#[test]
fn link_event_test_event_link_multiple_sources() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><parallelGateway id="fork"/>
               <intermediateThrowEvent id="linkThrow1"><linkEventDefinition name="LinkA"/></intermediateThrowEvent>
               <intermediateThrowEvent id="linkThrow2"><linkEventDefinition name="LinkA"/></intermediateThrowEvent>
               <intermediateCatchEvent id="linkCatch"><linkEventDefinition name="LinkA"/></intermediateCatchEvent>
               {}<endEvent id="end"/>"#,
            usr("waitAfterLink")
        ),
        "start -> fork; fork -> linkThrow1; fork -> linkThrow2; linkCatch -> waitAfterLink -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["waitAfterLink", "waitAfterLink"]);
    assert!(matches!(
        h.kind("linkCatch"),
        NodeKind::IntermediateCatch {
            trigger: EventTrigger::Link { .. }
        }
    ));
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:fork",
            "end:fork",
            "start:waitAfterLink",
            "start:waitAfterLink"
        ]
    );
}
