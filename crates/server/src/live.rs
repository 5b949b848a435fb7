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

/// One follower: where it reads from, and what it has yet to tell.
struct Follower {
    live: Live,
    tenant: TenantId,
    place: Place,
    queue: VecDeque<EventRow>,
}

/// Where a follower is: the time it reads from, and what it told that it may read again.
#[derive(Debug, Default)]
struct Place {
    /// Events at this time or later are read.
    since: i64,
    /// Events told, by id, with their time: kept for as long as they can be read again.
    told: HashMap<String, i64>,
}

impl Place {
    /// Of the events one look read (`limit` at most, oldest first), those not told before;
    /// the place moved on to a little behind the newest of them, or to the newest itself when
    /// the look was full (a burst larger than a look is not read again and again).
    fn take(&mut self, events: Vec<EventRow>, limit: usize) -> Vec<EventRow> {
        let full = events.len() == limit;
        let newest = events.last().map(|event| event.at);
        let mut new = Vec::new();
        for event in events {
            if self.told.insert(event.id.clone(), event.at).is_none() {
                self.since = self.since.max(event.at - LOOK_BACK);
                new.push(event);
            }
        }
        if let (true, Some(newest)) = (full, newest) {
            self.since = self.since.max(newest);
        }
        let since = self.since;
        self.told.retain(|_, at| *at >= since);
        new
    }
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
            place: Place {
                since: self.clock.now(),
                told: HashMap::new(),
            },
            live: self.clone(),
            tenant,
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
            .events_since(&self.tenant, self.place.since, LOOK_LIMIT)
            .await?;
        let new = self.place.take(events, LOOK_LIMIT as usize);
        self.queue.extend(new);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventType, TenantId};

    fn event(id: &str, at: i64) -> EventRow {
        EventRow {
            id: id.to_owned(),
            tenant: TenantId::default_tenant(),
            event: EventType::LinkOpened,
            chat_id: None,
            payload: "{}".to_owned(),
            at,
        }
    }

    fn ids(events: &[EventRow]) -> Vec<&str> {
        events.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn a_place_reads_a_little_behind_its_newest_event_and_tells_each_once() {
        let mut place = Place {
            since: 100,
            ..Place::default()
        };
        let told = place.take(vec![event("a", 100), event("b", 105)], 10);
        assert_eq!(ids(&told), ["a", "b"]);
        assert_eq!(
            place.since,
            105 - LOOK_BACK,
            "behind the newest, for late commits"
        );
        // Read again with one that committed late, earlier than the newest: only it is new.
        let told = place.take(vec![event("late", 104), event("b", 105)], 10);
        assert_eq!(ids(&told), ["late"]);
        // What can no longer be read again is forgotten.
        assert!(!place.told.contains_key("a"), "{:?}", place.told);
        assert!(place.told.contains_key("b"));
        // Nothing read: the place stays.
        assert!(place.take(Vec::new(), 10).is_empty());
        assert_eq!(place.since, 103);
    }

    #[test]
    fn a_full_look_moves_on_to_its_newest_second() {
        let mut place = Place {
            since: 100,
            ..Place::default()
        };
        let burst: Vec<EventRow> = (0..3).map(|i| event(&format!("e{i}"), 100 + i)).collect();
        assert_eq!(place.take(burst, 3).len(), 3);
        assert_eq!(place.since, 102, "a full look does not look back");
        let mut other = Place {
            since: 100,
            ..Place::default()
        };
        let burst: Vec<EventRow> = (0..3).map(|i| event(&format!("e{i}"), 100 + i)).collect();
        other.take(burst, 4);
        assert_eq!(other.since, 102 - LOOK_BACK);
    }
}
