//! The service's one way to a broker, the local one included: over HTTP, with one pooled
//! client; every call timed into the metrics, and every failure told in plain words. Calls
//! that the broker cannot have acted on are retried ([`BrokerClientSettings::retry`]); after a run
//! of failures the circuit opens and calls are refused at once for a while
//! ([`BrokerClientSettings::breaker`]), which `/readyz` reports.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use resilience::{Admission, BreakerState, CircuitBreaker};

use instant_connect::{
    Client, ClientConfig, ClientError, Clock, JoinsPage, LinkRequest, LinkResponse, Reply,
    SmsInviteRequest, SmsInviteResponse, SpaceDetails,
};

use crate::domain::TokenSource;
use crate::metrics::Metrics;
use crate::settings::BrokerClientSettings;

/// Why a production token is refused, said wherever a 401 surfaces (errors, `/readyz`).
pub const TOKEN_REFUSED_HELP: &str = "A personal access token lives 12 hours and must belong \
    to an org admin with Instant Connect activated; production wants a bot token. Give the \
    service a fresh token.";

/// A broker call that did not give what was asked, as a caller of the service should hear it.
#[derive(Debug, thiserror::Error)]
pub enum BrokerFailure {
    #[error("the broker refused the service's token (HTTP 401). {TOKEN_REFUSED_HELP}")]
    TokenRefused,
    #[error("the broker refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the broker could not be reached")]
    Unreachable(#[source] ClientError),
    #[error("the broker did not answer in time")]
    Timeout(#[source] ClientError),
    #[error("the broker's answer could not be used")]
    Unusable(#[source] ClientError),
    #[error(
        "the broker failed {failures} times in a row; the service stops calling it for {} s",
        retry_in.as_secs().max(1)
    )]
    CircuitOpen { failures: u32, retry_in: Duration },
}

impl BrokerFailure {
    /// Whether this says the broker is in trouble (down, slow, failing, overloaded), as
    /// opposed to refusing one request or the service's token.
    fn is_broker_trouble(&self) -> bool {
        match self {
            BrokerFailure::Unreachable(_) | BrokerFailure::Timeout(_) => true,
            BrokerFailure::Refused { status, .. } => *status >= 500 || *status == 429,
            BrokerFailure::Unusable(error) => !matches!(error, ClientError::Invalid(_)),
            BrokerFailure::TokenRefused | BrokerFailure::CircuitOpen { .. } => false,
        }
    }
}

impl From<ClientError> for BrokerFailure {
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Status { status: 401, .. } => BrokerFailure::TokenRefused,
            ClientError::Status {
                status, message, ..
            } => BrokerFailure::Refused { status, message },
            error @ ClientError::Timeout { .. } => BrokerFailure::Timeout(error),
            error @ (ClientError::Connect { .. } | ClientError::Transport { .. }) => {
                BrokerFailure::Unreachable(error)
            }
            other => BrokerFailure::Unusable(other),
        }
    }
}

/// What `/readyz` learns of the broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokerHealth {
    Ready,
    TokenRefused,
    Unreachable(String),
    /// Calls are refused without being sent, for `retry_in` more.
    CircuitOpen {
        failures: u32,
        retry_in: Duration,
    },
}

/// How long `/readyz` trusts the broker's last answer.
pub const HEALTH_TTL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Broker {
    client: Client,
    metrics: Arc<Metrics>,
    health: Arc<tokio::sync::Mutex<Option<(Instant, BrokerHealth)>>>,
    breaker: Arc<CircuitBreaker>,
    tenant_tokens: Arc<TenantTokens>,
}

impl Broker {
    pub fn new(
        settings: &BrokerClientSettings,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
    ) -> Result<Self, ClientError> {
        let mut config = ClientConfig::new(settings.url.clone(), settings.token.clone());
        config.connect_timeout = settings.timeout;
        config.request_timeout = settings.timeout;
        config.retry = settings.retry;
        let breaker = CircuitBreaker::new(settings.breaker, instant_connect::now_ms_of(&clock));
        config.clock = clock;
        Ok(Self {
            client: Client::new(config)?,
            metrics,
            health: Arc::default(),
            breaker: Arc::new(breaker),
            tenant_tokens: Arc::default(),
        })
    }

    /// The broker as a tenant reaches it: with its own token, read from `source` now, or
    /// with the service's. One connection pool, circuit breaker and set of metrics for all.
    /// Borrowed for a tenant with none: most meetings, which need no copy of the client.
    pub fn for_tenant(
        &self,
        source: Option<&TokenSource>,
    ) -> Result<std::borrow::Cow<'_, Self>, TokenUnavailable> {
        let Some(source) = source else {
            return Ok(std::borrow::Cow::Borrowed(self));
        };
        let token = self.tenant_tokens.read(source)?;
        Ok(std::borrow::Cow::Owned(Self {
            client: self.client.with_token(token),
            ..self.clone()
        }))
    }

    /// One call through the breaker, timed into the metrics under `endpoint`.
    async fn call<T>(
        &self,
        endpoint: &'static str,
        call: impl Future<Output = Result<T, ClientError>>,
    ) -> Result<T, BrokerFailure> {
        if let Admission::Refused { failures, retry_in } = self.breaker.admit() {
            return Err(BrokerFailure::CircuitOpen { failures, retry_in });
        }
        let started = Instant::now();
        let outcome = call.await.map_err(BrokerFailure::from);
        self.metrics.broker_call(endpoint, started.elapsed());
        self.breaker.record(
            !outcome
                .as_ref()
                .is_err_and(BrokerFailure::is_broker_trouble),
        );
        outcome
    }

    pub async fn generate_links(
        &self,
        request: &LinkRequest,
    ) -> Result<Reply<LinkResponse>, BrokerFailure> {
        self.call("joseencrypt", self.client.generate_links(request))
            .await
    }

    pub async fn space_details(&self, cipher: &str) -> Result<SpaceDetails, BrokerFailure> {
        self.call("space", self.client.space_details(cipher))
            .await
            .map(|reply| reply.value)
    }

    /// `once`: the key a broker that honours it takes the invite once by (a job's id).
    pub async fn sms_invite(
        &self,
        invite: &SmsInviteRequest,
        once: Option<&str>,
    ) -> Result<Reply<SmsInviteResponse>, BrokerFailure> {
        self.call("meetingInvite", self.client.sms_invite(invite, once))
            .await
    }

    /// A local broker's presses of Join and Leave buttons after the one with id `after`
    /// (presence); the production broker has no such record.
    pub async fn joins(&self, after: i64, limit: u32) -> Result<JoinsPage, BrokerFailure> {
        self.call("joins", self.client.joins(after, limit))
            .await
            .map(|reply| reply.value)
    }

    /// Reachable and the token accepted, at no cost: an empty link request is refused for its
    /// body (400) only after the token is accepted, and for the token (401) otherwise. The
    /// answer is kept for [`HEALTH_TTL`], so callers of an open `/readyz` cannot spend the
    /// broker token's rate.
    pub async fn health(&self) -> BrokerHealth {
        if let BreakerState::Open { failures, retry_in } = self.breaker.state() {
            return BrokerHealth::CircuitOpen { failures, retry_in };
        }
        let mut cached = self.health.lock().await;
        if let Some((at, health)) = cached.as_ref()
            && at.elapsed() < HEALTH_TTL
        {
            return health.clone();
        }
        let started = Instant::now();
        let answer = self.client.probe().await;
        self.metrics.broker_call("probe", started.elapsed());
        let health = match answer {
            Ok(401) => BrokerHealth::TokenRefused,
            Ok(status) if status < 500 => BrokerHealth::Ready,
            Ok(status) => BrokerHealth::Unreachable(format!("the broker answered HTTP {status}")),
            Err(error) => {
                tracing::warn!(error = %resilience::report(&error), "readiness: broker");
                let said = match error {
                    ClientError::Connect { .. } => "could not connect to the broker",
                    ClientError::Timeout { .. } => "the broker did not answer in time",
                    _ => "talking to the broker failed",
                };
                BrokerHealth::Unreachable(said.to_owned())
            }
        };
        *cached = Some((Instant::now(), health.clone()));
        health
    }
}

/// A tenant's own broker token that could not be read; the reason is for the operator's log.
#[derive(Debug, thiserror::Error)]
#[error("the token of `{source_text}` could not be read: {why}")]
pub struct TokenUnavailable {
    pub source_text: String,
    pub why: String,
}

/// Tenants' own broker tokens, read where their sources say each time one is used: an
/// environment variable as it is now; a file as it was when last changed (its stamp is looked
/// at on each use, so a rewritten file holds from the next request).
#[derive(Debug, Default)]
pub struct TenantTokens {
    files: std::sync::Mutex<
        std::collections::HashMap<std::path::PathBuf, (FileStamp, secrecy::SecretString)>,
    >,
}

/// What tells a file changed: its time of change, size and mode (one opened to others is
/// refused at once, not when next rewritten).
type FileStamp = (std::time::SystemTime, u64, u32);

impl TenantTokens {
    pub fn read(&self, source: &TokenSource) -> Result<secrecy::SecretString, TokenUnavailable> {
        let unavailable = |why: String| TokenUnavailable {
            source_text: source.stored(),
            why,
        };
        let text = match source {
            TokenSource::Env(name) => std::env::var(name).map_err(|_| {
                unavailable(format!("`{name}` is not set in the service's environment"))
            })?,
            TokenSource::File(path) => return self.read_file(path).map_err(unavailable),
        };
        token_of(text).map_err(unavailable)
    }

    fn read_file(&self, path: &std::path::Path) -> Result<secrecy::SecretString, String> {
        let metadata = std::fs::metadata(path).map_err(|e| e.to_string())?;
        let stamp = (
            metadata.modified().map_err(|e| e.to_string())?,
            metadata.len(),
            std::os::unix::fs::PermissionsExt::mode(&metadata.permissions()),
        );
        let mut files = self
            .files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((seen, token)) = files.get(path)
            && *seen == stamp
        {
            return Ok(token.clone());
        }
        let text = node::secrets::read_private_file(path).map_err(|e| e.to_string())?;
        let token = token_of(text)?;
        files.insert(path.to_owned(), (stamp, token.clone()));
        Ok(token)
    }
}

fn token_of(text: String) -> Result<secrecy::SecretString, String> {
    let token = text.trim();
    if token.is_empty() {
        return Err("it is empty".to_owned());
    }
    Ok(secrecy::SecretString::from(token.to_owned()))
}
