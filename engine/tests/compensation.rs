//! Compensation and transactions (Camunda's CompensateEventTest, CompensateEventOrderTest
//! and TransactionSubProcessTest): handlers of completed activities run when
//! compensation is thrown, latest first; a cancel end event compensates its transaction
//! and leaves through the cancel boundary event.

mod support;
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

/// A script task that appends `word` to the variable `log`.
fn logs(id: &str, word: &str, extra: &str) -> String {
    format!(
        r#"<scriptTask id="{id}" scriptFormat="javascript" {extra}><script>execution.setVariable("log", (typeof log === "undefined" || log === null ? "" : log) + "{word};")</script></scriptTask>"#
    )
}

/// `activity` gets a compensation boundary event associated with `handler`.
fn compensated_by(activity: &str, handler_xml: &str, handler: &str) -> String {
    format!(
        r#"<boundaryEvent id="{activity}Comp" attachedToRef="{activity}"><compensateEventDefinition/></boundaryEvent>
           {handler_xml}
           <association id="{activity}Assoc" sourceRef="{activity}Comp" targetRef="{handler}"/>"#
    )
}

fn throw_compensation(id: &str, activity_ref: Option<&str>) -> String {
    let r = activity_ref.map_or(String::new(), |a| format!(r#" activityRef="{a}""#));
    format!(
        r#"<intermediateThrowEvent id="{id}"><compensateEventDefinition{r}/></intermediateThrowEvent>"#
    )
}

fn log(h: &Harness) -> String {
    match h.var("log") {
        Some(Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

/// Handlers run for completed activities, the latest completed first, and the throw
/// event continues when they are done.
#[test]
fn handlers_run_in_reverse_order_of_completion() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>{}{}{}{}{}<userTask id="after"/><endEvent id="end"/>"#,
            logs("a", "a", ""),
            compensated_by(
                "a",
                &logs("undoA", "undoA", r#"isForCompensation="true""#),
                "undoA"
            ),
            logs("b", "b", ""),
            compensated_by(
                "b",
                &logs("undoB", "undoB", r#"isForCompensation="true""#),
                "undoB"
            ),
            throw_compensation("throw", None),
        ),
        "start -> a -> b -> throw -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(log(&h), "a;b;undoB;undoA;");
    assert_eq!(h.active(), ["after"]);
    // A second throw finds nothing left to compensate.
    assert!(h.history.contains(&"end:undoA".to_owned()));
    assert!(
        !h.history.iter().any(|e| e.contains("aComp")),
        "{:?}",
        h.history
    );
}

/// The throw event waits while a handler waits (a user task handler).
#[test]
fn throw_waits_for_wait_state_handlers() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><task id="book"/>{}{}<userTask id="after"/><endEvent id="end"/>"#,
            compensated_by(
                "book",
                r#"<userTask id="undoBook" isForCompensation="true"/>"#,
                "undoBook"
            ),
            throw_compensation("throw", None),
        ),
        "start -> book -> throw -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.active(), ["throw", "undoBook"]);
    h.complete_user("undoBook", vars(&[]));
    assert_eq!(h.active(), ["after"]);
}

/// `activityRef` compensates only that activity.
#[test]
fn activity_ref_compensates_one_activity() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>{}{}{}{}{}<endEvent id="end"/>"#,
            logs("hotel", "hotel", ""),
            compensated_by(
                "hotel",
                &logs("undoHotel", "undoHotel", r#"isForCompensation="true""#),
                "undoHotel"
            ),
            logs("flight", "flight", ""),
            compensated_by(
                "flight",
                &logs("undoFlight", "undoFlight", r#"isForCompensation="true""#),
                "undoFlight"
            ),
            throw_compensation("throw", Some("hotel")),
        ),
        "start -> hotel -> flight -> throw -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert!(h.ended());
    // The instance ended, so read the log from its final variables.
    assert_eq!(log(&h), "hotel;flight;undoHotel;");
}

/// An activity that has not completed is not compensated: compensation thrown in a
/// parallel branch while it runs finds nothing to do.
#[test]
fn running_activities_are_not_compensated() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><parallelGateway id="fork"/>
               <userTask id="book"/>{}{}<endEvent id="end1"/><endEvent id="end2"/>"#,
            compensated_by(
                "book",
                &logs("undoBook", "undoBook", r#"isForCompensation="true""#),
                "undoBook"
            ),
            throw_compensation("throw", None),
        ),
        "start -> fork -> book -> end1; fork -> throw -> end2",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.active(), ["book"]);
    h.complete_user("book", vars(&[]));
    assert!(h.ended());
    assert_eq!(h.var("log"), None);
}

/// A completed subprocess without a handler of its own is compensated by running the
/// handlers of what completed inside it, which see its local variables as they were.
#[test]
fn subprocess_is_compensated_from_the_inside() {
    let inner = format!(
        r#"<startEvent id="s"/><task id="book"/>{}<endEvent id="e"/>{}"#,
        compensated_by(
            "book",
            r#"<scriptTask id="undoBook" isForCompensation="true" scriptFormat="javascript"><script>execution.setVariable("undone", booking)</script></scriptTask>"#,
            "undoBook"
        ),
        seq("s -> book -> e"),
    );
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <subProcess id="sub">
                 <extensionElements><camunda:inputOutput><camunda:inputParameter name="booking">B-17</camunda:inputParameter></camunda:inputOutput></extensionElements>
                 {inner}
               </subProcess>
               {}<userTask id="after"/><endEvent id="end"/>"#,
            throw_compensation("throw", None),
        ),
        "start -> sub -> throw -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.active(), ["after"]);
    assert_eq!(h.var("undone"), Some(text("B-17")));
    // The subprocess came back as the scope of its handler.
    let starts = h.history.iter().filter(|e| *e == "start:sub").count();
    assert_eq!(starts, 2, "{:?}", h.history);
}

/// A subprocess with its own compensation handler runs only that handler.
#[test]
fn subprocess_with_its_own_handler() {
    let inner = format!(
        r#"<startEvent id="s"/><task id="book"/>{}<endEvent id="e"/>{}"#,
        compensated_by(
            "book",
            &logs("undoBook", "undoBook", r#"isForCompensation="true""#),
            "undoBook"
        ),
        seq("s -> book -> e"),
    );
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><subProcess id="sub">{inner}</subProcess>{}{}<endEvent id="end"/>"#,
            compensated_by(
                "sub",
                &logs("undoSub", "undoSub", r#"isForCompensation="true""#),
                "undoSub"
            ),
            throw_compensation("throw", None),
        ),
        "start -> sub -> throw -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert!(h.ended());
    assert_eq!(log(&h), "undoSub;");
}

/// A multi-instance activity is compensated once per completed instance.
#[test]
fn multi_instance_handler_runs_per_instance() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>
               <task id="book"><multiInstanceLoopCharacteristics isSequential="false"><loopCardinality>3</loopCardinality></multiInstanceLoopCharacteristics></task>
               {}{}<endEvent id="end"/>"#,
            compensated_by(
                "book",
                &logs("undoBook", "u", r#"isForCompensation="true""#),
                "undoBook"
            ),
            throw_compensation("throw", Some("book")),
        ),
        "start -> book -> throw -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert!(h.ended());
    assert_eq!(log(&h), "u;u;u;");
}

/// A compensation event subprocess runs instead of the inner handlers; a compensation
/// it throws reaches them.
#[test]
fn compensation_event_subprocess() {
    let esp = format!(
        r#"<subProcess id="compensationEsp" triggeredByEvent="true">
             <startEvent id="cs"><compensateEventDefinition/></startEvent>
             {}{}<endEvent id="ce"/>{}
           </subProcess>"#,
        logs("cleanup", "cleanup", ""),
        throw_compensation("rethrow", Some("book")),
        seq("cs -> cleanup -> rethrow -> ce"),
    );
    let inner = format!(
        r#"<startEvent id="s"/><task id="book"/>{}<endEvent id="e"/>{}{esp}"#,
        compensated_by(
            "book",
            &logs("undoBook", "undoBook", r#"isForCompensation="true""#),
            "undoBook"
        ),
        seq("s -> book -> e"),
    );
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><subProcess id="sub">{inner}</subProcess>{}<endEvent id="end"/>"#,
            throw_compensation("throw", None),
        ),
        "start -> sub -> throw -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert!(h.ended(), "{}", h.dump());
    assert_eq!(log(&h), "cleanup;undoBook;");
}

/// A compensation end event ends its path once the handlers are done.
#[test]
fn compensation_end_event() {
    let xml = process(
        &format!(
            r#"<startEvent id="start"/><task id="book"/>{}
               <endEvent id="end"><compensateEventDefinition/></endEvent>"#,
            compensated_by(
                "book",
                r#"<userTask id="undoBook" isForCompensation="true"/>"#,
                "undoBook"
            ),
        ),
        "start -> book -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.active(), ["end", "undoBook"]);
    h.complete_user("undoBook", vars(&[]));
    assert!(h.ended());
}

/// Compensation thrown in an error event subprocess undoes the process's work.
#[test]
fn compensation_from_an_error_event_subprocess() {
    let esp = format!(
        r#"<subProcess id="onError" triggeredByEvent="true">
             <startEvent id="es"><errorEventDefinition/></startEvent>
             {}<endEvent id="ee"/>{}
           </subProcess>"#,
        throw_compensation("undoAll", None),
        seq("es -> undoAll -> ee"),
    );
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"<startEvent id="start"/>{}{}<endEvent id="fail"><errorEventDefinition errorRef="err"/></endEvent>{esp}"#,
                logs("book", "book", ""),
                compensated_by(
                    "book",
                    &logs("undoBook", "undoBook", r#"isForCompensation="true""#),
                    "undoBook"
                ),
            ),
            "start -> book -> fail",
        ),
        r#"<error id="err" errorCode="E"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert!(h.ended());
    assert_eq!(log(&h), "book;undoBook;");
}

fn transaction(inner_elements: &str, inner_flows: &str) -> String {
    format!(
        r#"<transaction id="tx">{inner_elements}{}</transaction>
           <boundaryEvent id="cancelled" attachedToRef="tx"><cancelEventDefinition/></boundaryEvent>"#,
        seq(inner_flows)
    )
}

/// A cancel end event compensates the transaction, then cancels it and leaves through
/// the cancel boundary event.
#[test]
fn cancel_end_event_compensates_then_cancels() {
    let inner = format!(
        r#"<startEvent id="s"/>{}{}<exclusiveGateway id="ok" default="ok_e"/>
           <endEvent id="e"/><endEvent id="cancelEnd"><cancelEventDefinition/></endEvent>
           <sequenceFlow id="ok_e" sourceRef="ok" targetRef="e"/>
           <sequenceFlow id="ok_cancel" sourceRef="ok" targetRef="cancelEnd"><conditionExpression xsi:type="tFormalExpression">${{fail}}</conditionExpression></sequenceFlow>"#,
        logs("book", "book", ""),
        compensated_by(
            "book",
            &logs("undoBook", "undoBook", r#"isForCompensation="true""#),
            "undoBook"
        ),
    );
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>{}<userTask id="afterSuccess"/><userTask id="afterCancel"/><endEvent id="end"/>"#,
            transaction(&inner, "s -> book -> ok"),
        ),
        "start -> tx -> afterSuccess -> end; cancelled -> afterCancel",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("fail", Value::Boolean(true))]));
    assert_eq!(h.active(), ["afterCancel"]);
    assert_eq!(log(&h), "book;undoBook;");
    assert!(
        h.history.contains(&"cancel:tx".to_owned()),
        "{:?}",
        h.history
    );

    // Success: the handlers do not run, and the transaction leaves normally.
    let mut h = Harness::new(&xml);
    h.start(vars(&[("fail", Value::Boolean(false))]));
    assert_eq!(h.active(), ["afterSuccess"]);
    assert_eq!(log(&h), "book;");
}

/// Other work inside the transaction runs until the cancel boundary event fires.
#[test]
fn cancel_waits_for_handlers_then_cancels_concurrent_work() {
    let inner = format!(
        r#"<startEvent id="s"/><parallelGateway id="fork"/><task id="book"/>{}
           <receiveTask id="wait"/><endEvent id="e"/>
           <endEvent id="cancelEnd"><cancelEventDefinition/></endEvent>"#,
        compensated_by(
            "book",
            r#"<userTask id="undoBook" isForCompensation="true"/>"#,
            "undoBook"
        ),
    );
    let xml = process(
        &format!(
            r#"<startEvent id="start"/>{}<userTask id="afterCancel"/><endEvent id="end"/>"#,
            transaction(&inner, "s -> fork -> book -> cancelEnd"),
        )
        .replace(
            "</transaction>",
            r#"<sequenceFlow id="f2" sourceRef="fork" targetRef="wait"/><sequenceFlow id="f3" sourceRef="wait" targetRef="e"/></transaction>"#,
        ),
        "start -> tx -> end; cancelled -> afterCancel",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[]));
    assert_eq!(h.active(), ["cancelEnd", "tx", "undoBook", "wait"]);
    h.complete_user("undoBook", vars(&[]));
    assert_eq!(h.active(), ["afterCancel"]);
}

/// Camunda's deploy-time rules for compensation and cancel events.
#[test]
fn deploy_errors() {
    let handler_with_flow = process(
        &format!(
            r#"<startEvent id="start"/><task id="book"/>{}<endEvent id="end"/>"#,
            compensated_by(
                "book",
                r#"<task id="undo" isForCompensation="true"/>"#,
                "undo"
            ),
        ),
        "start -> book -> end; undo -> end",
    );
    assert!(rejection(&handler_with_flow)
        .iter()
        .any(|m| m.contains("Invalid outgoing sequence flow of compensation activity 'undo'")));

    let not_for_compensation = process(
        &format!(
            r#"<startEvent id="start"/><task id="book"/>{}<endEvent id="end"/>"#,
            compensated_by("book", r#"<task id="undo"/>"#, "undo"),
        ),
        "start -> book -> end",
    );
    assert!(rejection(&not_for_compensation).iter().any(|m| m.contains(
        "compensation boundary catch must be connected to element with isForCompensation=true"
    )));

    let cancel_outside = process(
        r#"<startEvent id="start"/><endEvent id="end"><cancelEventDefinition/></endEvent>"#,
        "start -> end",
    );
    assert!(rejection(&cancel_outside).iter().any(|m| m.contains(
        "end event with cancelEventDefinition only supported inside transaction subprocess"
    )));

    let cancel_boundary_on_task = process(
        r#"<startEvent id="start"/><userTask id="t"/><endEvent id="end"/>
           <boundaryEvent id="b" attachedToRef="t"><cancelEventDefinition/></boundaryEvent><endEvent id="e2"/>"#,
        "start -> t -> end; b -> e2",
    );
    assert!(rejection(&cancel_boundary_on_task)
        .iter()
        .any(|m| m.contains(
            "boundary event with cancelEventDefinition only supported on transaction subprocesses"
        )));

    let ref_in_other_scope = process(
        &format!(
            r#"<startEvent id="start"/><subProcess id="sub"><startEvent id="s"/><task id="inner"/><endEvent id="e"/>{}</subProcess>
               {}<endEvent id="end"/>"#,
            seq("s -> inner -> e"),
            throw_compensation("throw", Some("inner")),
        ),
        "start -> sub -> throw -> end",
    );
    assert!(rejection(&ref_in_other_scope).iter().any(|m| m.contains(
        "Invalid attribute value for 'activityRef': no activity with id 'inner' in scope 'p'"
    )));
}
