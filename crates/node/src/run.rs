//! Running one method: render the request, send it with the method's timeouts, pick the edge,
//! extract the outputs.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use serde::Serialize;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;
use url::Url;

use crate::model::{
    BodyFormat, Condition, Edge, Event, Method, NodeDefinition, ResponseType, Row, Source,
};
use crate::secrets::{Secrets, env_variable};
use crate::template::{self, Context, FillError, SECRET_PREFIX};

/// What a run did: the edge it left by, and what it read.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    pub edge: Edge,
    /// `None` when no answer came (connection failure, timeout).
    pub status: Option<u16>,
    pub outputs: Map<String, Value>,
    /// Why the run left by `error` or `timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub elapsed_ms: u64,
}

/// Problems found before anything is sent: the caller's input, not the remote service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the node has no method `{method}`; it has: {available}")]
    UnknownMethod { method: String, available: String },
    #[error("missing parameter(s): {}", .0.join(", "))]
    MissingParameters(Vec<String>),
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
}

/// Options of a run that the definition does not hold.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Replaces the scheme, host and port of the resource URL: the production definition runs
    /// against a local service unchanged.
    pub base_url_override: Option<Url>,
}

/// Runs methods. Holds one HTTP client per pair of timeouts, so connections are reused.
pub struct Engine {
    secrets: Secrets,
    clients: Mutex<HashMap<(u32, u32), reqwest::Client>>,
}

impl Engine {
    pub fn new(secrets: Secrets) -> Self {
        Self {
            secrets,
            clients: Mutex::new(HashMap::new()),
        }
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
        check_params(method, params)?;
        let request = self.render(method, params, options)?;
        let client = self.client(method);

        let started = Instant::now();
        let sent = client.execute(request).await;
        let answer = match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                response.bytes().await.map(|body| (status, headers, body))
            }
            Err(e) => Err(e),
        };
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let (status, headers, body) = match answer {
            Ok(answer) => answer,
            Err(e) => return Ok(transport_failure(method, &e, elapsed_ms)),
        };

        let json = match (method.response_type, body.is_empty()) {
            (ResponseType::Json, true) => Some(Value::Null),
            (ResponseType::Json, false) => match serde_json::from_slice::<Value>(&body) {
                Ok(json) => Some(json),
                Err(e) => {
                    let start: String = String::from_utf8_lossy(&body).chars().take(80).collect();
                    return Ok(RunResult {
                        edge: Edge::Error,
                        status: Some(status),
                        outputs: Map::new(),
                        error: Some(format!(
                            "the response body is not JSON ({e}); it starts {start:?}"
                        )),
                        elapsed_ms,
                    });
                }
            },
            _ => None,
        };
        let answer = Answer {
            status,
            headers: &headers,
            json: json.as_ref(),
        };
        let matched = method.events.iter().find(|event| answer.holds(event));
        let outputs = outputs(method, &answer);
        Ok(RunResult {
            edge: matched.map_or(Edge::Error, |e| e.edge),
            status: Some(status),
            outputs,
            error: match matched {
                Some(_) => None,
                None => Some(format!("no event matched the answer (HTTP {status})")),
            },
            elapsed_ms,
        })
    }

    fn client(&self, method: &Method) -> reqwest::Client {
        let key = (method.connection_timeout_ms, method.request_timeout_ms);
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        clients
            .entry(key)
            .or_insert_with(|| {
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_millis(u64::from(key.0)))
                    .timeout(Duration::from_millis(u64::from(key.1)))
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("icnode-node/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .expect("a client with timeouts builds")
            })
            .clone()
    }

    fn render(
        &self,
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
                pairs.push((row.name().to_owned(), self.row_value(row, params)?));
            }
            url.query_pairs_mut().extend_pairs(pairs);
        }

        let mut headers = HeaderMap::new();
        if let Some(body) = &method.body {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static(body.format.content_type()),
            );
        }
        for row in &method.headers {
            let name = HeaderName::from_bytes(row.name().as_bytes())
                .map_err(|_| RunError::Header(row.name().to_owned()))?;
            let value = HeaderValue::from_str(&self.row_value(row, params)?)
                .map_err(|_| RunError::Header(row.name().to_owned()))?;
            headers.insert(name, value);
        }

        let mut request = reqwest::Request::new(method.http_method.as_reqwest(), url);
        *request.headers_mut() = headers;
        if let Some(body) = &method.body {
            let context = match body.format {
                BodyFormat::Json => Context::Json,
                BodyFormat::Form => Context::Form,
                BodyFormat::Text => Context::Raw,
            };
            *request.body_mut() = Some(self.fill(&body.template, context, method, params)?.into());
        }
        Ok(request)
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
            (Err(e @ FillError::NotJson { .. }), None) | (Err(e @ FillError::Missing(_)), None) => {
                Err(RunError::Fill(e.to_string()))
            }
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

fn check_params(method: &Method, params: &BTreeMap<String, String>) -> Result<(), RunError> {
    let fields = method.dynamic_fields();
    let missing: Vec<String> = fields
        .iter()
        .filter(|f| !params.contains_key(**f))
        .map(|f| (*f).to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(RunError::MissingParameters(missing));
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
    Ok(())
}

fn rebase(url: &mut Url, base: &Url) -> Result<(), RunError> {
    let bad = |what: &str| RunError::Url(format!("cannot move the request to {base}: {what}"));
    url.set_scheme(base.scheme()).map_err(|()| bad("scheme"))?;
    url.set_host(base.host_str())
        .map_err(|e| bad(&e.to_string()))?;
    url.set_port(base.port()).map_err(|()| bad("port"))?;
    Ok(())
}

/// No answer came: a connection that could not be opened leaves by `error`, an exchange that ran
/// past the request timeout by `timeout`.
fn transport_failure(method: &Method, error: &reqwest::Error, elapsed_ms: u64) -> RunResult {
    let (edge, message) = if error.is_connect() {
        (
            Edge::Error,
            format!(
                "could not connect within {} ms: {}",
                method.connection_timeout_ms,
                root_cause(error)
            ),
        )
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
            format!("the request failed: {}", root_cause(error)),
        )
    };
    RunResult {
        edge,
        status: None,
        outputs: Map::new(),
        error: Some(message),
        elapsed_ms,
    }
}

fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

struct Answer<'a> {
    status: u16,
    headers: &'a HeaderMap,
    json: Option<&'a Value>,
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
            Source::Body { path } => {
                let path = JsonPath::parse(path).ok()?;
                let nodes = path.query(self.json?).all();
                match nodes.len() {
                    0 => None,
                    1 => Some(nodes[0].clone()),
                    _ => Some(Value::Array(nodes.into_iter().cloned().collect())),
                }
            }
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
