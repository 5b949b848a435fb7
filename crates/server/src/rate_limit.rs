//! Requests per API key: a GCRA limit (the `governor` crate) read from the service's clock, so
//! tests move time instead of sleeping. Counted per process: several `serve` processes behind
//! one balancer each allow the quota.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use instant_connect::Clock;

/// The service's clock as governor reads time: milliseconds since the Unix epoch.
#[derive(Debug, Clone)]
struct ServiceClock(Arc<dyn Clock>);

impl governor::clock::Clock for ServiceClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(Duration::from_millis(
            u64::try_from(self.0.now_ms()).unwrap_or(0),
        ))
    }
}

pub struct KeyLimits {
    limiter:
        RateLimiter<String, DefaultKeyedStateStore<String>, ServiceClock, NoOpMiddleware<Nanos>>,
    clock: ServiceClock,
}

impl KeyLimits {
    /// `requests` a minute for each key, all of them usable at once after a quiet minute.
    pub fn per_minute(requests: NonZeroU32, clock: Arc<dyn Clock>) -> Self {
        let clock = ServiceClock(clock);
        Self {
            limiter: RateLimiter::new(
                Quota::per_minute(requests),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            clock,
        }
    }

    /// `Err(wait)` when `key_id` has used its quota: how long until its next request passes.
    pub fn check(&self, key_id: &str) -> Result<(), Duration> {
        self.limiter
            .check_key(&key_id.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use instant_connect::ManualClock;

    use super::*;

    #[test]
    fn a_key_gets_its_quota_then_waits_while_another_key_does_not() {
        let clock = ManualClock::starting_now();
        let limits = KeyLimits::per_minute(NonZeroU32::new(3).unwrap(), Arc::new(clock.clone()));
        for _ in 0..3 {
            assert_eq!(limits.check("a"), Ok(()));
        }
        let wait = limits.check("a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(limits.check("b"), Ok(()));
        clock.advance(Duration::from_secs(20));
        assert_eq!(limits.check("a"), Ok(()));
        assert!(limits.check("a").is_err());
    }
}
