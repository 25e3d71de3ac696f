//! Commands on external tasks: complete, failure, BPMN error, and lock management, with
//! Camunda's rules for lock ownership, retries and incidents.

use crate::ids::Id;
use crate::runtime::Command;
use crate::store::{ExternalTaskRow, IncidentRow};
use crate::value::Variables;

use super::error::{ServiceError, ServiceResult};
use super::ids::new_id;
use super::work::Work;
use super::Engine;

/// Camunda truncates failure messages to this many characters.
pub const MAX_ERROR_MESSAGE: usize = 666;

/// A failure report.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    /// The worker.
    pub worker_id: String,
    /// What went wrong.
    pub error_message: Option<String>,
    /// Details (a stack trace).
    pub error_details: Option<String>,
    /// Retries left after this failure (a missing value means 0, as in Camunda).
    pub retries: i32,
    /// Milliseconds until the task may be fetched again.
    pub retry_timeout: i64,
    /// Variables to set on the task's execution.
    pub variables: Variables,
    /// Variables to set locally.
    pub local_variables: Variables,
}

fn not_found(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("External task with id {id} does not exist"))
}

fn task_id(id: &str) -> ServiceResult<Id> {
    id.parse::<Id>().map_err(|_| not_found(id))
}

/// Loads the task and locks its instance, so that no other command on the instance runs
/// until this one commits. Reads the task again under the lock.
async fn lock_task(work: &mut Work<'_>, id: &str) -> ServiceResult<ExternalTaskRow> {
    let instance = work
        .tx()
        .lock_instance_of_task(id)
        .await?
        .ok_or_else(|| not_found(id))?;
    work.adopt(instance).await?;
    work.tx()
        .external_task(id)
        .await?
        .ok_or_else(|| not_found(id))
}

fn check_worker(task: &ExternalTaskRow, worker: &str, action: &str) -> ServiceResult<()> {
    if task.worker_id.as_deref() != Some(worker) {
        return Err(ServiceError::Lock(format!(
            "External Task {} cannot be {action} by worker '{worker}'. It is locked by worker '{}'.",
            task.id,
            task.worker_id.as_deref().unwrap_or("null")
        )));
    }
    Ok(())
}

fn incident(task: &ExternalTaskRow, message: Option<&str>, now: i64) -> IncidentRow {
    IncidentRow {
        id: new_id(),
        incident_type: "failedExternalTask".to_owned(),
        created: now,
        instance_id: Some(task.instance_id.clone()),
        execution_id: Some(task.execution_id.clone()),
        activity_id: Some(task.activity_id.clone()),
        failed_activity_id: Some(task.activity_id.clone()),
        definition_id: Some(task.definition_id.clone()),
        configuration: Some(task.id.clone()),
        message: message.map(str::to_owned),
        tenant_id: task.tenant_id.clone(),
    }
}

/// Camunda's `setRetriesAndManageIncidents`: dropping to 0 raises an incident, raising
/// from 0 resolves it.
async fn manage_incidents(
    work: &mut Work<'_>,
    task: &ExternalTaskRow,
    retries: i32,
    message: Option<&str>,
) -> ServiceResult<()> {
    let had_retries = task.retries.is_none_or(|r| r > 0);
    let now = work.now();
    if had_retries && retries <= 0 {
        work.tx()
            .insert_incident(&incident(task, message, now))
            .await?;
    } else if !had_retries && retries > 0 {
        work.tx().delete_incidents(&task.id).await?;
    }
    Ok(())
}

impl Engine {
    /// A worker completes a task it holds.
    pub async fn complete_external_task(
        &self,
        id: &str,
        worker_id: &str,
        variables: Variables,
        local_variables: Variables,
    ) -> ServiceResult<()> {
        let task = task_id(id)?;
        transact!(self, work, {
            let (variables, local_variables) = (variables.clone(), local_variables.clone());

            let row = lock_task(work, id).await?;
            check_worker(&row, worker_id, "completed")?;
            work.apply(
                &row.instance_id,
                Command::CompleteExternalTask {
                    task,
                    variables,
                    local_variables,
                },
            )
            .await
        })
    }

    /// A worker reports a BPMN error, which the process may catch.
    pub async fn external_task_bpmn_error(
        &self,
        id: &str,
        worker_id: &str,
        code: &str,
        message: Option<String>,
        variables: Variables,
    ) -> ServiceResult<()> {
        let task = task_id(id)?;
        transact!(self, work, {
            let (variables, message) = (variables.clone(), message.clone());

            let row = lock_task(work, id).await?;
            check_worker(&row, worker_id, "reported a BPMN error")?;
            work.apply(
                &row.instance_id,
                Command::ExternalTaskBpmnError {
                    task,
                    code: code.to_owned(),
                    message,
                    variables,
                },
            )
            .await
        })
    }

    /// A worker reports a failure: the task keeps its worker, becomes fetchable again
    /// after the retry timeout, and raises an incident when no retries are left.
    pub async fn external_task_failure(&self, id: &str, failure: Failure) -> ServiceResult<()> {
        if failure.retries < 0 {
            return Err(ServiceError::Engine(
                "retries is not greater than or equal to 0".to_owned(),
            ));
        }
        transact!(self, work, {
            let failure = failure.clone();

            let row = lock_task(work, id).await?;
            check_worker(&row, &failure.worker_id, "failed")?;
            // camunda:errorEventDefinition may turn the failure into a BPMN error.
            let task: Id = id.parse().map_err(|_| not_found(id))?;
            work.apply(
                &row.instance_id,
                Command::ExternalTaskFailure {
                    task,
                    message: failure.error_message.clone(),
                    details: failure.error_details.clone(),
                },
            )
            .await?;
            if work.tx().external_task(id).await?.is_none() {
                return Ok(());
            }
            let message: Option<String> = failure
                .error_message
                .as_deref()
                .map(|m| m.chars().take(MAX_ERROR_MESSAGE).collect());
            let lock_until = work.now().saturating_add(failure.retry_timeout.max(0));
            manage_incidents(work, &row, failure.retries, message.as_deref()).await?;
            work.tx()
                .set_external_task_failure(
                    id,
                    message.as_deref(),
                    failure.error_details.as_deref(),
                    failure.retries,
                    lock_until,
                )
                .await?;
            if !failure.variables.is_empty() || !failure.local_variables.is_empty() {
                let scope: Id = row.execution_id.parse().map_err(|_| not_found(id))?;
                if !failure.local_variables.is_empty() {
                    work.apply(
                        &row.instance_id,
                        Command::SetVariables {
                            scope,
                            variables: failure.local_variables,
                            local: true,
                            removals: Vec::new(),
                        },
                    )
                    .await?;
                }
                if !failure.variables.is_empty() {
                    work.apply(
                        &row.instance_id,
                        Command::SetVariables {
                            scope,
                            variables: failure.variables,
                            local: false,
                            removals: Vec::new(),
                        },
                    )
                    .await?;
                }
            }
            Ok(())
        })
    }

    /// Extends the lock of a task the worker holds; an expired lock cannot be extended.
    pub async fn extend_lock(
        &self,
        id: &str,
        worker_id: &str,
        new_duration: i64,
    ) -> ServiceResult<()> {
        if new_duration <= 0 {
            return Err(ServiceError::Engine(
                "lockTime is not greater than 0".to_owned(),
            ));
        }
        transact!(self, work, {
            let row = lock_task(work, id).await?;
            let now = work.now();
            if row.lock_expiration.is_none_or(|t| t <= now) {
                return Err(ServiceError::Lock(format!(
                    "Cannot extend a lock that expired: the lock of external task {id} is not held"
                )));
            }
            check_worker(&row, worker_id, "extended")?;
            work.tx()
                .set_external_task_lock(id, Some(worker_id), Some(now.saturating_add(new_duration)))
                .await?;
            Ok(())
        })
    }

    /// Locks a task for a worker: allowed when it is free, its lock expired, or the same
    /// worker holds it.
    pub async fn lock_external_task(
        &self,
        id: &str,
        worker_id: &str,
        duration: i64,
    ) -> ServiceResult<()> {
        if worker_id.is_empty() {
            return Err(ServiceError::NullValue("workerId is null".to_owned()));
        }
        if duration <= 0 {
            return Err(ServiceError::Engine(
                "lockTime is not greater than 0".to_owned(),
            ));
        }
        transact!(self, work, {
            let row = lock_task(work, id).await?;
            let now = work.now();
            let held_by_other = row.lock_expiration.is_some_and(|t| t > now)
                && row.worker_id.as_deref().is_some_and(|w| w != worker_id);
            if held_by_other {
                return Err(ServiceError::Lock(format!(
                        "External Task {id} cannot be locked by worker '{worker_id}'. It is locked by worker '{}'.",
                        row.worker_id.as_deref().unwrap_or("null")
                    )));
            }
            work.tx()
                .set_external_task_lock(id, Some(worker_id), Some(now.saturating_add(duration)))
                .await?;
            Ok(())
        })
    }

    /// Releases a task's lock, whoever holds it, and wakes waiting workers.
    pub async fn unlock_external_task(&self, id: &str) -> ServiceResult<()> {
        transact!(self, work, {
            let row = lock_task(work, id).await?;
            work.tx().set_external_task_lock(id, None, None).await?;
            work.wake_topic(&row.topic);
            Ok(())
        })
    }

    /// Sets a task's retries; 0 raises an incident, more resolves it.
    pub async fn set_external_task_retries(&self, id: &str, retries: i32) -> ServiceResult<()> {
        if retries < 0 {
            return Err(ServiceError::Engine(
                "retries is not greater than or equal to 0".to_owned(),
            ));
        }
        transact!(self, work, {
            let row = lock_task(work, id).await?;
            let message = row.error_message.clone();
            manage_incidents(work, &row, retries, message.as_deref()).await?;
            work.tx().set_external_task_retries(id, retries).await?;
            if retries > 0 {
                work.wake_topic(&row.topic);
            }
            Ok(())
        })
    }

    /// Sets a task's priority.
    pub async fn set_external_task_priority(&self, id: &str, priority: i64) -> ServiceResult<()> {
        transact!(self, work, {
            let row = lock_task(work, id).await?;
            work.tx().set_external_task_priority(id, priority).await?;
            work.wake_topic(&row.topic);
            Ok(())
        })
    }
}
