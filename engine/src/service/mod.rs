//! The engine as a service: commands that each run in one database transaction
//! (deploy, start, complete, correlate, ...), fetch-and-lock with long polling, the job
//! executor, and the wake-ups that connect them.
//!
//! ```text
//! request -> Engine::command: BEGIN
//!     lock instance row, load state
//!     runtime::apply(graph, state, command)      (pure)
//!     persist state, tasks, subscriptions, jobs, variables, history
//!   COMMIT -> wake long polls and the job executor (NOTIFY to other nodes)
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::store::Store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use definitions::{Definitions, Deployed};
pub use deploy::{DeployRequest, DeployResult};
pub use error::{ServiceError, ServiceResult};
pub use notify::Wakeups;
pub use work::{Started, Work};

/// Tunables of the service.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// This node's name, the owner of the jobs it locks.
    pub node_id: String,
    /// How many fetch-and-lock requests may wait at once (Camunda's queue capacity).
    pub max_pending_fetches: usize,
    /// How long the job executor locks a job it runs.
    pub job_lock: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            node_id: format!("procos-{}", std::process::id()),
            max_pending_fetches: 200,
            job_lock: Duration::from_secs(300),
        }
    }
}

/// The engine: store, definition cache, clock, wake-ups.
pub struct Engine {
    store: Arc<dyn Store>,
    definitions: Definitions,
    clock: Arc<dyn Clock>,
    wakeups: Arc<Wakeups>,
    config: EngineConfig,
    pending_fetches: std::sync::atomic::AtomicUsize,
    draining: AtomicBool,
    shutdown: tokio::sync::watch::Sender<bool>,
}

impl Engine {
    /// An engine over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, config: EngineConfig) -> Arc<Engine> {
        Arc::new(Engine {
            definitions: Definitions::new(store.clone()),
            store,
            clock,
            wakeups: Arc::new(Wakeups::default()),
            config,
            pending_fetches: std::sync::atomic::AtomicUsize::new(0),
            draining: AtomicBool::new(false),
            shutdown: tokio::sync::watch::channel(false).0,
        })
    }

    /// The store, for read-only queries.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The compiled definitions.
    pub fn definitions(&self) -> &Definitions {
        &self.definitions
    }

    /// The wake-ups (for the PostgreSQL listener).
    pub fn wakeups(&self) -> &Arc<Wakeups> {
        &self.wakeups
    }

    /// The current time.
    pub fn now(&self) -> crate::time::Timestamp {
        self.clock.now()
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Stops taking work: waiting long polls answer `[]` at once, the job executor
    /// stops after its current job.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.shutdown.send_replace(true);
        self.wakeups.wake_tasks();
        self.wakeups.wake_jobs();
    }

    /// True once [`Engine::drain`] was called.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Fires when the engine drains.
    pub fn shutdown_signal(&self) -> tokio::sync::watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

/// Runs `$body` (an expression that may use `?` and refers to the unit of work as
/// `$work`) in a transaction and commits it, retrying the whole body when the database
/// reports a conflict that a retry resolves (deadlock, serialization failure, busy
/// database). A macro rather than a function taking a closure, because the body borrows
/// the caller's arguments across awaits.
macro_rules! transact {
    ($engine:expr, $work:ident, $body:expr) => {{
        let engine: &$crate::service::Engine = $engine;
        let mut attempt: u64 = 0;
        loop {
            attempt += 1;
            let mut unit = $crate::service::Work::begin(engine).await?;
            let result: $crate::service::ServiceResult<_> = {
                let $work = &mut unit;
                async { $body }.await
            };
            let result = match result {
                Ok(value) => unit.commit().await.map(|()| value),
                Err(e) => Err(e),
            };
            match result {
                Err($crate::service::ServiceError::Store(e)) if e.is_retryable() && attempt < 5 => {
                    tracing::debug!(attempt, error = %e, "retrying a command after a conflict");
                    tokio::time::sleep(std::time::Duration::from_millis(5 * attempt)).await;
                }
                other => break other,
            }
        }
    }};
}

pub mod clock;
pub mod conditions;
pub mod definitions;
pub mod deploy;
pub mod error;
pub mod external_tasks;
pub mod fetch;
pub mod history_cleanup;
pub mod ids;
pub mod instances;
pub mod jobs;
pub mod messages;
pub mod notify;
pub mod suspension;
pub mod user_tasks;
pub mod variables;
pub mod work;
pub mod write;
