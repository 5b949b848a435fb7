//! HTML: the home page, the short-link redirect and the join pages. Every value that comes from
//! a token, a URL or the settings is HTML-escaped; pages forbid scripts and never leak the URL
//! as a referrer.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use html_escape::encode_text;

use instant_connect::{FieldError, JoinPage, Movement, Role, Vertical, rfc3339};

use crate::api::QueryParams;
use crate::error::ApiError;
use crate::leniency;
use crate::mint::LinkClaims;
use crate::opening::{ClientAddress, Opener, open_cipher};
use crate::state::AppState;
use crate::store::NewJoin;

/// Which join page a route serves: `/{vertical}/v1/{login|talk}`.
#[derive(Debug, Clone, Copy)]
pub struct JoinPageKind {
    pub vertical: Vertical,
    pub page: JoinPage,
}

/// The parameters a join link carries; `fli=true` asks the host to sign in to Webex first.
const JOIN_PARAMS: [&str; 4] = ["int", "v", "data", "fli"];
/// The one field of a join page's forms: which button was pressed.
const ACTION: &str = "action";
/// The Join button: its form sends no `action`, as it did before there was a Leave button.
const JOIN_FORM: &str =
    r#"<form method="post"><button type="submit" id="join">Join</button></form>"#;
/// The Leave button, offered once joined: its form sends `action=leave`.
const LEAVE_FORM: &str = r#"<form method="post"><input type="hidden" name="action" value="leave"><button type="submit" id="leave">Leave</button></form>"#;

/// What is running here and where things are: the page a person sees who opens the broker's
/// address in a browser.
pub async fn home(State(state): State<Arc<AppState>>) -> Response {
    let base = &state.public_url;
    let strictness = if state.strict {
        "Strict: it refuses requests that production evidently accepts but the developer guide \
         does not document."
    } else {
        "Lenient, like production: what it ignores or assumes is named in an \
         <code>Icnode-Warning</code> response header."
    };
    let token_life = match state.token_ttl {
        Some(ttl) => format!(
            "Tokens are refused {} after the broker first sees them, as personal access tokens are.",
            humantime::format_duration(ttl)
        ),
        None => "Tokens do not expire.".to_owned(),
    };
    let body = format!(
        r#"<p>This is <strong>icnode's local Instant Connect broker</strong>, not Webex: it makes
real encrypted join links on the production paths, so any Instant Connect client runs against it
unchanged. Join pages record each press of their Join and Leave buttons and stop there; no
meeting starts and no SMS is sent.</p>
<dl>
  <dt>Organization</dt><dd>{org_name} (<code>{org_id}</code>)</dd>
  <dt>Broker URL</dt><dd><code>{base}</code></dd>
  <dt>Requests</dt><dd>{strictness} {token_life}</dd>
</dl>
<h2>API (Bearer token)</h2>
<ul>
  <li><code>POST {base}/api/v2/joseencrypt</code> and the legacy <code>/api/v1/joseencrypt</code>: links</li>
  <li><code>GET|POST {base}/api/v1/space?int=jose&amp;data=&lt;cipher&gt;</code>: space details</li>
  <li><code>POST {base}/api/v1/sms/meetingInvite</code>: an SMS invite, kept in the outbox</li>
  <li>Local only: <code>GET {base}/_icnode/outbox</code>,
      <code>/_icnode/meetings/&lt;sub&gt;</code>, and
      <code>/_icnode/joins?cursor=&lt;last id seen&gt;</code>: the presses of Join and Leave
      (<code>kind</code> <code>joined</code> or <code>left</code>), oldest first</li>
</ul>
<h2>Join pages</h2>
<p>Short links <code>{base}/visit/&lt;short&gt;</code> lead to
<code>{base}/{{hc|gen|cc}}/v1/{{login|talk}}?int=jose&amp;v=1&amp;data=&lt;cipher&gt;</code>.</p>
<h2>Docs</h2>
<p><code>README.md</code> and <code>docs/broker.md</code> in the icnode repository: what this
broker accepts, and why.</p>"#,
        org_name = encode_text(&state.org.org_name),
        org_id = encode_text(&state.org.org_id),
        base = encode_text(base),
    );
    page(StatusCode::OK, "icnode local Instant Connect broker", &body)
}

pub async fn visit(State(state): State<Arc<AppState>>, Path(short): Path<String>) -> Response {
    match state.store.short_target(&short).await {
        // 302 Found, as the production short links answer (axum's `Redirect::to` is a 303).
        Ok(Some(target)) => {
            let location = format!("{}{target}", state.public_url);
            match HeaderValue::from_str(&location) {
                Ok(location) => (StatusCode::FOUND, [(header::LOCATION, location)]).into_response(),
                Err(error) => server_error(&error),
            }
        }
        Ok(None) => page(
            StatusCode::NOT_FOUND,
            "Link not found",
            "<p>This short link does not exist, or it expired more than a day ago.</p>",
        ),
        Err(error) => server_error(&error),
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    ClientAddress(client): ClientAddress,
    kind: JoinPageKind,
    RawQuery(query): RawQuery,
) -> Response {
    match checked_link(&state, client, kind, query.as_deref()).await {
        Ok(link) => join_page(&state, &link, None),
        Err(refusal) => refusal,
    }
}

/// The Join and Leave buttons: reads which was pressed, checks the link again, records the
/// press, and says so.
pub async fn join(
    State(state): State<Arc<AppState>>,
    ClientAddress(client): ClientAddress,
    kind: JoinPageKind,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // The form first: a press the page cannot read costs no key derivation.
    let movement = match pressed(&state, &headers, body) {
        Ok(movement) => movement,
        Err((status, why)) => {
            return page(status, "Invalid form", &format!("<p>This form {why}.</p>"));
        }
    };
    let link = match checked_link(&state, client, kind, query.as_deref()).await {
        Ok(link) => link,
        Err(refusal) => return refusal,
    };
    let now = state.clock.now();
    let recorded = state
        .store
        .record_join(&NewJoin {
            jti: link.claims.jti.clone(),
            sub: link.claims.sub.clone(),
            role: link.claims.role,
            kind: movement,
            at: now,
        })
        .await;
    match recorded {
        Ok(()) => join_page(&state, &link, Some((movement, now))),
        Err(error) => server_error(&error),
    }
}

/// Which button the form of a join page pressed: Join sends no `action` (an empty body does
/// too) or `action=join`, Leave `action=leave`. A refusal is its status and what is wrong with
/// the form, as safe HTML: 400 for another `action`, `action` twice or a body that is not a
/// form, 413 past the body limit. Other fields are ignored, with a warning each.
fn pressed(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Movement, (StatusCode, String)> {
    let invalid = |status: StatusCode, why: &str| (status, why.to_owned());
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => invalid(StatusCode::PAYLOAD_TOO_LARGE, "is too large"),
        _ => invalid(StatusCode::BAD_REQUEST, "could not be read"),
    })?;
    if body.is_empty() {
        return Ok(Movement::Joined);
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(invalid(
            StatusCode::BAD_REQUEST,
            "must be sent as <code>application/x-www-form-urlencoded</code>",
        ));
    }
    let mut actions = Vec::new();
    let mut warnings = Vec::new();
    for (name, value) in url::form_urlencoded::parse(&body) {
        if name == ACTION {
            actions.push(value);
        } else {
            warnings.push(FieldError::new(
                name.into_owned(),
                "ignored: not a field of the join page's form",
            ));
        }
    }
    // The value is not shown: a page does not echo what it was sent.
    let movement = match actions.as_slice() {
        [] => Movement::Joined,
        [one] if one == "join" => Movement::Joined,
        [one] if one == "leave" => Movement::Left,
        _ => {
            return Err(invalid(
                StatusCode::BAD_REQUEST,
                "has a field <code>action</code> that must be given once, as <code>join</code> \
                 or <code>leave</code>",
            ));
        }
    };
    leniency::allow(state.strict, warnings).map_err(|refused| {
        let why = format!("is refused: {}", encode_text(&refused.to_string()));
        (StatusCode::BAD_REQUEST, why)
    })?;
    Ok(movement)
}

/// The page of a link that did not open: wait (`429`, `503` with `Retry-After`), or invalid.
fn unopened(error: ApiError) -> Response {
    match error.retry_after_seconds() {
        Some(seconds) => {
            let mut wait = page(
                error.status(),
                "Try again shortly",
                &format!("<p>Too many links are being opened; try again in {seconds} seconds.</p>"),
            );
            wait.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            wait
        }
        None => page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "<p>This link is not valid: it could not be decrypted or it was altered.</p>",
        ),
    }
}

/// A link that opened and holds on this page now.
struct CheckedLink {
    claims: LinkClaims,
    force_login: bool,
}

/// Opens the link in the query and checks it against the page and the clock; a refusal is a
/// finished error page (400 malformed or invalid, 403 wrong page or not yet valid, 410 expired,
/// 429 or 503 with `Retry-After` when opening must wait).
/// A missing `v=1`, a stray `&` and unknown parameters are accepted, as production does, with
/// a warning each.
async fn checked_link(
    state: &Arc<AppState>,
    client: Option<std::net::IpAddr>,
    kind: JoinPageKind,
    query: Option<&str>,
) -> Result<CheckedLink, Response> {
    let malformed = |what: &str| {
        page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            &format!("<p>This link is malformed: {}.</p>", encode_text(what)),
        )
    };
    let params = QueryParams::parse(query);
    let mut warnings = params.warnings(&JOIN_PARAMS);
    if params.get("int") != Some("jose") {
        return Err(malformed("int must be jose"));
    }
    match params.get("v") {
        Some("1") => {}
        None => warnings.push(FieldError::new("v", "is missing; read as 1")),
        Some(_) => return Err(malformed("v must be 1")),
    }
    let force_login = match params.get("fli") {
        None => false,
        Some("true") => true,
        Some(_) => {
            warnings.push(FieldError::new("fli", "ignored: only `true` has a meaning"));
            false
        }
    };
    let Some(cipher) = params.get("data").filter(|d| !d.is_empty()) else {
        return Err(malformed("data is missing"));
    };
    if let Err(refused) = leniency::allow(state.strict, warnings) {
        return Err(malformed(&refused.to_string()));
    }
    let claims = open_cipher(state, cipher, Opener::Anyone(client))
        .await
        .map_err(unopened)?;
    if kind.page == JoinPage::Login && claims.role == Role::Guest {
        return Err(page(
            StatusCode::FORBIDDEN,
            "Wrong link",
            "<p>This is a guest link; it cannot open the host's page.</p>",
        ));
    }
    let now = state.clock.now();
    if let Some(nbf) = claims.nbf.filter(|nbf| *nbf > now) {
        return Err(page(
            StatusCode::FORBIDDEN,
            "Not yet open",
            &format!("<p>This visit opens at <time>{}</time>.</p>", rfc3339(nbf)),
        ));
    }
    if claims.exp <= now {
        return Err(page(
            StatusCode::GONE,
            "Link expired",
            &format!(
                "<p>This link expired at <time>{}</time>.</p>",
                rfc3339(claims.exp)
            ),
        ));
    }
    if claims.vt != kind.vertical {
        tracing::debug!(link = %claims.vt, page = %kind.vertical, "link opened on another vertical's page");
    }
    Ok(CheckedLink {
        claims,
        force_login,
    })
}

/// A link's page: the Join button, or what was just pressed (`pressed`: which, and when) and
/// the button for the other.
fn join_page(state: &AppState, link: &CheckedLink, pressed: Option<(Movement, i64)>) -> Response {
    let claims = &link.claims;
    let title = format!("Virtual Visit - {}", claims.sub);
    let (role, note) = match claims.role {
        Role::Host => (
            "host",
            "The host starts the visit: guests wait until you join.",
        ),
        Role::Guest => ("guest", "The visit starts when the host joins."),
    };
    let sign_in = if link.force_login && claims.role == Role::Host {
        r#"<p id="sign-in">This link asks the host to sign in to Webex first (<code>fli=true</code>); a local broker has no sign-in.</p>"#
    } else {
        ""
    };
    let valid_from = rfc3339(claims.nbf.unwrap_or(claims.iat));
    let action = match pressed {
        None => JOIN_FORM.to_owned(),
        Some((Movement::Joined, at)) => format!(
            "<p id=\"joined\" role=\"status\">You joined at <time>{}</time>.</p>\n{LEAVE_FORM}",
            rfc3339(at)
        ),
        Some((Movement::Left, at)) => format!(
            "<p id=\"left\" role=\"status\">You left at <time>{}</time>.</p>\n{JOIN_FORM}",
            rfc3339(at)
        ),
    };
    let body = format!(
        r#"<p class="role">You are joining as the <strong id="role">{role}</strong>.</p>
<dl>
  <dt>Organization</dt><dd>{org}</dd>
  <dt>Valid from</dt><dd><time id="valid-from">{valid_from}</time></dd>
  <dt>Valid until</dt><dd><time id="valid-until">{valid_until}</time></dd>
</dl>
<p>{note}</p>
{sign_in}
{action}
<p id="local-broker"><small>This page comes from icnode's local Instant Connect broker, not Webex:
Join and Leave only record the press; no meeting starts.</small></p>"#,
        org = encode_text(&state.org.org_name),
        valid_until = rfc3339(claims.exp),
    );
    page(StatusCode::OK, &title, &body)
}

/// A whole page. `title` is escaped here; `body` must already be safe HTML.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let title = encode_text(title);
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; color: #1b1b1b; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.1rem; }} dt {{ font-weight: 600; }} dd {{ margin: 0 0 .5rem 0; }}
code {{ overflow-wrap: anywhere; }}
button {{ font-size: 1.1rem; padding: .6rem 1.6rem; border: 0; border-radius: .4rem; background: #07c160; color: #fff; cursor: pointer; }}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
{body}
</main>
</body>
</html>
"#
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn server_error(error: &(dyn std::error::Error + 'static)) -> Response {
    tracing::error!(tracking_id = %crate::tracking::current(), error = %resilience::report(error), "page failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<p>Please try again.</p>",
    )
}
