//! The icnode node service: what a Webex Connect flow, a backend or a person calls instead of
//! the broker. It turns "a meeting for this visit" into finished links and remembers them,
//! runs custom-node methods with its own broker settings, and guards both with API keys.
//!
//! What it is: [`Application::build`] binds and reports its port, and
//! [`Application::run_until_stopped`] serves until a shutdown future resolves, so tests start
//! the real service on port 0. The rooms, from the inside out: the meeting [`domain`] (typed
//! values and rules, no HTTP, serde or SQL), the operations on it ([`meetings`], [`visits`]
//! and the [`jobs`] that run them, [`keys`], [`tenants`], [`audit`], [`idempotency`],
//! [`nodes`]), and its edges: storage in SQLite or PostgreSQL behind one
//! boundary ([`store`]), the broker reached over HTTP only ([`broker`]), and the HTTP face
//! ([`http`]) with its wire types, the console and the OpenAPI document.
//!
//! What it is not: a broker (it mints nothing), nor a command line (`icnode` fills
//! [`Settings`]). Its nodes run through the `node` engine, which knows no service.

pub mod audit;
pub mod broker;
pub mod calendar;
pub mod domain;
pub mod http;
pub mod idempotency;
pub mod jobs;
pub mod keys;
pub mod links;
pub mod live;
pub mod mail;
pub mod meetings;
pub mod messages;
pub mod metrics;
pub mod nodes;
pub mod presence;
pub mod retention;
pub mod rounds;
pub mod serving;
pub mod settings;
pub mod store;
pub mod templates;
pub mod tenants;
pub mod visits;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use instant_connect::{ClientError, JoinUrlError, JoinUrls};
use tokio::net::TcpListener;

use resilience::KeyLimits;

pub use serving::{TlsError, serve_router};
pub use settings::{
    BrokerClientSettings, ConnectionRules, DEFAULT_TTL, MAX_BODY_BYTES, MAX_HEADER_BYTES, Settings,
};
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
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("email is not set up right")]
    Mail(#[from] mail::MailError),
    #[error("the webhook client could not be built")]
    Webhooks(#[source] reqwest::Error),
}

/// The service, bound and ready to serve.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    router: Router,
    store: Store,
    /// Merged routes bring their own fallback (the local broker's 404).
    merged: bool,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    connections: ConnectionRules,
    body_read_timeout: std::time::Duration,
    /// Deletes what has outlived its use while the service runs.
    retention: Housekeeping,
    /// Runs visits' jobs as they fall due.
    jobs: jobs::Jobs,
    jobs_every: std::time::Duration,
    /// Sends webhook deliveries as they fall due.
    dispatcher: webhooks::Dispatcher,
    deliveries_every: std::time::Duration,
    /// Ends the live streams when the service stops.
    stopping: tokio::sync::watch::Sender<bool>,
    /// Reads who is in each meeting from a local broker's join pages, when told to.
    presence: Option<(presence::PresenceReader, std::time::Duration)>,
}

/// What the retention task needs.
struct Housekeeping {
    retention: retention::Retention,
    clock: Arc<dyn instant_connect::Clock>,
    every: std::time::Duration,
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
        // Before the service says it is up: it can hold what its connection cap allows.
        serving::connections::raise_descriptor_limit();
        let address = listener.local_addr().map_err(|source| StartError::Bind {
            address: settings.listen,
            source,
        })?;
        let tls = match &settings.tls {
            Some(files) => Some(serving::tls_config(files).await?),
            None => None,
        };
        let store = Store::connect(&settings.database_url.0, 10).await?;
        let metrics = Arc::new(metrics::Metrics::new(
            store.commit_counts(),
            store.key_check_counts(),
        ));
        // The store times what requests wait for it, into the metrics.
        let store = store.observe_waits(Arc::clone(&metrics) as Arc<dyn store::WaitObserver>);
        let public_url = public_url(&settings, address, tls.is_some());
        // Told when the service stops, so live streams end rather than hold the shutdown.
        let (stopping, stopping_seen) = tokio::sync::watch::channel(false);
        let live = live::Live::new(store.clone(), Arc::clone(&settings.clock), stopping_seen);
        let state = app_state(&settings, store.clone(), metrics, &public_url, live)?;
        let retention = Housekeeping {
            retention: retention::Retention::new(
                store.clone(),
                settings.retain,
                state.idempotency.ttl(),
            ),
            clock: Arc::clone(&settings.clock),
            every: settings.retention_every,
        };
        let jobs = jobs::Jobs::new(
            store.clone(),
            state.meetings.clone(),
            state.mailer.clone(),
            state.templates.clone(),
            Arc::clone(&settings.clock),
            settings.link_times,
        )
        .with_lease(settings.job_lease);
        let dispatcher = webhooks::Dispatcher::new(
            store.clone(),
            Arc::clone(&settings.clock),
            settings.webhook_destinations,
        )
        .map_err(StartError::Webhooks)?
        .with_lease(settings.job_lease);
        let presence = settings.presence_every.map(|every| {
            let reader = presence::PresenceReader::new(
                store.clone(),
                state.broker.clone(),
                settings.host_alert_after,
            );
            (reader, every)
        });
        Ok(Self {
            stopping,
            presence,
            listener,
            address,
            jobs,
            jobs_every: settings.jobs_every,
            dispatcher,
            deliveries_every: settings.deliveries_every,
            router: http::router(state),
            store,
            merged: false,
            tls,
            connections: settings.connections,
            body_read_timeout: settings.body_read_timeout,
            retention,
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
        // One signal stops every background task; each finishes its round first.
        let (stop, stopped) = tokio::sync::watch::channel(());
        let until_stopped = || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.changed().await;
            }
        };
        let Housekeeping {
            retention,
            clock,
            every,
        } = self.retention;
        let mut tasks = vec![
            tokio::spawn(retention.every(clock, every, until_stopped())),
            tokio::spawn(self.jobs.every(self.jobs_every, until_stopped())),
            tokio::spawn(
                self.dispatcher
                    .every(self.deliveries_every, until_stopped()),
            ),
        ];
        if let Some((reader, every)) = self.presence {
            tasks.push(tokio::spawn(reader.every(every, until_stopped())));
        }
        let stopping = self.stopping;
        let shutdown = async move {
            shutdown.await;
            let _ = stopping.send(true);
        };
        let served =
            serving::serve_with(self.listener, router, self.connections, self.tls, shutdown).await;
        let _ = stop.send(());
        for task in tasks {
            let _ = task.await;
        }
        self.store.close().await;
        served
    }

    /// Whether the service answers over HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

/// Where visitors open own links: the settings' public URL, else the address listened on.
fn public_url(settings: &Settings, address: SocketAddr, tls: bool) -> url::Url {
    if let Some(url) = &settings.public_url {
        return url.clone();
    }
    let scheme = if tls { "https" } else { "http" };
    if !address.ip().is_loopback() {
        tracing::warn!(
            %address,
            "no --public-url: own links are handed out with the address listened on, which \
             visitors may not reach"
        );
    }
    url::Url::parse(&format!("{scheme}://{address}/")).expect("a socket address is a URL host")
}

/// Everything the handlers reach, built from the settings around one store.
fn app_state(
    settings: &Settings,
    store: Store,
    metrics: Arc<metrics::Metrics>,
    public_url: &url::Url,
    live: live::Live,
) -> Result<http::AppState, StartError> {
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
        join,
        Arc::clone(&settings.clock),
        settings.default_ttl,
        settings.short_urls,
        settings.subjects,
        links::OwnLinks::new(public_url),
    );
    let opener = links::Opener::new(store.clone(), Arc::clone(&settings.clock));
    let webhooks = webhooks::Webhooks::new(
        store.clone(),
        Arc::clone(&settings.clock),
        settings.webhook_destinations,
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
    let idempotency = idempotency::Idempotency::new(
        store.clone(),
        idempotency::stale_after(settings.broker.timeout),
        settings.idempotency_ttl,
    );
    let mailer = mail::Mailer::new(&settings.mail)?;
    let templates = templates::Templates::new(store.clone(), Arc::clone(&settings.clock));
    let visits = visits::Visits::new(
        store.clone(),
        meetings.clone(),
        Arc::clone(&settings.clock),
        settings.link_times,
    );
    Ok(http::AppState::new(http::Inner {
        live,
        opener,
        webhooks,
        visits,
        mailer,
        templates,
        meetings,
        nodes,
        store,
        broker,
        metrics,
        clock: Arc::clone(&settings.clock),
        idempotency,
        node_imports: settings.node_imports,
        key_limits,
        tenant_rates: tenants::TenantRates::new(instant_connect::now_ms_of(&settings.clock)),
        body_read_timeout: settings.body_read_timeout,
        trusted_proxies: settings.trusted_proxies.clone(),
        https: settings.tls.is_some(),
    }))
}
