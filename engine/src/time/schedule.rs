//! The entry points the runtime uses for BPMN timer events: when does a timer fire first,
//! and when again after it fired.
//!
//! The caller evaluates expressions in the timer definition first and passes the
//! resulting text. For a repeating timer it persists [`TimerSchedule::repeat`] with the
//! job and hands it back to [`next_schedule`] after the job ran; that text carries
//! everything needed, including how many repetitions are left.

use std::cmp::max;

use super::cron::CronExpr;
use super::cycle::Cycle;
use super::duration::IsoDuration;
use super::format::parse_date_lenient;
use super::{TimeError, Timestamp};

/// Which BPMN timer definition the text comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimerKind {
    /// `timeDate`: a fixed instant (or, as in Camunda, an ISO duration from now).
    Date,
    /// `timeDuration`: an ISO 8601 duration from now.
    Duration,
    /// `timeCycle`: an ISO 8601 repeating interval (`R…`) or a Quartz cron expression.
    Cycle,
}

/// When a timer fires and what to persist for its next firing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimerSchedule {
    /// The due time of the job to create.
    pub due: Timestamp,
    /// The canonical text of what remains after this firing, to store with the job and
    /// pass to [`next_schedule`]; `None` when this is the last firing. For cron it is the
    /// cron expression itself (cron repeats forever).
    pub repeat: Option<String>,
}

/// The first firing of a timer whose definition evaluated to `text`, scheduled at `now`.
///
/// - [`TimerKind::Date`]: any form [`parse_date_lenient`] accepts; a date in the past is
///   due immediately (its due time is in the past). A text starting with `P` is a
///   duration from `now`, as Camunda's `DueDateBusinessCalendar` allows.
/// - [`TimerKind::Duration`]: `now` plus an [`IsoDuration`].
/// - [`TimerKind::Cycle`]: a text starting with `R` is a [`Cycle`], anything else a
///   [`CronExpr`].
///
/// `None` means the timer never fires: `R0/…`, a cycle whose repetitions all lie in the
/// past, or a cron expression with no future match.
pub fn first_schedule(
    kind: TimerKind,
    text: &str,
    now: Timestamp,
) -> Result<Option<TimerSchedule>, TimeError> {
    let text = text.trim();
    let once = |due| Ok(Some(TimerSchedule { due, repeat: None }));
    match kind {
        TimerKind::Date if is_duration(text) => once(IsoDuration::parse(text)?.add_to(now)?),
        TimerKind::Date => once(parse_date_lenient(text)?),
        TimerKind::Duration => once(IsoDuration::parse(text)?.add_to(now)?),
        TimerKind::Cycle => cycle_after(text, now),
    }
}

/// The firing that follows one of a repeating timer: `repeat` is the
/// [`TimerSchedule::repeat`] stored with the job that fired, `fired_due` that job's due
/// time and `now` when it ran.
///
/// Repetitions that passed while the job waited are skipped, as in Camunda: the next due
/// time lies after both `fired_due` and `now`. `None` when the cycle is exhausted.
pub fn next_schedule(
    repeat: &str,
    fired_due: Timestamp,
    now: Timestamp,
) -> Result<Option<TimerSchedule>, TimeError> {
    cycle_after(repeat.trim(), max(fired_due, now))
}

/// Checks the syntax of a literal timer definition at deployment, so that a typo fails
/// the deployment instead of the first process instance.
pub fn validate(kind: TimerKind, text: &str) -> Result<(), TimeError> {
    let text = text.trim();
    match kind {
        TimerKind::Date if is_duration(text) => IsoDuration::parse(text).map(drop),
        TimerKind::Date => parse_date_lenient(text).map(drop),
        TimerKind::Duration => IsoDuration::parse(text).map(drop),
        TimerKind::Cycle if is_iso_cycle(text) => Cycle::parse(text).map(drop),
        TimerKind::Cycle => CronExpr::parse(text).map(drop),
    }
}

/// Camunda's rule (`CycleBusinessCalendar`): a cycle starting with `R` is ISO 8601,
/// anything else cron.
fn is_iso_cycle(text: &str) -> bool {
    text.starts_with('R')
}

fn is_duration(text: &str) -> bool {
    text.starts_with('P') || text.starts_with("-P")
}

fn cycle_after(text: &str, reference: Timestamp) -> Result<Option<TimerSchedule>, TimeError> {
    if is_iso_cycle(text) {
        let next = Cycle::parse(text)?.next_after(reference)?;
        return Ok(next.map(|(due, rest)| TimerSchedule {
            due,
            repeat: (!rest.is_exhausted()).then(|| rest.to_text()),
        }));
    }
    let cron = CronExpr::parse(text)?;
    Ok(cron.next_after(reference).map(|due| TimerSchedule {
        due,
        repeat: Some(cron.to_string()),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::format::format_iso;
    use super::*;

    fn at(s: &str) -> Timestamp {
        match parse_date_lenient(s) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn first(kind: TimerKind, text: &str, now: &str) -> Option<(String, Option<String>)> {
        match first_schedule(kind, text, at(now)) {
            Ok(s) => s.map(|s| (format_iso(s.due), s.repeat)),
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    const NOW: &str = "2026-01-05T09:00:00Z";

    #[test]
    fn date_timers_fire_once_at_the_date() {
        assert_eq!(
            first(TimerKind::Date, "2026-02-01T12:00:00+01:00", NOW),
            Some(("2026-02-01T11:00:00.000Z".into(), None))
        );
        assert_eq!(
            first(TimerKind::Date, "2026-02-01", NOW),
            Some(("2026-02-01T00:00:00.000Z".into(), None))
        );
        // In the past: due at once.
        assert_eq!(
            first(TimerKind::Date, "2020-01-01T00:00:00Z", NOW),
            Some(("2020-01-01T00:00:00.000Z".into(), None))
        );
        // Camunda's DueDateBusinessCalendar also takes a duration.
        assert_eq!(
            first(TimerKind::Date, "PT1H", NOW),
            Some(("2026-01-05T10:00:00.000Z".into(), None))
        );
    }

    #[test]
    fn duration_timers_fire_once_after_the_duration() {
        assert_eq!(
            first(TimerKind::Duration, "PT5M", NOW),
            Some(("2026-01-05T09:05:00.000Z".into(), None))
        );
        assert_eq!(
            first(TimerKind::Duration, " P1M\n", "2026-01-31T00:00:00Z"),
            Some(("2026-02-28T00:00:00.000Z".into(), None))
        );
    }

    #[test]
    fn iso_cycle_timers_carry_the_remaining_repetitions() {
        assert_eq!(
            first(TimerKind::Cycle, "R3/PT10S", NOW),
            Some((
                "2026-01-05T09:00:10.000Z".into(),
                Some("R2/2026-01-05T09:00:10.000Z/PT10S".into())
            ))
        );
        assert_eq!(
            first(TimerKind::Cycle, "R1/PT10S", NOW),
            Some(("2026-01-05T09:00:10.000Z".into(), None))
        );
        assert_eq!(first(TimerKind::Cycle, "R0/PT10S", NOW), None);
        assert_eq!(
            first(TimerKind::Cycle, "R/2026-01-01T00:00:00Z/P1D", NOW),
            Some((
                "2026-01-06T00:00:00.000Z".into(),
                Some("R/2026-01-06T00:00:00.000Z/P1D".into())
            ))
        );
    }

    #[test]
    fn a_cycle_fires_exactly_its_repetitions_through_next_schedule() {
        let now = at(NOW);
        let mut schedule = first_schedule(TimerKind::Cycle, "R5/PT10S", now)
            .ok()
            .flatten();
        let mut dues = Vec::new();
        while let Some(s) = schedule {
            dues.push(format_iso(s.due));
            schedule = match s.repeat {
                // The job runs 200 ms late, as jobs do.
                Some(repeat) => next_schedule(&repeat, s.due, Timestamp(s.due.0 + 200))
                    .ok()
                    .flatten(),
                None => None,
            };
        }
        assert_eq!(
            dues,
            [
                "2026-01-05T09:00:10.000Z",
                "2026-01-05T09:00:20.000Z",
                "2026-01-05T09:00:30.000Z",
                "2026-01-05T09:00:40.000Z",
                "2026-01-05T09:00:50.000Z"
            ]
        );
    }

    #[test]
    fn repetitions_missed_while_the_job_waited_are_skipped() {
        let next = next_schedule(
            "R10/2026-01-05T09:00:00.000Z/PT10S",
            at("2026-01-05T09:00:00Z"),
            at("2026-01-05T09:00:35Z"),
        );
        assert_eq!(
            next,
            Ok(Some(TimerSchedule {
                due: at("2026-01-05T09:00:40Z"),
                repeat: Some("R6/2026-01-05T09:00:40.000Z/PT10S".into()),
            }))
        );
    }

    #[test]
    fn a_job_run_early_does_not_fire_the_same_due_twice() {
        let next = next_schedule(
            "R2/2026-01-05T09:00:10.000Z/PT10S",
            at("2026-01-05T09:00:10Z"),
            at("2026-01-05T09:00:01Z"),
        );
        assert_eq!(
            next.map(|s| s.map(|s| s.due)),
            Ok(Some(at("2026-01-05T09:00:20Z")))
        );
    }

    #[test]
    fn cron_timers_repeat_with_their_own_text() {
        assert_eq!(
            first(TimerKind::Cycle, "0 0 12 ? * WED", NOW),
            Some((
                "2026-01-07T12:00:00.000Z".into(),
                Some("0 0 12 ? * WED".into())
            ))
        );
        let next = next_schedule(
            "0 0 12 ? * WED",
            at("2026-01-07T12:00:00Z"),
            at("2026-01-07T12:00:01Z"),
        );
        assert_eq!(
            next.map(|s| s.map(|s| s.due)),
            Ok(Some(at("2026-01-14T12:00:00Z")))
        );
        assert_eq!(first(TimerKind::Cycle, "0 0 0 30 FEB ?", NOW), None);
    }

    #[test]
    fn errors_name_the_syntax_that_was_expected() {
        let err = |kind, text| match first_schedule(kind, text, at(NOW)) {
            Ok(s) => panic!("{text:?} should fail, got {s:?}"),
            Err(e) => e.to_string(),
        };
        assert!(err(TimerKind::Date, "tomorrow").starts_with("invalid date 'tomorrow'"));
        assert!(err(TimerKind::Duration, "5 minutes").starts_with("invalid duration"));
        assert!(err(TimerKind::Duration, "2026-01-01").starts_with("invalid duration"));
        assert!(err(TimerKind::Cycle, "R5/PT10").starts_with("invalid time cycle"));
        assert!(err(TimerKind::Cycle, "every day").starts_with("invalid cron expression"));
        assert!(err(TimerKind::Duration, "P9000Y").contains("outside the supported years"));
    }

    #[test]
    fn validate_checks_syntax_only() {
        assert_eq!(validate(TimerKind::Date, "2026-01-01T00:00:00Z"), Ok(()));
        assert_eq!(validate(TimerKind::Date, "P1D"), Ok(()));
        assert_eq!(validate(TimerKind::Duration, "PT5M"), Ok(()));
        assert_eq!(validate(TimerKind::Cycle, "R3/PT10S"), Ok(()));
        assert_eq!(validate(TimerKind::Cycle, "R0/PT10S"), Ok(()));
        assert_eq!(validate(TimerKind::Cycle, "0 0/5 * * * ?"), Ok(()));
        // Never fires, but is well-formed.
        assert_eq!(validate(TimerKind::Cycle, "0 0 0 30 FEB ?"), Ok(()));
        assert!(validate(TimerKind::Date, "2026-02-30").is_err());
        assert!(validate(TimerKind::Duration, "PT").is_err());
        assert!(validate(TimerKind::Cycle, "R/PT0S").is_err());
        assert!(validate(TimerKind::Cycle, "0 0 12 15 * MON").is_err());
    }
}
