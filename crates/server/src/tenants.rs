//! Tenants: made, listed, disabled and enabled again. A tenant is never deleted: its keys,
//! meetings and audit rows name it. Disabling one refuses its keys from the next request, in
//! every process (keys are checked against the database each time).

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use resilience::KeyLimits;

use crate::domain::{Action, Actor, Outcome, TenantId, TenantIdError, TenantLimits, TokenSource};
use crate::store::{AuditRow, Store, StoreError, TenantRow};

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
    /// `/v1` requests a minute, in each process; absent: the service's `--rate-limit`.
    pub requests_per_minute: Option<u32>,
    /// SMS invites in any 24 hours; absent: no limit of its own.
    pub invites_per_day: Option<u32>,
    /// Numbers an SMS invite sends to; absent: the service's bound.
    pub phones_per_invite: Option<u32>,
    /// Nodes its keys may import; absent: the service's bound.
    pub imported_nodes: Option<u32>,
    /// Where its own broker token is read (`env:NAME`, `file:/path`); absent: the service's.
    pub broker_token: Option<String>,
}

impl From<TenantRow> for TenantInfo {
    fn from(row: TenantRow) -> Self {
        Self {
            id: row.id.as_str().to_owned(),
            created_at: row.created_at,
            disabled_at: row.disabled_at,
            requests_per_minute: row
                .limits
                .requests_per_minute
                .map(std::num::NonZeroU32::get),
            invites_per_day: row.limits.invites_per_day,
            phones_per_invite: row.limits.phones_per_invite,
            imported_nodes: row.limits.imported_nodes,
            broker_token: row.token.as_ref().map(TokenSource::stored),
        }
    }
}

/// The operator's change of a tenant, as its audit trail records it.
fn audited(tenant: &TenantId, action: Action, now: i64) -> AuditRow {
    AuditRow::new(
        now,
        tenant,
        &Actor::operator(),
        action,
        Some(tenant.as_str()),
        Outcome::Done,
    )
}

pub async fn create(store: &Store, id: &str, now: i64) -> Result<TenantId, TenantError> {
    let id = TenantId::parse(id)?;
    let audit = audited(&id, Action::TenantCreated, now);
    if !store.insert_tenant(&id, now, &audit).await? {
        return Err(TenantError::Exists(id));
    }
    Ok(id)
}

/// Sets the tenant's own limits (each `None`: the service's); they hold from the next request.
pub async fn set_limits(
    store: &Store,
    id: &str,
    limits: &TenantLimits,
    now: i64,
) -> Result<(), TenantError> {
    let tenant = existing_name(id)?;
    let audit = audited(&tenant, Action::TenantLimitsSet, now);
    if store.set_tenant_limits(&tenant, limits, &audit).await? {
        Ok(())
    } else {
        Err(TenantError::Unknown(id.to_owned()))
    }
}

/// Sets where the tenant's own broker token is read (`None`: the service's token again); it
/// is used from the next request.
pub async fn set_token(
    store: &Store,
    id: &str,
    source: Option<&TokenSource>,
    now: i64,
) -> Result<(), TenantError> {
    let tenant = existing_name(id)?;
    let audit = audited(&tenant, Action::TenantTokenSet, now);
    if store.set_tenant_token(&tenant, source, &audit).await? {
        Ok(())
    } else {
        Err(TenantError::Unknown(id.to_owned()))
    }
}

/// `id` as a tenant's id; one no tenant can have is an unknown tenant.
fn existing_name(id: &str) -> Result<TenantId, TenantError> {
    TenantId::parse(id).map_err(|_| TenantError::Unknown(id.to_owned()))
}

pub async fn list(store: &Store) -> Result<Vec<TenantInfo>, TenantError> {
    Ok(store
        .tenants()
        .await?
        .into_iter()
        .map(TenantInfo::from)
        .collect())
}

/// Disables the tenant `id` at `now` (its keys are refused from the next request), or enables
/// it again.
pub async fn set_disabled(
    store: &Store,
    id: &str,
    disabled: bool,
    now: i64,
) -> Result<(), TenantError> {
    let tenant = existing_name(id)?;
    if tenant.is_default() && disabled {
        return Err(TenantError::DefaultStays);
    }
    let action = if disabled {
        Action::TenantDisabled
    } else {
        Action::TenantEnabled
    };
    let audit = audited(&tenant, action, now);
    if store
        .set_tenant_disabled(&tenant, disabled.then_some(now), &audit)
        .await?
    {
        Ok(())
    } else {
        Err(TenantError::Unknown(id.to_owned()))
    }
}

/// Each tenant's own requests a minute, all its keys together, counted in this process (as
/// `--rate-limit` counts a key's): one limiter a tenant, made anew when its limit changes.
pub struct TenantRates {
    now_ms: resilience::NowMs,
    limiters: std::sync::Mutex<HashMap<TenantId, (NonZeroU32, Arc<KeyLimits>)>>,
}

impl TenantRates {
    pub fn new(now_ms: resilience::NowMs) -> Self {
        Self {
            now_ms,
            limiters: std::sync::Mutex::default(),
        }
    }

    /// Admits one request of `tenant` under its limit, or says how long to wait.
    pub fn check(&self, tenant: &TenantId, per_minute: NonZeroU32) -> Result<(), Duration> {
        let limiter = {
            let mut limiters = self
                .limiters
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            match limiters.get(tenant) {
                Some((limit, limiter)) if *limit == per_minute => Arc::clone(limiter),
                _ => {
                    let limiter =
                        Arc::new(KeyLimits::per_minute(per_minute, Arc::clone(&self.now_ms)));
                    limiters.insert(tenant.clone(), (per_minute, Arc::clone(&limiter)));
                    limiter
                }
            }
        };
        limiter.check(tenant.as_str().as_bytes())
    }
}
