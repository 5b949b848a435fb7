//! The broker's persistent state: spaces, short links, SMS invites and joins, in SQLite
//! (a file in the data directory, or memory with `--ephemeral`).

use std::path::Path;
use std::str::FromStr;

use serde::Serialize;
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

use instant_connect::Role;

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
}

/// An Instant Connect space: every link made with one `sub` joins it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    pub sub: String,
    pub room_uuid: String,
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

/// A press of a join page's Join button.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Join {
    pub jti: String,
    pub sub: String,
    pub role: Role,
    pub joined_at: i64,
}

/// A short link: where it points and until when its token is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortLink<'a> {
    pub short: &'a str,
    pub target: &'a str,
    pub sub: &'a str,
    pub role: Role,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) `broker.db` in `dir`, or an in-memory database if `dir` is
    /// `None`, and brings its schema up to date.
    pub async fn open(dir: Option<&Path>) -> Result<Self, StoreError> {
        let (options, path) = match dir {
            Some(dir) => {
                let path = dir.join("broker.db");
                let options = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(std::time::Duration::from_secs(5));
                (options, path.display().to_string())
            }
            None => (
                SqliteConnectOptions::from_str("sqlite::memory:").expect("a valid SQLite URL"),
                ":memory:".to_owned(),
            ),
        };
        let mut pool_options = SqlitePoolOptions::new();
        if dir.is_none() {
            // Each in-memory connection is its own database: keep exactly one, forever.
            pool_options = pool_options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path, source })?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    /// The space of `sub`, created on first use: the same `sub` always maps to the same space.
    pub async fn space_for(&self, sub: &str, now: i64) -> Result<Space, StoreError> {
        sqlx::query("INSERT INTO spaces (sub, room_uuid, created_at) VALUES (?, ?, ?) ON CONFLICT (sub) DO NOTHING")
            .bind(sub)
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(now)
            .execute(&self.pool)
            .await?;
        let row = sqlx::query("SELECT room_uuid FROM spaces WHERE sub = ?")
            .bind(sub)
            .fetch_one(&self.pool)
            .await?;
        Ok(Space {
            sub: sub.to_owned(),
            room_uuid: row.get("room_uuid"),
        })
    }

    pub async fn space_exists(&self, sub: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 FROM spaces WHERE sub = ?")
            .bind(sub)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Stores a short link; `false` if the key is taken (the caller draws another).
    pub async fn insert_short(&self, link: &ShortLink<'_>, now: i64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO shorts (short, target, sub, role, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?) \
             ON CONFLICT (short) DO NOTHING",
        )
        .bind(link.short)
        .bind(link.target)
        .bind(link.sub)
        .bind(link.role.as_str())
        .bind(link.expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The join-page path a short key redirects to.
    pub async fn short_target(&self, short: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT target FROM shorts WHERE short = ?")
            .bind(short)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get("target")))
    }

    pub async fn record_invite(&self, invite: &SmsInvite) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO sms_invites (meeting_id, numbers, tracking_id, created_at) VALUES (?, ?, ?, ?)")
            .bind(&invite.meeting_id)
            .bind(serde_json::to_string(&invite.numbers).expect("strings serialize"))
            .bind(&invite.tracking_id)
            .bind(invite.created_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every invite, oldest first.
    pub async fn invites(&self) -> Result<Vec<SmsInvite>, StoreError> {
        let rows = sqlx::query(
            "SELECT meeting_id, numbers, tracking_id, created_at FROM sms_invites ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| SmsInvite {
                meeting_id: r.get("meeting_id"),
                numbers: serde_json::from_str(r.get::<&str, _>("numbers")).unwrap_or_default(),
                tracking_id: r.get("tracking_id"),
                created_at: r.get("created_at"),
            })
            .collect())
    }

    pub async fn record_join(&self, join: &Join) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO joins (jti, sub, role, joined_at) VALUES (?, ?, ?, ?)")
            .bind(&join.jti)
            .bind(&join.sub)
            .bind(join.role.as_str())
            .bind(join.joined_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every join, oldest first.
    pub async fn joins(&self) -> Result<Vec<Join>, StoreError> {
        let rows = sqlx::query("SELECT jti, sub, role, joined_at FROM joins ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Join {
                jti: r.get("jti"),
                sub: r.get("sub"),
                role: if r.get::<&str, _>("role") == "host" {
                    Role::Host
                } else {
                    Role::Guest
                },
                joined_at: r.get("joined_at"),
            })
            .collect())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
