//! Runs that got no answer, and what their error says: a connection that could not be opened
//! leaves by `error` naming why (a name that did not resolve, an address the destinations
//! refuse, a refused or timed-out connection), an exchange past the request timeout by
//! `timeout`. An error's cause chain is walked here alone ([`chain`]).

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

/// The first cause in the chain of type `T`.
fn find_in_chain<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    chain(error).find_map(|cause| cause.downcast_ref::<T>())
}

/// The innermost cause of an error: what a library's own words say went wrong.
pub(super) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    chain(error)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
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
