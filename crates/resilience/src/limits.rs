//! Requests per key: a GCRA limit (the `governor` crate) read from the caller's clock, so tests
//! move time instead of sleeping. Counted in one process.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::Clock as _;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::now::NowMs;

/// The caller's clock as governor reads time.
#[derive(Clone)]
struct CallerClock(NowMs);

impl governor::clock::Clock for CallerClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        Nanos::from(Duration::from_millis(
            u64::try_from((self.0)()).unwrap_or(0),
        ))
    }
}

type Limiter =
    RateLimiter<Vec<u8>, DefaultKeyedStateStore<Vec<u8>>, CallerClock, NoOpMiddleware<Nanos>>;

pub struct KeyLimits {
    limiter: Limiter,
    clock: CallerClock,
    /// Checks since the keys at rest were last forgotten.
    checks: std::sync::atomic::AtomicU32,
}

/// Every so many checks, the keys whose quota is whole again are forgotten: keys anyone can
/// make up (an address) must not grow the store for ever.
const FORGET_EVERY: u32 = 1024;

impl std::fmt::Debug for KeyLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLimits")
    }
}

impl KeyLimits {
    /// `requests` a minute for each key, all of them usable at once after a quiet minute.
    pub fn per_minute(requests: NonZeroU32, now_ms: NowMs) -> Self {
        let clock = CallerClock(now_ms);
        Self {
            limiter: RateLimiter::new(
                Quota::per_minute(requests),
                DefaultKeyedStateStore::default(),
                clock.clone(),
            ),
            clock,
            checks: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// How many keys are held now.
    pub fn keys(&self) -> usize {
        self.limiter.len()
    }

    /// `Err(wait)` when `key` has used its quota: how long until its next request passes.
    /// Keys are bytes, so a caller can key by a digest rather than hold a secret.
    pub fn check(&self, key: &[u8]) -> Result<(), Duration> {
        let checks = self
            .checks
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if checks % FORGET_EVERY == FORGET_EVERY - 1 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_vec())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;

    #[test]
    fn keys_whose_quota_is_whole_again_are_forgotten_as_new_ones_come() {
        let now = Arc::new(AtomicI64::new(1_700_000_000_000));
        let clock = Arc::clone(&now);
        let limits = KeyLimits::per_minute(
            NonZeroU32::new(60).unwrap(),
            Arc::new(move || clock.load(Ordering::SeqCst)),
        );
        for n in 0..FORGET_EVERY - 1 {
            limits.check(&n.to_be_bytes()).unwrap();
        }
        assert_eq!(limits.keys(), (FORGET_EVERY - 1) as usize);
        // A minute on, every one of them may ask 60 again: none needs remembering.
        now.fetch_add(60_000, Ordering::SeqCst);
        limits.check(b"one more").unwrap();
        assert_eq!(limits.keys(), 1, "the keys at rest were forgotten");
    }

    #[test]
    fn a_key_gets_its_quota_then_waits_while_another_key_does_not() {
        let now = Arc::new(AtomicI64::new(1_700_000_000_000));
        let clock = Arc::clone(&now);
        let limits = KeyLimits::per_minute(
            NonZeroU32::new(3).unwrap(),
            Arc::new(move || clock.load(Ordering::SeqCst)),
        );
        for _ in 0..3 {
            assert_eq!(limits.check(b"a"), Ok(()));
        }
        let wait = limits.check(b"a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert_eq!(limits.check(b"b"), Ok(()));
        now.fetch_add(20_000, Ordering::SeqCst);
        assert_eq!(limits.check(b"a"), Ok(()));
        assert!(limits.check(b"a").is_err());
    }

    #[test]
    fn its_debug_names_it_and_no_key() {
        let limits = KeyLimits::per_minute(NonZeroU32::new(3).unwrap(), Arc::new(|| 0));
        assert_eq!(limits.check(b"secret-key"), Ok(()));
        assert_eq!(format!("{limits:?}"), "KeyLimits");
    }
}
