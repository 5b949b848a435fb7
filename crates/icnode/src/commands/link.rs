//! `icnode link` and `icnode add-guest`: make links from any broker and print them.

use instant_connect::request::MILLISECONDS_THRESHOLD;
use instant_connect::{
    Client, ClientConfig, ClientError, FieldError, JoinStyle, JoinUrls, LinkRequest, Links,
    ValidationErrors, Vertical, rfc3339, unix_now,
};
use secrecy::SecretString;
use serde::Serialize;

use super::CliError;
use crate::cli::{AddGuestArgs, BrokerConnection, LinkArgs, LinkOptions, VerticalArg};

const TOKEN_VARIABLE: &str = "ICNODE_BROKER_TOKEN";
const DEFAULT_LIFETIME_SECS: i64 = instant_connect::DEFAULT_LINK_LIFETIME_SECS;

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

/// How long the links of one call live, when the flags do not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefaultLifetime {
    /// The broker's 15 minutes.
    Broker,
    /// As long as the meeting's existing links.
    Meeting,
}

pub async fn link(args: LinkArgs) -> Result<(), CliError> {
    make_links(
        &args.connection,
        &args.options,
        args.hosts,
        args.guests,
        DefaultLifetime::Broker,
    )
    .await
}

/// More guests for a meeting: the same `sub` and options with no hosts, lasting as long as the
/// meeting's links unless told otherwise.
pub async fn add_guest(args: AddGuestArgs) -> Result<(), CliError> {
    make_links(
        &args.connection,
        &args.options,
        0,
        args.guests,
        DefaultLifetime::Meeting,
    )
    .await
}

async fn make_links(
    connection: &BrokerConnection,
    options: &LinkOptions,
    hosts: i64,
    guests: i64,
    lifetime: DefaultLifetime,
) -> Result<(), CliError> {
    let (client, join) = connect(connection)?;
    let now = unix_now();
    let exp = expiry(&client, options, lifetime, now).await?;
    let request = request(options, hosts, guests, exp);
    request
        .validate(now)
        .map_err(|errors| flag_errors(&errors, options))?;
    let reply = client
        .generate_links(&request)
        .await
        .map_err(|e| client_error(e, options))?;
    for warning in &reply.warnings {
        eprintln!("icnode: the broker warned: {warning}");
    }
    let style = JoinStyle {
        vertical: vertical(options),
        ..JoinStyle::default()
    };
    print(
        options,
        exp,
        join.links(&reply.value, &style),
        reply.warnings,
    )
}

/// The broker token: from `--broker-token-file`, else `ICNODE_BROKER_TOKEN`.
pub(super) fn broker_token(connection: &BrokerConnection) -> Result<SecretString, CliError> {
    let token = match &connection.broker_token_file {
        Some(path) => node::secrets::read_private_file(path)
            .map(|t| t.trim().to_owned())
            .map_err(|e| CliError::Usage(format!("--broker-token-file: {e}")))?,
        None => std::env::var(TOKEN_VARIABLE).map_err(|_| {
            CliError::Usage(format!(
                "no broker token: set {TOKEN_VARIABLE} or give --broker-token-file"
            ))
        })?,
    };
    if token.is_empty() {
        return Err(CliError::Usage("the broker token is empty".into()));
    }
    Ok(SecretString::from(token))
}

/// The join host links are built on: `--join-url`, else the broker's.
pub(super) fn join_urls(connection: &BrokerConnection) -> Result<JoinUrls, CliError> {
    match &connection.join_url {
        Some(url) => JoinUrls::new(url).map_err(|e| CliError::Usage(format!("--join-url: {e}"))),
        None => Ok(JoinUrls::for_broker(&connection.broker_url)),
    }
}

fn connect(connection: &BrokerConnection) -> Result<(Client, JoinUrls), CliError> {
    let token = broker_token(connection)?;
    let mut config = ClientConfig::new(connection.broker_url.clone(), token);
    config.connect_timeout = connection.timeout;
    config.request_timeout = connection.timeout;
    let client = Client::new(config).map_err(|e| CliError::runtime(&e))?;
    let join = join_urls(connection)?;
    Ok((client, join))
}

fn vertical(options: &LinkOptions) -> Vertical {
    match options.vertical {
        VerticalArg::Hc => Vertical::Hc,
        VerticalArg::Gen => Vertical::Gen,
        VerticalArg::Cc => Vertical::Cc,
    }
}

/// The links' `exp`, always explicit so the printed expiry is exact.
async fn expiry(
    client: &Client,
    options: &LinkOptions,
    lifetime: DefaultLifetime,
    now: i64,
) -> Result<i64, CliError> {
    if let Some(ttl) = options.ttl {
        let exp = i64::try_from(ttl.as_secs())
            .ok()
            .and_then(|secs| now.checked_add(secs))
            .filter(|exp| *exp <= MILLISECONDS_THRESHOLD);
        return exp.ok_or_else(|| {
            CliError::Usage(format!(
                "--ttl is too long: the links would expire after {}",
                rfc3339(MILLISECONDS_THRESHOLD)
            ))
        });
    }
    if let Some(exp) = options.exp {
        return Ok(exp);
    }
    match lifetime {
        DefaultLifetime::Broker => Ok(now + DEFAULT_LIFETIME_SECS),
        DefaultLifetime::Meeting if options.nbf.is_some() => Err(CliError::Usage(
            "--nbf needs --exp or --ttl: links that start later cannot last as the meeting's"
                .into(),
        )),
        DefaultLifetime::Meeting => meeting_expiry(client, &options.chat_id, now).await,
    }
}

/// When the meeting's existing links expire, as the local broker knows it.
async fn meeting_expiry(client: &Client, chat_id: &str, now: i64) -> Result<i64, CliError> {
    match client.local_meeting(chat_id).await {
        Ok(reply) => match reply.value.links_expire_at {
            Some(exp) if exp > now => Ok(exp),
            Some(exp) => Err(CliError::Usage(format!(
                "meeting `{chat_id}`'s links expired at {}; give --ttl or --exp for new ones",
                rfc3339(exp)
            ))),
            None => Err(CliError::Usage(format!(
                "meeting `{chat_id}` has no links yet: make them with `icnode link`, or give \
                 --ttl or --exp"
            ))),
        },
        Err(ClientError::Status { status: 404, .. }) => Err(CliError::Usage(format!(
            "the broker at {} cannot tell how long meeting `{chat_id}`'s links last (only \
             icnode's local broker can): give --ttl or --exp",
            client.broker_url()
        ))),
        Err(other) => Err(CliError::runtime(&other)),
    }
}

fn request(options: &LinkOptions, hosts: i64, guests: i64, exp: i64) -> LinkRequest {
    let mut request = LinkRequest::new(options.chat_id.clone());
    request.num_host = Some(hosts);
    request.num_guest = Some(guests);
    request.jwt.nbf = options.nbf;
    request.jwt.exp = Some(exp);
    request.vertical_type = Some(vertical(options));
    request.provide_short_urls = Some(!options.no_short);
    request
}

/// The flag a request field comes from, so that errors speak the user's language.
fn flag_of(field: &str, options: &LinkOptions) -> String {
    match field {
        "jwt.sub" => "--chat-id".into(),
        "numHost" => "--hosts".into(),
        "numGuest" => "--guests".into(),
        "numHost+numGuest" => "--hosts + --guests".into(),
        "jwt.nbf" => "--nbf".into(),
        "jwt.exp" if options.ttl.is_some() => "--ttl".into(),
        "jwt.exp" => "--exp".into(),
        "verticalType" => "--vertical".into(),
        other => other.into(),
    }
}

fn flag_errors(errors: &ValidationErrors, options: &LinkOptions) -> CliError {
    let told: Vec<String> = errors
        .errors()
        .iter()
        .map(|FieldError { field, rule }| format!("{} {rule}", flag_of(field, options)))
        .collect();
    CliError::Usage(told.join("; "))
}

fn client_error(error: ClientError, options: &LinkOptions) -> CliError {
    match error {
        ClientError::Invalid(errors) => flag_errors(&errors, options),
        other => CliError::runtime(&other),
    }
}

fn print(
    options: &LinkOptions,
    exp: i64,
    links: Links,
    warnings: Vec<String>,
) -> Result<(), CliError> {
    let expires_at = rfc3339(exp);
    if options.json {
        let output = Output {
            chat_id: options.chat_id.clone(),
            expires_at,
            links,
            warnings,
        };
        let text = serde_json::to_string_pretty(&output).map_err(|e| CliError::runtime(&e))?;
        println!("{text}");
        return Ok(());
    }
    println!("meeting {}  expires {expires_at}", options.chat_id);
    println!("{:<6} URL", "ROLE");
    for link in links.hosts.iter().chain(&links.guests) {
        println!("{:<6} {}", link.role.as_str(), link.url);
    }
    Ok(())
}
