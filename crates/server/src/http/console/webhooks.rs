//! The console's webhooks, for an admin key: the form that adds an endpoint (its secret shown
//! once, with a Copy button), and the tenant's endpoints, each with its last deliveries, Send
//! test, Rotate secret, Delete, and Replay of a delivery. Each calls the same operation as
//! `/v1/webhooks`, with the API's wire types; a key that may not gets the API's `403`.

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use instant_connect::rfc3339;
use maud::{Markup, html};

use super::layout::{Errors, FormValues, breakable, error_fragment, field, markup, segment};
use crate::domain::EventType;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::http::webhooks::{Delivery, Webhook};
use crate::keys::Caller;
use crate::store::WebhookRow;
use crate::webhooks::{WebhookAsked, WebhookError};

/// The add form's fields, as the API's errors name them.
const WEBHOOK_FIELDS: &[&str] = &["url", "events"];
/// The deliveries shown of each endpoint, newest first.
const SHOWN_DELIVERIES: u32 = 20;
/// What a new endpoint hears of unless told otherwise.
const DEFAULT_EVENTS: &str = "*";

/// An endpoint as the API answers it; its secret only when it was just made or rotated.
fn wire(hook: WebhookRow, with_secret: bool) -> Webhook {
    Webhook {
        id: hook.id,
        url: hook.url,
        events: hook.events.entries().to_vec(),
        created_at: rfc3339(hook.created_at),
        secret: with_secret.then_some(hook.secret),
        previous_secret_until: hook.previous_until.map(rfc3339),
    }
}

pub(super) fn webhook_form(form: &FormValues, errors: &Errors) -> Markup {
    let types = EventType::SUBSCRIBABLE.map(EventType::as_str).join(", ");
    let events_hint =
        format!("Comma-separated: * for every event, a family such as visit.*, or types: {types}.");
    html! {
        form #webhook-form method="post" action="/console/f/webhooks" data-target="new-webhook" {
            @if let Some(general) = &errors.general {
                p.alert role="alert" { (general) }
            } @else if !errors.is_empty() {
                p.alert role="alert" { "Some fields need attention; each says what is wrong." }
            }
            (field("url", "URL", Some("Where each event is POSTed: http or https."), errors.of("url"), |aria| html! {
                input #url name="url" type="url" required maxlength=(crate::webhooks::MAX_URL_CHARS)
                    placeholder="https://flows.example.com/icnode" value=(form.get("url"))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }))
            (field("events", "Events", Some(&events_hint), errors.of("events"), |aria| html! {
                input #events name="events" type="text" required value=(form.or("events", DEFAULT_EVENTS))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }))
            button type="submit" { "Add endpoint" }
        }
    }
}

/// A secret shown this once, whole, with a Copy button; `id` is unique on the page.
fn secret_shown_once(secret: &str, id: &str) -> Markup {
    html! {
        div.secret {
            p { strong { "Copy it now: it is not shown again." } " The receiver checks each delivery's "
                code { "webhook-signature" } " with it." }
            code id=(id) data-secret { (secret) }
            div.copy {
                button type="button" data-copy-from=(id) { "Copy" span.visually-hidden { " the secret" } }
            }
        }
    }
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    let asked = WebhookAsked {
        url: form.get("url").trim().to_owned(),
        events: form
            .get("events")
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    match state.webhooks.create(&caller, asked).await {
        Ok(hook) => {
            let hook = wire(hook, true);
            markup(
                StatusCode::CREATED,
                html! {
                    (webhook_form(&FormValues::default(), &Errors::default()))
                    section #webhook-made aria-labelledby="made-title" data-refresh="webhooks" {
                        h3 #made-title tabindex="-1" data-focus { "Endpoint added" }
                        p { "Deliveries to " (breakable(&hook.url)) " are signed with this secret." }
                        (secret_shown_once(hook.secret.as_deref().unwrap_or_default(), "made-secret"))
                    }
                },
            )
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            markup(
                status,
                webhook_form(&form, &Errors::from_api(error, WEBHOOK_FIELDS)),
            )
        }
    }
}

/// What the list says above the endpoints, after an action.
enum Said {
    Nothing,
    Done(String),
    /// A secret just made: the endpoint's URL and the secret, shown this once.
    Rotated {
        url: String,
        secret: String,
    },
    Refused(String),
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    list_fragment(&state, &caller, Said::Nothing, StatusCode::OK).await
}

/// The tenant's endpoints, each with its last deliveries, under what the last action `said`.
async fn list_fragment(
    state: &AppState,
    caller: &Caller,
    said: Said,
    status: StatusCode,
) -> Response {
    let hooks = match state.webhooks.list(caller).await {
        Ok(hooks) => hooks,
        Err(error) => return error_fragment(ApiError::from(error)),
    };
    let mut shown: Vec<(Webhook, Vec<Delivery>)> = Vec::with_capacity(hooks.len());
    for hook in hooks {
        let deliveries = match state
            .webhooks
            .deliveries(caller, &hook.id, Some(SHOWN_DELIVERIES), None)
            .await
        {
            Ok((deliveries, _)) => deliveries.into_iter().map(Delivery::from).collect(),
            // Deleted since it was listed.
            Err(WebhookError::NotFound(_)) => continue,
            Err(error) => return error_fragment(ApiError::from(error)),
        };
        shown.push((wire(hook, false), deliveries));
    }
    markup(
        status,
        html! {
            @match &said {
                Said::Done(message) => p.notice role="status" tabindex="-1" data-focus { (message) },
                Said::Rotated { url, secret } => {
                    p.notice role="status" tabindex="-1" data-focus {
                        "A new secret for " (breakable(url)) ". The one before signs beside it for a day more."
                    }
                    (secret_shown_once(secret, "rotated-secret"))
                },
                Said::Refused(message) => p.alert role="alert" tabindex="-1" data-focus { (message) },
                Said::Nothing => {},
            }
            @if shown.is_empty() {
                p { "No endpoints yet." }
            }
            @for (index, (hook, deliveries)) in shown.iter().enumerate() {
                (endpoint(hook, deliveries, index + 1))
            }
        },
    )
}

/// One endpoint: where, what it hears of, its actions and its last deliveries.
fn endpoint(hook: &Webhook, deliveries: &[Delivery], number: usize) -> Markup {
    let base = format!("/console/f/webhooks/{}", segment(&hook.id));
    let id = format!("webhook-{number}");
    html! {
        article.webhook aria-labelledby={ (id) "-title" } data-webhook=(hook.id) {
            h3 id={ (id) "-title" } { (breakable(&hook.url)) }
            dl.facts {
                div {
                    dt { "Events" }
                    dd data-events {
                        @for (i, entry) in hook.events.iter().enumerate() {
                            @if i > 0 { ", " }
                            code { (entry) }
                        }
                    }
                }
                div { dt { "Created" } dd { time datetime=(hook.created_at) data-local { (hook.created_at) } } }
                @if let Some(until) = &hook.previous_secret_until {
                    div { dt { "Previous secret" } dd { "still signs until " time datetime=(until) data-local { (until) } } }
                }
            }
            div.webhook-actions {
                form method="post" action={ (base) "/test" } data-target="webhooks" {
                    button type="submit" { "Send test" span.visually-hidden { " to endpoint " (number) } }
                }
                form method="post" action={ (base) "/rotate" } data-target="webhooks" {
                    button.secondary type="submit" { "Rotate secret" span.visually-hidden { " of endpoint " (number) } }
                }
                details.confirm {
                    summary { "Delete…" span.visually-hidden { " endpoint " (number) } }
                    form method="post" action={ (base) "/delete" } data-target="webhooks" {
                        p { "Its deliveries not yet made are dropped." }
                        button.danger type="submit" { "Delete" span.visually-hidden { " endpoint " (number) } }
                    }
                }
            }
            (delivery_table(&base, deliveries, &id))
        }
    }
}

/// A time as a delivery's row shows it: in UTC, to the second.
fn brief(utc: &str) -> Markup {
    let text = utc.parse::<jiff::Timestamp>().map_or_else(
        |_| utc.to_owned(),
        |at| at.strftime("%-d %b %Y, %H:%M:%S UTC").to_string(),
    );
    html! { time datetime=(utc) { (text) } }
}

fn delivery_state(state: &str) -> Markup {
    let class = match state {
        "done" => "valid",
        "dead" => "expired",
        _ => "pending",
    };
    html! { span.state .(class) { (state) } }
}

/// An endpoint's last deliveries, newest first, each with Replay.
fn delivery_table(base: &str, deliveries: &[Delivery], id: &str) -> Markup {
    html! {
        h4 id={ (id) "-deliveries" } { "Deliveries" }
        @if deliveries.is_empty() {
            p { "None yet: Send test makes one." }
        } @else {
            table.deliveries aria-labelledby={ (id) "-deliveries" } {
                caption { "The last " (SHOWN_DELIVERIES) ", newest first; times in UTC" }
                thead { tr {
                    th scope="col" { "Event, made" }
                    th scope="col" { "State, attempts" }
                    th scope="col" { "Last answer" }
                    th scope="col" { span.visually-hidden { "Replay" } }
                } }
                tbody {
                    @for delivery in deliveries {
                        tr data-type=(delivery.event_type) data-state=(delivery.state) {
                            th scope="row" { code { (delivery.event_type) } span.detail { (brief(&delivery.created_at)) } }
                            td {
                                (delivery_state(&delivery.state))
                                span.detail { (delivery.attempts) " attempt" @if delivery.attempts != 1 { "s" } }
                            }
                            td {
                                @match (&delivery.last_status, &delivery.last_error) {
                                    (Some(status), Some(error)) => { (status) ": " (error) },
                                    (Some(status), None) => { (status) },
                                    (None, Some(error)) => { (error) },
                                    (None, None) => { "none yet" },
                                }
                                @if let Some(next) = &delivery.next_attempt_at {
                                    span.detail { "next attempt " (brief(next)) }
                                }
                            }
                            td {
                                form method="post" action={ (base) "/deliveries/" (segment(&delivery.id)) "/replay" } data-target="webhooks" {
                                    button.secondary type="submit" { "Replay" span.visually-hidden { " " (delivery.event_type) " of " (delivery.created_at) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The list again, saying what an action did or why it was refused.
async fn after(state: &AppState, caller: &Caller, done: Result<Said, WebhookError>) -> Response {
    match done {
        Ok(said) => list_fragment(state, caller, said, StatusCode::OK).await,
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            list_fragment(state, caller, Said::Refused(error.message), status).await
        }
    }
}

pub(super) async fn test(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let done = async {
        let hook = state.webhooks.get(&caller, &id).await?;
        state.webhooks.test(&caller, &id).await?;
        Ok(Said::Done(format!(
            "A webhook.test event is on its way to {}: reload to see its delivery done.",
            hook.url
        )))
    }
    .await;
    after(&state, &caller, done).await
}

pub(super) async fn rotate(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let done = state
        .webhooks
        .rotate(&caller, &id)
        .await
        .map(|hook| Said::Rotated {
            url: hook.url,
            secret: hook.secret,
        });
    after(&state, &caller, done).await
}

pub(super) async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let done = async {
        let hook = state.webhooks.get(&caller, &id).await?;
        state.webhooks.delete(&caller, &id).await?;
        Ok(Said::Done(format!(
            "Deleted the endpoint {}; its deliveries not yet made are dropped.",
            hook.url
        )))
    }
    .await;
    after(&state, &caller, done).await
}

pub(super) async fn replay(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, delivery)): Path<(String, String)>,
) -> Response {
    let done = state
        .webhooks
        .replay(&caller, &id, &delivery)
        .await
        .map(|_| {
            Said::Done(
                "Replayed: a new delivery of the same event (the same webhook-id), due now."
                    .to_owned(),
            )
        });
    after(&state, &caller, done).await
}
