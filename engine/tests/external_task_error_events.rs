//! `camunda:errorEventDefinition` on external tasks (Camunda's ExternalTaskServiceTest,
//! the *ErrorEventDefinition* cases): when a worker completes or fails the task, the
//! first definition whose expression holds turns that into a BPMN error with the code of
//! its `errorRef`, caught like any other.

mod support;
use procos_engine::runtime::Command;
use support::*;

fn xml(definitions_xml: &str) -> String {
    definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="start"/>
                   <serviceTask id="externalTask" camunda:type="external" camunda:topic="t">
                     <extensionElements>{definitions_xml}</extensionElements>
                   </serviceTask>
                   <boundaryEvent id="caught" attachedToRef="externalTask">
                     <errorEventDefinition errorRef="err" camunda:errorCodeVariable="code" camunda:errorMessageVariable="message"/>
                   </boundaryEvent>
                   <userTask id="userTask"/><endEvent id="end"/><endEvent id="errorEnd"/>"#
            ),
            "start -> externalTask -> end; caught -> userTask -> errorEnd",
        ),
        r#"<error id="err" errorCode="errorCode" camunda:errorMessage="failed: ${foo}"/>
           <error id="other" errorCode="otherCode"/>"#,
    )
}

const FOO_IS_BAR: &str =
    r#"<camunda:errorEventDefinition id="d1" errorRef="err" expression="${foo=='bar'}"/>"#;

fn fail(h: &mut Harness, message: &str, details: &str) {
    let task = h.external_spec("externalTask").id;
    h.try_apply(Command::ExternalTaskFailure {
        task,
        message: Some(message.to_owned()),
        details: Some(details.to_owned()),
    })
    .unwrap();
}

/// Variables sent with the completion are visible to the expression: when it holds, the
/// completion becomes the BPMN error and the boundary event catches it.
#[test]
fn completion_turns_into_a_bpmn_error_when_the_expression_holds() {
    let mut h = Harness::new(&xml(FOO_IS_BAR));
    h.start(none());
    h.complete("externalTask", vars(&[("foo", text("bar"))]));
    assert_eq!(h.user_tasks(), ["userTask"], "{}", h.dump());
    assert!(h.external_tasks().is_empty());
    assert!(!h.history.contains(&"start:end".to_owned()));
    assert_eq!(h.var("code"), Some(text("errorCode")));
    assert_eq!(
        h.var("message"),
        Some(text("failed: bar")),
        "the error's camunda:errorMessage expression"
    );
    assert_eq!(
        h.var("foo"),
        Some(text("bar")),
        "the completion's variables were set"
    );
}

/// When no expression holds, the completion completes.
#[test]
fn completion_completes_when_no_expression_holds() {
    let mut h = Harness::new(&xml(FOO_IS_BAR));
    h.start(none());
    h.complete("externalTask", vars(&[("foo", text("baz"))]));
    assert!(h.ended(), "{}", h.dump());
    assert!(h.history.contains(&"end:end".to_owned()));
}

/// A failure whose details match becomes the BPMN error; the `externalTask` bean shows the
/// failure's message and details.
#[test]
fn failure_turns_into_a_bpmn_error_when_the_expression_holds() {
    let mut h = Harness::new(&xml(
        r#"<camunda:errorEventDefinition errorRef="err" expression="${externalTask.getErrorDetails().contains('timeout')}"/>"#,
    ));
    h.start(vars(&[("foo", text("x"))]));
    fail(&mut h, "oops", "connection refused");
    assert_eq!(
        h.external_tasks(),
        ["t@externalTask"],
        "not a match: still open"
    );
    fail(&mut h, "oops", "read timeout after 10s");
    assert_eq!(h.user_tasks(), ["userTask"], "{}", h.dump());
    assert!(h.external_tasks().is_empty());
}

/// The definitions are tried in order; the first that holds decides the code.
#[test]
fn the_first_matching_definition_wins() {
    let mut h = Harness::new(&xml(
        r#"<camunda:errorEventDefinition errorRef="other" expression="${n > 10}"/>
           <camunda:errorEventDefinition errorRef="err" expression="${n > 1}"/>
           <camunda:errorEventDefinition errorRef="other" expression="${n > 0}"/>"#,
    ));
    h.start(vars(&[("foo", text("f"))]));
    h.complete("externalTask", vars(&[("n", int(5))]));
    assert_eq!(h.var("code"), Some(text("errorCode")));
}

/// A definition without an expression is accepted (with a warning) and never fires
/// (ExternalTaskServiceTest…NullExpression).
#[test]
fn a_definition_without_expression_never_fires() {
    let mut h = Harness::new(&xml(r#"<camunda:errorEventDefinition errorRef="err"/>"#));
    h.start(none());
    h.complete("externalTask", none());
    assert!(h.ended());
    assert!(h.history.contains(&"end:end".to_owned()));
}

/// A definition whose error nobody catches ends the failing path, as an uncaught BPMN
/// error does.
#[test]
fn an_uncaught_error_ends_the_path() {
    let mut h = Harness::new(&xml(
        r#"<camunda:errorEventDefinition errorRef="other" expression="${true}"/>"#,
    ));
    h.start(none());
    h.complete("externalTask", none());
    assert!(h.ended(), "{}", h.dump());
    assert!(!h.history.contains(&"start:end".to_owned()));
    assert!(!h.history.contains(&"start:userTask".to_owned()));
}
