//! The store's idempotency records: a claim per caller and key, the answer kept once the
//! request is done. The rules of their use are `crate::idempotency`'s.

use super::rows::{Claim, ClaimTimes};
use super::sql::{Statement, values};
use super::{Store, StoreError};

/// An idempotency record as read back.
struct Stored {
    request_digest: String,
    status: Option<i64>,
    body: Option<String>,
    created_at: i64,
}

impl Store {
    /// Claims `key` for one request of `owner`. A claim left in flight since before
    /// `times.stale_before` is taken over; a record from before `times.expired_before` is
    /// forgotten and the key claimed afresh.
    pub async fn claim(
        &self,
        owner: &str,
        key: &str,
        request_digest: &str,
        times: ClaimTimes,
    ) -> Result<Claim, StoreError> {
        let ClaimTimes {
            now, stale_before, ..
        } = times;
        let token = uuid::Uuid::new_v4().simple().to_string();
        let inserted = self
            .db
            .execute(Statement::new(
                "INSERT INTO idempotency (owner, idem_key, request_digest, status, body, \
                 created_at, claim) VALUES ($1, $2, $3, NULL, NULL, $4, $5) ON CONFLICT DO NOTHING",
                values![owner, key, request_digest, now, &token],
            ))
            .await?;
        if inserted == 1 {
            return Ok(Claim::Claimed(token));
        }
        let Some(stored) = self.stored(owner, key).await? else {
            // Released between our insert and our read: try once more.
            return Box::pin(self.claim(owner, key, request_digest, times)).await;
        };
        // Expired, finished or not: a claim older than the TTL was left by a process long dead.
        if stored.created_at < times.expired_before {
            self.forget(owner, key, stored.created_at).await?;
            return Box::pin(self.claim(owner, key, request_digest, times)).await;
        }
        if stored.request_digest != request_digest {
            return Ok(Claim::OtherRequest);
        }
        match (stored.status, stored.body) {
            (Some(status), Some(body)) => Ok(Claim::Done {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }),
            _ if stored.created_at < stale_before => {
                self.take_over(owner, key, stored.created_at, now, token)
                    .await
            }
            _ => Ok(Claim::InFlight),
        }
    }

    async fn stored(&self, owner: &str, key: &str) -> Result<Option<Stored>, StoreError> {
        let statement = Statement::new(
            "SELECT request_digest, status, body, created_at FROM idempotency \
             WHERE owner = $1 AND idem_key = $2",
            values![owner, key],
        );
        self.db
            .fetch_optional(statement, |row| {
                Ok(Stored {
                    request_digest: row.text("request_digest")?,
                    status: row.opt_int("status")?,
                    body: row.opt_text("body")?,
                    created_at: row.int("created_at")?,
                })
            })
            .await
    }

    /// Deletes an expired record, unless it changed since it was read.
    async fn forget(&self, owner: &str, key: &str, created_at: i64) -> Result<(), StoreError> {
        self.db
            .execute(Statement::new(
                "DELETE FROM idempotency WHERE owner = $1 AND idem_key = $2 AND created_at = $3",
                values![owner, key, created_at],
            ))
            .await?;
        Ok(())
    }

    /// A stale claim, ours under `token` unless another process took it over first.
    async fn take_over(
        &self,
        owner: &str,
        key: &str,
        claimed_at: i64,
        now: i64,
        token: String,
    ) -> Result<Claim, StoreError> {
        let taken = self
            .db
            .execute(Statement::new(
                "UPDATE idempotency SET created_at = $1, claim = $2 WHERE owner = $3 \
                 AND idem_key = $4 AND status IS NULL AND created_at = $5",
                values![now, &token, owner, key, claimed_at],
            ))
            .await?;
        Ok(if taken == 1 {
            Claim::Claimed(token)
        } else {
            Claim::InFlight
        })
    }

    /// Stores the answer of a request that still holds its claim.
    pub async fn finish_claim(
        &self,
        owner: &str,
        key: &str,
        claim: &str,
        status: u16,
        body: &str,
    ) -> Result<(), StoreError> {
        self.db
            .execute(Statement::new(
                "UPDATE idempotency SET status = $1, body = $2 WHERE owner = $3 \
                 AND idem_key = $4 AND claim = $5 AND status IS NULL",
                values![i64::from(status), body, owner, key, claim],
            ))
            .await?;
        Ok(())
    }

    /// Gives a claim up (the request failed in a way worth retrying), if it is still ours.
    pub async fn release_claim(
        &self,
        owner: &str,
        key: &str,
        claim: &str,
    ) -> Result<(), StoreError> {
        self.db
            .execute(Statement::new(
                "DELETE FROM idempotency WHERE owner = $1 AND idem_key = $2 AND claim = $3 \
                 AND status IS NULL",
                values![owner, key, claim],
            ))
            .await?;
        Ok(())
    }
}
