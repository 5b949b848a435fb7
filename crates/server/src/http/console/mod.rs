//! The web console: pages for people who would rather click than curl.
//!
//! Pages (`/`, `/signin`, `/meetings`, `/meetings/{chatId}`, `/visits`, `/visits/{id}`,
//! `/mail`, `/webhooks`, `/status`, `/nodes`) are shells anyone may load: server-rendered
//! HTML (maud escapes every value), the embedded stylesheet and script, nothing private. What
//! they show comes from fragments under `/console/f/`, which the script fetches with the API
//! key kept in the tab's session storage as the bearer header: fragments pass the same key
//! check as `/v1` and call the same domain functions. A strict Content-Security-Policy allows
//! no inline script or style.
//!
//! Every page names the console's icon, an SVG served (as `/favicon.ico` too) under the same
//! policy, so no browser asks for a missing one.
//!
//! The node tester (`/nodes`) builds its form from a method's node UI and shows a run as Webex
//! Connect's Test dialog does; its importer turns a Postman collection, an OpenAPI document or
//! a curl command into a node this process can run (kept in memory), which gets only the
//! secrets typed for each run.
//!
//! Own links (`/l/{code}`) open here too: a visitor is sent on to the broker's URL, or shown a
//! page saying why not (`open_link`), with no sign-in.
//!
//! Live parts (`presence`): who is in a meeting, and the meetings a guest waits in now, read
//! again when `GET /v1/events` tells of a change.
//!
//! Visits (`/visits`) are booked, listed by start, moved and cancelled with the same operations
//! as `/v1/visits`; `/mail` shows the mail outbox `icnode up` writes visits' email to.
//!
//! Webhooks (`/webhooks`, admin keys) are added (the secret shown once), tested, rotated,
//! deleted, and their deliveries listed and replayed, with the same operations as
//! `/v1/webhooks`.

mod import;
mod layout;
mod mail;
mod meetings;
mod nodes;
mod open_link;
mod pages;
mod presence;
mod status;
mod visits;
mod webhooks;

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};

use super::state::AppState;

const SCRIPT: &str = include_str!("console.js");
const STYLE: &str = include_str!("console.css");
const ICON: &str = include_str!("icon.svg");

/// The pages, open to anyone: shells that hold no data.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::new_meeting))
        .route("/signin", get(pages::signin))
        .route("/meetings", get(pages::meetings))
        .route("/meetings/{chatId}", get(pages::meeting))
        .route("/visits", get(pages::visits))
        .route("/visits/{id}", get(pages::visit))
        .route("/mail", get(pages::mail))
        .route("/webhooks", get(pages::webhooks))
        .route("/status", get(pages::status))
        .route("/nodes", get(pages::nodes))
        .route("/nodes/{node}/{method}", get(pages::method))
        .route("/l/{code}", get(open_link::open))
        .route("/console/console.js", get(script))
        .route("/console/console.css", get(style))
        .route(layout::ICON_PATH, get(icon))
        // Asked for by any page that names no icon (the broker's join pages in `icnode up`).
        .route("/favicon.ico", get(icon))
}

/// The fragments the pages load: behind the API key, like `/v1`.
pub fn fragments() -> Router<AppState> {
    Router::new()
        .route("/console/f/whoami", get(status::whoami))
        .route(
            "/console/f/meetings",
            get(meetings::list).post(meetings::create),
        )
        .route("/console/f/meetings/{chatId}", get(meetings::show))
        .route(
            "/console/f/meetings/{chatId}/presence",
            get(presence::presence),
        )
        .route("/console/f/waiting", get(presence::waiting))
        .route(
            "/console/f/meetings/{chatId}/guests",
            post(meetings::add_guest),
        )
        .route(
            "/console/f/meetings/{chatId}/revoke",
            post(meetings::revoke),
        )
        .route(
            "/console/f/meetings/{chatId}/invite",
            post(meetings::send_invite),
        )
        .route("/console/f/visits", get(visits::list).post(visits::book))
        .route("/console/f/visits/{id}", get(visits::show))
        .route("/console/f/visits/{id}/move", post(visits::move_visit))
        .route("/console/f/visits/{id}/cancel", post(visits::cancel))
        .route("/console/f/mail", get(mail::outbox))
        .route(
            "/console/f/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/console/f/webhooks/{id}/test", post(webhooks::test))
        .route("/console/f/webhooks/{id}/rotate", post(webhooks::rotate))
        .route("/console/f/webhooks/{id}/delete", post(webhooks::delete))
        .route(
            "/console/f/webhooks/{id}/deliveries/{delivery}/replay",
            post(webhooks::replay),
        )
        .route("/console/f/status", get(status::status))
        .route("/console/f/nodes", get(nodes::list))
        .route(
            "/console/f/nodes/{node}/{method}",
            get(nodes::method_form).post(nodes::run_method),
        )
        .route(
            "/console/f/import",
            post(import::import).layer(axum::extract::DefaultBodyLimit::max(
                import::MAX_IMPORT_BYTES,
            )),
        )
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

async fn icon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "max-age=86400"),
        ],
        ICON,
    )
}
