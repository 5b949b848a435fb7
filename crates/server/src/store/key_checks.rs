//! Key checks of requests in flight, read together (PostgreSQL).
//!
//! Every request's API key is read from the database, so a revocation holds at once in every
//! process. On PostgreSQL each read is a round trip that costs the server about 0.13 ms of CPU
//! on the cores the service shares (`BENCHMARKS.md`), so the keys asked for while one read is
//! out go in the next read together (`WHERE id IN (...)`). Each read starts after every
//! request in it arrived, so a revocation committed before a request arrived is seen by its
//! check, as with a read of its own. The reads go over one connection the checks keep, which
//! sqlx would otherwise ping after each (`store::postgres`). SQLite reads in place for less
//! than any hand-off would cost, and does not use this.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::db::Db;
use super::error::StoreError;
use super::rows::{KEY_COLUMNS, KeyRow, key_row};
use super::sql::{Param, Statement, placeholder_rows};

/// Keys read in one statement at most.
pub const MAX_KEYS: usize = 64;
const QUEUE: usize = 1024;

type Answer = oneshot::Sender<Result<Option<KeyRow>, StoreError>>;

/// The handle requests ask through; the task ends when the last handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct KeyChecks {
    asks: mpsc::Sender<(String, Answer)>,
}

/// Keys checked and the reads that checked them, since the store was opened.
#[derive(Debug, Default)]
pub struct KeyCheckCounts {
    reads: AtomicU64,
    checks: AtomicU64,
}

impl KeyCheckCounts {
    pub(super) fn counted(&self, reads: u64, checks: u64) {
        self.reads.fetch_add(reads, Ordering::Relaxed);
        self.checks.fetch_add(checks, Ordering::Relaxed);
    }

    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }
}

impl KeyChecks {
    /// Starts the reader on the current runtime.
    pub(super) fn start(db: Arc<Db>, counts: Arc<KeyCheckCounts>) -> Self {
        Self::start_reading(counts, move |ids: Vec<String>| {
            let db = Arc::clone(&db);
            async move {
                let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
                db.fetch_keys(read_keys(&ids), key_row).await
            }
        })
    }

    /// Starts the reader with `read`, which reads the keys of the ids it is given.
    fn start_reading<Read, Reading>(counts: Arc<KeyCheckCounts>, read: Read) -> Self
    where
        Read: Fn(Vec<String>) -> Reading + Send + 'static,
        Reading: Future<Output = Result<Vec<KeyRow>, StoreError>> + Send + 'static,
    {
        let (asks, queue) = mpsc::channel(QUEUE);
        tokio::spawn(read_batches(read, counts, queue));
        Self { asks }
    }

    /// The key with this id, as the database holds it now.
    pub(super) async fn key(&self, id: &str) -> Result<Option<KeyRow>, StoreError> {
        let (answer, answered) = oneshot::channel();
        self.asks
            .send((id.to_owned(), answer))
            .await
            .map_err(|_| StoreError::KeyReaderStopped)?;
        answered.await.map_err(|_| StoreError::KeyReaderStopped)?
    }
}

/// The statement that reads `ids` (one or more): the one SQL text of a key's check.
pub(super) fn read_keys(ids: &[&str]) -> Statement {
    Statement::new(
        format!(
            "SELECT {KEY_COLUMNS} FROM api_keys k JOIN tenants t ON t.id = k.tenant_id \
             WHERE k.id IN {}",
            placeholder_rows(1, ids.len(), 1)
        ),
        ids.iter().map(|&id| Param::from(id)).collect(),
    )
}

/// Reads the keys asked for while the last read was out, together, until every handle is gone.
async fn read_batches<Read, Reading>(
    read: Read,
    counts: Arc<KeyCheckCounts>,
    mut queue: mpsc::Receiver<(String, Answer)>,
) where
    Read: Fn(Vec<String>) -> Reading,
    Reading: Future<Output = Result<Vec<KeyRow>, StoreError>>,
{
    let mut batch = Vec::with_capacity(MAX_KEYS);
    while queue.recv_many(&mut batch, MAX_KEYS).await > 0 {
        // A request that gave up needs no answer.
        batch.retain(|(_, answer)| !answer.is_closed());
        if batch.is_empty() {
            continue;
        }
        let mut ids: Vec<String> = batch.iter().map(|(id, _)| id.clone()).collect();
        ids.sort_unstable();
        ids.dedup();
        let rows = read(ids).await;
        counts.counted(1, batch.len() as u64);
        match rows {
            Ok(rows) => {
                let found: HashMap<String, KeyRow> =
                    rows.into_iter().map(|row| (row.id.clone(), row)).collect();
                for (id, answer) in batch.drain(..) {
                    let _ = answer.send(Ok(found.get(&id).cloned()));
                }
            }
            Err(error) => {
                let error = Arc::new(error);
                for (_, answer) in batch.drain(..) {
                    let _ = answer.send(Err(StoreError::Shared(Arc::clone(&error))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// The risk of reading checks together: a check asked while a read is out must not be
    /// answered by that read, which may have started before a revocation the check should see.
    #[tokio::test]
    async fn a_check_asked_while_a_read_is_out_waits_for_the_next_read() {
        let counts = Arc::new(KeyCheckCounts::default());
        let (started, first_started) = oneshot::channel::<()>();
        let (release, released) = oneshot::channel::<()>();
        let gate = Mutex::new(Some((started, released)));
        let reads = AtomicU64::new(0);
        // Read n answers each id with `revoked_at = n`; the first waits to be released.
        let checks = KeyChecks::start_reading(Arc::clone(&counts), move |ids| {
            let read = reads.fetch_add(1, Ordering::SeqCst) as i64 + 1;
            let gate = gate.lock().unwrap().take();
            async move {
                if let Some((started, released)) = gate {
                    let _ = started.send(());
                    let _ = released.await;
                }
                Ok(ids
                    .into_iter()
                    .map(|id| KeyRow {
                        name: format!("name-{id}"),
                        id,
                        digest: "d".into(),
                        created_at: 0,
                        revoked_at: Some(read),
                        tenant: crate::domain::TenantId::default_tenant(),
                        role: crate::domain::KeyRole::Viewer,
                        tenant_disabled_at: None,
                        tenant_limits: Default::default(),
                        tenant_token: None,
                    })
                    .collect())
            }
        });
        let first = tokio::spawn({
            let checks = checks.clone();
            async move { checks.key("a").await }
        });
        first_started.await.unwrap();
        let mut second = Box::pin(checks.key("b"));
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        assert!(
            second.as_mut().poll(&mut cx).is_pending(),
            "asked, and waiting"
        );
        release.send(()).unwrap();
        let first = first.await.unwrap().unwrap().unwrap();
        assert_eq!((first.id.as_str(), first.revoked_at), ("a", Some(1)));
        let second = second.await.unwrap().unwrap();
        assert_eq!((second.id.as_str(), second.revoked_at), ("b", Some(2)));
        assert_eq!((counts.reads(), counts.checks()), (2, 2));
    }
}
