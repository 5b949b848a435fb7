//! The command line, as clap types. Every flag also reads an `ICNODE_*` variable; values of
//! secret variables are never shown in `--help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "icnode",
    version,
    about = "Webex Instant Connect links: a local broker, link making, and (soon) a node service"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Everything on one address: the local broker (the node service and console come later).
    Up(UpArgs),
    /// The local Instant Connect broker alone.
    Broker(BrokerArgs),
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
    #[arg(long, default_value = "PBES2-HS512+A256KW")]
    pub alg: instant_connect::KeyAlg,
    /// Content encryption
    #[arg(long, default_value = "A256GCM")]
    pub enc: instant_connect::ContentEnc,
    /// PBES2 iteration count (13602 is the real broker's sample)
    #[arg(long, default_value_t = 13602, value_parser = clap::value_parser!(u32).range(1000..=32767))]
    pub iterations: u32,
    /// How long to mint
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// Print JSON
    #[arg(long)]
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
}

#[derive(Debug, Args)]
pub struct NodeRunArgs {
    /// A definition file, or builtin:instant-connect
    pub file: String,
    /// The method's request name, e.g. "Generate Basic Link"
    pub method: String,
    /// A dynamic parameter; repeat for more
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// Replace the scheme and host of the resource URL (run a production node locally)
    #[arg(long, env = "ICNODE_BROKER_URL")]
    pub broker_url: Option<url::Url>,
    /// NAME=value lines for `$(secret:NAME)` [default: ICNODE_<NAME> variables]
    #[arg(long, env = "ICNODE_SECRETS_FILE")]
    pub secrets_file: Option<PathBuf>,
    /// Print JSON instead of text
    #[arg(long)]
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
}

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Args)]
pub struct BrokerArgs {
    #[command(flatten)]
    pub serve: ServeArgs,
    /// URL clients use to reach this broker (base of short links) [default: http://<listen>]
    #[arg(long, env = "ICNODE_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Accepted bearer token; repeat for more. None given: one is generated into the data dir.
    #[arg(
        long = "token",
        env = "ICNODE_BROKER_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub tokens: Vec<String>,
    /// PBES2 password of the links [default: random, kept in <data-dir>/broker-secret]
    #[arg(long, env = "ICNODE_BROKER_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// The org's id (a UUID), the `iss` of every link [default: generated once]
    #[arg(long, env = "ICNODE_ORG_ID")]
    pub org_id: Option<String>,
    /// The org's name, shown on join pages and in space details
    #[arg(long, env = "ICNODE_ORG_NAME")]
    pub org_name: Option<String>,
    /// Fix the PBES2 iteration count (1000-32767) [default: random per link]
    #[arg(long, env = "ICNODE_ITERATIONS", value_parser = clap::value_parser!(u32).range(1000..=32767))]
    pub iterations: Option<u32>,
    /// Fix the PBES2 salt length in bytes (8-128) [default: random per link]
    #[arg(long, env = "ICNODE_SALT_LENGTH", value_parser = clap::value_parser!(u32).range(8..=128))]
    pub salt_length: Option<u32>,
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
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VerticalArg {
    Hc,
    Gen,
}

/// Options a meeting's links share.
#[derive(Debug, Args)]
pub struct LinkOptions {
    /// The meeting identity (`sub`): links with the same id join the same meeting
    #[arg(long)]
    pub chat_id: String,
    /// Links live this long, e.g. 2h or 1d [default: 15m, the broker's default]
    #[arg(long, value_parser = humantime::parse_duration, conflicts_with_all = ["nbf", "exp"])]
    pub ttl: Option<Duration>,
    /// Links work from this time (Unix seconds or RFC 3339)
    #[arg(long, value_parser = parse_time)]
    pub nbf: Option<i64>,
    /// Links stop working at this time (Unix seconds or RFC 3339)
    #[arg(long, value_parser = parse_time)]
    pub exp: Option<i64>,
    /// Wording of the join pages
    #[arg(long, value_enum, default_value = "hc")]
    pub vertical: VerticalArg,
    /// Hand out long URLs instead of short ones
    #[arg(long)]
    pub no_short: bool,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    #[command(flatten)]
    pub connection: BrokerConnection,
    #[command(flatten)]
    pub options: LinkOptions,
    /// Number of host links (0-25)
    #[arg(long, default_value_t = 1)]
    pub hosts: i64,
    /// Number of guest links (0-25)
    #[arg(long, default_value_t = 1)]
    pub guests: i64,
}

#[derive(Debug, Args)]
pub struct AddGuestArgs {
    #[command(flatten)]
    pub connection: BrokerConnection,
    #[command(flatten)]
    pub options: LinkOptions,
    /// Number of guest links (1-25)
    #[arg(long, default_value_t = 1)]
    pub guests: i64,
}

/// Unix seconds, or an RFC 3339 time such as 2026-12-01T09:00:00Z.
fn parse_time(text: &str) -> Result<i64, String> {
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    humantime::parse_rfc3339_weak(text)
        .map_err(|e| format!("expected Unix seconds or an RFC 3339 time: {e}"))
        .and_then(|t| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .map_err(|_| "times before 1970 are not accepted".to_owned())
        })
}
