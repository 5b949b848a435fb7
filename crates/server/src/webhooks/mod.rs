//! Webhooks: a tenant's endpoints that hear of its events, per the Standard Webhooks
//! specification. What an endpoint is and who may make one (admin keys), its secrets (made
//! here, shown once, rotated with the old one valid a day more), its deliveries listed and
//! replayed, and a test send. Events are written by the changes themselves
//! ([`crate::store::EventRow`]); they are fanned out and sent by [`Dispatcher`] (`deliver`), signed by
//! `sign`.
//!
//! What it is not: a queue crate, or delivery in order. Each delivery is tried on its own, and
//! a receiver deduplicates by `webhook-id` (the event's id, the same on every attempt).

mod deliver;
mod sign;

use std::sync::Arc;
use std::time::Duration;

use instant_connect::Clock;

pub use deliver::Dispatcher;
pub use sign::{new_secret, signatures};

use crate::domain::{
    Action, EventType, Field, Invalid, KeyRole, Outcome, Permission, Subscription,
};
use crate::keys::Caller;
use crate::store::{AuditRow, DeliveryRow, Store, StoreError, WebhookRow};

/// The most endpoints a tenant has.
pub const MAX_WEBHOOKS: usize = 20;
/// The longest endpoint URL.
pub const MAX_URL_CHARS: usize = 2000;
/// How long a rotated secret still signs, beside the new one.
pub const PREVIOUS_SECRET_LASTS: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    #[error("{0}")]
    Invalid(Invalid),
    #[error("no webhook `{0}`")]
    NotFound(String),
    #[error("no delivery `{0}` of this webhook")]
    DeliveryNotFound(String),
    #[error("a key whose role is `{0}` may not do this")]
    Forbidden(KeyRole),
    #[error("this tenant has its {MAX_WEBHOOKS} webhooks already")]
    TooMany,
    #[error("the webhook store failed")]
    Store(#[from] StoreError),
}

impl From<Invalid> for WebhookError {
    fn from(invalid: Invalid) -> Self {
        WebhookError::Invalid(invalid)
    }
}

impl WebhookError {
    fn outcome(&self) -> Outcome {
        match self {
            WebhookError::Invalid(_) | WebhookError::TooMany => Outcome::Invalid,
            WebhookError::NotFound(_) | WebhookError::DeliveryNotFound(_) => Outcome::NotFound,
            WebhookError::Forbidden(_) => Outcome::Forbidden,
            WebhookError::Store(_) => Outcome::StoreFailed,
        }
    }
}

/// An endpoint as asked for.
#[derive(Debug, Clone, Default)]
pub struct WebhookAsked {
    pub url: String,
    pub events: Vec<String>,
}

/// A tenant's endpoints.
#[derive(Clone)]
pub struct Webhooks {
    store: Store,
    clock: Arc<dyn Clock>,
    destinations: node::Destinations,
}

impl Webhooks {
    pub fn new(store: Store, clock: Arc<dyn Clock>, destinations: node::Destinations) -> Self {
        Self {
            store,
            clock,
            destinations,
        }
    }

    /// Makes an endpoint; its secret is in the answer and nowhere else after.
    pub async fn create(
        &self,
        caller: &Caller,
        asked: WebhookAsked,
    ) -> Result<WebhookRow, WebhookError> {
        let made = self.create_checked(caller, asked).await;
        if let Err(error) = &made {
            self.refused(caller, Action::WebhookCreated, None, error)
                .await;
        }
        made
    }

    async fn create_checked(
        &self,
        caller: &Caller,
        asked: WebhookAsked,
    ) -> Result<WebhookRow, WebhookError> {
        admin(caller)?;
        let url = self.target(&asked.url)?;
        let events = Subscription::read(&asked.events)?;
        if self.store.webhooks(&caller.tenant).await?.len() >= MAX_WEBHOOKS {
            return Err(WebhookError::TooMany);
        }
        let hook = WebhookRow {
            id: format!("wh_{}", uuid::Uuid::now_v7().simple()),
            tenant: caller.tenant.clone(),
            url,
            events,
            secret: new_secret(),
            previous_secret: None,
            previous_until: None,
            created_at: self.clock.now(),
        };
        let audit = self.audit(
            caller,
            Action::WebhookCreated,
            Some(&hook.id),
            Outcome::Done,
        );
        self.store.insert_webhook(&hook, &audit).await?;
        Ok(hook)
    }

    /// The URL an endpoint may have: http(s), no credentials in it, and an address these
    /// destinations allow when it is an IP literal (a name is checked as it resolves, on
    /// every delivery).
    fn target(&self, text: &str) -> Result<String, Invalid> {
        let bad = |rule: String| Invalid::says(Field::Url, rule);
        if text.chars().count() > MAX_URL_CHARS {
            return Err(bad(format!("must be at most {MAX_URL_CHARS} characters")));
        }
        let url =
            url::Url::parse(text).map_err(|e| bad(format!("must be an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must be an http or https URL".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad(
                "must not hold a user name or password: each delivery is signed instead".into(),
            ));
        }
        if url.fragment().is_some() {
            return Err(bad("must not have a #fragment".into()));
        }
        if let Some(ip) = node::literal_ip(&url)
            && !self.destinations.allows(ip)
        {
            return Err(bad(format!(
                "must reach a public address, not {ip} (the service is run without \
                 --allow-private-webhook-addresses)"
            )));
        }
        Ok(url.to_string())
    }

    /// The tenant's endpoints (an admin's only: they show where its events go).
    pub async fn list(&self, caller: &Caller) -> Result<Vec<WebhookRow>, WebhookError> {
        admin(caller)?;
        Ok(self.store.webhooks(&caller.tenant).await?)
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<WebhookRow, WebhookError> {
        admin(caller)?;
        self.store
            .webhook(&caller.tenant, id)
            .await?
            .ok_or_else(|| WebhookError::NotFound(id.to_owned()))
    }

    /// Deletes an endpoint; its deliveries not yet made are dropped.
    pub async fn delete(&self, caller: &Caller, id: &str) -> Result<(), WebhookError> {
        let deleted = async {
            admin(caller)?;
            let audit = self.audit(caller, Action::WebhookDeleted, Some(id), Outcome::Done);
            match self
                .store
                .delete_webhook(&caller.tenant, id, &audit)
                .await?
            {
                true => Ok(()),
                false => Err(WebhookError::NotFound(id.to_owned())),
            }
        }
        .await;
        if let Err(error) = &deleted {
            self.refused(caller, Action::WebhookDeleted, Some(id), error)
                .await;
        }
        deleted
    }

    /// A new secret, shown once; the one before signs beside it for a day more.
    pub async fn rotate(&self, caller: &Caller, id: &str) -> Result<WebhookRow, WebhookError> {
        let rotated = async {
            let hook = self.get(caller, id).await?;
            let secret = new_secret();
            let until = self.clock.now() + PREVIOUS_SECRET_LASTS.as_secs() as i64;
            let audit = self.audit(caller, Action::WebhookRotated, Some(id), Outcome::Done);
            if !self
                .store
                .rotate_webhook(&hook, &secret, until, &audit)
                .await?
            {
                return Err(WebhookError::NotFound(id.to_owned()));
            }
            self.get(caller, id).await
        }
        .await;
        if let Err(error) = &rotated {
            self.refused(caller, Action::WebhookRotated, Some(id), error)
                .await;
        }
        rotated
    }

    /// A page of an endpoint's deliveries, newest first, and the id the next page starts
    /// before when there is one.
    pub async fn deliveries(
        &self,
        caller: &Caller,
        id: &str,
        limit: Option<u32>,
        before: Option<&str>,
    ) -> Result<(Vec<DeliveryRow>, Option<String>), WebhookError> {
        let hook = self.get(caller, id).await?;
        let limit = limit.unwrap_or(crate::meetings::DEFAULT_PAGE);
        if !(1..=crate::meetings::MAX_PAGE).contains(&limit) {
            return Err(Invalid::says(
                Field::Limit,
                format!(
                    "must be between 1 and {}, got {limit}",
                    crate::meetings::MAX_PAGE
                ),
            )
            .into());
        }
        // One more than the page: whether another follows.
        let mut items = self
            .store
            .deliveries(
                &caller.tenant,
                &hook.id,
                before.filter(|b| !b.is_empty()),
                limit + 1,
            )
            .await?;
        let next_before = (items.len() > limit as usize)
            .then(|| {
                items.truncate(limit as usize);
                items.last().map(|d| d.id.clone())
            })
            .flatten();
        Ok((items, next_before))
    }

    /// The event of one delivery delivered again, as a new delivery due now; its id.
    pub async fn replay(
        &self,
        caller: &Caller,
        id: &str,
        delivery: &str,
    ) -> Result<String, WebhookError> {
        let hook = self.get(caller, id).await?;
        let found = self
            .store
            .delivery(&caller.tenant, &hook.id, delivery)
            .await?
            .ok_or_else(|| WebhookError::DeliveryNotFound(delivery.to_owned()))?;
        Ok(self.store.replay_delivery(&found, self.clock.now()).await?)
    }

    /// A `webhook.test` event to this endpoint alone; its delivery's id.
    pub async fn test(&self, caller: &Caller, id: &str) -> Result<String, WebhookError> {
        let hook = self.get(caller, id).await?;
        let now = self.clock.now();
        let event = crate::store::EventRow::new(
            &caller.tenant,
            EventType::WebhookTest,
            None,
            now,
            serde_json::json!({"webhookId": hook.id}),
        );
        Ok(self.store.insert_event_for(&event, &hook.id).await?)
    }

    fn audit(
        &self,
        caller: &Caller,
        action: Action,
        target: Option<&str>,
        outcome: Outcome,
    ) -> AuditRow {
        caller.audit_row(self.clock.now(), action, target, outcome)
    }

    async fn refused(
        &self,
        caller: &Caller,
        action: Action,
        target: Option<&str>,
        error: &WebhookError,
    ) {
        let row = self.audit(caller, action, target, error.outcome());
        self.store.append_audit_or_log(&row).await;
    }
}

/// Only an admin key manages endpoints: they say where the tenant's events go.
fn admin(caller: &Caller) -> Result<(), WebhookError> {
    if caller.may(Permission::Administer) {
        Ok(())
    } else {
        Err(WebhookError::Forbidden(caller.role))
    }
}
