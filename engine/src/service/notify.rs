//! Waking whoever waits for new work: long-polling fetch-and-lock requests and the job
//! executor. In one process through watch channels; across nodes through PostgreSQL
//! `LISTEN/NOTIFY`, which the listener turns into the same local wake-ups.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::work::Wake;

/// Channel for new or released external tasks; the payload is the topic.
pub const TASKS_CHANNEL: &str = "procos_tasks";
/// Channel for new timer jobs.
pub const JOBS_CHANNEL: &str = "procos_jobs";

/// Generation counters that change whenever there is new work.
#[derive(Debug)]
pub struct Wakeups {
    tasks: watch::Sender<u64>,
    jobs: watch::Sender<u64>,
}

impl Default for Wakeups {
    fn default() -> Self {
        Wakeups {
            tasks: watch::channel(0).0,
            jobs: watch::channel(0).0,
        }
    }
}

impl Wakeups {
    /// Wakes after a commit.
    pub fn wake(&self, wake: &Wake) {
        if !wake.topics.is_empty() {
            self.wake_tasks();
        }
        if wake.jobs {
            self.wake_jobs();
        }
    }

    /// Wakes every waiting fetch-and-lock request.
    pub fn wake_tasks(&self) {
        self.tasks.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// Wakes the job executor.
    pub fn wake_jobs(&self) {
        self.jobs.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// A receiver that sees every later task wake-up.
    pub fn tasks(&self) -> watch::Receiver<u64> {
        self.tasks.subscribe()
    }

    /// A receiver that sees every later job wake-up.
    pub fn jobs(&self) -> watch::Receiver<u64> {
        self.jobs.subscribe()
    }
}

/// Runs until `stop` fires: listens for other nodes' notifications and wakes local
/// waiters. Reconnects with a pause when the connection fails, logging once per outage.
pub async fn listen(url: String, wakeups: Arc<Wakeups>, mut stop: watch::Receiver<bool>) {
    let mut failing = false;
    loop {
        if *stop.borrow() {
            return;
        }
        match crate::store::Listener::connect(&url, &[TASKS_CHANNEL, JOBS_CHANNEL]).await {
            Ok(mut listener) => {
                if failing {
                    tracing::info!("listening for other nodes' notifications again");
                }
                // Anything missed while disconnected is picked up by waking everyone.
                wakeups.wake_tasks();
                wakeups.wake_jobs();
                loop {
                    tokio::select! {
                        _ = stop.changed() => return,
                        msg = listener.recv() => match msg {
                            Ok((channel, _)) if channel == TASKS_CHANNEL => wakeups.wake_tasks(),
                            Ok(_) => wakeups.wake_jobs(),
                            Err(e) => {
                                tracing::warn!(error = %e, "notification listener lost its connection");
                                failing = true;
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot listen for other nodes' notifications; retrying");
                    failing = true;
                }
            }
        }
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}
