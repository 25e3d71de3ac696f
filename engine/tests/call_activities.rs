//! Call activities, the calling side (Camunda's CallActivityTest): the runtime asks the
//! server to start the child with the `camunda:in` variables, waits, and maps
//! `camunda:out` when the child completes. End-to-end behaviour with real child
//! instances is tested over REST.

mod support;
use procos_engine::runtime::Command;
use procos_engine::value::Value;
use support::*;

fn caller() -> String {
    process(
        r#"<startEvent id="start"/>
           <callActivity id="call" calledElement="${childKey}">
             <extensionElements>
               <camunda:in source="order" target="input"/>
               <camunda:in sourceExpression="${amount * 2}" target="doubled"/>
               <camunda:in businessKey="${execution.processBusinessKey}"/>
               <camunda:out source="result" target="answer"/>
               <camunda:out sourceExpression="${result.concat('!')}" target="shout"/>
             </extensionElements>
           </callActivity>
           <boundaryEvent id="failed" attachedToRef="call"><errorEventDefinition/></boundaryEvent>
           <endEvent id="end"/><endEvent id="failedEnd"/>"#,
        "start -> call -> end; failed -> failedEnd",
    )
}

#[test]
fn test_call_activity_maps_in_and_out() {
    let mut h = Harness::new(&caller());
    h.start(vars(&[
        ("childKey", Value::from("child")),
        ("order", Value::from("o-1")),
        ("amount", Value::Long(21)),
    ]));
    assert_eq!(h.calls.len(), 1);
    let call = h.calls[0].clone();
    assert_eq!(call.key, "child");
    assert_eq!(call.business_key.as_deref(), Some("bk-1"));
    assert_eq!(call.variables.get("input"), Some(&Value::from("o-1")));
    assert_eq!(call.variables.get("doubled"), Some(&Value::Long(42)));
    h.try_apply(Command::CalledCompleted {
        token: call.token,
        variables: vars(&[("result", Value::from("yes"))]),
    })
    .unwrap();
    assert!(h.ended(), "{}", h.dump());
    assert_eq!(h.var("answer"), Some(Value::from("yes")));
    assert_eq!(h.var("shout"), Some(Value::from("yes!")));
}

/// An error the child does not catch reaches the call activity's boundary event, which
/// cancels the child.
#[test]
fn test_error_from_child_reaches_boundary() {
    let mut h = Harness::new(&caller());
    h.start(vars(&[
        ("childKey", Value::from("child")),
        ("order", Value::Null),
        ("amount", Value::Long(1)),
    ]));
    let call = h.calls[0].clone();
    h.try_apply(Command::CalledError {
        token: call.token,
        code: Some("E1".to_owned()),
        message: None,
    })
    .unwrap();
    assert!(h.ended());
    assert!(h.history.contains(&"start:failedEnd".to_owned()));
    assert_eq!(h.canceled_calls, vec![call.child]);
}

// ----- bindings ------------------------------------------------------------------------

fn call_with(attrs: &str, ext: &str) -> String {
    process(
        &format!(
            r#"<startEvent id="start"/>
               <callActivity id="call" {attrs}><extensionElements>{ext}</extensionElements></callActivity>
               <userTask id="after"/><endEvent id="end"/>"#
        ),
        "start -> call -> after -> end",
    )
}

fn first_call(
    xml: &str,
    variables: procos_engine::value::Variables,
) -> procos_engine::runtime::CallSpec {
    let mut h = Harness::new(xml);
    h.start(variables);
    assert_eq!(h.calls.len(), 1, "{}", h.dump());
    h.calls[0].clone()
}

/// calledElementBinding picks which definition the server starts: latest by default,
/// deployment, version (an expression) and versionTag (CallActivityTest's
/// testCallLatest/Deployment/Version/VersionTag…).
#[test]
fn test_called_element_binding_is_passed_to_the_server() {
    use procos_engine::bpmn::CallBinding;
    let c = first_call(&call_with(r#"calledElement="child""#, ""), none());
    assert_eq!(
        (c.key.as_str(), &c.binding),
        ("child", &CallBinding::Latest)
    );

    let c = first_call(
        &call_with(
            r#"calledElement="child" camunda:calledElementBinding="deployment""#,
            "",
        ),
        none(),
    );
    assert_eq!(c.binding, CallBinding::Deployment);

    let c = first_call(
        &call_with(
            r#"calledElement="child" camunda:calledElementBinding="version" camunda:calledElementVersion="${v}""#,
            "",
        ),
        vars(&[("v", Value::Long(2))]),
    );
    assert_eq!((c.binding, c.version), (CallBinding::Version, Some(2)));

    let c = first_call(
        &call_with(
            r#"calledElement="${key}" camunda:calledElementBinding="versionTag" camunda:calledElementVersionTag="ver_tag_${n}""#,
            "",
        ),
        vars(&[("key", Value::from("other")), ("n", Value::Long(1))]),
    );
    assert_eq!(c.key, "other");
    assert_eq!(c.binding, CallBinding::VersionTag);
    assert_eq!(c.version_tag.as_deref(), Some("ver_tag_1"));
}

/// A version binding without a version is refused at deploy, as Camunda's parser does.
#[test]
fn test_version_binding_without_version_is_refused() {
    let errors = rejection(&call_with(
        r#"calledElement="child" camunda:calledElementBinding="version""#,
        "",
    ));
    assert!(!errors.is_empty());
}

/// A calledElement expression that evaluates to null fails the step that reaches it.
#[test]
fn test_called_element_null_fails() {
    let mut h = Harness::new(&process(
        r#"<startEvent id="start"/><userTask id="first"/>
           <callActivity id="call" calledElement="${key}"/><endEvent id="end"/>"#,
        "start -> first -> call -> end",
    ));
    h.start(vars(&[("key", Value::Null)]));
    let err = h.try_complete_user("first", none()).unwrap_err();
    assert!(err.to_string().contains("calledElement"), "{err}");
    assert_eq!(h.user_tasks(), ["first"], "nothing changed");
}

// ----- variables in and out ----------------------------------------------------------

/// `variables="all"` passes every variable in, and every child variable out.
#[test]
fn test_all_variables_in_and_out() {
    let xml = call_with(
        r#"calledElement="child""#,
        r#"<camunda:in variables="all"/><camunda:out variables="all"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("a", int(1)), ("b", text("two"))]));
    let call = h.calls[0].clone();
    assert_eq!(call.variables.get("a"), Some(&int(1)));
    assert_eq!(call.variables.get("b"), Some(&text("two")));
    h.try_apply(Command::CalledCompleted {
        token: call.token,
        variables: vars(&[("a", int(10)), ("c", text("new"))]),
    })
    .unwrap();
    assert_eq!(h.var("a"), Some(int(10)));
    assert_eq!(h.var("b"), Some(text("two")));
    assert_eq!(h.var("c"), Some(text("new")));
}

/// `local="true"` on camunda:in reads only the call activity's own (local) variables,
/// such as its input parameters (CallActivityTest#testSubProcessLocalInputAllVariables
/// and …SingleVariable).
#[test]
fn test_local_in_reads_only_local_variables() {
    let xml = call_with(
        r#"calledElement="child""#,
        r#"<camunda:inputOutput><camunda:inputParameter name="mine">local value</camunda:inputParameter></camunda:inputOutput>
           <camunda:in variables="all" local="true"/>
           <camunda:in source="outer" target="outerCopy" local="true"/>
           <camunda:in source="mine" target="mineCopy" local="true"/>"#,
    );
    let call = first_call(&xml, vars(&[("outer", text("process value"))]));
    assert_eq!(call.variables.get("mine"), Some(&text("local value")));
    assert_eq!(
        call.variables.get("outer"),
        None,
        "all + local: process variables stay out"
    );
    assert_eq!(call.variables.get("mineCopy"), Some(&text("local value")));
    assert_eq!(
        call.variables.get("outerCopy"),
        Some(&Value::Null),
        "a single local source that is not local is null: {:?}",
        call.variables
    );
}

/// `local="true"` on camunda:out sets the variable on the call activity's execution only:
/// an output parameter can pick it up, and it is not a process variable
/// (CallActivityTest#testSubProcessLocalOutputAllVariables).
#[test]
fn test_local_out_sets_on_the_call_activity_only() {
    let xml = call_with(
        r#"calledElement="child""#,
        r#"<camunda:inputOutput><camunda:outputParameter name="final">${tmp}-mapped</camunda:outputParameter></camunda:inputOutput>
           <camunda:out source="result" target="tmp" local="true"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let call = h.calls[0].clone();
    h.try_apply(Command::CalledCompleted {
        token: call.token,
        variables: vars(&[("result", text("r"))]),
    })
    .unwrap();
    assert_eq!(h.var("final"), Some(text("r-mapped")), "{}", h.dump());
    assert_eq!(h.var("tmp"), None);
}

/// A missing `source` passes null (CallActivityTest#testSubProcessWithNullDataInput);
/// a missing child variable comes back as null.
#[test]
fn test_missing_sources_are_null() {
    let xml = call_with(
        r#"calledElement="child""#,
        r#"<camunda:in source="nope" target="x"/><camunda:out source="absent" target="y"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let call = h.calls[0].clone();
    assert_eq!(call.variables.get("x"), Some(&Value::Null));
    h.try_apply(Command::CalledCompleted {
        token: call.token,
        variables: none(),
    })
    .unwrap();
    assert_eq!(h.var("y"), Some(Value::Null));
}

/// `businessKey` on camunda:in passes an expression's value as the child's business key;
/// without it the child has none.
#[test]
fn test_business_key() {
    let call = first_call(
        &call_with(
            r#"calledElement="child""#,
            r#"<camunda:in businessKey="${order}-${execution.processBusinessKey}"/>"#,
        ),
        vars(&[("order", text("o7"))]),
    );
    assert_eq!(call.business_key.as_deref(), Some("o7-bk-1"));
    let call = first_call(&call_with(r#"calledElement="child""#, ""), none());
    assert_eq!(call.business_key, None);
}

// ----- errors and escalations from the child ------------------------------------------

fn with_boundaries(boundaries: &str) -> String {
    definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="start"/><callActivity id="call" calledElement="child"/>
                   {boundaries}
                   <userTask id="after"/><userTask id="handled"/><endEvent id="end"/><endEvent id="end2"/>"#
            ),
            "start -> call -> after -> end; caught -> handled -> end2",
        ),
        r#"<error id="e" errorCode="E1"/><escalation id="esc" escalationCode="ESC"/>"#,
    )
}

/// The error code picks the boundary event; errorCodeVariable and errorMessageVariable
/// get the child's code and message.
#[test]
fn test_error_code_and_message_variables() {
    let xml = with_boundaries(
        r#"<boundaryEvent id="caught" attachedToRef="call"><errorEventDefinition errorRef="e" camunda:errorCodeVariable="code" camunda:errorMessageVariable="msg"/></boundaryEvent>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let call = h.calls[0].clone();
    h.try_apply(Command::CalledError {
        token: call.token,
        code: Some("E1".to_owned()),
        message: Some("child failed".to_owned()),
    })
    .unwrap();
    assert_eq!(h.user_tasks(), ["handled"]);
    assert_eq!(h.var("code"), Some(text("E1")));
    assert_eq!(h.var("msg"), Some(text("child failed")));
}

/// An error the call activity does not catch travels on to the caller's own event
/// subprocess.
#[test]
fn test_error_not_caught_on_the_call_activity_reaches_the_callers_event_subprocess() {
    let xml = definitions(
        &process_element(
            "p",
            r#"<startEvent id="start"/><callActivity id="call" calledElement="child"/>
               <boundaryEvent id="other" attachedToRef="call"><errorEventDefinition errorRef="e2"/></boundaryEvent>
               <endEvent id="end"/><endEvent id="end2"/>
               <subProcess id="esp" triggeredByEvent="true">
                 <startEvent id="espStart"><errorEventDefinition errorRef="e"/></startEvent>
                 <userTask id="handle"/><endEvent id="espEnd"/>
                 <sequenceFlow id="x1" sourceRef="espStart" targetRef="handle"/>
                 <sequenceFlow id="x2" sourceRef="handle" targetRef="espEnd"/>
               </subProcess>"#,
            "start -> call -> end; other -> end2",
        ),
        r#"<error id="e" errorCode="E1"/><error id="e2" errorCode="E2"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let call = h.calls[0].clone();
    h.try_apply(Command::CalledError {
        token: call.token,
        code: Some("E1".to_owned()),
        message: None,
    })
    .unwrap();
    assert_eq!(h.tree(), "p\n  esp\n    handle\n");
    assert_eq!(h.canceled_calls, vec![call.child]);
}

/// An interrupting escalation boundary on the call activity cancels the child.
#[test]
fn test_escalation_from_child_interrupting() {
    let xml = with_boundaries(
        r#"<boundaryEvent id="caught" attachedToRef="call"><escalationEventDefinition escalationRef="esc" camunda:escalationCodeVariable="code"/></boundaryEvent>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let call = h.calls[0].clone();
    h.try_apply(Command::CalledEscalation {
        token: call.token,
        code: Some("ESC".to_owned()),
    })
    .unwrap();
    assert_eq!(h.tree(), "p\n  handled\n");
    assert_eq!(h.canceled_calls, vec![call.child]);
    assert_eq!(h.var("code"), Some(text("ESC")));
}

/// A non-interrupting escalation boundary on the call activity leaves the child running;
/// the call activity still completes when the child does
/// (CallActivityTest / EscalationEventTest#testPropagateEscalationFromSubprocess…).
#[test]
fn test_escalation_from_child_non_interrupting() {
    let xml = with_boundaries(
        r#"<boundaryEvent id="caught" attachedToRef="call" cancelActivity="false"><escalationEventDefinition escalationRef="esc"/></boundaryEvent>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let call = h.calls[0].clone();
    h.try_apply(Command::CalledEscalation {
        token: call.token,
        code: Some("ESC".to_owned()),
    })
    .unwrap();
    assert_eq!(h.tree(), "p\n  call\n  handled\n");
    assert!(h.canceled_calls.is_empty());
    h.try_apply(Command::CalledCompleted {
        token: call.token,
        variables: none(),
    })
    .unwrap();
    assert_eq!(h.user_tasks(), ["after", "handled"]);
}

/// An escalation nobody catches is ignored: the child goes on, the caller is unchanged.
#[test]
fn test_uncaught_escalation_from_child_changes_nothing() {
    let xml = with_boundaries(
        r#"<boundaryEvent id="caught" attachedToRef="call"><escalationEventDefinition escalationRef="esc"/></boundaryEvent>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let call = h.calls[0].clone();
    h.try_apply(Command::CalledEscalation {
        token: call.token,
        code: Some("OTHER".to_owned()),
    })
    .unwrap();
    assert_eq!(h.tree(), "p\n  call\n");
    assert!(h.canceled_calls.is_empty());
}

/// Deleting the caller deletes the child.
#[test]
fn test_cancelling_the_caller_cancels_the_child() {
    let mut h = Harness::new(&call_with(r#"calledElement="child""#, ""));
    h.start(none());
    let call = h.calls[0].clone();
    h.cancel();
    assert_eq!(h.canceled_calls, vec![call.child]);
}
