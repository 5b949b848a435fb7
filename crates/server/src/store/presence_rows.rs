//! Presence's rows: a press of a Join or Leave button, a meeting's room, a host alert to make,
//! and the statements that keep them.

use super::error::StoreError;
use super::rows::tenant_id;
use super::sql::{Columns, Statement, values};
use crate::domain::{ChatId, Movement, Role, Room, TenantId};

/// A press of a Join or Leave button, in a meeting of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PressRow {
    /// The broker's id of the press.
    pub broker_id: i64,
    pub tenant: TenantId,
    pub chat_id: ChatId,
    /// The link's token id: one person.
    pub person: String,
    pub role: Role,
    pub movement: Movement,
    pub at: i64,
}

/// A host alert to make when a visit's guests begin to wait: an `alert_host` job of the visit,
/// due at `due_at`, for the wait that began at `waiting_since`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostAlert {
    pub tenant: TenantId,
    pub visit_id: String,
    pub waiting_since: i64,
    pub due_at: i64,
}

/// The alert's job, at the visit's sequence, for a visit that is not over.
pub(super) fn insert_alert(alert: &HostAlert) -> Statement {
    Statement::new(
        "INSERT INTO jobs (id, tenant_id, visit_id, kind, detail, sequence, due_at, state, \
         attempts, locked_until, last_error, finished_at, created_at) \
         SELECT $1, tenant_id, id, 'alert_host', $2, sequence, $3, 'due', 0, NULL, NULL, NULL, $4 \
         FROM visits WHERE id = $5 AND tenant_id = $6 \
         AND state NOT IN ('ended', 'cancelled', 'no_show')",
        values![
            uuid::Uuid::now_v7().to_string(),
            alert.waiting_since.to_string(),
            alert.due_at,
            alert.waiting_since,
            alert.visit_id.as_str(),
            alert.tenant.as_str(),
        ],
    )
}

/// A meeting's room: who is in, and since when guests have waited with no host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRow {
    pub tenant: TenantId,
    pub chat_id: ChatId,
    pub room: Room,
    pub waiting_since: Option<i64>,
    pub updated_at: i64,
}

pub(super) fn room_row(row: &dyn Columns) -> Result<RoomRow, StoreError> {
    let inside: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&row.text("inside")?)
            .map_err(|_| StoreError::Malformed("a room's people are not a JSON object"))?;
    let inside = inside
        .into_iter()
        .map(|(person, role)| {
            role.parse::<Role>()
                .map(|role| (person, role))
                .map_err(|_| StoreError::Malformed("a room's role is not host or guest"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RoomRow {
        tenant: tenant_id(row.text("tenant_id")?)?,
        chat_id: ChatId::parse(row.text("chat_id")?)
            .map_err(|_| StoreError::Malformed("a room's chat_id is not a chat id"))?,
        room: Room::of(inside),
        waiting_since: row.opt_int("waiting_since")?,
        updated_at: row.int("updated_at")?,
    })
}

pub(super) const ROOM_COLUMNS: &str = "tenant_id, chat_id, inside, waiting_since, updated_at";

pub(super) fn insert_press(press: &PressRow) -> Statement {
    Statement::new(
        "INSERT INTO presence (broker_id, tenant_id, chat_id, jti, role, kind, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (broker_id) DO NOTHING",
        values![
            press.broker_id,
            press.tenant.as_str(),
            press.chat_id.as_str(),
            &press.person,
            press.role.as_str(),
            press.movement.as_str(),
            press.at,
        ],
    )
}

pub(super) fn keep_room(room: &RoomRow) -> Statement {
    let inside: serde_json::Map<String, serde_json::Value> = room
        .room
        .inside()
        .map(|(person, role)| (person.to_owned(), role.as_str().into()))
        .collect();
    Statement::new(
        "INSERT INTO rooms (tenant_id, chat_id, inside, hosts, guests, waiting_since, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant_id, chat_id) DO UPDATE SET \
         inside = excluded.inside, hosts = excluded.hosts, guests = excluded.guests, \
         waiting_since = excluded.waiting_since, updated_at = excluded.updated_at",
        values![
            room.tenant.as_str(),
            room.chat_id.as_str(),
            serde_json::Value::Object(inside).to_string(),
            room.room.hosts() as i64,
            room.room.guests() as i64,
            room.waiting_since,
            room.updated_at,
        ],
    )
}
