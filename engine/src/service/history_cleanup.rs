//! History clean-up: the history of a finished instance is removed once its removal
//! time (end time plus the definition's `camunda:historyTimeToLive`) has passed, as with
//! Camunda's default removal-time-based strategy.

use std::sync::Arc;
use std::time::Duration;

use super::error::ServiceResult;
use super::Engine;

/// Instances removed per transaction, as Camunda's default batch size.
const BATCH: i64 = 500;

impl Engine {
    /// Removes the history of every instance whose removal time has passed; returns how
    /// many instances' history went.
    pub async fn clean_up_history(&self) -> ServiceResult<u64> {
        let now = self.clock.now().0;
        let mut removed = 0;
        loop {
            let n = self.store.delete_history_before(now, BATCH).await?;
            removed += n;
            if n < BATCH as u64 {
                break;
            }
            tracing::info!(removed, "history clean-up in progress");
        }
        if removed > 0 {
            tracing::info!(
                removed,
                "history clean-up removed the history of finished instances"
            );
        }
        Ok(removed)
    }

    /// Cleans up history every `interval` until the engine drains.
    pub async fn run_history_cleanup(self: Arc<Self>, interval: Duration) {
        let mut shutdown = self.shutdown_signal();
        loop {
            if let Err(e) = self.clean_up_history().await {
                tracing::warn!(error = %e, "history clean-up failed; retrying later");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
