//! Response bodies, as the production broker writes them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::redact::Redacted;

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
