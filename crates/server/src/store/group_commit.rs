//! Group commit: the new meetings of requests in flight, written together.
//!
//! Every new meeting goes to one writer task. The task takes all the meetings waiting (up to
//! [`MAX_BATCH`]), writes them in one transaction and answers each request once COMMIT has
//! returned, so a `201` still means the meeting is on disk. Under load one commit serves
//! several meetings: one WAL append (SQLite) or flush (PostgreSQL), and readers' page caches
//! emptied once instead of once each. How a batch is written is the database's own
//! (`store::sqlite`, `store::postgres`); what is answered when it fails is said here once.
//!
//! SQLite's WAL is copied into the database file (checkpointed, with its fsync) by a task of
//! its own every [`CHECKPOINT_EVERY`], not by the request whose commit happened to fill it.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::db::Db;
use super::error::{Failure, StoreError};
use super::inserts::NewMeeting;

/// Meetings written in one transaction at most: a batch holds the write lock for its time.
pub const MAX_BATCH: usize = 64;
/// Meetings waiting for the writer before senders wait too.
const QUEUE: usize = 1024;
/// How often SQLite's WAL is checkpointed in the background: commits since the last
/// checkpoint are what a power cut can lose (`synchronous = NORMAL`).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

struct Job {
    new: Arc<NewMeeting>,
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
            .field("chat_id", &self.new.meeting.chat_id)
            .finish_non_exhaustive()
    }
}

impl GroupCommit {
    /// Starts the writer on the current runtime.
    pub(super) fn start(db: Arc<Db>) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let counts = Arc::new(CommitCounts::default());
        let writer = Writer {
            db,
            counts: counts.clone(),
        };
        tokio::spawn(writer.write_batches(queue));
        Self { jobs, counts }
    }

    pub(super) fn counts(&self) -> Arc<CommitCounts> {
        self.counts.clone()
    }

    /// Writes a meeting and its links; `false` (and nothing written) when the chat id is taken.
    pub(super) async fn insert(&self, new: NewMeeting) -> Result<bool, StoreError> {
        let (written, answer) = oneshot::channel();
        let job = Job {
            new: Arc::new(new),
            written,
        };
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// The jobs to write now, in the order they came, and those held for the next batch: a batch
/// holds a tenant's chat id once (the later request is answered after the first's commit, with what it
/// found), and at most [`MAX_BATCH`]. A request that gave up (its client left, a deadline
/// passed) wrote nothing before and writes nothing now.
fn next_batch(waiting: Vec<Job>) -> (Vec<Job>, Vec<Job>) {
    let mut chat_ids = HashSet::with_capacity(waiting.len());
    let (mut batch, mut held) = (Vec::with_capacity(waiting.len()), Vec::new());
    for job in waiting {
        if job.written.is_closed() {
            continue;
        }
        if batch.len() < MAX_BATCH
            && chat_ids.insert((
                job.new.meeting.tenant.clone(),
                job.new.meeting.chat_id.clone(),
            ))
        {
            batch.push(job);
        } else {
            held.push(job);
        }
    }
    (batch, held)
}

/// The task's state.
struct Writer {
    db: Arc<Db>,
    counts: Arc<CommitCounts>,
}

impl Writer {
    async fn write_batches(self, mut queue: mpsc::Receiver<Job>) {
        let mut waiting: Vec<Job> = Vec::with_capacity(MAX_BATCH);
        loop {
            if waiting.is_empty() && queue.recv_many(&mut waiting, MAX_BATCH).await == 0 {
                break;
            }
            // A write in place holds this thread until COMMIT, and the sender that woke this
            // task is on it: the requests already runnable hand in their meetings first, or a
            // burst is a commit each. A write that awaits the database lets them in meanwhile.
            if self.db.writes_in_place() {
                tokio::task::yield_now().await;
            }
            while waiting.len() < MAX_BATCH
                && let Ok(job) = queue.try_recv()
            {
                waiting.push(job);
            }
            let (batch, held) = next_batch(std::mem::take(&mut waiting));
            waiting = held;
            if !batch.is_empty() {
                self.write_batch(batch).await;
            }
        }
    }

    async fn write_batch(&self, batch: Vec<Job>) {
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
                    let _ = job
                        .written
                        .send(Err(StoreError::Commit(Arc::clone(&error))));
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
    async fn write_together(&self, batch: &[Job]) -> Result<Vec<bool>, Failure> {
        let meetings = batch.iter().map(|job| Arc::clone(&job.new)).collect();
        let inserted = self.db.write_meetings(meetings).await?;
        self.counts.committed(&inserted);
        Ok(inserted)
    }
}
