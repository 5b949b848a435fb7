//! `/v1/webhooks` handlers and their wire types: a tenant's endpoints, their deliveries, a
//! replay and a test send. Admin keys only.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use instant_connect::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PathParams, QueryParams};
use super::state::AppState;
use super::wire;
use crate::keys::Caller;
use crate::store::{DeliveryRow, WebhookRow};

/// `POST /v1/webhooks`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhook {
    /// Where deliveries are POSTed: an http(s) URL at a public address (unless the service
    /// allows private ones), with no user name or password.
    #[serde(default, deserialize_with = "wire::text")]
    #[schema(value_type = String)]
    pub url: Option<String>,
    /// The event types it gets: `*` for all, a family such as `visit.*`, or types
    /// (`link.opened`).
    #[serde(default, deserialize_with = "wire::texts")]
    pub events: Vec<String>,
}

/// An endpoint.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Its id (`wh_…`).
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it gets, as asked.
    pub events: Vec<String>,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// The signing secret (`whsec_…`, Standard Webhooks): in the answer that makes or
    /// rotates it, and never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until when the secret before the last rotation still signs beside the new one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<String>,
}

impl Webhook {
    fn of(hook: WebhookRow, with_secret: bool) -> Self {
        Self {
            id: hook.id,
            url: hook.url,
            events: hook.events.entries().to_vec(),
            created_at: rfc3339(hook.created_at),
            secret: with_secret.then_some(hook.secret),
            previous_secret_until: hook.previous_until.map(rfc3339),
        }
    }
}

/// The tenant's endpoints.
#[derive(Serialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first; no secrets.
    pub items: Vec<Webhook>,
}

/// One event to one endpoint.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Its id: replay it by this.
    pub id: String,
    /// The event's id: the `webhook-id` header, the same on every attempt and replay.
    pub event_id: String,
    /// The event's type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// `due` (waiting for its next attempt), `running`, `done` (answered 2xx) or `dead`
    /// (given up after about a day).
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// When its next attempt is due (RFC 3339, UTC), while it is due.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// The status of the last answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i64>,
    /// Why the last attempt failed: the answer's start, or why there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was made (RFC 3339, UTC).
    pub created_at: String,
    /// When it was done or given up (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        Self {
            next_attempt_at: (row.state == crate::store::DeliveryState::Due)
                .then(|| rfc3339(row.due_at)),
            id: row.id,
            event_id: row.event_id,
            event_type: row.event_type,
            state: row.state.as_str().to_owned(),
            attempts: row.attempts,
            last_status: row.last_status,
            last_error: row.last_error,
            created_at: rfc3339(row.created_at),
            finished_at: row.finished_at.map(rfc3339),
        }
    }
}

/// An endpoint's deliveries, newest first.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPage {
    /// At most `limit`, newest first.
    pub items: Vec<Delivery>,
    /// The `before` of the next page; absent on the last one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before: Option<String>,
}

/// `GET /v1/webhooks/{id}/deliveries` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListDeliveries {
    /// Page size, 1-1000 (default 50).
    #[serde(default, deserialize_with = "wire::query_whole_number")]
    pub limit: Option<u32>,
    /// `nextBefore` of the page before.
    pub before: Option<String>,
}

/// A delivery made.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryMade {
    /// The new delivery's id, due now.
    pub delivery_id: String,
}

/// Make an endpoint that hears of the tenant's events.
///
/// Each event is POSTed as `{"type", "timestamp", "data"}` with the Standard Webhooks
/// headers `webhook-id`, `webhook-timestamp` and `webhook-signature`; a delivery answered
/// other than 2xx is tried again for about a day. The secret is in this answer only.
#[utoipa::path(
    post, path = "/v1/webhooks", tag = "webhooks", operation_id = "createWebhook",
    request_body = CreateWebhook,
    responses(
        (status = 201, description = "the endpoint, with its secret", body = Webhook),
        (status = 403, description = "only an admin key manages webhooks", body = ErrorBody),
        (status = 409, description = "the tenant has its 20 webhooks already", body = ErrorBody),
        (status = 422, description = "a field breaks a rule; `error.field` names it", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<CreateWebhook>,
) -> Result<(StatusCode, Json<Webhook>), ApiError> {
    let asked = crate::webhooks::WebhookAsked {
        url: body.url.unwrap_or_default(),
        events: body.events,
    };
    let hook = state.webhooks.create(&caller, asked).await?;
    Ok((StatusCode::CREATED, Json(Webhook::of(hook, true))))
}

/// List the tenant's endpoints.
///
/// Oldest first, without their secrets, which only the answers that make or rotate one show.
#[utoipa::path(
    get, path = "/v1/webhooks", tag = "webhooks", operation_id = "listWebhooks",
    responses(
        (status = 200, description = "the endpoints, without secrets", body = WebhookList),
        (status = 403, description = "only an admin key manages webhooks", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<WebhookList>, ApiError> {
    let items = state.webhooks.list(&caller).await?;
    Ok(Json(WebhookList {
        items: items.into_iter().map(|h| Webhook::of(h, false)).collect(),
    }))
}

/// Delete an endpoint.
///
/// Its deliveries not yet made are dropped; those made stay listed until retention.
#[utoipa::path(
    delete, path = "/v1/webhooks/{id}", tag = "webhooks", operation_id = "deleteWebhook",
    params(("id" = String, Path, description = "the endpoint's id")),
    responses(
        (status = 204, description = "deleted"),
        (status = 403, description = "only an admin key manages webhooks", body = ErrorBody),
        (status = 404, description = "the tenant has no such endpoint", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, ApiError> {
    state.webhooks.delete(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give an endpoint a new secret.
///
/// The one before still signs beside it for a day (`webhook-signature` holds both), so a
/// receiver can change over without losing a delivery.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/rotate", tag = "webhooks", operation_id = "rotateWebhookSecret",
    params(("id" = String, Path, description = "the endpoint's id")),
    responses(
        (status = 200, description = "the endpoint with its new secret", body = Webhook),
        (status = 403, description = "only an admin key manages webhooks", body = ErrorBody),
        (status = 404, description = "the tenant has no such endpoint", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn rotate(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Webhook>, ApiError> {
    let hook = state.webhooks.rotate(&caller, &id).await?;
    Ok(Json(Webhook::of(hook, true)))
}

/// List an endpoint's deliveries, newest first.
///
/// Each says where it stands, how many attempts it took and the last answer; follow
/// `nextBefore` for the next page.
#[utoipa::path(
    get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "listDeliveries",
    params(("id" = String, Path, description = "the endpoint's id"), ListDeliveries),
    responses(
        (status = 200, description = "a page of deliveries", body = DeliveryPage),
        (status = 403, description = "only an admin key manages webhooks", body = ErrorBody),
        (status = 404, description = "the tenant has no such endpoint", body = ErrorBody),
        (status = 422, description = "a query parameter breaks a rule", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<ListDeliveries>,
) -> Result<Json<DeliveryPage>, ApiError> {
    let (items, next_before) = state
        .webhooks
        .deliveries(&caller, &id, query.limit, query.before.as_deref())
        .await?;
    Ok(Json(DeliveryPage {
        items: items.into_iter().map(Delivery::from).collect(),
        next_before,
    }))
}

/// Deliver a delivery's event again.
///
/// A new delivery of the same event (the same `webhook-id`), due now, tried as any other.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/deliveries/{delivery}/replay", tag = "webhooks",
    operation_id = "replayDelivery",
    params(("id" = String, Path, description = "the endpoint's id"),
           ("delivery" = String, Path, description = "the delivery's id")),
    responses(
        (status = 202, description = "the new delivery", body = DeliveryMade),
        (status = 403, description = "only an admin key manages webhooks", body = ErrorBody),
        (status = 404, description = "the tenant has no such endpoint or delivery", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn replay(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams((id, delivery)): PathParams<(String, String)>,
) -> Result<(StatusCode, Json<DeliveryMade>), ApiError> {
    let delivery_id = state.webhooks.replay(&caller, &id, &delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryMade { delivery_id })))
}

/// Send a `webhook.test` event to this endpoint alone.
///
/// Signed and tried as any event: a way to see that the receiver checks signatures and
/// answers 2xx.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/test", tag = "webhooks", operation_id = "testWebhook",
    params(("id" = String, Path, description = "the endpoint's id")),
    responses(
        (status = 202, description = "the test delivery", body = DeliveryMade),
        (status = 403, description = "only an admin key manages webhooks", body = ErrorBody),
        (status = 404, description = "the tenant has no such endpoint", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn test(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<(StatusCode, Json<DeliveryMade>), ApiError> {
    let delivery_id = state.webhooks.test(&caller, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(DeliveryMade { delivery_id })))
}

/// An example of `event`'s `data` at `at`, made by the code that makes the real ones.
fn example_data(event: crate::domain::EventType, at: i64) -> serde_json::Value {
    use crate::domain::{ChatId, EventType, Happening, Role, TenantId};
    use crate::store::EventRow;
    use serde_json::json;

    let tenant = TenantId::default_tenant();
    let chat_id = ChatId::parse("visit-8842").expect("a chat id");
    let visit = ChatId::parse("visit-01a24d31-11a2-73dd-ab46-727192dda779").expect("a chat id");
    let data_of = |row: EventRow| -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(&row.payload).expect("JSON")["data"].take()
    };
    match event {
        EventType::MeetingCreated => json!({"chatId": "visit-8842", "hosts": 1, "guests": 1,
                                            "expiresAt": rfc3339(at + 900)}),
        EventType::LinksAdded => {
            data_of(EventRow::links_added(&tenant, &chat_id, at, Role::Guest, 1))
        }
        EventType::LinkOpened => data_of(EventRow::link_opened(
            &tenant,
            &chat_id,
            at,
            Role::Guest,
            false,
            "mobile safari",
        )),
        EventType::LinkRevoked => data_of(EventRow::links_revoked(&tenant, &chat_id, at, "guest")),
        EventType::InviteSent => data_of(EventRow::invite_sent(&tenant, &chat_id, at, 1)),
        EventType::InviteFailed => data_of(EventRow::invite_failed(&tenant, &visit, at, "sms", 1)),
        EventType::GuestWaiting => data_of(EventRow::happened(
            &tenant,
            &visit,
            at,
            Happening::GuestWaiting { guests: 1 },
        )),
        EventType::HostJoined => data_of(EventRow::happened(
            &tenant,
            &visit,
            at,
            Happening::HostJoined { guests: 1 },
        )),
        EventType::MeetingEnded => {
            data_of(EventRow::happened(&tenant, &visit, at, Happening::Ended))
        }
        EventType::VisitBooked
        | EventType::VisitRescheduled
        | EventType::VisitCancelled
        | EventType::VisitNoShow => {
            json!({"visitId": "01a24d31-11a2-73dd-ab46-727192dda779",
                   "chatId": "visit-01a24d31-11a2-73dd-ab46-727192dda779",
                   "start": rfc3339(at + 86_400), "end": rfc3339(at + 88_200),
                   "timeZone": "Europe/Berlin", "sequence": 0})
        }
        EventType::WebhookTest => json!({"webhookId": "wh_01a24d4aa7b875c6bcd43d5f7a223777"}),
    }
}

/// The events an endpoint hears of, in the document's `webhooks` section (OpenAPI 3.1): each
/// type's payload, with an example made by the code that makes the real ones.
pub(super) fn document_events(doc: &mut serde_json::Value) {
    use crate::domain::EventType;
    use serde_json::json;

    let at = 1_800_000_000;
    let data = |event: EventType| example_data(event, at);
    let mut hooks = serde_json::Map::new();
    for event in EventType::SUBSCRIBABLE
        .into_iter()
        .chain([EventType::WebhookTest])
    {
        let example =
            json!({"type": event.as_str(), "timestamp": rfc3339(at), "data": data(event)});
        hooks.insert(
            event.as_str().to_owned(),
            json!({"post": {
                "summary": format!("`{}`", event.as_str()),
                "description": "POSTed to each endpoint subscribed to it, with the Standard \
                    Webhooks headers `webhook-id` (the event's id, the same on every attempt), \
                    `webhook-timestamp` and `webhook-signature`. Answer 2xx within 10 s, or it \
                    is tried again for about a day.",
                "requestBody": {"content": {"application/json": {
                    "schema": {"type": "object", "required": ["type", "timestamp", "data"],
                               "properties": {"type": {"const": event.as_str()},
                                              "timestamp": {"type": "string", "format": "date-time"},
                                              "data": {"type": "object"}}},
                    "example": example
                }}},
                "responses": {"2XX": {"description": "delivered"}}
            }}),
        );
    }
    doc["webhooks"] = serde_json::Value::Object(hooks);
}
