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
}
