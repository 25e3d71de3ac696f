//! BPMN errors and escalations, step by step, mirroring Camunda 7's BoundaryErrorEventTest,
//! ErrorEndEventTest, ErrorEventSubProcessTest, ExternalTaskServiceTest (handleBpmnError),
//! UnhandledBpmnErrorTest, EscalationEventTest and EscalationEventSubprocessTest.

mod support;
use support::*;

use procos_engine::runtime::EndState;

const ERRORS: &str = r#"<error id="myError" errorCode="myErrorCode" name="My error"/>
<error id="otherError" errorCode="otherErrorCode" name="Other error"/>
<escalation id="escalation" escalationCode="escalationCode" name="escalation"/>
<escalation id="otherEscalation" escalationCode="otherCode" name="other escalation"/>"#;

fn with_errors(elements: &str, flows: &str) -> String {
    definitions(&process_element("p", elements, flows), ERRORS)
}

/// A subprocess body with an external task `work` that may fail.
fn sub_with_work(id: &str, extra: &str) -> String {
    format!(
        r#"<subProcess id="{id}">
             <startEvent id="{id}Start"/>
             <serviceTask id="work" camunda:type="external" camunda:topic="work"/>
             <endEvent id="{id}End"/>
             <sequenceFlow id="{id}_f1" sourceRef="{id}Start" targetRef="work"/>
             <sequenceFlow id="{id}_f2" sourceRef="work" targetRef="{id}End"/>
             {extra}
           </subProcess>"#
    )
}

// ----- errors -----------------------------------------------------------------------------

/// An error end event inside a subprocess is caught by the error boundary event on the
/// subprocess, which is cancelled.
#[test]
fn boundary_error_event_test_catch_error_on_embedded_subprocess() {
    let xml = with_errors(
        &format!(
            r#"{}<subProcess id="subprocess">
                 <startEvent id="subStart"/><userTask id="subTask"/>
                 <endEvent id="subErrorEnd"><errorEventDefinition errorRef="myError"/></endEvent>
                 <sequenceFlow id="s1" sourceRef="subStart" targetRef="subTask"/>
                 <sequenceFlow id="s2" sourceRef="subTask" targetRef="subErrorEnd"/>
               </subProcess>
               <boundaryEvent id="catchError" attachedToRef="subprocess"><errorEventDefinition errorRef="myError"/></boundaryEvent>
               {}"#,
            start_end("end"),
            usr("taskAfterErrorCatch")
        ),
        "start -> subprocess -> end; catchError -> taskAfterErrorCatch -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  subprocess\n    subTask\n");

    h.complete_user("subTask", none());
    assert_eq!(h.tree(), "p\n  taskAfterErrorCatch\n");
    assert_eq!(h.user_tasks(), ["taskAfterErrorCatch"]);
    // The subprocess is cancelled before the boundary path starts.
    let pos = |e: &str| {
        h.history
            .iter()
            .position(|x| x == e)
            .unwrap_or_else(|| panic!("{e}: {:?}", h.history))
    };
    assert!(pos("end:subTask") < pos("start:subErrorEnd"));
    assert!(pos("start:subErrorEnd") < pos("cancel:subprocess"));
    assert!(pos("cancel:subprocess") < pos("start:catchError"));
    assert_eq!(
        h.history.last().map(String::as_str),
        Some("start:taskAfterErrorCatch")
    );
    h.complete_user("taskAfterErrorCatch", none());
    assert!(h.ended());
}

/// `camunda:errorCodeVariable` and `camunda:errorMessageVariable` on a catch-all boundary
/// event receive the caught error's code and message.
#[test]
fn boundary_error_event_test_catch_error_on_subprocess_sets_error_variables() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<subProcess id="SubProcess_1">
                     <startEvent id="StartEvent_2"/>
                     <endEvent id="EndEvent_1"><errorEventDefinition errorRef="myError1"/></endEvent>
                     <sequenceFlow id="s1" sourceRef="StartEvent_2" targetRef="EndEvent_1"/>
                   </subProcess>
                   <boundaryEvent id="BoundaryEvent_1" attachedToRef="SubProcess_1">
                     <errorEventDefinition camunda:errorCodeVariable="errorVariable" camunda:errorMessageVariable="errorMessageVariable"/>
                   </boundaryEvent>{}"#,
                start_end("end"),
                usr("UserTask_1")
            ),
            "start -> SubProcess_1 -> end; BoundaryEvent_1 -> UserTask_1 -> end",
        ),
        r#"<error id="myError1" errorCode="error1" name="1" camunda:errorMessage="the message of error1"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["UserTask_1"]);
    assert_eq!(h.var("errorVariable"), Some(text("error1")));
    assert_eq!(
        h.var("errorMessageVariable"),
        Some(text("the message of error1"))
    );
}

/// A boundary event with a specific errorRef is preferred over a catch-all one on the same
/// activity, whatever their order in the XML; other codes go to the catch-all.
#[test]
fn boundary_error_event_test_catch_error_by_code_before_catch_all() {
    let xml = with_errors(
        &format!(
            r#"{}{}
               <boundaryEvent id="catchAll" attachedToRef="work"><errorEventDefinition camunda:errorCodeVariable="code"/></boundaryEvent>
               <boundaryEvent id="catchMine" attachedToRef="work"><errorEventDefinition errorRef="myError"/></boundaryEvent>
               {}"#,
            start_end("end"),
            ext("work"),
            usr("afterCatchAll afterCatchMine")
        ),
        "start -> work -> end; catchAll -> afterCatchAll -> end; catchMine -> afterCatchMine -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "myErrorCode");
    assert_eq!(h.user_tasks(), ["afterCatchMine"]);
    assert!(h.external_tasks().is_empty());
    assert_eq!(h.var("code"), None);

    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "somethingElse");
    assert_eq!(h.user_tasks(), ["afterCatchAll"]);
    assert_eq!(h.var("code"), Some(text("somethingElse")));
}

/// An error end event nobody catches behaves like a none end event: the instance completes.
#[test]
fn error_end_event_test_error() {
    let xml = with_errors(
        r#"<startEvent id="start"/><endEvent id="errorEnd"><errorEventDefinition errorRef="myError"/></endEvent>"#,
        "start -> errorEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert!(h.ended());
    assert_eq!(h.end_state(), Some(EndState::Completed));
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:errorEnd",
            "end:errorEnd",
            "instance-end"
        ]
    );
}

/// An uncaught error end event in one branch ends only that branch.
#[test]
fn unhandled_bpmn_error_test_uncaught_error_in_one_branch() {
    let xml = with_errors(
        &format!(
            r#"<startEvent id="start"/><parallelGateway id="fork"/>
               <endEvent id="errorEnd"><errorEventDefinition errorRef="myError"/></endEvent>
               {}<endEvent id="end"/>"#,
            usr("task")
        ),
        "start -> fork; fork -> errorEnd; fork -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["task"]);
    assert!(!h.ended());
    h.complete_user("task", none());
    assert!(h.ended());
}

/// `handleBpmnError` on an external task with a matching error boundary event cancels the
/// task and follows the boundary path.
#[test]
fn external_task_service_test_handle_bpmn_error() {
    let xml = with_errors(
        &format!(
            r#"{}{}<boundaryEvent id="errorBoundary" attachedToRef="externalTask"><errorEventDefinition errorRef="myError"/></boundaryEvent>{}"#,
            start_end("end"),
            ext("externalTask"),
            usr("afterBpmnError")
        ),
        "start -> externalTask -> end; errorBoundary -> afterBpmnError -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.external_tasks(), ["externalTask@externalTask"]);
    h.bpmn_error("externalTask", "myErrorCode");
    assert!(h.external_tasks().is_empty());
    assert_eq!(h.user_tasks(), ["afterBpmnError"]);
    assert_eq!(h.active(), ["afterBpmnError"]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:externalTask",
            "cancel:externalTask",
            "start:errorBoundary",
            "end:errorBoundary",
            "start:afterBpmnError"
        ]
    );
}

/// `handleBpmnError` with no boundary event anywhere ends the process instance (none end
/// event semantics for the failing path).
#[test]
fn external_task_service_test_handle_bpmn_error_without_defined_boundary() {
    let xml = process(
        &format!("{}{}", start_end("end"), ext("externalTask")),
        "start -> externalTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("externalTask", "ERROR-OCCURED");
    assert!(h.ended());
    assert_eq!(h.end_state(), Some(EndState::Completed));
    assert!(h.external_tasks().is_empty());
    assert!(
        !h.history.contains(&"start:end".to_owned()),
        "the normal end event is not reached"
    );
}

/// A BPMN error from an external task deep inside nested subprocesses propagates outward
/// to the innermost scope that catches it; the scopes in between are cancelled.
#[test]
fn boundary_error_event_test_catch_error_thrown_by_external_task_in_nested_subprocess() {
    let xml = with_errors(
        &format!(
            r#"{}<subProcess id="outer">
                 <startEvent id="outerStart"/>{}<endEvent id="outerEnd"/>
                 <sequenceFlow id="o1" sourceRef="outerStart" targetRef="inner"/>
                 <sequenceFlow id="o2" sourceRef="inner" targetRef="outerEnd"/>
               </subProcess>
               <boundaryEvent id="catchOnOuter" attachedToRef="outer"><errorEventDefinition errorRef="myError"/></boundaryEvent>
               {}"#,
            start_end("end"),
            sub_with_work("inner", ""),
            usr("afterCatch")
        ),
        "start -> outer -> end; catchOnOuter -> afterCatch -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  outer\n    inner\n      work\n");
    h.bpmn_error("work", "myErrorCode");
    assert_eq!(h.tree(), "p\n  afterCatch\n");
    for cancelled in ["cancel:work", "cancel:inner", "cancel:outer"] {
        assert!(h.history.contains(&cancelled.to_owned()), "{cancelled}");
    }
}

/// An error event subprocess inside the subprocess where the error is thrown wins over a
/// catch-all boundary event on that subprocess: the innermost handler is used.
#[test]
fn error_event_sub_process_test_event_subprocess_takes_precedence() {
    let esp = r#"<subProcess id="eventSubProcess" triggeredByEvent="true">
                   <startEvent id="catchErrorInEsp"><errorEventDefinition/></startEvent>
                   <userTask id="escalatedTask" name="Escalated Task"/>
                   <endEvent id="espEnd"/>
                   <sequenceFlow id="e1" sourceRef="catchErrorInEsp" targetRef="escalatedTask"/>
                   <sequenceFlow id="e2" sourceRef="escalatedTask" targetRef="espEnd"/>
                 </subProcess>"#;
    let xml = with_errors(
        &format!(
            r#"{}{}<boundaryEvent id="catchAllBoundary" attachedToRef="subprocess"><errorEventDefinition/></boundaryEvent>{}"#,
            start_end("end"),
            sub_with_work("subprocess", esp),
            usr("afterBoundary")
        ),
        "start -> subprocess -> end; catchAllBoundary -> afterBoundary -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "myErrorCode");
    assert_eq!(h.user_tasks(), ["escalatedTask"]);
    assert_eq!(
        h.tree(),
        "p\n  subprocess\n    eventSubProcess\n      escalatedTask\n"
    );
    assert_eq!(
        h.user_spec("escalatedTask").name.as_deref(),
        Some("Escalated Task")
    );

    // The event subprocess completes its subprocess, which then leaves normally.
    h.complete_user("escalatedTask", none());
    assert!(h.ended());
    assert!(h.history.contains(&"end:subprocess".to_owned()));
    assert!(!h.history.contains(&"start:afterBoundary".to_owned()));
}

/// Among the event subprocesses of one scope, the one for the error's code wins over a
/// catch-all one.
#[test]
fn error_event_sub_process_test_error_code_takes_precedence() {
    let esps = r#"<subProcess id="catchAllEsp" triggeredByEvent="true">
                    <startEvent id="catchAllStart"><errorEventDefinition/></startEvent>
                    <userTask id="taskAfterErrorCatch"/><endEvent id="e1End"/>
                    <sequenceFlow id="e1" sourceRef="catchAllStart" targetRef="taskAfterErrorCatch"/>
                    <sequenceFlow id="e2" sourceRef="taskAfterErrorCatch" targetRef="e1End"/>
                  </subProcess>
                  <subProcess id="specificEsp" triggeredByEvent="true">
                    <startEvent id="specificStart"><errorEventDefinition errorRef="myError"/></startEvent>
                    <userTask id="taskAfterErrorCatch2"/><endEvent id="e2End"/>
                    <sequenceFlow id="e3" sourceRef="specificStart" targetRef="taskAfterErrorCatch2"/>
                    <sequenceFlow id="e4" sourceRef="taskAfterErrorCatch2" targetRef="e2End"/>
                  </subProcess>"#;
    let xml = with_errors(
        &format!("{}{}", start_end("end"), sub_with_work("subprocess", esps)),
        "start -> subprocess -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "myErrorCode");
    assert_eq!(h.user_tasks(), ["taskAfterErrorCatch2"]);
}

/// An error event subprocess inside an embedded subprocess catches an error thrown there;
/// the subprocess is interrupted and the process continues after it.
#[test]
fn error_event_sub_process_test_catch_error_in_embedded_sub_process() {
    let esp = r#"<subProcess id="eventSubProcess" triggeredByEvent="true">
                   <startEvent id="espStart"><errorEventDefinition errorRef="myError" camunda:errorCodeVariable="caught"/></startEvent>
                   <endEvent id="espEnd"/>
                   <sequenceFlow id="e1" sourceRef="espStart" targetRef="espEnd"/>
                 </subProcess>"#;
    let xml = with_errors(
        &format!(
            "{}{}{}",
            start_end("end"),
            sub_with_work("subprocess", esp),
            usr("afterSubprocess")
        ),
        "start -> subprocess -> afterSubprocess -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "myErrorCode");
    assert_eq!(h.user_tasks(), ["afterSubprocess"]);
    assert_eq!(h.tree(), "p\n  afterSubprocess\n");
    assert_eq!(h.var("caught"), Some(text("myErrorCode")));
}

/// An error thrown from inside an error event subprocess is not caught by that same event
/// subprocess again (no loop): it propagates to the boundary event of the enclosing
/// subprocess (Camunda's `isReThrowingErrorEventSubprocess`).
#[test]
fn error_event_sub_process_test_should_not_throw_error_in_loop() {
    let esp = r#"<subProcess id="SubProcess_1" triggeredByEvent="true">
                   <startEvent id="StartEvent_2"><errorEventDefinition errorRef="myError"/></startEvent>
                   <userTask id="WaitState"/>
                   <endEvent id="EndEvent_2"><errorEventDefinition errorRef="myError"/></endEvent>
                   <sequenceFlow id="e1" sourceRef="StartEvent_2" targetRef="WaitState"/>
                   <sequenceFlow id="e2" sourceRef="WaitState" targetRef="EndEvent_2"/>
                 </subProcess>"#;
    let xml = with_errors(
        &format!(
            r#"{}{}<boundaryEvent id="boundary" attachedToRef="subprocess"><errorEventDefinition errorRef="myError"/></boundaryEvent>{}"#,
            start_end("end"),
            sub_with_work("subprocess", esp),
            usr("ErrorHandlingUserTask")
        ),
        "start -> subprocess -> end; boundary -> ErrorHandlingUserTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "myErrorCode");
    assert_eq!(h.user_tasks(), ["WaitState"]);
    assert_eq!(
        h.tree(),
        "p\n  subprocess\n    SubProcess_1\n      WaitState\n"
    );

    h.complete_user("WaitState", none());
    assert_eq!(h.user_tasks(), ["ErrorHandlingUserTask"]);
    assert_eq!(h.tree(), "p\n  ErrorHandlingUserTask\n");
}

/// An error end event in a non-interrupting timer event subprocess of a subprocess is
/// caught by the error boundary event of that subprocess.
#[test]
fn error_event_sub_process_test_thrown_an_error_in_event_subprocess_in_subprocess() {
    let esp = r#"<subProcess id="SubProcess_event" triggeredByEvent="true">
                   <startEvent id="StartEvent_eventsub" isInterrupting="false"><timerEventDefinition><timeCycle>R/PT10S</timeCycle></timerEventDefinition></startEvent>
                   <endEvent id="EndEvent_error"><errorEventDefinition errorRef="myError"/></endEvent>
                   <sequenceFlow id="e1" sourceRef="StartEvent_eventsub" targetRef="EndEvent_error"/>
                 </subProcess>"#;
    let xml = with_errors(
        &format!(
            r#"{}{}<boundaryEvent id="BoundaryEvent_error" attachedToRef="SubProcess_1"><errorEventDefinition errorRef="myError"/></boundaryEvent>{}"#,
            start_end("EndEvent_1"),
            sub_with_work("SubProcess_1", esp),
            usr("UserTask_afterCatch")
        ),
        "start -> SubProcess_1 -> EndEvent_1; BoundaryEvent_error -> UserTask_afterCatch -> EndEvent_1",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.timers(), ["StartEvent_eventsub@+10s"]);
    h.advance(10);
    assert_eq!(h.user_tasks(), ["UserTask_afterCatch"]);
    assert!(h.timers().is_empty());
    assert!(h.external_tasks().is_empty());
}

/// A BPMN error caught by a process-level error event subprocess interrupts the whole
/// process; the instance ends when the event subprocess ends.
#[test]
fn error_event_sub_process_test_catch_error_thrown_by_external_task_in_top_level_process() {
    let xml = with_errors(
        &format!(
            r#"{}{}<subProcess id="eventSubProcess" triggeredByEvent="true">
                 <startEvent id="espStart"><errorEventDefinition errorRef="myError" camunda:errorMessageVariable="why"/></startEvent>
                 <userTask id="escalatedTask"/><endEvent id="espEnd"/>
                 <sequenceFlow id="e1" sourceRef="espStart" targetRef="escalatedTask"/>
                 <sequenceFlow id="e2" sourceRef="escalatedTask" targetRef="espEnd"/>
               </subProcess>"#,
            start_end("end"),
            ext("work")
        ),
        "start -> work -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "myErrorCode");
    assert_eq!(h.tree(), "p\n  eventSubProcess\n    escalatedTask\n");
    assert_eq!(h.var("why"), Some(text("myErrorCode happened")));
    h.complete_user("escalatedTask", none());
    assert!(h.ended());
}

// ----- escalations ------------------------------------------------------------------------

fn escalation_in_subprocess(cancel_activity: bool, escalation_ref: &str) -> String {
    with_errors(
        &format!(
            r#"{}<subProcess id="subProcess">
                 <startEvent id="startSubProcess"/>
                 <intermediateThrowEvent id="escalationThrowingEvent"><escalationEventDefinition escalationRef="{escalation_ref}"/></intermediateThrowEvent>
                 <userTask id="taskInSubprocess"/><endEvent id="endSubProcess"/>
                 <sequenceFlow id="s1" sourceRef="startSubProcess" targetRef="escalationThrowingEvent"/>
                 <sequenceFlow id="s2" sourceRef="escalationThrowingEvent" targetRef="taskInSubprocess"/>
                 <sequenceFlow id="s3" sourceRef="taskInSubprocess" targetRef="endSubProcess"/>
               </subProcess>
               <boundaryEvent id="escalationBoundaryEvent" attachedToRef="subProcess" cancelActivity="{cancel_activity}">
                 <escalationEventDefinition escalationRef="escalation" camunda:escalationCodeVariable="escalationCodeVar"/>
               </boundaryEvent>{}"#,
            start_end("theEnd"),
            usr("taskAfterCatchedEscalation")
        ),
        "start -> subProcess -> theEnd; escalationBoundaryEvent -> taskAfterCatchedEscalation -> theEnd",
    )
}

/// An intermediate escalation throw event caught by a non-interrupting boundary event on
/// the enclosing subprocess: the boundary path starts and the thrower continues.
#[test]
fn escalation_event_test_throw_escalation_event_from_embedded_subprocess() {
    let mut h = Harness::new(&escalation_in_subprocess(false, "escalation"));
    h.start(none());
    assert_eq!(
        h.user_tasks(),
        ["taskAfterCatchedEscalation", "taskInSubprocess"]
    );
    assert_eq!(
        h.tree(),
        "p\n  subProcess\n    taskInSubprocess\n  taskAfterCatchedEscalation\n"
    );
    assert_eq!(h.var("escalationCodeVar"), Some(text("escalationCode")));

    h.complete_user("taskInSubprocess", none());
    assert_eq!(h.tree(), "p\n  taskAfterCatchedEscalation\n");
    h.complete_user("taskAfterCatchedEscalation", none());
    assert!(h.ended());
}

/// An interrupting escalation boundary event cancels the subprocess.
#[test]
fn escalation_event_test_interrupting_escalation_boundary_event() {
    let mut h = Harness::new(&escalation_in_subprocess(true, "escalation"));
    h.start(none());
    assert_eq!(h.user_tasks(), ["taskAfterCatchedEscalation"]);
    assert_eq!(h.tree(), "p\n  taskAfterCatchedEscalation\n");
    assert!(h.history.contains(&"cancel:subProcess".to_owned()));
    assert!(!h.history.contains(&"start:taskInSubprocess".to_owned()));
}

/// An escalation nobody catches is ignored: the thrower simply continues.
#[test]
fn escalation_event_test_throw_escalation_event_not_caught() {
    let mut h = Harness::new(&escalation_in_subprocess(false, "otherEscalation"));
    h.start(none());
    assert_eq!(h.user_tasks(), ["taskInSubprocess"]);
    assert_eq!(h.var("escalationCodeVar"), None);
    h.complete_user("taskInSubprocess", none());
    assert!(h.ended());
}

/// An escalation end event in a subprocess ends its path (and so the subprocess), and the
/// non-interrupting boundary event still catches it.
#[test]
fn escalation_event_test_escalation_end_event() {
    let xml = with_errors(
        &format!(
            r#"{}<subProcess id="subProcess">
                 <startEvent id="startSubProcess"/>
                 <endEvent id="escalationEndEvent"><escalationEventDefinition escalationRef="escalation"/></endEvent>
                 <sequenceFlow id="s1" sourceRef="startSubProcess" targetRef="escalationEndEvent"/>
               </subProcess>
               <boundaryEvent id="escalationBoundaryEvent" attachedToRef="subProcess" cancelActivity="false"><escalationEventDefinition escalationRef="escalation"/></boundaryEvent>
               {}"#,
            start_end("theEnd"),
            usr("taskAfterCatchedEscalation")
        ),
        "start -> subProcess -> theEnd; escalationBoundaryEvent -> taskAfterCatchedEscalation -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["taskAfterCatchedEscalation"]);
    assert_eq!(h.tree(), "p\n  taskAfterCatchedEscalation\n");
    assert!(h.history.contains(&"end:subProcess".to_owned()));
    assert!(
        h.history.contains(&"end:theEnd".to_owned()),
        "the subprocess left normally"
    );
    h.complete_user("taskAfterCatchedEscalation", none());
    assert!(h.ended());
}

/// A non-interrupting escalation event subprocess inside the subprocess catches the
/// escalation before the boundary event of the subprocess does.
#[test]
fn escalation_event_subprocess_test_catch_escalation_event_inside_subprocess() {
    let xml = with_errors(
        &format!(
            r#"{}<subProcess id="subProcess">
                 <startEvent id="startSubProcess"/>
                 <intermediateThrowEvent id="escalationThrowingEvent"><escalationEventDefinition escalationRef="escalation"/></intermediateThrowEvent>
                 <userTask id="taskInSubprocess"/><endEvent id="endSubProcess"/>
                 <sequenceFlow id="s1" sourceRef="startSubProcess" targetRef="escalationThrowingEvent"/>
                 <sequenceFlow id="s2" sourceRef="escalationThrowingEvent" targetRef="taskInSubprocess"/>
                 <sequenceFlow id="s3" sourceRef="taskInSubprocess" targetRef="endSubProcess"/>
                 <subProcess id="escalationEsp" triggeredByEvent="true">
                   <startEvent id="escalationStart" isInterrupting="false"><escalationEventDefinition escalationRef="escalation"/></startEvent>
                   <userTask id="taskAfterCatchedEscalationInside"/><endEvent id="espEnd"/>
                   <sequenceFlow id="e1" sourceRef="escalationStart" targetRef="taskAfterCatchedEscalationInside"/>
                   <sequenceFlow id="e2" sourceRef="taskAfterCatchedEscalationInside" targetRef="espEnd"/>
                 </subProcess>
               </subProcess>
               <boundaryEvent id="escalationBoundaryEvent" attachedToRef="subProcess" cancelActivity="false"><escalationEventDefinition escalationRef="escalation"/></boundaryEvent>
               {}"#,
            start_end("theEnd"),
            usr("taskAfterCatchedEscalationOutside")
        ),
        "start -> subProcess -> theEnd; escalationBoundaryEvent -> taskAfterCatchedEscalationOutside -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.user_tasks(),
        ["taskAfterCatchedEscalationInside", "taskInSubprocess"]
    );
    assert_eq!(h.tree(), "p\n  subProcess\n    escalationEsp\n      taskAfterCatchedEscalationInside\n    taskInSubprocess\n");
}

/// An error end event inside a subprocess is caught by an error event subprocess of the
/// process when nothing closer catches it: the whole process is interrupted.
#[test]
fn error_event_sub_process_test_catch_error_end_event_in_process_level_event_subprocess() {
    let xml = with_errors(
        &format!(
            r#"{}<parallelGateway id="fork"/>{}
               <subProcess id="subprocess">
                 <startEvent id="subStart"/><endEvent id="subErrorEnd"><errorEventDefinition errorRef="otherError"/></endEvent>
                 <sequenceFlow id="s1" sourceRef="subStart" targetRef="subErrorEnd"/>
               </subProcess>
               <subProcess id="eventSubProcess" triggeredByEvent="true">
                 <startEvent id="espStart"><errorEventDefinition errorRef="otherError" camunda:errorCodeVariable="code"/></startEvent>
                 <userTask id="handleError"/><endEvent id="espEnd"/>
                 <sequenceFlow id="e1" sourceRef="espStart" targetRef="handleError"/>
                 <sequenceFlow id="e2" sourceRef="handleError" targetRef="espEnd"/>
               </subProcess>"#,
            start_end("end"),
            ext("work")
        ),
        "start -> fork; fork -> work -> end; fork -> subprocess -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  eventSubProcess\n    handleError\n");
    assert!(
        h.external_tasks().is_empty(),
        "the parallel external task was interrupted too"
    );
    assert_eq!(h.var("code"), Some(text("otherErrorCode")));
    h.complete_user("handleError", none());
    assert!(h.ended());
}

/// An uncaught BPMN error inside a subprocess ends only the failing path: the subprocess
/// then completes as if it had reached a none end event, and the process continues.
#[test]
fn unhandled_bpmn_error_test_uncaught_error_in_sub_process() {
    let xml = with_errors(
        &format!(
            "{}{}{}",
            start_end("end"),
            sub_with_work("subprocess", ""),
            usr("after")
        ),
        "start -> subprocess -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.bpmn_error("work", "nobodyCatchesThis");
    assert_eq!(h.tree(), "p\n  after\n");
    assert!(h.history.contains(&"end:subprocess".to_owned()));
    assert!(!h.history.contains(&"start:subprocessEnd".to_owned()));
}

/// Escalations propagate to the innermost catching boundary event: the one on the inner
/// subprocess catches, the one on the outer subprocess does not fire.
#[test]
fn escalation_event_test_throw_escalation_event_hierarchical() {
    let xml = with_errors(
        &format!(
            r#"{}<subProcess id="outer">
                 <startEvent id="outerStart"/><endEvent id="outerEnd"/>
                 <subProcess id="inner">
                   <startEvent id="innerStart"/>
                   <intermediateThrowEvent id="throw"><escalationEventDefinition escalationRef="escalation"/></intermediateThrowEvent>
                   <userTask id="taskInSubprocess"/><endEvent id="innerEnd"/>
                   <sequenceFlow id="i1" sourceRef="innerStart" targetRef="throw"/>
                   <sequenceFlow id="i2" sourceRef="throw" targetRef="taskInSubprocess"/>
                   <sequenceFlow id="i3" sourceRef="taskInSubprocess" targetRef="innerEnd"/>
                 </subProcess>
                 <boundaryEvent id="innerBoundary" attachedToRef="inner" cancelActivity="false"><escalationEventDefinition escalationRef="escalation"/></boundaryEvent>
                 <userTask id="taskAfterCatchedEscalationInsideSubprocess"/><endEvent id="innerCatchEnd"/>
                 <sequenceFlow id="o1" sourceRef="outerStart" targetRef="inner"/>
                 <sequenceFlow id="o2" sourceRef="inner" targetRef="outerEnd"/>
                 <sequenceFlow id="o3" sourceRef="innerBoundary" targetRef="taskAfterCatchedEscalationInsideSubprocess"/>
                 <sequenceFlow id="o4" sourceRef="taskAfterCatchedEscalationInsideSubprocess" targetRef="innerCatchEnd"/>
               </subProcess>
               <boundaryEvent id="outerBoundary" attachedToRef="outer" cancelActivity="false"><escalationEventDefinition escalationRef="escalation"/></boundaryEvent>
               {}"#,
            start_end("end"),
            usr("taskAfterCatchedEscalationOnProcess")
        ),
        "start -> outer -> end; outerBoundary -> taskAfterCatchedEscalationOnProcess -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.user_tasks(),
        [
            "taskAfterCatchedEscalationInsideSubprocess",
            "taskInSubprocess"
        ]
    );
    assert_eq!(
        h.tree(),
        "p\n  outer\n    inner\n      taskInSubprocess\n    taskAfterCatchedEscalationInsideSubprocess\n"
    );
}
