//! When a failed call may be sent again, and how long to wait first: capped exponential
//! backoff with full jitter, or the peer's `Retry-After`, never past the caller's deadline.
//!
//! Only what the peer cannot have acted on is retried: a connection that was never made, and
//! the statuses that say "not now" (429, 502, 503, 504). A dropped connection or a timeout
//! mid-exchange is not retried: the peer may have done the work.

use std::future::Future;
use std::num::NonZeroU32;
use std::time::{Duration, SystemTime};

use rand::Rng;
use tokio::time::Instant;

/// How many times a call is tried and how long to wait between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included: 1 never retries.
    pub attempts: NonZeroU32,
    /// The first wait's ceiling; each later one doubles it, up to `max_delay`.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Where in `[0, ceiling]` each wait falls.
    pub jitter: Jitter,
}

/// Where in `[0, ceiling]` a wait falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Uniformly at random ("full jitter"), so clients that failed together do not come
    /// back together.
    Full,
    /// At this many thousandths of the ceiling (1000: the ceiling itself), so a test's
    /// waits are known and it never passes by luck.
    Fixed { per_mille: u16 },
}

impl RetryPolicy {
    /// One try: Webex Connect's semantics for a node run.
    pub const OFF: Self = Self {
        attempts: NonZeroU32::MIN,
        base_delay: Duration::ZERO,
        max_delay: Duration::ZERO,
        jitter: Jitter::Full,
    };

    /// The service's calls to the broker: 3 tries, waits of up to 100 ms then 200 ms.
    pub const SERVICE: Self = Self {
        attempts: NonZeroU32::new(3).expect("3 is not zero"),
        base_delay: Duration::from_millis(100),
        max_delay: Duration::from_secs(2),
        jitter: Jitter::Full,
    };

    /// `retries` tries after the first, with the service's waits.
    pub fn with_retries(retries: u32) -> Self {
        Self {
            attempts: NonZeroU32::MIN.saturating_add(retries),
            ..Self::SERVICE
        }
    }

    /// The longest wait before retry number `retry` (0 for the first):
    /// `min(max_delay, base_delay × 2^retry)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        self.base_delay
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max_delay)
    }

    /// The wait before retry number `retry`: in `[0, ceiling(retry)]` as `jitter` places it.
    pub fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self.ceiling(retry);
        match self.jitter {
            Jitter::Full => rand::thread_rng().gen_range(Duration::ZERO..=ceiling),
            Jitter::Fixed { per_mille } => ceiling.mul_f64(f64::from(per_mille.min(1000)) / 1000.0),
        }
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self::OFF
    }
}

/// What one attempt's outcome means for the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A result to return: success, or a failure that trying again would not fix or that
    /// is not safe to repeat.
    Done,
    /// Safe to send again, after the peer's `Retry-After` if it gave one.
    Retry { after: Option<Duration> },
}

/// Statuses that say the request was not acted on and may be sent again later.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// A `Retry-After` value (RFC 9110 §10.2.3): delta-seconds or an HTTP-date, as a wait from
/// `now`; a date in the past is no wait. Anything else is `None`.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A wait as `Retry-After` says it: whole seconds, rounded up, at least 1 (a client told 0
/// would come straight back).
pub fn retry_after_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// The last outcome and how many attempts it took.
#[derive(Debug, Clone, PartialEq)]
pub struct Tried<T> {
    pub outcome: T,
    pub attempts: u32,
}

/// Runs `attempt` until `verdict` says done, the policy's attempts are spent, or the next wait
/// would end past `budget` from now. Each attempt is given the time left, to bound its own
/// exchange; the whole call never outlives the budget by more than the last attempt's overrun.
pub async fn retry<T, F, Fut>(
    policy: &RetryPolicy,
    budget: Duration,
    mut attempt: F,
    verdict: impl Fn(&T) -> Verdict,
) -> Tried<T>
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = T>,
{
    let deadline = Instant::now() + budget;
    let mut attempts = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let outcome = attempt(left).await;
        attempts += 1;
        let Verdict::Retry { after } = verdict(&outcome) else {
            return Tried { outcome, attempts };
        };
        if attempts >= policy.attempts.get() {
            return Tried { outcome, attempts };
        }
        let wait = after.unwrap_or_else(|| policy.backoff(attempts - 1));
        // A wait that ends at or past the deadline leaves no time for the next exchange.
        if Instant::now() + wait >= deadline {
            return Tried { outcome, attempts };
        }
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn policy(attempts: u32) -> RetryPolicy {
        RetryPolicy {
            attempts: NonZeroU32::new(attempts).unwrap(),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(400),
            // The ceiling itself, so each test knows its waits.
            jitter: Jitter::Fixed { per_mille: 1000 },
        }
    }

    /// Fails with `Err(status)` for each status given, then succeeds.
    async fn run(
        policy: RetryPolicy,
        budget: Duration,
        statuses: &[u16],
    ) -> (Tried<Result<(), u16>>, Duration) {
        let calls = AtomicU32::new(0);
        let started = Instant::now();
        let tried = retry(
            &policy,
            budget,
            |_left| {
                let n = calls.fetch_add(1, Ordering::SeqCst) as usize;
                let outcome = statuses.get(n).map_or(Ok(()), |s| Err(*s));
                async move { outcome }
            },
            |outcome| match outcome {
                Err(status) if is_retryable_status(*status) => Verdict::Retry { after: None },
                _ => Verdict::Done,
            },
        )
        .await;
        (tried, started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn retries_what_is_safe_until_it_succeeds() {
        let (tried, waited) = run(policy(3), Duration::from_secs(10), &[503, 502]).await;
        assert_eq!(
            tried,
            Tried {
                outcome: Ok(()),
                attempts: 3
            }
        );
        // Waits of 100 then 200 ms: the first retry's ceiling, then double it.
        assert_eq!(waited, Duration::from_millis(300));
    }

    #[tokio::test(start_paused = true)]
    async fn each_wait_doubles_until_the_cap() {
        let (tried, waited) = run(policy(5), Duration::from_secs(10), &[503; 4]).await;
        assert_eq!(tried.attempts, 5);
        // 100 + 200 + 400 + 400 (capped at max_delay).
        assert_eq!(waited, Duration::from_millis(1100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_fixed_jitter_waits_its_share_of_the_ceiling() {
        let half = RetryPolicy {
            jitter: Jitter::Fixed { per_mille: 500 },
            ..policy(3)
        };
        let (_, waited) = run(half, Duration::from_secs(10), &[503, 503]).await;
        assert_eq!(waited, Duration::from_millis(150));
        // More than a thousand thousandths is the ceiling still.
        let over = RetryPolicy {
            jitter: Jitter::Fixed { per_mille: 4000 },
            ..policy(3)
        };
        assert_eq!(over.backoff(1), Duration::from_millis(200));
    }

    #[test]
    fn with_retries_tries_that_many_more_times_with_the_service_waits() {
        for retries in [0, 1, 4] {
            let policy = RetryPolicy::with_retries(retries);
            assert_eq!(policy.attempts.get(), retries + 1);
            assert_eq!(policy.base_delay, RetryPolicy::SERVICE.base_delay);
            assert_eq!(policy.max_delay, RetryPolicy::SERVICE.max_delay);
            assert_eq!(policy.jitter, Jitter::Full);
        }
        assert_eq!(RetryPolicy::with_retries(u32::MAX).attempts.get(), u32::MAX);
        assert_eq!(RetryPolicy::default(), RetryPolicy::OFF);
        assert_eq!(RetryPolicy::OFF.attempts.get(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn stops_after_its_attempts_and_returns_the_last_failure() {
        let (tried, _) = run(policy(2), Duration::from_secs(10), &[503, 504, 503]).await;
        assert_eq!(
            tried,
            Tried {
                outcome: Err(504),
                attempts: 2
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn never_retries_what_is_not_safe() {
        for status in [400, 401, 404, 409, 500] {
            let (tried, _) = run(policy(5), Duration::from_secs(10), &[status]).await;
            assert_eq!(
                tried,
                Tried {
                    outcome: Err(status),
                    attempts: 1
                },
                "{status}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn off_tries_once() {
        let (tried, _) = run(RetryPolicy::OFF, Duration::from_secs(10), &[503]).await;
        assert_eq!(tried.attempts, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_is_waited_for_and_one_past_the_deadline_is_not() {
        let after = |seconds| {
            move |outcome: &Result<(), u16>| match outcome {
                Err(_) => Verdict::Retry {
                    after: Some(Duration::from_secs(seconds)),
                },
                Ok(()) => Verdict::Done,
            }
        };
        let failing_once = || {
            let calls = AtomicU32::new(0);
            move |_left: Duration| {
                let first = calls.fetch_add(1, Ordering::SeqCst) == 0;
                async move { if first { Err(429) } else { Ok(()) } }
            }
        };
        let started = Instant::now();
        let tried = retry(
            &policy(3),
            Duration::from_secs(10),
            failing_once(),
            after(2),
        )
        .await;
        assert_eq!(
            tried,
            Tried {
                outcome: Ok(()),
                attempts: 2
            }
        );
        assert_eq!(started.elapsed(), Duration::from_secs(2));

        let started = Instant::now();
        let tried = retry(
            &policy(3),
            Duration::from_secs(10),
            failing_once(),
            after(30),
        )
        .await;
        assert_eq!(
            tried,
            Tried {
                outcome: Err(429),
                attempts: 1
            }
        );
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn each_attempt_is_given_the_time_left() {
        let lefts = std::sync::Mutex::new(Vec::new());
        let tried = retry(
            &RetryPolicy {
                base_delay: Duration::from_secs(1),
                max_delay: Duration::from_secs(1),
                ..policy(3)
            },
            Duration::from_secs(10),
            |left| {
                lefts.lock().unwrap().push(left);
                async {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    Err::<(), u16>(503)
                }
            },
            |_| Verdict::Retry { after: None },
        )
        .await;
        let lefts = lefts.into_inner().unwrap();
        assert_eq!(tried.attempts, 3, "{lefts:?}");
        assert_eq!(lefts[0], Duration::from_secs(10));
        assert!(
            lefts
                .windows(2)
                .all(|w| w[1] <= w[0] - Duration::from_secs(3)),
            "{lefts:?}"
        );
    }

    #[test]
    fn full_jitter_draws_within_the_doubling_ceiling() {
        let policy = RetryPolicy {
            jitter: Jitter::Full,
            ..policy(10)
        };
        for retry in 0..10 {
            let ceiling =
                Duration::from_millis(100 * 2u64.pow(retry)).min(Duration::from_millis(400));
            assert_eq!(policy.ceiling(retry), ceiling);
            // Every draw is within bounds, whatever it is.
            for _ in 0..50 {
                assert!(policy.backoff(retry) <= ceiling);
            }
        }
        // Jitter: 50 draws of the cap-limited wait are not all alike.
        let draws: std::collections::HashSet<_> = (0..50).map(|_| policy.backoff(5)).collect();
        assert!(draws.len() > 1);
        assert_eq!(RetryPolicy::OFF.backoff(3), Duration::ZERO);
    }

    #[test]
    fn a_wait_is_said_in_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_seconds(Duration::from_millis(2001)), 3);
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        for bad in ["", "-1", "soon", "1.5"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad}");
        }
    }
}
