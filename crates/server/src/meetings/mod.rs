//! Meetings: "a meeting for this visit" turned into finished links, remembered.
//!
//! The operations a caller can ask for (create, add links, read, list, invite), each in the
//! domain's terms ([`crate::domain`]): they check what they are given, ask the broker, and
//! keep what it answered. Links are asked of the broker first and written after it answers, a
//! meeting and its links in one transaction, so a broker failure stores nothing and a success
//! is on disk. What the answers look like on the wire is `http`'s.

mod own;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use instant_connect::{Clock, JoinStyle, JoinUrls, SmsInviteRequest, ValidationErrors};

use crate::broker::{Broker, BrokerFailure};
use crate::domain::{
    Action, ChatId, Field, INVITE_WINDOW_SECONDS, Invalid, KeyRole, LinkCode, LinkCounts, LinkSpec,
    LinkState, MeetingOptions, Outcome, Permission, Role, Subject, Subjects, TenantLimits,
    TimesAsked, Vertical, Window, is_printable,
};
use crate::keys::Caller;
use crate::links::OwnLinks;
use crate::store::{
    AuditRow, EventRow, LinkRow, MeetingCursor, MeetingRow, MeetingSummaryRow, RoomRow, Store,
    StoreError,
};

/// A listing's page at most, and by default.
pub const MAX_PAGE: u32 = 1000;
/// The most numbers one SMS invite sends to: each is a message someone pays for.
pub const MAX_PHONES_PER_INVITE: usize = 25;
pub const DEFAULT_PAGE: u32 = 50;
/// Stands for the org id in an invite until the broker has told it.
const ORG_NOT_YET_KNOWN: &str = "?";

/// A new meeting, as asked.
#[derive(Debug, Default, Clone)]
pub struct MeetingRequest {
    /// Generated when absent.
    pub chat_id: Option<String>,
    pub hosts: Option<i64>,
    pub guests: Option<i64>,
    pub vertical: Option<String>,
    pub host_login: Option<bool>,
    /// The service's setting when absent.
    pub short_urls: Option<bool>,
    pub validity: TimesAsked,
    /// Each link's own URL opens once; no when absent.
    pub single_use: Option<bool>,
}

/// More links of one role for a meeting, as asked.
#[derive(Debug, Default, Clone)]
pub struct MoreLinks {
    /// One when absent.
    pub count: Option<i64>,
    /// As long as the meeting's links when empty.
    pub validity: TimesAsked,
    /// Each link's own URL opens once; no when absent.
    pub single_use: Option<bool>,
}

/// A page of the meetings, as asked.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    pub limit: Option<u32>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    pub chat_id_prefix: Option<String>,
}

/// A link as handed out, and whether it works now.
#[derive(Clone)]
pub struct IssuedLink {
    pub link: LinkRow,
    /// The URL to hand out: its own link's, or the broker's for a link from before own links.
    pub url: String,
    pub state: LinkState,
    /// How many opens of its own link went through to the broker.
    pub opens: i64,
}

/// Which of a meeting's links to revoke, as asked: a role, a link's code, or neither (all).
#[derive(Debug, Default, Clone)]
pub struct RevokeAsked {
    pub role: Option<String>,
    pub link: Option<String>,
}

/// Links revoked.
pub struct RevokedLinks {
    pub chat_id: ChatId,
    /// How many were revoked now (none when they were already).
    pub revoked: u64,
    pub at: i64,
}

/// A meeting with links: all it has (a read), or those just made (a creation).
pub struct MeetingLinks {
    pub meeting: MeetingRow,
    pub links: Vec<IssuedLink>,
    /// What the broker said it ignored or assumed while making these links.
    pub warnings: Vec<String>,
    /// Who is in, when anyone ever joined (presence, from a local broker's join pages).
    pub room: Option<RoomRow>,
}

/// Links added to a meeting.
pub struct AddedLinks {
    pub chat_id: ChatId,
    pub window: Window,
    pub links: Vec<IssuedLink>,
    pub warnings: Vec<String>,
}

/// A page of meetings, newest first.
pub struct MeetingPage {
    pub items: Vec<MeetingSummaryRow>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
}

pub struct InviteSent {
    pub chat_id: ChatId,
    /// How many numbers the broker took.
    pub phones: usize,
    /// The broker's word for it.
    pub status: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Invalid>),
    #[error("meeting `{0}` exists already")]
    Exists(ChatId),
    /// Not one of the caller's tenant's meetings: another tenant's is not found either.
    #[error("no meeting `{0}`")]
    NotFound(String),
    #[error("a key whose role is `{0}` may not do this")]
    Forbidden(KeyRole),
    /// The caller's tenant is past one of its limits until `retry_in` has passed.
    #[error("{what}")]
    Limited { what: String, retry_in: Duration },
    #[error("meeting `{chat_id}`'s links expired at {}", instant_connect::rfc3339(*.at))]
    Expired { chat_id: ChatId, at: i64 },
    #[error(transparent)]
    Broker(#[from] BrokerFailure),
    #[error(
        "the broker refused this tenant's own token (HTTP 401); its operator must give it a \
         fresh one (`icnode tenants token`)"
    )]
    TenantTokenRefused,
    /// Its source could not be read; why is logged for the operator, not told to the caller.
    #[error("this tenant's own broker token could not be read; its operator must see to it")]
    TenantTokenUnavailable,
    #[error("the meeting store failed")]
    Store(#[from] StoreError),
}

impl MeetingError {
    /// How the attempt ends, in the audit trail's words.
    pub fn outcome(&self) -> Outcome {
        match self {
            MeetingError::Invalid(_) => Outcome::Invalid,
            MeetingError::Exists(_) => Outcome::Exists,
            MeetingError::NotFound(_) => Outcome::NotFound,
            MeetingError::Forbidden(_) => Outcome::Forbidden,
            MeetingError::Limited { .. } => Outcome::Limited,
            MeetingError::Expired { .. } => Outcome::Expired,
            MeetingError::Broker(_)
            | MeetingError::TenantTokenRefused
            | MeetingError::TenantTokenUnavailable => Outcome::BrokerFailed,
            MeetingError::Store(_) => Outcome::StoreFailed,
        }
    }
}

impl From<Invalid> for MeetingError {
    fn from(invalid: Invalid) -> Self {
        MeetingError::Invalid(vec![invalid])
    }
}

/// The meetings a service keeps.
#[derive(Debug, Clone)]
pub struct Meetings {
    store: Store,
    broker: Broker,
    join: JoinUrls,
    clock: Arc<dyn Clock>,
    default_ttl: Duration,
    short_urls: bool,
    subjects: Subjects,
    own_links: OwnLinks,
}

impl Meetings {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        broker: Broker,
        join: JoinUrls,
        clock: Arc<dyn Clock>,
        default_ttl: Duration,
        short_urls: bool,
        subjects: Subjects,
        own_links: OwnLinks,
    ) -> Self {
        Self {
            store,
            broker,
            join,
            clock,
            default_ttl,
            short_urls,
            subjects,
            own_links,
        }
    }

    /// Makes a meeting; the attempt, done or not, goes in the audit trail.
    pub async fn create(
        &self,
        caller: &Caller,
        request: MeetingRequest,
    ) -> Result<MeetingLinks, MeetingError> {
        let asked = request.chat_id.clone();
        let made = self.make(caller, request).await;
        if let Err(error) = &made {
            let target = asked.and_then(|chat_id| self.named_by_chat_id(caller, &chat_id));
            self.record_refusal(caller, Action::MeetingCreated, target, error)
                .await;
        }
        made
    }

    async fn make(
        &self,
        caller: &Caller,
        request: MeetingRequest,
    ) -> Result<MeetingLinks, MeetingError> {
        allowed(caller, Permission::Write)?;
        let now = self.clock.now();
        let chat_id = match request.chat_id {
            Some(text) => ChatId::parse(text)?,
            None => ChatId::generate(),
        };
        let vertical = match request.vertical.as_deref() {
            None => Vertical::default(),
            Some(name) => name.parse().map_err(|_| {
                Invalid::says(
                    Field::Vertical,
                    format!("must be `hc`, `gen` or `cc`, got `{name}`"),
                )
            })?,
        };
        let validity = request.validity.read().map_err(MeetingError::Invalid)?;
        let window = validity.fresh(now, self.default_ttl)?;
        let spec = LinkSpec {
            subject: Subject::for_meeting(&caller.tenant, &chat_id, self.subjects),
            // The broker's defaults (one host, one guest, host login) come from its own rules.
            counts: LinkCounts::Meeting {
                hosts: request.hosts,
                guests: request.guests,
            },
            window,
            options: MeetingOptions {
                vertical,
                host_login: request.host_login,
                short_urls: request.short_urls.unwrap_or(self.short_urls),
            },
            from_lifetime: validity.ttl_seconds.is_some(),
        };
        let plan = spec.check(now).map_err(MeetingError::Invalid)?;
        let meeting = MeetingRow {
            tenant: caller.tenant.clone(),
            chat_id,
            subject: spec.subject.clone(),
            created_by: caller.name.clone(),
            vertical: plan.vertical,
            host_login: plan.login_url_for_host,
            short_urls: plan.short_urls,
            not_before: plan.nbf,
            expires_at: plan.exp,
            created_at_ms: self.clock.now_ms(),
        };
        // A taken chat id is found by the write, not by a read before minting: that read
        // was a round trip for every meeting, to save a mint for the rare one refused.
        let single_use = request.single_use.unwrap_or(false);
        let (links, warnings) = self
            .mint(caller, &spec, meeting.host_login, single_use)
            .await?;
        if !self
            .store
            .insert_meeting(&meeting, &links, &caller.actor())
            .await?
        {
            return Err(MeetingError::Exists(meeting.chat_id));
        }
        Ok(MeetingLinks {
            meeting,
            links: self.issued(links, now, &[]),
            warnings,
            room: None,
        })
    }

    /// Adds links of `role`; the attempt, done or not, goes in the audit trail.
    pub async fn add_links(
        &self,
        caller: &Caller,
        chat_id: &str,
        role: Role,
        request: MoreLinks,
    ) -> Result<AddedLinks, MeetingError> {
        self.change(caller, Action::LinksAdded, chat_id, async |meeting| {
            self.add_to(caller, meeting, role, request).await
        })
        .await
    }

    async fn add_to(
        &self,
        caller: &Caller,
        meeting: MeetingRow,
        role: Role,
        request: MoreLinks,
    ) -> Result<AddedLinks, MeetingError> {
        let now = self.clock.now();
        let validity = request.validity.read().map_err(MeetingError::Invalid)?;
        let window = match validity.for_more(now)? {
            Some(window) => window,
            None => Window::lasting_as(meeting.window(), now).map_err(|expired| {
                MeetingError::Expired {
                    chat_id: meeting.chat_id.clone(),
                    at: expired.expired_at,
                }
            })?,
        };
        let spec = LinkSpec {
            subject: meeting.subject.clone(),
            counts: LinkCounts::More {
                role,
                count: request.count.unwrap_or(1),
            },
            window,
            options: MeetingOptions {
                vertical: meeting.vertical,
                host_login: Some(meeting.host_login),
                short_urls: meeting.short_urls,
            },
            from_lifetime: validity.ttl_seconds.is_some(),
        };
        spec.check(now).map_err(MeetingError::Invalid)?;
        let single_use = request.single_use.unwrap_or(false);
        let (links, warnings) = self
            .mint(caller, &spec, meeting.host_login, single_use)
            .await?;
        let audit = self.done(caller, Action::LinksAdded, &meeting);
        let event = EventRow::links_added(&caller.tenant, &meeting.chat_id, now, role, links.len());
        if !self
            .store
            .add_links(meeting.key(), &links, &audit, &event)
            .await?
        {
            return Err(MeetingError::NotFound(meeting.chat_id.into_string()));
        }
        Ok(AddedLinks {
            chat_id: meeting.chat_id,
            window,
            links: self.issued(links, now, &[]),
            warnings,
        })
    }

    pub async fn get(&self, caller: &Caller, chat_id: &str) -> Result<MeetingLinks, MeetingError> {
        allowed(caller, Permission::Read)?;
        let meeting = self.meeting(caller, chat_id).await?;
        let links = self.store.links(meeting.key()).await?;
        let opens = self.store.opens_of(meeting.key()).await?;
        let room = self.store.room(&meeting.tenant, &meeting.chat_id).await?;
        Ok(MeetingLinks {
            meeting,
            links: self.issued(links, self.clock.now(), &opens),
            warnings: Vec::new(),
            room,
        })
    }

    pub async fn list(
        &self,
        caller: &Caller,
        listing: Listing,
    ) -> Result<MeetingPage, MeetingError> {
        allowed(caller, Permission::Read)?;
        let limit = listing.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Invalid::says(
                Field::Limit,
                format!("must be between 1 and {MAX_PAGE}, got {limit}"),
            )
            .into());
        }
        // An empty cursor is none: the first page.
        let cursor = listing
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()?;
        let prefix = listing.chat_id_prefix.unwrap_or_default();
        if !is_printable(&prefix) {
            return Err(
                Invalid::says(Field::ChatIdPrefix, "must not contain control characters").into(),
            );
        }
        let mut items = self
            .store
            .meetings_page(&caller.tenant, &prefix, cursor.as_ref(), limit + 1)
            .await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| {
                encode_cursor(&MeetingCursor {
                    created_at_ms: last.meeting.created_at_ms,
                    chat_id: last.meeting.chat_id.clone(),
                })
            })
        } else {
            None
        };
        Ok(MeetingPage { items, next_cursor })
    }

    /// Sends the meeting's guest invitation by SMS through the broker. The org id the broker
    /// wants is read from the broker itself, through the space details of one of the links.
    /// The attempt, sent or not, goes in the audit trail.
    pub async fn invite(
        &self,
        caller: &Caller,
        chat_id: &str,
        phones: Vec<String>,
    ) -> Result<InviteSent, MeetingError> {
        self.change(caller, Action::InviteSent, chat_id, async |meeting| {
            self.send_invite(caller, meeting, phones, None).await
        })
        .await
    }

    /// [`invite`](Self::invite) that may be sent again (a job retried after its process
    /// died): a broker that honours `key` takes it once (the local one; production ignores
    /// it, so there an invite cut off between the broker's answer and the commit is sent
    /// twice).
    pub async fn invite_once(
        &self,
        caller: &Caller,
        chat_id: &str,
        phones: Vec<String>,
        key: &str,
    ) -> Result<InviteSent, MeetingError> {
        self.change(caller, Action::InviteSent, chat_id, async |meeting| {
            self.send_invite(caller, meeting, phones, Some(key)).await
        })
        .await
    }

    async fn send_invite(
        &self,
        caller: &Caller,
        meeting: MeetingRow,
        phones: Vec<String>,
        once: Option<&str>,
    ) -> Result<InviteSent, MeetingError> {
        let count = phones.len();
        if count == 0 {
            return Err(Invalid::says(Field::Phones(None), "must hold at least one number").into());
        }
        let most = TenantLimits::within(caller.limits.phones_per_invite, MAX_PHONES_PER_INVITE);
        if count > most {
            let whose = if most < MAX_PHONES_PER_INVITE {
                " (the tenant's limit)"
            } else {
                ""
            };
            return Err(Invalid::says(
                Field::Phones(None),
                format!("must hold at most {most} numbers{whose}, got {count}"),
            )
            .into());
        }
        // The numbers are checked before any broker call; the org id is learnt after.
        let mut sms = SmsInviteRequest::e164(ORG_NOT_YET_KNOWN, meeting.subject.as_str(), phones);
        sms.validate()
            .map_err(|errors| MeetingError::Invalid(phone_errors(&errors)))?;
        self.within_daily_invites(caller).await?;
        let link = self.speaking_link(&meeting).await?;
        let broker = self.broker_of(caller)?;
        let failed = |failure| broker_failure(caller, failure);
        sms.org_id = broker
            .space_details(&link.cipher)
            .await
            .map_err(failed)?
            .organization_id;
        let reply = broker.sms_invite(&sms, once).await.map_err(failed)?;
        let audit = self.done(caller, Action::InviteSent, &meeting);
        let now = self.clock.now();
        let event = EventRow::invite_sent(&caller.tenant, &meeting.chat_id, now, count);
        self.store
            .record_invite(&caller.tenant, &meeting.chat_id, count, now, &audit, &event)
            .await?;
        Ok(InviteSent {
            chat_id: meeting.chat_id,
            phones: count,
            status: reply.value.status,
            warnings: reply.warnings,
        })
    }

    /// Refuses an invite past the tenant's `invites_per_day`, counted in the database so that
    /// every process counts the same invites; when one may be sent again, the oldest in the
    /// window having left it.
    async fn within_daily_invites(&self, caller: &Caller) -> Result<(), MeetingError> {
        let Some(per_day) = caller.limits.invites_per_day else {
            return Ok(());
        };
        let now = self.clock.now();
        let sent = self
            .store
            .invites_since(&caller.tenant, now - INVITE_WINDOW_SECONDS + 1)
            .await?;
        if sent.count < i64::from(per_day) {
            return Ok(());
        }
        let frees_at = sent.oldest.unwrap_or(now) + INVITE_WINDOW_SECONDS;
        Err(MeetingError::Limited {
            what: format!("this API key's tenant has sent its {per_day} SMS invites for the day"),
            retry_in: Duration::from_secs((frees_at - now).max(1) as u64),
        })
    }

    /// The newest link still valid, which speaks for the meeting (links added later may
    /// outlive the first ones).
    async fn speaking_link(&self, meeting: &MeetingRow) -> Result<LinkRow, MeetingError> {
        let now = self.clock.now();
        let mut links = self.store.links(meeting.key()).await?;
        let latest = links.iter().map(|l| l.expires_at).max();
        match links.iter().rposition(|l| l.expires_at > now) {
            Some(at) => Ok(links.swap_remove(at)),
            None => Err(MeetingError::Expired {
                chat_id: meeting.chat_id.clone(),
                at: latest.unwrap_or(meeting.expires_at),
            }),
        }
    }

    /// `action` done to the meeting `chat_id` by `work`, once the caller may change meetings
    /// and its tenant has that meeting; a refusal, before or in `work`, goes in the audit
    /// trail (a change done writes its own row, with the change).
    async fn change<T>(
        &self,
        caller: &Caller,
        action: Action,
        chat_id: &str,
        work: impl AsyncFnOnce(MeetingRow) -> Result<T, MeetingError>,
    ) -> Result<T, MeetingError> {
        let found = match allowed(caller, Permission::Write) {
            Ok(()) => self.meeting(caller, chat_id).await,
            Err(refused) => Err(refused),
        };
        let meeting = match found {
            Ok(meeting) => meeting,
            Err(error) => {
                let target = self.named_by_chat_id(caller, chat_id);
                self.record_refusal(caller, action, target, &error).await;
                return Err(error);
            }
        };
        let subject = meeting.subject.clone();
        let done = work(meeting).await;
        if let Err(error) = &done {
            let target = Some(subject.as_str().to_owned());
            self.record_refusal(caller, action, target, error).await;
        }
        done
    }

    /// How the audit trail names a meeting asked for by `chat_id` before it is found: by the
    /// chat id where that is its subject, else not at all (no chat id goes where the broker
    /// would not see it).
    fn named_by_chat_id(&self, caller: &Caller, chat_id: &str) -> Option<String> {
        (self.subjects.by_chat_id(&caller.tenant) && ChatId::parse(chat_id).is_ok())
            .then(|| chat_id.to_owned())
    }

    /// The audit row of `action` done to `meeting`, written with the change.
    fn done(&self, caller: &Caller, action: Action, meeting: &MeetingRow) -> AuditRow {
        caller.audit_row(
            self.clock.now(),
            action,
            Some(meeting.subject.as_str()),
            Outcome::Done,
        )
    }

    /// Appends the audit row of an attempt that changed nothing. A row that cannot be written
    /// is logged; the caller's answer stands.
    async fn record_refusal(
        &self,
        caller: &Caller,
        action: Action,
        target: Option<String>,
        error: &MeetingError,
    ) {
        let row = caller.audit_row(self.clock.now(), action, target.as_deref(), error.outcome());
        self.store.append_audit_or_log(&row).await;
    }

    /// The broker as the caller's tenant reaches it: with its own token where it has one.
    fn broker_of(&self, caller: &Caller) -> Result<std::borrow::Cow<'_, Broker>, MeetingError> {
        self.broker
            .for_tenant(caller.broker_token.as_ref())
            .map_err(|unavailable| {
                tracing::error!(
                    tenant = %caller.tenant,
                    error = %unavailable,
                    "a tenant's own broker token could not be read"
                );
                MeetingError::TenantTokenUnavailable
            })
    }

    /// A stored meeting of the caller's tenant; an id no meeting can have, and another
    /// tenant's meeting, are simply not found.
    async fn meeting(&self, caller: &Caller, chat_id: &str) -> Result<MeetingRow, MeetingError> {
        let found = match ChatId::parse(chat_id) {
            Ok(id) => self.store.meeting(&caller.tenant, &id).await?,
            Err(_) => None,
        };
        found.ok_or_else(|| MeetingError::NotFound(chat_id.to_owned()))
    }

    /// Asks the broker for the links of `spec` and finishes them as rows to store.
    async fn mint(
        &self,
        caller: &Caller,
        spec: &LinkSpec,
        host_login: bool,
        single_use: bool,
    ) -> Result<(Vec<LinkRow>, Vec<String>), MeetingError> {
        let reply = self
            .broker_of(caller)?
            .generate_links(&spec.request())
            .await
            .map_err(|failure| broker_failure(caller, failure))?;
        let style = JoinStyle {
            vertical: spec.options.vertical,
            host_login,
            force_login: false,
        };
        let finished = self.join.links(&reply.value, &style);
        let issued_at_ms = self.clock.now_ms();
        let rows = finished
            .hosts
            .into_iter()
            .chain(finished.guests)
            .enumerate()
            .map(|(position, link)| LinkRow {
                // Time-ordered, so a link's entry goes at the end of the id index, not on a
                // random page of it that the commit would write out whole.
                id: uuid::Uuid::now_v7().to_string(),
                role: link.role,
                issued_at_ms,
                position: position as i64,
                cipher: link.cipher,
                short: link.short,
                short_url: link.short_url,
                long_url: link.long_url,
                not_before: spec.window.not_before,
                expires_at: spec.window.expires_at,
                code: Some(LinkCode::generate()),
                single_use,
                opened_at: None,
                revoked_at: None,
            })
            .collect();
        Ok((rows, reply.warnings))
    }
}

/// A broker's failure in the caller's terms: a refused token is the tenant's own where it has
/// one, which its operator, not the service's, must renew.
fn broker_failure(caller: &Caller, failure: BrokerFailure) -> MeetingError {
    match failure {
        BrokerFailure::TokenRefused if caller.broker_token.is_some() => {
            MeetingError::TenantTokenRefused
        }
        other => MeetingError::Broker(other),
    }
}

/// The caller's role allows `permission`, or the operation is refused before it reads anything.
pub(super) fn allowed(caller: &Caller, permission: Permission) -> Result<(), MeetingError> {
    if caller.may(permission) {
        Ok(())
    } else {
        Err(MeetingError::Forbidden(caller.role))
    }
}

/// The SMS invite's field errors in the domain's terms: its numbers are the phones asked.
fn phone_errors(errors: &ValidationErrors) -> Vec<Invalid> {
    errors
        .errors()
        .iter()
        .map(|e| {
            let field = match e.field.strip_prefix("mobileNumbersWithCountryCode") {
                Some("") => Field::Phones(None),
                Some(index) => index.trim_matches(['[', ']']).parse().map_or_else(
                    |_| Field::Broker(e.field.clone()),
                    |i| Field::Phones(Some(i)),
                ),
                None => Field::Broker(e.field.clone()),
            };
            Invalid::says(field, e.rule.clone())
        })
        .collect()
}

fn encode_cursor(cursor: &MeetingCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.created_at_ms, cursor.chat_id))
}

fn decode_cursor(text: &str) -> Result<MeetingCursor, Invalid> {
    let bad = || Invalid::says(Field::Cursor, "is not a cursor this service gave out");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (ms, chat_id) = text.split_once(':').ok_or_else(bad)?;
    Ok(MeetingCursor {
        created_at_ms: ms.parse().map_err(|_| bad())?,
        chat_id: ChatId::parse(chat_id).map_err(|_| bad())?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = MeetingCursor {
            created_at_ms: 1_800_000_000_123,
            chat_id: ChatId::parse("visit:42").unwrap(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
        assert_eq!(
            decode_cursor("not-a-cursor").unwrap_err().field,
            Field::Cursor
        );
    }

    #[test]
    fn the_sms_invite_s_numbers_are_the_phones_asked() {
        let errors = ValidationErrors(vec![
            instant_connect::FieldError::new("mobileNumbersWithCountryCode[1]", "x"),
            instant_connect::FieldError::new("mobileNumbersWithCountryCode", "y"),
            instant_connect::FieldError::new("orgId", "z"),
        ]);
        let fields: Vec<Field> = phone_errors(&errors).into_iter().map(|i| i.field).collect();
        assert_eq!(
            fields,
            [
                Field::Phones(Some(1)),
                Field::Phones(None),
                Field::Broker("orgId".into())
            ]
        );
    }
}
