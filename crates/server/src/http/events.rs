//! `GET /v1/events`: the tenant's events as server-sent events, from the moment of asking.

use std::convert::Infallible;

use axum::Extension;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::{Stream, StreamExt};

use super::error::{ApiError, ErrorBody};
use super::state::AppState;
use crate::domain::Permission;
use crate::keys::Caller;

/// Follow the tenant's events.
///
/// A `text/event-stream` of the tenant's events from now on, as they are written: each with
/// its type as `event`, its id as `id`, and as `data` the same JSON a webhook gets
/// (`{"type", "timestamp", "data"}`; the `webhooks` section describes each type). Comments
/// keep the connection open while nothing happens; the stream ends when the service stops,
/// and a client connects again. Any key of the tenant may follow.
#[utoipa::path(
    get, path = "/v1/events", tag = "webhooks", operation_id = "followEvents",
    responses(
        (status = 200, description = "the events, as they happen", content_type = "text/event-stream", body = String),
        (status = 403, description = "the key may not read", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn follow(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    if !caller.may(Permission::Read) {
        return Err(ApiError::forbidden(
            "this key may not read the tenant's events",
        ));
    }
    let events = state.live.follow(caller.tenant.clone()).map(|event| {
        Ok(Event::default()
            .event(event.event.as_str())
            .id(event.id)
            .data(event.payload))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
