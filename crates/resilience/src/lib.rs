//! How icnode holds up when a peer is slow, failing or busy, written once for every part that
//! calls one or is called: when a call may be tried again and how long to wait ([`mod@retry`]),
//! when to stop calling a peer that keeps failing ([`breaker`]), how many requests a caller may
//! make ([`limits`]), and what a failure says ([`causes`]).
//!
//! What it is not: a client. It knows no HTTP library, no Instant Connect and no node; callers
//! say what an attempt gave ([`retry::Verdict`]) and what time it is (a `now_ms` function), so
//! tests move time instead of sleeping.

pub mod breaker;
pub mod causes;
pub mod limits;
mod now;
pub mod retry;

pub use breaker::{Admission, BreakerSettings, BreakerState, CircuitBreaker};
pub use causes::report;
pub use limits::KeyLimits;
pub use now::NowMs;
pub use retry::{
    Jitter, RetryPolicy, Tried, Verdict, is_retryable_status, parse_retry_after, retry,
    retry_after_seconds,
};
