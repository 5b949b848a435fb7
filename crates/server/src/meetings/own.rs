//! What own links add to meetings: links handed out with their URLs and state, and revoked.

use super::{IssuedLink, MeetingError, Meetings, RevokeAsked, RevokedLinks};
use crate::domain::{Action, Field, Invalid, Permission, RevokeScope};
use crate::keys::Caller;
use crate::store::{EventRow, LinkRow, RoomRow};

impl Meetings {
    /// Revokes the meeting's own links in `scope`: opening one shows that it was revoked.
    /// Revoking what is revoked already changes nothing. The attempt, done or not, goes in the
    /// audit trail.
    pub async fn revoke(
        &self,
        caller: &Caller,
        chat_id: &str,
        asked: RevokeAsked,
    ) -> Result<RevokedLinks, MeetingError> {
        self.change(caller, Action::LinksRevoked, chat_id, async |meeting| {
            let scope = RevokeScope::read(asked.role.as_deref(), asked.link.as_deref())?;
            if let RevokeScope::Link(code) = &scope {
                let links = self.store.links(meeting.key()).await?;
                if !links.iter().any(|l| l.code.as_ref() == Some(code)) {
                    return Err(Invalid::says(
                        Field::Link,
                        format!("is not a link of meeting `{}`", meeting.chat_id),
                    )
                    .into());
                }
            }
            let at = self.clock.now();
            let audit = self.done(caller, Action::LinksRevoked, &meeting);
            let word = match &scope {
                RevokeScope::All => "all",
                RevokeScope::Role(role) => role.as_str(),
                RevokeScope::Link(_) => "link",
            };
            let event = EventRow::links_revoked(&caller.tenant, &meeting.chat_id, at, word);
            let revoked = self
                .store
                .revoke_links(meeting.key(), &scope, at, &audit, &event)
                .await?;
            Ok(RevokedLinks {
                chat_id: meeting.chat_id,
                revoked,
                at,
            })
        })
        .await
    }

    /// Links as handed out: each with its URL, its state at `now` and its `opens` by link id
    /// (none for links just made).
    pub(super) fn issued(
        &self,
        links: Vec<LinkRow>,
        now: i64,
        opens: &[(String, i64)],
    ) -> Vec<IssuedLink> {
        links
            .into_iter()
            .map(|link| IssuedLink {
                url: self.own_links.url_of(&link),
                state: link.life().state_at(now),
                opens: opens
                    .iter()
                    .find(|(id, _)| *id == link.id)
                    .map_or(0, |(_, n)| *n),
                link,
            })
            .collect()
    }
}

/// The most rooms "waiting now" lists.
const MAX_WAITING: u32 = 50;

impl Meetings {
    /// The caller's tenant's meetings, their links still working, where guests wait with no
    /// host in, the longest waiting first, `MAX_WAITING` at most.
    pub async fn waiting(&self, caller: &Caller) -> Result<Vec<RoomRow>, MeetingError> {
        super::allowed(caller, Permission::Read)?;
        Ok(self
            .store
            .waiting_rooms(&caller.tenant, self.clock.now(), MAX_WAITING)
            .await?)
    }
}
