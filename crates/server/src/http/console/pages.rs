//! The pages, open to anyone: shells that hold no data. What they show comes from the
//! fragments, which the console's script fetches with the API key.

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;

use super::import::import_form;
use super::layout::{Errors, FormValues, Nav, markup, page, segment};
use super::meetings::meeting_form;
use super::visits::visit_form;
use super::webhooks::webhook_form;

pub(super) async fn signin(RawQuery(query): RawQuery) -> Response {
    let refused = query.is_some_and(|q| q.split('&').any(|pair| pair == "refused=1"));
    markup(
        StatusCode::OK,
        page(
            "Sign in",
            Nav::SignIn,
            html! {
                form #signin novalidate {
                    p { "Sign in with an API key of this service (" code { "icnode keys create" } ", or "
                        code { "dev-api-key" } " in the data directory of " code { "icnode up" } "). It is kept in this tab only." }
                    div.field {
                        label for="key" { "API key" }
                        input #key name="key" type="password" autocomplete="off" required
                            aria-describedby="key-error" aria-invalid=[refused.then_some("true")];
                        p #key-error .error role="alert" {
                            @if refused { "Your key was refused: it is wrong or has been revoked. Sign in again." }
                        }
                    }
                    button type="submit" { "Sign in" }
                }
            },
        ),
    )
}

pub(super) async fn new_meeting() -> Response {
    markup(
        StatusCode::OK,
        page(
            "New meeting",
            Nav::NewMeeting,
            html! { div #new-meeting { (meeting_form(&FormValues::default(), &Errors::default())) } },
        ),
    )
}

pub(super) async fn meetings() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Meetings",
            Nav::Meetings,
            html! {
                form.search method="get" action="/meetings" role="search" {
                    label for="chatIdPrefix" { "Chat id starts with" }
                    input #chatIdPrefix name="chatIdPrefix" type="search";
                    button type="submit" { "Search" }
                }
                (super::presence::waiting_now())
                div #meetings data-load="/console/f/meetings" data-query { p { "Loading…" } }
            },
        ),
    )
}

pub(super) async fn meeting(Path(chat_id): Path<String>) -> Response {
    let fragment = format!("/console/f/meetings/{}", segment(&chat_id));
    markup(
        StatusCode::OK,
        page(
            "Meeting",
            Nav::Meetings,
            html! {
                (super::presence::meeting_presence(&chat_id))
                div #meeting data-load=(fragment) { p { "Loading…" } }
            },
        ),
    )
}

pub(super) async fn status() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Status",
            Nav::Status,
            html! { div #status data-load="/console/f/status" { p { "Loading…" } } },
        ),
    )
}

pub(super) async fn nodes() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Node tester",
            Nav::Nodes,
            html! {
                div #nodes data-load="/console/f/nodes" { p { "Loading…" } }
                section aria-labelledby="import-title" {
                    h2 #import-title { "Import a node" }
                    div #import { (import_form(&FormValues::default(), &Errors::default())) }
                }
            },
        ),
    )
}

pub(super) async fn method(Path((node, method)): Path<(String, String)>) -> Response {
    let fragment = format!("/console/f/nodes/{}/{}", segment(&node), segment(&method));
    markup(
        StatusCode::OK,
        page(
            "Node tester",
            Nav::Nodes,
            html! { div #tester data-load=(fragment) { p { "Loading…" } } },
        ),
    )
}

pub(super) async fn visits(RawQuery(query): RawQuery) -> Response {
    let states = crate::domain::VisitState::ALL.map(|state| state.as_str());
    // The filter as the address asks it, shown chosen.
    let query = query.unwrap_or_default();
    let wanted = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default();
    markup(
        StatusCode::OK,
        page(
            "Visits",
            Nav::Visits,
            html! {
                form.search method="get" action="/visits" role="search" {
                    label for="state" { "State" }
                    select #state name="state" {
                        option value="" { "Any" }
                        @for state in states {
                            option value=(state) selected[wanted == state] { (state.replace('_', " ")) }
                        }
                    }
                    button type="submit" { "Show" }
                }
                div #visits data-load="/console/f/visits" data-query { p { "Loading…" } }
                section aria-labelledby="book-title" {
                    h2 #book-title { "Book a visit" }
                    div #new-visit { (visit_form(&FormValues::default(), &Errors::default())) }
                }
            },
        ),
    )
}

pub(super) async fn visit(Path(id): Path<String>) -> Response {
    let fragment = format!("/console/f/visits/{}", segment(&id));
    markup(
        StatusCode::OK,
        page(
            "Visit",
            Nav::Visits,
            html! {
                (super::presence::meeting_presence(&format!("{}{id}", crate::domain::VISIT_CHAT_ID_PREFIX)))
                div #visit data-load=(fragment) { p { "Loading…" } }
            },
        ),
    )
}

pub(super) async fn mail() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Mail",
            Nav::Mail,
            html! { div #mail data-load="/console/f/mail" { p { "Loading…" } } },
        ),
    )
}

pub(super) async fn webhooks() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Webhooks",
            Nav::Webhooks,
            html! {
                p {
                    "Each endpoint gets this tenant's events as they happen, POSTed and signed as "
                    a href="https://www.standardwebhooks.com/" { "Standard Webhooks" } " says; one not answered "
                    code { "2xx" } " is tried again for about a day. Only an admin key manages them."
                }
                section aria-labelledby="endpoints-title" {
                    h2 #endpoints-title { "Endpoints" }
                    div #webhooks data-load="/console/f/webhooks" { p { "Loading…" } }
                }
                section aria-labelledby="add-webhook-title" {
                    h2 #add-webhook-title { "Add an endpoint" }
                    div #new-webhook { (webhook_form(&FormValues::default(), &Errors::default())) }
                }
            },
        ),
    )
}
