//! What the long-running commands share: logging, binding the address, the data directory,
//! the dev API key, and the signal that stops them.

use std::path::{Path, PathBuf};

use instant_connect::unix_now;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use url::Url;

use super::error::CliError;
use crate::cli::{LogFormat, ServeArgs};

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

pub(super) fn data_dir(serve: &ServeArgs) -> Option<PathBuf> {
    (!serve.ephemeral).then(|| serve.data_dir.clone())
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

/// The dev API key: created once into `<data-dir>/dev-api-key` (0600) and kept there, so
/// nothing is returned; with no data directory, made afresh and returned to be shown.
pub(super) async fn dev_key(
    store: &server::Store,
    dir: Option<&Path>,
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
        match server::keys::create(store, server::keys::NewKey::default_admin(&name), now).await {
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

/// Creates the data directory owner-only (0700), or makes an existing one so.
pub(super) fn owner_only_dir(dir: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let failed = |e: std::io::Error| {
        CliError::Runtime(format!(
            "could not prepare the data directory {}: {e}",
            dir.display()
        ))
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(failed)?;
    // `mode` applies only to a directory it creates: one that was there is tightened here.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(failed)
}
