//! The send step: one HTTP client per timeouts and TLS settings (connections reused, no
//! redirect followed, names resolved as the destinations allow), the request sent again while
//! the retry policy allows, and the answer read up to the engine's limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

use super::destinations::{Destinations, NameResolver};
use super::result::RunError;
use super::values::Values;
use crate::model::{Method, Tls, TlsVersion};
use resilience::causes::root_cause;

/// What sets one HTTP client apart: connection timeout, request timeout and TLS settings.
type ClientKey = (u32, u32, Option<Tls>);

/// The engine's HTTP clients, one per [`ClientKey`].
#[derive(Default)]
pub(super) struct Clients {
    clients: Mutex<HashMap<ClientKey, reqwest::Client>>,
}

impl Clients {
    /// The client for the method's timeouts and TLS settings, made on first use; it resolves
    /// names as `destinations` allow, follows no redirect, and for public destinations takes
    /// no proxy from the environment.
    pub(super) fn client(
        &self,
        method: &Method,
        destinations: Destinations,
        values: &Values<'_>,
    ) -> Result<reqwest::Client, RunError> {
        let key = (
            method.connection_timeout_ms,
            method.request_timeout_ms,
            method.tls.clone(),
        );
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(client) = clients.get(&key) {
            return Ok(client.clone());
        }
        let mut builder = reqwest::Client::builder()
            .dns_resolver(Arc::new(NameResolver { destinations }))
            .connect_timeout(Duration::from_millis(u64::from(key.0)))
            .timeout(Duration::from_millis(u64::from(key.1)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("icnode-node/", env!("CARGO_PKG_VERSION")));
        if destinations == Destinations::Public {
            // A proxy from the environment would connect in the run's place, to an address
            // the resolver never sees.
            builder = builder.no_proxy();
        }
        if let Some(tls) = &method.tls {
            builder = with_tls(builder, tls, values)?;
        }
        let client = builder.build().map_err(|e| RunError::Tls(root_cause(&e)))?;
        clients.insert(key, client.clone());
        Ok(client)
    }
}

/// The method's trust store, client certificate and minimum version, on rustls.
fn with_tls(
    mut builder: reqwest::ClientBuilder,
    tls: &Tls,
    values: &Values<'_>,
) -> Result<reqwest::ClientBuilder, RunError> {
    if let Some(pem) = &tls.trust_store {
        let certificates = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| RunError::Tls(format!("trustStore: {}", root_cause(&e))))?;
        if certificates.is_empty() {
            return Err(RunError::Tls("trustStore holds no PEM certificate".into()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    match (&tls.client_certificate, &tls.client_key) {
        (Some(certificate), Some(key)) => {
            let key = values.with_secrets(key)?;
            let identity = reqwest::Identity::from_pem(format!("{certificate}\n{key}").as_bytes())
                .map_err(|e| {
                    RunError::Tls(format!(
                        "clientCertificate and clientKey: {}",
                        root_cause(&e)
                    ))
                })?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        (Some(_), None) | (None, Some(_)) => {
            return Err(RunError::Tls(
                "clientCertificate and clientKey go together".into(),
            ));
        }
    }
    if let Some(version) = tls.min_version {
        builder = builder.min_tls_version(match version {
            TlsVersion::Tls12 => reqwest::tls::Version::TLS_1_2,
            TlsVersion::Tls13 => reqwest::tls::Version::TLS_1_3,
        });
    }
    Ok(builder)
}

/// What came back before the body was judged.
pub(super) struct Received {
    pub status: u16,
    pub headers: HeaderMap,
    /// All of it, or when `too_large` what was read before the limit (nothing when the
    /// Content-Length announced it).
    pub body: Vec<u8>,
    pub too_large: bool,
}

/// Where a run's requests go out: its client, and how much of an answer is read.
pub(super) struct Transport<'a> {
    pub client: &'a reqwest::Client,
    pub max_response_bytes: usize,
}

impl Transport<'_> {
    /// Sends the request, again while `retry` allows and the answer says it was not acted on,
    /// within `budget`.
    pub(super) async fn send(
        &self,
        request: reqwest::Request,
        retry: &resilience::RetryPolicy,
        budget: Duration,
    ) -> Result<Received, reqwest::Error> {
        if retry.attempts.get() == 1 {
            return self.receive(request).await;
        }
        // Bodies are buffered before sending, so a request can be copied for each attempt.
        let Some(template) = request.try_clone() else {
            return self.receive(request).await;
        };
        let tried = resilience::retry(
            retry,
            budget,
            |left| {
                let mut attempt = template
                    .try_clone()
                    .unwrap_or_else(|| unreachable!("a request that cloned once clones again"));
                *attempt.timeout_mut() = Some(left);
                self.receive(attempt)
            },
            |outcome| match outcome {
                Err(error) if error.is_connect() => resilience::Verdict::Retry { after: None },
                Ok(received) if resilience::is_retryable_status(received.status) => {
                    resilience::Verdict::Retry {
                        after: received
                            .headers
                            .get(reqwest::header::RETRY_AFTER)
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| resilience::parse_retry_after(v, SystemTime::now())),
                    }
                }
                _ => resilience::Verdict::Done,
            },
        )
        .await;
        tried.outcome
    }

    /// Sends the request and reads the body chunk by chunk, stopping at the engine's limit.
    pub(super) async fn receive(
        &self,
        request: reqwest::Request,
    ) -> Result<Received, reqwest::Error> {
        let mut response = self.client.execute(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let limit = self.max_response_bytes;
        let too_large = |body| Received {
            status,
            headers: headers.clone(),
            body,
            too_large: true,
        };
        // Content-Length announces the size; refuse without reading a byte.
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Ok(too_large(Vec::new()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > limit {
                body.extend_from_slice(&chunk[..limit - body.len()]);
                return Ok(too_large(body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Received {
            status,
            headers,
            body,
            too_large: false,
        })
    }
}
