//! Running one method: render the request, send it with the method's timeouts, read at most
//! the engine's response limit, pick the edge, extract the outputs.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, WWW_AUTHENTICATE,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;

use crate::aws;
use crate::fields;
use crate::model::{
    AuthValue, Authorization, BodyFormat, Condition, Edge, Event, Grant, Method, NodeDefinition,
    Row, Source, Tls, TlsVersion,
};
use crate::oauth;
use crate::response::Parsed;
use crate::secrets::{Secrets, env_variable};
use crate::template::{self, Context, SECRET_PREFIX};
use crate::throttle::{Throttled, Throttles};

/// The default of [`Engine::with_max_response_bytes`].
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;
/// At most this much of the body is kept in [`RawResponse::body`].
pub const RAW_BODY_BYTES: usize = 2 * 1024;
/// At most this many header names are kept in [`RawResponse::headers`].
pub const RAW_HEADERS: usize = 32;
/// At most this much of the body is quoted in an error: enough for a JSON error body with its
/// message and tracking id, short enough for one line.
const ERROR_EXCERPT_BYTES: usize = 512;

/// What a run did: the edge it left by, and what it read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    pub edge: Edge,
    /// `None` when no answer came (connection failure, timeout).
    pub status: Option<u16>,
    pub outputs: Map<String, Value>,
    /// Why the run left by `error` or `timeout`; with an answer, its status and the start of
    /// its body, where services put their reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub elapsed_ms: u64,
    /// The answer as it came, whatever the edge; `None` when no answer came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<RawResponse>,
}

/// The answer cut to a size a person reads: what a console shows as the raw response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RawResponse {
    pub status: u16,
    /// The first [`RAW_HEADERS`] header names (lowercase) with their values, repeats joined by
    /// `, ` and bytes that are not UTF-8 replaced.
    pub headers: BTreeMap<String, String>,
    /// The body as text (bytes that are not UTF-8 replaced), cut on a character boundary at
    /// [`RAW_BODY_BYTES`].
    pub body: String,
    /// `body` is not the whole body: it was longer, or ran past the engine's limit.
    pub body_truncated: bool,
}

/// Problems found before anything is sent: the caller's input, not the remote service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the node has no method `{method}`; it has: {available}")]
    UnknownMethod { method: String, available: String },
    #[error("missing parameter(s): {}", .0.join(", "))]
    MissingParameters(Vec<String>),
    /// Values that break their field's node UI rules (type, regex), every one.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidParameters(Vec<fields::FieldError>),
    #[error("unknown parameter(s): {} (this method takes: {expected})", .unknown.join(", "))]
    UnknownParameters {
        unknown: Vec<String>,
        expected: String,
    },
    #[error("secret `{name}` is not set: set {variable} or put `{name}=...` in the secrets file")]
    MissingSecret { name: String, variable: String },
    #[error("{0}")]
    Fill(String),
    #[error("the request URL is not valid: {0}")]
    Url(String),
    #[error("header `{0}` cannot hold that value")]
    Header(String),
    /// The method's TLS settings cannot be used (a PEM that does not parse, a key without its
    /// certificate).
    #[error("tls: {0}")]
    Tls(String),
    #[error("{0}")]
    Sign(String),
}

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

/// Which addresses a run may reach.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Destinations {
    /// Wherever the definition says (the operator wrote it).
    #[default]
    Any,
    /// Public addresses only: no loopback, private, link-local, shared, unique-local,
    /// multicast or unspecified address, by IP literal or by a name that resolves to one. For
    /// definitions someone else wrote (nodes imported at the console), so that an API key
    /// cannot make the service call into its own network.
    Public,
}

impl Destinations {
    fn allows(self, ip: std::net::IpAddr) -> bool {
        self == Destinations::Any || is_public(ip)
    }
}

/// Whether `ip` is reachable from the internet at large (RFC 6890's special ranges excluded).
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || a == 0
                // 100.64.0.0/10, carrier-grade NAT.
                || (a == 100 && (64..128).contains(&b))
                // 198.18.0.0/15, benchmarking.
                || (a == 198 && (b == 18 || b == 19)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // fc00::/7 unique local, fe80::/10 link-local.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// What sets one HTTP client apart: connection timeout, request timeout and TLS settings.
type ClientKey = (u32, u32, Option<Tls>);

/// Runs methods. Holds one HTTP client per pair of timeouts and TLS settings, so connections are
/// reused.
pub struct Engine {
    secrets: Secrets,
    max_response_bytes: usize,
    clients: Mutex<HashMap<ClientKey, reqwest::Client>>,
    throttles: Throttles,
    tokens: oauth::Tokens,
    destinations: Destinations,
}

impl Engine {
    pub fn new(secrets: Secrets) -> Self {
        Self {
            secrets,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            clients: Mutex::new(HashMap::new()),
            throttles: Throttles::default(),
            tokens: oauth::Tokens::default(),
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

    pub async fn run(
        &self,
        node: &NodeDefinition,
        method_name: &str,
        params: &BTreeMap<String, String>,
        options: &RunOptions,
    ) -> Result<RunResult, RunError> {
        let method = node
            .method(method_name)
            .ok_or_else(|| RunError::UnknownMethod {
                method: method_name.to_owned(),
                available: node
                    .methods
                    .iter()
                    .map(|m| format!("`{}`", m.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let params = &check_params(method, params)?;
        let client = self.client(method)?;
        let mut request = buffered(self.render(&client, method, params, options)?).await?;
        if let Some(Authorization::Aws {
            access_key,
            secret_key,
            session_token,
            region,
            service,
        }) = &method.authorization
        {
            let credentials = aws::Credentials {
                access_key: self.auth_value(access_key, params)?,
                secret_key: SecretString::from(self.auth_value(secret_key, params)?),
                // An optional token left empty: long-term credentials.
                session_token: match session_token {
                    Some(token) => Some(self.auth_value(token, params)?)
                        .filter(|token| !token.is_empty())
                        .map(SecretString::from),
                    None => None,
                },
            };
            let scope = aws::Scope { region, service };
            aws::sign_request(&mut request, &credentials, &scope, SystemTime::now())
                .map_err(RunError::Sign)?;
        }
        let target = authority(request.url());
        if let Some(ip) = literal_ip(request.url())
            && !self.destinations.allows(ip)
        {
            return Ok(refused_destination(&RefusedAddress {
                name: target.clone(),
            }));
        }
        // Held until the run ends: its place under the concurrency limit.
        let _permit = match &method.throttling {
            Some(throttling) => {
                match self
                    .throttles
                    .admit(&node.name, &method.name, throttling, Instant::now())
                {
                    Ok(permit) => Some(permit),
                    Err(throttled) => return Ok(throttled_result(method, throttled)),
                }
            }
            None => None,
        };

        let started = Instant::now();
        let oauth = match &method.authorization {
            Some(Authorization::Oauth2 {
                token_url,
                client_id,
                client_secret,
                grant,
                scopes,
            }) => {
                let token_request = oauth::TokenRequest {
                    token_url,
                    client_id: self.auth_value(client_id, params)?,
                    client_secret: SecretString::from(self.auth_value(client_secret, params)?),
                    refresh_token: match grant {
                        Grant::ClientCredentials => None,
                        Grant::RefreshToken { refresh_token } => {
                            Some(SecretString::from(self.auth_value(refresh_token, params)?))
                        }
                    },
                    scopes,
                };
                let token = match self.tokens.token(&client, &token_request, None).await {
                    Ok(token) => token,
                    Err(reason) => {
                        return Ok(token_failure(reason, started.elapsed().as_millis() as u64));
                    }
                };
                set_bearer(&mut request, &token)?;
                request
                    .try_clone()
                    .map(|retry| (retry, token_request, token))
            }
            _ => None,
        };
        let digest_retry = match &method.authorization {
            Some(Authorization::Digest { username, password }) => {
                request.try_clone().map(|retry| (retry, username, password))
            }
            _ => None,
        };
        let budget = Duration::from_millis(u64::from(method.request_timeout_ms));
        let mut received = self.send(&client, request, &options.retry, budget).await;
        if let (Some((mut retry, username, password)), Ok(first)) = (digest_retry, &received)
            && first.status == 401
            && let Some(challenge) = digest_challenge(&first.headers)
        {
            let username = self.auth_value(username, params)?;
            let password = self.auth_value(password, params)?;
            if let Some(answer) = answer_digest_challenge(&retry, &username, &password, challenge)
                && let Ok(value) = HeaderValue::from_str(&answer)
            {
                retry.headers_mut().insert(AUTHORIZATION, value);
                received = self.receive(&client, retry).await;
            }
        }
        if let (Some((mut retry, token_request, refused)), Ok(first)) = (oauth, &received)
            && first.status == 401
        {
            // The token was refused (revoked, or expired early): once more with a fresh one.
            match self
                .tokens
                .token(&client, &token_request, Some(&refused))
                .await
            {
                Ok(token) => {
                    set_bearer(&mut retry, &token)?;
                    received = self.receive(&client, retry).await;
                }
                Err(reason) => {
                    return Ok(token_failure(reason, started.elapsed().as_millis() as u64));
                }
            }
        }
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let Received {
            status,
            headers,
            body,
            too_large,
        } = match received {
            Ok(received) => received,
            Err(e) => return Ok(transport_failure(method, &target, e, elapsed_ms)),
        };
        let raw = RawResponse::new(status, &headers, &body, too_large);
        let left_by_error = |error: String| RunResult {
            edge: Edge::Error,
            status: Some(status),
            outputs: Map::new(),
            error: Some(error),
            elapsed_ms,
            response: Some(raw.clone()),
        };
        if too_large {
            return Ok(left_by_error(format!(
                "the response is larger than the {} limit",
                size(self.max_response_bytes)
            )));
        }

        let parsed = match Parsed::parse(method.response_type, &body) {
            Ok(parsed) => parsed,
            Err(reason) => {
                let start: String = String::from_utf8_lossy(&body).chars().take(80).collect();
                return Ok(left_by_error(format!("{reason}; it starts {start:?}")));
            }
        };
        let answer = Answer {
            status,
            headers: &headers,
            body: Some(&parsed),
        };
        let matched = method.events.iter().find(|event| answer.holds(event));
        let outputs = outputs(method, &answer);
        let error = match matched {
            Some(event) if event.edge == Edge::Success => None,
            Some(event) => Some(format!(
                "the answer matched event `{}` (HTTP {status}){}",
                event.name,
                quoted_body(&body)
            )),
            None => Some(format!(
                "no event matched the answer (HTTP {status}){}",
                quoted_body(&body)
            )),
        };
        Ok(RunResult {
            edge: matched.map_or(Edge::Error, |e| e.edge),
            status: Some(status),
            outputs,
            error,
            elapsed_ms,
            response: Some(raw),
        })
    }

    /// Sends the request, again while `retry` allows and the answer says it was not acted on,
    /// within `budget`.
    async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        retry: &resilience::RetryPolicy,
        budget: Duration,
    ) -> Result<Received, reqwest::Error> {
        if retry.attempts.get() == 1 {
            return self.receive(client, request).await;
        }
        // Bodies are buffered before sending, so a request can be copied for each attempt.
        let Some(template) = request.try_clone() else {
            return self.receive(client, request).await;
        };
        let tried = resilience::retry(
            retry,
            budget,
            |left| {
                let mut attempt = template
                    .try_clone()
                    .unwrap_or_else(|| unreachable!("a request that cloned once clones again"));
                *attempt.timeout_mut() = Some(left);
                self.receive(client, attempt)
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
    async fn receive(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> Result<Received, reqwest::Error> {
        let mut response = client.execute(request).await?;
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

    fn client(&self, method: &Method) -> Result<reqwest::Client, RunError> {
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
            .dns_resolver(Arc::new(NameResolver {
                destinations: self.destinations,
            }))
            .connect_timeout(Duration::from_millis(u64::from(key.0)))
            .timeout(Duration::from_millis(u64::from(key.1)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("icnode-node/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = &method.tls {
            builder = self.with_tls(builder, tls)?;
        }
        let client = builder.build().map_err(|e| RunError::Tls(root_cause(&e)))?;
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// The method's trust store, client certificate and minimum version, on rustls.
    fn with_tls(
        &self,
        mut builder: reqwest::ClientBuilder,
        tls: &Tls,
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
                let key = self.row_value(
                    &Row::Static {
                        name: String::new(),
                        value: key.clone(),
                    },
                    &BTreeMap::new(),
                )?;
                let identity =
                    reqwest::Identity::from_pem(format!("{certificate}\n{key}").as_bytes())
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

    fn render(
        &self,
        client: &reqwest::Client,
        method: &Method,
        params: &BTreeMap<String, String>,
        options: &RunOptions,
    ) -> Result<reqwest::Request, RunError> {
        let mut url = Url::parse(&self.fill(&method.url, Context::Url, method, params)?)
            .map_err(|e| RunError::Url(e.to_string()))?;
        if let Some(base) = &options.base_url_override {
            rebase(&mut url, base)?;
        }
        if !method.url_parameters.is_empty() {
            let mut pairs = Vec::with_capacity(method.url_parameters.len());
            for row in &method.url_parameters {
                let value = self.row_value(row, params)?;
                // An optional field left empty leaves its row out.
                if row.field().is_some() && value.is_empty() {
                    continue;
                }
                pairs.push((row.name().to_owned(), value));
            }
            url.query_pairs_mut().extend_pairs(pairs);
        }

        let mut headers = HeaderMap::new();
        if let Some(body) = &method.body {
            if let Some(content_type) = body.content_type() {
                let value = HeaderValue::from_str(&content_type)
                    .map_err(|_| RunError::Header("Content-Type".into()))?;
                headers.insert(CONTENT_TYPE, value);
            }
            if let Some(action) = body.soap_action_header() {
                let value = HeaderValue::from_str(&action)
                    .map_err(|_| RunError::Header("SOAPAction".into()))?;
                headers.insert(HeaderName::from_static("soapaction"), value);
            }
        }
        for row in &method.headers {
            let name = HeaderName::from_bytes(row.name().as_bytes())
                .map_err(|_| RunError::Header(row.name().to_owned()))?;
            let value = self.row_value(row, params)?;
            // An optional field left empty leaves its header out.
            if row.field().is_some() && value.is_empty() {
                continue;
            }
            let value = HeaderValue::from_str(&value)
                .map_err(|_| RunError::Header(row.name().to_owned()))?;
            headers.insert(name, value);
        }

        let mut request = client
            .request(method.http_method.as_reqwest(), url)
            .headers(headers);
        if let Some(body) = &method.body {
            let context = match body.format {
                BodyFormat::Json => Some(Context::Json),
                BodyFormat::Form => Some(Context::Form),
                BodyFormat::Text => Some(Context::Raw),
                BodyFormat::Xml | BodyFormat::Soap => Some(Context::Xml),
                BodyFormat::Multipart => None,
            };
            request = match context {
                Some(context) => {
                    request.body(self.fill(&body.template, context, method, params)?)
                }
                None => {
                    let mut form = reqwest::multipart::Form::new();
                    for part in &body.parts {
                        let value = self.row_value(part, params)?;
                        // An optional field left empty leaves its part out.
                        if part.field().is_some() && value.is_empty() {
                            continue;
                        }
                        form = form.text(part.name().to_owned(), value);
                    }
                    request.multipart(form)
                }
            };
        }
        match &method.authorization {
            // Digest answers the server's challenge, OAuth 2.0 needs a token, SigV4 signs the
            // finished request: all in `run`.
            None
            | Some(Authorization::None)
            | Some(Authorization::Digest { .. })
            | Some(Authorization::Oauth2 { .. })
            | Some(Authorization::Aws { .. }) => {}
            Some(Authorization::Basic { username, password }) => {
                let username = self.auth_value(username, params)?;
                let password = self.auth_value(password, params)?;
                request = request.basic_auth(username, Some(password));
            }
        }
        request
            .build()
            .map_err(|e| RunError::Url(e.without_url().to_string()))
    }

    /// An authorization value: static with its secrets filled in, or the run's field.
    fn auth_value(
        &self,
        value: &AuthValue,
        params: &BTreeMap<String, String>,
    ) -> Result<String, RunError> {
        match value {
            AuthValue::Static { value } => self.row_value(
                &Row::Static {
                    name: String::new(),
                    value: value.clone(),
                },
                params,
            ),
            AuthValue::Dynamic { field } => Ok(params.get(field).cloned().unwrap_or_default()),
        }
    }

    /// Fills a URL or body template: placeholders from their parameter rows, secrets by name.
    fn fill(
        &self,
        text: &str,
        context: Context,
        method: &Method,
        params: &BTreeMap<String, String>,
    ) -> Result<String, RunError> {
        let mut failure = None;
        let filled = template::fill(text, context, |name| {
            let value = match name.strip_prefix(SECRET_PREFIX) {
                Some(secret) => self.secret(secret),
                None => match method.parameters.iter().find(|row| row.name() == name) {
                    Some(row) => self.row_value(row, params),
                    None => Err(RunError::Fill(format!(
                        "placeholder `$({name})` has no parameter row"
                    ))),
                },
            };
            value.map_err(|e| failure = Some(e)).ok()
        });
        match (filled, failure) {
            (_, Some(failure)) => Err(failure),
            (Ok(text), None) => Ok(text),
            (Err(e), None) => Err(RunError::Fill(e.to_string())),
        }
    }

    /// A row's value: a static value with its secrets filled in, or the dynamic parameter.
    fn row_value(&self, row: &Row, params: &BTreeMap<String, String>) -> Result<String, RunError> {
        match row {
            Row::Static { value, .. } => {
                let mut failure = None;
                let filled = template::fill(value, Context::Raw, |name| {
                    match name.strip_prefix(SECRET_PREFIX) {
                        Some(secret) => self.secret(secret).map_err(|e| failure = Some(e)).ok(),
                        // A static value is literal apart from secrets.
                        None => Some(format!("$({name})")),
                    }
                });
                match failure {
                    Some(failure) => Err(failure),
                    None => filled.map_err(|e| RunError::Fill(e.to_string())),
                }
            }
            Row::Dynamic { .. } => {
                let field = row.field().expect("dynamic rows have a field");
                params
                    .get(field)
                    .cloned()
                    .ok_or_else(|| RunError::MissingParameters(vec![field.to_owned()]))
            }
        }
    }

    fn secret(&self, name: &str) -> Result<String, RunError> {
        self.secrets
            .expose(name)
            .ok_or_else(|| RunError::MissingSecret {
                name: name.to_owned(),
                variable: env_variable(name),
            })
    }
}

/// The request with a streamed body (multipart) read into memory, so that it can be sent again
/// (Digest, OAuth 2.0) and hashed (SigV4). The stream is made of parts already in memory.
async fn buffered(mut request: reqwest::Request) -> Result<reqwest::Request, RunError> {
    let Some(body) = request.body_mut().take() else {
        return Ok(request);
    };
    if body.as_bytes().is_some() {
        *request.body_mut() = Some(body);
        return Ok(request);
    }
    let bytes = http_body_util::BodyExt::collect(body)
        .await
        .map_err(|e| RunError::Fill(format!("the body could not be built: {e}")))?
        .to_bytes();
    *request.body_mut() = Some(bytes.into());
    Ok(request)
}

/// Sends `token` as the request's bearer token. `sensitive`: HTTP/2 never indexes it.
fn set_bearer(request: &mut reqwest::Request, token: &SecretString) -> Result<(), RunError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
        .map_err(|_| RunError::Header("Authorization".into()))?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

/// A run whose access token could not be had: nothing was sent to the service.
fn token_failure(reason: String, elapsed_ms: u64) -> RunResult {
    RunResult {
        edge: Edge::Error,
        status: None,
        outputs: Map::new(),
        error: Some(reason),
        elapsed_ms,
        response: None,
    }
}

/// The Digest challenge of a 401, if the server sent one.
fn digest_challenge(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| {
            v.trim_start()
                .get(..6)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("digest"))
        })
}

/// The `Authorization` value answering `challenge` for `request` (RFC 7616, by `digest_auth`);
/// `None` when the challenge cannot be read or answered, and the 401 stands.
fn answer_digest_challenge(
    request: &reqwest::Request,
    username: &str,
    password: &str,
    challenge: &str,
) -> Option<String> {
    let url = request.url();
    let uri = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let body = request.body().and_then(|b| b.as_bytes());
    let context = digest_auth::AuthContext::new_with_method(
        username,
        password,
        uri,
        body,
        digest_auth::HttpMethod::from(request.method().as_str()),
    );
    let mut prompt = digest_auth::parse(challenge).ok()?;
    prompt
        .respond(&context)
        .ok()
        .map(|answer| answer.to_header_string())
}

/// A run a limit stopped: nothing was sent; it leaves by the edge of the first event its
/// status matches (none: the error edge), with the reason.
fn throttled_result(method: &Method, throttled: Throttled) -> RunResult {
    let headers = HeaderMap::new();
    let answer = Answer {
        status: throttled.status,
        headers: &headers,
        body: None,
    };
    let matched = method.events.iter().find(|event| answer.holds(event));
    RunResult {
        edge: matched.map_or(Edge::Error, |e| e.edge),
        status: Some(throttled.status),
        outputs: outputs(method, &answer),
        error: Some(throttled.reason),
        elapsed_ms: 0,
        response: None,
    }
}

/// Every dynamic field's value for the run, or why not: missing mandatory fields first, then
/// parameters the method does not take, then values that break their field's rules.
fn check_params(
    method: &Method,
    params: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, RunError> {
    let fields = method.dynamic_fields();
    let resolved = fields::resolve(method, params);
    if let Err(refused) = &resolved
        && !refused.missing.is_empty()
    {
        return Err(RunError::MissingParameters(refused.missing.clone()));
    }
    let unknown: Vec<String> = params
        .keys()
        .filter(|k| !fields.contains(&k.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(RunError::UnknownParameters {
            unknown,
            expected: fields.join(", "),
        });
    }
    resolved.map_err(|refused| RunError::InvalidParameters(refused.invalid))
}

fn rebase(url: &mut Url, base: &Url) -> Result<(), RunError> {
    let bad = |what: &str| RunError::Url(format!("cannot move the request to {base}: {what}"));
    url.set_scheme(base.scheme()).map_err(|()| bad("scheme"))?;
    url.set_host(base.host_str())
        .map_err(|e| bad(&e.to_string()))?;
    url.set_port(base.port()).map_err(|()| bad("port"))?;
    let prefix = base.path().trim_end_matches('/');
    if !prefix.is_empty() {
        let path = format!("{prefix}{}", url.path());
        url.set_path(&path);
    }
    Ok(())
}

#[cfg(test)]
mod rebase_tests {
    use super::*;

    #[test]
    fn a_base_url_moves_scheme_host_port_and_prefixes_its_path() {
        let mut url = Url::parse("https://mtg-broker-a.wbx2.com/api/v2/joseencrypt?x=1").unwrap();
        rebase(&mut url, &Url::parse("http://127.0.0.1:9/broker/").unwrap()).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/broker/api/v2/joseencrypt?x=1"
        );
        let mut url = Url::parse("https://mtg-broker-a.wbx2.com/api/v2/joseencrypt").unwrap();
        rebase(&mut url, &Url::parse("http://127.0.0.1:9").unwrap()).unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:9/api/v2/joseencrypt");
    }
}

/// What came back before the body was judged.
struct Received {
    status: u16,
    headers: HeaderMap,
    /// All of it, or when `too_large` what was read before the limit (nothing when the
    /// Content-Length announced it).
    body: Vec<u8>,
    too_large: bool,
}

impl RawResponse {
    fn new(status: u16, headers: &HeaderMap, body: &[u8], too_large: bool) -> Self {
        let mut shown: BTreeMap<String, String> = BTreeMap::new();
        for name in headers.keys().take(RAW_HEADERS) {
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            shown.insert(name.as_str().to_owned(), values.join(", "));
        }
        // A body stopped at the limit may end inside a character: drop that part, not show U+FFFD.
        let body = match std::str::from_utf8(body) {
            Err(e) if too_large && e.error_len().is_none() => &body[..e.valid_up_to()],
            _ => body,
        };
        let text = String::from_utf8_lossy(body);
        let (excerpt, cut) = cut(&text, RAW_BODY_BYTES);
        Self {
            status,
            headers: shown,
            body: excerpt.to_owned(),
            body_truncated: cut || too_large,
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary, and whether it was cut.
fn cut(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// The start of a body for an error line, on one line: `": {...}"`, or nothing when empty.
fn quoted_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut one_line = String::new();
    for word in text.split_whitespace() {
        if one_line.len() > ERROR_EXCERPT_BYTES {
            break;
        }
        if !one_line.is_empty() {
            one_line.push(' ');
        }
        one_line.push_str(word);
    }
    if one_line.is_empty() {
        return String::new();
    }
    match cut(&one_line, ERROR_EXCERPT_BYTES) {
        (excerpt, true) => format!(": {excerpt}…"),
        (excerpt, false) => format!(": {excerpt}"),
    }
}

/// A byte count as a limit is usually written: `1 MiB`, `64 KiB`, `1000-byte`.
fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    match bytes {
        0 => "0-byte".to_owned(),
        b if b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b}-byte"),
    }
}

/// `host:port` of a URL: what a connection failure names. Never the path or query, which may
/// hold a credential.
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// No answer came: a connection that could not be opened leaves by `error`, an exchange that ran
/// past the request timeout by `timeout`.
fn transport_failure(
    method: &Method,
    target: &str,
    error: reqwest::Error,
    elapsed_ms: u64,
) -> RunResult {
    // reqwest's own message names the URL, query string included, which may hold a credential.
    let error = error.without_url();
    let (edge, message) = if error.is_connect() {
        (Edge::Error, connect_failure(method, target, &error))
    } else if error.is_timeout() {
        (
            Edge::Timeout,
            format!(
                "no complete answer within the request timeout of {} ms",
                method.request_timeout_ms
            ),
        )
    } else {
        (
            Edge::Error,
            format!("the request failed: {}", root_cause(&error)),
        )
    };
    RunResult {
        edge,
        status: None,
        outputs: Map::new(),
        error: Some(message),
        elapsed_ms,
        response: None,
    }
}

/// Why no connection was opened, from what the error chain holds: only a connect timeout says
/// the engine waited.
fn connect_failure(method: &Method, target: &str, error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return format!(
            "could not connect to {target} within {} ms",
            method.connection_timeout_ms
        );
    }
    if let Some(unresolved) = find_in_chain::<UnresolvedName>(error) {
        return unresolved.to_string();
    }
    if let Some(refused) = find_in_chain::<RefusedAddress>(error) {
        return refused.to_string();
    }
    match find_in_chain::<std::io::Error>(error) {
        Some(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("the connection to {target} was refused")
        }
        Some(io) => format!("could not connect to {target}: {io}"),
        None => format!("could not connect to {target}: {}", root_cause(error)),
    }
}

/// An error and its sources, outermost first: the one walk of a cause chain here.
fn chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |current| current.source())
}

fn find_in_chain<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    chain(error).find_map(|cause| cause.downcast_ref::<T>())
}

pub(crate) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    chain(error)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// A host name that did not resolve. The system resolver's own error is an `io::Error` of no
/// stable kind, so names are resolved here, where the failure gets a type of its own.
#[derive(Debug, thiserror::Error)]
#[error("the name `{name}` did not resolve ({source})")]
struct UnresolvedName {
    name: String,
    source: std::io::Error,
}

/// A destination the engine's [`Destinations`] do not allow.
#[derive(Debug, thiserror::Error)]
#[error("`{name}` is a private or local address, which this node may not reach")]
struct RefusedAddress {
    name: String,
}

/// The host of `url` when it is an IP literal (reqwest resolves no name for those).
fn literal_ip(url: &Url) -> Option<std::net::IpAddr> {
    match url.host()? {
        url::Host::Ipv4(ip) => Some(ip.into()),
        url::Host::Ipv6(ip) => Some(ip.into()),
        url::Host::Domain(_) => None,
    }
}

/// A run refused before anything was sent: the error edge, no status.
fn refused_destination(refused: &RefusedAddress) -> RunResult {
    RunResult {
        edge: Edge::Error,
        status: None,
        outputs: Map::new(),
        error: Some(refused.to_string()),
        elapsed_ms: 0,
        response: None,
    }
}

/// The system resolver (as reqwest's default), failing with [`UnresolvedName`], and with
/// [`RefusedAddress`] when the name resolves only to addresses the destinations forbid.
struct NameResolver {
    destinations: Destinations,
}

impl reqwest::dns::Resolve for NameResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        let destinations = self.destinations;
        Box::pin(async move {
            // Port 0: reqwest puts the URL's port in place.
            let looked_up: std::io::Result<Vec<SocketAddr>> =
                tokio::net::lookup_host((name.as_str(), 0))
                    .await
                    .map(Iterator::collect);
            match looked_up {
                Ok(addresses) => {
                    // Every address must be allowed: one forbidden answer among public ones
                    // would let DNS pick the private one.
                    if addresses.iter().any(|a| !destinations.allows(a.ip())) {
                        return Err(Box::new(RefusedAddress { name }) as _);
                    }
                    Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
                }
                Err(source) => Err(Box::new(UnresolvedName { name, source }) as _),
            }
        })
    }
}

struct Answer<'a> {
    status: u16,
    headers: &'a HeaderMap,
    body: Option<&'a Parsed>,
}

impl Answer<'_> {
    /// The value a source reads; `None` when it is absent (no such header, path matched nothing).
    fn read(&self, source: &Source) -> Option<Value> {
        match source {
            Source::Status => Some(Value::from(self.status)),
            Source::Header { name } => self
                .headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .map(Value::from),
            Source::Body { path } => self.body?.read(path),
        }
    }

    fn holds(&self, event: &Event) -> bool {
        let actual = self.read(&event.source);
        let expected = event.value.as_deref().unwrap_or("");
        let text = actual.as_ref().map(as_text);
        let number = |t: &str| t.trim().parse::<f64>().ok();
        let equals = || {
            text.as_deref().is_some_and(|t| {
                t == expected
                    || matches!((number(t), number(expected)), (Some(a), Some(b)) if a == b)
            })
        };
        match event.condition {
            Condition::Exists => actual.is_some(),
            Condition::Equals => equals(),
            Condition::NotEquals => !equals(),
            Condition::StartsWith => text.is_some_and(|t| t.starts_with(expected)),
            Condition::Contains => text.is_some_and(|t| t.contains(expected)),
            Condition::GreaterThan => text
                .and_then(|t| number(&t))
                .zip(number(expected))
                .is_some_and(|(a, b)| a > b),
            Condition::LessThan => text
                .and_then(|t| number(&t))
                .zip(number(expected))
                .is_some_and(|(a, b)| a < b),
        }
    }
}

/// A value as a flow sees it in text: strings bare, everything else as JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn outputs(method: &Method, answer: &Answer<'_>) -> Map<String, Value> {
    let mut outputs = Map::new();
    for output in &method.outputs {
        outputs.insert(
            output.name.clone(),
            answer.read(&output.source).unwrap_or(Value::Null),
        );
    }
    for computed in &method.computed_outputs {
        // Any missing part (e.g. no host short key when adding a guest) makes the whole null.
        let value = template::fill(&computed.template, Context::Raw, |name| {
            outputs.get(name).filter(|v| !v.is_null()).map(as_text)
        })
        .map_or(Value::Null, Value::from);
        outputs.insert(computed.name.clone(), value);
    }
    outputs
}

#[cfg(test)]
mod destination_tests {
    use super::*;

    #[test]
    fn public_means_outside_every_special_range() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "ff02::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "100.128.0.1",
            "2001:4860:4860::8888",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        assert!(Destinations::Any.allows("127.0.0.1".parse().unwrap()));
    }
}
