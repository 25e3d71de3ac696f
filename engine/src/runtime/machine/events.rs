//! Events: throwing (end and intermediate), BPMN error and escalation propagation,
//! triggers of message, signal and timer subscriptions, and opening subscriptions.

use super::*;

/// What the thrower of an escalation does when no handler interrupts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AfterThrow {
    /// An end event: its path ends.
    End,
    /// An intermediate throw event: the flow continues.
    Continue,
    /// A call activity relaying its child's escalation: it keeps waiting.
    Stay,
}

impl Machine<'_, '_> {
    /// The token waits while the calling process decides about an error it passed up;
    /// a task it waited on is gone.
    pub(super) fn pass_up(&mut self, token: Id) {
        let old = self.inst.token(token).map(|t| t.wait);
        match old {
            Some(Wait::ExternalTask(task)) => {
                self.out.effects.push(Effect::ExternalTaskRemoved { task })
            }
            Some(Wait::UserTask(task)) => self.out.effects.push(Effect::UserTaskRemoved {
                task,
                canceled: true,
            }),
            _ => {}
        }
        self.set_wait(token, Wait::ErrorPassedUp);
    }

    pub(super) fn throw(
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
            ThrowResult::None | ThrowResult::Message { external: None } => done(self),
            ThrowResult::Compensate { activity } => self.throw_compensation(token, *activity)?,
            ThrowResult::Cancel => self.throw_cancel(token)?,
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
                    self.cancel(other)?;
                }
                self.agenda
                    .retain(|op| !matches!(op, Op::Enter { scope: s, .. } if *s == scope));
                if scope == self.inst.id {
                    self.end_token(token, false);
                    self.run_process_listeners(ListenerEvent::End)?;
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
                let then = if is_end {
                    AfterThrow::End
                } else {
                    AfterThrow::Continue
                };
                self.throw_escalation(token, code.as_deref(), then)?;
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
    pub(super) fn throw_error(
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
            if self.inst.caller.is_some() {
                // The calling process may catch it: the thrower waits for its answer.
                self.pass_up(from);
                self.out
                    .effects
                    .push(Effect::ErrorToCaller { code, message });
            } else {
                self.end_path(from);
            }
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
        self.run_handler(handler, true, vars)?;
        Ok(())
    }

    /// Propagates an escalation like an error, except that a non-interrupting handler
    /// lets the thrower continue, and an uncaught escalation changes nothing.
    pub(super) fn throw_escalation(
        &mut self,
        from: Id,
        code: Option<&str>,
        then: AfterThrow,
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
        if handler.is_none() && self.inst.caller.is_some() {
            self.out.effects.push(Effect::EscalationToCaller {
                code: code.map(str::to_owned),
            });
        }
        let interrupting = handler.as_ref().map(|h| handler_interrupts(g, h));
        if interrupting != Some(true) {
            match then {
                AfterThrow::End => self.end_path(from),
                AfterThrow::Continue => self.agenda.push(Op::Leave { token: from }),
                AfterThrow::Stay => {}
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
            self.run_handler(handler, interrupting == Some(true), vars)?;
        }
        Ok(())
    }

    pub(super) fn find_handler(
        &self,
        from: Id,
        matches: &dyn Fn(&EventTrigger, bool) -> bool,
    ) -> Option<Handler> {
        find_handler_in(self.g, self.inst, from, matches)
    }

    pub(super) fn run_handler(
        &mut self,
        handler: Handler,
        interrupting: bool,
        vars: Vec<(String, Value)>,
    ) -> Result<(), RuntimeError> {
        match handler {
            Handler::Boundary { host, boundary } => {
                let scope = self.scope_of(host);
                if interrupting {
                    self.cancel(host)?;
                }
                self.enter_triggered(boundary, scope, vars);
            }
            Handler::EventSubprocess { scope, esp, start } => {
                if interrupting {
                    self.interrupt(scope)?;
                }
                let esp_token = self.new_token(esp, scope, Wait::Scope);
                self.enter_triggered(start, esp_token, vars);
            }
        }
        Ok(())
    }

    /// Creates a token at a catching event that has already fired and lets it leave.
    pub(super) fn enter_triggered(&mut self, node: NodeIdx, scope: Id, vars: Vec<(String, Value)>) {
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
    pub(super) fn trigger(
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
        if let SubscriptionKind::Async { after } = sub.kind {
            // An asynchronous continuation: the node runs now, or its flow continues.
            self.remove_subscription(owner, sub_id);
            return if after {
                self.proceed(owner)
            } else {
                self.activate(owner)
            };
        }
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
                    self.cancel(owner)?;
                }
                self.enter_triggered(sub.node, scope, vars);
            }
            NodeKind::StartEvent { interrupting, .. } => {
                let Some(esp) = catch.parent else {
                    return Err(RuntimeError::UnknownSubscription(sub_id));
                };
                if *interrupting {
                    self.interrupt(owner)?;
                }
                let esp_token = self.new_token(esp, owner, Wait::Scope);
                self.enter_triggered(sub.node, esp_token, vars);
            }
            _ => return Err(RuntimeError::UnknownSubscription(sub_id)),
        }
        Ok(())
    }

    pub(super) fn remove_subscription(&mut self, owner: Id, sub: Id) {
        if let Some(t) = self.inst.token_mut(owner) {
            t.subs.retain(|s| s.id != sub);
        }
        self.out
            .effects
            .push(Effect::SubscriptionClosed { id: sub });
    }

    pub(super) fn add_subscription(&mut self, owner: Id, sub: Subscription) {
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
            SubscriptionKind::Conditional => Effect::SubscriptionOpened {
                id: sub.id,
                token: owner,
                node: sub.node,
                kind: EventKind::Conditional,
                name: String::new(),
            },
            SubscriptionKind::Async { after } => Effect::ContinuationScheduled {
                job: sub.id,
                token: owner,
                node: sub.node,
                after: *after,
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
    pub(super) fn open_subscriptions(&mut self) -> Result<(), RuntimeError> {
        let g = self.g;
        let fresh = std::mem::take(&mut self.fresh);
        for id in fresh {
            let conditionals_open = self.cond_opened.contains(&id);
            let targets = self.subscription_targets(id, false);
            let mut interrupted = false;
            for target in targets {
                if self.inst.token(id).is_none() {
                    break;
                }
                let is_start = matches!(g.node(target).kind, NodeKind::StartEvent { .. });
                if interrupted && is_start {
                    // An interrupting event subprocess already took over this scope.
                    continue;
                }
                if is_conditional(g.node(target)) {
                    if !conditionals_open {
                        interrupted |= self.open_conditional(id, target)? && is_start;
                    }
                } else {
                    self.open_subscription(id, target)?;
                }
            }
        }
        self.cond_opened.clear();
        Ok(())
    }

    /// The catching nodes a token subscribes to in its current state: its own catch
    /// event, the events after its event-based gateway, the starts of its scope's event
    /// subprocesses and its boundary events. `running` also counts an activity that is
    /// running within this command (for conditional events, which must see variable
    /// changes the activity makes itself).
    pub(super) fn subscription_targets(&self, id: Id, running: bool) -> Vec<NodeIdx> {
        let g = self.g;
        let Some(t) = self.inst.token(id) else {
            return Vec::new();
        };
        let wait = t.wait;
        let (body, inner) = (t.body, self.inst.is_inner(t));
        let mut targets: Vec<NodeIdx> = Vec::new();
        let Some(n) = t.node else {
            targets.extend(event_subprocess_starts(g, &g.scope));
            return targets;
        };
        let gn = g.node(n);
        match (&gn.kind, wait) {
            (NodeKind::SubProcess(sub), Wait::Scope) if !body => {
                targets.extend(event_subprocess_starts(g, &sub.scope));
            }
            (NodeKind::Gateway(GatewayKind::EventBased), Wait::Event) => {
                targets.extend(gn.outgoing.iter().map(|f| g.flow(*f).target));
            }
            (
                NodeKind::IntermediateCatch { .. } | NodeKind::Task(TaskKind::Receive { .. }),
                Wait::Event,
            ) => targets.push(n),
            _ => {}
        }
        let waiting = matches!(
            wait,
            Wait::Scope
                | Wait::ExternalTask(_)
                | Wait::UserTask(_)
                | Wait::Event
                | Wait::Signal
                | Wait::Called(_)
        );
        if !inner && (waiting || (running && wait == Wait::Active)) {
            targets.extend(gn.boundary_events.iter().copied());
        }
        targets
    }

    pub(super) fn open_subscription(
        &mut self,
        owner: Id,
        target: NodeIdx,
    ) -> Result<(), RuntimeError> {
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

    pub(super) fn schedule(
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
}

pub(super) fn event_subprocess_starts<'g>(
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

pub(super) fn handler_trigger<'g>(g: &'g ProcessGraph, h: &Handler) -> &'g EventTrigger {
    let node = match h {
        Handler::Boundary { boundary, .. } => *boundary,
        Handler::EventSubprocess { start, .. } => *start,
    };
    match &g.node(node).kind {
        NodeKind::Boundary { trigger, .. } | NodeKind::StartEvent { trigger, .. } => trigger,
        _ => &EventTrigger::None,
    }
}

pub(super) fn handler_interrupts(g: &ProcessGraph, h: &Handler) -> bool {
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

/// The innermost handler of an error or escalation thrown at `from`: the thrower's own
/// boundary events, then outward scope by scope, an event subprocess of the scope before
/// the scope's boundary events.
pub(super) fn find_handler_in(
    g: &ProcessGraph,
    inst: &Instance,
    from: Id,
    matches: &dyn Fn(&EventTrigger, bool) -> bool,
) -> Option<Handler> {
    let mut level = from;
    let mut first = true;
    // The node of the token we came up from. When that is an event subprocess, the
    // error or escalation was thrown inside it, and Camunda never lets an event
    // subprocess catch what it throws itself (`isReThrowingErrorEventSubprocess`):
    // it would interrupt and restart itself forever.
    let mut came_from: Option<NodeIdx> = None;
    loop {
        let t = inst.token(level)?;
        // Boundary events of a multi-instance activity belong to its body, and its
        // event subprocesses to each inner instance.
        let inner = inst.is_inner(t);
        if !first && !t.body {
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
        if let (Some(n), false) = (t.node, inner) {
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

/// True if a BPMN error with `code` thrown at `token` is caught within `inst`.
pub(in crate::runtime) fn catches_error(
    g: &ProcessGraph,
    inst: &Instance,
    token: Id,
    code: Option<&str>,
) -> bool {
    let matches = |trigger: &EventTrigger, specific: bool| match trigger {
        EventTrigger::Error { code: c, .. } => match c {
            Some(c) => specific && Some(c.as_str()) == code,
            None => !specific,
        },
        _ => false,
    };
    find_handler_in(g, inst, token, &matches).is_some()
}

/// True for a catching event with a condition.
pub(super) fn is_conditional(node: &Node) -> bool {
    matches!(
        node.kind,
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
}
