//! `/v1/visits` handlers and their wire types: parse, call
//! [`Visits`](crate::visits::Visits), answer.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use instant_connect::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PathParams, QueryParams};
use super::state::AppState;
use super::types::IssuedLink;
use super::wire;
use crate::domain::{self, PartyAsked, RescheduleAsked, TimeInput, VisitAsked};
use crate::keys::Caller;
use crate::store::{JobRow, MessageRow, VisitRow};
use crate::visits::{VisitListing, VisitPage as Page, VisitView};

/// A person in a visit. Unknown fields are refused, naming them.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PartyBody {
    /// What to call them (at most 100 characters).
    #[serde(default, deserialize_with = "wire::text")]
    pub name: Option<String>,
    /// An E.164 number (`+14155550100`); guests with one are sent reminders by SMS.
    #[serde(default, deserialize_with = "wire::text")]
    pub phone: Option<String>,
    /// An address such as `ada@example.com`.
    #[serde(default, deserialize_with = "wire::text")]
    pub email: Option<String>,
    /// A language tag such as `en` or `de-CH` (default `en`).
    #[serde(default, deserialize_with = "wire::text")]
    pub language: Option<String>,
}

impl From<PartyBody> for PartyAsked {
    fn from(body: PartyBody) -> Self {
        Self {
            name: body.name,
            phone: body.phone,
            email: body.email,
            language: body.language,
        }
    }
}

/// `POST /v1/visits`. Unknown fields are refused, naming them.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BookVisit {
    /// When it starts: Unix seconds, an RFC 3339 time with its offset, or a wall time with
    /// `timeZone`; in the future.
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = String)]
    pub start: Option<TimeInput>,
    /// When it ends, written as `start`: after it, at most 24 hours after.
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = String)]
    pub end: Option<TimeInput>,
    /// The IANA time zone (`Europe/Berlin`) wall times are in, and reminders are counted in.
    #[serde(default, deserialize_with = "wire::text")]
    pub time_zone: Option<String>,
    /// The hosts, 1-25: one host link each.
    #[serde(default)]
    pub hosts: Vec<PartyBody>,
    /// The guests, 1-25: one guest link each.
    #[serde(default)]
    pub guests: Vec<PartyBody>,
    /// ISO 8601 offsets before the start (`-P1D`, `-PT15M`), at most 5 (default
    /// `["-PT15M"]`; `[]` for none).
    #[serde(default, deserialize_with = "wire::offsets")]
    pub reminders: Option<Vec<String>>,
    /// `hc` (default), `gen` or `cc`: the family of join pages.
    #[serde(default, deserialize_with = "wire::text")]
    pub vertical: Option<String>,
    /// Free text kept with the visit and shown to API callers; never put in a message or a
    /// log (at most 2000 characters).
    #[serde(default, deserialize_with = "wire::text")]
    pub notes: Option<String>,
}

impl From<BookVisit> for VisitAsked {
    fn from(body: BookVisit) -> Self {
        Self {
            start: body.start,
            end: body.end,
            time_zone: body.time_zone,
            hosts: body.hosts.into_iter().map(Into::into).collect(),
            guests: body.guests.into_iter().map(Into::into).collect(),
            reminders: body.reminders,
            vertical: body.vertical,
            notes: body.notes,
        }
    }
}

/// `PATCH /v1/visits/{id}`: what is absent stays.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RescheduleVisit {
    /// The new start, written as when booking.
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = Option<String>)]
    pub start: Option<TimeInput>,
    /// The new end, written as when booking.
    #[serde(default, deserialize_with = "wire::time")]
    #[schema(value_type = Option<String>)]
    pub end: Option<TimeInput>,
    /// The IANA time zone of wall times and reminders.
    #[serde(default, deserialize_with = "wire::text")]
    pub time_zone: Option<String>,
    /// The reminders, as when booking.
    #[serde(default, deserialize_with = "wire::offsets")]
    pub reminders: Option<Vec<String>>,
}

impl From<RescheduleVisit> for RescheduleAsked {
    fn from(body: RescheduleVisit) -> Self {
        Self {
            start: body.start,
            end: body.end,
            time_zone: body.time_zone,
            reminders: body.reminders,
        }
    }
}

/// `GET /v1/visits` query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListVisits {
    /// Page size, 1-1000 (default 50).
    #[serde(default, deserialize_with = "wire::query_whole_number")]
    pub limit: Option<u32>,
    /// `nextCursor` of the page before.
    pub cursor: Option<String>,
    /// Only visits in this state: `scheduled`, `ready`, `in_progress`, `ended` or `cancelled`.
    pub state: Option<String>,
}

/// A person in a visit, with their link once made.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartyAnswer {
    #[serde(flatten)]
    pub party: PartyBody,
    /// Their link, once made (at `links.madeAt`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<IssuedLink>,
}

/// When a visit's links are made and when they work.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VisitLinks {
    /// When they are made (or were due to be): the lead time before the start, or the first
    /// reminder, whichever is first.
    pub made_at: String,
    /// From when they work (RFC 3339, UTC).
    pub not_before: String,
    /// Until when they work: the end and a grace.
    pub expires_at: String,
}

/// A reminder and when it is due.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReminderAnswer {
    /// As written (`-PT15M`).
    pub offset: String,
    /// When it is due (RFC 3339, UTC), counted in the visit's zone.
    pub due_at: String,
}

/// Something that must happen for the visit at a time, and how it went.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobAnswer {
    /// The job's id.
    pub id: String,
    /// `mint`, `remind`, `begin` or `end`.
    pub kind: String,
    /// A reminder's offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When it is due (RFC 3339, UTC); after a failure, when it is tried again.
    pub due_at: String,
    /// `due`, `running`, `done`, `dead` (given up, `lastError` says why) or `dropped` (moot:
    /// the visit moved or was cancelled).
    pub state: String,
    /// How many times it was tried.
    pub attempts: i64,
    /// Why the last attempt failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When it was done, given up or dropped (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
}

/// A message sent, or tried, to one person.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageAnswer {
    /// `sms`.
    pub channel: String,
    /// `reminder`.
    pub kind: String,
    /// The number or address it went to.
    pub recipient: String,
    /// `sent` or `failed`.
    pub outcome: String,
    /// The gateway's word, or why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// When it was sent or tried (RFC 3339, UTC).
    pub at: String,
}

/// A visit: its schedule, its people with their links, and what has happened.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Visit {
    /// The visit's id.
    pub id: String,
    /// `scheduled` (links not yet made), `ready`, `in_progress`, `ended` or `cancelled`.
    pub state: String,
    /// When it starts and ends (RFC 3339, UTC).
    pub start: String,
    /// When it ends (RFC 3339, UTC).
    pub end: String,
    /// The IANA time zone its wall times and reminders are in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// `hc`, `gen` or `cc`: the family of join pages.
    pub vertical: String,
    /// Grows by one on each reschedule.
    pub sequence: i64,
    /// The meeting whose links it hands out, once made (`GET /v1/meetings/{chatId}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// When its links are made and when they work.
    pub links: VisitLinks,
    /// Its hosts, in order, each with their link once made.
    pub hosts: Vec<PartyAnswer>,
    /// Its guests, in order, each with their link once made.
    pub guests: Vec<PartyAnswer>,
    /// Its reminders, each with when it is due.
    pub reminders: Vec<ReminderAnswer>,
    /// The caller's notes: never in a message or a log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// What must happen for it at a time, and how each went.
    pub jobs: Vec<JobAnswer>,
    /// Every message sent or tried for it.
    pub messages: Vec<MessageAnswer>,
    /// When each state began (RFC 3339, UTC).
    pub booked_at: String,
    /// When its links were first made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_at: Option<String>,
    /// When it started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<String>,
    /// When it was cancelled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<String>,
    /// When it was found a no-show: nobody opened a link of it nor joined it by its start
    /// and the grace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_show_at: Option<String>,
}

/// A visit in a listing.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VisitSummary {
    /// The visit's id.
    pub id: String,
    /// `scheduled`, `ready`, `in_progress`, `ended` or `cancelled`.
    pub state: String,
    /// When it starts (RFC 3339, UTC).
    pub start: String,
    /// When it ends (RFC 3339, UTC).
    pub end: String,
    /// The IANA time zone its wall times and reminders are in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Grows by one on each reschedule.
    pub sequence: i64,
    /// The meeting whose links it hands out, once made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<String>,
    /// How many hosts.
    pub hosts: usize,
    /// How many guests.
    pub guests: usize,
}

/// A page of visits, by start.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VisitPage {
    /// Visits by start, then id.
    pub items: Vec<VisitSummary>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

fn party(party: &domain::Party, link: Option<crate::meetings::IssuedLink>) -> PartyAnswer {
    PartyAnswer {
        party: PartyBody {
            name: party.name.clone(),
            phone: party.phone.clone(),
            email: party.email.clone(),
            language: Some(party.language.clone()),
        },
        link: link.map(IssuedLink::from),
    }
}

fn job(job: JobRow) -> JobAnswer {
    JobAnswer {
        id: job.id,
        kind: job.kind.as_str().to_owned(),
        detail: job.detail,
        due_at: rfc3339(job.due_at),
        state: job.state.as_str().to_owned(),
        attempts: job.attempts,
        last_error: job.last_error,
        finished_at: job.finished_at.map(rfc3339),
    }
}

fn message(message: MessageRow) -> MessageAnswer {
    MessageAnswer {
        channel: message.channel,
        kind: message.kind,
        recipient: message.recipient,
        outcome: message.outcome,
        detail: message.detail,
        at: rfc3339(message.at),
    }
}

impl From<VisitView> for Visit {
    fn from(view: VisitView) -> Self {
        let v = view.visit;
        let reminders = v
            .schedule
            .reminders_due()
            .into_iter()
            .map(|(due, reminder)| ReminderAnswer {
                offset: reminder.written().to_owned(),
                due_at: rfc3339(due),
            })
            .collect();
        Self {
            hosts: v
                .hosts
                .iter()
                .zip(view.host_links)
                .map(|(p, l)| party(p, l))
                .collect(),
            guests: v
                .guests
                .iter()
                .zip(view.guest_links)
                .map(|(p, l)| party(p, l))
                .collect(),
            reminders,
            links: VisitLinks {
                made_at: rfc3339(view.links_made_at),
                not_before: rfc3339(view.links_window.0),
                expires_at: rfc3339(view.links_window.1),
            },
            jobs: view.jobs.into_iter().map(job).collect(),
            messages: view.messages.into_iter().map(message).collect(),
            id: v.id,
            state: v.state.as_str().to_owned(),
            start: rfc3339(v.schedule.start),
            end: rfc3339(v.schedule.end),
            time_zone: v.schedule.zone.as_ref().map(|z| z.name().to_owned()),
            vertical: v.vertical.as_str().to_owned(),
            sequence: v.sequence,
            chat_id: v.chat_id.map(domain::ChatId::into_string),
            notes: v.notes.map(|n| n.as_str().to_owned()),
            booked_at: rfc3339(v.booked_at),
            ready_at: v.ready_at.map(rfc3339),
            started_at: v.started_at.map(rfc3339),
            ended_at: v.ended_at.map(rfc3339),
            cancelled_at: v.cancelled_at.map(rfc3339),
            no_show_at: v.no_show_at.map(rfc3339),
        }
    }
}

fn summary(v: VisitRow) -> VisitSummary {
    VisitSummary {
        state: v.state.as_str().to_owned(),
        start: rfc3339(v.schedule.start),
        end: rfc3339(v.schedule.end),
        time_zone: v.schedule.zone.as_ref().map(|z| z.name().to_owned()),
        sequence: v.sequence,
        chat_id: v.chat_id.map(domain::ChatId::into_string),
        hosts: v.hosts.len(),
        guests: v.guests.len(),
        id: v.id,
    }
}

impl From<Page> for VisitPage {
    fn from(page: Page) -> Self {
        Self {
            items: page.items.into_iter().map(summary).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

/// Book a visit: its links are made when they are needed.
///
/// At the lead time before the start (15 minutes unless the service is told otherwise), or
/// with the first reminder, whichever is first; they work until the end and a grace. Each
/// reminder texts every guest with a phone the broker's SMS invitation.
#[utoipa::path(
    post, path = "/v1/visits", tag = "visits", operation_id = "bookVisit",
    request_body = BookVisit,
    responses(
        (status = 201, description = "the visit, booked", body = Visit),
        (status = 403, description = "the key's role may not change visits (`viewer`)", body = ErrorBody),
        (status = 422, description = "a field breaks a rule; `error.field` names it (`guests[0].phone`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn book(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<BookVisit>,
) -> Result<(StatusCode, Json<Visit>), ApiError> {
    let visit = state.visits.book(&caller, body.into()).await?;
    Ok((StatusCode::CREATED, Json(visit.into())))
}

/// List visits by start, a page at a time.
///
/// Follow `nextCursor` for the next page; it is absent on the last one. `state` keeps only
/// the visits in that state.
#[utoipa::path(
    get, path = "/v1/visits", tag = "visits", operation_id = "listVisits",
    params(ListVisits),
    responses(
        (status = 200, description = "a page of visits, by start", body = VisitPage),
        (status = 422, description = "a query parameter breaks a rule, or the cursor is not one this service gave out", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryParams(query): QueryParams<ListVisits>,
) -> Result<Json<VisitPage>, ApiError> {
    let listing = VisitListing {
        limit: query.limit,
        cursor: query.cursor,
        state: query.state,
    };
    Ok(Json(state.visits.list(&caller, listing).await?.into()))
}

/// Read a visit with its links, jobs and messages.
///
/// Each person's link appears once it is made; each job says whether it is due, done, dead
/// (with why) or dropped, and each message how it went.
#[utoipa::path(
    get, path = "/v1/visits/{id}", tag = "visits", operation_id = "getVisit",
    params(("id" = String, Path, description = "the visit's id")),
    responses(
        (status = 200, description = "the visit", body = Visit),
        (status = 404, description = "no visit of the key's tenant has this id (another tenant's is not found either)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Visit>, ApiError> {
    Ok(Json(state.visits.get(&caller, &id).await?.into()))
}

/// Reschedule a visit.
///
/// Its jobs not yet run are replaced by those of the new schedule; its own links made so far
/// are revoked (their broker URLs work until they expire: the broker cannot end them), and new
/// ones are made for the new window. The same schedule again changes nothing (`sequence`
/// stays).
#[utoipa::path(
    patch, path = "/v1/visits/{id}", tag = "visits", operation_id = "rescheduleVisit",
    params(("id" = String, Path, description = "the visit's id")),
    request_body = RescheduleVisit,
    responses(
        (status = 200, description = "the visit, moved", body = Visit),
        (status = 403, description = "the key's role may not change visits (`viewer`)", body = ErrorBody),
        (status = 404, description = "no visit of the key's tenant has this id", body = ErrorBody),
        (status = 409, description = "the visit has ended or was cancelled (`visit_over`), or changed meanwhile (`visit_changed`)", body = ErrorBody),
        (status = 422, description = "a field breaks a rule; `error.field` names it", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn reschedule(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
    JsonBody(body): JsonBody<RescheduleVisit>,
) -> Result<Json<Visit>, ApiError> {
    Ok(Json(
        state
            .visits
            .reschedule(&caller, &id, body.into())
            .await?
            .into(),
    ))
}

/// Cancel a visit.
///
/// Its jobs not yet run are dropped and its own links made so far revoked (their broker URLs
/// work until they expire: the broker cannot end them). Cancelling it again answers the same
/// and changes nothing.
#[utoipa::path(
    post, path = "/v1/visits/{id}/cancel", tag = "visits", operation_id = "cancelVisit",
    params(("id" = String, Path, description = "the visit's id")),
    responses(
        (status = 200, description = "the visit, cancelled", body = Visit),
        (status = 403, description = "the key's role may not change visits (`viewer`)", body = ErrorBody),
        (status = 404, description = "no visit of the key's tenant has this id", body = ErrorBody),
        (status = 409, description = "the visit has ended (`visit_over`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams(id): PathParams<String>,
) -> Result<Json<Visit>, ApiError> {
    Ok(Json(state.visits.cancel(&caller, &id).await?.into()))
}

/// Cancel a visit, as `POST /v1/visits/{id}/cancel` does.
///
/// The visit is kept, cancelled, as its audit trail is.
#[utoipa::path(
    delete, path = "/v1/visits/{id}", tag = "visits", operation_id = "deleteVisit",
    params(("id" = String, Path, description = "the visit's id")),
    responses(
        (status = 200, description = "the visit, cancelled (it is kept, as its trail is)", body = Visit),
        (status = 403, description = "the key's role may not change visits (`viewer`)", body = ErrorBody),
        (status = 404, description = "no visit of the key's tenant has this id", body = ErrorBody),
        (status = 409, description = "the visit has ended (`visit_over`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn delete(
    state: State<AppState>,
    caller: Extension<Caller>,
    id: PathParams<String>,
) -> Result<Json<Visit>, ApiError> {
    cancel(state, caller, id).await
}
