//! Waking whoever waits for new work: long-polling fetch-and-lock requests and the job
//! executor. In one process through watch channels; across nodes through PostgreSQL
//! `LISTEN/NOTIFY`, which the listener turns into the same local wake-ups.
//!
//! A node announces new work to the others after its transaction committed, from a task
//! of its own ([`listen`] runs it beside the listener) that coalesces what accumulated
//! while it was sending, rather than with a `NOTIFY` inside each command's transaction:
//! PostgreSQL serializes the commits of transactions that notify (holding a global lock
//! from before the commit record until after its WAL is flushed), so one `NOTIFY` per
//! command turned group commit off for every command that created work. The
//! announcements run in their own transactions with `synchronous_commit = off`: a
//! notification carries no data (it is lost anyway when a listener is disconnected, and
//! each listener wakes everyone when it reconnects), and what it announces is already
//! committed durably by then. Each announcement carries the node's origin token, so a
//! node ignores its own (it woke its waiters locally already).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use super::work::Wake;

/// Channel for new or released external tasks; the payload is the sender's origin.
pub const TASKS_CHANNEL: &str = "procos_tasks";
/// Channel for new timer jobs; the payload is the sender's origin.
pub const JOBS_CHANNEL: &str = "procos_jobs";

/// Generation counters that change whenever there is new work.
#[derive(Debug)]
pub struct Wakeups {
    tasks: watch::Sender<u64>,
    jobs: watch::Sender<u64>,
    remote: Remote,
}

/// What is still to be announced to other nodes.
#[derive(Debug)]
struct Remote {
    /// Set once an announcer runs (PostgreSQL).
    enabled: AtomicBool,
    tasks: AtomicBool,
    jobs: AtomicBool,
    pending: Notify,
    /// This node's token in its announcements.
    origin: String,
}

impl Default for Wakeups {
    fn default() -> Self {
        Wakeups {
            tasks: watch::channel(0).0,
            jobs: watch::channel(0).0,
            remote: Remote {
                enabled: AtomicBool::new(false),
                tasks: AtomicBool::new(false),
                jobs: AtomicBool::new(false),
                pending: Notify::new(),
                origin: super::ids::new_id(),
            },
        }
    }
}

impl Wakeups {
    /// Wakes after a commit: waiters on this node at once, other nodes through the
    /// announcer.
    pub fn wake(&self, wake: &Wake) {
        let tasks = !wake.topics.is_empty();
        if tasks {
            self.wake_tasks();
        }
        if wake.jobs {
            self.wake_jobs();
        }
        if (tasks || wake.jobs) && self.remote.enabled.load(Ordering::Acquire) {
            if tasks {
                self.remote.tasks.store(true, Ordering::Release);
            }
            if wake.jobs {
                self.remote.jobs.store(true, Ordering::Release);
            }
            self.remote.pending.notify_one();
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
/// waiters, and announces this node's new work to the others. Reconnects with a pause
/// when a connection fails, logging once per outage.
pub async fn listen(url: String, wakeups: Arc<Wakeups>, stop: watch::Receiver<bool>) {
    tokio::join!(
        receive(url.clone(), wakeups.clone(), stop.clone()),
        announce(url, wakeups, stop)
    );
}

async fn receive(url: String, wakeups: Arc<Wakeups>, mut stop: watch::Receiver<bool>) {
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
                            // This node's own announcement: its waiters were woken already.
                            Ok((_, origin)) if origin == wakeups.remote.origin => {}
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

/// Sends what [`Wakeups::wake`] left to announce, coalescing whatever accumulated while
/// the previous announcement was on its way.
async fn announce(url: String, wakeups: Arc<Wakeups>, mut stop: watch::Receiver<bool>) {
    let remote = &wakeups.remote;
    remote.enabled.store(true, Ordering::Release);
    let mut announcer: Option<crate::store::Announcer> = None;
    let mut failing = false;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            _ = remote.pending.notified() => {}
        }
        let tasks = remote.tasks.swap(false, Ordering::AcqRel);
        let jobs = remote.jobs.swap(false, Ordering::AcqRel);
        if !tasks && !jobs {
            continue;
        }
        let channels: Vec<&str> = [(tasks, TASKS_CHANNEL), (jobs, JOBS_CHANNEL)]
            .into_iter()
            .filter_map(|(on, channel)| on.then_some(channel))
            .collect();
        if announcer.is_none() {
            match crate::store::Announcer::connect(&url).await {
                Ok(a) => {
                    if failing {
                        tracing::info!("announcing new work to other nodes again");
                        failing = false;
                    }
                    announcer = Some(a);
                }
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "cannot announce new work to other nodes; retrying");
                        failing = true;
                    }
                }
            }
        }
        if let Some(a) = announcer.as_mut() {
            if let Err(e) = a.send(&channels, &remote.origin).await {
                if !failing {
                    tracing::warn!(error = %e, "cannot announce new work to other nodes; retrying");
                    failing = true;
                }
                announcer = None;
            }
        }
        if announcer.is_none() {
            // Try again after a pause; other nodes' long polls also re-check on their own.
            if tasks {
                remote.tasks.store(true, Ordering::Release);
            }
            if jobs {
                remote.jobs.store(true, Ordering::Release);
            }
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => remote.pending.notify_one(),
            }
        }
    }
}
