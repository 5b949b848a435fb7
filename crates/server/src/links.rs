//! icnode's own links: the URL each link is handed out as (`{public URL}/l/{code}`), and what
//! opening one does. Every open is checked in one place ([`crate::domain::LinkLife::check`]),
//! recorded, and either sent on to the broker's URL or told why not. The first open of a
//! single-use link is decided by the database, so it holds across processes.
//!
//! What revocation cannot stop: anyone who has the broker's own URL (the `shortUrl`,
//! `longUrl` and `cipher` the API also answers with, for callers who ask for them) reaches
//! the meeting until the broker's `exp`; and a visitor already let through keeps the broker's
//! page they were sent to.

use std::sync::Arc;

use instant_connect::Clock;

use crate::domain::{Closed, LinkCode, OPEN_PATH, Role, Zone};
use crate::store::{CodedLink, LinkRow, OpenRow, Store, StoreError};

/// Where own links are opened: the service's public URL.
#[derive(Debug, Clone)]
pub struct OwnLinks {
    /// The public URL without its trailing `/`.
    base: String,
}

impl OwnLinks {
    pub fn new(public_url: &url::Url) -> Self {
        Self {
            base: public_url.as_str().trim_end_matches('/').to_owned(),
        }
    }

    /// The URL a link is handed out as: its own link's, or the broker's (the short one when
    /// there is one) for a link from before own links.
    pub fn url_of(&self, link: &LinkRow) -> String {
        match &link.code {
            Some(code) => format!("{}{OPEN_PATH}{}", self.base, code.as_str()),
            None => broker_url(link),
        }
    }
}

/// What an open came to.
pub enum Opened {
    /// Go on to the broker's URL.
    Through { to: String },
    /// Not now, or not any more.
    Closed {
        closed: Closed,
        role: Role,
        /// When the link's visit starts, and the zone it was booked in, for a link of a
        /// visit opened early.
        visit_starts: Option<(i64, Option<Zone>)>,
    },
    /// No link has this code.
    Unknown,
}

/// Opens own links.
#[derive(Clone)]
pub struct Opener {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl Opener {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// An open of `code` by a client described by `client` (a coarse hint, never its address).
    pub async fn open(&self, code: &str, client: String) -> Result<Opened, StoreError> {
        let Some(code) = LinkCode::parse(code) else {
            return Ok(Opened::Unknown);
        };
        let Some(found) = self.store.link_by_code(&code).await? else {
            return Ok(Opened::Unknown);
        };
        let now = self.clock.now();
        let open = OpenRow {
            id: uuid::Uuid::now_v7().to_string(),
            at: now,
            outcome: "opened",
            client,
        };
        let closed = match found.link.life().check(now) {
            Ok(()) => {
                let event = crate::store::EventRow::link_opened(
                    &found.tenant,
                    &found.chat_id,
                    now,
                    found.link.role,
                    found.link.single_use,
                    &open.client,
                );
                if self.store.let_open_through(&found, &open, &event).await? {
                    return Ok(Opened::Through {
                        to: broker_url(&found.link),
                    });
                }
                // Revoked or, single use, opened by another meanwhile: read what it is now.
                let now_found = self
                    .store
                    .link_by_code(&code)
                    .await?
                    .unwrap_or(found.clone());
                now_found
                    .link
                    .life()
                    .check(now)
                    .err()
                    .unwrap_or(Closed::Used { at: now })
            }
            Err(closed) => {
                let outcome = match closed {
                    Closed::Revoked { .. } => "revoked",
                    Closed::NotYet { .. } => "not_yet",
                    Closed::Expired { .. } => "expired",
                    Closed::Used { .. } => "used",
                };
                self.store
                    .record_open(&found, &OpenRow { outcome, ..open })
                    .await?;
                closed
            }
        };
        let visit_starts = match closed {
            Closed::NotYet { .. } => self.visit_starts(&found).await?,
            _ => None,
        };
        Ok(Opened::Closed {
            closed,
            role: found.link.role,
            visit_starts,
        })
    }

    /// When the visit whose meeting holds `found` starts, if a visit's it is.
    async fn visit_starts(
        &self,
        found: &CodedLink,
    ) -> Result<Option<(i64, Option<Zone>)>, StoreError> {
        let Some(id) = crate::domain::visit_of(&found.chat_id) else {
            return Ok(None);
        };
        let visit = self.store.visit(&found.tenant, id).await?;
        Ok(visit
            .filter(|visit| visit.meeting_chat_id() == found.chat_id)
            .map(|visit| (visit.schedule.start, visit.schedule.zone)))
    }
}

/// The broker's URL of a link: the short one when there is one.
pub fn broker_url(link: &LinkRow) -> String {
    link.short_url
        .clone()
        .unwrap_or_else(|| link.long_url.clone())
}
