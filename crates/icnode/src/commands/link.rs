//! `icnode link` and `icnode add-guest`: make links from any broker and print them. The
//! meeting's rules are the domain's (`server::domain`); this is wiring, and the one table of
//! the flags that name its fields ([`Flags`]).

use std::time::Duration;

use instant_connect::{Client, ClientError, JoinStyle, JoinUrls, Links, rfc3339, unix_now};
use serde::Serialize;
use server::domain::{
    ChatId, Field, FieldNames, Invalid, LinkCounts, LinkSpec, MeetingOptions, Role, TimeInput,
    TimesAsked, Validity, Window,
};

use super::connection::connect;
use super::error::CliError;
use crate::cli::{AddGuestArgs, LinkArgs, LinkOptions};

/// How long links live when the flags do not say: the broker's 15 minutes.
const DEFAULT_LIFETIME: Duration =
    Duration::from_secs(instant_connect::DEFAULT_LINK_LIFETIME_SECS as u64);

/// What `--json` prints.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Output {
    chat_id: String,
    /// RFC 3339.
    expires_at: String,
    #[serde(flatten)]
    links: Links,
    /// What the broker said it ignored or assumed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// The flag of each field the domain checks, so that errors speak the user's language.
struct Flags;

impl FieldNames for Flags {
    fn name(&self, field: &Field) -> String {
        match field {
            Field::ChatId => "--chat-id".into(),
            Field::Hosts => "--hosts".into(),
            // `add-guest` asks for more links by `--guests`.
            Field::Guests | Field::Count => "--guests".into(),
            Field::HostsAndGuests => "--hosts + --guests".into(),
            Field::NotBefore => "--nbf".into(),
            Field::ExpiresAt => "--exp".into(),
            Field::Ttl => "--ttl".into(),
            Field::TimeZone => "--time-zone".into(),
            Field::Vertical => "--vertical".into(),
            // No command of these sets them; named as the API names them.
            Field::Phones(_) => "phones".into(),
            Field::Limit => "limit".into(),
            Field::Cursor => "cursor".into(),
            Field::ChatIdPrefix => "chatIdPrefix".into(),
            Field::Broker(name) => name.clone(),
        }
    }
}

/// Bad input, every problem in the flags' words.
fn usage(invalid: &[Invalid]) -> CliError {
    let told: Vec<String> = invalid
        .iter()
        .map(|invalid| {
            let worded = Flags.word(invalid);
            format!("{} {}", worded.field, worded.rule)
        })
        .collect();
    CliError::Usage(told.join("; "))
}

pub async fn link(args: LinkArgs) -> Result<(), CliError> {
    let (client, join) = connect(&args.connection)?;
    let now = unix_now();
    let validity = validity(&args.options)?;
    let window = validity
        .fresh(now, DEFAULT_LIFETIME)
        .map_err(|e| usage(&[e]))?;
    let counts = LinkCounts::Meeting {
        hosts: Some(args.hosts),
        guests: Some(args.guests),
    };
    let spec = spec(&args.options, counts, window, &validity)?;
    make_links(&client, &join, &spec, &args.options, now).await
}

/// More guests for a meeting: the same `sub` and options with no hosts, lasting as long as the
/// meeting's links unless told otherwise.
pub async fn add_guest(args: AddGuestArgs) -> Result<(), CliError> {
    let (client, join) = connect(&args.connection)?;
    let now = unix_now();
    let validity = validity(&args.options)?;
    let chat_id = chat_id(&args.options)?;
    let window = match validity.for_more(now).map_err(|e| usage(&[e]))? {
        Some(window) => window,
        None => meeting_window(&client, &chat_id, now).await?,
    };
    let counts = LinkCounts::More {
        role: Role::Guest,
        count: args.guests,
    };
    let spec = spec(&args.options, counts, window, &validity)?;
    make_links(&client, &join, &spec, &args.options, now).await
}

fn chat_id(options: &LinkOptions) -> Result<ChatId, CliError> {
    ChatId::parse(options.chat_id.as_str()).map_err(|e| usage(&[e]))
}

/// The flags' times, read as the service reads a request's (a wall time in --time-zone).
fn validity(options: &LinkOptions) -> Result<Validity, CliError> {
    let text = |flag: &Option<String>| flag.clone().map(TimeInput::Text);
    TimesAsked {
        ttl_seconds: options
            .ttl
            .map(|ttl| i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
        not_before: text(&options.nbf),
        expires_at: text(&options.exp),
        time_zone: options.time_zone.clone(),
    }
    .read()
    .map_err(|invalid| usage(&invalid))
}

fn spec(
    options: &LinkOptions,
    counts: LinkCounts,
    window: Window,
    validity: &Validity,
) -> Result<LinkSpec, CliError> {
    Ok(LinkSpec {
        chat_id: chat_id(options)?,
        counts,
        window,
        options: MeetingOptions {
            vertical: options.vertical.into(),
            host_login: None,
            short_urls: !options.no_short,
        },
        from_lifetime: validity.ttl_seconds.is_some(),
    })
}

async fn make_links(
    client: &Client,
    join: &JoinUrls,
    spec: &LinkSpec,
    options: &LinkOptions,
    now: i64,
) -> Result<(), CliError> {
    spec.check(now).map_err(|errors| usage(&errors))?;
    let reply = client
        .generate_links(&spec.request())
        .await
        .map_err(|error| match error {
            ClientError::Invalid(errors) => usage(&spec.invalid(&errors)),
            other => CliError::runtime(&other),
        })?;
    for warning in &reply.warnings {
        eprintln!("icnode: the broker warned: {warning}");
    }
    let style = JoinStyle {
        vertical: spec.options.vertical,
        ..JoinStyle::default()
    };
    let links = join.links(&reply.value, &style);
    print(options, spec, links, reply.warnings)
}

/// When the meeting's existing links expire, as the local broker knows it: more links last as
/// long, unless those expired.
async fn meeting_window(client: &Client, chat_id: &ChatId, now: i64) -> Result<Window, CliError> {
    let links = match client.local_meeting(chat_id.as_str()).await {
        Ok(reply) => reply.value.links_expire_at.map(|expires_at| Window {
            not_before: None,
            expires_at,
        }),
        Err(ClientError::Status { status: 404, .. }) => {
            return Err(CliError::Usage(format!(
                "the broker at {} cannot tell how long meeting `{chat_id}`'s links last (only \
                 icnode's local broker can): give --ttl or --exp",
                client.broker_url()
            )));
        }
        Err(other) => return Err(CliError::runtime(&other)),
    };
    let Some(links) = links else {
        return Err(CliError::Usage(format!(
            "meeting `{chat_id}` has no links yet: make them with `icnode link`, or give \
             --ttl or --exp"
        )));
    };
    Window::lasting_as(links, now).map_err(|expired| {
        CliError::Usage(format!(
            "meeting `{chat_id}`'s links expired at {}; give {} or {} for new ones",
            rfc3339(expired.expired_at),
            Flags.name(&Field::Ttl),
            Flags.name(&Field::ExpiresAt),
        ))
    })
}

fn print(
    options: &LinkOptions,
    spec: &LinkSpec,
    links: Links,
    warnings: Vec<String>,
) -> Result<(), CliError> {
    let expires_at = rfc3339(spec.window.expires_at);
    if options.json {
        let output = Output {
            chat_id: spec.chat_id.to_string(),
            expires_at,
            links,
            warnings,
        };
        let text = serde_json::to_string_pretty(&output).map_err(|e| CliError::runtime(&e))?;
        println!("{text}");
        return Ok(());
    }
    println!("meeting {}  expires {expires_at}", spec.chat_id);
    println!("{:<6} URL", "ROLE");
    for link in links.hosts.iter().chain(&links.guests) {
        println!("{:<6} {}", link.role.as_str(), link.url);
    }
    Ok(())
}
