//! Where the broker's key derivations run. Each is PBKDF2 at thousands of iterations, so it
//! belongs off the async threads; and at most one per core runs at a time, so a burst of
//! requests queues here instead of starting hundreds of blocking threads that share the same
//! cores anyway (and hold their memory while they do).

use std::num::NonZeroUsize;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

pub(crate) struct CryptoPool {
    permits: Arc<Semaphore>,
}

impl CryptoPool {
    /// As many slots as the machine has cores.
    pub(crate) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
        Self {
            permits: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Waits for a free slot, then starts `work` on a blocking thread that holds the slot
    /// until `work` returns. Awaiting the handle gives its result; several started before
    /// any is awaited run side by side.
    pub(crate) async fn start<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> JoinHandle<T> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .expect("the crypto pool's semaphore is never closed");
        tokio::task::spawn_blocking(move || {
            let _slot = permit;
            work()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_run_at_once_than_there_are_slots() {
        let pool = CryptoPool {
            permits: Arc::new(Semaphore::new(2)),
        };
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut started = Vec::new();
        for _ in 0..8 {
            let (running, most) = (Arc::clone(&running), Arc::clone(&most));
            started.push(
                pool.start(move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await,
            );
        }
        for task in started {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }
}
