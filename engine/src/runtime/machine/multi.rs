//! Multi-instance activities, as Camunda runs them: a body (`<id>#multiInstanceBody`)
//! holding `nrOfInstances`, `nrOfActiveInstances` and `nrOfCompletedInstances`, and inner
//! instances with a local `loopCounter` (and element variable), in parallel or one after
//! another, until all completed or the completion condition holds.

use super::*;

impl Machine<'_, '_> {
    /// The body starts: count the instances, set the counters, start the first (or all).
    pub(super) fn start_multi_instance(
        &mut self,
        body: Id,
        idx: NodeIdx,
    ) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let Some(mi) = &node.multi else {
            return Ok(());
        };
        let count = match (&mi.collection, &mi.cardinality) {
            (Some(collection), _) => self.collection(body, node, collection)?.len(),
            (None, Some(cardinality)) => {
                let v = self.eval(body, node, cardinality)?;
                let n = to_i64(&v).ok_or_else(|| {
                    RuntimeError::InvalidValue(format!(
                        "ENGINE-02027 Could not resolve expression from type '{}'. Expression '{}' needs to be a number or number String.",
                        v.java_class(),
                        cardinality.source()
                    ))
                })?;
                usize::try_from(n).map_err(|_| {
                    RuntimeError::InvalidValue(format!(
                        "ENGINE-02023 Invalid number of 'loopCardinality': must be positive integer value or zero, but was '{n}'."
                    ))
                })?
            }
            (None, None) => 0,
        };
        let n = i32::try_from(count).unwrap_or(i32::MAX);
        let active = if mi.sequential { n.min(1) } else { n };
        for (name, value) in [
            ("nrOfInstances", n),
            ("nrOfActiveInstances", active),
            ("nrOfCompletedInstances", 0),
        ] {
            scope::set_local(
                self.inst,
                body,
                name,
                Value::Integer(value),
                false,
                &mut self.out.variables,
            );
        }
        self.set_wait(body, Wait::Scope);
        if n == 0 {
            self.agenda.push(Op::Leave { token: body });
            return Ok(());
        }
        let starts = if mi.sequential { 1 } else { n };
        for index in (0..starts).rev() {
            self.agenda.push(Op::EnterInner {
                node: idx,
                body,
                index: index as u32,
            });
        }
        Ok(())
    }

    /// Inner instance `index` starts, with its `loopCounter` and element variable.
    pub(super) fn enter_inner(
        &mut self,
        idx: NodeIdx,
        body: Id,
        index: u32,
    ) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let Some(mi) = &node.multi else {
            return Ok(());
        };
        let token = self.new_token_quiet(idx, body, Wait::Active);
        scope::set_local(
            self.inst,
            token,
            "loopCounter",
            Value::Integer(i32::try_from(index).unwrap_or(i32::MAX)),
            false,
            &mut self.out.variables,
        );
        if let (Some(var), Some(collection)) = (&mi.element_variable, &mi.collection) {
            let element = self
                .collection(body, node, collection)?
                .into_iter()
                .nth(index as usize)
                .unwrap_or(ElValue::Null);
            scope::set_local(
                self.inst,
                token,
                var,
                element.into_value(),
                false,
                &mut self.out.variables,
            );
        }
        if mi.inner_asynchrony.before {
            self.wait_for_continuation(token, idx, false);
            return Ok(());
        }
        self.activate(token)
    }

    /// An inner instance completed: update the counters; start the next one, or
    /// complete the body when all are done or the completion condition holds.
    pub(super) fn inner_instance_done(
        &mut self,
        token: Id,
        idx: NodeIdx,
        body: Id,
    ) -> Result<(), RuntimeError> {
        let node = self.g.node(idx);
        let Some(mi) = &node.multi else {
            return Ok(());
        };
        let counter = |m: &Self, name: &str| -> i32 {
            match m.inst.token(body).and_then(|b| b.vars.get(name)) {
                Some(Value::Integer(n)) => *n,
                Some(v) => v.as_i64().and_then(|n| i32::try_from(n).ok()).unwrap_or(0),
                None => 0,
            }
        };
        let total = counter(self, "nrOfInstances");
        let completed = counter(self, "nrOfCompletedInstances") + 1;
        let active = (counter(self, "nrOfActiveInstances") - 1).max(0);
        scope::set_local(
            self.inst,
            body,
            "nrOfCompletedInstances",
            Value::Integer(completed),
            false,
            &mut self.out.variables,
        );
        scope::set_local(
            self.inst,
            body,
            "nrOfActiveInstances",
            Value::Integer(active),
            false,
            &mut self.out.variables,
        );
        let done_by_condition = match &mi.completion_condition {
            Some(c) => self.condition(token, node, c)?,
            None => false,
        };
        let loop_counter = self
            .inst
            .token(token)
            .and_then(|t| t.vars.get("loopCounter"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        self.end_token(token, false);
        if done_by_condition || completed >= total {
            let others: Vec<Id> = self.inst.children(body).map(|t| t.id).collect();
            for other in others {
                self.cancel(other)?;
            }
            self.agenda
                .retain(|op| !matches!(op, Op::EnterInner { body: b, .. } if *b == body));
            self.agenda.push(Op::Leave { token: body });
        } else if mi.sequential {
            scope::set_local(
                self.inst,
                body,
                "nrOfActiveInstances",
                Value::Integer(1),
                false,
                &mut self.out.variables,
            );
            self.agenda.push(Op::EnterInner {
                node: idx,
                body,
                index: u32::try_from(loop_counter + 1).unwrap_or(u32::MAX),
            });
        }
        Ok(())
    }

    /// The elements of `camunda:collection`: a variable named by plain text, or an
    /// expression's value (a list, a JSON array, or a map's values).
    fn collection(
        &mut self,
        token: Id,
        node: &Node,
        collection: &Expression,
    ) -> Result<Vec<ElValue>, RuntimeError> {
        let value = match collection.literal_text() {
            Some(name) => {
                let name = name.trim();
                scope::lookup(self.inst, token, name)
                    .map(ElValue::from_value)
                    .ok_or_else(|| {
                        RuntimeError::InvalidValue(format!(
                            "ENGINE-02026 Couldn't resolve collection expression nor variable reference: the variable '{name}' of multi-instance activity '{}' does not exist",
                            node.id
                        ))
                    })?
            }
            None => self.eval(token, node, collection)?,
        };
        match value {
            ElValue::List(items) => Ok(items),
            ElValue::Map(entries) => Ok(entries.into_iter().map(|(_, v)| v).collect()),
            ElValue::Typed(Value::Json(text)) => json_items(&text, node),
            ElValue::Typed(Value::Object(o))
                if o.format.as_deref() == Some(crate::value::JSON_FORMAT) =>
            {
                json_items(&o.serialized, node)
            }
            ElValue::Null => Ok(Vec::new()),
            other => Err(RuntimeError::InvalidValue(format!(
                "ENGINE-02025 Variable '{}' is not from type 'java.util.Collection' (it is a {}).",
                collection.source(),
                other.java_class()
            ))),
        }
    }
}

fn json_items(text: &str, node: &Node) -> Result<Vec<ElValue>, RuntimeError> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(items)) => Ok(items
            .into_iter()
            .map(|i| ElValue::from_value(&json_to_value(i)))
            .collect()),
        _ => Err(RuntimeError::InvalidValue(format!(
            "the collection of multi-instance activity '{}' is not a JSON array",
            node.id
        ))),
    }
}

/// A JSON element as the variable an element variable gets.
fn json_to_value(v: serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Boolean(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => i32::try_from(i).map_or(Value::Long(i), Value::Integer),
            None => Value::Double(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::String(s),
        other => Value::Json(other.to_string()),
    }
}
