//! What a run gives back: the edge it left by and what it read ([`RunResult`]), the answer cut
//! to a size a person reads ([`RawResponse`]), or the problem found before anything was sent
//! ([`RunError`]); and how a step ends a run early ([`Stop`]).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::fields;
use crate::model::Edge;

/// At most this much of the body is kept in [`RawResponse::body`].
pub const RAW_BODY_BYTES: usize = 2 * 1024;

/// At most this many header names are kept in [`RawResponse::headers`].
pub const RAW_HEADERS: usize = 32;

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

impl RunResult {
    /// A run that ended with no answer (no connection, a timeout, a refused destination, no
    /// access token): no status, no outputs, `error` the reason.
    pub(super) fn unanswered(edge: Edge, error: String, elapsed_ms: u64) -> Self {
        Self {
            edge,
            status: None,
            outputs: Map::new(),
            error: Some(error),
            elapsed_ms,
            response: None,
        }
    }
}

/// How a step ends a run before the answer is read: with a problem of the caller's input, or
/// with a result of its own (a refused destination, a throttled run, no access token).
pub(super) enum Stop {
    Refused(RunError),
    // Boxed: a result is large beside an error, and steps return `Stop` on their error path.
    Ended(Box<RunResult>),
}

impl Stop {
    /// A run ended by a step with a result of its own.
    pub(super) fn ended(result: RunResult) -> Self {
        Stop::Ended(Box::new(result))
    }
}

impl From<RunError> for Stop {
    fn from(error: RunError) -> Self {
        Stop::Refused(error)
    }
}
