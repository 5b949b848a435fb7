//! Meetings: "a meeting for this visit" turned into finished links, remembered.
//!
//! A meeting is a chat id (the links' `sub`) with the options its links share. Links are asked
//! of the broker first and written after it answers, a meeting and its links in one
//! transaction, so a broker failure stores nothing and a `201` is on disk.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use instant_connect::request::MILLISECONDS_THRESHOLD;
use instant_connect::{
    Clock, FieldError, JoinStyle, JoinUrls, LinkPlan, LinkRequest, Role, SmsInviteRequest,
    ValidationErrors, Vertical, rfc3339,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::broker::{Broker, BrokerFailure};
use crate::keys::Caller;
use crate::metrics::{Metrics, StoreCall};
use crate::store::{LinkRow, MeetingCursor, MeetingRow, Store, StoreError};

/// Links a request may ask for at once, and a listing's page: the broker's bounds.
pub const MAX_PAGE: u32 = 1000;
pub const DEFAULT_PAGE: u32 = 50;
/// Stands for the org id in an invite until the broker has told it.
const ORG_NOT_YET_KNOWN: &str = "?";

/// `POST /v1/meetings`. Unknown fields are refused, naming them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateMeeting {
    /// The meeting identity (the links' `sub`); generated when absent.
    pub chat_id: Option<String>,
    /// Host links, 0-25 (default 1).
    pub hosts: Option<i64>,
    /// Guest links, 0-25 (default 1).
    pub guests: Option<i64>,
    /// `hc` (default), `gen` or `cc`: the family of join pages.
    pub vertical: Option<String>,
    /// Hosts sign in to join (`login` pages) instead of joining as guests do.
    pub host_login: Option<bool>,
    /// Hand out short URLs (default: the service's setting).
    pub short_urls: Option<bool>,
    /// Seconds from now until the links expire (not with `notBefore`/`expiresAt`).
    pub ttl_seconds: Option<i64>,
    /// When the links start to work: Unix seconds or RFC 3339.
    #[serde(default, deserialize_with = "time_value")]
    #[schema(value_type = Option<String>, example = "2027-01-15T08:00:00Z")]
    pub not_before: Option<i64>,
    /// When the links stop working: Unix seconds or RFC 3339 (default: the service's TTL).
    #[serde(default, deserialize_with = "time_value")]
    #[schema(value_type = Option<String>, example = "2027-01-15T09:00:00Z")]
    pub expires_at: Option<i64>,
}

/// How long links live: `ttlSeconds`, or `notBefore`/`expiresAt`, or nothing for the default.
#[derive(Debug, Default, Clone, Copy)]
pub struct Validity {
    pub ttl_seconds: Option<i64>,
    pub not_before: Option<i64>,
    pub expires_at: Option<i64>,
}

impl CreateMeeting {
    pub fn validity(&self) -> Validity {
        Validity {
            ttl_seconds: self.ttl_seconds,
            not_before: self.not_before,
            expires_at: self.expires_at,
        }
    }
}

impl AddLinks {
    pub fn validity(&self) -> Validity {
        Validity {
            ttl_seconds: self.ttl_seconds,
            not_before: self.not_before,
            expires_at: self.expires_at,
        }
    }
}

/// `POST /v1/meetings/{chatId}/guests` and `/hosts`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddLinks {
    /// How many links, 1-25 (default 1).
    pub count: Option<i64>,
    /// Seconds from now until the links expire (default: when the meeting's links do).
    pub ttl_seconds: Option<i64>,
    /// When the links start to work: Unix seconds or RFC 3339.
    #[serde(default, deserialize_with = "time_value")]
    #[schema(value_type = Option<String>)]
    pub not_before: Option<i64>,
    /// When the links stop working: Unix seconds or RFC 3339.
    #[serde(default, deserialize_with = "time_value")]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<i64>,
}

/// `POST /v1/meetings/{chatId}/invite`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Invite {
    /// E.164 numbers (`+14155550100`) to send the guest invitation to.
    pub phones: Vec<String>,
}

/// `GET /v1/meetings` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMeetings {
    /// Page size, 1-1000 (default 50).
    pub limit: Option<u32>,
    /// `nextCursor` of the page before.
    pub cursor: Option<String>,
    /// Only meetings whose chat id starts with this.
    pub chat_id_prefix: Option<String>,
}

/// A link as handed out. No `Debug`: it is a bearer credential to the meeting.
#[derive(Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedLink {
    /// `host` or `guest`.
    pub role: String,
    /// The URL to hand out: the short one when short URLs are on, else the long one.
    pub url: String,
    pub short_url: Option<String>,
    pub long_url: String,
    pub short: Option<String>,
    pub cipher: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    pub expires_at: String,
    /// `valid`, `notYetValid` or `expired`, now.
    pub state: LinkState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum LinkState {
    Valid,
    NotYetValid,
    Expired,
}

/// A meeting with every link issued for it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    pub chat_id: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    pub expires_at: String,
    pub vertical: String,
    pub host_login: bool,
    pub short_urls: bool,
    pub hosts: Vec<IssuedLink>,
    pub guests: Vec<IssuedLink>,
    /// What the broker said it ignored or assumed while making these links.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Links added to a meeting.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddedLinks {
    pub chat_id: String,
    pub expires_at: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<IssuedLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guests: Vec<IssuedLink>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingSummary {
    pub chat_id: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    pub expires_at: String,
    pub vertical: String,
    pub hosts: i64,
    pub guests: i64,
}

/// A page of meetings, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingPage {
    pub items: Vec<MeetingSummary>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteSent {
    pub chat_id: String,
    /// How many numbers the broker took.
    pub phones: usize,
    /// The broker's word for it.
    pub status: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MeetingError {
    #[error("{}", ValidationErrors(.0.clone()))]
    Invalid(Vec<FieldError>),
    #[error("meeting `{0}` exists already")]
    Exists(String),
    #[error("no meeting `{0}`")]
    NotFound(String),
    #[error(
        "meeting `{chat_id}`'s links expired at {}; give ttlSeconds or expiresAt for new ones",
        rfc3339(*.at)
    )]
    Expired { chat_id: String, at: i64 },
    #[error(transparent)]
    Broker(#[from] BrokerFailure),
    #[error("the meeting store failed")]
    Store(#[from] StoreError),
}

impl MeetingError {
    fn one(field: &str, rule: impl Into<String>) -> Self {
        MeetingError::Invalid(vec![FieldError::new(field, rule)])
    }
}

/// The meetings a service keeps.
#[derive(Debug, Clone)]
pub struct Meetings {
    store: Store,
    broker: Broker,
    metrics: Arc<Metrics>,
    join: JoinUrls,
    clock: Arc<dyn Clock>,
    default_ttl: Duration,
    short_urls: bool,
}

/// How long links live when a request does not say.
#[derive(Debug, Clone, Copy)]
enum DefaultWindow {
    /// `default_ttl` from now.
    Fresh,
    /// As long as the meeting's links.
    Meeting {
        not_before: Option<i64>,
        expires_at: i64,
    },
}

/// Which request field a broker field comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Meeting,
    MoreLinks,
}

impl Meetings {
    pub fn new(
        store: Store,
        broker: Broker,
        metrics: Arc<Metrics>,
        join: JoinUrls,
        clock: Arc<dyn Clock>,
        default_ttl: Duration,
        short_urls: bool,
    ) -> Self {
        Self {
            store,
            broker,
            metrics,
            join,
            clock,
            default_ttl,
            short_urls,
        }
    }

    pub async fn create(
        &self,
        caller: &Caller,
        request: CreateMeeting,
    ) -> Result<Meeting, MeetingError> {
        let now = self.clock.now();
        let chat_id = request
            .chat_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        if !printable(&chat_id) {
            return Err(MeetingError::one(
                "chatId",
                "must not contain control characters",
            ));
        }
        let vertical = match request.vertical.as_deref() {
            None => Vertical::default(),
            Some(name) => Vertical::from_name(name).ok_or_else(|| {
                MeetingError::one(
                    "vertical",
                    format!("must be `hc`, `gen` or `cc`, got `{name}`"),
                )
            })?,
        };
        let (not_before, expires_at) =
            self.window(request.validity(), now, DefaultWindow::Fresh)?;
        // The broker's defaults (one host, one guest, host login) come from its own rules.
        let mut link_request = LinkRequest::new(chat_id.clone());
        link_request.num_host = request.hosts;
        link_request.num_guest = request.guests;
        link_request.jwt.nbf = not_before;
        link_request.jwt.exp = Some(expires_at);
        link_request.vertical_type = Some(vertical);
        link_request.provide_short_urls = Some(request.short_urls.unwrap_or(self.short_urls));
        link_request.login_url_for_host = request.host_login;
        let plan = checked(&link_request, now, Asked::Meeting, request.validity())?;
        let meeting = MeetingRow {
            chat_id: chat_id.clone(),
            created_by: caller.name.clone(),
            vertical: plan.vertical.as_str().to_owned(),
            host_login: plan.login_url_for_host,
            short_urls: plan.short_urls,
            not_before: plan.nbf,
            expires_at: plan.exp,
            created_at_ms: self.clock.now_ms(),
        };
        // A taken chat id is found by the write, not by a read before minting: that read
        // was a round trip for every meeting, to save a mint for the rare one refused.
        let (links, warnings) = self.mint(&meeting, &link_request).await?;
        let inserted = self
            .metrics
            .store_waited(
                StoreCall::MeetingWrite,
                self.store.insert_meeting(&meeting, &links),
            )
            .await?;
        if !inserted {
            return Err(MeetingError::Exists(chat_id));
        }
        Ok(self.view(&meeting, &links, warnings))
    }

    pub async fn add_links(
        &self,
        chat_id: &str,
        role: Role,
        request: AddLinks,
    ) -> Result<AddedLinks, MeetingError> {
        let now = self.clock.now();
        let meeting = self.meeting(chat_id).await?;
        let default = DefaultWindow::Meeting {
            not_before: meeting.not_before,
            expires_at: meeting.expires_at,
        };
        let validity = request.validity();
        let no_validity = validity.ttl_seconds.is_none()
            && validity.expires_at.is_none()
            && validity.not_before.is_none();
        if no_validity && meeting.expires_at <= now {
            return Err(MeetingError::Expired {
                chat_id: chat_id.to_owned(),
                at: meeting.expires_at,
            });
        }
        let (not_before, expires_at) = self.window(validity, now, default)?;
        let count = request.count.unwrap_or(1);
        if count < 1 {
            return Err(MeetingError::one("count", "must be at least 1"));
        }
        let window = MeetingRow {
            not_before,
            expires_at,
            ..meeting
        };
        let (hosts, guests) = match role {
            Role::Host => (count, 0),
            Role::Guest => (0, count),
        };
        let link_request = link_request(&window, hosts, guests);
        checked(&link_request, now, Asked::MoreLinks, validity)?;
        let (links, warnings) = self.mint(&window, &link_request).await?;
        let added = self
            .metrics
            .store_waited(StoreCall::LinksWrite, self.store.add_links(chat_id, &links))
            .await?;
        if !added {
            return Err(MeetingError::NotFound(chat_id.to_owned()));
        }
        let (hosts, guests) = self.by_role(&links, now);
        Ok(AddedLinks {
            chat_id: chat_id.to_owned(),
            expires_at: rfc3339(expires_at),
            hosts,
            guests,
            warnings,
        })
    }

    pub async fn get(&self, chat_id: &str) -> Result<Meeting, MeetingError> {
        let meeting = self.meeting(chat_id).await?;
        let links = self.store.links(chat_id).await?;
        Ok(self.view(&meeting, &links, Vec::new()))
    }

    pub async fn list(&self, query: ListMeetings) -> Result<MeetingPage, MeetingError> {
        let limit = query.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(MeetingError::one(
                "limit",
                format!("must be between 1 and {MAX_PAGE}, got {limit}"),
            ));
        }
        let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let prefix = query.chat_id_prefix.unwrap_or_default();
        if !printable(&prefix) {
            return Err(MeetingError::one(
                "chatIdPrefix",
                "must not contain control characters",
            ));
        }
        let mut rows = self
            .store
            .meetings_page(&prefix, cursor.as_ref(), limit + 1)
            .await?;
        let next_cursor = if rows.len() > limit as usize {
            rows.truncate(limit as usize);
            rows.last().map(|last| {
                encode_cursor(&MeetingCursor {
                    created_at_ms: last.meeting.created_at_ms,
                    chat_id: last.meeting.chat_id.clone(),
                })
            })
        } else {
            None
        };
        let items = rows
            .into_iter()
            .map(|row| MeetingSummary {
                created_at: rfc3339(row.meeting.created_at_ms / 1000),
                not_before: row.meeting.not_before.map(rfc3339),
                expires_at: rfc3339(row.meeting.expires_at),
                vertical: row.meeting.vertical,
                chat_id: row.meeting.chat_id,
                hosts: row.hosts,
                guests: row.guests,
            })
            .collect();
        Ok(MeetingPage { items, next_cursor })
    }

    /// Sends the meeting's guest invitation by SMS through the broker. The org id the broker
    /// wants is read from the broker itself, through the space details of one of the links.
    pub async fn invite(&self, chat_id: &str, request: Invite) -> Result<InviteSent, MeetingError> {
        let meeting = self.meeting(chat_id).await?;
        if request.phones.is_empty() {
            return Err(MeetingError::one("phones", "must hold at least one number"));
        }
        // The numbers are checked before any broker call; the org id is learnt after.
        let mut sms = SmsInviteRequest::e164(ORG_NOT_YET_KNOWN, chat_id, request.phones.clone());
        sms.validate()
            .map_err(|errors| invalid(&errors, phone_field))?;
        // The newest link still valid speaks for the meeting (links added later may outlive
        // the first ones).
        let now = self.clock.now();
        let links = self.store.links(chat_id).await?;
        let Some(link) = links.iter().rev().find(|l| l.expires_at > now) else {
            return Err(MeetingError::Expired {
                chat_id: chat_id.to_owned(),
                at: links
                    .iter()
                    .map(|l| l.expires_at)
                    .max()
                    .unwrap_or(meeting.expires_at),
            });
        };
        sms.org_id = self
            .broker
            .space_details(&link.cipher)
            .await?
            .organization_id;
        let reply = self.broker.sms_invite(&sms).await?;
        Ok(InviteSent {
            chat_id: chat_id.to_owned(),
            phones: request.phones.len(),
            status: reply.value.status,
            warnings: reply.warnings,
        })
    }

    /// A stored meeting; an id no meeting can have is simply not found.
    async fn meeting(&self, chat_id: &str) -> Result<MeetingRow, MeetingError> {
        let found = if printable(chat_id) {
            self.store.meeting(chat_id).await?
        } else {
            None
        };
        found.ok_or_else(|| MeetingError::NotFound(chat_id.to_owned()))
    }

    /// The links' `nbf` and `exp` from a request's validity.
    fn window(
        &self,
        validity: Validity,
        now: i64,
        default: DefaultWindow,
    ) -> Result<(Option<i64>, i64), MeetingError> {
        let Validity {
            ttl_seconds,
            not_before,
            expires_at,
        } = validity;
        if let Some(ttl) = ttl_seconds {
            if not_before.is_some() || expires_at.is_some() {
                return Err(MeetingError::one(
                    "ttlSeconds",
                    "cannot be given with notBefore or expiresAt",
                ));
            }
            if ttl <= 0 {
                return Err(MeetingError::one(
                    "ttlSeconds",
                    format!("must be a positive number of seconds, got {ttl}"),
                ));
            }
            let exp = now
                .checked_add(ttl)
                .filter(|exp| *exp <= MILLISECONDS_THRESHOLD)
                .ok_or_else(|| {
                    MeetingError::one(
                        "ttlSeconds",
                        format!(
                            "is too long: links must expire before {}",
                            rfc3339(MILLISECONDS_THRESHOLD)
                        ),
                    )
                })?;
            return Ok((None, exp));
        }
        for (field, value) in [("notBefore", not_before), ("expiresAt", expires_at)] {
            if value.is_some_and(|t| t > MILLISECONDS_THRESHOLD) {
                return Err(MeetingError::one(
                    field,
                    format!(
                        "must be before {} (Unix seconds, not milliseconds)",
                        rfc3339(MILLISECONDS_THRESHOLD)
                    ),
                ));
            }
        }
        if let Some(exp) = expires_at {
            if exp <= now {
                return Err(MeetingError::one(
                    "expiresAt",
                    format!(
                        "must be in the future: {} is not after now ({})",
                        rfc3339(exp),
                        rfc3339(now)
                    ),
                ));
            }
            return Ok((not_before, exp));
        }
        match (default, not_before) {
            (DefaultWindow::Fresh, nbf) => {
                let start = nbf.unwrap_or(now).max(now);
                Ok((nbf, start.saturating_add(self.default_ttl.as_secs() as i64)))
            }
            (DefaultWindow::Meeting { .. }, Some(_)) => Err(MeetingError::one(
                "notBefore",
                "needs expiresAt or ttlSeconds: links that start later cannot last as the \
                 meeting's",
            )),
            (
                DefaultWindow::Meeting {
                    not_before,
                    expires_at,
                },
                None,
            ) => Ok((not_before, expires_at)),
        }
    }

    /// Asks the broker for the links and finishes them.
    async fn mint(
        &self,
        meeting: &MeetingRow,
        request: &LinkRequest,
    ) -> Result<(Vec<LinkRow>, Vec<String>), MeetingError> {
        let reply = self.broker.generate_links(request).await?;
        let style = JoinStyle {
            vertical: request.vertical_type.unwrap_or_default(),
            host_login: meeting.host_login,
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
                role: link.role.as_str().to_owned(),
                issued_at_ms,
                position: position as i64,
                cipher: link.cipher,
                short: link.short,
                short_url: link.short_url,
                long_url: link.long_url,
                not_before: meeting.not_before,
                expires_at: meeting.expires_at,
            })
            .collect();
        Ok((rows, reply.warnings))
    }

    fn view(&self, meeting: &MeetingRow, links: &[LinkRow], warnings: Vec<String>) -> Meeting {
        let now = self.clock.now();
        let (hosts, guests) = self.by_role(links, now);
        Meeting {
            chat_id: meeting.chat_id.clone(),
            created_at: rfc3339(meeting.created_at_ms / 1000),
            not_before: meeting.not_before.map(rfc3339),
            expires_at: rfc3339(meeting.expires_at),
            vertical: meeting.vertical.clone(),
            host_login: meeting.host_login,
            short_urls: meeting.short_urls,
            hosts,
            guests,
            warnings,
        }
    }

    /// Stored links as handed out, hosts and guests apart, each in issue order.
    fn by_role(&self, links: &[LinkRow], now: i64) -> (Vec<IssuedLink>, Vec<IssuedLink>) {
        links
            .iter()
            .map(|l| self.issued(l, now))
            .partition(|l| l.role == Role::Host.as_str())
    }

    fn issued(&self, link: &LinkRow, now: i64) -> IssuedLink {
        let state = if link.expires_at <= now {
            LinkState::Expired
        } else if link.not_before.is_some_and(|nbf| nbf > now) {
            LinkState::NotYetValid
        } else {
            LinkState::Valid
        };
        IssuedLink {
            role: link.role.clone(),
            url: link
                .short_url
                .clone()
                .unwrap_or_else(|| link.long_url.clone()),
            short_url: link.short_url.clone(),
            long_url: link.long_url.clone(),
            short: link.short.clone(),
            cipher: link.cipher.clone(),
            not_before: link.not_before.map(rfc3339),
            expires_at: rfc3339(link.expires_at),
            state,
        }
    }
}

/// Text people and URLs carry: no control characters (PostgreSQL refuses NUL in text).
fn printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// The broker request for `counts` links of a meeting's window and options.
fn link_request(meeting: &MeetingRow, hosts: i64, guests: i64) -> LinkRequest {
    let mut request = LinkRequest::new(meeting.chat_id.clone());
    request.num_host = Some(hosts);
    request.num_guest = Some(guests);
    request.jwt.nbf = meeting.not_before;
    request.jwt.exp = Some(meeting.expires_at);
    request.vertical_type = Vertical::from_name(&meeting.vertical);
    request.provide_short_urls = Some(meeting.short_urls);
    request.login_url_for_host = Some(meeting.host_login);
    request
}

/// The broker's rules, checked here so a bad request costs no round trip, in the service's
/// field names.
fn checked(
    request: &LinkRequest,
    now: i64,
    asked: Asked,
    validity: Validity,
) -> Result<LinkPlan, MeetingError> {
    request
        .validate(now)
        .map(|accepted| accepted.value)
        .map_err(|errors| invalid(&errors, |field| service_field(field, asked, validity)))
}

fn invalid(errors: &ValidationErrors, rename: impl Fn(&str) -> String) -> MeetingError {
    MeetingError::Invalid(
        errors
            .errors()
            .iter()
            .map(|e| FieldError::new(rename(&e.field), e.rule.clone()))
            .collect(),
    )
}

/// A broker request field in the words of the service's API.
fn service_field(field: &str, asked: Asked, validity: Validity) -> String {
    let name = match (field, asked) {
        ("jwt.sub", _) => "chatId",
        ("numHost" | "numGuest" | "numHost+numGuest", Asked::MoreLinks) => "count",
        ("numHost", Asked::Meeting) => "hosts",
        ("numGuest", Asked::Meeting) => "guests",
        ("numHost+numGuest", Asked::Meeting) => "hosts+guests",
        ("jwt.nbf", _) => "notBefore",
        ("jwt.exp", _) if validity.ttl_seconds.is_some() => "ttlSeconds",
        ("jwt.exp", _) => "expiresAt",
        ("verticalType", _) => "vertical",
        (other, _) => other,
    };
    name.to_owned()
}

/// `mobileNumbersWithCountryCode[2]` → `phones[2]`.
fn phone_field(field: &str) -> String {
    match field.strip_prefix("mobileNumbersWithCountryCode") {
        Some(rest) => format!("phones{rest}"),
        None => field.to_owned(),
    }
}

fn encode_cursor(cursor: &MeetingCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.created_at_ms, cursor.chat_id))
}

fn decode_cursor(text: &str) -> Result<MeetingCursor, MeetingError> {
    let bad = || MeetingError::one("cursor", "is not a cursor this service gave out");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (ms, chat_id) = text
        .split_once(':')
        .filter(|(_, id)| printable(id))
        .ok_or_else(bad)?;
    Ok(MeetingCursor {
        created_at_ms: ms.parse().map_err(|_| bad())?,
        chat_id: chat_id.to_owned(),
    })
}

/// Unix seconds as a number or a numeric string, or an RFC 3339 time.
fn time_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Seconds(i64),
        Text(String),
    }
    match Option::<Raw>::deserialize(d)? {
        None => Ok(None),
        Some(Raw::Seconds(s)) if s >= 0 => Ok(Some(s)),
        Some(Raw::Seconds(s)) => Err(serde::de::Error::custom(format!(
            "must not be before 1970, got {s}"
        ))),
        Some(Raw::Text(text)) => instant_connect::parse_time(&text).map(Some).map_err(|_| {
            serde::de::Error::custom(format!(
                "must be Unix seconds or an RFC 3339 time such as 2027-01-15T08:00:00Z, \
                     got `{text}`"
            ))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = MeetingCursor {
            created_at_ms: 1_800_000_000_123,
            chat_id: "visit:42".into(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
        assert!(matches!(
            decode_cursor("not-a-cursor"),
            Err(MeetingError::Invalid(errors)) if errors[0].field == "cursor"
        ));
    }

    #[test]
    fn broker_fields_are_named_as_the_request_names_them() {
        let ttl = Validity {
            ttl_seconds: Some(60),
            ..Validity::default()
        };
        let none = Validity::default();
        assert_eq!(service_field("jwt.exp", Asked::Meeting, ttl), "ttlSeconds");
        assert_eq!(service_field("jwt.exp", Asked::Meeting, none), "expiresAt");
        assert_eq!(service_field("numGuest", Asked::MoreLinks, none), "count");
        assert_eq!(service_field("numGuest", Asked::Meeting, none), "guests");
        assert_eq!(phone_field("mobileNumbersWithCountryCode[1]"), "phones[1]");
    }
}
