//! Call activities: start another process (the server creates it, linked to this token),
//! wait for it, and copy variables in and out with `camunda:in` / `camunda:out`.

use crate::bpmn::{CallActivityDef, MappingSource, VarMapping};

use super::*;
use crate::runtime::effects::CallSpec;

impl Machine<'_, '_> {
    /// Evaluates what to call and with which variables, and waits for the child.
    pub(super) fn start_call(
        &mut self,
        token: Id,
        idx: NodeIdx,
        def: &CallActivityDef,
    ) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let key = self
            .eval_string(token, node, &def.called_element)?
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                RuntimeError::InvalidValue(format!(
                    "the calledElement of call activity '{}' evaluated to null",
                    node.id
                ))
            })?;
        let version = match &def.version {
            Some(v) => {
                let value = self.eval(token, node, v)?;
                Some(
                    to_i64(&value)
                        .and_then(|n| i32::try_from(n).ok())
                        .ok_or_else(|| {
                            RuntimeError::InvalidValue(format!(
                                "the calledElementVersion of call activity '{}' is not a number",
                                node.id
                            ))
                        })?,
                )
            }
            None => None,
        };
        let version_tag = match &def.version_tag {
            Some(v) => self.eval_string(token, node, v)?,
            None => None,
        };
        let tenant_id = match &def.tenant_id {
            Some(v) => self.eval_string(token, node, v)?,
            None => None,
        };
        let business_key = match &def.business_key {
            Some(v) => self.eval_string(token, node, v)?,
            None => None,
        };
        let mut variables = Variables::new();
        for mapping in &def.ins {
            match mapping {
                VarMapping::All { local } => {
                    let visible = self.visible(token, *local);
                    for (name, value) in visible {
                        variables.set(&name, value);
                    }
                }
                VarMapping::One {
                    source,
                    target,
                    local,
                } => {
                    let value = match source {
                        // `local="true"` reads the call activity's own variables only.
                        MappingSource::Variable(name) if *local => self
                            .inst
                            .token(token)
                            .and_then(|t| t.vars.get(name).cloned())
                            .unwrap_or(Value::Null),
                        MappingSource::Variable(name) => scope::lookup(self.inst, token, name)
                            .cloned()
                            .unwrap_or(Value::Null),
                        MappingSource::Expression(e) => self.eval(token, node, e)?.into_value(),
                    };
                    variables.set(target, value);
                }
            }
        }
        let child = self.env.ids.next_id();
        self.set_wait(token, Wait::Called(child));
        self.out
            .effects
            .push(Effect::CallStarted(Box::new(CallSpec {
                token,
                node: idx,
                child,
                key,
                binding: def.binding.clone(),
                version,
                version_tag,
                tenant_id,
                business_key,
                variables,
            })));
        Ok(())
    }

    /// The called instance completed with `child_vars`: map `camunda:out`, then leave.
    pub(super) fn called_completed(
        &mut self,
        token: Id,
        mut child_vars: Variables,
    ) -> Result<(), RuntimeError> {
        let t = self
            .inst
            .token(token)
            .ok_or(RuntimeError::UnknownExecution(token))?;
        let Some(idx) = t.node else {
            return Err(RuntimeError::UnknownExecution(token));
        };
        let node = self.g.node(idx);
        let NodeKind::Task(TaskKind::Call(def)) = &node.kind else {
            return Err(RuntimeError::UnknownExecution(token));
        };
        let mut outputs: Vec<(String, Value, bool)> = Vec::new();
        for mapping in &def.outs {
            match mapping {
                VarMapping::All { local } => {
                    for v in child_vars.iter() {
                        outputs.push((v.name.clone(), v.value.clone(), *local));
                    }
                }
                VarMapping::One {
                    source,
                    target,
                    local,
                } => {
                    let value = match source {
                        MappingSource::Variable(name) => {
                            child_vars.get(name).cloned().unwrap_or(Value::Null)
                        }
                        // Camunda evaluates out-expressions in the called instance.
                        MappingSource::Expression(e) => {
                            let mut ctx = scope::VariablesContext {
                                vars: &mut child_vars,
                                now: self.env.now,
                            };
                            e.evaluate(&mut ctx)
                                .map_err(|source| RuntimeError::Expression {
                                    element: node.id.to_string(),
                                    source,
                                })?
                                .into_value()
                        }
                    };
                    outputs.push((target.clone(), value, *local));
                }
            }
        }
        for (name, value, local) in outputs {
            if local {
                scope::set_local(
                    self.inst,
                    token,
                    &name,
                    value,
                    false,
                    &mut self.out.variables,
                );
            } else {
                scope::set(
                    self.inst,
                    token,
                    &name,
                    value,
                    false,
                    &mut self.out.variables,
                );
            }
        }
        self.set_wait(token, Wait::Active);
        self.agenda.push(Op::Leave { token });
        Ok(())
    }

    /// Every variable visible from `token` (or only its own when `local`).
    fn visible(&self, token: Id, local: bool) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut cur = Some(token);
        while let Some(id) = cur {
            let Some(t) = self.inst.token(id) else { break };
            for v in t.vars.iter().filter(|v| !v.transient) {
                if !out.iter().any(|(n, _)| *n == v.name) {
                    out.push((v.name.clone(), v.value.clone()));
                }
            }
            if local {
                break;
            }
            cur = t.parent;
        }
        out
    }
}
