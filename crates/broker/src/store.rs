//! The broker's persistent state: spaces, short links, tokens, SMS invites and joins, in
//! SQLite (a file in the data directory, or memory when there is none).

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use serde::Serialize;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{Connection, Row};

use instant_connect::{JoinRecord, JoinsPage, Movement, Role, Vertical};

use crate::data_dir::DATABASE_FILE;

/// The most rows one page of the outbox or the joins holds.
pub const MAX_PAGE: u32 = 1000;
/// Fresh short keys drawn for one link before giving up (a collision is one in 62^7).
const SHORT_KEY_ATTEMPTS: usize = 8;
/// Expired short links are kept this long, so a late visitor hears "expired", not "unknown".
const SHORT_RETENTION_SECS: i64 = 24 * 60 * 60;
/// At most this many of the short links kept past that are pruned per answer that makes new
/// ones.
const PRUNE_BATCH: u32 = 500;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not open the broker database at {path}")]
    Open {
        path: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("could not migrate the broker database")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("broker database query failed")]
    Query(#[from] sqlx::Error),
    #[error("the broker database holds a row it cannot read: {0}")]
    Corrupt(String),
    #[error("{0} colliding short keys in a row")]
    ShortKeysExhausted(usize),
}

/// An Instant Connect space: every link made with one `sub` joins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    pub sub: String,
    pub room_uuid: uuid::Uuid,
    /// The latest `exp` of the links made for it.
    pub links_expire_at: Option<i64>,
    /// The join pages of its first links; `None` before any (or for links made before the
    /// broker kept it).
    pub vertical: Option<Vertical>,
    /// Whether its first links had hosts sign in.
    pub host_login: Option<bool>,
}

impl Space {
    /// base64 of `ciscospark://us/ROOM/<uuid>`, as production writes it; clients decode it and
    /// split it at `/ROOM/`.
    pub fn space_id(&self) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .encode(format!("ciscospark://us/ROOM/{}", self.room_uuid))
    }

    /// A meeting id in Webex's form: 32 hex digits, stable per space.
    pub fn meeting_id(&self) -> String {
        self.room_uuid.simple().to_string()
    }

    /// An 11-digit meeting number starting with 2, as Webex's are, stable per space.
    pub fn meeting_number(&self) -> String {
        format!("2{:010}", self.room_uuid.as_u128() % 10_000_000_000)
    }

    /// `<meeting number>@<domain>`: the meeting's SIP address.
    pub fn sip_address(&self, domain: &str) -> String {
        format!("{}@{domain}", self.meeting_number())
    }
}

/// An SMS invite the broker accepted; kept in an outbox instead of being sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsInvite {
    pub meeting_id: String,
    pub numbers: Vec<String>,
    pub tracking_id: String,
    pub created_at: i64,
}

/// A press of a join page's Join or Leave button, to be recorded; [`Store::joins`] lists it as
/// a [`JoinRecord`] with its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJoin {
    pub jti: String,
    pub sub: String,
    pub role: Role,
    pub kind: Movement,
    /// Unix seconds.
    pub at: i64,
}

/// The links one answer made: their space (`sub`), when their tokens expire, how they open,
/// and the join-page path of each link that wants a short key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLinks<'a> {
    pub sub: &'a str,
    pub exp: i64,
    pub now: i64,
    pub vertical: Vertical,
    pub host_login: bool,
    pub shorts: Vec<(Role, String)>,
}

/// Rows after `cursor` (an opaque row id), at most `limit`; `next_cursor` when more follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    /// For an in-memory database, a connection outside the pool that is never used: SQLite
    /// drops a memory database with its last connection, and the pool may close its own (a
    /// request cancelled mid-query does that), which must not take the data with it.
    _keeper: Option<Arc<Mutex<SqliteConnection>>>,
}

impl Store {
    /// Opens (creating if needed) the database in `dir`, or an in-memory one if `dir` is
    /// `None`, and brings its schema up to date.
    pub async fn open(dir: Option<&Path>) -> Result<Self, StoreError> {
        let (options, path) = match dir {
            Some(dir) => {
                let path = dir.join(DATABASE_FILE);
                let options = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // As the service's store: WAL syncs at checkpoints, so a power cut (not a
                    // crash) may lose the last commits, never the file.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(std::time::Duration::from_secs(5));
                (options, path.display().to_string())
            }
            None => (
                SqliteConnectOptions::from_str("sqlite::memory:").expect("a valid SQLite URL"),
                ":memory:".to_owned(),
            ),
        };
        let mut pool_options = SqlitePoolOptions::new();
        let mut keeper = None;
        if dir.is_none() {
            // sqlx names a memory database and shares it between connections made from the
            // same options; one pool connection is enough for a test broker.
            keeper = Some(
                SqliteConnection::connect_with(&options)
                    .await
                    .map_err(|source| StoreError::Open {
                        path: path.clone(),
                        source,
                    })?,
            );
            pool_options = pool_options.max_connections(1);
        }
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path, source })?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self {
            pool,
            _keeper: keeper.map(|connection| Arc::new(Mutex::new(connection))),
        })
    }

    /// When each token (by digest) was first seen, recording `now` for new ones.
    pub async fn first_seen(&self, digests: &[[u8; 32]], now: i64) -> Result<Vec<i64>, StoreError> {
        let mut seen = Vec::with_capacity(digests.len());
        for digest in digests {
            let row = sqlx::query(
                "INSERT INTO tokens (digest, first_seen) VALUES (?, ?) \
                 ON CONFLICT (digest) DO UPDATE SET digest = excluded.digest RETURNING first_seen",
            )
            .bind(digest.as_slice())
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
            seen.push(row.get("first_seen"));
        }
        Ok(seen)
    }

    /// The space of `sub`, created on first use: the same `sub` always maps to the same space.
    pub async fn space_for(&self, sub: &str, now: i64) -> Result<Space, StoreError> {
        sqlx::query("INSERT INTO spaces (sub, room_uuid, created_at) VALUES (?, ?, ?) ON CONFLICT (sub) DO NOTHING")
            .bind(sub)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(now)
            .execute(&self.pool)
            .await?;
        self.space(sub)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("the space of `{sub}` vanished")))
    }

    /// What one answer of the link endpoint writes, in one transaction (one commit, where
    /// four autocommits cost the broker more than the rest of a request): the space's latest
    /// expiry (and how its links open, when it had no links yet) and, for short URLs, expired
    /// short links pruned and a fresh key per link.
    /// Returns the short keys, in the order of `links.shorts`.
    pub async fn record_links(
        &self,
        links: &NewLinks<'_>,
        draw_key: impl Fn() -> String,
    ) -> Result<Vec<String>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO spaces (sub, room_uuid, created_at, links_expire_at, vertical, host_login) \
             VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (sub) DO UPDATE SET links_expire_at = \
             MAX(COALESCE(links_expire_at, excluded.links_expire_at), excluded.links_expire_at), \
             vertical = COALESCE(vertical, excluded.vertical), \
             host_login = COALESCE(host_login, excluded.host_login)",
        )
        .bind(links.sub)
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(links.now)
        .bind(links.exp)
        .bind(links.vertical.as_str())
        .bind(links.host_login)
        .execute(&mut *tx)
        .await?;
        if !links.shorts.is_empty() {
            sqlx::query(
                "DELETE FROM shorts WHERE rowid IN \
                 (SELECT rowid FROM shorts WHERE expires_at < ? ORDER BY expires_at LIMIT ?)",
            )
            .bind(links.now - SHORT_RETENTION_SECS)
            .bind(PRUNE_BATCH)
            .execute(&mut *tx)
            .await?;
        }
        let mut keys = Vec::with_capacity(links.shorts.len());
        for (role, target) in &links.shorts {
            let mut stored = None;
            for _ in 0..SHORT_KEY_ATTEMPTS {
                let key = draw_key();
                let inserted = sqlx::query(
                    "INSERT INTO shorts (short, target, sub, role, expires_at, created_at) \
                     VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (short) DO NOTHING",
                )
                .bind(&key)
                .bind(target)
                .bind(links.sub)
                .bind(role.as_str())
                .bind(links.exp)
                .bind(links.now)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 1 {
                    stored = Some(key);
                    break;
                }
            }
            keys.push(stored.ok_or(StoreError::ShortKeysExhausted(SHORT_KEY_ATTEMPTS))?);
        }
        tx.commit().await?;
        Ok(keys)
    }

    pub async fn space(&self, sub: &str) -> Result<Option<Space>, StoreError> {
        let row = sqlx::query(
            "SELECT room_uuid, links_expire_at, vertical, host_login FROM spaces WHERE sub = ?",
        )
        .bind(sub)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            let text: &str = row.get("room_uuid");
            let vertical: Option<&str> = row.get("vertical");
            Ok(Space {
                sub: sub.to_owned(),
                room_uuid: uuid::Uuid::parse_str(text)
                    .map_err(|_| StoreError::Corrupt(format!("room uuid `{text}`")))?,
                links_expire_at: row.get("links_expire_at"),
                vertical: vertical
                    .map(|v| v.parse())
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(format!("{e}")))?,
                host_login: row.get("host_login"),
            })
        })
        .transpose()
    }

    /// The join-page path a short key redirects to.
    pub async fn short_target(&self, short: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT target FROM shorts WHERE short = ?")
            .bind(short)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get("target")))
    }

    /// Keeps an invite; `false` when one with the same `once` key was kept before (nothing
    /// is kept again).
    pub async fn record_invite(
        &self,
        invite: &SmsInvite,
        once: Option<&str>,
    ) -> Result<bool, StoreError> {
        let numbers = serde_json::to_string(&invite.numbers)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let kept = sqlx::query(
            "INSERT INTO sms_invites (meeting_id, numbers, tracking_id, created_at, \
             idempotency_key) VALUES (?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(&invite.meeting_id)
        .bind(numbers)
        .bind(&invite.tracking_id)
        .bind(invite.created_at)
        .bind(once)
        .execute(&self.pool)
        .await?;
        Ok(kept.rows_affected() == 1)
    }

    /// A page of invites, oldest first.
    pub async fn invites(&self, after: i64, limit: u32) -> Result<Page<SmsInvite>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, meeting_id, numbers, tracking_id, created_at FROM sms_invites \
             WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        page(rows, limit, |r| {
            let numbers: &str = r.get("numbers");
            Ok(SmsInvite {
                meeting_id: r.get("meeting_id"),
                numbers: serde_json::from_str(numbers)
                    .map_err(|_| StoreError::Corrupt(format!("invite numbers `{numbers}`")))?,
                tracking_id: r.get("tracking_id"),
                created_at: r.get("created_at"),
            })
        })
    }

    pub async fn record_join(&self, join: &NewJoin) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO joins (jti, sub, role, kind, joined_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&join.jti)
            .bind(&join.sub)
            .bind(join.role.as_str())
            .bind(join.kind.as_str())
            .bind(join.at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A page of the presses of Join and Leave buttons, oldest first.
    pub async fn joins(&self, after: i64, limit: u32) -> Result<JoinsPage, StoreError> {
        let rows = sqlx::query(
            "SELECT id, jti, sub, role, kind, joined_at FROM joins WHERE id > ? ORDER BY id LIMIT ?",
        )
        .bind(after)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?;
        let Page { items, next_cursor } = page(rows, limit, |r| {
            let role: &str = r.get("role");
            let kind: &str = r.get("kind");
            Ok(JoinRecord {
                id: r.get("id"),
                jti: r.get("jti"),
                sub: r.get("sub"),
                role: role
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("join role `{role}`")))?,
                kind: Movement::ALL
                    .into_iter()
                    .find(|movement| movement.as_str() == kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("join kind `{kind}`")))?,
                at: r.get("joined_at"),
            })
        })?;
        Ok(JoinsPage { items, next_cursor })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Turns up to `limit + 1` rows into a page: the extra row only says that more follow.
fn page<T>(
    rows: Vec<sqlx::sqlite::SqliteRow>,
    limit: u32,
    read: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<T, StoreError>,
) -> Result<Page<T>, StoreError> {
    let more = rows.len() > limit as usize;
    let shown = &rows[..rows.len().min(limit as usize)];
    let items = shown.iter().map(&read).collect::<Result<Vec<_>, _>>()?;
    let next_cursor = more
        .then(|| shown.last().map(|r| r.get::<i64, _>("id")))
        .flatten();
    Ok(Page { items, next_cursor })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request cancelled mid-query (a client that hangs up) can make the pool close its
    /// connection; an ephemeral broker's database must outlive that connection.
    #[tokio::test]
    async fn an_in_memory_database_outlives_a_closed_connection() {
        let store = Store::open(None).await.unwrap();
        let digest = [7u8; 32];
        assert_eq!(store.first_seen(&[digest], 100).await.unwrap(), [100]);
        let mut connection = store.pool.acquire().await.unwrap();
        connection.close_on_drop();
        drop(connection);
        assert_eq!(store.first_seen(&[digest], 200).await.unwrap(), [100]);
    }

    fn links<'a>(sub: &'a str, exp: i64, shorts: &[&str]) -> NewLinks<'a> {
        NewLinks {
            sub,
            exp,
            now: 100,
            vertical: Vertical::Gen,
            host_login: false,
            shorts: shorts
                .iter()
                .map(|target| (Role::Guest, (*target).to_owned()))
                .collect(),
        }
    }

    /// Keys handed out in turn, for draws that collide on purpose.
    fn keys(keys: &[&str]) -> impl Fn() -> String {
        let keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        move || keys[next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % keys.len()].clone()
    }

    #[tokio::test]
    async fn a_taken_short_key_is_drawn_again() {
        let store = Store::open(None).await.unwrap();
        let first = store
            .record_links(&links("s", 500, &["/a"]), keys(&["taken"]))
            .await
            .unwrap();
        assert_eq!(first, ["taken"]);
        let second = store
            .record_links(
                &links("s", 600, &["/b", "/c"]),
                keys(&["taken", "k1", "k2"]),
            )
            .await
            .unwrap();
        assert_eq!(second, ["k1", "k2"]);
        assert_eq!(store.short_target("taken").await.unwrap().unwrap(), "/a");
        assert_eq!(store.short_target("k2").await.unwrap().unwrap(), "/c");
        let space = store.space("s").await.unwrap().unwrap();
        assert_eq!(space.links_expire_at, Some(600));
    }

    /// A meeting opens as its first links do: later links in another style change nothing.
    #[tokio::test]
    async fn a_space_keeps_how_its_first_links_open() {
        let store = Store::open(None).await.unwrap();
        store.space_for("s", 100).await.unwrap();
        let before = store.space("s").await.unwrap().unwrap();
        assert_eq!((before.vertical, before.host_login), (None, None));
        store
            .record_links(&links("s", 500, &[]), keys(&["k"]))
            .await
            .unwrap();
        let mut other = links("s", 600, &[]);
        other.vertical = Vertical::Cc;
        other.host_login = true;
        store.record_links(&other, keys(&["k"])).await.unwrap();
        let space = store.space("s").await.unwrap().unwrap();
        assert_eq!(
            (space.vertical, space.host_login, space.links_expire_at),
            (Some(Vertical::Gen), Some(false), Some(600))
        );
    }

    /// The answer's writes are one transaction: when a short key cannot be found, neither the
    /// links before it nor the space's new expiry are kept.
    #[tokio::test]
    async fn an_answer_that_fails_writes_nothing() {
        let store = Store::open(None).await.unwrap();
        store
            .record_links(&links("s", 500, &["/a"]), keys(&["taken"]))
            .await
            .unwrap();
        let failed = store
            .record_links(&links("s", 900, &["/b", "/c"]), keys(&["fresh", "taken"]))
            .await;
        assert!(
            matches!(
                failed,
                Err(StoreError::ShortKeysExhausted(SHORT_KEY_ATTEMPTS))
            ),
            "{failed:?}"
        );
        assert_eq!(store.short_target("fresh").await.unwrap(), None);
        let space = store.space("s").await.unwrap().unwrap();
        assert_eq!(space.links_expire_at, Some(500));
    }

    #[tokio::test]
    async fn short_links_expired_past_retention_are_pruned_by_the_next_answer_with_short_links() {
        let store = Store::open(None).await.unwrap();
        store
            .record_links(&links("s", 50, &["/old"]), keys(&["old"]))
            .await
            .unwrap();
        let mut kept = links("s", 90_000, &["/kept"]);
        kept.now = 50 + SHORT_RETENTION_SECS - 1;
        store.record_links(&kept, keys(&["kept"])).await.unwrap();
        assert!(
            store.short_target("old").await.unwrap().is_some(),
            "still within retention"
        );
        let mut no_shorts = links("s", 90_000, &[]);
        no_shorts.now = 50 + SHORT_RETENTION_SECS + 1;
        store.record_links(&no_shorts, keys(&["x"])).await.unwrap();
        assert!(
            store.short_target("old").await.unwrap().is_some(),
            "no short links, no pruning"
        );
        let mut later = links("s", 90_000, &["/new"]);
        later.now = 50 + SHORT_RETENTION_SECS + 1;
        store.record_links(&later, keys(&["new"])).await.unwrap();
        assert_eq!(store.short_target("old").await.unwrap(), None);
        assert!(store.short_target("kept").await.unwrap().is_some());
    }

    /// A database from before Leave buttons: its joins stay joins once the kinds arrive.
    #[tokio::test]
    async fn joins_recorded_before_leaves_existed_read_as_joined() {
        let dir = tempfile::tempdir().unwrap();
        let older = tempfile::tempdir().unwrap();
        let migrations = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        for entry in std::fs::read_dir(&migrations).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            if name.as_str() < "0005" {
                std::fs::copy(&path, older.path().join(name)).unwrap();
            }
        }
        let options = SqliteConnectOptions::new()
            .filename(dir.path().join(DATABASE_FILE))
            .create_if_missing(true);
        let pool = SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(older.path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO joins (jti, sub, role, joined_at) VALUES ('j', 's', 'guest', 7)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        let store = Store::open(Some(dir.path())).await.unwrap();
        let page = store.joins(0, 10).await.unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(
            (page.items[0].kind, page.items[0].role, page.items[0].at),
            (Movement::Joined, Role::Guest, 7)
        );
    }

    /// A file database syncs at checkpoints, not at each commit (the service's trade, too).
    #[tokio::test]
    async fn a_file_database_is_in_wal_mode_and_syncs_at_checkpoints() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(Some(dir.path())).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!((mode.as_str(), synchronous), ("wal", 1), "1 is NORMAL");
    }
}
