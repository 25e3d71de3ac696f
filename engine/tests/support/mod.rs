//! A small in-memory engine for step-by-step tests: it compiles a process, applies
//! commands through the pure runtime, and keeps the rows a store would keep (open
//! tasks, subscriptions, timers) by applying the effects, so a test can assert the
//! whole visible state after each step.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use procos_engine::bpmn::{self, NodeKind, ProcessGraph};
use procos_engine::ids::{Id, SequentialIds};
use procos_engine::runtime::{
    self, Command, Effect, EventKind, ExternalTaskSpec, HistoryEvent, Instance, Outcome,
    RuntimeError, Start, UserTaskSpec, Wait,
};
use procos_engine::time::Timestamp;
use procos_engine::value::{Value, Variables};

/// 2026-01-01T00:00:00Z
pub const T0: i64 = 1_767_225_600_000;

/// Wraps flow elements in a Camunda Modeler style `<definitions>`/`<process>`, and adds
/// the sequence flows described by `flows`: statements separated by `;` or newlines,
/// each a chain `a -> b -> c`, optionally followed by `[${condition}]` or `[default]`
/// for its last edge. Flow ids are `<source>_<target>`.
pub fn process(elements: &str, flows: &str) -> String {
    definitions(&process_element("p", elements, flows), "")
}

/// A `<process id=...>` element with elements and flows (see [`process`]).
pub fn process_element(id: &str, elements: &str, flows: &str) -> String {
    let mut elements = elements.to_owned();
    let mut xml_flows = String::new();
    let mut used: Vec<String> = Vec::new();
    for stmt in flows
        .split([';', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (chain, note) = match stmt.rfind('[') {
            Some(i) if stmt.ends_with(']') => (&stmt[..i], Some(&stmt[i + 1..stmt.len() - 1])),
            _ => (stmt, None),
        };
        let nodes: Vec<&str> = chain.split("->").map(str::trim).collect();
        for (i, pair) in nodes.windows(2).enumerate() {
            let (src, dst) = (pair[0], pair[1]);
            // A second flow between the same two nodes gets `_2`, a third `_3`, ...
            let base = format!("{src}_{dst}");
            let n = used.iter().filter(|u| **u == base).count();
            used.push(base.clone());
            let id = if n == 0 {
                base
            } else {
                format!("{base}_{}", n + 1)
            };
            let last = i + 2 == nodes.len();
            match note.filter(|_| last) {
                Some("default") => {
                    let needle = format!("id=\"{src}\"");
                    let at = elements
                        .find(&needle)
                        .unwrap_or_else(|| panic!("no element {src} for default flow"));
                    elements.insert_str(at + needle.len(), &format!(" default=\"{id}\""));
                    writeln!(
                        xml_flows,
                        r#"<sequenceFlow id="{id}" sourceRef="{src}" targetRef="{dst}"/>"#
                    )
                    .ok();
                }
                Some(cond) => {
                    let cond = cond
                        .replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('>', "&gt;");
                    writeln!(
                        xml_flows,
                        r#"<sequenceFlow id="{id}" sourceRef="{src}" targetRef="{dst}"><conditionExpression xsi:type="tFormalExpression">{cond}</conditionExpression></sequenceFlow>"#
                    )
                    .ok();
                }
                None => {
                    writeln!(
                        xml_flows,
                        r#"<sequenceFlow id="{id}" sourceRef="{src}" targetRef="{dst}"/>"#
                    )
                    .ok();
                }
            }
        }
    }
    format!(
        "<process id=\"{id}\" isExecutable=\"true\" camunda:historyTimeToLive=\"30\">\n{elements}\n{xml_flows}</process>"
    )
}

/// A `<definitions>` document holding `processes` and global elements (messages,
/// signals, errors).
pub fn definitions(processes: &str, globals: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="http://procos.test">
{globals}
{processes}
</definitions>"#
    )
}

/// Compiles `xml` and returns its only process, panicking with every problem otherwise.
pub fn compile(xml: &str) -> ProcessGraph {
    match bpmn::compile(xml) {
        Ok(mut defs) => {
            assert_eq!(defs.processes.len(), 1, "expected exactly one process");
            defs.processes.remove(0)
        }
        Err(e) => panic!("{e}"),
    }
}

/// The problems a file is rejected with, as their messages.
pub fn rejection(xml: &str) -> Vec<String> {
    match bpmn::compile(xml) {
        Ok(_) => panic!("expected the model to be rejected"),
        Err(e) => e.errors.into_iter().map(|p| p.message).collect(),
    }
}

/// A variable set from pairs.
pub fn vars(pairs: &[(&str, Value)]) -> Variables {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[derive(Debug, Clone)]
struct Sub {
    kind: EventKind,
    name: String,
    node: String,
}

/// One instance of one process, driven command by command.
pub struct Harness {
    pub graph: ProcessGraph,
    pub instance: Option<Instance>,
    ids: SequentialIds,
    pub now: Timestamp,
    external: BTreeMap<Id, (String, String)>,
    user: BTreeMap<Id, (String, Option<String>)>,
    subs: BTreeMap<Id, Sub>,
    timers: BTreeMap<Id, (Timestamp, String)>,
    /// Every history event so far, as `start:<activity>` / `end:<activity>` /
    /// `cancel:<activity>`.
    pub history: Vec<String>,
    /// Signals thrown by the instance itself.
    pub thrown_signals: Vec<String>,
    /// The last external task created per activity id.
    pub external_specs: BTreeMap<String, ExternalTaskSpec>,
    /// The last user task created per activity id.
    pub user_specs: BTreeMap<String, UserTaskSpec>,
    /// Asynchronous continuation jobs: job → (activity, after).
    pub continuations: BTreeMap<Id, (String, bool)>,
    /// Instances call activities asked to start, in order.
    pub calls: Vec<runtime::CallSpec>,
    /// Called instances cancelled.
    pub canceled_calls: Vec<Id>,
    /// Errors passed to the calling process: (code, message).
    pub errors_to_caller: Vec<(Option<String>, Option<String>)>,
    /// Escalations passed to the calling process.
    pub escalations_to_caller: Vec<Option<String>>,
}

impl Harness {
    /// A harness for the single process in `xml`.
    pub fn new(xml: &str) -> Self {
        Harness {
            graph: compile(xml),
            instance: None,
            ids: SequentialIds::new(1),
            now: Timestamp(T0),
            external: BTreeMap::new(),
            user: BTreeMap::new(),
            subs: BTreeMap::new(),
            timers: BTreeMap::new(),
            history: Vec::new(),
            thrown_signals: Vec::new(),
            external_specs: BTreeMap::new(),
            user_specs: BTreeMap::new(),
            continuations: BTreeMap::new(),
            calls: Vec::new(),
            canceled_calls: Vec::new(),
            errors_to_caller: Vec::new(),
            escalations_to_caller: Vec::new(),
        }
    }

    fn env<'a>(ids: &'a mut SequentialIds, now: Timestamp) -> runtime::Env<'a> {
        runtime::Env {
            now,
            ids,
            definition_id: "p:1:def",
            tenant_id: None,
            user: None,
        }
    }

    /// Starts at the none start event with `variables`.
    pub fn start(&mut self, variables: Variables) -> &mut Self {
        self.try_start(None, variables)
            .unwrap_or_else(|e| panic!("{e}"));
        self
    }

    /// Starts at the start event `at` (or the none start event).
    pub fn try_start(
        &mut self,
        at: Option<&str>,
        variables: Variables,
    ) -> Result<(), RuntimeError> {
        let at = at.map(|id| {
            self.graph
                .node_by_id(id)
                .unwrap_or_else(|| panic!("no node {id}"))
        });
        let start = Start {
            at,
            business_key: Some("bk-1".to_owned()),
            variables,
            ..Start::default()
        };
        let (inst, outcome) =
            runtime::start(&self.graph, start, &mut Self::env(&mut self.ids, self.now))?;
        self.instance = Some(inst);
        self.absorb(outcome);
        Ok(())
    }

    fn instance_mut(&mut self) -> &mut Instance {
        self.instance.as_mut().expect("started")
    }

    /// Applies `command` atomically; the state is unchanged on error.
    pub fn try_apply(&mut self, command: Command) -> Result<(), RuntimeError> {
        let mut inst = self.instance.take().expect("started");
        let result = runtime::apply_atomic(
            &self.graph,
            &mut inst,
            command,
            &mut Self::env(&mut self.ids, self.now),
        );
        self.instance = Some(inst);
        let outcome = result?;
        self.absorb(outcome);
        Ok(())
    }

    fn apply(&mut self, command: Command) -> &mut Self {
        if let Err(e) = self.try_apply(command) {
            panic!("{e}");
        }
        self
    }

    fn absorb(&mut self, outcome: Outcome) {
        let g = &self.graph;
        for e in &outcome.effects {
            match e {
                Effect::ExternalTaskCreated(spec) => {
                    let activity = g.node(spec.node).id.to_string();
                    self.external
                        .insert(spec.id, (spec.topic.clone(), activity.clone()));
                    self.external_specs.insert(activity, spec.clone());
                }
                Effect::ExternalTaskRemoved { task } => {
                    assert!(
                        self.external.remove(task).is_some(),
                        "removed an unknown external task"
                    );
                }
                Effect::UserTaskCreated(spec) => {
                    let node = spec
                        .node
                        .map(|n| g.node(n).id.to_string())
                        .unwrap_or_default();
                    self.user
                        .insert(spec.id, (node.clone(), spec.assignee.clone()));
                    self.user_specs.insert(node, (**spec).clone());
                }
                Effect::UserTaskRemoved { task, .. } => {
                    assert!(
                        self.user.remove(task).is_some(),
                        "removed an unknown user task"
                    );
                }
                Effect::SubscriptionOpened {
                    id,
                    node,
                    kind,
                    name,
                    ..
                } => {
                    self.subs.insert(
                        *id,
                        Sub {
                            kind: *kind,
                            name: name.clone(),
                            node: g.node(*node).id.to_string(),
                        },
                    );
                }
                Effect::TimerScheduled { job, node, due, .. } => {
                    self.timers
                        .insert(*job, (*due, g.node(*node).id.to_string()));
                }
                Effect::SubscriptionClosed { id } => {
                    let known = self.subs.remove(id).is_some()
                        | self.timers.remove(id).is_some()
                        | self.continuations.remove(id).is_some();
                    assert!(known, "closed an unknown subscription");
                }
                Effect::ContinuationScheduled {
                    job, node, after, ..
                } => {
                    self.continuations
                        .insert(*job, (g.node(*node).id.to_string(), *after));
                }
                Effect::CallStarted(spec) => self.calls.push((**spec).clone()),
                Effect::CallCanceled { child } => self.canceled_calls.push(*child),
                Effect::ErrorToCaller { code, message } => {
                    self.errors_to_caller.push((code.clone(), message.clone()))
                }
                Effect::EscalationToCaller { code } => {
                    self.escalations_to_caller.push(code.clone())
                }
                Effect::SignalThrown { name, .. } => self.thrown_signals.push(name.clone()),
                Effect::InstanceEnded { .. } => {}
            }
        }
        for h in &outcome.history {
            match h {
                HistoryEvent::ActivityStarted { node, .. } => {
                    self.history.push(format!("start:{}", g.node(*node).id));
                }
                HistoryEvent::ActivityEnded { node, canceled, .. } => {
                    let verb = if *canceled { "cancel" } else { "end" };
                    self.history.push(format!("{verb}:{}", g.node(*node).id));
                }
                HistoryEvent::InstanceEnded { .. } => self.history.push("instance-end".to_owned()),
            }
        }
        // Deliver signals thrown by the instance to its own subscriptions, as the
        // server broadcasts them.
        for e in outcome.effects {
            if let Effect::SignalThrown { name, .. } = e {
                if !self.ended() {
                    let ids: Vec<Id> = self
                        .subs
                        .iter()
                        .filter(|(_, s)| s.kind == EventKind::Signal && s.name == name)
                        .map(|(id, _)| *id)
                        .collect();
                    for id in ids {
                        if self.subs.contains_key(&id) {
                            self.apply(Command::Trigger {
                                subscription: id,
                                variables: Variables::new(),
                                local_variables: Variables::new(),
                            });
                        }
                    }
                }
            }
        }
    }

    /// Open external tasks as `topic@activity`, sorted.
    pub fn external_tasks(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .external
            .values()
            .map(|(t, a)| format!("{t}@{a}"))
            .collect();
        v.sort();
        v
    }

    /// Open user tasks by activity id, sorted.
    pub fn user_tasks(&self) -> Vec<String> {
        let mut v: Vec<String> = self.user.values().map(|(a, _)| a.clone()).collect();
        v.sort();
        v
    }

    /// The assignee of the user task at `activity`.
    pub fn assignee(&self, activity: &str) -> Option<String> {
        self.user
            .values()
            .find(|(a, _)| a == activity)
            .and_then(|(_, who)| who.clone())
    }

    /// Open message and signal subscriptions as `message:name@activity`, sorted.
    pub fn subscriptions(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .subs
            .values()
            .map(|s| {
                let kind = match s.kind {
                    EventKind::Message => "message",
                    EventKind::Signal => "signal",
                    EventKind::Conditional => "conditional",
                };
                format!("{kind}:{}@{}", s.name, s.node)
            })
            .collect();
        v.sort();
        v
    }

    /// Scheduled timers as `activity@+seconds` relative to now, sorted.
    pub fn timers(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .timers
            .values()
            .map(|(due, node)| format!("{node}@+{}s", (due.0 - self.now.0) / 1000))
            .collect();
        v.sort();
        v
    }

    /// Activity ids of every live token except the process instance, sorted.
    pub fn active(&self) -> Vec<String> {
        let Some(inst) = &self.instance else {
            return Vec::new();
        };
        let mut v: Vec<String> = inst
            .tokens
            .iter()
            .filter_map(|t| t.node.map(|n| self.graph.node(n).id.to_string()))
            .collect();
        v.sort();
        v
    }

    /// True once the instance ended.
    pub fn ended(&self) -> bool {
        self.instance.as_ref().is_some_and(Instance::is_ended)
    }

    /// A process variable (on the instance's root scope).
    pub fn var(&self, name: &str) -> Option<Value> {
        let inst = self.instance.as_ref()?;
        inst.tokens.first()?.vars.get(name).cloned()
    }

    fn external_by_activity(&self, activity: &str) -> Id {
        *self
            .external
            .iter()
            .find(|(_, (_, a))| a == activity)
            .unwrap_or_else(|| {
                panic!(
                    "no external task at {activity}; open: {:?}",
                    self.external_tasks()
                )
            })
            .0
    }

    /// Completes the external task at `activity`.
    pub fn complete(&mut self, activity: &str, variables: Variables) -> &mut Self {
        let task = self.external_by_activity(activity);
        self.apply(Command::CompleteExternalTask {
            task,
            variables,
            local_variables: Variables::new(),
        })
    }

    /// Completes the external task at `activity`, expecting an error.
    pub fn try_complete(
        &mut self,
        activity: &str,
        variables: Variables,
    ) -> Result<(), RuntimeError> {
        let task = self.external_by_activity(activity);
        self.try_apply(Command::CompleteExternalTask {
            task,
            variables,
            local_variables: Variables::new(),
        })
    }

    /// Reports a BPMN error for the external task at `activity`.
    pub fn bpmn_error(&mut self, activity: &str, code: &str) -> &mut Self {
        let task = self.external_by_activity(activity);
        self.apply(Command::ExternalTaskBpmnError {
            task,
            code: code.to_owned(),
            message: Some(format!("{code} happened")),
            variables: Variables::new(),
        })
    }

    /// Completes the user task at `activity`.
    pub fn complete_user(&mut self, activity: &str, variables: Variables) -> &mut Self {
        let task = *self
            .user
            .iter()
            .find(|(_, (a, _))| a == activity)
            .unwrap_or_else(|| panic!("no user task at {activity}"))
            .0;
        self.apply(Command::CompleteUserTask { task, variables })
    }

    /// Delivers the message `name` to the (single) subscription waiting for it.
    pub fn message(&mut self, name: &str, variables: Variables) -> &mut Self {
        let id = *self
            .subs
            .iter()
            .find(|(_, s)| s.kind == EventKind::Message && s.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "nobody waits for message {name}; open: {:?}",
                    self.subscriptions()
                )
            })
            .0;
        self.apply(Command::Trigger {
            subscription: id,
            variables,
            local_variables: Variables::new(),
        })
    }

    /// Broadcasts the signal `name` to every subscription waiting for it.
    pub fn signal(&mut self, name: &str) -> &mut Self {
        let ids: Vec<Id> = self
            .subs
            .iter()
            .filter(|(_, s)| s.kind == EventKind::Signal && s.name == name)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if self.subs.contains_key(&id) && !self.ended() {
                self.apply(Command::Trigger {
                    subscription: id,
                    variables: Variables::new(),
                    local_variables: Variables::new(),
                });
            }
        }
        self
    }

    /// Runs every pending asynchronous continuation job, oldest first, until none is left
    /// (as the job executor would); returns how many ran.
    pub fn run_jobs(&mut self) -> usize {
        let mut ran = 0;
        while let Some((&job, _)) = self.continuations.iter().next() {
            if self.ended() {
                break;
            }
            self.apply(Command::Trigger {
                subscription: job,
                variables: Variables::new(),
                local_variables: Variables::new(),
            });
            ran += 1;
        }
        ran
    }

    /// Pending asynchronous continuations as `activity:before|after`, sorted.
    pub fn jobs(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .continuations
            .values()
            .map(|(a, after)| format!("{a}:{}", if *after { "after" } else { "before" }))
            .collect();
        v.sort();
        v
    }

    /// Moves the clock forward and fires every timer that becomes due, in due order.
    pub fn advance(&mut self, seconds: i64) -> &mut Self {
        let until = Timestamp(self.now.0 + seconds * 1000);
        loop {
            let next = self
                .timers
                .iter()
                .filter(|(_, (due, _))| *due <= until)
                .min_by_key(|(_, (due, _))| *due)
                .map(|(id, (due, _))| (*id, *due));
            let Some((job, due)) = next else { break };
            if self.ended() {
                break;
            }
            self.now = due.max(self.now);
            self.apply(Command::Trigger {
                subscription: job,
                variables: Variables::new(),
                local_variables: Variables::new(),
            });
        }
        self.now = until;
        self
    }

    /// Sets process variables from outside.
    pub fn set_variables(&mut self, variables: Variables) -> &mut Self {
        let scope = self.instance.as_ref().expect("started").id;
        self.apply(Command::SetVariables {
            scope,
            variables,
            local: false,
            removals: Vec::new(),
        })
    }

    /// Completes the user task at `activity`, expecting an error.
    pub fn try_complete_user(
        &mut self,
        activity: &str,
        variables: Variables,
    ) -> Result<(), RuntimeError> {
        let task = *self
            .user
            .iter()
            .find(|(_, (a, _))| a == activity)
            .unwrap_or_else(|| panic!("no user task at {activity}"))
            .0;
        self.try_apply(Command::CompleteUserTask { task, variables })
    }

    /// Delivers the message `name`, expecting an error.
    pub fn try_message(&mut self, name: &str, variables: Variables) -> Result<(), RuntimeError> {
        let id = *self
            .subs
            .iter()
            .find(|(_, s)| s.kind == EventKind::Message && s.name == name)
            .unwrap_or_else(|| {
                panic!(
                    "nobody waits for message {name}; open: {:?}",
                    self.subscriptions()
                )
            })
            .0;
        self.try_apply(Command::Trigger {
            subscription: id,
            variables,
            local_variables: Variables::new(),
        })
    }

    /// The id of the (first) live token at `activity`: its execution id.
    pub fn token_at(&self, activity: &str) -> Id {
        let inst = self.instance.as_ref().expect("started");
        inst.tokens
            .iter()
            .find(|t| t.node.is_some_and(|n| &*self.graph.node(n).id == activity))
            .unwrap_or_else(|| panic!("no token at {activity}; active: {:?}", self.active()))
            .id
    }

    /// `POST /execution/{id}/signal` for the token at `activity`.
    pub fn try_signal_execution(
        &mut self,
        activity: &str,
        variables: Variables,
    ) -> Result<(), RuntimeError> {
        let token = self.token_at(activity);
        self.try_apply(Command::SignalExecution { token, variables })
    }

    /// `POST /execution/{id}/signal` for the token at `activity`, which must succeed.
    pub fn signal_execution(&mut self, activity: &str, variables: Variables) -> &mut Self {
        if let Err(e) = self.try_signal_execution(activity, variables) {
            panic!("{e}");
        }
        self
    }

    /// A local variable of the token at `activity` (input mappings, subprocess scope).
    pub fn local_var(&self, activity: &str, name: &str) -> Option<Value> {
        let id = self.token_at(activity);
        let inst = self.instance.as_ref()?;
        inst.token(id)?.vars.get(name).cloned()
    }

    /// The waits of the tokens at `activity`, in creation order.
    pub fn waits(&self, activity: &str) -> Vec<Wait> {
        let Some(inst) = &self.instance else {
            return Vec::new();
        };
        inst.tokens
            .iter()
            .filter(|t| t.node.is_some_and(|n| &*self.graph.node(n).id == activity))
            .map(|t| t.wait)
            .collect()
    }

    /// The activity instance tree, one activity per line, children indented under their
    /// scope (what Camunda's `getActivityInstance` shows), without variables.
    pub fn tree(&self) -> String {
        let mut out = String::new();
        let Some(inst) = &self.instance else {
            return out;
        };
        fn walk(h: &Harness, inst: &Instance, parent: Option<Id>, depth: usize, out: &mut String) {
            let mut children: Vec<(String, Id)> = inst
                .tokens
                .iter()
                .filter(|t| t.parent == parent)
                .map(|t| {
                    (
                        t.node.map_or_else(
                            || h.graph.key.clone(),
                            |n| h.graph.node(n).id.to_string(),
                        ),
                        t.id,
                    )
                })
                .collect();
            children.sort();
            for (name, id) in children {
                writeln!(out, "{}{name}", "  ".repeat(depth)).ok();
                walk(h, inst, Some(id), depth + 1, out);
            }
        }
        walk(self, inst, None, 0, &mut out);
        out
    }

    /// How the instance ended, if it did.
    pub fn end_state(&self) -> Option<runtime::EndState> {
        self.instance.as_ref().and_then(|i| i.ended)
    }

    /// The last external task created at `activity`.
    pub fn external_spec(&self, activity: &str) -> &ExternalTaskSpec {
        self.external_specs
            .get(activity)
            .unwrap_or_else(|| panic!("no external task was created at {activity}"))
    }

    /// The last user task created at `activity`.
    pub fn user_spec(&self, activity: &str) -> &UserTaskSpec {
        self.user_specs
            .get(activity)
            .unwrap_or_else(|| panic!("no user task was created at {activity}"))
    }

    /// Deletes the instance (`DELETE /process-instance/{id}`).
    pub fn cancel(&mut self) -> &mut Self {
        self.apply(Command::Cancel {
            skip_listeners: false,
        })
    }

    /// A readable dump of everything visible: for snapshots and failure messages.
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let Some(inst) = &self.instance else {
            return "not started".to_owned();
        };
        if let Some(state) = inst.ended {
            writeln!(out, "ended: {state:?}").ok();
        }
        fn walk(h: &Harness, inst: &Instance, parent: Option<Id>, depth: usize, out: &mut String) {
            for t in inst.tokens.iter().filter(|t| t.parent == parent) {
                let name = t
                    .node
                    .map_or_else(|| h.graph.key.clone(), |n| h.graph.node(n).id.to_string());
                write!(out, "{}{name} [{:?}]", "  ".repeat(depth), t.wait).ok();
                for v in t.vars.iter() {
                    write!(out, " {}={:?}", v.name, v.value).ok();
                }
                writeln!(out).ok();
                walk(h, inst, Some(t.id), depth + 1, out);
            }
        }
        walk(self, inst, None, 0, &mut out);
        for t in self.external_tasks() {
            writeln!(out, "external task {t}").ok();
        }
        for t in self.user_tasks() {
            writeln!(out, "user task {t}").ok();
        }
        for s in self.subscriptions() {
            writeln!(out, "subscription {s}").ok();
        }
        for t in self.timers() {
            writeln!(out, "timer {t}").ok();
        }
        out
    }

    /// The kind of node `id` (for assertions about compiled graphs).
    pub fn kind(&self, id: &str) -> &NodeKind {
        &self
            .graph
            .node(self.graph.node_by_id(id).expect("node"))
            .kind
    }
}

/// External service tasks, one per whitespace-separated id, each on the topic of its id.
pub fn ext(ids: &str) -> String {
    ids.split_whitespace()
        .map(|id| {
            format!(r#"<serviceTask id="{id}" camunda:type="external" camunda:topic="{id}"/>"#)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// User tasks without assignment, one per whitespace-separated id.
pub fn usr(ids: &str) -> String {
    ids.split_whitespace()
        .map(|id| format!(r#"<userTask id="{id}"/>"#))
        .collect::<Vec<_>>()
        .join("\n")
}

/// None events: `<startEvent id="start"/>` plus one `<endEvent>` per id in `ends`.
pub fn start_end(ends: &str) -> String {
    let mut s = r#"<startEvent id="start"/>"#.to_owned();
    for id in ends.split_whitespace() {
        s.push_str(&format!("\n<endEvent id=\"{id}\"/>"));
    }
    s
}

/// A `Value::Integer`, what a Java `int` variable is.
pub fn int(n: i32) -> Value {
    Value::Integer(n)
}

/// A `Value::String`.
pub fn text(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// No variables.
pub fn none() -> Variables {
    Variables::new()
}
