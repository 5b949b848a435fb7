//! Every answer carries a `trackingid` header, as Webex's do; error bodies repeat it. The id
//! lives in a task-local for the request, so an error made anywhere in a handler can read it.
//! Warnings the handler noted become `Icnode-Warning` headers and a log line here.

use std::time::Instant;

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use instant_connect::TRACKING_ID_HEADER;

use crate::leniency;

tokio::task_local! {
    static TRACKING_ID: String;
}

/// The current request's tracking id (empty outside a request).
pub fn current() -> String {
    TRACKING_ID.try_with(Clone::clone).unwrap_or_default()
}

pub async fn track(request: Request, next: Next) -> Response {
    let id = format!(
        "ICNODE_{}",
        uuid::Uuid::new_v4().hyphenated().to_string().to_uppercase()
    );
    let method = request.method().clone();
    // Never the query string (it carries ciphers), and short keys are credentials too.
    let path = leniency::visible(&loggable_path(request.uri().path()));
    let started = Instant::now();
    let (mut response, warnings) =
        leniency::collect(TRACKING_ID.scope(id.clone(), next.run(request))).await;
    let headers = response.headers_mut();
    headers.insert(
        TRACKING_ID_HEADER,
        HeaderValue::from_str(&id).expect("ASCII id"),
    );
    leniency::write_headers(headers, &warnings);
    // One line however many: a request cannot multiply the log.
    if !warnings.is_empty() {
        tracing::warn!(
            tracking_id = %id,
            path,
            count = warnings.len(),
            warnings = %leniency::shown(&warnings).join("; "),
            "accepted with warnings"
        );
    }
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if is_poll(&method, &path, status) {
        tracing::debug!(%method, path, status, tracking_id = %id, elapsed_ms, "broker request");
    } else {
        tracing::info!(%method, path, status, tracking_id = %id, elapsed_ms, "broker request");
    }
    response
}

/// A read of the joins answered: the service polls it four times a second (presence in `up`),
/// which is not news for the log.
fn is_poll(method: &axum::http::Method, path: &str, status: u16) -> bool {
    method == axum::http::Method::GET && path == "/_icnode/joins" && status == 200
}

fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/visit/") {
        Some(_) => "/visit/{short}".to_owned(),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn only_an_answered_read_of_the_joins_is_a_poll() {
        assert!(is_poll(&Method::GET, "/_icnode/joins", 200));
        assert!(
            !is_poll(&Method::GET, "/_icnode/joins", 401),
            "a refusal is news"
        );
        assert!(!is_poll(&Method::POST, "/_icnode/joins", 200));
        assert!(!is_poll(&Method::GET, "/_icnode/outbox", 200));
    }
}
