//! Camunda's REST date format, ISO 8601 output and the lenient date parser.
//!
//! Camunda's REST API writes dates as `yyyy-MM-dd'T'HH:mm:ss.SSSZ`
//! (`2013-01-23T13:42:42.000+0200`). procos always writes the UTC offset `+0000`; clients
//! parse the offset, so the instant is what matters.

use std::fmt;

use super::civil::{self, Civil};
use super::error::excerpt;
use super::{TimeError, Timestamp};

/// Formats `t` as Camunda's REST API does, in UTC: `2013-01-23T13:42:42.000+0000`.
///
/// Always three fractional digits and an offset without a colon, because Camunda's Java
/// clients parse this exact pattern.
pub fn format_camunda(t: Timestamp) -> String {
    let mut out = String::with_capacity(28);
    push_camunda(&mut out, t);
    out
}

/// Appends [`format_camunda`]'s text to `out` without allocating a temporary string, for
/// the REST layer that writes many dates into one response.
pub fn push_camunda(out: &mut String, t: Timestamp) {
    // Writing into a String cannot fail.
    let _ = write_camunda(out, t);
}

/// Writes [`format_camunda`]'s text to any [`fmt::Write`] (a `String`, a `Formatter`).
pub fn write_camunda<W: fmt::Write + ?Sized>(out: &mut W, t: Timestamp) -> fmt::Result {
    write_date(out, t, "+0000")
}

/// Formats `t` as ISO 8601 in UTC with milliseconds: `2026-11-22T10:15:30.000Z`.
pub fn format_iso(t: Timestamp) -> String {
    let mut out = String::with_capacity(24);
    // Writing into a String cannot fail.
    let _ = write_iso(&mut out, t);
    out
}

/// Writes [`format_iso`]'s text to any [`fmt::Write`].
pub fn write_iso<W: fmt::Write + ?Sized>(out: &mut W, t: Timestamp) -> fmt::Result {
    write_date(out, t, "Z")
}

/// Displays a timestamp in Camunda's REST format, for `format!` and `write!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CamundaDate(pub Timestamp);

impl fmt::Display for CamundaDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_camunda(f, self.0)
    }
}

/// Displays a timestamp as ISO 8601 UTC (`…Z`), for `format!` and `write!`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IsoDate(pub Timestamp);

impl fmt::Display for IsoDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso(f, self.0)
    }
}

fn write_date<W: fmt::Write + ?Sized>(out: &mut W, t: Timestamp, zone: &str) -> fmt::Result {
    let c = Civil::of(t);
    if !(civil::MIN_YEAR..=civil::MAX_YEAR).contains(&c.year) {
        // Only reachable with a raw timestamp from outside (a REST long, a corrupt row):
        // show ISO's expanded year rather than failing.
        return write!(
            out,
            "{:+05}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}{zone}",
            c.year,
            c.month,
            c.day,
            c.hour(),
            c.minute(),
            c.second(),
            c.milli()
        );
    }
    let mut buf = *b"0000-00-00T00:00:00.000";
    // The year is 0..=9999 here, so four digits hold it.
    let year = c.year as u32;
    put_digits(&mut buf[0..4], year);
    put_digits(&mut buf[5..7], c.month);
    put_digits(&mut buf[8..10], c.day);
    put_digits(&mut buf[11..13], c.hour());
    put_digits(&mut buf[14..16], c.minute());
    put_digits(&mut buf[17..19], c.second());
    put_digits(&mut buf[20..23], c.milli());
    out.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)?;
    out.write_str(zone)
}

/// Writes `value` as exactly `slot.len()` decimal digits.
fn put_digits(slot: &mut [u8], mut value: u32) {
    for b in slot.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Parses a date in any of the forms procos accepts from BPMN files and REST requests.
///
/// Accepted (surrounding whitespace is ignored):
///
/// - `2013-01-23T13:42:42.000+0200`: Camunda's REST format;
/// - offsets `+02:00`, `+0200`, `+02`, `-05:30`, `Z`;
/// - no offset at all: read as **UTC** (Camunda would use the JVM's zone);
/// - seconds without a fraction, or with 1 to 9 fractional digits (`.` or `,`; digits
///   beyond milliseconds are truncated, as Java does);
/// - no seconds (`2013-01-23T13:42`), as Joda-Time, which Camunda uses for timer dates,
///   accepts;
/// - a space or a lowercase `t` instead of `T`;
/// - a date alone, `2013-01-23`: midnight UTC.
///
/// Years have exactly four digits. Anything else, including impossible dates such as
/// `2013-02-30` and hour 24, is rejected with a message that names the problem.
pub fn parse_date_lenient(s: &str) -> Result<Timestamp, TimeError> {
    parse_date_reason(s).map_err(|reason| TimeError::InvalidDate {
        text: excerpt(s),
        reason,
    })
}

/// The parser behind [`parse_date_lenient`], returning only the reason so that cycle
/// errors can embed it.
pub(super) fn parse_date_reason(s: &str) -> Result<Timestamp, String> {
    let text = s.trim();
    if text.is_empty() {
        return Err("the text is empty".into());
    }
    let mut p = Cursor::new(text);
    let year = p.number(4).ok_or("a date starts with a four-digit year")?;
    p.expect(b'-', "expected '-' after the year")?;
    let month = p.number(2).ok_or("the month must have two digits")?;
    p.expect(b'-', "expected '-' after the month")?;
    let day = p.number(2).ok_or("the day must have two digits")?;
    let year = i64::from(year);
    if !(1..=12).contains(&month) {
        return Err(format!("month {month:02} does not exist"));
    }
    if day < 1 || day > civil::days_in_month(year, month) {
        return Err(format!(
            "day {day:02} does not exist in {year:04}-{month:02}"
        ));
    }
    let date_millis = civil::days_from_civil(year, month, day) * civil::MILLIS_PER_DAY;
    if p.at_end() {
        return Ok(Timestamp(date_millis));
    }
    match p.next() {
        Some(b'T' | b't' | b' ') => {}
        _ => {
            return Err(format!(
                "unexpected '{}' after the date",
                p.rest_from_last()
            ))
        }
    }
    let hour = p.number(2).ok_or("the hour must have two digits")?;
    p.expect(b':', "expected ':' after the hour")?;
    let minute = p.number(2).ok_or("the minutes must have two digits")?;
    let mut second = 0;
    let mut milli = 0;
    if p.peek() == Some(b':') {
        p.next();
        second = p.number(2).ok_or("the seconds must have two digits")?;
        if matches!(p.peek(), Some(b'.' | b',')) {
            p.next();
            milli = p.fraction_millis()?;
        }
    }
    if hour > 23 {
        return Err(format!(
            "hour {hour:02} does not exist (hours go from 00 to 23)"
        ));
    }
    if minute > 59 {
        return Err(format!("minute {minute:02} does not exist"));
    }
    if second > 59 {
        return Err(format!("second {second:02} does not exist"));
    }
    let offset = p.offset_millis()?;
    if !p.at_end() {
        return Err(format!("unexpected '{}' after the time", p.rest()));
    }
    let local = date_millis
        + i64::from(hour) * civil::MILLIS_PER_HOUR
        + i64::from(minute) * civil::MILLIS_PER_MINUTE
        + i64::from(second) * civil::MILLIS_PER_SECOND
        + i64::from(milli);
    Ok(Timestamp(local - offset))
}

/// A byte cursor over ASCII syntax; multi-byte characters simply never match.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor { text, pos: 0 }
    }

    fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    /// The rest including the byte just consumed, for "unexpected …" messages. Falls back
    /// to the whole rest when that byte starts a multi-byte character.
    fn rest_from_last(&self) -> &'a str {
        self.text
            .get(self.pos.saturating_sub(1)..)
            .or_else(|| self.text.get(self.pos..))
            .unwrap_or("")
    }

    fn expect(&mut self, byte: u8, reason: &str) -> Result<(), String> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(reason.to_owned())
        }
    }

    /// Exactly `width` ASCII digits.
    fn number(&mut self, width: usize) -> Option<u32> {
        let digits = self.text.as_bytes().get(self.pos..self.pos + width)?;
        let mut value = 0u32;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(d - b'0');
        }
        self.pos += width;
        Some(value)
    }

    /// 1 to 9 digits after the decimal separator, truncated to milliseconds.
    fn fraction_millis(&mut self) -> Result<u32, String> {
        let start = self.pos;
        let mut millis = 0u32;
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            let n = self.pos - start;
            if n < 3 {
                millis = millis * 10 + u32::from(d - b'0');
            }
            self.pos += 1;
        }
        match self.pos - start {
            0 => Err("expected digits after the decimal separator".into()),
            n if n > 9 => Err(format!("{n} fractional digits are too many (at most 9)")),
            1 => Ok(millis * 100),
            2 => Ok(millis * 10),
            _ => Ok(millis),
        }
    }

    /// An optional `Z`, `±hh`, `±hhmm` or `±hh:mm`, as milliseconds east of UTC.
    fn offset_millis(&mut self) -> Result<i64, String> {
        let sign = match self.peek() {
            None => return Ok(0),
            Some(b'Z' | b'z') => {
                self.pos += 1;
                return Ok(0);
            }
            Some(b'+') => 1,
            Some(b'-') => -1,
            Some(_) => return Err(format!("unexpected '{}' after the time", self.rest())),
        };
        self.pos += 1;
        let bad = || String::from("the offset must look like +02:00, +0200 or +02");
        let hours = self.number(2).ok_or_else(bad)?;
        let mut minutes = 0;
        if !self.at_end() {
            if self.peek() == Some(b':') {
                self.pos += 1;
            }
            minutes = self.number(2).ok_or_else(bad)?;
        }
        if hours > 23 || minutes > 59 {
            return Err(format!("the offset {hours:02}:{minutes:02} does not exist"));
        }
        Ok(sign
            * (i64::from(hours) * civil::MILLIS_PER_HOUR
                + i64::from(minutes) * civil::MILLIS_PER_MINUTE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2013-01-23T13:42:42.000Z
    const T: Timestamp = Timestamp(1_358_948_562_000);

    fn parse(s: &str) -> Timestamp {
        match parse_date_lenient(s) {
            Ok(t) => t,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn reason(s: &str) -> String {
        match parse_date_lenient(s) {
            Ok(t) => panic!("{s:?} should be rejected, parsed as {}", format_iso(t)),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn formats_camunda_rest_dates_in_utc() {
        assert_eq!(format_camunda(T), "2013-01-23T13:42:42.000+0000");
        assert_eq!(
            format_camunda(Timestamp(T.0 + 7)),
            "2013-01-23T13:42:42.007+0000"
        );
        assert_eq!(format_camunda(Timestamp(0)), "1970-01-01T00:00:00.000+0000");
        assert_eq!(
            format_camunda(Timestamp(-1)),
            "1969-12-31T23:59:59.999+0000"
        );
    }

    #[test]
    fn formats_iso() {
        assert_eq!(
            format_iso(parse("2026-11-22T10:15:30Z")),
            "2026-11-22T10:15:30.000Z"
        );
        assert_eq!(IsoDate(T).to_string(), "2013-01-23T13:42:42.000Z");
        assert_eq!(CamundaDate(T).to_string(), "2013-01-23T13:42:42.000+0000");
    }

    #[test]
    fn appends_without_a_temporary_string() {
        let mut out = String::from("[");
        push_camunda(&mut out, T);
        out.push(',');
        push_camunda(&mut out, Timestamp(0));
        assert_eq!(
            out,
            "[2013-01-23T13:42:42.000+0000,1970-01-01T00:00:00.000+0000"
        );
    }

    #[test]
    fn formats_the_supported_extremes_and_anything_beyond_without_panicking() {
        assert_eq!(
            format_iso(super::super::MIN_SUPPORTED),
            "0000-01-01T00:00:00.000Z"
        );
        assert_eq!(
            format_iso(super::super::MAX_SUPPORTED),
            "9999-12-31T23:59:59.999Z"
        );
        assert!(format_iso(Timestamp(i64::MAX)).starts_with('+'));
        assert!(format_iso(Timestamp(i64::MIN)).starts_with('-'));
        assert_eq!(
            format_camunda(Timestamp(super::super::MAX_SUPPORTED.0 + 1)),
            "+10000-01-01T00:00:00.000+0000"
        );
    }

    #[test]
    fn parses_camunda_rest_format_with_offset() {
        assert_eq!(parse("2013-01-23T15:42:42.000+0200"), T);
        assert_eq!(parse("2013-01-23T13:42:42.000+0000"), T);
        assert_eq!(parse("2013-01-23T08:42:42.000-0500"), T);
    }

    #[test]
    fn parses_offset_variants() {
        assert_eq!(parse("2013-01-23T15:42:42+02:00"), T);
        assert_eq!(parse("2013-01-23T15:42:42+02"), T);
        assert_eq!(parse("2013-01-23T13:42:42Z"), T);
        assert_eq!(parse("2013-01-23T13:42:42z"), T);
        assert_eq!(parse("2013-01-23T19:12:42+05:30"), T);
    }

    #[test]
    fn a_date_without_offset_is_utc() {
        assert_eq!(parse("2013-01-23T13:42:42"), T);
        assert_eq!(parse("2013-01-23T13:42:42.000"), T);
    }

    #[test]
    fn fractions_of_one_to_nine_digits_truncate_to_millis() {
        assert_eq!(parse("2013-01-23T13:42:42.5Z").0, T.0 + 500);
        assert_eq!(parse("2013-01-23T13:42:42.05Z").0, T.0 + 50);
        assert_eq!(parse("2013-01-23T13:42:42.123Z").0, T.0 + 123);
        assert_eq!(parse("2013-01-23T13:42:42.123456789Z").0, T.0 + 123);
        assert_eq!(parse("2013-01-23T13:42:42,999999+00:00").0, T.0 + 999);
    }

    #[test]
    fn date_only_is_midnight_utc() {
        assert_eq!(parse("2013-01-23"), Timestamp(1_358_899_200_000));
        assert_eq!(format_iso(parse("2024-02-29")), "2024-02-29T00:00:00.000Z");
    }

    #[test]
    fn space_instead_of_t_minutes_only_and_surrounding_whitespace() {
        assert_eq!(parse("2013-01-23 13:42:42"), T);
        assert_eq!(parse("2013-01-23t13:42:42"), T);
        assert_eq!(parse("2013-01-23T13:42").0, T.0 - 42_000);
        assert_eq!(parse("  2013-01-23T13:42:42Z\n"), T);
    }

    #[test]
    fn round_trips_its_own_output() {
        for t in [T, Timestamp(0), Timestamp(-1), Timestamp(1_767_225_600_123)] {
            assert_eq!(parse(&format_camunda(t)), t);
            assert_eq!(parse(&format_iso(t)), t);
        }
    }

    #[test]
    fn rejects_other_shapes_with_the_reason() {
        assert!(reason("").contains("empty"));
        assert!(reason("tomorrow").contains("four-digit year"));
        assert!(reason("13-01-23").contains("four-digit year"));
        assert!(reason("2013/01/23").contains("'-' after the year"));
        assert!(reason("2013-1-23").contains("month must have two digits"));
        assert!(reason("2013-01-23T13").contains("':' after the hour"));
        assert!(reason("2013-01-23T13:42:42.Z").contains("digits after the decimal"));
        assert!(reason("2013-01-23T13:42:42.1234567890Z").contains("too many"));
        assert!(reason("2013-01-23T13:42:42+2").contains("offset must look like"));
        assert!(reason("2013-01-23T13:42:42+02:0").contains("offset must look like"));
        assert!(reason("2013-01-23T13:42:42 +0200").contains("unexpected ' +0200'"));
        assert!(reason("2013-01-23T13:42:42Zjunk").contains("unexpected 'junk'"));
        assert!(reason("2013-01-23X13:42:42").contains("unexpected 'X13:42:42'"));
        assert!(reason("2013-01-23Z").contains("unexpected 'Z'"));
        assert!(reason("1358948562000").contains("'-' after the year"));
    }

    #[test]
    fn rejects_impossible_dates_and_times() {
        assert!(reason("2013-13-01").contains("month 13 does not exist"));
        assert!(reason("2013-00-01").contains("month 00"));
        assert!(reason("2013-02-29").contains("day 29 does not exist in 2013-02"));
        assert!(reason("2013-04-31").contains("day 31"));
        assert!(reason("2013-01-23T24:00:00").contains("hour 24"));
        assert!(reason("2013-01-23T13:60:00").contains("minute 60"));
        assert!(reason("2013-01-23T13:42:60").contains("second 60"));
        assert!(reason("2013-01-23T13:42:42+24:00").contains("offset 24:00"));
    }

    #[test]
    fn error_quotes_the_text() {
        let msg = reason("2013-13-01");
        assert!(msg.starts_with("invalid date '2013-13-01'"), "{msg}");
    }

    #[test]
    fn multibyte_garbage_is_rejected_not_sliced() {
        assert!(reason("2013-01-23T13:42:42é").contains("unexpected 'é'"));
        assert!(reason("2013-01-23é").contains("unexpected 'é'"));
        assert!(reason("２０１３-01-23").contains("four-digit year"));
    }
}
