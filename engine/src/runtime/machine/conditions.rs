//! Conditional events: a condition on variables, evaluated when the event's scope
//! starts and again whenever a variable it can see changes.
//!
//! A change in the scope of token `S` re-evaluates the conditional events of `S` and of
//! every token below it, top-down, as Camunda does: a process variable reaches every
//! conditional event of the instance, a local variable of a subprocess only those inside
//! it (and its own boundary events).

use super::events::is_conditional;
use super::*;

/// Which change a variable went through, in `camunda:variableEvents` words.
fn change_word(change: &VariableChange) -> &'static str {
    if change.removed {
        "delete"
    } else if change.created {
        "create"
    } else {
        "update"
    }
}

impl Machine<'_, '_> {
    /// Re-evaluates the open conditional subscriptions that the variable changes made
    /// since the last call can concern, and fires those whose condition now holds.
    pub(super) fn check_conditions(&mut self) -> Result<(), RuntimeError> {
        if !self.g.has_conditional_events {
            self.cond_mark = self.out.variables.len();
            return Ok(());
        }
        // Tokens created in this command have not subscribed yet; their conditional
        // events must exist before the change is looked at, as they would in Camunda.
        // What they open here was evaluated just now and needs no second look.
        let mut opened_now: Vec<Id> = Vec::new();
        let pending: Vec<Id> = self
            .fresh
            .iter()
            .copied()
            .filter(|id| !self.cond_opened.contains(id))
            .collect();
        for id in pending {
            self.cond_opened.push(id);
            let mut interrupted = false;
            for target in self.subscription_targets(id, true) {
                if self.inst.token(id).is_none() {
                    break;
                }
                let node = self.g.node(target);
                let is_start = matches!(node.kind, NodeKind::StartEvent { .. });
                if !is_conditional(node) || (interrupted && is_start) {
                    continue;
                }
                let before = self.inst.token(id).map_or(0, |t| t.subs.len());
                interrupted |= self.open_conditional(id, target)? && is_start;
                if let Some(t) = self.inst.token(id) {
                    opened_now.extend(t.subs.iter().skip(before).map(|s| s.id));
                }
            }
        }
        while self.cond_mark < self.out.variables.len() {
            let change = self.out.variables[self.cond_mark].clone();
            self.cond_mark += 1;
            // A variable removed because its scope ended is no event for anyone.
            if self.inst.token(change.scope).is_none() {
                continue;
            }
            let word = change_word(&change);
            for (owner, sub, node) in self.conditional_subscriptions_under(change.scope) {
                let still_open = self
                    .inst
                    .subscription_owner(sub)
                    .is_some_and(|(t, _)| t.id == owner);
                if !still_open
                    || opened_now.contains(&sub)
                    || !listens_to(self.g, node, &change.name, word)
                {
                    continue;
                }
                if self.condition_holds(owner, node)? {
                    self.steps += 1;
                    if self.steps > MAX_STEPS {
                        return Err(RuntimeError::Runaway(MAX_STEPS));
                    }
                    self.fire_condition(owner, Some(sub), node)?;
                }
            }
        }
        Ok(())
    }

    /// The conditional subscriptions of `scope` and every token below it, parents
    /// first; a token's boundary events (which belong to the enclosing scope) before the
    /// event subprocesses inside it.
    fn conditional_subscriptions_under(&self, scope: Id) -> Vec<(Id, Id, NodeIdx)> {
        let g = self.g;
        let mut found = Vec::new();
        for t in &self.inst.tokens {
            if !t
                .subs
                .iter()
                .any(|s| s.kind == SubscriptionKind::Conditional)
                || !self.is_within(t.id, scope)
            {
                continue;
            }
            let mut subs: Vec<&Subscription> = t
                .subs
                .iter()
                .filter(|s| s.kind == SubscriptionKind::Conditional)
                .collect();
            subs.sort_by_key(|s| !matches!(g.node(s.node).kind, NodeKind::Boundary { .. }));
            found.extend(subs.into_iter().map(|s| (t.id, s.id, s.node)));
        }
        found
    }

    /// True if `token` is `scope` or lies inside it.
    fn is_within(&self, token: Id, scope: Id) -> bool {
        let mut cur = Some(token);
        while let Some(id) = cur {
            if id == scope {
                return true;
            }
            cur = self.inst.token(id).and_then(|t| t.parent);
        }
        false
    }

    /// Evaluates the condition of the conditional event `node` for `owner`. A variable
    /// the condition names but nobody has set makes it false, as in Camunda
    /// (`Condition.tryEvaluate`).
    pub(super) fn condition_holds(
        &mut self,
        owner: Id,
        node: NodeIdx,
    ) -> Result<bool, RuntimeError> {
        let g = self.g;
        let n = g.node(node);
        let Some(EventTrigger::Conditional { condition, .. }) = conditional_trigger(n) else {
            return Ok(false);
        };
        match condition.evaluate_condition(&mut self.context(owner)) {
            Ok(holds) => Ok(holds),
            Err(crate::expr::EvalError::UnknownProperty { .. }) => Ok(false),
            Err(source) => Err(RuntimeError::Expression {
                element: n.id.to_string(),
                source,
            }),
        }
    }

    /// Opens the conditional subscription of `node` for `owner`, firing it at once when
    /// the condition already holds (an intermediate event then passes straight through,
    /// an interrupting event never subscribes). True when it fired and interrupted.
    pub(super) fn open_conditional(
        &mut self,
        owner: Id,
        node: NodeIdx,
    ) -> Result<bool, RuntimeError> {
        let holds = self.condition_holds(owner, node)?;
        let interrupting = match &self.g.node(node).kind {
            NodeKind::Boundary { interrupting, .. } | NodeKind::StartEvent { interrupting, .. } => {
                *interrupting
            }
            _ => true,
        };
        let mut sub = None;
        if !holds || !interrupting {
            let id = self.env.ids.next_id();
            self.add_subscription(
                owner,
                Subscription {
                    id,
                    node,
                    kind: SubscriptionKind::Conditional,
                },
            );
            sub = Some(id);
        }
        if holds {
            self.fire_condition(owner, sub, node)?;
        }
        Ok(holds && interrupting)
    }

    /// The condition of `node` holds for `owner`: the event fires.
    fn fire_condition(
        &mut self,
        owner: Id,
        sub: Option<Id>,
        node: NodeIdx,
    ) -> Result<(), RuntimeError> {
        let g = self.g;
        let catch = g.node(node);
        let owner_parent = self.inst.token(owner).and_then(|t| t.parent);
        let owner_node = self.inst.token(owner).and_then(|t| t.node);
        let after_gateway = owner_node
            .is_some_and(|n| matches!(g.node(n).kind, NodeKind::Gateway(GatewayKind::EventBased)));
        match &catch.kind {
            NodeKind::IntermediateCatch { .. } if after_gateway => {
                let scope = owner_parent.unwrap_or(self.inst.id);
                self.end_token(owner, false);
                self.enter_triggered(node, scope, Vec::new());
            }
            NodeKind::IntermediateCatch { .. } => {
                if let Some(sub) = sub {
                    self.remove_subscription(owner, sub);
                }
                self.agenda.push(Op::Leave { token: owner });
            }
            NodeKind::Boundary { interrupting, .. } => {
                let scope = owner_parent.unwrap_or(self.inst.id);
                if *interrupting {
                    self.cancel(owner)?;
                }
                self.enter_triggered(node, scope, Vec::new());
            }
            NodeKind::StartEvent { interrupting, .. } => {
                let Some(esp) = catch.parent else {
                    return Ok(());
                };
                if *interrupting {
                    self.interrupt(owner)?;
                }
                let esp_token = self.new_token(esp, owner, Wait::Scope);
                self.enter_triggered(node, esp_token, Vec::new());
            }
            _ => {}
        }
        Ok(())
    }
}

fn conditional_trigger(node: &Node) -> Option<&EventTrigger> {
    match &node.kind {
        NodeKind::StartEvent { trigger, .. }
        | NodeKind::IntermediateCatch { trigger }
        | NodeKind::Boundary { trigger, .. } => Some(trigger),
        _ => None,
    }
}

/// `camunda:variableName` and `camunda:variableEvents`: does a `word` change of `name`
/// concern the conditional event `node`?
fn listens_to(g: &ProcessGraph, node: NodeIdx, name: &str, word: &str) -> bool {
    match conditional_trigger(g.node(node)) {
        Some(EventTrigger::Conditional {
            variable_name,
            variable_events,
            ..
        }) => {
            variable_name.as_deref().is_none_or(|v| v == name)
                && (variable_events.is_empty() || variable_events.iter().any(|e| e == word))
        }
        _ => false,
    }
}
