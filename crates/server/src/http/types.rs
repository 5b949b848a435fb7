//! The JSON the meeting routes read and write, with its OpenAPI schemas, and the one table of
//! the API's names for the domain's fields ([`ApiNames`]). Conversions go one way each: a body
//! into the service's request, the service's answer into a body.

use instant_connect::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::wire;
use crate::domain::{self, Field, FieldNames, Role, TimeInput, TimesAsked};
use crate::meetings;
use crate::store::MeetingSummaryRow;

/// The API's name of each field the domain checks: what errors say in `field`.
pub struct ApiNames;

impl FieldNames for ApiNames {
    fn name(&self, field: &Field) -> String {
        match field {
            Field::ChatId => "chatId".into(),
            Field::Hosts => "hosts".into(),
            Field::Guests => "guests".into(),
            Field::HostsAndGuests => "hosts+guests".into(),
            Field::Count => "count".into(),
            Field::NotBefore => "notBefore".into(),
            Field::ExpiresAt => "expiresAt".into(),
            Field::Ttl => "ttlSeconds".into(),
            Field::TimeZone => "timeZone".into(),
            Field::Vertical => "vertical".into(),
            Field::Phones(None) => "phones".into(),
            Field::Phones(Some(i)) => format!("phones[{i}]"),
            Field::Limit => "limit".into(),
            Field::Cursor => "cursor".into(),
            Field::ChatIdPrefix => "chatIdPrefix".into(),
            Field::Action => "action".into(),
            Field::Outcome => "outcome".into(),
            Field::KeyId => "keyId".into(),
            Field::Target => "target".into(),
            Field::Since => "since".into(),
            Field::Until => "until".into(),
            Field::State => "state".into(),
            Field::TemplateKind => "kind".into(),
            Field::Language => "language".into(),
            Field::Subject => "subject".into(),
            Field::Body => "body".into(),
            Field::Start => "start".into(),
            Field::End => "end".into(),
            Field::Reminders(None) => "reminders".into(),
            Field::Reminders(Some(i)) => format!("reminders[{i}]"),
            Field::Notes => "notes".into(),
            Field::Role => "role".into(),
            Field::Link => "link".into(),
            Field::Url => "url".into(),
            Field::Events(None) => "events".into(),
            Field::Events(Some(i)) => format!("events[{i}]"),
            Field::Party { role, index, part } => {
                let list = match role {
                    crate::domain::Role::Host => "hosts",
                    crate::domain::Role::Guest => "guests",
                };
                let part = match part {
                    crate::domain::PartyPart::Name => "name",
                    crate::domain::PartyPart::Phone => "phone",
                    crate::domain::PartyPart::Email => "email",
                    crate::domain::PartyPart::Language => "language",
                };
                format!("{list}[{index}].{part}")
            }
            Field::Broker(name) => name.clone(),
        }
    }
}

/// `POST /v1/meetings`. Unknown fields are refused, naming them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateMeeting {
    /// The meeting identity (the links' `sub`); generated when absent.
    #[serde(default, deserialize_with = "wire::text")]
    pub chat_id: Option<String>,
    /// Host links, 0-25 (default 1); hosts and guests together 1-25.
    #[serde(default, deserialize_with = "wire::whole_number")]
    pub hosts: Option<i64>,
    /// Guest links, 0-25 (default 1); hosts and guests together 1-25.
    #[serde(default, deserialize_with = "wire::whole_number")]
    pub guests: Option<i64>,
    /// `hc` (default), `gen` or `cc`: the family of join pages.
    #[serde(default, deserialize_with = "wire::text")]
    pub vertical: Option<String>,
    /// Hosts sign in to join (`login` pages) instead of joining as guests do.
    #[serde(default, deserialize_with = "wire::flag")]
    pub host_login: Option<bool>,
    /// Hand out short URLs (default: the service's setting).
    #[serde(default, deserialize_with = "wire::flag")]
    pub short_urls: Option<bool>,
    /// Seconds from now until the links expire (not with `notBefore`/`expiresAt`).
    #[serde(default, deserialize_with = "wire::whole_number")]
    pub ttl_seconds: Option<i64>,
    /// When the links start to work: Unix seconds, or an RFC 3339 time with its offset, or a
    /// wall time with `timeZone`; before `expiresAt`.
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = Option<String>)]
    pub not_before: Option<TimeInput>,
    /// When the links stop working, written as `notBefore`, in the future (default: the
    /// service's TTL from the start).
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<TimeInput>,
    /// The IANA time zone (`America/New_York`) that `notBefore` and `expiresAt` are wall times
    /// in, when they have no offset.
    #[serde(default, deserialize_with = "wire::text")]
    pub time_zone: Option<String>,
    /// Each link's `url` opens once: the first visitor goes on to the meeting, any later one
    /// is told the link was used (default: no).
    #[serde(default, deserialize_with = "wire::flag")]
    pub single_use: Option<bool>,
}

impl From<CreateMeeting> for meetings::MeetingRequest {
    fn from(body: CreateMeeting) -> Self {
        Self {
            chat_id: body.chat_id,
            hosts: body.hosts,
            guests: body.guests,
            vertical: body.vertical,
            host_login: body.host_login,
            short_urls: body.short_urls,
            validity: TimesAsked {
                ttl_seconds: body.ttl_seconds,
                not_before: body.not_before,
                expires_at: body.expires_at,
                time_zone: body.time_zone,
            },
            single_use: body.single_use,
        }
    }
}

/// `POST /v1/meetings/{chatId}/guests` and `/hosts`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AddLinks {
    /// How many links, 1-25 (default 1).
    #[serde(default, deserialize_with = "wire::whole_number")]
    pub count: Option<i64>,
    /// Seconds from now until the links expire (default: when the meeting's links do).
    #[serde(default, deserialize_with = "wire::whole_number")]
    pub ttl_seconds: Option<i64>,
    /// When the links start to work, written as in a new meeting.
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = Option<String>)]
    pub not_before: Option<TimeInput>,
    /// When the links stop working, written as in a new meeting.
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = Option<String>)]
    pub expires_at: Option<TimeInput>,
    /// The IANA time zone of wall times, as in a new meeting.
    #[serde(default, deserialize_with = "wire::text")]
    pub time_zone: Option<String>,
    /// Each new link's `url` opens once, as in a new meeting (default: no).
    #[serde(default, deserialize_with = "wire::flag")]
    pub single_use: Option<bool>,
}

impl From<AddLinks> for meetings::MoreLinks {
    fn from(body: AddLinks) -> Self {
        Self {
            count: body.count,
            validity: TimesAsked {
                ttl_seconds: body.ttl_seconds,
                not_before: body.not_before,
                expires_at: body.expires_at,
                time_zone: body.time_zone,
            },
            single_use: body.single_use,
        }
    }
}

/// `POST /v1/meetings/{chatId}/revoke`: every link of the meeting (`{}`), one role's, or one
/// link.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Revoke {
    /// `host` or `guest`: only that role's links.
    #[serde(default, deserialize_with = "wire::text")]
    pub role: Option<String>,
    /// One link: its `code` (the last part of its `url`).
    #[serde(default, deserialize_with = "wire::text")]
    pub link: Option<String>,
}

impl From<Revoke> for meetings::RevokeAsked {
    fn from(body: Revoke) -> Self {
        Self {
            role: body.role,
            link: body.link,
        }
    }
}

/// Links revoked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Revoked {
    /// The meeting's identity.
    pub chat_id: String,
    /// How many links were revoked now (`0` when they were already).
    pub revoked: u64,
    /// When (RFC 3339, UTC).
    pub revoked_at: String,
}

impl From<meetings::RevokedLinks> for Revoked {
    fn from(revoked: meetings::RevokedLinks) -> Self {
        Self {
            chat_id: revoked.chat_id.into_string(),
            revoked: revoked.revoked,
            revoked_at: rfc3339(revoked.at),
        }
    }
}

/// `POST /v1/meetings/{chatId}/invite`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Invite {
    /// E.164 numbers (`+14155550100`) to send the guest invitation to.
    #[serde(deserialize_with = "wire::texts")]
    pub phones: Vec<String>,
}

/// `GET /v1/meetings` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListMeetings {
    /// Page size, 1-1000 (default 50).
    #[serde(default, deserialize_with = "wire::query_whole_number")]
    pub limit: Option<u32>,
    /// `nextCursor` of the page before.
    pub cursor: Option<String>,
    /// Only meetings whose chat id starts with this.
    pub chat_id_prefix: Option<String>,
}

impl From<ListMeetings> for meetings::Listing {
    fn from(query: ListMeetings) -> Self {
        Self {
            limit: query.limit,
            cursor: query.cursor,
            chat_id_prefix: query.chat_id_prefix,
        }
    }
}

/// A link as handed out. No `Debug`: it is a bearer credential to the meeting.
#[derive(Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedLink {
    /// `host` or `guest`.
    pub role: String,
    /// The URL to hand out: the service's own link (`{public URL}/l/{code}`), which can be
    /// revoked and made single use, and sends a visitor on to the broker's URL. (For a link
    /// made before own links, the broker's URL.)
    pub url: String,
    /// The own link's code, which names it to `revoke`; absent for a link made before own
    /// links.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Whether its `url` opens once.
    pub single_use: bool,
    /// When its `url` was first opened through to the meeting (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opened_at: Option<String>,
    /// How many opens of its `url` went through to the meeting.
    pub opens: i64,
    /// When it was revoked (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// The broker's short URL (`{join host}/visit/{short}`), when short URLs are on. It works
    /// until `expiresAt` whatever happens to `url`: revoking cannot stop it.
    pub short_url: Option<String>,
    /// The broker's long join URL, which carries the cipher; revoking cannot stop it either.
    pub long_url: String,
    /// The short key, when short URLs are on.
    pub short: Option<String>,
    /// The encrypted token (JWE) of the link: a bearer credential to the meeting.
    pub cipher: String,
    /// When the link starts to work (RFC 3339, UTC); absent when at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// When the link stops working (RFC 3339, UTC).
    pub expires_at: String,
    /// `valid`, `notYetValid`, `expired`, `revoked` or `used` (single use, opened), now.
    pub state: LinkState,
}

/// Whether a link works now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum LinkState {
    Valid,
    NotYetValid,
    Expired,
    Revoked,
    Used,
}

impl From<domain::LinkState> for LinkState {
    fn from(state: domain::LinkState) -> Self {
        match state {
            domain::LinkState::Valid => LinkState::Valid,
            domain::LinkState::NotYetValid => LinkState::NotYetValid,
            domain::LinkState::Expired => LinkState::Expired,
            domain::LinkState::Revoked => LinkState::Revoked,
            domain::LinkState::Used => LinkState::Used,
        }
    }
}

impl From<meetings::IssuedLink> for IssuedLink {
    fn from(issued: meetings::IssuedLink) -> Self {
        let link = issued.link;
        Self {
            role: link.role.as_str().to_owned(),
            url: issued.url,
            code: link.code.map(|code| code.as_str().to_owned()),
            single_use: link.single_use,
            opened_at: link.opened_at.map(rfc3339),
            opens: issued.opens,
            revoked_at: link.revoked_at.map(rfc3339),
            short_url: link.short_url,
            long_url: link.long_url,
            short: link.short,
            cipher: link.cipher,
            not_before: link.not_before.map(rfc3339),
            expires_at: rfc3339(link.expires_at),
            state: issued.state.into(),
        }
    }
}

/// Links as handed out, hosts and guests apart, each in issue order.
fn by_role(links: Vec<meetings::IssuedLink>) -> (Vec<IssuedLink>, Vec<IssuedLink>) {
    let (hosts, guests): (Vec<_>, Vec<_>) =
        links.into_iter().partition(|l| l.link.role == Role::Host);
    (
        hosts.into_iter().map(IssuedLink::from).collect(),
        guests.into_iter().map(IssuedLink::from).collect(),
    )
}

/// A meeting with every link issued for it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Meeting {
    /// The meeting's id in its tenant, as the caller chose it (or as generated).
    pub chat_id: String,
    /// The id the broker knows the meeting by (the links' `sub`): the chat id in the tenant
    /// `default` unless the service runs with `--opaque-subjects`, else an opaque `icn-` id.
    /// The audit trail names the meeting by it (`target`).
    pub subject: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// When its first links start to work (RFC 3339, UTC); absent when at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// When its latest links stop working (RFC 3339, UTC).
    pub expires_at: String,
    /// `hc`, `gen` or `cc`: the family of join pages.
    pub vertical: String,
    /// Whether hosts sign in to join.
    pub host_login: bool,
    /// Whether its links are handed out as short URLs.
    pub short_urls: bool,
    /// Its host links, in the order they were issued.
    pub hosts: Vec<IssuedLink>,
    /// Its guest links, in the order they were issued.
    pub guests: Vec<IssuedLink>,
    /// What the broker said it ignored or assumed while making these links.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Who is in, from a local broker's join pages (`icnode up`); absent when nobody ever
    /// joined, and always against the production broker, which tells no one who joined.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub presence: Option<Presence>,
}

/// Who is in a meeting now.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Presence {
    /// Hosts in now.
    pub hosts: usize,
    /// Guests in now.
    pub guests: usize,
    /// Since when guests have waited with no host in (RFC 3339, UTC); absent when no one waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_since: Option<String>,
}

impl From<crate::store::RoomRow> for Presence {
    fn from(room: crate::store::RoomRow) -> Self {
        Self {
            hosts: room.room.hosts(),
            guests: room.room.guests(),
            waiting_since: room.waiting_since.map(rfc3339),
        }
    }
}

impl From<meetings::MeetingLinks> for Meeting {
    fn from(found: meetings::MeetingLinks) -> Self {
        let meeting = found.meeting;
        let (hosts, guests) = by_role(found.links);
        Self {
            chat_id: meeting.chat_id.into_string(),
            subject: meeting.subject.as_str().to_owned(),
            created_at: rfc3339(meeting.created_at_ms / 1000),
            not_before: meeting.not_before.map(rfc3339),
            expires_at: rfc3339(meeting.expires_at),
            vertical: meeting.vertical.as_str().to_owned(),
            host_login: meeting.host_login,
            short_urls: meeting.short_urls,
            hosts,
            guests,
            warnings: found.warnings,
            presence: found.room.map(Presence::from),
        }
    }
}

/// Links added to a meeting.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddedLinks {
    /// The meeting's identity.
    pub chat_id: String,
    /// When the new links stop working (RFC 3339, UTC).
    pub expires_at: String,
    /// The new host links; absent when guests were added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<IssuedLink>,
    /// The new guest links; absent when hosts were added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub guests: Vec<IssuedLink>,
    /// What the broker said it ignored or assumed while making these links.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<meetings::AddedLinks> for AddedLinks {
    fn from(added: meetings::AddedLinks) -> Self {
        let (hosts, guests) = by_role(added.links);
        Self {
            chat_id: added.chat_id.into_string(),
            expires_at: rfc3339(added.window.expires_at),
            hosts,
            guests,
            warnings: added.warnings,
        }
    }
}

/// A meeting in a listing: its times and how many links of each role it has.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingSummary {
    /// The meeting's identity.
    pub chat_id: String,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// When its first links start to work (RFC 3339, UTC); absent when at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    /// When its latest links stop working (RFC 3339, UTC).
    pub expires_at: String,
    /// `hc`, `gen` or `cc`.
    pub vertical: String,
    /// How many host links it has.
    pub hosts: i64,
    /// How many guest links it has.
    pub guests: i64,
}

impl From<MeetingSummaryRow> for MeetingSummary {
    fn from(row: MeetingSummaryRow) -> Self {
        Self {
            created_at: rfc3339(row.meeting.created_at_ms / 1000),
            not_before: row.meeting.not_before.map(rfc3339),
            expires_at: rfc3339(row.meeting.expires_at),
            vertical: row.meeting.vertical.as_str().to_owned(),
            chat_id: row.meeting.chat_id.into_string(),
            hosts: row.hosts,
            guests: row.guests,
        }
    }
}

/// A page of meetings, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MeetingPage {
    /// At most `limit` meetings, newest first.
    pub items: Vec<MeetingSummary>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl From<meetings::MeetingPage> for MeetingPage {
    fn from(page: meetings::MeetingPage) -> Self {
        Self {
            items: page.items.into_iter().map(MeetingSummary::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// An SMS invitation the broker took.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InviteSent {
    /// The meeting's identity.
    pub chat_id: String,
    /// How many numbers the broker took.
    pub phones: usize,
    /// The broker's word for it.
    pub status: String,
    /// What the broker said it ignored or assumed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<meetings::InviteSent> for InviteSent {
    fn from(sent: meetings::InviteSent) -> Self {
        Self {
            chat_id: sent.chat_id.into_string(),
            phones: sent.phones,
            status: sent.status,
            warnings: sent.warnings,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_fields_are_named_as_the_request_names_them() {
        assert_eq!(ApiNames.name(&Field::Ttl), "ttlSeconds");
        assert_eq!(ApiNames.name(&Field::ExpiresAt), "expiresAt");
        assert_eq!(ApiNames.name(&Field::Count), "count");
        assert_eq!(ApiNames.name(&Field::Guests), "guests");
        assert_eq!(ApiNames.name(&Field::Phones(Some(1))), "phones[1]");
    }
}
