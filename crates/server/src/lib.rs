//! The icnode node service: what a Webex Connect flow, a backend or a person calls instead of
//! the broker. It turns "a meeting for this visit" into finished links and remembers them,
//! runs custom-node methods with its own broker settings, and guards both with API keys.
//!
//! What it is: [`Application::build`] binds and reports its port, and
//! [`Application::run_until_stopped`] serves until a shutdown future resolves, so tests start
//! the real service on port 0. Storage is SQLite or PostgreSQL behind one boundary
//! ([`store`]); the broker, the local one included, is reached over HTTP only ([`broker`]).
//!
//! What it is not: a broker (it mints nothing), nor a command line (`icnode` fills
//! [`Settings`]). Its nodes run through the `node` engine, which knows no service.

pub mod broker;
pub mod http;
pub mod keys;
pub mod meetings;
pub mod metrics;
pub mod nodes;

pub mod settings;
pub mod store;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use instant_connect::{ClientError, JoinUrlError, JoinUrls};
use tokio::net::TcpListener;

use resilience::KeyLimits;

pub use settings::{BrokerSettings, DEFAULT_TTL, Settings};
pub use store::{Store, StoreError};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("could not listen on {address}")]
    Bind {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("could not open the database")]
    Store(#[from] StoreError),
    #[error("could not load the nodes")]
    Nodes(#[from] nodes::CatalogError),
    #[error("the broker client could not be built")]
    Broker(#[from] ClientError),
    #[error("the join URL is not usable")]
    JoinUrl(#[from] JoinUrlError),
    #[error("could not load the TLS certificate {cert} and key {key}")]
    Tls {
        cert: std::path::PathBuf,
        key: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How long in-flight requests get to finish after the shutdown signal.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// The service, bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: Router,
    store: Store,
    /// Merged routes bring their own fallback (the local broker's 404).
    merged: bool,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    header_read_timeout: std::time::Duration,
    body_read_timeout: std::time::Duration,
}

impl Application {
    /// Binds `settings.listen`, opens the database (applying migrations) and loads the nodes.
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartError::Bind {
                    address: settings.listen,
                    source,
                })?;
        Self::with_listener(listener, settings).await
    }

    /// As [`build`](Self::build), on a listener bound already (`icnode up` binds first, so
    /// the broker it serves on the same address knows its URL).
    pub async fn with_listener(
        listener: TcpListener,
        settings: Settings,
    ) -> Result<Self, StartError> {
        let address = listener.local_addr().map_err(|source| StartError::Bind {
            address: settings.listen,
            source,
        })?;
        let tls = match &settings.tls {
            Some(files) => Some(tls_config(files).await?),
            None => None,
        };
        let store = Store::connect(&settings.database_url.0, 10).await?;
        let metrics = Arc::new(metrics::Metrics::new(
            store.commit_counts(),
            store.key_check_counts(),
        ));
        let broker = broker::Broker::new(
            &settings.broker,
            Arc::clone(&settings.clock),
            Arc::clone(&metrics),
        )?;
        let join = match &settings.broker.join_url {
            Some(url) => JoinUrls::new(url.as_str())?,
            None => JoinUrls::for_broker(&settings.broker.url),
        };
        let meetings = meetings::Meetings::new(
            store.clone(),
            broker.clone(),
            Arc::clone(&metrics),
            join,
            Arc::clone(&settings.clock),
            settings.default_ttl,
            settings.short_urls,
        );
        let nodes = nodes::Nodes::load(
            settings.node_dir.as_deref(),
            settings.broker.url.clone(),
            settings.broker.token.clone(),
            Arc::clone(&metrics),
            nodes::RunPolicy {
                retry: settings.node_retry,
                imported_destinations: settings.imported_node_destinations,
            },
        )?;
        let key_limits = settings.rate_limit_per_minute.map(|requests| {
            KeyLimits::per_minute(requests, instant_connect::now_ms_of(&settings.clock))
        });
        let state = http::AppState::new(http::Inner {
            meetings,
            nodes,
            store: store.clone(),
            broker,
            metrics,
            clock: settings.clock,
            idempotency_stale_secs: idempotency_stale_secs(&settings.broker),
            node_imports: settings.node_imports,
            key_limits,
            body_read_timeout: settings.body_read_timeout,
        });
        Ok(Self {
            listener,
            address,
            router: http::router(state),
            store,
            merged: false,
            tls,
            header_read_timeout: settings.header_read_timeout,
            body_read_timeout: settings.body_read_timeout,
        })
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The store the service uses (for `icnode up` to create its first key).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves `routes` on the same address, beside the service's (the local broker in
    /// `icnode up`). Their paths must not collide with the service's.
    pub fn merge(mut self, routes: Router) -> Self {
        let routes = http::deadline::with_body_deadline(routes, self.body_read_timeout);
        self.router = self.router.merge(routes);
        self.merged = true;
        self
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight and closes the
    /// database.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = if self.merged {
            self.router
        } else {
            self.router.fallback(http::not_found)
        };
        let served = serve_with(
            self.listener,
            router,
            self.header_read_timeout,
            self.tls,
            shutdown,
        )
        .await;
        self.store.close().await;
        served
    }

    /// Whether the service answers over HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

/// Serves another router (the standalone local broker) as the service serves itself: headers
/// within [`http::HEADER_READ_TIMEOUT`], bodies within [`http::BODY_READ_TIMEOUT`] (`408`),
/// at most [`MAX_HEADER_BYTES`] of head, and requests in flight finished after `shutdown`.
pub async fn serve_router(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = http::deadline::with_body_deadline(router, http::BODY_READ_TIMEOUT);
    serve_with(listener, router, http::HEADER_READ_TIMEOUT, None, shutdown).await
}

/// Serves `router` over HTTP, or HTTPS with `tls`, until `shutdown` resolves, then gives the
/// requests in flight [`SHUTDOWN_GRACE`]. The router brings its own body deadline.
async fn serve_with(
    listener: TcpListener,
    router: Router,
    header_read_timeout: std::time::Duration,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let listener = listener.into_std()?;
    let service = router.into_make_service();
    match tls {
        None => {
            let mut server = axum_server::from_tcp(listener);
            limit_slow_clients(server.http_builder(), header_read_timeout);
            server.handle(handle).serve(service).await
        }
        Some(config) => {
            let mut server = axum_server::from_tcp_rustls(listener, config);
            limit_slow_clients(server.http_builder(), header_read_timeout);
            server.handle(handle).serve(service).await
        }
    }
}

/// Headers must arrive within `header_read_timeout`; at most 100 of them (hyper's bound) in at
/// most [`MAX_HEADER_BYTES`] (`431` beyond).
fn limit_slow_clients(
    builder: &mut hyper_util::server::conn::auto::Builder<hyper_util::rt::TokioExecutor>,
    header_read_timeout: std::time::Duration,
) {
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
}

/// The most a request's head (request line and headers) may hold.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Longer than any request can take: two broker calls and a wait for the database, with room.
fn idempotency_stale_secs(broker: &BrokerSettings) -> i64 {
    const FLOOR_SECS: i64 = 120;
    let broker_calls = 2 * broker.timeout.as_secs() as i64;
    FLOOR_SECS.max(broker_calls * 2 + 60)
}

async fn tls_config(
    files: &settings::TlsFiles,
) -> Result<axum_server::tls_rustls::RustlsConfig, StartError> {
    // One process-wide provider: ring, which reqwest's rustls uses too. Installing it twice
    // is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    axum_server::tls_rustls::RustlsConfig::from_pem_file(&files.cert, &files.key)
        .await
        .map_err(|source| StartError::Tls {
            cert: files.cert.clone(),
            key: files.key.clone(),
            source,
        })
}
