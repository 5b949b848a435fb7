//! The database a store runs its statements on: SQLite in the process or PostgreSQL over the
//! network, each running the one SQL text its own way.

use std::sync::Arc;

use super::error::{Failure, StoreError};
use super::inserts::NewMeeting;
use super::sql::{Decode, Statement};
use super::{postgres, sqlite};

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

pub(super) enum Db {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Db {
    /// Connects (creating a SQLite file when missing) and applies the migrations. For SQLite,
    /// `max_connections` bounds the idle read connections kept; for PostgreSQL, the pool.
    pub(super) async fn open(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Db::Sqlite(
                sqlite::Sqlite::open(url, max_connections as usize).await?,
            ))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Db::Postgres(
                postgres::Postgres::connect(url, max_connections).await?,
            ))
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub(super) fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes the connections (PostgreSQL) or folds the WAL into the file (SQLite).
    pub(super) async fn close(&self) {
        match self {
            Db::Sqlite(db) => db.close().await,
            Db::Postgres(db) => db.close().await,
        }
    }
}

impl Db {
    /// Whether a write of new meetings runs in place, holding its thread until COMMIT
    /// (SQLite, `store::sqlite`) rather than awaiting the database (PostgreSQL).
    pub(super) fn writes_in_place(&self) -> bool {
        matches!(self, Db::Sqlite(_))
    }

    pub(super) async fn fetch<T: Send + 'static>(
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
    pub(super) async fn fetch_keys<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Db::Postgres(db) => db.fetch_keys(&statement, decode).await,
            Db::Sqlite(_) => self.fetch(statement, decode).await,
        }
    }

    /// A statement that writes and returns rows (`UPDATE … RETURNING`): on SQLite's writer
    /// connection, as the readers may not write.
    pub(super) async fn write_fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        match self {
            Db::Sqlite(db) => db.write_fetch(statement, decode).await,
            Db::Postgres(db) => db.fetch(&statement, decode).await,
        }
    }

    /// What a `SELECT` of rows that one writer is about to claim ends with: PostgreSQL locks
    /// them and passes over those another session holds; SQLite has one writer, no such
    /// clause, and nothing to pass over.
    pub(super) fn skip_locked(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "",
            Db::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        }
    }

    pub(super) async fn fetch_optional<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.fetch(statement, decode).await?.into_iter().next())
    }

    /// Rows affected.
    pub(super) async fn execute(&self, statement: Statement) -> Result<u64, StoreError> {
        match self {
            Db::Sqlite(db) => db.execute(statement).await,
            Db::Postgres(db) => db.execute(&statement).await,
        }
    }

    /// The statements in one transaction; rows affected by each.
    pub(super) async fn transaction(
        &self,
        statements: Vec<Statement>,
    ) -> Result<Vec<u64>, StoreError> {
        match self {
            Db::Sqlite(db) => db.transaction(statements).await,
            Db::Postgres(db) => db.transaction(&statements).await,
        }
    }

    /// The statements in one transaction that one process at a time runs: on PostgreSQL it
    /// first takes a transaction-level advisory lock, and `None` (nothing run) when another
    /// session holds it; SQLite's write lock already admits one writer. Rows affected by each.
    pub(super) async fn exclusive_transaction(
        &self,
        statements: Vec<Statement>,
    ) -> Result<Option<Vec<u64>>, StoreError> {
        match self {
            Db::Sqlite(db) => db.transaction(statements).await.map(Some),
            Db::Postgres(db) => db.exclusive_transaction(&statements).await,
        }
    }

    /// A change and what follows it (its audit row), in one transaction, the rest only when
    /// the change changed a row; rows the change changed.
    pub(super) async fn change(
        &self,
        change: Statement,
        then: Vec<Statement>,
    ) -> Result<u64, StoreError> {
        match self {
            Db::Sqlite(db) => db.change(change, then).await,
            Db::Postgres(db) => db.change(&change, &then).await,
        }
    }

    /// The meetings in one transaction: for each, whether it was new.
    pub(super) async fn write_meetings(
        &self,
        batch: Vec<Arc<NewMeeting>>,
    ) -> Result<Vec<bool>, Failure> {
        match self {
            Db::Sqlite(db) => db.write_meetings(batch).await,
            Db::Postgres(db) => db.write_meetings(&batch).await,
        }
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
