//! Retention: one task deletes what has outlived its use, a small batch per transaction, so
//! that no write waits long behind it.
//!
//! Expired idempotency records always go; with `--retain`, meetings (with their links) that
//! expired longer ago than that, SMS invites sent longer ago, and visits (with their jobs and
//! messages, which name people) that ended longer ago. The audit trail is not
//! touched: it keeps its own period (`icnode audit prune`, the owner's). A round reads what is
//! due from the database, so a restart loses nothing: the next round finds it. On PostgreSQL
//! each batch first takes a transaction-level advisory lock, so one process sweeps at a time:
//! a round that finds another process sweeping leaves the round to it.

use std::sync::Arc;
use std::time::Duration;

use instant_connect::Clock;

use crate::store::{Store, StoreError, Swept};

/// The shortest `--retain`: a tenant's daily invite limit counts the invites of its window.
pub const MIN_RETAIN: Duration =
    Duration::from_secs(crate::domain::INVITE_WINDOW_SECONDS.unsigned_abs());
/// Rows of a table deleted in one transaction at most.
pub const BATCH: i64 = 500;
/// How often a process runs a round, by default.
pub const EVERY: Duration = Duration::from_secs(60);

/// What the task needs.
#[derive(Debug, Clone)]
pub struct Retention {
    store: Store,
    /// Meetings and invites are kept this long after they expired or were sent; `None` keeps
    /// them.
    retain: Option<Duration>,
    /// Idempotency records are kept this long after they were made.
    idempotency_ttl: Duration,
}

/// What one round deleted, or that another process was sweeping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub swept: Swept,
    /// Transactions the round took.
    pub batches: u64,
    /// Another process held the sweep: this round deleted nothing and left it to that one.
    pub left_to_another: bool,
}

impl Retention {
    pub fn new(store: Store, retain: Option<Duration>, idempotency_ttl: Duration) -> Self {
        Self {
            store,
            retain,
            idempotency_ttl,
        }
    }

    /// Deletes, a batch at a time, what is due at `now` (Unix seconds).
    pub async fn round(&self, now: i64) -> Result<Round, StoreError> {
        let mut round = Round::default();
        let idempotency_before = now - seconds(self.idempotency_ttl);
        let retain_before = self.retain.map(|retain| now - seconds(retain));
        loop {
            let Some(swept) = self
                .store
                .sweep(idempotency_before, retain_before, BATCH)
                .await?
            else {
                round.left_to_another = true;
                return Ok(round);
            };
            round.batches += 1;
            round.swept.add(swept);
            if !swept.full(BATCH) {
                return Ok(round);
            }
        }
    }

    /// A round every `every` until `stopped` resolves, reading the time from `clock`. A failed
    /// round is logged and the next tried: retention is housekeeping, never a request's
    /// concern.
    pub async fn every(
        self,
        clock: Arc<dyn Clock>,
        every: Duration,
        stopped: impl std::future::Future<Output = ()>,
    ) {
        crate::rounds::every(every, stopped, || async {
            match self.round(clock.now()).await {
                Ok(round) if round.swept == Swept::default() => {}
                Ok(round) => tracing::info!(
                    meetings = round.swept.meetings,
                    links = round.swept.links,
                    invites = round.swept.invites,
                    visits = round.swept.visits,
                    deliveries = round.swept.deliveries,
                    idempotency_records = round.swept.idempotency,
                    batches = round.batches,
                    "retention deleted what had outlived its use"
                ),
                Err(error) => tracing::warn!(
                    error = %resilience::report(&error),
                    "the retention round failed; the next one tries again"
                ),
            }
        })
        .await;
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
