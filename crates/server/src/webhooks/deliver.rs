//! Deliveries sent: each round fans new events out to the endpoints that want them, then
//! claims the deliveries due (for the lease visits' jobs have, `--job-lease`: one process
//! sends each attempt, and a process that died loses nothing: its claims pass and another
//! process, or this one restarted, sends them) and sends them at once, each signed.
//! A `2xx` ends a delivery; anything else (another status, no connection, no answer in time)
//! is tried again after [`crate::domain::RETRY_AFTER`], about a day in all, then it is dead
//! with the last answer kept.
//!
//! The `webhook-timestamp` is the real time of sending, not the service's clock: a receiver
//! checks it against its own clock to refuse replays.

use std::sync::Arc;
use std::time::Duration;

use instant_connect::{Clock, SystemClock};

use super::sign::signatures;
use crate::domain::retry_after;
use crate::store::{ClaimedDelivery, DeliveryState, Store, StoreError};

/// Deliveries claimed at a time.
const BATCH: u32 = 100;
/// Events fanned out at a time.
const FAN_OUT: u32 = 500;
/// How long an endpoint has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an answer that failed is kept, to say why.
const KEPT_ANSWER_CHARS: usize = 300;

/// Sends the tenants' deliveries.
#[derive(Clone)]
pub struct Dispatcher {
    store: Store,
    clock: Arc<dyn Clock>,
    client: reqwest::Client,
    /// How long a claim holds ([`crate::settings::JOB_LEASE`] unless told otherwise): a
    /// delivery still being sent when it passes (a lease shorter than [`DELIVERY_TIMEOUT`])
    /// may be sent twice, which receivers dedupe by its `webhook-id`.
    lease: Duration,
}

impl Dispatcher {
    /// A dispatcher whose client reaches only `destinations` (checked on every address a name
    /// resolves to) and follows no redirect.
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        destinations: node::Destinations,
    ) -> Result<Self, reqwest::Error> {
        let mut client = reqwest::Client::builder()
            .timeout(DELIVERY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("icnode-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(node::NameResolver { destinations }));
        if destinations == node::Destinations::Public {
            client = client.no_proxy();
        }
        Ok(Self {
            store,
            clock,
            client: client.build()?,
            lease: crate::settings::JOB_LEASE,
        })
    }

    /// Claims that hold for `lease` (the service's `job_lease`, as visits' jobs).
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Rounds every `every` until `stopped` resolves. A failed round is logged and the next
    /// tried.
    pub async fn every(self, every: Duration, stopped: impl std::future::Future<Output = ()>) {
        crate::rounds::every(every, stopped, || async {
            if let Err(error) = self.round(self.clock.now()).await {
                tracing::warn!(
                    error = %resilience::report(&error),
                    "a round of webhook deliveries failed; the next one tries again"
                );
            }
        })
        .await;
    }

    /// Fans out the events written since, then sends what is due at `now`, a batch at a time.
    pub async fn round(&self, now: i64) -> Result<(), StoreError> {
        while self.store.fan_out(now, FAN_OUT).await? > 0 {}
        loop {
            let lease_until = now + self.lease.as_secs() as i64;
            let claimed = self.store.claim_deliveries(now, lease_until, BATCH).await?;
            // Claims again until none is due, as visits' jobs do.
            if claimed.is_empty() {
                return Ok(());
            }
            let mut sending = tokio::task::JoinSet::new();
            for delivery in claimed {
                let this = self.clone();
                sending.spawn(async move { this.attempt(delivery, now).await });
            }
            while let Some(done) = sending.join_next().await {
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => return Err(error),
                    Err(panicked) => tracing::error!(error = %panicked, "a delivery panicked"),
                }
            }
        }
    }

    /// Sends one delivery and writes how it ended.
    async fn attempt(&self, claimed: ClaimedDelivery, now: i64) -> Result<(), StoreError> {
        let ClaimedDelivery {
            delivery,
            webhook,
            payload,
        } = claimed;
        let mut secrets = vec![webhook.secret.as_str()];
        if let (Some(previous), Some(until)) = (&webhook.previous_secret, webhook.previous_until)
            && until > now
        {
            secrets.push(previous);
        }
        let sent_at = SystemClock.now();
        let signature = signatures(&secrets, &delivery.event_id, sent_at, payload.as_bytes());
        let answer = self
            .client
            .post(&webhook.url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", sent_at.to_string())
            .header("webhook-signature", signature)
            .body(payload)
            .send()
            .await;
        let (status, error) = match answer {
            Ok(response) if response.status().is_success() => {
                let status = i64::from(response.status().as_u16());
                self.store
                    .end_delivery(&delivery, DeliveryState::Done, now, now, Some(status), None)
                    .await?;
                return Ok(());
            }
            Ok(response) => {
                let status = i64::from(response.status().as_u16());
                let text = response.text().await.unwrap_or_default();
                let kept: String = text.chars().take(KEPT_ANSWER_CHARS).collect();
                (Some(status), format!("answered {status}: {kept}"))
            }
            Err(error) => (None, resilience::report(&error.without_url())),
        };
        let (state, due_at) = match retry_after(delivery.attempts) {
            Some(wait) => (DeliveryState::Due, now + wait.as_secs() as i64),
            None => (DeliveryState::Dead, now),
        };
        self.store
            .end_delivery(&delivery, state, due_at, now, status, Some(&error))
            .await?;
        Ok(())
    }
}
