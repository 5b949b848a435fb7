//! The rows of events out: an event and its payload, written here once in the Standard
//! Webhooks shape `{"type", "timestamp", "data"}` ([`EventRow::new`]), with no credential in
//! it (no link's URL, code, short key or cipher, no phone number, no visit's notes); the
//! INSERT that puts it in its change's transaction ([`insert_event`]); endpoints and
//! deliveries as stored.

use instant_connect::rfc3339;
use serde_json::{Value, json};

use super::error::StoreError;
use super::rows::{LinkRow, MeetingRow, tenant_id};
use super::sql::{Columns, Statement, values};
use super::visit_rows::VisitRow;
use crate::domain::{ChatId, EventType, Happening, Role, Subscription, TenantId, visit_of};

/// An event, as its change writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: String,
    pub tenant: TenantId,
    pub event: EventType,
    /// The meeting it is about, when it is about one.
    pub chat_id: Option<String>,
    /// The JSON every endpoint gets: `{"type", "timestamp", "data"}`.
    pub payload: String,
    pub at: i64,
}

impl EventRow {
    /// An event of `tenant` at `at`, about the meeting `chat_id` when it is about one.
    pub fn new(
        tenant: &TenantId,
        event: EventType,
        chat_id: Option<&ChatId>,
        at: i64,
        data: Value,
    ) -> Self {
        let payload = json!({
            "type": event.as_str(),
            "timestamp": rfc3339(at),
            "data": data,
        });
        Self {
            id: format!("evt_{}", uuid::Uuid::now_v7().simple()),
            tenant: tenant.clone(),
            event,
            chat_id: chat_id.map(|c| c.as_str().to_owned()),
            payload: payload.to_string(),
            at,
        }
    }

    /// `meeting.created`, of a meeting with `links`.
    pub fn meeting_created(meeting: &MeetingRow, links: &[LinkRow]) -> Self {
        let hosts = links.iter().filter(|l| l.role == Role::Host).count();
        let data = json!({"chatId": meeting.chat_id.as_str(), "hosts": hosts,
                          "guests": links.len() - hosts,
                          "expiresAt": rfc3339(meeting.expires_at)});
        let at = meeting.created_at_ms.div_euclid(1000);
        Self::new(
            &meeting.tenant,
            EventType::MeetingCreated,
            Some(&meeting.chat_id),
            at,
            data,
        )
    }

    /// `links.added`.
    pub fn links_added(
        tenant: &TenantId,
        chat_id: &ChatId,
        at: i64,
        role: Role,
        count: usize,
    ) -> Self {
        let data = json!({"chatId": chat_id.as_str(), "role": role.as_str(), "count": count});
        Self::new(tenant, EventType::LinksAdded, Some(chat_id), at, data)
    }

    /// `link.opened`: a visitor let through to the meeting.
    pub fn link_opened(
        tenant: &TenantId,
        chat_id: &ChatId,
        at: i64,
        role: Role,
        single_use: bool,
        client: &str,
    ) -> Self {
        let data = json!({"chatId": chat_id.as_str(), "role": role.as_str(), "singleUse": single_use,
                          "client": client});
        Self::new(tenant, EventType::LinkOpened, Some(chat_id), at, data)
    }

    /// `link.revoked`: `scope` is `all`, `host`, `guest` or `link`.
    pub fn links_revoked(tenant: &TenantId, chat_id: &ChatId, at: i64, scope: &str) -> Self {
        let data = json!({"chatId": chat_id.as_str(), "scope": scope});
        Self::new(tenant, EventType::LinkRevoked, Some(chat_id), at, data)
    }

    /// `invite.sent`: how many numbers, never which.
    pub fn invite_sent(tenant: &TenantId, chat_id: &ChatId, at: i64, phones: usize) -> Self {
        let data = json!({"chatId": chat_id.as_str(), "phones": phones});
        Self::new(tenant, EventType::InviteSent, Some(chat_id), at, data)
    }

    /// `invite.failed`: a visit's invitation by `channel` (`sms` or `email`) that could not be
    /// sent, to how many people, never who.
    pub fn invite_failed(
        tenant: &TenantId,
        chat_id: &ChatId,
        at: i64,
        channel: &str,
        recipients: usize,
    ) -> Self {
        let mut data = meeting_data(chat_id);
        data["channel"] = channel.into();
        data["recipients"] = recipients.into();
        Self::new(tenant, EventType::InviteFailed, Some(chat_id), at, data)
    }

    /// `guest.waiting`, `host.joined` or `meeting.ended`: what a press of a Join or Leave
    /// button made of the meeting.
    pub fn happened(tenant: &TenantId, chat_id: &ChatId, at: i64, happening: Happening) -> Self {
        let mut data = meeting_data(chat_id);
        let event = match happening {
            Happening::GuestWaiting { guests } => {
                data["guests"] = guests.into();
                EventType::GuestWaiting
            }
            Happening::HostJoined { guests } => {
                data["guests"] = guests.into();
                EventType::HostJoined
            }
            Happening::Ended => EventType::MeetingEnded,
        };
        Self::new(tenant, event, Some(chat_id), at, data)
    }

    /// `visit.booked`, `visit.rescheduled` or `visit.cancelled`, as the visit is after the change.
    pub fn visit_changed(event_type: EventType, visit: &VisitRow, sequence: i64, at: i64) -> Self {
        let chat_id = visit.meeting_chat_id();
        let s = &visit.schedule;
        let data = json!({
            "visitId": visit.id,
            "chatId": chat_id.as_str(),
            "start": rfc3339(s.start),
            "end": rfc3339(s.end),
            "timeZone": s.zone.as_ref().map(|z| z.name().to_owned()),
            "sequence": sequence,
        });
        Self::new(&visit.tenant, event_type, Some(&chat_id), at, data)
    }
}

/// `{"chatId"}`, with the visit's id (`visitId`) when the meeting is a visit's.
fn meeting_data(chat_id: &ChatId) -> Value {
    let mut data = json!({"chatId": chat_id.as_str()});
    if let Some(visit) = visit_of(chat_id) {
        data["visitId"] = visit.into();
    }
    data
}

pub(super) const EVENT_COLUMNS: &str = "id, tenant_id, type, chat_id, payload, at";
pub(super) const EVENT_COLUMN_COUNT: usize = 6;

/// The event's INSERT, for the transaction of the change it tells of.
pub(super) fn insert_event(event: &EventRow) -> Statement {
    Statement::new(
        format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        event_values(event),
    )
}

pub(super) fn event_values(event: &EventRow) -> Vec<super::sql::Param> {
    values![
        &event.id,
        event.tenant.as_str(),
        event.event.as_str(),
        &event.chat_id,
        &event.payload,
        event.at,
    ]
}

/// A tenant's endpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookRow {
    pub id: String,
    pub tenant: TenantId,
    pub url: String,
    pub events: Subscription,
    pub secret: String,
    /// The secret before the last rotation, which still signs until `previous_until`.
    pub previous_secret: Option<String>,
    pub previous_until: Option<i64>,
    pub created_at: i64,
}

impl std::fmt::Debug for WebhookRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookRow")
            .field("id", &self.id)
            .field("tenant", &self.tenant)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

pub(super) const WEBHOOK_COLUMNS: &str =
    "id, tenant_id, url, events, secret, previous_secret, previous_until, created_at";

pub(super) fn webhook_row(row: &dyn Columns) -> Result<WebhookRow, StoreError> {
    let events: Vec<String> = serde_json::from_str(&row.text("events")?)
        .map_err(|_| StoreError::Malformed("a webhook's events are not a JSON list"))?;
    Ok(WebhookRow {
        id: row.text("id")?,
        tenant: tenant_id(row.text("tenant_id")?)?,
        url: row.text("url")?,
        events: Subscription::stored(events),
        secret: row.text("secret")?,
        previous_secret: row.opt_text("previous_secret")?,
        previous_until: row.opt_int("previous_until")?,
        created_at: row.int("created_at")?,
    })
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Due,
    Running,
    Done,
    Dead,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Due => "due",
            DeliveryState::Running => "running",
            DeliveryState::Done => "done",
            DeliveryState::Dead => "dead",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Due, Self::Running, Self::Done, Self::Dead]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// One event to one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRow {
    pub id: String,
    pub tenant: TenantId,
    pub webhook_id: String,
    pub event_id: String,
    pub event_type: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub due_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

pub(super) const DELIVERY_COLUMNS: &str = "d.id, d.tenant_id, d.webhook_id, d.event_id, e.type, d.state, \
                                d.attempts, d.due_at, d.last_status, d.last_error, \
                                d.created_at, d.finished_at";

pub(super) fn delivery_row(row: &dyn Columns) -> Result<DeliveryRow, StoreError> {
    Ok(DeliveryRow {
        id: row.text("id")?,
        tenant: tenant_id(row.text("tenant_id")?)?,
        webhook_id: row.text("webhook_id")?,
        event_id: row.text("event_id")?,
        event_type: row.text("type")?,
        state: DeliveryState::parse(&row.text("state")?).ok_or(StoreError::Malformed(
            "a delivery's state is not one of ours",
        ))?,
        attempts: row.int("attempts")?,
        due_at: row.int("due_at")?,
        last_status: row.opt_int("last_status")?,
        last_error: row.opt_text("last_error")?,
        created_at: row.int("created_at")?,
        finished_at: row.opt_int("finished_at")?,
    })
}

/// A delivery claimed for an attempt, with what it sends and where.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery: DeliveryRow,
    pub webhook: WebhookRow,
    pub payload: String,
}
