//! The time the rules read: the caller's clock, so tests move it instead of sleeping.

/// Milliseconds since the Unix epoch, read from whatever clock the caller keeps.
pub type NowMs = std::sync::Arc<dyn Fn() -> i64 + Send + Sync>;
