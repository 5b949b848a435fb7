//! The web console: pages for people who would rather click than curl.
//!
//! Pages (`/`, `/signin`, `/meetings`, `/meetings/{chatId}`, `/status`) are shells anyone may
//! load: server-rendered HTML (maud escapes every value), the embedded stylesheet and script,
//! nothing private. What they show comes from fragments under `/console/f/`, which the script
//! fetches with the API key kept in the tab's session storage as the bearer header: fragments
//! pass the same key check as `/v1` and call the same domain functions. A strict
//! Content-Security-Policy allows no inline script or style.
//!
//! The node tester (`/nodes`) builds its form from a method's node UI and shows a run as Webex
//! Connect's Test dialog does; its importer turns a Postman collection, an OpenAPI document or
//! a curl command into a node this process can run (kept in memory), which gets only the
//! secrets typed for each run.

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
/// One E.164 number, as a phone field takes it.
const PHONE_PATTERN: &str = r"\+[0-9]{8,15}";
/// The preset a new meeting starts with, and its join pages.
const DEFAULT_VALIDITY: &str = "900";
const DEFAULT_VERTICAL: &str = "hc";
/// An import may be this large (a Postman collection with saved examples is not small).
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;

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
        .route("/nodes", get(nodes_page))
        .route("/nodes/{node}/{method}", get(method_page))
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
        .route("/console/f/nodes", get(list_nodes))
        .route(
            "/console/f/nodes/{node}/{method}",
            get(method_form).post(run_method),
        )
        .route(
            "/console/f/import",
            axum::routing::post(import)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_IMPORT_BYTES)),
        )
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
    Nodes,
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
        Nav::Nodes => "nodes",
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
                                (item(Nav::Nodes, "/nodes", "Node tester"))
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
            html! { div #new-meeting { (meeting_form(&FormValues::default(), &Errors::default())) } },
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
                div #meetings data-load="/console/f/meetings" data-query { p { "Loading…" } }
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
            html! { div #meeting data-load=(fragment) { p { "Loading…" } } },
        ),
    )
}

async fn status_page() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Status",
            Nav::Status,
            html! { div #status data-load="/console/f/status" { p { "Loading…" } } },
        ),
    )
}

async fn nodes_page() -> Response {
    markup(
        StatusCode::OK,
        page(
            "Node tester",
            Nav::Nodes,
            html! {
                div #nodes data-load="/console/f/nodes" { p { "Loading…" } }
                section aria-labelledby="import-title" {
                    h2 #import-title { "Import a node" }
                    div #import { (import_form(&FormValues::default(), &Errors::default())) }
                }
            },
        ),
    )
}

async fn method_page(Path((node, method)): Path<(String, String)>) -> Response {
    let fragment = format!("/console/f/nodes/{}/{}", segment(&node), segment(&method));
    markup(
        StatusCode::OK,
        page(
            "Node tester",
            Nav::Nodes,
            html! { div #tester data-load=(fragment) { p { "Loading…" } } },
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
    /// `shown` are the fields the form has: an error about any other field is said above the
    /// form, so that none is lost.
    fn from_api(error: ApiError, shown: &[&str]) -> Self {
        let mut errors = Self::default();
        let mut unplaced = Vec::new();
        let mut put = |field: &str, message: String| {
            let field = match field {
                "ttlSeconds" => "validity",
                other => other,
            };
            if shown.contains(&field) {
                errors.fields.insert(field.to_owned(), message);
            } else {
                unplaced.push(message);
            }
        };
        for detail in &error.details {
            put(&detail.field, format!("{}: {}", detail.field, detail.rule));
        }
        match &error.field {
            Some(field) if error.details.is_empty() => put(field, error.message.clone()),
            Some(_) => {}
            None => unplaced.push(error.message.clone()),
        }
        if !unplaced.is_empty() {
            errors.general = Some(unplaced.join("; "));
        }
        errors
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

/// What a submitted form holds, as typed.
#[derive(Default)]
struct FormValues {
    values: HashMap<String, String>,
}

impl FormValues {
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

fn meeting_form(form: &FormValues, errors: &Errors) -> Markup {
    let invalid = |name: &str| errors.fields.contains_key(name).then_some("true");
    let described = |name: &str| format!("{name}-error");
    let validity = form.or("validity", DEFAULT_VALIDITY);
    let max = instant_connect::MAX_LINKS_PER_REQUEST.to_string();
    html! {
        form #meeting-form method="post" action="/console/f/meetings" data-target="new-meeting" {
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
                    input #hosts name="hosts" type="number" min="0" max=(max) required value=(form.or("hosts", "1"))
                        aria-describedby=(described("hosts")) aria-invalid=[invalid("hosts")];
                }))
                (field("guests", "Guests", errors, html! {
                    input #guests name="guests" type="number" min="0" max=(max) required value=(form.or("guests", "1"))
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
            // The browser writes each local time as UTC here, at that date's own offset.
            input type="hidden" name="notBeforeUtc" data-utc-of="notBefore";
            input type="hidden" name="expiresAtUtc" data-utc-of="expiresAt";
            (field("vertical", "Join pages", errors, html! {
                select #vertical name="vertical" aria-describedby=(described("vertical")) aria-invalid=[invalid("vertical")] {
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
                let utc = form.get(&format!("{name}Utc"));
                *slot = Some(
                    parse_time(utc).map_err(|_| Errors::one(name, "must be a date and time"))?,
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
    match state.meetings.create(&caller, request).await {
        Ok(meeting) => markup(
            StatusCode::CREATED,
            html! {
                (meeting_form(&FormValues::default(), &Errors::default()))
                section #result aria-labelledby="result-title" {
                    h2 #result-title tabindex="-1" data-focus { "Links for " (meeting.chat_id) }
                    (meeting_links(&meeting))
                    p { a href={ "/meetings/" (segment(&meeting.chat_id)) } { "Open this meeting" } }
                }
            },
        ),
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let errors = Errors::from_api(error, MEETING_FIELDS);
            markup(status, meeting_form(&form, &errors))
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
                Some(Notice::Done(message)) => p.notice role="status" tabindex="-1" data-focus { (message) },
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
                        input #phones name="phones" type="tel" required pattern={ (PHONE_PATTERN) "(\\s*,\\s*" (PHONE_PATTERN) ")*" }
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
    let form = FormValues::parse(&body);
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
    let form = FormValues::parse(&body);
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

async fn list_nodes(State(state): State<AppState>) -> Response {
    let nodes = state.nodes.list();
    markup(
        StatusCode::OK,
        html! {
            @for node in &nodes {
                section.node aria-labelledby={ "node-" (node.slug) } {
                    h2 id={ "node-" (node.slug) } { (node.name) }
                    @if !node.description.is_empty() { p { (node.description) } }
                    ul {
                        @for method in &node.methods {
                            li { a href={ "/nodes/" (segment(&node.slug)) "/" (segment(&method.slug)) } { (method.name) } }
                        }
                    }
                }
            }
        },
    )
}

/// The node and method a tester page names, with its node UI and the secrets a run of an
/// imported node must be given.
struct Tested {
    node: crate::nodes::NodeInfo,
    method: crate::nodes::MethodInfo,
    secrets: Vec<String>,
    /// Where an imported method sends its request (scheme and host): shown before anyone types
    /// a secret into it.
    target: Option<String>,
}

fn tested(state: &AppState, node: &str, method: &str) -> Result<Tested, ApiError> {
    let not_found = |what: String| ApiError::new(StatusCode::NOT_FOUND, "not_found", what);
    let info = state
        .nodes
        .list()
        .into_iter()
        .find(|n| n.slug == node)
        .ok_or_else(|| not_found(format!("no node `{node}`")))?;
    let method_info = info
        .methods
        .iter()
        .find(|m| m.slug == method)
        .cloned()
        .ok_or_else(|| not_found(format!("node `{node}` has no method `{method}`")))?;
    let (secrets, target) = match state.nodes.definition(node) {
        Some((definition, true)) => match definition.method(&method_info.name) {
            Some(method) => (
                method.secret_names(),
                Some(
                    method
                        .url
                        .split(['/', '?'])
                        .take(3)
                        .collect::<Vec<_>>()
                        .join("/"),
                ),
            ),
            None => (Vec::new(), None),
        },
        _ => (Vec::new(), None),
    };
    Ok(Tested {
        node: info,
        method: method_info,
        secrets,
        target,
    })
}

async fn method_form(
    State(state): State<AppState>,
    Path((node, method)): Path<(String, String)>,
) -> Response {
    match tested(&state, &node, &method) {
        Ok(tested) => markup(
            StatusCode::OK,
            tester(&tested, &FormValues::default(), &Errors::default(), None),
        ),
        Err(error) => error_fragment(error),
    }
}

/// The input of one dynamic field, as its node UI says: type, mandatory, regex, default.
fn parameter_input(
    index: usize,
    parameter: &crate::nodes::ParameterInfo,
    form: &FormValues,
    error: Option<&String>,
) -> Markup {
    let id = format!("p-{index}");
    let name = format!("p:{}", parameter.name);
    let value = form
        .values
        .get(&name)
        .cloned()
        .or_else(|| parameter.default.clone())
        .unwrap_or_default();
    let label = if parameter.label.is_empty() {
        &parameter.name
    } else {
        &parameter.label
    };
    let hint = if parameter.tooltip.is_empty() {
        &parameter.description
    } else {
        &parameter.tooltip
    };
    let described = if hint.is_empty() {
        format!("{id}-error")
    } else {
        format!("{id}-hint {id}-error")
    };
    let required = parameter.mandatory && parameter.default.is_none();
    let pattern = match parameter.kind {
        node::FieldType::Phone => Some(PHONE_PATTERN.to_owned()),
        node::FieldType::Text | node::FieldType::Email => parameter.regex.clone(),
        _ => None,
    };
    html! {
        div.field .invalid[error.is_some()] {
            label for=(id) { (label) @if !parameter.mandatory { " (optional)" } }
            @if !hint.is_empty() { p.hint id={ (id) "-hint" } { (hint) } }
            @match parameter.kind {
                node::FieldType::Json => {
                    textarea id=(id) name=(name) rows="4" required[required]
                        aria-describedby=(described) aria-invalid=[error.map(|_| "true")] { (value) }
                }
                node::FieldType::Boolean => {
                    select id=(id) name=(name) required[required]
                        aria-describedby=(described) aria-invalid=[error.map(|_| "true")] {
                        option value="" selected[value.is_empty()] { "—" }
                        option value="true" selected[value == "true"] { "true" }
                        option value="false" selected[value == "false"] { "false" }
                    }
                }
                kind => {
                    @let input_type = match kind {
                        node::FieldType::Number => "number",
                        node::FieldType::Email => "email",
                        node::FieldType::Phone => "tel",
                        _ => "text",
                    };
                    input id=(id) name=(name) type=(input_type) value=(value) required[required]
                        step=[(kind == node::FieldType::Number).then_some("any")]
                        pattern=[pattern.as_deref()]
                        aria-describedby=(described) aria-invalid=[error.map(|_| "true")];
                }
            }
            p.error id={ (id) "-error" } { @if let Some(error) = error { (error) } }
        }
    }
}

/// The tester of one method: its form, and the last run's result.
fn tester(
    tested: &Tested,
    form: &FormValues,
    errors: &Errors,
    run: Option<&crate::nodes::NodeRun>,
) -> Markup {
    let action = format!(
        "/console/f/nodes/{}/{}",
        segment(&tested.node.slug),
        segment(&tested.method.slug)
    );
    html! {
        h2 { (tested.node.name) " · " (tested.method.name) }
        @if let Some(target) = &tested.target {
            p { "An imported node: it sends its request to " code { (target) } " (or, when that is the production broker, to this service's broker)." }
        }
        form #run-form method="post" action=(action) data-target="tester" {
            @if let Some(general) = &errors.general { p.alert role="alert" { (general) } }
            @if tested.method.parameters.is_empty() { p { "This method takes no parameters." } }
            @for (index, parameter) in tested.method.parameters.iter().enumerate() {
                (parameter_input(index, parameter, form, errors.fields.get(&parameter.name)))
            }
            @if !tested.secrets.is_empty() {
                fieldset {
                    legend { "Secrets for this run (an imported node gets none of the service's; nothing is kept)" }
                    @for (index, secret) in tested.secrets.iter().enumerate() {
                        @let id = format!("s-{index}");
                        @let error = errors.fields.get(&format!("secret:{secret}"));
                        div.field .invalid[error.is_some()] {
                            label for=(id) { "$(secret:" (secret) ")" }
                            input id=(id) name={ "s:" (secret) } type="password" autocomplete="off" required
                                aria-describedby={ (id) "-error" } aria-invalid=[error.map(|_| "true")];
                            p.error id={ (id) "-error" } { @if let Some(error) = error { (error) } }
                        }
                    }
                }
            }
            button type="submit" { "Run" }
        }
        @if let Some(run) = run { (run_result(run)) }
    }
}

/// A run as Webex Connect's Test dialog shows it: edge, status, outputs, time, raw answer.
fn run_result(run: &crate::nodes::NodeRun) -> Markup {
    let edge_class = match run.edge.as_str() {
        "success" => "valid",
        "timeout" => "pending",
        _ => "expired",
    };
    html! {
        section #run-result aria-labelledby="run-title" {
            h2 #run-title tabindex="-1" data-focus { "Result" }
            dl.run {
                dt { "Edge" } dd { span.state .(edge_class) data-edge=(run.edge) { (run.edge) } }
                dt { "HTTP status" } dd { @if let Some(status) = run.status { (status) } @else { "no answer" } }
                dt { "Elapsed" } dd { (run.elapsed_ms) " ms" }
                @if let Some(error) = &run.error { dt { "Why" } dd { (error) } }
            }
            @if !run.outputs.is_empty() {
                table #outputs {
                    caption { "Outputs" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Value" } } }
                    tbody {
                        @for (name, value) in &run.outputs {
                            tr { th scope="row" { (name) } td data-output=(name) { (match value { serde_json::Value::String(s) => s.clone(), other => other.to_string() }) } }
                        }
                    }
                }
            }
            @if let Some(response) = &run.response {
                details {
                    summary { "Raw response (HTTP " (response.status) ")" }
                    table {
                        caption { "Headers" }
                        tbody { @for (name, value) in &response.headers { tr { th scope="row" { (name) } td { (value) } } } }
                    }
                    pre tabindex="0" { (response.body) @if response.body_truncated { "\n…" } }
                }
            }
        }
    }
}

async fn run_method(
    State(state): State<AppState>,
    Path((node, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let tested = match tested(&state, &node, &method) {
        Ok(tested) => tested,
        Err(error) => return error_fragment(error),
    };
    let form = FormValues::parse(&body);
    let mut params = serde_json::Map::new();
    let mut secrets = Vec::new();
    for (name, value) in &form.values {
        if let Some(parameter) = name.strip_prefix("p:") {
            // An empty optional field is left out, as a flow leaves it unset.
            if !value.is_empty() {
                params.insert(parameter.to_owned(), serde_json::Value::from(value.clone()));
            }
        } else if let Some(secret) = name.strip_prefix("s:")
            && tested.secrets.iter().any(|s| s == secret)
        {
            secrets.push((
                secret.to_owned(),
                secrecy::SecretString::from(value.clone()),
            ));
        }
    }
    match state
        .nodes
        .run_with_secrets(&node, &method, &params, secrets)
        .await
    {
        Ok(result) => {
            let run = crate::nodes::NodeRun::from(result);
            markup(
                StatusCode::OK,
                tester(&tested, &form, &Errors::default(), Some(&run)),
            )
        }
        Err(crate::nodes::NodeRunError::Refused(node::RunError::MissingSecret {
            name, ..
        })) => {
            let errors = Errors::one(&format!("secret:{name}"), "give this secret for the run");
            markup(
                StatusCode::UNPROCESSABLE_ENTITY,
                tester(&tested, &form, &errors, None),
            )
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let shown: Vec<&str> = tested
                .method
                .parameters
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            markup(
                status,
                tester(&tested, &form, &Errors::from_api(error, &shown), None),
            )
        }
    }
}

/// What the importer says on a service that does not import.
const IMPORTS_OFF: &str = "This service does not import nodes: an imported node reaches any \
     address the service can, for whoever holds a key. Start it with --allow-node-import to allow \
     it (icnode up does).";

fn import_form(form: &FormValues, errors: &Errors) -> Markup {
    let kind = form.or("kind", "postman");
    let source_error = errors.fields.get("source");
    html! {
        form #import-form method="post" action="/console/f/import" data-target="import" {
            @if let Some(general) = &errors.general { p.alert role="alert" { (general) } }
            (field("kind", "What it is", errors, html! {
                select #kind name="kind" aria-describedby="kind-error"
                    aria-invalid=[errors.fields.contains_key("kind").then_some("true")] {
                    @for (value, label) in [("postman", "Postman collection v2.1 (JSON)"), ("openapi", "OpenAPI 3 document (JSON or YAML)"), ("curl", "curl command line")] {
                        option value=(value) selected[kind == value] { (label) }
                    }
                }
            }))
            (field("name", "Node name (optional)", errors, html! {
                input #name name="name" type="text" value=(form.get("name")) aria-describedby="name-error";
            }))
            div.field .invalid[source_error.is_some()] {
                label for="source" { "Paste it here (at most 1 MiB)" }
                textarea #source name="source" rows="8" required aria-describedby="source-error"
                    aria-invalid=[source_error.map(|_| "true")] { (form.get("source")) }
                p #source-error .error { @if let Some(error) = source_error { (error) } }
            }
            button type="submit" { "Import" }
        }
    }
}

async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    if !state.node_imports {
        let errors = Errors {
            general: Some(IMPORTS_OFF.to_owned()),
            ..Errors::default()
        };
        return markup(StatusCode::FORBIDDEN, import_form(&form, &errors));
    }
    let name = Some(form.get("name").trim()).filter(|n| !n.is_empty());
    let source = form.get("source");
    let imported = match form.or("kind", "postman") {
        "postman" => importer::postman(source, name),
        "openapi" => importer::openapi(source, name),
        "curl" => importer::curl(source, name),
        _ => {
            let errors = Errors::one("kind", "pick one of the offered kinds");
            return markup(
                StatusCode::UNPROCESSABLE_ENTITY,
                import_form(&form, &errors),
            );
        }
    };
    let imported = match imported {
        Ok(imported) => imported,
        Err(error) => {
            let errors = Errors::one("source", error.to_string());
            return markup(
                StatusCode::UNPROCESSABLE_ENTITY,
                import_form(&form, &errors),
            );
        }
    };
    let text = serde_json::to_string_pretty(&imported.definition).unwrap_or_default();
    let (_, problems) = node::check(&text);
    let added = if problems.is_empty() {
        Some(
            state
                .nodes
                .add_imported(imported.definition.clone(), &caller.key_id),
        )
    } else {
        None
    };
    let status = match &added {
        Some(Ok(_)) => StatusCode::OK,
        Some(Err(_)) => StatusCode::CONFLICT,
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    markup(
        status,
        html! {
            // Done with: what was pasted (perhaps with a literal token in it) is not sent back.
            (import_form(&FormValues::default(), &Errors::default()))
            section #import-result aria-labelledby="import-result-title" {
                h3 #import-result-title tabindex="-1" data-focus { "Imported “" (imported.definition.name) "”" }
                @if problems.is_empty() {
                    p.notice role="status" { "node check: no problems." }
                } @else {
                    div.alert role="alert" {
                        p { "node check found " (problems.len()) " problem(s):" }
                        ul { @for problem in &problems { li { (problem.to_string()) } } }
                    }
                }
                @match &added {
                    Some(Ok(slug)) => {
                        p { "Try its methods (this process keeps the node until it restarts; save the definition to a "
                            code { "--node-dir" } " to keep it):" }
                        ul {
                            @for method in &imported.definition.methods {
                                li { a href={ "/nodes/" (segment(slug)) "/" (segment(&crate::nodes::slug(&method.name))) } { (method.name) } }
                            }
                        }
                    }
                    Some(Err(error)) => p.alert role="alert" { (error.to_string()) },
                    None => {}
                }
                @if !imported.notes.is_empty() {
                    h4 { "Not carried over, and secrets to give" }
                    ul.notes { @for note in &imported.notes { li { (note) } } }
                }
                details {
                    summary { "The definition" }
                    pre tabindex="0" { (text) }
                }
            }
        },
    )
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
