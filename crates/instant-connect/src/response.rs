//! Response bodies, as the production broker writes them.

use serde::{Deserialize, Serialize};

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

/// One link: its token, and its short key when short URLs were asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkItem {
    pub cipher: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short: Option<String>,
}

/// `200` of the legacy `POST /api/v1/joseencrypt`: bare ciphers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyLinkResponse {
    pub host: Vec<String>,
    pub guest: Vec<String>,
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

/// `200` of `GET|POST /api/v1/space?int=jose&data=<cipher>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
