//! Timers, step by step, mirroring Camunda 7's IntermediateTimerEventTest,
//! BoundaryTimerEventTest, BoundaryTimerNonInterruptingEventTest, SubProcessTest (with a
//! timer), StartTimerEventTest and InterruptingEventSubProcessTest.

mod support;
use support::*;

/// An intermediate timer with a duration waits that long, then the token moves on.
#[test]
fn intermediate_timer_event_test_catching_timer_event() {
    let xml = process(
        &format!(
            r#"{}<intermediateCatchEvent id="timer"><timerEventDefinition><timeDuration>PT5M</timeDuration></timerEventDefinition></intermediateCatchEvent>{}"#,
            start_end("end"),
            usr("task")
        ),
        "start -> timer -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.active(), ["timer"]);
    assert_eq!(h.timers(), ["timer@+300s"]);
    assert!(h.subscriptions().is_empty());

    h.advance(299);
    assert_eq!(h.active(), ["timer"]);
    assert_eq!(h.timers(), ["timer@+1s"]);

    h.advance(1);
    assert!(h.timers().is_empty());
    assert_eq!(h.user_tasks(), ["task"]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:timer",
            "end:timer",
            "start:task"
        ]
    );
}

/// An intermediate timer with a date fires at that date.
#[test]
fn intermediate_timer_event_test_catching_timer_event_with_time_date() {
    let xml = process(
        &format!(
            r#"{}<intermediateCatchEvent id="timer"><timerEventDefinition><timeDate>2026-01-01T01:00:00Z</timeDate></timerEventDefinition></intermediateCatchEvent>{}"#,
            start_end("end"),
            usr("task")
        ),
        "start -> timer -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.timers(), ["timer@+3600s"]);
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["task"]);
}

/// A timer duration given as an expression is evaluated when the timer is created.
#[test]
fn boundary_timer_event_test_expression_on_timer() {
    let xml = process(
        &format!(
            r#"{}{}<boundaryEvent id="timer" attachedToRef="task"><timerEventDefinition><timeDuration>${{duration}}</timeDuration></timerEventDefinition></boundaryEvent>"#,
            start_end("end timerEnd"),
            usr("task")
        ),
        "start -> task -> end; timer -> timerEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("duration", text("PT1H"))]));
    assert_eq!(h.timers(), ["timer@+3600s"]);
    h.advance(3600);
    assert!(h.ended());
    assert!(h.history.contains(&"cancel:task".to_owned()));
}

/// An interrupting timer boundary event on a user task: when it fires, the task is
/// cancelled and the boundary path continues.
#[test]
fn boundary_timer_event_test_interrupting_timer_duration() {
    let xml = process(
        &format!(
            r#"{}{}<boundaryEvent id="timer" attachedToRef="firstTask"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"#,
            start_end("end"),
            usr("firstTask escalationTask")
        ),
        "start -> firstTask -> end; timer -> escalationTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["firstTask"]);
    assert_eq!(h.timers(), ["timer@+3600s"]);

    h.advance(3600);
    assert!(h.timers().is_empty());
    assert_eq!(h.user_tasks(), ["escalationTask"]);
    assert_eq!(h.active(), ["escalationTask"]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:firstTask",
            "cancel:firstTask",
            "start:timer",
            "end:timer",
            "start:escalationTask"
        ]
    );

    // Completing the task first removes the timer instead.
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete_user("firstTask", none());
    assert!(h.timers().is_empty());
    assert!(h.ended());
}

/// A non-interrupting timer cycle `R2/PT1M` on a task fires twice, a minute apart, each
/// time starting the boundary path while the task stays; then it stops.
#[test]
fn boundary_timer_non_interrupting_event_test_timer_with_cycle() {
    let xml = process(
        &format!(
            r#"{}{}<boundaryEvent id="timer" attachedToRef="task" cancelActivity="false"><timerEventDefinition><timeCycle>R2/PT1M</timeCycle></timerEventDefinition></boundaryEvent>"#,
            start_end("end nonInterruptingEnd"),
            usr("task timerFiredTask")
        ),
        "start -> task -> end; timer -> timerFiredTask -> nonInterruptingEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.timers(), ["timer@+60s"]);

    h.advance(60);
    assert_eq!(h.user_tasks(), ["task", "timerFiredTask"]);
    assert_eq!(h.timers(), ["timer@+60s"], "the cycle is rescheduled");

    h.advance(60);
    assert_eq!(h.user_tasks(), ["task", "timerFiredTask", "timerFiredTask"]);
    assert!(h.timers().is_empty(), "R2: two repetitions, then no more");

    h.advance(3600);
    assert_eq!(h.user_tasks(), ["task", "timerFiredTask", "timerFiredTask"]);

    h.complete_user("task", none());
    assert_eq!(h.active(), ["timerFiredTask", "timerFiredTask"]);
    assert!(!h.ended());
}

/// A non-interrupting timer on a receive task fires while the task keeps waiting for its
/// message.
#[test]
fn boundary_timer_non_interrupting_event_test_receive_task_with_boundary_timer() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<receiveTask id="waitForMessage" messageRef="m"/>{}
                   <boundaryEvent id="timer" attachedToRef="waitForMessage" cancelActivity="false"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>"#,
                start_end("end timerEnd"),
                usr("timerFiredTask")
            ),
            "start -> waitForMessage -> end; timer -> timerFiredTask -> timerEnd",
        ),
        r#"<message id="m" name="newMessage"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.subscriptions(), ["message:newMessage@waitForMessage"]);
    assert_eq!(h.timers(), ["timer@+3600s"]);
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["timerFiredTask"]);
    assert_eq!(h.subscriptions(), ["message:newMessage@waitForMessage"]);
    assert!(h.timers().is_empty());
    h.message("newMessage", none());
    assert_eq!(h.active(), ["timerFiredTask"]);
}

/// A timer on a subprocess cancels the whole subprocess, whatever runs inside.
#[test]
fn sub_process_test_simple_sub_process_with_timer() {
    let xml = process(
        &format!(
            r#"{}<subProcess id="subProcess">
                 <startEvent id="subStart"/><parallelGateway id="fork"/>
                 <userTask id="subTask1"/><userTask id="subTask2"/>
                 <parallelGateway id="join"/><endEvent id="subEnd"/>
                 <sequenceFlow id="f1" sourceRef="subStart" targetRef="fork"/>
                 <sequenceFlow id="f2" sourceRef="fork" targetRef="subTask1"/>
                 <sequenceFlow id="f3" sourceRef="fork" targetRef="subTask2"/>
                 <sequenceFlow id="f4" sourceRef="subTask1" targetRef="join"/>
                 <sequenceFlow id="f5" sourceRef="subTask2" targetRef="join"/>
                 <sequenceFlow id="f6" sourceRef="join" targetRef="subEnd"/>
               </subProcess>
               <boundaryEvent id="timer" attachedToRef="subProcess"><timerEventDefinition><timeDuration>PT2H</timeDuration></timerEventDefinition></boundaryEvent>
               {}"#,
            start_end("end"),
            usr("afterSubProcess escalationTask")
        ),
        "start -> subProcess -> afterSubProcess -> end; timer -> escalationTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.tree(), "p\n  subProcess\n    subTask1\n    subTask2\n");
    assert_eq!(h.timers(), ["timer@+7200s"]);
    h.complete_user("subTask1", none());
    assert_eq!(h.tree(), "p\n  subProcess\n    join\n    subTask2\n");

    h.advance(7200);
    assert_eq!(h.tree(), "p\n  escalationTask\n");
    assert_eq!(h.user_tasks(), ["escalationTask"]);
    assert!(h.timers().is_empty());
    for cancelled in ["cancel:join", "cancel:subTask2", "cancel:subProcess"] {
        assert!(
            h.history.contains(&cancelled.to_owned()),
            "{cancelled}: {:?}",
            h.history
        );
    }
}

/// A non-interrupting timer-cycle start event of an event subprocess fires on every cycle
/// while the main flow goes on.
#[test]
fn start_timer_event_test_non_interrupting_time_cycle_in_event_sub_process() {
    let xml = process(
        &format!(
            r#"{}{}<subProcess id="eventSubProcess" triggeredByEvent="true">
                 <startEvent id="timerStart" isInterrupting="false"><timerEventDefinition><timeCycle>R2/PT1H</timeCycle></timerEventDefinition></startEvent>
                 <userTask id="eventSubTask"/><endEvent id="eventSubEnd"/>
                 <sequenceFlow id="e1" sourceRef="timerStart" targetRef="eventSubTask"/>
                 <sequenceFlow id="e2" sourceRef="eventSubTask" targetRef="eventSubEnd"/>
               </subProcess>"#,
            start_end("end"),
            usr("task")
        ),
        "start -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.timers(), ["timerStart@+3600s"]);
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["eventSubTask", "task"]);
    assert_eq!(h.tree(), "p\n  eventSubProcess\n    eventSubTask\n  task\n");
    assert_eq!(h.timers(), ["timerStart@+3600s"]);
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["eventSubTask", "eventSubTask", "task"]);
    assert!(h.timers().is_empty());

    h.complete_user("task", none());
    assert!(!h.ended(), "the event subprocesses still run");
    h.complete_user("eventSubTask", none())
        .complete_user("eventSubTask", none());
    assert!(h.ended());
}

/// An interrupting timer event subprocess cancels everything in its scope and runs
/// instead; the instance ends when it completes.
#[test]
fn interrupting_event_sub_process_test_time_cycle() {
    let xml = process(
        &format!(
            r#"{}{}<subProcess id="eventSubProcess" triggeredByEvent="true">
                 <startEvent id="timerStart"><timerEventDefinition><timeCycle>R/PT1H</timeCycle></timerEventDefinition></startEvent>
                 <userTask id="eventSubTask"/><endEvent id="eventSubEnd"/>
                 <sequenceFlow id="e1" sourceRef="timerStart" targetRef="eventSubTask"/>
                 <sequenceFlow id="e2" sourceRef="eventSubTask" targetRef="eventSubEnd"/>
               </subProcess>"#,
            start_end("end"),
            usr("task")
        ),
        "start -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.timers(), ["timerStart@+3600s"]);
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["eventSubTask"]);
    assert_eq!(h.tree(), "p\n  eventSubProcess\n    eventSubTask\n");
    assert!(h.timers().is_empty(), "an interrupting start fires once");
    h.complete_user("eventSubTask", none());
    assert!(h.ended());
}

/// A timer expression that cannot be evaluated fails the command that reaches the timer
/// with Camunda's message, and the command changes nothing.
#[test]
fn boundary_timer_event_test_unknown_property_in_timer_expression() {
    let xml = process(
        &format!(
            r#"{}{}<intermediateCatchEvent id="timer"><timerEventDefinition><timeDuration>${{duration}}</timeDuration></timerEventDefinition></intermediateCatchEvent>{}"#,
            start_end("end"),
            ext("work"),
            usr("task")
        ),
        "start -> work -> timer -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let before = h.dump();
    let err = h.try_complete("work", none()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown property used in expression: ${duration}. Cause: Cannot resolve identifier 'duration'"
    );
    assert_eq!(h.dump(), before);
    assert!(h.timers().is_empty());

    h.complete("work", vars(&[("duration", text("PT2M"))]));
    assert_eq!(h.timers(), ["timer@+120s"]);
}
