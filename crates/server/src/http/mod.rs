//! The HTTP face of the service: the routes, and the layers every request passes (request id,
//! access log and metrics; API key; `Idempotency-Key`; the body deadline). Handlers are thin:
//! they parse the wire's types (`types`), call one operation of the service and map its typed
//! error (`error`).
//!
//! This file only assembles the router; what the parts share is in `state`.

mod audit;
mod auth;
mod console;
pub(crate) mod deadline;
mod error;
mod events;
mod extract;
mod headers;
mod idempotency;
mod meetings;
mod nodes;
mod observe;
mod openapi;
mod ops;
mod state;
mod templates;
mod types;
mod visits;
mod webhooks;
mod wire;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{get, post, put};

use crate::settings::MAX_BODY_BYTES;

pub use audit::{AuditEntry, AuditPage};
pub use error::{ApiError, ErrorBody};
pub use headers::CONTENT_SECURITY_POLICY;
pub use idempotency::{IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER};
pub use observe::REQUEST_ID_HEADER;
pub use openapi::{ApiDoc, document};
pub use state::{AppState, Inner};
pub use types::ApiNames;

/// Every route of the service.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/v1/meetings", post(meetings::create).get(meetings::list))
        .route("/v1/meetings/{chatId}", get(meetings::get))
        .route("/v1/meetings/{chatId}/guests", post(meetings::add_guests))
        .route("/v1/meetings/{chatId}/hosts", post(meetings::add_hosts))
        .route("/v1/meetings/{chatId}/invite", post(meetings::invite))
        .route("/v1/meetings/{chatId}/revoke", post(meetings::revoke))
        .route("/v1/visits", post(visits::book).get(visits::list))
        .route(
            "/v1/visits/{id}",
            get(visits::get)
                .patch(visits::reschedule)
                .delete(visits::delete),
        )
        .route("/v1/visits/{id}/cancel", post(visits::cancel))
        .route("/v1/templates", get(templates::list))
        .route("/v1/templates/preview", post(templates::preview))
        .route(
            "/v1/templates/{kind}/{language}",
            put(templates::set).delete(templates::remove),
        )
        .route("/v1/webhooks", post(webhooks::create).get(webhooks::list))
        .route("/v1/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route("/v1/webhooks/{id}/rotate", post(webhooks::rotate))
        .route("/v1/webhooks/{id}/test", post(webhooks::test))
        .route("/v1/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/v1/webhooks/{id}/deliveries/{delivery}/replay",
            post(webhooks::replay),
        )
        .route("/v1/events", get(events::follow))
        .route("/v1/nodes", get(nodes::list))
        .route("/v1/audit", get(audit::list))
        .route("/v1/nodes/{node}/{method}", post(nodes::run))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotent,
        ))
        .merge(console::fragments())
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_key,
        ));
    let open = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(openapi::serve))
        .route("/docs", get(openapi::docs))
        .merge(console::pages());
    v1.merge(open)
        .route_layer(middleware::from_fn_with_state(
            state.body_read_timeout,
            deadline::body_deadline,
        ))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            observe::observe,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(
            state.https,
            headers::secure_headers,
        ))
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
