//! fetch-and-lock with long polling.
//!
//! A request first tries to lock tasks at once. With `asyncResponseTimeout` it then waits,
//! and is answered as soon as at least one task is locked: new tasks and unlocks wake it
//! immediately (also from other nodes through `NOTIFY`), and it sleeps no longer than
//! until the next lock on its topics expires, so expired locks are noticed at once rather
//! than after Camunda's 30 s re-check.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::ids::Id;
use crate::runtime::Instance;
use crate::store::{ExternalTaskRow, FetchRequest, Filter, TopicRequest};
use crate::value::Value;

use super::error::{ServiceError, ServiceResult};
use super::Engine;

/// Camunda's upper bound for `asyncResponseTimeout`.
pub const MAX_ASYNC_RESPONSE_TIMEOUT: u64 = 1_800_000;

/// One topic of a request.
#[derive(Debug, Clone, Default)]
pub struct FetchTopic {
    /// Topic name.
    pub topic: String,
    /// Lock duration in ms.
    pub lock_duration: i64,
    /// Variables to return; None returns every visible variable.
    pub variables: Option<Vec<String>>,
    /// Return only the task execution's local variables.
    pub local_variables: bool,
    /// Return `camunda:properties` of the activity.
    pub include_extension_properties: bool,
    /// Extra conditions (business key, definition, tenant, process variables).
    pub filters: Vec<Filter>,
}

/// A fetch-and-lock request.
#[derive(Debug, Clone, Default)]
pub struct Fetch {
    /// The worker.
    pub worker_id: String,
    /// Most tasks to lock.
    pub max_tasks: i64,
    /// Prefer higher priorities.
    pub use_priority: bool,
    /// Then order by creation time: Some(true) ascending, Some(false) descending.
    pub create_time_asc: Option<bool>,
    /// How long to wait for tasks, in ms; None answers at once.
    pub async_response_timeout: Option<u64>,
    /// The topics.
    pub topics: Vec<FetchTopic>,
}

/// One of the places for waiting requests, held for as long as the request waits.
///
/// Released on drop rather than after the wait: when a client gives up and closes its
/// connection, the HTTP server drops the request's future in the middle of the wait, and
/// a place released only at the end would be lost for good (after 200 such requests no
/// worker could long-poll any more).
struct PendingSlot<'a>(&'a AtomicUsize);

impl<'a> PendingSlot<'a> {
    /// Takes a place, unless all `max` are taken.
    fn take(count: &'a AtomicUsize, max: usize) -> Option<PendingSlot<'a>> {
        count
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| PendingSlot(count))
    }
}

impl Drop for PendingSlot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A task locked for the worker, with what it asked to receive.
#[derive(Debug, Clone)]
pub struct LockedTask {
    /// The task row, after locking.
    pub row: ExternalTaskRow,
    /// The variables requested, as visible from the task's execution.
    pub variables: Vec<(String, Value)>,
    /// `camunda:properties` of the activity, when requested.
    pub extension_properties: Vec<(String, String)>,
}

impl Engine {
    /// Locks tasks for a worker, waiting up to `async_response_timeout` for some.
    pub async fn fetch_and_lock(&self, fetch: &Fetch) -> ServiceResult<Vec<LockedTask>> {
        if fetch.worker_id.is_empty() {
            return Err(ServiceError::NullValue("workerId is null".to_owned()));
        }
        if fetch.topics.iter().any(|t| t.lock_duration <= 0) {
            return Err(ServiceError::Engine(
                "lockTime is not greater than 0".to_owned(),
            ));
        }
        if let Some(t) = fetch.async_response_timeout {
            if t > MAX_ASYNC_RESPONSE_TIMEOUT {
                return Err(ServiceError::BadRequest(format!(
                    "The asynchronous response timeout cannot be set to a value greater than {MAX_ASYNC_RESPONSE_TIMEOUT} milliseconds"
                )));
            }
        }
        let request = FetchRequest {
            worker_id: fetch.worker_id.clone(),
            max_tasks: fetch.max_tasks,
            use_priority: fetch.use_priority,
            create_time_asc: fetch.create_time_asc,
            topics: fetch
                .topics
                .iter()
                .map(|t| TopicRequest {
                    topic: t.topic.clone(),
                    lock_duration: t.lock_duration,
                    filters: t.filters.clone(),
                })
                .collect(),
        };
        let mut wakeups = self.wakeups.tasks();
        let locked = self.lock_tasks(fetch, &request).await?;
        let Some(timeout) = fetch.async_response_timeout else {
            return Ok(locked);
        };
        if !locked.is_empty() || request.topics.is_empty() || request.max_tasks <= 0 {
            return Ok(locked);
        }
        let _slot = PendingSlot::take(&self.pending_fetches, self.config.max_pending_fetches)
            .ok_or_else(|| {
                ServiceError::Engine(
                    "At the moment the server has to handle too many requests at the same time. Please try again later.".to_owned(),
                )
            })?;
        self.wait_for_tasks(fetch, &request, timeout, &mut wakeups)
            .await
    }

    async fn wait_for_tasks(
        &self,
        fetch: &Fetch,
        request: &FetchRequest,
        timeout: u64,
        wakeups: &mut tokio::sync::watch::Receiver<u64>,
    ) -> ServiceResult<Vec<LockedTask>> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout);
        let topics: Vec<String> = request.topics.iter().map(|t| t.topic.clone()).collect();
        let mut shutdown = self.shutdown_signal();
        loop {
            if self.is_draining() {
                return Ok(Vec::new());
            }
            // Sleep at most until the next lock on these topics expires.
            let now = self.clock.now().0;
            let mut wake_at = deadline;
            if let Some(unlock) = self.store.next_unlock(&topics, now).await? {
                let wait = Duration::from_millis(u64::try_from(unlock - now).unwrap_or(0) + 1);
                wake_at = wake_at.min(tokio::time::Instant::now() + wait);
            }
            tokio::select! {
                _ = wakeups.changed() => {}
                _ = tokio::time::sleep_until(wake_at) => {}
                _ = shutdown.changed() => return Ok(Vec::new()),
            }
            wakeups.borrow_and_update();
            let locked = self.lock_tasks(fetch, request).await?;
            if !locked.is_empty() {
                return Ok(locked);
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(Vec::new());
            }
        }
    }

    async fn lock_tasks(
        &self,
        fetch: &Fetch,
        request: &FetchRequest,
    ) -> ServiceResult<Vec<LockedTask>> {
        let now = self.clock.now().0;
        let rows = self.store.fetch_and_lock_with_states(request, now).await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // Each instance's state once, also when several of its tasks were locked.
        let mut states: HashMap<String, Instance> = HashMap::new();
        for (row, text) in &rows {
            if let (Some(text), false) = (text, states.contains_key(&row.instance_id)) {
                if let Ok(state) = serde_json::from_str(text) {
                    states.insert(row.instance_id.clone(), state);
                }
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for (row, _) in rows {
            let topic = fetch.topics.iter().find(|t| t.topic == row.topic);
            let variables = match (topic, states.get(&row.instance_id)) {
                (Some(topic), Some(state)) => visible_variables(
                    state,
                    &row.execution_id,
                    topic.local_variables,
                    topic.variables.as_deref(),
                ),
                _ => Vec::new(),
            };
            let extension_properties = if topic.is_some_and(|t| t.include_extension_properties) {
                match self.definitions.get(&row.definition_id).await {
                    Ok(d) => d
                        .graph
                        .node_by_id(&row.activity_id)
                        .map(|n| d.graph.node(n).properties.clone())
                        .unwrap_or_default(),
                    Err(_) => Vec::new(),
                }
            } else {
                Vec::new()
            };
            out.push(LockedTask {
                row,
                variables,
                extension_properties,
            });
        }
        Ok(out)
    }
}

/// The variables visible from the execution `execution_id`: its own, then its parents'
/// (an inner value hides an outer one), or only its own when `local`. `names` limits the
/// result; None returns all.
pub fn visible_variables(
    state: &Instance,
    execution_id: &str,
    local: bool,
    names: Option<&[String]>,
) -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = Vec::new();
    let Ok(start) = execution_id.parse::<Id>() else {
        return out;
    };
    let mut cur = Some(start);
    while let Some(id) = cur {
        let Some(token) = state.token(id) else { break };
        for v in token.vars.iter() {
            if v.transient || out.iter().any(|(n, _)| *n == v.name) {
                continue;
            }
            if names.is_some_and(|names| !names.contains(&v.name)) {
                continue;
            }
            out.push((v.name.clone(), v.value.clone()));
        }
        if local {
            break;
        }
        cur = token.parent;
    }
    out
}
