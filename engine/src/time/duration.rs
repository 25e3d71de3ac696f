//! ISO 8601 durations as BPMN timers use them (`timeDuration`, the period of a
//! `timeCycle`): `P1Y2M3DT4H5M6.5S`, `PT30S`, `P2W`, `-PT5M`.

use std::fmt;
use std::str::FromStr;

use super::civil::{self, MILLIS_PER_DAY, MILLIS_PER_HOUR, MILLIS_PER_MINUTE, MILLIS_PER_SECOND};
use super::error::excerpt;
use super::format::format_iso;
use super::{TimeError, Timestamp};

/// An ISO 8601 duration with calendar fields kept apart.
///
/// Years and months are kept as such (not converted to days) because their length depends
/// on the date they are added to: `P1M` from January 31 lands on February 28 or 29, as in
/// Java's `Duration.addTo(Calendar)` and Joda-Time, which Camunda uses.
///
/// Weeks may be combined with other units (`P1W2D`), which strict ISO 8601 forbids but
/// costs nothing to accept. Only seconds may carry a fraction; digits beyond milliseconds
/// are truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct IsoDuration {
    /// `nY`
    pub years: u32,
    /// `nM` before `T`
    pub months: u32,
    /// `nW`
    pub weeks: u32,
    /// `nD`
    pub days: u32,
    /// `nH`
    pub hours: u32,
    /// `nM` after `T`
    pub minutes: u32,
    /// Whole seconds of `n.fffS`.
    pub seconds: u32,
    /// Milliseconds of the seconds' fraction, normally 0–999 (`6.5S` → 500).
    pub millis: u16,
    /// Written with a leading `-`: the duration goes back in time.
    pub negative: bool,
}

impl IsoDuration {
    /// Parses an ISO 8601 duration: `P[nY][nM][nW][nD][T[nH][nM][n[.fff]S]]`, optionally
    /// preceded by `-`. Surrounding whitespace is ignored.
    ///
    /// Rejects `P` and `PT` without amounts, units out of order or repeated, fractions
    /// other than on seconds, lowercase designators and amounts that do not fit 32 bits.
    pub fn parse(text: &str) -> Result<IsoDuration, TimeError> {
        parse_reason(text).map_err(|reason| TimeError::InvalidDuration {
            text: excerpt(text),
            reason,
        })
    }

    /// Whether every field is zero.
    pub fn is_zero(&self) -> bool {
        self.years == 0
            && self.months == 0
            && self.weeks == 0
            && self.days == 0
            && self.hours == 0
            && self.minutes == 0
            && self.seconds == 0
            && self.millis == 0
    }

    /// The same duration pointing the other way.
    pub fn negated(&self) -> IsoDuration {
        IsoDuration {
            negative: !self.negative && !self.is_zero(),
            ..*self
        }
    }

    /// The exact length in milliseconds, or `None` when the duration has years or months,
    /// whose length depends on the date.
    pub fn fixed_millis(&self) -> Option<i64> {
        if self.years != 0 || self.months != 0 {
            return None;
        }
        let magnitude = self.time_part_millis();
        // At most about 3e18, which fits an i64.
        let magnitude = i64::try_from(magnitude).ok()?;
        Some(if self.negative { -magnitude } else { magnitude })
    }

    /// Weeks, days and time fields as milliseconds, without sign.
    fn time_part_millis(&self) -> i128 {
        let days = i128::from(self.weeks) * 7 + i128::from(self.days);
        days * i128::from(MILLIS_PER_DAY)
            + i128::from(self.hours) * i128::from(MILLIS_PER_HOUR)
            + i128::from(self.minutes) * i128::from(MILLIS_PER_MINUTE)
            + i128::from(self.seconds) * i128::from(MILLIS_PER_SECOND)
            + i128::from(self.millis)
    }

    /// An exact duration of `millis` milliseconds, spread over days, hours, minutes and
    /// seconds (never weeks, months or years, which would change its meaning). `None` when
    /// the day count does not fit 32 bits.
    pub(super) fn exact(millis: i64) -> Option<IsoDuration> {
        let abs = millis.unsigned_abs();
        let day = MILLIS_PER_DAY.unsigned_abs();
        let rest = abs % day;
        Some(IsoDuration {
            days: u32::try_from(abs / day).ok()?,
            hours: u32::try_from(rest / 3_600_000).ok()?,
            minutes: u32::try_from(rest / 60_000 % 60).ok()?,
            seconds: u32::try_from(rest / 1_000 % 60).ok()?,
            millis: u16::try_from(rest % 1_000).ok()?,
            negative: millis < 0,
            ..IsoDuration::default()
        })
    }

    /// Adds the duration to `t` on the UTC calendar.
    ///
    /// Fields are applied from years down to milliseconds, each clamping the day of month
    /// like `java.util.Calendar.add`: `P1M` from January 31 is February 28 (29 in leap
    /// years), and `P1Y1M` from 2024-02-29 is 2025-03-28 (first 2025-02-28, then one month).
    /// A negative duration subtracts the fields in the same order.
    ///
    /// Fails when the result leaves the years 0000 to 9999.
    pub fn add_to(&self, t: Timestamp) -> Result<Timestamp, TimeError> {
        self.try_add(t).ok_or_else(|| TimeError::OutOfRange {
            what: format!("{} plus {}", format_iso(t), self),
        })
    }

    fn try_add(&self, t: Timestamp) -> Option<Timestamp> {
        let sign: i64 = if self.negative { -1 } else { 1 };
        let mut r = t;
        if self.years != 0 {
            r = civil::add_months(r, sign * i64::from(self.years) * 12)?;
        }
        if self.months != 0 {
            r = civil::add_months(r, sign * i64::from(self.months))?;
        }
        let millis = i64::try_from(self.time_part_millis()).ok()?;
        civil::add_millis(r, sign * millis)
    }
}

impl FromStr for IsoDuration {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IsoDuration::parse(s)
    }
}

/// The canonical form: units in ISO order, zero fields left out, `PT0S` for nothing,
/// seconds' fraction without trailing zeros (`PT6.5S`).
impl fmt::Display for IsoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negative && !self.is_zero() {
            f.write_str("-")?;
        }
        f.write_str("P")?;
        for (amount, unit) in [
            (self.years, 'Y'),
            (self.months, 'M'),
            (self.weeks, 'W'),
            (self.days, 'D'),
        ] {
            if amount != 0 {
                write!(f, "{amount}{unit}")?;
            }
        }
        let second_millis = u64::from(self.seconds) * 1_000 + u64::from(self.millis);
        if self.hours == 0 && self.minutes == 0 && second_millis == 0 {
            if self.years == 0 && self.months == 0 && self.weeks == 0 && self.days == 0 {
                f.write_str("T0S")?;
            }
            return Ok(());
        }
        f.write_str("T")?;
        if self.hours != 0 {
            write!(f, "{}H", self.hours)?;
        }
        if self.minutes != 0 {
            write!(f, "{}M", self.minutes)?;
        }
        if second_millis != 0 {
            let (whole, fraction) = (second_millis / 1_000, second_millis % 1_000);
            match fraction {
                0 => write!(f, "{whole}S")?,
                n if n % 100 == 0 => write!(f, "{whole}.{}S", n / 100)?,
                n if n % 10 == 0 => write!(f, "{whole}.{:02}S", n / 10)?,
                n => write!(f, "{whole}.{n:03}S")?,
            }
        }
        Ok(())
    }
}

fn parse_reason(s: &str) -> Result<IsoDuration, String> {
    let text = s.trim();
    let bytes = text.as_bytes();
    let mut d = IsoDuration::default();
    let mut i = 0;
    if bytes.first() == Some(&b'-') {
        d.negative = true;
        i += 1;
    }
    match bytes.get(i) {
        Some(b'P') => i += 1,
        Some(b'p') => return Err("write the designators in capitals ('P', not 'p')".into()),
        _ => return Err("a duration starts with 'P' (or '-P' for a negative one)".into()),
    }
    if i == bytes.len() {
        return Err("'P' must be followed by at least one amount, e.g. P1D or PT5M".into());
    }
    let mut in_time = false;
    let mut time_amounts = 0;
    let mut last_rank = 0;
    while i < bytes.len() {
        if bytes[i] == b'T' {
            if in_time {
                return Err("'T' appears twice".into());
            }
            in_time = true;
            i += 1;
            continue;
        }
        let start = i;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = text.get(start..i).unwrap_or("");
        if digits.is_empty() {
            return Err(format!("expected a number at '{}'", rest(text, start)));
        }
        let amount: u32 = digits
            .parse()
            .map_err(|_| format!("the amount {digits} is too large"))?;
        let mut fraction = None;
        if matches!(bytes.get(i), Some(b'.' | b',')) {
            i += 1;
            let fraction_start = i;
            let mut millis = 0u16;
            while let Some(&digit) = bytes.get(i).filter(|b| b.is_ascii_digit()) {
                if i - fraction_start < 3 {
                    millis = millis * 10 + u16::from(digit - b'0');
                }
                i += 1;
            }
            match i - fraction_start {
                0 => return Err(format!("expected digits after '{digits}.'")),
                1 => millis *= 100,
                2 => millis *= 10,
                _ => {}
            }
            fraction = Some(millis);
        }
        let Some(&unit) = bytes.get(i) else {
            return Err(format!(
                "the amount '{}' has no unit; add Y, M, W or D (or H, M, S after 'T')",
                rest(text, start)
            ));
        };
        let rank = match (in_time, unit) {
            (false, b'Y') => 1,
            (false, b'M') => 2,
            (false, b'W') => 3,
            (false, b'D') => 4,
            (true, b'H') => 5,
            (true, b'M') => 6,
            (true, b'S') => 7,
            (false, b'H' | b'S') => {
                return Err(format!(
                    "hours, minutes and seconds need a 'T' before them (PT{}, not P{})",
                    rest(text, start),
                    rest(text, start)
                ))
            }
            (true, b'Y' | b'W' | b'D') => {
                return Err("years, weeks and days must come before 'T'".into())
            }
            _ => {
                let found = rest(text, i).chars().next().unwrap_or(' ');
                return Err(format!(
                    "'{found}' is not a unit (use Y, M, W, D, then T and H, M, S)"
                ));
            }
        };
        if rank <= last_rank {
            return Err("each unit may appear once, in the order Y M W D T H M S".into());
        }
        last_rank = rank;
        if fraction.is_some() && unit != b'S' {
            return Err("only seconds may have a fraction (write PT90M, not PT1.5H)".into());
        }
        match rank {
            1 => d.years = amount,
            2 => d.months = amount,
            3 => d.weeks = amount,
            4 => d.days = amount,
            5 => d.hours = amount,
            6 => d.minutes = amount,
            _ => {
                d.seconds = amount;
                d.millis = fraction.unwrap_or(0);
            }
        }
        if in_time {
            time_amounts += 1;
        }
        i += 1;
    }
    if in_time && time_amounts == 0 {
        return Err("'T' must be followed by hours, minutes or seconds, e.g. PT5M".into());
    }
    if last_rank == 0 {
        return Err("'P' must be followed by at least one amount, e.g. P1D or PT5M".into());
    }
    if d.is_zero() {
        d.negative = false;
    }
    Ok(d)
}

fn rest(text: &str, from: usize) -> &str {
    text.get(from..).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::super::format::parse_date_lenient;
    use super::*;

    fn dur(s: &str) -> IsoDuration {
        match IsoDuration::parse(s) {
            Ok(d) => d,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn reason(s: &str) -> String {
        match IsoDuration::parse(s) {
            Ok(d) => panic!("{s:?} should be rejected, parsed as {d:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn at(s: &str) -> Timestamp {
        match parse_date_lenient(s) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn plus(date: &str, duration: &str) -> String {
        match dur(duration).add_to(at(date)) {
            Ok(t) => format_iso(t),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn parses_every_field() {
        let d = dur("P1Y2M3DT4H5M6.5S");
        assert_eq!(
            d,
            IsoDuration {
                years: 1,
                months: 2,
                days: 3,
                hours: 4,
                minutes: 5,
                seconds: 6,
                millis: 500,
                ..IsoDuration::default()
            }
        );
        assert_eq!(dur("PT30S").seconds, 30);
        assert_eq!(dur("P2W").weeks, 2);
        assert_eq!(dur("P1W2D").days, 2);
        assert_eq!(dur("PT0.123456S").millis, 123);
        assert_eq!(dur("PT1,5S").millis, 500);
        assert_eq!(dur(" PT5M\n").minutes, 5);
        assert!(dur("P0D").is_zero());
    }

    #[test]
    fn m_means_months_before_t_and_minutes_after() {
        let d = dur("P1MT1M");
        assert_eq!((d.months, d.minutes), (1, 1));
    }

    #[test]
    fn negative_durations() {
        let d = dur("-PT5M");
        assert!(d.negative);
        assert_eq!(d.minutes, 5);
        assert_eq!(d.to_string(), "-PT5M");
        assert!(!dur("-PT0S").negative, "negative zero is just zero");
        assert_eq!(d.negated(), dur("PT5M"));
    }

    #[test]
    fn rejects_empty_and_malformed_durations() {
        assert!(reason("").contains("starts with 'P'"));
        assert!(reason("P").contains("at least one amount"));
        assert!(reason("PT").contains("'T' must be followed"));
        assert!(reason("P1DT").contains("'T' must be followed"));
        assert!(reason("5M").contains("starts with 'P'"));
        assert!(reason("pt5m").contains("capitals"));
        assert!(reason("P5").contains("has no unit"));
        assert!(reason("P5H").contains("need a 'T'"));
        assert!(reason("PT1D").contains("before 'T'"));
        assert!(reason("PT1H2H").contains("once, in the order"));
        assert!(reason("PT5M1H").contains("once, in the order"));
        assert!(reason("P1.5D").contains("only seconds may have a fraction"));
        assert!(reason("PT1.S").contains("digits after"));
        assert!(reason("PTT5M").contains("'T' appears twice"));
        assert!(reason("P1X").contains("'X' is not a unit"));
        assert!(reason("P-1D").contains("expected a number at '-1D'"));
        assert!(reason("P1DX").contains("expected a number"));
        assert!(reason("PT5M garbage").contains("expected a number"));
        assert!(reason("P99999999999Y").contains("too large"));
        assert!(reason("PT5Mé").contains("expected a number at 'é'"));
    }

    #[test]
    fn adds_fixed_fields_exactly() {
        assert_eq!(
            plus("2026-01-01T00:00:00Z", "PT30S"),
            "2026-01-01T00:00:30.000Z"
        );
        assert_eq!(
            plus("2026-01-01T00:00:00Z", "P2W"),
            "2026-01-15T00:00:00.000Z"
        );
        assert_eq!(
            plus("2026-01-01T23:00:00Z", "PT2H"),
            "2026-01-02T01:00:00.000Z"
        );
        assert_eq!(
            plus("2026-01-01T00:00:00Z", "PT0.25S"),
            "2026-01-01T00:00:00.250Z"
        );
        assert_eq!(
            plus("2026-01-01T00:00:00Z", "-PT5M"),
            "2025-12-31T23:55:00.000Z"
        );
    }

    #[test]
    fn a_month_from_a_month_end_clamps_like_java() {
        assert_eq!(
            plus("2026-01-31T10:00:00Z", "P1M"),
            "2026-02-28T10:00:00.000Z"
        );
        assert_eq!(
            plus("2024-01-31T10:00:00Z", "P1M"),
            "2024-02-29T10:00:00.000Z"
        );
        assert_eq!(
            plus("2026-03-31T00:00:00Z", "-P1M"),
            "2026-02-28T00:00:00.000Z"
        );
        assert_eq!(
            plus("2026-08-31T00:00:00Z", "P1M"),
            "2026-09-30T00:00:00.000Z"
        );
        assert_eq!(
            plus("2026-12-15T00:00:00Z", "P1M"),
            "2027-01-15T00:00:00.000Z"
        );
    }

    #[test]
    fn years_then_months_then_days_like_java_calendar() {
        assert_eq!(
            plus("2024-02-29T00:00:00Z", "P1Y"),
            "2025-02-28T00:00:00.000Z"
        );
        assert_eq!(
            plus("2024-02-29T00:00:00Z", "P4Y"),
            "2028-02-29T00:00:00.000Z"
        );
        assert_eq!(
            plus("2024-02-29T00:00:00Z", "P1Y1M"),
            "2025-03-28T00:00:00.000Z"
        );
        assert_eq!(
            plus("2026-01-31T00:00:00Z", "P1M1D"),
            "2026-03-01T00:00:00.000Z"
        );
        assert_eq!(
            plus("2026-01-01T00:00:00Z", "P1Y2M3DT4H5M6.5S"),
            "2027-03-04T04:05:06.500Z"
        );
    }

    #[test]
    fn results_outside_the_supported_years_are_errors() {
        let e = dur("P8000Y").add_to(at("2026-01-01")).err();
        assert_eq!(
            e.map(|e| e.to_string()),
            Some(
                "2026-01-01T00:00:00.000Z plus P8000Y falls outside the supported years 0000 to 9999"
                    .into()
            )
        );
        assert!(dur("-P3000Y").add_to(at("2026-01-01")).is_err());
        assert!(dur("P4294967295W").add_to(at("2026-01-01")).is_err());
        assert!(dur("PT1S").add_to(Timestamp(i64::MAX)).is_err());
        assert!(dur("P1M").add_to(Timestamp(i64::MIN)).is_err());
    }

    #[test]
    fn displays_the_canonical_form() {
        for (input, canonical) in [
            ("P1Y2M3DT4H5M6.5S", "P1Y2M3DT4H5M6.5S"),
            ("PT30S", "PT30S"),
            ("P2W", "P2W"),
            ("P0D", "PT0S"),
            ("PT0H0M0S", "PT0S"),
            ("P1DT0H", "P1D"),
            ("PT6.050S", "PT6.05S"),
            ("PT0.007S", "PT0.007S"),
            ("PT90M", "PT90M"),
            ("-P1W", "-P1W"),
        ] {
            let d = dur(input);
            assert_eq!(d.to_string(), canonical, "{input}");
            assert_eq!(dur(canonical), d, "{canonical} round-trips");
        }
        let overfull = IsoDuration {
            seconds: 1,
            millis: 2500,
            ..IsoDuration::default()
        };
        assert_eq!(overfull.to_string(), "PT3.5S");
    }

    #[test]
    fn fixed_length_only_without_calendar_fields() {
        assert_eq!(dur("P1DT1S").fixed_millis(), Some(86_401_000));
        assert_eq!(dur("-PT1S").fixed_millis(), Some(-1_000));
        assert_eq!(dur("P1M").fixed_millis(), None);
        assert_eq!(dur("P1Y").fixed_millis(), None);
        assert_eq!(
            IsoDuration::exact(90_061_001).map(|d| d.to_string()),
            Some("P1DT1H1M1.001S".into())
        );
        assert_eq!(
            IsoDuration::exact(-1_000).map(|d| d.to_string()),
            Some("-PT1S".into())
        );
    }

    #[test]
    fn parses_via_from_str() {
        let d: Result<IsoDuration, _> = "PT1H".parse();
        assert_eq!(d.map(|d| d.hours), Ok(1));
    }
}
