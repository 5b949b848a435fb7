//! `Idempotency-Key` on a POST, as HTTP: the header read, the body read once and digested, a
//! stored answer replayed with `Idempotent-Replayed`, and the answer of a claimed request kept.
//! The rules are `crate::idempotency`'s.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::state::AppState;
use crate::idempotency::{Claimed, Held, IdempotencyKey, request_digest};
use crate::keys::Caller;
use crate::settings::MAX_BODY_BYTES;

pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Set on an answer replayed for a repeated `Idempotency-Key`.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";

pub async fn idempotent(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(IDEMPOTENCY_KEY_HEADER) else {
        return next.run(request).await;
    };
    let key = match IdempotencyKey::parse(key.as_bytes()) {
        Ok(key) => key,
        Err(rule) => {
            return ApiError::field(StatusCode::BAD_REQUEST, "Idempotency-Key", rule.to_string())
                .into_response();
        }
    };
    let Some(owner) = request
        .extensions()
        .get::<Caller>()
        .map(|c| c.key_id.clone())
    else {
        return ApiError::unauthorized().into_response();
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::body_too_large().into_response();
    };
    let digest = request_digest(parts.uri.path(), &bytes);
    let claimed = state
        .idempotency
        .claim(&owner, key, &digest, state.clock.now())
        .await;
    match claimed {
        Err(error) => ApiError::from(error).into_response(),
        Ok(Claimed::Replay { status, body }) => replay(status, body),
        Ok(Claimed::InFlight) => ApiError {
            field: Some("Idempotency-Key".into()),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; retry when it has answered",
            )
        }
        .into_response(),
        Ok(Claimed::OtherRequest) => ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key",
            "was used with another request: a key stands for one request body",
        )
        .into_response(),
        Ok(Claimed::Run(held)) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            remember(&state, held, response).await
        }
    }
}

/// The stored answer of the same request, as it was first given.
fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    response.headers_mut().insert(
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    );
    response
}

/// Keeps a claimed request's answer (or gives the claim up) and hands the answer on.
async fn remember(state: &AppState, held: Held, response: Response) -> Response {
    let (parts, body) = response.into_parts();
    // Our own answer, already built: its size was bounded where it was made.
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => {
            state
                .idempotency
                .remember(held, Some((parts.status.as_u16(), &bytes)))
                .await;
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(error) => {
            tracing::error!(%error, "an answer could not be read for the idempotency record");
            state.idempotency.remember(held, None).await;
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the answer could not be read",
            )
            .into_response()
        }
    }
}
