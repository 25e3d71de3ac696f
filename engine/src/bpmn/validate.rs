//! Whole-model rules over a compiled graph: start events per scope, gateway flow
//! rules, event subprocess shape, and the features this version does not run yet.

use super::graph::{
    EventTrigger, GatewayKind, Node, NodeKind, ProcessGraph, TaskKind, ThrowResult,
};
use super::problem::{At, Problems};
use super::xml::Element;

fn at(node: &Node) -> At<'_> {
    At {
        id: Some(&node.id),
        line: node.line,
        column: node.column,
    }
}

/// Checks the rules that need the whole graph, recording every violation.
pub fn validate(graph: &ProcessGraph, process: &Element, problems: &mut Problems) {
    let process_at = At {
        id: process.attr("id"),
        line: process.line,
        column: process.column,
    };
    if graph.scope.none_start.is_none() && graph.scope.starts.is_empty() {
        problems.error(process_at, "process must define a startEvent element");
    }
    for node in &graph.nodes {
        check_node(graph, node, problems);
    }
}

fn check_node(graph: &ProcessGraph, node: &Node, problems: &mut Problems) {
    let id = &*node.id;
    check_compensation_handler(graph, node, problems);
    match &node.kind {
        NodeKind::StartEvent {
            trigger,
            interrupting,
        } => check_start(graph, node, trigger, *interrupting, problems),
        NodeKind::EndEvent { result } => {
            if !node.outgoing.is_empty() {
                problems.error(
                    at(node),
                    format!(
                        "end event '{id}' has outgoing sequence flows; an end event ends its path"
                    ),
                );
            }
            check_throw(graph, node, result, problems);
        }
        NodeKind::IntermediateThrow { result } => {
            if matches!(result, ThrowResult::Link { .. }) && !node.outgoing.is_empty() {
                problems.error(
                    at(node),
                    format!("link throw event '{id}' has outgoing sequence flows; the flow continues at its catching link event"),
                );
            }
            check_throw(graph, node, result, problems);
        }
        NodeKind::IntermediateCatch { trigger } => {
            if matches!(trigger, EventTrigger::Link { .. }) && !node.incoming.is_empty() {
                problems.error(
                    at(node),
                    format!("catching link event '{id}' has incoming sequence flows; it is entered only from its link throw event"),
                );
            }
            check_trigger(graph, node, trigger, problems);
        }
        NodeKind::Boundary { trigger, .. } => {
            if !node.incoming.is_empty() {
                problems.error(
                    at(node),
                    format!("boundary event '{id}' has incoming sequence flows; it is triggered only by its event"),
                );
            }
            check_trigger(graph, node, trigger, problems);
        }
        NodeKind::Gateway(kind) => check_gateway(graph, node, *kind, problems),
        NodeKind::SubProcess(sub) => {
            if sub.event_subprocess {
                if !node.incoming.is_empty() {
                    problems.error(
                        at(node),
                        "Invalid incoming sequence flow of event subprocess",
                    );
                }
                if !node.outgoing.is_empty() {
                    problems.error(
                        at(node),
                        "Invalid outgoing sequence flow of event subprocess",
                    );
                }
                if !node.boundary_events.is_empty() {
                    problems.error(
                        at(node),
                        format!("event subprocess '{id}' cannot have boundary events"),
                    );
                }
            }
        }
        NodeKind::Task(task) => {
            if let TaskKind::Receive { .. } = task {
                // A receive task without messageRef waits for a signal through
                // `POST /execution/{id}/signal`, as in Camunda.
            }
        }
    }
}

fn check_start(
    graph: &ProcessGraph,
    node: &Node,
    trigger: &EventTrigger,
    interrupting: bool,
    problems: &mut Problems,
) {
    let id = &*node.id;
    if !node.incoming.is_empty() {
        problems.error(
            at(node),
            format!("start event '{id}' has incoming sequence flows; a start event begins a path"),
        );
    }
    let in_event_subprocess = node
        .parent
        .map(|p| matches!(&graph.node(p).kind, NodeKind::SubProcess(sub) if sub.event_subprocess));
    match in_event_subprocess {
        // Process level.
        None => match trigger {
            EventTrigger::None
            | EventTrigger::Timer(_)
            | EventTrigger::Signal { .. }
            | EventTrigger::Conditional { .. } => {}
            EventTrigger::Message { name } => {
                if !name.is_literal() {
                    problems.error(
                        at(node),
                        format!("Invalid message name '{}' for element 'startEvent': expressions in the message start event name are not allowed!", name.source()),
                    );
                }
            }
            other => problems.error(
                at(node),
                format!("{}EventDefinition is only allowed on a start event inside an event subprocess", trigger_word(other)),
            ),
        },
        // Embedded subprocess.
        Some(false) => match trigger {
            EventTrigger::None => {}
            EventTrigger::Error { .. } => problems.error(
                at(node),
                "errorEventDefinition only allowed on start event if subprocess is an event subprocess",
            ),
            EventTrigger::Message { .. } => problems.error(
                at(node),
                "messageEventDefinition only allowed on start event if subprocess is an event subprocess",
            ),
            EventTrigger::Signal { .. } => problems.error(
                at(node),
                "signalEventDefintion only allowed on start event if subprocess is an event subprocess",
            ),
            other => problems.error(
                at(node),
                format!("{}EventDefinition is not allowed on start event within a subprocess", trigger_word(other)),
            ),
        },
        // Event subprocess.
        Some(true) => match trigger {
            EventTrigger::None | EventTrigger::Link { .. } | EventTrigger::Cancel => problems.error(
                at(node),
                "start event of event subprocess must be of type 'error', 'message', 'timer', 'signal', 'compensation' or 'escalation'",
            ),
            EventTrigger::Error { .. } if !interrupting => problems.error(
                at(node),
                "error start event of event subprocess must be interrupting",
            ),
            other => check_trigger(graph, node, other, problems),
        },
    }
}

/// The event definition's element name without `EventDefinition`.
fn trigger_word(trigger: &EventTrigger) -> &'static str {
    match trigger {
        EventTrigger::None => "none",
        EventTrigger::Message { .. } => "message",
        EventTrigger::Timer(_) => "timer",
        EventTrigger::Signal { .. } => "signal",
        EventTrigger::Error { .. } => "error",
        EventTrigger::Escalation { .. } => "escalation",
        EventTrigger::Conditional { .. } => "conditional",
        EventTrigger::Compensation => "compensate",
        EventTrigger::Cancel => "cancel",
        EventTrigger::Link { .. } => "link",
    }
}

/// Rules for catching compensation and cancel events.
fn check_trigger(
    graph: &ProcessGraph,
    node: &Node,
    trigger: &EventTrigger,
    problems: &mut Problems,
) {
    match (trigger, &node.kind) {
        (EventTrigger::Cancel, NodeKind::Boundary { attached_to, .. }) => {
            let host = graph.node(*attached_to);
            let is_transaction = matches!(&host.kind, NodeKind::SubProcess(sub) if sub.transaction);
            if !is_transaction {
                problems.error(
                    at(node),
                    "boundary event with cancelEventDefinition only supported on transaction subprocesses",
                );
            } else if host
                .boundary_events
                .iter()
                .filter(|b| {
                    matches!(
                        graph.node(**b).kind,
                        NodeKind::Boundary {
                            trigger: EventTrigger::Cancel,
                            ..
                        }
                    )
                })
                .nth(1)
                .is_some_and(|second| graph.node(*second).id == node.id)
            {
                problems.error(
                    at(node),
                    "multiple boundary events with cancelEventDefinition not supported on same transaction subprocess",
                );
            }
        }
        (EventTrigger::Compensation, NodeKind::StartEvent { .. }) => {
            // Inside an event subprocess, which must sit in an embedded subprocess.
            let esp = node.parent.map(|p| graph.node(p));
            let scope = esp.and_then(|e| e.parent).map(|p| graph.node(p));
            match scope {
                None => problems.error(
                    at(node),
                    "event subprocess with compensation start event is only supported for embedded subprocess (since throwing compensation through a call activity-induced process hierarchy is not supported)",
                ),
                Some(scope) => {
                    if let NodeKind::SubProcess(sub) = &scope.kind {
                        // Report the second and later ones, as Camunda does.
                        let first = sub
                            .scope
                            .event_subprocesses
                            .iter()
                            .find(|e| compensation_start_of(graph, **e).is_some());
                        let is_first = first.zip(esp).is_some_and(|(f, e)| graph.node(*f).id == e.id);
                        if !is_first {
                            problems.error(
                                at(node),
                                "multiple event subprocesses with compensation start event are not supported on the same scope",
                            );
                        }
                    }
                    if scope.compensation_handler.is_some() {
                        problems.error(
                            at(node),
                            "compensation boundary event and event subprocess with compensation start event are not supported on the same scope",
                        );
                    }
                }
            }
        }
        _ => {}
    }
}

/// The compensation start event of the event subprocess `esp`, if it has one.
fn compensation_start_of(
    graph: &ProcessGraph,
    esp: super::graph::NodeIdx,
) -> Option<super::graph::NodeIdx> {
    match &graph.node(esp).kind {
        NodeKind::SubProcess(sub) => sub.scope.starts.iter().copied().find(|s| {
            matches!(
                graph.node(*s).kind,
                NodeKind::StartEvent {
                    trigger: EventTrigger::Compensation,
                    ..
                }
            )
        }),
        _ => None,
    }
}

/// Rules for throwing compensation and cancel events.
fn check_throw(graph: &ProcessGraph, node: &Node, result: &ThrowResult, problems: &mut Problems) {
    match result {
        ThrowResult::Cancel => {
            let in_transaction = node.parent.is_some_and(
                |p| matches!(&graph.node(p).kind, NodeKind::SubProcess(sub) if sub.transaction),
            );
            if !in_transaction {
                problems.error(
                    at(node),
                    "end event with cancelEventDefinition only supported inside transaction subprocess",
                );
            }
        }
        ThrowResult::Compensate {
            activity: Some(target),
        } => {
            let scope = compensation_scope(graph, node.parent);
            if graph.node(*target).parent != scope {
                let scope_id =
                    scope.map_or_else(|| graph.key.clone(), |s| graph.node(s).id.to_string());
                problems.error(
                    at(node),
                    format!(
                        "Invalid attribute value for 'activityRef': no activity with id '{}' in scope '{scope_id}'",
                        graph.node(*target).id
                    ),
                );
            }
        }
        _ => {}
    }
}

/// The scope whose completed activities a compensation event thrown in `scope`
/// compensates: the scope itself, or for an event subprocess the scope around it.
pub fn compensation_scope(
    graph: &ProcessGraph,
    scope: Option<super::graph::NodeIdx>,
) -> Option<super::graph::NodeIdx> {
    match scope {
        Some(s) if matches!(&graph.node(s).kind, NodeKind::SubProcess(sub) if sub.event_subprocess) => {
            graph.node(s).parent
        }
        other => other,
    }
}

/// A compensation handler is started only by compensation.
fn check_compensation_handler(graph: &ProcessGraph, node: &Node, problems: &mut Problems) {
    if !node.for_compensation {
        return;
    }
    for f in &node.outgoing {
        problems.error(
            at(node),
            format!(
                "Invalid outgoing sequence flow of compensation activity '{}'. A compensation activity should not have an incoming or outgoing sequence flow. (flow '{}')",
                node.id,
                graph.flow(*f).id
            ),
        );
    }
    for f in &node.incoming {
        problems.error(
            at(node),
            format!(
                "Invalid incoming sequence flow of compensation activity '{}'. A compensation activity should not have an incoming or outgoing sequence flow. (flow '{}')",
                node.id,
                graph.flow(*f).id
            ),
        );
    }
}

fn check_gateway(graph: &ProcessGraph, node: &Node, kind: GatewayKind, problems: &mut Problems) {
    let id = &*node.id;
    match kind {
        GatewayKind::Exclusive | GatewayKind::Inclusive => {
            let word = if kind == GatewayKind::Exclusive {
                "Exclusive"
            } else {
                "Inclusive"
            };
            if node.outgoing.is_empty() {
                problems.error(
                    at(node),
                    format!("{word} Gateway '{id}' has no outgoing sequence flows."),
                );
                return;
            }
            if let [only] = node.outgoing[..] {
                if kind == GatewayKind::Exclusive && graph.flow(only).condition.is_some() {
                    problems.error(
                        at(node),
                        format!("Exclusive Gateway '{id}' has only one outgoing sequence flow ('{}'). This is not allowed to have a condition.", graph.flow(only).id),
                    );
                }
                return;
            }
            let mut without_condition = Vec::new();
            for &f in &node.outgoing {
                let flow = graph.flow(f);
                let is_default = node.default_flow == Some(f);
                match (&flow.condition, is_default) {
                    (Some(_), true) => problems.error(
                        at(node),
                        format!("{word} Gateway '{id}' has outgoing sequence flow '{}' which is the default flow but has a condition too.", flow.id),
                    ),
                    (None, false) => without_condition.push(&*flow.id),
                    _ => {}
                }
            }
            if kind == GatewayKind::Inclusive {
                return;
            }
            if node.default_flow.is_some() || without_condition.len() > 1 {
                for flow in without_condition {
                    problems.error(
                        at(node),
                        format!("Exclusive Gateway '{id}' has outgoing sequence flow '{flow}' without condition which is not the default flow."),
                    );
                }
            } else if let [flow] = without_condition[..] {
                problems.warning(
                    at(node),
                    format!("Exclusive Gateway '{id}' has outgoing sequence flow '{flow}' without condition which is not the default flow. We assume it to be the default flow, but it is bad modeling practice, better set the default flow in your gateway."),
                );
            }
        }
        GatewayKind::Parallel => {
            for &f in &node.outgoing {
                if graph.flow(f).condition.is_some() {
                    problems.warning(
                        at(node),
                        format!("the condition on sequence flow '{}' leaving parallel gateway '{id}' is ignored: a parallel gateway takes every outgoing flow", graph.flow(f).id),
                    );
                }
            }
        }
        GatewayKind::EventBased => {
            for &f in &node.outgoing {
                let flow = graph.flow(f);
                let target = graph.node(flow.target);
                match &target.kind {
                    NodeKind::IntermediateCatch {
                        trigger: EventTrigger::Link { .. },
                    } => problems.error(
                        at(target),
                        "IntermediateCatchLinkEvent is not allowed after an EventBasedGateway.",
                    ),
                    NodeKind::IntermediateCatch { .. } => {
                        if target.incoming.len() != 1 {
                            problems.error(
                                at(target),
                                format!("Invalid incoming sequenceflow for intermediateCatchEvent with id '{}' connected to an event-based gateway.", target.id),
                            );
                        }
                    }
                    _ => problems.error(
                        at(node),
                        format!("Event based gateway can only be connected to elements of type intermediateCatchEvent ('{id}' leads to '{}')", target.id),
                    ),
                }
            }
        }
    }
}
