//! Who is signed in, and what the service depends on, checked now.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::layout::markup;
use crate::http::ops::readiness;
use crate::http::state::AppState;
use crate::keys::Caller;

pub(super) async fn whoami(Extension(caller): Extension<Caller>) -> Response {
    markup(
        StatusCode::OK,
        html! { p { "Signed in with " (signed_in(&caller)) "." } },
    )
}

/// The key, its role and its tenant, in words.
fn signed_in(caller: &Caller) -> String {
    format!(
        "the key “{}”, {} of the tenant “{}”",
        caller.name,
        caller.role.as_str(),
        caller.tenant.as_str()
    )
}

pub(super) async fn status(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let readiness = readiness(&state).await;
    let row = |name: &str, ok: bool, message: &str| {
        html! {
            tr {
                th scope="row" { (name) }
                td { span.state .valid[ok] .expired[!ok] { @if ok { "ok" } @else { "not ok" } } }
                td { (message) }
            }
        }
    };
    markup(
        StatusCode::OK,
        html! {
            table {
                caption { "What this service depends on, checked now" }
                thead { tr { th scope="col" { "Part" } th scope="col" { "State" } th scope="col" { "Details" } } }
                tbody {
                    (row("Broker", readiness.broker.ok, &readiness.broker.message))
                    (row("Database", readiness.database.ok, &readiness.database.message))
                }
            }
            p { "icnode " (env!("CARGO_PKG_VERSION")) "; signed in with " (signed_in(&caller)) "." }
        },
    )
}
