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
            check_throw(node, result, problems);
        }
        NodeKind::IntermediateThrow { result } => {
            if matches!(result, ThrowResult::Link { .. }) && !node.outgoing.is_empty() {
                problems.error(
                    at(node),
                    format!("link throw event '{id}' has outgoing sequence flows; the flow continues at its catching link event"),
                );
            }
            check_throw(node, result, problems);
        }
        NodeKind::IntermediateCatch { trigger } => {
            if matches!(trigger, EventTrigger::Link { .. }) && !node.incoming.is_empty() {
                problems.error(
                    at(node),
                    format!("catching link event '{id}' has incoming sequence flows; it is entered only from its link throw event"),
                );
            }
            check_trigger(node, trigger, problems);
        }
        NodeKind::Boundary { trigger, .. } => {
            if !node.incoming.is_empty() {
                problems.error(
                    at(node),
                    format!("boundary event '{id}' has incoming sequence flows; it is triggered only by its event"),
                );
            }
            check_trigger(node, trigger, problems);
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
            EventTrigger::None | EventTrigger::Timer(_) | EventTrigger::Signal { .. } => {}
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
            other => check_trigger(node, other, problems),
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

/// Triggers whose runtime behaviour this version does not implement yet.
fn check_trigger(node: &Node, trigger: &EventTrigger, problems: &mut Problems) {
    let feature = match trigger {
        EventTrigger::Compensation => "compensation events",
        EventTrigger::Cancel => "cancel events",
        _ => return,
    };
    problems.error(
        at(node),
        format!(
            "event '{}': {feature} are not supported by this version of procos",
            node.id
        ),
    );
}

fn check_throw(node: &Node, result: &ThrowResult, problems: &mut Problems) {
    let feature = match result {
        ThrowResult::Compensate { .. } => "compensation events",
        ThrowResult::Cancel => "cancel events",
        _ => return,
    };
    problems.error(
        at(node),
        format!(
            "event '{}': {feature} are not supported by this version of procos",
            node.id
        ),
    );
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
