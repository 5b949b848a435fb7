//! The console's meetings: the new-meeting form, the list, one meeting with its links (QR
//! codes, expiry), and its two actions (add a guest, send an SMS invite). Each calls the same
//! operation as the API.

use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use std::collections::HashMap;

use super::layout::{
    Errors, FormValues, PHONE_PATTERN, breakable, error_fragment, field, markup, segment,
};
use crate::domain::{Role, TimeInput};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::http::types::{
    AddLinks, AddedLinks, CreateMeeting, IssuedLink, LinkState, ListMeetings, Meeting, MeetingPage,
};
use crate::keys::Caller;

/// Validity presets of a new meeting, in seconds, as the form offers them.
const VALIDITY_PRESETS: &[(&str, &str)] = &[
    ("900", "15 minutes"),
    ("3600", "1 hour"),
    ("14400", "4 hours"),
    ("86400", "1 day"),
    ("custom", "Custom: from / until"),
];
/// The preset a new meeting starts with, and its join pages.
const DEFAULT_VALIDITY: &str = "900";
const DEFAULT_VERTICAL: &str = "hc";

/// The new-meeting form's fields, as named in the API's errors.
const MEETING_FIELDS: &[&str] = &[
    "chatId",
    "hosts",
    "guests",
    "validity",
    "notBefore",
    "expiresAt",
    "vertical",
    "hostLogin",
];

pub(super) fn meeting_form(form: &FormValues, errors: &Errors) -> Markup {
    let validity = form.or("validity", DEFAULT_VALIDITY);
    let max = instant_connect::MAX_LINKS_PER_REQUEST.to_string();
    let count = |id: &str, label: &str| {
        field(id, label, None, errors.of(id), |aria| {
            html! {
                input id=(id) name=(id) type="number" min="0" max=(max) required value=(form.or(id, "1"))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }
        })
    };
    let local_time = |id: &str, label: &str| {
        field(id, label, None, errors.of(id), |aria| {
            html! {
                input id=(id) name=(id) type="datetime-local" value=(form.get(id))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }
        })
    };
    html! {
        form #meeting-form method="post" action="/console/f/meetings" data-target="new-meeting" {
            @if let Some(general) = &errors.general {
                p.alert role="alert" { (general) }
            } @else if !errors.is_empty() {
                p.alert role="alert" { "Some fields need attention; each says what is wrong." }
            }
            (field("chatId", "Chat id (optional)", None, errors.of("chatId"), |aria| html! {
                input #chatId name="chatId" type="text" maxlength="256" value=(form.get("chatId"))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }))
            div.row {
                (count("hosts", "Hosts"))
                (count("guests", "Guests"))
            }
            (field("validity", "Valid for", None, errors.of("validity"), |aria| html! {
                select #validity name="validity" aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] {
                    @for (value, label) in VALIDITY_PRESETS {
                        option value=(value) selected[*value == validity] { (label) }
                    }
                }
            }))
            div.row.custom-validity {
                (local_time("notBefore", "From (your local time, optional)"))
                (local_time("expiresAt", "Until (your local time)"))
            }
            // The browser names its own IANA zone here: the times above are wall times in it.
            input type="hidden" name="timeZone" data-time-zone;
            (field("vertical", "Join pages", None, errors.of("vertical"), |aria| html! {
                select #vertical name="vertical" aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] {
                    @for (value, label) in [("hc", "Healthcare (hc)"), ("gen", "General (gen)"), ("cc", "Contact center (cc)")] {
                        option value=(value) selected[form.or("vertical", DEFAULT_VERTICAL) == value] { (label) }
                    }
                }
            }))
            div.field.check {
                // On by default, as the API's default: a host link should not let anyone in as host.
                input #hostLogin name="hostLogin" type="checkbox" value="true"
                    checked[form.values.is_empty() || form.get("hostLogin") == "true"];
                label for="hostLogin" { "Hosts sign in to join" }
            }
            button type="submit" { "Create links" }
        }
    }
}

/// The API request a filled form stands for, or the fields that cannot be read.
fn create_request(form: &FormValues) -> Result<CreateMeeting, Errors> {
    let count = |name: &str| -> Result<Option<i64>, Errors> {
        match form.get(name).trim() {
            "" => Ok(None),
            text => text
                .parse()
                .map(Some)
                .map_err(|_| Errors::one(name, "must be a whole number from 0 to 25")),
        }
    };
    let mut request = CreateMeeting {
        chat_id: Some(form.get("chatId").trim().to_owned()).filter(|c| !c.is_empty()),
        hosts: count("hosts")?,
        guests: count("guests")?,
        vertical: Some(form.or("vertical", DEFAULT_VERTICAL).to_owned()),
        host_login: Some(form.get("hostLogin") == "true"),
        ..CreateMeeting::default()
    };
    match form.or("validity", DEFAULT_VALIDITY) {
        "custom" => {
            for (name, slot) in [
                ("notBefore", &mut request.not_before),
                ("expiresAt", &mut request.expires_at),
            ] {
                if form.get(name).trim().is_empty() {
                    continue;
                }
                // As typed, a wall time in the browser's own zone: errors quote it back. The
                // form's own format is checked here, in a form's words.
                let typed = form.get(name).trim();
                if typed.parse::<jiff::civil::DateTime>().is_err() {
                    return Err(Errors::one(name, "must be a date and time"));
                }
                *slot = Some(TimeInput::Text(typed.to_owned()));
            }
            request.time_zone = Some(form.get("timeZone").to_owned()).filter(|z| !z.is_empty());
            if request.expires_at.is_none() {
                return Err(Errors::one(
                    "expiresAt",
                    "a custom validity needs the time the links stop working",
                ));
            }
        }
        preset => {
            request.ttl_seconds = Some(
                preset
                    .parse()
                    .map_err(|_| Errors::one("validity", "pick one of the offered durations"))?,
            );
        }
    }
    Ok(request)
}

pub(super) async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    let request = match create_request(&form) {
        Ok(request) => request,
        Err(errors) => {
            return markup(
                StatusCode::UNPROCESSABLE_ENTITY,
                meeting_form(&form, &errors),
            );
        }
    };
    match state.meetings.create(&caller, request.into()).await {
        Ok(meeting) => {
            let meeting = Meeting::from(meeting);
            markup(
                StatusCode::CREATED,
                html! {
                    (meeting_form(&for_the_next(form), &Errors::default()))
                    section #result aria-labelledby="result-title" {
                        h2 #result-title tabindex="-1" data-focus { "Links for " (meeting.chat_id) }
                        (meeting_links(&meeting))
                        p { a href={ "/meetings/" (segment(&meeting.chat_id)) } { "Open this meeting" } }
                    }
                },
            )
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let errors = Errors::from_api(error, MEETING_FIELDS);
            markup(status, meeting_form(&form, &errors))
        }
    }
}

/// The form for the next meeting after one was made: as the user left it (counts, validity,
/// join pages, host sign-in), but for the chat id, which is the meeting's own.
fn for_the_next(mut form: FormValues) -> FormValues {
    form.values.remove("chatId");
    form
}

/// Every link of a meeting, hosts then guests, each with its QR code and expiry.
fn meeting_links(meeting: &Meeting) -> Markup {
    html! {
        @if !meeting.warnings.is_empty() {
            div.warnings role="note" {
                h3 { "The broker noted" }
                ul { @for warning in &meeting.warnings { li { (warning) } } }
            }
        }
        div.links {
            @for (index, link) in meeting.hosts.iter().enumerate() { (link_card(link, "Host", index + 1)) }
            @for (index, link) in meeting.guests.iter().enumerate() { (link_card(link, "Guest", index + 1)) }
        }
    }
}

fn link_card(link: &IssuedLink, role: &str, number: usize) -> Markup {
    let id = format!("{}-{number}", role.to_ascii_lowercase());
    let which = format!("{} link {number}", role.to_ascii_lowercase());
    html! {
        article.link data-role=(role.to_ascii_lowercase()) aria-labelledby={ (id) "-title" } {
            h3 id={ (id) "-title" } { (role) " link " (number) " " (link_state(link)) }
            (link_body(link, &id, &which))
        }
    }
}

/// Whether a link works now, as a badge.
pub(super) fn link_state(link: &IssuedLink) -> Markup {
    let (state, state_class) = match link.state {
        LinkState::Valid => ("valid", "valid"),
        LinkState::NotYetValid => ("not yet valid", "pending"),
        LinkState::Expired => ("expired", "expired"),
        LinkState::Revoked => ("revoked", "expired"),
        LinkState::Used => ("used", "expired"),
    };
    html! { span.state .(state_class) { (state) } }
}

/// A link as a card shows it: its QR code, its URL and short code as text, Copy and Open
/// (`which` names it for a screen reader: "host link 1"), and its window with a countdown.
/// `id` is unique on the page.
pub(super) fn link_body(link: &IssuedLink, id: &str, which: &str) -> Markup {
    html! {
        div.qr role="img" aria-label={ "QR code of " (which) } {
            (qr_svg(&link.url))
        }
        // The URL as text, whole: a short link's code is its end, and stays in sight.
        p.url {
            span.label { "URL" }
            code id={ (id) "-url" } .long[link.short.is_none()] data-link-url { (breakable(&link.url)) }
        }
        // A broker's short code, for a link from before own links: an own link's URL is what
        // reaches the meeting, and revoking it is what ends it.
        @if let (Some(short), None) = (&link.short, &link.code) {
            p.short { span.label { "Short code" } code data-short { (short) } }
        }
        div.copy {
            button type="button" data-copy-from={ (id) "-url" } {
                "Copy" span.visually-hidden { " " (which) }
            }
            a.button href=(link.url) target="_blank" rel="noopener noreferrer" data-open {
                "Open" span.visually-hidden { " " (which) " in a new tab" }
            }
        }
        p.expiry {
            @if let Some(not_before) = &link.not_before {
                "From " time datetime=(not_before) data-local { (not_before) } ". "
            }
            "Expires " time datetime=(link.expires_at) data-local data-countdown { (link.expires_at) }
            " " span.countdown {}
        }
    }
}

/// The QR code of `text` as inline SVG (no XML declaration), or nothing if it cannot be made.
fn qr_svg(text: &str) -> Markup {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // The renderer's output is ours, not the user's: the URL is only encoded in the
            // modules' geometry.
            let start = svg.find("<svg").unwrap_or(0);
            PreEscaped(svg[start..].to_owned())
        }
        Err(_) => html! { p { "(too long for a QR code)" } },
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
    let prefix = params
        .get("chatIdPrefix")
        .cloned()
        .filter(|p| !p.is_empty());
    let request = ListMeetings {
        limit: Some(20),
        cursor: params.get("cursor").cloned().filter(|c| !c.is_empty()),
        chat_id_prefix: prefix.clone(),
    };
    match state.meetings.list(&caller, request.into()).await {
        Ok(page) => {
            let page = MeetingPage::from(page);
            markup(
                StatusCode::OK,
                html! {
                    @if page.items.is_empty() {
                        p { "No meetings" @if let Some(prefix) = &prefix { " whose chat id starts with “" (prefix) "”" } "." }
                    } @else {
                        table {
                            caption { "Newest first" }
                            thead { tr { th scope="col" { "Chat id" } th scope="col" { "Created" } th scope="col" { "Expires" } th scope="col" { "Hosts" } th scope="col" { "Guests" } } }
                            tbody {
                                @for item in &page.items {
                                    tr {
                                        th scope="row" { a href={ "/meetings/" (segment(&item.chat_id)) } { (item.chat_id) } }
                                        td { time datetime=(item.created_at) data-local { (item.created_at) } }
                                        td { time datetime=(item.expires_at) data-local { (item.expires_at) } }
                                        td { (item.hosts) }
                                        td { (item.guests) }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(cursor) = &page.next_cursor {
                        @let mut next = url::form_urlencoded::Serializer::new(String::new());
                        @let _ = next.append_pair("cursor", cursor);
                        @if let Some(prefix) = &prefix { @let _ = next.append_pair("chatIdPrefix", prefix); }
                        p { a rel="next" href={ "/meetings?" (next.finish()) } { "Older meetings" } }
                    }
                },
            )
        }
        Err(error) => error_fragment(ApiError::from(error)),
    }
}

pub(super) async fn show(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(chat_id): Path<String>,
) -> Response {
    meeting_fragment(&state, &caller, &chat_id, None, StatusCode::OK).await
}

/// A meeting with its links and its two forms; `notice` says what the last action did.
async fn meeting_fragment(
    state: &AppState,
    caller: &Caller,
    chat_id: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let meeting = match state.meetings.get(caller, chat_id).await {
        Ok(meeting) => Meeting::from(meeting),
        Err(error) => return error_fragment(ApiError::from(error)),
    };
    markup(
        status,
        html! {
            h2 { (meeting.chat_id) }
            p {
                "Created " time datetime=(meeting.created_at) data-local { (meeting.created_at) }
                "; links expire " time datetime=(meeting.expires_at) data-local data-countdown { (meeting.expires_at) }
                " " span.countdown {}
            }
            @match &notice {
                Some(Notice::Done(message)) => p.notice role="status" tabindex="-1" data-focus { (message) },
                _ => {}
            }
            (meeting_links(&meeting))
            (meeting_actions(chat_id, notice.as_ref()))
        },
    )
}

/// A meeting's two forms: more guests, and an SMS invite; each with the error it last had.
fn meeting_actions(chat_id: &str, notice: Option<&Notice>) -> Markup {
    let base = format!("/console/f/meetings/{}", segment(chat_id));
    let (count_error, phones_error, phones_value) = match notice {
        Some(Notice::GuestsRefused(message)) => (Some(message.as_str()), None, ""),
        Some(Notice::InviteRefused { message, phones }) => {
            (None, Some(message.as_str()), phones.as_str())
        }
        _ => (None, None, ""),
    };
    let revoke_error = match notice {
        Some(Notice::RevokeRefused(message)) => Some(message.as_str()),
        _ => None,
    };
    html! {
        div.actions {
            form method="post" action={ (base) "/guests" } data-target="meeting" {
                h3 { "Add guest" }
                (field("count", "How many", None, count_error, |aria| html! {
                    input #count name="count" type="number" min="1" max="25" value="1" required
                        aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
                }))
                button type="submit" { "Add guest" }
            }
            form method="post" action={ (base) "/invite" } data-target="meeting" {
                h3 { "Send SMS invite" }
                (field("phones", "Phone numbers (E.164, comma-separated)", None, phones_error, |aria| html! {
                    input #phones name="phones" type="tel" required pattern={ (PHONE_PATTERN) "(\\s*,\\s*" (PHONE_PATTERN) ")*" }
                        placeholder="+14155550100" value=(phones_value)
                        aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
                }))
                button type="submit" { "Send invite" }
            }
            form method="post" action={ (base) "/revoke" } data-target="meeting" {
                h3 { "Revoke links" }
                (field("scope", "Which links", Some(REVOKE_HINT), revoke_error, |aria| html! {
                    select #scope name="scope" aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] {
                        option value="" { "All links" }
                        option value="host" { "Host links" }
                        option value="guest" { "Guest links" }
                    }
                }))
                button.danger type="submit" { "Revoke" }
            }
        }
    }
}

/// What revoking does and cannot do, said where it is done.
const REVOKE_HINT: &str = "Opening a revoked link shows a page saying so. The broker's own \
                           URLs of a link still work until it expires.";

enum Notice {
    Done(String),
    GuestsRefused(String),
    InviteRefused { message: String, phones: String },
    RevokeRefused(String),
}

pub(super) async fn add_guest(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    let count = match form.get("count").trim().parse::<i64>() {
        Ok(count) => count,
        Err(_) => {
            let notice = Notice::GuestsRefused("must be a whole number from 1 to 25".into());
            return meeting_fragment(
                &state,
                &caller,
                &chat_id,
                Some(notice),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let request = AddLinks {
        count: Some(count),
        ..AddLinks::default()
    };
    match state
        .meetings
        .add_links(&caller, &chat_id, Role::Guest, request.into())
        .await
    {
        Ok(added) => {
            let added = AddedLinks::from(added);
            let notice = Notice::Done(format!(
                "Added {} guest link{}.",
                added.guests.len(),
                if added.guests.len() == 1 { "" } else { "s" }
            ));
            meeting_fragment(&state, &caller, &chat_id, Some(notice), StatusCode::OK).await
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let notice = Notice::GuestsRefused(error.message);
            meeting_fragment(&state, &caller, &chat_id, Some(notice), status).await
        }
    }
}

pub(super) async fn send_invite(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    let typed = form.get("phones").to_owned();
    let phones: Vec<String> = typed
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    match state.meetings.invite(&caller, &chat_id, phones).await {
        Ok(sent) => {
            let notice = Notice::Done(format!(
                "Invite sent to {} number{} (broker: {}).",
                sent.phones,
                if sent.phones == 1 { "" } else { "s" },
                sent.status
            ));
            meeting_fragment(&state, &caller, &chat_id, Some(notice), StatusCode::OK).await
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let notice = Notice::InviteRefused {
                message: error.message,
                phones: typed,
            };
            meeting_fragment(&state, &caller, &chat_id, Some(notice), status).await
        }
    }
}

pub(super) async fn revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    let role = Some(form.get("scope").to_owned()).filter(|role| !role.is_empty());
    let asked = crate::meetings::RevokeAsked { role, link: None };
    match state.meetings.revoke(&caller, &chat_id, asked).await {
        Ok(revoked) => {
            let notice = Notice::Done(format!(
                "Revoked {} link{}.",
                revoked.revoked,
                if revoked.revoked == 1 { "" } else { "s" }
            ));
            meeting_fragment(&state, &caller, &chat_id, Some(notice), StatusCode::OK).await
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let notice = Notice::RevokeRefused(error.message);
            meeting_fragment(&state, &caller, &chat_id, Some(notice), status).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_codes_are_inline_svg_without_a_declaration() {
        let svg = qr_svg("http://127.0.0.1:1/visit/abc").into_string();
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(
            !svg.contains("http://127.0.0.1"),
            "the URL is in the geometry only"
        );
    }
}
