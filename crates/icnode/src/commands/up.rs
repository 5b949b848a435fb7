//! `icnode up`: the local broker and the node service on one address, the console with them;
//! the service reaches the broker over HTTP, as it would any other.

use std::time::Duration;

use instant_connect::unix_now;
use rand::Rng;
use rand::distributions::Alphanumeric;
use secrecy::ExposeSecret;
use url::Url;

use super::error::CliError;
use super::local_broker::{broker_settings, open};
use super::process::{DEV_KEY_FILE, bind, data_dir, dev_key, init_logging, shown, shutdown_signal};
use super::serve::{apply, apply_connections, start_error};
use crate::cli::UpArgs;

/// Where `up` writes visits' email, in its data directory, unless told otherwise.
pub const MAIL_OUTBOX: &str = "mail";

/// How long the meeting `up` makes at start stays valid.
const UP_LINK_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

pub async fn up(args: UpArgs) -> Result<(), CliError> {
    init_logging(args.serve.log_format);
    let (listener, url) = bind(&args.serve).await?;
    let dir = data_dir(&args.serve);
    let settings = broker_settings(dir.clone(), &args.pbes2);
    // The broker takes the data directory's lock: a second `up` on it stops here.
    let broker = open(settings, &url).await?;
    let token = broker
        .generated_token()
        .cloned()
        .ok_or_else(|| CliError::Runtime("the broker has no dev token".into()))?;
    let database_url = match &dir {
        Some(dir) => server::settings::sqlite_url_in(dir),
        None => server::settings::IN_MEMORY_DATABASE.to_owned(),
    };
    let mut settings = server::Settings::new(database_url, url.clone(), token);
    apply(&mut settings, &args.service);
    apply_connections(&mut settings, &args.serve.connections);
    // `up` is a tool on one's own machine: its console may import nodes, and they and its
    // webhooks may call the machine's own services.
    settings.node_imports = true;
    settings.imported_node_destinations = node::Destinations::Any;
    settings.webhook_destinations = node::Destinations::Any;
    // Its broker is the local one, whose join pages say who is in.
    settings.presence_every = Some(server::settings::PRESENCE_EVERY);
    keep_mail_in(&mut settings, dir.as_deref());
    let mail = settings.mail.transport.clone();
    let app = server::Application::with_listener(listener, settings)
        .await
        .map_err(start_error)?;
    let key = dev_key(app.store(), dir.as_deref()).await?;
    let server = tokio::spawn(
        app.merge(broker.router_without_home())
            .run_until_stopped(shutdown_signal()),
    );

    let base = shown(&url);
    println!("icnode is up at {base}");
    println!("  broker   {base}/api/v2/joseencrypt (and the join pages)");
    println!("  service  {base}/v1/meetings, {base}/v1/nodes (API: {base}/docs)");
    println!("  console  {base}/");
    say_where_mail_goes(&mail);
    let (authorization, secret) = say_where_data_and_key_are(dir.as_deref(), key.as_ref())?;
    println!("make a meeting:");
    println!(
        "  curl -sS -X POST {base}/v1/meetings -H \"Authorization: Bearer {authorization}\" \\\n       -H 'Content-Type: application/json' -d '{{\"guests\": 1}}'"
    );
    // The pair is made the way any caller makes one: a meeting of the service, over HTTP, so
    // the console shows it and who joins it.
    match first_meeting(&url, &secret).await {
        Ok((chat_id, host, guest)) => {
            println!(
                "a fresh meeting `{chat_id}`, valid for {}; open these in a browser:",
                humantime::format_duration(UP_LINK_LIFETIME)
            );
            println!("  host   {host}");
            println!("  guest  {guest}");
            println!("  and watch it at {base}/meetings/{chat_id}");
        }
        Err(error) => eprintln!("icnode: could not make the first meeting: {error}"),
    }
    println!("Ctrl-C stops it.");
    server
        .await
        .map_err(|e| CliError::Runtime(format!("the server task failed: {e}")))?
        .map_err(|e| CliError::Runtime(format!("the server failed: {e}")))
}

/// Says where the data and the dev key are; how the output names the key (`$(cat <file>)`, or
/// the key itself when ephemeral),
/// and the key, for the first meeting.
fn say_where_data_and_key_are(
    dir: Option<&std::path::Path>,
    key: Option<&secrecy::SecretString>,
) -> Result<(String, String), CliError> {
    match (dir, key) {
        (Some(dir), None) => {
            let file = dir.join(DEV_KEY_FILE);
            println!(
                "data in {} (API key in {}, broker token in {})",
                dir.display(),
                file.display(),
                dir.join(broker::identity::TOKEN_FILE).display()
            );
            let secret = std::fs::read_to_string(&file)
                .map_err(|e| CliError::Runtime(format!("{}: {e}", file.display())))?;
            Ok((
                format!("$(cat {})", file.display()),
                secret.trim().to_owned(),
            ))
        }
        (_, Some(key)) => {
            println!("data in memory (--ephemeral): nothing survives a restart");
            let secret = key.expose_secret().to_owned();
            Ok((secret.clone(), secret))
        }
        (None, None) => unreachable!("an ephemeral service always makes its key"),
    }
}

async fn first_meeting(url: &Url, key: &str) -> Result<(String, String, String), CliError> {
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(char::from)
        .collect();
    let body = serde_json::json!({
        "chatId": format!("icnode-up-{suffix}"),
        "expiresAt": unix_now() + UP_LINK_LIFETIME.as_secs() as i64,
    });
    let meetings = url.join("v1/meetings").map_err(|e| CliError::runtime(&e))?;
    let answer: serde_json::Value = reqwest::Client::new()
        .post(meetings)
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| CliError::runtime(&e))?
        .json()
        .await
        .map_err(|e| CliError::runtime(&e))?;
    let text = |pointer: &str| {
        answer
            .pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    match (text("/chatId"), text("/hosts/0/url"), text("/guests/0/url")) {
        (Some(chat_id), Some(host), Some(guest)) => Ok((chat_id, host, guest)),
        _ => Err(CliError::Runtime(
            "the service answered without a host and a guest link".into(),
        )),
    }
}

/// `up`'s email stays on the machine unless it is told where to send it: .eml files in the
/// data directory, which the console shows.
fn keep_mail_in(settings: &mut server::Settings, dir: Option<&std::path::Path>) {
    if let (server::mail::MailTransport::None, Some(dir)) = (&settings.mail.transport, dir) {
        settings.mail.transport = server::mail::MailTransport::Outbox(dir.join(MAIL_OUTBOX));
    }
}

fn say_where_mail_goes(mail: &server::mail::MailTransport) {
    match mail {
        server::mail::MailTransport::Outbox(dir) => {
            println!("  mail     {} (.eml files; no email leaves)", dir.display())
        }
        server::mail::MailTransport::Smtp(_) => println!("  mail     over SMTP (--smtp-url)"),
        server::mail::MailTransport::None => println!("  mail     none (--ephemeral)"),
    }
}
