//! A local Instant Connect broker: the production API paths with real PBES2 JWE links, short
//! links, join pages and an SMS outbox, so that any client of the real service runs against it
//! unchanged, with no Webex org and no network.
//!
//! What it is: an axum [`Router`] ([`LocalBroker::router`]) over its own SQLite store, and
//! [`serve`] to run a router on a bound listener until a shutdown future resolves (so tests start
//! it on port 0). What it is not: a Webex meeting. Join pages record a join and stop there; SMS
//! invites go to an outbox (`GET /_icnode/outbox`), never to a phone.

mod api;
pub mod identity;
pub mod mint;
mod pages;
pub mod store;
mod tracking;

use std::collections::HashSet;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

pub(crate) use instant_connect::unix_now;
use instant_connect::{Role, Vertical};

pub use api::MAX_BODY_BYTES;
pub use identity::Org;
pub use mint::{LinkClaims, Minter, Pbes2Choice};
pub use store::Store;

/// Everything the broker needs to start. `data_dir: None` is `--ephemeral`.
#[derive(Debug, Clone, Default)]
pub struct BrokerConfig {
    pub data_dir: Option<PathBuf>,
    /// Where clients reach the broker (base of short links); default `http://<bound address>`.
    pub public_url: Option<String>,
    /// Accepted bearer tokens; none given: one is generated and kept in the data directory.
    pub tokens: Vec<SecretString>,
    pub secret: Option<SecretString>,
    pub org_id: Option<String>,
    pub org_name: Option<String>,
    pub pbes2: Pbes2Choice,
}

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("{0}")]
    Config(String),
    #[error(transparent)]
    Identity(#[from] identity::IdentityError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("could not create the data directory {path}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Accepted tokens, kept as SHA-256 digests: lookups do not compare secrets byte by byte, and
/// the tokens themselves are not held.
pub(crate) struct Tokens(HashSet<[u8; 32]>);

impl Tokens {
    fn new(tokens: &[SecretString]) -> Self {
        Self(
            tokens
                .iter()
                .map(|t| Sha256::digest(t.expose_secret().as_bytes()).into())
                .collect(),
        )
    }

    pub(crate) fn accepts(&self, token: &str) -> bool {
        self.0
            .contains(&<[u8; 32]>::from(Sha256::digest(token.as_bytes())))
    }
}

pub(crate) struct AppState {
    minter: Minter,
    store: Store,
    tokens: Tokens,
    /// Without a trailing slash.
    public_url: String,
    org: Org,
}

/// A broker ready to serve: identity loaded, store open, routes built.
pub struct LocalBroker {
    state: Arc<AppState>,
    generated_token: Option<SecretString>,
}

impl LocalBroker {
    /// Loads (or creates) the identity and store in `config.data_dir`. `default_public_url` is
    /// used when `config.public_url` is not set (the caller knows the bound address).
    pub async fn open(config: BrokerConfig, default_public_url: &str) -> Result<Self, BrokerError> {
        check_pbes2(&config.pbes2)?;
        if let Some(org_id) = &config.org_id {
            uuid::Uuid::parse_str(org_id).map_err(|_| {
                BrokerError::Config(format!("--org-id must be a UUID, got `{org_id}`"))
            })?;
        }
        let public_url = config.public_url.as_deref().unwrap_or(default_public_url);
        instant_connect::JoinUrls::new(public_url)
            .map_err(|e| BrokerError::Config(format!("--public-url: {e}")))?;
        let dir = config.data_dir.as_deref();
        if let Some(dir) = dir {
            // The store holds ciphers (bearer credentials to meetings): owner only.
            std::os::unix::fs::DirBuilderExt::mode(
                std::fs::DirBuilder::new().recursive(true),
                0o700,
            )
            .create(dir)
            .map_err(|source| BrokerError::DataDir {
                path: dir.to_owned(),
                source,
            })?;
        }

        let mut tokens = config.tokens.clone();
        let generated_token = match (tokens.is_empty(), dir) {
            (false, _) => None,
            (true, Some(dir)) => {
                let token: SecretString = identity::read_or_create_private(
                    dir,
                    identity::TOKEN_FILE,
                    identity::random_secret_text,
                )?
                .into();
                tokens.push(token.clone());
                Some(token)
            }
            (true, None) => {
                let token: SecretString = identity::random_secret_text().into();
                tokens.push(token.clone());
                Some(token)
            }
        };

        let secret = identity::secret(config.secret.clone(), dir)?;
        let org = identity::org(config.org_id.clone(), config.org_name.clone(), dir)?;
        let store = Store::open(dir).await?;
        let state = AppState {
            minter: Minter::new(secret, org.org_id.clone(), config.pbes2),
            store,
            tokens: Tokens::new(&tokens),
            public_url: public_url.trim_end_matches('/').to_owned(),
            org,
        };
        Ok(Self {
            state: Arc::new(state),
            generated_token,
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

    /// The broker's routes, with tracking ids, the 64 KiB body limit and Webex-shaped errors.
    pub fn router(&self) -> Router {
        let mut router = Router::new()
            .route(
                "/api/v2/joseencrypt",
                post(api::joseencrypt_v2).fallback(api::method_not_allowed),
            )
            .route(
                "/api/v1/joseencrypt",
                post(api::joseencrypt_v1).fallback(api::method_not_allowed),
            )
            .route(
                "/api/v1/space",
                get(api::space)
                    .post(api::space)
                    .fallback(api::method_not_allowed),
            )
            .route(
                "/api/v1/sms/meetingInvite",
                post(api::sms_invite).fallback(api::method_not_allowed),
            )
            .route(
                "/_icnode/outbox",
                get(api::outbox).fallback(api::method_not_allowed),
            )
            .route(
                "/_icnode/joins",
                get(api::joins).fallback(api::method_not_allowed),
            )
            .route("/visit/{short}", get(pages::visit));
        for vertical in [Vertical::Hc, Vertical::Gen] {
            for page_role in [Role::Host, Role::Guest] {
                let kind = pages::JoinPage {
                    vertical,
                    page_role,
                };
                let path = format!("/{}/v1/{}", vertical.as_str(), page_role.page());
                router = router.route(
                    &path,
                    get(move |state, query| pages::show(state, kind, query))
                        .post(move |state, query| pages::join(state, kind, query)),
                );
            }
        }
        router
            .fallback(api::not_found)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(axum::middleware::from_fn(tracking::track))
            .with_state(Arc::clone(&self.state))
    }
}

fn check_pbes2(choice: &Pbes2Choice) -> Result<(), BrokerError> {
    if let Some(n) = choice.iterations.filter(|n| !(1000..=32767).contains(n)) {
        return Err(BrokerError::Config(format!(
            "--iterations must be between 1000 and 32767, got {n}"
        )));
    }
    if let Some(n) = choice.salt_length.filter(|n| !(8..=128).contains(n)) {
        return Err(BrokerError::Config(format!(
            "--salt-length must be between 8 and 128, got {n}"
        )));
    }
    Ok(())
}

/// Serves `router` on `listener` until `shutdown` resolves, then finishes requests in flight.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
