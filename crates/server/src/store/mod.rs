//! The storage boundary: meetings, their links, API keys and idempotency records, in SQLite or
//! PostgreSQL. One schema and one SQL text serve both (`$n` placeholders, `ON CONFLICT`,
//! `substr`), with the order its values bind in, so nothing above this module knows the
//! dialect. Each database runs that text its own way (`store::db`): SQLite in the process
//! (`store::sqlite`, rusqlite: a read is a function call, every write goes to one writer
//! connection off the async threads), PostgreSQL over the network (`store::postgres`, sqlx).
//! Two exceptions to the shared text: a speed-up, PostgreSQL writing a batch of new meetings
//! in one statement that commits itself (`store::group_commit`); and a claim of due jobs,
//! which on PostgreSQL passes over the rows another process is claiming (`store::jobs`).
//!
//! Where things are: rows and how they are read (`rows`), the SQL of new meetings and links
//! (`inserts`), the operations by what they touch (`meetings`, `own_links`, `keys`, `tenants`,
//! `idempotency`, `audit`, `retention`, `visits`, `jobs`, `templates`), and
//! the two tasks that share the database among requests (`group_commit`, `key_checks`).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod audit;
mod db;
mod error;
mod event_rows;
mod events;
mod group_commit;
mod idempotency;
mod inserts;
mod jobs;
mod key_checks;
mod keys;
mod meetings;
mod own_links;
mod postgres;
mod presence;
mod presence_rows;
mod retention;
mod rows;
mod sql;
mod sqlite;
mod step_rows;
mod templates;
mod tenants;
mod visit_rows;
mod visits;

pub use db::{Backend, redact_url};
pub use error::StoreError;
pub use event_rows::{ClaimedDelivery, DeliveryRow, DeliveryState, EventRow, WebhookRow};
pub use group_commit::{CHECKPOINT_EVERY, CommitCounts, MAX_BATCH};
pub use key_checks::{KeyCheckCounts, MAX_KEYS};
pub use postgres::EXCLUSIVE_LOCK;
pub use presence_rows::{HostAlert, PressRow, RoomRow};
pub use rows::{AuditFilter, AuditRow, Swept};
pub use rows::{
    Claim, ClaimTimes, CodedLink, InvitesSince, KeyRow, LinkRow, MeetingCursor, MeetingRow,
    MeetingSummaryRow, OpenRow, Revoked, TenantRow,
};
pub use step_rows::VisitStep;
pub use visit_rows::{JobRow, JobState, MessageRow, NewJob, TemplateRow, VisitCursor, VisitRow};

/// What a request waits for the database on, timed by the store for whoever observes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The API key's check of every request.
    KeyCheck,
    /// A new meeting and its links, until COMMIT (with the other meetings of its batch).
    MeetingWrite,
    /// Links added to a meeting, until COMMIT.
    LinksWrite,
}

impl Wait {
    pub fn as_str(self) -> &'static str {
        match self {
            Wait::KeyCheck => "key_check",
            Wait::MeetingWrite => "meeting_write",
            Wait::LinksWrite => "links_write",
        }
    }
}

/// Told how long each [`Wait`] took (the service's metrics).
pub trait WaitObserver: Send + Sync + std::fmt::Debug {
    fn waited(&self, wait: Wait, took: Duration);
}

#[derive(Clone)]
pub struct Store {
    db: Arc<db::Db>,
    group_commit: group_commit::GroupCommit,
    /// PostgreSQL's key checks, read together; SQLite reads each in place.
    key_checks: Option<key_checks::KeyChecks>,
    key_check_counts: Arc<KeyCheckCounts>,
    waits: Option<Arc<dyn WaitObserver>>,
    /// Text sorts by code point, so a chat id prefix is a range of its index
    /// (`postgres::Postgres::orders_by_code_point`; SQLite's `BINARY` always does).
    code_point_order: bool,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.db.backend())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Connects (creating a SQLite file when missing) and applies the migrations. For SQLite,
    /// `max_connections` bounds the idle read connections kept; for PostgreSQL, the pool.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        let db = Arc::new(db::Db::open(url, max_connections).await?);
        if let db::Db::Sqlite(sqlite) = &*db {
            sqlite.checkpoint_in_background(CHECKPOINT_EVERY);
        }
        let group_commit = group_commit::GroupCommit::start(Arc::clone(&db));
        let key_check_counts = Arc::new(KeyCheckCounts::default());
        let key_checks = (db.backend() == Backend::Postgres)
            .then(|| key_checks::KeyChecks::start(Arc::clone(&db), Arc::clone(&key_check_counts)));
        let code_point_order = match &*db {
            db::Db::Sqlite(_) => true,
            db::Db::Postgres(postgres) => postgres.orders_by_code_point().await?,
        };
        if !code_point_order {
            tracing::warn!(
                "the database's collation does not order text by code point: listings by chat id \
                 prefix read every meeting (a database made with LOCALE 'C.UTF-8' reads only \
                 those it names)"
            );
        }
        Ok(Self {
            db,
            code_point_order,
            group_commit,
            key_checks,
            key_check_counts,
            waits: None,
        })
    }

    /// Tells `observer` how long each request's [`Wait`] took, from now on.
    pub fn observe_waits(mut self, observer: Arc<dyn WaitObserver>) -> Self {
        self.waits = Some(observer);
        self
    }

    /// Awaits `work`, timing it as `wait` for the observer.
    async fn timed<T>(&self, wait: Wait, work: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let done = work.await;
        if let Some(observer) = &self.waits {
            observer.waited(wait, started.elapsed());
        }
        done
    }

    /// How many key checks each read of the database has served.
    pub fn key_check_counts(&self) -> Arc<KeyCheckCounts> {
        Arc::clone(&self.key_check_counts)
    }

    /// How many meetings each commit has written.
    pub fn commit_counts(&self) -> Arc<CommitCounts> {
        self.group_commit.counts()
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// One statement through the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db
            .fetch(sql::Statement::new("SELECT 1", sql::values![]), |_| Ok(()))
            .await?;
        Ok(())
    }

    /// Closes the connections (PostgreSQL) or folds the WAL into the file (SQLite).
    pub async fn close(&self) {
        self.db.close().await;
    }
}
