//! The layer every request of the service passes first: a request id in its span, its answer
//! and its access log line; the route template (never the path, which holds ids) in the log
//! and the metrics; the client's address in the log, read through the proxies the operator
//! trusts.

use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use super::state::AppState;

/// The header of a request's id, in every answer and every log line of the request.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A request's id, for the layers and handlers after this one (the audit trail).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub async fn observe(
    State(state): State<AppState>,
    matched: MatchedPath,
    mut request: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    request
        .extensions_mut()
        .insert(RequestId(request_id.clone()));
    let method = crate::metrics::method_label(request.method());
    let route = matched.as_str().to_owned();
    let client = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| {
            client_address(peer.ip(), request.headers(), &state.trusted_proxies)
        });
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method,
        %route,
        client = client.map(tracing::field::display),
        key = tracing::field::Empty
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    state.metrics.request(method, &route, status);
    span.in_scope(|| {
        tracing::info!(
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "answered"
        );
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    response
}

/// The address a request came from: the peer's, unless the peer is a proxy the operator trusts;
/// then the nearest address in `X-Forwarded-For` that is not one (each proxy appends the
/// address it was reached from, so only the entries trusted proxies wrote can be believed). An
/// IPv4 peer of a dual-stack listener (`::ffff:a.b.c.d`) is its IPv4 address; an entry may
/// carry a port (`203.0.113.9:4711`, `[2001:db8::1]:4711`).
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[ipnet::IpNet]) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let mut client = peer;
    for entry in forwarded.iter().rev() {
        let address = entry
            .parse::<IpAddr>()
            .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()));
        match address {
            Ok(address) => {
                client = address.to_canonical();
                if !is_trusted(&client) {
                    break;
                }
            }
            // What a trusted proxy wrote is an address; anything else is the client's own text.
            Err(_) => break,
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn a_trusted_proxy_s_forwarded_for_names_the_client_with_or_without_a_port() {
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let seen =
            |peer: &str, header: &str| client_address(ip(peer), &forwarded(header), &trusted);
        assert_eq!(seen("10.0.0.5", "203.0.113.9"), ip("203.0.113.9"));
        assert_eq!(seen("10.0.0.5", "203.0.113.9:4711"), ip("203.0.113.9"));
        assert_eq!(seen("10.0.0.5", "[2001:db8::1]:4711"), ip("2001:db8::1"));
        assert_eq!(seen("::ffff:10.0.0.5", "203.0.113.9"), ip("203.0.113.9"));
        assert_eq!(
            seen("10.0.0.5", "198.51.100.1, 203.0.113.9, 10.0.0.7"),
            ip("203.0.113.9")
        );
        assert_eq!(seen("10.0.0.5", "not an address"), ip("10.0.0.5"));
        assert_eq!(seen("198.51.100.2", "203.0.113.9"), ip("198.51.100.2"));
        assert_eq!(
            seen("::ffff:198.51.100.2", "203.0.113.9"),
            ip("198.51.100.2")
        );
    }
}
