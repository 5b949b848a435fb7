//! The faults as HTTP: the layer that injects them into `/api/...` answers, and the control
//! route behind its own token.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::Json;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Fault, FaultKind};
use crate::error::ApiError;
use crate::state::AppState;

/// The layer over every route: faults for `/api/...`, the rest untouched.
pub(crate) async fn inject(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let drawn = state.faults.draw();
    if !drawn.latency.is_zero() {
        tokio::time::sleep(drawn.latency).await;
    }
    match drawn.outcome {
        None | Some(FaultKind::Latency { .. } | FaultKind::SlowAnswer { .. }) => {
            let answer = next.run(request).await;
            if !drawn.slow_answer.is_zero() {
                tokio::time::sleep(drawn.slow_answer).await;
            }
            answer
        }
        Some(FaultKind::Status {
            status,
            retry_after_secs,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let message = format!("Injected fault: HTTP {}.", status.as_u16());
            match retry_after_secs.or(matches!(status.as_u16(), 429 | 503).then_some(1)) {
                Some(seconds) => ApiError::retry_after(status, message, seconds),
                None => ApiError::new(status, message),
            }
            .into_response()
        }
        Some(FaultKind::Drop) => Response::new(Body::new(Broken::after(Bytes::new()))),
        Some(FaultKind::Truncate) => {
            let (parts, body) = next.run(request).await.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX)
                .await
                .unwrap_or_default();
            let half = bytes.slice(..bytes.len() / 2);
            let mut response = Response::from_parts(parts, Body::new(Broken::after(half)));
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
            response
        }
        Some(FaultKind::NotJson) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            "<html><body><h1>Service temporarily unavailable</h1></body></html>",
        )
            .into_response(),
    }
}

/// A body that sends `data`, then fails, so the server closes the connection mid-answer (or,
/// with no data, before answering at all).
struct Broken {
    data: Option<Bytes>,
    /// Whether the server has had a turn to flush what was sent before the failure.
    flushed: bool,
}

impl Broken {
    fn after(data: Bytes) -> Self {
        Self {
            flushed: data.is_empty(),
            data: (!data.is_empty()).then_some(data),
        }
    }
}

impl HttpBody for Broken {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if let Some(data) = self.data.take() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
        }
        if !self.flushed {
            // Pending once: hyper writes out the headers and data before the failure.
            self.flushed = true;
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "injected fault: connection dropped",
        ))))
    }
}

/// The control route's answer to anyone without its token.
fn refused() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "The fault control route requires its own token: `Authorization: Bearer <fault token>`.",
    )
    .into_response()
}

fn controls(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(expected) = state.faults.control else {
        return false;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .is_some_and(|(_, token)| {
            <[u8; 32]>::from(Sha256::digest(token.trim().as_bytes())) == expected
        })
}

/// `GET /_icnode/faults`: the faults set and how many were injected.
pub(crate) async fn show(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !controls(&state, &headers) {
        return refused();
    }
    Json(state.faults.lock().report.clone()).into_response()
}

/// The body of `PUT /_icnode/faults`.
#[derive(Debug, Deserialize)]
pub(crate) struct NewPlan {
    faults: Vec<Fault>,
    /// Reseeds the draws of faults set at a rate, so what follows is the same each run.
    #[serde(default)]
    seed: Option<u64>,
}

/// `PUT /_icnode/faults`: replaces the faults (the counts of injected ones stay).
pub(crate) async fn replace(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !controls(&state, &headers) {
        return refused();
    }
    let plan: NewPlan = match serde_json::from_slice(&body) {
        Ok(plan) => plan,
        Err(e) => {
            return ApiError::new(StatusCode::BAD_REQUEST, format!("body: {e}")).into_response();
        }
    };
    for (i, fault) in plan.faults.iter().enumerate() {
        if let Err(e) = fault.check(&format!("faults[{i}]")) {
            return ApiError::new(StatusCode::BAD_REQUEST, e.to_string()).into_response();
        }
    }
    let mut draws = state.faults.lock();
    draws.report.faults = plan.faults;
    if plan.seed.is_some() {
        draws.rng = super::generator(plan.seed);
    }
    Json(draws.report.clone()).into_response()
}

/// `DELETE /_icnode/faults`: no more faults.
pub(crate) async fn clear(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    if !controls(&state, &headers) {
        return refused();
    }
    state.faults.lock().report.faults.clear();
    StatusCode::NO_CONTENT.into_response()
}
