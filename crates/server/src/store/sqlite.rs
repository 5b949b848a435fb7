//! SQLite in the process, on rusqlite.
//!
//! Reads run where they are asked for, on the caller's thread: a read is a B-tree lookup in
//! the page cache, microseconds of CPU like any other work a handler does (a page of a listing
//! is at most 1000 rows), and in WAL mode it never waits for a writer. sqlx's SQLite driver
//! sends each statement to a thread of its connection and back instead, which cost about 60 µs
//! of CPU per point read against 4 µs here (`BENCHMARKS.md`). Idle read connections wait in a
//! small pool; each is `query_only`.
//!
//! Writes can wait: for another process's write lock (`busy_timeout`), for the disk. So every
//! write of the process goes to one writer connection, and waits on a blocking thread, never on
//! the async threads; one connection also means this process's writers never lock each other
//! out. The one exception waits for nothing: a batch of new meetings commits in place when the
//! write lock is free at once (`write_meetings`).
//!
//! An in-memory database (`--ephemeral`) has one connection for reads and writes: SQLite drops
//! it with its last connection, and shared-cache readers would meet table locks instead of WAL.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};

use super::error::{Failure, StoreError};
use super::event_rows::insert_event;
use super::inserts::insert_audit;
use super::inserts::{NewMeeting, insert_links, insert_meeting};
use super::sql::{Columns, Decode, MIGRATOR, Param, Statement};

/// How long a SQLite writer waits for another before giving up.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// WAL pages past which a committing connection checkpoints by itself: a fallback, as
/// checkpoints run in the background long before.
const FALLBACK_CHECKPOINT_PAGES: u32 = 10_000;
/// Prepared statements kept per connection: every statement of the store, with the link
/// inserts of each count a request asks for.
const STATEMENT_CACHE: usize = 64;

pub(super) struct Sqlite {
    shared: Arc<Shared>,
}

struct Shared {
    writer: Mutex<Connection>,
    readers: Readers,
}

enum Readers {
    /// Connections of their own to a file, opened as needed; at most `keep` wait idle.
    Pool {
        path: PathBuf,
        idle: Mutex<Vec<Connection>>,
        keep: usize,
    },
    /// The writer's connection, for a database in memory; `name` is its URI name.
    Writer { name: String },
}

/// A poisoned lock means a panic elsewhere while it was held; the connection itself is fine
/// (an unfinished transaction rolled back when it was dropped).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Sqlite {
    /// Opens (creating owner-only when missing) the file of a `sqlite://` URL, or a database
    /// in memory, and applies the migrations.
    pub(super) async fn open(url: &str, keep_readers: usize) -> Result<Self, StoreError> {
        let location = Location::of(url);
        let shared = tokio::task::spawn_blocking(move || Shared::open(location, keep_readers))
            .await
            .map_err(|_| StoreError::WriterStopped)??;
        let sqlite = Self {
            shared: Arc::new(shared),
        };
        sqlite.migrate().await?;
        Ok(sqlite)
    }

    /// sqlx's migrator, on a connection of its own to the same database, closed after.
    async fn migrate(&self) -> Result<(), StoreError> {
        let options = match &self.shared.readers {
            Readers::Pool { path, .. } => SqliteConnectOptions::new()
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal),
            Readers::Writer { name } => SqliteConnectOptions::new()
                .filename(name)
                .in_memory(true)
                .shared_cache(true),
        };
        let mut connection =
            SqliteConnection::connect_with(&options.busy_timeout(BUSY_TIMEOUT)).await?;
        MIGRATOR.run(&mut connection).await?;
        connection.close().await?;
        Ok(())
    }

    /// Runs `read` on a read connection, here and now.
    fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match &self.shared.readers {
            Readers::Writer { .. } => read(&lock(&self.shared.writer)),
            Readers::Pool { path, idle, keep } => {
                let taken = lock(idle).pop();
                let connection = match taken {
                    Some(connection) => connection,
                    None => open_reader(path)?,
                };
                let result = read(&connection);
                let mut idle = lock(idle);
                if idle.len() < *keep {
                    idle.push(connection);
                }
                result
            }
        }
    }

    pub(super) fn fetch<T>(
        &self,
        statement: &Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.read(|connection| decoded(connection, statement, decode))
    }

    /// A statement that writes and returns rows, on the writer's connection.
    pub(super) async fn write_fetch<T: Send + 'static>(
        &self,
        statement: Statement,
        decode: Decode<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.write(move |connection| decoded(connection, &statement, decode))
            .await?
    }

    /// The writer's connection, held by a test so that a write waits for it.
    #[cfg(test)]
    pub(super) fn hold_writer(&self) -> MutexGuard<'_, Connection> {
        lock(&self.shared.writer)
    }

    /// Runs `write` on the writer's connection on a blocking thread. It runs to its end even
    /// when the caller stops waiting: a write is never cut off halfway.
    async fn write<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut Connection) -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || write(&mut lock(&shared.writer)))
            .await
            .map_err(|_| StoreError::WriterStopped)
    }

    pub(super) async fn execute(&self, statement: Statement) -> Result<u64, StoreError> {
        self.write(move |connection| execute(connection, &statement))
            .await?
    }

    pub(super) async fn transaction(
        &self,
        statements: Vec<Statement>,
    ) -> Result<Vec<u64>, StoreError> {
        self.write(move |connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let affected = statements
                .iter()
                .map(|statement| execute(&tx, statement))
                .collect::<Result<Vec<_>, _>>()?;
            tx.commit()?;
            Ok(affected)
        })
        .await?
    }

    /// `change` and, when it changed a row, `then`, in one transaction: rows `change` changed.
    pub(super) async fn change(
        &self,
        change: Statement,
        then: Vec<Statement>,
    ) -> Result<u64, StoreError> {
        self.write(move |connection| {
            let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let changed = execute(&tx, &change)?;
            if changed > 0 {
                for statement in &then {
                    execute(&tx, statement)?;
                }
                tx.commit()?;
            }
            Ok(changed)
        })
        .await?
    }

    /// Writes a batch of new meetings in one transaction: here and now when the write lock
    /// is free at once, as a commit with `synchronous = NORMAL` appends to the WAL without an
    /// fsync, tens of microseconds, less than the hand-off to a blocking thread and back
    /// (`BENCHMARKS.md`). When another process holds the lock, or this process's writer is
    /// busy, the batch waits for it on a blocking thread instead, never on the async threads.
    pub(super) async fn write_meetings(
        &self,
        batch: Vec<Arc<NewMeeting>>,
    ) -> Result<Vec<bool>, Failure> {
        if let Ok(mut connection) = self.shared.writer.try_lock()
            && let Some(written) = insert_batch_at_once(&mut connection, &batch)
        {
            return written;
        }
        let written = self.write(move |connection| {
            let tx = connection
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|error| Failure::Statement(error.into()))?;
            insert_batch(tx, &batch)
        });
        written.await.map_err(Failure::Statement)?
    }

    /// Copies the WAL into the database file (PASSIVE: readers and the writer go on) every
    /// `every`, on a connection of its own, until the store is dropped: commits since the
    /// last checkpoint are what a power cut can lose (`synchronous = NORMAL`). Not for a
    /// database in memory.
    pub(super) fn checkpoint_in_background(&self, every: Duration) {
        let Readers::Pool { path, .. } = &self.shared.readers else {
            return;
        };
        let path = path.clone();
        let alive: Weak<Shared> = Arc::downgrade(&self.shared);
        tokio::spawn(async move {
            let mut connection: Option<Connection> = None;
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if alive.strong_count() == 0 {
                    break;
                }
                let path = path.clone();
                let ran = tokio::task::spawn_blocking(move || {
                    let result = match connection.take() {
                        Some(connection) => Ok(connection),
                        None => open_connection(&path),
                    }
                    .and_then(|connection| {
                        checkpoint(&connection, "PASSIVE")?;
                        Ok(connection)
                    });
                    match result {
                        Ok(connection) => (Some(connection), None),
                        Err(error) => (None, Some(error)),
                    }
                })
                .await;
                match ran {
                    Ok((kept, failed)) => {
                        connection = kept;
                        if let Some(error) = failed {
                            tracing::warn!(error = %resilience::report(&error), "a background checkpoint failed; commits past the fallback's pages checkpoint");
                        }
                    }
                    Err(_) => break,
                }
            }
        });
    }

    /// Folds the WAL into the file, so a stopped service leaves one file behind.
    pub(super) async fn close(&self) {
        if let Readers::Pool { .. } = &self.shared.readers {
            let folded = self
                .write(|connection| checkpoint(connection, "TRUNCATE"))
                .await;
            if let Err(error) | Ok(Err(error)) = folded {
                tracing::warn!(error = %resilience::report(&error), "the WAL was not folded into the database file at close");
            }
        }
    }
}

fn checkpoint(connection: &Connection, mode: &str) -> Result<(), StoreError> {
    // Its one row says how far it got; a checkpoint that could not finish is not an error.
    connection.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |_| Ok(()))?;
    Ok(())
}

/// Where a `sqlite:` URL points.
enum Location {
    File(PathBuf),
    Memory,
}

impl Location {
    fn of(url: &str) -> Self {
        let rest = url
            .trim_start_matches("sqlite://")
            .trim_start_matches("sqlite:");
        let (encoded, query) = rest.split_once('?').unwrap_or((rest, ""));
        if encoded == ":memory:"
            || encoded.is_empty()
            || query.split('&').any(|p| p == "mode=memory")
        {
            return Location::Memory;
        }
        // The URL's path is percent-encoded (`settings::sqlite_url_in`): any path works.
        let path = percent_encoding::percent_decode_str(encoded)
            .decode_utf8_lossy()
            .into_owned();
        Location::File(PathBuf::from(path))
    }
}

impl Shared {
    fn open(location: Location, keep: usize) -> Result<Self, StoreError> {
        match location {
            Location::File(path) => {
                create_owner_only(&path)?;
                let writer = open_connection(&path)?;
                // Readers never wait for the writer; the mode is kept in the file.
                writer.pragma_update(None, "journal_mode", "WAL")?;
                Ok(Shared {
                    writer: Mutex::new(writer),
                    readers: Readers::Pool {
                        path,
                        idle: Mutex::new(Vec::new()),
                        keep: keep.max(1),
                    },
                })
            }
            Location::Memory => {
                // Named, so that the migrator's connection (sqlx opens it by the same URI name
                // and flags) reaches the same database.
                let name = format!("file:icnode-memory-{}", uuid::Uuid::new_v4().simple());
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI
                    | OpenFlags::SQLITE_OPEN_MEMORY
                    | OpenFlags::SQLITE_OPEN_SHARED_CACHE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let writer = Connection::open_with_flags(&name, flags)?;
                configure(&writer)?;
                Ok(Shared {
                    writer: Mutex::new(writer),
                    readers: Readers::Writer { name },
                })
            }
        }
    }
}

/// The writer's (and the checkpointer's) settings. Writers wait for each other instead of
/// failing; foreign keys are off by default in SQLite. In WAL mode `NORMAL` syncs at
/// checkpoints, not at every commit: a committed meeting survives a crash of the process, and
/// a power cut can lose the last commits but never corrupts the file (an fsync per commit cost
/// 18% of throughput). Checkpoints run in the background, not in the request whose commit
/// filled the WAL: that made one in a hundred requests wait 20 ms.
fn configure(connection: &Connection) -> Result<(), StoreError> {
    wait_and_cache(connection)?;
    connection.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; \
         PRAGMA wal_autocheckpoint = {FALLBACK_CHECKPOINT_PAGES};"
    ))?;
    Ok(())
}

fn file_flags() -> OpenFlags {
    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(path, file_flags())?;
    configure(&connection)?;
    Ok(connection)
}

/// What every connection has: it waits for a lock instead of failing, and keeps its
/// prepared statements.
fn wait_and_cache(connection: &Connection) -> Result<(), StoreError> {
    connection.busy_timeout(BUSY_TIMEOUT)?;
    connection.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(())
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open_with_flags(path, file_flags())?;
    wait_and_cache(&connection)?;
    // A read connection that tried to write would be a bug here, not a second writer.
    connection.pragma_update(None, "query_only", true)?;
    Ok(connection)
}

/// The statement prepared (from this connection's cache) with its values bound. SQLite reads
/// `$1` as a name, numbered by first appearance; `?1` is the number itself.
fn prepare<'c>(
    connection: &'c Connection,
    statement: &Statement,
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut prepared = connection.prepare_cached(&numbered(&statement.sql))?;
    for (index, param) in statement.params.iter().enumerate() {
        prepared.raw_bind_parameter(index + 1, param)?;
    }
    Ok(prepared)
}

/// The statement's rows, each decoded.
fn decoded<T>(
    connection: &Connection,
    statement: &Statement,
    decode: Decode<T>,
) -> Result<Vec<T>, StoreError> {
    let mut prepared = prepare(connection, statement)?;
    let mut rows = prepared.raw_query();
    let mut decoded = Vec::new();
    while let Some(row) = rows.next()? {
        decoded.push(decode(row)?);
    }
    Ok(decoded)
}

fn execute(connection: &Connection, statement: &Statement) -> Result<u64, StoreError> {
    Ok(prepare(connection, statement)?.raw_execute()? as u64)
}

/// [`insert_batch`] if the database's write lock can be taken without waiting; `None` (and
/// nothing written) when another connection holds it.
fn insert_batch_at_once(
    connection: &mut Connection,
    batch: &[Arc<NewMeeting>],
) -> Option<Result<Vec<bool>, Failure>> {
    let statement_failed = |error: rusqlite::Error| Some(Err(Failure::Statement(error.into())));
    if let Err(error) = connection.busy_timeout(Duration::ZERO) {
        return statement_failed(error);
    }
    let written = match connection.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => Some(insert_batch(tx, batch)),
        Err(rusqlite::Error::SqliteFailure(error, _))
            if error.code == rusqlite::ErrorCode::DatabaseBusy =>
        {
            None
        }
        Err(error) => statement_failed(error),
    };
    // The lock is held for the whole transaction once taken, so nothing in it waited.
    match connection.busy_timeout(BUSY_TIMEOUT) {
        Ok(()) => written,
        Err(error) => written.or_else(|| statement_failed(error)),
    }
}

/// The batch's meetings and links in `tx`, committed: for each, whether its meeting was new.
fn insert_batch(tx: Transaction<'_>, batch: &[Arc<NewMeeting>]) -> Result<Vec<bool>, Failure> {
    let mut inserted = Vec::with_capacity(batch.len());
    for new in batch {
        let is_new = execute(&tx, &insert_meeting(&new.meeting))
            .and_then(|affected| {
                if affected == 1 {
                    if let Some(links) = insert_links(new.meeting.key(), &new.links) {
                        execute(&tx, &links)?;
                    }
                    execute(&tx, &insert_audit(&new.audit))?;
                    execute(&tx, &insert_event(&new.event))?;
                }
                Ok(affected == 1)
            })
            .map_err(Failure::Statement)?;
        inserted.push(is_new);
    }
    tx.commit()
        .map_err(|error| Failure::Commit(Arc::new(error.into())))?;
    Ok(inserted)
}

/// `$n` placeholders as `?n`. The store's SQL text has `$` nowhere else: values are bound,
/// never written into it.
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Param::Int(Some(value)) => ValueRef::Integer(*value),
            Param::Text(Some(value)) => ValueRef::Text(value.as_bytes()),
            Param::Int(None) | Param::Text(None) => ValueRef::Null,
        }))
    }
}

impl Columns for rusqlite::Row<'_> {
    fn int(&self, column: &str) -> Result<i64, StoreError> {
        Ok(self.get(column)?)
    }
    fn opt_int(&self, column: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.get(column)?)
    }
    fn text(&self, column: &str) -> Result<String, StoreError> {
        Ok(self.get(column)?)
    }
    fn opt_text(&self, column: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(column)?)
    }
}

/// Creates a missing SQLite file readable by its owner only; SQLite gives its `-wal` and
/// `-shm` files the same mode. Links are bearer credentials.
fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() || path.exists() {
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
            path: path.display().to_string(),
            source: error,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_file_percent_decoded_or_memory() {
        let file = |url| match Location::of(url) {
            Location::File(path) => Some(path),
            Location::Memory => None,
        };
        assert_eq!(
            file("sqlite:///tmp/data%20100%25%20%3F%23x/icnode.db?mode=rwc"),
            Some(PathBuf::from("/tmp/data 100% ?#x/icnode.db"))
        );
        assert_eq!(
            file("sqlite:relative.db"),
            Some(PathBuf::from("relative.db"))
        );
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://?mode=memory"), None);
        assert_eq!(file("sqlite:named?mode=memory"), None);
    }

    #[test]
    fn placeholders_are_numbered_for_sqlite() {
        assert_eq!(
            numbered("UPDATE m SET e = $1 WHERE c = $2 AND e < $1"),
            "UPDATE m SET e = ?1 WHERE c = ?2 AND e < ?1"
        );
    }
}
