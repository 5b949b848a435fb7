//! An async client for an Instant Connect broker, the production one or a local one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{AUTHORIZATION, HeaderMap};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::{
    BrokerErrorBody, LegacyLinkResponse, LinkRequest, LinkResponse, PRODUCTION_BROKER_URL,
    SmsInviteRequest, SmsInviteResponse, SpaceDetails, ValidationErrors,
};

/// The seed's node waits 10 s to connect and 10 s for the whole exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest body excerpt an error keeps when the broker's answer is not its JSON error shape.
const BODY_EXCERPT_CHARS: usize = 200;

/// Where the broker is and how to talk to it. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub broker_url: Url,
    pub token: SecretString,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl ClientConfig {
    pub fn new(broker_url: Url, token: SecretString) -> Self {
        Self {
            broker_url,
            token,
            connect_timeout: DEFAULT_TIMEOUT,
            request_timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The production broker with `token`.
    pub fn production(token: SecretString) -> Self {
        Self::new(
            Url::parse(PRODUCTION_BROKER_URL).expect("the production URL parses"),
            token,
        )
    }
}

/// How a broker call failed. The variants are what a caller branches on.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("the request is invalid: {0}")]
    Invalid(#[from] ValidationErrors),
    #[error("could not connect to the broker at {url}")]
    Connect {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the broker at {url} did not answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("the broker answered {status}: {message}{}", tracking_suffix(.tracking_id))]
    Status {
        status: u16,
        message: String,
        descriptions: Vec<String>,
        tracking_id: Option<String>,
    },
    #[error("the broker's answer (HTTP {status}) is not the expected JSON: {reason}")]
    UnexpectedBody { status: u16, reason: String },
    #[error("talking to the broker at {url} failed")]
    Transport {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the HTTP client could not be built")]
    Build(#[source] reqwest::Error),
}

fn tracking_suffix(tracking_id: &Option<String>) -> String {
    tracking_id
        .as_ref()
        .map(|id| format!(" (trackingId {id})"))
        .unwrap_or_default()
}

/// A broker client; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    broker_url: Url,
    token: SecretString,
    request_timeout: Duration,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("icnode/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ClientError::Build)?;
        Ok(Self {
            http,
            broker_url: config.broker_url,
            token: config.token,
            request_timeout: config.request_timeout,
        })
    }

    pub fn broker_url(&self) -> &Url {
        &self.broker_url
    }

    /// `POST /api/v2/joseencrypt`. The request is validated here first, so a bad one costs no
    /// round trip and fails with the same field names the broker would use.
    pub async fn generate_links(&self, request: &LinkRequest) -> Result<LinkResponse, ClientError> {
        request.validate(unix_now())?;
        self.post_json("api/v2/joseencrypt", request).await
    }

    /// The legacy `POST /api/v1/joseencrypt`, whose items are bare ciphers.
    pub async fn generate_links_legacy(
        &self,
        request: &LinkRequest,
    ) -> Result<LegacyLinkResponse, ClientError> {
        request.validate(unix_now())?;
        self.post_json("api/v1/joseencrypt", request).await
    }

    /// More guest links for the meeting `meeting` was made with: same `sub` and options,
    /// `numHost: 0`, `numGuest: count`.
    pub async fn add_guests(
        &self,
        meeting: &LinkRequest,
        count: i64,
    ) -> Result<LinkResponse, ClientError> {
        let mut request = meeting.clone();
        request.num_host = Some(0);
        request.num_guest = Some(count);
        self.generate_links(&request).await
    }

    /// `GET /api/v1/space?int=jose&data=<cipher>`.
    pub async fn space_details(&self, cipher: &str) -> Result<SpaceDetails, ClientError> {
        let mut url = self.url("api/v1/space");
        url.query_pairs_mut()
            .append_pair("int", "jose")
            .append_pair("data", cipher);
        self.send(self.http.get(url.clone()), &url).await
    }

    /// `POST /api/v1/sms/meetingInvite`.
    pub async fn sms_invite(
        &self,
        invite: &SmsInviteRequest,
    ) -> Result<SmsInviteResponse, ClientError> {
        invite.validate()?;
        self.post_json("api/v1/sms/meetingInvite", invite).await
    }

    fn url(&self, path: &str) -> Url {
        let base = self.broker_url.as_str().trim_end_matches('/');
        Url::parse(&format!("{base}/{path}")).expect("a valid base URL with a plain path")
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ClientError> {
        let url = self.url(path);
        self.send(self.http.post(url.clone()).json(body), &url)
            .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<T, ClientError> {
        let bearer = format!("Bearer {}", self.token.expose_secret());
        let response = request
            .header(AUTHORIZATION, bearer)
            .send()
            .await
            .map_err(|e| self.transport_error(e, url))?;
        let status = response.status();
        let tracking_id = tracking_id(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| self.transport_error(e, url))?;

        if !status.is_success() {
            return Err(status_error(status.as_u16(), &body, tracking_id));
        }
        serde_json::from_slice(&body).map_err(|e| ClientError::UnexpectedBody {
            status: status.as_u16(),
            reason: format!("{e}; body starts {:?}", excerpt(&body)),
        })
    }

    /// A connection that could not be opened (refused, or not within the connection timeout)
    /// is `Connect`; an exchange that ran past the request timeout is `Timeout`.
    fn transport_error(&self, error: reqwest::Error, url: &Url) -> ClientError {
        let url = url_without_query(url);
        if error.is_connect() {
            ClientError::Connect { url, source: error }
        } else if error.is_timeout() {
            ClientError::Timeout {
                url,
                timeout: self.request_timeout,
            }
        } else {
            ClientError::Transport { url, source: error }
        }
    }
}

fn tracking_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get("trackingid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn status_error(status: u16, body: &[u8], header_tracking_id: Option<String>) -> ClientError {
    match serde_json::from_slice::<BrokerErrorBody>(body) {
        Ok(parsed) => ClientError::Status {
            status,
            message: parsed.message,
            descriptions: parsed.errors.into_iter().map(|e| e.description).collect(),
            tracking_id: header_tracking_id.or(parsed.tracking_id),
        },
        Err(_) => ClientError::Status {
            status,
            message: if body.is_empty() {
                "(empty body)".to_owned()
            } else {
                excerpt(body)
            },
            descriptions: Vec::new(),
            tracking_id: header_tracking_id,
        },
    }
}

fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_EXCERPT_CHARS)
        .collect()
}

/// Ciphers travel in query strings; errors name the endpoint, not the token.
fn url_without_query(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.to_string()
}

/// Now, in Unix seconds: the unit of `nbf`, `exp` and `iat`.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
