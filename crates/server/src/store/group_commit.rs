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
pub(super) const MAX_BATCH: usize = 64;
/// Meetings waiting for the writer before senders wait too.
const QUEUE: usize = 1024;
/// How often SQLite's WAL is checkpointed in the background: commits since the last
/// checkpoint are what a power cut can lose (`synchronous = NORMAL`).
pub(super) const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

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

#[cfg(test)]
mod tests {
    //! On a current-thread runtime the writer runs only when the test awaits, so what is sent
    //! together is written together: batches here are exact.

    use std::task::{Context, Waker};

    use super::MAX_BATCH;
    use crate::store::{LinkRow, MeetingRow, Store};

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::settings::sqlite_url_in(dir.path());
        (dir, Store::connect(&url, 4).await.unwrap())
    }

    fn meeting(chat_id: &str) -> MeetingRow {
        MeetingRow {
            chat_id: chat_id.to_owned(),
            created_by: "test".into(),
            vertical: "hc".into(),
            host_login: true,
            short_urls: false,
            not_before: None,
            expires_at: 2_000_000_000,
            created_at_ms: 1_000,
        }
    }

    fn link(id: &str, position: i64) -> LinkRow {
        LinkRow {
            id: id.to_owned(),
            role: if position == 0 { "host" } else { "guest" }.into(),
            issued_at_ms: 1_000,
            position,
            cipher: format!("cipher-{id}"),
            short: None,
            short_url: None,
            long_url: format!("https://join.example/{id}"),
            not_before: None,
            expires_at: 2_000_000_000,
        }
    }

    fn links_of(chat_id: &str) -> Vec<LinkRow> {
        vec![
            link(&format!("{chat_id}-h"), 0),
            link(&format!("{chat_id}-g"), 1),
        ]
    }

    #[tokio::test]
    async fn meetings_sent_together_share_one_commit_and_keep_their_own_answers() {
        let (_dir, store) = store().await;
        assert!(
            store
                .insert_meeting(&meeting("taken"), &links_of("taken"))
                .await
                .unwrap()
        );
        let counts = store.commit_counts();
        assert_eq!((counts.commits(), counts.meetings()), (1, 1));

        let rows = [
            (meeting("a"), links_of("a")),
            (meeting("taken"), vec![link("taken-again", 0)]),
            (meeting("c"), links_of("c")),
        ];
        let (a, b, c) = tokio::join!(
            store.insert_meeting(&rows[0].0, &rows[0].1),
            store.insert_meeting(&rows[1].0, &rows[1].1),
            store.insert_meeting(&rows[2].0, &rows[2].1),
        );
        assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (true, false, true));
        assert_eq!((counts.commits(), counts.meetings()), (2, 3));
        for chat_id in ["a", "c", "taken"] {
            assert!(store.meeting(chat_id).await.unwrap().is_some(), "{chat_id}");
            let ids: Vec<String> = store
                .links(chat_id)
                .await
                .unwrap()
                .into_iter()
                .map(|l| l.id)
                .collect();
            assert_eq!(ids, [format!("{chat_id}-h"), format!("{chat_id}-g")]);
        }
    }

    #[tokio::test]
    async fn a_failing_meeting_in_a_batch_fails_no_other() {
        let (_dir, store) = store().await;
        assert!(
            store
                .insert_meeting(&meeting("first"), &links_of("first"))
                .await
                .unwrap()
        );
        // A link id that is taken: the batch's transaction fails at that statement.
        let rows = [
            (meeting("clash"), vec![link("first-h", 0)]),
            (meeting("fine"), links_of("fine")),
        ];
        let (clash, fine) = tokio::join!(
            store.insert_meeting(&rows[0].0, &rows[0].1),
            store.insert_meeting(&rows[1].0, &rows[1].1),
        );
        assert!(clash.is_err());
        assert!(fine.unwrap());
        assert!(store.meeting("clash").await.unwrap().is_none());
        assert_eq!(store.links("fine").await.unwrap().len(), 2);
        assert_eq!(store.links("first").await.unwrap().len(), 2);
        assert_eq!(store.commit_counts().meetings(), 2);
    }

    #[tokio::test]
    async fn a_request_that_gave_up_before_its_batch_writes_nothing() {
        let (_dir, store) = store().await;
        let (gone, gone_links) = (meeting("gone"), links_of("gone"));
        {
            // Sent, then dropped before the writer ran: a client that hung up.
            let mut write = Box::pin(store.insert_meeting(&gone, &gone_links));
            let mut cx = Context::from_waker(Waker::noop());
            assert!(write.as_mut().poll(&mut cx).is_pending());
        }
        assert!(
            store
                .insert_meeting(&meeting("kept"), &links_of("kept"))
                .await
                .unwrap()
        );
        assert!(store.meeting("gone").await.unwrap().is_none());
        assert!(store.links("gone").await.unwrap().is_empty());
        assert!(store.meeting("kept").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn the_wal_reaches_the_database_file_in_the_background() {
        let (dir, store) = store().await;
        let file = dir.path().join(crate::settings::DATABASE_FILE);
        let size = || std::fs::metadata(&file).unwrap().len();
        let before = size();
        for i in 0..20 {
            let (row, links) = (meeting(&format!("w{i}")), links_of(&format!("w{i}")));
            assert!(store.insert_meeting(&row, &links).await.unwrap());
        }
        // Far fewer pages than SQLite's own checkpoint waits for: only the background one
        // copies them into the file.
        let deadline = tokio::time::Instant::now() + 20 * super::CHECKPOINT_EVERY;
        while size() == before && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(super::CHECKPOINT_EVERY / 5).await;
        }
        assert!(
            size() > before,
            "the database file stayed at {before} bytes"
        );
    }

    #[tokio::test]
    async fn a_crowd_is_cut_into_batches_of_at_most_max_batch() {
        let (_dir, store) = store().await;
        let crowd = 2 * MAX_BATCH + 3;
        let meetings: Vec<(MeetingRow, Vec<LinkRow>)> = (0..crowd)
            .map(|i| (meeting(&format!("m{i}")), links_of(&format!("m{i}"))))
            .collect();
        let mut writes = tokio::task::JoinSet::new();
        for (meeting, links) in meetings {
            let store = store.clone();
            writes.spawn(async move { store.insert_meeting(&meeting, &links).await });
        }
        while let Some(written) = writes.join_next().await {
            assert!(written.unwrap().unwrap());
        }
        let counts = store.commit_counts();
        assert_eq!(counts.meetings(), crowd as u64);
        assert_eq!(counts.commits(), crowd.div_ceil(MAX_BATCH) as u64);
        assert_eq!(
            store.meetings_page("m", None, 1000).await.unwrap().len(),
            crowd
        );
    }
}
