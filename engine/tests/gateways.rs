//! Gateways, step by step, mirroring Camunda 7's ExclusiveGatewayTest, ParallelGatewayTest,
//! InclusiveGatewayTest and EventBasedGatewayTest.

mod support;
use support::*;

use procos_engine::runtime::Wait;
use procos_engine::value::{Value, Variables};

fn input(n: i32) -> Variables {
    vars(&[("input", int(n))])
}

// ----- exclusive gateway ------------------------------------------------------------------

/// The exclusive gateway takes the one flow whose condition is true.
#[test]
fn exclusive_gateway_test_diverging_exclusive_gateway() {
    let xml = process(
        &format!(
            r#"{}<exclusiveGateway id="gw"/>{}"#,
            start_end("end"),
            usr("task1 task2 task3")
        ),
        "start -> gw
         gw -> task1 [${input == 1}]
         gw -> task2 [${input == 2}]
         gw -> task3 [${input == 3}]
         task1 -> end; task2 -> end; task3 -> end",
    );
    for i in 1..=3 {
        let mut h = Harness::new(&xml);
        h.start(input(i));
        let task = format!("task{i}");
        assert_eq!(h.user_tasks(), [task.as_str()], "{}", h.dump());
        assert_eq!(h.active(), [task.as_str()]);
        assert_eq!(
            h.history,
            [
                "start:start",
                "end:start",
                "start:gw",
                "end:gw",
                &format!("start:{task}")
            ]
        );
        h.complete_user(&task, none());
        assert!(h.ended());
        assert!(h.user_tasks().is_empty());
    }
}

/// With several true conditions the exclusive gateway takes the first one in XML order.
#[test]
fn exclusive_gateway_test_multiple_valid_conditions() {
    let xml = process(
        &format!(
            r#"{}<exclusiveGateway id="gw"/>{}"#,
            start_end("end"),
            usr("task1 task2 task3")
        ),
        "start -> gw
         gw -> task1 [${input > 10}]
         gw -> task2 [${input > 1}]
         gw -> task3 [${input > 0}]
         task1 -> end; task2 -> end; task3 -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(input(5));
    assert_eq!(h.user_tasks(), ["task2"], "{}", h.dump());
    assert_eq!(h.active(), ["task2"]);
}

/// The default flow is taken only when no condition is true, wherever it sits in the XML.
#[test]
fn exclusive_gateway_test_default_sequence_flow() {
    let xml = process(
        &format!(
            r#"{}<exclusiveGateway id="gw"/>{}"#,
            start_end("end"),
            usr("defaultTask one three")
        ),
        "start -> gw
         gw -> defaultTask [default]
         gw -> one [${input == 1}]
         gw -> three [${input == 3}]
         defaultTask -> end; one -> end; three -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(input(1));
    assert_eq!(h.user_tasks(), ["one"]);

    let mut h = Harness::new(&xml);
    h.start(input(5));
    assert_eq!(h.user_tasks(), ["defaultTask"]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:gw",
            "end:gw",
            "start:defaultTask"
        ]
    );
}

/// No true condition and no default flow: ENGINE-02004, and the command changes nothing.
#[test]
fn exclusive_gateway_test_no_sequence_flow_selected() {
    let xml = process(
        &format!(
            r#"{}{}<exclusiveGateway id="exclusiveGw"/>{}"#,
            start_end("end"),
            ext("work"),
            usr("a b")
        ),
        "start -> work -> exclusiveGw
         exclusiveGw -> a [${input == 1}]
         exclusiveGw -> b [${input == 2}]
         a -> end; b -> end",
    );
    // At start: the instance is not created at all.
    let at_start = process(
        &format!(r#"{}<exclusiveGateway id="exclusiveGw"/>{}"#, start_end("end"), usr("a b")),
        "start -> exclusiveGw; exclusiveGw -> a [${input == 1}]; exclusiveGw -> b [${input == 2}]; a -> end; b -> end",
    );
    let mut h = Harness::new(&at_start);
    let err = h.try_start(None, input(4)).unwrap_err();
    assert!(err.to_string().starts_with("ENGINE-02004 "), "{err}");
    assert!(h.instance.is_none());
    assert!(h.history.is_empty());

    // Later: the failing completion is rolled back.
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.external_tasks(), ["work@work"]);
    let before = h.dump();
    let history = h.history.clone();
    let err = h.try_complete("work", input(4)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ENGINE-02004 No outgoing sequence flow for the element with id 'exclusiveGw' could be selected for continuing the process."
    );
    assert_eq!(h.dump(), before);
    assert_eq!(h.history, history);
    assert_eq!(h.external_tasks(), ["work@work"]);
    assert_eq!(h.var("input"), None);

    // The worker retries with a usable value.
    h.complete("work", input(2));
    assert_eq!(h.user_tasks(), ["b"]);
    assert_eq!(h.var("input"), Some(int(2)));
}

/// An unknown variable in a condition is Camunda's "Unknown property used in expression"
/// error, and the command changes nothing.
#[test]
fn exclusive_gateway_test_unknown_variable_in_expression() {
    let xml = process(
        &format!(
            r#"{}{}<exclusiveGateway id="gw"/>{}"#,
            start_end("end"),
            ext("work"),
            usr("a b")
        ),
        "start -> work -> gw; gw -> a [${input == 1}]; gw -> b [default]; a -> end; b -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    let before = h.dump();
    let err = h
        .try_complete("work", vars(&[("iinput", int(1))]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown property used in expression: ${input == 1}. Cause: Cannot resolve identifier 'input'"
    );
    assert_eq!(h.dump(), before);
    assert_eq!(h.var("iinput"), None);
    assert_eq!(h.external_tasks(), ["work@work"]);
}

/// An exclusive gateway with several incoming flows does not join: every token passes.
#[test]
fn exclusive_gateway_test_merging_exclusive_gateway() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><exclusiveGateway id="merge"/>{}"#,
            start_end("end"),
            usr("task")
        ),
        "start -> fork; fork -> merge; fork -> merge; fork -> merge; merge -> task -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["task", "task", "task"], "{}", h.dump());
    assert_eq!(h.active(), ["task", "task", "task"]);
}

/// A loop through an exclusive gateway runs 1000 times in one command (Camunda's test of
/// this is marked FAILING because its recursion overflows the stack).
#[test]
fn exclusive_gateway_test_loop_with_many_iterations() {
    let xml = process(
        &format!(
            r#"{}<serviceTask id="count" camunda:expression="${{counter + 1}}" camunda:resultVariable="counter"/>
               <exclusiveGateway id="gw"/>"#,
            start_end("end")
        ),
        "start -> count -> gw; gw -> count [${counter < numOfIterations}]; gw -> end [default]",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[
        ("counter", Value::Long(0)),
        ("numOfIterations", int(1000)),
    ]));
    assert!(h.ended(), "{}", h.dump());
    assert_eq!(
        h.history.iter().filter(|e| *e == "start:count").count(),
        1000
    );
    assert_eq!(h.history.last().map(String::as_str), Some("instance-end"));
}

// ----- parallel gateway -------------------------------------------------------------------

/// Fork to two tasks; the join waits for both, then continues once.
#[test]
fn parallel_gateway_test_fork_join() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><parallelGateway id="join"/>{}"#,
            start_end("end"),
            ext("receivePayment shipOrder archiveOrder")
        ),
        "start -> fork; fork -> receivePayment -> join; fork -> shipOrder -> join; join -> archiveOrder -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.external_tasks(),
        ["receivePayment@receivePayment", "shipOrder@shipOrder"]
    );
    assert_eq!(h.active(), ["receivePayment", "shipOrder"]);
    // Camunda's depth-first order: the first branch reaches its wait state first.
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:fork",
            "end:fork",
            "start:receivePayment",
            "start:shipOrder"
        ]
    );

    h.complete("shipOrder", none());
    assert_eq!(h.external_tasks(), ["receivePayment@receivePayment"]);
    assert_eq!(h.active(), ["join", "receivePayment"]);
    assert_eq!(h.waits("join"), [Wait::Join]);

    h.complete("receivePayment", none());
    assert_eq!(h.external_tasks(), ["archiveOrder@archiveOrder"]);
    assert_eq!(h.active(), ["archiveOrder"]);
    // One history entry per arriving token at the join, as in Camunda.
    assert_eq!(h.history.iter().filter(|e| *e == "start:join").count(), 2);
    assert_eq!(h.history.iter().filter(|e| *e == "end:join").count(), 2);
    assert_eq!(
        h.history
            .iter()
            .filter(|e| *e == "start:archiveOrder")
            .count(),
        1
    );

    h.complete("archiveOrder", none());
    assert!(h.ended());
    assert!(h.active().is_empty());
}

/// Three branches, two joins: the first join waits for two tokens, the second for the
/// third branch and the continuation of the first join.
#[test]
fn parallel_gateway_test_unbalanced_fork_join() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><parallelGateway id="firstJoin"/><parallelGateway id="secondJoin"/>{}"#,
            start_end("theEnd"),
            usr("task1 task2 task3 task4")
        ),
        "start -> fork; fork -> task1; fork -> task2; fork -> task3
         task1 -> firstJoin; task2 -> firstJoin; task3 -> secondJoin
         firstJoin -> task4 -> secondJoin -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["task1", "task2", "task3"]);

    h.complete_user("task1", none());
    assert_eq!(h.user_tasks(), ["task2", "task3"]);
    assert_eq!(h.active(), ["firstJoin", "task2", "task3"]);

    h.complete_user("task2", none());
    assert_eq!(h.user_tasks(), ["task3", "task4"]);
    assert_eq!(h.active(), ["task3", "task4"]);

    h.complete_user("task3", none());
    assert_eq!(h.user_tasks(), ["task4"]);
    assert_eq!(h.active(), ["secondJoin", "task4"]);

    h.complete_user("task4", none());
    assert!(h.ended(), "{}", h.dump());
}

/// A fork/join nested inside one branch of another fork/join.
#[test]
fn parallel_gateway_test_nested_fork_join() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><parallelGateway id="nestedFork"/>
               <parallelGateway id="nestedJoin"/><parallelGateway id="join"/>{}"#,
            start_end("end"),
            ext("a b1 b2 c after")
        ),
        "start -> fork; fork -> a -> join; fork -> nestedFork
         nestedFork -> b1 -> nestedJoin; nestedFork -> b2 -> nestedJoin; nestedJoin -> c -> join
         join -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.external_tasks(), ["a@a", "b1@b1", "b2@b2"]);
    h.complete("b1", none());
    assert_eq!(h.active(), ["a", "b2", "nestedJoin"]);
    h.complete("a", none());
    assert_eq!(h.active(), ["b2", "join", "nestedJoin"]);
    h.complete("b2", none());
    assert_eq!(h.external_tasks(), ["c@c"]);
    assert_eq!(h.active(), ["c", "join"]);
    h.complete("c", none());
    assert_eq!(h.external_tasks(), ["after@after"]);
    assert_eq!(h.active(), ["after"]);
    h.complete("after", none());
    assert!(h.ended());
}

/// A join with three incoming flows fires only when the third token arrives.
#[test]
fn parallel_gateway_test_fork_join_with_three_incoming_flows() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><parallelGateway id="join"/>{}"#,
            start_end("end"),
            ext("a b c after")
        ),
        "start -> fork; fork -> a -> join; fork -> b -> join; fork -> c -> join; join -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete("c", none()).complete("a", none());
    assert_eq!(h.active(), ["b", "join", "join"]);
    assert_eq!(h.waits("join"), [Wait::Join, Wait::Join]);
    h.complete("b", none());
    assert_eq!(h.active(), ["after"]);
    assert_eq!(h.external_tasks(), ["after@after"]);
}

/// Camunda's parallel join counts the tokens that arrived, not the flows they came by
/// (`findInactiveConcurrentExecutions` against the number of incoming flows): two tokens
/// on the same flow fire a two-way join, and the late third token then waits alone.
#[test]
fn parallel_gateway_test_join_counts_arrived_tokens_not_flows() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><exclusiveGateway id="merge"/><parallelGateway id="join"/>{}"#,
            start_end("end"),
            ext("a b c after")
        ),
        "start -> fork; fork -> a -> merge; fork -> b -> merge; fork -> c -> join
         merge -> join; join -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete("a", none());
    assert_eq!(h.active(), ["b", "c", "join"]);
    h.complete("b", none());
    // Two tokens arrived at a two-way join: it fires although c has not arrived.
    assert_eq!(h.active(), ["after", "c"]);
    h.complete("after", none());
    assert_eq!(h.active(), ["c"]);
    h.complete("c", none());
    // The third token waits at the join for a partner that never comes.
    assert_eq!(h.active(), ["join"]);
    assert_eq!(h.waits("join"), [Wait::Join]);
    assert!(!h.ended());
}

/// A parallel fork whose branches end at their own end events: the instance ends with the
/// last branch, no join needed (Camunda's InclusiveGatewayTest#testParentActivationOnNonJoiningEnd).
#[test]
fn inclusive_gateway_test_parent_activation_on_non_joining_end() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="ParallelGateway_1"/>{}"#,
            start_end("EndEvent_1 EndEvent_2"),
            usr("first_check second_check first_check_2 second_check_2")
        ),
        "start -> ParallelGateway_1
         ParallelGateway_1 -> first_check -> second_check -> EndEvent_2
         ParallelGateway_1 -> first_check_2 -> second_check_2 -> EndEvent_1",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["first_check", "first_check_2"]);
    h.complete_user("first_check", none())
        .complete_user("first_check_2", none());
    assert_eq!(h.user_tasks(), ["second_check", "second_check_2"]);
    h.complete_user("second_check", none());
    assert_eq!(h.active(), ["second_check_2"]);
    assert!(!h.ended());
    assert!(h.history.contains(&"end:EndEvent_2".to_owned()));
    h.complete_user("second_check_2", none());
    assert!(h.ended());
}

// ----- inclusive gateway ------------------------------------------------------------------

fn diverging_inclusive() -> String {
    process(
        &format!(
            r#"{}<inclusiveGateway id="inclusiveGw"/>{}"#,
            start_end("end1 end2 end3"),
            usr("theTask1 theTask2 theTask3")
        ),
        "start -> inclusiveGw
         inclusiveGw -> theTask1 [${input == 1}]
         inclusiveGw -> theTask2 [${input <= 2}]
         inclusiveGw -> theTask3 [${input <= 3}]
         theTask1 -> end1; theTask2 -> end2; theTask3 -> end3",
    )
}

/// The inclusive fork takes every flow whose condition is true.
#[test]
fn inclusive_gateway_test_diverging_inclusive_gateway() {
    let xml = diverging_inclusive();
    let expected: [&[&str]; 3] = [
        &["theTask1", "theTask2", "theTask3"],
        &["theTask2", "theTask3"],
        &["theTask3"],
    ];
    for (i, tasks) in (1..=3).zip(expected) {
        let mut h = Harness::new(&xml);
        h.start(input(i));
        assert_eq!(h.user_tasks(), tasks, "input {i}: {}", h.dump());
        assert_eq!(h.active(), tasks);
    }
}

/// No true condition and no default flow: ENGINE-02004 (the same message as the exclusive
/// gateway); nothing is started.
#[test]
fn inclusive_gateway_test_no_sequence_flow_selected() {
    let mut h = Harness::new(&diverging_inclusive());
    let err = h.try_start(None, input(4)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "ENGINE-02004 No outgoing sequence flow for the element with id 'inclusiveGw' could be selected for continuing the process."
    );
    assert!(h.instance.is_none());
}

/// The default flow of an inclusive fork is taken only when no other flow is.
#[test]
fn inclusive_gateway_test_default_sequence_flow() {
    let xml = process(
        &format!(
            r#"{}<inclusiveGateway id="inclusiveGw"/>{}"#,
            start_end("end"),
            usr("inputIsOne inputIsThreeOrOne defaultInput")
        ),
        "start -> inclusiveGw
         inclusiveGw -> defaultInput [default]
         inclusiveGw -> inputIsOne [${input == 1}]
         inclusiveGw -> inputIsThreeOrOne [${input == 3 || input == 1}]
         inputIsOne -> end; inputIsThreeOrOne -> end; defaultInput -> end",
    );
    for (i, tasks) in [
        (1, &["inputIsOne", "inputIsThreeOrOne"][..]),
        (3, &["inputIsThreeOrOne"]),
        (5, &["defaultInput"]),
    ] {
        let mut h = Harness::new(&xml);
        h.start(input(i));
        assert_eq!(h.user_tasks(), tasks, "input {i}");
    }
}

/// Conditional flows leaving a start event are an implicit inclusive split; the inclusive
/// join merges the two tokens that took it into one.
#[test]
fn inclusive_gateway_test_merging_inclusive_gateway() {
    let xml = process(
        &format!(
            r#"{}<inclusiveGateway id="inclusiveGw"/>{}"#,
            start_end("theEnd"),
            usr("theTask")
        ),
        "start -> inclusiveGw [${input <= 1}]
         start -> inclusiveGw [${input <= 2}]
         start -> inclusiveGw [${input <= 3}]
         inclusiveGw -> theTask -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(input(2));
    assert_eq!(h.user_tasks(), ["theTask"], "{}", h.dump());
    assert_eq!(h.active(), ["theTask"]);
    assert_eq!(
        h.history
            .iter()
            .filter(|e| *e == "start:inclusiveGw")
            .count(),
        2
    );
    assert_eq!(
        h.history.iter().filter(|e| *e == "start:theTask").count(),
        1
    );
}

/// The first join merges what it can; the second waits for the token still at partialTask.
#[test]
fn inclusive_gateway_test_partial_merging_inclusive_gateway() {
    let xml = process(
        &format!(
            r#"{}<inclusiveGateway id="partialInclusiveGw"/><inclusiveGateway id="fullInclusiveGw"/>{}"#,
            start_end("theEnd"),
            usr("partialTask theTask")
        ),
        "start -> partialInclusiveGw [${input <= 1}]
         start -> partialInclusiveGw [${input <= 2}]
         start -> partialTask [${input <= 3}]
         partialInclusiveGw -> fullInclusiveGw; partialTask -> fullInclusiveGw
         fullInclusiveGw -> theTask -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(input(2));
    assert_eq!(h.user_tasks(), ["partialTask"]);
    assert_eq!(h.active(), ["fullInclusiveGw", "partialTask"]);
    assert_eq!(h.waits("fullInclusiveGw"), [Wait::Join]);

    h.complete_user("partialTask", none());
    assert_eq!(h.user_tasks(), ["theTask"]);
    assert_eq!(h.active(), ["theTask"]);
    h.complete_user("theTask", none());
    assert!(h.ended());
}

/// An inclusive join after two subprocesses waits for the subprocesses that were started,
/// and only for those.
#[test]
fn inclusive_gateway_test_join_after_subprocesses() {
    let xml = process(
        r#"<startEvent id="start"/>
           <inclusiveGateway id="fork"/>
           <subProcess id="subprocess1">
             <startEvent id="start1"/><userTask id="usertask1" camunda:assignee="a"/><endEvent id="end1"/>
             <sequenceFlow id="s1" sourceRef="start1" targetRef="usertask1"/>
             <sequenceFlow id="s2" sourceRef="usertask1" targetRef="end1"/>
           </subProcess>
           <subProcess id="subprocess2">
             <startEvent id="start2"/><userTask id="usertask2" camunda:assignee="b"/><endEvent id="end2"/>
             <sequenceFlow id="s3" sourceRef="start2" targetRef="usertask2"/>
             <sequenceFlow id="s4" sourceRef="usertask2" targetRef="end2"/>
           </subProcess>
           <inclusiveGateway id="join"/>
           <userTask id="usertask3" camunda:assignee="c"/>
           <endEvent id="end"/>"#,
        "start -> fork; fork -> subprocess1 [${a == 1}]; fork -> subprocess2 [${b == 1}]
         subprocess1 -> join; subprocess2 -> join; join -> usertask3 -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(vars(&[("a", int(1)), ("b", int(1))]));
    assert_eq!(h.user_tasks(), ["usertask1", "usertask2"]);
    assert_eq!(
        h.tree(),
        "p\n  subprocess1\n    usertask1\n  subprocess2\n    usertask2\n"
    );
    h.complete_user("usertask1", none());
    assert_eq!(h.user_tasks(), ["usertask2"]);
    assert_eq!(h.active(), ["join", "subprocess2", "usertask2"]);
    h.complete_user("usertask2", none());
    assert_eq!(h.user_tasks(), ["usertask3"]);
    assert_eq!(h.assignee("usertask3").as_deref(), Some("c"));
    h.complete_user("usertask3", none());
    assert!(h.ended());

    // Only one subprocess started: the join does not wait for the other.
    let mut h = Harness::new(&xml);
    h.start(vars(&[("a", int(1)), ("b", int(2))]));
    assert_eq!(h.user_tasks(), ["usertask1"]);
    assert_eq!(h.assignee("usertask1").as_deref(), Some("a"));
    h.complete_user("usertask1", none());
    assert_eq!(h.user_tasks(), ["usertask3"]);

    // Neither: ENGINE-02004.
    let mut h = Harness::new(&xml);
    let err = h
        .try_start(None, vars(&[("a", int(2)), ("b", int(2))]))
        .unwrap_err();
    assert!(
        err.to_string().contains("No outgoing sequence flow"),
        "{err}"
    );
}

/// A token waiting at an event-based gateway can still reach the join, so the join waits
/// for it; once a message is correlated the join fires.
#[test]
fn inclusive_gateway_test_join_after_event_based_gateway() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<inclusiveGateway id="split"/><eventBasedGateway id="eventBasedGateway"/>
                   <intermediateCatchEvent id="catch1"><messageEventDefinition messageRef="message1"/></intermediateCatchEvent>
                   <intermediateCatchEvent id="catch2"><messageEventDefinition messageRef="message2"/></intermediateCatchEvent>
                   <exclusiveGateway id="exclusiveGateway"/><inclusiveGateway id="join"/>{}"#,
                start_end("theEnd"),
                usr("theTask taskAfterJoin")
            ),
            "start -> split; split -> theTask [${true}]; split -> eventBasedGateway [${true}]
             eventBasedGateway -> catch1; eventBasedGateway -> catch2
             catch1 -> exclusiveGateway; catch2 -> exclusiveGateway
             theTask -> join; exclusiveGateway -> join; join -> taskAfterJoin -> theEnd",
        ),
        r#"<message id="message1" name="foo"/><message id="message2" name="bar"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["theTask"]);
    assert_eq!(
        h.subscriptions(),
        ["message:bar@catch2", "message:foo@catch1"]
    );
    assert_eq!(h.active(), ["eventBasedGateway", "theTask"]);

    h.complete_user("theTask", none());
    assert!(h.user_tasks().is_empty());
    assert_eq!(h.active(), ["eventBasedGateway", "join"]);

    h.message("foo", none());
    assert!(
        h.subscriptions().is_empty(),
        "the losing subscription is removed"
    );
    assert_eq!(h.user_tasks(), ["taskAfterJoin"]);
    assert_eq!(h.active(), ["taskAfterJoin"]);
}

/// An inclusive gateway that joins and then splits again along its default flow.
#[test]
fn inclusive_gateway_test_split_merge_split() {
    let xml = process(
        &format!(
            r#"{}<inclusiveGateway id="splittingInclusiveGw"/><inclusiveGateway id="mergingInclusiveGw"/>{}"#,
            start_end("theEnd"),
            usr("theTask1 theTask2 theTask3")
        ),
        "start -> splittingInclusiveGw
         splittingInclusiveGw -> theTask1 [${input <= 1}]
         splittingInclusiveGw -> theTask2 [${input <= 2}]
         theTask1 -> mergingInclusiveGw; theTask2 -> mergingInclusiveGw
         mergingInclusiveGw -> theTask3 [default]
         theTask3 -> theEnd",
    );
    let mut h = Harness::new(&xml);
    h.start(input(1));
    assert_eq!(h.user_tasks(), ["theTask1", "theTask2"]);
    h.complete_user("theTask1", none());
    assert_eq!(h.active(), ["mergingInclusiveGw", "theTask2"]);
    h.complete_user("theTask2", none());
    assert_eq!(h.user_tasks(), ["theTask3"]);
    assert_eq!(h.tree(), "p\n  theTask3\n");
}

/// Real OR-join semantics: a branch that ends at its own end event no longer blocks the
/// join, which fires as soon as no other token can reach it (Camunda's
/// `InclusiveGatewayActivityBehavior.activatesGateway`).
#[test]
fn inclusive_gateway_test_join_fires_when_the_other_branch_ends_elsewhere() {
    let xml = process(
        &format!(
            r#"{}<inclusiveGateway id="fork"/><exclusiveGateway id="decide"/><inclusiveGateway id="join"/>{}"#,
            start_end("end sideEnd"),
            ext("a b after")
        ),
        "start -> fork; fork -> a [${true}]; fork -> b [${true}]
         a -> join; b -> decide; decide -> join [${toJoin}]; decide -> sideEnd [default]
         join -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete("a", none());
    assert_eq!(h.active(), ["b", "join"], "b can still reach the join");
    h.complete("b", vars(&[("toJoin", Value::Boolean(false))]));
    assert_eq!(h.external_tasks(), ["after@after"]);
    assert_eq!(h.active(), ["after"]);
    assert!(h.history.contains(&"end:sideEnd".to_owned()));
    h.complete("after", none());
    assert!(h.ended());

    // The same model, with b going to the join: it merges both tokens.
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete("b", vars(&[("toJoin", Value::Boolean(true))]));
    assert_eq!(h.active(), ["a", "join"]);
    h.complete("a", none());
    assert_eq!(h.active(), ["after"]);
    assert_eq!(h.history.iter().filter(|e| *e == "start:after").count(), 1);
}

// ----- event-based gateway ----------------------------------------------------------------

fn alert_and_timer() -> String {
    definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<eventBasedGateway id="gw"/>
                   <intermediateCatchEvent id="signalEvent"><signalEventDefinition signalRef="alertSignal"/></intermediateCatchEvent>
                   <intermediateCatchEvent id="timerEvent"><timerEventDefinition><timeDuration>PT10M</timeDuration></timerEventDefinition></intermediateCatchEvent>
                   {}"#,
                start_end("end"),
                usr("afterSignal afterTimer")
            ),
            "start -> gw; gw -> signalEvent -> afterSignal -> end; gw -> timerEvent -> afterTimer -> end",
        ),
        r#"<signal id="alertSignal" name="alert"/>"#,
    )
}

/// The event-based gateway waits for the first of its events; the signal wins here and the
/// timer is removed.
#[test]
fn event_based_gateway_test_catch_alert_and_timer() {
    let mut h = Harness::new(&alert_and_timer());
    h.start(none());
    assert_eq!(h.active(), ["gw"]);
    assert_eq!(h.waits("gw"), [Wait::Event]);
    assert_eq!(h.subscriptions(), ["signal:alert@signalEvent"]);
    assert_eq!(h.timers(), ["timerEvent@+600s"]);

    h.signal("alert");
    assert!(h.subscriptions().is_empty());
    assert!(h.timers().is_empty());
    assert_eq!(h.user_tasks(), ["afterSignal"]);
    assert_eq!(h.active(), ["afterSignal"]);
    assert_eq!(
        h.history,
        [
            "start:start",
            "end:start",
            "start:gw",
            "end:gw",
            "start:signalEvent",
            "end:signalEvent",
            "start:afterSignal"
        ]
    );
}

/// The same race won by the timer: the signal subscription is removed.
#[test]
fn event_based_gateway_test_catch_alert_and_timer_timer_fires() {
    let mut h = Harness::new(&alert_and_timer());
    h.start(none());
    h.advance(599);
    assert_eq!(h.active(), ["gw"]);
    h.advance(1);
    assert!(h.subscriptions().is_empty());
    assert!(h.timers().is_empty());
    assert_eq!(h.user_tasks(), ["afterTimer"]);
    // A signal now reaches nobody.
    h.signal("alert");
    assert_eq!(h.user_tasks(), ["afterTimer"]);
}

/// Signal, message and timer after one event-based gateway; the message wins and carries
/// its variables into the instance.
#[test]
fn event_based_gateway_test_catch_signal_and_message_and_timer() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<eventBasedGateway id="gw"/>
                   <intermediateCatchEvent id="signalEvent"><signalEventDefinition signalRef="alertSignal"/></intermediateCatchEvent>
                   <intermediateCatchEvent id="messageEvent"><messageEventDefinition messageRef="newInvoice"/></intermediateCatchEvent>
                   <intermediateCatchEvent id="timerEvent"><timerEventDefinition><timeDuration>PT10M</timeDuration></timerEventDefinition></intermediateCatchEvent>
                   {}"#,
                start_end("end"),
                usr("afterSignal afterMessage afterTimer")
            ),
            "start -> gw; gw -> signalEvent -> afterSignal -> end; gw -> messageEvent -> afterMessage -> end
             gw -> timerEvent -> afterTimer -> end",
        ),
        r#"<signal id="alertSignal" name="alert"/><message id="newInvoice" name="newInvoice"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(
        h.subscriptions(),
        [
            "message:newInvoice@messageEvent",
            "signal:alert@signalEvent"
        ]
    );
    assert_eq!(h.timers(), ["timerEvent@+600s"]);
    h.message("newInvoice", vars(&[("amount", int(10))]));
    assert!(h.subscriptions().is_empty());
    assert!(h.timers().is_empty());
    assert_eq!(h.user_tasks(), ["afterMessage"]);
    assert_eq!(h.var("amount"), Some(int(10)));
}

/// Camunda's inclusive join also fires as soon as as many tokens wait as it has incoming
/// flows, even if another token could still arrive (`activatesGateway`'s first rule); the
/// late token is then joined on its own, because nothing else can reach the join.
#[test]
fn inclusive_gateway_test_join_fires_when_as_many_tokens_wait_as_it_has_incoming_flows() {
    let xml = process(
        &format!(
            r#"{}<parallelGateway id="fork"/><exclusiveGateway id="merge"/><inclusiveGateway id="join"/>{}"#,
            start_end("end"),
            ext("a b c after")
        ),
        "start -> fork; fork -> a -> join; fork -> b -> merge; fork -> c -> merge
         merge -> join; join -> after -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete("a", none());
    assert_eq!(h.active(), ["b", "c", "join"], "c can still reach the join");
    h.complete("b", none());
    assert_eq!(
        h.active(),
        ["after", "c"],
        "two tokens for two incoming flows: it fires"
    );
    h.complete("c", none());
    assert_eq!(
        h.active(),
        ["after", "after"],
        "the late token is joined alone"
    );
    assert_eq!(h.history.iter().filter(|e| *e == "start:after").count(), 2);
}

/// A flow without a condition counts as true for the exclusive gateway; the first true
/// flow in document order still wins.
#[test]
fn exclusive_gateway_test_flow_without_condition_counts_as_true() {
    let xml = process(
        &format!(
            r#"{}<exclusiveGateway id="gw"/>{}"#,
            start_end("end"),
            usr("a b")
        ),
        "start -> gw; gw -> a [${false}]; gw -> b; a -> end; b -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["b"]);

    let xml = process(
        &format!(
            r#"{}<exclusiveGateway id="gw"/>{}"#,
            start_end("end"),
            usr("a b")
        ),
        "start -> gw; gw -> b; gw -> a [${true}]; a -> end; b -> end",
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    assert_eq!(h.user_tasks(), ["b"]);
}

/// The token that can still reach the join sits at an event-based gateway inside a
/// subprocess: the subprocess can reach the join, so the join waits for it.
#[test]
fn inclusive_gateway_test_join_after_event_based_gateway_contained_in_sub_process() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<inclusiveGateway id="split"/><inclusiveGateway id="join"/>
                   <subProcess id="subProcess">
                     <startEvent id="subStart"/><eventBasedGateway id="eventBasedGateway"/>
                     <intermediateCatchEvent id="catch1"><messageEventDefinition messageRef="message1"/></intermediateCatchEvent>
                     <intermediateCatchEvent id="catch2"><messageEventDefinition messageRef="message2"/></intermediateCatchEvent>
                     <endEvent id="subEnd1"/><endEvent id="subEnd2"/>
                     <sequenceFlow id="s1" sourceRef="subStart" targetRef="eventBasedGateway"/>
                     <sequenceFlow id="s2" sourceRef="eventBasedGateway" targetRef="catch1"/>
                     <sequenceFlow id="s3" sourceRef="eventBasedGateway" targetRef="catch2"/>
                     <sequenceFlow id="s4" sourceRef="catch1" targetRef="subEnd1"/>
                     <sequenceFlow id="s5" sourceRef="catch2" targetRef="subEnd2"/>
                   </subProcess>{}"#,
                start_end("theEnd"),
                usr("theTask taskAfterJoin")
            ),
            "start -> split; split -> theTask [${true}]; split -> subProcess [${true}]
             theTask -> join; subProcess -> join; join -> taskAfterJoin -> theEnd",
        ),
        r#"<message id="message1" name="foo"/><message id="message2" name="bar"/>"#,
    );
    let mut h = Harness::new(&xml);
    h.start(none());
    h.complete_user("theTask", none());
    assert!(h.user_tasks().is_empty());
    assert_eq!(h.tree(), "p\n  join\n  subProcess\n    eventBasedGateway\n");
    h.message("foo", none());
    assert!(h.subscriptions().is_empty());
    assert_eq!(h.tree(), "p\n  taskAfterJoin\n");
}

/// As in Camunda 7, only intermediate catch events may follow an event-based gateway: a
/// receive task there is refused at deployment.
#[test]
fn event_based_gateway_test_receive_task_after_event_based_gateway_is_rejected() {
    let xml = definitions(
        &process_element(
            "p",
            &format!(
                r#"{}<eventBasedGateway id="gw"/><receiveTask id="receive" messageRef="m"/>
                   <intermediateCatchEvent id="timerEvent"><timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition></intermediateCatchEvent>"#,
                start_end("end")
            ),
            "start -> gw; gw -> receive -> end; gw -> timerEvent -> end",
        ),
        r#"<message id="m" name="newInvoice"/>"#,
    );
    let problems = rejection(&xml);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "Event based gateway can only be connected to elements of type intermediateCatchEvent"
        ),
        "{problems:?}"
    );
}
