//! Repeating a model call after transient errors: exponential backoff with jitter, or the
//! wait the server asked for, within a bounded number of attempts.

use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use super::config::RetryConfig;
use super::provider::ProviderError;

/// Why a call gave up.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GaveUp {
    /// The last error.
    pub error: ProviderError,
    /// Calls made.
    pub attempts: u32,
    /// A server-requested wait longer than the configured cap: the engine should wait
    /// that long before the task is fetched again.
    pub wait_hint: Option<Duration>,
}

/// Calls `call` until it succeeds, fails permanently, or `retry.max_attempts` calls failed
/// transiently. Waits `Retry-After` when the server sent one (giving up at once when it
/// exceeds `retry.max_delay_ms`), else the exponential backoff.
pub(crate) async fn with_retries<T, F, Fut>(retry: &RetryConfig, mut call: F) -> Result<T, GaveUp>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ProviderError>>,
{
    let max_attempts = retry.max_attempts.max(1);
    let cap = Duration::from_millis(retry.max_delay_ms);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let error = match call().await {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !error.is_transient() {
            tracing::warn!(provider = %error.provider, attempt, error = %error.message, "AI call failed; not retryable");
            return Err(GaveUp {
                error,
                attempts: attempt,
                wait_hint: None,
            });
        }
        if attempt >= max_attempts {
            tracing::warn!(provider = %error.provider, attempt, error = %error.message, "AI call failed; no attempts left");
            let wait_hint = error.retry_after;
            return Err(GaveUp {
                error,
                attempts: attempt,
                wait_hint,
            });
        }
        let delay = match error.retry_after {
            Some(wait) if wait > cap => {
                tracing::warn!(
                    provider = %error.provider, attempt, wait_ms = wait.as_millis() as u64,
                    error = %error.message, "AI call failed; the server asks to wait longer than the retry cap"
                );
                return Err(GaveUp {
                    error,
                    attempts: attempt,
                    wait_hint: Some(wait),
                });
            }
            Some(wait) => wait,
            None => jitter(retry.backoff(attempt)),
        };
        tracing::info!(
            provider = %error.provider, attempt, delay_ms = delay.as_millis() as u64,
            error = %error.message, "AI call failed; retrying"
        );
        tokio::time::sleep(delay).await;
    }
}

/// `delay` scaled by a random factor between 0.5 and 1, so that many workers hit by the
/// same outage do not retry in step.
fn jitter(delay: Duration) -> Duration {
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let factor = 0.5 + (random % 1000) as f64 / 2000.0;
    delay.mul_f64(factor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::provider::ProviderKind;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn config(max_attempts: u32) -> RetryConfig {
        RetryConfig {
            max_attempts,
            base_delay_ms: 1,
            max_delay_ms: 50,
        }
    }

    #[tokio::test]
    async fn transient_errors_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = with_retries(&config(3), || async {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 | 1 => Err(ProviderError::transient(ProviderKind::OpenAi, "500", None)),
                _ => Ok("ok"),
            }
        })
        .await;
        assert_eq!(result, Ok("ok"));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn permanent_errors_stop_at_once_and_attempts_are_bounded() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = with_retries(&config(3), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ProviderError::permanent(ProviderKind::OpenAi, "401", None))
        })
        .await;
        assert_eq!(result.map_err(|g| g.attempts), Err(1));

        let result: Result<(), _> = with_retries(&config(3), || async {
            Err(ProviderError::transient(ProviderKind::OpenAi, "503", None))
        })
        .await;
        assert_eq!(result.map_err(|g| g.attempts), Err(3));
    }

    #[tokio::test]
    async fn a_wait_beyond_the_cap_gives_up_with_a_hint() {
        let result: Result<(), _> = with_retries(&config(3), || async {
            let mut e = ProviderError::transient(ProviderKind::OpenAi, "429", None);
            e.retry_after = Some(Duration::from_secs(60));
            Err(e)
        })
        .await;
        let gave_up = result.err();
        assert_eq!(gave_up.as_ref().map(|g| g.attempts), Some(1));
        assert_eq!(
            gave_up.and_then(|g| g.wait_hint),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn jitter_stays_between_half_and_all() {
        for _ in 0..100 {
            let d = jitter(Duration::from_millis(1000));
            assert!(d >= Duration::from_millis(500) && d <= Duration::from_millis(1000));
        }
    }
}
