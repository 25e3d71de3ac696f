//! The job executor: fires due timers (of running instances and timer start events),
//! sleeping until the next due time instead of polling blindly. Several nodes can run
//! it on one PostgreSQL: jobs are locked with `SKIP LOCKED`, and a node that dies leaves
//! its locks to expire.

use std::sync::Arc;
use std::time::Duration;

use crate::ids::Id;
use crate::runtime::{Command, Start};
use crate::store::{IncidentRow, InstanceWrite, JobRow};
use crate::time::{self, Timestamp};
use crate::value::Variables;

use super::error::{ServiceError, ServiceResult};
use super::ids::new_id;
use super::write::timer_job;
use super::Engine;

/// Jobs locked per round.
const BATCH: i64 = 16;
/// The executor re-checks at least this often, for jobs of other nodes and clock jumps.
const MAX_SLEEP: Duration = Duration::from_secs(30);

impl Engine {
    /// Runs the job executor until the engine drains.
    pub async fn run_job_executor(self: Arc<Self>) {
        let mut wakeups = self.wakeups.jobs();
        let mut shutdown = self.shutdown_signal();
        let mut failing = false;
        loop {
            if self.is_draining() {
                return;
            }
            match self.run_due_jobs().await {
                Ok(n) if n as i64 >= BATCH => continue,
                Ok(_) => failing = false,
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "the job executor cannot reach the store; retrying");
                    }
                    failing = true;
                }
            }
            let now = self.clock.now().0;
            let sleep = match self.store.next_job_due().await {
                Ok(Some(due)) => {
                    Duration::from_millis(u64::try_from(due - now).unwrap_or(0)).min(MAX_SLEEP)
                }
                Ok(None) => MAX_SLEEP,
                Err(_) => Duration::from_secs(1),
            };
            wakeups.borrow_and_update();
            tokio::select! {
                _ = wakeups.changed() => {}
                _ = tokio::time::sleep(sleep) => {}
                _ = shutdown.changed() => return,
            }
        }
    }

    /// Runs every job that is due now; returns how many ran.
    pub async fn run_due_jobs(&self) -> ServiceResult<usize> {
        let now = self.clock.now().0;
        let lock_until =
            now.saturating_add(i64::try_from(self.config.job_lock.as_millis()).unwrap_or(i64::MAX));
        let jobs = self
            .store
            .acquire_jobs(&self.config.node_id, now, lock_until, BATCH)
            .await?;
        for job in &jobs {
            if self.is_draining() {
                break;
            }
            if let Err(e) = self.execute_job(job).await {
                tracing::warn!(job = %job.id, activity = %job.activity_id, error = %e, "a job failed");
                self.record_job_failure(job, &e.to_string()).await?;
            }
        }
        Ok(jobs.len())
    }

    /// Runs one job now (`POST /job/{id}/execute`).
    pub async fn execute_job_now(&self, id: &str) -> ServiceResult<()> {
        let job = self
            .store
            .jobs(&crate::store::Query::all().eq("id", id))
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::NotFound(format!("Job with id {id} does not exist")))?;
        if let Err(e) = self.execute_job(&job).await {
            self.record_job_failure(&job, &e.to_string()).await?;
            return Err(e);
        }
        Ok(())
    }

    async fn execute_job(&self, job: &JobRow) -> ServiceResult<()> {
        match job.job_type.as_str() {
            "timer-start" => self.fire_timer_start(job).await,
            _ => {
                let instance = job.instance_id.clone().ok_or_else(|| {
                    ServiceError::Engine(format!("timer job {} has no process instance", job.id))
                })?;
                let sub: Id = job.id.parse().map_err(|_| {
                    ServiceError::Engine(format!("timer job id {} is not an id", job.id))
                })?;
                transact!(self, work, {
                    let instance = instance.clone();

                    work.load(&instance).await?;
                    let owned = work
                        .state(&instance)
                        .is_some_and(|s| s.subscription_owner(sub).is_some());
                    if !owned {
                        // The timer's activity is gone; its job should have been too.
                        let write = InstanceWrite {
                            removed_subscriptions: vec![sub.to_string()],
                            ..InstanceWrite::default()
                        };
                        return Ok(work.tx().persist(&write).await?);
                    }
                    work.apply(
                        &instance,
                        Command::Trigger {
                            subscription: sub,
                            variables: Variables::new(),
                            local_variables: Variables::new(),
                        },
                    )
                    .await
                })
            }
        }
    }

    async fn fire_timer_start(&self, job: &JobRow) -> ServiceResult<()> {
        let deployed = self.definitions.get(&job.definition_id).await?;
        let at = deployed.graph.node_by_id(&job.activity_id).ok_or_else(|| {
            ServiceError::Engine(format!(
                "timer start event '{}' is not in the definition",
                job.activity_id
            ))
        })?;
        let next = match &job.repeat {
            Some(repeat) => time::next_schedule(repeat, Timestamp(job.due), self.clock.now())
                .map_err(|e| {
                    ServiceError::Engine(format!(
                        "the timer cycle of '{}' is invalid: {e}",
                        job.activity_id
                    ))
                })?,
            None => None,
        };
        transact!(self, work, {
            let deployed = deployed.clone();
            let next = next.clone();

            let mut write = InstanceWrite {
                removed_subscriptions: vec![job.id.clone()],
                ..InstanceWrite::default()
            };
            if let Some(next) = next {
                write.jobs.push(timer_job(
                    new_id(),
                    "timer-start",
                    next.due.0,
                    None,
                    None,
                    &deployed.row,
                    job.activity_id.clone(),
                    next.repeat,
                    work.now(),
                ));
                work.wake_jobs();
            }
            work.tx().persist(&write).await?;
            work.start(
                deployed,
                Start {
                    at: Some(at),
                    business_key: None,
                    variables: Variables::new(),
                    ..Start::default()
                },
                None,
            )
            .await?;
            Ok(())
        })
    }

    /// A failed run uses up one retry; the last one raises a `failedJob` incident.
    async fn record_job_failure(&self, job: &JobRow, message: &str) -> ServiceResult<()> {
        transact!(self, work, {
            let Some(current) = work.tx().job(&job.id).await? else {
                return Ok(());
            };
            let retries = (current.retries - 1).max(0);
            let now = work.now();
            // camunda:failedJobRetryTimeCycle decides how long to wait before a retry.
            let cycle = match work.definition(&job.definition_id).await {
                Ok(d) => d
                    .graph
                    .node_by_id(&job.activity_id)
                    .and_then(|n| d.graph.node(n).retry_cycle.clone()),
                Err(_) => None,
            };
            let (initial, waits) = super::write::retry_policy(cycle.as_deref());
            let attempt = usize::try_from(initial - current.retries).unwrap_or(0);
            let wait = waits.get(attempt).or(waits.last()).copied().unwrap_or(0);
            work.tx()
                .update_job(
                    &job.id,
                    retries,
                    now.saturating_add(wait),
                    Some(message),
                    Some(message),
                )
                .await?;
            if retries == 0 {
                work.tx()
                    .insert_incident(&IncidentRow {
                        id: new_id(),
                        incident_type: "failedJob".to_owned(),
                        created: now,
                        instance_id: job.instance_id.clone(),
                        execution_id: job.execution_id.clone(),
                        activity_id: Some(job.activity_id.clone()),
                        failed_activity_id: Some(job.activity_id.clone()),
                        definition_id: Some(job.definition_id.clone()),
                        configuration: Some(job.id.clone()),
                        message: Some(message.to_owned()),
                        tenant_id: job.tenant_id.clone(),
                    })
                    .await?;
            }
            Ok(())
        })
    }

    /// Sets a job's retries (`PUT /job/{id}/retries`); raising them from 0 resolves its
    /// incident and makes it run again.
    pub async fn set_job_retries(
        &self,
        id: &str,
        retries: i32,
        due: Option<i64>,
    ) -> ServiceResult<()> {
        if retries < 0 {
            return Err(ServiceError::Engine(
                "retries is not greater than or equal to 0".to_owned(),
            ));
        }
        transact!(self, work, {
            let job =
                work.tx().job(id).await?.ok_or_else(|| {
                    ServiceError::NotFound(format!("No job found with id '{id}'."))
                })?;
            let due = due.unwrap_or(job.due);
            work.tx()
                .update_job(
                    id,
                    retries,
                    due,
                    job.exception_message.as_deref(),
                    job.exception_details.as_deref(),
                )
                .await?;
            if retries > 0 {
                work.tx().delete_incidents(id).await?;
                work.wake_jobs();
            }
            Ok(())
        })
    }

    /// Moves a job's due date (`PUT /job/{id}/duedate`).
    pub async fn set_job_due_date(&self, id: &str, due: i64) -> ServiceResult<()> {
        transact!(self, work, {
            let job =
                work.tx().job(id).await?.ok_or_else(|| {
                    ServiceError::NotFound(format!("No job found with id '{id}'."))
                })?;
            work.tx()
                .update_job(
                    id,
                    job.retries,
                    due,
                    job.exception_message.as_deref(),
                    job.exception_details.as_deref(),
                )
                .await?;
            // The runtime keeps the timer's due time in the instance too.
            work.wake_jobs();
            Ok(())
        })
    }
}
