//! The storage boundary: meetings, their links, API keys and idempotency records, in SQLite or
//! PostgreSQL. One schema and one SQL text serve both (`$n` placeholders, `ON CONFLICT`,
//! `substr`), written here with the order its values bind in, so nothing above this module
//! knows the dialect. Each database runs that text its own way: SQLite in the process
//! (`store::sqlite`, rusqlite: a read is a function call, every write goes to one writer
//! connection off the async threads), PostgreSQL over the network (`store::postgres`, sqlx). The
//! one exception to the shared text is a speed-up: PostgreSQL writes a batch of new meetings
//! in one statement that commits itself (`store::group_commit`).

use std::borrow::Cow;
use std::sync::Arc;

mod group_commit;
mod key_checks;
mod postgres;
mod sqlite;

pub use group_commit::{CHECKPOINT_EVERY, CommitCounts, MAX_BATCH};
pub use key_checks::{KeyCheckCounts, MAX_KEYS};

/// The migrations, embedded: the same files for both databases, applied by sqlx's migrator
/// (which records them in `_sqlx_migrations`) on one connection at start-up.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL must start with sqlite:// or postgres:// (got `{0}`)")]
    UnsupportedUrl(String),
    #[error("could not create the database file {path}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the database failed")]
    Database(#[from] sqlx::Error),
    #[error("the database failed")]
    Sqlite(#[from] rusqlite::Error),
    /// COMMIT failed, perhaps after the database kept the data: nobody can say which.
    #[error("the database failed during COMMIT")]
    Commit(#[source] Arc<StoreError>),
    #[error("the database writer has stopped")]
    WriterStopped,
    #[error("the database's key reader has stopped")]
    KeyReaderStopped,
    /// One failure of a statement that served several requests.
    #[error("the database failed")]
    Shared(#[source] Arc<StoreError>),
    #[error("the database schema could not be brought up to date")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value breaks a rule the store writes by: edited by hand, or damaged.
    #[error("a stored row is malformed: {0}")]
    Malformed(&'static str),
}

impl StoreError {
    /// A row referred to a row that is not there (a link of a meeting that does not exist).
    fn is_foreign_key_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(error)) => error.is_foreign_key_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => {
                error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
            }
            _ => false,
        }
    }
}

/// Which database holds the data; for `/readyz` and logs, never for SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A meeting as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRow {
    pub chat_id: String,
    pub created_by: String,
    pub vertical: String,
    pub host_login: bool,
    pub short_urls: bool,
    pub not_before: Option<i64>,
    pub expires_at: i64,
    pub created_at_ms: i64,
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
    pub role: String,
    pub issued_at_ms: i64,
    pub position: i64,
    pub cipher: String,
    pub short: Option<String>,
    pub short_url: Option<String>,
    pub long_url: String,
    pub not_before: Option<i64>,
    pub expires_at: i64,
}

/// An API key as stored: its public id and the digest of the whole key, never the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub id: String,
    pub name: String,
    pub digest: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
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
    /// The key is ours, under this claim token: run the request, then [`Store::finish_claim`]
    /// or [`Store::release_claim`] with it.
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
    pub chat_id: String,
}

/// A value bound to a `$n` placeholder. Both databases store BIGINT and TEXT; a NULL keeps its
/// type, which PostgreSQL wants. No `Debug`: values are ciphers and digests.
#[derive(Clone)]
enum Param {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Param {
    fn from(value: i64) -> Self {
        Param::Int(Some(value))
    }
}
impl From<Option<i64>> for Param {
    fn from(value: Option<i64>) -> Self {
        Param::Int(value)
    }
}
impl From<bool> for Param {
    fn from(value: bool) -> Self {
        Param::Int(Some(i64::from(value)))
    }
}
impl From<&str> for Param {
    fn from(value: &str) -> Self {
        Param::Text(Some(value.to_owned()))
    }
}
impl From<String> for Param {
    fn from(value: String) -> Self {
        Param::Text(Some(value))
    }
}
impl From<&String> for Param {
    fn from(value: &String) -> Self {
        Param::Text(Some(value.clone()))
    }
}
impl From<&Option<String>> for Param {
    fn from(value: &Option<String>) -> Self {
        Param::Text(value.clone())
    }
}

/// SQL text with `$1`..`$n` and the values for them, in order.
struct Statement {
    sql: Cow<'static, str>,
    params: Vec<Param>,
}

impl Statement {
    fn new(sql: impl Into<Cow<'static, str>>, params: Vec<Param>) -> Self {
        Self {
            sql: sql.into(),
            params,
        }
    }
}

macro_rules! values {
    ($($value:expr),* $(,)?) => { vec![$(Param::from($value)),*] };
}

/// One row's columns by position, whichever database read it.
trait Columns {
    fn int(&self, column: usize) -> Result<i64, StoreError>;
    fn opt_int(&self, column: usize) -> Result<Option<i64>, StoreError>;
    fn text(&self, column: usize) -> Result<String, StoreError>;
    fn opt_text(&self, column: usize) -> Result<Option<String>, StoreError>;
}

/// How a row of a statement becomes a value.
type Decode<T> = fn(&dyn Columns) -> Result<T, StoreError>;

/// A new meeting and its links, as the group commit writes them.
struct NewMeeting {
    meeting: MeetingRow,
    links: Vec<LinkRow>,
}

/// The database a store runs its statements on.
enum Db {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Where a write of new meetings failed: before COMMIT nothing was kept; at COMMIT nobody knows.
enum Failure {
    Statement(StoreError),
    Commit(Arc<StoreError>),
}

impl From<Failure> for StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Statement(error) => error,
            Failure::Commit(error) => StoreError::Commit(error),
        }
    }
}

impl Db {
    /// Whether a write of new meetings runs in place, holding its thread until COMMIT
    /// (SQLite, `store::sqlite`) rather than awaiting the database (PostgreSQL).
    fn writes_in_place(&self) -> bool {
        matches!(self, Db::Sqlite(_))
    }

    async fn fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Db::Sqlite(db) => db.fetch(&statement, decode),
            Db::Postgres(db) => db.fetch(&statement, decode).await,
        }
    }

    /// [`Db::fetch`] for the key checks, which run on PostgreSQL only: on the connection they
    /// keep there.
    async fn fetch_keys<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Db::Postgres(db) => db.fetch_keys(&statement, decode).await,
            Db::Sqlite(_) => self.fetch(statement, decode).await,
        }
    }

    async fn fetch_optional<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.fetch(statement, decode).await?.into_iter().next())
    }

    /// Rows affected.
    async fn execute(&self, statement: Statement) -> Result<u64, StoreError> {
        match self {
            Db::Sqlite(db) => db.execute(statement).await,
            Db::Postgres(db) => db.execute(&statement).await,
        }
    }

    /// The statements in one transaction; rows affected by each.
    async fn transaction(&self, statements: Vec<Statement>) -> Result<Vec<u64>, StoreError> {
        match self {
            Db::Sqlite(db) => db.transaction(statements).await,
            Db::Postgres(db) => db.transaction(&statements).await,
        }
    }

    /// The meetings in one transaction: for each, whether it was new.
    async fn write_meetings(&self, batch: Vec<Arc<NewMeeting>>) -> Result<Vec<bool>, Failure> {
        match self {
            Db::Sqlite(db) => db.write_meetings(batch).await,
            Db::Postgres(db) => db.write_meetings(&batch).await,
        }
    }
}

#[derive(Clone)]
pub struct Store {
    db: Arc<Db>,
    backend: Backend,
    meetings: group_commit::GroupCommit,
    /// PostgreSQL's key checks, read together; SQLite reads each in place.
    key_checks: Option<key_checks::KeyChecks>,
    key_check_counts: Arc<KeyCheckCounts>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects (creating a SQLite file when missing) and applies the migrations. For SQLite,
    /// `max_connections` bounds the idle read connections kept; for PostgreSQL, the pool.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let (db, backend) = if url.starts_with("sqlite:") {
            let db = sqlite::Sqlite::open(url, max_connections as usize).await?;
            (Db::Sqlite(db), Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let db = postgres::Postgres::connect(url, max_connections).await?;
            (Db::Postgres(db), Backend::Postgres)
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let db = Arc::new(db);
        if let Db::Sqlite(sqlite) = &*db {
            sqlite.checkpoint_in_background(CHECKPOINT_EVERY);
        }
        let meetings = group_commit::GroupCommit::start(Arc::clone(&db));
        let key_check_counts = Arc::new(KeyCheckCounts::default());
        let key_checks = (backend == Backend::Postgres)
            .then(|| key_checks::KeyChecks::start(Arc::clone(&db), Arc::clone(&key_check_counts)));
        Ok(Self {
            db,
            backend,
            meetings,
            key_checks,
            key_check_counts,
        })
    }

    /// How many key checks each read of the database has served.
    pub fn key_check_counts(&self) -> Arc<KeyCheckCounts> {
        Arc::clone(&self.key_check_counts)
    }

    /// How many meetings each commit has written.
    pub fn commit_counts(&self) -> Arc<CommitCounts> {
        self.meetings.counts()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One statement through the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db
            .fetch(Statement::new("SELECT 1", values![]), |_| Ok(()))
            .await?;
        Ok(())
    }

    /// Closes the connections (PostgreSQL) or folds the WAL into the file (SQLite).
    pub async fn close(&self) {
        match &*self.db {
            Db::Sqlite(db) => db.close().await,
            Db::Postgres(db) => db.close().await,
        }
    }

    /// Writes a meeting and its links, with the other new meetings of the moment, in one
    /// transaction (`store::group_commit`); `false` (and nothing written) when the chat id is
    /// taken.
    pub async fn insert_meeting(
        &self,
        meeting: &MeetingRow,
        links: &[LinkRow],
    ) -> Result<bool, StoreError> {
        self.meetings
            .insert(NewMeeting {
                meeting: meeting.clone(),
                links: links.to_vec(),
            })
            .await
    }

    /// Adds links to a meeting in one transaction, and moves the meeting's expiry to the
    /// latest of its links'; `false` (and nothing written) when the meeting does not exist.
    /// The foreign key is the check: a read before the writes would make SQLite refuse the
    /// transaction when another writer commits in between.
    pub async fn add_links(&self, chat_id: &str, links: &[LinkRow]) -> Result<bool, StoreError> {
        let mut statements = Vec::with_capacity(2);
        statements.extend(insert_links(chat_id, links));
        if let Some(latest) = links.iter().map(|l| l.expires_at).max() {
            statements.push(Statement::new(
                "UPDATE meetings SET expires_at = $1 WHERE chat_id = $2 AND expires_at < $1",
                values![latest, chat_id],
            ));
        }
        match self.db.transaction(statements).await {
            Ok(_) => Ok(true),
            Err(error) if error.is_foreign_key_violation() => Ok(false),
            Err(error) => Err(error),
        }
    }

    pub async fn meeting(&self, chat_id: &str) -> Result<Option<MeetingRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {MEETING_COLUMNS} FROM meetings WHERE chat_id = $1"),
            values![chat_id],
        );
        self.db.fetch_optional(statement, meeting_row).await
    }

    /// Every link of a meeting, in the order they were issued.
    pub async fn links(&self, chat_id: &str) -> Result<Vec<LinkRow>, StoreError> {
        let statement = Statement::new(
            "SELECT id, role, issued_at_ms, position, cipher, short, short_url, long_url, \
             not_before, expires_at, cipher_at FROM links WHERE chat_id = $1 \
             ORDER BY issued_at_ms, position, id",
            values![chat_id],
        );
        self.db
            .fetch(statement, |row| {
                let cipher = row.text(4)?;
                let long_url = CipherOnce::read(row.text(7)?, row.opt_int(10)?, &cipher)?;
                Ok(LinkRow {
                    id: row.text(0)?,
                    role: row.text(1)?,
                    issued_at_ms: row.int(2)?,
                    position: row.int(3)?,
                    cipher,
                    short: row.opt_text(5)?,
                    short_url: row.opt_text(6)?,
                    long_url,
                    not_before: row.opt_int(8)?,
                    expires_at: row.int(9)?,
                })
            })
            .await
    }

    /// At most `limit` meetings whose chat id starts with `prefix`, newest first, after
    /// `cursor`.
    pub async fn meetings_page(
        &self,
        prefix: &str,
        cursor: Option<&MeetingCursor>,
        limit: u32,
    ) -> Result<Vec<MeetingSummaryRow>, StoreError> {
        let (before_ms, before_id) = match cursor {
            Some(c) => (c.created_at_ms, c.chat_id.as_str()),
            None => (i64::MAX, ""),
        };
        let statement = Statement::new(
            format!(
                "SELECT {MEETING_COLUMNS}, \
                 (SELECT COUNT(*) FROM links l WHERE l.chat_id = m.chat_id AND l.role = 'host'), \
                 (SELECT COUNT(*) FROM links l WHERE l.chat_id = m.chat_id AND l.role = 'guest') \
                 FROM meetings m \
                 WHERE substr(m.chat_id, 1, CAST($1 AS INTEGER)) = $2 \
                 AND (m.created_at_ms < $3 OR (m.created_at_ms = $3 AND m.chat_id < $4)) \
                 ORDER BY m.created_at_ms DESC, m.chat_id DESC LIMIT $5"
            ),
            values![
                prefix.chars().count() as i64,
                prefix,
                before_ms,
                before_id,
                i64::from(limit)
            ],
        );
        self.db
            .fetch(statement, |row| {
                Ok(MeetingSummaryRow {
                    meeting: meeting_row(row)?,
                    hosts: row.int(MEETING_COLUMN_COUNT)?,
                    guests: row.int(MEETING_COLUMN_COUNT + 1)?,
                })
            })
            .await
    }

    /// `false` when a key with that name exists (revoked or not).
    pub async fn insert_key(&self, key: &KeyRow) -> Result<bool, StoreError> {
        let inserted = self
            .db
            .execute(Statement::new(
                "INSERT INTO api_keys (id, name, digest, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (name) DO NOTHING",
                values![&key.id, &key.name, &key.digest, key.created_at],
            ))
            .await?;
        Ok(inserted == 1)
    }

    /// The key with this id as the database holds it now: the check of every request.
    pub async fn key(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        match &self.key_checks {
            Some(checks) => checks.key(id).await,
            None => {
                let key = self
                    .db
                    .fetch_optional(key_checks::read_keys(&[id]), key_row)
                    .await;
                self.key_check_counts.counted(1, 1);
                key
            }
        }
    }

    pub async fn keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, name"),
            values![],
        );
        self.db.fetch(statement, key_row).await
    }

    pub async fn revoke_key(&self, name: &str, at: i64) -> Result<Revoked, StoreError> {
        let revoked = self
            .db
            .execute(Statement::new(
                "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
                values![at, name],
            ))
            .await?;
        if revoked == 1 {
            return Ok(Revoked::Now);
        }
        let statement = Statement::new(
            "SELECT revoked_at FROM api_keys WHERE name = $1",
            values![name],
        );
        match self
            .db
            .fetch_optional(statement, |row| row.opt_int(0))
            .await?
        {
            Some(revoked_at) => Ok(Revoked::Already(revoked_at.unwrap_or(at))),
            None => Ok(Revoked::Unknown),
        }
    }

    /// Claims `key` for one request of `owner`. A claim left in flight since before
    /// `stale_before` (its process died) is taken over.
    pub async fn claim(
        &self,
        owner: &str,
        key: &str,
        request_digest: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<Claim, StoreError> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let inserted = self
            .db
            .execute(Statement::new(
                "INSERT INTO idempotency (owner, idem_key, request_digest, status, body, \
                 created_at, claim) VALUES ($1, $2, $3, NULL, NULL, $4, $5) ON CONFLICT DO NOTHING",
                values![owner, key, request_digest, now, &token],
            ))
            .await?;
        if inserted == 1 {
            return Ok(Claim::Claimed(token));
        }
        struct Stored {
            request_digest: String,
            status: Option<i64>,
            body: Option<String>,
            created_at: i64,
        }
        let statement = Statement::new(
            "SELECT request_digest, status, body, created_at FROM idempotency \
             WHERE owner = $1 AND idem_key = $2",
            values![owner, key],
        );
        let stored = self
            .db
            .fetch_optional(statement, |row| {
                Ok(Stored {
                    request_digest: row.text(0)?,
                    status: row.opt_int(1)?,
                    body: row.opt_text(2)?,
                    created_at: row.int(3)?,
                })
            })
            .await?;
        let Some(stored) = stored else {
            // Released between our insert and our read: try once more.
            return Box::pin(self.claim(owner, key, request_digest, now, stale_before)).await;
        };
        if stored.request_digest != request_digest {
            return Ok(Claim::OtherRequest);
        }
        match (stored.status, stored.body) {
            (Some(status), Some(body)) => Ok(Claim::Done {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }),
            _ if stored.created_at < stale_before => {
                let taken = self
                    .db
                    .execute(Statement::new(
                        "UPDATE idempotency SET created_at = $1, claim = $2 WHERE owner = $3 \
                         AND idem_key = $4 AND status IS NULL AND created_at = $5",
                        values![now, &token, owner, key, stored.created_at],
                    ))
                    .await?;
                Ok(if taken == 1 {
                    Claim::Claimed(token)
                } else {
                    Claim::InFlight
                })
            }
            _ => Ok(Claim::InFlight),
        }
    }

    /// Stores the answer of a request that still holds its claim.
    pub async fn finish_claim(
        &self,
        owner: &str,
        key: &str,
        claim: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        self.db
            .execute(Statement::new(
                "UPDATE idempotency SET status = $1, body = $2 WHERE owner = $3 \
                 AND idem_key = $4 AND claim = $5 AND status IS NULL",
                values![i64::from(status), body, owner, key, claim],
            ))
            .await?;
        Ok(())
    }

    /// Gives a claim up (the request failed in a way worth retrying), if it is still ours.
    pub async fn release_claim(
        &self,
        owner: &str,
        key: &str,
        claim: &str,
    ) -> Result<(), StoreError> {
        self.db
            .execute(Statement::new(
                "DELETE FROM idempotency WHERE owner = $1 AND idem_key = $2 AND claim = $3 \
                 AND status IS NULL",
                values![owner, key, claim],
            ))
            .await?;
        Ok(())
    }
}

const MEETING_COLUMNS: &str = "chat_id, created_by, vertical, host_login, short_urls, \
                               not_before, expires_at, created_at_ms";
const MEETING_COLUMN_COUNT: usize = 8;
const KEY_COLUMNS: &str = "id, name, digest, created_at, revoked_at";

const LINK_COLUMNS: &str = "id, chat_id, role, issued_at_ms, position, cipher, short, short_url, \
                            long_url, not_before, expires_at, cipher_at";
const LINK_COLUMN_COUNT: usize = 12;

fn meeting_values(meeting: &MeetingRow) -> Vec<Param> {
    values![
        &meeting.chat_id,
        &meeting.created_by,
        &meeting.vertical,
        meeting.host_login,
        meeting.short_urls,
        meeting.not_before,
        meeting.expires_at,
        meeting.created_at_ms,
    ]
}

/// `rows` new meetings; a row is affected for each that is new, none for a chat id taken.
fn insert_meetings_sql(rows: usize) -> String {
    format!(
        "INSERT INTO meetings ({MEETING_COLUMNS}) VALUES {} ON CONFLICT (chat_id) DO NOTHING",
        placeholder_rows(rows, MEETING_COLUMN_COUNT, 1)
    )
}

/// A new meeting; one row affected when it is new, none when the chat id is taken.
fn insert_meeting(meeting: &MeetingRow) -> Statement {
    // Built once: it is every SQLite write of a new meeting.
    static ONE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| insert_meetings_sql(1));
    Statement::new(ONE.as_str(), meeting_values(meeting))
}

/// `($first, ...), (...)`: `rows` rows of `columns` placeholders each, numbered on from
/// `first`. One statement for many rows: a round trip per row was most of the service's time
/// in the database.
fn placeholder_rows(rows: usize, columns: usize, first: usize) -> String {
    use std::fmt::Write;
    let mut text = String::with_capacity(rows * columns * 6);
    for row in 0..rows {
        text.push_str(if row == 0 { "(" } else { ", (" });
        for column in 0..columns {
            let separator = if column == 0 { "" } else { ", " };
            let _ = write!(text, "{separator}${}", first + row * columns + column);
        }
        text.push(')');
    }
    text
}

/// How a link's long URL is stored: with its cipher cut out, and the byte offset it goes back
/// at (migration 0003). The cipher was half of a link row: written twice, a row passed 2 KB, a
/// SQLite page of its own and PostgreSQL's TOAST threshold. A long URL that does not hold its
/// cipher, and every row from before, is stored whole with no offset.
struct CipherOnce;

impl CipherOnce {
    fn write(long_url: &str, cipher: &str) -> (String, Option<i64>) {
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

fn push_link_values(params: &mut Vec<Param>, chat_id: &str, links: &[LinkRow]) {
    for link in links {
        let (long_url, cipher_at) = CipherOnce::write(&link.long_url, &link.cipher);
        params.extend(values![
            &link.id,
            chat_id,
            &link.role,
            link.issued_at_ms,
            link.position,
            &link.cipher,
            &link.short,
            &link.short_url,
            long_url,
            link.not_before,
            link.expires_at,
            cipher_at,
        ]);
    }
}

/// A meeting's links in one statement; none for no links.
fn insert_links(chat_id: &str, links: &[LinkRow]) -> Option<Statement> {
    if links.is_empty() {
        return None;
    }
    let mut params = Vec::with_capacity(links.len() * LINK_COLUMN_COUNT);
    push_link_values(&mut params, chat_id, links);
    Some(Statement::new(insert_links_sql(links.len()), params))
}

/// The INSERT of `count` links. Built once for each count one request can ask for: building
/// it was a tenth of the service's instructions per meeting (callgrind).
fn insert_links_sql(count: usize) -> Cow<'static, str> {
    const MOST: usize = instant_connect::MAX_LINKS_PER_REQUEST as usize;
    static BY_COUNT: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| (0..=MOST).map(build_insert_links_sql).collect());
    match BY_COUNT.get(count) {
        Some(sql) => Cow::Borrowed(sql.as_str()),
        None => Cow::Owned(build_insert_links_sql(count)),
    }
}

fn build_insert_links_sql(count: usize) -> String {
    format!(
        "INSERT INTO links ({LINK_COLUMNS}) VALUES {}",
        placeholder_rows(count, LINK_COLUMN_COUNT, 1)
    )
}

/// New meetings and their links in one statement that PostgreSQL commits by itself: one round
/// trip for a batch, where a transaction takes two per meeting and two more (SQLite cannot
/// insert from a `WITH` clause). Links go in only beside a meeting that was new, and the rows
/// are the chat ids that were. A batch never holds one chat id twice (`group_commit`), so a
/// link's chat id says whose it is.
fn insert_meetings_at_once(batch: &[Arc<NewMeeting>]) -> Statement {
    let mut params = Vec::new();
    for new in batch {
        params.extend(meeting_values(&new.meeting));
    }
    let mut sql = format!(
        "WITH meeting AS ({} RETURNING chat_id)",
        insert_meetings_sql(batch.len())
    );
    let links: usize = batch.iter().map(|new| new.links.len()).sum();
    if links > 0 {
        sql.push_str(&format!(
            ", link AS (INSERT INTO links ({LINK_COLUMNS}) SELECT v.* FROM (VALUES {}) \
             AS v ({LINK_COLUMNS}) JOIN meeting ON meeting.chat_id = v.chat_id)",
            placeholder_rows(links, LINK_COLUMN_COUNT, params.len() + 1)
        ));
        for new in batch {
            push_link_values(&mut params, &new.meeting.chat_id, &new.links);
        }
    }
    sql.push_str(" SELECT chat_id FROM meeting");
    Statement::new(sql, params)
}

fn meeting_row(row: &dyn Columns) -> Result<MeetingRow, StoreError> {
    Ok(MeetingRow {
        chat_id: row.text(0)?,
        created_by: row.text(1)?,
        vertical: row.text(2)?,
        host_login: row.int(3)? != 0,
        short_urls: row.int(4)? != 0,
        not_before: row.opt_int(5)?,
        expires_at: row.int(6)?,
        created_at_ms: row.int(7)?,
    })
}

fn key_row(row: &dyn Columns) -> Result<KeyRow, StoreError> {
    Ok(KeyRow {
        id: row.text(0)?,
        name: row.text(1)?,
        digest: row.text(2)?,
        created_at: row.int(3)?,
        revoked_at: row.opt_int(4)?,
    })
}

/// A database URL fit for an error message: no password.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("redacted"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_in_messages_and_debug_hide_the_password() {
        let url = "postgres://icnode:hunter2@db:5432/icnode";
        assert_eq!(
            super::redact_url(url),
            "postgres://icnode:redacted@db:5432/icnode"
        );
        let debug = format!("{:?}", crate::settings::DatabaseUrl(url.to_owned()));
        assert!(!debug.contains("hunter2"), "{debug}");
    }

    /// A client that hangs up mid-request drops the request's future; a write it started runs
    /// to its end on the writer's thread, and an in-memory database loses nothing.
    #[tokio::test]
    async fn a_write_whose_caller_stopped_waiting_is_finished_and_loses_nothing() {
        let store = Store::connect(crate::settings::IN_MEMORY_DATABASE, 5)
            .await
            .unwrap();
        let key = |id: &str| KeyRow {
            id: id.into(),
            name: format!("name-{id}"),
            digest: "d".into(),
            created_at: 1,
            revoked_at: None,
        };
        assert!(store.insert_key(&key("kept")).await.unwrap());
        {
            // With the writer held, the write has started and cannot have finished when its
            // caller goes.
            let Db::Sqlite(sqlite) = store.db.as_ref() else {
                unreachable!("an in-memory database is SQLite")
            };
            let held = sqlite.hold_writer();
            let dropped = key("dropped");
            let mut write = Box::pin(store.insert_key(&dropped));
            let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
            assert!(write.as_mut().poll(&mut cx).is_pending());
            drop(write);
            drop(held);
        }
        assert_eq!(store.key("kept").await.unwrap(), Some(key("kept")));
        // The dropped write is on its own thread, waiting for the writer's connection (not
        // first in first out), so it is looked for until it shows rather than in any order.
        let mut found = None;
        for _ in 0..500 {
            found = store.key("dropped").await.unwrap();
            if found.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            found,
            Some(key("dropped")),
            "the dropped write never finished"
        );
    }

    fn meeting_row(chat_id: &str) -> MeetingRow {
        MeetingRow {
            chat_id: chat_id.into(),
            created_by: "k".into(),
            vertical: "hc".into(),
            host_login: true,
            short_urls: false,
            not_before: None,
            expires_at: 2,
            created_at_ms: 1,
        }
    }

    /// A new meeting commits in place only when the write lock is free at once. While another
    /// process holds it, the meeting waits on a blocking thread: the one async thread here
    /// goes on (its timer fires long before SQLite's busy wait could end, and it releases
    /// the lock), and the meeting is then stored. Had it
    /// waited in place, the thread would sit in SQLite's busy wait until it gave up.
    #[tokio::test]
    async fn a_new_meeting_waits_for_another_process_s_write_lock_off_the_async_thread() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&crate::settings::sqlite_url_in(dir.path()), 2)
            .await
            .unwrap();
        assert!(
            store
                .insert_meeting(&meeting_row("first"), &[])
                .await
                .unwrap()
        );
        let file = dir.path().join(crate::settings::DATABASE_FILE);
        let other = rusqlite::Connection::open(&file).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();

        let waiting = {
            let store = store.clone();
            tokio::spawn(async move { store.insert_meeting(&meeting_row("second"), &[]).await })
        };
        let slept = std::time::Instant::now();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            slept.elapsed() < sqlite::BUSY_TIMEOUT,
            "the async thread sat in SQLite's busy wait"
        );
        assert!(
            !waiting.is_finished(),
            "the meeting did not wait for the lock"
        );
        other.execute_batch("COMMIT").unwrap();
        assert!(waiting.await.unwrap().unwrap());
        assert!(store.meeting("second").await.unwrap().is_some());
        assert_eq!(store.commit_counts().meetings(), 2);
    }

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

    #[test]
    fn placeholders_of_a_meeting_and_its_links_follow_their_values() {
        let links = vec![
            LinkRow {
                id: "l1".into(),
                role: "host".into(),
                issued_at_ms: 1,
                position: 0,
                cipher: "c".into(),
                short: None,
                short_url: None,
                long_url: "u".into(),
                not_before: None,
                expires_at: 2,
            };
            2
        ];
        let new = NewMeeting {
            meeting: MeetingRow {
                chat_id: "m".into(),
                created_by: "k".into(),
                vertical: "hc".into(),
                host_login: true,
                short_urls: false,
                not_before: None,
                expires_at: 2,
                created_at_ms: 1,
            },
            links,
        };
        let placeholders = |sql: &str| sql.matches('$').count();
        let new = Arc::new(new);
        let at_once = insert_meetings_at_once(&[Arc::clone(&new), Arc::clone(&new)]);
        assert_eq!(placeholders(&at_once.sql), at_once.params.len());
        assert_eq!(
            at_once.params.len(),
            2 * (MEETING_COLUMN_COUNT + 2 * LINK_COLUMN_COUNT)
        );
        assert!(at_once.sql.contains(&format!("${}", at_once.params.len())));
        let links = insert_links("m", &new.links).unwrap();
        assert_eq!(placeholders(&links.sql), links.params.len());
        assert!(insert_links("m", &[]).is_none());

        assert_eq!(placeholder_rows(2, 2, 3), "($3, $4), ($5, $6)");
        let most = instant_connect::MAX_LINKS_PER_REQUEST as usize;
        for count in [1, 2, most, most + 1] {
            let sql = insert_links_sql(count);
            assert_eq!(sql, build_insert_links_sql(count));
            assert_eq!(placeholders(&sql), count * LINK_COLUMN_COUNT);
        }
    }
}
