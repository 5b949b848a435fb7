//! `icnode link` and `icnode add-guest`: make links from any broker and print them. The
//! meeting's rules are the domain's (`server::domain`); this is wiring, and the one table of
//! the flags that name its fields ([`Flags`]), which `icnode audit` words its errors with too.

use std::time::Duration;

use instant_connect::{
    Client, ClientError, JoinStyle, JoinUrls, Links, MeetingInfo, Vertical, rfc3339, unix_now,
};
use serde::Serialize;
use server::domain::{
    ChatId, Field, FieldNames, Invalid, LinkCounts, LinkSpec, MeetingOptions, Role, Subject,
    TimeInput, TimesAsked, Validity, Window,
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
            // `icnode audit`'s filters.
            Field::Action => "--action".into(),
            Field::Outcome => "--outcome".into(),
            Field::KeyId => "--key-id".into(),
            Field::Target => "--target".into(),
            Field::Since => "--since".into(),
            Field::Until => "--until".into(),
            Field::Limit => "--limit".into(),
            Field::Cursor => "--cursor".into(),
            // No command of these sets them; named as the API names them.
            Field::Phones(_) => "phones".into(),
            Field::ChatIdPrefix => "chatIdPrefix".into(),
            // Visits, revocations and webhooks go through the API; named as it names them.
            Field::State
            | Field::TemplateKind
            | Field::Language
            | Field::Subject
            | Field::Body
            | Field::Start
            | Field::End
            | Field::Reminders(_)
            | Field::Notes
            | Field::Role
            | Field::Link
            | Field::Url
            | Field::Events(_)
            | Field::Party { .. } => server::http::ApiNames.name(field),
            Field::Broker(name) => name.clone(),
        }
    }
}

/// Bad input, every problem in the flags' words.
pub(super) fn usage(invalid: &[Invalid]) -> CliError {
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
    let spec = link_spec(&args, now)?;
    make_links(&client, &join, &spec, &args.options).await
}

/// What `link` asks the broker for, checked by the domain's rules at `now`; nothing is sent.
pub(crate) fn link_spec(args: &LinkArgs, now: i64) -> Result<LinkSpec, CliError> {
    let validity = validity(&args.options)?;
    let window = validity
        .fresh(now, DEFAULT_LIFETIME)
        .map_err(|e| usage(&[e]))?;
    let counts = LinkCounts::Meeting {
        hosts: Some(args.hosts),
        guests: Some(args.guests),
    };
    let options = MeetingOptions {
        vertical: args.options.vertical.map(Into::into).unwrap_or_default(),
        host_login: None,
        short_urls: !args.options.no_short,
    };
    spec(&args.options, counts, window, options, &validity, now)
}

/// More guests for a meeting: the same `sub` and options with no hosts, lasting as long as the
/// meeting's links and opening the same join pages unless told otherwise.
pub async fn add_guest(args: AddGuestArgs) -> Result<(), CliError> {
    let (client, join) = connect(&args.connection)?;
    let now = unix_now();
    let validity = validity(&args.options)?;
    let chat_id = chat_id(&args.options)?;
    let told = validity.for_more(now).map_err(|e| usage(&[e]))?;
    let vertical = args.options.vertical.map(Vertical::from);
    let (window, vertical, host_login) =
        as_the_meeting(&client, &chat_id, (told, vertical), now).await?;
    let options = MeetingOptions {
        vertical,
        host_login,
        short_urls: !args.options.no_short,
    };
    let counts = LinkCounts::More {
        role: Role::Guest,
        count: args.guests,
    };
    let spec = spec(&args.options, counts, window, options, &validity, now)?;
    make_links(&client, &join, &spec, &args.options).await
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

/// The links asked for, checked against the broker's rules at `now` before anything is sent.
fn spec(
    options: &LinkOptions,
    counts: LinkCounts,
    window: Window,
    meeting: MeetingOptions,
    validity: &Validity,
    now: i64,
) -> Result<LinkSpec, CliError> {
    let spec = LinkSpec {
        // `link` keeps no meeting: the broker knows it by its chat id.
        subject: Subject::of_chat_id(&chat_id(options)?),
        counts,
        window,
        options: meeting,
        from_lifetime: validity.ttl_seconds.is_some(),
    };
    spec.check(now).map_err(|errors| usage(&errors))?;
    Ok(spec)
}

async fn make_links(
    client: &Client,
    join: &JoinUrls,
    spec: &LinkSpec,
    options: &LinkOptions,
) -> Result<(), CliError> {
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
    // Hosts sign in, as by default: only `link` makes host links, and it has no flag to say
    // otherwise (`add-guest` makes guests only, whose page the sign-in does not change).
    let style = JoinStyle {
        vertical: spec.options.vertical,
        ..JoinStyle::default()
    };
    let links = join.links(&reply.value, &style);
    print(options, spec, links, reply.warnings)
}

/// What `add-guest`'s flags left unsaid, for the meeting to tell.
struct Unsaid {
    /// Neither `--ttl` nor `--exp`: as long as the meeting's links.
    window: bool,
    /// No `--vertical`: the meeting's join pages.
    vertical: bool,
}

impl Unsaid {
    /// What meeting `chat_id` must tell, in words.
    fn questions(&self, chat_id: &ChatId) -> String {
        match (self.window, self.vertical) {
            (true, true) => {
                format!("how long meeting `{chat_id}`'s links last and which join pages they open")
            }
            (true, false) => format!("how long meeting `{chat_id}`'s links last"),
            _ => format!("which join pages meeting `{chat_id}`'s links open"),
        }
    }

    /// The flags that say it instead.
    fn flags(&self) -> String {
        let window = format!(
            "{} or {}",
            Flags.name(&Field::Ttl),
            Flags.name(&Field::ExpiresAt)
        );
        let vertical = Flags.name(&Field::Vertical);
        match (self.window, self.vertical) {
            (true, true) => format!("{window}, and {vertical}"),
            (true, false) => window,
            _ => vertical,
        }
    }
}

/// How more links last and open: as the flags said (`told`), and what they left unsaid as the
/// meeting's links do (and their hosts' sign-in, when the meeting was asked).
async fn as_the_meeting(
    client: &Client,
    chat_id: &ChatId,
    told: (Option<Window>, Option<Vertical>),
    now: i64,
) -> Result<(Window, Vertical, Option<bool>), CliError> {
    if let (Some(window), Some(vertical)) = told {
        return Ok((window, vertical, None));
    }
    let unsaid = Unsaid {
        window: told.0.is_none(),
        vertical: told.1.is_none(),
    };
    let meeting = local_meeting(client, chat_id, &unsaid).await?;
    let window = match told.0 {
        Some(window) => window,
        None => meeting_window(&meeting, chat_id, now)?,
    };
    let vertical = match told.1 {
        Some(vertical) => vertical,
        None => meeting_vertical(&meeting, chat_id)?,
    };
    Ok((window, vertical, meeting.login_url_for_host))
}

/// The meeting as the local broker knows it, when it has links; any other broker cannot tell.
async fn local_meeting(
    client: &Client,
    chat_id: &ChatId,
    unsaid: &Unsaid,
) -> Result<MeetingInfo, CliError> {
    let meeting = match client.local_meeting(chat_id.as_str()).await {
        Ok(reply) => reply.value,
        Err(ClientError::Status { status: 404, .. }) => {
            return Err(CliError::Usage(format!(
                "the broker at {} cannot tell {} (only icnode's local broker can): give {}",
                client.broker_url(),
                unsaid.questions(chat_id),
                unsaid.flags(),
            )));
        }
        Err(other) => return Err(CliError::runtime(&other)),
    };
    if meeting.links_expire_at.is_none() {
        return Err(CliError::Usage(format!(
            "meeting `{chat_id}` has no links yet: make them with `icnode link`, or give {}",
            unsaid.flags()
        )));
    }
    Ok(meeting)
}

/// When the meeting's existing links expire: more links last as long, unless those expired.
fn meeting_window(meeting: &MeetingInfo, chat_id: &ChatId, now: i64) -> Result<Window, CliError> {
    let links = Window {
        not_before: None,
        expires_at: meeting.links_expire_at.unwrap_or(now),
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

/// The join pages the meeting's links open; a broker that kept none (links made before it
/// did) cannot tell.
fn meeting_vertical(meeting: &MeetingInfo, chat_id: &ChatId) -> Result<Vertical, CliError> {
    meeting.vertical_type.ok_or_else(|| {
        CliError::Usage(format!(
            "the broker does not know which join pages meeting `{chat_id}`'s links open (they \
             were made before it kept that): give {}",
            Flags.name(&Field::Vertical)
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
            chat_id: spec.subject.as_str().to_owned(),
            expires_at,
            links,
            warnings,
        };
        let text = serde_json::to_string_pretty(&output).map_err(|e| CliError::runtime(&e))?;
        println!("{text}");
        return Ok(());
    }
    println!("meeting {}  expires {expires_at}", spec.subject.as_str());
    println!("{:<6} URL", "ROLE");
    for link in links.hosts.iter().chain(&links.guests) {
        println!("{:<6} {}", link.role.as_str(), link.url);
    }
    Ok(())
}
