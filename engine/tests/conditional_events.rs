//! Conditional events (Camunda's conditional event tests): intermediate catch, boundary
//! and event-subprocess start, evaluated when their scope starts and on every variable
//! change, filtered by `camunda:variableName` and `camunda:variableEvents`.

mod support;
use procos_engine::runtime::Command;
use procos_engine::value::Value;
use support::*;

/// Sequence flows along `a -> b -> c`, for use inside a subprocess.
fn seq(chain: &str) -> String {
    let nodes: Vec<&str> = chain.split("->").map(str::trim).collect();
    nodes
        .windows(2)
        .map(|w| {
            format!(
                r#"<sequenceFlow id="{0}_{1}" sourceRef="{0}" targetRef="{1}"/>"#,
                w[0], w[1]
            )
        })
        .collect()
}

fn cond(expr: &str, extra: &str) -> String {
    format!(
        r#"<conditionalEventDefinition {extra}><condition xsi:type="tFormalExpression">{expr}</condition></conditionalEventDefinition>"#
    )
}

/// An intermediate conditional event waits until a variable change makes it true.
#[test]
fn intermediate_event_waits_for_its_condition() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <intermediateCatchEvent id="wait">{}</intermediateCatchEvent>
               <userTask id="after"/><endEvent id="end"/>"#,
            cond("${x == 1}", "")
        ),
        "start -> wait -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.active(), ["wait"]);
    assert_eq!(h.subscriptions(), ["conditional:@wait"]);
    h.set_variables(vars(&[("x", int(2))]));
    assert_eq!(h.active(), ["wait"]);
    h.set_variables(vars(&[("x", int(1))]));
    assert_eq!(h.active(), ["after"]);
    assert!(h.subscriptions().is_empty());
}

/// A condition that already holds on arrival does not wait.
#[test]
fn intermediate_event_passes_when_already_true() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <intermediateCatchEvent id="wait">{}</intermediateCatchEvent>
               <userTask id="after"/><endEvent id="end"/>"#,
            cond("${x == 1}", "")
        ),
        "start -> wait -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("x", int(1))]));
    assert_eq!(h.active(), ["after"]);
    assert!(h.subscriptions().is_empty());
}

/// An interrupting conditional boundary event cancels its task; a non-interrupting one
/// fires on every change that makes it true and keeps the task.
#[test]
fn boundary_events_interrupting_and_not() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><userTask id="task"/><endEvent id="end"/>
               <boundaryEvent id="cancel" attachedToRef="task">{}</boundaryEvent>
               <boundaryEvent id="note" attachedToRef="task" cancelActivity="false">{}</boundaryEvent>
               <userTask id="noted"/><userTask id="cancelled"/>"#,
            cond("${stop == true}", ""),
            cond("${n &gt; 0}", r#"camunda:variableName="n""#)
        ),
        "start -> task -> end; cancel -> cancelled; note -> noted",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("stop", Value::Boolean(false))]));
    assert_eq!(h.active(), ["task"]);
    h.set_variables(vars(&[("n", int(1))]));
    assert_eq!(h.active(), ["noted", "task"]);
    h.set_variables(vars(&[("n", int(2))]));
    assert_eq!(h.active(), ["noted", "noted", "task"]);
    // Another variable does not re-evaluate a condition limited to `n`.
    h.set_variables(vars(&[("other", int(2))]));
    assert_eq!(h.active(), ["noted", "noted", "task"]);
    h.set_variables(vars(&[("stop", Value::Boolean(true))]));
    assert_eq!(h.active(), ["cancelled", "noted", "noted"]);
    assert!(h.subscriptions().is_empty());
}

/// A conditional boundary event whose condition holds when the activity starts fires
/// at once.
#[test]
fn boundary_event_true_on_entry() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><userTask id="task"/><endEvent id="end"/>
               <boundaryEvent id="b" attachedToRef="task">{}</boundaryEvent>
               <userTask id="after"/>"#,
            cond("${x == 1}", "")
        ),
        "start -> task -> end; b -> after",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("x", int(1))]));
    assert_eq!(h.active(), ["after"]);
    assert!(h.user_tasks().iter().all(|t| !t.contains("task@")));
}

/// An interrupting conditional event subprocess cancels the process's work; a
/// non-interrupting one runs beside it.
#[test]
fn event_subprocess_starts() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><userTask id="task"/><endEvent id="end"/>
               <subProcess id="esp" triggeredByEvent="true">
                 <startEvent id="espStart">{}</startEvent>
                 <userTask id="handle"/><endEvent id="espEnd"/>{}
               </subProcess>
               <subProcess id="esp2" triggeredByEvent="true">
                 <startEvent id="espStart2" isInterrupting="false">{}</startEvent>
                 <userTask id="note"/><endEvent id="espEnd2"/>{}
               </subProcess>"#,
            cond("${abort}", ""),
            seq("espStart -> handle -> espEnd"),
            cond("${level &gt; 1}", r#"camunda:variableEvents="create""#),
            seq("espStart2 -> note -> espEnd2"),
        ),
        "start -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("abort", Value::Boolean(false))]));
    assert_eq!(h.active(), ["task"]);
    h.set_variables(vars(&[("level", int(2))]));
    assert_eq!(h.active(), ["esp2", "note", "task"]);
    // variableEvents="create": an update does not re-evaluate.
    h.set_variables(vars(&[("level", int(3))]));
    assert_eq!(h.active(), ["esp2", "note", "task"]);
    h.set_variables(vars(&[("abort", Value::Boolean(true))]));
    assert_eq!(h.active(), ["esp", "handle"]);
    h.complete_user("handle", vars(&[]));
    assert!(h.ended());
}

/// A variable set by a script task is seen before the token moves on: the interrupting
/// event subprocess takes over before the next task starts.
#[test]
fn variable_set_in_script_triggers_before_the_next_step() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <scriptTask id="s" scriptFormat="javascript"><script>execution.setVariable("abort", true)</script></scriptTask>
               <userTask id="task"/><endEvent id="end"/>
               <subProcess id="esp" triggeredByEvent="true">
                 <startEvent id="espStart">{}</startEvent>
                 <userTask id="handle"/><endEvent id="espEnd"/>{}
               </subProcess>"#,
            cond("${abort}", ""),
            seq("espStart -> handle -> espEnd"),
        ),
        "start -> s -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("abort", Value::Boolean(false))]));
    assert_eq!(h.active(), ["esp", "handle"]);
    assert!(
        !h.history.contains(&"start:task".to_owned()),
        "{:?}",
        h.history
    );
}

/// A condition naming a variable nobody set is false, not an error.
#[test]
fn unknown_variable_is_false() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <intermediateCatchEvent id="wait">{}</intermediateCatchEvent>
               <endEvent id="end"/>"#,
            cond("${missing == 1}", "")
        ),
        "start -> wait -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.active(), ["wait"]);
    h.set_variables(vars(&[("missing", int(1))]));
    assert!(h.ended());
}

/// A local variable of a subprocess re-evaluates only the events inside it.
#[test]
fn local_change_reaches_only_inner_scopes() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <subProcess id="sub">
                 <startEvent id="s1"/><userTask id="inner"/><endEvent id="e1"/>
                 <boundaryEvent id="innerCond" attachedToRef="inner">{}</boundaryEvent>
                 <endEvent id="e2"/>{}{}
               </subProcess>
               <endEvent id="end"/>
               <subProcess id="esp" triggeredByEvent="true">
                 <startEvent id="espStart">{}</startEvent>
                 <userTask id="handle"/><endEvent id="espEnd"/>{}
               </subProcess>"#,
            cond("${x == 1}", ""),
            seq("s1 -> inner -> e1"),
            seq("innerCond -> e2"),
            cond("${x == 1}", ""),
            seq("espStart -> handle -> espEnd"),
        ),
        "start -> sub -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    let sub = h.token_at("sub");
    h.try_apply(Command::SetVariables {
        scope: sub,
        variables: vars(&[("x", int(1))]),
        local: true,
        removals: Vec::new(),
    })
    .expect("set");
    // The inner boundary event fired; the process-level event subprocess did not.
    assert!(h.ended(), "{}", h.dump());
}
