//! Commands on user tasks: complete, claim, unclaim, assign.

use crate::ids::Id;
use crate::runtime::Command;
use crate::store::{UserTaskField, UserTaskRow};
use crate::value::Variables;

use super::error::{ServiceError, ServiceResult};
use super::work::Work;
use super::Engine;

fn missing(id: &str) -> ServiceError {
    ServiceError::NullValue(format!("Cannot find task with id {id}: task is null"))
}

async fn lock_task(work: &mut Work<'_>, id: &str) -> ServiceResult<UserTaskRow> {
    let task = work.tx().user_task(id).await?.ok_or_else(|| missing(id))?;
    work.load(&task.instance_id).await?;
    work.tx().user_task(id).await?.ok_or_else(|| missing(id))
}

impl Engine {
    /// Completes a user task with variables; returns the process variables afterwards
    /// (for `withVariablesInReturn`).
    pub async fn complete_user_task(
        &self,
        id: &str,
        variables: Variables,
    ) -> ServiceResult<Variables> {
        let task: Id = id.parse().map_err(|_| missing(id))?;
        transact!(self, work, {
            let variables = variables.clone();

            let row = lock_task(work, id).await?;
            let execution = row.execution_id.clone();
            work.apply(
                &row.instance_id,
                Command::CompleteUserTask { task, variables },
            )
            .await?;
            // The variables visible from where the task was, after completion.
            let visible = work
                .state(&row.instance_id)
                .map(|s| {
                    let scope = s
                        .token(execution.parse().unwrap_or(s.id))
                        .and_then(|t| t.parent)
                        .unwrap_or(s.id);
                    super::fetch::visible_variables(s, &scope.to_string(), false, None)
                })
                .unwrap_or_default();
            Ok(visible.into_iter().collect())
        })
    }

    /// Claims a task for `user`; claiming a task assigned to someone else fails.
    pub async fn claim_user_task(&self, id: &str, user: &str) -> ServiceResult<()> {
        transact!(self, work, {
            let row = lock_task(work, id).await?;
            match row.assignee.as_deref() {
                Some(current) if current != user => {
                    return Err(ServiceError::AlreadyClaimed(format!(
                        "Task '{id}' is already claimed by someone else."
                    )))
                }
                _ => {}
            }
            let now = work.now();
            work.tx()
                .set_user_task_field(id, UserTaskField::Assignee, Some(user), now)
                .await?;
            Ok(())
        })
    }

    /// Sets (or with None clears) a task's assignee, whoever had it.
    pub async fn set_user_task_assignee(&self, id: &str, user: Option<&str>) -> ServiceResult<()> {
        transact!(self, work, {
            lock_task(work, id).await?;
            let now = work.now();
            work.tx()
                .set_user_task_field(id, UserTaskField::Assignee, user, now)
                .await?;
            Ok(())
        })
    }
}
