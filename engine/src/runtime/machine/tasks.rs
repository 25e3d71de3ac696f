//! Tasks that wait for the outside: external tasks and user tasks.

use super::*;

impl Machine<'_, '_> {
    pub(super) fn open_external_task(
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

    pub(super) fn open_user_task(
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
        let mut spec = UserTaskSpec {
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
        };
        for listener in node
            .listeners
            .iter()
            .filter(|l| l.task && l.event == ListenerEvent::Create)
        {
            let mut ctx = self.context(token);
            ctx.task = Some(&mut spec);
            crate::script::run(&listener.action, &mut ctx).map_err(|source| {
                RuntimeError::Expression {
                    element: node.id.to_string(),
                    source,
                }
            })?;
        }
        self.out
            .effects
            .push(Effect::UserTaskCreated(Box::new(spec)));
        Ok(())
    }

    // ----- events ---------------------------------------------------------------------
}

impl Machine<'_, '_> {
    /// Runs the task listeners for `event` of the user task `task` waiting at `token`.
    pub(super) fn run_task_listeners(
        &mut self,
        token: Id,
        task: Id,
        event: ListenerEvent,
    ) -> Result<(), RuntimeError> {
        let g = self.g;
        let Some(idx) = self.inst.token(token).and_then(|t| t.node) else {
            return Ok(());
        };
        let node = g.node(idx);
        for listener in node.listeners.iter().filter(|l| l.task && l.event == event) {
            let mut spec = UserTaskSpec {
                id: task,
                token,
                node: Some(idx),
                name: node.name.as_deref().map(str::to_owned),
                description: None,
                assignee: None,
                candidate_users: Vec::new(),
                candidate_groups: Vec::new(),
                due: None,
                follow_up: None,
                priority: 50,
                form_key: None,
                created: self.env.now,
            };
            let mut ctx = self.context(token);
            ctx.task = Some(&mut spec);
            crate::script::run(&listener.action, &mut ctx).map_err(|source| {
                RuntimeError::Expression {
                    element: node.id.to_string(),
                    source,
                }
            })?;
        }
        Ok(())
    }

    /// The first `camunda:errorEventDefinition` of the external task at `token` whose
    /// expression holds, as (error code, message); the `externalTask` bean carries the
    /// failure's message and details.
    pub(super) fn matching_error_event(
        &mut self,
        token: Id,
        error_message: Option<String>,
        error_details: Option<String>,
    ) -> Result<Option<ThrownError>, RuntimeError> {
        let g = self.g;
        let Some(t) = self.inst.token(token) else {
            return Ok(None);
        };
        let (Some(idx), Wait::ExternalTask(task)) = (t.node, t.wait) else {
            return Ok(None);
        };
        let node = g.node(idx);
        let def = match &node.kind {
            NodeKind::Task(TaskKind::External(def)) => def,
            NodeKind::IntermediateThrow {
                result:
                    ThrowResult::Message {
                        external: Some(def),
                    },
            }
            | NodeKind::EndEvent {
                result:
                    ThrowResult::Message {
                        external: Some(def),
                    },
            } => def,
            _ => return Ok(None),
        };
        if def.error_events.is_empty() {
            return Ok(None);
        }
        let text = |s: &Option<String>| {
            s.as_ref()
                .map_or(ElValue::Null, |s| ElValue::String(s.clone()))
        };
        let bean = vec![
            ("id", ElValue::String(task.to_string())),
            ("activityId", ElValue::String(node.id.to_string())),
            (
                "processInstanceId",
                ElValue::String(self.inst.id.to_string()),
            ),
            ("executionId", ElValue::String(token.to_string())),
            ("errorMessage", text(&error_message)),
            ("errorDetails", text(&error_details)),
        ];
        for e in &def.error_events {
            let mut ctx = self.context(token);
            ctx.external_task = bean.clone();
            let hit = e
                .expression
                .evaluate_condition(&mut ctx)
                .map_err(|source| RuntimeError::Expression {
                    element: node.id.to_string(),
                    source,
                })?;
            if hit {
                let message = match &e.message {
                    Some(m) => self.eval_string(token, node, m)?,
                    None => error_message.clone(),
                };
                return Ok(Some((e.code.clone(), message)));
            }
        }
        Ok(None)
    }
}

/// A BPMN error to throw: (error code, message).
type ThrownError = (Option<String>, Option<String>);
