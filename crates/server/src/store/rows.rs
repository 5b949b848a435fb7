//! Rows as the store reads and writes them, decoded by column name and checked on the way out:
//! a chat id, role or vertical the store would never write is a malformed row, not a guess.

use crate::domain::{
    Action, Actor, ChatId, KeyRole, LinkCode, LinkLife, Outcome, Role, Subject, TenantId,
    TenantLimits, TokenSource, Vertical, Window,
};

use super::error::StoreError;
use super::sql::Columns;

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRow {
    pub tenant: TenantId,
    pub chat_id: ChatId,
    pub subject: Subject,
    pub created_by: String,
    pub vertical: Vertical,
    pub host_login: bool,
    pub short_urls: bool,
    pub not_before: Option<i64>,
    pub expires_at: i64,
    pub created_at_ms: i64,
}

impl MeetingRow {
    /// Its tenant and chat id: what finds it.
    pub fn key(&self) -> (&TenantId, &ChatId) {
        (&self.tenant, &self.chat_id)
    }

    /// When the meeting's links work, as the latest of them do.
    pub fn window(&self) -> Window {
        Window {
            not_before: self.not_before,
            expires_at: self.expires_at,
        }
    }
}

/// A meeting in a listing, with how many links of each role it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingSummaryRow {
    pub meeting: MeetingRow,
    pub hosts: i64,
    pub guests: i64,
}

/// One issued link. `Debug` is derived on purpose nowhere: it holds a cipher.
#[derive(Clone, PartialEq, Eq)]
pub struct LinkRow {
    pub id: String,
    pub role: Role,
    pub issued_at_ms: i64,
    pub position: i64,
    pub cipher: String,
    pub short: Option<String>,
    pub short_url: Option<String>,
    pub long_url: String,
    pub not_before: Option<i64>,
    pub expires_at: i64,
    /// Its own link's code; none for a link from before own links, handed out as the
    /// broker's URL.
    pub code: Option<LinkCode>,
    /// Its own link opens once.
    pub single_use: bool,
    /// The first open of its own link that went on to the broker.
    pub opened_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl LinkRow {
    pub fn window(&self) -> Window {
        Window {
            not_before: self.not_before,
            expires_at: self.expires_at,
        }
    }

    /// What its own link has been through.
    pub fn life(&self) -> LinkLife {
        LinkLife {
            window: self.window(),
            revoked_at: self.revoked_at,
            single_use: self.single_use,
            opened_at: self.opened_at,
        }
    }
}

/// An open of an own link, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRow {
    pub id: String,
    pub at: i64,
    /// `opened`, or why it went no further (`revoked`, `not_yet`, `expired`, `used`).
    pub outcome: &'static str,
    /// A coarse hint of the client: its kind of device and browser.
    pub client: String,
}

/// A link found by its own link's code, with whose it is.
#[derive(Clone)]
pub struct CodedLink {
    pub tenant: TenantId,
    pub chat_id: ChatId,
    pub link: LinkRow,
}

/// An API key as stored: its public id and the digest of the whole key, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub digest: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub tenant: TenantId,
    pub role: KeyRole,
    /// When the key's tenant was disabled (read with the key, never written with it).
    pub tenant_disabled_at: Option<i64>,
    /// The key's tenant's limits (read with the key, never written with it).
    pub tenant_limits: TenantLimits,
    /// Where the key's tenant's own broker token is read; none: the service's.
    pub tenant_token: Option<TokenSource>,
}

/// A tenant as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRow {
    pub id: TenantId,
    pub created_at: i64,
    pub disabled_at: Option<i64>,
    pub limits: TenantLimits,
    /// Where its own broker token is read; none: the service's.
    pub token: Option<TokenSource>,
}

/// A tenant's invites in a window: how many, and when the oldest was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvitesSince {
    pub count: i64,
    pub oldest: Option<i64>,
}

/// What a revocation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Now,
    Already(i64),
    Unknown,
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is ours, under this claim token: run the request, then finish or release the
    /// claim with it.
    Claimed(String),
    /// The same request already ran: its answer.
    Done { status: u16, body: String },
    /// The same request is running elsewhere.
    InFlight,
    /// The key was used with another request.
    OtherRequest,
}

/// A position in the newest-first list of meetings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingCursor {
    pub created_at_ms: i64,
    pub chat_id: ChatId,
}

pub(super) const MEETING_COLUMNS: &str = "tenant_id, chat_id, subject, created_by, vertical, \
                                          host_login, short_urls, not_before, expires_at, \
                                          created_at_ms";
pub(super) const MEETING_COLUMN_COUNT: usize = 10;
/// A key's columns with its tenant's state, from `api_keys k JOIN tenants t`.
pub(super) const KEY_COLUMNS: &str = "k.id, k.name, k.digest, k.created_at, k.revoked_at, \
                                      k.tenant_id, k.role, t.disabled_at AS tenant_disabled_at, \
                                      t.requests_per_minute, t.invites_per_day, \
                                      t.phones_per_invite, t.imported_nodes, t.broker_token";
pub(super) const TENANT_COLUMNS: &str = "id, created_at, disabled_at, requests_per_minute, \
                                         invites_per_day, phones_per_invite, imported_nodes, \
                                         broker_token";
pub(super) const LINK_COLUMNS: &str = "id, tenant_id, chat_id, role, issued_at_ms, position, \
                                       cipher, short, short_url, long_url, not_before, \
                                       expires_at, cipher_at, code, single_use";
pub(super) const LINK_COLUMN_COUNT: usize = 15;
/// What a link's read takes: what is written with it, and what happens to it after.
pub(super) const LINK_READ_COLUMNS: &str = "id, tenant_id, chat_id, role, issued_at_ms, \
                                            position, cipher, short, short_url, long_url, \
                                            not_before, expires_at, cipher_at, code, \
                                            single_use, opened_at, revoked_at";

pub(super) fn meeting_row(row: &dyn Columns) -> Result<MeetingRow, StoreError> {
    Ok(MeetingRow {
        tenant: tenant_id(row.text("tenant_id")?)?,
        chat_id: ChatId::parse(row.text("chat_id")?)
            .map_err(|_| StoreError::Malformed("a meeting's chat_id is not a chat id"))?,
        subject: Subject::stored(row.text("subject")?).ok_or(StoreError::Malformed(
            "a meeting's subject is not a broker subject",
        ))?,
        created_by: row.text("created_by")?,
        vertical: row
            .text("vertical")?
            .parse()
            .map_err(|_| StoreError::Malformed("a meeting's vertical is not hc, gen or cc"))?,
        host_login: row.int("host_login")? != 0,
        short_urls: row.int("short_urls")? != 0,
        not_before: row.opt_int("not_before")?,
        expires_at: row.int("expires_at")?,
        created_at_ms: row.int("created_at_ms")?,
    })
}

pub(super) fn link_row(row: &dyn Columns) -> Result<LinkRow, StoreError> {
    let cipher = row.text("cipher")?;
    let long_url = CipherOnce::read(row.text("long_url")?, row.opt_int("cipher_at")?, &cipher)?;
    Ok(LinkRow {
        id: row.text("id")?,
        role: row
            .text("role")?
            .parse()
            .map_err(|_| StoreError::Malformed("a link's role is not host or guest"))?,
        issued_at_ms: row.int("issued_at_ms")?,
        position: row.int("position")?,
        cipher,
        short: row.opt_text("short")?,
        short_url: row.opt_text("short_url")?,
        long_url,
        not_before: row.opt_int("not_before")?,
        expires_at: row.int("expires_at")?,
        code: row
            .opt_text("code")?
            .map(|code| {
                LinkCode::parse(&code).ok_or(StoreError::Malformed(
                    "a link's code is not an icnode link code",
                ))
            })
            .transpose()?,
        single_use: row.int("single_use")? != 0,
        opened_at: row.opt_int("opened_at")?,
        revoked_at: row.opt_int("revoked_at")?,
    })
}

pub(super) fn coded_link_row(row: &dyn Columns) -> Result<CodedLink, StoreError> {
    Ok(CodedLink {
        tenant: tenant_id(row.text("tenant_id")?)?,
        chat_id: ChatId::parse(row.text("chat_id")?)
            .map_err(|_| StoreError::Malformed("a link's chat_id is not a chat id"))?,
        link: link_row(row)?,
    })
}

pub(super) fn key_row(row: &dyn Columns) -> Result<KeyRow, StoreError> {
    Ok(KeyRow {
        id: row.text("id")?,
        name: row.text("name")?,
        digest: row.text("digest")?,
        created_at: row.int("created_at")?,
        revoked_at: row.opt_int("revoked_at")?,
        tenant: tenant_id(row.text("tenant_id")?)?,
        role: row
            .text("role")?
            .parse()
            .map_err(|_| StoreError::Malformed("a key's role is not admin, member or viewer"))?,
        tenant_disabled_at: row.opt_int("tenant_disabled_at")?,
        tenant_limits: tenant_limits(row)?,
        tenant_token: token_source(row)?,
    })
}

/// A tenant's limits from its columns (a key's read names them the same).
fn tenant_limits(row: &dyn Columns) -> Result<TenantLimits, StoreError> {
    let limit = |column: &str| -> Result<Option<u32>, StoreError> {
        row.opt_int(column)?
            .map(|n| {
                u32::try_from(n)
                    .map_err(|_| StoreError::Malformed("a tenant's limit is not a count"))
            })
            .transpose()
    };
    Ok(TenantLimits {
        requests_per_minute: limit("requests_per_minute")?.and_then(std::num::NonZeroU32::new),
        invites_per_day: limit("invites_per_day")?,
        phones_per_invite: limit("phones_per_invite")?,
        imported_nodes: limit("imported_nodes")?,
    })
}

pub(super) fn tenant_row(row: &dyn Columns) -> Result<TenantRow, StoreError> {
    Ok(TenantRow {
        id: tenant_id(row.text("id")?)?,
        created_at: row.int("created_at")?,
        disabled_at: row.opt_int("disabled_at")?,
        limits: tenant_limits(row)?,
        token: token_source(row)?,
    })
}

/// Where a tenant's own broker token is read, from its column (a key's read names it the same).
fn token_source(row: &dyn Columns) -> Result<Option<TokenSource>, StoreError> {
    row.opt_text("broker_token")?
        .map(|text| {
            TokenSource::parse(&text)
                .map_err(|_| StoreError::Malformed("a tenant's token source is not one"))
        })
        .transpose()
}

pub(super) fn tenant_id(text: String) -> Result<TenantId, StoreError> {
    TenantId::parse(&text).map_err(|_| StoreError::Malformed("a tenant id is not a tenant id"))
}

/// How a link's long URL is stored: with its cipher cut out, and the byte offset it goes back
/// at (migration 0003). The cipher was half of a link row: written twice, a row passed 2 KB, a
/// SQLite page of its own and PostgreSQL's TOAST threshold. A long URL that does not hold its
/// cipher, and every row from before, is stored whole with no offset.
pub(super) struct CipherOnce;

impl CipherOnce {
    pub(super) fn write(long_url: &str, cipher: &str) -> (String, Option<i64>) {
        match Self::find(long_url, cipher) {
            Some(at) if !cipher.is_empty() => (
                [&long_url[..at], &long_url[at + cipher.len()..]].concat(),
                Some(at as i64),
            ),
            _ => (long_url.to_owned(), None),
        }
    }

    /// Where `cipher` starts in `long_url`. A long URL is its cipher and some 60 bytes more, so
    /// comparing at each of those few places beats a general search: std's and memchr's set up
    /// a searcher over the 1 KB needle first, 60k to 170k instructions (callgrind).
    fn find(long_url: &str, cipher: &str) -> Option<usize> {
        let last = long_url.len().checked_sub(cipher.len())?;
        (0..=last).find(|&at| long_url.as_bytes()[at..].starts_with(cipher.as_bytes()))
    }

    fn read(stored: String, cipher_at: Option<i64>, cipher: &str) -> Result<String, StoreError> {
        let Some(at) = cipher_at else {
            return Ok(stored);
        };
        let at = usize::try_from(at)
            .ok()
            .filter(|&at| stored.is_char_boundary(at))
            .ok_or(StoreError::Malformed(
                "a link's cipher_at is not a place in its long_url",
            ))?;
        Ok([&stored[..at], cipher, &stored[at..]].concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_url_stored_without_its_cipher_reads_back_whole() {
        for (long_url, cipher) in [
            ("https://j/hc/v1/talk?int=jose&v=1&data=abc.def", "abc.def"),
            (
                "https://j/hc/v1/login?int=jose&v=1&data=abc&fli=true",
                "abc",
            ),
            ("abcabc", "abc"),
            ("https://j/é?data=ü", "ü"),
        ] {
            let (stored, at) = CipherOnce::write(long_url, cipher);
            assert_eq!(stored.len(), long_url.len() - cipher.len());
            assert_eq!(CipherOnce::read(stored, at, cipher).unwrap(), long_url);
        }
        for (long_url, cipher) in [("https://j/x", "abc"), ("https://j/x", "")] {
            assert_eq!(
                CipherOnce::write(long_url, cipher),
                (long_url.to_owned(), None)
            );
        }
        for at in [-1, 2, 99] {
            assert!(matches!(
                CipherOnce::read("aéb".into(), Some(at), "c"),
                Err(StoreError::Malformed(_))
            ));
        }
    }
}

/// The times a claim is judged by (Unix seconds).
#[derive(Debug, Clone, Copy)]
pub struct ClaimTimes {
    pub now: i64,
    /// A claim left unfinished since before this is dead (its process died) and taken over.
    pub stale_before: i64,
    /// A record made before this has expired: its key is free again.
    pub expired_before: i64,
}

/// One recorded attempt at a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    /// A UUIDv7: rows sort by it in the order they were made.
    pub id: String,
    /// Unix seconds, by the service's clock.
    pub at: i64,
    pub tenant: TenantId,
    pub actor: Actor,
    pub action: Action,
    /// What it changed: a meeting's subject, a key's name, a node's slug, a tenant's id.
    pub target: Option<String>,
    pub outcome: Outcome,
}

impl AuditRow {
    pub fn new(
        at: i64,
        tenant: &TenantId,
        actor: &Actor,
        action: Action,
        target: Option<&str>,
        outcome: Outcome,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            at,
            tenant: tenant.clone(),
            actor: actor.clone(),
            action,
            target: target.map(str::to_owned),
            outcome,
        }
    }
}

/// Which rows a page holds; every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// One tenant's rows; the operator may read every tenant's.
    pub tenant: Option<TenantId>,
    /// Rows older than this one (the last of the page before).
    pub before_id: Option<String>,
    pub action: Option<Action>,
    pub key_id: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<Outcome>,
    /// At or after, Unix seconds.
    pub since: Option<i64>,
    /// Before, Unix seconds.
    pub until: Option<i64>,
}

pub(super) const AUDIT_COLUMNS: &str =
    "id, at, tenant_id, key_id, actor, action, target, request_id, outcome";
pub(super) const AUDIT_COLUMN_COUNT: usize = 9;

pub(super) fn audit_row(row: &dyn Columns) -> Result<AuditRow, StoreError> {
    let malformed = StoreError::Malformed;
    Ok(AuditRow {
        id: row.text("id")?,
        at: row.int("at")?,
        tenant: TenantId::parse(&row.text("tenant_id")?)
            .map_err(|_| malformed("an audit row's tenant is not a tenant id"))?,
        actor: Actor {
            key_id: row.opt_text("key_id")?,
            name: row.text("actor")?,
            request_id: row.opt_text("request_id")?,
        },
        action: row
            .text("action")?
            .parse()
            .map_err(|_| malformed("an audit row's action is not an action"))?,
        target: row.opt_text("target")?,
        outcome: row
            .text("outcome")?
            .parse()
            .map_err(|_| malformed("an audit row's outcome is not an outcome"))?,
    })
}

/// Rows one batch (or one round) deleted, by table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub meetings: u64,
    pub links: u64,
    pub invites: u64,
    pub idempotency: u64,
    /// Visits, with their jobs and messages.
    pub visits: u64,
    /// Webhook deliveries done or dead (the events they sent go once none is left).
    pub deliveries: u64,
}

impl Swept {
    pub fn add(&mut self, other: Swept) {
        self.meetings += other.meetings;
        self.links += other.links;
        self.invites += other.invites;
        self.idempotency += other.idempotency;
        self.visits += other.visits;
        self.deliveries += other.deliveries;
    }

    /// Whether a batch of `batch` rows a table was full, so that more may be due.
    pub fn full(&self, batch: i64) -> bool {
        let batch = batch as u64;
        [
            self.meetings,
            self.invites,
            self.idempotency,
            self.visits,
            self.deliveries,
        ]
        .iter()
        .any(|&deleted| deleted >= batch)
    }
}
