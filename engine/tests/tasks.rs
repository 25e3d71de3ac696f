//! Tasks, step by step, mirroring Camunda 7's ExternalTaskParseTest,
//! ExternalTaskPriorityTest, SendTaskTest, TaskAssignmentExtensionsTest,
//! TaskDueDateExtensionsTest, TaskPriorityExtensionsTest, ReceiveTaskTest, ManualTaskTest,
//! ExpressionServiceTaskTest and the implicit inclusive split of conditional flows
//! leaving an activity (BpmnActivityBehavior).

mod support;
use support::*;

use procos_engine::runtime::{RuntimeError, Wait};
use procos_engine::time::Timestamp;
use procos_engine::value::Value;

/// Adds attributes to the `<process>` element.
fn with_process_attrs(xml: &str, attrs: &str) -> String {
    xml.replacen(
        "camunda:historyTimeToLive",
        &format!("{attrs} camunda:historyTimeToLive"),
        1,
    )
}

// ----- external tasks ---------------------------------------------------------------------

/// A service task with `camunda:type="external"` creates an external task on its topic and
/// waits; completing it moves on. Without a priority, the priority is 0.
#[test]
fn external_task_parse_test_parse_external_task() {
    let xml = process(
        &format!(
            r#"{}<serviceTask id="externalTask" camunda:type="external" camunda:topic="externalTaskTopic"/>"#,
            start_end("end")
        ),
        "start -> externalTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.external_tasks(), ["externalTaskTopic@externalTask"]);
    assert_eq!(h.active(), ["externalTask"]);
    assert!(matches!(
        h.waits("externalTask")[..],
        [Wait::ExternalTask(_)]
    ));
    assert_eq!(h.external_spec("externalTask").priority, 0);

    h.complete("externalTask", vars(&[("result", text("done"))]));
    assert!(h.external_tasks().is_empty());
    assert!(h.ended());
}

/// The topic may be an expression, evaluated when the task is created.
#[test]
fn external_task_parse_test_parse_external_task_with_expression_topic() {
    let xml = process(
        &format!(
            r#"{}<serviceTask id="externalTask" camunda:type="external" camunda:topic="${{topicName}}"/>"#,
            start_end("end")
        ),
        "start -> externalTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("topicName", text("testTopicExpression"))]));
    assert_eq!(h.external_tasks(), ["testTopicExpression@externalTask"]);
}

/// `camunda:taskPriority` on the activity (literal or expression) wins over the process's
/// `camunda:taskPriority`, which is the default for the others.
#[test]
fn external_task_priority_test_priority_on_process_element_and_definition() {
    let xml = with_process_attrs(
        &process(
            &format!(
                r#"{}<parallelGateway id="fork"/>
                   <serviceTask id="literal" camunda:type="external" camunda:topic="t" camunda:taskPriority="10"/>
                   <serviceTask id="expression" camunda:type="external" camunda:topic="t" camunda:taskPriority="${{priority}}"/>
                   <serviceTask id="inherited" camunda:type="external" camunda:topic="t"/>"#,
                start_end("")
            ),
            "start -> fork; fork -> literal; fork -> expression; fork -> inherited",
        ),
        r#"camunda:taskPriority="7""#,
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("priority", Value::Long(25))]));
    assert_eq!(
        h.external_tasks(),
        ["t@expression", "t@inherited", "t@literal"]
    );
    assert_eq!(h.external_spec("literal").priority, 10);
    assert_eq!(h.external_spec("expression").priority, 25);
    assert_eq!(h.external_spec("inherited").priority, 7);
}

/// Send tasks and business rule tasks with `camunda:type="external"` behave exactly like
/// external service tasks.
#[test]
fn send_task_test_external_send_and_business_rule_task() {
    let xml = process(
        &format!(
            r#"{}<sendTask id="sendInvoice" camunda:type="external" camunda:topic="send"/>
               <businessRuleTask id="decide" camunda:type="external" camunda:topic="rules"/>"#,
            start_end("end")
        ),
        "start -> sendInvoice -> decide -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.external_tasks(), ["send@sendInvoice"]);
    h.complete("sendInvoice", none());
    assert_eq!(h.external_tasks(), ["rules@decide"]);
    h.complete("decide", vars(&[("approved", Value::Boolean(true))]));
    assert!(h.ended());
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:sendInvoice",
            "end:sendInvoice",
            "start:decide",
            "end:decide",
            "start:end",
            "end:end",
            "instance-end"
        ]
    );
}

/// Completion variables become process variables (they propagate to the top scope when
/// no scope has them).
#[test]
fn external_task_service_test_complete_with_variables() {
    let xml = process(
        &format!("{}{}", start_end("end"), ext("a b")),
        "start -> a -> b -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("x", int(1))]));
    h.complete("a", vars(&[("x", int(2)), ("y", text("new"))]));
    assert_eq!(h.var("x"), Some(int(2)));
    assert_eq!(h.var("y"), Some(text("new")));
    assert_eq!(h.local_var("b", "y"), None);
}

// ----- user tasks -------------------------------------------------------------------------

/// A literal `camunda:assignee` is the task's assignee; the default priority is 50.
#[test]
fn task_assignment_extensions_test_assignee_extension() {
    let xml = process(
        &format!(
            r#"{}<userTask id="theTask" name="my task" camunda:assignee="kermit"/>"#,
            start_end("end")
        ),
        "start -> theTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["theTask"]);
    assert_eq!(h.assignee("theTask").as_deref(), Some("kermit"));
    let spec = h.user_spec("theTask");
    assert_eq!(spec.name.as_deref(), Some("my task"));
    assert_eq!(spec.priority, 50);
    assert_eq!(spec.due, None);
    assert_eq!(spec.form_key, None);
    assert!(spec.candidate_users.is_empty() && spec.candidate_groups.is_empty());

    h.complete_user("theTask", vars(&[("approved", Value::Boolean(true))]));
    assert!(h.ended());
    assert_eq!(h.user_tasks(), Vec::<String>::new());
}

/// An assignee expression is evaluated when the task is created.
#[test]
fn task_assignment_extensions_test_assignee_expression() {
    let xml = process(
        &format!(
            r#"{}<userTask id="theTask" camunda:assignee="${{owner}}"/>"#,
            start_end("end")
        ),
        "start -> theTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("owner", text("gonzo"))]));
    assert_eq!(h.assignee("theTask").as_deref(), Some("gonzo"));
}

/// Comma-separated candidate users and groups, literal or from an expression.
#[test]
fn task_assignment_extensions_test_candidate_users_and_groups_extension() {
    let xml = process(
        &format!(
            r#"{}<userTask id="theTask" camunda:candidateUsers="kermit, gonzo" camunda:candidateGroups="${{groups}}"/>"#,
            start_end("end")
        ),
        "start -> theTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("groups", text("management,accountancy"))]));
    let spec = h.user_spec("theTask");
    assert_eq!(spec.assignee, None);
    assert_eq!(spec.candidate_users, ["kermit", "gonzo"]);
    assert_eq!(spec.candidate_groups, ["management", "accountancy"]);
}

/// A relative due date from the `dateTime()` shim: two days after creation.
#[test]
fn task_due_date_extensions_test_relative_due_date() {
    let xml = process(
        &format!(
            r#"{}<userTask id="theTask" camunda:dueDate="${{dateTime().plusDays(2).toDate()}}"/>"#,
            start_end("end")
        ),
        "start -> theTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.user_spec("theTask").due,
        Some(Timestamp(T0 + 2 * 86_400_000))
    );
    assert_eq!(h.user_spec("theTask").created, Timestamp(T0));
}

/// A due date given as an ISO date string (literal or from a variable).
#[test]
fn task_due_date_extensions_test_due_date_string_extension() {
    let xml = process(
        &format!(
            r#"{}<userTask id="theTask" camunda:dueDate="${{dateVariable}}"/>"#,
            start_end("end")
        ),
        "start -> theTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("dateVariable", text("2026-01-05T12:00:00Z"))]));
    assert_eq!(
        h.user_spec("theTask").due,
        Some(Timestamp(T0 + 4 * 86_400_000 + 12 * 3_600_000))
    );
}

/// `camunda:priority` as an expression and as a literal string.
#[test]
fn task_priority_extensions_test_priority_extension() {
    let xml = process(
        &format!(
            r#"{}<userTask id="fromExpression" camunda:priority="${{taskPriority}}"/><userTask id="fromString" camunda:priority="42"/>"#,
            start_end("end")
        ),
        "start -> fromExpression -> fromString -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("taskPriority", int(25))]));
    assert_eq!(h.user_spec("fromExpression").priority, 25);
    h.complete_user("fromExpression", none());
    assert_eq!(h.user_spec("fromString").priority, 42);
}

/// `camunda:formKey` is handed to the task as it is.
#[test]
fn form_service_test_task_form_key() {
    let xml = process(
        &format!(
            r#"{}<userTask id="theTask" camunda:formKey="embedded:app:forms/approve.html"/>"#,
            start_end("end")
        ),
        "start -> theTask -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.user_spec("theTask").form_key.as_deref(),
        Some("embedded:app:forms/approve.html")
    );
}

// ----- receive, manual, plain and expression tasks ----------------------------------------

fn receive_task_xml(with_message: bool) -> String {
    let message_ref = if with_message {
        r#" messageRef="newInvoice""#
    } else {
        ""
    };
    definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<receiveTask id="waitState"{message_ref}/>{}"#,
                start_end("end"),
                usr("after")
            ),
            "start -> waitState -> after -> end",
        ),
        r#"<message id="newInvoice" name="newInvoiceMessage"/>"#,
    )
}

/// A receive task with a message waits for the message; correlating it continues the
/// process with the message's variables.
#[test]
fn receive_task_test_supports_correlate_message_on_single_receive_task() {
    let mut h = Harness::new(&receive_task_xml(true));
    h.start(none());
    assert_eq!(h.active(), ["waitState"]);
    assert_eq!(h.waits("waitState"), [Wait::Event]);
    assert_eq!(h.subscriptions(), ["message:newInvoiceMessage@waitState"]);
    h.message("newInvoiceMessage", vars(&[("invoice", text("A-1"))]));
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.user_tasks(), ["after"]);
    assert_eq!(h.var("invoice"), Some(text("A-1")));
}

/// A receive task with a message can still be signalled (legacy signalling); its
/// subscription goes.
#[test]
fn receive_task_test_supports_legacy_signaling_on_single_receive_task() {
    let mut h = Harness::new(&receive_task_xml(true));
    h.start(none());
    h.signal_execution("waitState", none());
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.user_tasks(), ["after"]);
}

/// A receive task without a message waits until its execution is signalled.
#[test]
fn receive_task_test_receive_task_without_message_reference() {
    let mut h = Harness::new(&receive_task_xml(false));
    h.start(none());
    assert_eq!(h.waits("waitState"), [Wait::Signal]);
    assert!(h.subscriptions().is_empty());
    h.signal_execution("waitState", vars(&[("signalled", Value::Boolean(true))]));
    assert_eq!(h.user_tasks(), ["after"]);
    assert_eq!(h.var("signalled"), Some(Value::Boolean(true)));

    // A user task does not accept signals: ENGINE-02010, and nothing changes.
    let before = h.dump();
    let err = h.try_signal_execution("after", none()).unwrap_err();
    assert!(
        matches!(err, RuntimeError::NotSignalable(ref id) if id == "after"),
        "{err}"
    );
    assert_eq!(h.dump(), before);
}

/// Manual tasks and plain tasks pass straight through, with history.
#[test]
fn manual_task_test_manual_task_and_undefined_task() {
    let xml = process(
        &format!(
            r#"{}<manualTask id="manual"/><task id="plain"/>{}"#,
            start_end("end"),
            usr("wait")
        ),
        "start -> manual -> plain -> wait -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.active(), ["wait"]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:manual",
            "end:manual",
            "start:plain",
            "end:plain",
            "start:wait"
        ]
    );
}

/// A service task with `camunda:expression` evaluates it; `camunda:resultVariable` stores
/// the result as a process variable.
#[test]
fn expression_service_task_test_set_service_result_to_process_variables() {
    let xml = process(
        &format!(
            r#"{}<serviceTask id="sum" camunda:expression="${{a + b}}" camunda:resultVariable="result"/>
               <serviceTask id="greet" camunda:expression="${{execution.setVariable('greeting', 'Hello '.concat(name))}}"/>{}"#,
            start_end("end"),
            usr("wait")
        ),
        "start -> sum -> greet -> wait -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[
        ("a", Value::Long(40)),
        ("b", Value::Long(2)),
        ("name", text("Kermit")),
    ]));
    assert_eq!(h.active(), ["wait"]);
    assert_eq!(h.var("result"), Some(Value::Long(42)));
    assert_eq!(h.var("greeting"), Some(text("Hello Kermit")));
}

/// An unknown property in an expression fails the command with Camunda's message, and the
/// command changes nothing: state, tasks and variables are as before.
#[test]
fn expression_manager_test_unknown_property_used_in_expression() {
    let xml = process(
        &format!(
            r#"{}{}<serviceTask id="compute" camunda:expression="${{x + 1}}" camunda:resultVariable="y"/>{}"#,
            start_end("end"),
            ext("work"),
            usr("wait")
        ),
        "start -> work -> compute -> wait -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("keep", int(1))]));
    let before = h.dump();
    let history = h.history.clone();
    let err = h
        .try_complete("work", vars(&[("keep", int(2)), ("other", int(3))]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown property used in expression: ${x + 1}. Cause: Cannot resolve identifier 'x'"
    );
    assert!(matches!(err, RuntimeError::Expression { ref element, .. } if element == "compute"));
    assert_eq!(h.dump(), before);
    assert_eq!(h.history, history);
    assert_eq!(h.external_tasks(), ["work@work"]);
    assert_eq!(h.var("keep"), Some(int(1)));
    assert_eq!(h.var("other"), None);

    h.complete("work", vars(&[("x", Value::Long(41))]));
    assert_eq!(h.var("y"), Some(Value::Long(42)));
    assert_eq!(h.user_tasks(), ["wait"]);
}

// ----- conditional flows leaving an activity ----------------------------------------------

fn conditional_flows_xml() -> String {
    process(
        &format!(
            r#"{}{}{}"#,
            start_end("end"),
            ext("work"),
            usr("big small always")
        ),
        "work -> big [${amount > 100}]
         work -> small [${amount < 1000}]
         work -> always
         start -> work
         big -> end; small -> end; always -> end",
    )
}

/// Conditional flows leaving a task act as an implicit inclusive split: every true flow and
/// every flow without a condition is taken.
#[test]
fn bpmn_activity_behavior_test_conditional_flows_leaving_a_task_are_an_inclusive_split() {
    let mut h = Harness::new(&conditional_flows_xml());
    h.start(none());
    h.complete("work", vars(&[("amount", int(500))]));
    assert_eq!(h.user_tasks(), ["always", "big", "small"]);

    let mut h = Harness::new(&conditional_flows_xml());
    h.start(none());
    h.complete("work", vars(&[("amount", int(5000))]));
    assert_eq!(h.user_tasks(), ["always", "big"]);
}

/// All conditions false and no default flow: ENGINE-02006, and nothing changes; with a
/// default flow, the default is taken.
#[test]
fn bpmn_activity_behavior_test_no_conditional_sequence_flow_selected() {
    let xml = process(
        &format!(r#"{}{}{}"#, start_end("end"), ext("work"), usr("big small")),
        "start -> work; work -> big [${amount > 100}]; work -> small [${amount < 10}]; big -> end; small -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let before = h.dump();
    let err = h
        .try_complete("work", vars(&[("amount", int(50))]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ENGINE-02006 No conditional sequence flow leaving the Flow Node 'work' could be selected for continuing the process."
    );
    assert_eq!(h.dump(), before);

    let with_default = process(
        &format!(r#"{}{}{}"#, start_end("end"), ext("work"), usr("big small fallback")),
        "start -> work; work -> big [${amount > 100}]; work -> small [${amount < 10}]; work -> fallback [default]
         big -> end; small -> end; fallback -> end",
    );
    let mut h = Harness::new(&with_default);
    h.start(none());
    h.complete("work", vars(&[("amount", int(50))]));
    assert_eq!(h.user_tasks(), ["fallback"]);
    h.complete_user("fallback", none());
    assert!(h.ended());
}
