//! The token machine behind [`super::start`] and [`super::apply`].
//!
//! Work is an explicit stack of operations instead of recursion, so a long chain of
//! pass-through nodes cannot overflow the stack, and an endless loop is caught by a step
//! budget. The stack gives Camunda's depth-first order: the first branch of a fork runs
//! to its wait state before the second one starts.

use crate::bpmn::{
    EventTrigger, ExternalTaskDef, FlowIdx, GatewayKind, IoMapping, Node, NodeIdx, NodeKind,
    ParamValue, ProcessGraph, TaskKind, ThrowResult, TimerDef, UserTaskDef,
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
            .scope
            .none_start
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
    let id = env.ids.next_id();
    let mut changes = Vec::with_capacity(start.variables.len());
    for v in start.variables.iter().filter(|v| !v.transient) {
        changes.push(VariableChange {
            scope: id,
            name: v.name.clone(),
            removed: false,
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
        }],
        ended: None,
    };
    let outcome = {
        let mut m = Machine::new(graph, &mut inst, env);
        m.out.variables = changes;
        m.fresh.push(id);
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
                self.agenda.push(Op::Leave { token });
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
            Command::Cancel => {
                let root = self.inst.id;
                let children: Vec<Id> = self.inst.children(root).map(|t| t.id).collect();
                for child in children {
                    self.cancel(child);
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
            if !self.fire_ready_inclusive_joins()? {
                break;
            }
        }
        self.open_subscriptions()?;
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
            }
        }
        Ok(())
    }

    // ----- tokens -------------------------------------------------------------------

    fn new_token(&mut self, node: NodeIdx, scope: Id, wait: Wait) -> Id {
        let id = self.env.ids.next_id();
        self.inst.tokens.push(Token {
            id,
            node: Some(node),
            parent: Some(scope),
            wait,
            vars: Variables::new(),
            subs: Vec::new(),
            started: self.env.now,
        });
        if records_history(self.g.node(node)) {
            self.out.history.push(HistoryEvent::ActivityStarted {
                token: id,
                node,
                parent: scope,
                at: self.env.now,
            });
        }
        self.fresh.push(id);
        id
    }

    fn set_wait(&mut self, token: Id, wait: Wait) {
        if let Some(t) = self.inst.token_mut(token) {
            t.wait = wait;
        }
    }

    /// Removes a token: closes what it owns and records its end.
    fn end_token(&mut self, id: Id, canceled: bool) {
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
            _ => {}
        }
        for v in token.vars.iter().filter(|v| !v.transient) {
            self.out.variables.push(VariableChange {
                scope: id,
                name: v.name.clone(),
                removed: true,
            });
        }
        if let Some(node) = token.node {
            if records_history(self.g.node(node)) {
                self.out.history.push(HistoryEvent::ActivityEnded {
                    token: id,
                    node,
                    canceled,
                    at: self.env.now,
                });
            }
        }
    }

    /// Cancels a token and everything inside it, innermost first.
    fn cancel(&mut self, id: Id) {
        let children: Vec<Id> = self.inst.children(id).map(|t| t.id).collect();
        for child in children {
            self.cancel(child);
        }
        self.end_token(id, true);
    }

    /// Cancels everything running inside `scope` and the event subprocess starts it
    /// listens to, as an interrupting event does; the scope itself stays.
    fn interrupt(&mut self, scope: Id) {
        let children: Vec<Id> = self.inst.children(scope).map(|t| t.id).collect();
        for child in children {
            self.cancel(child);
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
    }

    // ----- entering and leaving nodes ------------------------------------------------

    fn enter(&mut self, idx: NodeIdx, scope: Id) -> Result<(), RuntimeError> {
        let g = self.g;
        let node = g.node(idx);
        let token = self.new_token(idx, scope, Wait::Active);
        if let Some(io) = &node.io {
            self.map_inputs(token, node, io)?;
        }
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
            NodeKind::Task(TaskKind::External(def)) => self.open_external_task(token, idx, def)?,
            NodeKind::Task(TaskKind::User(def)) => self.open_user_task(token, idx, def)?,
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

    /// The token completes its node: output mappings, then the outgoing flows.
    fn leave(&mut self, token: Id) -> Result<(), RuntimeError> {
        let Some(t) = self.inst.token(token) else {
            return Ok(());
        };
        let (Some(idx), Some(scope)) = (t.node, t.parent) else {
            return Ok(());
        };
        let node = self.g.node(idx);
        if let Some(io) = &node.io {
            self.map_outputs(token, node, io)?;
        }
        let flows = self.select_flows(token, idx)?;
        self.end_token(token, false);
        self.follow(flows, scope);
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
                Some(c) => self.condition(token, node, c)?,
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
        match t.node {
            None => self.end_instance(EndState::Completed, None),
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

    fn gateway(&mut self, token: Id, idx: NodeIdx, kind: GatewayKind) -> Result<(), RuntimeError> {
        let g = self.g;
        let node = g.node(idx);
        let scope = self.scope_of(token);
        match kind {
            GatewayKind::Exclusive => {
                let mut chosen = None;
                for &f in &node.outgoing {
                    if node.default_flow == Some(f) {
                        continue;
                    }
                    let ok = match &g.flow(f).condition {
                        None => true,
                        Some(c) => self.condition(token, node, c)?,
                    };
                    if ok {
                        chosen = Some(f);
                        break;
                    }
                }
                let flow = chosen
                    .or(node.default_flow)
                    .ok_or_else(|| RuntimeError::Stuck(node.id.to_string()))?;
                self.end_token(token, false);
                self.follow(Flows::One(flow), scope);
            }
            GatewayKind::Parallel => {
                if node.incoming.len() > 1 {
                    self.set_wait(token, Wait::Join);
                    let waiting: Vec<Id> = self
                        .inst
                        .children(scope)
                        .filter(|t| t.node == Some(idx) && t.wait == Wait::Join)
                        .map(|t| t.id)
                        .take(node.incoming.len())
                        .collect();
                    if waiting.len() < node.incoming.len() {
                        return Ok(());
                    }
                    for id in waiting {
                        self.end_token(id, false);
                    }
                } else {
                    self.end_token(token, false);
                }
                let flows = match node.outgoing.as_slice() {
                    [] => Flows::None,
                    [one] => Flows::One(*one),
                    many => Flows::Many(many.to_vec()),
                };
                self.follow(flows, scope);
            }
            GatewayKind::Inclusive => {
                if node.incoming.len() > 1 {
                    self.set_wait(token, Wait::Join);
                    // Camunda activates the join as soon as as many tokens wait as it has
                    // incoming flows, even if another token could still arrive
                    // (`InclusiveGatewayActivityBehavior.activatesGateway`); that one is
                    // joined later on its own.
                    let waiting: Vec<Id> = self
                        .inst
                        .children(scope)
                        .filter(|t| t.node == Some(idx) && t.wait == Wait::Join)
                        .map(|t| t.id)
                        .collect();
                    if waiting.len() >= node.incoming.len() {
                        self.inclusive_split(token, idx, scope, &waiting)?;
                    }
                    // Otherwise, whether other tokens can still arrive is decided once
                    // the command has nothing else to do (see
                    // `fire_ready_inclusive_joins`), so branches that are still being
                    // entered are counted.
                } else {
                    self.inclusive_split(token, idx, scope, &[token])?;
                }
            }
            GatewayKind::EventBased => self.set_wait(token, Wait::Event),
        }
        Ok(())
    }

    /// The fork of an inclusive gateway: every true flow, else the default flow.
    fn inclusive_split(
        &mut self,
        token: Id,
        idx: NodeIdx,
        scope: Id,
        consumed: &[Id],
    ) -> Result<(), RuntimeError> {
        let g = self.g;
        let node = g.node(idx);
        let mut taken = Vec::new();
        for &f in &node.outgoing {
            if node.default_flow == Some(f) {
                continue;
            }
            let ok = match &g.flow(f).condition {
                None => true,
                Some(c) => self.condition(token, node, c)?,
            };
            if ok {
                taken.push(f);
            }
        }
        if taken.is_empty() {
            match node.default_flow {
                Some(d) => taken.push(d),
                None if node.outgoing.is_empty() => {}
                None => return Err(RuntimeError::Stuck(node.id.to_string())),
            }
        }
        for &id in consumed {
            self.end_token(id, false);
        }
        let flows = match taken.len() {
            0 => Flows::None,
            1 => Flows::One(taken[0]),
            _ => Flows::Many(taken),
        };
        self.follow(flows, scope);
        Ok(())
    }

    /// Fires every inclusive join that no other token can still reach. Returns true if
    /// one fired (and there is new work).
    fn fire_ready_inclusive_joins(&mut self) -> Result<bool, RuntimeError> {
        let g = self.g;
        let candidates: Vec<(NodeIdx, Id)> = self
            .inst
            .tokens
            .iter()
            .filter(|t| t.wait == Wait::Join)
            .filter_map(|t| {
                let n = t.node?;
                matches!(g.node(n).kind, NodeKind::Gateway(GatewayKind::Inclusive))
                    .then_some((n, t.parent?))
            })
            .collect();
        for (join, scope) in candidates {
            let mut waiting = Vec::new();
            let mut blocked = false;
            for t in self.inst.children(scope) {
                let Some(n) = t.node else { continue };
                if n == join && t.wait == Wait::Join {
                    waiting.push(t.id);
                } else if g.reach.can_reach(n, join) {
                    blocked = true;
                    break;
                }
            }
            if blocked || waiting.is_empty() {
                continue;
            }
            let last = waiting[waiting.len() - 1];
            self.inclusive_split(last, join, scope, &waiting)?;
            return Ok(true);
        }
        Ok(false)
    }

    // ----- tasks ----------------------------------------------------------------------

    fn open_external_task(
        &mut self,
        token: Id,
        idx: NodeIdx,
        def: &ExternalTaskDef,
    ) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let topic = self.eval_string(token, node, &def.topic)?.ok_or_else(|| {
            RuntimeError::InvalidValue(format!("the topic of '{}' evaluated to null", node.id))
        })?;
        let priority = match def.priority.as_ref().or(self.g.task_priority.as_ref()) {
            Some(expr) => {
                let v = self.eval(token, node, expr)?;
                to_i64(&v).ok_or_else(|| {
                    RuntimeError::InvalidValue(format!(
                        "the task priority of '{}' is not a number: {v:?}",
                        node.id
                    ))
                })?
            }
            None => 0,
        };
        let task = self.env.ids.next_id();
        self.set_wait(token, Wait::ExternalTask(task));
        self.out
            .effects
            .push(Effect::ExternalTaskCreated(ExternalTaskSpec {
                id: task,
                token,
                node: idx,
                topic,
                priority,
            }));
        Ok(())
    }

    fn open_user_task(
        &mut self,
        token: Id,
        idx: NodeIdx,
        def: &UserTaskDef,
    ) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let name = match &def.name {
            Some(expr) => self.eval_string(token, node, expr)?,
            None => node.name.as_deref().map(str::to_owned),
        };
        let opt = |m: &mut Self, e: &Option<Expression>| -> Result<Option<String>, RuntimeError> {
            match e {
                Some(e) => m.eval_string(token, node, e),
                None => Ok(None),
            }
        };
        let assignee = opt(self, &def.assignee)?.filter(|a| !a.is_empty());
        let form_key = opt(self, &def.form_key)?;
        let candidate_users = self.eval_list(token, node, def.candidate_users.as_ref())?;
        let candidate_groups = self.eval_list(token, node, def.candidate_groups.as_ref())?;
        let due = self.eval_date(token, node, def.due_date.as_ref(), "dueDate")?;
        let follow_up = self.eval_date(token, node, def.follow_up_date.as_ref(), "followUpDate")?;
        let priority = match &def.priority {
            Some(e) => {
                let v = self.eval(token, node, e)?;
                to_i64(&v).ok_or_else(|| {
                    RuntimeError::InvalidValue(format!(
                        "the priority of user task '{}' is not a number: {v:?}",
                        node.id
                    ))
                })?
            }
            None => 50,
        };
        let task = self.env.ids.next_id();
        self.set_wait(token, Wait::UserTask(task));
        self.out
            .effects
            .push(Effect::UserTaskCreated(Box::new(UserTaskSpec {
                id: task,
                token,
                node: Some(idx),
                name,
                description: def.documentation.clone(),
                assignee,
                candidate_users,
                candidate_groups,
                due,
                follow_up,
                priority,
                form_key,
                created: self.env.now,
            })));
        Ok(())
    }

    // ----- events ---------------------------------------------------------------------

    fn throw(
        &mut self,
        token: Id,
        idx: NodeIdx,
        result: &ThrowResult,
        is_end: bool,
    ) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let done = |m: &mut Self| {
            if is_end {
                m.end_path(token);
            } else {
                m.agenda.push(Op::Leave { token });
            }
        };
        match result {
            ThrowResult::None
            | ThrowResult::Message { external: None }
            | ThrowResult::Cancel
            | ThrowResult::Compensate { .. } => done(self),
            ThrowResult::Message {
                external: Some(def),
            } => self.open_external_task(token, idx, def)?,
            ThrowResult::Terminate => {
                let scope = self.scope_of(token);
                let others: Vec<Id> = self
                    .inst
                    .children(scope)
                    .filter(|t| t.id != token)
                    .map(|t| t.id)
                    .collect();
                for other in others {
                    self.cancel(other);
                }
                self.agenda
                    .retain(|op| !matches!(op, Op::Enter { scope: s, .. } if *s == scope));
                if scope == self.inst.id {
                    self.end_token(token, false);
                    self.end_instance(EndState::Completed, Some(idx));
                } else {
                    self.end_path(token);
                }
            }
            ThrowResult::Error { code, message } => {
                let message = match message {
                    Some(m) => self.eval_string(token, node, m)?,
                    None => None,
                };
                self.throw_error(token, code.clone(), message)?;
            }
            ThrowResult::Escalation { code } => {
                self.throw_escalation(token, code.as_deref(), is_end)?;
            }
            ThrowResult::Signal { name } => {
                let name = self.eval_string(token, node, name)?.unwrap_or_default();
                self.out.effects.push(Effect::SignalThrown {
                    name,
                    variables: Variables::new(),
                });
                done(self);
            }
            ThrowResult::Link { target } => {
                let scope = self.scope_of(token);
                self.end_token(token, false);
                self.agenda.push(Op::Enter {
                    node: *target,
                    scope,
                });
            }
        }
        Ok(())
    }

    /// Propagates a BPMN error from `from` to the innermost handler: the thrower's own
    /// error boundary events, then outward scope by scope, an error event subprocess of
    /// the scope before the scope's boundary events. Uncaught, the thrower's path ends
    /// as at a none end event, as in Camunda.
    fn throw_error(
        &mut self,
        from: Id,
        code: Option<String>,
        message: Option<String>,
    ) -> Result<(), RuntimeError> {
        let g = self.g;
        let matches = |trigger: &EventTrigger, specific: bool| match trigger {
            EventTrigger::Error { code: c, .. } => match c {
                Some(c) => specific && Some(c) == code.as_ref(),
                None => !specific,
            },
            _ => false,
        };
        let Some(handler) = self.find_handler(from, &matches) else {
            self.end_path(from);
            return Ok(());
        };
        let mut vars = Vec::new();
        if let EventTrigger::Error {
            code_variable,
            message_variable,
            ..
        } = handler_trigger(g, &handler)
        {
            if let Some(v) = code_variable {
                vars.push((v.clone(), code.clone().map_or(Value::Null, Value::String)));
            }
            if let Some(v) = message_variable {
                vars.push((
                    v.clone(),
                    message.clone().map_or(Value::Null, Value::String),
                ));
            }
        }
        self.run_handler(handler, true, vars);
        Ok(())
    }

    /// Propagates an escalation like an error, except that a non-interrupting handler
    /// lets the thrower continue, and an uncaught escalation changes nothing.
    fn throw_escalation(
        &mut self,
        from: Id,
        code: Option<&str>,
        is_end: bool,
    ) -> Result<(), RuntimeError> {
        let g = self.g;
        let matches = |trigger: &EventTrigger, specific: bool| match trigger {
            EventTrigger::Escalation { code: c, .. } => match c {
                Some(c) => specific && Some(c.as_str()) == code,
                None => !specific,
            },
            _ => false,
        };
        let handler = self.find_handler(from, &matches);
        let interrupting = handler.as_ref().map(|h| handler_interrupts(g, h));
        if interrupting != Some(true) {
            if is_end {
                self.end_path(from);
            } else {
                self.agenda.push(Op::Leave { token: from });
            }
        }
        if let Some(handler) = handler {
            let mut vars = Vec::new();
            if let EventTrigger::Escalation {
                code_variable: Some(v),
                ..
            } = handler_trigger(g, &handler)
            {
                vars.push((
                    v.clone(),
                    code.map_or(Value::Null, |c| Value::String(c.to_owned())),
                ));
            }
            self.run_handler(handler, interrupting == Some(true), vars);
        }
        Ok(())
    }

    fn find_handler(
        &self,
        from: Id,
        matches: &dyn Fn(&EventTrigger, bool) -> bool,
    ) -> Option<Handler> {
        let g = self.g;
        let mut level = from;
        let mut first = true;
        // The node of the token we came up from. When that is an event subprocess, the
        // error or escalation was thrown inside it, and Camunda never lets an event
        // subprocess catch what it throws itself (`isReThrowingErrorEventSubprocess`):
        // it would interrupt and restart itself forever.
        let mut came_from: Option<NodeIdx> = None;
        loop {
            let t = self.inst.token(level)?;
            if !first {
                let scope = match t.node {
                    None => Some(&g.scope),
                    Some(n) => match &g.node(n).kind {
                        NodeKind::SubProcess(sub) => Some(&sub.scope),
                        _ => None,
                    },
                };
                if let Some(scope) = scope {
                    for specific in [true, false] {
                        for &esp in &scope.event_subprocesses {
                            if came_from == Some(esp) {
                                continue;
                            }
                            let NodeKind::SubProcess(sub) = &g.node(esp).kind else {
                                continue;
                            };
                            for &start in &sub.scope.starts {
                                if let NodeKind::StartEvent { trigger, .. } = &g.node(start).kind {
                                    if matches(trigger, specific) {
                                        return Some(Handler::EventSubprocess {
                                            scope: level,
                                            esp,
                                            start,
                                        });
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if let Some(n) = t.node {
                for specific in [true, false] {
                    for &b in &g.node(n).boundary_events {
                        if let NodeKind::Boundary { trigger, .. } = &g.node(b).kind {
                            if matches(trigger, specific) {
                                return Some(Handler::Boundary {
                                    host: level,
                                    boundary: b,
                                });
                            }
                        }
                    }
                }
            }
            first = false;
            came_from = t.node;
            level = t.parent?;
        }
    }

    fn run_handler(&mut self, handler: Handler, interrupting: bool, vars: Vec<(String, Value)>) {
        match handler {
            Handler::Boundary { host, boundary } => {
                let scope = self.scope_of(host);
                if interrupting {
                    self.cancel(host);
                }
                self.enter_triggered(boundary, scope, vars);
            }
            Handler::EventSubprocess { scope, esp, start } => {
                if interrupting {
                    self.interrupt(scope);
                }
                let esp_token = self.new_token(esp, scope, Wait::Scope);
                self.enter_triggered(start, esp_token, vars);
            }
        }
    }

    /// Creates a token at a catching event that has already fired and lets it leave.
    fn enter_triggered(&mut self, node: NodeIdx, scope: Id, vars: Vec<(String, Value)>) {
        let token = self.new_token(node, scope, Wait::Active);
        for (name, value) in vars {
            scope::set(
                self.inst,
                token,
                &name,
                value,
                false,
                &mut self.out.variables,
            );
        }
        self.agenda.push(Op::Leave { token });
    }

    /// A message, signal or timer subscription fired.
    fn trigger(
        &mut self,
        sub_id: Id,
        variables: Variables,
        local_variables: Variables,
    ) -> Result<(), RuntimeError> {
        let g = self.g;
        let (owner, sub) = self
            .inst
            .subscription_owner(sub_id)
            .map(|(t, s)| (t.id, s.clone()))
            .ok_or(RuntimeError::UnknownSubscription(sub_id))?;
        let owner_token = self
            .inst
            .token(owner)
            .ok_or(RuntimeError::UnknownSubscription(sub_id))?;
        let owner_node = owner_token.node;
        let owner_parent = owner_token.parent;
        let is_timer = matches!(sub.kind, SubscriptionKind::Timer { .. });
        let catch = g.node(sub.node);
        let non_interrupting = match &catch.kind {
            NodeKind::Boundary { interrupting, .. } => !interrupting,
            NodeKind::StartEvent { interrupting, .. } => {
                owner_node != Some(sub.node) && !interrupting
            }
            _ => false,
        };
        // A non-interrupting message or signal handler can fire again; a repeating
        // timer is rescheduled below.
        if !non_interrupting || is_timer {
            self.remove_subscription(owner, sub_id);
        }
        if non_interrupting && is_timer {
            if let SubscriptionKind::Timer {
                due,
                repeat: Some(repeat),
            } = &sub.kind
            {
                if let Some(next) =
                    time::next_schedule(repeat, *due, self.env.now).map_err(|e| {
                        RuntimeError::Timer {
                            element: catch.id.to_string(),
                            message: e.to_string(),
                        }
                    })?
                {
                    let job = self.env.ids.next_id();
                    self.add_subscription(
                        owner,
                        Subscription {
                            id: job,
                            node: sub.node,
                            kind: SubscriptionKind::Timer {
                                due: next.due,
                                repeat: next.repeat,
                            },
                        },
                    );
                }
            }
        }

        if owner_node == Some(sub.node) {
            // The owner's own catch event or receive task.
            self.set_all(owner, local_variables, true);
            self.set_all(owner, variables, false);
            self.agenda.push(Op::Leave { token: owner });
            return Ok(());
        }
        let vars: Vec<(String, Value)> = variables
            .iter()
            .map(|v| (v.name.clone(), v.value.clone()))
            .collect();
        if matches!(
            owner_node.map(|n| &g.node(n).kind),
            Some(NodeKind::Gateway(GatewayKind::EventBased))
        ) {
            let scope = owner_parent.unwrap_or(self.inst.id);
            self.end_token(owner, false);
            self.enter_triggered(sub.node, scope, vars);
            return Ok(());
        }
        match &catch.kind {
            NodeKind::Boundary { interrupting, .. } => {
                let scope = owner_parent.unwrap_or(self.inst.id);
                if *interrupting {
                    self.cancel(owner);
                }
                self.enter_triggered(sub.node, scope, vars);
            }
            NodeKind::StartEvent { interrupting, .. } => {
                let Some(esp) = catch.parent else {
                    return Err(RuntimeError::UnknownSubscription(sub_id));
                };
                if *interrupting {
                    self.interrupt(owner);
                }
                let esp_token = self.new_token(esp, owner, Wait::Scope);
                self.enter_triggered(sub.node, esp_token, vars);
            }
            _ => return Err(RuntimeError::UnknownSubscription(sub_id)),
        }
        Ok(())
    }

    fn remove_subscription(&mut self, owner: Id, sub: Id) {
        if let Some(t) = self.inst.token_mut(owner) {
            t.subs.retain(|s| s.id != sub);
        }
        self.out
            .effects
            .push(Effect::SubscriptionClosed { id: sub });
    }

    fn add_subscription(&mut self, owner: Id, sub: Subscription) {
        let effect = match &sub.kind {
            SubscriptionKind::Message(name) => Effect::SubscriptionOpened {
                id: sub.id,
                token: owner,
                node: sub.node,
                kind: EventKind::Message,
                name: name.clone(),
            },
            SubscriptionKind::Signal(name) => Effect::SubscriptionOpened {
                id: sub.id,
                token: owner,
                node: sub.node,
                kind: EventKind::Signal,
                name: name.clone(),
            },
            SubscriptionKind::Timer { due, repeat } => Effect::TimerScheduled {
                job: sub.id,
                token: owner,
                node: sub.node,
                due: *due,
                repeat: repeat.clone(),
            },
        };
        self.out.effects.push(effect);
        if let Some(t) = self.inst.token_mut(owner) {
            t.subs.push(sub);
        }
    }

    /// Opens the subscriptions of every token created by this command that is still
    /// waiting: its own catch event, its boundary events, the events after its
    /// event-based gateway, and the starts of its scope's event subprocesses.
    fn open_subscriptions(&mut self) -> Result<(), RuntimeError> {
        let g = self.g;
        let fresh = std::mem::take(&mut self.fresh);
        for id in fresh {
            let Some(t) = self.inst.token(id) else {
                continue;
            };
            let wait = t.wait;
            let node = t.node;
            let mut targets: Vec<NodeIdx> = Vec::new();
            match node {
                None => {
                    targets.extend(event_subprocess_starts(g, &g.scope));
                }
                Some(n) => {
                    let gn = g.node(n);
                    match (&gn.kind, wait) {
                        (NodeKind::SubProcess(sub), Wait::Scope) => {
                            targets.extend(event_subprocess_starts(g, &sub.scope));
                        }
                        (NodeKind::Gateway(GatewayKind::EventBased), Wait::Event) => {
                            targets.extend(gn.outgoing.iter().map(|f| g.flow(*f).target));
                        }
                        (
                            NodeKind::IntermediateCatch { .. }
                            | NodeKind::Task(TaskKind::Receive { .. }),
                            Wait::Event,
                        ) => targets.push(n),
                        _ => {}
                    }
                    if matches!(
                        wait,
                        Wait::Scope
                            | Wait::ExternalTask(_)
                            | Wait::UserTask(_)
                            | Wait::Event
                            | Wait::Signal
                    ) {
                        targets.extend(gn.boundary_events.iter().copied());
                    }
                }
            }
            for target in targets {
                self.open_subscription(id, target)?;
            }
        }
        Ok(())
    }

    fn open_subscription(&mut self, owner: Id, target: NodeIdx) -> Result<(), RuntimeError> {
        let g = self.g;
        let node = g.node(target);
        let trigger = match &node.kind {
            NodeKind::StartEvent { trigger, .. }
            | NodeKind::IntermediateCatch { trigger }
            | NodeKind::Boundary { trigger, .. } => trigger,
            NodeKind::Task(TaskKind::Receive {
                message: Some(name),
            }) => {
                let name = self.eval_string(owner, node, name)?.unwrap_or_default();
                let id = self.env.ids.next_id();
                self.add_subscription(
                    owner,
                    Subscription {
                        id,
                        node: target,
                        kind: SubscriptionKind::Message(name),
                    },
                );
                return Ok(());
            }
            _ => return Ok(()),
        };
        let kind = match trigger {
            EventTrigger::Message { name } => {
                SubscriptionKind::Message(self.eval_string(owner, node, name)?.unwrap_or_default())
            }
            EventTrigger::Signal { name } => {
                SubscriptionKind::Signal(self.eval_string(owner, node, name)?.unwrap_or_default())
            }
            EventTrigger::Timer(def) => match self.schedule(owner, node, def)? {
                Some((due, repeat)) => SubscriptionKind::Timer { due, repeat },
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        let id = self.env.ids.next_id();
        self.add_subscription(
            owner,
            Subscription {
                id,
                node: target,
                kind,
            },
        );
        Ok(())
    }

    fn schedule(
        &mut self,
        token: Id,
        node: &Node,
        def: &TimerDef,
    ) -> Result<Option<(Timestamp, Option<String>)>, RuntimeError> {
        let text = match def.text.literal_text() {
            Some(t) => t.to_owned(),
            None => {
                let v = self.eval(token, node, &def.text)?;
                match v {
                    ElValue::Date(t) | ElValue::DateTime(t) => return Ok(Some((t, None))),
                    other => match other.into_value() {
                        Value::String(s) => s,
                        v => {
                            return Err(RuntimeError::Timer {
                                element: node.id.to_string(),
                                message: format!(
                                    "the expression '{}' evaluated to a {}, not a date or a text",
                                    def.text.source(),
                                    v.type_name()
                                ),
                            })
                        }
                    },
                }
            }
        };
        let schedule = time::first_schedule(def.kind, &text, self.env.now).map_err(|e| {
            RuntimeError::Timer {
                element: node.id.to_string(),
                message: e.to_string(),
            }
        })?;
        Ok(schedule.map(|s| (s.due, s.repeat)))
    }

    // ----- variables and expressions ----------------------------------------------------

    fn scope_of(&self, token: Id) -> Id {
        self.inst
            .token(token)
            .and_then(|t| t.parent)
            .unwrap_or(self.inst.id)
    }

    fn set_all(&mut self, token: Id, vars: Variables, local: bool) {
        for v in vars.iter() {
            if local {
                scope::set_local(
                    self.inst,
                    token,
                    &v.name,
                    v.value.clone(),
                    v.transient,
                    &mut self.out.variables,
                );
            } else {
                scope::set(
                    self.inst,
                    token,
                    &v.name,
                    v.value.clone(),
                    v.transient,
                    &mut self.out.variables,
                );
            }
        }
    }

    fn context(&mut self, token: Id) -> TokenContext<'_> {
        TokenContext {
            graph: self.g,
            inst: self.inst,
            token,
            now: self.env.now,
            definition_id: self.env.definition_id,
            tenant_id: self.env.tenant_id,
            user: self.env.user,
            changes: &mut self.out.variables,
        }
    }

    fn eval(&mut self, token: Id, node: &Node, expr: &Expression) -> Result<ElValue, RuntimeError> {
        let element = &node.id;
        expr.evaluate(&mut self.context(token))
            .map_err(|source| RuntimeError::Expression {
                element: element.to_string(),
                source,
            })
    }

    fn eval_string(
        &mut self,
        token: Id,
        node: &Node,
        expr: &Expression,
    ) -> Result<Option<String>, RuntimeError> {
        if let Some(text) = expr.literal_text() {
            return Ok(Some(text.to_owned()));
        }
        let element = &node.id;
        expr.evaluate_to_string(&mut self.context(token))
            .map_err(|source| RuntimeError::Expression {
                element: element.to_string(),
                source,
            })
    }

    fn condition(
        &mut self,
        token: Id,
        node: &Node,
        expr: &Expression,
    ) -> Result<bool, RuntimeError> {
        let element = &node.id;
        expr.evaluate_condition(&mut self.context(token))
            .map_err(|source| RuntimeError::Expression {
                element: element.to_string(),
                source,
            })
    }

    /// A comma-separated list, or a list value (candidate users and groups).
    fn eval_list(
        &mut self,
        token: Id,
        node: &Node,
        expr: Option<&Expression>,
    ) -> Result<Vec<String>, RuntimeError> {
        let Some(expr) = expr else {
            return Ok(Vec::new());
        };
        let split = |s: &str| -> Vec<String> {
            s.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        if let Some(text) = expr.literal_text() {
            return Ok(split(text));
        }
        Ok(match self.eval(token, node, expr)? {
            ElValue::Null => Vec::new(),
            ElValue::List(items) => items
                .into_iter()
                .filter_map(|i| match i {
                    ElValue::String(s) => Some(s),
                    ElValue::Null => None,
                    other => Some(other.into_value_string()),
                })
                .collect(),
            ElValue::String(s) => split(&s),
            other => split(&other.into_value_string()),
        })
    }

    fn eval_date(
        &mut self,
        token: Id,
        node: &Node,
        expr: Option<&Expression>,
        what: &str,
    ) -> Result<Option<Timestamp>, RuntimeError> {
        let Some(expr) = expr else { return Ok(None) };
        let value = match expr.literal_text() {
            Some(text) => ElValue::String(text.to_owned()),
            None => self.eval(token, node, expr)?,
        };
        match value {
            ElValue::Null => Ok(None),
            ElValue::Date(t) | ElValue::DateTime(t) => Ok(Some(t)),
            ElValue::String(s) if s.trim().is_empty() => Ok(None),
            ElValue::String(s) => time::parse_date_lenient(&s).map(Some).map_err(|e| {
                RuntimeError::InvalidValue(format!(
                    "the {what} of user task '{}' is not a date: {e}",
                    node.id
                ))
            }),
            other => Err(RuntimeError::InvalidValue(format!(
                "the {what} of user task '{}' evaluated to {}, not a date",
                node.id,
                other.java_class()
            ))),
        }
    }

    fn map_inputs(&mut self, token: Id, node: &Node, io: &IoMapping) -> Result<(), RuntimeError> {
        for p in &io.inputs {
            let value = self.param(token, node, &p.value)?;
            scope::set_local(
                self.inst,
                token,
                &p.name,
                value.into_value(),
                false,
                &mut self.out.variables,
            );
        }
        Ok(())
    }

    fn map_outputs(&mut self, token: Id, node: &Node, io: &IoMapping) -> Result<(), RuntimeError> {
        if io.outputs.is_empty() {
            return Ok(());
        }
        let scope = self.scope_of(token);
        let mut values = Vec::with_capacity(io.outputs.len());
        for p in &io.outputs {
            values.push((p.name.as_str(), self.param(token, node, &p.value)?));
        }
        for (name, value) in values {
            scope::set(
                self.inst,
                scope,
                name,
                value.into_value(),
                false,
                &mut self.out.variables,
            );
        }
        Ok(())
    }

    fn param(
        &mut self,
        token: Id,
        node: &Node,
        value: &ParamValue,
    ) -> Result<ElValue, RuntimeError> {
        Ok(match value {
            ParamValue::Null => ElValue::Null,
            ParamValue::Text(expr) => match expr.literal_text() {
                Some(text) => ElValue::String(text.to_owned()),
                None => self.eval(token, node, expr)?,
            },
            ParamValue::List(items) => {
                let mut list = Vec::with_capacity(items.len());
                for item in items {
                    list.push(self.param(token, node, item)?);
                }
                ElValue::List(list)
            }
            ParamValue::Map(entries) => {
                let mut map = Vec::with_capacity(entries.len());
                for (key, value) in entries {
                    let key = self.eval_string(token, node, key)?.unwrap_or_default();
                    map.push((key, self.param(token, node, value)?));
                }
                // Camunda builds a TreeMap: entries come out sorted by key.
                map.sort_by(|a, b| a.0.cmp(&b.0));
                ElValue::Map(map)
            }
        })
    }
}

/// Link events are jumps inside the diagram; Camunda keeps no history for them.
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

fn event_subprocess_starts<'g>(
    g: &'g ProcessGraph,
    scope: &'g crate::bpmn::Scope,
) -> impl Iterator<Item = NodeIdx> + 'g {
    scope
        .event_subprocesses
        .iter()
        .flat_map(move |&esp| match &g.node(esp).kind {
            NodeKind::SubProcess(sub) => sub.scope.starts.clone(),
            _ => Vec::new(),
        })
}

fn handler_trigger<'g>(g: &'g ProcessGraph, h: &Handler) -> &'g EventTrigger {
    let node = match h {
        Handler::Boundary { boundary, .. } => *boundary,
        Handler::EventSubprocess { start, .. } => *start,
    };
    match &g.node(node).kind {
        NodeKind::Boundary { trigger, .. } | NodeKind::StartEvent { trigger, .. } => trigger,
        _ => &EventTrigger::None,
    }
}

fn handler_interrupts(g: &ProcessGraph, h: &Handler) -> bool {
    let node = match h {
        Handler::Boundary { boundary, .. } => *boundary,
        Handler::EventSubprocess { start, .. } => *start,
    };
    match &g.node(node).kind {
        NodeKind::Boundary { interrupting, .. } | NodeKind::StartEvent { interrupting, .. } => {
            *interrupting
        }
        _ => true,
    }
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
