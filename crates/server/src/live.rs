//! Events as they happen, for whoever watches: `GET /v1/events` and the console's live pages
//! follow a tenant's events (the same ones webhooks get) from the moment they start watching.
//!
//! Each follower reads the events table, so it hears what any process wrote. It reads a little
//! behind its newest event (an event written by a transaction that committed late has an
//! earlier time) and passes over what it already told; it stops when the service stops.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use futures_util::Stream;
use instant_connect::Clock;
use tokio::sync::watch;

use crate::domain::TenantId;
use crate::store::{EventRow, Store};

/// How often a follower looks for new events.
pub const LOOK_EVERY: Duration = Duration::from_millis(250);
/// How far behind its newest event a follower reads again, in seconds.
const LOOK_BACK: i64 = 2;
/// The most events one look reads.
const LOOK_LIMIT: u32 = 500;

/// Where followers come from: the store, the clock, and the service's stop.
#[derive(Clone)]
pub struct Live {
    store: Store,
    clock: Arc<dyn Clock>,
    stopping: watch::Receiver<bool>,
}

/// One follower's place.
struct Follower {
    live: Live,
    tenant: TenantId,
    /// Events at this time or later are read.
    since: i64,
    /// Events told, by id, with their time: kept for as long as they can be read again.
    told: HashMap<String, i64>,
    queue: VecDeque<EventRow>,
}

impl Live {
    pub fn new(store: Store, clock: Arc<dyn Clock>, stopping: watch::Receiver<bool>) -> Self {
        Self {
            store,
            clock,
            stopping,
        }
    }

    /// `tenant`'s events from now on, until the service stops. A look that fails ends the
    /// stream (the watcher connects again).
    pub fn follow(&self, tenant: TenantId) -> impl Stream<Item = EventRow> + Send + use<> {
        let follower = Follower {
            since: self.clock.now(),
            live: self.clone(),
            tenant,
            told: HashMap::new(),
            queue: VecDeque::new(),
        };
        futures_util::stream::unfold(follower, |mut follower| async move {
            loop {
                if let Some(event) = follower.queue.pop_front() {
                    return Some((event, follower));
                }
                if *follower.live.stopping.borrow() {
                    return None;
                }
                let mut stopping = follower.live.stopping.clone();
                tokio::select! {
                    () = tokio::time::sleep(LOOK_EVERY) => {}
                    _ = stopping.changed() => return None,
                }
                if let Err(error) = follower.look().await {
                    tracing::warn!(
                        error = %resilience::report(&error),
                        "a live stream could not read events; it ends"
                    );
                    return None;
                }
            }
        })
    }
}

impl Follower {
    async fn look(&mut self) -> Result<(), crate::store::StoreError> {
        let events = self
            .live
            .store
            .events_since(&self.tenant, self.since, LOOK_LIMIT)
            .await?;
        // A full look moves on to its newest second, without looking back: a burst larger
        // than a look is not read again and again.
        let full = events.len() == LOOK_LIMIT as usize;
        let newest = events.last().map(|event| event.at);
        for event in events {
            if self.told.insert(event.id.clone(), event.at).is_none() {
                self.since = self.since.max(event.at - LOOK_BACK);
                self.queue.push_back(event);
            }
        }
        if let (true, Some(newest)) = (full, newest) {
            self.since = self.since.max(newest);
        }
        let since = self.since;
        self.told.retain(|_, at| *at >= since);
        Ok(())
    }
}
