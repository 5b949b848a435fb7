//! A local Instant Connect broker: the production API paths with real PBES2 JWE links, short
//! links, join pages and an SMS outbox, so that any client of the real service runs against it
//! unchanged, with no Webex org and no network.
//!
//! What it is: an axum [`Router`] ([`LocalBroker::router`]) over its own SQLite store, and
//! [`serve`] to run a router on a bound listener until a shutdown future resolves (so tests start
//! it on port 0). Its rule: accept what production evidently accepts and say what was ignored
//! or assumed in `Icnode-Warning` headers; [`BrokerSettings::strict`] refuses instead.
//!
//! What it is not: a Webex meeting. Join pages record a join or a leave and stop there; SMS
//! invites go to an outbox (`GET /_icnode/outbox`), never to a phone. It speaks in settings,
//! never in command line flags: the `icnode` binary maps one to the other.

mod api;
mod cache;
mod crypto_pool;
pub mod data_dir;
mod error;
pub mod faults;
pub mod identity;
mod leniency;
pub mod mint;
mod opening;
mod pages;
mod state;
pub mod store;
mod tracking;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodRouter, get, post};
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;
use url::Url;

use instant_connect::{Clock, ITERATIONS, JoinPage, JoinUrls, SALT_LENGTHS, Vertical};

use crate::state::{AppState, Tokens};

pub use api::MAX_BODY_BYTES;
pub use cache::CacheCounts;
pub use data_dir::{DataDir, DataDirError};
pub use faults::{Fault, FaultKind, FaultReport};
pub use identity::Org;
pub use mint::{LinkClaims, Minted, Minter, Pbes2Range};
pub use opening::ANYONE_OPENS_PER_MINUTE;
pub use store::Store;

/// What a broker is told; nothing here is a command line flag. `Debug` shows no token or
/// secret.
#[derive(Debug, Clone, Default)]
pub struct BrokerSettings {
    /// Where state is kept; `None` keeps everything in memory.
    pub data_dir: Option<PathBuf>,
    /// Where clients reach the broker (base of short links); default: the bound address.
    pub public_url: Option<Url>,
    /// Accepted bearer tokens; none given: one is generated (and kept in the data directory).
    pub tokens: Vec<SecretString>,
    /// How long a token is accepted after the broker first saw it (a personal access token
    /// lives 12 hours); `None`: forever.
    pub token_ttl: Option<Duration>,
    /// The PBES2 password of the links; default: random, kept in the data directory.
    pub secret: Option<SecretString>,
    pub org_id: Option<uuid::Uuid>,
    pub org_name: Option<String>,
    /// Fix the PBES2 count of every link; default: random in production's range.
    pub iterations: Option<u32>,
    /// Fix the PBES2 salt length of every link; default: random in production's range.
    pub salt_length: Option<usize>,
    /// Refuse what production evidently accepts but the guide does not document.
    pub strict: bool,
    /// At most this many API requests a minute for each token (`429` with `Retry-After`
    /// beyond it), as a busy production broker throttles; `None`: no limit.
    pub throttle_per_minute: Option<std::num::NonZeroU32>,
    /// Faults injected into the JSON API from the start (tests only).
    pub faults: Vec<Fault>,
    /// Seeds the draws of faults set at a rate, so a test's run meets the same faults each
    /// time; `None`: from the operating system's randomness.
    pub fault_seed: Option<u64>,
    /// The token of `/_icnode/faults`, which sets faults while running; `None`: no such route.
    pub fault_token: Option<SecretString>,
    /// Derivations a minute each client address may cause without a token (a join page,
    /// space details without `Authorization`; `429` beyond); `None`:
    /// [`ANYONE_OPENS_PER_MINUTE`].
    pub anyone_opens_per_minute: Option<std::num::NonZeroU32>,
}

/// A setting that breaks a rule: the settings field and the rule in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {rule}")]
pub struct SettingsError {
    /// The [`BrokerSettings`] field.
    pub field: &'static str,
    pub rule: String,
}

impl BrokerSettings {
    /// Every rule the settings must keep, checked before anything is opened.
    pub fn check(&self) -> Result<(), SettingsError> {
        let fail = |field, rule: String| Err(SettingsError { field, rule });
        if let Some(n) = self.iterations.filter(|n| !ITERATIONS.contains(n)) {
            return fail(
                "iterations",
                format!(
                    "must be between {} and {}, got {n}",
                    ITERATIONS.start(),
                    ITERATIONS.end()
                ),
            );
        }
        if let Some(n) = self.salt_length.filter(|n| !SALT_LENGTHS.contains(n)) {
            return fail(
                "salt_length",
                format!(
                    "must be between {} and {}, got {n}",
                    SALT_LENGTHS.start(),
                    SALT_LENGTHS.end()
                ),
            );
        }
        if let Some(url) = &self.public_url {
            check_public_url(url)?;
        }
        if self
            .tokens
            .iter()
            .any(|t| t.expose_secret().trim().is_empty())
        {
            return fail("tokens", "must not hold an empty token".into());
        }
        if self.token_ttl.is_some_and(|ttl| ttl.as_secs() == 0) {
            return fail("token_ttl", "must be at least one second".into());
        }
        if self.org_name.as_ref().is_some_and(|n| n.trim().is_empty()) {
            return fail("org_name", "must not be empty".into());
        }
        if self
            .fault_token
            .as_ref()
            .is_some_and(|t| t.expose_secret().trim().is_empty())
        {
            return fail("fault_token", "must not be empty".into());
        }
        for (i, fault) in self.faults.iter().enumerate() {
            fault.check(&format!("[{i}]")).map_err(|e| SettingsError {
                field: "faults",
                rule: e.to_string(),
            })?;
        }
        Ok(())
    }
}

fn check_public_url(url: &Url) -> Result<(), SettingsError> {
    JoinUrls::new(url.as_str()).map_err(|e| SettingsError {
        field: "public_url",
        rule: e.to_string(),
    })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(SettingsError {
            field: "public_url",
            rule: format!("must have no query or fragment, got `{url}`"),
        });
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("preparing the broker's files failed")]
    Task(#[from] tokio::task::JoinError),
}

/// A broker ready to serve: directory held, identity loaded, store open, routes built.
pub struct LocalBroker {
    state: Arc<AppState>,
    generated_token: Option<SecretString>,
}

/// What [`LocalBroker::open`] reads from disk (blocking), before the store opens.
struct Prepared {
    data_dir: Option<DataDir>,
    secret: SecretString,
    org: Org,
    tokens: Vec<SecretString>,
    generated_token: Option<SecretString>,
}

impl Prepared {
    /// Holds the data directory and reads or creates the identity in it. Blocking file I/O.
    fn load(settings: &BrokerSettings) -> Result<Self, BrokerError> {
        let data_dir = settings
            .data_dir
            .as_deref()
            .map(DataDir::open)
            .transpose()?;
        let dir = data_dir.as_ref().map(DataDir::path);
        let mut tokens = settings.tokens.clone();
        let generated_token = if tokens.is_empty() {
            let token: SecretString = match dir {
                Some(dir) => identity::read_or_create_private(
                    dir,
                    identity::TOKEN_FILE,
                    identity::random_secret_text,
                )?
                .into(),
                None => identity::random_secret_text().into(),
            };
            tokens.push(token.clone());
            Some(token)
        } else {
            None
        };
        let secret = identity::secret(settings.secret.clone(), dir)?;
        let org = identity::org(settings.org_id, settings.org_name.clone(), dir)?;
        Ok(Self {
            data_dir,
            secret,
            org,
            tokens,
            generated_token,
        })
    }
}

impl LocalBroker {
    /// Checks the settings, holds the data directory and loads the identity (off the async
    /// threads), opens the store and builds the state. `bound_url` is the public URL unless
    /// the settings give one; `clock` is what links, pages and tokens are checked against.
    pub async fn open(
        settings: BrokerSettings,
        bound_url: &Url,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, BrokerError> {
        settings.check()?;
        let public_url = settings
            .public_url
            .clone()
            .unwrap_or_else(|| bound_url.clone());
        check_public_url(&public_url)?;
        let loading = settings.clone();
        let prepared = tokio::task::spawn_blocking(move || Prepared::load(&loading)).await??;
        let store = Store::open(prepared.data_dir.as_ref().map(DataDir::path)).await?;
        let digests: Vec<[u8; 32]> = prepared
            .tokens
            .iter()
            .map(|t| Tokens::digest(t.expose_secret()))
            .collect();
        let first_seen = store.first_seen(&digests, clock.now()).await?;
        let tokens = Tokens {
            first_seen: digests.into_iter().zip(first_seen).collect(),
            ttl_secs: settings
                .token_ttl
                .map(|ttl| i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
        };
        let range = Pbes2Range::fixed(settings.iterations, settings.salt_length);
        let state = AppState {
            minter: Arc::new(Minter::new(
                prepared.secret,
                prepared.org.org_id.clone(),
                range,
            )),
            crypto: crypto_pool::CryptoPool::for_this_machine(),
            anyone_crypto: crypto_pool::CryptoPool::for_anyone(opening::ANYONE_QUEUE),
            anyone_opens: resilience::KeyLimits::per_minute(
                settings
                    .anyone_opens_per_minute
                    .unwrap_or(ANYONE_OPENS_PER_MINUTE),
                instant_connect::now_ms_of(&clock),
            ),
            store,
            tokens,
            public_url: public_url.as_str().trim_end_matches('/').to_owned(),
            org: prepared.org,
            strict: settings.strict,
            token_ttl: settings.token_ttl,
            throttle: settings
                .throttle_per_minute
                .map(|n| resilience::KeyLimits::per_minute(n, instant_connect::now_ms_of(&clock))),
            faults: faults::Faults::new(
                settings.faults.clone(),
                settings.fault_seed,
                settings.fault_token.as_ref().map(|t| t.expose_secret()),
            ),
            clock,
            opened: cache::OpenedLinks::new(),
            _data_dir: prepared.data_dir,
        };
        Ok(Self {
            state: Arc::new(state),
            generated_token: prepared.generated_token,
        })
    }

    /// The token the broker generated (or loaded from `broker-token`) because none was given.
    pub fn generated_token(&self) -> Option<&SecretString> {
        self.generated_token.as_ref()
    }

    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    pub fn org(&self) -> &Org {
        &self.state.org
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// How often join pages and space details found a token already opened.
    pub fn cache_counts(&self) -> CacheCounts {
        self.state.opened.counts()
    }

    /// The broker's routes, with tracking ids, warnings, the 64 KiB body limit and
    /// Webex-shaped errors. Every path also answers with a trailing slash (clients write
    /// `/api/v1/space/`), with a warning.
    pub fn router(&self) -> Router {
        self.routes(true)
    }

    /// The same routes without the home page at `/`, for a process whose `/` is another's (the
    /// console in `icnode up`).
    pub fn router_without_home(&self) -> Router {
        self.routes(false)
    }

    fn routes(&self, home: bool) -> Router {
        let mut routes: Vec<(String, MethodRouter<Arc<AppState>>)> = vec![
            (
                "/api/v2/joseencrypt".into(),
                post(api::joseencrypt_v2).fallback(api::method_not_allowed),
            ),
            (
                "/api/v1/joseencrypt".into(),
                post(api::joseencrypt_v1).fallback(api::method_not_allowed),
            ),
            (
                "/api/v1/space".into(),
                get(api::space)
                    .post(api::space)
                    .fallback(api::method_not_allowed),
            ),
            (
                "/api/v1/sms/meetingInvite".into(),
                post(api::sms_invite).fallback(api::method_not_allowed),
            ),
            (
                "/_icnode/outbox".into(),
                get(api::outbox).fallback(api::method_not_allowed),
            ),
            (
                "/_icnode/joins".into(),
                get(api::joins).fallback(api::method_not_allowed),
            ),
            (
                "/_icnode/meetings/{sub}".into(),
                get(api::meeting).fallback(api::method_not_allowed),
            ),
            ("/visit/{short}".into(), get(pages::visit)),
        ];
        if self.state.faults.has_control() {
            routes.push((
                "/_icnode/faults".into(),
                get(faults::routes::show)
                    .put(faults::routes::replace)
                    .delete(faults::routes::clear)
                    .fallback(api::method_not_allowed),
            ));
        }
        for vertical in Vertical::ALL {
            for page in JoinPage::ALL {
                let kind = pages::JoinPageKind { vertical, page };
                routes.push((
                    format!("/{}/v1/{}", vertical.as_str(), page.as_str()),
                    get(move |state, client, query| pages::show(state, client, kind, query)).post(
                        move |state, client, query, headers, body| {
                            pages::join(state, client, kind, query, headers, body)
                        },
                    ),
                ));
            }
        }
        let state = Arc::clone(&self.state);
        let slash_note = axum::middleware::from_fn_with_state(state, api::trailing_slash);
        let mut router = Router::new();
        if home {
            router = router.route("/", get(pages::home));
        }
        for (path, methods) in routes {
            router = router
                .route(
                    &format!("{path}/"),
                    methods.clone().layer(slash_note.clone()),
                )
                .route(&path, methods);
        }
        router
            .fallback(api::not_found)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(axum::middleware::from_fn_with_state(
                Arc::clone(&self.state),
                faults::routes::inject,
            ))
            .layer(axum::middleware::from_fn(tracking::track))
            .with_state(Arc::clone(&self.state))
    }
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Each request knows its client's address (what derivations without a token count by).
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
