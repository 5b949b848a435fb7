//! The command line, as clap types. Every flag also reads an `ICNODE_*` variable: its long
//! name in capitals (`--chat-id` ↔ `ICNODE_CHAT_ID`), except `--token` ↔ `ICNODE_BROKER_TOKENS`
//! and `--secret` ↔ `ICNODE_BROKER_SECRET`. Values of secret variables never show in `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod audit;
mod values;
mod visit;

pub use audit::{AuditArgs, AuditCommand, AuditListArgs};
pub use values::KeyDatabase;
use values::{
    duration, in_largest_unit, iterations, key_role, positive_duration, proxy_addresses,
    retention_period, salt_lengths, tenant_id, token_source, up_to,
};
pub use visit::{
    BookArgs, DEFAULT_SERVICE_URL, MoveArgs, Party, RevokeArgs, ServiceConnection, VisitCommand,
    VisitIdArgs, VisitListArgs,
};

#[derive(Debug, Parser)]
#[command(
    name = "icnode",
    version,
    about = "Webex Instant Connect links: a local broker, link making, and a custom-node engine"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything on one address: the local broker and the node service.
    Up(UpArgs),
    /// The local Instant Connect broker alone.
    Broker(BrokerArgs),
    /// The node service alone (meetings, node runs, API keys), against any broker.
    Serve(Box<ServiceArgs>),
    /// The node service's API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The node service's tenants: each owns its keys, meetings and nodes.
    #[command(subcommand)]
    Tenants(TenantsCommand),
    /// The audit trail of every tenant, newest first: each change a key asked for (done or
    /// refused) and each change of the operator's. `audit prune` deletes old rows.
    Audit(AuditArgs),
    /// Apply the service database's migrations not yet applied, then stop: on PostgreSQL the
    /// owner migrates, and the service may run as a role that cannot.
    Migrate {
        #[command(flatten)]
        database: KeyDatabase,
    },
    /// Book, read, list, move and cancel visits on a running service (`icnode up` or
    /// `icnode serve`) through its API.
    #[command(subcommand)]
    Visit(VisitCommand),
    /// Revoke a meeting's own links on a running service through its API: all of them, one
    /// role's (--role) or one (--link). Opening one then shows that it was revoked; the
    /// broker's own URLs of a link work until it expires.
    Revoke(RevokeArgs),
    /// Make host and guest links for a meeting, straight from a broker.
    Link(LinkArgs),
    /// Make more guest links for an existing meeting.
    AddGuest(AddGuestArgs),
    /// Check or run a custom integration node definition.
    #[command(subcommand)]
    Node(NodeCommand),
    /// Measure: tokens minted per second on one core, like `openssl speed`.
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Mint link tokens (JWS inside PBES2 JWE) in a loop on one thread.
    Mint(BenchMintArgs),
}

#[derive(Debug, Args)]
pub struct BenchMintArgs {
    /// Key management algorithm
    #[arg(long, env = "ICNODE_ALG", default_value = "PBES2-HS512+A256KW")]
    pub alg: instant_connect::KeyAlg,
    /// Content encryption
    #[arg(long, env = "ICNODE_ENC", default_value = "A256GCM")]
    pub enc: instant_connect::ContentEnc,
    /// PBES2 iteration count (13602 is the real broker's sample)
    #[arg(long, env = "ICNODE_ITERATIONS", default_value_t = 13602, value_parser = iterations())]
    pub iterations: u32,
    /// How long to mint
    #[arg(long, env = "ICNODE_SECONDS", default_value_t = 3.0)]
    pub seconds: f64,
    /// Print JSON
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Report every problem of a definition with a JSON pointer; exit 2 if there are any.
    Check {
        /// A definition file, or builtin:instant-connect
        file: String,
    },
    /// Run one method and print its edge, HTTP status, outputs and elapsed time.
    Run(NodeRunArgs),
    /// Print the JSON Schema of node definitions.
    Schema,
    /// Make a definition from a Postman collection, an OpenAPI document, a WSDL or a curl
    /// command line: the definition on stdout (or --output), the notes on stderr.
    #[command(subcommand)]
    Import(NodeImportCommand),
    /// Write a definition in another format.
    #[command(subcommand)]
    Export(NodeExportCommand),
}

#[derive(Debug, Subcommand)]
pub enum NodeImportCommand {
    /// A Postman collection (v2.1): each request a method, folders flattened.
    Postman(NodeImportArgs),
    /// An OpenAPI 3.0 or 3.1 document, JSON or YAML: each operation a method.
    Openapi(NodeImportArgs),
    /// A WSDL 1.1 document: a method per operation of each SOAP 1.1 and 1.2 binding.
    Wsdl(NodeImportArgs),
    /// A curl command line, quoted as one argument: one method.
    Curl(NodeImportCurlArgs),
}

#[derive(Debug, Args)]
pub struct NodeImportArgs {
    /// The file to import, or its http(s) URL (fetched; relative URLs in it resolve against it)
    #[arg(value_name = "FILE|URL")]
    pub file: String,
    /// Import only these operations: an operationId, request or WSDL operation name, a path
    /// (`/pets` or `GET /pets`), or a tag, folder or binding; repeat it or separate with commas
    #[arg(long, env = "ICNODE_ONLY", value_name = "NAME", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Print the operations (name, method, path, tags or folder) instead of importing
    #[arg(long, env = "ICNODE_LIST")]
    pub list: bool,
    #[command(flatten)]
    pub out: NodeImportOutput,
}

#[derive(Debug, Args)]
pub struct NodeImportCurlArgs {
    /// The whole curl command line, e.g. 'curl -X POST https://… -H "…" -d "…"'
    pub line: String,
    #[command(flatten)]
    pub out: NodeImportOutput,
}

#[derive(Debug, Args)]
pub struct NodeImportOutput {
    /// The node's name [default: the collection's, the document's title, or the URL's host]
    #[arg(long, env = "ICNODE_NAME")]
    pub name: Option<String>,
    /// Write the definition to this file instead of stdout
    #[arg(short, long, env = "ICNODE_OUTPUT")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum NodeExportCommand {
    /// A Postman collection (v2.1): dynamic fields and secrets become empty variables.
    Postman {
        /// A definition file, or builtin:instant-connect
        node: String,
        /// Write the collection to this file instead of stdout
        #[arg(short, long, env = "ICNODE_OUTPUT")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct NodeRunArgs {
    /// A definition file, or builtin:instant-connect
    pub file: String,
    /// The method, by its name ("Generate Basic Link") or its slug (generate-basic-link)
    pub method: String,
    /// A dynamic parameter; repeat for more
    #[arg(long = "param", env = "ICNODE_PARAM", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Replace the scheme, host and port of the resource URL and prefix its path with this
    /// URL's (run a production node locally)
    #[arg(long, env = "ICNODE_BROKER_URL")]
    pub broker_url: Option<url::Url>,
    /// NAME=value lines for `$(secret:NAME)` [default: ICNODE_<NAME> variables]
    #[arg(long, env = "ICNODE_SECRETS_FILE")]
    pub secrets_file: Option<PathBuf>,
    /// Print JSON instead of text
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "ICNODE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Where state is kept (SQLite, the broker's secret and org).
    #[arg(long, env = "ICNODE_DATA_DIR", default_value = "./icnode-data")]
    pub data_dir: PathBuf,
    /// Keep everything in memory; nothing survives a restart.
    #[arg(long, env = "ICNODE_EPHEMERAL")]
    pub ephemeral: bool,
    /// How log lines are written to stderr
    #[arg(long, env = "ICNODE_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub connections: ConnectionOptions,
}

/// How long a connection is held and how many are, for every command that serves.
#[derive(Debug, Args)]
pub struct ConnectionOptions {
    /// How long a new connection may take to send its first request's headers (and any
    /// request its headers)
    #[arg(long, env = "ICNODE_HEADER_TIMEOUT", default_value = "10s", value_parser = positive_duration)]
    pub header_timeout: Duration,
    /// How long a connection may sit with no request after an answer before it is closed
    #[arg(long, env = "ICNODE_IDLE_TIMEOUT", default_value = "30s", value_parser = positive_duration)]
    pub idle_timeout: Duration,
    /// Connections held at once; more are closed as they arrive (and fewer if the open-file
    /// limit, raised at start to its hard limit, cannot hold them)
    #[arg(long, env = "ICNODE_MAX_CONNECTIONS", default_value_t = server::settings::MAX_CONNECTIONS)]
    pub max_connections: std::num::NonZeroUsize,
    /// A proxy (address or CIDR range) whose X-Forwarded-For names the client in the access
    /// log; repeat for several
    #[arg(
        long = "trusted-proxy",
        env = "ICNODE_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = proxy_addresses
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl ConnectionOptions {
    pub fn rules(&self) -> server::ConnectionRules {
        server::ConnectionRules {
            first_request: self.header_timeout,
            idle: self.idle_timeout,
            max_connections: self.max_connections,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(flatten)]
    pub pbes2: Pbes2Options,
    #[command(flatten)]
    pub service: ServiceOptions,
}

/// What the node service does, in `up` and `serve` alike.
#[derive(Debug, Args)]
pub struct ServiceOptions {
    /// How long links live when a request gives no validity
    #[arg(long, env = "ICNODE_DEFAULT_TTL", default_value = "15m", value_parser = positive_duration)]
    pub default_ttl: Duration,
    /// Hand out long join URLs unless a request asks for short ones
    #[arg(long, env = "ICNODE_LONG_URLS")]
    pub long_urls: bool,
    /// Let the broker know every meeting by an opaque id, the default tenant's too, so no chat
    /// id (which may be patient data) is in its join pages' titles or its logs [default: the
    /// default tenant's meetings by their chat ids; other tenants' are always opaque]
    #[arg(long, env = "ICNODE_OPAQUE_SUBJECTS")]
    pub opaque_subjects: bool,
    /// More node definitions (*.json) to serve beside the bundled one
    #[arg(long, env = "ICNODE_NODE_DIR")]
    pub node_dir: Option<PathBuf>,
    /// Let the console import nodes (Postman, OpenAPI, curl). An imported node reaches any
    /// address the service can, for whoever holds an API key: `up` allows it, `serve` not unless told
    #[arg(long, env = "ICNODE_ALLOW_NODE_IMPORT")]
    pub allow_node_import: bool,
    /// Let webhook endpoints be at private and local addresses (localhost, 10.0.0.0/8, cloud
    /// metadata...); by default only public ones are allowed, checked on every address a name
    /// resolves to. `up` allows it
    #[arg(long, env = "ICNODE_ALLOW_PRIVATE_WEBHOOK_ADDRESSES")]
    pub allow_private_webhook_addresses: bool,
    /// Read who is in each meeting from the broker's join pages (guest waiting, host joined,
    /// everyone left), which only an icnode broker records; the production broker does not,
    /// and then only opens of own links are known. `up` does it
    #[arg(long, env = "ICNODE_PRESENCE_FROM_BROKER")]
    pub presence_from_broker: bool,
    /// Let imported nodes reach private and local addresses (localhost, 10.0.0.0/8, cloud
    /// metadata...); by default they reach public addresses only. `up` allows it
    #[arg(long, env = "ICNODE_ALLOW_PRIVATE_NODE_ADDRESSES")]
    pub allow_private_node_addresses: bool,
    /// At most this many /v1 requests a minute for each API key (429 with Retry-After beyond
    /// it), counted in each process [default: no limit]
    #[arg(long, env = "ICNODE_RATE_LIMIT")]
    pub rate_limit: Option<std::num::NonZeroU32>,
    /// Tries after the first of a broker call the broker cannot have acted on (connection
    /// refused; 429, 502, 503, 504), with capped exponential backoff and jitter, within --timeout
    #[arg(long, env = "ICNODE_BROKER_RETRIES", default_value_t = 2)]
    pub broker_retries: u32,
    /// The same for node runs; 0 sends a node's request once, as Webex Connect does
    #[arg(long, env = "ICNODE_NODE_RETRIES", default_value_t = 0)]
    pub node_retries: u32,
    /// Broker failures in a row (unreachable, timed out, 5xx, 429, unusable answers) after
    /// which the service stops calling it for --circuit-open-for, and /readyz says so
    #[arg(long, env = "ICNODE_CIRCUIT_FAILURES", default_value = "5")]
    pub circuit_failures: std::num::NonZeroU32,
    /// How long an answer is kept for a request sent again with its Idempotency-Key; after it
    /// the key is free again and the record is pruned
    #[arg(long, env = "ICNODE_IDEMPOTENCY_TTL", default_value = "24h", value_parser = positive_duration)]
    pub idempotency_ttl: Duration,
    /// How long the circuit stays open before one trial call
    #[arg(long, env = "ICNODE_CIRCUIT_OPEN_FOR", default_value = "30s", value_parser = positive_duration)]
    pub circuit_open_for: Duration,
    // The help names the shortest period, which is the service's, written there once.
    #[arg(
        long,
        env = "ICNODE_RETAIN",
        value_parser = retention_period,
        help = format!(
            "Meetings (with their links) that expired, and SMS invites sent, longer ago than \
             this are deleted in small batches by a background task (one process at a time on \
             PostgreSQL); at least {}. The audit trail keeps its own period (`icnode audit \
             prune`) [default: kept]",
            in_largest_unit(server::retention::MIN_RETAIN)
        )
    )]
    pub retain: Option<Duration>,
    /// How long before a visit's start its links start to work: they are made then (or with
    /// the first reminder, if that is earlier); 0s: from the start
    #[arg(
        long,
        env = "ICNODE_VISIT_LEAD",
        default_value = "15m",
        value_parser = duration,
        allow_hyphen_values = true
    )]
    pub visit_lead: Duration,
    /// How long after a visit's end its links still work, and after its start a visit nobody
    /// came to waits before it is a no-show
    #[arg(
        long,
        env = "ICNODE_VISIT_GRACE",
        default_value = "15m",
        value_parser = duration,
        allow_hyphen_values = true
    )]
    pub visit_grace: Duration,
    /// Email a visit's hosts when its guests have waited this long with no host in (known from
    /// the join pages: `up`, or `--presence-from-broker`) [default: no alert]
    #[arg(long, env = "ICNODE_ALERT_HOST_AFTER", value_parser = duration)]
    pub alert_host_after: Option<Duration>,
    /// Send visits' email over SMTP: smtp://HOST:PORT (STARTTLS when offered; add
    /// ?tls=required to insist), smtps://HOST:PORT (TLS from the start), with USER:PASSWORD@
    /// when the server asks (give it in ICNODE_SMTP_URL, not on the command line) [default:
    /// `up` writes .eml files to <data-dir>/mail, shown in the console; `serve` sends none]
    #[arg(long, env = "ICNODE_SMTP_URL", conflicts_with = "mail_outbox")]
    pub smtp_url: Option<String>,
    /// How long a process's claim of a visit's job or of a webhook delivery holds: another
    /// process (or this one, restarted) takes it over once its claim has passed, so a process
    /// that died loses nothing; a job still running past it may run twice, and a delivery
    /// still being sent past it (a lease shorter than the time an endpoint has to answer) may
    /// be sent twice, with the same webhook-id
    #[arg(long, env = "ICNODE_JOB_LEASE", default_value = "5m", value_parser = positive_duration)]
    pub job_lease: Duration,
    /// Write visits' email as .eml files to this directory instead of sending it
    #[arg(long, env = "ICNODE_MAIL_OUTBOX")]
    pub mail_outbox: Option<PathBuf>,
    /// Who visits' email is from: `Name <address>` or an address
    #[arg(long, env = "ICNODE_MAIL_FROM", default_value = server::mail::DEFAULT_FROM)]
    pub mail_from: String,
    /// The service's address as visitors reach it (https://visits.example.com): links are
    /// handed out as <URL>/l/<code> [default: the address it listens on]
    #[arg(long, env = "ICNODE_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
}

impl ServiceOptions {
    /// Where visits' email goes, as `--smtp-url`, `--mail-outbox` and `--mail-from` say;
    /// nowhere when neither is given.
    pub fn mail(&self) -> server::mail::MailSettings {
        use server::mail::MailTransport;
        let transport = match (&self.smtp_url, &self.mail_outbox) {
            (Some(url), _) => MailTransport::Smtp(url.clone()),
            (None, Some(dir)) => MailTransport::Outbox(dir.clone()),
            (None, None) => MailTransport::None,
        };
        server::mail::MailSettings {
            transport,
            from: self.mail_from.clone(),
        }
    }

    /// When a visit's links work, as `--visit-lead` and `--visit-grace` say.
    pub fn link_times(&self) -> server::domain::LinkTimes {
        server::domain::LinkTimes {
            lead: self.visit_lead,
            grace: self.visit_grace,
        }
    }
}

#[derive(Debug, Args)]
pub struct ServiceArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// sqlite://FILE or postgres://USER@HOST/DB [default: sqlite://<data-dir>/icnode.db]
    #[arg(long, env = "ICNODE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<server::settings::DatabaseUrl>,
    #[command(flatten)]
    pub connection: BrokerConnection,
    #[command(flatten)]
    pub service: ServiceOptions,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key
    #[arg(long, env = "ICNODE_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM)
    #[arg(long, env = "ICNODE_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key; the key alone is printed on stdout, this once.
    Create {
        /// A name for people: letters, digits, `-`, `_`, `.`
        name: String,
        /// The tenant the key acts for (see `icnode tenants`)
        #[arg(long, env = "ICNODE_TENANT", default_value = server::domain::DEFAULT_TENANT, value_parser = tenant_id)]
        tenant: server::domain::TenantId,
        /// What the key may do in its tenant: admin (everything), member (meetings and node
        /// runs) or viewer (read only)
        #[arg(long, env = "ICNODE_ROLE", default_value = "admin", value_parser = key_role())]
        role: server::domain::KeyRole,
        #[command(flatten)]
        database: KeyDatabase,
    },
    /// List the keys (names, ids, tenants, roles, dates; never a key).
    List {
        #[command(flatten)]
        database: KeyDatabase,
        /// Print JSON instead of a table
        #[arg(long, env = "ICNODE_JSON")]
        json: bool,
    },
    /// Revoke a key; every service process refuses it from the next request.
    Revoke {
        name: String,
        #[command(flatten)]
        database: KeyDatabase,
    },
}

#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Create a tenant: 1-63 lowercase letters, digits and `-`; its id is printed.
    Create {
        id: String,
        #[command(flatten)]
        limits: TenantLimitFlags,
        #[command(flatten)]
        database: KeyDatabase,
    },
    /// Set a tenant's limits to the flags given, and print them; a limit whose flag is not
    /// given goes back to the service's.
    Limits {
        id: String,
        #[command(flatten)]
        limits: TenantLimitFlags,
        #[command(flatten)]
        database: KeyDatabase,
    },
    /// List the tenants, with when each was created and disabled, and their own limits.
    List {
        #[command(flatten)]
        database: KeyDatabase,
        /// Print JSON instead of a table
        #[arg(long, env = "ICNODE_JSON")]
        json: bool,
    },
    /// Disable a tenant; every service process refuses its keys from the next request.
    Disable {
        id: String,
        #[command(flatten)]
        database: KeyDatabase,
    },
    /// Enable a disabled tenant; its keys work again.
    Enable {
        id: String,
        #[command(flatten)]
        database: KeyDatabase,
    },
    /// Give a tenant a broker token of its own, read from where `--token-source` says on each
    /// use (the token itself is never stored), or back to the service's (`--service-token`).
    Token {
        id: String,
        /// `env:NAME` (a variable of the service's environment) or `file:/absolute/path` (a
        /// file only its owner may read)
        #[arg(
            long,
            env = "ICNODE_TOKEN_SOURCE",
            value_parser = token_source,
            required_unless_present = "service_token",
            conflicts_with = "service_token"
        )]
        token_source: Option<server::domain::TokenSource>,
        /// The tenant presents the service's broker token again
        #[arg(long, env = "ICNODE_SERVICE_TOKEN")]
        service_token: bool,
        #[command(flatten)]
        database: KeyDatabase,
    },
}

/// A tenant's own limits; a flag not given is the service's (for requests its `--rate-limit`,
/// for invites none, for phones and nodes its bound).
#[derive(Debug, Args)]
pub struct TenantLimitFlags {
    /// `/v1` requests a minute, all the tenant's keys together, in each process
    #[arg(long, env = "ICNODE_REQUESTS_PER_MINUTE", value_name = "N")]
    pub requests_per_minute: Option<std::num::NonZeroU32>,
    /// SMS invites in any 24 hours, every process together
    #[arg(long, env = "ICNODE_INVITES_PER_DAY", value_name = "N")]
    pub invites_per_day: Option<u32>,
    // The help names the bounds, which are the service's, written there once.
    #[arg(
        long,
        env = "ICNODE_PHONES_PER_INVITE",
        value_name = "N",
        value_parser = up_to(server::meetings::MAX_PHONES_PER_INVITE),
        help = format!("Numbers one SMS invite may send to (1-{})", server::meetings::MAX_PHONES_PER_INVITE)
    )]
    pub phones_per_invite: Option<u32>,
    #[arg(
        long,
        env = "ICNODE_IMPORTED_NODES",
        value_name = "N",
        value_parser = up_to(server::nodes::MAX_IMPORTED_NODES),
        help = format!("Nodes the tenant's keys may import (1-{})", server::nodes::MAX_IMPORTED_NODES)
    )]
    pub imported_nodes: Option<u32>,
}

impl TenantLimitFlags {
    /// The limits the flags give; `None` where a flag is not given.
    pub fn limits(&self) -> server::domain::TenantLimits {
        server::domain::TenantLimits {
            requests_per_minute: self.requests_per_minute,
            invites_per_day: self.invites_per_day,
            phones_per_invite: self.phones_per_invite,
            imported_nodes: self.imported_nodes,
        }
    }
}

/// How the local broker encrypts links, in `broker` and `up` alike.
#[derive(Debug, Args)]
pub struct Pbes2Options {
    /// Fix the PBES2 iteration count of every link (1000-32767) [default: random per link]
    #[arg(long, env = "ICNODE_ITERATIONS", value_parser = iterations())]
    pub iterations: Option<u32>,
    /// Fix the PBES2 salt length in bytes of every link (8-128) [default: random per link]
    #[arg(long, env = "ICNODE_SALT_LENGTH", value_parser = salt_lengths())]
    pub salt_length: Option<u32>,
}

#[derive(Debug, Args)]
pub struct BrokerArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// URL clients use to reach this broker (base of short links) [default: http://<listen>]
    #[arg(long, env = "ICNODE_PUBLIC_URL")]
    pub public_url: Option<url::Url>,
    /// Accepted bearer token; repeat for more. None given: one is generated into the data dir.
    #[arg(
        long = "token",
        env = "ICNODE_BROKER_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub tokens: Vec<String>,
    /// Refuse tokens this long after the broker first saw them, e.g. 12h as personal access
    /// tokens [default: never]
    #[arg(long, env = "ICNODE_TOKEN_TTL", value_parser = positive_duration)]
    pub token_ttl: Option<Duration>,
    /// PBES2 password of the links [default: random, kept in <data-dir>/broker-secret]
    #[arg(long, env = "ICNODE_BROKER_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// The org's id (a UUID), the `iss` of every link [default: generated once]
    #[arg(long, env = "ICNODE_ORG_ID")]
    pub org_id: Option<uuid::Uuid>,
    /// The org's name, shown on join pages and in space details
    #[arg(long, env = "ICNODE_ORG_NAME")]
    pub org_name: Option<String>,
    #[command(flatten)]
    pub pbes2: Pbes2Options,
    /// Refuse what production evidently accepts but the developer guide does not document
    /// (unknown fields, a past `exp`, a missing `v=1`...) instead of warning about it
    #[arg(long, env = "ICNODE_STRICT")]
    pub strict: bool,
    /// At most this many API requests a minute per token (429 with Retry-After beyond it), as
    /// a busy production broker throttles [default: no limit]
    #[arg(long, env = "ICNODE_THROTTLE")]
    pub throttle: Option<std::num::NonZeroU32>,
    /// For testing clients: a fault injected into the JSON API, repeatable. KIND[=VALUE][,OPTION=VALUE][@RATE]:
    /// latency=250ms, slow-answer=250ms, status=503@0.2, status=429,retry-after=2s, drop, truncate,
    /// not-json; options times=N
    #[arg(long = "fault", env = "ICNODE_FAULTS", value_delimiter = ';')]
    pub faults: Vec<broker::Fault>,
    /// Seeds the draws of faults set at a rate, so each run meets the same ones [default: random]
    #[arg(long, env = "ICNODE_FAULT_SEED")]
    pub fault_seed: Option<u64>,
    /// Token of /_icnode/faults, where tests set faults while the broker runs [default: no such route]
    #[arg(long, env = "ICNODE_FAULT_TOKEN", hide_env_values = true)]
    pub fault_token: Option<String>,
}

/// How to reach a broker; the token comes from the environment or a file, never a flag.
#[derive(Debug, Args)]
pub struct BrokerConnection {
    /// The broker's base URL
    #[arg(long, env = "ICNODE_BROKER_URL", default_value = instant_connect::PRODUCTION_BROKER_URL)]
    pub broker_url: url::Url,
    /// Join host for long URLs [default: instant.webex.com for the production broker, else the broker URL]
    #[arg(long, env = "ICNODE_JOIN_URL")]
    pub join_url: Option<String>,
    /// File holding the broker token [default: the ICNODE_BROKER_TOKEN variable]
    #[arg(long, env = "ICNODE_BROKER_TOKEN_FILE")]
    pub broker_token_file: Option<PathBuf>,
    /// Connection and request timeout
    #[arg(long, env = "ICNODE_TIMEOUT", default_value = "10s", value_parser = positive_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VerticalArg {
    Hc,
    Gen,
    Cc,
}

impl From<VerticalArg> for instant_connect::Vertical {
    fn from(arg: VerticalArg) -> Self {
        match arg {
            VerticalArg::Hc => Self::Hc,
            VerticalArg::Gen => Self::Gen,
            VerticalArg::Cc => Self::Cc,
        }
    }
}

/// Options a meeting's links share.
#[derive(Debug, Args)]
pub struct LinkOptions {
    /// The meeting identity (`sub`): links with the same id join the same meeting
    #[arg(long, env = "ICNODE_CHAT_ID")]
    pub chat_id: String,
    /// Links live this long, e.g. 2h or 1d [default: link: 15m, the broker's default;
    /// add-guest: as long as the meeting's links]
    #[arg(
        long,
        env = "ICNODE_TTL",
        value_parser = positive_duration,
        allow_hyphen_values = true,
        conflicts_with_all = ["nbf", "exp"]
    )]
    pub ttl: Option<Duration>,
    /// Links work from this time: Unix seconds, RFC 3339 with its offset
    /// (2027-01-15T09:00:00-05:00), or a wall time with --time-zone
    #[arg(long, env = "ICNODE_NBF", value_name = "TIME")]
    pub nbf: Option<String>,
    /// Links stop working at this time, written as --nbf
    #[arg(long, env = "ICNODE_EXP", value_name = "TIME")]
    pub exp: Option<String>,
    /// The IANA time zone (America/New_York) that --nbf and --exp are wall times in
    #[arg(long, env = "ICNODE_TIME_ZONE", value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// Wording of the join pages [default: link: hc; add-guest: the meeting's, as the local
    /// broker tells it]
    #[arg(long, env = "ICNODE_VERTICAL", value_enum)]
    pub vertical: Option<VerticalArg>,
    /// Hand out long URLs instead of short ones
    #[arg(long, env = "ICNODE_NO_SHORT")]
    pub no_short: bool,
    /// Print JSON instead of a table
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    #[command(flatten)]
    pub connection: BrokerConnection,
    #[command(flatten)]
    pub options: LinkOptions,
    /// Number of host links (0-25)
    #[arg(long, env = "ICNODE_HOSTS", default_value_t = 1)]
    pub hosts: i64,
    /// Number of guest links (0-25)
    #[arg(long, env = "ICNODE_GUESTS", default_value_t = 1)]
    pub guests: i64,
}

#[derive(Debug, Args)]
pub struct AddGuestArgs {
    #[command(flatten)]
    pub connection: BrokerConnection,
    #[command(flatten)]
    pub options: LinkOptions,
    /// Number of guest links (1-25)
    #[arg(long, env = "ICNODE_GUESTS", default_value_t = 1)]
    pub guests: i64,
}

/// Flags whose value is a secret (their argument id, as clap names it, and the flag), with the
/// variable to give it in instead. A command line is visible to every user of the machine
/// (`ps`, `/proc/PID/cmdline`).
const SECRET_FLAGS: [(&str, &str, &str); 5] = [
    ("tokens", "token", "ICNODE_BROKER_TOKENS"),
    ("api_key", "api-key", "ICNODE_API_KEY"),
    ("secret", "secret", "ICNODE_BROKER_SECRET"),
    ("fault_token", "fault-token", "ICNODE_FAULT_TOKEN"),
    ("database_url", "database-url", "ICNODE_DATABASE_URL"),
];

/// A warning for each secret given on the command line rather than in its variable (a
/// database URL only when it holds a password).
pub fn secrets_on_the_command_line(matches: &clap::ArgMatches) -> Vec<String> {
    let mut found = Vec::new();
    let mut current = Some(matches);
    while let Some(level) = current {
        for (id, flag, variable) in SECRET_FLAGS {
            let given = level.try_get_raw(id).ok().flatten().is_some()
                && level.value_source(id) == Some(clap::parser::ValueSource::CommandLine);
            if !given {
                continue;
            }
            let holds_secret = id != "database_url"
                || level
                    .try_get_one::<server::settings::DatabaseUrl>(id)
                    .ok()
                    .flatten()
                    .is_some_and(|url| {
                        url::Url::parse(&url.0).is_ok_and(|u| u.password().is_some())
                    });
            if holds_secret {
                found.push(format!(
                    "--{flag} on the command line can be read by every user of this machine \
                     (ps); give it in {variable} instead"
                ));
            }
        }
        current = level.subcommand().map(|(_, sub)| sub);
    }
    found
}

#[cfg(test)]
mod tests;
