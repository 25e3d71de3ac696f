//! Event subprocesses of every trigger (message, timer, signal, conditional, escalation,
//! error), interrupting and not, at process level and inside an embedded subprocess
//! (Camunda's MessageEventSubprocessTest, TimerEventSubprocessTest,
//! SignalEventSubprocessTest, ConditionalEventSubprocessTest, EscalationEventSubprocessTest,
//! ErrorEventSubProcessTest). Every case checks the same things a user sees: the
//! subscription exists only while its scope is active, an interrupting start cancels the
//! scope's other work, a non-interrupting one runs beside it, and the scope completes
//! only when the event subprocess is done.

mod support;
use procos_engine::value::Value;
use support::*;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Trigger {
    Message,
    Signal,
    Timer,
    Conditional,
}

const TRIGGERS: [Trigger; 4] = [
    Trigger::Message,
    Trigger::Signal,
    Trigger::Timer,
    Trigger::Conditional,
];

impl Trigger {
    fn definition(self) -> &'static str {
        match self {
            Trigger::Message => r#"<messageEventDefinition messageRef="m"/>"#,
            Trigger::Signal => r#"<signalEventDefinition signalRef="s"/>"#,
            Trigger::Timer => {
                r#"<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>"#
            }
            Trigger::Conditional => {
                r#"<conditionalEventDefinition><condition xsi:type="tFormalExpression">${go}</condition></conditionalEventDefinition>"#
            }
        }
    }

    /// What waits for the trigger, as the harness lists it.
    fn waiting(self, h: &Harness) -> Vec<String> {
        match self {
            Trigger::Timer => h.timers(),
            _ => h.subscriptions(),
        }
    }

    fn expected_wait(self) -> String {
        match self {
            Trigger::Message => "message:go@espStart".to_owned(),
            Trigger::Signal => "signal:go@espStart".to_owned(),
            Trigger::Timer => "espStart@+3600s".to_owned(),
            Trigger::Conditional => "conditional:@espStart".to_owned(),
        }
    }

    fn fire(self, h: &mut Harness) {
        match self {
            Trigger::Message => {
                h.message("go", none());
            }
            Trigger::Signal => {
                h.signal("go");
            }
            Trigger::Timer => {
                h.advance(3600);
            }
            Trigger::Conditional => {
                h.set_variables(vars(&[("go", Value::Boolean(true))]));
            }
        }
    }
}

fn esp(definition: &str, interrupting: bool) -> String {
    format!(
        r#"<subProcess id="esp" triggeredByEvent="true">
             <startEvent id="espStart" isInterrupting="{interrupting}">{definition}</startEvent>
             <userTask id="handle"/><endEvent id="espEnd"/>
             <sequenceFlow id="esp1" sourceRef="espStart" targetRef="handle"/>
             <sequenceFlow id="esp2" sourceRef="handle" targetRef="espEnd"/>
           </subProcess>"#
    )
}

const GLOBALS: &str = r#"<message id="m" name="go"/><signal id="s" name="go"/>
   <escalation id="esc" escalationCode="ESC"/><error id="err" errorCode="ERR"/>"#;

/// start → work → end, with the event subprocess at process level.
fn at_process_level(definition: &str, interrupting: bool) -> String {
    definitions(
        &process_element(
            "p",
            &format!(
                "{}{}{}",
                start_end("end"),
                usr("work"),
                esp(definition, interrupting)
            ),
            "start -> work -> end",
        ),
        GLOBALS,
    )
}

/// start → before → sub(work) → after → end, with the event subprocess inside `sub`.
fn in_subprocess(definition: &str, interrupting: bool) -> String {
    definitions(
        &process_element(
            "p",
            &format!(
                r#"{}{}<subProcess id="sub">
                     <startEvent id="subStart"/><userTask id="work"/><endEvent id="subEnd"/>
                     <sequenceFlow id="sub1" sourceRef="subStart" targetRef="work"/>
                     <sequenceFlow id="sub2" sourceRef="work" targetRef="subEnd"/>
                     {}
                   </subProcess>"#,
                start_end("end"),
                usr("before after"),
                esp(definition, interrupting)
            ),
            "start -> before -> sub -> after -> end",
        ),
        GLOBALS,
    )
}

fn start(xml: &str) -> Harness {
    let mut h = Harness::new(xml);
    h.start(vars(&[("go", Value::Boolean(false))]));
    h
}

#[test]
fn interrupting_at_process_level_cancels_the_main_flow() {
    for trigger in TRIGGERS {
        let mut h = start(&at_process_level(trigger.definition(), true));
        assert_eq!(
            trigger.waiting(&h),
            [trigger.expected_wait()],
            "{trigger:?}"
        );
        trigger.fire(&mut h);
        assert_eq!(h.tree(), "p\n  esp\n    handle\n", "{trigger:?}");
        assert!(h.history.contains(&"cancel:work".to_owned()), "{trigger:?}");
        assert!(
            trigger.waiting(&h).is_empty(),
            "{trigger:?}: an interrupting start fires once"
        );
        h.complete_user("handle", none());
        assert!(h.ended(), "{trigger:?}: {}", h.dump());
        assert!(
            !h.history.contains(&"start:end".to_owned()),
            "{trigger:?}: the main flow never reached its end"
        );
    }
}

#[test]
fn non_interrupting_at_process_level_runs_beside_the_main_flow() {
    for trigger in TRIGGERS {
        let mut h = start(&at_process_level(trigger.definition(), false));
        trigger.fire(&mut h);
        assert_eq!(h.tree(), "p\n  esp\n    handle\n  work\n", "{trigger:?}");
        assert!(
            !h.history.contains(&"cancel:work".to_owned()),
            "{trigger:?}"
        );
        // The main flow finishes first: the instance waits for the event subprocess.
        h.complete_user("work", none());
        assert!(!h.ended(), "{trigger:?}: {}", h.dump());
        assert_eq!(h.tree(), "p\n  esp\n    handle\n", "{trigger:?}");
        h.complete_user("handle", none());
        assert!(h.ended(), "{trigger:?}: {}", h.dump());
        assert!(trigger.waiting(&h).is_empty(), "{trigger:?}");
        assert!(h.history.contains(&"end:end".to_owned()), "{trigger:?}");
    }
}

#[test]
fn interrupting_in_a_subprocess_cancels_only_the_subprocess_work() {
    for trigger in TRIGGERS {
        let mut h = start(&in_subprocess(trigger.definition(), true));
        assert!(
            trigger.waiting(&h).is_empty(),
            "{trigger:?}: nothing waits before the subprocess starts"
        );
        h.complete_user("before", none());
        assert_eq!(
            trigger.waiting(&h),
            [trigger.expected_wait()],
            "{trigger:?}"
        );
        trigger.fire(&mut h);
        assert_eq!(h.tree(), "p\n  sub\n    esp\n      handle\n", "{trigger:?}");
        assert!(h.history.contains(&"cancel:work".to_owned()), "{trigger:?}");
        h.complete_user("handle", none());
        // The subprocess completes normally and the process goes on after it.
        assert_eq!(h.tree(), "p\n  after\n", "{trigger:?}");
        assert!(h.history.contains(&"end:sub".to_owned()), "{trigger:?}");
        assert!(trigger.waiting(&h).is_empty(), "{trigger:?}");
        h.complete_user("after", none());
        assert!(h.ended(), "{trigger:?}");
    }
}

#[test]
fn non_interrupting_in_a_subprocess_runs_beside_the_subprocess_work() {
    for trigger in TRIGGERS {
        let mut h = start(&in_subprocess(trigger.definition(), false));
        h.complete_user("before", none());
        trigger.fire(&mut h);
        assert_eq!(
            h.tree(),
            "p\n  sub\n    esp\n      handle\n    work\n",
            "{trigger:?}"
        );
        h.complete_user("handle", none());
        assert_eq!(h.tree(), "p\n  sub\n    work\n", "{trigger:?}");
        h.complete_user("work", none());
        assert_eq!(h.tree(), "p\n  after\n", "{trigger:?}");
        assert!(
            trigger.waiting(&h).is_empty(),
            "{trigger:?}: the subscription ends with its scope: {:?}",
            trigger.waiting(&h)
        );
    }
}

/// A subprocess left before its event subprocess fired removes the subscription: the
/// trigger arriving later finds nothing.
#[test]
fn leaving_the_subprocess_removes_its_event_subprocess_subscriptions() {
    for trigger in TRIGGERS {
        for interrupting in [true, false] {
            let mut h = start(&in_subprocess(trigger.definition(), interrupting));
            h.complete_user("before", none())
                .complete_user("work", none());
            assert_eq!(h.user_tasks(), ["after"]);
            assert!(trigger.waiting(&h).is_empty(), "{trigger:?}");
        }
    }
}

/// A non-interrupting timer cycle fires once per cycle, each time starting another
/// instance of the event subprocess.
#[test]
fn non_interrupting_timer_cycle_starts_one_instance_per_cycle() {
    let xml = at_process_level(
        r#"<timerEventDefinition><timeCycle>R3/PT1H</timeCycle></timerEventDefinition>"#,
        false,
    );
    let mut h = start(&xml);
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["handle", "work"]);
    assert_eq!(h.timers(), ["espStart@+3600s"]);
    h.advance(2 * 3600);
    assert_eq!(h.user_tasks(), ["handle", "handle", "handle", "work"]);
    assert!(h.timers().is_empty(), "R3: three repetitions");
}

/// A non-interrupting signal event subprocess fires for every signal; an interrupting
/// one only once.
#[test]
fn non_interrupting_signal_fires_every_time() {
    let mut h = start(&at_process_level(Trigger::Signal.definition(), false));
    h.signal("go").signal("go");
    assert_eq!(h.user_tasks(), ["handle", "handle", "work"]);
    assert_eq!(h.subscriptions(), ["signal:go@espStart"]);
}

// ----- escalation --------------------------------------------------------------------

/// start → work → throw (escalation ESC) → after → end, inside `sub` or at process
/// level, with an escalation event subprocess beside.
fn escalation(in_sub: bool, interrupting: bool) -> String {
    let handler = esp(
        r#"<escalationEventDefinition escalationRef="esc" camunda:escalationCodeVariable="code"/>"#,
        interrupting,
    );
    let flow = format!(
        r#"<userTask id="work"/><userTask id="after"/>
           <intermediateThrowEvent id="throw"><escalationEventDefinition escalationRef="esc"/></intermediateThrowEvent>
           {handler}"#
    );
    let xml = if in_sub {
        process_element(
            "p",
            &format!(
                r#"{}<subProcess id="sub">
                     <startEvent id="subStart"/><endEvent id="subEnd"/>{flow}
                     <sequenceFlow id="s1" sourceRef="subStart" targetRef="work"/>
                     <sequenceFlow id="s2" sourceRef="work" targetRef="throw"/>
                     <sequenceFlow id="s3" sourceRef="throw" targetRef="after"/>
                     <sequenceFlow id="s4" sourceRef="after" targetRef="subEnd"/>
                   </subProcess>"#,
                start_end("end")
            ),
            "start -> sub -> end",
        )
    } else {
        process_element(
            "p",
            &format!("{}{flow}", start_end("end")),
            "start -> work -> throw -> after -> end",
        )
    };
    definitions(&xml, GLOBALS)
}

#[test]
fn escalation_event_subprocess_interrupting_and_not() {
    for in_sub in [false, true] {
        let root = if in_sub { "p\n  sub\n" } else { "p\n" };
        let pad = if in_sub { "  " } else { "" };
        // Interrupting: the thrower is cancelled, the handler runs alone.
        let mut h = Harness::new(&escalation(in_sub, true));
        h.start(none());
        h.complete_user("work", none());
        assert_eq!(
            h.tree(),
            format!("{root}{pad}  esp\n{pad}    handle\n"),
            "in_sub={in_sub}"
        );
        assert!(!h.history.contains(&"start:after".to_owned()));
        h.complete_user("handle", none());
        assert!(h.ended(), "{}", h.dump());

        // Non-interrupting: the thrower goes on to `after`.
        let mut h = Harness::new(&escalation(in_sub, false));
        h.start(none());
        h.complete_user("work", none());
        assert_eq!(
            h.tree(),
            format!("{root}{pad}  after\n{pad}  esp\n{pad}    handle\n"),
            "in_sub={in_sub}"
        );
        h.complete_user("after", none());
        assert!(!h.ended());
        h.complete_user("handle", none());
        assert!(h.ended(), "{}", h.dump());
    }
}

/// `camunda:escalationCodeVariable` on the start event stores the caught code.
#[test]
fn escalation_code_variable_on_the_start_event() {
    let mut h = Harness::new(&escalation(false, false));
    h.start(none());
    h.complete_user("work", none());
    let code = h.local_var("esp", "code").or_else(|| h.var("code"));
    assert_eq!(code, Some(text("ESC")), "{}", h.dump());
}

// ----- error -------------------------------------------------------------------------

fn error_esp(in_sub: bool) -> String {
    let handler = esp(
        r#"<errorEventDefinition errorRef="err" camunda:errorCodeVariable="code" camunda:errorMessageVariable="message"/>"#,
        true,
    );
    let xml = if in_sub {
        process_element(
            "p",
            &format!(
                r#"{}{}<subProcess id="sub">
                     <startEvent id="subStart"/><endEvent id="subEnd"/>{}{handler}
                     <sequenceFlow id="s1" sourceRef="subStart" targetRef="work"/>
                     <sequenceFlow id="s2" sourceRef="work" targetRef="subEnd"/>
                   </subProcess>"#,
                start_end("end"),
                usr("after"),
                ext("work")
            ),
            "start -> sub -> after -> end",
        )
    } else {
        process_element(
            "p",
            &format!("{}{}{handler}", start_end("end"), ext("work")),
            "start -> work -> end",
        )
    };
    definitions(&xml, GLOBALS)
}

/// An error event subprocess catches the error of its scope; inside a subprocess, the
/// subprocess then completes normally and the process goes on after it.
#[test]
fn error_event_subprocess_at_both_levels() {
    for in_sub in [false, true] {
        let mut h = Harness::new(&error_esp(in_sub));
        h.start(none());
        h.bpmn_error("work", "ERR");
        assert!(h.history.contains(&"cancel:work".to_owned()));
        assert_eq!(h.user_tasks(), ["handle"], "in_sub={in_sub}");
        h.complete_user("handle", none());
        if in_sub {
            assert_eq!(h.user_tasks(), ["after"]);
            assert!(h.history.contains(&"end:sub".to_owned()));
        } else {
            assert!(h.ended());
        }
    }
}

/// An error the event subprocess does not match is not caught there; with no other
/// handler it ends only the failing path (Camunda's UnhandledBpmnErrorTest), so the
/// subprocess completes and the process goes on after it.
#[test]
fn error_event_subprocess_for_another_code_does_not_catch() {
    let mut h = Harness::new(&error_esp(true));
    h.start(none());
    h.bpmn_error("work", "OTHER");
    assert_eq!(h.tree(), "p\n  after\n", "{}", h.dump());
    assert!(!h.history.contains(&"start:handle".to_owned()));
}

/// An error thrown two levels down is caught by the event subprocess of the inner
/// subprocess, not by the boundary event on the outer one (the innermost handler wins).
#[test]
fn inner_error_event_subprocess_wins_over_outer_boundary_event() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}{}<subProcess id="outer">
                     <startEvent id="outerStart"/><endEvent id="outerEnd"/>
                     <subProcess id="inner">
                       <startEvent id="innerStart"/>
                       <endEvent id="fail"><errorEventDefinition errorRef="err"/></endEvent>
                       <sequenceFlow id="i1" sourceRef="innerStart" targetRef="fail"/>
                       {}
                     </subProcess>
                     <sequenceFlow id="o1" sourceRef="outerStart" targetRef="inner"/>
                     <sequenceFlow id="o2" sourceRef="inner" targetRef="outerEnd"/>
                   </subProcess>
                   <boundaryEvent id="outerBoundary" attachedToRef="outer"><errorEventDefinition errorRef="err"/></boundaryEvent>"#,
                start_end("end"),
                usr("afterBoundary afterOuter"),
                esp(r#"<errorEventDefinition errorRef="err"/>"#, true)
            ),
            "start -> outer -> afterOuter -> end; outerBoundary -> afterBoundary -> end",
        ),
        GLOBALS,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.tree(),
        "p\n  outer\n    inner\n      esp\n        handle\n"
    );
    h.complete_user("handle", none());
    assert_eq!(h.user_tasks(), ["afterOuter"]);
    assert!(!h.history.contains(&"start:afterBoundary".to_owned()));
}

/// Camunda refuses a non-interrupting error start event ("error start event of event
/// subprocess must be interrupting").
#[test]
fn non_interrupting_error_start_is_refused() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                "{}{}{}",
                start_end("end"),
                usr("work"),
                esp(r#"<errorEventDefinition errorRef="err"/>"#, false)
            ),
            "start -> work -> end",
        ),
        GLOBALS,
    );
    let errors = rejection(&xml);
    assert!(
        errors.iter().any(|e| e.contains("interrupting")),
        "{errors:?}"
    );
}
