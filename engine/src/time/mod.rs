//! Date and time arithmetic for timers, dates in variables and expressions.
//!
//! Nothing here reads the wall clock: "now" is always an argument, so timer behaviour is
//! reproducible in tests and the server decides which clock counts.
//!
//! # Time zone
//!
//! procos computes everything in **UTC**. Camunda 7 uses the JVM's default zone for dates
//! written without an offset and for calendar arithmetic (`P1D` across a daylight-saving
//! change, cron hours). procos reads a date without an offset as UTC, adds months and days
//! on the UTC calendar and evaluates cron expressions on UTC wall-clock time. A Camunda
//! installation whose JVM ran in UTC behaves identically; elsewhere, write offsets into
//! dates (`2026-01-01T08:00:00+01:00`) to keep the meaning explicit.
//!
//! # Supported range
//!
//! Dates are read and computed in the years 0000 to 9999 ([`MIN_SUPPORTED`] to
//! [`MAX_SUPPORTED`]), the range that Camunda's four-digit year format can render.
//! Arithmetic whose result leaves it fails with [`TimeError::OutOfRange`] instead of
//! wrapping around; a cron search simply finds nothing. Formatting accepts any
//! [`Timestamp`] and falls back to ISO's expanded years (`+10000-…`) outside the range.
//!
//! # Map
//!
//! - [`format`](mod@format): Camunda's REST date format and the lenient date parser.
//! - [`duration`]: ISO 8601 durations (`P1Y2M3DT4H5M6.5S`).
//! - [`cycle`]: ISO 8601 repeating intervals (`R5/PT10S`), as Camunda's `timeCycle`.
//! - [`cron`]: Quartz cron expressions, Camunda's other `timeCycle` syntax.
//! - [`schedule`]: the entry points the runtime calls for timer events.
//! - [`calendar`]: calendar-aware addition for the expression language.

use serde::{Deserialize, Serialize};

mod civil;

pub mod calendar;
pub mod cron;
pub mod cycle;
pub mod duration;
pub mod error;
pub mod format;
pub mod schedule;

#[cfg(test)]
mod never_panics;

pub use calendar::{add_calendar, CalendarUnit};
pub use cron::CronExpr;
pub use cycle::Cycle;
pub use duration::IsoDuration;
pub use error::TimeError;
pub use format::{
    format_camunda, format_iso, parse_date_lenient, push_camunda, write_camunda, write_iso,
    CamundaDate, IsoDate,
};
pub use schedule::{first_schedule, next_schedule, validate, TimerKind, TimerSchedule};

/// An instant: milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Milliseconds since the epoch.
    pub const fn millis(self) -> i64 {
        self.0
    }
}

/// The earliest instant the time functions produce: 0000-01-01T00:00:00.000Z.
pub const MIN_SUPPORTED: Timestamp = Timestamp(civil::MIN_MILLIS);

/// The latest instant the time functions produce: 9999-12-31T23:59:59.999Z.
pub const MAX_SUPPORTED: Timestamp = Timestamp(civil::MAX_MILLIS);
