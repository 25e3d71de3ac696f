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

fn script_task(format: &str, attrs: &str, script: &str) -> String {
    process(
        &format!(
            r#"<startEvent id="start"/><userTask id="before"/>
               <scriptTask id="s" scriptFormat="{format}" {attrs}><script><![CDATA[{script}]]></script></scriptTask>
               <userTask id="after"/><endEvent id="end"/>"#
        ),
        "start -> before -> s -> after -> end",
    )
}

/// `ecmascript` and `js` are JavaScript too; `execution.getVariable` reads a variable.
#[test]
fn test_javascript_aliases_and_get_variable() {
    for format in ["ecmascript", "js", "JavaScript"] {
        let xml = script_task(
            format,
            r#"camunda:resultVariable="greeting""#,
            "'hello ' + execution.getVariable('name')",
        );
        let mut h = Harness::new(&xml);
        h.start(vars(&[("name", text("kermit"))]));
        h.complete_user("before", none());
        assert_eq!(h.var("greeting"), Some(text("hello kermit")), "{format}");
    }
}

/// `juel` runs the expression language; its value goes into the result variable.
#[test]
fn test_juel_script_with_result_variable() {
    let xml = script_task("juel", r#"camunda:resultVariable="sum""#, "${a + b}");
    let mut h = Harness::new(&xml);
    h.start(vars(&[("a", Value::Long(2)), ("b", Value::Long(40))]));
    h.complete_user("before", none());
    assert_eq!(h.var("sum"), Some(Value::Long(42)));
}

/// Without resultVariable, the script's value is dropped and globals assigned in the
/// script do not become process variables (Camunda's JavaScript engine does not store
/// them either); only `execution.setVariable` does.
#[test]
fn test_without_result_variable_only_set_variable_sticks() {
    let xml = script_task(
        "javascript",
        "",
        "var local = 5; execution.setVariable('kept', local + 1); local",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete_user("before", none());
    assert_eq!(h.var("kept"), Some(Value::Integer(6)));
    assert_eq!(h.var("local"), None);
    assert_eq!(h.user_tasks(), ["after"]);
}

/// An endless loop is stopped by the script's time budget; the step fails and changes
/// nothing.
#[test]
fn test_endless_loop_is_stopped() {
    let xml = script_task("javascript", "", "while (true) {}");
    let mut h = Harness::new(&xml);
    h.start(none());
    let before = h.dump();
    let err = h.try_complete_user("before", none()).unwrap_err();
    assert!(!err.to_string().is_empty());
    assert_eq!(h.dump(), before);
}

/// A script that allocates without bound is stopped by the memory limit.
#[test]
fn test_memory_is_limited() {
    let xml = script_task(
        "javascript",
        "",
        "var a = []; while (true) { a.push('x'.repeat(1024 * 1024)); }",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let before = h.dump();
    assert!(h.try_complete_user("before", none()).is_err());
    assert_eq!(h.dump(), before);
}

/// Python, Ruby and Groovy need a JVM script engine: deploy errors that name the
/// language and suggest an external task.
#[test]
fn test_jvm_languages_are_refused_with_advice() {
    for format in ["groovy", "python", "jython", "ruby", "jruby"] {
        let errors = rejection(&script_task(format, "", "1"));
        assert!(
            errors
                .iter()
                .any(|e| e.contains(&format!("'{format}'"))
                    && e.contains("camunda:type=\"external\"")),
            "{format}: {errors:?}"
        );
    }
}

/// A `camunda:script` input parameter computes a local variable of the activity; a
/// script output parameter copies a value out.
#[test]
fn test_scripts_in_input_output_mappings() {
    let xml = process(
        r#"<startEvent id="start"/>
           <userTask id="review"><extensionElements><camunda:inputOutput>
             <camunda:inputParameter name="doubled"><camunda:script scriptFormat="javascript">amount * 2</camunda:script></camunda:inputParameter>
             <camunda:outputParameter name="verdict"><camunda:script scriptFormat="javascript">doubled > 10 ? 'big' : 'small'</camunda:script></camunda:outputParameter>
           </camunda:inputOutput></extensionElements></userTask>
           <endEvent id="end"/>"#,
        "start -> review -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("amount", Value::Long(6))]));
    assert_eq!(h.local_var("review", "doubled"), Some(Value::Integer(12)));
    assert_eq!(h.var("doubled"), None, "input parameters are local");
    h.complete_user("review", none());
    assert_eq!(h.var("verdict"), Some(text("big")));
}

/// A script loaded from a resource cannot run: refused at deploy.
#[test]
fn test_script_resource_is_refused() {
    let xml = process(
        r#"<startEvent id="start"/>
           <task id="t"><extensionElements><camunda:inputOutput>
             <camunda:inputParameter name="x"><camunda:script scriptFormat="javascript" resource="classpath://x.js"/></camunda:inputParameter>
           </camunda:inputOutput></extensionElements></task>
           <endEvent id="end"/>"#,
        "start -> t -> end",
    );
    let errors = rejection(&xml);
    assert!(errors.iter().any(|e| e.contains("x.js")), "{errors:?}");
}
