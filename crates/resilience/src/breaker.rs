//! A circuit breaker: after a run of failures, calls to a peer are refused at once for a
//! while instead of adding to its trouble; then one trial call decides whether to close again.

use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::Duration;

use crate::now::NowMs;

/// When the breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerSettings {
    /// Failures in a row that open the circuit.
    pub failures: NonZeroU32,
    /// How long it stays open before one trial call is let through.
    pub open_for: Duration,
}

impl Default for BreakerSettings {
    /// Five failures in a row; thirty seconds open.
    fn default() -> Self {
        Self {
            failures: NonZeroU32::new(5).expect("5 is not zero"),
            open_for: Duration::from_secs(30),
        }
    }
}

/// What the breaker says of a call about to be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Go,
    /// Do not call; `failures` in a row opened the circuit, which may let a trial through
    /// after `retry_in`.
    Refused {
        failures: u32,
        retry_in: Duration,
    },
}

/// The breaker's state, as `/readyz` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go through; `failures` in a row so far.
    Closed { failures: u32 },
    /// Calls are refused for `retry_in` more; `failures` in a row opened it.
    Open { failures: u32, retry_in: Duration },
    /// One trial call is out (or may go) to decide.
    HalfOpen,
}

#[derive(Debug)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        failures: u32,
        until_ms: i64,
    },
    /// `trial_since_ms`: when the trial was let through. A trial that never reports (its
    /// caller was cancelled) frees the slot after `open_for`.
    HalfOpen {
        failures: u32,
        trial_since_ms: i64,
    },
}

pub struct CircuitBreaker {
    settings: BreakerSettings,
    state: Mutex<State>,
    now_ms: NowMs,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("settings", &self.settings)
            .field("state", &self.state())
            .finish()
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn duration_ms(ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(ms).unwrap_or(0))
}

impl CircuitBreaker {
    pub fn new(settings: BreakerSettings, now_ms: NowMs) -> Self {
        Self {
            settings,
            state: Mutex::new(State::Closed { failures: 0 }),
            now_ms,
        }
    }

    /// Whether a call may be made now. An open circuit whose time is up lets exactly one
    /// trial through.
    pub fn admit(&self) -> Admission {
        let now = (self.now_ms)();
        let open_for = millis(self.settings.open_for);
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            State::Closed { .. } => Admission::Go,
            State::Open { failures, until_ms } if now < until_ms => Admission::Refused {
                failures,
                retry_in: duration_ms(until_ms - now),
            },
            State::HalfOpen {
                failures,
                trial_since_ms,
            } if now < trial_since_ms.saturating_add(open_for) => Admission::Refused {
                failures,
                retry_in: duration_ms(trial_since_ms.saturating_add(open_for) - now),
            },
            State::Open { failures, .. } | State::HalfOpen { failures, .. } => {
                *state = State::HalfOpen {
                    failures,
                    trial_since_ms: now,
                };
                Admission::Go
            }
        }
    }

    /// What an admitted call gave: a success closes the circuit, a failure counts toward
    /// opening it (and a failed trial opens it again at once).
    pub fn record(&self, success: bool) {
        let now = (self.now_ms)();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let failures = match (&*state, success) {
            (_, true) => 0,
            (State::Closed { failures }, false) => failures.saturating_add(1),
            (State::Open { failures, .. }, false) => failures.saturating_add(1),
            (State::HalfOpen { failures, .. }, false) => {
                failures.saturating_add(1).max(self.settings.failures.get())
            }
        };
        *state = if failures >= self.settings.failures.get() {
            State::Open {
                failures,
                until_ms: now.saturating_add(millis(self.settings.open_for)),
            }
        } else {
            State::Closed { failures }
        };
    }

    pub fn state(&self) -> BreakerState {
        let now = (self.now_ms)();
        match *self.state.lock().unwrap_or_else(|e| e.into_inner()) {
            State::Closed { failures } => BreakerState::Closed { failures },
            State::Open { failures, until_ms } if now < until_ms => BreakerState::Open {
                failures,
                retry_in: duration_ms(until_ms - now),
            },
            State::Open { .. } | State::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    fn breaker() -> (CircuitBreaker, Arc<AtomicI64>) {
        let now = Arc::new(AtomicI64::new(1_000_000));
        let clock = Arc::clone(&now);
        let breaker = CircuitBreaker::new(
            BreakerSettings {
                failures: NonZeroU32::new(3).unwrap(),
                open_for: Duration::from_secs(30),
            },
            Arc::new(move || clock.load(Ordering::SeqCst)),
        );
        (breaker, now)
    }

    #[test]
    fn opens_after_failures_in_a_row_and_a_success_resets_the_count() {
        let (breaker, _) = breaker();
        breaker.record(false);
        breaker.record(false);
        breaker.record(true);
        breaker.record(false);
        breaker.record(false);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 2 });
        assert_eq!(breaker.admit(), Admission::Go);
        breaker.record(false);
        assert_eq!(
            breaker.state(),
            BreakerState::Open {
                failures: 3,
                retry_in: Duration::from_secs(30)
            }
        );
        assert_eq!(
            breaker.admit(),
            Admission::Refused {
                failures: 3,
                retry_in: Duration::from_secs(30)
            }
        );
    }

    #[test]
    fn after_its_time_one_trial_goes_and_decides() {
        let (breaker, now) = breaker();
        for _ in 0..3 {
            breaker.record(false);
        }
        now.fetch_add(29_000, Ordering::SeqCst);
        assert_eq!(
            breaker.admit(),
            Admission::Refused {
                failures: 3,
                retry_in: Duration::from_secs(1)
            }
        );
        now.fetch_add(1_000, Ordering::SeqCst);
        assert_eq!(breaker.state(), BreakerState::HalfOpen);
        assert_eq!(breaker.admit(), Admission::Go);
        // Only one trial at a time.
        assert!(matches!(
            breaker.admit(),
            Admission::Refused { failures: 3, .. }
        ));
        breaker.record(false);
        assert!(matches!(
            breaker.state(),
            BreakerState::Open { failures: 4, .. }
        ));

        now.fetch_add(30_000, Ordering::SeqCst);
        assert_eq!(breaker.admit(), Admission::Go);
        breaker.record(true);
        assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
        assert_eq!(breaker.admit(), Admission::Go);
    }

    #[test]
    fn a_trial_that_never_reports_frees_its_slot_after_the_open_time() {
        let (breaker, now) = breaker();
        for _ in 0..3 {
            breaker.record(false);
        }
        now.fetch_add(30_000, Ordering::SeqCst);
        assert_eq!(breaker.admit(), Admission::Go);
        now.fetch_add(30_000, Ordering::SeqCst);
        assert_eq!(breaker.admit(), Admission::Go);
    }

    #[test]
    fn a_call_refused_while_the_trial_is_out_waits_for_the_trial_s_time_to_run_out() {
        let (breaker, now) = breaker();
        for _ in 0..3 {
            breaker.record(false);
        }
        now.fetch_add(30_000, Ordering::SeqCst);
        assert_eq!(breaker.admit(), Admission::Go);
        now.fetch_add(10_000, Ordering::SeqCst);
        assert_eq!(
            breaker.admit(),
            Admission::Refused {
                failures: 3,
                retry_in: Duration::from_secs(20)
            }
        );
        now.fetch_add(19_999, Ordering::SeqCst);
        assert_eq!(
            breaker.admit(),
            Admission::Refused {
                failures: 3,
                retry_in: Duration::from_millis(1)
            }
        );
    }

    #[test]
    fn a_failed_trial_opens_the_circuit_for_the_whole_open_time_again() {
        let (breaker, now) = breaker();
        for _ in 0..3 {
            breaker.record(false);
        }
        now.fetch_add(30_000, Ordering::SeqCst);
        assert_eq!(breaker.admit(), Admission::Go);
        now.fetch_add(5_000, Ordering::SeqCst);
        breaker.record(false);
        assert_eq!(
            breaker.state(),
            BreakerState::Open {
                failures: 4,
                retry_in: Duration::from_secs(30)
            }
        );
    }

    #[test]
    fn its_debug_shows_its_settings_and_state() {
        let (breaker, _) = breaker();
        breaker.record(false);
        let shown = format!("{breaker:?}");
        assert!(shown.starts_with("CircuitBreaker"), "{shown}");
        assert!(shown.contains("failures: 3"), "{shown}");
        assert!(shown.contains("open_for: 30s"), "{shown}");
        assert!(shown.contains("Closed { failures: 1 }"), "{shown}");
    }

    #[test]
    fn by_default_five_failures_open_it_for_thirty_seconds() {
        let settings = BreakerSettings::default();
        assert_eq!(settings.failures.get(), 5);
        assert_eq!(settings.open_for, Duration::from_secs(30));
    }
}
