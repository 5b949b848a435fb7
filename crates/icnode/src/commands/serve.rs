//! `icnode broker` and `icnode up`: bind, open, print where things are, serve until a signal.

use std::sync::Arc;
use std::time::Duration;

use broker::{BrokerError, BrokerSettings, LocalBroker};
use instant_connect::{
    Client, ClientConfig, JoinStyle, JoinUrls, LinkRequest, SystemClock, unix_now,
};
use rand::Rng;
use rand::distributions::Alphanumeric;
use secrecy::SecretString;
use tokio::net::TcpListener;
use url::Url;

use super::{CliError, flag_for_setting};
use crate::cli::{BrokerArgs, ServeArgs, UpArgs};

/// How long the pair `up` prints stays valid.
const UP_LINK_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ICNODE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

async fn bind(serve: &ServeArgs) -> Result<(TcpListener, Url), CliError> {
    let listener = TcpListener::bind(serve.listen)
        .await
        .map_err(|e| CliError::Runtime(format!("could not listen on {}: {e}", serve.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::Runtime(format!("could not read the bound address: {e}")))?;
    let url = Url::parse(&format!("http://{address}"))
        .map_err(|e| CliError::Runtime(format!("the bound address {address} is no URL: {e}")))?;
    Ok((listener, url))
}

/// A base URL as people write it: without the trailing slash `Url` keeps.
fn shown(url: &Url) -> &str {
    url.as_str().trim_end_matches('/')
}

fn data_dir(serve: &ServeArgs) -> Option<std::path::PathBuf> {
    (!serve.ephemeral).then(|| serve.data_dir.clone())
}

/// Settings errors are the user's (named by their flag); the rest happened at run time.
fn open_error(error: BrokerError) -> CliError {
    match error {
        BrokerError::Settings(error) => {
            CliError::Usage(format!("{} {}", flag_for_setting(error.field), error.rule))
        }
        other => CliError::runtime(&other),
    }
}

async fn open(settings: BrokerSettings, url: &Url) -> Result<LocalBroker, CliError> {
    LocalBroker::open(settings, url, Arc::new(SystemClock))
        .await
        .map_err(open_error)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
    tracing::info!("shutting down");
}

pub async fn broker(args: BrokerArgs) -> Result<(), CliError> {
    init_logging();
    if args.serve.ephemeral && args.tokens.is_empty() {
        return Err(CliError::Usage(
            "--ephemeral needs --token or ICNODE_BROKER_TOKENS: a generated token would be unknowable".into(),
        ));
    }
    let (listener, bound_url) = bind(&args.serve).await?;
    let settings = BrokerSettings {
        data_dir: data_dir(&args.serve),
        public_url: args.public_url,
        tokens: args.tokens.into_iter().map(SecretString::from).collect(),
        token_ttl: args.token_ttl,
        secret: args.secret.map(SecretString::from),
        org_id: args.org_id,
        org_name: args.org_name,
        iterations: args.iterations,
        salt_length: args.salt_length.map(|n| n as usize),
        strict: args.strict,
    };
    let broker = open(settings, &bound_url).await?;
    println!("icnode broker listening on {}", shown(&bound_url));
    println!("public URL {}", broker.public_url());
    println!("org {} ({})", broker.org().org_id, broker.org().org_name);
    match (&broker.generated_token(), data_dir(&args.serve)) {
        (Some(_), Some(dir)) => println!(
            "token kept in {} (use it as ICNODE_BROKER_TOKEN)",
            dir.join(broker::identity::TOKEN_FILE).display()
        ),
        _ => println!("tokens: as given"),
    }
    broker::serve(listener, broker.router(), shutdown_signal())
        .await
        .map_err(|e| CliError::Runtime(format!("the server failed: {e}")))
}

pub async fn up(args: UpArgs) -> Result<(), CliError> {
    init_logging();
    let (listener, url) = bind(&args.serve).await?;
    let settings = BrokerSettings {
        data_dir: data_dir(&args.serve),
        ..BrokerSettings::default()
    };
    let broker = open(settings, &url).await?;
    let token = broker
        .generated_token()
        .cloned()
        .ok_or_else(|| CliError::Runtime("the broker has no dev token".into()))?;
    let server = tokio::spawn(broker::serve(listener, broker.router(), shutdown_signal()));

    println!("icnode is up at {}", shown(&url));
    match data_dir(&args.serve) {
        Some(dir) => println!(
            "data in {} (broker token in {})",
            dir.display(),
            dir.join(broker::identity::TOKEN_FILE).display()
        ),
        None => println!("data in memory (--ephemeral): nothing survives a restart"),
    }
    // The pair is made the way any client makes one: over HTTP, through the library.
    match first_pair(&url, token).await {
        Ok((sub, host, guest)) => {
            println!("a fresh visit `{sub}`, valid for 2 hours; open these in a browser:");
            println!("  host   {host}");
            println!("  guest  {guest}");
        }
        Err(error) => eprintln!("icnode: could not make the first link pair: {error}"),
    }
    println!("Ctrl-C stops it.");
    server
        .await
        .map_err(|e| CliError::Runtime(format!("the server task failed: {e}")))?
        .map_err(|e| CliError::Runtime(format!("the server failed: {e}")))
}

async fn first_pair(url: &Url, token: SecretString) -> Result<(String, String, String), CliError> {
    let client =
        Client::new(ClientConfig::new(url.clone(), token)).map_err(|e| CliError::runtime(&e))?;
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(char::from)
        .collect();
    let sub = format!("icnode-up-{suffix}");
    let mut request = LinkRequest::new(sub.clone());
    request.provide_short_urls = Some(true);
    request.jwt.exp = Some(unix_now() + UP_LINK_LIFETIME.as_secs() as i64);
    let response = client
        .generate_links(&request)
        .await
        .map_err(|e| CliError::runtime(&e))?
        .value;
    let join = JoinUrls::new(url.as_str()).map_err(|e| CliError::runtime(&e))?;
    let links = join.links(&response, &JoinStyle::default());
    match (links.hosts.first(), links.guests.first()) {
        (Some(host), Some(guest)) => Ok((sub, host.url.clone(), guest.url.clone())),
        _ => Err(CliError::Runtime(
            "the broker answered without a host and a guest link".into(),
        )),
    }
}
