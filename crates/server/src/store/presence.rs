//! Presence as kept: the presses of a local broker's Join and Leave buttons that belong to the
//! service's meetings, each meeting's room, and how far the broker's presses have been read.
//! A batch of presses, their rooms and their events are kept in one transaction that moves the
//! cursor on from where its reader read it (compare and set): of two processes reading the same
//! presses, one keeps them and the other keeps nothing.

use super::event_rows::{EventRow, insert_event};
use super::presence_rows::{
    HostAlert, PressRow, ROOM_COLUMNS, RoomRow, insert_alert, insert_press, keep_room, room_row,
};
use super::rows::tenant_id;
use super::sql::{Statement, values};
use super::{Store, StoreError};
use crate::domain::{ChatId, TenantId};

impl Store {
    /// The id of the last broker press read.
    pub async fn presence_cursor(&self) -> Result<i64, StoreError> {
        let statement = Statement::new(
            "SELECT broker_cursor FROM presence_cursor WHERE id = 1",
            values![],
        );
        Ok(self
            .db
            .fetch_optional(statement, |row| row.int("broker_cursor"))
            .await?
            .unwrap_or(0))
    }

    /// The meeting the broker knows as `subject`.
    pub async fn meeting_of_subject(
        &self,
        subject: &str,
    ) -> Result<Option<(TenantId, ChatId)>, StoreError> {
        let statement = Statement::new(
            "SELECT tenant_id, chat_id FROM meetings WHERE subject = $1",
            values![subject],
        );
        self.db
            .fetch_optional(statement, |row| {
                Ok((
                    tenant_id(row.text("tenant_id")?)?,
                    ChatId::parse(row.text("chat_id")?)
                        .map_err(|_| StoreError::Malformed("a meeting's chat_id is not one"))?,
                ))
            })
            .await
    }

    /// A meeting's room, `None` when nobody ever pressed Join in it.
    pub async fn room(
        &self,
        tenant: &TenantId,
        chat_id: &ChatId,
    ) -> Result<Option<RoomRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE tenant_id = $1 AND chat_id = $2"),
            values![tenant.as_str(), chat_id.as_str()],
        );
        self.db.fetch_optional(statement, room_row).await
    }

    /// The rooms of a tenant where guests wait with no host, of meetings whose links still
    /// work at `now` (a guest who closed the page without leaving waits no longer once they
    /// expire), the longest waiting first.
    pub async fn waiting_rooms(
        &self,
        tenant: &TenantId,
        now: i64,
        limit: u32,
    ) -> Result<Vec<RoomRow>, StoreError> {
        let statement = Statement::new(
            "SELECT r.tenant_id, r.chat_id, r.inside, r.waiting_since, r.updated_at \
             FROM rooms r JOIN meetings m ON m.tenant_id = r.tenant_id AND m.chat_id = r.chat_id \
             WHERE r.tenant_id = $1 AND r.waiting_since IS NOT NULL AND m.expires_at > $2 \
             ORDER BY r.waiting_since, r.chat_id LIMIT $3",
            values![tenant.as_str(), now, i64::from(limit)],
        );
        self.db.fetch(statement, room_row).await
    }

    /// Keeps the presses read after `read_from` up to `read_to`, the rooms they changed, their
    /// events and the host alerts they call for, in one transaction, only if no one moved the
    /// cursor since it was read at `read_from`; whether they were kept.
    pub async fn keep_presses(
        &self,
        (read_from, read_to): (i64, i64),
        presses: &[PressRow],
        rooms: &[RoomRow],
        events: &[EventRow],
        alerts: &[HostAlert],
    ) -> Result<bool, StoreError> {
        let cursor = Statement::new(
            "UPDATE presence_cursor SET broker_cursor = $1 WHERE id = 1 AND broker_cursor = $2",
            values![read_to, read_from],
        );
        let then = presses
            .iter()
            .map(insert_press)
            .chain(rooms.iter().map(keep_room))
            .chain(events.iter().map(insert_event))
            .chain(alerts.iter().map(insert_alert))
            .collect();
        Ok(self.db.change(cursor, then).await? == 1)
    }
}
