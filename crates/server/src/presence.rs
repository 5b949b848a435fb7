//! Presence from a local broker's join pages (`icnode up`, or `serve --presence-from-broker`):
//! each round reads the presses of Join and Leave buttons the broker recorded since the last
//! read, and keeps those of the service's meetings with the rooms they change and the events
//! they make (`guest.waiting`, `host.joined`, `meeting.ended`), moving the read on in the same
//! transaction, so any number of processes may read and each press is kept and told once.
//!
//! What it is not: presence in a real Webex meeting. The production broker keeps no such
//! record; against it, only the opens of icnode's own links are known.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;

use instant_connect::JoinRecord;

use crate::broker::{Broker, BrokerFailure};
use crate::domain::{ChatId, Room, TenantId, visit_of};
use crate::store::{EventRow, HostAlert, PressRow, RoomRow, Store, StoreError};

/// The presses one read asks the broker for; a round reads on while pages come full.
const PAGE: u32 = 200;
/// The most pages one round reads, so a long backlog does not hold one round forever.
const PAGES_A_ROUND: usize = 50;

/// Why a read of presence failed; the next round tries again from where the last kept read
/// ended.
#[derive(Debug, thiserror::Error)]
pub enum PresenceError {
    #[error("the broker's joins could not be read")]
    Broker(#[from] BrokerFailure),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads presence from the broker into the store, round after round.
#[derive(Clone)]
pub struct PresenceReader {
    store: Store,
    broker: Broker,
    /// How long a visit's guests wait before its hosts are emailed; `None`: they are not.
    alert_after: Option<Duration>,
}

impl PresenceReader {
    pub fn new(store: Store, broker: Broker, alert_after: Option<Duration>) -> Self {
        Self {
            store,
            broker,
            alert_after,
        }
    }

    /// A round every `every` until `stopped`; none after a broker that keeps no joins (not an
    /// icnode broker) said so.
    pub async fn every(self, every: Duration, stopped: impl std::future::Future<Output = ()>) {
        let off = std::sync::atomic::AtomicBool::new(false);
        crate::rounds::every(every, stopped, || async {
            if off.load(std::sync::atomic::Ordering::Relaxed) {
                return;
            }
            match self.round().await {
                Ok(_) => {}
                Err(PresenceError::Broker(BrokerFailure::Refused { status: 404, .. })) => {
                    off.store(true, std::sync::atomic::Ordering::Relaxed);
                    tracing::error!(
                        "the broker keeps no joins (GET /_icnode/joins is 404: not an icnode \
                         broker); presence is not read"
                    );
                }
                Err(error) => tracing::warn!(
                    error = %resilience::report(&error),
                    "a read of presence failed; the next one tries again"
                ),
            }
        })
        .await;
    }

    /// Reads on until the broker has no more presses (or a round's pages are spent); how
    /// many presses of the service's meetings were kept.
    pub async fn round(&self) -> Result<usize, PresenceError> {
        let mut kept = 0;
        for _ in 0..PAGES_A_ROUND {
            let (count, more) = self.read_page().await?;
            kept += count;
            if !more {
                break;
            }
        }
        tracing::debug!(kept, "presence read");
        Ok(kept)
    }

    /// One page of presses: kept with their rooms and events, unless another reader kept
    /// them first; how many were kept, and whether more follow.
    async fn read_page(&self) -> Result<(usize, bool), PresenceError> {
        let from = self.store.presence_cursor().await?;
        let page = self.broker.joins(from, PAGE).await?;
        let Some(to) = page.items.last().map(|record| record.id) else {
            return Ok((0, false));
        };
        let mut batch = Batch {
            alert_after: self.alert_after,
            ..Batch::default()
        };
        for record in &page.items {
            if let Some((tenant, chat_id)) = self.meeting_of(&mut batch, &record.sub).await? {
                let room = self.room_of(&mut batch, &tenant, &chat_id).await?;
                batch.press(room, &tenant, &chat_id, record);
            }
        }
        let rooms: Vec<RoomRow> = batch.rooms.into_values().collect();
        let kept = self
            .store
            .keep_presses(
                (from, to),
                &batch.presses,
                &rooms,
                &batch.events,
                &batch.alerts,
            )
            .await?;
        let count = if kept { batch.presses.len() } else { 0 };
        Ok((count, page.next_cursor.is_some()))
    }

    async fn meeting_of(
        &self,
        batch: &mut Batch,
        subject: &str,
    ) -> Result<Option<(TenantId, ChatId)>, StoreError> {
        Ok(match batch.meetings.entry(subject.to_owned()) {
            Entry::Occupied(known) => known.get().clone(),
            Entry::Vacant(new) => new
                .insert(self.store.meeting_of_subject(subject).await?)
                .clone(),
        })
    }

    async fn room_of(
        &self,
        batch: &mut Batch,
        tenant: &TenantId,
        chat_id: &ChatId,
    ) -> Result<(String, String), StoreError> {
        let key = (tenant.as_str().to_owned(), chat_id.as_str().to_owned());
        if let Entry::Vacant(new) = batch.rooms.entry(key.clone()) {
            let kept = self.store.room(tenant, chat_id).await?;
            new.insert(kept.unwrap_or_else(|| RoomRow {
                tenant: tenant.clone(),
                chat_id: chat_id.clone(),
                room: Room::default(),
                waiting_since: None,
                updated_at: 0,
            }));
        }
        Ok(key)
    }
}

/// What one page of presses comes to: the subjects looked up, the rooms as they end, the
/// presses, events and host alerts to keep.
#[derive(Default)]
struct Batch {
    alert_after: Option<Duration>,
    meetings: HashMap<String, Option<(TenantId, ChatId)>>,
    rooms: HashMap<(String, String), RoomRow>,
    presses: Vec<PressRow>,
    events: Vec<EventRow>,
    alerts: Vec<HostAlert>,
}

impl Batch {
    fn press(
        &mut self,
        room: (String, String),
        tenant: &TenantId,
        chat_id: &ChatId,
        record: &JoinRecord,
    ) {
        let room = self.rooms.get_mut(&room).expect("looked up before");
        if let Some(happening) = room.room.press(&record.jti, record.role, record.kind) {
            self.events
                .push(EventRow::happened(tenant, chat_id, record.at, happening));
        }
        let waited = room.waiting_since;
        room.waiting_since = if room.room.guest_waiting() {
            waited.or(Some(record.at))
        } else {
            None
        };
        // A wait that begins now, in a visit's meeting: its hosts hear of it if it lasts.
        if let (None, Some(since), Some(after), Some(visit)) = (
            waited,
            room.waiting_since,
            self.alert_after,
            visit_of(chat_id),
        ) {
            self.alerts.push(HostAlert {
                tenant: tenant.clone(),
                visit_id: visit.to_owned(),
                waiting_since: since,
                due_at: since + after.as_secs() as i64,
            });
        }
        room.updated_at = record.at;
        self.presses.push(PressRow {
            broker_id: record.id,
            tenant: tenant.clone(),
            chat_id: chat_id.clone(),
            person: record.jti.clone(),
            role: record.role,
            movement: record.kind,
            at: record.at,
        });
    }
}
