//! Gateways: exclusive, parallel, inclusive (fork and join), event-based.

use super::*;

impl Machine<'_, '_> {
    pub(super) fn gateway(
        &mut self,
        token: Id,
        idx: NodeIdx,
        kind: GatewayKind,
    ) -> Result<(), RuntimeError> {
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
                        Some(c) => self.script_condition(token, node, c)?,
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
    pub(super) fn inclusive_split(
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
                Some(c) => self.script_condition(token, node, c)?,
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
    pub(super) fn fire_ready_inclusive_joins(&mut self) -> Result<bool, RuntimeError> {
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
}
