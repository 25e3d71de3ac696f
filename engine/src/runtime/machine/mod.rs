//! The token machine behind [`super::start`] and [`super::apply`].
//!
//! Work is an explicit stack of operations instead of recursion, so a long chain of
//! pass-through nodes cannot overflow the stack, and an endless loop is caught by a step
//! budget. The stack gives Camunda's depth-first order: the first branch of a fork runs
//! to its wait state before the second one starts.

mod call;
mod compensation;
mod conditions;
mod eval;
mod events;
mod gateways;
mod multi;
mod tasks;

pub(super) use events::catches_error;

use crate::bpmn::{
    EventTrigger, ExternalTaskDef, FlowIdx, GatewayKind, IoMapping, ListenerEvent, Node, NodeIdx,
    NodeKind, ParamValue, ProcessGraph, TaskKind, ThrowResult, TimerDef, UserTaskDef,
};
use crate::expr::{ElValue, Expression};
use crate::ids::Id;
use crate::time::{self, Timestamp};
use crate::value::{Value, Variables};

use super::effects::{
    Effect, EventKind, ExternalTaskSpec, HistoryEvent, Outcome, UserTaskSpec, VariableChange,
};
use super::scope::{self, TokenContext};
use super::state::{EndState, Instance, Subscription, SubscriptionKind, Token, Wait};
use super::{Command, Env, RuntimeError, Start};

/// More steps than this in one command means an endless loop of pass-through nodes.
const MAX_STEPS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
enum Op {
    /// A token arrives at `node` inside the scope token `scope`.
    Enter { node: NodeIdx, scope: Id },
    /// The token completes its node normally and follows its outgoing flows.
    Leave { token: Id },
    /// A path inside `scope` ended: complete the scope if nothing is left in it.
    Complete { scope: Id },
    /// Inner instance `index` of the multi-instance body `body` starts.
    EnterInner { node: NodeIdx, body: Id, index: u32 },
    /// The already created token runs its node (a compensation handler).
    Run { token: Id },
}

/// Outgoing flows chosen for a token, without allocating in the common single-flow case.
enum Flows {
    None,
    One(FlowIdx),
    Many(Vec<FlowIdx>),
}

struct Machine<'a, 'e> {
    g: &'a ProcessGraph,
    inst: &'a mut Instance,
    env: &'a mut Env<'e>,
    out: Outcome,
    agenda: Vec<Op>,
    fresh: Vec<Id>,
    steps: usize,
    /// How many entries of `out.variables` conditional events have already seen.
    cond_mark: usize,
    /// Fresh tokens whose conditional subscriptions are already open.
    cond_opened: Vec<Id>,
    /// Set while deleting with `skipCustomListeners`: cancelled activities run no end
    /// listeners.
    skip_listeners: bool,
}

/// Where a caught error or escalation continues.
enum Handler {
    /// A boundary event on the activity of token `host`.
    Boundary { host: Id, boundary: NodeIdx },
    /// An event subprocess `esp` of the scope token `scope`, started at `start`.
    EventSubprocess {
        scope: Id,
        esp: NodeIdx,
        start: NodeIdx,
    },
}

pub(super) fn start(
    graph: &ProcessGraph,
    start: Start,
    env: &mut Env<'_>,
) -> Result<(Instance, Outcome), RuntimeError> {
    let at = match start.at {
        None => graph
            .initial_start()
            .ok_or_else(|| RuntimeError::NoNoneStartEvent {
                key: graph.key.clone(),
            })?,
        Some(node) => {
            let ok = graph.scope.none_start == Some(node) || graph.scope.starts.contains(&node);
            if !ok {
                return Err(RuntimeError::NotAStartEvent {
                    id: graph
                        .nodes
                        .get(node.ix())
                        .map_or_else(|| node.0.to_string(), |n| n.id.to_string()),
                    key: graph.key.clone(),
                });
            }
            node
        }
    };
    let id = match start.instance_id {
        Some(id) => id,
        None => env.ids.next_id(),
    };
    let mut changes = Vec::with_capacity(start.variables.len());
    for v in start.variables.iter().filter(|v| !v.transient) {
        changes.push(VariableChange {
            scope: id,
            name: v.name.clone(),
            removed: false,
            created: true,
        });
    }
    let mut inst = Instance {
        id,
        business_key: start.business_key,
        tokens: vec![Token {
            id,
            node: None,
            parent: None,
            wait: Wait::Scope,
            vars: start.variables,
            subs: Vec::new(),
            started: env.now,
            body: false,
            compensable: Vec::new(),
            compensating: None,
        }],
        ended: None,
        caller: start.caller,
    };
    let outcome = {
        let mut m = Machine::new(graph, &mut inst, env);
        m.out.variables = changes;
        m.fresh.push(id);
        m.run_process_listeners(ListenerEvent::Start)?;
        m.agenda.push(Op::Enter {
            node: at,
            scope: id,
        });
        m.finish()?
    };
    Ok((inst, outcome))
}

pub(super) fn apply(
    graph: &ProcessGraph,
    inst: &mut Instance,
    command: Command,
    env: &mut Env<'_>,
) -> Result<Outcome, RuntimeError> {
    if inst.is_ended() {
        return Err(RuntimeError::InstanceEnded(inst.id));
    }
    let mut m = Machine::new(graph, inst, env);
    m.command(command)?;
    m.finish()
}

impl<'a, 'e> Machine<'a, 'e> {
    fn new(g: &'a ProcessGraph, inst: &'a mut Instance, env: &'a mut Env<'e>) -> Self {
        Machine {
            g,
            inst,
            env,
            out: Outcome::default(),
            agenda: Vec::new(),
            fresh: Vec::new(),
            steps: 0,
            cond_mark: 0,
            cond_opened: Vec::new(),
            skip_listeners: false,
        }
    }

    fn command(&mut self, command: Command) -> Result<(), RuntimeError> {
        match command {
            Command::CompleteExternalTask {
                task,
                variables,
                local_variables,
            } => {
                let token = self
                    .inst
                    .external_task_token(task)
                    .ok_or(RuntimeError::UnknownExternalTask(task))?
                    .id;
                self.set_all(token, local_variables, true);
                self.set_all(token, variables, false);
                match self.matching_error_event(token, None, None)? {
                    Some((code, message)) => self.throw_error(token, code, message)?,
                    None => self.agenda.push(Op::Leave { token }),
                }
            }
            Command::ExternalTaskFailure {
                task,
                message,
                details,
            } => {
                let token = self
                    .inst
                    .external_task_token(task)
                    .ok_or(RuntimeError::UnknownExternalTask(task))?
                    .id;
                if let Some((code, message)) = self.matching_error_event(token, message, details)? {
                    self.throw_error(token, code, message)?;
                }
            }
            Command::CalledCompleted { token, variables } => {
                self.called_completed(token, variables)?
            }
            Command::CalledError {
                token,
                code,
                message,
            } => {
                if self.inst.token(token).is_none() {
                    return Err(RuntimeError::UnknownExecution(token));
                }
                // The call token keeps its child: a handler that interrupts it cancels
                // the called instance too.
                self.throw_error(token, code, message)?;
            }
            Command::CalledEscalation { token, code } => {
                if self.inst.token(token).is_none() {
                    return Err(RuntimeError::UnknownExecution(token));
                }
                self.throw_escalation(token, code.as_deref(), events::AfterThrow::Stay)?;
            }
            Command::ErrorNotCaught => {
                let waiting: Vec<Id> = self
                    .inst
                    .tokens
                    .iter()
                    .filter(|t| t.wait == Wait::ErrorPassedUp)
                    .map(|t| t.id)
                    .collect();
                for token in waiting {
                    self.end_path(token);
                }
            }
            Command::ExternalTaskBpmnError {
                task,
                code,
                message,
                variables,
            } => {
                let token = self
                    .inst
                    .external_task_token(task)
                    .ok_or(RuntimeError::UnknownExternalTask(task))?
                    .id;
                self.set_all(token, variables, false);
                self.throw_error(token, Some(code), message)?;
            }
            Command::CompleteUserTask { task, variables } => {
                let token = self
                    .inst
                    .user_task_token(task)
                    .ok_or(RuntimeError::UnknownUserTask(task))?
                    .id;
                self.set_all(token, variables, false);
                self.run_task_listeners(token, task, ListenerEvent::Complete)?;
                self.agenda.push(Op::Leave { token });
            }
            Command::Trigger {
                subscription,
                variables,
                local_variables,
            } => self.trigger(subscription, variables, local_variables)?,
            Command::SignalExecution { token, variables } => {
                let t = self
                    .inst
                    .token(token)
                    .ok_or(RuntimeError::UnknownExecution(token))?;
                let signalable = match t.node.map(|n| &self.g.node(n).kind) {
                    Some(NodeKind::Task(TaskKind::Receive { .. })) => true,
                    Some(NodeKind::Task(TaskKind::User(_))) => false,
                    _ => false,
                };
                if !signalable {
                    let id = t
                        .node
                        .map_or_else(|| self.g.key.clone(), |n| self.g.node(n).id.to_string());
                    return Err(RuntimeError::NotSignalable(id));
                }
                self.set_all(token, variables, false);
                self.agenda.push(Op::Leave { token });
            }
            Command::SetVariables {
                scope,
                variables,
                local,
                removals,
            } => {
                if self.inst.token(scope).is_none() {
                    return Err(RuntimeError::UnknownExecution(scope));
                }
                self.set_all(scope, variables, local);
                for name in removals {
                    scope::remove(self.inst, scope, &name, &mut self.out.variables);
                }
            }
            Command::Cancel { skip_listeners } => {
                self.skip_listeners = skip_listeners;
                let root = self.inst.id;
                let children: Vec<Id> = self.inst.children(root).map(|t| t.id).collect();
                for child in children {
                    self.cancel(child)?;
                }
                if !skip_listeners {
                    self.run_process_listeners(ListenerEvent::End)?;
                }
                self.end_instance(EndState::ExternallyTerminated, None);
            }
        }
        Ok(())
    }

    /// Runs the agenda to exhaustion, fires inclusive joins that became ready, opens the
    /// subscriptions of every token that is still waiting, and hands back the outcome.
    fn finish(mut self) -> Result<Outcome, RuntimeError> {
        loop {
            self.run()?;
            if self.fire_ready_inclusive_joins()? {
                continue;
            }
            self.open_subscriptions()?;
            self.check_conditions()?;
            if self.agenda.is_empty() {
                break;
            }
        }
        for token in &mut self.inst.tokens {
            token.vars.clear_transient();
        }
        Ok(self.out)
    }

    fn run(&mut self) -> Result<(), RuntimeError> {
        while let Some(op) = self.agenda.pop() {
            self.steps += 1;
            if self.steps > MAX_STEPS {
                return Err(RuntimeError::Runaway(MAX_STEPS));
            }
            match op {
                Op::Enter { node, scope } => {
                    if self.inst.token(scope).is_some() {
                        self.enter(node, scope)?;
                    }
                }
                Op::Leave { token } => {
                    if self.inst.token(token).is_some() {
                        self.leave(token)?;
                    }
                }
                Op::Complete { scope } => self.complete(scope)?,
                Op::EnterInner { node, body, index } => {
                    if self.inst.token(body).is_some() {
                        self.enter_inner(node, body, index)?;
                    }
                }
                Op::Run { token } => {
                    if self.inst.token(token).is_some() {
                        self.activate(token)?;
                    }
                }
            }
            // Camunda evaluates conditional events as soon as the step that changed a
            // variable is done, before the token moves on.
            if self.cond_mark < self.out.variables.len() {
                self.check_conditions()?;
            }
        }
        Ok(())
    }

    // ----- tokens -------------------------------------------------------------------

    /// Creates a token and records that its activity started.
    fn new_token(&mut self, node: NodeIdx, scope: Id, wait: Wait) -> Id {
        let id = self.new_token_quiet(node, scope, wait);
        self.record_start(id);
        id
    }

    /// Creates a token without recording a start: its activity starts later (after an
    /// asynchronous continuation) or never shows in history.
    fn new_token_quiet(&mut self, node: NodeIdx, scope: Id, wait: Wait) -> Id {
        let id = self.env.ids.next_id();
        self.inst.tokens.push(Token {
            id,
            node: Some(node),
            parent: Some(scope),
            wait,
            vars: Variables::new(),
            subs: Vec::new(),
            started: self.env.now,
            body: false,
            compensable: Vec::new(),
            compensating: None,
        });
        self.fresh.push(id);
        id
    }

    /// Records in history that the token's activity started.
    fn record_start(&mut self, id: Id) {
        let Some(t) = self.inst.token(id) else { return };
        let (Some(node), Some(parent), body) = (t.node, t.parent, t.body) else {
            return;
        };
        if records_history(self.g.node(node)) {
            self.out.history.push(HistoryEvent::ActivityStarted {
                token: id,
                body,
                node,
                parent,
                at: self.env.now,
            });
        }
    }

    /// Records in history that the token's activity ended.
    fn record_end(&mut self, id: Id, canceled: bool) {
        let Some(t) = self.inst.token(id) else { return };
        let (Some(node), body) = (t.node, t.body) else {
            return;
        };
        if records_history(self.g.node(node)) {
            self.out.history.push(HistoryEvent::ActivityEnded {
                token: id,
                body,
                node,
                canceled,
                at: self.env.now,
            });
        }
    }

    fn set_wait(&mut self, token: Id, wait: Wait) {
        if let Some(t) = self.inst.token_mut(token) {
            t.wait = wait;
        }
    }

    /// Removes a token: closes what it owns and records its end.
    fn end_token(&mut self, id: Id, canceled: bool) {
        if !canceled {
            self.remember_for_compensation(id);
        }
        let Some(t) = self.inst.token(id) else {
            return;
        };
        // A token waiting to start never started; one waiting to leave already ended.
        if !matches!(t.wait, Wait::AsyncBefore | Wait::AsyncAfter) {
            self.record_end(id, canceled);
        }
        let Some(pos) = self.inst.position(id) else {
            return;
        };
        let token = self.inst.tokens.remove(pos);
        for sub in &token.subs {
            self.out
                .effects
                .push(Effect::SubscriptionClosed { id: sub.id });
        }
        match token.wait {
            Wait::ExternalTask(task) => self.out.effects.push(Effect::ExternalTaskRemoved { task }),
            Wait::UserTask(task) => self
                .out
                .effects
                .push(Effect::UserTaskRemoved { task, canceled }),
            Wait::Called(child) => self.out.effects.push(Effect::CallCanceled { child }),
            _ => {}
        }
        for v in token.vars.iter().filter(|v| !v.transient) {
            self.out.variables.push(VariableChange {
                scope: id,
                name: v.name.clone(),
                removed: true,
                created: false,
            });
        }
        if token.vars.iter().any(|v| !v.transient) {
            self.out.ended_scopes.push((id, token.vars));
        }
    }

    /// Cancels a token and everything inside it, innermost first. The end listeners of a
    /// cancelled activity run, as Camunda runs them when an activity is interrupted or
    /// deleted.
    fn cancel(&mut self, id: Id) -> Result<(), RuntimeError> {
        let children: Vec<Id> = self.inst.children(id).map(|t| t.id).collect();
        for child in children {
            self.cancel(child)?;
        }
        // Handlers running for a cancelled throw event go with it.
        let dependents: Vec<Id> = self
            .inst
            .tokens
            .iter()
            .filter(|t| {
                matches!(
                    t.compensating,
                    Some(super::state::Compensating::Handler(r) | super::state::Compensating::Scope(r)) if r == id
                )
            })
            .map(|t| t.id)
            .collect();
        for dependent in dependents {
            self.cancel(dependent)?;
        }
        if let Some(t) = self.inst.token(id) {
            // A token waiting to start never started; one waiting to leave already ran
            // its end listeners; a multi-instance body has none of its own.
            let started = !matches!(t.wait, Wait::AsyncBefore | Wait::AsyncAfter);
            if let (Some(idx), true, false, false) = (t.node, started, t.body, self.skip_listeners)
            {
                let g = self.g;
                self.run_listeners(id, g.node(idx), ListenerEvent::End)?;
            }
        }
        self.end_token(id, true);
        Ok(())
    }

    /// Cancels everything running inside `scope` and the event subprocess starts it
    /// listens to, as an interrupting event does; the scope itself stays.
    fn interrupt(&mut self, scope: Id) -> Result<(), RuntimeError> {
        let children: Vec<Id> = self.inst.children(scope).map(|t| t.id).collect();
        for child in children {
            self.cancel(child)?;
        }
        self.agenda
            .retain(|op| !matches!(op, Op::Enter { scope: s, .. } if *s == scope));
        let g = self.g;
        if let Some(t) = self.inst.token_mut(scope) {
            let mut closed = Vec::new();
            t.subs.retain(|s| {
                let is_start = matches!(g.node(s.node).kind, NodeKind::StartEvent { .. });
                if is_start {
                    closed.push(s.id);
                }
                !is_start
            });
            for id in closed {
                self.out.effects.push(Effect::SubscriptionClosed { id });
            }
        }
        Ok(())
    }

    // ----- entering and leaving nodes ------------------------------------------------

    /// A token arrives at `idx`: it waits for its asynchronous continuation, or the node
    /// runs at once.
    fn enter(&mut self, idx: NodeIdx, scope: Id) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let token = self.new_token_quiet(idx, scope, Wait::Active);
        if node.multi.is_some() {
            if let Some(t) = self.inst.token_mut(token) {
                t.body = true;
            }
        }
        if node.asynchrony.before {
            self.wait_for_continuation(token, idx, false);
            return Ok(());
        }
        self.activate(token)
    }

    /// Puts the token behind an asynchronous continuation job.
    fn wait_for_continuation(&mut self, token: Id, node: NodeIdx, after: bool) {
        self.set_wait(
            token,
            if after {
                Wait::AsyncAfter
            } else {
                Wait::AsyncBefore
            },
        );
        let job = self.env.ids.next_id();
        self.add_subscription(
            token,
            Subscription {
                id: job,
                node,
                kind: SubscriptionKind::Async { after },
            },
        );
    }

    /// Runs the token's node: its activity starts (history, input mappings, start
    /// listeners), then the node's behaviour.
    fn activate(&mut self, token: Id) -> Result<(), RuntimeError> {
        let g = self.g;
        let Some(t) = self.inst.token(token) else {
            return Ok(());
        };
        let (Some(idx), body) = (t.node, t.body) else {
            return Ok(());
        };
        self.set_wait(token, Wait::Active);
        self.record_start(token);
        // A token resumed by its continuation job opens its subscriptions in this command.
        if !self.fresh.contains(&token) {
            self.fresh.push(token);
        }
        if body {
            return self.start_multi_instance(token, idx);
        }
        let node = g.node(idx);
        if let Some(io) = &node.io {
            self.map_inputs(token, node, io)?;
        }
        self.run_listeners(token, node, ListenerEvent::Start)?;
        match &node.kind {
            NodeKind::StartEvent { .. }
            | NodeKind::Boundary { .. }
            | NodeKind::Task(TaskKind::Undefined | TaskKind::Manual) => {
                self.agenda.push(Op::Leave { token });
            }
            NodeKind::Task(TaskKind::Expression {
                expression,
                result_variable,
            }) => {
                let value = self.eval(token, node, expression)?;
                if let Some(name) = result_variable {
                    scope::set(
                        self.inst,
                        token,
                        name,
                        value.into_value(),
                        false,
                        &mut self.out.variables,
                    );
                }
                self.agenda.push(Op::Leave { token });
            }
            NodeKind::Task(TaskKind::Script {
                script,
                result_variable,
            }) => {
                let value = self.run_script(token, node, script)?;
                if let Some(name) = result_variable {
                    scope::set(
                        self.inst,
                        token,
                        name,
                        value.into_value(),
                        false,
                        &mut self.out.variables,
                    );
                }
                self.agenda.push(Op::Leave { token });
            }
            NodeKind::Task(TaskKind::External(def)) => self.open_external_task(token, idx, def)?,
            NodeKind::Task(TaskKind::User(def)) => self.open_user_task(token, idx, def)?,
            NodeKind::Task(TaskKind::Call(def)) => self.start_call(token, idx, def)?,
            NodeKind::Task(TaskKind::Receive { message }) => {
                let wait = if message.is_some() {
                    Wait::Event
                } else {
                    Wait::Signal
                };
                self.set_wait(token, wait);
            }
            NodeKind::Gateway(kind) => self.gateway(token, idx, *kind)?,
            NodeKind::IntermediateCatch { trigger } => {
                if matches!(trigger, EventTrigger::Link { .. }) {
                    self.agenda.push(Op::Leave { token });
                } else {
                    self.set_wait(token, Wait::Event);
                }
            }
            NodeKind::IntermediateThrow { result } => self.throw(token, idx, result, false)?,
            NodeKind::EndEvent { result } => self.throw(token, idx, result, true)?,
            NodeKind::SubProcess(sub) => {
                self.set_wait(token, Wait::Scope);
                match sub.scope.none_start {
                    Some(start) => self.agenda.push(Op::Enter {
                        node: start,
                        scope: token,
                    }),
                    None => self.agenda.push(Op::Complete { scope: token }),
                }
            }
        }
        Ok(())
    }

    /// The token completes its node: output mappings and end listeners, then (unless an
    /// asynchronous continuation comes first) the outgoing flows.
    fn leave(&mut self, token: Id) -> Result<(), RuntimeError> {
        let Some(t) = self.inst.token(token) else {
            return Ok(());
        };
        let Some(idx) = t.node else {
            return Ok(());
        };
        let (body, inner) = (t.body, self.inst.is_inner(t));
        let node = self.g.node(idx);
        if !body {
            if let Some(io) = &node.io {
                self.map_outputs(token, node, io)?;
            }
            self.run_listeners(token, node, ListenerEvent::End)?;
        }
        let after = match (&node.multi, inner) {
            (Some(mi), true) => mi.inner_asynchrony.after,
            _ => node.asynchrony.after && (node.multi.is_none() || body),
        };
        if after {
            self.record_end(token, false);
            self.wait_for_continuation(token, idx, true);
            return Ok(());
        }
        self.proceed(token)
    }

    /// After the node completed: an inner instance reports to its multi-instance body;
    /// anything else follows its outgoing flows.
    fn proceed(&mut self, token: Id) -> Result<(), RuntimeError> {
        let Some(t) = self.inst.token(token) else {
            return Ok(());
        };
        let (Some(idx), Some(scope)) = (t.node, t.parent) else {
            return Ok(());
        };
        if let Some(super::state::Compensating::Handler(report_to)) = t.compensating {
            // A compensation handler has no outgoing flows: it reports back.
            self.end_token(token, false);
            return self.compensation_done(report_to);
        }
        if self.inst.is_inner(t) {
            return self.inner_instance_done(token, idx, scope);
        }
        let flows = self.select_flows(token, idx)?;
        self.take(token, &flows)?;
        self.end_token(token, false);
        self.follow(flows, scope);
        Ok(())
    }

    /// Runs the take listeners of the flows a token is about to follow.
    fn take(&mut self, token: Id, flows: &Flows) -> Result<(), RuntimeError> {
        let g = self.g;
        let list: &[FlowIdx] = match flows {
            Flows::None => &[],
            Flows::One(f) => std::slice::from_ref(f),
            Flows::Many(fs) => fs,
        };
        for &f in list {
            let flow = g.flow(f);
            for listener in &flow.take_listeners {
                let node = self
                    .inst
                    .token(token)
                    .and_then(|t| t.node)
                    .map(|n| g.node(n));
                if let Some(node) = node {
                    self.run_script(token, node, listener)?;
                }
            }
        }
        Ok(())
    }

    /// Pushes the targets of `flows` in reverse, so the first flow runs first.
    fn follow(&mut self, flows: Flows, scope: Id) {
        match flows {
            Flows::None => self.agenda.push(Op::Complete { scope }),
            Flows::One(f) => self.agenda.push(Op::Enter {
                node: self.g.flow(f).target,
                scope,
            }),
            Flows::Many(fs) => {
                for f in fs.into_iter().rev() {
                    self.agenda.push(Op::Enter {
                        node: self.g.flow(f).target,
                        scope,
                    });
                }
            }
        }
    }

    /// The flows an activity or event leaves through: every flow without a condition or
    /// with a true one (conditional flows act as an implicit inclusive split), else the
    /// default flow.
    fn select_flows(&mut self, token: Id, idx: NodeIdx) -> Result<Flows, RuntimeError> {
        let g = self.g;
        let node = g.node(idx);
        match node.outgoing.as_slice() {
            [] => return Ok(Flows::None),
            [only] if g.flow(*only).condition.is_none() => return Ok(Flows::One(*only)),
            _ => {}
        }
        let mut taken = Vec::new();
        for &f in &node.outgoing {
            if node.default_flow == Some(f) {
                continue;
            }
            let ok = match &g.flow(f).condition {
                None => true,
                Some(c) => self.script_condition(token, node, c)?,
            };
            if ok {
                taken.push(f);
            }
        }
        match (taken.len(), node.default_flow) {
            (0, Some(d)) => Ok(Flows::One(d)),
            (0, None) => Err(RuntimeError::NoConditionalFlow(node.id.to_string())),
            (1, _) => Ok(Flows::One(taken[0])),
            _ => Ok(Flows::Many(taken)),
        }
    }

    /// A path ends (end event, error without a catcher): the token goes, and its scope
    /// completes if nothing else runs in it.
    fn end_path(&mut self, token: Id) {
        let scope = self.inst.token(token).and_then(|t| t.parent);
        self.end_token(token, false);
        if let Some(scope) = scope {
            self.agenda.push(Op::Complete { scope });
        }
    }

    /// Completes `scope` when no token and no pending arrival is left inside it.
    fn complete(&mut self, scope: Id) -> Result<(), RuntimeError> {
        let Some(t) = self.inst.token(scope) else {
            return Ok(());
        };
        if self.inst.children(scope).next().is_some()
            || self
                .agenda
                .iter()
                .any(|op| matches!(op, Op::Enter { scope: s, .. } if *s == scope))
        {
            return Ok(());
        }
        if let Some(super::state::Compensating::Scope(report_to)) = t.compensating {
            self.end_token(scope, false);
            return self.compensation_done(report_to);
        }
        match t.node {
            None => {
                self.run_process_listeners(ListenerEvent::End)?;
                self.end_instance(EndState::Completed, None);
            }
            Some(idx) => match &self.g.node(idx).kind {
                NodeKind::SubProcess(sub) if sub.event_subprocess => self.end_path(scope),
                _ => self.leave(scope)?,
            },
        }
        Ok(())
    }

    /// Ends the instance. The root token stays, holding the final process variables,
    /// so the caller can record them in history; nothing else remains.
    fn end_instance(&mut self, state: EndState, node: Option<NodeIdx>) {
        let root = self.inst.id;
        self.inst.tokens.retain(|t| t.id == root);
        if let Some(token) = self.inst.tokens.first_mut() {
            for sub in std::mem::take(&mut token.subs) {
                self.out
                    .effects
                    .push(Effect::SubscriptionClosed { id: sub.id });
            }
        }
        self.inst.ended = Some(state);
        self.agenda.clear();
        self.out.history.push(HistoryEvent::InstanceEnded {
            state,
            node,
            at: self.env.now,
        });
        self.out.effects.push(Effect::InstanceEnded { state });
    }

    // ----- gateways -------------------------------------------------------------------
}

fn records_history(node: &Node) -> bool {
    !matches!(
        node.kind,
        NodeKind::IntermediateThrow {
            result: ThrowResult::Link { .. }
        } | NodeKind::IntermediateCatch {
            trigger: EventTrigger::Link { .. }
        }
    )
}

fn to_i64(v: &ElValue) -> Option<i64> {
    match v {
        ElValue::Int(n) => Some(i64::from(*n)),
        ElValue::Short(n) => Some(i64::from(*n)),
        ElValue::Long(n) => Some(*n),
        ElValue::Double(d) if d.fract() == 0.0 => Some(*d as i64),
        ElValue::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
