//! Property tests: the parsers see text from BPMN files and REST requests, so no input may
//! make them (or the arithmetic on what they accept) panic, and what they print must read
//! back unchanged.

use proptest::prelude::*;

use super::*;

/// Mostly valid dates, with the odd impossible day (31st of a short month, Feb 29).
const DATE: &str = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])\
                    ([T t]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.,][0-9]{1,10})?)?\
                    (Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?";
const DURATION: &str = "-?P([0-9]{1,10}Y)?([0-9]{1,4}M)?([0-9]{1,3}W)?([0-9]{1,5}D)?\
                        (T([0-9]{1,3}H)?([0-9]{1,4}M)?([0-9]{1,5}([.][0-9]{1,4})?S)?)?";

/// Cron expressions built field by field, so that most of them parse.
fn cron_text() -> impl Strategy<Value = String> {
    let sixty =
        "[0-5]?[0-9]|\\*|([0-5]?[0-9]|\\*)/[1-9][0-9]?|[0-5]?[0-9]-[0-5]?[0-9]|[0-9],[1-5][0-9]";
    let hours = "[01]?[0-9]|2[0-3]|\\*|\\*/[1-9]|[0-9]-1[0-9]|2[0-3]-[0-5]";
    let dom = "\\?|\\*|[1-9]|[12][0-9]|3[01]|L|L-[0-9]|LW|[1-9]W|[12][0-9]W|3[01]W|[1-9],[12][0-9]|[1-9]/[1-9]";
    let month = "\\*|[1-9]|1[0-2]|JAN|feb|Mar|[1-6]-[7-9]|NOV-FEB|[1-9]/[1-4]";
    let dow = "\\?|\\*|[1-7]|MON-FRI|FRI-MON|[1-7]L|[1-7]#[1-5]|L|SUN,SAT|[A-Z]{3}";
    let year = "|\\*|20[2-9][0-9]|2026-2030|19[7-9][0-9]/[1-9][0-9]?|2[0-9]{3},2[0-9]{3}";
    (sixty, sixty, hours, dom, month, dow, year)
        .prop_map(|(s, m, h, d, mo, w, y)| format!("{s} {m} {h} {d} {mo} {w} {y}"))
}

fn cycle_text() -> impl Strategy<Value = String> {
    let part = prop_oneof![DURATION.prop_map(|d| d), DATE.prop_map(|d| d)];
    ("R[0-9]{0,3}", proptest::collection::vec(part, 1..=2))
        .prop_map(|(r, parts)| format!("{r}/{}", parts.join("/")))
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>(), now in any::<i64>()) {
        let now = Timestamp(now);
        let _ = parse_date_lenient(&text);
        let _ = IsoDuration::parse(&text);
        let _ = Cycle::parse(&text);
        let _ = CronExpr::parse(&text);
        for kind in [TimerKind::Date, TimerKind::Duration, TimerKind::Cycle] {
            let _ = validate(kind, &text);
            let _ = first_schedule(kind, &text, now);
        }
        let _ = next_schedule(&text, now, now);
    }

    #[test]
    fn date_like_text_round_trips(text in DATE) {
        if let Ok(t) = parse_date_lenient(&text) {
            prop_assert_eq!(parse_date_lenient(&format_iso(t)), Ok(t));
            prop_assert_eq!(parse_date_lenient(&format_camunda(t)), Ok(t));
        }
    }

    #[test]
    fn formatting_any_instant_never_panics(t in any::<i64>()) {
        let t = Timestamp(t);
        let camunda = format_camunda(t);
        let iso = format_iso(t);
        if (MIN_SUPPORTED..=MAX_SUPPORTED).contains(&t) {
            prop_assert_eq!(parse_date_lenient(&camunda), Ok(t));
            prop_assert_eq!(parse_date_lenient(&iso), Ok(t));
        }
    }

    #[test]
    fn durations_round_trip_and_add_without_panicking(text in DURATION, t in any::<i64>()) {
        if let Ok(d) = IsoDuration::parse(&text) {
            prop_assert_eq!(IsoDuration::parse(&d.to_string()), Ok(d));
            let _ = d.add_to(Timestamp(t));
            let _ = d.add_to(Timestamp(t % 253_402_300_799_999));
        }
    }

    #[test]
    fn calendar_addition_never_panics(t in any::<i64>(), amount in any::<i64>(), unit in 0..8u8) {
        let unit = [
            CalendarUnit::Years,
            CalendarUnit::Months,
            CalendarUnit::Weeks,
            CalendarUnit::Days,
            CalendarUnit::Hours,
            CalendarUnit::Minutes,
            CalendarUnit::Seconds,
            CalendarUnit::Millis,
        ][usize::from(unit)];
        if let Ok(r) = add_calendar(Timestamp(t), unit, amount) {
            prop_assert!((MIN_SUPPORTED..=MAX_SUPPORTED).contains(&r));
        }
    }

    #[test]
    fn cycles_continue_consistently(text in cycle_text(), reference in any::<i64>()) {
        if let Ok(c) = Cycle::parse(&text) {
            prop_assert_eq!(Cycle::parse(&c.to_text()), Ok(c.clone()));
            for reference in [Timestamp(reference), Timestamp(reference % 100_000_000_000_000)] {
                if let Ok(Some((due, rest))) = c.next_after(reference) {
                    prop_assert!(due > reference);
                    prop_assert_eq!(Cycle::parse(&rest.to_text()), Ok(rest.clone()));
                    if let Ok(Some((again, _))) = rest.after_firing(due) {
                        prop_assert!(again > due);
                    }
                }
            }
        }
    }

    #[test]
    fn cron_next_is_the_first_match_after(text in cron_text(), t in any::<i64>()) {
        if let Ok(c) = CronExpr::parse(&text) {
            prop_assert_eq!(CronExpr::parse(&c.to_string()), Ok(c.clone()));
            for t in [Timestamp(t), Timestamp(t % 100_000_000_000_000)] {
                if let Some(next) = c.next_after(t) {
                    prop_assert!(next > t);
                    prop_assert_eq!(next.0 % 1000, 0);
                    // Nothing matches in between: searching from just before finds it again.
                    prop_assert_eq!(c.next_after(Timestamp(next.0 - 1)), Some(next));
                }
            }
        }
    }
}

#[test]
fn the_cron_strategy_produces_valid_expressions() {
    // Guards the property above against testing only rejections.
    assert!(CronExpr::parse("0 0/5 14 L * ?").is_ok());
    assert!(Cycle::parse("R3/2026-01-01T00:00:00Z/PT1H").is_ok());
}
