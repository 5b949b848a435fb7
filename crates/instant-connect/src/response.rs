//! Response bodies, as the production broker writes them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::redact::Redacted;
use crate::request::Role;

/// `200` of `POST /api/v2/joseencrypt`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkResponse {
    pub host: Vec<LinkItem>,
    pub guest: Vec<LinkItem>,
    /// Present only when short URLs were asked for, e.g. `https://instant.webex.com/visit/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// One link: its token, and its short key when short URLs were asked for. `Debug` shows
/// neither: both are bearer credentials to the meeting.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkItem {
    pub cipher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<String>,
}

impl fmt::Debug for LinkItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkItem")
            .field("cipher", &Redacted(&self.cipher))
            .field("short", &self.short.as_deref().map(Redacted))
            .finish()
    }
}

/// `200` of the legacy `POST /api/v1/joseencrypt`: bare ciphers. `Debug` hides them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyLinkResponse {
    pub host: Vec<String>,
    pub guest: Vec<String>,
}

impl fmt::Debug for LegacyLinkResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn hidden(ciphers: &[String]) -> Vec<Redacted<'_>> {
            ciphers.iter().map(|c| Redacted(c)).collect()
        }
        f.debug_struct("LegacyLinkResponse")
            .field("host", &hidden(&self.host))
            .field("guest", &hidden(&self.guest))
            .finish()
    }
}

impl From<LegacyLinkResponse> for LinkResponse {
    fn from(legacy: LegacyLinkResponse) -> Self {
        let items = |ciphers: Vec<String>| {
            ciphers
                .into_iter()
                .map(|cipher| LinkItem {
                    cipher,
                    short: None,
                })
                .collect()
        };
        LinkResponse {
            host: items(legacy.host),
            guest: items(legacy.guest),
            base_url: None,
        }
    }
}

/// `200` of `GET|POST /api/v1/space?int=jose&data=<cipher>`. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpaceDetails {
    /// `Host` or `Guest`.
    pub user_identifier: String,
    pub is_logged_in: bool,
    pub is_host: bool,
    pub organization_id: String,
    pub org_name: String,
    /// An opaque access token for the space.
    pub token: String,
    /// base64 of `ciscospark://us/ROOM/<uuid>`; the same for every link of one `sub`.
    pub space_id: String,
    /// The `sub` the links were made with.
    pub visit_id: String,
    pub integration_type: String,
    /// The meeting's SIP address, `<meetingNumber>@<domain>`: a scheduling app books a video
    /// device into it. Optional here: no public source shows production always sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sip_address: Option<String>,
    /// The meeting's id (32 hex digits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_id: Option<String>,
    /// The meeting number people dial (digits only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_number: Option<String>,
}

impl fmt::Debug for SpaceDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SpaceDetails")
            .field("user_identifier", &self.user_identifier)
            .field("is_logged_in", &self.is_logged_in)
            .field("is_host", &self.is_host)
            .field("organization_id", &self.organization_id)
            .field("org_name", &self.org_name)
            .field("token", &Redacted(&self.token))
            .field("space_id", &self.space_id)
            .field("visit_id", &self.visit_id)
            .field("integration_type", &self.integration_type)
            .field("sip_address", &self.sip_address)
            .field("meeting_id", &self.meeting_id)
            .field("meeting_number", &self.meeting_number)
            .finish()
    }
}

/// `200` of the local broker's `GET /_icnode/meetings/{sub}` (not a production path): what it
/// knows of a meeting, so that links added later can last as long as the first ones and open
/// the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeetingInfo {
    pub sub: String,
    /// `None` when no link was ever made with this `sub`.
    pub space_id: Option<String>,
    /// The latest `exp` of the meeting's links, Unix seconds.
    pub links_expire_at: Option<i64>,
    /// The join pages of the meeting's first links; absent before any, and from a broker
    /// that does not tell.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_type: Option<crate::request::Vertical>,
    /// Whether the meeting's first links had hosts sign in; absent as `vertical_type` is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url_for_host: Option<bool>,
}

/// `200` of the local broker's `GET /_icnode/joins` (not a production path): the presses of
/// its join pages' Join and Leave buttons, oldest first. Poll with `cursor` = the last `id`
/// seen: a page holds the records with a greater id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinsPage {
    pub items: Vec<JoinRecord>,
    /// The `cursor` of the next page, present only when more records follow this page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<i64>,
}

/// One press of a local broker's Join or Leave button, as `GET /_icnode/joins` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinRecord {
    /// Increasing in the order of the presses; the `cursor` that lists the records after it.
    pub id: i64,
    /// The `jti` of the link whose page was used.
    pub jti: String,
    /// The meeting: the `sub` the link was made with.
    pub sub: String,
    pub role: Role,
    pub kind: Movement,
    /// When the button was pressed, Unix seconds.
    pub at: i64,
}

/// Which button a [`JoinRecord`] is the press of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Movement {
    /// Join: the person came into the meeting.
    Joined,
    /// Leave: the person went out of it.
    Left,
}

impl Movement {
    pub const ALL: [Movement; 2] = [Movement::Joined, Movement::Left];

    /// `joined` or `left`, as the wire and the broker's store write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Movement::Joined => "joined",
            Movement::Left => "left",
        }
    }
}

/// `200` of `POST /api/v1/sms/meetingInvite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsInviteResponse {
    pub status: String,
}

/// The error body Webex APIs answer with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerErrorBody {
    pub message: String,
    #[serde(default)]
    pub errors: Vec<ErrorDescription>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDescription {
    pub description: String,
}
