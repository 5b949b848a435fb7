//! The store's retention: one batch of what has outlived its use, deleted in one transaction
//! that one process at a time may run (`db::Db::exclusive_transaction`).

use super::rows::Swept;
use super::sql::{Statement, values};
use super::{Store, StoreError};

/// The oldest meetings expired before `before`, `batch` at most: the same rows for the links
/// and the meetings, read within one transaction.
const EXPIRED_MEETINGS: &str =
    "SELECT tenant_id, chat_id FROM meetings WHERE expires_at < $1 ORDER BY expires_at LIMIT $2";
/// The visits that ended earliest before `before`, `batch` at most, read as the meetings are.
const PAST_VISITS: &str = "SELECT id FROM visits WHERE ends_at < $1 ORDER BY ends_at LIMIT $2";

/// Webhook deliveries done or dead before `before`, then the events no delivery is left of.
fn sent_events(before: i64, batch: i64) -> [Statement; 2] {
    [
        Statement::new(
            "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries \
             WHERE state IN ('done', 'dead') AND finished_at < $1 LIMIT $2)",
            values![before, batch],
        ),
        Statement::new(
            "DELETE FROM events WHERE id IN (SELECT id FROM events e \
             WHERE e.fanned_out = 1 AND e.at < $1 AND NOT EXISTS \
             (SELECT 1 FROM deliveries d WHERE d.event_id = e.id) LIMIT $2)",
            values![before, batch],
        ),
    ]
}

impl Store {
    /// Deletes one batch: at most `batch` idempotency records made before
    /// `idempotency_before`, and with `retain_before`, at most `batch` meetings (and their
    /// links, the opens of their links, and who joined them) that expired before it, `batch` invites sent before it, and `batch` visits (with
    /// their jobs and messages) that ended before it. `None` when another process is sweeping.
    pub async fn sweep(
        &self,
        idempotency_before: i64,
        retain_before: Option<i64>,
        batch: i64,
    ) -> Result<Option<Swept>, StoreError> {
        let mut statements = vec![Statement::new(
            "DELETE FROM idempotency WHERE (owner, idem_key) IN (SELECT owner, idem_key \
             FROM idempotency WHERE created_at < $1 LIMIT $2)",
            values![idempotency_before, batch],
        )];
        if let Some(before) = retain_before {
            statements.extend([
                // Opens of those meetings' links go first: the opens of a meeting whose
                // expiry moved meanwhile are its to keep, and it is no longer one of them.
                Statement::new(
                    format!(
                        "DELETE FROM link_opens WHERE (tenant_id, chat_id) IN ({EXPIRED_MEETINGS})"
                    ),
                    values![before, batch],
                ),
                Statement::new(
                    format!(
                        "DELETE FROM presence WHERE (tenant_id, chat_id) IN ({EXPIRED_MEETINGS})"
                    ),
                    values![before, batch],
                ),
                Statement::new(
                    format!("DELETE FROM rooms WHERE (tenant_id, chat_id) IN ({EXPIRED_MEETINGS})"),
                    values![before, batch],
                ),
                // Only links expired before `before` too: on PostgreSQL, links added to one of
                // these meetings by a transaction that commits between the two statements are
                // new, and that meeting, its expiry moved, is no longer one of them.
                Statement::new(
                    format!(
                        "DELETE FROM links WHERE expires_at < $1 \
                         AND (tenant_id, chat_id) IN ({EXPIRED_MEETINGS})"
                    ),
                    values![before, batch],
                ),
                Statement::new(
                    format!(
                        "DELETE FROM meetings WHERE (tenant_id, chat_id) IN ({EXPIRED_MEETINGS})"
                    ),
                    values![before, batch],
                ),
                Statement::new(
                    "DELETE FROM invites WHERE id IN \
                     (SELECT id FROM invites WHERE sent_at < $1 LIMIT $2)",
                    values![before, batch],
                ),
                Statement::new(
                    format!("DELETE FROM messages WHERE visit_id IN ({PAST_VISITS})"),
                    values![before, batch],
                ),
                Statement::new(
                    format!("DELETE FROM jobs WHERE visit_id IN ({PAST_VISITS})"),
                    values![before, batch],
                ),
                Statement::new(
                    format!("DELETE FROM visits WHERE id IN ({PAST_VISITS})"),
                    values![before, batch],
                ),
            ]);
            statements.extend(sent_events(before, batch));
        }
        let Some(deleted) = self.db.exclusive_transaction(statements).await? else {
            return Ok(None);
        };
        let at = |i: usize| deleted.get(i).copied().unwrap_or(0);
        Ok(Some(Swept {
            idempotency: at(0),
            links: at(4),
            meetings: at(5),
            invites: at(6),
            visits: at(9),
            deliveries: at(10),
        }))
    }
}
