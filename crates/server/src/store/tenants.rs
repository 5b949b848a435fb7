//! The store's tenants: made, listed, disabled; never deleted, as their keys, meetings and
//! audit rows name them.

use super::rows::{TENANT_COLUMNS, TenantRow, tenant_row};
use super::sql::{Statement, values};
use super::{Store, StoreError};
use crate::domain::TenantId;

impl Store {
    /// `false` when the tenant exists already.
    pub async fn insert_tenant(&self, id: &TenantId, at: i64) -> Result<bool, StoreError> {
        let inserted = self
            .db
            .execute(Statement::new(
                "INSERT INTO tenants (id, created_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING",
                values![id.as_str(), at],
            ))
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

    /// Disables a tenant (its keys are refused from the next request) or enables it again;
    /// `false` when there is no such tenant. Disabling a disabled tenant keeps its first time.
    pub async fn set_tenant_disabled(
        &self,
        id: &TenantId,
        disabled_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let changed = self
            .db
            .execute(Statement::new(
                "UPDATE tenants SET disabled_at = CASE WHEN CAST($1 AS BIGINT) IS NULL THEN NULL \
                 ELSE COALESCE(disabled_at, $1) END WHERE id = $2",
                values![disabled_at, id.as_str()],
            ))
            .await?;
        Ok(changed == 1)
    }
}
