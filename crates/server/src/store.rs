//! The storage boundary: meetings, their links, API keys and idempotency records, in SQLite or
//! PostgreSQL. One schema and one SQL text serve both (sqlx's `Any` driver; `$n` placeholders,
//! `ON CONFLICT`, `substr`), so nothing above this module knows the dialect. The one exception
//! is a speed-up beside the shared text: PostgreSQL writes a lone new meeting in one statement
//! (`store::group_commit`).

use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod group_commit;

pub use group_commit::{CHECKPOINT_EVERY, CommitCounts, MAX_BATCH};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyConnection, AnyPool, Connection, Executor, Row};

/// The migrations, embedded: the same files for both databases.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a SQLite writer waits for another before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
/// WAL pages past which a committing connection checkpoints by itself: a fallback, as
/// checkpoints run in the background (`store::group_commit`) long before.
const SQLITE_FALLBACK_CHECKPOINT_PAGES: u32 = 10_000;

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
    /// COMMIT failed, perhaps after the database kept the data: nobody can say which.
    #[error("the database failed during COMMIT")]
    Commit(#[source] Arc<sqlx::Error>),
    #[error("the meeting writer has stopped")]
    WriterStopped,
    #[error("the database schema could not be brought up to date")]
    Migrate(#[from] sqlx::migrate::MigrateError),
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

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    meetings: group_commit::GroupCommit,
    /// For an in-memory database, a connection outside the pool that is never used: SQLite
    /// drops a memory database with its last connection, and the pool may close its own (a
    /// request cancelled mid-query does that), which must not take the data with it.
    _keeper: Option<Arc<Mutex<AnyConnection>>>,
}

impl Store {
    /// Connects (creating a SQLite file when missing) and applies the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        // Writers to a shared in-memory database lock each other out: one connection.
        let max_connections = if in_memory { 1 } else { max_connections };
        if backend == Backend::Sqlite && !in_memory {
            create_owner_only(url)?;
        }
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !in_memory => {
                let joiner = if url.contains('?') { '&' } else { '?' };
                format!("{url}{joiner}mode=rwc")
            }
            // `Any` parses the URL again for each connection, and sqlx gives each parse of
            // `:memory:` a database of its own: name one, so that the keeper shares it.
            Backend::Sqlite if url.contains(":memory:") => {
                format!(
                    "sqlite:file:icnode-memory-{}?mode=memory",
                    uuid::Uuid::new_v4()
                )
            }
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let keeper = if in_memory {
            let connection = AnyConnection::connect_with(&options).await?;
            Some(Arc::new(Mutex::new(connection)))
        } else {
            None
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .test_before_acquire(false)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // Writers from several connections wait for each other instead of failing;
                        // foreign keys are off by default in SQLite. In WAL mode `NORMAL` syncs
                        // at checkpoints, not at every commit: a committed meeting survives a
                        // crash of the process, and a power cut can lose the last commits but
                        // never corrupts the file. An fsync per commit cost 18% of throughput.
                        // Checkpoints (and their fsync) run in the background, not in the
                        // request whose commit filled the WAL: that made one in a hundred
                        // requests wait 20 ms.
                        conn.execute(
                            format!(
                                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
                                 PRAGMA wal_autocheckpoint = {SQLITE_FALLBACK_CHECKPOINT_PAGES};"
                            )
                            .as_str(),
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if backend == Backend::Sqlite && !in_memory {
            // Readers never wait for the writer; the mode is kept in the file.
            pool.execute("PRAGMA journal_mode = WAL").await?;
        }
        MIGRATOR.run(&pool).await?;
        let meetings = group_commit::GroupCommit::start(pool.clone(), backend, !in_memory);
        if backend == Backend::Sqlite && !in_memory {
            meetings.checkpoint_in_background(pool.clone(), group_commit::CHECKPOINT_EVERY);
        }
        Ok(Self {
            meetings,
            pool,
            backend,
            _keeper: keeper,
        })
    }

    /// How many meetings each commit has written.
    pub fn commit_counts(&self) -> Arc<CommitCounts> {
        self.meetings.counts()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub async fn meeting_exists(&self, chat_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM meetings WHERE chat_id = $1")
            .bind(chat_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Writes a meeting and its links, with the other new meetings of the moment, in one
    /// transaction (`store::group_commit`); `false` (and nothing written) when the chat id is
    /// taken.
    pub async fn insert_meeting(
        &self,
        meeting: &MeetingRow,
        links: &[LinkRow],
    ) -> Result<bool, StoreError> {
        self.meetings.insert(meeting, links).await
    }

    /// Adds links to a meeting in one transaction, and moves the meeting's expiry to the
    /// latest of its links'; `false` (and nothing written) when the meeting does not exist.
    /// The foreign key is the check: a read before the writes would make SQLite refuse the
    /// transaction when another writer commits in between.
    pub async fn add_links(&self, chat_id: &str, links: &[LinkRow]) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        match insert_links(&mut tx, chat_id, links).await {
            Ok(()) => {}
            Err(StoreError::Database(sqlx::Error::Database(error)))
                if error.is_foreign_key_violation() =>
            {
                return Ok(false);
            }
            Err(other) => return Err(other),
        }
        if let Some(latest) = links.iter().map(|l| l.expires_at).max() {
            sqlx::query(
                "UPDATE meetings SET expires_at = $1 WHERE chat_id = $2 AND expires_at < $1",
            )
            .bind(latest)
            .bind(chat_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    pub async fn meeting(&self, chat_id: &str) -> Result<Option<MeetingRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE chat_id = $1"
        ))
        .bind(chat_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(meeting_row).transpose()
    }

    /// Every link of a meeting, in the order they were issued.
    pub async fn links(&self, chat_id: &str) -> Result<Vec<LinkRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, role, issued_at_ms, position, cipher, short, short_url, long_url, \
             not_before, expires_at FROM links WHERE chat_id = $1 \
             ORDER BY issued_at_ms, position, id",
        )
        .bind(chat_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(LinkRow {
                    id: row.try_get("id")?,
                    role: row.try_get("role")?,
                    issued_at_ms: row.try_get("issued_at_ms")?,
                    position: row.try_get("position")?,
                    cipher: row.try_get("cipher")?,
                    short: row.try_get("short")?,
                    short_url: row.try_get("short_url")?,
                    long_url: row.try_get("long_url")?,
                    not_before: row.try_get("not_before")?,
                    expires_at: row.try_get("expires_at")?,
                })
            })
            .collect()
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
        let rows = sqlx::query(&format!(
            "SELECT {MEETING_COLUMNS}, \
             (SELECT COUNT(*) FROM links l WHERE l.chat_id = m.chat_id AND l.role = 'host') AS hosts, \
             (SELECT COUNT(*) FROM links l WHERE l.chat_id = m.chat_id AND l.role = 'guest') AS guests \
             FROM meetings m \
             WHERE substr(m.chat_id, 1, CAST($1 AS INTEGER)) = $2 \
             AND (m.created_at_ms < $3 OR (m.created_at_ms = $3 AND m.chat_id < $4)) \
             ORDER BY m.created_at_ms DESC, m.chat_id DESC LIMIT $5"
        ))
        .bind(prefix.chars().count() as i64)
        .bind(prefix)
        .bind(before_ms)
        .bind(before_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MeetingSummaryRow {
                    meeting: meeting_row(row)?,
                    hosts: row.try_get("hosts")?,
                    guests: row.try_get("guests")?,
                })
            })
            .collect()
    }

    /// `false` when a key with that name exists (revoked or not).
    pub async fn insert_key(&self, key: &KeyRow) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "INSERT INTO api_keys (id, name, digest, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, NULL) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&key.id)
        .bind(&key.name)
        .bind(&key.digest)
        .bind(key.created_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn key(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        let row = sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(key_row).transpose()
    }

    pub async fn keys(&self) -> Result<Vec<KeyRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, name"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(key_row).collect()
    }

    pub async fn revoke_key(&self, name: &str, at: i64) -> Result<Revoked, StoreError> {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(name)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(Revoked::Now);
        }
        let row = sqlx::query("SELECT revoked_at FROM api_keys WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Revoked::Already(
                row.try_get::<Option<i64>, _>("revoked_at")?.unwrap_or(at),
            )),
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
        let inserted = sqlx::query(
            "INSERT INTO idempotency (owner, idem_key, request_digest, status, body, created_at, \
             claim) VALUES ($1, $2, $3, NULL, NULL, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(owner)
        .bind(key)
        .bind(request_digest)
        .bind(now)
        .bind(&token)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1;
        if inserted {
            return Ok(Claim::Claimed(token));
        }
        let Some(row) = sqlx::query(
            "SELECT request_digest, status, body, created_at FROM idempotency \
             WHERE owner = $1 AND idem_key = $2",
        )
        .bind(owner)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        else {
            // Released between our insert and our read: try once more.
            return Box::pin(self.claim(owner, key, request_digest, now, stale_before)).await;
        };
        let stored: String = row.try_get("request_digest")?;
        if stored != request_digest {
            return Ok(Claim::OtherRequest);
        }
        let status: Option<i64> = row.try_get("status")?;
        let body: Option<String> = row.try_get("body")?;
        let created_at: i64 = row.try_get("created_at")?;
        match (status, body) {
            (Some(status), Some(body)) => Ok(Claim::Done {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }),
            _ if created_at < stale_before => {
                let taken = sqlx::query(
                    "UPDATE idempotency SET created_at = $1, claim = $2 WHERE owner = $3 \
                     AND idem_key = $4 AND status IS NULL AND created_at = $5",
                )
                .bind(now)
                .bind(&token)
                .bind(owner)
                .bind(key)
                .bind(created_at)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1;
                Ok(if taken {
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
        sqlx::query(
            "UPDATE idempotency SET status = $1, body = $2 WHERE owner = $3 AND idem_key = $4 \
             AND claim = $5 AND status IS NULL",
        )
        .bind(i64::from(status))
        .bind(body)
        .bind(owner)
        .bind(key)
        .bind(claim)
        .execute(&self.pool)
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
        sqlx::query(
            "DELETE FROM idempotency WHERE owner = $1 AND idem_key = $2 AND claim = $3 \
             AND status IS NULL",
        )
        .bind(owner)
        .bind(key)
        .bind(claim)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

const MEETING_COLUMNS: &str = "chat_id, created_by, vertical, host_login, short_urls, \
                               not_before, expires_at, created_at_ms";
const KEY_COLUMNS: &str = "id, name, digest, created_at, revoked_at";

const INSERT_MEETING: &str = "INSERT INTO meetings (chat_id, created_by, vertical, host_login, \
     short_urls, not_before, expires_at, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (chat_id) DO NOTHING";
const MEETING_INSERT_COLUMNS: usize = 8;
const LINK_COLUMNS: &str = "id, chat_id, role, issued_at_ms, position, cipher, short, short_url, \
                            long_url, not_before, expires_at";
const LINK_COLUMN_COUNT: usize = 11;

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_meeting<'q>(query: AnyQuery<'q>, meeting: &'q MeetingRow) -> AnyQuery<'q> {
    query
        .bind(&meeting.chat_id)
        .bind(&meeting.created_by)
        .bind(&meeting.vertical)
        .bind(i64::from(meeting.host_login))
        .bind(i64::from(meeting.short_urls))
        .bind(meeting.not_before)
        .bind(meeting.expires_at)
        .bind(meeting.created_at_ms)
}

/// `($first, ...), (...)`: a row of placeholders for each link, in [`LINK_COLUMNS`] order.
/// One statement for all of a meeting's links: a round trip per link was most of the
/// service's time in the database.
fn link_rows(links: usize, first: usize) -> String {
    (0..links)
        .map(|row| {
            let placeholders: Vec<String> = (0..LINK_COLUMN_COUNT)
                .map(|column| format!("${}", first + row * LINK_COLUMN_COUNT + column))
                .collect();
            format!("({})", placeholders.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn bind_links<'q>(mut query: AnyQuery<'q>, chat_id: &'q str, links: &'q [LinkRow]) -> AnyQuery<'q> {
    for link in links {
        query = query
            .bind(&link.id)
            .bind(chat_id)
            .bind(&link.role)
            .bind(link.issued_at_ms)
            .bind(link.position)
            .bind(&link.cipher)
            .bind(&link.short)
            .bind(&link.short_url)
            .bind(&link.long_url)
            .bind(link.not_before)
            .bind(link.expires_at);
    }
    query
}

/// A meeting and its links within `tx`; `false` (and nothing written) when the chat id is taken.
async fn insert_meeting_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    meeting: &MeetingRow,
    links: &[LinkRow],
) -> Result<bool, StoreError> {
    let inserted = bind_meeting(sqlx::query(INSERT_MEETING), meeting)
        .execute(&mut **tx)
        .await?
        .rows_affected()
        == 1;
    if inserted {
        insert_links(tx, &meeting.chat_id, links).await?;
    }
    Ok(inserted)
}

/// A meeting and its links in one statement that PostgreSQL commits by itself: one round trip
/// where a transaction takes four (SQLite cannot insert from a `WITH` clause). The links are
/// inserted only beside a new meeting; the answer is whether the meeting was new.
async fn insert_meeting_at_once(
    connection: &mut AnyConnection,
    meeting: &MeetingRow,
    links: &[LinkRow],
) -> Result<bool, sqlx::Error> {
    let mut sql = format!("WITH meeting AS ({INSERT_MEETING} RETURNING chat_id)");
    if !links.is_empty() {
        sql.push_str(&format!(
            ", link AS (INSERT INTO links ({LINK_COLUMNS}) SELECT v.* FROM meeting, (VALUES {}) \
             AS v ({LINK_COLUMNS}))",
            link_rows(links.len(), MEETING_INSERT_COLUMNS + 1)
        ));
    }
    sql.push_str(" SELECT count(*) AS inserted FROM meeting");
    let query = bind_links(
        bind_meeting(sqlx::query(&sql), meeting),
        &meeting.chat_id,
        links,
    );
    let row = query.fetch_one(&mut *connection).await?;
    Ok(row.try_get::<i64, _>("inserted")? == 1)
}

async fn insert_links(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    chat_id: &str,
    links: &[LinkRow],
) -> Result<(), StoreError> {
    if links.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO links ({LINK_COLUMNS}) VALUES {}",
        link_rows(links.len(), 1)
    );
    bind_links(sqlx::query(&sql), chat_id, links)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn meeting_row(row: &AnyRow) -> Result<MeetingRow, StoreError> {
    Ok(MeetingRow {
        chat_id: row.try_get("chat_id")?,
        created_by: row.try_get("created_by")?,
        vertical: row.try_get("vertical")?,
        host_login: row.try_get::<i64, _>("host_login")? != 0,
        short_urls: row.try_get::<i64, _>("short_urls")? != 0,
        not_before: row.try_get("not_before")?,
        expires_at: row.try_get("expires_at")?,
        created_at_ms: row.try_get("created_at_ms")?,
    })
}

fn key_row(row: &AnyRow) -> Result<KeyRow, StoreError> {
    Ok(KeyRow {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        digest: row.try_get("digest")?,
        created_at: row.try_get("created_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Creates a missing SQLite file readable by its owner only; SQLite gives its `-wal` and
/// `-shm` files the same mode. Links are bearer credentials.
fn create_owner_only(url: &str) -> Result<(), StoreError> {
    let encoded = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    // sqlx reads the path percent-decoded; so must we, to create the same file.
    let path = percent_encoding::percent_decode_str(encoded)
        .decode_utf8_lossy()
        .into_owned();
    let path = path.as_str();
    if path.is_empty() || std::path::Path::new(path).exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(StoreError::File {
            path: path.to_owned(),
            source: error,
        }),
    }
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

    /// A request cancelled mid-query (a client that hangs up) can make the pool close its
    /// connection; an in-memory database must outlive that connection.
    #[tokio::test]
    async fn an_in_memory_database_outlives_a_closed_connection() {
        let store = Store::connect(crate::settings::IN_MEMORY_DATABASE, 5)
            .await
            .unwrap();
        let key = KeyRow {
            id: "k1".into(),
            name: "kept".into(),
            digest: "d".into(),
            created_at: 1,
            revoked_at: None,
        };
        assert!(store.insert_key(&key).await.unwrap());
        let mut connection = store.pool.acquire().await.unwrap();
        connection.close_on_drop();
        drop(connection);
        assert_eq!(store.key("k1").await.unwrap(), Some(key));
    }

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
}
