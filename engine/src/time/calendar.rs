//! Calendar-aware addition of one unit, for the expression language's date helpers
//! (`dateTime().plusMonths(n)`, Camunda's Joda-Time shim).

use super::civil::{self, MILLIS_PER_DAY, MILLIS_PER_HOUR, MILLIS_PER_MINUTE, MILLIS_PER_SECOND};
use super::format::format_iso;
use super::{TimeError, Timestamp};

/// A unit of [`add_calendar`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CalendarUnit {
    /// Calendar years; February 29 becomes February 28 in a common year.
    Years,
    /// Calendar months; the day is clamped to the target month's length.
    Months,
    /// Exactly 7 days (UTC has no daylight-saving shifts).
    Weeks,
    /// Exactly 24 hours.
    Days,
    /// 3,600 seconds.
    Hours,
    /// 60 seconds.
    Minutes,
    /// 1,000 milliseconds.
    Seconds,
    /// One millisecond.
    Millis,
}

impl CalendarUnit {
    fn name(self) -> &'static str {
        match self {
            CalendarUnit::Years => "years",
            CalendarUnit::Months => "months",
            CalendarUnit::Weeks => "weeks",
            CalendarUnit::Days => "days",
            CalendarUnit::Hours => "hours",
            CalendarUnit::Minutes => "minutes",
            CalendarUnit::Seconds => "seconds",
            CalendarUnit::Millis => "milliseconds",
        }
    }
}

/// Adds `amount` (negative to subtract) of `unit` to `t` on the UTC calendar, like
/// Joda-Time's `DateTime.plusMonths` and friends: `2026-01-31 + 1 month = 2026-02-28`.
///
/// Fails when the result leaves the years 0000 to 9999.
pub fn add_calendar(t: Timestamp, unit: CalendarUnit, amount: i64) -> Result<Timestamp, TimeError> {
    let result = match unit {
        CalendarUnit::Years => amount
            .checked_mul(12)
            .and_then(|months| civil::add_months(t, months)),
        CalendarUnit::Months => civil::add_months(t, amount),
        fixed => {
            let unit_millis = match fixed {
                CalendarUnit::Weeks => 7 * MILLIS_PER_DAY,
                CalendarUnit::Days => MILLIS_PER_DAY,
                CalendarUnit::Hours => MILLIS_PER_HOUR,
                CalendarUnit::Minutes => MILLIS_PER_MINUTE,
                CalendarUnit::Seconds => MILLIS_PER_SECOND,
                _ => 1,
            };
            amount
                .checked_mul(unit_millis)
                .and_then(|millis| civil::add_millis(t, millis))
        }
    };
    result.ok_or_else(|| TimeError::OutOfRange {
        what: format!("{} plus {amount} {}", format_iso(t), unit.name()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::format::parse_date_lenient;
    use super::*;
    use CalendarUnit::*;

    fn add(date: &str, unit: CalendarUnit, amount: i64) -> String {
        let t = match parse_date_lenient(date) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        };
        match add_calendar(t, unit, amount) {
            Ok(r) => format_iso(r),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn months_and_years_clamp_the_day() {
        assert_eq!(
            add("2026-01-31T10:00:00Z", Months, 1),
            "2026-02-28T10:00:00.000Z"
        );
        assert_eq!(
            add("2024-01-31T10:00:00Z", Months, 1),
            "2024-02-29T10:00:00.000Z"
        );
        assert_eq!(
            add("2026-03-31T10:00:00Z", Months, -1),
            "2026-02-28T10:00:00.000Z"
        );
        assert_eq!(
            add("2026-01-15T10:00:00Z", Months, -13),
            "2024-12-15T10:00:00.000Z"
        );
        assert_eq!(
            add("2024-02-29T00:00:00Z", Years, 1),
            "2025-02-28T00:00:00.000Z"
        );
        assert_eq!(
            add("2024-02-29T00:00:00Z", Years, -4),
            "2020-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn fixed_units_are_exact() {
        assert_eq!(
            add("2026-01-01T00:00:00Z", Weeks, 2),
            "2026-01-15T00:00:00.000Z"
        );
        assert_eq!(
            add("2026-01-01T00:00:00Z", Days, -1),
            "2025-12-31T00:00:00.000Z"
        );
        assert_eq!(
            add("2026-01-01T00:00:00Z", Hours, 25),
            "2026-01-02T01:00:00.000Z"
        );
        assert_eq!(
            add("2026-01-01T00:00:00Z", Minutes, 90),
            "2026-01-01T01:30:00.000Z"
        );
        assert_eq!(
            add("2026-01-01T00:00:00Z", Seconds, -1),
            "2025-12-31T23:59:59.000Z"
        );
        assert_eq!(
            add("2026-01-01T00:00:00Z", Millis, 5),
            "2026-01-01T00:00:00.005Z"
        );
        assert_eq!(
            add("2026-01-01T00:00:00Z", Days, 0),
            "2026-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        assert_eq!(
            add("2026-01-01T00:00:00Z", Years, 8000),
            "2026-01-01T00:00:00.000Z plus 8000 years falls outside the supported years 0000 to 9999"
        );
        assert!(add("2026-01-01T00:00:00Z", Years, i64::MAX).contains("outside"));
        assert!(add("2026-01-01T00:00:00Z", Months, i64::MIN).contains("outside"));
        assert!(add("2026-01-01T00:00:00Z", Weeks, i64::MAX / 2).contains("outside"));
        assert!(add("2026-01-01T00:00:00Z", Millis, i64::MAX).contains("outside"));
    }
}
