//! `camunda:inputOutput`, step by step, mirroring Camunda 7's InputOutputTest.
//!
//! Input parameters become local variables of the activity (its own scope); output
//! parameters are evaluated in that scope when the activity completes and copied to the
//! enclosing scope. Lists and maps nest; map entries come out sorted by key (a TreeMap).

mod support;
use support::*;

use procos_engine::value::Value;

fn io(inputs: &str, outputs: &str) -> String {
    format!("<extensionElements><camunda:inputOutput>{inputs}{outputs}</camunda:inputOutput></extensionElements>")
}

/// A user task `wait` with the given inputOutput, between start and end.
fn task_with_io(inputs: &str, outputs: &str) -> String {
    process(
        &format!(
            r#"{}<serviceTask id="wait" camunda:type="external" camunda:topic="wait">{}</serviceTask>{}"#,
            start_end("end"),
            io(inputs, outputs),
            usr("after")
        ),
        "start -> wait -> after -> end",
    )
}

/// The JSON text of a list or map value (Camunda's serialized Java object).
fn json(v: Option<Value>) -> String {
    match v {
        Some(Value::Object(o)) => o.serialized.clone(),
        other => panic!("expected an object value, got {other:?}"),
    }
}

/// Text and `${...}` input parameters are local variables of the task, invisible to the
/// process; an empty parameter is null.
#[test]
fn input_output_test_input_text_and_el_values() {
    let xml = task_with_io(
        r#"<camunda:inputParameter name="var1">Hello World</camunda:inputParameter>
           <camunda:inputParameter name="var2">${x + 1}</camunda:inputParameter>
           <camunda:inputParameter name="var3"/>"#,
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("x", Value::Long(41))]));
    assert_eq!(h.local_var("wait", "var1"), Some(text("Hello World")));
    assert_eq!(h.local_var("wait", "var2"), Some(Value::Long(42)));
    assert_eq!(h.local_var("wait", "var3"), Some(Value::Null));
    assert_eq!(h.var("var1"), None);
    assert_eq!(h.var("var2"), None);

    h.complete("wait", none());
    assert_eq!(
        h.var("var1"),
        None,
        "input variables end with their activity"
    );
    assert_eq!(h.user_tasks(), ["after"]);
}

/// Camunda trims the text of a parameter before using it, so a parameter written over
/// several lines has no surrounding whitespace.
#[test]
fn input_output_test_input_text_is_trimmed() {
    let xml = task_with_io(
        "<camunda:inputParameter name=\"var1\">\n      Hello World\n    </camunda:inputParameter>
         <camunda:inputParameter name=\"var2\">\n      ${x}\n    </camunda:inputParameter>",
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("x", int(5))]));
    assert_eq!(h.local_var("wait", "var1"), Some(text("Hello World")));
    assert_eq!(h.local_var("wait", "var2"), Some(int(5)));
}

/// `camunda:list` with text and `${...}` items.
#[test]
fn input_output_test_input_list_el_values() {
    let xml = task_with_io(
        r#"<camunda:inputParameter name="var1"><camunda:list>
             <camunda:value>${exprKey}</camunda:value>
             <camunda:value>constant</camunda:value>
             <camunda:value>${1 + 2}</camunda:value>
           </camunda:list></camunda:inputParameter>"#,
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("exprKey", text("a"))]));
    assert_eq!(json(h.local_var("wait", "var1")), r#"["a","constant",3]"#);
}

/// `camunda:map` entries come out sorted by key, whatever their order in the XML.
#[test]
fn input_output_test_input_map_el_values() {
    let xml = task_with_io(
        r#"<camunda:inputParameter name="var1"><camunda:map>
             <camunda:entry key="b">${2}</camunda:entry>
             <camunda:entry key="a">${1}</camunda:entry>
             <camunda:entry key="c">three</camunda:entry>
           </camunda:map></camunda:inputParameter>"#,
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        json(h.local_var("wait", "var1")),
        r#"{"a":1,"b":2,"c":"three"}"#
    );
}

/// Map keys may be expressions.
#[test]
fn input_output_test_input_map_el_key() {
    let xml = task_with_io(
        r#"<camunda:inputParameter name="var1"><camunda:map>
             <camunda:entry key="${keyVar}">value</camunda:entry>
             <camunda:entry key="static">other</camunda:entry>
           </camunda:map></camunda:inputParameter>"#,
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("keyVar", text("dynamic"))]));
    assert_eq!(
        json(h.local_var("wait", "var1")),
        r#"{"dynamic":"value","static":"other"}"#
    );
}

/// Lists and maps nest in each other.
#[test]
fn input_output_test_input_nested() {
    let xml = task_with_io(
        r#"<camunda:inputParameter name="mapVar"><camunda:map>
             <camunda:entry key="list"><camunda:list>
               <camunda:value>1</camunda:value>
               <camunda:map><camunda:entry key="z">${zz}</camunda:entry><camunda:entry key="y">why</camunda:entry></camunda:map>
             </camunda:list></camunda:entry>
             <camunda:entry key="a">first</camunda:entry>
           </camunda:map></camunda:inputParameter>"#,
        "",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("zz", Value::Boolean(true))]));
    assert_eq!(
        json(h.local_var("wait", "mapVar")),
        r#"{"a":"first","list":["1",{"y":"why","z":true}]}"#
    );
}

/// Output parameters are evaluated in the task's scope (seeing its inputs and the
/// completion variables) and copied to the process.
#[test]
fn input_output_test_output_list_el_values() {
    let xml = task_with_io(
        r#"<camunda:inputParameter name="localVar">local</camunda:inputParameter>"#,
        r#"<camunda:outputParameter name="var1"><camunda:list>
             <camunda:value>${localVar}</camunda:value>
             <camunda:value>${result}</camunda:value>
           </camunda:list></camunda:outputParameter>
           <camunda:outputParameter name="var2">${result}</camunda:outputParameter>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.var("var1"), None);
    h.complete("wait", vars(&[("result", text("from worker"))]));
    assert_eq!(json(h.var("var1")), r#"["local","from worker"]"#);
    assert_eq!(h.var("var2"), Some(text("from worker")));
    assert_eq!(h.var("localVar"), None);
}

/// Input mappings on a subprocess are local to the subprocess (its tasks see them, the
/// process does not); output mappings copy values to the parent when it completes.
#[test]
fn input_output_test_subprocess_io_support() {
    let xml = process(
        &format!(
            r#"{}<subProcess id="subprocess">{}
                 <startEvent id="subStart"/><serviceTask id="inner" camunda:type="external" camunda:topic="inner"/><endEvent id="subEnd"/>
                 <sequenceFlow id="s1" sourceRef="subStart" targetRef="inner"/>
                 <sequenceFlow id="s2" sourceRef="inner" targetRef="subEnd"/>
               </subProcess>{}"#,
            start_end("end"),
            io(
                r#"<camunda:inputParameter name="innerVar">${processVar}</camunda:inputParameter>"#,
                r#"<camunda:outputParameter name="outerVar">${innerVar} and ${innerResult}</camunda:outputParameter>"#
            ),
            usr("after")
        ),
        "start -> subprocess -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("processVar", text("processValue"))]));
    assert_eq!(
        h.local_var("subprocess", "innerVar"),
        Some(text("processValue"))
    );
    assert_eq!(h.var("innerVar"), None);

    // A completion variable that the subprocess already has stays in the subprocess.
    h.complete(
        "inner",
        vars(&[("innerVar", text("changed")), ("innerResult", text("done"))]),
    );
    assert_eq!(h.tree(), "p\n  after\n");
    assert_eq!(h.var("outerVar"), Some(text("changed and done")));
    assert_eq!(h.var("innerVar"), None);
    assert_eq!(h.var("innerResult"), Some(text("done")));
}

/// An interrupting boundary event cancels the activity without running its output
/// mappings; a normal completion runs them.
#[test]
fn input_output_test_output_mapping_on_timer_boundary_event() {
    let xml = process(
        &format!(
            r#"{}<userTask id="wait">{}</userTask>
               <boundaryEvent id="timer" attachedToRef="wait"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></boundaryEvent>
               {}"#,
            start_end("endOk endError"),
            io(
                "",
                "<camunda:outputParameter name=\"mapped\">\n  42\n</camunda:outputParameter>"
            ),
            usr("taskOk taskError")
        ),
        "start -> wait -> taskOk -> endOk; timer -> taskError -> endError",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.advance(3600);
    assert_eq!(h.user_tasks(), ["taskError"]);
    assert_eq!(h.var("mapped"), None);

    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete_user("wait", none());
    assert_eq!(h.user_tasks(), ["taskOk"]);
    assert_eq!(h.var("mapped"), Some(text("42")));
}

/// Input mappings work on catch events too: the timer date comes from a local variable
/// mapped from a process variable.
#[test]
fn input_output_event_test_timer_catch_event() {
    let xml = process(
        &format!(
            r#"{}<intermediateCatchEvent id="timerCatch">{}<timerEventDefinition><timeDate>#{{innerVariable}}</timeDate></timerEventDefinition></intermediateCatchEvent>{}"#,
            start_end("end"),
            io(
                r#"<camunda:inputParameter name="innerVariable">${outerVariable}</camunda:inputParameter>"#,
                ""
            ),
            usr("task")
        ),
        "start -> timerCatch -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("outerVariable", text("2026-01-02T00:00:00Z"))]));
    assert_eq!(h.timers(), ["timerCatch@+86400s"]);
    assert_eq!(
        h.local_var("timerCatch", "innerVariable"),
        Some(text("2026-01-02T00:00:00Z"))
    );
    h.advance(86_400);
    assert_eq!(h.user_tasks(), ["task"]);
    assert_eq!(h.var("innerVariable"), None);
}
