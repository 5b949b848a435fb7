//! `/v1/meetings` handlers: parse the wire's types, call [`Meetings`](crate::meetings::Meetings),
//! answer in the wire's types.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;

use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PathParams, QueryParams};
use super::state::AppState;
use super::types::{
    AddLinks, AddedLinks, CreateMeeting, Invite, InviteSent, ListMeetings, Meeting, MeetingPage,
};
use crate::domain::Role;
use crate::keys::Caller;

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
    JsonBody(body): JsonBody<CreateMeeting>,
) -> Result<(StatusCode, Json<Meeting>), ApiError> {
    let meeting = state.meetings.create(&caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(meeting.into())))
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
    Ok(Json(state.meetings.list(query.into()).await?.into()))
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
    Ok(Json(state.meetings.get(&chat_id).await?.into()))
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
    JsonBody(body): JsonBody<AddLinks>,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    add_links(&state, &chat_id, Role::Guest, body).await
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
    JsonBody(body): JsonBody<AddLinks>,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    add_links(&state, &chat_id, Role::Host, body).await
}

async fn add_links(
    state: &AppState,
    chat_id: &str,
    role: Role,
    body: AddLinks,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    let added = state.meetings.add_links(chat_id, role, body.into()).await?;
    Ok((StatusCode::CREATED, Json(added.into())))
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
    JsonBody(body): JsonBody<Invite>,
) -> Result<(StatusCode, Json<InviteSent>), ApiError> {
    let sent = state.meetings.invite(&chat_id, body.phones).await?;
    Ok((StatusCode::ACCEPTED, Json(sent.into())))
}
