//! `icnode link` and `icnode add-guest`: make links from any broker and print them.

use std::time::UNIX_EPOCH;

use instant_connect::{Client, ClientConfig, ClientError, JoinUrls, LinkRequest, Links, Vertical};
use secrecy::SecretString;
use serde::Serialize;

use super::{CliError, with_causes};
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
}

pub async fn link(args: LinkArgs) -> Result<(), CliError> {
    make_links(&args.connection, &args.options, args.hosts, args.guests).await
}

/// More guests for a meeting: the same `sub` and options with no hosts.
pub async fn add_guest(args: AddGuestArgs) -> Result<(), CliError> {
    make_links(&args.connection, &args.options, 0, args.guests).await
}

async fn make_links(
    connection: &BrokerConnection,
    options: &LinkOptions,
    hosts: i64,
    guests: i64,
) -> Result<(), CliError> {
    let (client, join) = connect(connection)?;
    let (request, exp) = request(options, hosts, guests)?;
    let response = client
        .generate_links(&request)
        .await
        .map_err(client_error)?;
    print(
        options,
        exp,
        join.links(&response, vertical(options), false),
    )
}

fn connect(connection: &BrokerConnection) -> Result<(Client, JoinUrls), CliError> {
    let token = match &connection.broker_token_file {
        Some(path) => std::fs::read_to_string(path)
            .map(|t| t.trim().to_owned())
            .map_err(|e| {
                CliError::Usage(format!(
                    "could not read --broker-token-file {}: {e}",
                    path.display()
                ))
            })?,
        None => std::env::var(TOKEN_VARIABLE).map_err(|_| {
            CliError::Usage(format!(
                "no broker token: set {TOKEN_VARIABLE} or give --broker-token-file"
            ))
        })?,
    };
    if token.is_empty() {
        return Err(CliError::Usage("the broker token is empty".into()));
    }
    let mut config = ClientConfig::new(connection.broker_url.clone(), SecretString::from(token));
    config.connect_timeout = connection.timeout;
    config.request_timeout = connection.timeout;
    let client = Client::new(config).map_err(|e| CliError::Runtime(with_causes(&e)))?;
    let is_production = connection.broker_url.as_str().trim_end_matches('/')
        == instant_connect::PRODUCTION_BROKER_URL;
    let join_url = match &connection.join_url {
        Some(url) => url.clone(),
        None if is_production => instant_connect::PRODUCTION_JOIN_URL.to_owned(),
        None => connection.broker_url.as_str().to_owned(),
    };
    let join = JoinUrls::new(&join_url).map_err(|e| CliError::Usage(format!("--join-url: {e}")))?;
    Ok((client, join))
}

fn vertical(options: &LinkOptions) -> Vertical {
    match options.vertical {
        VerticalArg::Hc => Vertical::Hc,
        VerticalArg::Gen => Vertical::Gen,
    }
}

/// The request, with `exp` always explicit so the printed expiry is exact.
fn request(options: &LinkOptions, hosts: i64, guests: i64) -> Result<(LinkRequest, i64), CliError> {
    let now = instant_connect::unix_now();
    let exp = match (options.ttl, options.exp) {
        (Some(ttl), _) => {
            now + i64::try_from(ttl.as_secs())
                .map_err(|_| CliError::Usage("--ttl is too long".into()))?
        }
        (None, Some(exp)) => exp,
        (None, None) => now + DEFAULT_LIFETIME_SECS,
    };
    let mut request = LinkRequest::new(options.chat_id.clone());
    request.num_host = Some(hosts);
    request.num_guest = Some(guests);
    request.jwt.nbf = options.nbf;
    request.jwt.exp = Some(exp);
    request.vertical_type = Some(vertical(options));
    request.provide_short_urls = Some(!options.no_short);
    Ok((request, exp))
}

fn client_error(error: ClientError) -> CliError {
    match error {
        ClientError::Invalid(errors) => CliError::Usage(format!("invalid request: {errors}")),
        other => CliError::Runtime(with_causes(&other)),
    }
}

fn print(options: &LinkOptions, exp: i64, links: Links) -> Result<(), CliError> {
    let expires_at = humantime::format_rfc3339_seconds(
        UNIX_EPOCH + std::time::Duration::from_secs(exp.max(0) as u64),
    )
    .to_string();
    if options.json {
        let output = Output {
            chat_id: options.chat_id.clone(),
            expires_at,
            links,
        };
        let text =
            serde_json::to_string_pretty(&output).map_err(|e| CliError::Runtime(e.to_string()))?;
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
