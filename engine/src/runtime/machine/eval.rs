//! Expressions, variables and input/output mappings as seen from a token.

use super::*;

impl Machine<'_, '_> {
    pub(super) fn scope_of(&self, token: Id) -> Id {
        self.inst
            .token(token)
            .and_then(|t| t.parent)
            .unwrap_or(self.inst.id)
    }

    /// See [`scope::variable_scope`].
    pub(super) fn variable_scope(&self, token: Id) -> Id {
        scope::variable_scope(self.g, self.inst, token)
    }

    pub(super) fn set_all(&mut self, token: Id, vars: Variables, local: bool) {
        let local_scope = if local {
            self.variable_scope(token)
        } else {
            token
        };
        for v in vars.iter() {
            if local {
                scope::set_local(
                    self.inst,
                    local_scope,
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

    pub(super) fn context(&mut self, token: Id) -> TokenContext<'_> {
        TokenContext {
            graph: self.g,
            inst: self.inst,
            token,
            now: self.env.now,
            definition_id: self.env.definition_id,
            tenant_id: self.env.tenant_id,
            user: self.env.user,
            changes: &mut self.out.variables,
            task: None,
            external_task: Vec::new(),
        }
    }

    pub(super) fn eval(
        &mut self,
        token: Id,
        node: &Node,
        expr: &Expression,
    ) -> Result<ElValue, RuntimeError> {
        let element = &node.id;
        expr.evaluate(&mut self.context(token))
            .map_err(|source| RuntimeError::Expression {
                element: element.to_string(),
                source,
            })
    }

    pub(super) fn eval_string(
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

    /// Runs a script or expression for `token`.
    pub(super) fn run_script(
        &mut self,
        token: Id,
        node: &Node,
        script: &crate::bpmn::Script,
    ) -> Result<ElValue, RuntimeError> {
        let element = &node.id;
        crate::script::run(script, &mut self.context(token)).map_err(|source| {
            RuntimeError::Expression {
                element: element.to_string(),
                source,
            }
        })
    }

    /// A sequence flow condition (an expression or a script).
    pub(super) fn script_condition(
        &mut self,
        token: Id,
        node: &Node,
        script: &crate::bpmn::Script,
    ) -> Result<bool, RuntimeError> {
        let element = &node.id;
        crate::script::condition(script, &mut self.context(token)).map_err(|source| {
            RuntimeError::Expression {
                element: element.to_string(),
                source,
            }
        })
    }

    /// Runs the node's execution listeners for `event`.
    pub(super) fn run_listeners(
        &mut self,
        token: Id,
        node: &Node,
        event: ListenerEvent,
    ) -> Result<(), RuntimeError> {
        for listener in node
            .listeners
            .iter()
            .filter(|l| l.event == event && !l.task)
        {
            self.run_script(token, node, &listener.action)?;
        }
        Ok(())
    }

    /// Runs the execution listeners of the `<process>` element for `event`.
    pub(super) fn run_process_listeners(
        &mut self,
        event: ListenerEvent,
    ) -> Result<(), RuntimeError> {
        let g = self.g;
        let root = self.inst.id;
        for listener in g.listeners.iter().filter(|l| l.event == event) {
            crate::script::run(&listener.action, &mut self.context(root)).map_err(|source| {
                RuntimeError::Expression {
                    element: g.key.clone(),
                    source,
                }
            })?;
        }
        Ok(())
    }

    pub(super) fn condition(
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
    pub(super) fn eval_list(
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

    pub(super) fn eval_date(
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

    pub(super) fn map_inputs(
        &mut self,
        token: Id,
        node: &Node,
        io: &IoMapping,
    ) -> Result<(), RuntimeError> {
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

    pub(super) fn map_outputs(
        &mut self,
        token: Id,
        node: &Node,
        io: &IoMapping,
    ) -> Result<(), RuntimeError> {
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

    pub(super) fn param(
        &mut self,
        token: Id,
        node: &Node,
        value: &ParamValue,
    ) -> Result<ElValue, RuntimeError> {
        Ok(match value {
            ParamValue::Null => ElValue::Null,
            ParamValue::Script(script) => self.run_script(token, node, script)?,
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
