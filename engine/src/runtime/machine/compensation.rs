//! Compensation and transactions.
//!
//! When an activity with a compensation handler completes, its scope remembers it; a
//! completed subprocess takes what completed inside it along (with a copy of its local
//! variables) into its parent's memory. A compensation throw event runs the handlers of
//! what its scope remembers, latest first, and waits until they are all done; a
//! subprocess without a handler of its own comes back as a scope in which its inner
//! handlers (or its compensation event subprocess) run. A cancel end event compensates
//! its transaction the same way, then cancels it and takes its cancel boundary event.

use super::*;
use crate::runtime::state::{Compensable, Compensating};

impl Machine<'_, '_> {
    /// Called as the token `id` completes normally: if compensation can undo its
    /// activity later, its scope remembers it.
    pub(super) fn remember_for_compensation(&mut self, id: Id) {
        let g = self.g;
        let Some(t) = self.inst.token(id) else { return };
        if t.compensating.is_some() || t.body || t.wait == Wait::AsyncBefore {
            return;
        }
        let (Some(idx), Some(parent)) = (t.node, t.parent) else {
            return;
        };
        let node = g.node(idx);
        let record = if node.compensation_handler.is_some() {
            Compensable {
                node: idx,
                inner: Vec::new(),
                vars: Variables::new(),
            }
        } else {
            match &node.kind {
                NodeKind::SubProcess(sub)
                    if !sub.event_subprocess
                        && (!t.compensable.is_empty()
                            || compensation_event_subprocess(g, &sub.scope).is_some()) =>
                {
                    let mut vars = t.vars.clone();
                    vars.clear_transient();
                    Compensable {
                        node: idx,
                        inner: t.compensable.clone(),
                        vars,
                    }
                }
                _ => return,
            }
        };
        // What completes inside a multi-instance body belongs to the body's scope.
        let holder = match self.inst.token(parent) {
            Some(p) if p.body => p.parent.unwrap_or(parent),
            _ => parent,
        };
        if let Some(h) = self.inst.token_mut(holder) {
            h.compensable.push(record);
        }
    }

    /// The scope whose completed activities a compensation thrown in `scope` undoes:
    /// the scope itself, or the scope around an event subprocess.
    fn compensation_holder(&self, scope: Id) -> Id {
        let g = self.g;
        match self.inst.token(scope) {
            Some(t)
                if t.node.is_some_and(|n| {
                    matches!(&g.node(n).kind, NodeKind::SubProcess(sub) if sub.event_subprocess)
                }) =>
            {
                t.parent.unwrap_or(scope)
            }
            _ => scope,
        }
    }

    /// A compensation throw event (intermediate or end) at `token`.
    pub(super) fn throw_compensation(
        &mut self,
        token: Id,
        activity: Option<NodeIdx>,
    ) -> Result<(), RuntimeError> {
        let holder = self.compensation_holder(self.scope_of(token));
        let records = self.take_compensable(holder, activity);
        if records.is_empty() || self.compensate(records, holder, token) == 0 {
            return self.resume_after_compensation(token);
        }
        self.set_wait(token, Wait::Compensating);
        Ok(())
    }

    /// A cancel end event at `token`: compensate the transaction, then cancel it.
    pub(super) fn throw_cancel(&mut self, token: Id) -> Result<(), RuntimeError> {
        let transaction = self.scope_of(token);
        let records = self.take_compensable(transaction, None);
        if records.is_empty() || self.compensate(records, transaction, token) == 0 {
            return self.cancel_transaction(token);
        }
        self.set_wait(token, Wait::Compensating);
        Ok(())
    }

    fn take_compensable(&mut self, holder: Id, activity: Option<NodeIdx>) -> Vec<Compensable> {
        let Some(h) = self.inst.token_mut(holder) else {
            return Vec::new();
        };
        match activity {
            None => std::mem::take(&mut h.compensable),
            Some(a) => {
                let (taken, kept) = std::mem::take(&mut h.compensable)
                    .into_iter()
                    .partition(|r| r.node == a);
                h.compensable = kept;
                taken
            }
        }
    }

    /// Starts compensating `records` inside `holder` for `report_to`; returns how many
    /// compensations started. The agenda is a stack: pushing in completion order runs
    /// the latest completed activity's handler first, as Camunda does.
    fn compensate(&mut self, records: Vec<Compensable>, holder: Id, report_to: Id) -> usize {
        let mut started = 0;
        for record in records {
            if self.start_compensation(record, holder, report_to) {
                started += 1;
            }
        }
        started
    }

    fn start_compensation(&mut self, record: Compensable, holder: Id, report_to: Id) -> bool {
        let g = self.g;
        let node = g.node(record.node);
        if let Some(handler) = node.compensation_handler {
            let token = self.new_token_quiet(handler, holder, Wait::Active);
            if let Some(t) = self.inst.token_mut(token) {
                t.compensating = Some(Compensating::Handler(report_to));
            }
            self.agenda.push(Op::Run { token });
            return true;
        }
        let NodeKind::SubProcess(sub) = &node.kind else {
            return false;
        };
        // The subprocess comes back, with the variables it had, to undo its insides.
        let scope = self.new_token(record.node, holder, Wait::Scope);
        if let Some(t) = self.inst.token_mut(scope) {
            t.compensating = Some(Compensating::Scope(report_to));
            t.vars = record.vars;
            t.compensable = record.inner;
        }
        let names: Vec<String> = self
            .inst
            .token(scope)
            .map(|t| t.vars.iter().map(|v| v.name.clone()).collect())
            .unwrap_or_default();
        for name in names {
            self.out.variables.push(VariableChange {
                scope,
                name,
                removed: false,
                created: true,
            });
        }
        if let Some((esp, start)) = compensation_event_subprocess(g, &sub.scope) {
            // The compensation event subprocess runs instead of the inner handlers.
            let esp_token = self.new_token(esp, scope, Wait::Scope);
            if let Some(t) = self.inst.token_mut(esp_token) {
                t.compensating = Some(Compensating::Scope(scope));
            }
            self.enter_triggered(start, esp_token, Vec::new());
            return true;
        }
        let inner = self.take_compensable(scope, None);
        if self.compensate(inner, scope, scope) == 0 {
            self.end_token(scope, false);
            return false;
        }
        true
    }

    /// A token that was running compensation for `report_to` is done; when nothing
    /// else runs for it, `report_to` carries on.
    pub(super) fn compensation_done(&mut self, report_to: Id) -> Result<(), RuntimeError> {
        let Some(t) = self.inst.token(report_to) else {
            return Ok(());
        };
        let busy = self.inst.tokens.iter().any(|x| {
            matches!(
                x.compensating,
                Some(Compensating::Handler(r) | Compensating::Scope(r)) if r == report_to
            )
        });
        if busy {
            return Ok(());
        }
        match (t.compensating, t.wait) {
            (Some(Compensating::Scope(up)), _) => {
                self.end_token(report_to, false);
                self.compensation_done(up)
            }
            (_, Wait::Compensating) => self.resume_after_compensation(report_to),
            _ => Ok(()),
        }
    }

    /// The throw event `token` continues once its compensation is complete.
    fn resume_after_compensation(&mut self, token: Id) -> Result<(), RuntimeError> {
        let g = self.g;
        let Some(idx) = self.inst.token(token).and_then(|t| t.node) else {
            return Ok(());
        };
        self.set_wait(token, Wait::Active);
        match &g.node(idx).kind {
            NodeKind::EndEvent {
                result: ThrowResult::Cancel,
            } => self.cancel_transaction(token)?,
            NodeKind::EndEvent { .. } => self.end_path(token),
            _ => self.agenda.push(Op::Leave { token }),
        }
        Ok(())
    }

    /// Cancels the transaction around the cancel end event `token` (every instance of a
    /// multi-instance transaction) and takes its cancel boundary event.
    fn cancel_transaction(&mut self, token: Id) -> Result<(), RuntimeError> {
        let g = self.g;
        let transaction = self.scope_of(token);
        let host = match self.inst.token(transaction) {
            Some(t) if self.inst.is_inner(t) => t.parent.unwrap_or(transaction),
            _ => transaction,
        };
        let boundary = self.inst.token(host).and_then(|t| t.node).and_then(|n| {
            g.node(n).boundary_events.iter().copied().find(|b| {
                matches!(
                    g.node(*b).kind,
                    NodeKind::Boundary {
                        trigger: EventTrigger::Cancel,
                        ..
                    }
                )
            })
        });
        let Some(boundary) = boundary else {
            let id = self
                .inst
                .token(token)
                .and_then(|t| t.node)
                .map_or_else(String::new, |n| g.node(n).id.to_string());
            return Err(RuntimeError::InvalidValue(format!(
                "Could not find cancel boundary event for cancel end event {id}"
            )));
        };
        let scope = self.scope_of(host);
        self.cancel(host)?;
        self.enter_triggered(boundary, scope, Vec::new());
        Ok(())
    }
}

/// The compensation event subprocess of `scope` and its start event, if any.
fn compensation_event_subprocess(
    g: &ProcessGraph,
    scope: &crate::bpmn::Scope,
) -> Option<(NodeIdx, NodeIdx)> {
    scope
        .event_subprocesses
        .iter()
        .find_map(|&esp| match &g.node(esp).kind {
            NodeKind::SubProcess(sub) => sub
                .scope
                .starts
                .iter()
                .copied()
                .find(|s| {
                    matches!(
                        g.node(*s).kind,
                        NodeKind::StartEvent {
                            trigger: EventTrigger::Compensation,
                            ..
                        }
                    )
                })
                .map(|start| (esp, start)),
            _ => None,
        })
}
