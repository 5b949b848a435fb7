//! Operations routes, open to anyone who reaches the port: `/healthz`, `/readyz`, `/metrics`,
//! `/openapi.json` and `/docs`. None of them shows a token, key or cipher.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;
use utoipa::{Modify, OpenApi, ToSchema};

use super::state::AppState;
use crate::broker::{BrokerHealth, TOKEN_REFUSED_HELP};

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    pub database: Check,
    pub broker: Check,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Check {
    pub ok: bool,
    /// What was checked, or what is wrong and what to do about it.
    pub message: String,
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "the process answers", body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
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

#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
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

#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "this document")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A readable page of the API, from the same document, with no script and no CDN.
pub async fn docs() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut rows = String::new();
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            let responses: Vec<String> = operation
                .responses
                .responses
                .keys()
                .map(|status| status.to_string())
                .collect();
            rows.push_str(&format!(
                "<tr><td>{method}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                html_escape::encode_text(path),
                html_escape::encode_text(operation.summary.as_deref().unwrap_or("")),
                html_escape::encode_text(&responses.join(", ")),
            ));
        }
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>icnode API</title></head><body><h1>icnode API {version}</h1>\
         <p>Every <code>/v1</code> route takes <code>Authorization: Bearer &lt;API key&gt;</code>. \
         The whole description: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1).</p>\
         <table><thead><tr><th>method</th><th>path</th><th>what</th><th>statuses</th></tr></thead>\
         <tbody>{rows}</tbody></table></body></html>",
        version = env!("CARGO_PKG_VERSION"),
    ))
}

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("an API key from `icnode keys create`"))
                    .build(),
            ),
        );
    }
}

/// The OpenAPI document: paths and schemas come from the handlers and their types.
#[derive(OpenApi)]
#[openapi(
    info(title = "icnode", description = "Instant Connect meetings and custom-node runs"),
    paths(
        super::meetings::create,
        super::meetings::list,
        super::meetings::get,
        super::meetings::add_guests,
        super::meetings::add_hosts,
        super::meetings::invite,
        super::nodes::list,
        super::nodes::run,
        healthz,
        readyz,
        metrics,
        openapi,
    ),
    components(schemas(super::error::ErrorBody, super::types::LinkState)),
    modifiers(&ApiKeyScheme)
)]
pub struct ApiDoc;
