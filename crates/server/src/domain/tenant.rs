//! Who owns what: a [`TenantId`] owns keys, meetings and imported nodes, and a key's
//! [`KeyRole`] says what it may do within its tenant.
//!
//! The model: a tenant is a customer of the service (a clinic, a bank's branch, a partner).
//! Its keys see its meetings and nodes only; another tenant's are not found, never
//! forbidden, so a key learns nothing of what others hold. Within its tenant a key is an
//! `admin` (everything, and the tenant's audit trail), a `member` (create, add to, invite to
//! and read meetings; run nodes) or a `viewer` (read only).

use std::fmt;
use std::str::FromStr;

/// The tenant every service has, and every key and meeting from before tenants belongs to.
pub const DEFAULT_TENANT: &str = "default";
/// The most characters a tenant id has: it names the tenant on command lines and in logs.
pub const MAX_TENANT_CHARS: usize = 63;

/// A tenant's id: 1-63 lowercase ASCII letters, digits and `-`, starting with a letter or a
/// digit. [`TenantId::parse`] is the only way to one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(text: &str) -> Result<Self, TenantIdError> {
        let chars = text.chars().count();
        if !(1..=MAX_TENANT_CHARS).contains(&chars) {
            return Err(TenantIdError::Length(chars));
        }
        if text.starts_with('-')
            || !text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(TenantIdError::Characters);
        }
        Ok(Self(text.to_owned()))
    }

    /// The tenant `default`.
    pub fn default_tenant() -> Self {
        Self(DEFAULT_TENANT.to_owned())
    }

    pub fn is_default(&self) -> bool {
        self.0 == DEFAULT_TENANT
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a text is not a tenant id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantIdError {
    #[error("a tenant id must be 1-{MAX_TENANT_CHARS} characters, got {0}")]
    Length(usize),
    #[error(
        "a tenant id holds lowercase letters, digits and `-`, and starts with a letter or digit"
    )]
    Characters,
}

/// The window a tenant's `invites_per_day` counts in.
pub const INVITE_WINDOW_SECONDS: i64 = 24 * 60 * 60;

/// A tenant's own limits; `None` is the service's (for nodes and phones, the service's bound;
/// for requests, the service's `--rate-limit`; for invites, none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TenantLimits {
    /// `/v1` requests a minute, all its keys together, in each process.
    pub requests_per_minute: Option<std::num::NonZeroU32>,
    /// SMS invites in any 24 hours, counted in the database (every process together).
    pub invites_per_day: Option<u32>,
    /// Numbers one SMS invite may send to, within the service's bound.
    pub phones_per_invite: Option<u32>,
    /// Nodes its keys may import, within the service's bound.
    pub imported_nodes: Option<u32>,
}

impl TenantLimits {
    /// The tenant's bound on `limit` where it sets one lower than the service's `bound`.
    pub fn within(limit: Option<u32>, bound: usize) -> usize {
        limit.map_or(bound, |own| bound.min(own as usize))
    }
}

/// Where a tenant's own broker token is read, each time it is used: an environment variable of
/// the service, or a file only its owner may read. The token itself is never stored, so the
/// database holds no credential, and a file rewritten takes effect at the next request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TokenSource {
    Env(String),
    File(std::path::PathBuf),
}

/// Not `env:NAME` or `file:/absolute/path`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a token source is `env:NAME` (a variable of the service's environment: letters, digits,      `_`) or `file:/absolute/path`, got `{0}`"
)]
pub struct BadTokenSource(pub String);

impl TokenSource {
    pub fn parse(text: &str) -> Result<Self, BadTokenSource> {
        let bad = || BadTokenSource(text.to_owned());
        match text.split_once(':') {
            Some(("env", name))
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                Ok(TokenSource::Env(name.to_owned()))
            }
            Some(("file", path))
                if path.starts_with('/') && !path.chars().any(char::is_control) =>
            {
                Ok(TokenSource::File(path.into()))
            }
            _ => Err(bad()),
        }
    }

    /// As stored and shown: `env:NAME` or `file:/path`.
    pub fn stored(&self) -> String {
        match self {
            TokenSource::Env(name) => format!("env:{name}"),
            TokenSource::File(path) => format!("file:{}", path.display()),
        }
    }
}

/// What a key may do within its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRole {
    Admin,
    Member,
    Viewer,
}

/// What a request asks to do, which a [`KeyRole`] allows or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read meetings, links, nodes.
    Read,
    /// Create meetings, add links, send invites, run nodes.
    Write,
    /// Import nodes, read the audit trail.
    Administer,
}

impl KeyRole {
    pub const ALL: [KeyRole; 3] = [KeyRole::Admin, KeyRole::Member, KeyRole::Viewer];

    pub fn allows(self, permission: Permission) -> bool {
        match self {
            KeyRole::Admin => true,
            KeyRole::Member => permission != Permission::Administer,
            KeyRole::Viewer => permission == Permission::Read,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KeyRole::Admin => "admin",
            KeyRole::Member => "member",
            KeyRole::Viewer => "viewer",
        }
    }
}

impl fmt::Display for KeyRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not one of `admin`, `member`, `viewer`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a role is `admin`, `member` or `viewer`, got `{0}`")]
pub struct UnknownRole(pub String);

impl FromStr for KeyRole {
    type Err = UnknownRole;
    fn from_str(text: &str) -> Result<Self, UnknownRole> {
        KeyRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| UnknownRole(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_id_is_a_short_lowercase_slug() {
        for good in ["default", "clinic-7", "0", &"a".repeat(MAX_TENANT_CHARS)] {
            let id = TenantId::parse(good).unwrap();
            // Logs name a tenant by its id as written (`tenant = %id`).
            assert_eq!((id.as_str(), id.to_string().as_str()), (good, good));
        }
        assert_eq!(TenantId::parse(""), Err(TenantIdError::Length(0)));
        assert_eq!(
            TenantId::parse(&"a".repeat(MAX_TENANT_CHARS + 1)),
            Err(TenantIdError::Length(MAX_TENANT_CHARS + 1))
        );
        for bad in ["-clinic", "Clinic", "a b", "a_b", "a.b", "é"] {
            assert_eq!(
                TenantId::parse(bad),
                Err(TenantIdError::Characters),
                "{bad}"
            );
        }
        assert!(TenantId::default_tenant().is_default());
        assert!(!TenantId::parse("other").unwrap().is_default());
    }

    #[test]
    fn a_token_source_is_a_variable_or_an_absolute_file_and_reads_back_as_written() {
        for good in ["env:CLINIC_7_TOKEN", "file:/etc/icnode/clinic.token"] {
            assert_eq!(TokenSource::parse(good).unwrap().stored(), good);
        }
        for bad in [
            "",
            "env:",
            "env:A-B",
            "file:relative/path",
            "file:/a\nb",
            "token:abc",
            "abc",
        ] {
            assert_eq!(TokenSource::parse(bad), Err(BadTokenSource(bad.to_owned())));
        }
    }

    #[test]
    fn each_role_allows_what_the_model_says_and_no_more() {
        use Permission::*;
        let allowed = |role: KeyRole| {
            [Read, Write, Administer]
                .into_iter()
                .filter(|p| role.allows(*p))
                .collect::<Vec<_>>()
        };
        assert_eq!(allowed(KeyRole::Admin), [Read, Write, Administer]);
        assert_eq!(allowed(KeyRole::Member), [Read, Write]);
        assert_eq!(allowed(KeyRole::Viewer), [Read]);
        for role in KeyRole::ALL {
            assert_eq!(role.as_str().parse::<KeyRole>(), Ok(role));
        }
        assert_eq!(
            "owner".parse::<KeyRole>(),
            Err(UnknownRole("owner".to_owned()))
        );
    }
}
