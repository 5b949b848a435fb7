//! Per-method throttling, as Webex Connect offers it: a rate limit (→ 429), a concurrency limit
//! (→ 430) and a volume limit per period (→ 431). Webex Connect's docs give the volume limit
//! 430 in one list and 431 in their table of response codes; icnode takes 431, so that each
//! limit has a status of its own. A throttled run sends nothing.
//!
//! The counts are the engine's, so one process's: a service scaled out over several processes
//! has each process's limits, as each Webex Connect node instance has its own.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::model::{Limit, Throttling};

pub const RATE_STATUS: u16 = 429;
pub const CONCURRENCY_STATUS: u16 = 430;
pub const VOLUME_STATUS: u16 = 431;

/// Why a run was not sent: the status it leaves with, and the reason in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub status: u16,
    pub reason: String,
}

/// Held while a run is in flight; dropping it frees its place under the concurrency limit.
#[derive(Debug)]
pub struct Permit(Option<Arc<AtomicU32>>);

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(in_flight) = &self.0 {
            in_flight.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    /// When each run within the rate window was admitted.
    recent: VecDeque<Instant>,
    /// The volume period's start and how many runs it admitted.
    period: Option<(Instant, u32)>,
}

#[derive(Debug, Default)]
struct State {
    counts: Mutex<Counts>,
    in_flight: Arc<AtomicU32>,
}

/// Throttling state of every method an engine runs, by node and method name.
#[derive(Debug, Default)]
pub struct Throttles {
    states: Mutex<HashMap<(String, String), Arc<State>>>,
}

fn window(limit: &Limit) -> Duration {
    Duration::from_secs(u64::from(limit.per_seconds))
}

impl Throttles {
    /// Admits one run of `method` of `node`, or says which limit it meets. A run refused by
    /// one limit counts against none.
    pub fn admit(
        &self,
        node: &str,
        method: &str,
        throttling: &Throttling,
        now: Instant,
    ) -> Result<Permit, Throttled> {
        let state = {
            let mut states = self.states.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(
                states
                    .entry((node.to_owned(), method.to_owned()))
                    .or_default(),
            )
        };
        let mut counts = state.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(rate) = &throttling.rate {
            while counts
                .recent
                .front()
                .is_some_and(|at| now.duration_since(*at) >= window(rate))
            {
                counts.recent.pop_front();
            }
            if counts.recent.len() >= rate.requests as usize {
                return Err(Throttled {
                    status: RATE_STATUS,
                    reason: format!(
                        "throttled: the rate limit of {} per {} s is reached",
                        rate.requests, rate.per_seconds
                    ),
                });
            }
        }
        let permit = match throttling.concurrency {
            Some(most) => {
                let admitted = state
                    .in_flight
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                        (n < most).then_some(n + 1)
                    })
                    .is_ok();
                if !admitted {
                    return Err(Throttled {
                        status: CONCURRENCY_STATUS,
                        reason: format!(
                            "throttled: the concurrency limit of {most} runs in flight is reached"
                        ),
                    });
                }
                Permit(Some(Arc::clone(&state.in_flight)))
            }
            None => Permit(None),
        };
        if let Some(volume) = &throttling.volume {
            let (start, used) = match counts.period {
                Some((start, used)) if now.duration_since(start) < window(volume) => (start, used),
                _ => (now, 0),
            };
            if used >= volume.requests {
                // `permit` drops here and frees its place.
                return Err(Throttled {
                    status: VOLUME_STATUS,
                    reason: format!(
                        "throttled: the volume limit of {} per {} s is reached",
                        volume.requests, volume.per_seconds
                    ),
                });
            }
            counts.period = Some((start, used + 1));
        }
        if throttling.rate.is_some() {
            counts.recent.push_back(now);
        }
        Ok(permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(requests: u32, per_seconds: u32) -> Option<Limit> {
        Some(Limit {
            requests,
            per_seconds,
        })
    }

    #[test]
    fn the_rate_window_slides_and_the_volume_period_restarts() {
        let throttles = Throttles::default();
        let start = Instant::now();
        let rate = Throttling {
            rate: limit(2, 10),
            ..Throttling::default()
        };
        assert!(throttles.admit("n", "m", &rate, start).is_ok());
        assert!(throttles.admit("n", "m", &rate, start).is_ok());
        let refused = throttles.admit("n", "m", &rate, start).unwrap_err();
        assert_eq!(refused.status, 429);
        assert!(
            throttles
                .admit("n", "m", &rate, start + Duration::from_secs(10))
                .is_ok()
        );
        assert!(
            throttles.admit("n", "other", &rate, start).is_ok(),
            "per method"
        );

        let volume = Throttling {
            volume: limit(1, 60),
            ..Throttling::default()
        };
        assert!(throttles.admit("n", "v", &volume, start).is_ok());
        assert_eq!(
            throttles
                .admit("n", "v", &volume, start)
                .unwrap_err()
                .status,
            431
        );
        assert!(
            throttles
                .admit("n", "v", &volume, start + Duration::from_secs(60))
                .is_ok()
        );
    }

    #[test]
    fn a_permit_holds_a_place_until_dropped() {
        let throttles = Throttles::default();
        let now = Instant::now();
        let one = Throttling {
            concurrency: Some(1),
            ..Throttling::default()
        };
        let permit = throttles.admit("n", "m", &one, now).unwrap();
        assert_eq!(
            throttles.admit("n", "m", &one, now).unwrap_err().status,
            430
        );
        drop(permit);
        assert!(throttles.admit("n", "m", &one, now).is_ok());
    }
}
