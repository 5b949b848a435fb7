//! What can go wrong in the store, and how a failed write of new meetings is told apart.

use std::sync::Arc;

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
    pub(super) fn is_foreign_key_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(error)) => error.is_foreign_key_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => {
                error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
            }
            _ => false,
        }
    }
}

/// Where a write of new meetings failed: before COMMIT nothing was kept; at COMMIT nobody knows.
pub(super) enum Failure {
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
