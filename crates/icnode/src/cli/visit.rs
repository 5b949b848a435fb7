//! `icnode visit` and `icnode revoke`: the flags of the clients of a running service's API
//! (`/v1/visits`, a meeting's `revoke`). Times, zones,
//! reminders, states and pages are passed as written: the service reads them by its own
//! rules and names what it refuses.

use clap::{Args, Subcommand};
use secrecy::SecretString;
use serde::Serialize;
use server::domain::VisitState;

/// The address `icnode visit` calls unless told: where `icnode up` and `icnode serve` listen
/// by default (a unit test holds the two together).
pub const DEFAULT_SERVICE_URL: &str = "http://127.0.0.1:8080";

#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Book a visit. Its links are made when they are needed: the service's --visit-lead
    /// before the start, or with the first reminder if that is earlier.
    Book(BookArgs),
    /// Print a visit: its people with their links once made, its reminders and its jobs.
    Get(VisitIdArgs),
    /// Print a page of the visits, by start.
    List(VisitListArgs),
    /// Reschedule a visit: what is not given stays.
    Move(MoveArgs),
    /// Cancel a visit: its jobs not yet run are dropped, and its links made already are
    /// revoked (the broker's own URLs of them work until they expire).
    Cancel(VisitIdArgs),
}

/// `icnode revoke`: a meeting's own links, ended on a running service.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The meeting's chat id
    pub chat_id: String,
    /// Only this role's links: host or guest [default: every link of the meeting]
    #[arg(long, env = "ICNODE_ROLE", conflicts_with = "link")]
    pub role: Option<String>,
    /// Only this link: its code (the last part of its URL, /l/<code>)
    #[arg(long, env = "ICNODE_LINK")]
    pub link: Option<String>,
    #[command(flatten)]
    pub service: ServiceConnection,
    /// Print the service's JSON
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

/// Where the service is, and the API key it is called with.
#[derive(Debug, Args)]
pub struct ServiceConnection {
    /// The service's base URL (`icnode up` or `icnode serve`)
    #[arg(long, env = "ICNODE_URL", default_value = DEFAULT_SERVICE_URL)]
    pub url: url::Url,
    /// An API key of the service (`icnode keys create`, or `up`'s <data-dir>/dev-api-key);
    /// required. Give it in the variable: a command line is visible to every user (ps)
    #[arg(long, env = "ICNODE_API_KEY", hide_env_values = true, value_parser = api_key)]
    pub api_key: Option<SecretString>,
}

/// A visit's times and reminders, as `book` and `move` take them.
#[derive(Debug, Args)]
pub struct ScheduleFlags {
    /// The IANA time zone (Europe/Berlin) that wall times are in and reminders are counted in
    #[arg(long, env = "ICNODE_TIME_ZONE", value_name = "ZONE")]
    pub time_zone: Option<String>,
    /// A reminder: an ISO 8601 offset before the start (-P1D, -PT15M); repeat for more
    /// [default: book: -PT15M; move: the visit's]
    #[arg(
        long = "remind",
        env = "ICNODE_REMIND",
        value_name = "OFFSET",
        value_delimiter = ',',
        allow_hyphen_values = true
    )]
    pub reminders: Vec<String>,
    /// No reminders at all
    #[arg(long, env = "ICNODE_NO_REMINDERS", conflicts_with = "reminders")]
    pub no_reminders: bool,
}

impl ScheduleFlags {
    /// The reminders asked for: none with `--no-reminders`, `None` when neither flag is given.
    pub fn reminders(&self) -> Option<Vec<String>> {
        if self.no_reminders {
            Some(Vec::new())
        } else {
            (!self.reminders.is_empty()).then(|| self.reminders.clone())
        }
    }
}

#[derive(Debug, Args)]
pub struct BookArgs {
    #[command(flatten)]
    pub service: ServiceConnection,
    /// When it starts: Unix seconds, RFC 3339 with its offset (2027-01-15T09:00:00-05:00), or
    /// a wall time with --time-zone
    #[arg(long, env = "ICNODE_START", value_name = "TIME")]
    pub start: String,
    /// When it ends, written as --start
    #[arg(long, env = "ICNODE_END", value_name = "TIME")]
    pub end: String,
    #[command(flatten)]
    pub schedule: ScheduleFlags,
    /// A host, each part optional: name=Dr. Ada,phone=+14155550100,email=ada@example.com,language=de
    /// (no comma inside a value); repeat for more
    #[arg(
        long = "host",
        env = "ICNODE_HOST",
        value_name = "SPEC",
        value_parser = party,
        required = true
    )]
    pub hosts: Vec<Party>,
    /// A guest, written as --host; guests with a phone are sent the reminders by SMS
    #[arg(
        long = "guest",
        env = "ICNODE_GUEST",
        value_name = "SPEC",
        value_parser = party,
        required = true
    )]
    pub guests: Vec<Party>,
    /// The family of join pages [default: hc]
    #[arg(long, env = "ICNODE_VERTICAL", value_parser = vertical())]
    pub vertical: Option<instant_connect::Vertical>,
    /// Free text kept with the visit, shown to API callers and never put in a message
    #[arg(long, env = "ICNODE_NOTES")]
    pub notes: Option<String>,
    /// Print the service's JSON instead of a summary
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    #[command(flatten)]
    pub service: ServiceConnection,
    /// The visit's id
    pub id: String,
    /// The new start, written as when booking
    #[arg(long, env = "ICNODE_START", value_name = "TIME")]
    pub start: Option<String>,
    /// The new end, written as when booking
    #[arg(long, env = "ICNODE_END", value_name = "TIME")]
    pub end: Option<String>,
    #[command(flatten)]
    pub schedule: ScheduleFlags,
    /// Print the service's JSON instead of a summary
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

/// One visit, by its id (`get`, `cancel`).
#[derive(Debug, Args)]
pub struct VisitIdArgs {
    #[command(flatten)]
    pub service: ServiceConnection,
    /// The visit's id
    pub id: String,
    /// Print the service's JSON instead of a summary
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VisitListArgs {
    #[command(flatten)]
    pub service: ServiceConnection,
    #[arg(
        long,
        env = "ICNODE_STATE",
        help = format!(
            "Only visits in this state: {}",
            VisitState::ALL.map(VisitState::as_str).join(", ")
        )
    )]
    pub state: Option<String>,
    #[arg(
        long,
        env = "ICNODE_LIMIT",
        value_name = "N",
        help = format!(
            "Visits in the page (1-{}) [default: {}]",
            server::meetings::MAX_PAGE,
            server::meetings::DEFAULT_PAGE
        )
    )]
    pub limit: Option<u32>,
    /// Where the page starts: the cursor the page before named
    #[arg(long, env = "ICNODE_CURSOR")]
    pub cursor: Option<String>,
    /// Print the service's JSON instead of a table
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
}

/// A person in a visit as `--host` and `--guest` write one, as the API takes it.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Party {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// The keys of a SPEC.
const PARTY_KEYS: &str = "name, phone, email, language";

/// A SPEC: comma-separated `key=value` parts, each key at most once; what a value must be is
/// the service's to say.
pub(super) fn party(text: &str) -> Result<Party, String> {
    let mut party = Party::default();
    for part in text.split(',').filter(|part| !part.trim().is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("`{part}` is not KEY=VALUE (keys: {PARTY_KEYS})"));
        };
        let key = key.trim();
        let slot = match key {
            "name" => &mut party.name,
            "phone" => &mut party.phone,
            "email" => &mut party.email,
            "language" => &mut party.language,
            _ => return Err(format!("unknown key `{key}` (keys: {PARTY_KEYS})")),
        };
        if slot.replace(value.trim().to_owned()).is_some() {
            return Err(format!("`{key}` is given twice"));
        }
    }
    Ok(party)
}

/// An API key as given; never shown (`SecretString`'s `Debug` hides it).
fn api_key(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text))
}

/// A family of join pages, by the API's names; `--help` and errors list them.
fn vertical() -> impl clap::builder::TypedValueParser<Value = instant_connect::Vertical> {
    use clap::builder::TypedValueParser as _;
    let names = instant_connect::Vertical::ALL.map(instant_connect::Vertical::as_str);
    clap::builder::PossibleValuesParser::new(names)
        .try_map(|text| text.parse::<instant_connect::Vertical>())
}
