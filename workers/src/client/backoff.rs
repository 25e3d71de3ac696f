//! The fetch loop's health: how long to wait after a failed fetch, and when to say so.
//!
//! A pure state machine (no clock, no logging), so its numbers and its "say it once"
//! rule are tested without waiting: the worker logs the events it returns.

use std::time::Duration;

/// What the worker should log after a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HealthEvent {
    /// Fetching started failing (or fails for another reason than before).
    Failing {
        /// The kind of failure ([`super::ClientError::kind`]).
        kind: String,
        /// The full reason.
        reason: String,
    },
    /// A fetch succeeded after `failures` failed ones.
    Recovered {
        /// How many fetches failed in a row.
        failures: u32,
    },
}

/// Consecutive fetch failures and the exponential backoff they cause.
#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    initial: Duration,
    max: Duration,
    failures: u32,
    kind: Option<String>,
}

impl Backoff {
    /// Waits from `initial`, doubling, up to `max`.
    pub(crate) fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial: initial.max(Duration::from_millis(1)),
            max: max.max(initial),
            failures: 0,
            kind: None,
        }
    }

    /// A fetch failed with an error of `kind`: how long to wait before the next one, and
    /// what to log: only the first failure, or a change of kind.
    pub(crate) fn failed(&mut self, kind: &str, reason: &str) -> (Duration, Option<HealthEvent>) {
        self.failures = self.failures.saturating_add(1);
        let event = if self.kind.as_deref() == Some(kind) {
            None
        } else {
            self.kind = Some(kind.to_owned());
            Some(HealthEvent::Failing {
                kind: kind.to_owned(),
                reason: reason.to_owned(),
            })
        };
        let doublings = self.failures.saturating_sub(1).min(30);
        let wait = self
            .initial
            .checked_mul(1u32 << doublings)
            .unwrap_or(self.max)
            .min(self.max);
        (wait, event)
    }

    /// A fetch succeeded: what to log (a recovery, once).
    pub(crate) fn succeeded(&mut self) -> Option<HealthEvent> {
        let failures = std::mem::take(&mut self.failures);
        self.kind = None;
        (failures > 0).then_some(HealthEvent::Recovered { failures })
    }

    /// Whether the last fetch failed.
    #[cfg(test)]
    pub(crate) fn is_failing(&self) -> bool {
        self.failures > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap_and_are_logged_once() {
        let mut b = Backoff::new(ms(500), ms(30_000));
        assert_eq!(b.succeeded(), None, "nothing to say while healthy");
        let mut waits = Vec::new();
        let mut events = Vec::new();
        for _ in 0..10 {
            let (wait, event) = b.failed("unreachable", "connection refused");
            waits.push(wait.as_millis());
            events.extend(event);
        }
        assert_eq!(
            waits,
            [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]
        );
        assert_eq!(
            events,
            [HealthEvent::Failing {
                kind: "unreachable".into(),
                reason: "connection refused".into()
            }]
        );
        assert!(b.is_failing());
        // Another reason is worth one more line, and does not reset the backoff.
        let (wait, event) = b.failed("HTTP 401", "Unauthorized");
        assert_eq!(wait, ms(30_000));
        assert!(matches!(event, Some(HealthEvent::Failing { kind, .. }) if kind == "HTTP 401"));
        assert_eq!(b.failed("HTTP 401", "Unauthorized").1, None);
        // Recovery is said once, and the next failure starts from the beginning.
        assert_eq!(b.succeeded(), Some(HealthEvent::Recovered { failures: 12 }));
        assert_eq!(b.succeeded(), None);
        assert!(!b.is_failing());
        let (wait, event) = b.failed("unreachable", "connection refused");
        assert_eq!(wait, ms(500));
        assert!(event.is_some());
    }

    #[test]
    fn a_huge_number_of_failures_stays_at_the_cap() {
        let mut b = Backoff::new(ms(500), ms(30_000));
        for _ in 0..100 {
            b.failed("unreachable", "x");
        }
        assert_eq!(b.failed("unreachable", "x").0, ms(30_000));
    }
}
