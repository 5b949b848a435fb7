//! `icnode broker` and `icnode up`: bind, open, print where things are, serve until a signal.
//! `up` serves the local broker and the node service on one address; the service reaches the
//! broker over HTTP, as it would any other.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use broker::{BrokerError, BrokerSettings, LocalBroker};
use instant_connect::{
    Client, ClientConfig, JoinStyle, JoinUrls, LinkRequest, SystemClock, unix_now,
};
use rand::Rng;
use rand::distributions::Alphanumeric;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use url::Url;

use super::{CliError, flag_for_setting};
use crate::cli::{BrokerArgs, LogFormat, Pbes2Options, ServeArgs, UpArgs};

/// How long the pair `up` prints stays valid.
const UP_LINK_LIFETIME: Duration = Duration::from_secs(2 * 60 * 60);

/// Where `up` keeps the dev API key, beside the broker's files and the database.
pub const DEV_KEY_FILE: &str = "dev-api-key";

pub(super) fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ICNODE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => {
            let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
            builder.with_ansi(colour).try_init()
        }
    };
}

pub(super) async fn bind(serve: &ServeArgs) -> Result<(TcpListener, Url), CliError> {
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
pub(super) fn shown(url: &Url) -> &str {
    url.as_str().trim_end_matches('/')
}

fn data_dir(serve: &ServeArgs) -> Option<PathBuf> {
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

pub(super) async fn shutdown_signal() {
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

/// A broker's settings with its data directory and PBES2 choices; the rest as by default.
fn broker_settings(data_dir: Option<PathBuf>, pbes2: &Pbes2Options) -> BrokerSettings {
    BrokerSettings {
        data_dir,
        iterations: pbes2.iterations,
        salt_length: pbes2.salt_length.map(|n| n as usize),
        ..BrokerSettings::default()
    }
}

pub async fn broker(args: BrokerArgs) -> Result<(), CliError> {
    init_logging(args.serve.log_format);
    if args.serve.ephemeral && args.tokens.is_empty() {
        return Err(CliError::Usage(
            "--ephemeral needs --token or ICNODE_BROKER_TOKENS: a generated token would be unknowable".into(),
        ));
    }
    let (listener, bound_url) = bind(&args.serve).await?;
    let settings = BrokerSettings {
        public_url: args.public_url,
        tokens: args.tokens.into_iter().map(SecretString::from).collect(),
        token_ttl: args.token_ttl,
        secret: args.secret.map(SecretString::from),
        org_id: args.org_id,
        org_name: args.org_name,
        strict: args.strict,
        throttle_per_minute: args.throttle,
        faults: args.faults,
        fault_token: args.fault_token.map(SecretString::from),
        ..broker_settings(data_dir(&args.serve), &args.pbes2)
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
    // Served as the service serves itself: slow clients are cut off.
    server::serve_router(listener, broker.router(), shutdown_signal())
        .await
        .map_err(|e| CliError::Runtime(format!("the server failed: {e}")))
}

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
    let mut settings = server::Settings::new(database_url, url.clone(), token.clone());
    super::service::apply(&mut settings, &args.service);
    // `up` is a tool on one's own machine: its console may import nodes, and they may call
    // the machine's own services.
    settings.node_imports = true;
    settings.imported_node_destinations = node::Destinations::Any;
    let app = server::Application::with_listener(listener, settings)
        .await
        .map_err(super::service::start_error)?;
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
    let authorization = match (&dir, &key) {
        (Some(dir), None) => {
            let file = dir.join(DEV_KEY_FILE);
            println!(
                "data in {} (API key in {}, broker token in {})",
                dir.display(),
                file.display(),
                dir.join(broker::identity::TOKEN_FILE).display()
            );
            format!("$(cat {})", file.display())
        }
        (_, Some(key)) => {
            println!("data in memory (--ephemeral): nothing survives a restart");
            key.expose_secret().to_owned()
        }
        (None, None) => unreachable!("an ephemeral service always makes its key"),
    };
    println!("make a meeting:");
    println!(
        "  curl -sS -X POST {base}/v1/meetings -H \"Authorization: Bearer {authorization}\" \\\n       -H 'Content-Type: application/json' -d '{{\"guests\": 1}}'"
    );
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

/// The dev API key: created once into `<data-dir>/dev-api-key` (0600) and kept there, so
/// nothing is returned; with no data directory, made afresh and returned to be shown.
pub(super) async fn dev_key(
    store: &server::Store,
    dir: Option<&std::path::Path>,
) -> Result<Option<SecretString>, CliError> {
    let file = dir.map(|d| d.join(DEV_KEY_FILE));
    if file.as_ref().is_some_and(|f| f.exists()) {
        return Ok(None);
    }
    let now = unix_now();
    let mut created = None;
    for n in 1..=100 {
        let name = if n == 1 {
            "dev".to_owned()
        } else {
            format!("dev-{n}")
        };
        match server::keys::create(store, &name, now).await {
            Ok(key) => {
                created = Some(key);
                break;
            }
            Err(server::keys::KeyError::NameTaken(_)) => continue,
            Err(other) => return Err(CliError::runtime(&other)),
        }
    }
    let key = created.ok_or_else(|| CliError::Runtime("no free name for a dev key".into()))?;
    let Some(file) = file else {
        return Ok(Some(key));
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut handle = options
        .open(&file)
        .map_err(|e| CliError::Runtime(format!("could not write {}: {e}", file.display())))?;
    std::io::Write::write_all(&mut handle, format!("{}\n", key.expose_secret()).as_bytes())
        .map_err(|e| CliError::Runtime(format!("could not write {}: {e}", file.display())))?;
    Ok(None)
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
