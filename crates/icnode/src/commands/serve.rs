//! `icnode broker` and `icnode up`: bind, open, print where things are, serve until a signal.

use std::time::Duration;

use broker::{BrokerConfig, LocalBroker, Pbes2Choice};
use instant_connect::{Client, ClientConfig, JoinUrls, LinkRequest, Vertical};
use rand::Rng;
use rand::distributions::Alphanumeric;
use secrecy::SecretString;
use tokio::net::TcpListener;

use super::{CliError, with_causes};
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

async fn bind(serve: &ServeArgs) -> Result<(TcpListener, String), CliError> {
    let listener = TcpListener::bind(serve.listen)
        .await
        .map_err(|e| CliError::Runtime(format!("could not listen on {}: {e}", serve.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| CliError::Runtime(format!("could not read the bound address: {e}")))?;
    Ok((listener, format!("http://{address}")))
}

fn data_dir(serve: &ServeArgs) -> Option<std::path::PathBuf> {
    (!serve.ephemeral).then(|| serve.data_dir.clone())
}

fn open_error(error: broker::BrokerError) -> CliError {
    match error {
        broker::BrokerError::Config(message) => CliError::Usage(message),
        other => CliError::Runtime(with_causes(&other)),
    }
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
    let config = BrokerConfig {
        data_dir: data_dir(&args.serve),
        public_url: args.public_url,
        tokens: args.tokens.into_iter().map(SecretString::from).collect(),
        secret: args.secret.map(SecretString::from),
        org_id: args.org_id,
        org_name: args.org_name,
        pbes2: Pbes2Choice {
            iterations: args.iterations,
            salt_length: args.salt_length.map(|n| n as usize),
        },
    };
    let broker = LocalBroker::open(config, &bound_url)
        .await
        .map_err(open_error)?;
    println!("icnode broker listening on {bound_url}");
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
    let config = BrokerConfig {
        data_dir: data_dir(&args.serve),
        ..BrokerConfig::default()
    };
    let broker = LocalBroker::open(config, &url).await.map_err(open_error)?;
    let token = broker
        .generated_token()
        .cloned()
        .ok_or_else(|| CliError::Runtime("the broker has no dev token".into()))?;
    let server = tokio::spawn(broker::serve(listener, broker.router(), shutdown_signal()));

    println!("icnode is up at {url}");
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

async fn first_pair(url: &str, token: SecretString) -> Result<(String, String, String), String> {
    let broker_url = url.parse().map_err(|e| format!("{e}"))?;
    let client = Client::new(ClientConfig::new(broker_url, token)).map_err(|e| with_causes(&e))?;
    let suffix: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(6)
        .map(char::from)
        .collect();
    let sub = format!("icnode-up-{suffix}");
    let mut request = LinkRequest::new(sub.clone());
    request.provide_short_urls = Some(true);
    request.jwt.exp = Some(instant_connect::unix_now() + UP_LINK_LIFETIME.as_secs() as i64);
    let response = client
        .generate_links(&request)
        .await
        .map_err(|e| with_causes(&e))?;
    let join = JoinUrls::new(url)?;
    let links = join.links(&response, Vertical::Hc, false);
    match (links.hosts.first(), links.guests.first()) {
        (Some(host), Some(guest)) => Ok((sub, host.url.clone(), guest.url.clone())),
        _ => Err("the broker answered without a host and a guest link".into()),
    }
}
