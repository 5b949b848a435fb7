//! The store's tenants: made, listed, disabled; never deleted, as their keys, meetings and
//! audit rows name them.

use super::event_rows::{EventRow, insert_event};
use super::inserts::insert_audit;
use super::rows::AuditRow;
use super::rows::{InvitesSince, TENANT_COLUMNS, TenantRow, tenant_row};
use super::sql::{Statement, values};
use super::{Store, StoreError};
use crate::domain::{ChatId, TenantId, TenantLimits, TokenSource};

impl Store {
    /// `false` when the tenant exists already; the audit row is written with a new tenant.
    pub async fn insert_tenant(
        &self,
        id: &TenantId,
        at: i64,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        let inserted = self
            .db
            .change(
                Statement::new(
                    "INSERT INTO tenants (id, created_at) VALUES ($1, $2) \
                     ON CONFLICT (id) DO NOTHING",
                    values![id.as_str(), at],
                ),
                vec![insert_audit(audit)],
            )
            .await?;
        Ok(inserted == 1)
    }

    pub async fn tenant(&self, id: &TenantId) -> Result<Option<TenantRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1"),
            values![id.as_str()],
        );
        self.db.fetch_optional(statement, tenant_row).await
    }

    pub async fn tenants(&self) -> Result<Vec<TenantRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY created_at, id"),
            values![],
        );
        self.db.fetch(statement, tenant_row).await
    }

    /// Sets the tenant's limits, each `None` the service's; `false` when there is no such
    /// tenant.
    pub async fn set_tenant_limits(
        &self,
        id: &TenantId,
        limits: &TenantLimits,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        let count = |n: Option<u32>| n.map(i64::from);
        let changed = self
            .db
            .change(
                Statement::new(
                    "UPDATE tenants SET requests_per_minute = $1, invites_per_day = $2, \
                 phones_per_invite = $3, imported_nodes = $4 WHERE id = $5",
                    values![
                        count(limits.requests_per_minute.map(std::num::NonZeroU32::get)),
                        count(limits.invites_per_day),
                        count(limits.phones_per_invite),
                        count(limits.imported_nodes),
                        id.as_str()
                    ],
                ),
                vec![insert_audit(audit)],
            )
            .await?;
        Ok(changed == 1)
    }

    /// The tenant's SMS invites sent at or after `since`.
    pub async fn invites_since(
        &self,
        tenant: &TenantId,
        since: i64,
    ) -> Result<InvitesSince, StoreError> {
        let statement = Statement::new(
            "SELECT COUNT(*) AS count, MIN(sent_at) AS oldest FROM invites \
             WHERE tenant_id = $1 AND sent_at >= $2",
            values![tenant.as_str(), since],
        );
        let found = self
            .db
            .fetch_optional(statement, |row| {
                Ok(InvitesSince {
                    count: row.int("count")?,
                    oldest: row.opt_int("oldest")?,
                })
            })
            .await?;
        // An aggregate without GROUP BY is always one row.
        Ok(found.unwrap_or(InvitesSince {
            count: 0,
            oldest: None,
        }))
    }

    /// Records an SMS invite the broker took, and its audit row.
    pub async fn record_invite(
        &self,
        tenant: &TenantId,
        chat_id: &ChatId,
        phones: usize,
        at: i64,
        audit: &AuditRow,
        event: &EventRow,
    ) -> Result<(), StoreError> {
        self.db
            .change(
                Statement::new(
                    "INSERT INTO invites (id, tenant_id, chat_id, phones, sent_at) \
                 VALUES ($1, $2, $3, $4, $5)",
                    values![
                        uuid::Uuid::now_v7().to_string(),
                        tenant.as_str(),
                        chat_id.as_str(),
                        phones as i64,
                        at
                    ],
                ),
                vec![insert_audit(audit), insert_event(event)],
            )
            .await?;
        Ok(())
    }

    /// Sets where the tenant's own broker token is read (`None`: the service's token);
    /// `false` when there is no such tenant.
    pub async fn set_tenant_token(
        &self,
        id: &TenantId,
        source: Option<&TokenSource>,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        let changed = self
            .db
            .change(
                Statement::new(
                    "UPDATE tenants SET broker_token = $1 WHERE id = $2",
                    values![source.map(TokenSource::stored), id.as_str()],
                ),
                vec![insert_audit(audit)],
            )
            .await?;
        Ok(changed == 1)
    }

    /// Disables a tenant (its keys are refused from the next request) or enables it again;
    /// `false` when there is no such tenant. Disabling a disabled tenant keeps its first time.
    pub async fn set_tenant_disabled(
        &self,
        id: &TenantId,
        disabled_at: Option<i64>,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        let changed = self
            .db
            .change(Statement::new(
                "UPDATE tenants SET disabled_at = CASE WHEN CAST($1 AS BIGINT) IS NULL THEN NULL \
                 ELSE COALESCE(disabled_at, $1) END WHERE id = $2",
                values![disabled_at, id.as_str()],
            ), vec![insert_audit(audit)])
            .await?;
        Ok(changed == 1)
    }
}
