//! Running one method, step by step: check the parameters, render the request, sign it (Basic,
//! AWS), check its destination, admit it under the method's throttling, authorize it (OAuth 2.0),
//! send it with the method's timeouts (again after a 401, for Digest and OAuth 2.0), and read
//! at most the engine's response limit: the first matching event picks the edge, and the
//! outputs are extracted. Each step is a module of its own; this file only runs them in order.

pub mod authorize;
mod destinations;
mod failure;
mod params;
mod read;
mod render;
mod result;
mod send;
mod throttling;
mod values;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use url::Url;

pub use destinations::{Destinations, NameResolver, literal_ip};
pub use result::{RAW_BODY_BYTES, RAW_HEADERS, RawResponse, RunError, RunResult};

use authorize::oauth::Tokens;
use authorize::{Authorizer, sign};
use failure::authority;
use params::{check_params, find_method};
use read::read;
use render::render;
use result::Stop;
use send::{Clients, Transport};
use values::Values;

use crate::model::NodeDefinition;
use crate::secrets::Secrets;
use crate::throttle::Throttles;

/// The default of [`Engine::with_max_response_bytes`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Options of a run that the definition does not hold.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replaces the scheme, host and port of the resource URL, and puts the override's path
    /// in front of the URL's (a service mounted under `/broker/`): the production definition
    /// runs against another service unchanged.
    pub base_url_override: Option<Url>,
    /// Tries again what the service cannot have acted on (a connection never made; 429, 502,
    /// 503, 504 after their `Retry-After`), within the method's request timeout. Off by
    /// default: Webex Connect sends a node's request once.
    pub retry: resilience::RetryPolicy,
}

/// Runs methods. Holds one HTTP client per pair of timeouts and TLS settings, so connections are
/// reused.
pub struct Engine {
    secrets: Secrets,
    max_response_bytes: usize,
    clients: Clients,
    throttles: Throttles,
    tokens: Tokens,
    destinations: Destinations,
}

impl Engine {
    /// An engine with `secrets`, the default response limit, and any destination allowed.
    pub fn new(secrets: Secrets) -> Self {
        Self {
            secrets,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            clients: Clients::default(),
            throttles: Throttles::default(),
            tokens: Tokens::default(),
            destinations: Destinations::Any,
        }
    }

    /// Which addresses runs may reach (default: any); requests are never redirected.
    pub fn with_destinations(mut self, destinations: Destinations) -> Self {
        self.destinations = destinations;
        self
    }

    /// Reads at most `limit` bytes of a response body (default [`DEFAULT_MAX_RESPONSE_BYTES`]);
    /// a larger answer leaves by the error edge without outputs. It bounds the memory one run
    /// takes, whatever the remote service sends; a definition cannot change it.
    pub fn with_max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Runs the method of `node` named `method_name` (its name or its slug) with the dynamic
    /// fields `params`. `Err` is a problem of the caller's input, found before anything was
    /// sent; every other outcome is a [`RunResult`].
    pub async fn run(
        &self,
        node: &NodeDefinition,
        method_name: &str,
        params: &BTreeMap<String, String>,
        options: &RunOptions,
    ) -> Result<RunResult, RunError> {
        match self.steps(node, method_name, params, options).await {
            Ok(result) => Ok(result),
            Err(Stop::Ended(result)) => Ok(*result),
            Err(Stop::Refused(error)) => Err(error),
        }
    }

    /// The steps of a run, in order; a step that ends the run early says how ([`Stop`]).
    async fn steps(
        &self,
        node: &NodeDefinition,
        method_name: &str,
        params: &BTreeMap<String, String>,
        options: &RunOptions,
    ) -> Result<RunResult, Stop> {
        let method = find_method(node, method_name)?;
        let params = &check_params(method, params)?;
        let values = Values::new(&self.secrets, params);
        let client = self.clients.client(method, self.destinations, &values)?;
        let base = options.base_url_override.as_ref();
        let request = render(&client, method, &values, base).await?;
        let request = sign(&client, request, method, &values)?;
        let target = authority(request.url());
        self.destinations.check(request.url())?;
        let _permit = throttling::admit(&self.throttles, node, method)?;

        let started = Instant::now();
        let authorizer = Authorizer {
            method,
            values: &values,
            tokens: &self.tokens,
            client: &client,
            destinations: self.destinations,
            started,
        };
        let (request, second_try) = authorizer.before_sending(request).await?;
        let transport = Transport {
            client: &client,
            max_response_bytes: self.max_response_bytes,
        };
        let budget = Duration::from_millis(u64::from(method.request_timeout_ms));
        let mut received = transport.send(request, &options.retry, budget).await;
        if let Some(request) = authorizer.after_refusal(second_try, &received).await? {
            received = transport.receive(request).await;
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        Ok(read(
            method,
            &target,
            received,
            elapsed_ms,
            self.max_response_bytes,
        ))
    }
}
