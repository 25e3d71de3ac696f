//! Variable scopes and the expression context of a token.
//!
//! Reading a variable looks at the token's own variables, then its parent's, up to the
//! process instance. Writing follows Camunda's `setVariable`: the value goes to the
//! nearest scope that already has the variable, else to the process instance.

use crate::bpmn::ProcessGraph;
use crate::expr::{Bean, Context, ElValue, EvalError};
use crate::ids::Id;
use crate::time::Timestamp;
use crate::value::Value;

use super::effects::VariableChange;
use super::state::Instance;

/// The value of `name` as seen from `from`.
pub fn lookup<'a>(inst: &'a Instance, from: Id, name: &str) -> Option<&'a Value> {
    let mut cur = Some(from);
    while let Some(id) = cur {
        let token = inst.token(id)?;
        if let Some(v) = token.vars.get(name) {
            return Some(v);
        }
        cur = token.parent;
    }
    None
}

/// Where Camunda keeps the local variables of the execution at `token`: an activity
/// that is no scope of its own (no input/output mapping, no boundary event, not a
/// subprocess or multi-instance) runs in its enclosing scope's execution, so its "local"
/// variables belong to that scope.
pub fn variable_scope(graph: &ProcessGraph, inst: &Instance, token: Id) -> Id {
    let Some(t) = inst.token(token) else {
        return token;
    };
    let Some(idx) = t.node else {
        return token;
    };
    let node = graph.node(idx);
    let is_scope = t.body
        || inst.is_inner(t)
        || node.io.is_some()
        || !node.boundary_events.is_empty()
        || matches!(node.kind, crate::bpmn::NodeKind::SubProcess(_));
    if is_scope {
        token
    } else {
        t.parent.unwrap_or(token)
    }
}

/// Sets `name` as `execution.setVariable` does, starting at `from`.
pub fn set(
    inst: &mut Instance,
    from: Id,
    name: &str,
    value: Value,
    transient: bool,
    changes: &mut Vec<VariableChange>,
) {
    let mut target = inst.id;
    let mut cur = Some(from);
    while let Some(id) = cur {
        let Some(token) = inst.token(id) else { break };
        if token.vars.contains(name) {
            target = id;
            break;
        }
        cur = token.parent;
    }
    set_local(inst, target, name, value, transient, changes);
}

/// Sets `name` in the scope of `token` itself.
pub fn set_local(
    inst: &mut Instance,
    token: Id,
    name: &str,
    value: Value,
    transient: bool,
    changes: &mut Vec<VariableChange>,
) {
    if let Some(t) = inst.token_mut(token) {
        let created = !t.vars.contains(name);
        t.vars.set_with(name, value, transient);
        if !transient {
            changes.push(VariableChange {
                scope: token,
                name: name.to_owned(),
                removed: false,
                created,
            });
        }
    }
}

/// Removes `name` from the nearest scope that has it, starting at `from`.
pub fn remove(inst: &mut Instance, from: Id, name: &str, changes: &mut Vec<VariableChange>) {
    let mut cur = Some(from);
    while let Some(id) = cur {
        let Some(token) = inst.token_mut(id) else {
            return;
        };
        if token.vars.remove(name).is_some() {
            changes.push(VariableChange {
                scope: id,
                name: name.to_owned(),
                removed: true,
                created: false,
            });
            return;
        }
        cur = token.parent;
    }
}

/// What an expression sees while running for a token.
pub struct TokenContext<'a> {
    /// The process.
    pub graph: &'a ProcessGraph,
    /// The instance.
    pub inst: &'a mut Instance,
    /// The token the expression runs for.
    pub token: Id,
    /// Current time.
    pub now: Timestamp,
    /// The process definition id, for `execution.processDefinitionId`.
    pub definition_id: &'a str,
    /// The tenant, for `execution.tenantId`.
    pub tenant_id: Option<&'a str>,
    /// The authenticated user, if any.
    pub user: Option<&'a str>,
    /// Where variable writes are recorded.
    pub changes: &'a mut Vec<VariableChange>,
    /// The user task a task listener runs for (the `task` bean).
    pub task: Option<&'a mut crate::runtime::UserTaskSpec>,
    /// Properties of the external task an error event definition is evaluated for (the
    /// `externalTask` bean).
    pub external_task: Vec<(&'static str, ElValue)>,
}

impl Context for TokenContext<'_> {
    fn resolve(&self, name: &str) -> Option<ElValue> {
        match name {
            "execution" => return Some(ElValue::Bean(Bean::Execution)),
            "task" if self.task.is_some() => return Some(ElValue::Bean(Bean::Task)),
            "externalTask" if !self.external_task.is_empty() => {
                return Some(ElValue::Bean(Bean::ExternalTask))
            }
            "authenticatedUserId" => {
                return Some(
                    self.user
                        .map_or(ElValue::Null, |u| ElValue::String(u.to_owned())),
                )
            }
            _ => {}
        }
        self.variable(name)
    }

    fn variable(&self, name: &str) -> Option<ElValue> {
        lookup(self.inst, self.token, name).map(ElValue::from_value)
    }

    fn variable_local(&self, name: &str) -> Option<ElValue> {
        self.inst
            .token(self.token)
            .and_then(|t| t.vars.get(name))
            .map(ElValue::from_value)
    }

    fn variable_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut cur = Some(self.token);
        while let Some(id) = cur {
            let Some(token) = self.inst.token(id) else {
                break;
            };
            for v in token.vars.iter() {
                if !names.contains(&v.name) {
                    names.push(v.name.clone());
                }
            }
            cur = token.parent;
        }
        names
    }

    fn set_variable(&mut self, name: &str, value: ElValue) -> Result<(), EvalError> {
        set(
            self.inst,
            self.token,
            name,
            value.into_value(),
            false,
            self.changes,
        );
        Ok(())
    }

    fn set_variable_local(&mut self, name: &str, value: ElValue) -> Result<(), EvalError> {
        set_local(
            self.inst,
            self.token,
            name,
            value.into_value(),
            false,
            self.changes,
        );
        Ok(())
    }

    fn remove_variable(&mut self, name: &str) -> Result<(), EvalError> {
        remove(self.inst, self.token, name, self.changes);
        Ok(())
    }

    fn bean_property(&self, bean: Bean, property: &str) -> Option<ElValue> {
        match bean {
            Bean::Execution => {}
            Bean::ExternalTask => {
                return self
                    .external_task
                    .iter()
                    .find(|(k, _)| *k == property)
                    .map(|(_, v)| v.clone());
            }
            Bean::Task => {
                let task = self.task.as_deref()?;
                let text = |s: &Option<String>| {
                    s.as_ref()
                        .map_or(ElValue::Null, |s| ElValue::String(s.clone()))
                };
                return match property {
                    "id" => Some(ElValue::String(task.id.to_string())),
                    "name" => Some(text(&task.name)),
                    "assignee" => Some(text(&task.assignee)),
                    "description" => Some(text(&task.description)),
                    "priority" => Some(ElValue::Long(task.priority)),
                    "formKey" => Some(text(&task.form_key)),
                    "dueDate" => Some(task.due.map_or(ElValue::Null, ElValue::Date)),
                    "followUpDate" => Some(task.follow_up.map_or(ElValue::Null, ElValue::Date)),
                    "processInstanceId" => Some(ElValue::String(self.inst.id.to_string())),
                    "executionId" => Some(ElValue::String(task.token.to_string())),
                    "taskDefinitionKey" => task
                        .node
                        .map(|n| ElValue::String(self.graph.node(n).id.to_string())),
                    "eventName" => Some(ElValue::Null),
                    _ => None,
                };
            }
        }
        let token = self.inst.token(self.token)?;
        let node = token.node.map(|n| self.graph.node(n));
        let text = |s: &str| Some(ElValue::String(s.to_owned()));
        match property {
            "id" => text(&token.id.to_string()),
            "processInstanceId" => text(&self.inst.id.to_string()),
            "processBusinessKey" | "businessKey" => Some(
                self.inst
                    .business_key
                    .as_ref()
                    .map_or(ElValue::Null, |k| ElValue::String(k.clone())),
            ),
            "processDefinitionId" => text(self.definition_id),
            "activityId" | "currentActivityId" => match node {
                Some(n) => text(&n.id),
                None => Some(ElValue::Null),
            },
            "currentActivityName" | "activityName" => Some(
                node.and_then(|n| n.name.as_deref())
                    .map_or(ElValue::Null, |n| ElValue::String(n.to_owned())),
            ),
            "parentId" => Some(
                token
                    .parent
                    .map_or(ElValue::Null, |p| ElValue::String(p.to_string())),
            ),
            "tenantId" => Some(
                self.tenant_id
                    .map_or(ElValue::Null, |t| ElValue::String(t.to_owned())),
            ),
            "eventName" => Some(ElValue::Null),
            _ => None,
        }
    }

    fn set_bean_property(
        &mut self,
        bean: Bean,
        property: &str,
        value: ElValue,
    ) -> Result<bool, EvalError> {
        let Some(task) = self.task.as_deref_mut() else {
            return Ok(false);
        };
        if bean != Bean::Task {
            return Ok(false);
        }
        let text = |v: ElValue| match v {
            ElValue::Null => None,
            other => Some(other.into_value_string()),
        };
        match property {
            "assignee" => task.assignee = text(value),
            "name" => task.name = text(value),
            "description" => task.description = text(value),
            "formKey" => task.form_key = text(value),
            "priority" => {
                task.priority = match value {
                    ElValue::Int(n) => i64::from(n),
                    ElValue::Long(n) => n,
                    other => other.into_value_string().parse().unwrap_or(task.priority),
                }
            }
            "dueDate" => {
                task.due = match value {
                    ElValue::Date(t) | ElValue::DateTime(t) => Some(t),
                    _ => None,
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn now(&self) -> Timestamp {
        self.now
    }

    fn current_user(&self) -> Option<String> {
        self.user.map(str::to_owned)
    }

    fn current_user_groups(&self) -> Vec<String> {
        Vec::new()
    }
}

/// An expression context over a plain set of variables (no tokens): what an expression
/// sees when it is evaluated against another instance's variables, such as a call
/// activity's `camunda:out sourceExpression`, which Camunda evaluates in the called
/// instance after it ended.
pub struct VariablesContext<'a> {
    /// The variables; writes go here too.
    pub vars: &'a mut crate::value::Variables,
    /// Current time.
    pub now: Timestamp,
}

impl Context for VariablesContext<'_> {
    fn resolve(&self, name: &str) -> Option<ElValue> {
        self.variable(name)
    }

    fn variable(&self, name: &str) -> Option<ElValue> {
        self.vars.get(name).map(ElValue::from_value)
    }

    fn variable_local(&self, name: &str) -> Option<ElValue> {
        self.variable(name)
    }

    fn variable_names(&self) -> Vec<String> {
        self.vars.iter().map(|v| v.name.clone()).collect()
    }

    fn set_variable(&mut self, name: &str, value: ElValue) -> Result<(), EvalError> {
        self.vars.set(name, value.into_value());
        Ok(())
    }

    fn set_variable_local(&mut self, name: &str, value: ElValue) -> Result<(), EvalError> {
        self.set_variable(name, value)
    }

    fn remove_variable(&mut self, name: &str) -> Result<(), EvalError> {
        self.vars.remove(name);
        Ok(())
    }

    fn bean_property(&self, _bean: Bean, _property: &str) -> Option<ElValue> {
        None
    }

    fn now(&self) -> Timestamp {
        self.now
    }

    fn current_user(&self) -> Option<String> {
        None
    }

    fn current_user_groups(&self) -> Vec<String> {
        Vec::new()
    }
}
