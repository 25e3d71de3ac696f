//! The `dateTime()` shim: the part of Joda-Time's `DateTime` that Camunda processes use
//! (`dateTime().plusDays(2).toDate()`), always in UTC because procos has no server time
//! zone to inherit.

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, Months, NaiveDateTime, Timelike};

use crate::time::Timestamp;

use super::error::Fault;

/// A calendar unit that `plusX`/`minusX` add.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Years,
    Months,
    Weeks,
    Days,
    Hours,
    Minutes,
    Seconds,
    Millis,
}

/// A field that `getX()` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Year,
    MonthOfYear,
    DayOfMonth,
    DayOfWeek,
    DayOfYear,
    HourOfDay,
    MinuteOfHour,
    SecondOfMinute,
    MillisOfSecond,
}

fn naive(t: Timestamp) -> Result<NaiveDateTime, Fault> {
    DateTime::from_timestamp_millis(t.millis())
        .map(|d| d.naive_utc())
        .ok_or_else(|| out_of_range(t.millis()))
}

fn out_of_range(millis: i64) -> Fault {
    Fault::failed(format!("date out of range: {millis} ms since the epoch"))
}

fn from_naive(n: NaiveDateTime) -> Timestamp {
    Timestamp(n.and_utc().timestamp_millis())
}

/// Adds `amount` units. Months and years are calendar-aware and clamp to the end of
/// the month as Joda does (Jan 31 + 1 month = Feb 28 or 29); the other units are fixed
/// lengths, which in UTC is the same as Joda's field arithmetic.
pub(crate) fn plus(t: Timestamp, unit: Unit, amount: i64) -> Result<Timestamp, Fault> {
    let fixed = |ms_per_unit: i64| {
        amount
            .checked_mul(ms_per_unit)
            .and_then(|d| t.millis().checked_add(d))
            .map(Timestamp)
            .ok_or_else(|| out_of_range(t.millis()))
    };
    match unit {
        Unit::Millis => fixed(1),
        Unit::Seconds => fixed(1_000),
        Unit::Minutes => fixed(60_000),
        Unit::Hours => fixed(3_600_000),
        Unit::Days => fixed(86_400_000),
        Unit::Weeks => fixed(7 * 86_400_000),
        Unit::Months | Unit::Years => {
            let months = if unit == Unit::Years {
                amount.checked_mul(12)
            } else {
                Some(amount)
            };
            let months = months
                .and_then(|m| u32::try_from(m.unsigned_abs()).ok())
                .ok_or_else(|| out_of_range(t.millis()))?;
            let n = naive(t)?;
            let moved = if amount >= 0 {
                n.checked_add_months(Months::new(months))
            } else {
                n.checked_sub_months(Months::new(months))
            };
            moved
                .map(from_naive)
                .ok_or_else(|| out_of_range(t.millis()))
        }
    }
}

/// Reads a calendar field (`getDayOfWeek()` is ISO: 1 = Monday).
pub(crate) fn field(t: Timestamp, f: Field) -> Result<i32, Fault> {
    let n = naive(t)?;
    let v = match f {
        Field::Year => n.year(),
        Field::MonthOfYear => n.month() as i32,
        Field::DayOfMonth => n.day() as i32,
        Field::DayOfWeek => n.weekday().number_from_monday() as i32,
        Field::DayOfYear => n.ordinal() as i32,
        Field::HourOfDay => n.hour() as i32,
        Field::MinuteOfHour => n.minute() as i32,
        Field::SecondOfMinute => n.second() as i32,
        Field::MillisOfSecond => t.millis().rem_euclid(1000) as i32,
    };
    Ok(v)
}

/// Joda's `withTimeAtStartOfDay()`: midnight of the same day.
pub(crate) fn start_of_day(t: Timestamp) -> Result<Timestamp, Fault> {
    let n = naive(t)?;
    Ok(from_naive(n.date().and_time(chrono::NaiveTime::MIN)))
}

fn write_parts(t: Timestamp, out: &mut String) -> bool {
    match DateTime::from_timestamp_millis(t.millis()) {
        Some(d) => {
            let n = d.naive_utc();
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
                n.year(),
                n.month(),
                n.day(),
                n.hour(),
                n.minute(),
                n.second(),
                t.millis().rem_euclid(1000)
            );
            true
        }
        None => {
            let _ = write!(out, "{}", t.millis());
            false
        }
    }
}

/// A `java.util.Date` as text: `yyyy-MM-dd'T'HH:mm:ss.SSS+0000`, Camunda's REST date
/// format, so that a date in a composite text can be parsed back (Java's own
/// `Date.toString()` depends on the server's zone and locale).
pub(crate) fn write_date(t: Timestamp, out: &mut String) {
    if write_parts(t, out) {
        out.push_str("+0000");
    }
}

/// A Joda `DateTime` as `toString()` prints it in UTC: `2026-11-22T10:15:30.000Z`.
pub(crate) fn write_datetime(t: Timestamp, out: &mut String) {
    if write_parts(t, out) {
        out.push('Z');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        let n = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.3f").unwrap();
        from_naive(n)
    }

    fn iso(t: Timestamp) -> String {
        let mut s = String::new();
        write_datetime(t, &mut s);
        s
    }

    #[test]
    fn month_arithmetic_clamps_to_month_end() {
        let jan31 = ts("2024-01-31T10:00:00.000");
        assert_eq!(
            iso(plus(jan31, Unit::Months, 1).unwrap()),
            "2024-02-29T10:00:00.000Z"
        );
        let leap = ts("2024-02-29T00:00:00.000");
        assert_eq!(
            iso(plus(leap, Unit::Years, 1).unwrap()),
            "2025-02-28T00:00:00.000Z"
        );
        assert_eq!(
            iso(plus(ts("2024-03-31T00:00:00.000"), Unit::Months, -1).unwrap()),
            "2024-02-29T00:00:00.000Z"
        );
    }

    #[test]
    fn fields_and_formats() {
        let t = ts("2026-11-22T10:15:30.042");
        assert_eq!(field(t, Field::DayOfWeek).unwrap(), 7); // a Sunday
        assert_eq!(field(t, Field::MillisOfSecond).unwrap(), 42);
        assert_eq!(iso(t), "2026-11-22T10:15:30.042Z");
        let mut s = String::new();
        write_date(t, &mut s);
        assert_eq!(s, "2026-11-22T10:15:30.042+0000");
        assert_eq!(iso(start_of_day(t).unwrap()), "2026-11-22T00:00:00.000Z");
    }

    #[test]
    fn overflow_is_an_error_not_a_panic() {
        assert!(plus(Timestamp(i64::MAX - 5), Unit::Days, 1).is_err());
        assert!(plus(Timestamp(0), Unit::Years, i64::MAX).is_err());
        assert!(field(Timestamp(i64::MAX), Field::Year).is_err());
    }
}
