//! The API key every `/v1` route and console fragment takes: checked against the database on
//! every request, so a revocation holds at once in every process, then held to its rate.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::SecretString;

use super::error::ApiError;
use super::observe::RequestId;
use super::state::AppState;
use crate::keys::{self, Refusal, Verify};

pub async fn require_key(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| SecretString::from(key.trim().to_owned()));
    let verdict = match presented {
        None => Err(Verify::Refused(Refusal::Missing)),
        Some(key) => keys::verify(&state.store, &key).await,
    };
    match verdict {
        Ok(mut caller) => {
            caller.request_id = request
                .extensions()
                .get::<RequestId>()
                .map(|RequestId(id)| id.clone());
            tracing::Span::current().record("key", caller.name.as_str());
            if let Some(Err(wait)) = state
                .key_limits
                .as_ref()
                .map(|l| l.check(caller.key_id.as_bytes()))
            {
                return ApiError::rate_limited(wait).into_response();
            }
            if let Some(Err(wait)) = caller
                .limits
                .requests_per_minute
                .map(|per_minute| state.tenant_rates.check(&caller.tenant, per_minute))
            {
                let what = "this API key's tenant has used its requests for the minute";
                return ApiError::limited(what, wait).into_response();
            }
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(Verify::Refused(refusal)) => {
            tracing::info!(reason = refusal.as_str(), "refused an API key");
            ApiError::unauthorized().into_response()
        }
        Err(Verify::Store(error)) => ApiError::from(error).into_response(),
    }
}
