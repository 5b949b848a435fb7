//! The clocks every rule reads: the system's, to the millisecond, and the manual one tests move.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use instant_connect::{Clock, ManualClock, SystemClock};

fn since_epoch() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

#[test]
fn the_system_clock_reads_the_system_time_to_the_millisecond() {
    let before = since_epoch();
    let (ms, s) = (SystemClock.now_ms(), SystemClock.now());
    let after = since_epoch();
    let ms_range = before.as_millis() as i64..=after.as_millis() as i64;
    assert!(ms_range.contains(&ms), "{ms} not in {ms_range:?}");
    let s_range = before.as_secs() as i64..=after.as_secs() as i64;
    assert!(s_range.contains(&s), "{s} not in {s_range:?}");
}

#[test]
fn a_manual_clock_reads_its_seconds_as_whole_milliseconds_and_moves_when_told() {
    let clock = ManualClock::at(1_800_000_000);
    assert_eq!(clock.now(), 1_800_000_000);
    assert_eq!(clock.now_ms(), 1_800_000_000_000);
    let shared = clock.clone();
    shared.advance(Duration::from_secs(90));
    assert_eq!(clock.now_ms(), 1_800_000_090_000);
    clock.set(5);
    assert_eq!(shared.now(), 5);
}

#[test]
fn unix_now_is_the_system_clock_in_seconds() {
    let before = since_epoch().as_secs() as i64;
    let now = instant_connect::unix_now();
    let after = since_epoch().as_secs() as i64;
    assert!(
        (before..=after).contains(&now),
        "{now} not in {before}..={after}"
    );
}
