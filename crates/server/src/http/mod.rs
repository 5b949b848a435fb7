//! The HTTP face of the service: routes, and the layers every request passes (request id,
//! access log and metrics; API key; `Idempotency-Key`). Handlers are thin: they parse, call
//! one domain function and map its typed error.

mod console;
pub(crate) mod deadline;
mod error;
mod extract;
mod meetings;
mod nodes;
mod ops;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use instant_connect::Clock;
use secrecy::SecretString;
use sha2::{Digest, Sha256};
use tracing::Instrument;

pub use console::CONTENT_SECURITY_POLICY;
pub use deadline::{BODY_READ_TIMEOUT, HEADER_READ_TIMEOUT};
pub use error::{ApiError, ErrorBody};
pub use extract::MAX_BODY_BYTES;
pub use ops::ApiDoc;

use crate::broker::Broker;
use crate::keys::{self, Caller, Refusal, Verify};
use crate::meetings::Meetings;
use crate::metrics::Metrics;
use crate::nodes::Nodes;
use crate::store::{Claim, Store};

/// The header of a request's id, in every answer and every log line of the request.
pub const REQUEST_ID_HEADER: &str = "x-request-id";
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Set on an answer replayed for a repeated `Idempotency-Key`.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 255;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub meetings: Meetings,
    pub nodes: Nodes,
    pub store: Store,
    pub broker: Broker,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    /// An idempotency claim unfinished for this long is taken to be dead (its process died)
    /// and may be taken over: longer than any request can run.
    pub idempotency_stale_secs: i64,
    /// Whether the console may import nodes ([`crate::Settings::node_imports`]).
    pub node_imports: bool,
    /// Requests per API key ([`crate::Settings::rate_limit_per_minute`]).
    pub key_limits: Option<resilience::KeyLimits>,
    /// How long a client has to send a request's body ([`crate::Settings::body_read_timeout`]).
    pub body_read_timeout: std::time::Duration,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/meetings", post(meetings::create).get(meetings::list))
        .route("/v1/meetings/{chatId}", get(meetings::get))
        .route("/v1/meetings/{chatId}/guests", post(meetings::add_guests))
        .route("/v1/meetings/{chatId}/hosts", post(meetings::add_hosts))
        .route("/v1/meetings/{chatId}/invite", post(meetings::invite))
        .route("/v1/nodes", get(nodes::list))
        .route("/v1/nodes/{node}/{method}", post(nodes::run))
        .route_layer(middleware::from_fn_with_state(state.clone(), idempotent))
        .merge(console::fragments())
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key));
    let open = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route("/docs", get(ops::docs))
        .merge(console::pages());
    v1.merge(open)
        .route_layer(middleware::from_fn_with_state(
            state.body_read_timeout,
            deadline::body_deadline,
        ))
        .route_layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The answer to a path no route of the service has, when the service stands alone.
pub async fn not_found(request: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no route {} {}; see /docs",
            request.method(),
            request.uri().path()
        ),
    )
}

/// A request id per request, in its span, its answer and its access log line; the route
/// template (never the path, which holds ids) in the log and the metrics.
async fn observe(
    State(state): State<AppState>,
    matched: MatchedPath,
    request: Request,
    next: Next,
) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let method = request.method().clone();
    let route = matched.as_str().to_owned();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        %method,
        %route,
        key = tracing::field::Empty
    );
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    state.metrics.request(method.as_str(), &route, status);
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

/// Lets in a request with a valid, unrevoked API key, checked against the database each time
/// so a revocation holds at once in every process.
async fn require_key(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| SecretString::from(key.trim().to_owned()));
    let verdict = match presented {
        None => Err(Verify::Refused(Refusal::Missing)),
        Some(key) => keys::verify(&state.store, &state.metrics, &key).await,
    };
    match verdict {
        Ok(caller) => {
            tracing::Span::current().record("key", caller.name.as_str());
            if let Some(Err(wait)) = state
                .key_limits
                .as_ref()
                .map(|l| l.check(caller.key_id.as_bytes()))
            {
                return ApiError::rate_limited(wait).into_response();
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

/// `Idempotency-Key` on a POST: the first request with a key runs and its answer is stored
/// (scoped to the caller's key); the same key and body again get that answer; the same key
/// with another body is `422`. A failure of ours or the broker's (5xx) is not stored, so a
/// retry runs again.
async fn idempotent(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(IDEMPOTENCY_KEY_HEADER).cloned() else {
        return next.run(request).await;
    };
    let key = match key.to_str() {
        // `to_str` lets a tab through; the rule is visible characters only.
        Ok(k)
            if (1..=MAX_IDEMPOTENCY_KEY_CHARS).contains(&k.len())
                && k.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            k.to_owned()
        }
        _ => {
            return ApiError::field(
                StatusCode::BAD_REQUEST,
                "Idempotency-Key",
                format!("must be 1-{MAX_IDEMPOTENCY_KEY_CHARS} visible ASCII characters"),
            )
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
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
            )
            .into_response();
        }
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.uri.path().as_bytes());
    hasher.update(b"\n");
    hasher.update(&bytes);
    let digest = hex::encode(hasher.finalize());
    let now = state.clock.now();
    let claim = state
        .store
        .claim(
            &owner,
            &key,
            &digest,
            now,
            now - state.idempotency_stale_secs,
        )
        .await;
    match claim {
        Err(error) => ApiError::from(error).into_response(),
        Ok(Claim::Done { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            let mut response =
                (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
            response.headers_mut().insert(
                HeaderName::from_static(REPLAYED_HEADER),
                HeaderValue::from_static("true"),
            );
            response
        }
        Ok(Claim::InFlight) => {
            let mut error = ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "a request with this Idempotency-Key is still running; retry when it has answered",
            );
            error.field = Some("Idempotency-Key".into());
            error.into_response()
        }
        Ok(Claim::OtherRequest) => ApiError::field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key",
            "was used with another request: a key stands for one request body",
        )
        .into_response(),
        Ok(Claim::Claimed(claim)) => {
            let response = next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
            remember(&state, &owner, &key, &claim, response).await
        }
    }
}

/// Stores a claimed request's answer (or gives the claim up on a 5xx) and hands it on.
async fn remember(
    state: &AppState,
    owner: &str,
    key: &str,
    claim: &str,
    response: Response,
) -> Response {
    let (parts, body) = response.into_parts();
    // Our own answer, already built: its size was bounded where it was made.
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "an answer could not be read for the idempotency record");
            let _ = state.store.release_claim(owner, key, claim).await;
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the answer could not be read",
            )
            .into_response();
        }
    };
    let stored = if parts.status.is_server_error() {
        state.store.release_claim(owner, key, claim).await
    } else {
        let text = String::from_utf8_lossy(&bytes);
        state
            .store
            .finish_claim(owner, key, claim, parts.status.as_u16(), &text)
            .await
    };
    if let Err(error) = stored {
        // The work is done and its answer is right; only a replay of it is at risk.
        tracing::error!(error = %instant_connect::report(&error), "the idempotency record was not stored");
    }
    Response::from_parts(parts, Body::from(bytes))
}
