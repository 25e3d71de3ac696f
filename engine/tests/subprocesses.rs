//! Embedded subprocesses and event subprocesses, step by step, mirroring Camunda 7's
//! SubProcessTest, MessageEventSubprocessTest, SignalEventTest (event subprocess starts)
//! and the activity-instance trees of ActivityInstanceTest.

mod support;
use support::*;

use procos_engine::runtime::Wait;

/// A subprocess body: start -> `inner` (user tasks, chained) -> end.
fn sub(id: &str, inner: &str, extra: &str) -> String {
    let tasks: Vec<&str> = inner.split_whitespace().collect();
    let mut chain = vec![format!("{id}Start")];
    chain.extend(tasks.iter().map(|t| (*t).to_owned()));
    chain.push(format!("{id}End"));
    let flows: String = chain
        .windows(2)
        .map(|w| {
            format!(
                r#"<sequenceFlow id="{0}_{1}" sourceRef="{0}" targetRef="{1}"/>"#,
                w[0], w[1]
            )
        })
        .collect();
    format!(
        r#"<subProcess id="{id}"><startEvent id="{id}Start"/>{}<endEvent id="{id}End"/>{flows}{extra}</subProcess>"#,
        usr(inner)
    )
}

/// A subprocess is an activity instance of its own that holds the tokens inside it; it
/// completes when its last inner path ends, then leaves by its outgoing flow.
#[test]
fn sub_process_test_simple_sub_process() {
    let xml = process(
        &format!(
            "{}{}{}",
            start_end("theEnd"),
            sub("subProcess", "subProcessTask", ""),
            usr("task")
        ),
        "start -> subProcess -> task -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["subProcessTask"]);
    assert_eq!(h.tree(), "p\n  subProcess\n    subProcessTask\n");
    assert_eq!(h.waits("subProcess"), [Wait::Scope]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:subProcess",
            "start:subProcessStart",
            "end:subProcessStart",
            "start:subProcessTask"
        ]
    );

    h.complete_user("subProcessTask", none());
    assert_eq!(h.tree(), "p\n  task\n");
    let tail: Vec<&str> = h.history[6..].iter().map(String::as_str).collect();
    assert_eq!(
        tail,
        [
            "end:subProcessTask",
            "start:subProcessEnd",
            "end:subProcessEnd",
            "end:subProcess",
            "start:task"
        ]
    );
    h.complete_user("task", none());
    assert!(h.ended());
}

/// A subprocess whose inner path has no end event completes when that path stops.
#[test]
fn sub_process_test_simple_sub_process_without_end_event() {
    let xml = process(
        &format!(
            r#"{}<subProcess id="subProcess">
                 <startEvent id="subStart"/><userTask id="subTask"/>
                 <sequenceFlow id="s1" sourceRef="subStart" targetRef="subTask"/>
               </subProcess>{}"#,
            start_end("end"),
            usr("after")
        ),
        "start -> subProcess -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  subProcess\n    subTask\n");
    h.complete_user("subTask", none());
    assert_eq!(h.tree(), "p\n  after\n");
}

/// Subprocesses nest: each level is an activity instance inside its parent.
#[test]
fn sub_process_test_nested_simple_sub_process() {
    let xml = process(
        &format!(
            r#"{}<subProcess id="outerSubProcess">
                 <startEvent id="outerStart"/>{}<endEvent id="outerEnd"/>
                 <sequenceFlow id="o1" sourceRef="outerStart" targetRef="innerSubProcess"/>
                 <sequenceFlow id="o2" sourceRef="innerSubProcess" targetRef="outerEnd"/>
               </subProcess>{}"#,
            start_end("end"),
            sub("innerSubProcess", "innerSubProcessTask", ""),
            usr("afterSubProcessTask")
        ),
        "start -> outerSubProcess -> afterSubProcessTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.tree(),
        "p\n  outerSubProcess\n    innerSubProcess\n      innerSubProcessTask\n"
    );
    h.complete_user("innerSubProcessTask", none());
    assert_eq!(h.tree(), "p\n  afterSubProcessTask\n");
    let ends: Vec<&str> = h
        .history
        .iter()
        .filter(|e| e.starts_with("end:"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        ends,
        [
            "end:start",
            "end:outerStart",
            "end:innerSubProcessStart",
            "end:innerSubProcessTask",
            "end:innerSubProcessEnd",
            "end:innerSubProcess",
            "end:outerEnd",
            "end:outerSubProcess"
        ]
    );
}

/// Two subprocesses in parallel, each with its own tokens; the join waits for both.
#[test]
fn sub_process_test_simple_parallel_sub_process() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><parallelGateway id="join"/>{}{}{}"#,
            start_end("end"),
            sub("subA", "taskA", ""),
            sub("subB", "taskB1 taskB2", ""),
            usr("after")
        ),
        "start -> fork; fork -> subA -> join; fork -> subB -> join; join -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  subA\n    taskA\n  subB\n    taskB1\n");
    h.complete_user("taskB1", none());
    assert_eq!(h.tree(), "p\n  subA\n    taskA\n  subB\n    taskB2\n");
    h.complete_user("taskA", none());
    assert_eq!(h.tree(), "p\n  join\n  subB\n    taskB2\n");
    h.complete_user("taskB2", none());
    assert_eq!(h.tree(), "p\n  after\n");
}

/// Variables set inside a subprocess with `setVariable` semantics go to the process
/// unless the subprocess already has a local variable of that name.
#[test]
fn sub_process_test_variables_propagate_to_the_nearest_scope_that_has_them() {
    let xml = process(
        &format!(
            r#"{}<subProcess id="subProcess">
                 <extensionElements><camunda:inputOutput><camunda:inputParameter name="local">in sub</camunda:inputParameter></camunda:inputOutput></extensionElements>
                 <startEvent id="subStart"/><serviceTask id="work" camunda:type="external" camunda:topic="work"/><userTask id="wait"/><endEvent id="subEnd"/>
                 <sequenceFlow id="s1" sourceRef="subStart" targetRef="work"/>
                 <sequenceFlow id="s2" sourceRef="work" targetRef="wait"/>
                 <sequenceFlow id="s3" sourceRef="wait" targetRef="subEnd"/>
               </subProcess>{}"#,
            start_end("end"),
            usr("after")
        ),
        "start -> subProcess -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.local_var("subProcess", "local"), Some(text("in sub")));
    h.complete(
        "work",
        vars(&[("local", text("changed")), ("global", text("g"))]),
    );
    assert_eq!(h.local_var("subProcess", "local"), Some(text("changed")));
    assert_eq!(h.var("local"), None);
    assert_eq!(h.var("global"), Some(text("g")));

    h.complete_user("wait", none());
    assert_eq!(h.tree(), "p\n  after\n");
    assert_eq!(
        h.var("local"),
        None,
        "the subprocess's local variables end with it"
    );
    assert_eq!(h.var("global"), Some(text("g")));
}

// ----- event subprocesses -----------------------------------------------------------------

fn message_esp(interrupting: bool) -> String {
    definitions(
        &process_element(
            "p",
            &format!(
                r#"{}{}<subProcess id="eventSubProcess" triggeredByEvent="true">
                     <startEvent id="eventSubProcessStart" isInterrupting="{interrupting}"><messageEventDefinition messageRef="m"/></startEvent>
                     <userTask id="eventSubProcessTask"/><endEvent id="eventSubProcessEnd"/>
                     <sequenceFlow id="e1" sourceRef="eventSubProcessStart" targetRef="eventSubProcessTask"/>
                     <sequenceFlow id="e2" sourceRef="eventSubProcessTask" targetRef="eventSubProcessEnd"/>
                   </subProcess>"#,
                start_end("end"),
                usr("task")
            ),
            "start -> task -> end",
        ),
        r#"<message id="m" name="newMessage"/>"#,
    )
}

/// An interrupting message event subprocess at process level: the main flow is cancelled,
/// the event subprocess runs, and the instance ends with it.
#[test]
fn message_event_subprocess_test_interrupting_under_process_definition() {
    let mut h = Harness::new(&message_esp(true));
    h.start(none());
    assert_eq!(h.user_tasks(), ["task"]);
    assert_eq!(
        h.subscriptions(),
        ["message:newMessage@eventSubProcessStart"]
    );

    h.message("newMessage", vars(&[("payload", text("x"))]));
    assert_eq!(h.user_tasks(), ["eventSubProcessTask"]);
    assert_eq!(h.tree(), "p\n  eventSubProcess\n    eventSubProcessTask\n");
    assert!(
        h.subscriptions().is_empty(),
        "an interrupting start fires once"
    );
    assert!(h.history.contains(&"cancel:task".to_owned()));
    assert_eq!(h.var("payload"), Some(text("x")));

    h.complete_user("eventSubProcessTask", none());
    assert!(h.ended());
    assert!(!h.history.contains(&"start:end".to_owned()));
}

/// A non-interrupting message event subprocess runs next to the main flow, once per
/// message; the instance ends when both are done.
#[test]
fn message_event_subprocess_test_non_interrupting_under_process_definition() {
    let mut h = Harness::new(&message_esp(false));
    h.start(none());
    h.message("newMessage", none());
    assert_eq!(h.user_tasks(), ["eventSubProcessTask", "task"]);
    assert_eq!(
        h.tree(),
        "p\n  eventSubProcess\n    eventSubProcessTask\n  task\n"
    );
    assert_eq!(
        h.subscriptions(),
        ["message:newMessage@eventSubProcessStart"]
    );

    h.message("newMessage", none());
    assert_eq!(
        h.user_tasks(),
        ["eventSubProcessTask", "eventSubProcessTask", "task"]
    );

    h.complete_user("task", none());
    assert!(!h.ended());
    assert_eq!(
        h.subscriptions(),
        ["message:newMessage@eventSubProcessStart"],
        "the scope lives on, and so does its subscription"
    );
    h.complete_user("eventSubProcessTask", none())
        .complete_user("eventSubProcessTask", none());
    assert!(h.ended());
    assert!(h.subscriptions().is_empty());
}

fn message_esp_in_subprocess(interrupting: bool) -> String {
    let esp = format!(
        r#"<subProcess id="eventSubProcess" triggeredByEvent="true">
             <startEvent id="eventSubProcessStart" isInterrupting="{interrupting}"><messageEventDefinition messageRef="m"/></startEvent>
             <userTask id="eventSubProcessTask"/><endEvent id="eventSubProcessEnd"/>
             <sequenceFlow id="e1" sourceRef="eventSubProcessStart" targetRef="eventSubProcessTask"/>
             <sequenceFlow id="e2" sourceRef="eventSubProcessTask" targetRef="eventSubProcessEnd"/>
           </subProcess>"#
    );
    definitions(
        &process_element(
            "p",
            &format!(
                "{}{}{}",
                start_end("end"),
                sub("subProcess", "innerTask", &esp),
                usr("afterSubProcess")
            ),
            "start -> subProcess -> afterSubProcess -> end",
        ),
        r#"<message id="m" name="newMessage"/>"#,
    )
}

/// An interrupting event subprocess inside a subprocess cancels only that subprocess's
/// content; when it ends, the subprocess completes and the process continues.
#[test]
fn message_event_subprocess_test_interrupting_in_sub_process() {
    let mut h = Harness::new(&message_esp_in_subprocess(true));
    h.start(none());
    assert_eq!(
        h.subscriptions(),
        ["message:newMessage@eventSubProcessStart"]
    );
    assert_eq!(h.tree(), "p\n  subProcess\n    innerTask\n");

    h.message("newMessage", none());
    assert_eq!(
        h.tree(),
        "p\n  subProcess\n    eventSubProcess\n      eventSubProcessTask\n"
    );
    assert!(h.subscriptions().is_empty());

    h.complete_user("eventSubProcessTask", none());
    assert_eq!(h.tree(), "p\n  afterSubProcess\n");
}

/// A non-interrupting event subprocess inside a subprocess: the subprocess waits for both
/// its main path and the event subprocess (Camunda's testNonInterruptingActivityInstanceTree).
#[test]
fn message_event_subprocess_test_non_interrupting_activity_instance_tree() {
    let mut h = Harness::new(&message_esp_in_subprocess(false));
    h.start(none());
    h.message("newMessage", none());
    assert_eq!(
        h.tree(),
        "p\n  subProcess\n    eventSubProcess\n      eventSubProcessTask\n    innerTask\n"
    );
    h.complete_user("innerTask", none());
    assert_eq!(
        h.tree(),
        "p\n  subProcess\n    eventSubProcess\n      eventSubProcessTask\n"
    );
    assert_eq!(
        h.subscriptions(),
        ["message:newMessage@eventSubProcessStart"]
    );
    h.complete_user("eventSubProcessTask", none());
    assert_eq!(h.tree(), "p\n  afterSubProcess\n");
    assert!(
        h.subscriptions().is_empty(),
        "the subprocess ended, and its subscription with it"
    );
}

/// A terminate end event inside a non-interrupting event subprocess ends only the event
/// subprocess; the subprocess's main path continues.
#[test]
fn message_event_subprocess_test_non_interrupting_with_terminating_end_event() {
    let esp = r#"<subProcess id="SubProcess_2" triggeredByEvent="true">
                   <startEvent id="StartEvent_3" isInterrupting="false"><messageEventDefinition messageRef="m"/></startEvent>
                   <userTask id="UserTask_2" name="Event User Task"/>
                   <endEvent id="EndEvent_3"><terminateEventDefinition/></endEvent>
                   <boundaryEvent id="BoundaryEvent_1" attachedToRef="UserTask_2"><timerEventDefinition><timeDuration>P1D</timeDuration></timerEventDefinition></boundaryEvent>
                   <userTask id="UserTask_3"/><endEvent id="EndEvent_4"/>
                   <sequenceFlow id="e1" sourceRef="StartEvent_3" targetRef="UserTask_2"/>
                   <sequenceFlow id="e2" sourceRef="UserTask_2" targetRef="EndEvent_3"/>
                   <sequenceFlow id="e3" sourceRef="BoundaryEvent_1" targetRef="UserTask_3"/>
                   <sequenceFlow id="e4" sourceRef="UserTask_3" targetRef="EndEvent_4"/>
                 </subProcess>"#;
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                "{}{}",
                start_end("EndEvent_2"),
                sub("SubProcess_1", "UserTask_1", esp)
            ),
            "start -> SubProcess_1 -> EndEvent_2",
        ),
        r#"<message id="m" name="message"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.message("message", none());
    assert_eq!(
        h.tree(),
        "p\n  SubProcess_1\n    SubProcess_2\n      UserTask_2\n    UserTask_1\n"
    );
    assert_eq!(h.timers(), ["BoundaryEvent_1@+86400s"]);

    h.complete_user("UserTask_2", none());
    assert_eq!(h.tree(), "p\n  SubProcess_1\n    UserTask_1\n");
    assert!(h.timers().is_empty());
    assert!(!h.ended());
}

/// A non-interrupting signal start event of an event subprocess: each signal starts one
/// more event subprocess instance next to the main flow.
#[test]
fn signal_event_test_non_interrupting_signal_start_event_in_event_sub_process() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}{}<subProcess id="eventSubProcess" triggeredByEvent="true">
                     <startEvent id="signalStart" isInterrupting="false"><signalEventDefinition signalRef="alert"/></startEvent>
                     <serviceTask id="handleAlert" camunda:type="external" camunda:topic="alerts"/><endEvent id="espEnd"/>
                     <sequenceFlow id="e1" sourceRef="signalStart" targetRef="handleAlert"/>
                     <sequenceFlow id="e2" sourceRef="handleAlert" targetRef="espEnd"/>
                   </subProcess>"#,
                start_end("end"),
                usr("task")
            ),
            "start -> task -> end",
        ),
        r#"<signal id="alert" name="alert"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.subscriptions(), ["signal:alert@signalStart"]);
    h.signal("alert");
    h.signal("alert");
    assert_eq!(
        h.external_tasks(),
        ["alerts@handleAlert", "alerts@handleAlert"]
    );
    assert_eq!(h.user_tasks(), ["task"]);
    assert_eq!(h.subscriptions(), ["signal:alert@signalStart"]);
    h.complete("handleAlert", none())
        .complete("handleAlert", none());
    assert_eq!(h.tree(), "p\n  task\n");
}

/// Activity instances mirror Camunda's activity-instance tree: the process instance at the
/// root, subprocesses and event subprocesses as scopes, waiting activities as leaves (a
/// parallel join waiting for its partner is one too).
#[test]
fn activity_instance_test_activity_instance_tree_of_nested_scopes() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<parallelGateway id="fork"/><parallelGateway id="join"/>
                   <subProcess id="outer">
                     <startEvent id="outerStart"/><parallelGateway id="innerFork"/>
                     {}{}
                     <endEvent id="outerEnd1"/><endEvent id="outerEnd2"/>
                     <sequenceFlow id="o1" sourceRef="outerStart" targetRef="innerFork"/>
                     <sequenceFlow id="o2" sourceRef="innerFork" targetRef="inner"/>
                     <sequenceFlow id="o3" sourceRef="innerFork" targetRef="outerTask"/>
                     <sequenceFlow id="o4" sourceRef="inner" targetRef="outerEnd1"/>
                     <sequenceFlow id="o5" sourceRef="outerTask" targetRef="outerEnd2"/>
                   </subProcess>{}"#,
                start_end("end"),
                sub("inner", "innerTask", ""),
                ext("outerTask"),
                ext("sideTask")
            ),
            "start -> fork; fork -> outer -> join; fork -> sideTask -> join; join -> end",
        ),
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.tree(),
        "p\n  outer\n    inner\n      innerTask\n    outerTask\n  sideTask\n"
    );
    h.complete("sideTask", none());
    assert_eq!(
        h.tree(),
        "p\n  join\n  outer\n    inner\n      innerTask\n    outerTask\n"
    );
    h.complete_user("innerTask", none());
    assert_eq!(h.tree(), "p\n  join\n  outer\n    outerTask\n");
    h.complete("outerTask", none());
    assert!(h.ended());
}

/// A whole order scenario, snapshotted after every step: the token tree with its waits and
/// local variables, the open tasks, subscriptions and timers. A change in any of them
/// shows up as a snapshot diff.
#[test]
fn snapshot_order_scenario_step_by_step() {
    let esp = r#"<subProcess id="customerCalls" triggeredByEvent="true">
                   <startEvent id="callStart" isInterrupting="false"><messageEventDefinition messageRef="call"/></startEvent>
                   <userTask id="answerCall" camunda:assignee="${clerk}"/><endEvent id="callEnd"/>
                   <sequenceFlow id="c1" sourceRef="callStart" targetRef="answerCall"/>
                   <sequenceFlow id="c2" sourceRef="answerCall" targetRef="callEnd"/>
                 </subProcess>"#;
    let xml = definitions(
        &process_element(
            "order",
            &format!(
                r#"<startEvent id="start"/>
                   <subProcess id="fulfil">
                     <extensionElements><camunda:inputOutput>
                       <camunda:inputParameter name="clerk">${{owner}}</camunda:inputParameter>
                       <camunda:outputParameter name="shipped">${{tracking != null}}</camunda:outputParameter>
                     </camunda:inputOutput></extensionElements>
                     <startEvent id="fulfilStart"/><parallelGateway id="fork"/><parallelGateway id="join"/>
                     <serviceTask id="reserve" camunda:type="external" camunda:topic="stock" camunda:taskPriority="5"/>
                     <userTask id="approve" camunda:assignee="${{clerk}}"/>
                     <boundaryEvent id="remind" attachedToRef="approve" cancelActivity="false"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
                     <serviceTask id="sendReminder" camunda:type="external" camunda:topic="mail"/>
                     <serviceTask id="ship" camunda:type="external" camunda:topic="shipping"/>
                     <endEvent id="fulfilEnd"/><endEvent id="reminderEnd"/>
                     <sequenceFlow id="f1" sourceRef="fulfilStart" targetRef="fork"/>
                     <sequenceFlow id="f2" sourceRef="fork" targetRef="reserve"/>
                     <sequenceFlow id="f3" sourceRef="fork" targetRef="approve"/>
                     <sequenceFlow id="f4" sourceRef="reserve" targetRef="join"/>
                     <sequenceFlow id="f5" sourceRef="approve" targetRef="join"/>
                     <sequenceFlow id="f6" sourceRef="join" targetRef="ship"/>
                     <sequenceFlow id="f7" sourceRef="ship" targetRef="fulfilEnd"/>
                     <sequenceFlow id="f8" sourceRef="remind" targetRef="sendReminder"/>
                     <sequenceFlow id="f9" sourceRef="sendReminder" targetRef="reminderEnd"/>
                     {esp}
                   </subProcess>
                   <boundaryEvent id="cancelled" attachedToRef="fulfil"><messageEventDefinition messageRef="cancel"/></boundaryEvent>
                   <userTask id="refund"/><userTask id="invoice"/><endEvent id="end"/><endEvent id="cancelEnd"/>"#
            ),
            "start -> fulfil -> invoice -> end; cancelled -> refund -> cancelEnd",
        ),
        r#"<message id="call" name="customerCall"/><message id="cancel" name="cancelOrder"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[
        ("owner", text("kermit")),
        ("tracking", procos_engine::value::Value::Null),
    ]));
    insta::assert_snapshot!("1_started", h.dump());

    h.advance(3600);
    insta::assert_snapshot!("2_reminder_timer_fired", h.dump());

    h.message("customerCall", vars(&[("caller", text("piggy"))]));
    insta::assert_snapshot!("3_customer_called", h.dump());

    h.complete("reserve", none())
        .complete("sendReminder", none());
    insta::assert_snapshot!("4_reserved_and_reminded", h.dump());

    h.complete_user("approve", none());
    insta::assert_snapshot!("5_approved", h.dump());

    h.complete("ship", vars(&[("tracking", text("TRK-1"))]));
    insta::assert_snapshot!("6_shipped_waiting_for_the_call", h.dump());

    h.complete_user("answerCall", none());
    insta::assert_snapshot!("7_fulfilled", h.dump());

    h.complete_user("invoice", none());
    insta::assert_snapshot!("8_ended", h.dump());
    assert!(h.ended());
}

/// An interrupting signal event subprocess inside a subprocess replaces the subprocess's
/// content; the process outside goes on.
#[test]
fn signal_event_test_interrupting_signal_start_event_in_event_sub_process_of_subprocess() {
    let esp = r#"<subProcess id="eventSubProcess" triggeredByEvent="true">
                   <startEvent id="signalStart"><signalEventDefinition signalRef="alert"/></startEvent>
                   <endEvent id="espEnd"/>
                   <sequenceFlow id="e1" sourceRef="signalStart" targetRef="espEnd"/>
                 </subProcess>"#;
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<parallelGateway id="fork"/>{}{}"#,
                start_end("end1 end2"),
                sub("subProcess", "innerTask", esp),
                usr("outsideTask")
            ),
            "start -> fork; fork -> subProcess -> end1; fork -> outsideTask -> end2",
        ),
        r#"<signal id="alert" name="alert"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  outsideTask\n  subProcess\n    innerTask\n");
    h.signal("alert");
    assert_eq!(h.tree(), "p\n  outsideTask\n");
    assert!(h.history.contains(&"cancel:innerTask".to_owned()));
    assert!(h.history.contains(&"end:subProcess".to_owned()));
    assert!(h.subscriptions().is_empty());
}

/// Deleting an instance cancels every activity instance, innermost first, and removes its
/// tasks, subscriptions and timers.
#[test]
fn runtime_service_test_delete_process_instance() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}{}<boundaryEvent id="timer" attachedToRef="subProcess"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
                   <intermediateCatchEvent id="never"><messageEventDefinition messageRef="m"/></intermediateCatchEvent>"#,
                start_end("end"),
                sub("subProcess", "innerTask", "")
            ),
            "start -> subProcess -> never -> end; timer -> end",
        ),
        r#"<message id="m" name="never"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.timers(), ["timer@+3600s"]);
    h.cancel();
    assert!(h.ended());
    assert_eq!(
        h.end_state(),
        Some(procos_engine::runtime::EndState::ExternallyTerminated)
    );
    assert!(h.user_tasks().is_empty() && h.timers().is_empty() && h.subscriptions().is_empty());
    let tail: Vec<&str> = h
        .history
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["cancel:innerTask", "cancel:subProcess", "instance-end"]
    );
}

/// The message name of an event subprocess's start event may be an expression; it is
/// evaluated when the subscription opens.
#[test]
fn message_event_subprocess_test_expression_in_message_name_in_interrupting_sub_process_definition()
{
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}{}<subProcess id="sub1" triggeredByEvent="true">
                     <startEvent id="eventProcessStart"><messageEventDefinition messageRef="messageId"/></startEvent>
                     <userTask id="eventSubProcessTask"/><endEvent id="eventSubProcessEnd"/>
                     <sequenceFlow id="e1" sourceRef="eventProcessStart" targetRef="eventSubProcessTask"/>
                     <sequenceFlow id="e2" sourceRef="eventSubProcessTask" targetRef="eventSubProcessEnd"/>
                   </subProcess>"#,
                start_end("theEnd"),
                usr("task")
            ),
            "start -> task -> theEnd",
        ),
        r#"<message id="messageId" name="newMessage-${'foo'}"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.subscriptions(),
        ["message:newMessage-foo@eventProcessStart"]
    );
    h.message("newMessage-foo", none());
    assert_eq!(h.tree(), "p\n  sub1\n    eventSubProcessTask\n");
}
