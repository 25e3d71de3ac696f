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
