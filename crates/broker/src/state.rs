//! What every route of the broker reaches: its minter and crypto threads, its store, the
//! tokens it accepts, its identity and the faults it injects.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use instant_connect::Clock;
use sha2::{Digest, Sha256};

use crate::data_dir::DataDir;
use crate::identity::Org;
use crate::mint::Minter;
use crate::store::Store;
use crate::{cache, crypto_pool, faults};

/// Accepted tokens, by SHA-256 digest (the tokens themselves are not held), each with the time
/// it was first seen, so that it can expire.
pub(crate) struct Tokens {
    pub(crate) first_seen: HashMap<[u8; 32], i64>,
    pub(crate) ttl_secs: Option<i64>,
}

/// What a presented token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenCheck {
    Valid,
    Unknown,
    Expired,
}

impl Tokens {
    pub(crate) fn digest(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    pub(crate) fn check(&self, token: &str, now: i64) -> TokenCheck {
        match self.first_seen.get(&Self::digest(token)) {
            None => TokenCheck::Unknown,
            Some(seen)
                if self
                    .ttl_secs
                    .is_some_and(|ttl| now >= seen.saturating_add(ttl)) =>
            {
                TokenCheck::Expired
            }
            Some(_) => TokenCheck::Valid,
        }
    }
}

pub(crate) struct AppState {
    pub(crate) minter: Arc<Minter>,
    /// Where minting, and opening for a token holder, run.
    pub(crate) crypto: crypto_pool::CryptoPool,
    /// Where opening for anyone else runs ([`crate::opening`]).
    pub(crate) anyone_crypto: crypto_pool::CryptoPool,
    /// Derivations a minute for anyone, by client address.
    pub(crate) anyone_opens: resilience::KeyLimits,
    pub(crate) store: Store,
    pub(crate) tokens: Tokens,
    /// Without a trailing slash.
    pub(crate) public_url: String,
    pub(crate) org: Org,
    pub(crate) strict: bool,
    pub(crate) token_ttl: Option<Duration>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) opened: cache::OpenedLinks,
    /// Requests per token digest ([`BrokerSettings::throttle_per_minute`]).
    pub(crate) throttle: Option<resilience::KeyLimits>,
    pub(crate) faults: faults::Faults,
    /// Held for as long as the broker serves: another process cannot take the directory.
    pub(crate) _data_dir: Option<DataDir>,
}
