//! Proleptic Gregorian calendar arithmetic on plain integers.
//!
//! Hand-written instead of going through chrono because every caller needs the same
//! three things (split an instant into fields, rebuild it, know month lengths) for any
//! `i64` an input can contain, without a fallible conversion at each step. The algorithms
//! are Howard Hinnant's `days_from_civil` / `civil_from_days`.

use super::Timestamp;

pub(super) const MILLIS_PER_SECOND: i64 = 1_000;
pub(super) const MILLIS_PER_MINUTE: i64 = 60 * MILLIS_PER_SECOND;
pub(super) const MILLIS_PER_HOUR: i64 = 60 * MILLIS_PER_MINUTE;
pub(super) const MILLIS_PER_DAY: i64 = 24 * MILLIS_PER_HOUR;

/// First supported year: Camunda renders years with four digits.
pub(super) const MIN_YEAR: i64 = 0;
/// Last supported year.
pub(super) const MAX_YEAR: i64 = 9999;

pub(super) const MIN_MILLIS: i64 = days_from_civil(MIN_YEAR, 1, 1) * MILLIS_PER_DAY;
pub(super) const MAX_MILLIS: i64 = days_from_civil(MAX_YEAR + 1, 1, 1) * MILLIS_PER_DAY - 1;

/// Whether `t` lies in the years 0000 to 9999.
pub(super) const fn in_range(t: i64) -> bool {
    t >= MIN_MILLIS && t <= MAX_MILLIS
}

pub(super) const fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1–12) of `year`.
pub(super) const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01. Exact for every year whose day count fits an `i64`, far beyond
/// what the callers pass (they bound years first).
pub(super) const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = month as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: (year, month, day). Total for every `i64` day count
/// that comes from dividing an `i64` of milliseconds.
pub(super) const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400;
    (if month <= 2 { year + 1 } else { year }, month, day)
}

/// Quartz's day-of-week numbering, 1 = Sunday … 7 = Saturday, of a day count.
pub(super) const fn quartz_weekday(days: i64) -> u32 {
    // 1970-01-01 was a Thursday (5).
    ((days + 4).rem_euclid(7) + 1) as u32
}

/// An instant split into UTC calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    /// Milliseconds since midnight.
    pub millis_of_day: i64,
}

impl Civil {
    pub(super) const fn of(t: Timestamp) -> Civil {
        let days = t.0.div_euclid(MILLIS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year,
            month,
            day,
            millis_of_day: t.0.rem_euclid(MILLIS_PER_DAY),
        }
    }

    /// `None` outside the supported years, so callers never overflow on absurd inputs.
    pub(super) const fn to_timestamp(self) -> Option<Timestamp> {
        if self.year < MIN_YEAR || self.year > MAX_YEAR {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        Some(Timestamp(days * MILLIS_PER_DAY + self.millis_of_day))
    }

    pub(super) const fn hour(self) -> u32 {
        (self.millis_of_day / MILLIS_PER_HOUR) as u32
    }

    pub(super) const fn minute(self) -> u32 {
        (self.millis_of_day / MILLIS_PER_MINUTE % 60) as u32
    }

    pub(super) const fn second(self) -> u32 {
        (self.millis_of_day / MILLIS_PER_SECOND % 60) as u32
    }

    pub(super) const fn milli(self) -> u32 {
        (self.millis_of_day % MILLIS_PER_SECOND) as u32
    }
}

/// Adds calendar months the way `java.util.Calendar.add(MONTH, n)` does: the day of month
/// is kept, and clamped to the last day when the target month is shorter (Jan 31 + 1 month
/// = Feb 28/29). `None` when the result leaves the supported years.
pub(super) fn add_months(t: Timestamp, months: i64) -> Option<Timestamp> {
    let c = Civil::of(t);
    let index = c
        .year
        .checked_mul(12)?
        .checked_add(i64::from(c.month) - 1)?
        .checked_add(months)?;
    let year = index.div_euclid(12);
    if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
        return None;
    }
    // rem_euclid(12) is in 0..12, so the month is 1..=12.
    let month = u32::try_from(index.rem_euclid(12)).ok()? + 1;
    let day = c.day.min(days_in_month(year, month));
    Civil {
        year,
        month,
        day,
        millis_of_day: c.millis_of_day,
    }
    .to_timestamp()
}

/// Adds an exact number of milliseconds; `None` when the result leaves the supported
/// years.
pub(super) fn add_millis(t: Timestamp, millis: i64) -> Option<Timestamp> {
    let sum = t.0.checked_add(millis)?;
    in_range(sum).then_some(Timestamp(sum))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_days_across_the_supported_range_and_beyond() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn splits_negative_instants_onto_the_previous_day() {
        let c = Civil::of(Timestamp(-1));
        assert_eq!((c.year, c.month, c.day), (1969, 12, 31));
        assert_eq!(
            (c.hour(), c.minute(), c.second(), c.milli()),
            (23, 59, 59, 999)
        );
    }

    #[test]
    fn extreme_instants_split_without_overflow() {
        for t in [i64::MIN, i64::MAX, MIN_MILLIS, MAX_MILLIS] {
            let c = Civil::of(Timestamp(t));
            assert!((1..=12).contains(&c.month));
        }
        assert_eq!(Civil::of(Timestamp(MAX_MILLIS)).year, 9999);
        assert_eq!(Civil::of(Timestamp(MIN_MILLIS)).year, 0);
        assert_eq!(Civil::of(Timestamp(i64::MAX)).to_timestamp(), None);
    }

    #[test]
    fn weekdays_use_quartz_numbering() {
        // 1970-01-01 Thursday = 5, 2026-01-04 Sunday = 1, 2026-01-10 Saturday = 7.
        assert_eq!(quartz_weekday(0), 5);
        assert_eq!(quartz_weekday(days_from_civil(2026, 1, 4)), 1);
        assert_eq!(quartz_weekday(days_from_civil(2026, 1, 10)), 7);
        assert_eq!(quartz_weekday(-1), 4);
    }

    #[test]
    fn month_lengths_follow_gregorian_leap_years() {
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
        assert_eq!(days_in_month(2026, 12), 31);
    }
}
