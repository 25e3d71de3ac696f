//! From an XML tree to validated [`ProcessGraph`]s.
//!
//! The whole model is checked and every problem is collected before anything is
//! returned, so a modeller fixes a file in one round instead of one error at a time.

use std::collections::HashMap;

use crate::expr::Expression;
use crate::time::{self, TimerKind};

use super::extensions::{
    at, expression, ext_attr, ext_elements, ext_expression, form_fields, io_mapping, listeners,
    properties, refuse_java, script, take_listeners,
};
use super::graph::{
    Asynchrony, CallActivityDef, CallBinding, ErrorEventDef, EventTrigger, ExternalTaskDef, Flow,
    FlowIdx, GatewayKind, MappingSource, MultiInstance, Node, NodeIdx, NodeKind, ProcessGraph,
    Reachability, Scope, SubProcess, TaskKind, ThrowResult, TimerDef, UserTaskDef, VarMapping,
};
use super::problem::{Problem, Problems};
use super::xml::{self, Element, Limits, Ns};

/// The executable processes of one BPMN file.
#[derive(Debug)]
pub struct CompiledDefinitions {
    /// Each executable process, compiled.
    pub processes: Vec<ProcessGraph>,
    /// Things that deploy but deserve a look (ignored elements, missing
    /// historyTimeToLive, ...).
    pub warnings: Vec<Problem>,
}

/// Why a file cannot be deployed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.errors))]
pub struct Rejected {
    /// Every error found.
    pub errors: Vec<Problem>,
    /// Warnings found along the way.
    pub warnings: Vec<Problem>,
}

impl Rejected {
    /// Camunda's `ENGINE-09005` message for a resource: every error, each with the
    /// resource name and its position, as the REST API and Camunda Modeler expect.
    pub fn message_for(&self, resource: &str) -> String {
        let mut out = String::from("ENGINE-09005 Could not parse BPMN process. Errors: ");
        for e in &self.errors {
            out.push_str("\n* ");
            out.push_str(&e.message);
            out.push_str(" | resource ");
            out.push_str(resource);
            if e.line > 0 {
                out.push_str(&format!(" | line {} | column {}", e.line, e.column));
            }
        }
        out
    }
}

fn summary(errors: &[Problem]) -> String {
    let mut out = String::from("ENGINE-09005 Could not parse BPMN process. Errors: ");
    for e in errors {
        out.push_str("\n* ");
        out.push_str(&e.to_string());
    }
    out
}

/// Options for [`compile_with`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CompileOptions {
    /// Input limits.
    pub limits: Limits,
}

/// Reads, validates and compiles a BPMN 2.0 document.
pub fn compile(text: &str) -> Result<CompiledDefinitions, Rejected> {
    compile_with(text, CompileOptions::default())
}

/// [`compile`] with explicit options.
pub fn compile_with(text: &str, options: CompileOptions) -> Result<CompiledDefinitions, Rejected> {
    let root = xml::parse_document(text, options.limits).map_err(|e| Rejected {
        errors: vec![Problem {
            severity: super::problem::Severity::Error,
            message: e.message,
            element_id: None,
            line: e.line,
            column: e.column,
        }],
        warnings: Vec::new(),
    })?;
    let mut problems = Problems::default();
    if !root.is_bpmn("definitions") {
        problems.error(
            at(&root),
            format!(
                "the root element is <{}>, but a BPMN 2.0 file starts with <definitions> in the namespace http://www.omg.org/spec/BPMN/20100524/MODEL",
                root.name
            ),
        );
        let (errors, warnings) = problems.into_parts();
        return Err(Rejected { errors, warnings });
    }
    let globals = Globals::collect(&root, &mut problems);
    let mut processes = Vec::new();
    let mut keys: HashMap<String, (u32, u32)> = HashMap::new();
    for process in root.bpmn_children("process") {
        let id = process.attr("id").unwrap_or("");
        match process.attr("isExecutable") {
            Some(v) if v.trim().eq_ignore_ascii_case("true") => {}
            Some(_) => {
                problems.warning(
                    at(process),
                    format!("process '{id}' has isExecutable=\"false\": no process definition is created for it"),
                );
                continue;
            }
            None => {
                problems.warning(
                    at(process),
                    format!("process '{id}' has no isExecutable attribute: like Camunda, procos treats it as not executable and creates no process definition"),
                );
                continue;
            }
        }
        if id.is_empty() {
            problems.error(at(process), "an executable process has no 'id' attribute");
            continue;
        }
        if let Some((line, _)) = keys.get(id) {
            problems.error(
                at(process),
                format!("process id '{id}' is defined twice in this file (first at line {line})"),
            );
            continue;
        }
        keys.insert(id.to_owned(), (process.line, process.column));
        if let Some(graph) = ProcessBuilder::new(&globals, &mut problems).build(process) {
            processes.push(graph);
        }
    }
    let (errors, warnings) = problems.into_parts();
    if errors.is_empty() {
        Ok(CompiledDefinitions {
            processes,
            warnings,
        })
    } else {
        Err(Rejected { errors, warnings })
    }
}

/// Messages, signals, errors and escalations declared at the top of the file.
struct Globals<'a> {
    messages: HashMap<&'a str, Option<&'a str>>,
    signals: HashMap<&'a str, Option<&'a str>>,
    errors: HashMap<&'a str, (Option<&'a str>, Option<&'a str>)>,
    escalations: HashMap<&'a str, Option<&'a str>>,
}

impl<'a> Globals<'a> {
    fn collect(root: &'a Element, problems: &mut Problems) -> Self {
        let mut g = Globals {
            messages: HashMap::new(),
            signals: HashMap::new(),
            errors: HashMap::new(),
            escalations: HashMap::new(),
        };
        for el in root.children.iter().filter(|c| c.ns == Ns::Bpmn) {
            let Some(id) = el.attr("id") else { continue };
            match &*el.name {
                "message" => {
                    g.messages.insert(id, el.attr("name"));
                }
                "signal" => {
                    g.signals.insert(id, el.attr("name"));
                }
                "error" => {
                    g.errors
                        .insert(id, (el.attr("errorCode"), ext_attr(el, "errorMessage")));
                }
                "escalation" => {
                    g.escalations.insert(id, el.attr("escalationCode"));
                }
                _ => {}
            }
        }
        let _ = problems;
        g
    }
}

/// Looks `reference` up, also without a QName prefix (`tns:newInvoice`), as Camunda
/// does.
fn lookup<V: Copy>(map: &HashMap<&str, V>, reference: &str) -> Option<V> {
    map.get(reference).copied().or_else(|| {
        reference
            .rsplit_once(':')
            .and_then(|(_, local)| map.get(local).copied())
    })
}

const FLOW_NODES: &[&str] = &[
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "task",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "userTask",
    "manualTask",
    "businessRuleTask",
    "scriptTask",
    "callActivity",
    "subProcess",
    "transaction",
    "adHocSubProcess",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
];

/// Elements that describe a process but are not executed, and are skipped silently,
/// as Camunda does.
const NOT_EXECUTED: &[&str] = &[
    "documentation",
    "extensionElements",
    "laneSet",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "textAnnotation",
    "association",
    "group",
    "ioSpecification",
    "property",
    "auditing",
    "monitoring",
    "category",
    "correlationSubscription",
];

struct RawNode<'a> {
    el: &'a Element,
    parent: Option<NodeIdx>,
}

struct RawFlow<'a> {
    el: &'a Element,
    parent: Option<NodeIdx>,
}

struct ProcessBuilder<'g, 'a> {
    globals: &'g Globals<'a>,
    problems: &'g mut Problems,
    raw: Vec<RawNode<'a>>,
    raw_flows: Vec<RawFlow<'a>>,
    ids: HashMap<&'a str, NodeIdx>,
}

impl<'g, 'a> ProcessBuilder<'g, 'a> {
    fn new(globals: &'g Globals<'a>, problems: &'g mut Problems) -> Self {
        ProcessBuilder {
            globals,
            problems,
            raw: Vec::new(),
            raw_flows: Vec::new(),
            ids: HashMap::new(),
        }
    }

    fn build(mut self, process: &'a Element) -> Option<ProcessGraph> {
        let key = process.attr("id").unwrap_or_default().to_owned();
        refuse_java(process, self.problems);
        // An empty value means "not set", as Camunda reads it.
        let ttl_text = ext_attr(process, "historyTimeToLive").filter(|t| !t.trim().is_empty());
        let history_time_to_live = ttl_text.and_then(|text| {
            match parse_history_ttl(text) {
                Some(days) => Some(days),
                None => {
                    self.problems.error(
                        at(process),
                        format!("camunda:historyTimeToLive=\"{text}\" is neither a number of days nor an ISO 8601 duration in days such as P30D"),
                    );
                    None
                }
            }
        });
        if ttl_text.is_none() {
            self.problems.warning(
                at(process),
                format!("process '{key}' has no camunda:historyTimeToLive: Camunda 7.20 and later refuse such a file by default; procos keeps its history until it is deleted"),
            );
        }
        let task_priority = ext_expression(process, "taskPriority", self.problems);
        let process_listeners: Vec<_> = listeners(process, self.problems)
            .into_iter()
            .filter(|l| !l.task)
            .collect();

        self.collect(process, None);
        let flows = self.build_flows();
        let mut incoming = vec![Vec::new(); self.raw.len()];
        let mut outgoing = vec![Vec::new(); self.raw.len()];
        for (i, flow) in flows.iter().enumerate() {
            outgoing[flow.source.ix()].push(FlowIdx(i as u32));
            incoming[flow.target.ix()].push(FlowIdx(i as u32));
        }
        let links = self.link_catches();
        let mut nodes = Vec::with_capacity(self.raw.len());
        for (i, (inc, out)) in incoming.into_iter().zip(outgoing).enumerate() {
            nodes.push(self.build_node(i, inc, out, &flows, &links));
        }
        self.attach_boundaries(&mut nodes);
        self.link_compensation_handlers(process, &mut nodes);
        let scope = self.build_scopes(&mut nodes);
        let graph = ProcessGraph {
            key,
            name: process.attr("name").map(str::to_owned),
            version_tag: ext_attr(process, "versionTag").map(str::to_owned),
            history_time_to_live,
            startable_in_tasklist: ext_attr(process, "isStartableInTasklist")
                .is_none_or(|v| !v.eq_ignore_ascii_case("false")),
            task_priority,
            documentation: process
                .bpmn_child("documentation")
                .map(|d| d.trimmed_text().to_owned()),
            listeners: process_listeners,
            reach: Reachability::compute(&nodes, &flows),
            has_conditional_events: nodes.iter().any(|n| {
                matches!(
                    &n.kind,
                    NodeKind::StartEvent {
                        trigger: EventTrigger::Conditional { .. },
                        ..
                    } | NodeKind::IntermediateCatch {
                        trigger: EventTrigger::Conditional { .. }
                    } | NodeKind::Boundary {
                        trigger: EventTrigger::Conditional { .. },
                        ..
                    }
                )
            }),
            nodes,
            flows,
            scope,
        };
        super::validate::validate(&graph, process, self.problems);
        (!self.problems.has_errors()).then_some(graph)
    }

    /// Assigns indices to every flow node in document order and gathers sequence flows.
    fn collect(&mut self, container: &'a Element, parent: Option<NodeIdx>) {
        for child in &container.children {
            if child.ns != Ns::Bpmn {
                continue;
            }
            let name = &*child.name;
            if FLOW_NODES.contains(&name) {
                let idx = NodeIdx(self.raw.len() as u32);
                match child.attr("id") {
                    Some(id) if !id.is_empty() => {
                        if self.ids.insert(id, idx).is_some() {
                            self.problems.error(
                                at(child),
                                format!("the id '{id}' is used by more than one element; element ids must be unique"),
                            );
                        }
                    }
                    // Camunda accepts an element without id as long as nothing refers
                    // to it; it gets a generated id (see `build_node`).
                    _ => self.problems.warning(
                        at(child),
                        format!("a <{name}> has no 'id' attribute; procos names it after its position in the file"),
                    ),
                }
                self.raw.push(RawNode { el: child, parent });
                if matches!(name, "subProcess" | "transaction" | "adHocSubProcess") {
                    self.collect(child, Some(idx));
                }
            } else if name == "sequenceFlow" {
                self.raw_flows.push(RawFlow { el: child, parent });
            } else if !NOT_EXECUTED.contains(&name) {
                self.problems.warning(
                    at(child),
                    format!("<{name}> is not executed by procos (nor by Camunda 7) and is ignored"),
                );
            }
        }
    }

    fn build_flows(&mut self) -> Vec<Flow> {
        let mut flows = Vec::with_capacity(self.raw_flows.len());
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for raw in &self.raw_flows {
            let el = raw.el;
            // Camunda accepts sequence flows without an id (its own tests have many).
            let declared = el.attr("id").filter(|id| !id.is_empty());
            if let Some(id) = declared {
                if let Some(line) = seen.insert(id, el.line) {
                    // The original ProcOS orchestrator reuses a flow id; its author clearly
                    // meant two flows, so both are kept (Camunda's XSD check refuses it).
                    self.problems.warning(
                        at(el),
                        format!("the sequence flow id '{id}' is used twice (also at line {line}); both flows are kept, but Camunda refuses such a file"),
                    );
                } else if self.ids.contains_key(id) {
                    self.problems.error(
                        at(el),
                        format!("the id '{id}' is used by more than one element; element ids must be unique"),
                    );
                }
            }
            let id: String = match declared {
                Some(id) => id.to_owned(),
                None => format!(
                    "{}-{}",
                    el.attr("sourceRef").unwrap_or("?"),
                    el.attr("targetRef").unwrap_or("?")
                ),
            };
            let id = id.as_str();
            let endpoint = |attr: &str, problems: &mut Problems| -> Option<NodeIdx> {
                let which = if attr == "sourceRef" {
                    "source"
                } else {
                    "destination"
                };
                let Some(r) = el.attr(attr) else {
                    problems.error(
                        at(el),
                        format!("Invalid {which} 'null' of sequence flow '{id}'"),
                    );
                    return None;
                };
                match self.ids.get(r) {
                    Some(&idx) => {
                        if self.raw[idx.ix()].parent != raw.parent {
                            problems.error(
                                at(el),
                                format!("Invalid {which} '{r}' of sequence flow '{id}': a sequence flow cannot cross a subprocess boundary"),
                            );
                            return None;
                        }
                        Some(idx)
                    }
                    None => {
                        problems.error(
                            at(el),
                            format!("Invalid {which} '{r}' of sequence flow '{id}'"),
                        );
                        None
                    }
                }
            };
            let source = endpoint("sourceRef", self.problems);
            let target = endpoint("targetRef", self.problems);
            let condition = el.bpmn_child("conditionExpression").and_then(|c| {
                if c.text.trim().is_empty() {
                    self.problems.warning(
                        at(el),
                        format!("sequence flow '{id}' has an empty condition, which is ignored"),
                    );
                    return None;
                }
                script(
                    c.attr("language"),
                    &c.text,
                    el,
                    &format!("the condition of sequence flow '{id}'"),
                    self.problems,
                )
            });
            let take_listeners = take_listeners(el, self.problems);
            if let (Some(source), Some(target)) = (source, target) {
                flows.push(Flow {
                    id: id.into(),
                    name: el.attr("name").map(Into::into),
                    source,
                    target,
                    condition,
                    take_listeners,
                });
            }
        }
        flows
    }

    /// Catching link events by (scope, link name).
    fn link_catches(&self) -> HashMap<(Option<NodeIdx>, &'a str), Vec<NodeIdx>> {
        let mut links: HashMap<(Option<NodeIdx>, &str), Vec<NodeIdx>> = HashMap::new();
        for (i, raw) in self.raw.iter().enumerate() {
            if &*raw.el.name != "intermediateCatchEvent" {
                continue;
            }
            if let Some(link) = raw.el.bpmn_child("linkEventDefinition") {
                let name = link.attr("name").unwrap_or("");
                links
                    .entry((raw.parent, name))
                    .or_default()
                    .push(NodeIdx(i as u32));
            }
        }
        links
    }

    fn build_node(
        &mut self,
        i: usize,
        incoming: Vec<FlowIdx>,
        outgoing: Vec<FlowIdx>,
        flows: &[Flow],
        links: &HashMap<(Option<NodeIdx>, &'a str), Vec<NodeIdx>>,
    ) -> Node {
        let RawNode { el, parent } = self.raw[i];
        refuse_java(el, self.problems);
        let (kind, activity_type) = self.node_kind(el, parent, links);
        let default_flow = el.attr("default").and_then(|d| {
            let found = outgoing
                .iter()
                .copied()
                .find(|f| &*flows[f.ix()].id == d);
            if found.is_none() {
                self.problems.error(
                    at(el),
                    format!("Default sequence flow '{d}' of '{}' is not one of its outgoing sequence flows", el.attr("id").unwrap_or("")),
                );
            }
            found
        });
        let multi = el
            .bpmn_child("multiInstanceLoopCharacteristics")
            .and_then(|mi| self.multi_instance(el, mi));
        if el.bpmn_child("standardLoopCharacteristics").is_some() {
            self.problems.error(
                at(el),
                format!("<{}> has standardLoopCharacteristics; Camunda 7 does not execute standard loops (it ignores them) and neither does procos: use a multi-instance activity or a gateway loop", el.name),
            );
        }
        let asynchrony = Asynchrony {
            before: flag(el, "asyncBefore") || flag(el, "async"),
            after: flag(el, "asyncAfter"),
            exclusive: ext_attr(el, "exclusive").is_none_or(|v| !v.eq_ignore_ascii_case("false")),
        };
        if asynchrony.after && matches!(kind, NodeKind::Gateway(_)) {
            self.problems.error(
                at(el),
                format!("'asyncAfter' not supported for {} elements.", el.name),
            );
        }
        let retry_cycle = ext_elements(el, "failedJobRetryTimeCycle")
            .next()
            .map(|c| c.trimmed_text().to_owned())
            .filter(|c| !c.is_empty());
        let io = io_mapping(el, self.problems);
        if let Some(mapping) = &io {
            let tag = &*el.name;
            let event_subprocess =
                matches!(&kind, NodeKind::SubProcess(sub) if sub.event_subprocess);
            if tag.contains("Gateway") || tag == "startEvent" || tag == "boundaryEvent" {
                self.problems.error(
                    at(el),
                    format!("camunda:inputOutput mapping unsupported for element type '{tag}'."),
                );
            } else if event_subprocess {
                self.problems.error(
                    at(el),
                    "camunda:inputOutput mapping unsupported for element type 'subProcess' with attribute 'triggeredByEvent = true'.",
                );
            } else if multi.is_some() && !mapping.outputs.is_empty() {
                self.problems.error(
                    at(el),
                    "camunda:outputParameter not allowed for multi-instance constructs",
                );
            } else if tag == "endEvent" && !mapping.outputs.is_empty() {
                self.problems.error(
                    at(el),
                    "camunda:outputParameter not allowed for element type 'endEvent'.",
                );
            }
        }
        Node {
            id: match el.attr("id").filter(|id| !id.is_empty()) {
                Some(id) => id.into(),
                None => format!("{}_{}_{}", el.name, el.line, el.column).into(),
            },
            name: el.attr("name").map(Into::into),
            kind,
            parent,
            incoming,
            outgoing,
            default_flow,
            boundary_events: Vec::new(),
            io,
            properties: properties(el),
            asynchrony,
            multi,
            listeners: listeners(el, self.problems),
            retry_cycle,
            for_compensation: el
                .attr("isForCompensation")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            compensation_handler: None,
            activity_type,
            line: el.line,
            column: el.column,
        }
    }

    fn node_kind(
        &mut self,
        el: &'a Element,
        parent: Option<NodeIdx>,
        links: &HashMap<(Option<NodeIdx>, &'a str), Vec<NodeIdx>>,
    ) -> (NodeKind, &'static str) {
        let id = el.attr("id").unwrap_or("");
        match &*el.name {
            "startEvent" => {
                let trigger = self.catch_trigger(el);
                let ty = match trigger {
                    EventTrigger::None => "startEvent",
                    EventTrigger::Message { .. } => "messageStartEvent",
                    EventTrigger::Timer(_) => "startTimerEvent",
                    EventTrigger::Signal { .. } => "signalStartEvent",
                    EventTrigger::Error { .. } => "errorStartEvent",
                    EventTrigger::Escalation { .. } => "escalationStartEvent",
                    EventTrigger::Conditional { .. } => "conditionalStartEvent",
                    EventTrigger::Compensation => "compensationStartEvent",
                    EventTrigger::Cancel | EventTrigger::Link { .. } => "startEvent",
                };
                let interrupting = el
                    .attr("isInterrupting")
                    .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
                (
                    NodeKind::StartEvent {
                        trigger,
                        interrupting,
                    },
                    ty,
                )
            }
            "endEvent" => {
                let result = self.throw_result(el, parent, links, true);
                let ty = match result {
                    ThrowResult::None | ThrowResult::Link { .. } => "noneEndEvent",
                    ThrowResult::Terminate => "terminateEndEvent",
                    ThrowResult::Error { .. } => "errorEndEvent",
                    ThrowResult::Escalation { .. } => "escalationEndEvent",
                    ThrowResult::Signal { .. } => "signalEndEvent",
                    ThrowResult::Message { .. } => "messageEndEvent",
                    ThrowResult::Cancel => "cancelEndEvent",
                    ThrowResult::Compensate { .. } => "compensationEndEvent",
                };
                (NodeKind::EndEvent { result }, ty)
            }
            "intermediateCatchEvent" => {
                let trigger = self.catch_trigger(el);
                let ty = match trigger {
                    EventTrigger::Message { .. } => "intermediateMessageCatch",
                    EventTrigger::Timer(_) => "intermediateTimer",
                    EventTrigger::Signal { .. } => "intermediateSignalCatch",
                    EventTrigger::Conditional { .. } => "intermediateConditional",
                    EventTrigger::Link { .. } => "intermediateLinkCatch",
                    _ => {
                        self.problems
                            .error(at(el), "Unsupported intermediate catch event type");
                        "intermediateCatchEvent"
                    }
                };
                (NodeKind::IntermediateCatch { trigger }, ty)
            }
            "intermediateThrowEvent" => {
                let result = self.throw_result(el, parent, links, false);
                let ty = match result {
                    ThrowResult::None => "intermediateNoneThrowEvent",
                    ThrowResult::Signal { .. } => "intermediateSignalThrow",
                    ThrowResult::Message { .. } => "intermediateMessageThrowEvent",
                    ThrowResult::Escalation { .. } => "intermediateEscalationThrowEvent",
                    ThrowResult::Compensate { .. } => "intermediateCompensationThrowEvent",
                    ThrowResult::Link { .. } => "intermediateLinkThrow",
                    _ => {
                        self.problems.error(
                            at(el),
                            format!("intermediate throw event '{id}' has an event definition that only fits an end event"),
                        );
                        "intermediateThrowEvent"
                    }
                };
                (NodeKind::IntermediateThrow { result }, ty)
            }
            "boundaryEvent" => {
                let trigger = self.catch_trigger(el);
                let mut interrupting = el
                    .attr("cancelActivity")
                    .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
                let ty = match trigger {
                    EventTrigger::Message { .. } => "boundaryMessage",
                    EventTrigger::Timer(_) => "boundaryTimer",
                    EventTrigger::Signal { .. } => "boundarySignal",
                    EventTrigger::Error { .. } => {
                        if !interrupting {
                            self.problems.warning(
                                at(el),
                                format!("error boundary event '{id}' has cancelActivity=\"false\", but an error always interrupts the activity, as in Camunda"),
                            );
                            interrupting = true;
                        }
                        "boundaryError"
                    }
                    EventTrigger::Escalation { .. } => "boundaryEscalation",
                    EventTrigger::Conditional { .. } => "boundaryConditional",
                    EventTrigger::Compensation => "compensationBoundaryCatch",
                    EventTrigger::Cancel => "cancelBoundaryCatch",
                    EventTrigger::None | EventTrigger::Link { .. } => {
                        self.problems
                            .error(at(el), "Unsupported boundary event type");
                        "boundaryEvent"
                    }
                };
                let attached_to = match el.attr("attachedToRef") {
                    Some(r) => match self.ids.get(r) {
                        Some(&idx) => idx,
                        None => {
                            self.problems.error(
                                at(el),
                                "Invalid reference in boundary event. Make sure that the referenced activity is defined in the same scope as the boundary event",
                            );
                            NodeIdx(u32::MAX)
                        }
                    },
                    None => {
                        self.problems.error(
                            at(el),
                            "AttachedToRef is required when using a timerEventDefinition",
                        );
                        NodeIdx(u32::MAX)
                    }
                };
                (
                    NodeKind::Boundary {
                        attached_to,
                        interrupting,
                        trigger,
                    },
                    ty,
                )
            }
            "task" => (NodeKind::Task(TaskKind::Undefined), "task"),
            "manualTask" => (NodeKind::Task(TaskKind::Manual), "manualTask"),
            "serviceTask" | "sendTask" | "businessRuleTask" => {
                let ty: &'static str = match &*el.name {
                    "serviceTask" => "serviceTask",
                    "sendTask" => "sendTask",
                    _ => "businessRuleTask",
                };
                (NodeKind::Task(self.service_like(el, ty)), ty)
            }
            "userTask" => (
                NodeKind::Task(TaskKind::User(self.user_task(el))),
                "userTask",
            ),
            "receiveTask" => {
                let message = el.attr("messageRef").and_then(|r| self.message_name(el, r));
                (NodeKind::Task(TaskKind::Receive { message }), "receiveTask")
            }
            "scriptTask" => {
                let source = el
                    .bpmn_child("script")
                    .map(|c| c.text.as_str())
                    .unwrap_or("");
                let script = if let Some(resource) = ext_attr(el, "resource") {
                    self.problems.error(
                        at(el),
                        format!("script task '{id}' loads its script from '{resource}' (camunda:resource); procos runs only inline scripts"),
                    );
                    None
                } else {
                    script(
                        el.attr("scriptFormat"),
                        source,
                        el,
                        &format!("script task '{id}'"),
                        self.problems,
                    )
                };
                let kind = match script {
                    Some(script) => TaskKind::Script {
                        script,
                        result_variable: ext_attr(el, "resultVariable").map(str::to_owned),
                    },
                    None => TaskKind::Undefined,
                };
                (NodeKind::Task(kind), "scriptTask")
            }
            "callActivity" => {
                let kind = match self.call_activity(el) {
                    Some(def) => TaskKind::Call(Box::new(def)),
                    None => TaskKind::Undefined,
                };
                (NodeKind::Task(kind), "callActivity")
            }
            "subProcess" | "transaction" => {
                let event_subprocess = el
                    .attr("triggeredByEvent")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                let transaction = &*el.name == "transaction";
                (
                    NodeKind::SubProcess(Box::new(SubProcess {
                        event_subprocess,
                        transaction,
                        scope: Scope::default(),
                    })),
                    if transaction {
                        "transaction"
                    } else {
                        "subProcess"
                    },
                )
            }
            "adHocSubProcess" => {
                self.problems.error(
                    at(el),
                    format!("ad-hoc subprocess '{id}': Camunda 7 does not execute ad-hoc subprocesses (it ignores them with a warning, and the flow breaks at run time); procos refuses them: model the optional work with gateways or an event subprocess"),
                );
                (NodeKind::Task(TaskKind::Undefined), "adHocSubProcess")
            }
            "exclusiveGateway" => (
                NodeKind::Gateway(GatewayKind::Exclusive),
                "exclusiveGateway",
            ),
            "parallelGateway" => (NodeKind::Gateway(GatewayKind::Parallel), "parallelGateway"),
            "inclusiveGateway" => (
                NodeKind::Gateway(GatewayKind::Inclusive),
                "inclusiveGateway",
            ),
            "eventBasedGateway" => (
                NodeKind::Gateway(GatewayKind::EventBased),
                "eventBasedGateway",
            ),
            "complexGateway" => {
                self.problems.error(
                    at(el),
                    format!("complex gateway '{id}': Camunda 7 does not execute complex gateways (it ignores them with a warning, and the flow breaks at run time); procos refuses them: use an inclusive or parallel gateway"),
                );
                (NodeKind::Gateway(GatewayKind::Inclusive), "complexGateway")
            }
            other => {
                // FLOW_NODES and this match list the same names.
                self.problems
                    .error(at(el), format!("<{other}> is not supported"));
                (NodeKind::Task(TaskKind::Undefined), "task")
            }
        }
    }

    fn service_like(&mut self, el: &'a Element, kind: &str) -> TaskKind {
        let id = el.attr("id").unwrap_or("");
        if let Some(ty) = ext_attr(el, "type") {
            if ty == "external" {
                return match self.external(el) {
                    Some(def) => TaskKind::External(def),
                    None => TaskKind::Undefined,
                };
            }
            let advice = if ty.eq_ignore_ascii_case("mail") || ty.eq_ignore_ascii_case("shell") {
                format!("Camunda's built-in '{ty}' task is not provided by procos: use camunda:type=\"external\" and serve the topic with `procos worker generic` (topic email_send for mail)")
            } else {
                "the only type procos (and Camunda) knows besides 'mail' and 'shell' is 'external'"
                    .to_owned()
            };
            self.problems.error(
                at(el),
                format!("Invalid usage of type attribute on {kind}: '{ty}'. {advice}"),
            );
            return TaskKind::Undefined;
        }
        if let Some(text) = ext_attr(el, "expression") {
            let result_variable = ext_attr(el, "resultVariable").map(str::to_owned);
            return match expression(
                text,
                el,
                &format!("camunda:expression of {kind} '{id}'"),
                self.problems,
            ) {
                Some(expression) => TaskKind::Expression {
                    expression,
                    result_variable,
                },
                None => TaskKind::Undefined,
            };
        }
        if let Some(decision) = ext_attr(el, "decisionRef") {
            self.problems.error(
                at(el),
                format!("{kind} '{id}' evaluates the DMN decision '{decision}' (camunda:decisionRef); procos has no DMN engine: use camunda:type=\"external\" and evaluate the decision in a worker"),
            );
            return TaskKind::Undefined;
        }
        if ext_attr(el, "class").is_none() && ext_attr(el, "delegateExpression").is_none() {
            self.problems.error(
                at(el),
                format!("One of the attributes 'class', 'delegateExpression', 'type', or 'expression' is mandatory on {kind}. ('{id}' has none: set camunda:type=\"external\" with a camunda:topic for a worker, or camunda:expression)"),
            );
        }
        TaskKind::Undefined
    }

    fn external(&mut self, el: &'a Element) -> Option<ExternalTaskDef> {
        let id = el.attr("id").unwrap_or("");
        let topic = match ext_attr(el, "topic") {
            Some(t) if !t.trim().is_empty() => {
                expression(t, el, &format!("camunda:topic of '{id}'"), self.problems)?
            }
            _ => {
                self.problems.error(
                    at(el),
                    format!("External tasks must specify a 'topic' attribute in the camunda namespace ('{id}' has none)"),
                );
                return None;
            }
        };
        let mut error_events = Vec::new();
        for def in ext_elements(el, "errorEventDefinition") {
            let Some(text) = def.attr("expression") else {
                // Camunda ignores such a definition when the task completes.
                self.problems.warning(
                    at(el),
                    format!(
                        "the camunda:errorEventDefinition of '{id}' has no 'expression' attribute, so it never turns a completion into a BPMN error"
                    ),
                );
                continue;
            };
            let Some(condition) = expression(
                text,
                el,
                &format!("the camunda:errorEventDefinition of '{id}'"),
                self.problems,
            ) else {
                continue;
            };
            let (code, message) = match def.attr("errorRef") {
                None => (None, None),
                Some(r) => match lookup(&self.globals.errors, r) {
                    Some((code, message)) => (
                        code.map(str::to_owned),
                        message.and_then(|m| {
                            expression(
                                m,
                                el,
                                &format!("camunda:errorMessage of error '{r}'"),
                                self.problems,
                            )
                        }),
                    ),
                    None => (Some(r.to_owned()), None),
                },
            };
            error_events.push(ErrorEventDef {
                code,
                message,
                expression: condition,
            });
        }
        Some(ExternalTaskDef {
            topic,
            priority: ext_expression(el, "taskPriority", self.problems),
            error_events,
        })
    }

    fn multi_instance(&mut self, el: &'a Element, mi: &'a Element) -> Option<Box<MultiInstance>> {
        let expr = |this: &mut Self, child: &str, what: &str| {
            mi.bpmn_child(child)
                .map(|c| c.trimmed_text())
                .filter(|t| !t.is_empty())
                .and_then(|t| expression(t, el, what, this.problems))
        };
        let cardinality = expr(self, "loopCardinality", "loopCardinality");
        let completion_condition = expr(self, "completionCondition", "completionCondition");
        let collection = match ext_attr(mi, "collection") {
            Some(c) => expression(c, el, "camunda:collection", self.problems),
            None => mi
                .bpmn_child("loopDataInputRef")
                .map(|c| c.trimmed_text())
                .filter(|t| !t.is_empty())
                .and_then(|t| expression(t, el, "loopDataInputRef", self.problems)),
        };
        let element_variable = ext_attr(mi, "elementVariable")
            .map(str::to_owned)
            .or_else(|| {
                mi.bpmn_child("inputDataItem")
                    .and_then(|i| i.attr("name").or_else(|| i.attr("id")).map(str::to_owned))
            });
        if cardinality.is_none() && collection.is_none() {
            self.problems.error(
                at(el),
                "Either loopCardinality or loopDataInputRef/activiti:collection must be set",
            );
            return None;
        }
        if element_variable.is_some() && collection.is_none() {
            self.problems.error(
                at(el),
                "LoopDataInputRef/activiti:collection must be set when using inputDataItem or activiti:elementVariable",
            );
        }
        Some(Box::new(MultiInstance {
            sequential: mi
                .attr("isSequential")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            cardinality,
            collection,
            element_variable,
            completion_condition,
            inner_asynchrony: Asynchrony {
                before: flag(mi, "asyncBefore") || flag(mi, "async"),
                after: flag(mi, "asyncAfter"),
                exclusive: ext_attr(mi, "exclusive")
                    .is_none_or(|v| !v.eq_ignore_ascii_case("false")),
            },
        }))
    }

    fn call_activity(&mut self, el: &'a Element) -> Option<CallActivityDef> {
        let id = el.attr("id").unwrap_or("");
        if let Some(case) = ext_attr(el, "caseRef") {
            self.problems.error(
                at(el),
                format!("call activity '{id}' calls the CMMN case '{case}' (camunda:caseRef); procos does not run CMMN"),
            );
            return None;
        }
        let Some(called) = el.attr("calledElement").filter(|c| !c.is_empty()) else {
            self.problems
                .error(at(el), "Missing attribute 'calledElement' or 'caseRef'");
            return None;
        };
        let called_element = expression(called, el, "calledElement", self.problems)?;
        let binding = match ext_attr(el, "calledElementBinding").unwrap_or("latest") {
            "latest" => CallBinding::Latest,
            "deployment" => CallBinding::Deployment,
            "version" => CallBinding::Version,
            "versionTag" => CallBinding::VersionTag,
            other => {
                self.problems.error(
                    at(el),
                    format!("camunda:calledElementBinding must be latest, deployment, version or versionTag, not '{other}'"),
                );
                CallBinding::Latest
            }
        };
        let version = ext_expression(el, "calledElementVersion", self.problems);
        let version_tag = ext_expression(el, "calledElementVersionTag", self.problems);
        if binding == CallBinding::Version && version.is_none() {
            self.problems.error(at(el), "Missing attribute 'calledElementVersion' when 'calledElementBinding' has value 'version'");
        }
        if binding == CallBinding::VersionTag && version_tag.is_none() {
            self.problems.error(at(el), "Missing attribute 'calledElementVersionTag' when 'calledElementBinding' has value 'versionTag'");
        }
        let mut business_key = None;
        let mappings = |name: &str,
                        problems: &mut Problems,
                        business_key: &mut Option<Expression>|
         -> Vec<VarMapping> {
            let mut out = Vec::new();
            for m in ext_elements(el, name) {
                let local = m
                    .attr("local")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"));
                if let Some(bk) = m.attr("businessKey") {
                    *business_key = expression(bk, el, "camunda:in businessKey", problems);
                    continue;
                }
                if m.attr("variables").is_some_and(|v| v == "all") {
                    out.push(VarMapping::All { local });
                    continue;
                }
                let source = match (m.attr("source"), m.attr("sourceExpression")) {
                    (Some(""), _) => {
                        problems.error(at(el), "Empty attribute 'source' when passing variables");
                        continue;
                    }
                    (_, Some("")) => {
                        problems.error(
                            at(el),
                            "Empty attribute 'sourceExpression' when passing variables",
                        );
                        continue;
                    }
                    (Some(s), _) => MappingSource::Variable(s.to_owned()),
                    (None, Some(e)) => match expression(
                        e,
                        el,
                        &format!("camunda:{name} sourceExpression"),
                        problems,
                    ) {
                        Some(e) => MappingSource::Expression(e),
                        None => continue,
                    },
                    (None, None) => {
                        problems.error(at(el), "Missing parameter 'source' or 'sourceExpression' when passing variables");
                        continue;
                    }
                };
                match m.attr("target") {
                    Some(t) if !t.is_empty() => out.push(VarMapping::One {
                        source,
                        target: t.to_owned(),
                        local,
                    }),
                    Some(_) => problems.error(at(el), "Empty attribute 'target' when attribute 'source' or 'sourceExpression' is set"),
                    None => problems.error(at(el), "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set"),
                }
            }
            out
        };
        let ins = mappings("in", self.problems, &mut business_key);
        let mut ignored = None;
        let outs = mappings("out", self.problems, &mut ignored);
        Some(CallActivityDef {
            called_element,
            binding,
            version,
            version_tag,
            tenant_id: ext_expression(el, "calledElementTenantId", self.problems),
            business_key,
            ins,
            outs,
        })
    }

    fn user_task(&mut self, el: &'a Element) -> Box<UserTaskDef> {
        let name = el
            .attr("name")
            .filter(|n| n.contains("${") || n.contains("#{"))
            .and_then(|n| expression(n, el, "the task name", self.problems));
        let mut def = UserTaskDef {
            name,
            assignee: ext_expression(el, "assignee", self.problems),
            candidate_users: ext_expression(el, "candidateUsers", self.problems),
            candidate_groups: ext_expression(el, "candidateGroups", self.problems),
            due_date: ext_expression(el, "dueDate", self.problems),
            follow_up_date: ext_expression(el, "followUpDate", self.problems),
            priority: ext_expression(el, "priority", self.problems),
            form_key: ext_expression(el, "formKey", self.problems),
            documentation: el
                .bpmn_child("documentation")
                .map(|d| d.trimmed_text().to_owned()),
            form_fields: form_fields(el, self.problems),
        };
        // BPMN's own humanPerformer/potentialOwner with a formal expression, which
        // Camunda maps to assignee and candidates.
        if def.assignee.is_none() {
            if let Some(text) = resource_expression(el, "humanPerformer") {
                def.assignee = expression(text, el, "humanPerformer", self.problems);
            }
        }
        if def.candidate_users.is_none() && def.candidate_groups.is_none() {
            if let Some(text) = resource_expression(el, "potentialOwner") {
                let (users, groups) = split_potential_owners(text);
                if !users.is_empty() {
                    def.candidate_users = expression(&users, el, "potentialOwner", self.problems);
                }
                if !groups.is_empty() {
                    def.candidate_groups = expression(&groups, el, "potentialOwner", self.problems);
                }
            }
        }
        Box::new(def)
    }

    fn message_name(&mut self, el: &Element, reference: &str) -> Option<Expression> {
        match lookup(&self.globals.messages, reference) {
            Some(Some(name)) if !name.is_empty() => expression(
                name,
                el,
                &format!("the name of message '{reference}'"),
                self.problems,
            ),
            Some(_) => {
                self.problems.error(
                    at(el),
                    "Cannot have a message event subscription with an empty or missing name",
                );
                None
            }
            None => {
                self.problems.error(
                    at(el),
                    format!("Invalid 'messageRef': no message with id '{reference}' found."),
                );
                None
            }
        }
    }

    fn signal_name(&mut self, el: &Element, reference: &str) -> Option<Expression> {
        match lookup(&self.globals.signals, reference) {
            Some(Some(name)) if !name.is_empty() => expression(
                name,
                el,
                &format!("the name of signal '{reference}'"),
                self.problems,
            ),
            Some(_) => {
                self.problems
                    .error(at(el), format!("signal with id '{reference}' has no name"));
                None
            }
            None => {
                self.problems.error(
                    at(el),
                    format!("Could not find signal with id '{reference}'"),
                );
                None
            }
        }
    }

    /// The single event definition of an event, with a problem for each extra one.
    fn event_definition(&mut self, el: &'a Element) -> Option<&'a Element> {
        let mut defs = el
            .children
            .iter()
            .filter(|c| c.ns == Ns::Bpmn && c.name.ends_with("EventDefinition"));
        let first = defs.next();
        if defs.next().is_some() {
            self.problems.error(
                at(el),
                format!("event '{}' has several event definitions; procos (like Camunda) supports exactly one per event", el.attr("id").unwrap_or("")),
            );
        }
        if el.bpmn_child("eventDefinitionRef").is_some() {
            self.problems.error(
                at(el),
                "eventDefinitionRef is not supported: put the event definition inside the event",
            );
        }
        first
    }

    fn catch_trigger(&mut self, el: &'a Element) -> EventTrigger {
        let Some(def) = self.event_definition(el) else {
            return EventTrigger::None;
        };
        let id = el.attr("id").unwrap_or("");
        match &*def.name {
            "messageEventDefinition" => match def.attr("messageRef") {
                Some(r) => self
                    .message_name(el, r)
                    .map_or(EventTrigger::None, |name| EventTrigger::Message { name }),
                None => {
                    self.problems
                        .error(at(el), "attribute 'messageRef' is required");
                    EventTrigger::None
                }
            },
            "signalEventDefinition" => match def.attr("signalRef") {
                Some(r) => self
                    .signal_name(el, r)
                    .map_or(EventTrigger::None, |name| EventTrigger::Signal { name }),
                None => {
                    self.problems.error(
                        at(el),
                        "signalEventDefinition does not have required property 'signalRef'",
                    );
                    EventTrigger::None
                }
            },
            "timerEventDefinition" => self
                .timer(el, def)
                .map_or(EventTrigger::None, EventTrigger::Timer),
            "errorEventDefinition" => {
                let code = match def.attr("errorRef") {
                    None => None,
                    Some(r) => match lookup(&self.globals.errors, r) {
                        Some((code, _)) => code.map(str::to_owned),
                        // Camunda matches an unknown errorRef against error codes.
                        None => Some(r.to_owned()),
                    },
                };
                EventTrigger::Error {
                    code,
                    code_variable: ext_attr(def, "errorCodeVariable").map(str::to_owned),
                    message_variable: ext_attr(def, "errorMessageVariable").map(str::to_owned),
                }
            }
            "escalationEventDefinition" => {
                let code = match def.attr("escalationRef") {
                    None => None,
                    Some(r) => match lookup(&self.globals.escalations, r) {
                        Some(code) => code.map(str::to_owned),
                        None => {
                            self.problems
                                .error(at(el), format!("could not find escalation with id '{r}'"));
                            None
                        }
                    },
                };
                EventTrigger::Escalation {
                    code,
                    code_variable: ext_attr(def, "escalationCodeVariable").map(str::to_owned),
                }
            }
            "conditionalEventDefinition" => {
                let Some(condition) = def.bpmn_child("condition") else {
                    self.problems.error(
                        at(el),
                        "Conditional event must contain an expression for evaluation.",
                    );
                    return EventTrigger::None;
                };
                let Some(condition) = expression(
                    condition.text.trim(),
                    el,
                    &format!("the condition of event '{id}'"),
                    self.problems,
                ) else {
                    return EventTrigger::None;
                };
                EventTrigger::Conditional {
                    condition,
                    variable_name: ext_attr(def, "variableName").map(str::to_owned),
                    variable_events: ext_attr(def, "variableEvents")
                        .map(|v| {
                            v.split(',')
                                .map(|s| s.trim().to_owned())
                                .filter(|s| !s.is_empty())
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            }
            "compensateEventDefinition" => EventTrigger::Compensation,
            "cancelEventDefinition" => EventTrigger::Cancel,
            "linkEventDefinition" => EventTrigger::Link {
                name: def.attr("name").unwrap_or("").to_owned(),
            },
            other => {
                self.problems.error(
                    at(el),
                    format!("event '{id}' has a <{other}>, which cannot be caught"),
                );
                EventTrigger::None
            }
        }
    }

    fn timer(&mut self, el: &Element, def: &Element) -> Option<TimerDef> {
        let id = el.attr("id").unwrap_or("");
        let mut found = None;
        for (name, kind) in [
            ("timeDate", TimerKind::Date),
            ("timeDuration", TimerKind::Duration),
            ("timeCycle", TimerKind::Cycle),
        ] {
            if let Some(t) = def.bpmn_child(name) {
                if found.is_some() {
                    self.problems.error(
                        at(el),
                        format!("timer '{id}' has more than one of timeDate, timeDuration and timeCycle"),
                    );
                }
                found = Some((name, kind, t.text.trim()));
            }
        }
        let Some((name, kind, text)) = found else {
            self.problems.error(
                at(el),
                "Timer needs configuration (either timeDate, timeCycle or timeDuration is needed).",
            );
            return None;
        };
        let text = expression(
            text,
            el,
            &format!("the {name} of timer '{id}'"),
            self.problems,
        )?;
        if let Some(literal) = text.literal_text() {
            if let Err(e) = time::validate(kind, literal) {
                self.problems.error(
                    at(el),
                    format!("the {name} of timer '{id}' is invalid: {e}"),
                );
            }
        }
        Some(TimerDef { kind, text })
    }

    fn throw_result(
        &mut self,
        el: &'a Element,
        parent: Option<NodeIdx>,
        links: &HashMap<(Option<NodeIdx>, &'a str), Vec<NodeIdx>>,
        is_end: bool,
    ) -> ThrowResult {
        let Some(def) = self.event_definition(el) else {
            return ThrowResult::None;
        };
        let id = el.attr("id").unwrap_or("");
        match &*def.name {
            "terminateEventDefinition" if is_end => ThrowResult::Terminate,
            "errorEventDefinition" if is_end => {
                match def.attr("errorRef").filter(|r| !r.is_empty()) {
                    None => {
                        self.problems.error(
                            at(el),
                            "'errorRef' attribute is mandatory on error end event",
                        );
                        ThrowResult::None
                    }
                    Some(r) => match lookup(&self.globals.errors, r) {
                        Some((Some(code), message)) => ThrowResult::Error {
                            code: Some(code.to_owned()),
                            message: message.and_then(|m| {
                                expression(
                                    m,
                                    el,
                                    &format!("camunda:errorMessage of error '{r}'"),
                                    self.problems,
                                )
                            }),
                        },
                        Some((None, _)) => {
                            self.problems.error(
                            at(el),
                            format!("'errorCode' is mandatory on errors referenced by throwing error event definitions, but the error '{r}' does not define one."),
                        );
                            ThrowResult::None
                        }
                        // Camunda uses an errorRef that names no <error> as the error code.
                        None => ThrowResult::Error {
                            code: Some(r.to_owned()),
                            message: None,
                        },
                    },
                }
            }
            "escalationEventDefinition" => match def.attr("escalationRef") {
                None => {
                    self.problems.error(
                        at(el),
                        "escalationEventDefinition does not have required attribute 'escalationRef'",
                    );
                    ThrowResult::None
                }
                Some(r) => match lookup(&self.globals.escalations, r) {
                    Some(Some(code)) => ThrowResult::Escalation {
                        code: Some(code.to_owned()),
                    },
                    Some(None) => {
                        let which = if is_end {
                            "escalation end event"
                        } else {
                            "throwing escalation event"
                        };
                        self.problems
                            .error(at(el), format!("{which} must have an 'escalationCode'"));
                        ThrowResult::None
                    }
                    None => {
                        self.problems
                            .error(at(el), format!("could not find escalation with id '{r}'"));
                        ThrowResult::None
                    }
                },
            },
            "signalEventDefinition" => match def.attr("signalRef") {
                Some(r) => self
                    .signal_name(el, r)
                    .map_or(ThrowResult::None, |name| ThrowResult::Signal { name }),
                None => {
                    self.problems
                        .error(at(el), format!("signal event '{id}' has no signalRef"));
                    ThrowResult::None
                }
            },
            "messageEventDefinition" => {
                if ext_attr(el, "type").is_some()
                    || ext_attr(el, "expression").is_some()
                    || ext_attr(def, "type").is_some()
                {
                    let target = if ext_attr(el, "type").is_some() {
                        el
                    } else {
                        def
                    };
                    match self.service_like(target, "message event") {
                        TaskKind::External(def) => ThrowResult::Message {
                            external: Some(def),
                        },
                        TaskKind::Expression { .. } => {
                            self.problems.error(
                                at(el),
                                format!("message event '{id}' with camunda:expression is not supported; use camunda:type=\"external\""),
                            );
                            ThrowResult::None
                        }
                        _ => ThrowResult::None,
                    }
                } else {
                    refuse_java(def, self.problems);
                    // Without an implementation Camunda treats it as a none event.
                    ThrowResult::Message { external: None }
                }
            }
            "cancelEventDefinition" if is_end => ThrowResult::Cancel,
            "compensateEventDefinition" => {
                let activity = def.attr("activityRef").and_then(|r| match self.ids.get(r) {
                    Some(&idx) => Some(idx),
                    None => {
                        self.problems.error(
                            at(el),
                            format!("Invalid attribute value for 'activityRef': no activity with id '{r}' in scope"),
                        );
                        None
                    }
                });
                if def
                    .attr("waitForCompletion")
                    .is_some_and(|v| v.eq_ignore_ascii_case("false"))
                {
                    self.problems.warning(
                        at(el),
                        format!("Unsupported attribute value for 'waitForCompletion': 'waitForCompletion=false' is not supported. Compensation event will wait for compensation to join. (event '{id}')"),
                    );
                }
                ThrowResult::Compensate { activity }
            }
            "linkEventDefinition" if !is_end => {
                let name = def.attr("name").unwrap_or("");
                match links.get(&(parent, name)).map(Vec::as_slice) {
                    Some([target]) => ThrowResult::Link { target: *target },
                    Some(_) => {
                        self.problems.error(
                            at(el),
                            format!("Multiple Intermediate Catch Events with the same link event name ('{name}') are not allowed."),
                        );
                        ThrowResult::None
                    }
                    None => {
                        self.problems.error(
                            at(el),
                            format!("link throw event '{id}' points to link event source with name '{name}' but no event target with that name exists. Most probably your link events are not configured correctly."),
                        );
                        ThrowResult::None
                    }
                }
            }
            other => {
                self.problems.error(
                    at(el),
                    format!("event '{id}' has a <{other}>, which cannot be thrown here"),
                );
                ThrowResult::None
            }
        }
    }

    /// Connects each compensation boundary event to its handler through the
    /// `association` that leaves it, and checks Camunda's rules for handlers.
    fn link_compensation_handlers(&mut self, process: &'a Element, nodes: &mut [Node]) {
        let mut associations: Vec<&'a Element> = Vec::new();
        collect_associations(process, &mut associations);
        for i in 0..nodes.len() {
            let NodeKind::Boundary {
                attached_to,
                trigger: EventTrigger::Compensation,
                ..
            } = nodes[i].kind
            else {
                continue;
            };
            let id = nodes[i].id.to_string();
            let handler = associations.iter().find_map(|a| {
                let (source, target) = (a.attr("sourceRef")?, a.attr("targetRef")?);
                let other = if source == id {
                    target
                } else if target == id {
                    source
                } else {
                    return None;
                };
                self.ids.get(other).map(|&h| (h, *a))
            });
            let Some((handler, association)) = handler else {
                self.problems.warning(
                    at(self.raw[i].el),
                    format!("compensation boundary event '{id}' has no association to a compensation handler, so compensating its activity does nothing"),
                );
                continue;
            };
            if !nodes[handler.ix()].for_compensation {
                self.problems.error(
                    at(association),
                    "compensation boundary catch must be connected to element with isForCompensation=true",
                );
                continue;
            }
            let host = &mut nodes[attached_to.ix()];
            if host.compensation_handler.is_some() {
                self.problems.error(
                    at(self.raw[i].el),
                    "multiple boundary events with compensateEventDefinition not supported on same activity",
                );
                continue;
            }
            host.compensation_handler = Some(handler);
        }
    }

    fn attach_boundaries(&mut self, nodes: &mut [Node]) {
        for i in 0..nodes.len() {
            let NodeKind::Boundary { attached_to, .. } = nodes[i].kind else {
                continue;
            };
            let Some(host) = nodes.get(attached_to.ix()) else {
                continue;
            };
            let host_ok = matches!(host.kind, NodeKind::Task(_))
                || matches!(&host.kind, NodeKind::SubProcess(s) if !s.event_subprocess);
            if !host_ok {
                let (id, host_id) = (nodes[i].id.to_string(), host.id.to_string());
                self.problems.error(
                    at(self.raw[i].el),
                    format!("boundary event '{id}' is attached to '{host_id}', which is not a task or subprocess"),
                );
                continue;
            }
            if host.parent != nodes[i].parent {
                let (id, host_id) = (nodes[i].id.to_string(), host.id.to_string());
                self.problems.error(
                    at(self.raw[i].el),
                    format!("Invalid reference in boundary event. Make sure that the referenced activity is defined in the same scope as the boundary event ('{id}' is attached to '{host_id}')"),
                );
                continue;
            }
            nodes[attached_to.ix()]
                .boundary_events
                .push(NodeIdx(i as u32));
        }
    }

    fn build_scopes(&mut self, nodes: &mut [Node]) -> Scope {
        let mut root = Scope::default();
        let mut subs: HashMap<u32, Scope> = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            let idx = NodeIdx(i as u32);
            let scope = match node.parent {
                None => &mut root,
                Some(p) => subs.entry(p.0).or_default(),
            };
            scope.children.push(idx);
            match &node.kind {
                NodeKind::StartEvent { trigger, .. } => {
                    let el = self.raw[i].el;
                    if node.parent.is_some() {
                        if scope.none_start.is_some() || !scope.starts.is_empty() {
                            self.problems.error(
                                at(el),
                                "multiple start events not supported for subprocess",
                            );
                        }
                    } else if matches!(trigger, EventTrigger::None | EventTrigger::Timer(_))
                        && (scope.none_start.is_some()
                            || self.has_timer_start(nodes, &scope.starts))
                    {
                        self.problems.error(
                            at(el),
                            "multiple none start events or timer start events not supported on process definition",
                        );
                    }
                    if matches!(trigger, EventTrigger::None) {
                        scope.none_start.get_or_insert(idx);
                    } else {
                        scope.starts.push(idx);
                    }
                }
                NodeKind::SubProcess(sub) if sub.event_subprocess => {
                    scope.event_subprocesses.push(idx)
                }
                _ => {}
            }
        }
        if root.none_start.is_none() && root.starts.is_empty() {
            // Reported at the process element by the caller's validation.
        }
        for (i, node) in nodes.iter_mut().enumerate() {
            if let NodeKind::SubProcess(sub) = &mut node.kind {
                sub.scope = subs.remove(&(i as u32)).unwrap_or_default();
                if sub.scope.none_start.is_none() && sub.scope.starts.is_empty() && !sub.transaction
                {
                    self.problems.error(
                        at(self.raw[i].el),
                        "subProcess must define a startEvent element",
                    );
                }
            }
        }
        root
    }

    fn has_timer_start(&self, nodes: &[Node], starts: &[NodeIdx]) -> bool {
        starts.iter().any(|s| {
            matches!(
                nodes[s.ix()].kind,
                NodeKind::StartEvent {
                    trigger: EventTrigger::Timer(_),
                    ..
                }
            )
        })
    }
}

fn flag(el: &Element, name: &str) -> bool {
    ext_attr(el, name).is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// `<humanPerformer><resourceAssignmentExpression><formalExpression>`.
fn resource_expression<'e>(el: &'e Element, kind: &str) -> Option<&'e str> {
    el.bpmn_child(kind)?
        .bpmn_child("resourceAssignmentExpression")?
        .bpmn_child("formalExpression")
        .map(|f| f.trimmed_text())
}

/// Camunda reads `potentialOwner` as a comma list where `user(x)` is a user and
/// `group(x)` or a bare name is a group.
fn split_potential_owners(text: &str) -> (String, String) {
    let mut users = Vec::new();
    let mut groups = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if let Some(u) = part.strip_prefix("user(").and_then(|s| s.strip_suffix(')')) {
            users.push(u.trim());
        } else if let Some(g) = part
            .strip_prefix("group(")
            .and_then(|s| s.strip_suffix(')'))
        {
            groups.push(g.trim());
        } else {
            groups.push(part);
        }
    }
    (users.join(","), groups.join(","))
}

/// `camunda:historyTimeToLive`: a number of days, or `P<n>D`.
fn parse_history_ttl(text: &str) -> Option<u32> {
    let t = text.trim();
    if let Ok(days) = t.parse::<u32>() {
        return Some(days);
    }
    t.strip_prefix('P')
        .or_else(|| t.strip_prefix('p'))
        .and_then(|r| r.strip_suffix('D').or_else(|| r.strip_suffix('d')))
        .and_then(|n| n.parse().ok())
}

/// Every `association` element inside `container`, at any depth.
fn collect_associations<'a>(container: &'a Element, out: &mut Vec<&'a Element>) {
    for child in container.children.iter().filter(|c| c.ns == Ns::Bpmn) {
        match &*child.name {
            "association" => out.push(child),
            "subProcess" | "transaction" | "adHocSubProcess" => collect_associations(child, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_time_to_live_accepts_days_and_iso_days() {
        assert_eq!(parse_history_ttl("180"), Some(180));
        assert_eq!(parse_history_ttl("P30D"), Some(30));
        assert_eq!(parse_history_ttl("PT5M"), None);
        assert_eq!(parse_history_ttl("forever"), None);
    }

    #[test]
    fn potential_owners_split_into_users_and_groups() {
        assert_eq!(
            split_potential_owners("user(kermit), group(management), accountancy"),
            ("kermit".to_owned(), "management,accountancy".to_owned())
        );
    }
}
