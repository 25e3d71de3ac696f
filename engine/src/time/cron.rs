//! Quartz cron expressions: Camunda 7 reads a `timeCycle` that does not start with `R` as
//! one (`CycleBusinessCalendar`).
//!
//! # Syntax
//!
//! Six or seven fields separated by spaces:
//!
//! | field | values | special characters |
//! |---|---|---|
//! | seconds | 0–59 | `, - * /` |
//! | minutes | 0–59 | `, - * /` |
//! | hours | 0–23 | `, - * /` |
//! | day of month | 1–31 | `, - * / ? L W` |
//! | month | 1–12 or `JAN`–`DEC` | `, - * /` |
//! | day of week | 1–7 or `SUN`–`SAT` (**1 = Sunday**, Quartz numbering) | `, - * / ? L #` |
//! | year (optional) | 1970–2999 | `, - * /` |
//!
//! - `a-b` is a range; a range whose end is below its start wraps (`FRI-MON`, `22-2`).
//! - `a/n` means every `n` starting at `a` (`0/15`, `*/5`, `10-50/10`).
//! - Day of month: `L` is the last day, `L-3` three days before it, `15W` the weekday
//!   (Monday to Friday) nearest the 15th without leaving the month, `LW` the last
//!   weekday.
//! - Day of week: `L` alone is Saturday, `6L` the last Friday of the month, `6#3` the
//!   third Friday (a month without one is skipped).
//! - Names are case-insensitive. `L`, `W` and `#` forms stand alone, not in lists.
//!
//! Quartz requires exactly one of day of month and day of week to be `?`. procos also
//! accepts `*` in that place (`0 0 12 * * MON` means every Monday, `0 0 12 * * *` every
//! day), but still rejects a specific value in both, because Quartz leaves that
//! combination undefined.
//!
//! Times are UTC wall-clock times (Camunda uses the JVM's zone).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use super::civil::{self, Civil, MILLIS_PER_SECOND};
use super::error::excerpt;
use super::{TimeError, Timestamp};

/// A parsed Quartz cron expression. See the [module](self) documentation for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    /// The expression with single spaces between fields, kept as its canonical text.
    text: String,
    seconds: u64,
    minutes: u64,
    hours: u64,
    day_of_month: DayOfMonth,
    /// Bits 1–12.
    months: u64,
    day_of_week: DayOfWeek,
    /// `None` when the year field is absent or `*`.
    years: Option<BTreeSet<u32>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayOfMonth {
    Any,
    /// Bits 1–31.
    Days(u64),
    /// `L` or `L-offset`.
    Last {
        offset: u32,
    },
    /// `LW` or `L-offsetW`: the weekday nearest to the last day minus the offset.
    LastWeekday {
        offset: u32,
    },
    /// `nW`.
    NearestWeekday(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DayOfWeek {
    Any,
    /// Bits 1–7, 1 = Sunday.
    Days(u64),
    /// `nL`: the last such weekday of the month.
    Last(u32),
    /// `n#k`: the k-th such weekday of the month.
    Nth {
        weekday: u32,
        nth: u32,
    },
}

/// How far ahead [`CronExpr::next_after`] looks when no year field bounds the search.
/// The Gregorian calendar repeats every 400 years, so any day pattern that ever matches
/// matches within that window.
const SEARCH_YEARS: i64 = 400;

impl CronExpr {
    /// Parses a Quartz cron expression with 6 or 7 fields.
    pub fn parse(text: &str) -> Result<CronExpr, TimeError> {
        parse_reason(text).map_err(|reason| TimeError::InvalidCron {
            text: excerpt(text),
            reason,
        })
    }

    /// The first whole second strictly after `t` that matches, as Quartz's
    /// `getTimeAfter`; `None` when none exists within the year field's values, or within
    /// 400 years when there is no year field (`0 0 0 30 FEB ?`), or before the year 10000.
    ///
    /// The search skips whole years, months, days, hours and minutes that cannot match, so
    /// even impossible expressions return after a few thousand steps.
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let first_second = t.0.div_euclid(MILLIS_PER_SECOND).checked_add(1)?;
        let first = first_second
            .checked_mul(MILLIS_PER_SECOND)?
            .max(civil::MIN_MILLIS);
        if first > civil::MAX_MILLIS {
            return None;
        }
        let c = Civil::of(Timestamp(first));
        let mut year = c.year;
        let mut month = c.month;
        let mut day = c.day;
        let mut hour = c.hour();
        let mut minute = c.minute();
        let mut second = c.second();
        let last_year = match &self.years {
            Some(years) => i64::from(*years.last()?),
            None => year.saturating_add(SEARCH_YEARS),
        }
        .min(civil::MAX_YEAR);

        loop {
            if year > last_year {
                return None;
            }
            if let Some(years) = &self.years {
                let wanted = u32::try_from(year).unwrap_or(0);
                match years.range(wanted..).next() {
                    Some(&y) if y == wanted => {}
                    Some(&y) => {
                        (year, month, day, hour, minute, second) = (i64::from(y), 1, 1, 0, 0, 0);
                        continue;
                    }
                    None => return None,
                }
            }
            match next_bit(self.months, month) {
                Some(m) if m == month => {}
                Some(m) => (month, day, hour, minute, second) = (m, 1, 0, 0, 0),
                None => {
                    (year, month, day, hour, minute, second) = (year + 1, 1, 1, 0, 0, 0);
                    continue;
                }
            }
            match self.next_day(year, month, day) {
                Some(d) if d == day => {}
                Some(d) => (day, hour, minute, second) = (d, 0, 0, 0),
                None => {
                    (month, day, hour, minute, second) = (month + 1, 1, 0, 0, 0);
                    continue;
                }
            }
            match next_bit(self.hours, hour) {
                Some(h) if h == hour => {}
                Some(h) => (hour, minute, second) = (h, 0, 0),
                None => {
                    (day, hour, minute, second) = (day + 1, 0, 0, 0);
                    continue;
                }
            }
            match next_bit(self.minutes, minute) {
                Some(m) if m == minute => {}
                Some(m) => (minute, second) = (m, 0),
                None => {
                    (hour, minute, second) = (hour + 1, 0, 0);
                    continue;
                }
            }
            match next_bit(self.seconds, second) {
                Some(s) => {
                    let millis_of_day = i64::from(hour) * civil::MILLIS_PER_HOUR
                        + i64::from(minute) * civil::MILLIS_PER_MINUTE
                        + i64::from(s) * MILLIS_PER_SECOND;
                    return Civil {
                        year,
                        month,
                        day,
                        millis_of_day,
                    }
                    .to_timestamp();
                }
                None => {
                    (minute, second) = (minute + 1, 0);
                    continue;
                }
            }
        }
    }

    /// The first day from `from` on in the month that satisfies both day fields.
    fn next_day(&self, year: i64, month: u32, from: u32) -> Option<u32> {
        let last = civil::days_in_month(year, month);
        let first_weekday = civil::quartz_weekday(civil::days_from_civil(year, month, 1));
        let weekday_of = |day: u32| (first_weekday - 1 + day - 1) % 7 + 1;
        (from.max(1)..=last).find(|&day| {
            let weekday = weekday_of(day);
            let dom = match self.day_of_month {
                DayOfMonth::Any => true,
                DayOfMonth::Days(bits) => bits & (1 << day) != 0,
                DayOfMonth::Last { offset } => last.checked_sub(offset) == Some(day),
                DayOfMonth::LastWeekday { offset } => last
                    .checked_sub(offset)
                    .filter(|&target| target >= 1)
                    .is_some_and(|target| nearest_weekday(target, last, weekday_of) == day),
                DayOfMonth::NearestWeekday(target) => {
                    target <= last && nearest_weekday(target, last, weekday_of) == day
                }
            };
            let dow = match self.day_of_week {
                DayOfWeek::Any => true,
                DayOfWeek::Days(bits) => bits & (1 << weekday) != 0,
                DayOfWeek::Last(w) => weekday == w && day + 7 > last,
                DayOfWeek::Nth { weekday: w, nth } => weekday == w && (day - 1) / 7 + 1 == nth,
            };
            dom && dow
        })
    }
}

/// Quartz's `W`: Saturday moves to Friday and Sunday to Monday, but never out of the
/// month (Saturday the 1st goes to Monday the 3rd, Sunday the last to Friday).
fn nearest_weekday(target: u32, last: u32, weekday_of: impl Fn(u32) -> u32) -> u32 {
    match weekday_of(target) {
        7 if target == 1 => 3,
        7 => target - 1,
        1 if target == last => target - 2,
        1 => target + 1,
        _ => target,
    }
}

/// The lowest set bit at or above `from`.
fn next_bit(bits: u64, from: u32) -> Option<u32> {
    if from >= 64 {
        return None;
    }
    let candidates = bits & (u64::MAX << from);
    (candidates != 0).then(|| candidates.trailing_zeros())
}

impl FromStr for CronExpr {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CronExpr::parse(s)
    }
}

/// The expression with single spaces between fields; [`CronExpr::parse`] reads it back.
impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[derive(Clone, Copy)]
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    /// Names for `min`, `min + 1`, ….
    names: &'static [&'static str],
}

const SECONDS: Field = Field {
    name: "seconds",
    min: 0,
    max: 59,
    names: &[],
};
const MINUTES: Field = Field {
    name: "minutes",
    min: 0,
    max: 59,
    names: &[],
};
const HOURS: Field = Field {
    name: "hours",
    min: 0,
    max: 23,
    names: &[],
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
};
const YEAR: Field = Field {
    name: "year",
    min: 1970,
    max: 2999,
    names: &[],
};

fn parse_reason(text: &str) -> Result<CronExpr, String> {
    let fields: Vec<&str> = text.split_ascii_whitespace().collect();
    let [sec, min, hour, dom, month, dow, rest @ ..] = fields.as_slice() else {
        return Err(field_count_reason(fields.len()));
    };
    let year = match rest {
        [] => None,
        [year] => Some(*year),
        _ => return Err(field_count_reason(fields.len())),
    };
    let (day_of_month, dom_marker) = parse_day_of_month(dom)?;
    let (day_of_week, dow_marker) = parse_day_of_week(dow)?;
    let (day_of_month, day_of_week) = match (dom_marker, dow_marker) {
        (Marker::Question, Marker::Question) => {
            return Err(
                "day-of-month and day-of-week are both '?'; put '?' in one and a \
                        value or '*' in the other"
                    .into(),
            )
        }
        (Marker::Value, Marker::Value) => {
            return Err(format!(
                "day-of-month '{dom}' and day-of-week '{dow}' are both given; Quartz \
                 supports only one, put '?' in the other"
            ))
        }
        _ => (day_of_month, day_of_week),
    };
    let years = match year {
        None | Some("*") => None,
        Some(field) => Some(values(field, YEAR)?),
    };
    Ok(CronExpr {
        text: fields.join(" "),
        seconds: bits(sec, SECONDS)?,
        minutes: bits(min, MINUTES)?,
        hours: bits(hour, HOURS)?,
        day_of_month,
        months: bits(month, MONTH)?,
        day_of_week,
        years,
    })
}

fn field_count_reason(count: usize) -> String {
    let hint = if count == 5 {
        "; Quartz cron starts with a seconds field, e.g. '0 */5 * * * ?' instead of \
         '*/5 * * * *'"
    } else {
        ""
    };
    format!(
        "expected 6 or 7 fields (seconds minutes hours day-of-month month day-of-week \
         [year]), found {count}{hint}"
    )
}

/// What a day field said, for the "exactly one of them is `?`" rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Marker {
    Question,
    Star,
    Value,
}

fn parse_day_of_month(field: &str) -> Result<(DayOfMonth, Marker), String> {
    match field {
        "?" => return Ok((DayOfMonth::Any, Marker::Question)),
        "*" => return Ok((DayOfMonth::Any, Marker::Star)),
        _ => {}
    }
    let upper = field.to_ascii_uppercase();
    if !upper.contains(['L', 'W']) {
        return Ok((DayOfMonth::Days(bits(field, DAY_OF_MONTH)?), Marker::Value));
    }
    let bad = || {
        format!(
            "day-of-month '{field}' is not valid; use L, L-3, LW, 15W or days without L and \
             W (L and W cannot be combined with other days in a list)"
        )
    };
    let day = if let Some(after_l) = upper.strip_prefix('L') {
        let (offset_text, weekday) = match after_l.strip_suffix('W') {
            Some(rest) => (rest, true),
            None => (after_l, false),
        };
        let offset = match offset_text {
            "" => 0,
            _ => {
                let digits = offset_text.strip_prefix('-').ok_or_else(bad)?;
                let offset = number(digits).ok_or_else(bad)?;
                if offset > 30 {
                    return Err(format!(
                        "day-of-month '{field}': the offset from the last day must be 0 to 30"
                    ));
                }
                offset
            }
        };
        if weekday {
            DayOfMonth::LastWeekday { offset }
        } else {
            DayOfMonth::Last { offset }
        }
    } else {
        let digits = upper.strip_suffix('W').ok_or_else(bad)?;
        let target = number(digits).ok_or_else(bad)?;
        if !(1..=31).contains(&target) {
            return Err(format!(
                "day-of-month '{field}': the day before W must be 1 to 31"
            ));
        }
        DayOfMonth::NearestWeekday(target)
    };
    Ok((day, Marker::Value))
}

fn parse_day_of_week(field: &str) -> Result<(DayOfWeek, Marker), String> {
    match field {
        "?" => return Ok((DayOfWeek::Any, Marker::Question)),
        "*" => return Ok((DayOfWeek::Any, Marker::Star)),
        _ => {}
    }
    let upper = field.to_ascii_uppercase();
    if upper.contains(',') && upper.contains(['L', '#']) {
        return Err(format!(
            "day-of-week '{field}': L and # cannot be combined with other days in a list"
        ));
    }
    let day = if let Some((weekday, nth)) = upper.split_once('#') {
        let weekday = value(weekday, DAY_OF_WEEK)?;
        let nth = number(nth)
            .filter(|n| (1..=5).contains(n))
            .ok_or_else(|| format!("day-of-week '{field}': the number after # must be 1 to 5"))?;
        DayOfWeek::Nth { weekday, nth }
    } else if upper == "L" {
        DayOfWeek::Days(1 << 7)
    } else if let Some(weekday) = upper.strip_suffix('L') {
        DayOfWeek::Last(value(weekday, DAY_OF_WEEK)?)
    } else {
        DayOfWeek::Days(bits(field, DAY_OF_WEEK)?)
    };
    Ok((day, Marker::Value))
}

/// A plain field (no `L`, `W`, `#`) as a bit set.
fn bits(field: &str, spec: Field) -> Result<u64, String> {
    Ok(values(field, spec)?
        .into_iter()
        .fold(0u64, |acc, v| acc | (1 << v)))
}

/// The values a plain field lists: `,`-separated items of `*`, `a`, `a-b`, each with an
/// optional `/step`.
fn values(field: &str, spec: Field) -> Result<BTreeSet<u32>, String> {
    let mut set = BTreeSet::new();
    for item in field.split(',') {
        add_item(item, field, spec, &mut set)?;
    }
    Ok(set)
}

fn add_item(item: &str, field: &str, spec: Field, set: &mut BTreeSet<u32>) -> Result<(), String> {
    let name = spec.name;
    if item.is_empty() {
        return Err(format!("{name} '{field}' has an empty item in its list"));
    }
    let span = spec.max - spec.min + 1;
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => {
            let step = number(step)
                .filter(|s| (1..=span).contains(s))
                .ok_or_else(|| {
                    format!("{name} '{item}': the step after '/' must be a number from 1 to {span}")
                })?;
            (range, Some(step))
        }
        None => (item, None),
    };
    let (start, end) = if range == "*" {
        (spec.min, spec.max)
    } else if range == "?" {
        return Err(format!(
            "{name} '{field}': '?' is only allowed alone, in day-of-month or day-of-week"
        ));
    } else if let Some((a, b)) = range.split_once('-') {
        (value(a, spec)?, value(b, spec)?)
    } else {
        let v = value(range, spec)?;
        (v, if step.is_some() { spec.max } else { v })
    };
    let end = if end >= start {
        end
    } else if spec.min == YEAR.min {
        return Err(format!("{name} '{item}': the range ends before it starts"));
    } else {
        // Quartz wraps around: FRI-MON is Friday, Saturday, Sunday, Monday.
        end + span
    };
    let mut v = start;
    while v <= end {
        set.insert(if v > spec.max { v - span } else { v });
        v += step.unwrap_or(1);
    }
    Ok(())
}

/// A number or, where the field has them, a name.
fn value(text: &str, spec: Field) -> Result<u32, String> {
    let found = number(text).or_else(|| {
        let index = spec
            .names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(text))?;
        Some(spec.min + u32::try_from(index).ok()?)
    });
    match found {
        Some(v) if (spec.min..=spec.max).contains(&v) => Ok(v),
        _ => {
            let names = match (spec.names.first(), spec.names.last()) {
                (Some(first), Some(last)) => format!(" or {first}-{last}"),
                _ => String::new(),
            };
            Err(format!(
                "{} '{text}' is not a value from {} to {}{names}",
                spec.name, spec.min, spec.max
            ))
        }
    }
}

/// ASCII digits only (no sign, no spaces), at most 9 of them so the value fits.
fn number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::super::format::{format_iso, parse_date_lenient};
    use super::*;

    fn cron(s: &str) -> CronExpr {
        match CronExpr::parse(s) {
            Ok(c) => c,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn reason(s: &str) -> String {
        match CronExpr::parse(s) {
            Ok(c) => panic!("{s:?} should be rejected, parsed as {c:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn at(s: &str) -> Timestamp {
        match parse_date_lenient(s) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// The next `n` times after `from`, as ISO text.
    fn next(expr: &str, from: &str, n: usize) -> Vec<String> {
        let c = cron(expr);
        let mut t = at(from);
        let mut out = Vec::new();
        for _ in 0..n {
            match c.next_after(t) {
                Some(next) => {
                    out.push(format_iso(next));
                    t = next;
                }
                None => break,
            }
        }
        out
    }

    // 2026-01-05 is a Monday.

    #[test]
    fn weekly_at_noon_from_a_monday() {
        assert_eq!(
            next("0 0 12 ? * WED", "2026-01-05T09:00:00Z", 2),
            ["2026-01-07T12:00:00.000Z", "2026-01-14T12:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 12 ? * 4", "2026-01-05T09:00:00Z", 1),
            ["2026-01-07T12:00:00.000Z"],
            "4 is Wednesday in Quartz"
        );
    }

    #[test]
    fn strictly_after_and_whole_seconds() {
        assert_eq!(
            next("0 0 12 * * ?", "2026-01-05T12:00:00Z", 1),
            ["2026-01-06T12:00:00.000Z"]
        );
        assert_eq!(
            next("* * * * * ?", "2026-01-05T12:00:00.500Z", 2),
            ["2026-01-05T12:00:01.000Z", "2026-01-05T12:00:02.000Z"]
        );
        assert_eq!(
            next("0 0 12 * * ?", "2026-01-05T11:59:59.999Z", 1),
            ["2026-01-05T12:00:00.000Z"]
        );
    }

    #[test]
    fn steps_from_a_start() {
        assert_eq!(
            next("0 0/5 14 * * ?", "2026-01-05T14:52:00Z", 3),
            [
                "2026-01-05T14:55:00.000Z",
                "2026-01-06T14:00:00.000Z",
                "2026-01-06T14:05:00.000Z"
            ]
        );
        assert_eq!(
            next("*/15 * * * * ?", "2026-01-05T10:00:50Z", 2),
            ["2026-01-05T10:01:00.000Z", "2026-01-05T10:01:15.000Z"]
        );
        assert_eq!(
            next("0 10-50/20 * * * ?", "2026-01-05T10:00:00Z", 4),
            [
                "2026-01-05T10:10:00.000Z",
                "2026-01-05T10:30:00.000Z",
                "2026-01-05T10:50:00.000Z",
                "2026-01-05T11:10:00.000Z"
            ]
        );
    }

    #[test]
    fn lists_and_ranges() {
        assert_eq!(
            next("0 0 8,12,18 ? * MON-FRI", "2026-01-09T13:00:00Z", 4),
            [
                "2026-01-09T18:00:00.000Z",
                "2026-01-12T08:00:00.000Z",
                "2026-01-12T12:00:00.000Z",
                "2026-01-12T18:00:00.000Z"
            ]
        );
        assert_eq!(
            next("0 30 9 1,15 * ?", "2026-01-10T00:00:00Z", 2),
            ["2026-01-15T09:30:00.000Z", "2026-02-01T09:30:00.000Z"]
        );
    }

    #[test]
    fn ranges_wrap_around() {
        // Friday to Monday from Tuesday 2026-01-06.
        assert_eq!(
            next("0 0 0 ? * FRI-MON", "2026-01-06T00:00:00Z", 4),
            [
                "2026-01-09T00:00:00.000Z",
                "2026-01-10T00:00:00.000Z",
                "2026-01-11T00:00:00.000Z",
                "2026-01-12T00:00:00.000Z"
            ]
        );
        assert_eq!(
            next("0 58-1 10 * * ?", "2026-01-05T00:00:00Z", 5),
            [
                "2026-01-05T10:00:00.000Z",
                "2026-01-05T10:01:00.000Z",
                "2026-01-05T10:58:00.000Z",
                "2026-01-05T10:59:00.000Z",
                "2026-01-06T10:00:00.000Z"
            ]
        );
        assert_eq!(
            next("0 0 23-1 * * ?", "2026-01-05T12:00:00Z", 3),
            [
                "2026-01-05T23:00:00.000Z",
                "2026-01-06T00:00:00.000Z",
                "2026-01-06T01:00:00.000Z"
            ]
        );
    }

    #[test]
    fn month_and_day_names_are_case_insensitive() {
        assert_eq!(
            next("0 0 0 1 jan,Jul ?", "2026-03-01T00:00:00Z", 2),
            ["2026-07-01T00:00:00.000Z", "2027-01-01T00:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 0 ? * sun", "2026-01-05T00:00:00Z", 1),
            ["2026-01-11T00:00:00.000Z"]
        );
    }

    #[test]
    fn last_day_of_month() {
        assert_eq!(
            next("0 15 10 L * ?", "2026-01-05T00:00:00Z", 3),
            [
                "2026-01-31T10:15:00.000Z",
                "2026-02-28T10:15:00.000Z",
                "2026-03-31T10:15:00.000Z"
            ]
        );
        assert_eq!(
            next("0 15 10 L-2 * ?", "2024-02-01T00:00:00Z", 2),
            ["2024-02-27T10:15:00.000Z", "2024-03-29T10:15:00.000Z"]
        );
    }

    #[test]
    fn last_weekday_of_month() {
        // 2026-01-31 is a Saturday, 2026-05-31 a Sunday.
        assert_eq!(
            next("0 0 12 LW * ?", "2026-01-05T00:00:00Z", 1),
            ["2026-01-30T12:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 12 LW * ?", "2026-05-01T00:00:00Z", 1),
            ["2026-05-29T12:00:00.000Z"]
        );
    }

    #[test]
    fn last_friday_of_month() {
        assert_eq!(
            next("0 15 10 ? * 6L", "2026-01-05T00:00:00Z", 2),
            ["2026-01-30T10:15:00.000Z", "2026-02-27T10:15:00.000Z"]
        );
        assert_eq!(
            next("0 15 10 ? * FRIL", "2026-01-05T00:00:00Z", 1),
            ["2026-01-30T10:15:00.000Z"]
        );
        assert_eq!(
            next("0 0 0 ? * L", "2026-01-05T00:00:00Z", 1),
            ["2026-01-10T00:00:00.000Z"],
            "L alone is Saturday"
        );
    }

    #[test]
    fn nth_weekday_of_month() {
        assert_eq!(
            next("0 15 10 ? * 6#3", "2026-01-05T00:00:00Z", 2),
            ["2026-01-16T10:15:00.000Z", "2026-02-20T10:15:00.000Z"]
        );
        // Fifth Friday: January and May 2026 have one, February to April do not.
        assert_eq!(
            next("0 0 0 ? * FRI#5", "2026-01-05T00:00:00Z", 2),
            ["2026-01-30T00:00:00.000Z", "2026-05-29T00:00:00.000Z"]
        );
    }

    #[test]
    fn nearest_weekday() {
        // 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday in July.
        assert_eq!(
            next("0 0 12 1W * ?", "2026-07-15T00:00:00Z", 1),
            ["2026-08-03T12:00:00.000Z"]
        );
        // 2026-02-01 is a Sunday: Monday the 2nd.
        assert_eq!(
            next("0 0 12 1W * ?", "2026-01-15T00:00:00Z", 1),
            ["2026-02-02T12:00:00.000Z"]
        );
        // 2026-01-17 is a Saturday: Friday the 16th; 2026-01-18 Sunday: Monday the 19th.
        assert_eq!(
            next("0 0 12 17W * ?", "2026-01-05T00:00:00Z", 1),
            ["2026-01-16T12:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 12 18W * ?", "2026-01-05T00:00:00Z", 1),
            ["2026-01-19T12:00:00.000Z"]
        );
        // 2026-05-31 is a Sunday and the last day: Friday the 29th.
        assert_eq!(
            next("0 0 12 31W * ?", "2026-05-01T00:00:00Z", 1),
            ["2026-05-29T12:00:00.000Z"]
        );
        // A weekday stays put; months without a 31st are skipped.
        assert_eq!(
            next("0 0 12 31W * ?", "2026-06-01T00:00:00Z", 1),
            ["2026-07-31T12:00:00.000Z"]
        );
    }

    #[test]
    fn year_field() {
        assert_eq!(
            next("0 0 0 1 1 ? 2028,2030", "2026-01-05T00:00:00Z", 3),
            ["2028-01-01T00:00:00.000Z", "2030-01-01T00:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 0 1 1 ? 2020-2022", "2026-01-05T00:00:00Z", 1),
            Vec::<String>::new()
        );
        assert_eq!(
            next("0 0 0 1 1 ? */100", "2026-01-05T00:00:00Z", 1),
            ["2070-01-01T00:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 0 1 1 ? *", "2026-01-05T00:00:00Z", 1),
            ["2027-01-01T00:00:00.000Z"]
        );
    }

    #[test]
    fn impossible_expressions_return_none_quickly() {
        let started = std::time::Instant::now();
        for expr in [
            "0 0 0 30 FEB ?",
            "0 0 0 31 APR,JUN,SEP,NOV ?",
            "0 0 0 L-30 FEB ?",
            "0 0 0 ? FEB 2#5 2027",
        ] {
            assert_eq!(
                cron(expr).next_after(at("2026-01-01T00:00:00Z")),
                None,
                "{expr}"
            );
        }
        assert!(
            started.elapsed().as_secs() < 2,
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn rare_but_possible_dates_are_found() {
        assert_eq!(
            next("0 0 0 29 FEB ?", "2026-01-01T00:00:00Z", 2),
            ["2028-02-29T00:00:00.000Z", "2032-02-29T00:00:00.000Z"]
        );
        // February has five Sundays only in leap years starting on a Sunday.
        assert_eq!(
            next("0 0 0 ? FEB 1#5", "2026-01-01T00:00:00Z", 1),
            ["2032-02-29T00:00:00.000Z"]
        );
    }

    #[test]
    fn star_in_both_day_fields_is_accepted_leniently() {
        assert_eq!(
            next("0 0 12 * * *", "2026-01-05T13:00:00Z", 1),
            ["2026-01-06T12:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 12 * * MON", "2026-01-06T00:00:00Z", 1),
            ["2026-01-12T12:00:00.000Z"]
        );
        assert_eq!(
            next("0 0 12 15 * *", "2026-01-06T00:00:00Z", 1),
            ["2026-01-15T12:00:00.000Z"]
        );
    }

    #[test]
    fn end_of_the_supported_range() {
        assert_eq!(
            cron("0 0 0 * * ?").next_after(at("9999-12-31T00:00:00Z")),
            None
        );
        assert_eq!(cron("* * * * * ?").next_after(Timestamp(i64::MAX)), None);
        assert_eq!(
            cron("0 0 0 1 1 ?").next_after(Timestamp(i64::MIN)),
            Some(at("0000-01-01T00:00:00Z"))
        );
    }

    #[test]
    fn canonical_text_collapses_whitespace() {
        let c = cron("  0  0/5 14\t* * ?  ");
        assert_eq!(c.to_string(), "0 0/5 14 * * ?");
        assert_eq!(cron(&c.to_string()), c);
    }

    #[test]
    fn rejects_malformed_expressions_with_the_reason() {
        assert!(reason("").contains("found 0"));
        assert!(reason("*/5 * * * *").contains("starts with a seconds field"));
        assert!(reason("0 0 0 1 1 ? 2026 x").contains("found 8"));
        assert!(reason("60 * * * * ?").contains("seconds '60' is not a value from 0 to 59"));
        assert!(reason("0 0 24 * * ?").contains("hours '24'"));
        assert!(reason("0 0 0 0 * ?").contains("day-of-month '0'"));
        assert!(
            reason("0 0 0 ? 13 *").contains("month '13' is not a value from 1 to 12 or JAN-DEC")
        );
        assert!(reason("0 0 0 ? * 8").contains("day-of-week '8'"));
        assert!(reason("0 0 0 ? * 0").contains("day-of-week '0'"));
        assert!(reason("0 0 0 ? JANUARY *").contains("'JANUARY'"));
        assert!(reason("0 0 0 ? * FRX").contains("'FRX'"));
        assert!(reason("0 0 0 1 1 ? 1969").contains("year '1969'"));
        assert!(reason("0 0 0 1 1 ? 3000").contains("year '3000'"));
        assert!(reason("0 0/0 * * * ?").contains("step after '/'"));
        assert!(reason("0 0/61 * * * ?").contains("step after '/'"));
        assert!(reason("0 0/x * * * ?").contains("step after '/'"));
        assert!(reason("0 0 0 1 1 ? 2030-2028").contains("ends before it starts"));
        assert!(reason("0 0,,1 * * * ?").contains("empty item"));
        assert!(reason("0 ? * * * ?").contains("'?' is only allowed"));
        assert!(reason("0 0 12 ? * ?").contains("both '?'"));
        assert!(reason("0 0 12 15 * MON").contains("both given"));
        assert!(reason("0 0 12 L,15 * ?").contains("L and W cannot be combined"));
        assert!(reason("0 0 12 L-31 * ?").contains("0 to 30"));
        assert!(reason("0 0 12 32W * ?").contains("1 to 31"));
        assert!(reason("0 0 12 W * ?").contains("day-of-month 'W' is not valid"));
        assert!(reason("0 0 12 L-x * ?").contains("is not valid"));
        assert!(reason("0 0 12 ? * 6#6").contains("1 to 5"));
        assert!(reason("0 0 12 ? * 6#3,2").contains("cannot be combined"));
        assert!(reason("0 0 12 ? * 8L").contains("day-of-week '8'"));
        assert!(reason("0 0 12 ? * +1").contains("'+1'"));
        assert!(reason("R5/PT10S").contains("found 1"));
    }

    #[test]
    fn error_quotes_the_expression() {
        let msg = reason("0 0 25 * * ?");
        assert!(
            msg.starts_with("invalid cron expression '0 0 25 * * ?'"),
            "{msg}"
        );
    }
}
