//! [`Worker`]: handlers subscribed to topics, one fetch loop for all of them, each task
//! handled on its own tokio task with its lock extended until the outcome is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tracing::{debug, error, info, warn, Instrument};

use super::backoff::{Backoff, HealthEvent};
use super::config::{ClientConfig, TopicOptions};
use super::engine::{EngineClient, FailureReport, FetchTopic};
use super::ClientError;
use crate::task::{Handler, Outcome, Task, Variables};

/// How often a report that could not reach the engine is tried in all.
const REPORT_ATTEMPTS: u32 = 3;

/// A handler and how its topic is fetched.
struct Subscription {
    handler: Arc<dyn Handler>,
    options: TopicOptions,
}

/// The ids of the tasks this worker holds (fetched, outcome not yet reported).
type Held = Arc<Mutex<BTreeSet<String>>>;

/// Fetches the tasks of its subscribed topics and runs their handlers.
///
/// ```no_run
/// # use std::sync::Arc;
/// # use procos_workers::client::{ClientConfig, TopicOptions, Worker};
/// # use procos_workers::{Handler, Outcome, Task, Variables};
/// struct Hello;
/// #[async_trait::async_trait]
/// impl Handler for Hello {
///     async fn handle(&self, _task: &Task) -> Outcome {
///         Outcome::complete(Variables::new())
///     }
/// }
/// # async fn run() -> Result<(), procos_workers::client::ClientError> {
/// let mut worker = Worker::new(ClientConfig::new("http://localhost:8080"))?;
/// worker.subscribe("hello", Arc::new(Hello), TopicOptions::default());
/// let (stop, stopped) = tokio::sync::watch::channel(false);
/// let running = tokio::spawn(worker.run(stopped));
/// // ... later:
/// let _ = stop.send(true);
/// # let _ = running.await;
/// # Ok(()) }
/// ```
pub struct Worker {
    client: EngineClient,
    subscriptions: BTreeMap<String, Subscription>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("client", &self.client)
            .field("topics", &self.subscriptions.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Worker {
    /// A worker with its own [`EngineClient`] for `config`.
    pub fn new(config: ClientConfig) -> Result<Worker, ClientError> {
        Ok(Worker::with_client(EngineClient::new(config)?))
    }

    /// A worker that talks to the engine through `client`.
    pub fn with_client(client: EngineClient) -> Worker {
        Worker {
            client,
            subscriptions: BTreeMap::new(),
        }
    }

    /// The client it uses.
    pub fn client(&self) -> &EngineClient {
        &self.client
    }

    /// Subscribes `handler` to `topic`; a second subscription to the same topic
    /// replaces the first.
    pub fn subscribe(
        &mut self,
        topic: impl Into<String>,
        handler: Arc<dyn Handler>,
        options: TopicOptions,
    ) -> &mut Worker {
        let topic = topic.into();
        let replaced = self
            .subscriptions
            .insert(topic.clone(), Subscription { handler, options })
            .is_some();
        if replaced {
            warn!(topic = %topic, "a second handler subscribed to the topic replaces the first");
        }
        self
    }

    /// The subscribed topics, in order.
    pub fn topics(&self) -> Vec<&str> {
        self.subscriptions.keys().map(String::as_str).collect()
    }

    /// Fetches and handles tasks until `shutdown` becomes true (or its sender is
    /// dropped). Then it stops fetching (a waiting long poll is abandoned), gives running
    /// handlers up to `shutdown_grace_ms` to finish and report, cancels the others and
    /// unlocks their tasks, and returns.
    ///
    /// Failed fetches never end it: it waits, exponentially longer up to
    /// `backoff_max_ms`, and logs when fetching starts failing and when it recovers.
    /// Errors reporting an outcome (404 because the process instance was cancelled
    /// meanwhile, 400 because the lock was lost) are logged. It returns an error only for
    /// a worker that cannot run: no topic subscribed.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), ClientError> {
        if self.subscriptions.is_empty() {
            return Err(ClientError::Config("no topic is subscribed".to_owned()));
        }
        let client = self.client;
        let config = client.config().clone();
        let subscriptions: BTreeMap<String, (Arc<dyn Handler>, Duration)> = self
            .subscriptions
            .iter()
            .map(|(topic, s)| {
                (
                    topic.clone(),
                    (s.handler.clone(), lock_duration(&config, &s.options)),
                )
            })
            .collect();
        let topics: Vec<FetchTopic> = self
            .subscriptions
            .iter()
            .map(|(topic, s)| FetchTopic {
                topic_name: topic.clone(),
                lock_duration: millis(lock_duration(&config, &s.options)),
                variables: s.options.variables.clone(),
                local_variables: s.options.local_variables,
                include_extension_properties: s.options.include_extension_properties,
            })
            .collect();
        let slots = Arc::new(Semaphore::new(config.max_in_flight));
        let held: Held = Arc::default();
        let mut running: JoinSet<()> = JoinSet::new();
        let mut health = Backoff::new(
            Duration::from_millis(config.backoff_initial_ms),
            Duration::from_millis(config.backoff_max_ms),
        );
        info!(
            worker_id = %config.worker_id,
            engine = %client.base_url(),
            topics = ?subscriptions.keys().collect::<Vec<_>>(),
            "external-task worker started"
        );
        loop {
            reap(&mut running);
            // Wait for a free slot, then take as many as are free, up to maxTasks.
            let first = tokio::select! {
                biased;
                () = signalled(&mut shutdown) => break,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let mut permits = vec![first];
            while permits.len() < config.max_tasks as usize {
                match slots.clone().try_acquire_owned() {
                    Ok(permit) => permits.push(permit),
                    Err(_) => break,
                }
            }
            let asked = u32::try_from(permits.len()).unwrap_or(u32::MAX);
            let started = Instant::now();
            let fetched = tokio::select! {
                biased;
                () = signalled(&mut shutdown) => break,
                fetched = client.fetch_and_lock(asked, &topics) => fetched,
            };
            match fetched {
                Ok(tasks) => {
                    if let Some(HealthEvent::Recovered { failures }) = health.succeeded() {
                        info!(
                            engine = %client.base_url(),
                            failed_fetches = failures,
                            "fetching tasks works again"
                        );
                    }
                    let empty = tasks.is_empty();
                    let received = Instant::now();
                    for task in tasks {
                        let handler = subscriptions.get(&task.topic_name).cloned();
                        match (permits.pop(), handler) {
                            (Some(permit), Some((handler, lock))) => {
                                start(
                                    &mut running,
                                    &client,
                                    &held,
                                    Started {
                                        task,
                                        handler,
                                        lock,
                                        received,
                                        permit,
                                    },
                                );
                            }
                            (permit, _) => {
                                // More tasks than asked for, or of a topic nobody here
                                // handles: not ours to keep.
                                drop(permit);
                                warn!(
                                    task_id = %task.id,
                                    topic = %task.topic_name,
                                    "the engine handed out a task this worker did not ask for; unlocking it"
                                );
                                if let Err(e) = client.unlock(&task.id).await {
                                    warn!(task_id = %task.id, error = %e, "cannot unlock the task");
                                }
                            }
                        }
                    }
                    drop(permits);
                    // An empty answer long before the long-poll timeout (no long polling,
                    // or an engine that ignores it): wait a little, never a tight loop.
                    let early = Duration::from_millis(config.async_response_timeout_ms / 2);
                    if empty && started.elapsed() < early {
                        tokio::select! {
                            biased;
                            () = signalled(&mut shutdown) => break,
                            () = tokio::time::sleep(Duration::from_millis(config.poll_interval_ms.max(1))) => {}
                        }
                    }
                }
                Err(e) => {
                    drop(permits);
                    let (wait, event) = health.failed(&e.kind(), &e.to_string());
                    match event {
                        Some(HealthEvent::Failing { .. }) => warn!(
                            engine = %client.base_url(),
                            error = %e,
                            "cannot fetch tasks; retrying with backoff (up to {} ms) until it works",
                            config.backoff_max_ms
                        ),
                        _ => debug!(error = %e, wait_ms = millis(wait), "fetch failed again"),
                    }
                    tokio::select! {
                        biased;
                        () = signalled(&mut shutdown) => break,
                        () = tokio::time::sleep(wait) => {}
                    }
                }
            }
        }
        drain(
            &client,
            running,
            &held,
            Duration::from_millis(config.shutdown_grace_ms),
        )
        .await;
        Ok(())
    }
}

/// A fetched task, ready to be handled.
struct Started {
    task: Task,
    handler: Arc<dyn Handler>,
    lock: Duration,
    received: Instant,
    permit: OwnedSemaphorePermit,
}

/// The lock duration of a topic.
fn lock_duration(config: &ClientConfig, options: &TopicOptions) -> Duration {
    options
        .lock_duration
        .unwrap_or(Duration::from_millis(config.lock_duration_ms))
        .max(Duration::from_millis(1))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Returns once shutdown is asked for, or the sender is gone.
async fn signalled(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Collects finished handler tasks (a panic outside a handler is a bug; say so).
fn reap(running: &mut JoinSet<()>) {
    while let Some(result) = running.try_join_next() {
        if let Err(e) = result {
            if e.is_panic() {
                error!(error = %e, "a task-processing task panicked");
            }
        }
    }
}

/// Spawns the handling of one task.
fn start(running: &mut JoinSet<()>, client: &EngineClient, held: &Held, started: Started) {
    let id = started.task.id.clone();
    let topic = started.task.topic_name.clone();
    held.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id.clone());
    let client = client.clone();
    let held = held.clone();
    let span = tracing::info_span!("external_task", task_id = %id, topic = %topic);
    running.spawn(
        async move {
            let Started {
                task,
                handler,
                lock,
                received,
                permit,
            } = started;
            let task = Arc::new(task);
            debug!("handling the task");
            let outcome = handle_with_lock(&client, handler, task.clone(), lock, received).await;
            report(&client, &task, outcome).await;
            held.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&task.id);
            drop(permit);
        }
        .instrument(span),
    );
}

/// Aborts the task it holds when dropped: a handler does not outlive the processing
/// task that was cancelled at shutdown.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the handler on its own task, extending the lock every half lock duration until
/// it returns. A panic becomes a failure the retry policy decides about.
async fn handle_with_lock(
    client: &EngineClient,
    handler: Arc<dyn Handler>,
    task: Arc<Task>,
    lock: Duration,
    received: Instant,
) -> Outcome {
    let work = {
        let task = task.clone();
        tokio::spawn(async move { handler.handle(&task).await }.in_current_span())
    };
    let mut work = AbortOnDrop(work);
    let half = (lock / 2).max(Duration::from_millis(1));
    let mut next_extension = received + half;
    let mut extending = true;
    let mut extension_failing = false;
    loop {
        tokio::select! {
            result = &mut work.0 => {
                return match result {
                    Ok(outcome) => outcome,
                    Err(e) => {
                        let why = if e.is_panic() {
                            panic_text(e.into_panic())
                        } else {
                            "it was cancelled".to_owned()
                        };
                        error!(reason = %why, "the handler panicked");
                        Outcome::retry(format!("the handler of topic {} panicked", task.topic_name), Some(why))
                    }
                };
            }
            () = tokio::time::sleep_until(next_extension), if extending => {
                match client.extend_lock(&task.id, millis(lock)).await {
                    Ok(()) => {
                        if extension_failing {
                            info!("extending the lock works again");
                        }
                        extension_failing = false;
                        debug!(lock_ms = millis(lock), "extended the lock");
                        next_extension = Instant::now() + half;
                    }
                    Err(e) if e.status().is_some() => {
                        // 404: the task is gone (its instance was cancelled); 400: the lock
                        // expired or another worker holds it. The handler finishes; its
                        // outcome will most likely be refused, and that is logged too.
                        warn!(error = %e, "cannot extend the lock; the handler goes on without it");
                        extending = false;
                    }
                    Err(e) => {
                        if !extension_failing {
                            warn!(error = %e, "cannot extend the lock; trying again");
                        }
                        extension_failing = true;
                        next_extension = Instant::now() + (half / 4).max(Duration::from_millis(100));
                    }
                }
            }
        }
    }
}

/// The text of a panic payload.
fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => match payload.downcast::<&'static str>() {
            Ok(s) => (*s).to_owned(),
            Err(_) => "a panic without a message".to_owned(),
        },
    }
}

/// An outcome, resolved into the call that reports it.
enum Report {
    Complete {
        variables: Variables,
        local_variables: Variables,
    },
    Failure(FailureReport),
    BpmnError {
        code: String,
        message: String,
        variables: Variables,
    },
}

impl Report {
    /// The call for `outcome` of `task`, the retry policy applied to a failure that does
    /// not say its retries or retry timeout.
    fn of(config: &ClientConfig, task: &Task, outcome: Outcome) -> Report {
        match outcome {
            Outcome::Complete {
                variables,
                local_variables,
            } => Report::Complete {
                variables,
                local_variables,
            },
            Outcome::Failure {
                message,
                details,
                retries,
                retry_timeout_ms,
            } => {
                let policy = &config.retry;
                Report::Failure(FailureReport {
                    error_message: message,
                    error_details: details,
                    retries: retries
                        .map(|r| r.max(0))
                        .unwrap_or_else(|| policy.retries_after_failure(task.retries)),
                    retry_timeout_ms: retry_timeout_ms
                        .map(|t| u64::try_from(t).unwrap_or(0))
                        .unwrap_or_else(|| policy.retry_timeout_after_failure(task.retries)),
                    variables: Variables::new(),
                    local_variables: Variables::new(),
                })
            }
            Outcome::BpmnError {
                code,
                message,
                variables,
            } => Report::BpmnError {
                code,
                message,
                variables,
            },
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Report::Complete { .. } => "completion",
            Report::Failure(_) => "failure",
            Report::BpmnError { .. } => "BPMN error",
        }
    }

    async fn send(&self, client: &EngineClient, id: &str) -> Result<(), ClientError> {
        match self {
            Report::Complete {
                variables,
                local_variables,
            } => client.complete(id, variables, local_variables).await,
            Report::Failure(failure) => client.failure(id, failure).await,
            Report::BpmnError {
                code,
                message,
                variables,
            } => client.bpmn_error(id, code, message, variables).await,
        }
    }
}

/// Reports `outcome`; a report that cannot reach the engine is tried again a few times
/// (the work is done, and redoing it after the lock expires is worse); a refusal is
/// logged.
async fn report(client: &EngineClient, task: &Task, outcome: Outcome) {
    let report = Report::of(client.config(), task, outcome);
    match &report {
        Report::Complete { .. } => debug!("completing the task"),
        Report::Failure(f) if f.retries == 0 => warn!(
            message = %f.error_message,
            "the task failed with no retries left; the engine raises an incident"
        ),
        Report::Failure(f) => info!(
            message = %f.error_message,
            retries = f.retries,
            retry_timeout_ms = f.retry_timeout_ms,
            "the task failed; it will be retried"
        ),
        Report::BpmnError { code, .. } => info!(code = %code, "throwing a BPMN error"),
    }
    let mut attempt = 1;
    let result = loop {
        match report.send(client, &task.id).await {
            Err(e) if e.is_unreachable() && attempt < REPORT_ATTEMPTS => {
                debug!(error = %e, attempt, "cannot report the outcome yet; trying again");
                tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
                attempt += 1;
            }
            result => break result,
        }
    };
    let what = report.name();
    match result {
        Ok(()) => debug!("reported the {what}"),
        Err(e) if e.is_not_found() => warn!(
            error = %e,
            "the task no longer exists (its process instance was cancelled, or it was handled elsewhere); its {what} is dropped"
        ),
        Err(e) if e.status() == Some(400) => warn!(
            error = %e,
            "the engine refused the {what}, probably because the lock was lost"
        ),
        Err(e) => error!(error = %e, "cannot report the {what}"),
    }
}

/// After the fetch loop stopped: lets running handlers finish within `grace`, cancels
/// the rest, and unlocks every task still held.
async fn drain(client: &EngineClient, mut running: JoinSet<()>, held: &Held, grace: Duration) {
    let busy = running.len();
    if busy > 0 {
        info!(
            running = busy,
            grace_ms = millis(grace),
            "stopping: waiting for running handlers"
        );
    }
    let all_done = tokio::time::timeout(grace, async {
        while running.join_next().await.is_some() {}
    })
    .await
    .is_ok();
    if !all_done {
        warn!(
            cancelled = running.len(),
            "handlers did not finish within the shutdown grace period; cancelling them"
        );
        running.abort_all();
        while running.join_next().await.is_some() {}
    }
    let ids: Vec<String> =
        std::mem::take(&mut *held.lock().unwrap_or_else(PoisonError::into_inner))
            .into_iter()
            .collect();
    let mut unlocks = JoinSet::new();
    for id in ids {
        let client = client.clone();
        unlocks.spawn(async move {
            match client.unlock(&id).await {
                Ok(()) => info!(task_id = %id, "unlocked the task for another worker"),
                Err(e) => warn!(task_id = %id, error = %e, "cannot unlock the task"),
            }
        });
    }
    while unlocks.join_next().await.is_some() {}
    info!("external-task worker stopped");
}
