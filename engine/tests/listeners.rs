//! Execution and task listeners (Camunda's ExecutionListenerTest, TaskListenerTest):
//! `camunda:expression` and inline scripts run natively, in Camunda's order; `class` and
//! `delegateExpression` need Java and are refused at deploy with a reason.

mod support;
use procos_engine::value::Value;
use support::*;

fn log_listener(event: &str, label: &str) -> String {
    format!(
        r#"<camunda:executionListener event="{event}" expression="${{execution.setVariable('log', log.concat('{label};'))}}"/>"#
    )
}

/// Start and end listeners on the process, an activity and a subprocess, and take
/// listeners on a flow, fire in Camunda's order: process start, activity start, activity
/// end, take, next activity …, process end.
#[test]
fn execution_listeners_fire_in_order() {
    let xml = definitions(
        &format!(
            r#"<process id="p" isExecutable="true" camunda:historyTimeToLive="1">
                 <extensionElements>{}{}</extensionElements>
                 <startEvent id="start"><extensionElements>{}</extensionElements></startEvent>
                 <task id="t"><extensionElements>{}{}</extensionElements></task>
                 <endEvent id="end"><extensionElements>{}</extensionElements></endEvent>
                 <sequenceFlow id="f1" sourceRef="start" targetRef="t"/>
                 <sequenceFlow id="f2" sourceRef="t" targetRef="end"><extensionElements>{}</extensionElements></sequenceFlow>
               </process>"#,
            log_listener("start", "process-start"),
            log_listener("end", "process-end"),
            log_listener("end", "start-end"),
            log_listener("start", "t-start"),
            log_listener("end", "t-end"),
            log_listener("start", "end-start"),
            r#"<camunda:executionListener event="take" expression="${execution.setVariable('log', log.concat('take;'))}"/>"#,
        ),
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("log", text(""))]));
    assert!(h.ended());
    assert_eq!(
        h.var("log"),
        Some(text(
            "process-start;start-end;t-start;t-end;take;end-start;process-end;"
        ))
    );
}

/// A failing listener expression fails the whole step: nothing changes.
#[test]
fn a_failing_listener_changes_nothing() {
    let xml = process(
        r#"<startEvent id="start"/><userTask id="wait"/>
           <task id="t"><extensionElements><camunda:executionListener event="start" expression="${execution.setVariable('x', notDefined)}"/></extensionElements></task>
           <endEvent id="end"/>"#,
        "start -> wait -> t -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let before = h.dump();
    assert!(h.try_complete_user("wait", none()).is_err());
    assert_eq!(h.dump(), before);
}

/// Task listeners: create runs when the task is created (and can set its assignee),
/// complete when it is completed, with `task` in scope.
#[test]
fn task_listeners_create_and_complete() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="review"><extensionElements>
             <camunda:taskListener event="create" expression="${task.setAssignee('fozzie')}"/>
             <camunda:taskListener event="complete" expression="${execution.setVariable('completed', task.taskDefinitionKey)}"/>
           </extensionElements></userTask>
           <endEvent id="end"/>"#,
        "start -> review -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.assignee("review").as_deref(), Some("fozzie"));
    assert_eq!(h.var("completed"), None);
    h.complete_user("review", none());
    assert_eq!(h.var("completed"), Some(text("review")));
}

/// An end listener runs also when the activity is cancelled by a boundary event, as in
/// Camunda (ExecutionListenerTest#testListenerInvocationsOnCancelledActivities…).
#[test]
fn end_listener_runs_on_cancellation() {
    let xml = definitions(
        &process_element(
            "p",
            r#"<startEvent id="start"/>
               <userTask id="work"><extensionElements><camunda:executionListener event="end" expression="${execution.setVariable('workEnded', true)}"/></extensionElements></userTask>
               <boundaryEvent id="stop" attachedToRef="work"><messageEventDefinition messageRef="m"/></boundaryEvent>
               <endEvent id="end"/><endEvent id="stopped"/>"#,
            "start -> work -> end; stop -> stopped",
        ),
        r#"<message id="m" name="stop"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.message("stop", none());
    assert!(h.ended());
    assert_eq!(h.var("workEnded"), Some(Value::Boolean(true)));
}

/// Java listeners (`class`, `delegateExpression`) are deploy errors naming the attribute
/// and suggesting an alternative.
#[test]
fn java_listeners_are_refused() {
    for attr in [
        r#"class="org.example.Listener""#,
        r#"delegateExpression="${myListener}""#,
    ] {
        for listener in [
            format!(r#"<camunda:executionListener event="start" {attr}/>"#),
            format!(r#"<camunda:taskListener event="create" {attr}/>"#),
        ] {
            let xml = process(
                &format!(
                    r#"<startEvent id="start"/><userTask id="t"><extensionElements>{listener}</extensionElements></userTask><endEvent id="end"/>"#
                ),
                "start -> t -> end",
            );
            let errors = rejection(&xml);
            let name = attr.split('=').next().unwrap_or_default();
            assert!(
                errors.iter().any(|e| e.contains(name)),
                "{listener}: {errors:?}"
            );
        }
    }
}

/// A listener with neither expression nor script is a deploy error, as in Camunda.
#[test]
fn a_listener_without_action_is_refused() {
    let xml = process(
        r#"<startEvent id="start"/><task id="t"><extensionElements><camunda:executionListener event="start"/></extensionElements></task><endEvent id="end"/>"#,
        "start -> t -> end",
    );
    assert!(!rejection(&xml).is_empty());
}

/// Deleting the instance runs the end listeners of what was running and of the process.
#[test]
fn deletion_runs_end_listeners() {
    let xml = definitions(
        &format!(
            r#"<process id="p" isExecutable="true" camunda:historyTimeToLive="1">
                 <extensionElements>{}</extensionElements>
                 <startEvent id="start"/>
                 <userTask id="work"><extensionElements>{}</extensionElements></userTask>
                 <endEvent id="end"/>
                 <sequenceFlow id="f1" sourceRef="start" targetRef="work"/>
                 <sequenceFlow id="f2" sourceRef="work" targetRef="end"/>
               </process>"#,
            log_listener("end", "process-end"),
            log_listener("end", "work-end"),
        ),
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("log", text(""))]));
    h.cancel();
    assert_eq!(h.var("log"), Some(text("work-end;process-end;")));
}

/// `skipCustomListeners`: deleting runs no listeners, so an instance whose end listener
/// fails can still be deleted.
#[test]
fn deletion_can_skip_listeners() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="work"><extensionElements><camunda:executionListener event="end" expression="${execution.setVariable('x', notDefined)}"/></extensionElements></userTask>
           <endEvent id="end"/>"#,
        "start -> work -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let before = h.dump();
    assert!(h
        .try_apply(procos_engine::runtime::Command::Cancel {
            skip_listeners: false
        })
        .is_err());
    assert_eq!(h.dump(), before, "a failing listener stops the deletion");
    h.try_apply(procos_engine::runtime::Command::Cancel {
        skip_listeners: true,
    })
    .unwrap();
    assert!(h.ended());
}
