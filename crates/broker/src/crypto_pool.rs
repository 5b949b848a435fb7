//! Where the broker's key derivations run. Each is PBKDF2 at thousands of iterations, so it
//! belongs off the async threads; and at most one per core runs at a time, so a burst of
//! requests queues here instead of starting hundreds of threads that share the same cores
//! anyway (and hold their memory while they do).
//!
//! The threads are the pool's own, one per core, and take their jobs from one queue: a thread
//! that finishes a derivation starts the next one waiting at once. (A semaphore in front of
//! tokio's blocking pool left each core idle between derivations for two wake-ups in a row,
//! the waiting task's and then a blocking thread's: 8% of the machine, `BENCHMARKS.md`.)
//!
//! Derivations anyone can cause (a join page, space details without a token) run in a pool of
//! their own, one thread with a bounded queue ([`CryptoPool::for_anyone`]): a flood of forged
//! links waits there, or is turned away, never in front of a token holder's minting.

use std::future::Future;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};

use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub(crate) struct CryptoPool {
    jobs: flume::Sender<Job>,
}

/// Why a job gave no result.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CryptoFailed {
    #[error("the crypto job panicked")]
    Panicked,
    #[error("the crypto pool has stopped")]
    Stopped,
    #[error("the crypto pool's queue is full")]
    Busy,
}

impl CryptoPool {
    /// As many threads as the machine has cores.
    pub(crate) fn for_this_machine() -> Self {
        Self::with_threads(std::thread::available_parallelism().map_or(1, NonZeroUsize::get))
    }

    /// For derivations anyone can cause: one thread, and at most `queue` jobs waiting.
    pub(crate) fn for_anyone(queue: usize) -> Self {
        Self::bounded(1, queue)
    }

    /// `threads` threads, which end when the pool is dropped and the queue is empty.
    fn with_threads(threads: usize) -> Self {
        Self::spawn(threads, flume::unbounded::<Job>())
    }

    /// `threads` threads and at most `queue` jobs waiting; more are refused ([`CryptoFailed::Busy`]).
    fn bounded(threads: usize, queue: usize) -> Self {
        Self::spawn(threads, flume::bounded::<Job>(queue))
    }

    fn spawn(threads: usize, (jobs, queue): (flume::Sender<Job>, flume::Receiver<Job>)) -> Self {
        for index in 0..threads {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("icnode-crypto-{index}"))
                .spawn(move || queue.iter().for_each(|job| job()))
                .expect("the OS starts a thread");
        }
        Self { jobs }
    }

    /// Queues `work` now and returns its result when a thread has run it: several started
    /// before any is awaited run side by side. A job whose result nobody awaits any more
    /// (its client hung up) is skipped when its turn comes.
    pub(crate) fn start<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> impl Future<Output = Result<T, CryptoFailed>> + Send + 'static {
        let (done, result) = oneshot::channel();
        let job: Job = Box::new(move || {
            if done.is_closed() {
                return;
            }
            let outcome = catch_unwind(AssertUnwindSafe(work)).map_err(|_| CryptoFailed::Panicked);
            let _ = done.send(outcome);
        });
        let queued = match self.jobs.try_send(job) {
            Ok(()) => Ok(()),
            Err(flume::TrySendError::Full(_)) => Err(CryptoFailed::Busy),
            Err(flume::TrySendError::Disconnected(_)) => Err(CryptoFailed::Stopped),
        };
        async move {
            queued?;
            result.await.map_err(|_| CryptoFailed::Stopped)?
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn no_more_run_at_once_than_there_are_threads() {
        let pool = CryptoPool::with_threads(2);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let started: Vec<_> = (0..8)
            .map(|_| {
                let (running, most) = (Arc::clone(&running), Arc::clone(&most));
                pool.start(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for task in started {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_panic_fails_its_job_and_the_thread_goes_on() {
        let pool = CryptoPool::with_threads(1);
        let failed = pool.start(|| panic!("on purpose")).await;
        assert!(matches!(failed, Err(CryptoFailed::Panicked)), "{failed:?}");
        assert_eq!(pool.start(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_bounded_pool_refuses_what_its_queue_cannot_hold_and_takes_more_as_it_drains() {
        let pool = CryptoPool::bounded(1, 2);
        let (release, held) = std::sync::mpsc::channel::<()>();
        let running = pool.start(move || held.recv().unwrap());
        // The thread has taken the first job off the queue once it runs.
        while !pool.jobs.is_empty() {
            tokio::task::yield_now().await;
        }
        let waiting: Vec<_> = (0..2).map(|n| pool.start(move || n)).collect();
        let refused = pool.start(|| 99).await;
        assert!(matches!(refused, Err(CryptoFailed::Busy)), "{refused:?}");
        release.send(()).unwrap();
        running.await.unwrap();
        for (n, job) in waiting.into_iter().enumerate() {
            assert_eq!(job.await.unwrap(), n);
        }
        assert_eq!(pool.start(|| 7).await.unwrap(), 7);
    }

    #[tokio::test]
    async fn a_job_nobody_awaits_is_skipped() {
        let pool = CryptoPool::with_threads(1);
        let (release, held) = std::sync::mpsc::channel::<()>();
        let blocker = pool.start(move || held.recv().unwrap());
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&ran);
        drop(pool.start(move || counted.fetch_add(1, Ordering::SeqCst)));
        release.send(()).unwrap();
        blocker.await.unwrap();
        // The queue is first in, first out: once this runs, the dropped job had its turn.
        pool.start(|| ()).await.unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 0);
    }
}
