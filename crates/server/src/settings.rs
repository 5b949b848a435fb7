//! What the service is told. Typed, with no command line wording: `icnode` fills it from flags
//! and the environment, tests build it by hand.

use std::net::SocketAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use instant_connect::{Clock, SystemClock};
use secrecy::SecretString;
use url::Url;

/// The service's SQLite file in a data directory.
pub const DATABASE_FILE: &str = "icnode.db";

/// Characters a path keeps literally in a SQLite URL; the rest are percent-encoded.
const PATH_SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// The SQLite URL of the service's database in `data_dir`; any path works (`%`, `?`, spaces).
pub fn sqlite_url_in(data_dir: &std::path::Path) -> String {
    let path = data_dir.join(DATABASE_FILE);
    let path = path.to_string_lossy();
    format!(
        "sqlite://{}",
        percent_encoding::utf8_percent_encode(&path, PATH_SET)
    )
}

/// A database that lives as long as the process (`--ephemeral`).
pub const IN_MEMORY_DATABASE: &str = "sqlite::memory:";

/// How long a client has to send a request's headers, by default.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a request's body once its headers are in, by default.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may sit with no request in flight after an answer, by default.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How many connections are held at once, by default (fewer if the descriptor limit is lower).
pub const MAX_CONNECTIONS: NonZeroUsize = NonZeroUsize::new(4096).unwrap();

/// The rules every accepted connection is held to.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionRules {
    /// From the accept to the first request's headers.
    pub first_request: Duration,
    /// From an answer's end to the next request's headers.
    pub idle: Duration,
    /// Connections held at once; more are closed as they arrive.
    pub max_connections: NonZeroUsize,
}

impl Default for ConnectionRules {
    /// [`HEADER_READ_TIMEOUT`], [`IDLE_TIMEOUT`] and [`MAX_CONNECTIONS`].
    fn default() -> Self {
        Self {
            first_request: HEADER_READ_TIMEOUT,
            idle: IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
        }
    }
}

/// The most a request's head (request line and headers) may hold (`431` beyond).
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The most a request's body may hold (`413` beyond).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Links live this long when a request does not say: the broker's own default.
pub const DEFAULT_TTL: Duration =
    Duration::from_secs(instant_connect::DEFAULT_LINK_LIFETIME_SECS as u64);

/// `Debug` shows no token (`secrecy`) and no database password.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen; port 0 picks a free one ([`crate::Application::port`] tells which).
    pub listen: SocketAddr,
    /// `sqlite://path/icnode.db` or `postgres://user@host/db`.
    pub database_url: DatabaseUrl,
    pub broker: BrokerClientSettings,
    /// How long links live when a request gives no validity.
    pub default_ttl: Duration,
    /// Hand out short URLs unless a request says otherwise.
    pub short_urls: bool,
    /// Which meetings the broker knows by their chat ids (the default tenant's, or none).
    pub subjects: crate::domain::Subjects,
    /// More node definitions (`*.json`) served beside the bundled one.
    pub node_dir: Option<PathBuf>,
    /// Let the console import nodes. An imported node sends requests wherever its definition
    /// says, so whoever holds an API key could reach any address the service can: off unless
    /// asked for (`icnode up`, a local tool, asks).
    pub node_imports: bool,
    /// Where imported nodes may send requests: public addresses only unless told (`up`, a
    /// tool on one's own machine, lets them reach the local network).
    pub imported_node_destinations: node::Destinations,
    /// Serve HTTPS with this certificate chain and key (PEM); plain HTTP otherwise (behind
    /// a proxy that terminates TLS).
    pub tls: Option<TlsFiles>,
    /// At most this many `/v1` requests a minute for each API key, in each process (`429` with
    /// `Retry-After` beyond it); `None`: no limit.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    /// How long a connection may wait for a request, and how many are held.
    pub connections: ConnectionRules,
    /// How long a client has to send a request's body once its headers are in.
    pub body_read_timeout: Duration,
    /// How long an answer is kept for a request sent again with its `Idempotency-Key`; after
    /// it the key is free again and the record pruned.
    pub idempotency_ttl: Duration,
    /// How long meetings, their links and invites are kept after they expired (or were
    /// sent); `None` keeps them. At least [`crate::retention::MIN_RETAIN`]. The audit trail
    /// keeps its own period.
    pub retain: Option<Duration>,
    /// How often the retention task deletes what has outlived its use (expired idempotency
    /// records always; meetings, links and invites with [`Settings::retain`]).
    pub retention_every: Duration,
    /// When a visit's links work: from `lead` before its start until `grace` after its end.
    pub link_times: crate::domain::LinkTimes,
    /// How often a process looks for visits' jobs due.
    pub jobs_every: Duration,
    /// How long a process's claim of a job holds before another may take it.
    pub job_lease: Duration,
    /// Where visits' email goes, and from whom.
    pub mail: crate::mail::MailSettings,
    /// The service's address as visitors reach it: own links are handed out as
    /// `{public_url}/l/{code}`. `None`: the address it listens on, which only serves visitors
    /// who can reach that address (the same machine, for `127.0.0.1`).
    pub public_url: Option<Url>,
    /// Which addresses webhook endpoints may be at: public ones only unless the operator
    /// allows others (`up` does: it is a tool on one's own machine).
    pub webhook_destinations: node::Destinations,
    /// How often a process looks for events to fan out and deliveries due.
    pub deliveries_every: Duration,
    /// How often presence is read from the broker's join pages; `None`: never (the production
    /// broker keeps no such record; `up`'s local broker does).
    pub presence_every: Option<Duration>,
    /// How long a visit's guests wait with no host before its hosts with an address are
    /// emailed (presence tells of the wait); `None`: never.
    pub host_alert_after: Option<Duration>,
    /// Proxies in front of the service whose `X-Forwarded-For` names the client in the access
    /// log; a request from anywhere else is logged with its peer's address.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Retries of node runs; off by default, as Webex Connect sends a node's request once.
    pub node_retry: resilience::RetryPolicy,
    /// The time of validation, expiry and paging.
    pub clock: Arc<dyn Clock>,
}

/// Which broker the service calls and how (not the local broker's own settings, which are
/// `broker::BrokerSettings`).
#[derive(Debug, Clone)]
pub struct BrokerClientSettings {
    pub url: Url,
    pub token: SecretString,
    /// Join host of long URLs; `None`: production's for the production broker, else the
    /// broker URL (the local broker serves its own join pages).
    pub join_url: Option<Url>,
    /// Connection and request timeout of each call, retries included.
    pub timeout: Duration,
    /// What is tried again (a connection never made; 429, 502, 503, 504) and how often.
    pub retry: resilience::RetryPolicy,
    /// When to stop calling a broker that keeps failing, and for how long.
    pub breaker: resilience::BreakerSettings,
}

/// A database URL; `Debug` hides its password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl(pub String);

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::store::redact_url(&self.0))
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(Self(text.to_owned()))
    }
}

/// How often a process looks for webhook deliveries due, by default.
pub const DELIVERIES_EVERY: Duration = Duration::from_secs(1);
/// How often a process reads presence from a local broker, when it does: often enough that
/// a host sees a guest waiting within a second.
pub const PRESENCE_EVERY: Duration = Duration::from_millis(250);
/// How often a process looks for visits' jobs due, by default.
pub const JOBS_EVERY: Duration = Duration::from_secs(1);
/// How long a process's claim of a job holds, by default: longer than any job takes (broker
/// calls and their retries, an SMTP exchange), short enough that a dead process's jobs wait
/// little. A job whose claim passed while it still ran may run twice.
pub const JOB_LEASE: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Settings {
    /// Settings with defaults for everything but where the database and broker are.
    pub fn new(database_url: impl Into<String>, broker_url: Url, token: SecretString) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: DatabaseUrl(database_url.into()),
            broker: BrokerClientSettings {
                url: broker_url,
                token,
                join_url: None,
                timeout: instant_connect::client::DEFAULT_TIMEOUT,
                retry: resilience::RetryPolicy::SERVICE,
                breaker: resilience::BreakerSettings::default(),
            },
            default_ttl: DEFAULT_TTL,
            short_urls: true,
            subjects: crate::domain::Subjects::default(),
            node_dir: None,
            node_imports: false,
            imported_node_destinations: node::Destinations::Public,
            tls: None,
            rate_limit_per_minute: None,
            node_retry: resilience::RetryPolicy::OFF,
            connections: ConnectionRules::default(),
            body_read_timeout: BODY_READ_TIMEOUT,
            trusted_proxies: Vec::new(),
            idempotency_ttl: crate::idempotency::DEFAULT_TTL,
            retain: None,
            retention_every: crate::retention::EVERY,
            link_times: crate::domain::LinkTimes::default(),
            jobs_every: JOBS_EVERY,
            job_lease: JOB_LEASE,
            mail: crate::mail::MailSettings::default(),
            public_url: None,
            webhook_destinations: node::Destinations::Public,
            deliveries_every: DELIVERIES_EVERY,
            presence_every: None,
            host_alert_after: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// Uses `clock` everywhere time is read.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}
