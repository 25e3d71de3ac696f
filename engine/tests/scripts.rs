//! Script tasks and scripts in mappings, listeners and conditions (Camunda's
//! ScriptTaskTest): JavaScript runs embedded; JUEL is the expression language.

mod support;
use procos_engine::value::Value;
use support::*;

/// A JavaScript script task sees variables as globals, sets variables through
/// `execution`, and stores its result in `camunda:resultVariable`.
#[test]
fn test_javascript_script_task() {
    let xml = process(
        r#"<startEvent id="start"/>
           <scriptTask id="calc" scriptFormat="javascript" camunda:resultVariable="total"><script>execution.setVariable('discounted', amount > 100); amount * 2</script></scriptTask>
           <endEvent id="end"/>"#,
        "start -> calc -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("amount", Value::Long(150))]));
    assert!(h.ended(), "{}", h.dump());
    assert_eq!(h.var("total"), Some(Value::Integer(300)));
    assert_eq!(h.var("discounted"), Some(Value::Boolean(true)));
}

/// A script that throws fails the command and changes nothing.
#[test]
fn test_failing_script_changes_nothing() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="wait"/>
           <scriptTask id="boom" scriptFormat="js"><script>throw new Error('out of stock')</script></scriptTask>
           <endEvent id="end"/>"#,
        "start -> wait -> boom -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    let before = h.dump();
    let task = h.user_specs["wait"].id;
    let err = h
        .try_apply(procos_engine::runtime::Command::CompleteUserTask {
            task,
            variables: vars(&[]),
        })
        .unwrap_err();
    assert!(err.to_string().contains("out of stock"), "{err}");
    assert_eq!(h.dump(), before);
}

/// A JavaScript sequence flow condition.
#[test]
fn test_javascript_condition() {
    let xml = process(
        r#"<startEvent id="start"/><exclusiveGateway id="gw" default="gw_small"/>
           <endEvent id="big"/><endEvent id="small"/>
           <sequenceFlow id="gw_big" sourceRef="gw" targetRef="big"><conditionExpression xsi:type="tFormalExpression" language="javascript">amount > 10</conditionExpression></sequenceFlow>
           <sequenceFlow id="gw_small" sourceRef="gw" targetRef="small"/>"#,
        "start -> gw",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("amount", Value::Long(11))]));
    assert!(
        h.history.contains(&"start:big".to_owned()),
        "{:?}",
        h.history
    );
}

/// Groovy needs a JVM: refused at deploy with advice.
#[test]
fn test_groovy_is_refused() {
    let xml = process(
        r#"<startEvent id="start"/><scriptTask id="s" scriptFormat="groovy"><script>1</script></scriptTask><endEvent id="end"/>"#,
        "start -> s -> end",
    );
    let errors = rejection(&xml);
    assert!(
        errors
            .iter()
            .any(|e| e.contains("'groovy'") && e.contains("JavaScript")),
        "{errors:?}"
    );
}

/// Execution listeners with expressions run at start and end.
#[test]
fn test_execution_listeners() {
    let xml = process(
        r#"<startEvent id="start"/>
           <task id="t"><extensionElements>
             <camunda:executionListener event="start" expression="${execution.setVariable('started', true)}"/>
             <camunda:executionListener event="end"><camunda:script scriptFormat="javascript">execution.setVariable('ended', 1)</camunda:script></camunda:executionListener>
           </extensionElements></task>
           <endEvent id="end"/>"#,
        "start -> t -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.var("started"), Some(Value::Boolean(true)));
    assert_eq!(h.var("ended"), Some(Value::Integer(1)));
}

/// A create task listener can assign the task.
#[test]
fn test_task_listener_assigns() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="review"><extensionElements><camunda:taskListener event="create" expression="${task.setAssignee(owner)}"/></extensionElements></userTask>
           <endEvent id="end"/>"#,
        "start -> review -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("owner", Value::from("kermit"))]));
    assert_eq!(h.assignee("review").as_deref(), Some("kermit"));
}
