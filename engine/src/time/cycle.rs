//! ISO 8601 repeating intervals, Camunda's `timeCycle` when the text starts with `R`.
//!
//! # Semantics (Camunda 7's `DurationHelper`)
//!
//! A cycle `Rn/…` describes the instants `anchor + k × period` for `k = 0..=n` (or
//! `anchor − k × period` when the anchor is an end date). The timer fires at the first of
//! those instants that lies **strictly after** the reference time, so instants in the past
//! are skipped, not fired late:
//!
//! | text | anchor | first due at `now` |
//! |---|---|---|
//! | `R5/PT10S` | `now` (not itself fired) | `now + 10s`; 5 firings in total |
//! | `R/PT1H` | `now` | `now + 1h`; unbounded |
//! | `R3/2026-01-01T00:00:00Z/PT1H` | start | the start if it is in the future, else the first `start + k·1h` after `now` |
//! | `R3/PT1H/2026-01-01T00:00:00Z` | end | the first of `end − 3h … end` after `now`; the last firing is at `end` |
//! | `R2/2026-01-01T00:00:00Z/2026-01-01T06:00:00Z` | start | as with a start and the period `PT6H` |
//!
//! As in Camunda, a start date in the future is fired itself and then repeated `n` times
//! (`R3/<future>/PT1H` fires 4 times), and an end date is preceded by up to `n` earlier
//! firings (`R3/PT1H/<end>` fires at most 4 times), while `R3/PT1H` fires 3 times. Periods are added
//! one after another, so `R/2026-01-31T00:00:00Z/P1M` fires on Jan 31, Feb 28, Mar 28, ….
//!
//! Deviations from Camunda, on purpose: `R0/…` never fires (Camunda fires once), the
//! period must be positive (Camunda loops on `PT0S`), and the period of `R/start/end` is
//! the exact elapsed time (Java spreads it over calendar years and months).
//!
//! # Persisting the remaining schedule
//!
//! [`Cycle::next_after`] returns the next due time together with the cycle that remains
//! *after* that firing, anchored at the due time itself: `R5/PT10S` scheduled at `t`
//! becomes due at `t+10s` with the remaining cycle `R4/<t+10s>/PT10S`. Its
//! [`Cycle::to_text`] goes into the job row; the count in it is exactly the number of
//! firings left.

use std::fmt;
use std::str::FromStr;

use super::duration::IsoDuration;
use super::error::excerpt;
use super::format::{parse_date_reason, write_iso, IsoDate};
use super::{civil, TimeError, Timestamp};

/// A parsed ISO 8601 repeating interval (`R[n]/…`). See the [module](self) documentation
/// for the firing rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    repetitions: Option<u32>,
    anchor: Anchor,
    period: IsoDuration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    /// No date in the text: the series starts at the time it is scheduled.
    Scheduled,
    /// A start date: fired itself when still in the future.
    Start(Timestamp),
    /// An end date: the last firing.
    End(Timestamp),
}

impl Cycle {
    /// Parses `R[n]/<period>`, `R[n]/<start>/<period>`, `R[n]/<period>/<end>` or
    /// `R[n]/<start>/<end>`. `R` without a number repeats without bound. Dates take any
    /// form [`parse_date_lenient`](super::parse_date_lenient) accepts; periods are
    /// [`IsoDuration`]s and must be positive.
    pub fn parse(text: &str) -> Result<Cycle, TimeError> {
        parse_reason(text.trim()).map_err(|reason| TimeError::InvalidCycle {
            text: excerpt(text),
            reason,
        })
    }

    /// The count of the text: `Some(n)` for `Rn/…`, `None` for unbounded `R/…`. For a
    /// cycle returned by [`Cycle::next_after`] it is the number of firings that remain.
    pub fn repetitions(&self) -> Option<u32> {
        self.repetitions
    }

    /// Whether no firing remains (`R0/…`).
    pub fn is_exhausted(&self) -> bool {
        self.repetitions == Some(0)
    }

    /// The time between two firings.
    pub fn period(&self) -> &IsoDuration {
        &self.period
    }

    /// The start date, when the text has one.
    pub fn start(&self) -> Option<Timestamp> {
        match self.anchor {
            Anchor::Start(t) => Some(t),
            _ => None,
        }
    }

    /// The end date (the last firing), when the text has one.
    pub fn end(&self) -> Option<Timestamp> {
        match self.anchor {
            Anchor::End(t) => Some(t),
            _ => None,
        }
    }

    /// When the timer first fires if scheduled at `now`; `None` when it never fires
    /// (`R0`, or every repetition lies in the past).
    pub fn first_due(&self, now: Timestamp) -> Result<Option<Timestamp>, TimeError> {
        Ok(self.next_after(now)?.map(|(due, _)| due))
    }

    /// After the firing due at `fired_due`, the next due time and the cycle remaining
    /// after that next firing; `None` when the cycle is exhausted.
    pub fn after_firing(
        &self,
        fired_due: Timestamp,
    ) -> Result<Option<(Timestamp, Cycle)>, TimeError> {
        self.next_after(fired_due)
    }

    /// The first repetition strictly after `reference`, with the cycle that remains once
    /// it has fired (anchored at that due time, so that calling `next_after` on it with
    /// the due time continues the series). `None` when no repetition is left after
    /// `reference`.
    ///
    /// Fails only when the next repetition would fall after the year 9999.
    pub fn next_after(
        &self,
        reference: Timestamp,
    ) -> Result<Option<(Timestamp, Cycle)>, TimeError> {
        if self.is_exhausted() {
            return Ok(None);
        }
        let limit = self.repetitions.map(u64::from);
        let found = match self.anchor {
            Anchor::Scheduled => self.forward(reference, reference, limit)?,
            Anchor::Start(start) => self.forward(start, reference, limit)?,
            Anchor::End(end) => {
                return Ok(self.backward(end, reference, limit).map(|(steps, due)| {
                    let rest = Cycle {
                        // The firings left are end − (steps−1)·p … end. A count beyond
                        // u32 (only from an unbounded cycle) stays unbounded: the end
                        // date bounds it anyway.
                        repetitions: u32::try_from(steps).ok(),
                        anchor: Anchor::End(end),
                        period: self.period,
                    };
                    (due, rest)
                }));
            }
        };
        Ok(found.map(|(steps, due)| {
            let repetitions = self
                .repetitions
                .map(|n| n.saturating_sub(u32::try_from(steps).unwrap_or(u32::MAX)));
            let rest = Cycle {
                repetitions,
                anchor: Anchor::Start(due),
                period: self.period,
            };
            (due, rest)
        }))
    }

    /// The canonical text, which [`Cycle::parse`] reads back to an equal cycle. Dates are
    /// written as ISO 8601 UTC with milliseconds.
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// Smallest `k` (at most `limit`) with `start + k·period > reference`, and that
    /// instant. `k = 0` counts only for an explicit start in the future.
    fn forward(
        &self,
        start: Timestamp,
        reference: Timestamp,
        limit: Option<u64>,
    ) -> Result<Option<(u64, Timestamp)>, TimeError> {
        let out_of_range = || TimeError::OutOfRange {
            what: format!("the next repetition of {self} after {}", IsoDate(reference)),
        };
        if let Some(step) = self.period.fixed_millis() {
            let (start, reference, step) = (
                i128::from(start.0),
                i128::from(reference.0),
                i128::from(step),
            );
            let k = if start > reference {
                0
            } else {
                (reference - start) / step + 1
            };
            if limit.is_some_and(|n| k > i128::from(n)) {
                return Ok(None);
            }
            let due = start + k * step;
            let due = i64::try_from(due)
                .ok()
                .filter(|&d| civil::in_range(d))
                .ok_or_else(out_of_range)?;
            return Ok(Some((u64::try_from(k).unwrap_or(u64::MAX), Timestamp(due))));
        }
        // Calendar periods: step like Camunda, one addition at a time. Each step is at
        // least 28 days, so this ends within ~130,000 steps at the year 9999.
        let mut due = start;
        let mut k = 0u64;
        while due <= reference {
            if limit.is_some_and(|n| k >= n) {
                return Ok(None);
            }
            due = self.period.add_to(due).map_err(|_| out_of_range())?;
            k += 1;
        }
        Ok(Some((k, due)))
    }

    /// Largest `k` (at most `limit`) with `end − k·period > reference`, and that instant.
    fn backward(
        &self,
        end: Timestamp,
        reference: Timestamp,
        limit: Option<u64>,
    ) -> Option<(u64, Timestamp)> {
        if end <= reference {
            return None;
        }
        if let Some(step) = self.period.fixed_millis() {
            let (end, reference, step) =
                (i128::from(end.0), i128::from(reference.0), i128::from(step));
            let mut k = (end - reference - 1) / step;
            // Stay within the supported years even for an absurd reference.
            k = k.min((end - i128::from(civil::MIN_MILLIS)) / step);
            if let Some(n) = limit {
                k = k.min(i128::from(n));
            }
            let due = i64::try_from(end - k * step).ok()?;
            return Some((u64::try_from(k).ok()?, Timestamp(due)));
        }
        let back = self.period.negated();
        let mut due = end;
        let mut k = 0u64;
        while limit.is_none_or(|n| k < n) {
            match back.add_to(due) {
                Ok(earlier) if earlier > reference => {
                    due = earlier;
                    k += 1;
                }
                _ => break,
            }
        }
        Some((k, due))
    }
}

impl FromStr for Cycle {
    type Err = TimeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Cycle::parse(s)
    }
}

/// The canonical text, as [`Cycle::to_text`].
impl fmt::Display for Cycle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("R")?;
        if let Some(n) = self.repetitions {
            write!(f, "{n}")?;
        }
        f.write_str("/")?;
        match self.anchor {
            Anchor::Scheduled => write!(f, "{}", self.period),
            Anchor::Start(start) => {
                write_iso(f, start)?;
                write!(f, "/{}", self.period)
            }
            Anchor::End(end) => {
                write!(f, "{}/", self.period)?;
                write_iso(f, end)
            }
        }
    }
}

const SHAPES: &str = "expected R<n>/<period>, R<n>/<start>/<period>, R<n>/<period>/<end> \
                      or R<n>/<start>/<end>";

fn parse_reason(text: &str) -> Result<Cycle, String> {
    let Some(count) = text.strip_prefix('R') else {
        return Err(
            "a repeating interval starts with 'R' (a text without 'R' is read as \
                    a cron expression)"
                .into(),
        );
    };
    let parts: Vec<&str> = count.split('/').collect();
    let repetitions = match parts.first().copied().unwrap_or("") {
        "" => None,
        n if n.bytes().all(|b| b.is_ascii_digit()) => Some(
            n.parse::<u32>()
                .map_err(|_| format!("the repetition count {n} is too large"))?,
        ),
        n => {
            return Err(format!(
                "'R{n}' is not a repetition count; write R followed by a number, or R \
                 alone to repeat forever"
            ))
        }
    };
    let (anchor, period) = match parts.as_slice() {
        [_, period] => {
            if !is_period(period) {
                return Err(format!("'{period}' is not a period; {SHAPES}"));
            }
            (Anchor::Scheduled, period_of(period)?)
        }
        [_, first, second] => match (is_period(first), is_period(second)) {
            (true, true) => return Err(format!("two periods; {SHAPES}")),
            (true, false) => (Anchor::End(date_of(second, "end")?), period_of(first)?),
            (false, true) => (Anchor::Start(date_of(first, "start")?), period_of(second)?),
            (false, false) => {
                let start = date_of(first, "start")?;
                let end = date_of(second, "end")?;
                if end <= start {
                    return Err(format!(
                        "the end '{second}' is not after the start '{first}'"
                    ));
                }
                let period = IsoDuration::exact(end.0 - start.0).ok_or_else(|| {
                    format!("the interval from '{first}' to '{second}' is too long")
                })?;
                (Anchor::Start(start), period)
            }
        },
        [_] => return Err(format!("'/' and a period are missing; {SHAPES}")),
        _ => return Err(format!("too many '/'; {SHAPES}")),
    };
    Ok(Cycle {
        repetitions,
        anchor,
        period,
    })
}

/// Camunda decides by the first letter; a leading `-` is recognised so that a negative
/// period gets a precise error instead of "not a date".
fn is_period(part: &str) -> bool {
    part.starts_with('P') || part.starts_with("-P")
}

fn period_of(part: &str) -> Result<IsoDuration, String> {
    let period = IsoDuration::parse(part).map_err(|e| match e {
        TimeError::InvalidDuration { reason, .. } => {
            format!("the period '{part}' is not an ISO 8601 duration: {reason}")
        }
        other => other.to_string(),
    })?;
    if period.negative || period.is_zero() {
        return Err(format!("the period '{part}' must be longer than zero"));
    }
    Ok(period)
}

fn date_of(part: &str, role: &str) -> Result<Timestamp, String> {
    if part.trim() != part || part.is_empty() {
        return Err(format!(
            "the {role} date '{part}' has surrounding spaces or is empty"
        ));
    }
    parse_date_reason(part)
        .map_err(|reason| format!("the {role} date '{part}' is invalid: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::super::format::{format_iso, parse_date_lenient};
    use super::*;

    fn cycle(s: &str) -> Cycle {
        match Cycle::parse(s) {
            Ok(c) => c,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn reason(s: &str) -> String {
        match Cycle::parse(s) {
            Ok(c) => panic!("{s:?} should be rejected, parsed as {c}"),
            Err(e) => e.to_string(),
        }
    }

    fn at(s: &str) -> Timestamp {
        match parse_date_lenient(s) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// Fires the cycle from `now` like the runtime does and lists every due time (at most
    /// `max`).
    fn firings(text: &str, now: &str, max: usize) -> Vec<String> {
        let mut out = Vec::new();
        let mut next = cycle(text).next_after(at(now));
        while let Ok(Some((due, rest))) = next {
            out.push(format_iso(due));
            if out.len() >= max {
                break;
            }
            // The text is what the job row stores.
            let stored = cycle(&rest.to_text());
            assert_eq!(stored, rest);
            next = stored.after_firing(due);
        }
        out
    }

    #[test]
    fn without_a_date_the_first_due_is_now_plus_period() {
        let now = at("2026-03-01T10:00:00Z");
        assert_eq!(
            cycle("R5/PT10S").first_due(now),
            Ok(Some(at("2026-03-01T10:00:10Z")))
        );
        assert_eq!(
            firings("R3/PT10S", "2026-03-01T10:00:00Z", 10),
            [
                "2026-03-01T10:00:10.000Z",
                "2026-03-01T10:00:20.000Z",
                "2026-03-01T10:00:30.000Z"
            ]
        );
    }

    #[test]
    fn after_the_first_firing_the_rest_is_anchored_at_the_fired_due() {
        let Ok(Some((due, rest))) = cycle("R5/PT10S").next_after(at("2026-03-01T10:00:00Z")) else {
            panic!("R5/PT10S fires");
        };
        assert_eq!(format_iso(due), "2026-03-01T10:00:10.000Z");
        assert_eq!(rest.to_text(), "R4/2026-03-01T10:00:10.000Z/PT10S");
        assert_eq!(rest.repetitions(), Some(4));
    }

    #[test]
    fn unbounded_cycles_keep_going() {
        let fired = firings("R/PT1H", "2026-03-01T10:30:00Z", 50);
        assert_eq!(fired.len(), 50);
        assert_eq!(fired[49], "2026-03-03T12:30:00.000Z");
        let Ok(Some((_, rest))) = cycle("R/PT1H").next_after(at("2026-03-01T10:30:00Z")) else {
            panic!("fires");
        };
        assert_eq!(rest.to_text(), "R/2026-03-01T11:30:00.000Z/PT1H");
        assert_eq!(rest.repetitions(), None);
    }

    #[test]
    fn a_future_start_fires_itself_then_n_repetitions() {
        assert_eq!(
            firings("R3/2026-01-01T00:00:00Z/PT1H", "2025-12-31T12:00:00Z", 10),
            [
                "2026-01-01T00:00:00.000Z",
                "2026-01-01T01:00:00.000Z",
                "2026-01-01T02:00:00.000Z",
                "2026-01-01T03:00:00.000Z"
            ]
        );
    }

    #[test]
    fn a_past_start_skips_missed_repetitions_and_counts_them() {
        assert_eq!(
            firings("R3/2026-01-01T00:00:00Z/PT1H", "2026-01-01T01:30:00Z", 10),
            ["2026-01-01T02:00:00.000Z", "2026-01-01T03:00:00.000Z"]
        );
        let c = cycle("R/2020-01-01T00:00:00Z/P1D");
        assert_eq!(
            c.first_due(at("2026-05-17T08:00:00Z")),
            Ok(Some(at("2026-05-18T00:00:00Z")))
        );
        // Exactly on a repetition: that one counts as past.
        assert_eq!(
            c.first_due(at("2026-05-17T00:00:00Z")),
            Ok(Some(at("2026-05-18T00:00:00Z")))
        );
    }

    #[test]
    fn a_start_so_old_that_all_repetitions_passed_never_fires() {
        let c = cycle("R3/2020-01-01T00:00:00Z/PT1H");
        assert_eq!(c.first_due(at("2026-01-01T00:00:00Z")), Ok(None));
    }

    #[test]
    fn period_then_end_fires_last_at_the_end() {
        assert_eq!(
            firings("R3/PT1H/2026-01-01T00:00:00Z", "2025-12-31T12:00:00Z", 10),
            [
                "2025-12-31T21:00:00.000Z",
                "2025-12-31T22:00:00.000Z",
                "2025-12-31T23:00:00.000Z",
                "2026-01-01T00:00:00.000Z"
            ]
        );
        assert_eq!(
            firings("R3/PT1H/2026-01-01T00:00:00Z", "2025-12-31T22:30:00Z", 10),
            ["2025-12-31T23:00:00.000Z", "2026-01-01T00:00:00.000Z"]
        );
        assert_eq!(
            firings("R/PT1H/2026-01-01T00:00:00Z", "2025-12-31T20:30:00Z", 10),
            [
                "2025-12-31T21:00:00.000Z",
                "2025-12-31T22:00:00.000Z",
                "2025-12-31T23:00:00.000Z",
                "2026-01-01T00:00:00.000Z"
            ]
        );
        assert_eq!(
            cycle("R3/PT1H/2026-01-01T00:00:00Z").first_due(at("2026-01-01T00:00:00Z")),
            Ok(None)
        );
    }

    #[test]
    fn the_remaining_count_of_an_end_cycle_is_the_firings_left() {
        let Ok(Some((due, rest))) =
            cycle("R/PT1H/2026-01-01T00:00:00Z").next_after(at("2025-12-31T18:30:00Z"))
        else {
            panic!("fires");
        };
        assert_eq!(format_iso(due), "2025-12-31T19:00:00.000Z");
        assert_eq!(rest.to_text(), "R5/PT1H/2026-01-01T00:00:00.000Z");
    }

    #[test]
    fn an_unbounded_end_cycle_far_in_the_future_keeps_every_firing() {
        let c = cycle("R/PT1S/9999-01-01T00:00:00Z");
        let Ok(Some((due, rest))) = c.next_after(at("1000-01-01T00:00:00.500Z")) else {
            panic!("fires");
        };
        assert_eq!(format_iso(due), "1000-01-01T00:00:01.000Z");
        assert_eq!(rest.repetitions(), None, "more than u32::MAX firings left");
        assert_eq!(
            rest.after_firing(due)
                .map(|n| n.map(|(t, _)| format_iso(t))),
            Ok(Some("1000-01-01T00:00:02.000Z".into()))
        );
    }

    #[test]
    fn start_and_end_give_the_period() {
        let c = cycle("R2/2026-01-01T00:00:00Z/2026-01-01T06:00:00Z");
        assert_eq!(c.period().to_string(), "PT6H");
        assert_eq!(
            firings(
                "R2/2026-01-01T00:00:00Z/2026-01-01T06:00:00Z",
                "2025-01-01T00:00:00Z",
                9
            ),
            [
                "2026-01-01T00:00:00.000Z",
                "2026-01-01T06:00:00.000Z",
                "2026-01-01T12:00:00.000Z"
            ]
        );
    }

    #[test]
    fn calendar_periods_step_one_at_a_time_like_camunda() {
        assert_eq!(
            firings("R/2026-01-31T00:00:00Z/P1M", "2026-01-01T00:00:00Z", 4),
            [
                "2026-01-31T00:00:00.000Z",
                "2026-02-28T00:00:00.000Z",
                "2026-03-28T00:00:00.000Z",
                "2026-04-28T00:00:00.000Z"
            ]
        );
        assert_eq!(
            cycle("R/2000-01-31T00:00:00Z/P1M").first_due(at("2026-06-10T00:00:00Z")),
            Ok(Some(at("2026-06-28T00:00:00Z")))
        );
        assert_eq!(
            firings("R2/P1M/2026-03-31T00:00:00Z", "2026-01-01T00:00:00Z", 9),
            [
                "2026-01-28T00:00:00.000Z",
                "2026-02-28T00:00:00.000Z",
                "2026-03-31T00:00:00.000Z"
            ]
        );
    }

    #[test]
    fn r0_never_fires() {
        let now = at("2026-01-01T00:00:00Z");
        for text in [
            "R0/PT10S",
            "R0/2027-01-01T00:00:00Z/PT1H",
            "R0/PT1H/2027-01-01T00:00:00Z",
        ] {
            let c = cycle(text);
            assert!(c.is_exhausted());
            assert_eq!(c.first_due(now), Ok(None), "{text}");
        }
    }

    #[test]
    fn the_last_firing_leaves_an_exhausted_cycle() {
        let Ok(Some((_, rest))) = cycle("R1/PT10S").next_after(at("2026-01-01T00:00:00Z")) else {
            panic!("fires once");
        };
        assert!(rest.is_exhausted());
        assert_eq!(rest.after_firing(at("2026-01-01T00:00:10Z")), Ok(None));
    }

    #[test]
    fn far_past_starts_with_short_periods_are_computed_not_iterated() {
        let c = cycle("R/0001-01-01T00:00:00Z/PT1S");
        assert_eq!(
            c.first_due(at("9999-12-31T23:59:58.500Z")),
            Ok(Some(at("9999-12-31T23:59:59Z")))
        );
        assert!(c.first_due(at("9999-12-31T23:59:59Z")).is_err());
    }

    #[test]
    fn absurd_references_do_not_overflow() {
        let c = cycle("R/2026-01-01T00:00:00Z/PT1H");
        assert_eq!(
            c.first_due(Timestamp(i64::MIN)),
            Ok(Some(at("2026-01-01T00:00:00Z")))
        );
        assert!(c.first_due(Timestamp(i64::MAX)).is_err());
        assert!(cycle("R/2026-01-01T00:00:00Z/P1M")
            .first_due(Timestamp(i64::MAX))
            .is_err());
        let e = cycle("R/PT1H/2026-01-01T00:00:00Z");
        assert!(matches!(e.first_due(Timestamp(i64::MIN)), Ok(Some(_))));
        let m = cycle("R/P1Y/0003-01-01T00:00:00Z");
        assert_eq!(
            m.first_due(Timestamp(i64::MIN)),
            Ok(Some(at("0000-01-01T00:00:00Z")))
        );
    }

    #[test]
    fn text_round_trips_canonically() {
        for (input, canonical) in [
            ("R5/PT10S", "R5/PT10S"),
            ("R/PT1H", "R/PT1H"),
            (
                "R3/2026-01-01T00:00:00Z/PT1H",
                "R3/2026-01-01T00:00:00.000Z/PT1H",
            ),
            (
                "R3/PT1H/2026-01-01T01:00:00+01:00",
                "R3/PT1H/2026-01-01T00:00:00.000Z",
            ),
            ("R/2026-01-01/P1D", "R/2026-01-01T00:00:00.000Z/P1D"),
            (" R2/PT1M30S ", "R2/PT1M30S"),
        ] {
            let c = cycle(input);
            assert_eq!(c.to_text(), canonical, "{input}");
            assert_eq!(cycle(canonical), c, "{canonical}");
        }
    }

    #[test]
    fn accessors_expose_the_parts() {
        let c = cycle("R3/2026-01-01T00:00:00Z/PT1H");
        assert_eq!(c.repetitions(), Some(3));
        assert_eq!(c.start(), Some(at("2026-01-01")));
        assert_eq!(c.end(), None);
        assert_eq!(cycle("R/PT1H/2026-01-01").end(), Some(at("2026-01-01")));
        assert_eq!(cycle("R/PT1H").repetitions(), None);
    }

    #[test]
    fn rejects_malformed_cycles_with_the_reason() {
        assert!(reason("").contains("starts with 'R'"));
        assert!(reason("PT10S").contains("starts with 'R'"));
        assert!(reason("R5").contains("'/' and a period are missing"));
        assert!(reason("R5/").contains("'' is not a period"));
        assert!(reason("Rx/PT1H").contains("'Rx' is not a repetition count"));
        assert!(reason("R-1/PT1H").contains("'R-1' is not a repetition count"));
        assert!(reason("R99999999999/PT1H").contains("too large"));
        assert!(reason("R5/2026-01-01T00:00:00Z").contains("is not a period"));
        assert!(reason("R5/PT1H/PT2H").contains("two periods"));
        assert!(
            reason("R5/PT1H/2026-13-01").contains("the end date '2026-13-01' is invalid: month 13")
        );
        assert!(reason("R5/tomorrow/PT1H").contains("the start date 'tomorrow' is invalid"));
        assert!(reason("R5/PT10").contains("the period 'PT10' is not an ISO 8601 duration"));
        assert!(reason("R5/PT0S").contains("must be longer than zero"));
        assert!(reason("R5/-PT1S").contains("must be longer than zero"));
        assert!(reason("R/2026-01-02/2026-01-01").contains("is not after the start"));
        assert!(reason("R/2026-01-01/PT1H/x").contains("too many '/'"));
        assert!(reason("R/ 2026-01-01/PT1H").contains("surrounding spaces"));
    }
}
