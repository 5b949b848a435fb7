//! Tenants: made, listed, disabled and enabled again. A tenant is never deleted: its keys,
//! meetings and audit rows name it. Disabling one refuses its keys from the next request, in
//! every process (keys are checked against the database each time).

use crate::domain::{TenantId, TenantIdError};
use crate::store::{Store, StoreError, TenantRow};

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(transparent)]
    BadId(#[from] TenantIdError),
    #[error("a tenant named `{0}` exists already")]
    Exists(TenantId),
    #[error("no tenant is named `{0}`")]
    Unknown(String),
    #[error(
        "the tenant `default` cannot be disabled: `up` and every key from before tenants use it"
    )]
    DefaultStays,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A tenant as `tenants list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantInfo {
    pub id: String,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
}

impl From<TenantRow> for TenantInfo {
    fn from(row: TenantRow) -> Self {
        Self {
            id: row.id.as_str().to_owned(),
            created_at: row.created_at,
            disabled_at: row.disabled_at,
        }
    }
}

pub async fn create(store: &Store, id: &str, now: i64) -> Result<TenantId, TenantError> {
    let id = TenantId::parse(id)?;
    if !store.insert_tenant(&id, now).await? {
        return Err(TenantError::Exists(id));
    }
    Ok(id)
}

pub async fn list(store: &Store) -> Result<Vec<TenantInfo>, TenantError> {
    Ok(store
        .tenants()
        .await?
        .into_iter()
        .map(TenantInfo::from)
        .collect())
}

/// Disables (`Some(now)`) or enables (`None`) the tenant `id`.
pub async fn set_disabled(
    store: &Store,
    id: &str,
    disabled_at: Option<i64>,
) -> Result<(), TenantError> {
    let tenant = TenantId::parse(id).map_err(|_| TenantError::Unknown(id.to_owned()))?;
    if tenant.is_default() && disabled_at.is_some() {
        return Err(TenantError::DefaultStays);
    }
    if store.set_tenant_disabled(&tenant, disabled_at).await? {
        Ok(())
    } else {
        Err(TenantError::Unknown(id.to_owned()))
    }
}
