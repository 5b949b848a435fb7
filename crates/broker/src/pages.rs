//! HTML: the short-link redirect and the join pages. Every value that comes from a token or a
//! URL is HTML-escaped; pages forbid scripts and never leak the URL as a referrer.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use html_escape::encode_text;

use instant_connect::{Role, Vertical};

use crate::api::query_param;
use crate::mint::LinkClaims;
use crate::store::Join;
use crate::{AppState, unix_now};

/// Which join page a route serves: `/{vertical}/v1/{login|talk}`.
#[derive(Debug, Clone, Copy)]
pub struct JoinPage {
    pub vertical: Vertical,
    /// `Host` for `login`, `Guest` for `talk`.
    pub page_role: Role,
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
            "<p>This short link does not exist.</p>",
        ),
        Err(error) => server_error(&error),
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    page_kind: JoinPage,
    RawQuery(query): RawQuery,
) -> Response {
    match checked_claims(&state, page_kind, &query).await {
        Ok(claims) => join_page(&state, &claims, None),
        Err(refusal) => refusal,
    }
}

/// The Join button: checks the link again, records the join, and says so.
pub async fn join(
    State(state): State<Arc<AppState>>,
    page_kind: JoinPage,
    RawQuery(query): RawQuery,
) -> Response {
    let claims = match checked_claims(&state, page_kind, &query).await {
        Ok(claims) => claims,
        Err(refusal) => return refusal,
    };
    let now = unix_now();
    let recorded = state
        .store
        .record_join(&Join {
            jti: claims.jti.clone(),
            sub: claims.sub.clone(),
            role: claims.role,
            joined_at: now,
        })
        .await;
    match recorded {
        Ok(()) => join_page(&state, &claims, Some(now)),
        Err(error) => server_error(&error),
    }
}

/// Opens the link in the query and checks it against the page and the clock; a refusal is a
/// finished error page (400 malformed or invalid, 403 wrong page or not yet valid, 410 expired).
async fn checked_claims(
    state: &Arc<AppState>,
    page_kind: JoinPage,
    query: &Option<String>,
) -> Result<LinkClaims, Response> {
    let malformed = |what: &str| {
        page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            &format!("<p>This link is malformed: {}.</p>", encode_text(what)),
        )
    };
    if query_param(query, "int").as_deref() != Some("jose") {
        return Err(malformed("int must be jose"));
    }
    if query_param(query, "v").as_deref() != Some("1") {
        return Err(malformed("v must be 1"));
    }
    let Some(cipher) = query_param(query, "data").filter(|d| !d.is_empty()) else {
        return Err(malformed("data is missing"));
    };
    let claims = crate::api::open_cipher(state, cipher).await.map_err(|_| {
        page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "<p>This link is not valid: it could not be decrypted or it was altered.</p>",
        )
    })?;
    if page_kind.page_role == Role::Host && claims.role == Role::Guest {
        return Err(page(
            StatusCode::FORBIDDEN,
            "Wrong link",
            "<p>This is a guest link; it cannot open the host's page.</p>",
        ));
    }
    let now = unix_now();
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
    if claims.vt != page_kind.vertical {
        tracing::debug!(link = %claims.vt, page = %page_kind.vertical, "link opened on another vertical's page");
    }
    Ok(claims)
}

fn join_page(state: &AppState, claims: &LinkClaims, joined_at: Option<i64>) -> Response {
    let title = format!("Virtual Visit - {}", claims.sub);
    let (role, note) = match claims.role {
        Role::Host => (
            "host",
            "The host starts the visit: guests wait until you join.",
        ),
        Role::Guest => ("guest", "The visit starts when the host joins."),
    };
    let valid_from = rfc3339(claims.nbf.unwrap_or(claims.iat));
    let action = match joined_at {
        None => {
            r#"<form method="post"><button type="submit" id="join">Join</button></form>"#.to_owned()
        }
        Some(at) => format!(
            r#"<p id="joined" role="status">You joined at <time>{}</time>.</p>"#,
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
{action}"#,
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
body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; color: #1b1b1b; }}
h1 {{ font-size: 1.5rem; }} dt {{ font-weight: 600; }} dd {{ margin: 0 0 .5rem 0; }}
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

fn server_error(error: &dyn std::error::Error) -> Response {
    tracing::error!(tracking_id = %crate::tracking::current(), %error, "join page failed");
    page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "<p>Please try again.</p>",
    )
}

fn rfc3339(unix_seconds: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(unix_seconds.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}
