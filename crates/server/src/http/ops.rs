//! Operations routes, open to anyone who reaches the port: `/healthz`, `/readyz` and
//! `/metrics` (the document and `/docs` are `openapi`'s). None of them shows a token, key or
//! cipher.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::state::AppState;
use crate::broker::{BrokerHealth, TOKEN_REFUSED_HELP};

/// The process answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
    /// The service's version.
    pub version: &'static str,
}

/// Whether the service can do its work now, and what is wrong if not.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    /// The database, asked a statement now.
    pub database: Check,
    /// The broker, asked (at most every 10 s) whether it accepts the service's token.
    pub broker: Check,
}

/// One dependency, checked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    /// Whether it works.
    pub ok: bool,
    /// What was checked, or what is wrong and what to do about it.
    pub message: String,
}

/// Liveness: the process answers.
///
/// Open to anyone; checks nothing else (see `/readyz`).
#[utoipa::path(get, path = "/healthz", tag = "operations", operation_id = "healthz",
    responses((status = 200, description = "the process answers", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// Readiness: the database and the broker, checked now.
///
/// Open to anyone. The broker's answer is kept for 10 s, so callers cannot spend the broker
/// token's rate through it.
#[utoipa::path(get, path = "/readyz", tag = "operations", operation_id = "readyz",
    responses(
        (status = 200, description = "database reachable, broker reachable and token accepted", body = Readiness),
        (status = 503, description = "something is not; the message says what", body = Readiness),
    ))]
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let readiness = readiness(&state).await;
    let status = if readiness.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}

impl Readiness {
    pub fn is_ready(&self) -> bool {
        self.database.ok && self.broker.ok
    }
}

/// The database and the broker, checked now (the broker probe is cached briefly), in plain
/// words: what `/readyz` answers and the console's status page shows.
pub async fn readiness(state: &AppState) -> Readiness {
    let backend = state.store.backend().as_str();
    let (database, broker) = tokio::join!(state.store.ping(), state.broker.health());
    let database = match database {
        Ok(()) => Check {
            ok: true,
            message: format!("{backend} reachable"),
        },
        Err(error) => {
            tracing::warn!(error = %resilience::report(&error), "readiness: database");
            Check {
                ok: false,
                message: format!("{backend} unreachable"),
            }
        }
    };
    let broker = match broker {
        BrokerHealth::Ready => Check {
            ok: true,
            message: "broker reachable and token accepted".into(),
        },
        BrokerHealth::TokenRefused => Check {
            ok: false,
            message: format!(
                "the broker refused the service's token (HTTP 401). {TOKEN_REFUSED_HELP}"
            ),
        },
        BrokerHealth::Unreachable(why) => Check {
            ok: false,
            message: why,
        },
        BrokerHealth::CircuitOpen { failures, retry_in } => Check {
            ok: false,
            message: format!(
                "circuit open: the broker failed {failures} times in a row, so the service \
                 sends it nothing for {} s more, then tries one call",
                retry_in.as_secs().max(1)
            ),
        },
    };
    let mut readiness = Readiness {
        status: "not ready",
        database,
        broker,
    };
    if readiness.is_ready() {
        readiness.status = "ready";
    }
    readiness
}

/// Prometheus metrics of this process.
///
/// Requests by route template and status, broker call latency, the time requests waited for
/// the database, node runs by edge, meetings per commit and key checks per read.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "OpenMetrics text", body = String,
        content_type = "application/openmetrics-text")))]
pub async fn metrics(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}
