//! How the service, and any router served as it is, meets its clients: HTTP or HTTPS, headers
//! and bodies within their deadlines, connections capped and closed when they sit idle
//! ([`connections`]), and the requests in flight finished after a shutdown signal.

pub mod connections;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::http::deadline;
use crate::settings::ConnectionRules;
use crate::settings::{BODY_READ_TIMEOUT, MAX_HEADER_BYTES, TlsFiles};
use connections::Watch;

/// How long in-flight requests get to finish after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The TLS files could not be loaded, or the key is open to other users.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("could not load the TLS certificate {} and key {}", .files.cert.display(), .files.key.display())]
    Load {
        files: TlsFiles,
        #[source]
        source: std::io::Error,
    },
    /// The key is held to the rule of every file of secrets (`node::secrets::read_private_file`).
    #[error(transparent)]
    Key(#[from] node::secrets::SecretsError),
}

/// Serves another router (the standalone local broker) as the service serves itself: the
/// connections held to `rules`, bodies within [`BODY_READ_TIMEOUT`] (`408`), at most
/// [`MAX_HEADER_BYTES`] of head, and requests in flight finished after `shutdown`.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    rules: ConnectionRules,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = deadline::with_body_deadline(router, BODY_READ_TIMEOUT);
    serve_with(listener, router, rules, None, shutdown).await
}

/// Serves `router` over HTTP, or HTTPS with `tls`, until `shutdown` resolves, then gives the
/// requests in flight [`SHUTDOWN_GRACE`]. The router brings its own body deadline. Raises the
/// process's descriptor limit to hold the connections `rules` allow
/// ([`connections::within_descriptor_limit`]).
pub(crate) async fn serve_with(
    listener: TcpListener,
    router: Router,
    rules: ConnectionRules,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let rules = connections::within_descriptor_limit(rules);
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let listener = listener.into_std()?;
    // Each request knows the address it came from (the access log's `client`).
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let watch = Watch::new(rules);
    match tls {
        None => {
            let mut server = axum_server::from_tcp(listener).acceptor(watch);
            bound_headers(server.http_builder());
            server.handle(handle).serve(service).await
        }
        Some(config) => {
            let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(config).acceptor(watch);
            let mut server = axum_server::from_tcp(listener).acceptor(acceptor);
            bound_headers(server.http_builder());
            server.handle(handle).serve(service).await
        }
    }
}

/// At most 100 headers (hyper's bound) in at most [`MAX_HEADER_BYTES`] (`431` beyond), in
/// HTTP/1 and HTTP/2 alike. When they must arrive is [`connections`]' rule alone: hyper's own
/// header deadline would also close an idle HTTP/1 connection at the header time, whatever the
/// idle time says.
fn bound_headers(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
) {
    builder.http1().max_buf_size(MAX_HEADER_BYTES);
    builder
        .http2()
        .max_header_list_size(u32::try_from(MAX_HEADER_BYTES).unwrap_or(u32::MAX));
}

/// The rustls configuration of the service's certificate chain and key; the key is refused
/// while other users may read it.
pub(crate) async fn tls_config(
    files: &TlsFiles,
) -> Result<axum_server::tls_rustls::RustlsConfig, TlsError> {
    // One process-wide provider: ring, which reqwest's rustls uses too. Installing it twice
    // is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let failed = |source| TlsError::Load {
        files: files.clone(),
        source,
    };
    let key_path = files.key.clone();
    let key = tokio::task::spawn_blocking(move || node::secrets::read_private_file(&key_path))
        .await
        .map_err(|joined| failed(std::io::Error::other(joined)))??;
    let cert = tokio::fs::read(&files.cert).await.map_err(failed)?;
    axum_server::tls_rustls::RustlsConfig::from_pem(cert, key.into_bytes())
        .await
        .map_err(failed)
}
