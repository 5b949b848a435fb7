//! Runs that got no answer, and what their error says: a connection that could not be opened
//! leaves by `error` naming why (a name that did not resolve, an address the destinations
//! refuse, a refused or timed-out connection), an exchange past the request timeout by
//! `timeout`. The cause chain is walked by `resilience::causes`.

use resilience::causes::{find, root_cause};
use url::Url;

use super::result::RunResult;
use crate::model::{Edge, Method};

/// `host:port` of a URL: what a connection failure names. Never the path or query, which may
/// hold a credential.
pub(super) fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// No answer came: a connection that could not be opened leaves by `error`, an exchange that ran
/// past the request timeout by `timeout`.
pub(super) fn transport_failure(
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
    RunResult::unanswered(edge, message, elapsed_ms)
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
    if let Some(unresolved) = find::<UnresolvedName>(error) {
        return unresolved.to_string();
    }
    if let Some(refused) = find::<RefusedAddress>(error) {
        return refused.to_string();
    }
    match find::<std::io::Error>(error) {
        Some(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("the connection to {target} was refused")
        }
        Some(io) => format!("could not connect to {target}: {io}"),
        None => format!("could not connect to {target}: {}", root_cause(error)),
    }
}

/// A host name that did not resolve. The system resolver's own error is an `io::Error` of no
/// stable kind, so names are resolved here, where the failure gets a type of its own.
#[derive(Debug, thiserror::Error)]
#[error("the name `{name}` did not resolve ({source})")]
pub(super) struct UnresolvedName {
    pub name: String,
    pub source: std::io::Error,
}

/// A destination the engine's [`Destinations`] do not allow.
#[derive(Debug, thiserror::Error)]
#[error("`{name}` is a private or local address, which this node may not reach")]
pub(super) struct RefusedAddress {
    pub name: String,
}
