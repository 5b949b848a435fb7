//! The console's visits: the list by start (with a state filter), the booking form (a host,
//! guests added a row at a time, reminders, notes), and one visit with its people and their
//! links, reminders, jobs and messages, moved or cancelled. Each calls the same operation as
//! `/v1/visits`, with the API's wire types, so the console shows what the API answers.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use maud::{Markup, html};

use super::layout::{Errors, FormValues, PHONE_PATTERN, error_fragment, field, markup, segment};
use super::meetings::{link_body, link_state};
use crate::domain::{DEFAULT_REMINDERS, MAX_PARTIES, TimeInput, VisitState};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::http::visits::{
    BookVisit, JobAnswer, MessageAnswer, PartyAnswer, PartyBody, RescheduleVisit, Visit, VisitPage,
};
use crate::keys::Caller;
use crate::visits::VisitListing;

/// The booking form's fields that are not a person's, as the API's errors name them.
const BOOK_FIELDS: &[&str] = &["start", "end", "timeZone", "reminders", "notes"];
/// What a person is asked, by the API's name, with the label and input type the form gives.
const PARTY_FIELDS: &[(&str, &str, &str)] = &[
    ("name", "Name", "text"),
    ("phone", "Phone (E.164)", "tel"),
    ("email", "Email", "email"),
    ("language", "Language", "text"),
];
/// The move form's fields.
const MOVE_FIELDS: &[&str] = &["start", "end", "timeZone"];
/// Visits a page of the list shows.
const PAGE: u32 = 20;

/// Times of a visit as the people at it read them: in its zone (UTC when it has none).
struct Clockface {
    zone: TimeZone,
    name: String,
}

impl Clockface {
    fn of(zone: Option<&str>) -> Self {
        match zone.and_then(|name| TimeZone::get(name).ok().map(|tz| (name, tz))) {
            Some((name, zone)) => Self {
                zone,
                name: name.to_owned(),
            },
            None => Self {
                zone: TimeZone::UTC,
                name: "UTC".to_owned(),
            },
        }
    }

    fn zoned(&self, utc: &str) -> Option<jiff::Zoned> {
        let at = utc.parse::<Timestamp>().ok()?;
        Some(at.to_zoned(self.zone.clone()))
    }

    /// `utc` (RFC 3339) as a `<time>` showing the wall time here.
    fn when(&self, utc: &str) -> Markup {
        let text = self.zoned(utc).map_or_else(
            || utc.to_owned(),
            |at| at.strftime("%a %-d %b %Y, %H:%M").to_string(),
        );
        html! { time datetime=(utc) { (text) } }
    }

    /// `utc` as a table's cell shows it: without the weekday.
    fn brief(&self, utc: &str) -> Markup {
        let text = self.zoned(utc).map_or_else(
            || utc.to_owned(),
            |at| at.strftime("%-d %b %Y, %H:%M").to_string(),
        );
        html! { time datetime=(utc) { (text) } }
    }

    /// From `start` to `end`, the end's date left out when it is the start's.
    fn span(&self, start: &str, end: &str) -> Markup {
        let same_day = match (self.zoned(start), self.zoned(end)) {
            (Some(start), Some(end)) => start.date() == end.date(),
            _ => false,
        };
        let end_text = match self.zoned(end) {
            Some(at) if same_day => at.strftime("%H:%M").to_string(),
            Some(at) => at.strftime("%a %-d %b %Y, %H:%M").to_string(),
            None => end.to_owned(),
        };
        html! { (self.when(start)) "–" time datetime=(end) { (end_text) } }
    }

    /// `utc` as a `datetime-local` input takes it: a wall time here.
    fn typed(&self, utc: &str) -> String {
        self.zoned(utc)
            .map_or_else(String::new, |at| at.strftime("%Y-%m-%dT%H:%M").to_string())
    }
}

/// A visit's state as a badge.
fn state_badge(state: &str) -> Markup {
    let class = match state {
        "scheduled" => "pending",
        "ready" | "in_progress" => "valid",
        "cancelled" => "expired",
        _ => "over",
    };
    html! { span.state .(class) { (state.replace('_', " ")) } }
}

fn is_over(visit: &Visit) -> bool {
    visit
        .state
        .parse::<VisitState>()
        .is_ok_and(VisitState::is_over)
}

/// How many rows of people of `list` (`hosts`, `guests`) a filled form has: one past the
/// highest numbered, at least one.
fn party_rows(form: &FormValues, list: &str) -> usize {
    let prefix = format!("{list}[");
    form.values
        .keys()
        .filter_map(|key| key.strip_prefix(&prefix)?.split_once(']')?.0.parse().ok())
        .map(|index: usize| index + 1)
        .max()
        .unwrap_or(1)
        .clamp(1, MAX_PARTIES)
}

/// The booking form: when, the time zone, a host, guests (a row more at a click), reminders,
/// notes; each field with the error it last had.
pub(super) fn visit_form(form: &FormValues, errors: &Errors) -> Markup {
    let guests = party_rows(form, "guests");
    let local_time = |id: &str, label: &str| {
        field(id, label, None, errors.of(id), |aria| {
            html! {
                input id=(id) name=(id) type="datetime-local" required value=(form.get(id))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }
        })
    };
    let default_reminders = DEFAULT_REMINDERS.join(", ");
    html! {
        form #visit-form method="post" action="/console/f/visits" data-target="new-visit" {
            @if let Some(general) = &errors.general {
                p.alert role="alert" { (general) }
            } @else if !errors.is_empty() {
                p.alert role="alert" { "Some fields need attention; each says what is wrong." }
            }
            div.row {
                (local_time("start", "Starts"))
                (local_time("end", "Ends"))
            }
            (field("timeZone", "Time zone", Some("An IANA name such as Europe/Berlin: the start and end are wall times there, and reminders are counted there. Your browser's unless you change it."), errors.of("timeZone"), |aria| html! {
                input #timeZone name="timeZone" type="text" required autocomplete="off" spellcheck="false"
                    value=(form.get("timeZone")) data-browser-zone
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }))
            p.hint { "All of a person's details are optional: a guest with a phone is texted the reminders, and anyone with an email address is sent the invitation." }
            (party_fieldset(form, errors, "hosts", 0, "Host"))
            div #guest-rows {
                @for index in 0..guests { (party_fieldset(form, errors, "guests", index, "Guest")) }
            }
            p {
                button.secondary type="button" data-add-row="guest-rows" data-max=(MAX_PARTIES)
                    disabled[guests >= MAX_PARTIES] { "Add a guest" }
            }
            (field("reminders", "Reminders", Some("ISO 8601 offsets before the start, separated by commas: -PT15M is 15 minutes before, -P1D the day before (at most 5; empty for none)."), errors.of("reminders"), |aria| html! {
                input #reminders name="reminders" type="text" autocomplete="off" spellcheck="false"
                    value=(form.or("reminders", &default_reminders))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }))
            (field("notes", "Notes (optional)", Some("Kept with the visit for you; never put in a message."), errors.of("notes"), |aria| html! {
                textarea #notes name="notes" rows="3" maxlength="2000"
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] { (form.get("notes")) }
            }))
            button type="submit" { "Book visit" }
        }
    }
}

/// One person's row: `list[index].name` and the rest, as the API names them (and its errors).
fn party_fieldset(
    form: &FormValues,
    errors: &Errors,
    list: &str,
    index: usize,
    label: &str,
) -> Markup {
    let number = (list == "guests").then_some(index + 1);
    html! {
        fieldset.party data-index=(index) data-label=(label) {
            legend { (label) @if let Some(number) = number { " " (number) } }
            div.row {
                @for (part, text, kind) in PARTY_FIELDS {
                    @let name = format!("{list}[{index}].{part}");
                    @let id = format!("{list}-{index}-{part}");
                    (field(&id, *text, None, errors.of(&name), |aria| html! {
                        input id=(id) name=(name) type=(kind) autocomplete="off" value=(form.get(&name))
                            pattern=[(*kind == "tel").then_some(PHONE_PATTERN)]
                            aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
                    }))
                }
            }
        }
    }
}

/// The API request a filled form stands for, and the form's row of each guest it sends: a
/// guest row after the first is left out when it is empty.
fn book_request(form: &FormValues) -> (BookVisit, Vec<usize>) {
    let text = |name: &str| Some(form.get(name).trim().to_owned()).filter(|t| !t.is_empty());
    let party = |list: &str, index: usize| PartyBody {
        name: text(&format!("{list}[{index}].name")),
        phone: text(&format!("{list}[{index}].phone")),
        email: text(&format!("{list}[{index}].email")),
        language: text(&format!("{list}[{index}].language")),
    };
    let is_empty = |p: &PartyBody| {
        p.name.is_none() && p.phone.is_none() && p.email.is_none() && p.language.is_none()
    };
    let rows: Vec<usize> = (0..party_rows(form, "guests"))
        .filter(|&index| index == 0 || !is_empty(&party("guests", index)))
        .collect();
    // Absent, the API's default; typed empty, none.
    let reminders = form.values.get("reminders").map(|typed| {
        typed
            .split(',')
            .map(str::trim)
            .filter(|offset| !offset.is_empty())
            .map(str::to_owned)
            .collect()
    });
    let request = BookVisit {
        start: text("start").map(TimeInput::Text),
        end: text("end").map(TimeInput::Text),
        time_zone: text("timeZone"),
        hosts: vec![party("hosts", 0)],
        guests: rows.iter().map(|&index| party("guests", index)).collect(),
        reminders,
        vertical: None,
        notes: Some(form.get("notes").to_owned()).filter(|n| !n.trim().is_empty()),
    };
    (request, rows)
}

/// `error` with each guest named by the form's row rather than by the request's place
/// (`guests[1]` is the form's third row when its second was empty).
fn by_form_row(mut error: ApiError, rows: &[usize]) -> ApiError {
    let renumber = |field: &mut String| {
        let row = field
            .strip_prefix("guests[")
            .and_then(|rest| rest.split_once(']'))
            .and_then(|(index, tail)| Some((*rows.get(index.parse::<usize>().ok()?)?, tail)));
        if let Some((row, tail)) = row {
            *field = format!("guests[{row}]{tail}");
        }
    };
    for detail in &mut error.details {
        renumber(&mut detail.field);
    }
    if let Some(field) = &mut error.field {
        renumber(field);
    }
    error
}

/// Every field the filled form shows, by the API's names.
fn shown_fields(form: &FormValues) -> Vec<String> {
    let people =
        std::iter::once(("hosts", 0)).chain((0..party_rows(form, "guests")).map(|i| ("guests", i)));
    let mut shown: Vec<String> = BOOK_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    for (list, index) in people {
        for (part, ..) in PARTY_FIELDS {
            shown.push(format!("{list}[{index}].{part}"));
        }
    }
    shown
}

pub(super) async fn book(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    let (request, rows) = book_request(&form);
    match state.visits.book(&caller, request.into()).await {
        Ok(view) => {
            let visit = Visit::from(view);
            let clock = Clockface::of(visit.time_zone.as_deref());
            // The next booking starts afresh, in the same zone with the same reminders.
            let mut next = FormValues::default();
            for kept in ["timeZone", "reminders"] {
                next.values
                    .insert(kept.to_owned(), form.get(kept).to_owned());
            }
            markup(
                StatusCode::CREATED,
                html! {
                    (visit_form(&next, &Errors::default()))
                    section #booked aria-labelledby="booked-title" data-refresh="visits" {
                        h2 #booked-title tabindex="-1" data-focus { "Visit booked" }
                        p { (clock.span(&visit.start, &visit.end)) " (" (clock.name) ")." }
                        p { a href={ "/visits/" (segment(&visit.id)) } { "Open this visit" } }
                    }
                },
            )
        }
        Err(error) => {
            let error = by_form_row(ApiError::from(error), &rows);
            let status = error.status;
            let shown = shown_fields(&form);
            let shown: Vec<&str> = shown.iter().map(String::as_str).collect();
            markup(status, visit_form(&form, &Errors::from_api(error, &shown)))
        }
    }
}

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let wanted = params.get("state").cloned().filter(|s| !s.is_empty());
    let listing = VisitListing {
        limit: Some(PAGE),
        cursor: params.get("cursor").cloned().filter(|c| !c.is_empty()),
        state: wanted.clone(),
    };
    match state.visits.list(&caller, listing).await {
        Ok(page) => markup(
            StatusCode::OK,
            visit_table(&VisitPage::from(page), wanted.as_deref()),
        ),
        Err(error) => error_fragment(ApiError::from(error)),
    }
}

fn visit_table(page: &VisitPage, wanted: Option<&str>) -> Markup {
    html! {
        @if page.items.is_empty() {
            p { "No visits" @if let Some(state) = wanted { " that are " (state.replace('_', " ")) } "." }
        } @else {
            table {
                caption { "By start, each in its own time zone" }
                thead { tr { th scope="col" { "When" } th scope="col" { "Time zone" } th scope="col" { "State" } th scope="col" { "People" } } }
                tbody {
                    @for item in &page.items {
                        @let clock = Clockface::of(item.time_zone.as_deref());
                        tr {
                            th scope="row" { a href={ "/visits/" (segment(&item.id)) } { (clock.span(&item.start, &item.end)) } }
                            td.zone { (clock.name) }
                            td { (state_badge(&item.state)) }
                            td { (count(item.hosts, "host")) ", " (count(item.guests, "guest")) }
                        }
                    }
                }
            }
        }
        @if let Some(cursor) = &page.next_cursor {
            @let mut next = url::form_urlencoded::Serializer::new(String::new());
            @let _ = next.append_pair("cursor", cursor);
            @if let Some(state) = wanted { @let _ = next.append_pair("state", state); }
            p { a rel="next" href={ "/visits?" (next.finish()) } { "Later visits" } }
        }
    }
}

/// `n` things, in words: `1 host`, `2 guests`.
fn count(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

/// What the visit's page says above it, after an action.
enum Said {
    Nothing,
    Done(String),
    Refused(String),
    /// The move was refused: its form as typed, each error by its field.
    MoveRefused {
        form: FormValues,
        errors: Errors,
    },
}

pub(super) async fn show(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    visit_fragment(&state, &caller, &id, Said::Nothing, StatusCode::OK).await
}

/// The visit as it is now, under what the last action `said`.
async fn visit_fragment(
    state: &AppState,
    caller: &Caller,
    id: &str,
    said: Said,
    status: StatusCode,
) -> Response {
    match state.visits.get(caller, id).await {
        Ok(view) => markup(status, visit_page(&Visit::from(view), &said)),
        Err(error) => error_fragment(ApiError::from(error)),
    }
}

pub(super) async fn move_visit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    let text = |name: &str| Some(form.get(name).trim().to_owned()).filter(|t| !t.is_empty());
    let request = RescheduleVisit {
        start: text("start").map(TimeInput::Text),
        end: text("end").map(TimeInput::Text),
        time_zone: text("timeZone"),
        reminders: None,
    };
    let before = form.get("sequence").parse::<i64>().ok();
    match state.visits.reschedule(&caller, &id, request.into()).await {
        Ok(view) => {
            let visit = Visit::from(view);
            let said = if before == Some(visit.sequence) {
                format!(
                    "Nothing changed: the visit already has this time (sequence {}).",
                    visit.sequence
                )
            } else {
                format!(
                    "Moved: this is now sequence {} of the visit.",
                    visit.sequence
                )
            };
            markup(StatusCode::OK, visit_page(&visit, &Said::Done(said)))
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let said = if status == StatusCode::UNPROCESSABLE_ENTITY {
                let errors = Errors::from_api(error, MOVE_FIELDS);
                Said::MoveRefused { form, errors }
            } else {
                Said::Refused(error.message)
            };
            visit_fragment(&state, &caller, &id, said, status).await
        }
    }
}

pub(super) async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    match state.visits.cancel(&caller, &id).await {
        Ok(view) => {
            let said = Said::Done(
                "Cancelled: its reminders will not be sent, and its links no longer open."
                    .to_owned(),
            );
            markup(StatusCode::OK, visit_page(&Visit::from(view), &said))
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            visit_fragment(&state, &caller, &id, Said::Refused(error.message), status).await
        }
    }
}

/// One visit, whole: when and its state, what it has been through, its people with their
/// links, its reminders, jobs and messages, and (unless it is over) Move and Cancel.
fn visit_page(visit: &Visit, said: &Said) -> Markup {
    let clock = Clockface::of(visit.time_zone.as_deref());
    html! {
        h2 { (clock.span(&visit.start, &visit.end)) }
        @match said {
            Said::Done(message) => p.notice role="status" tabindex="-1" data-focus { (message) },
            Said::Refused(message) => p.alert role="alert" tabindex="-1" data-focus { (message) },
            Said::Nothing | Said::MoveRefused { .. } => {},
        }
        (visit_summary(visit, &clock))
        (visit_people(visit, &clock))
        (visit_reminders(visit, &clock))
        (visit_jobs(&visit.jobs, &clock))
        (visit_messages(&visit.messages, &clock))
        @if !is_over(visit) { (visit_actions(visit, &clock, said)) }
    }
}

fn visit_summary(visit: &Visit, clock: &Clockface) -> Markup {
    let states = [
        ("Booked", Some(&visit.booked_at)),
        ("Links made", visit.ready_at.as_ref()),
        ("Started", visit.started_at.as_ref()),
        ("Ended", visit.ended_at.as_ref()),
        ("Cancelled", visit.cancelled_at.as_ref()),
        ("Nobody came", visit.no_show_at.as_ref()),
    ];
    html! {
        dl.facts #visit-facts {
            div { dt { "State" } dd data-state=(visit.state) { (state_badge(&visit.state)) } }
            div { dt { "Time zone" } dd { (clock.name) " (every time on this page)" } }
            div { dt { "Sequence" } dd data-sequence { (visit.sequence) } }
            div { dt { "Join pages" } dd { (visit.vertical) } }
            div {
                dt { "Links" }
                dd {
                    "made " (clock.when(&visit.links.made_at)) "; they work from "
                    (clock.when(&visit.links.not_before)) " until " (clock.when(&visit.links.expires_at))
                }
            }
            @if let Some(chat_id) = &visit.chat_id {
                div { dt { "Meeting" } dd { a href={ "/meetings/" (segment(chat_id)) } { (chat_id) } } }
            }
            @if let Some(notes) = &visit.notes { div { dt { "Notes" } dd.notes { (notes) } } }
            @for (label, at) in states {
                @if let Some(at) = at { div { dt { (label) } dd { (clock.when(at)) } } }
            }
        }
    }
}

fn visit_people(visit: &Visit, clock: &Clockface) -> Markup {
    html! {
        section aria-labelledby="people-title" {
            h3 #people-title { "People" }
            div.links {
                @for (index, host) in visit.hosts.iter().enumerate() {
                    (person_card(host, "Host", index + 1, clock, &visit.links.made_at))
                }
                @for (index, guest) in visit.guests.iter().enumerate() {
                    (person_card(guest, "Guest", index + 1, clock, &visit.links.made_at))
                }
            }
        }
    }
}

/// A person: who they are and how they are reached, and their link once made.
fn person_card(
    person: &PartyAnswer,
    role: &str,
    number: usize,
    clock: &Clockface,
    made_at: &str,
) -> Markup {
    let lower = role.to_ascii_lowercase();
    let id = format!("{lower}-{number}");
    let which = format!("{lower} link {number}");
    let details = [
        ("Phone", &person.party.phone),
        ("Email", &person.party.email),
        ("Language", &person.party.language),
    ];
    html! {
        article.link data-role=(lower) aria-labelledby={ (id) "-title" } {
            h4 id={ (id) "-title" } {
                (role) " " (number) @if let Some(name) = &person.party.name { ": " (name) }
                @if let Some(link) = &person.link { " " (link_state(link)) }
            }
            dl.facts {
                @for (label, value) in details {
                    @if let Some(value) = value { div { dt { (label) } dd { (value) } } }
                }
            }
            @match &person.link {
                Some(link) => (link_body(link, &id, &which)),
                None => p.hint { "Their link is made " (clock.when(made_at)) "." },
            }
        }
    }
}

fn visit_reminders(visit: &Visit, clock: &Clockface) -> Markup {
    html! {
        section aria-labelledby="reminders-title" {
            h3 #reminders-title { "Reminders" }
            @if visit.reminders.is_empty() {
                p { "None." }
            } @else {
                table {
                    thead { tr { th scope="col" { "Before the start" } th scope="col" { "Due" } } }
                    tbody {
                        @for reminder in &visit.reminders {
                            tr { th scope="row" { code { (reminder.offset) } } td { (clock.brief(&reminder.due_at)) } }
                        }
                    }
                }
            }
        }
    }
}

fn visit_jobs(jobs: &[JobAnswer], clock: &Clockface) -> Markup {
    html! {
        section aria-labelledby="jobs-title" {
            h3 #jobs-title { "Jobs" }
            table #jobs {
                thead { tr { th scope="col" { "Kind" } th scope="col" { "Due" } th scope="col" { "State" } th scope="col" { "Attempts" } th scope="col" { "Last error" } } }
                tbody {
                    @for job in jobs {
                        tr data-kind=(job.kind) data-job-state=(job.state) {
                            th scope="row" { (job.kind) @if let Some(detail) = &job.detail { " " code { (detail) } } }
                            td { (clock.brief(&job.due_at)) }
                            td { (job.state) }
                            td { (job.attempts) }
                            td { @if let Some(error) = &job.last_error { (error) } }
                        }
                    }
                }
            }
        }
    }
}

fn visit_messages(messages: &[MessageAnswer], clock: &Clockface) -> Markup {
    html! {
        section aria-labelledby="messages-title" {
            h3 #messages-title { "Messages" }
            @if messages.is_empty() {
                p { "None yet." }
            } @else {
                table #messages {
                    thead { tr { th scope="col" { "Message, when" } th scope="col" { "To" } th scope="col" { "Outcome" } } }
                    tbody {
                        @for message in messages {
                            tr data-channel=(message.channel) data-outcome=(message.outcome) {
                                th scope="row" { (message.channel) " " (message.kind) span.when { (clock.brief(&message.at)) } }
                                td { (breakable_address(&message.recipient)) }
                                td { (message.outcome) @if let Some(detail) = &message.detail { span.detail { (detail) } } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// An address that wraps after its `@` rather than anywhere.
fn breakable_address(address: &str) -> Markup {
    match address.split_once('@') {
        Some((user, domain)) => html! { (user) "@" wbr; (domain) },
        None => html! { (address) },
    }
}

/// Move (a new start, end or zone) and Cancel, behind a second click.
fn visit_actions(visit: &Visit, clock: &Clockface, said: &Said) -> Markup {
    let base = format!("/console/f/visits/{}", segment(&visit.id));
    let shown = FormValues {
        values: HashMap::from([
            ("start".to_owned(), clock.typed(&visit.start)),
            ("end".to_owned(), clock.typed(&visit.end)),
            ("timeZone".to_owned(), clock.name.clone()),
        ]),
    };
    let none = Errors::default();
    let (form, errors) = match said {
        Said::MoveRefused { form, errors } => (form, errors),
        _ => (&shown, &none),
    };
    let input = |name: &str, label: &str, kind: &str| {
        let id = format!("move-{name}");
        field(&id, label, None, errors.of(name), |aria| {
            html! {
                input id=(id) name=(name) type=(kind) required value=(form.get(name))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }
        })
    };
    html! {
        div.actions {
            form #move-form method="post" action={ (base) "/move" } data-target="visit" {
                h3 { "Move" }
                @if let Some(general) = &errors.general { p.alert role="alert" { (general) } }
                input type="hidden" name="sequence" value=(visit.sequence);
                div.row {
                    (input("start", "New start", "datetime-local"))
                    (input("end", "New end", "datetime-local"))
                }
                (input("timeZone", "Time zone", "text"))
                button type="submit" { "Move visit" }
            }
            section aria-labelledby="cancel-title" {
                h3 #cancel-title { "Cancel" }
                details.confirm {
                    summary { "Cancel this visit…" }
                    form #cancel-form method="post" action={ (base) "/cancel" } data-target="visit" {
                        p { "Its reminders are not sent, and everyone with an email address is told. Its links stop opening." }
                        button.danger type="submit" { "Yes, cancel the visit" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_the_visits_zone_and_back() {
        let berlin = Clockface::of(Some("Europe/Berlin"));
        assert_eq!(berlin.typed("2030-07-01T07:30:00Z"), "2030-07-01T09:30");
        let span = berlin
            .span("2030-07-01T07:30:00Z", "2030-07-01T08:00:00Z")
            .into_string();
        assert!(
            span.contains(">Mon 1 Jul 2030, 09:30</time>–<time"),
            "{span}"
        );
        assert!(span.ends_with(">10:00</time>"), "{span}");
        let utc = Clockface::of(None);
        assert_eq!(utc.name, "UTC");
        assert_eq!(utc.typed("2030-07-01T07:30:00Z"), "2030-07-01T07:30");
    }

    #[test]
    fn a_guest_is_named_by_the_forms_row() {
        let form = FormValues::parse(
            b"guests%5B0%5D.name=A&guests%5B1%5D.name=&guests%5B2%5D.phone=555&reminders=-PT1H,+-P1D",
        );
        let (request, rows) = book_request(&form);
        assert_eq!(rows, [0, 2]);
        assert_eq!(request.guests.len(), 2);
        assert_eq!(request.reminders, Some(vec!["-PT1H".into(), "-P1D".into()]));
        let error = ApiError::invalid(&[instant_connect::FieldError::new(
            "guests[1].phone".to_owned(),
            "must be E.164".to_owned(),
        )]);
        let error = by_form_row(error, &rows);
        assert_eq!(error.details[0].field, "guests[2].phone");
        assert_eq!(error.field.as_deref(), Some("guests[2].phone"));
    }
}
