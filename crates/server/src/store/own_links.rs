//! The store's own links: a link found by its code, an open recorded (the first open of a
//! single-use link decided by the database, whatever process asks), and links revoked.

use super::event_rows::{EventRow, insert_event};
use super::inserts::{MeetingKey, insert_audit};
use super::rows::{AuditRow, CodedLink, LINK_READ_COLUMNS, OpenRow, coded_link_row};
use super::sql::{Statement, values};
use super::{Store, StoreError};
use crate::domain::{LinkCode, RevokeScope};

fn insert_open(found: &CodedLink, open: &OpenRow) -> Statement {
    Statement::new(
        "INSERT INTO link_opens (id, tenant_id, chat_id, link_id, role, at, outcome, client) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        values![
            &open.id,
            found.tenant.as_str(),
            found.chat_id.as_str(),
            &found.link.id,
            found.link.role.as_str(),
            open.at,
            open.outcome,
            &open.client,
        ],
    )
}

/// The links of a meeting in `scope` not yet revoked, revoked at `at`. Links from before own
/// links have no code and cannot be.
pub(super) fn revoke_links(meeting: MeetingKey<'_>, scope: &RevokeScope, at: i64) -> Statement {
    let (tenant, chat_id) = meeting;
    let mut params = values![at, tenant.as_str(), chat_id.as_str()];
    let only = match scope {
        RevokeScope::All => "",
        RevokeScope::Role(role) => {
            params.extend(values![role.as_str()]);
            " AND role = $4"
        }
        RevokeScope::Link(code) => {
            params.extend(values![code.as_str()]);
            " AND code = $4"
        }
    };
    Statement::new(
        format!(
            "UPDATE links SET revoked_at = $1 WHERE tenant_id = $2 AND chat_id = $3 \
             AND revoked_at IS NULL AND code IS NOT NULL{only}"
        ),
        params,
    )
}

impl Store {
    /// The link whose own code is `code`, with whose it is.
    pub async fn link_by_code(&self, code: &LinkCode) -> Result<Option<CodedLink>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {LINK_READ_COLUMNS} FROM links WHERE code = $1"),
            values![code.as_str()],
        );
        self.db.fetch_optional(statement, coded_link_row).await
    }

    /// Lets an open through, recorded as `open` (whose outcome is `opened`), unless the link
    /// was revoked meanwhile or, single use, was opened already: then `false`, and the open is
    /// recorded as `revoked` or `used`. The database decides, in one statement, which of two
    /// opens at once was first.
    pub async fn let_open_through(
        &self,
        found: &CodedLink,
        open: &OpenRow,
        event: &EventRow,
    ) -> Result<bool, StoreError> {
        let first_only = if found.link.single_use {
            " AND opened_at IS NULL"
        } else {
            ""
        };
        let claim = Statement::new(
            format!(
                "UPDATE links SET opened_at = COALESCE(opened_at, $1) \
                 WHERE id = $2 AND revoked_at IS NULL{first_only}"
            ),
            values![open.at, &found.link.id],
        );
        if self
            .db
            .change(claim, vec![insert_open(found, open), insert_event(event)])
            .await?
            == 1
        {
            return Ok(true);
        }
        let outcome = if found.link.single_use {
            "used"
        } else {
            "revoked"
        };
        self.record_open(
            found,
            &OpenRow {
                outcome,
                ..open.clone()
            },
        )
        .await?;
        Ok(false)
    }

    /// Records an open that went no further.
    pub async fn record_open(&self, found: &CodedLink, open: &OpenRow) -> Result<(), StoreError> {
        self.db.execute(insert_open(found, open)).await.map(drop)
    }

    /// Revokes a meeting's links in `scope` at `at`, with the audit row and the event when any
    /// was; how many were.
    pub async fn revoke_links(
        &self,
        meeting: MeetingKey<'_>,
        scope: &RevokeScope,
        at: i64,
        audit: &AuditRow,
        event: &EventRow,
    ) -> Result<u64, StoreError> {
        let then = vec![insert_audit(audit), insert_event(event)];
        self.db.change(revoke_links(meeting, scope, at), then).await
    }

    /// How many opens of a meeting's links went through to the broker, by link id.
    pub async fn opens_of(
        &self,
        meeting: MeetingKey<'_>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let (tenant, chat_id) = meeting;
        let statement = Statement::new(
            "SELECT link_id, COUNT(*) AS opens FROM link_opens \
             WHERE tenant_id = $1 AND chat_id = $2 AND outcome = 'opened' GROUP BY link_id",
            values![tenant.as_str(), chat_id.as_str()],
        );
        self.db
            .fetch(statement, |row| {
                Ok((row.text("link_id")?, row.int("opens")?))
            })
            .await
    }
}
