//! API keys: random, shown once, stored as a digest, compared in constant time, checked against
//! the database on every request so a revocation holds at once in every process.
//!
//! A key reads `icn_<id>_<secret>`: the id (public) finds the row, the secret (256 random bits)
//! is what proves possession. A fast digest (SHA-256) suffices: the secret is random, not a
//! password, so there is nothing to guess from a stolen digest.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::distributions::Alphanumeric;
use rand::{Rng, RngCore};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::{
    Action, Actor, KeyRole, Outcome, Permission, TenantId, TenantLimits, TokenSource,
};
use crate::store::{AuditRow, KeyRow, Revoked, Store, StoreError};

const PREFIX: &str = "icn_";
const ID_LEN: usize = 8;
const SECRET_BYTES: usize = 32;
/// Names are for people and command lines: short, printable, no spaces.
pub const MAX_NAME_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("a key name must be 1-{MAX_NAME_CHARS} letters, digits, `-`, `_` or `.`")]
    BadName,
    #[error("a key named `{0}` exists already (revoked keys keep their names)")]
    NameTaken(String),
    #[error("no key is named `{0}`")]
    Unknown(String),
    #[error("no tenant is named `{0}`")]
    UnknownTenant(TenantId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who made a request: the key's id and name, its tenant and its role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub key_id: String,
    pub name: String,
    pub tenant: TenantId,
    pub role: KeyRole,
    /// The tenant's limits, as the database held them when the key was checked.
    pub limits: TenantLimits,
    /// Where the tenant's own broker token is read; none: the service's token.
    pub broker_token: Option<TokenSource>,
    /// The id of the request the key came with (`x-request-id`), for the audit trail.
    pub request_id: Option<String>,
}

impl Caller {
    /// The caller as the audit trail names it.
    pub fn actor(&self) -> Actor {
        Actor {
            key_id: Some(self.key_id.clone()),
            name: self.name.clone(),
            request_id: self.request_id.clone(),
        }
    }

    /// The audit row of `action` this caller asked for at `at`, on `target`, ended `outcome`:
    /// the one way an operation writes the caller into the trail.
    pub fn audit_row(
        &self,
        at: i64,
        action: Action,
        target: Option<&str>,
        outcome: Outcome,
    ) -> AuditRow {
        AuditRow::new(at, &self.tenant, &self.actor(), action, target, outcome)
    }

    /// Whether the caller's role allows `permission`.
    pub fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}

/// A key as `keys list` shows it: never the key itself.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyInfo {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "as_text")]
    pub tenant: TenantId,
    #[serde(serialize_with = "as_text")]
    pub role: KeyRole,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// Why a presented key was refused; the message is the same for all, the reason is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    Unknown,
    Revoked,
    TenantDisabled,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "no key",
            Refusal::Malformed => "not an icnode key",
            Refusal::Unknown => "unknown key",
            Refusal::Revoked => "revoked key",
            Refusal::TenantDisabled => "the key's tenant is disabled",
        }
    }
}

fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME_CHARS).contains(&name.chars().count())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A fresh key and its public id.
fn generate() -> (String, String) {
    let mut rng = rand::thread_rng();
    let id: String = (&mut rng)
        .sample_iter(&Alphanumeric)
        .take(ID_LEN)
        .map(char::from)
        .collect();
    let mut secret = [0u8; SECRET_BYTES];
    rng.fill_bytes(&mut secret);
    let key = format!("{PREFIX}{id}_{}", URL_SAFE_NO_PAD.encode(secret));
    (id, key)
}

fn as_text<S: serde::Serializer>(
    value: &impl std::fmt::Display,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// What a new key is: its name, its tenant and its role there.
#[derive(Debug, Clone)]
pub struct NewKey<'a> {
    pub name: &'a str,
    pub tenant: &'a TenantId,
    pub role: KeyRole,
}

impl<'a> NewKey<'a> {
    /// An admin of the default tenant: the key `up` makes, and every key from before tenants.
    pub fn default_admin(name: &'a str) -> Self {
        static DEFAULT: std::sync::LazyLock<TenantId> =
            std::sync::LazyLock::new(TenantId::default_tenant);
        Self {
            name,
            tenant: &DEFAULT,
            role: KeyRole::Admin,
        }
    }
}

/// Creates a key; the returned secret is the only copy. Its tenant must exist (disabled or
/// not: a disabled tenant's keys are refused until it is enabled). Keys are made by the
/// operator (the command line, `up`), whose audit row is written with the key.
pub async fn create(store: &Store, new: NewKey<'_>, now: i64) -> Result<SecretString, KeyError> {
    if !valid_name(new.name) {
        return Err(KeyError::BadName);
    }
    if store.tenant(new.tenant).await?.is_none() {
        return Err(KeyError::UnknownTenant(new.tenant.clone()));
    }
    let name = new.name;
    let (id, key) = generate();
    let row = KeyRow {
        id,
        name: name.to_owned(),
        digest: digest(&key),
        created_at: now,
        revoked_at: None,
        tenant: new.tenant.clone(),
        role: new.role,
        tenant_disabled_at: None,
        tenant_limits: TenantLimits::default(),
        tenant_token: None,
    };
    if !store.insert_key(&row, &Actor::operator()).await? {
        return Err(KeyError::NameTaken(name.to_owned()));
    }
    Ok(SecretString::from(key))
}

pub async fn list(store: &Store) -> Result<Vec<KeyInfo>, KeyError> {
    Ok(store
        .keys()
        .await?
        .into_iter()
        .map(|k| KeyInfo {
            id: k.id,
            name: k.name,
            tenant: k.tenant,
            role: k.role,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        })
        .collect())
}

/// Revokes the key `name` (the operator's doing, recorded in the key's tenant's audit trail);
/// revoking a revoked key is not an error, and changes nothing.
pub async fn revoke(store: &Store, name: &str, now: i64) -> Result<(), KeyError> {
    match store.revoke_key(name, now, &Actor::operator()).await? {
        Revoked::Now | Revoked::Already(_) => Ok(()),
        Revoked::Unknown => Err(KeyError::Unknown(name.to_owned())),
    }
}

/// Checks a presented key against the store; a malformed key is refused before the store is
/// asked (and its wait timed).
pub async fn verify(store: &Store, presented: &SecretString) -> Result<Caller, Verify> {
    let key = presented.expose_secret();
    let id = key
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.split_once('_'))
        .map(|(id, _)| id)
        .filter(|id| id.len() == ID_LEN && id.chars().all(|c| c.is_ascii_alphanumeric()))
        .ok_or(Verify::Refused(Refusal::Malformed))?;
    let row = store
        .key(id)
        .await
        .map_err(Verify::Store)?
        .ok_or(Verify::Refused(Refusal::Unknown))?;
    let matches: bool = digest(key).as_bytes().ct_eq(row.digest.as_bytes()).into();
    if !matches {
        return Err(Verify::Refused(Refusal::Unknown));
    }
    if row.revoked_at.is_some() {
        return Err(Verify::Refused(Refusal::Revoked));
    }
    if row.tenant_disabled_at.is_some() {
        return Err(Verify::Refused(Refusal::TenantDisabled));
    }
    Ok(Caller {
        key_id: row.id,
        name: row.name,
        tenant: row.tenant,
        role: row.role,
        limits: row.tenant_limits,
        broker_token: row.tenant_token,
        request_id: None,
    })
}

/// Why [`verify`] did not let a key in.
#[derive(Debug)]
pub enum Verify {
    Refused(Refusal),
    Store(StoreError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_printable() {
        assert!(valid_name("flow-prod_1.2"));
        assert!(!valid_name(""));
        assert!(!valid_name("has space"));
        assert!(!valid_name(&"x".repeat(MAX_NAME_CHARS + 1)));
    }

    #[test]
    fn keys_carry_256_random_bits_after_their_id() {
        let (id, key) = generate();
        let secret = key.strip_prefix(&format!("{PREFIX}{id}_")).unwrap();
        assert_eq!(URL_SAFE_NO_PAD.decode(secret).unwrap().len(), 32);
        assert_ne!(generate().1, key);
    }

    #[test]
    fn digests_are_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
