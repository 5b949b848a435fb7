//! `/v1/meetings` handlers: parse, call [`Meetings`](crate::meetings::Meetings), map.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use instant_connect::Role;

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PathParams, QueryParams};
use crate::keys::Caller;
use crate::meetings::{
    AddLinks, AddedLinks, CreateMeeting, Invite, InviteSent, ListMeetings, Meeting, MeetingPage,
};

#[utoipa::path(
    post, path = "/v1/meetings", tag = "meetings",
    request_body = CreateMeeting,
    params(("Idempotency-Key" = Option<String>, Header, description = "replays the stored answer for the same body")),
    responses(
        (status = 201, description = "the meeting and its links", body = Meeting),
        (status = 409, description = "the chat id exists", body = ErrorBody),
        (status = 422, description = "a field breaks a rule", body = ErrorBody),
        (status = 502, description = "the broker refused or is unreachable", body = ErrorBody),
        (status = 504, description = "the broker did not answer in time", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(request): JsonBody<CreateMeeting>,
) -> Result<(StatusCode, Json<Meeting>), ApiError> {
    let meeting = state.meetings.create(&caller, request).await?;
    Ok((StatusCode::CREATED, Json(meeting)))
}

#[utoipa::path(
    get, path = "/v1/meetings", tag = "meetings",
    params(ListMeetings),
    responses((status = 200, description = "a page of meetings, newest first", body = MeetingPage)),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<ListMeetings>,
) -> Result<Json<MeetingPage>, ApiError> {
    Ok(Json(state.meetings.list(query).await?))
}

#[utoipa::path(
    get, path = "/v1/meetings/{chatId}", tag = "meetings",
    params(("chatId" = String, Path)),
    responses(
        (status = 200, description = "the meeting and every link issued", body = Meeting),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    PathParams(chat_id): PathParams<String>,
) -> Result<Json<Meeting>, ApiError> {
    Ok(Json(state.meetings.get(&chat_id).await?))
}

#[utoipa::path(
    post, path = "/v1/meetings/{chatId}/guests", tag = "meetings",
    params(("chatId" = String, Path)),
    request_body = AddLinks,
    responses(
        (status = 201, description = "more guest links for the same meeting", body = AddedLinks),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the meeting's links expired", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn add_guests(
    State(state): State<AppState>,
    PathParams(chat_id): PathParams<String>,
    JsonBody(request): JsonBody<AddLinks>,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    add_links(&state, &chat_id, Role::Guest, request).await
}

#[utoipa::path(
    post, path = "/v1/meetings/{chatId}/hosts", tag = "meetings",
    params(("chatId" = String, Path)),
    request_body = AddLinks,
    responses(
        (status = 201, description = "more host links for the same meeting", body = AddedLinks),
        (status = 404, body = ErrorBody),
        (status = 409, description = "the meeting's links expired", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn add_hosts(
    State(state): State<AppState>,
    PathParams(chat_id): PathParams<String>,
    JsonBody(request): JsonBody<AddLinks>,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    add_links(&state, &chat_id, Role::Host, request).await
}

async fn add_links(
    state: &AppState,
    chat_id: &str,
    role: Role,
    request: AddLinks,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    let added = state.meetings.add_links(chat_id, role, request).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[utoipa::path(
    post, path = "/v1/meetings/{chatId}/invite", tag = "meetings",
    params(("chatId" = String, Path)),
    request_body = Invite,
    responses(
        (status = 202, description = "the broker took the SMS invitation", body = InviteSent),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    PathParams(chat_id): PathParams<String>,
    JsonBody(request): JsonBody<Invite>,
) -> Result<(StatusCode, Json<InviteSent>), ApiError> {
    let sent = state.meetings.invite(&chat_id, request).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)))
}
