//! Time as Instant Connect counts it: Unix seconds. A [`Clock`] is passed to whatever decides
//! by the time (validation, the broker's handlers and pages), so tests move time instead of
//! sleeping.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The latest second RFC 3339 can write: 9999-12-31T23:59:59Z.
const LAST_RFC3339_SECOND: i64 = 253_402_300_799;

/// Where "now" comes from, in Unix seconds.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Unix seconds.
    fn now(&self) -> i64;

    /// Unix milliseconds, for ordering things made within one second.
    fn now_ms(&self) -> i64 {
        self.now().saturating_mul(1000)
    }
}

/// `clock` as the millisecond reading that retries, breakers and rate limits take.
pub fn now_ms_of(clock: &Arc<dyn Clock>) -> resilience::NowMs {
    let clock = Arc::clone(clock);
    Arc::new(move || clock.now_ms())
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    fn now_ms(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told: for tests and rehearsals. Clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn at(unix_seconds: i64) -> Self {
        Self(Arc::new(AtomicI64::new(unix_seconds)))
    }

    /// Starts at the system's now.
    pub fn starting_now() -> Self {
        Self::at(unix_now())
    }

    pub fn set(&self, unix_seconds: i64) {
        self.0.store(unix_seconds, Ordering::SeqCst);
    }

    pub fn advance(&self, by: Duration) {
        let seconds = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |now| {
                Some(now.saturating_add(seconds))
            });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Now, by the system's clock, in Unix seconds: the unit of `nbf`, `exp` and `iat`.
pub fn unix_now() -> i64 {
    SystemClock.now()
}

/// A Unix time as RFC 3339 in UTC, to the second (`2026-11-29T18:00:00Z`); times outside what
/// RFC 3339 can write are clamped to its first or last second.
pub fn rfc3339(unix_seconds: i64) -> String {
    let seconds = unix_seconds.clamp(0, LAST_RFC3339_SECOND) as u64;
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(seconds)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_to_the_second_and_clamps_what_it_cannot_write() {
        assert_eq!(rfc3339(1_800_000_000), "2027-01-15T08:00:00Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_clones_share_it() {
        let clock = ManualClock::at(100);
        let shared = clock.clone();
        clock.advance(Duration::from_secs(60));
        assert_eq!(shared.now(), 160);
        shared.set(5);
        assert_eq!(clock.now(), 5);
    }
}
