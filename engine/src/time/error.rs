//! The one error type of the time module.

use thiserror::Error;

/// Why a date, duration, cycle or cron text was rejected, or why a computed date does not
/// exist.
///
/// Messages quote the offending text and show a valid example, because they end up in
/// front of the person who typed the timer definition into Camunda Modeler or a REST
/// request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimeError {
    /// The text is not a date in any of the accepted forms.
    #[error(
        "invalid date '{text}': {reason} (expected e.g. 2013-01-23T13:42:42.000+0200, \
         2013-01-23T13:42:42Z or 2013-01-23)"
    )]
    InvalidDate {
        /// The rejected text (shortened when very long).
        text: String,
        /// What exactly is wrong.
        reason: String,
    },
    /// The text is not an ISO 8601 duration.
    #[error(
        "invalid duration '{text}': {reason} (expected an ISO 8601 duration such as PT30S, \
         PT1H30M, P1D, P1M or P2W)"
    )]
    InvalidDuration {
        /// The rejected text (shortened when very long).
        text: String,
        /// What exactly is wrong.
        reason: String,
    },
    /// The text is not an ISO 8601 repeating interval.
    #[error(
        "invalid time cycle '{text}': {reason} (expected e.g. R5/PT10S, R/PT1H, \
         R3/2026-01-01T00:00:00Z/PT1H or R3/PT1H/2026-01-01T00:00:00Z)"
    )]
    InvalidCycle {
        /// The rejected text (shortened when very long).
        text: String,
        /// What exactly is wrong.
        reason: String,
    },
    /// The text is not a Quartz cron expression.
    #[error(
        "invalid cron expression '{text}': {reason} (expected Quartz syntax 'seconds minutes \
         hours day-of-month month day-of-week [year]', e.g. 0 0/5 * * * ?)"
    )]
    InvalidCron {
        /// The rejected text (shortened when very long).
        text: String,
        /// What exactly is wrong.
        reason: String,
    },
    /// The computation is well-formed but its result lies outside the years 0000 to 9999.
    #[error("{what} falls outside the supported years 0000 to 9999")]
    OutOfRange {
        /// The computation, e.g. `2026-01-01T00:00:00.000Z plus P10000Y`.
        what: String,
    },
}

/// Keeps error messages readable when a REST client sends a megabyte of garbage.
pub(super) fn excerpt(text: &str) -> String {
    const MAX_CHARS: usize = 100;
    match text.char_indices().nth(MAX_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quote_the_text_and_show_an_example() {
        let e = TimeError::InvalidDuration {
            text: "P".into(),
            reason: "no amount after 'P'".into(),
        };
        let msg = e.to_string();
        assert!(msg.contains("'P'"), "{msg}");
        assert!(msg.contains("PT30S"), "{msg}");
    }

    #[test]
    fn long_texts_are_shortened_on_a_char_boundary() {
        let long = "é".repeat(500);
        let short = excerpt(&long);
        assert_eq!(short.chars().count(), 101);
        assert!(short.ends_with('…'));
        assert_eq!(excerpt("PT5M"), "PT5M");
    }
}
