//! PostgreSQL over the network, on sqlx's own PostgreSQL driver (not `Any`, whose rows and
//! arguments are converted once more on each side).

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row as _;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPool, PgPoolOptions, PgRow};

use super::error::{Failure, StoreError};
use super::inserts::{NewMeeting, insert_meetings_at_once};
use super::sql::{Columns, Decode, MIGRATOR, Param, Statement};

/// The advisory lock of work one process at a time does (retention): "icnode" in ASCII.
pub const EXCLUSIVE_LOCK: i64 = 0x6963_6e6f_6465;

pub(super) struct Postgres {
    pool: PgPool,
    /// The group commit's own connection, kept between batches.
    writer: Kept,
    /// The key checks' own connection, kept between reads.
    key_reader: Kept,
}

/// A connection one task keeps between its statements. Returned to the pool after each, sqlx
/// would ping it (`PoolConnection`'s drop): a round trip more per statement, and a wake-up of
/// the server on the cores the service shares.
#[derive(Default)]
struct Kept(tokio::sync::Mutex<Option<PoolConnection<sqlx::Postgres>>>);

type KeptGuard<'a> = tokio::sync::MutexGuard<'a, Option<PoolConnection<sqlx::Postgres>>>;

impl Kept {
    /// The kept connection, or one from the pool: the guard keeps other users out while it is
    /// used, and takes it back in [`Kept::give_back`].
    async fn take(
        &self,
        pool: &PgPool,
    ) -> Result<(KeptGuard<'_>, PoolConnection<sqlx::Postgres>), sqlx::Error> {
        let mut kept = self.0.lock().await;
        let connection = match kept.take() {
            Some(connection) => connection,
            None => pool.acquire().await?,
        };
        Ok((kept, connection))
    }

    /// Keeps `connection` for next time after a statement that succeeded; after one that
    /// failed, closes it, as it may be what failed, and the pool opens another.
    fn give_back(
        mut kept: KeptGuard<'_>,
        mut connection: PoolConnection<sqlx::Postgres>,
        succeeded: bool,
    ) {
        if succeeded {
            *kept = Some(connection);
        } else {
            connection.close_on_drop();
        }
    }

    async fn close(&self) {
        self.0.lock().await.take();
    }
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, PgArguments>;

fn bound(statement: &Statement) -> PgQuery<'_> {
    statement
        .params
        .iter()
        .fold(sqlx::query(&statement.sql), |query, param| match param {
            Param::Int(value) => query.bind(*value),
            Param::Text(value) => query.bind(value.as_deref()),
        })
}

/// Whether every migration is applied as this build has it: then the service's own role,
/// which may not create tables (`SECURITY.md`), opens the database without running the
/// migrator, which would try to.
async fn migrated(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(pool)
        .await?;
    if table.is_none() {
        return Ok(false);
    }
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await?;
    Ok(MIGRATOR.iter().all(|migration| {
        applied.iter().any(|(version, checksum)| {
            *version == migration.version && checksum[..] == migration.checksum[..]
        })
    }))
}

impl Postgres {
    pub(super) async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            // sqlx pings a connection before lending it unless told not to, a round trip per
            // use: a dead connection fails its one request (503) and is closed instead.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        if !migrated(&pool).await? {
            MIGRATOR.run(&pool).await?;
        }
        Ok(Self {
            pool,
            writer: Kept::default(),
            key_reader: Kept::default(),
        })
    }

    /// Whether the database's collation orders text by code point (`C`, `C.UTF-8`), as the
    /// prefix ranges of listings need: asked of the database itself, with pairs every
    /// linguistic collation orders the other way.
    pub(super) async fn orders_by_code_point(&self) -> Result<bool, StoreError> {
        let ordered: bool = sqlx::query_scalar(
            "SELECT ('a9' < 'a:') AND ('B' < 'a') AND ('Z' < '_') AND ('z' < 'é')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(ordered)
    }

    pub(super) async fn close(&self) {
        self.writer.close().await;
        self.key_reader.close().await;
        self.pool.close().await;
    }

    pub(super) async fn fetch<T>(
        &self,
        statement: &Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        let rows = bound(statement).fetch_all(&self.pool).await?;
        rows.iter().map(|row| decode(row)).collect()
    }

    /// [`Postgres::fetch`] on the key checks' kept connection.
    pub(super) async fn fetch_keys<T>(
        &self,
        statement: &Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        let (kept, mut connection) = self.key_reader.take(&self.pool).await?;
        let rows = bound(statement).fetch_all(&mut *connection).await;
        Kept::give_back(kept, connection, rows.is_ok());
        rows?.iter().map(|row| decode(row)).collect()
    }

    pub(super) async fn execute(&self, statement: &Statement) -> Result<u64, StoreError> {
        Ok(bound(statement).execute(&self.pool).await?.rows_affected())
    }

    pub(super) async fn transaction(
        &self,
        statements: &[Statement],
    ) -> Result<Vec<u64>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut affected = Vec::with_capacity(statements.len());
        for statement in statements {
            affected.push(bound(statement).execute(&mut *tx).await?.rows_affected());
        }
        tx.commit().await?;
        Ok(affected)
    }

    /// [`Postgres::transaction`] under [`EXCLUSIVE_LOCK`]; `None` when another session holds it.
    pub(super) async fn exclusive_transaction(
        &self,
        statements: &[Statement],
    ) -> Result<Option<Vec<u64>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1)")
            .bind(EXCLUSIVE_LOCK)
            .fetch_one(&mut *tx)
            .await?;
        if !locked {
            return Ok(None);
        }
        let mut affected = Vec::with_capacity(statements.len());
        for statement in statements {
            affected.push(bound(statement).execute(&mut *tx).await?.rows_affected());
        }
        tx.commit().await?;
        Ok(Some(affected))
    }

    /// `change` and, when it changed a row, `then`, in one transaction: rows `change` changed.
    pub(super) async fn change(
        &self,
        change: &Statement,
        then: &[Statement],
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        let changed = bound(change).execute(&mut *tx).await?.rows_affected();
        if changed > 0 {
            for statement in then {
                bound(statement).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        }
        Ok(changed)
    }

    /// The batch in one statement that commits itself.
    pub(super) async fn write_meetings(
        &self,
        batch: &[Arc<NewMeeting>],
    ) -> Result<Vec<bool>, Failure> {
        let (kept, mut connection) = self
            .writer
            .take(&self.pool)
            .await
            .map_err(|error| Failure::Statement(error.into()))?;
        let statement = insert_meetings_at_once(batch);
        let written = match bound(&statement).fetch_all(&mut *connection).await {
            Ok(rows) => rows
                .iter()
                .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)))
                .collect::<Result<HashSet<_>, sqlx::Error>>()
                .map(|new| {
                    batch
                        .iter()
                        .map(|m| {
                            new.contains(&(
                                m.meeting.tenant.as_str().to_owned(),
                                m.meeting.chat_id.as_str().to_owned(),
                            ))
                        })
                        .collect()
                })
                .map_err(|error| Failure::Commit(Arc::new(error.into()))),
            // PostgreSQL refused the statement: nothing was kept.
            Err(error @ sqlx::Error::Database(_)) => Err(Failure::Statement(error.into())),
            // Committed by itself, so a lost connection leaves it unknown.
            Err(other) => Err(Failure::Commit(Arc::new(other.into()))),
        };
        Kept::give_back(kept, connection, written.is_ok());
        written
    }
}

impl Columns for PgRow {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.try_get(column)?)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get(column)?)
    }
    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.try_get(column)?)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get(column)?)
    }
}
