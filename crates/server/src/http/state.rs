//! What every handler can reach.

use std::sync::Arc;

use instant_connect::Clock;

use crate::broker::Broker;
use crate::idempotency::Idempotency;
use crate::meetings::Meetings;
use crate::metrics::Metrics;
use crate::nodes::Nodes;
use crate::store::Store;
use crate::visits::Visits;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub meetings: Meetings,
    /// Opens own links (`/l/{code}`).
    pub opener: crate::links::Opener,
    /// Events as they happen (`GET /v1/events`, the console's live pages).
    pub live: crate::live::Live,
    /// The tenants' webhook endpoints.
    pub webhooks: crate::webhooks::Webhooks,
    pub visits: Visits,
    pub mailer: crate::mail::Mailer,
    pub templates: crate::templates::Templates,
    pub nodes: Nodes,
    pub store: Store,
    pub broker: Broker,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    pub idempotency: Idempotency,
    /// Whether the console may import nodes ([`crate::settings::Settings::node_imports`]).
    pub node_imports: bool,
    /// Requests per API key ([`crate::settings::Settings::rate_limit_per_minute`]).
    pub key_limits: Option<resilience::KeyLimits>,
    /// Requests per tenant, for tenants with a limit of their own.
    pub tenant_rates: crate::tenants::TenantRates,
    /// How long a client has to send a request's body
    /// ([`crate::settings::Settings::body_read_timeout`]).
    pub body_read_timeout: std::time::Duration,
    /// Proxies whose `X-Forwarded-For` is believed
    /// ([`crate::settings::Settings::trusted_proxies`]).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Whether the service serves HTTPS itself (its answers then carry HSTS).
    pub https: bool,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}
