//! Link tokens already opened, so that a join page visited again (or first visited after its
//! short link was made) costs no key derivation. Bounded, and keyed by a digest of the cipher,
//! so the cache holds no credential.

use std::num::NonZeroUsize;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use lru::LruCache;
use sha2::{Digest, Sha256};

use crate::mint::LinkClaims;

/// How many opened tokens are kept: each is a few hundred bytes.
const CAPACITY: usize = 10_000;

pub(crate) struct OpenedLinks {
    entries: Mutex<LruCache<[u8; 32], LinkClaims>>,
    hits: AtomicU64,
    misses: AtomicU64,
}

/// How often opening a token was answered from the cache, and how often it needed a derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheCounts {
    pub hits: u64,
    pub misses: u64,
}

impl OpenedLinks {
    pub(crate) fn new() -> Self {
        Self {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(CAPACITY).expect("a positive capacity"),
            )),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The claims of `cipher` if they are cached and the token has not expired: a token is kept
    /// for its lifetime only.
    pub(crate) fn get(&self, cipher: &str, now: i64) -> Option<LinkClaims> {
        let key = key(cipher);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let found = match entries.get(&key) {
            Some(claims) if claims.exp > now => Some(claims.clone()),
            Some(_) => {
                entries.pop(&key);
                None
            }
            None => None,
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub(crate) fn insert(&self, cipher: &str, claims: LinkClaims, now: i64) {
        if claims.exp > now {
            let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries.put(key(cipher), claims);
        }
    }

    pub(crate) fn counts(&self) -> CacheCounts {
        CacheCounts {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

fn key(cipher: &str) -> [u8; 32] {
    Sha256::digest(cipher.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use instant_connect::{Role, Vertical};

    use super::*;

    fn claims(exp: i64) -> LinkClaims {
        LinkClaims {
            iss: "broker".into(),
            aud: "aud".into(),
            sub: "visit-1".into(),
            iat: 0,
            nbf: None,
            exp,
            jti: "jti".into(),
            role: Role::Guest,
            vt: Vertical::Hc,
            flow: None,
        }
    }

    #[test]
    fn a_token_is_kept_until_its_exp_second_and_not_at_it() {
        let opened = OpenedLinks::new();
        opened.insert("cipher", claims(100), 50);
        assert_eq!(opened.get("cipher", 99), Some(claims(100)));
        assert_eq!(opened.get("cipher", 100), None, "expired at exp");
        // The expired entry went: even an earlier clock no longer finds it.
        assert_eq!(opened.get("cipher", 99), None);
        assert_eq!(opened.counts(), CacheCounts { hits: 1, misses: 2 });
    }

    #[test]
    fn a_token_already_expired_is_not_kept() {
        let opened = OpenedLinks::new();
        opened.insert("at-exp", claims(100), 100);
        opened.insert("past", claims(100), 101);
        assert_eq!(opened.get("at-exp", 0), None);
        assert_eq!(opened.get("past", 0), None);
    }
}
