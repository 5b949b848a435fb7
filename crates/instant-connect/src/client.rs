//! An async client for an Instant Connect broker, the production one or a local one.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, HeaderMap, RETRY_AFTER};
use resilience::{RetryPolicy, Verdict};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::api::{PRODUCTION_BROKER_URL, TRACKING_ID_HEADER, WARNING_HEADER};
use crate::request::{LinkRequest, SmsInviteRequest};
use crate::response::{
    BrokerErrorBody, JoinsPage, LegacyLinkResponse, LinkResponse, MeetingInfo, SmsInviteResponse,
    SpaceDetails,
};
use crate::time::{Clock, SystemClock};
use crate::validation::ValidationErrors;

/// The seed's node waits 10 s to connect and 10 s for the whole exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read by default: broker answers are a few KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// Longest body excerpt an error keeps when the broker's answer is not its JSON error shape.
const BODY_EXCERPT_CHARS: usize = 200;

/// Where the broker is and how to talk to it. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub broker_url: Url,
    pub token: SecretString,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
    /// Answers longer than this are refused with [`ClientError::TooLarge`].
    pub max_response_bytes: usize,
    /// The time requests are validated against.
    pub clock: Arc<dyn Clock>,
    /// What is tried again (a connection never made; 429, 502, 503, 504) and how often, all
    /// within `request_timeout`; default: one try.
    pub retry: RetryPolicy,
}

impl ClientConfig {
    pub fn new(broker_url: Url, token: SecretString) -> Self {
        Self {
            broker_url,
            token,
            connect_timeout: DEFAULT_TIMEOUT,
            request_timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::OFF,
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

/// How a broker call failed. The variants are what a caller branches on. No variant holds a
/// URL's query string (ciphers travel there) or the token.
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
        /// The answer's `Retry-After`, if it had one that parses.
        retry_after: Option<Duration>,
    },
    #[error("the broker's answer (HTTP {status}) is not the expected JSON: {reason}")]
    UnexpectedBody { status: u16, reason: String },
    #[error("the broker's answer (HTTP {status}) is larger than the {limit}-byte limit")]
    TooLarge { status: u16, limit: usize },
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

/// A successful answer, with what the broker said beside it: the warnings of its
/// `Icnode-Warning` headers (what it ignored or assumed) and its tracking id.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    pub value: T,
    pub warnings: Vec<String>,
    pub tracking_id: Option<String>,
    /// How many tries it took (1 without a retry).
    pub attempts: u32,
}

/// A broker client; cheap to clone (the connection pool is shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    broker_url: Url,
    token: SecretString,
    request_timeout: Duration,
    max_response_bytes: usize,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(concat!("icnode/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Build(e.without_url()))?;
        Ok(Self {
            http,
            broker_url: config.broker_url,
            token: config.token,
            request_timeout: config.request_timeout,
            max_response_bytes: config.max_response_bytes,
            clock: config.clock,
            retry: config.retry,
        })
    }

    /// The same client (its connection pool shared) presenting `token` instead.
    pub fn with_token(&self, token: SecretString) -> Self {
        Self {
            token,
            ..self.clone()
        }
    }

    pub fn broker_url(&self) -> &Url {
        &self.broker_url
    }

    /// `POST /api/v2/joseencrypt`. The request is validated here first, so a bad one costs no
    /// round trip and fails with the same field names the broker would use.
    pub async fn generate_links(
        &self,
        request: &LinkRequest,
    ) -> Result<Reply<LinkResponse>, ClientError> {
        request.validate(self.clock.now())?;
        self.post_json("api/v2/joseencrypt", request).await
    }

    /// The legacy `POST /api/v1/joseencrypt`, whose items are bare ciphers.
    pub async fn generate_links_legacy(
        &self,
        request: &LinkRequest,
    ) -> Result<Reply<LegacyLinkResponse>, ClientError> {
        request.validate(self.clock.now())?;
        self.post_json("api/v1/joseencrypt", request).await
    }

    /// `GET /api/v1/space?int=jose&data=<cipher>`.
    pub async fn space_details(&self, cipher: &str) -> Result<Reply<SpaceDetails>, ClientError> {
        let mut url = self.url(&["api", "v1", "space"]);
        url.query_pairs_mut()
            .append_pair("int", "jose")
            .append_pair("data", cipher);
        self.send(|| self.http.get(url.clone()), &url).await
    }

    /// `POST /api/v1/sms/meetingInvite`.
    /// With `once` (an [`IDEMPOTENCY_KEY_HEADER`](crate::IDEMPOTENCY_KEY_HEADER)), an
    /// invite sent again with the same key is taken once by a broker that honours it (the
    /// local one); production ignores the header.
    pub async fn sms_invite(
        &self,
        invite: &SmsInviteRequest,
        once: Option<&str>,
    ) -> Result<Reply<SmsInviteResponse>, ClientError> {
        invite.validate()?;
        let url = self.url(&["api", "v1", "sms", "meetingInvite"]);
        self.send(
            || {
                let request = self.http.post(url.clone()).json(invite);
                match once {
                    Some(key) => request.header(crate::api::IDEMPOTENCY_KEY_HEADER, key),
                    None => request,
                }
            },
            &url,
        )
        .await
    }

    /// The local broker's `GET /_icnode/meetings/{sub}`: how long a meeting's links last.
    /// Production has no such path and answers 404.
    pub async fn local_meeting(&self, sub: &str) -> Result<Reply<MeetingInfo>, ClientError> {
        let url = self.url(&["_icnode", "meetings", sub]);
        self.send(|| self.http.get(url.clone()), &url).await
    }

    /// The local broker's `GET /_icnode/joins?cursor={after}&limit={limit}`: the presses of its
    /// join pages' Join and Leave buttons with an id greater than `after`, oldest first, at
    /// most `limit` of them. Poll with `after` = the last `id` seen (`0` for all);
    /// `next_cursor` says that more follow at once. The broker takes a `limit` from 1 to 1000
    /// and an `after` of 0 or more, and answers anything else with a 400 naming the field.
    /// Local broker only: production has no such route and answers 404.
    pub async fn joins(&self, after: i64, limit: u32) -> Result<Reply<JoinsPage>, ClientError> {
        let mut url = self.url(&["_icnode", "joins"]);
        url.query_pairs_mut()
            .append_pair("cursor", &after.to_string())
            .append_pair("limit", &limit.to_string());
        self.send(|| self.http.get(url.clone()), &url).await
    }

    /// The status a broker gives an empty link request, for health checks: it costs no
    /// minting, since the body is refused (400) once the token is accepted, and the token is
    /// refused (401) otherwise.
    pub async fn probe(&self) -> Result<u16, ClientError> {
        let url = self.url(&["api", "v2", "joseencrypt"]);
        let response = self
            .authorized(self.http.post(url.clone()))
            .json(&serde_json::json!({}))
            .send()
            .await
            .map_err(|e| self.transport_error(e, &url))?;
        Ok(response.status().as_u16())
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        request.header(
            AUTHORIZATION,
            format!("Bearer {}", self.token.expose_secret()),
        )
    }

    /// The broker URL with `segments` appended, each percent-encoded as one segment.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.broker_url.clone();
        url.set_query(None);
        url.path_segments_mut()
            .expect("an http(s) broker URL has a path")
            .pop_if_empty()
            .extend(segments);
        url
    }

    async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Reply<T>, ClientError> {
        let segments: Vec<&str> = path.split('/').collect();
        let url = self.url(&segments);
        self.send(|| self.http.post(url.clone()).json(body), &url)
            .await
    }

    /// Sends what `request` builds, again while the retry policy allows and the answer says
    /// the broker did not act on it, all within the request timeout.
    async fn send<T: DeserializeOwned>(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<Reply<T>, ClientError> {
        let tried = resilience::retry(
            &self.retry,
            self.request_timeout,
            |left| self.send_once(request().timeout(left), url),
            retry_verdict,
        )
        .await;
        if tried.attempts > 1 {
            tracing::info!(
                attempts = tried.attempts,
                succeeded = tried.outcome.is_ok(),
                endpoint = url.path(),
                "broker call retried"
            );
        }
        tried.outcome.map(|mut reply| {
            reply.attempts = tried.attempts;
            reply
        })
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        url: &Url,
    ) -> Result<Reply<T>, ClientError> {
        let mut response = self
            .authorized(request)
            .send()
            .await
            .map_err(|e| self.transport_error(e, url))?;
        let status = response.status().as_u16();
        let tracking_id = header_text(response.headers(), TRACKING_ID_HEADER).next();
        let warnings = header_text(response.headers(), WARNING_HEADER).collect();
        let retry_after = header_text(response.headers(), RETRY_AFTER.as_str())
            .next()
            .and_then(|v| resilience::parse_retry_after(&v, std::time::SystemTime::now()));
        let too_large = ClientError::TooLarge {
            status,
            limit: self.max_response_bytes,
        };
        if declared_length(response.headers()).is_some_and(|n| n > self.max_response_bytes) {
            return Err(too_large);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e, url))?
        {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(too_large);
            }
            body.extend_from_slice(&chunk);
        }

        if !(200..300).contains(&status) {
            return Err(status_error(status, &body, tracking_id, retry_after));
        }
        let value = serde_json::from_slice(&body).map_err(|e| ClientError::UnexpectedBody {
            status,
            reason: format!("{e}; body starts {:?}", excerpt(&body)),
        })?;
        Ok(Reply {
            value,
            warnings,
            tracking_id,
            attempts: 1,
        })
    }

    /// A connection that could not be opened (refused, or not within the connection timeout)
    /// is `Connect`; an exchange that ran past the request timeout is `Timeout`. The error
    /// keeps no URL: reqwest's would carry the query string, and with it a cipher.
    fn transport_error(&self, error: reqwest::Error, url: &Url) -> ClientError {
        let error = error.without_url();
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

/// Every value of header `name` that is text.
fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> impl Iterator<Item = String> + 'h {
    headers
        .get_all(name)
        .into_iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn declared_length(headers: &HeaderMap) -> Option<usize> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// Safe to send again: a connection never made, or a status that says "not now".
fn retry_verdict<T>(outcome: &Result<T, ClientError>) -> Verdict {
    match outcome {
        Err(ClientError::Connect { .. }) => Verdict::Retry { after: None },
        Err(ClientError::Status {
            status,
            retry_after,
            ..
        }) if resilience::is_retryable_status(*status) => Verdict::Retry {
            after: *retry_after,
        },
        _ => Verdict::Done,
    }
}

fn status_error(
    status: u16,
    body: &[u8],
    header_tracking_id: Option<String>,
    retry_after: Option<Duration>,
) -> ClientError {
    match serde_json::from_slice::<BrokerErrorBody>(body) {
        Ok(parsed) => ClientError::Status {
            status,
            message: parsed.message,
            descriptions: parsed.errors.into_iter().map(|e| e.description).collect(),
            tracking_id: header_tracking_id.or(parsed.tracking_id),
            retry_after,
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
            retry_after,
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
