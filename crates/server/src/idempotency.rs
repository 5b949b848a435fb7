//! Idempotency: a POST sent again with the same `Idempotency-Key` gets the answer the first
//! one got, and runs once. The key's rule ([`IdempotencyKey`]), what makes two requests the
//! same ([`request_digest`]), and a claim's life: taken before the request runs, kept with its
//! answer after, or given up on a failure worth retrying ([`Idempotency::remember`]). Records
//! live in the database (`store::idempotency`), scoped to the caller's key, so several
//! processes on one database act as one.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::store::{Claim, ClaimTimes, Store, StoreError};

/// How long an answer is kept for replays, by default: a day, as payment APIs keep theirs.
/// After it the key is free again, and the record is pruned.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// A key holds 1-255 visible ASCII characters.
pub const MAX_KEY_CHARS: usize = 255;

/// An `Idempotency-Key` as a client sent it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

/// A key that breaks the rule of [`IdempotencyKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be 1-{MAX_KEY_CHARS} visible ASCII characters")]
pub struct BadKey;

impl IdempotencyKey {
    pub fn parse(bytes: &[u8]) -> Result<Self, BadKey> {
        // A header's `to_str` lets a tab through; the rule is visible characters only.
        if (1..=MAX_KEY_CHARS).contains(&bytes.len()) && bytes.iter().all(u8::is_ascii_graphic) {
            Ok(Self(String::from_utf8_lossy(bytes).into_owned()))
        } else {
            Err(BadKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What makes two requests the same: the path and the body, byte for byte.
pub fn request_digest(path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

/// How long a claim may stay unfinished before it is taken to be dead (its process died) and
/// may be taken over: longer than any request can run, two broker calls and a wait for the
/// database, with room.
pub fn stale_after(broker_timeout: Duration) -> Duration {
    const FLOOR: Duration = Duration::from_secs(120);
    let broker_calls = broker_timeout * 2;
    FLOOR.max(broker_calls * 2 + Duration::from_secs(60))
}

/// One caller's claims on idempotency keys.
#[derive(Debug, Clone)]
pub struct Idempotency {
    store: Store,
    stale_after: Duration,
    ttl: Duration,
}

/// A key held for one request of `owner` (the caller's key id) while it runs.
#[derive(Debug)]
pub struct Held {
    owner: String,
    key: IdempotencyKey,
    claim: String,
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claimed {
    /// Run the request, then [`Idempotency::remember`] its answer.
    Run(Held),
    /// The same request already ran: its answer, to replay.
    Replay { status: u16, body: String },
    /// The same request is running elsewhere.
    InFlight,
    /// The key was used with another request.
    OtherRequest,
}

impl Idempotency {
    /// Claims that go stale after `stale_after`, answers kept for `ttl` (at least as long as a
    /// claim may run, so no running request's claim expires).
    pub fn new(store: Store, stale_after: Duration, ttl: Duration) -> Self {
        Self {
            store,
            stale_after,
            ttl: ttl.max(stale_after),
        }
    }

    /// How long a record is kept: after it the key is free again, and `retention` deletes it.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Claims `key` for a request of `owner` with `digest`, at `now` (Unix seconds).
    pub async fn claim(
        &self,
        owner: &str,
        key: IdempotencyKey,
        digest: &str,
        now: i64,
    ) -> Result<Claimed, StoreError> {
        let times = ClaimTimes {
            now,
            stale_before: now - seconds(self.stale_after),
            expired_before: now - seconds(self.ttl),
        };
        let claimed = self.store.claim(owner, key.as_str(), digest, times).await?;
        Ok(match claimed {
            Claim::Claimed(claim) => Claimed::Run(Held {
                owner: owner.to_owned(),
                key,
                claim,
            }),
            Claim::Done { status, body } => Claimed::Replay { status, body },
            Claim::InFlight => Claimed::InFlight,
            Claim::OtherRequest => Claimed::OtherRequest,
        })
    }

    /// Keeps a request's answer for replays, or gives the key up when the answer is a failure
    /// of ours or of the broker (5xx) or could not be read: a retry then runs again. A record
    /// that fails to be kept is logged; the answer itself stands.
    pub async fn remember(&self, held: Held, answer: Option<(u16, &[u8])>) {
        let Held { owner, key, claim } = held;
        let kept = match answer {
            Some((status, body)) if status < 500 => {
                let text = String::from_utf8_lossy(body);
                self.store
                    .finish_claim(&owner, key.as_str(), &claim, status, &text)
                    .await
            }
            _ => self.store.release_claim(&owner, key.as_str(), &claim).await,
        };
        if let Err(error) = kept {
            // The work is done and its answer is right; only a replay of it is at risk.
            tracing::error!(
                error = %resilience::report(&error),
                "the idempotency record was not stored"
            );
        }
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_255_visible_characters() {
        assert!(IdempotencyKey::parse(b"order-42").is_ok());
        for bad in [&b""[..], b"tab\there", b"space here", "é".as_bytes()] {
            assert_eq!(IdempotencyKey::parse(bad), Err(BadKey), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&[b'k'; MAX_KEY_CHARS]).is_ok());
        assert!(IdempotencyKey::parse(&[b'k'; MAX_KEY_CHARS + 1]).is_err());
    }

    #[test]
    fn the_same_path_and_body_are_the_same_request() {
        let digest = request_digest("/v1/meetings", b"{}");
        assert_eq!(digest, request_digest("/v1/meetings", b"{}"));
        assert_ne!(digest, request_digest("/v1/meetings", b"{ }"));
        assert_ne!(digest, request_digest("/v1/meetings/x/guests", b"{}"));
    }

    #[test]
    fn an_answer_is_kept_a_day_by_default() {
        assert_eq!(DEFAULT_TTL, Duration::from_secs(86_400));
    }

    /// An answer of ours below 500 (a refusal included) is replayed; 500 and above are
    /// failures a retry should run again, so the key is given up.
    #[tokio::test]
    async fn an_answer_below_500_is_replayed_and_from_500_the_key_is_free_again() {
        let store = Store::connect(crate::settings::IN_MEMORY_DATABASE, 5)
            .await
            .unwrap();
        let idempotency = Idempotency::new(store, Duration::from_secs(60), DEFAULT_TTL);
        let claim = |key: &str| {
            let key = IdempotencyKey::parse(key.as_bytes()).unwrap();
            idempotency.claim("owner", key, "digest", 1_000)
        };
        for (status, replayed) in [(200, true), (499, true), (500, false), (503, false)] {
            let key = format!("key-{status}");
            let Claimed::Run(held) = claim(&key).await.unwrap() else {
                panic!("{status}: a new key runs");
            };
            idempotency.remember(held, Some((status, b"answer"))).await;
            match claim(&key).await.unwrap() {
                Claimed::Replay { status: kept, body } if replayed => {
                    assert_eq!((kept, body.as_str()), (status, "answer"));
                }
                Claimed::Run(_) if !replayed => {}
                other => panic!("{status}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_claim_goes_stale_after_any_request_could_have_finished() {
        assert_eq!(
            stale_after(Duration::from_secs(10)),
            Duration::from_secs(120)
        );
        assert_eq!(
            stale_after(Duration::from_secs(60)),
            Duration::from_secs(300)
        );
    }
}
