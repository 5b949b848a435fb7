//! Group commit: the new meetings of requests in flight, written together.
//!
//! Every new meeting goes to one writer task. The task takes all the meetings waiting (up to
//! [`MAX_BATCH`]), writes them in one transaction and answers each request once COMMIT has
//! returned, so a `201` still means the meeting is on disk. Under load one commit serves
//! several meetings: one WAL append (SQLite) or flush (PostgreSQL), and readers' page caches
//! emptied once instead of once each. The writer keeps its connection between batches. On
//! PostgreSQL a batch of one is a single statement that commits itself: one round trip where
//! BEGIN, two INSERTs and COMMIT took four.
//!
//! SQLite's WAL is copied into the database file (checkpointed, with its fsync) by a task of
//! its own every [`CHECKPOINT_EVERY`], not by the request whose commit happened to fill it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};

use super::{Backend, LinkRow, MeetingRow, StoreError, insert_meeting_at_once, insert_meeting_in};

/// Meetings written in one transaction at most: a batch holds the write lock for its time.
pub const MAX_BATCH: usize = 64;
/// Meetings waiting for the writer before senders wait too.
const QUEUE: usize = 1024;
/// How often SQLite's WAL is checkpointed in the background: commits since the last
/// checkpoint are what a power cut can lose (`synchronous = NORMAL`).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

struct Job {
    meeting: MeetingRow,
    links: Vec<LinkRow>,
    written: oneshot::Sender<Result<bool, StoreError>>,
}

/// The handle requests write through; the task ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct GroupCommit {
    jobs: mpsc::Sender<Job>,
    counts: Arc<CommitCounts>,
}

/// New meetings committed and the commits that wrote them, since the store was opened: their
/// ratio is how many meetings a commit serves.
#[derive(Debug, Default)]
pub struct CommitCounts {
    commits: AtomicU64,
    meetings: AtomicU64,
}

impl CommitCounts {
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    pub fn meetings(&self) -> u64 {
        self.meetings.load(Ordering::Relaxed)
    }

    fn committed(&self, inserted: &[bool]) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        let new = inserted.iter().filter(|&&new| new).count() as u64;
        self.meetings.fetch_add(new, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("chat_id", &self.meeting.chat_id)
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the writer on the current runtime. With `keep_connection` it holds one of the
    /// pool's connections between batches, whose page cache its own commits leave valid (a
    /// connection taken afresh reads again what another connection's commit changed).
    pub(super) fn start(pool: AnyPool, backend: Backend, keep_connection: bool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let counts = Arc::new(CommitCounts::default());
        let writer = Writer {
            pool,
            backend,
            kept: None,
            keep_connection,
            counts: counts.clone(),
        };
        tokio::spawn(writer.write_batches(queue));
        Self { jobs, counts }
    }

    /// Checkpoints SQLite's WAL every `every` (PASSIVE: readers and writers go on), until the
    /// last handle is dropped or the pool closed.
    pub(super) fn checkpoint_in_background(&self, pool: AnyPool, every: Duration) {
        let alive = self.jobs.downgrade();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if alive.upgrade().is_none() || pool.is_closed() {
                    break;
                }
                let checkpoint = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)");
                if let Err(error) = checkpoint.execute(&pool).await {
                    tracing::warn!(%error, "a background checkpoint failed; commits past the fallback's pages checkpoint");
                }
            }
        });
    }

    pub(super) fn counts(&self) -> Arc<CommitCounts> {
        self.counts.clone()
    }

    /// Writes a meeting and its links; `false` (and nothing written) when the chat id is taken.
    pub(super) async fn insert(
        &self,
        meeting: &MeetingRow,
        links: &[LinkRow],
    ) -> Result<bool, StoreError> {
        let (written, answer) = oneshot::channel();
        let job = Job {
            meeting: meeting.clone(),
            links: links.to_vec(),
            written,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// The task's state.
struct Writer {
    pool: AnyPool,
    backend: Backend,
    kept: Option<PoolConnection<Any>>,
    keep_connection: bool,
    counts: Arc<CommitCounts>,
}

/// Where a batch's transaction failed: before COMMIT nothing was kept, at COMMIT nobody knows.
enum Failure {
    Statement(StoreError),
    Commit(Arc<sqlx::Error>),
}

impl From<Failure> for StoreError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Statement(error) => error,
            Failure::Commit(error) => StoreError::Commit(error),
        }
    }
}

impl Writer {
    async fn write_batches(mut self, mut queue: mpsc::Receiver<Job>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
            // A request that gave up (its client left, a deadline passed) wrote nothing before
            // and writes nothing now.
            batch.retain(|job| !job.written.is_closed());
            if !batch.is_empty() {
                self.write_batch(std::mem::take(&mut batch)).await;
            }
        }
    }

    async fn write_batch(&mut self, batch: Vec<Job>) {
        match self.write_together(&batch).await {
            Ok(inserted) => {
                for (job, inserted) in batch.into_iter().zip(inserted) {
                    let _ = job.written.send(Ok(inserted));
                }
            }
            // Nothing was kept: each meeting again on its own, so one meeting's failing
            // statement fails no other.
            Err(Failure::Statement(_)) if batch.len() > 1 => {
                for job in batch {
                    let alone = self.write_together(std::slice::from_ref(&job)).await;
                    let _ = job
                        .written
                        .send(alone.map(|inserted| inserted[0]).map_err(StoreError::from));
                }
            }
            Err(Failure::Commit(error)) => {
                for job in batch {
                    let _ = job.written.send(Err(StoreError::Commit(error.clone())));
                }
            }
            // A batch of one, whose statement failed: its own error.
            Err(failure) => {
                if let Some(job) = batch.into_iter().next() {
                    let _ = job.written.send(Err(failure.into()));
                }
            }
        }
    }

    /// The batch in one transaction: for each job, whether its meeting was new.
    async fn write_together(&mut self, batch: &[Job]) -> Result<Vec<bool>, Failure> {
        let mut connection = match self.kept.take() {
            Some(connection) => connection,
            None => self
                .pool
                .acquire()
                .await
                .map_err(|error| Failure::Statement(error.into()))?,
        };
        let written = match (batch, self.backend) {
            ([job], Backend::Postgres) => {
                insert_meeting_at_once(&mut connection, &job.meeting, &job.links)
                    .await
                    .map(|new| vec![new])
                    .map_err(|error| match error {
                        // PostgreSQL refused the statement: nothing was kept.
                        sqlx::Error::Database(_) => Failure::Statement(error.into()),
                        // Committed by itself, so a lost connection leaves it unknown.
                        other => Failure::Commit(Arc::new(other)),
                    })
            }
            _ => transaction(&mut connection, batch).await,
        };
        match &written {
            Ok(inserted) => {
                self.counts.committed(inserted);
                if self.keep_connection {
                    self.kept = Some(connection);
                }
            }
            // The connection may be what failed: the pool opens another.
            Err(_) => connection.close_on_drop(),
        }
        written
    }
}

async fn transaction(
    connection: &mut PoolConnection<Any>,
    batch: &[Job],
) -> Result<Vec<bool>, Failure> {
    let mut tx = connection
        .begin()
        .await
        .map_err(|error| Failure::Statement(error.into()))?;
    let mut inserted = Vec::with_capacity(batch.len());
    for job in batch {
        inserted.push(
            insert_meeting_in(&mut tx, &job.meeting, &job.links)
                .await
                .map_err(Failure::Statement)?,
        );
    }
    tx.commit()
        .await
        .map_err(|error| Failure::Commit(Arc::new(error)))?;
    Ok(inserted)
}
