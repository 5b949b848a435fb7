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
    Revoke, Revoked,
};
use crate::domain::Role;
use crate::keys::Caller;

/// Make a meeting: host and guest links that join it.
///
/// The broker is asked first; the meeting and its links are stored once it answered, so a
/// failure stores nothing and a `201` is on disk. An empty body takes every default: one host
/// and one guest link, lasting the service's default lifetime.
#[utoipa::path(
    post, path = "/v1/meetings", tag = "meetings", operation_id = "createMeeting",
    request_body(content = Option<CreateMeeting>, description = "what the meeting's links share; every field optional"),
    responses(
        (status = 201, description = "the meeting and its links", body = Meeting),
        (status = 403, description = "the key's role may not change meetings (`viewer`)", body = ErrorBody),
        (status = 409, description = "the chat id exists (`meeting_exists`), or a request with this `Idempotency-Key` is still running", body = ErrorBody),
        (status = 422, description = "a field breaks a rule; `error.field` names it", body = ErrorBody),
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

/// List meetings, newest first, a page at a time.
///
/// Follow `nextCursor` for the next page; it is absent on the last one.
#[utoipa::path(
    get, path = "/v1/meetings", tag = "meetings", operation_id = "listMeetings",
    params(ListMeetings),
    responses(
        (status = 200, description = "a page of meetings, newest first", body = MeetingPage),
        (status = 422, description = "a query parameter breaks a rule, or the cursor is not one this service gave out", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryParams(query): QueryParams<ListMeetings>,
) -> Result<Json<MeetingPage>, ApiError> {
    Ok(Json(
        state.meetings.list(&caller, query.into()).await?.into(),
    ))
}

/// Read a meeting with every link issued for it.
///
/// Each link says whether it works now (`state`): valid, not yet valid or expired.
#[utoipa::path(
    get, path = "/v1/meetings/{chatId}", tag = "meetings", operation_id = "getMeeting",
    params(("chatId" = String, Path, description = "the meeting's chat id")),
    responses(
        (status = 200, description = "the meeting and every link issued", body = Meeting),
        (status = 404, description = "no meeting of the key's tenant has this chat id (another tenant's is not found either)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(chat_id): PathParams<String>,
) -> Result<Json<Meeting>, ApiError> {
    Ok(Json(state.meetings.get(&caller, &chat_id).await?.into()))
}

/// Add guest links to a meeting.
///
/// They last as long as the meeting's links unless the body says otherwise.
#[utoipa::path(
    post, path = "/v1/meetings/{chatId}/guests", tag = "meetings", operation_id = "addGuests",
    params(("chatId" = String, Path, description = "the meeting's chat id")),
    request_body(content = Option<AddLinks>, description = "how many, and how long they last; every field optional"),
    responses(
        (status = 201, description = "more guest links for the same meeting", body = AddedLinks),
        (status = 403, description = "the key's role may not change meetings (`viewer`)", body = ErrorBody),
        (status = 404, description = "no meeting of the key's tenant has this chat id (another tenant's is not found either)", body = ErrorBody),
        (status = 409, description = "the meeting's links expired (`meeting_expired`): give `ttlSeconds` or `expiresAt`", body = ErrorBody),
        (status = 422, description = "a field breaks a rule; `error.field` names it", body = ErrorBody),
        (status = 502, description = "the broker refused or is unreachable", body = ErrorBody),
        (status = 504, description = "the broker did not answer in time", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn add_guests(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(chat_id): PathParams<String>,
    JsonBody(body): JsonBody<AddLinks>,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    add_links(&state, &caller, &chat_id, Role::Guest, body).await
}

/// Add host links to a meeting.
///
/// They last as long as the meeting's links unless the body says otherwise.
#[utoipa::path(
    post, path = "/v1/meetings/{chatId}/hosts", tag = "meetings", operation_id = "addHosts",
    params(("chatId" = String, Path, description = "the meeting's chat id")),
    request_body(content = Option<AddLinks>, description = "how many, and how long they last; every field optional"),
    responses(
        (status = 201, description = "more host links for the same meeting", body = AddedLinks),
        (status = 403, description = "the key's role may not change meetings (`viewer`)", body = ErrorBody),
        (status = 404, description = "no meeting of the key's tenant has this chat id (another tenant's is not found either)", body = ErrorBody),
        (status = 409, description = "the meeting's links expired (`meeting_expired`): give `ttlSeconds` or `expiresAt`", body = ErrorBody),
        (status = 422, description = "a field breaks a rule; `error.field` names it", body = ErrorBody),
        (status = 502, description = "the broker refused or is unreachable", body = ErrorBody),
        (status = 504, description = "the broker did not answer in time", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn add_hosts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(chat_id): PathParams<String>,
    JsonBody(body): JsonBody<AddLinks>,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    add_links(&state, &caller, &chat_id, Role::Host, body).await
}

async fn add_links(
    state: &AppState,
    caller: &Caller,
    chat_id: &str,
    role: Role,
    body: AddLinks,
) -> Result<(StatusCode, Json<AddedLinks>), ApiError> {
    let added = state
        .meetings
        .add_links(caller, chat_id, role, body.into())
        .await?;
    Ok((StatusCode::CREATED, Json(added.into())))
}

/// Send the meeting's guest invitation by SMS.
///
/// Through the broker's SMS invite, for the meeting's newest link still valid; every number
/// is checked (E.164) before the broker is asked.
#[utoipa::path(
    post, path = "/v1/meetings/{chatId}/invite", tag = "meetings", operation_id = "sendInvite",
    params(("chatId" = String, Path, description = "the meeting's chat id")),
    request_body = Invite,
    responses(
        (status = 202, description = "the broker took the SMS invitation", body = InviteSent),
        (status = 403, description = "the key's role may not change meetings (`viewer`)", body = ErrorBody),
        (status = 404, description = "no meeting of the key's tenant has this chat id (another tenant's is not found either)", body = ErrorBody),
        (status = 409, description = "the meeting's links expired (`meeting_expired`)", body = ErrorBody),
        (status = 422, description = "a phone number breaks a rule; `error.field` names it (`phones[1]`)", body = ErrorBody),
        (status = 502, description = "the broker refused or is unreachable", body = ErrorBody),
        (status = 504, description = "the broker did not answer in time", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn invite(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(chat_id): PathParams<String>,
    JsonBody(body): JsonBody<Invite>,
) -> Result<(StatusCode, Json<InviteSent>), ApiError> {
    let sent = state
        .meetings
        .invite(&caller, &chat_id, body.phones)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(sent.into())))
}

/// Revoke a meeting's links: all of them, one role's, or one.
///
/// Opening a revoked link's `url` shows a page saying so (`410`) and goes no further. What
/// revocation cannot stop: the broker's own URLs of a link (`shortUrl`, `longUrl`, `cipher`)
/// work until the link's `expiresAt`, and a visitor let through before keeps the meeting's
/// page. Revoking links revoked already changes nothing (`revoked: 0`).
#[utoipa::path(
    post, path = "/v1/meetings/{chatId}/revoke", tag = "meetings", operation_id = "revokeLinks",
    params(("chatId" = String, Path, description = "the meeting's chat id")),
    request_body(content = Option<Revoke>, description = "which links: `{}` for all, `role`, or one `link`'s code"),
    responses(
        (status = 200, description = "the links revoked", body = Revoked),
        (status = 403, description = "the key's role may not change meetings (`viewer`)", body = ErrorBody),
        (status = 404, description = "no meeting of the key's tenant has this chat id (another tenant's is not found either)", body = ErrorBody),
        (status = 422, description = "a field breaks a rule (a role that is not `host` or `guest`, a code not of this meeting, both given); `error.field` names it", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(chat_id): PathParams<String>,
    JsonBody(body): JsonBody<Revoke>,
) -> Result<Json<Revoked>, ApiError> {
    let revoked = state
        .meetings
        .revoke(&caller, &chat_id, body.into())
        .await?;
    Ok(Json(revoked.into()))
}
