//! `icnode serve` and `icnode keys`: the node service alone, and its API keys.

use std::path::Path;

use secrecy::ExposeSecret;
use server::settings::{IN_MEMORY_DATABASE, TlsFiles, sqlite_url_in};
use server::{Application, Settings, StartError, Store};

use super::CliError;
use super::link::{broker_token, join_urls};
use super::serve::{bind, init_logging, shown, shutdown_signal};
use crate::cli::{KeyDatabase, KeysCommand, ServiceArgs, ServiceOptions};

/// Connections a `keys` command needs.
const KEYS_CONNECTIONS: u32 = 1;

pub async fn serve(args: ServiceArgs) -> Result<(), CliError> {
    init_logging(args.serve.log_format);
    let token = broker_token(&args.connection)?;
    let join = join_urls(&args.connection)?;
    let database_url = match (&args.database_url, args.serve.ephemeral) {
        (Some(url), _) => url.0.clone(),
        (None, true) => IN_MEMORY_DATABASE.to_owned(),
        (None, false) => {
            owner_only_dir(&args.serve.data_dir)?;
            sqlite_url_in(&args.serve.data_dir)
        }
    };
    let mut settings = Settings::new(database_url, args.connection.broker_url.clone(), token);
    settings.listen = args.serve.listen;
    settings.broker.timeout = args.connection.timeout;
    settings.broker.join_url = Some(
        url::Url::parse(join.base()).map_err(|e| CliError::Usage(format!("--join-url: {e}")))?,
    );
    apply(&mut settings, &args.service);
    settings.tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let (listener, _) = bind(&args.serve).await?;
    let app = Application::with_listener(listener, settings)
        .await
        .map_err(start_error)?;
    // An in-memory database is out of reach of `icnode keys`: the service makes its key.
    let memory_key = if args.serve.ephemeral && args.database_url.is_none() {
        super::serve::dev_key(app.store(), None).await?
    } else {
        None
    };
    let scheme = if app.is_tls() { "https" } else { "http" };
    println!("icnode serve listening on {scheme}://{}", app.local_addr());
    if let Some(key) = memory_key {
        println!(
            "API key (in memory, shown this once): {}",
            key.expose_secret()
        );
    }
    println!(
        "broker {} ({} database)",
        shown(&args.connection.broker_url),
        app.store().backend().as_str()
    );
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| CliError::Runtime(format!("the server failed: {e}")))
}

/// The service options `up` and `serve` share.
pub(super) fn apply(settings: &mut Settings, options: &ServiceOptions) {
    settings.default_ttl = options.default_ttl;
    settings.short_urls = !options.long_urls;
    settings.node_dir = options.node_dir.clone();
    settings.node_imports = options.allow_node_import;
    if options.allow_private_node_addresses {
        settings.imported_node_destinations = node::Destinations::Any;
    }
    settings.rate_limit_per_minute = options.rate_limit;
    settings.broker.retry = resilience::RetryPolicy::with_retries(options.broker_retries);
    settings.node_retry = resilience::RetryPolicy::with_retries(options.node_retries);
    settings.broker.breaker = resilience::BreakerSettings {
        failures: options.circuit_failures,
        open_for: options.circuit_open_for,
    };
}

/// A start-up failure: the user's when a file or address they named is at fault.
pub(super) fn start_error(error: StartError) -> CliError {
    match error {
        StartError::Nodes(_) | StartError::Tls { .. } | StartError::JoinUrl(_) => {
            CliError::usage(&error)
        }
        other => CliError::runtime(&other),
    }
}

/// Creates the data directory (owner only) when missing.
fn owner_only_dir(dir: &Path) -> Result<(), CliError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| {
        CliError::Runtime(format!(
            "could not create the data directory {}: {e}",
            dir.display()
        ))
    })
}

async fn open_keys(database: &KeyDatabase) -> Result<Store, CliError> {
    let url = match &database.database_url {
        Some(url) => url.0.clone(),
        None => {
            let file = database.data_dir.join(server::settings::DATABASE_FILE);
            if !file.exists() {
                return Err(CliError::Usage(format!(
                    "no service database in {}: start `icnode up` or `icnode serve` there \
                     first, or give --database-url",
                    database.data_dir.display()
                )));
            }
            sqlite_url_in(&database.data_dir)
        }
    };
    Store::connect(&url, KEYS_CONNECTIONS)
        .await
        .map_err(|e| CliError::runtime(&e))
}

pub async fn keys(command: KeysCommand) -> Result<(), CliError> {
    let now = instant_connect::unix_now();
    match command {
        KeysCommand::Create { name, database } => {
            let store = open_keys(&database).await?;
            let key = server::keys::create(&store, &name, now)
                .await
                .map_err(key_error)?;
            // The key alone on stdout, so `$(icnode keys create NAME)` captures it.
            println!("{}", key.expose_secret());
            eprintln!("icnode: key `{name}` created; it is shown this once");
            Ok(())
        }
        KeysCommand::List { database, json } => {
            let store = open_keys(&database).await?;
            let keys = server::keys::list(&store).await.map_err(key_error)?;
            if json {
                let text =
                    serde_json::to_string_pretty(&keys).map_err(|e| CliError::runtime(&e))?;
                println!("{text}");
                return Ok(());
            }
            println!("{:<24} {:<10} {:<22} REVOKED", "NAME", "ID", "CREATED");
            for key in keys {
                println!(
                    "{:<24} {:<10} {:<22} {}",
                    key.name,
                    key.id,
                    instant_connect::rfc3339(key.created_at),
                    key.revoked_at
                        .map_or("-".to_owned(), instant_connect::rfc3339)
                );
            }
            Ok(())
        }
        KeysCommand::Revoke { name, database } => {
            let store = open_keys(&database).await?;
            server::keys::revoke(&store, &name, now)
                .await
                .map_err(key_error)?;
            println!("key `{name}` revoked");
            Ok(())
        }
    }
}

fn key_error(error: server::keys::KeyError) -> CliError {
    match error {
        server::keys::KeyError::Store(error) => CliError::runtime(&error),
        other => CliError::Usage(other.to_string()),
    }
}
