//! The web console: pages for people who would rather click than curl.
//!
//! Pages (`/`, `/signin`, `/meetings`, `/meetings/{chatId}`, `/status`) are shells anyone may
//! load: server-rendered HTML (maud escapes every value), the embedded stylesheet and script,
//! nothing private. What they show comes from fragments under `/console/f/`, which the script
//! fetches with the API key kept in the tab's session storage as the bearer header: fragments
//! pass the same key check as `/v1` and call the same domain functions. A strict
//! Content-Security-Policy allows no inline script or style.
//!
//! Not here yet: the node tester (its part of the console issue comes next).

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use instant_connect::time::parse_time;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use super::AppState;
use super::error::ApiError;
use super::ops::readiness;
use crate::keys::Caller;
use crate::meetings::{
    AddLinks, CreateMeeting, Invite, IssuedLink, LinkState, ListMeetings, Meeting,
};

/// No script or style but the console's own files; nothing framed; forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

const SCRIPT: &str = include_str!("console/console.js");
const STYLE: &str = include_str!("console/console.css");

/// Validity presets of a new meeting, in seconds, as the form offers them.
const VALIDITY_PRESETS: &[(&str, &str)] = &[
    ("900", "15 minutes"),
    ("3600", "1 hour"),
    ("14400", "4 hours"),
    ("86400", "1 day"),
    ("custom", "Custom: from / until"),
];
/// E.164 numbers, separated by commas: what the invite form takes.
const PHONES_PATTERN: &str = r"\+[0-9]{8,15}(\s*,\s*\+[0-9]{8,15})*";

/// A path segment: everything but unreserved characters encoded.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'&')
    .add(b'+')
    .add(b'\'');

/// The pages, open to anyone: shells that hold no data.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(new_meeting_page))
        .route("/signin", get(signin_page))
        .route("/meetings", get(meetings_page))
        .route("/meetings/{chatId}", get(meeting_page))
        .route("/status", get(status_page))
        .route("/console/console.js", get(script))
        .route("/console/console.css", get(style))
        .layer(middleware::from_fn(secure_headers))
}

/// The fragments the pages load: behind the API key, like `/v1`.
pub fn fragments() -> Router<AppState> {
    Router::new()
        .route("/console/f/whoami", get(whoami))
        .route(
            "/console/f/meetings",
            get(list_meetings).post(create_meeting),
        )
        .route("/console/f/meetings/{chatId}", get(show_meeting))
        .route(
            "/console/f/meetings/{chatId}/guests",
            axum::routing::post(add_guest),
        )
        .route(
            "/console/f/meetings/{chatId}/invite",
            axum::routing::post(send_invite),
        )
        .route("/console/f/status", get(status))
        .layer(middleware::from_fn(secure_headers))
}

/// Every console answer: the CSP, no sniffing, no referrer, and fragments never cached.
async fn secure_headers(request: Request, next: Next) -> Response {
    let fragment = request.uri().path().starts_with("/console/f/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if fragment {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Nav {
    SignIn,
    NewMeeting,
    Meetings,
    Status,
}

/// A whole page: the navigation, a heading and `body`.
fn page(title: &str, current: Nav, body: Markup) -> Markup {
    let item = |nav: Nav, href: &str, label: &str| {
        html! { li { a href=(href) aria-current=[(nav == current).then_some("page")] { (label) } } }
    };
    let page_name = match current {
        Nav::SignIn => "signin",
        Nav::NewMeeting => "new-meeting",
        Nav::Meetings => "meetings",
        Nav::Status => "status",
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · icnode" }
                link rel="stylesheet" href="/console/console.css";
                script src="/console/console.js" defer {}
            }
            body data-page=(page_name) {
                a.skip href="#main" { "Skip to content" }
                header {
                    span.brand { "icnode" }
                    @if current != Nav::SignIn {
                        nav aria-label="Console" {
                            ul {
                                (item(Nav::NewMeeting, "/", "New meeting"))
                                (item(Nav::Meetings, "/meetings", "Meetings"))
                                (item(Nav::Status, "/status", "Status"))
                            }
                        }
                        button #signout type="button" { "Sign out" }
                    }
                }
                main #main tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// An answer a page or a fragment gives: HTML with a status.
fn markup(status: StatusCode, body: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body.into_string(),
    )
        .into_response()
}

async fn signin_page(RawQuery(query): RawQuery) -> Response {
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

async fn new_meeting_page() -> Response {
    markup(
        StatusCode::OK,
        page(
            "New meeting",
            Nav::NewMeeting,
            html! { div #new-meeting { (meeting_form(&MeetingForm::default(), &Errors::default())) } },
        ),
    )
}

async fn meetings_page() -> Response {
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
                div #meetings data-load="/console/f/meetings" data-query aria-live="polite" { p { "Loading…" } }
            },
        ),
    )
}

async fn meeting_page(Path(chat_id): Path<String>) -> Response {
    let fragment = format!("/console/f/meetings/{}", segment(&chat_id));
    markup(
        StatusCode::OK,
        page(
            "Meeting",
            Nav::Meetings,
            html! { div #meeting data-load=(fragment) aria-live="polite" { p { "Loading…" } } },
        ),
    )
}

async fn status_page() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Status",
            Nav::Status,
            html! { div #status data-load="/console/f/status" aria-live="polite" { p { "Loading…" } } },
        ),
    )
}

fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The fields at fault, by form field name, and what is wrong with the request as a whole.
#[derive(Default)]
struct Errors {
    fields: HashMap<String, String>,
    general: Option<String>,
}

impl Errors {
    /// An API error placed by field: the console's inputs carry the API's field names, except
    /// the validity preset, which stands for `ttlSeconds`.
    fn from_api(error: ApiError) -> Self {
        let mut fields = HashMap::new();
        let place = |field: &str| match field {
            "ttlSeconds" => "validity".to_owned(),
            other => other.to_owned(),
        };
        for detail in &error.details {
            fields.insert(place(&detail.field), detail.rule.clone());
        }
        let general = match &error.field {
            Some(field) if error.details.is_empty() => {
                fields.insert(place(field), error.message.clone());
                None
            }
            Some(_) => None,
            None => Some(error.message.clone()),
        };
        Self { fields, general }
    }

    fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.fields.insert(field.to_owned(), message.into());
        errors
    }

    fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }
}

/// What the new-meeting form holds, as typed.
#[derive(Default)]
struct MeetingForm {
    values: HashMap<String, String>,
}

impl MeetingForm {
    fn parse(body: &[u8]) -> Self {
        Self {
            values: url::form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    fn or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.values.get(name).map_or(default, String::as_str)
    }
}

/// A labelled input with its error beside it.
fn field(name: &str, label: &str, errors: &Errors, input: Markup) -> Markup {
    let error = errors.fields.get(name);
    html! {
        div.field .invalid[error.is_some()] {
            label for=(name) { (label) }
            (input)
            p id={ (name) "-error" } .error { @if let Some(error) = error { (error) } }
        }
    }
}

fn meeting_form(form: &MeetingForm, errors: &Errors) -> Markup {
    let invalid = |name: &str| errors.fields.contains_key(name).then_some("true");
    let described = |name: &str| format!("{name}-error");
    let validity = form.or("validity", "900");
    html! {
        form #meeting-form method="post" action="/console/f/meetings" data-target="new-meeting" novalidate[false] {
            @if let Some(general) = &errors.general {
                p.alert role="alert" { (general) }
            } @else if !errors.is_empty() {
                p.alert role="alert" { "Some fields need attention; each says what is wrong." }
            }
            (field("chatId", "Chat id (optional)", errors, html! {
                input #chatId name="chatId" type="text" maxlength="256" value=(form.get("chatId"))
                    aria-describedby=(described("chatId")) aria-invalid=[invalid("chatId")];
            }))
            div.row {
                (field("hosts", "Hosts", errors, html! {
                    input #hosts name="hosts" type="number" min="0" max="25" required value=(form.or("hosts", "1"))
                        aria-describedby=(described("hosts")) aria-invalid=[invalid("hosts")];
                }))
                (field("guests", "Guests", errors, html! {
                    input #guests name="guests" type="number" min="0" max="25" required value=(form.or("guests", "1"))
                        aria-describedby=(described("guests")) aria-invalid=[invalid("guests")];
                }))
            }
            (field("validity", "Valid for", errors, html! {
                select #validity name="validity" aria-describedby=(described("validity")) aria-invalid=[invalid("validity")] {
                    @for (value, label) in VALIDITY_PRESETS {
                        option value=(value) selected[*value == validity] { (label) }
                    }
                }
            }))
            div.row.custom-validity {
                (field("notBefore", "From (your local time, optional)", errors, html! {
                    input #notBefore name="notBefore" type="datetime-local" value=(form.get("notBefore"))
                        aria-describedby=(described("notBefore")) aria-invalid=[invalid("notBefore")];
                }))
                (field("expiresAt", "Until (your local time)", errors, html! {
                    input #expiresAt name="expiresAt" type="datetime-local" value=(form.get("expiresAt"))
                        aria-describedby=(described("expiresAt")) aria-invalid=[invalid("expiresAt")];
                }))
            }
            input type="hidden" name="utcOffsetMinutes" value=(form.get("utcOffsetMinutes")) data-utc-offset;
            (field("vertical", "Join pages", errors, html! {
                select #vertical name="vertical" aria-describedby=(described("vertical")) aria-invalid=[invalid("vertical")] {
                    @for (value, label) in [("hc", "Healthcare (hc)"), ("gen", "General (gen)"), ("cc", "Contact center (cc)")] {
                        option value=(value) selected[form.or("vertical", "hc") == value] { (label) }
                    }
                }
            }))
            div.field.check {
                input #hostLogin name="hostLogin" type="checkbox" value="true" checked[form.get("hostLogin") == "true"];
                label for="hostLogin" { "Hosts sign in to join" }
            }
            button type="submit" { "Create links" }
        }
    }
}

/// A time the form gave in the viewer's local time (`2026-12-01T09:00`), as Unix seconds;
/// `utc_offset_minutes` is the browser's `getTimezoneOffset()` (UTC minus local: 300 in UTC-5).
fn local_time(text: &str, utc_offset_minutes: i64) -> Option<i64> {
    let with_seconds = if text.len() == 16 {
        format!("{text}:00Z")
    } else {
        format!("{text}Z")
    };
    parse_time(&with_seconds)
        .ok()
        .map(|seconds| seconds + utc_offset_minutes * 60)
}

/// The API request a filled form stands for, or the fields that cannot be read.
fn create_request(form: &MeetingForm) -> Result<CreateMeeting, Errors> {
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
        vertical: Some(form.or("vertical", "hc").to_owned()),
        host_login: Some(form.get("hostLogin") == "true"),
        ..CreateMeeting::default()
    };
    match form.or("validity", "900") {
        "custom" => {
            let offset: i64 = form.get("utcOffsetMinutes").parse().unwrap_or(0);
            for (name, slot) in [
                ("notBefore", &mut request.not_before),
                ("expiresAt", &mut request.expires_at),
            ] {
                let text = form.get(name).trim();
                if text.is_empty() {
                    continue;
                }
                *slot = Some(
                    local_time(text, offset)
                        .ok_or_else(|| Errors::one(name, "must be a date and time"))?,
                );
            }
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

async fn create_meeting(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let form = MeetingForm::parse(&body);
    let request = match create_request(&form) {
        Ok(request) => request,
        Err(errors) => {
            return markup(
                StatusCode::UNPROCESSABLE_ENTITY,
                meeting_form(&form, &errors),
            );
        }
    };
    match state.meetings.create(&caller, request).await {
        Ok(meeting) => markup(
            StatusCode::CREATED,
            html! {
                (meeting_form(&MeetingForm::default(), &Errors::default()))
                section #result aria-labelledby="result-title" {
                    h2 #result-title tabindex="-1" { "Links for " (meeting.chat_id) }
                    (meeting_links(&meeting))
                    p { a href={ "/meetings/" (segment(&meeting.chat_id)) } { "Open this meeting" } }
                }
            },
        ),
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            markup(status, meeting_form(&form, &Errors::from_api(error)))
        }
    }
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
    let (state, state_class) = match link.state {
        LinkState::Valid => ("valid", "valid"),
        LinkState::NotYetValid => ("not yet valid", "pending"),
        LinkState::Expired => ("expired", "expired"),
    };
    html! {
        article.link data-role=(role.to_ascii_lowercase()) aria-labelledby={ (id) "-title" } {
            h3 id={ (id) "-title" } { (role) " link " (number) " " span.state .(state_class) { (state) } }
            div.qr role="img" aria-label={ "QR code of " (role.to_ascii_lowercase()) " link " (number) } {
                (qr_svg(&link.url))
            }
            label for={ (id) "-url" } { "URL" }
            div.copy {
                input id={ (id) "-url" } type="text" readonly value=(link.url) data-link-url;
                button type="button" data-copy-from={ (id) "-url" } { "Copy" }
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

async fn list_meetings(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
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
    match state.meetings.list(request).await {
        Ok(page) => markup(
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
        ),
        Err(error) => error_fragment(ApiError::from(error)),
    }
}

fn error_fragment(error: ApiError) -> Response {
    markup(
        error.status,
        html! { p.alert role="alert" { (error.message) } },
    )
}

async fn show_meeting(State(state): State<AppState>, Path(chat_id): Path<String>) -> Response {
    meeting_fragment(&state, &chat_id, None, StatusCode::OK).await
}

/// A meeting with its links and its two forms; `notice` says what the last action did.
async fn meeting_fragment(
    state: &AppState,
    chat_id: &str,
    notice: Option<Notice>,
    status: StatusCode,
) -> Response {
    let meeting = match state.meetings.get(chat_id).await {
        Ok(meeting) => meeting,
        Err(error) => return error_fragment(ApiError::from(error)),
    };
    let base = format!("/console/f/meetings/{}", segment(chat_id));
    let (count_error, phones_error, phones_value) = match &notice {
        Some(Notice::GuestsRefused(message)) => (Some(message.as_str()), None, ""),
        Some(Notice::InviteRefused { message, phones }) => {
            (None, Some(message.as_str()), phones.as_str())
        }
        _ => (None, None, ""),
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
                Some(Notice::Done(message)) => p.notice role="status" { (message) },
                _ => {}
            }
            (meeting_links(&meeting))
            div.actions {
                form method="post" action={ (base) "/guests" } data-target="meeting" {
                    h3 { "Add guest" }
                    div.field .invalid[count_error.is_some()] {
                        label for="count" { "How many" }
                        input #count name="count" type="number" min="1" max="25" value="1" required
                            aria-describedby="count-error" aria-invalid=[count_error.map(|_| "true")];
                        p #count-error .error { @if let Some(error) = count_error { (error) } }
                    }
                    button type="submit" { "Add guest" }
                }
                form method="post" action={ (base) "/invite" } data-target="meeting" {
                    h3 { "Send SMS invite" }
                    div.field .invalid[phones_error.is_some()] {
                        label for="phones" { "Phone numbers (E.164, comma-separated)" }
                        input #phones name="phones" type="tel" required pattern=(PHONES_PATTERN)
                            placeholder="+14155550100" value=(phones_value)
                            aria-describedby="phones-error" aria-invalid=[phones_error.map(|_| "true")];
                        p #phones-error .error { @if let Some(error) = phones_error { (error) } }
                    }
                    button type="submit" { "Send invite" }
                }
            }
        },
    )
}

enum Notice {
    Done(String),
    GuestsRefused(String),
    InviteRefused { message: String, phones: String },
}

async fn add_guest(
    State(state): State<AppState>,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Response {
    let form = MeetingForm::parse(&body);
    let count = match form.get("count").trim().parse::<i64>() {
        Ok(count) => count,
        Err(_) => {
            let notice = Notice::GuestsRefused("must be a whole number from 1 to 25".into());
            return meeting_fragment(
                &state,
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
        .add_links(&chat_id, instant_connect::Role::Guest, request)
        .await
    {
        Ok(added) => {
            let notice = Notice::Done(format!(
                "Added {} guest link{}.",
                added.guests.len(),
                if added.guests.len() == 1 { "" } else { "s" }
            ));
            meeting_fragment(&state, &chat_id, Some(notice), StatusCode::OK).await
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let notice = Notice::GuestsRefused(error.message);
            meeting_fragment(&state, &chat_id, Some(notice), status).await
        }
    }
}

async fn send_invite(
    State(state): State<AppState>,
    Path(chat_id): Path<String>,
    body: Bytes,
) -> Response {
    let form = MeetingForm::parse(&body);
    let typed = form.get("phones").to_owned();
    let phones: Vec<String> = typed
        .split(',')
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect();
    match state.meetings.invite(&chat_id, Invite { phones }).await {
        Ok(sent) => {
            let notice = Notice::Done(format!(
                "Invite sent to {} number{} (broker: {}).",
                sent.phones,
                if sent.phones == 1 { "" } else { "s" },
                sent.status
            ));
            meeting_fragment(&state, &chat_id, Some(notice), StatusCode::OK).await
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let notice = Notice::InviteRefused {
                message: error.message,
                phones: typed,
            };
            meeting_fragment(&state, &chat_id, Some(notice), status).await
        }
    }
}

async fn whoami(Extension(caller): Extension<Caller>) -> Response {
    markup(
        StatusCode::OK,
        html! { p { "Signed in with the key “" (caller.name) "”." } },
    )
}

async fn status(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Response {
    let readiness = readiness(&state).await;
    let row = |name: &str, ok: bool, message: &str| {
        html! {
            tr {
                th scope="row" { (name) }
                td { span.state .valid[ok] .expired[!ok] { @if ok { "ok" } @else { "not ok" } } }
                td { (message) }
            }
        }
    };
    markup(
        StatusCode::OK,
        html! {
            table {
                caption { "What this service depends on, checked now" }
                thead { tr { th scope="col" { "Part" } th scope="col" { "State" } th scope="col" { "Details" } } }
                tbody {
                    (row("Broker", readiness.broker.ok, &readiness.broker.message))
                    (row("Database", readiness.database.ok, &readiness.database.message))
                }
            }
            p { "icnode " (env!("CARGO_PKG_VERSION")) "; signed in with the key “" (caller.name) "”." }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_times_move_by_the_viewers_offset() {
        // 09:00 in UTC-5 (getTimezoneOffset 300) is 14:00 UTC; in UTC+1 (-60) it is 08:00.
        let utc = |text: &str| parse_time(text).unwrap();
        assert_eq!(
            local_time("2026-12-01T09:00", 300),
            Some(utc("2026-12-01T14:00:00Z"))
        );
        assert_eq!(
            local_time("2026-12-01T09:00", -60),
            Some(utc("2026-12-01T08:00:00Z"))
        );
        assert_eq!(
            local_time("2026-12-01T09:00:30", 0),
            Some(utc("2026-12-01T09:00:30Z"))
        );
        assert_eq!(local_time("tomorrow", 0), None);
    }

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
