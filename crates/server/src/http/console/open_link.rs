//! `/l/{code}`: what a visitor opening an own link gets. Through to the broker's URL (`302`),
//! or a page that says why not: revoked (`410`), used already (`410`), expired (`410`), not
//! yet open (`403`, with when it opens and, for a visit, when the visit starts, in the
//! visitor's own time by the console's script), or unknown (`404`). No API key: the code is
//! the credential.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use instant_connect::rfc3339;
use maud::{DOCTYPE, Markup, html};

use super::layout::{ICON_PATH, markup};
use crate::domain::{Closed, Role};
use crate::http::extract::PathParams;
use crate::http::state::AppState;
use crate::links::Opened;

pub(super) async fn open(
    State(state): State<AppState>,
    PathParams(code): PathParams<String>,
    headers: HeaderMap,
) -> Response {
    let client = client_hint(
        headers
            .get(header::USER_AGENT)
            .and_then(|agent| agent.to_str().ok())
            .unwrap_or(""),
    );
    let opened = match state.opener.open(&code, client.to_owned()).await {
        Ok(opened) => opened,
        Err(error) => {
            tracing::error!(error = %resilience::report(&error), "an own link's open failed");
            return markup(
                StatusCode::SERVICE_UNAVAILABLE,
                visitor_page(
                    "Please try again",
                    html! { p { "The link could not be opened just now. Please try again in a moment." } },
                ),
            );
        }
    };
    match opened {
        Opened::Through { to } => match HeaderValue::try_from(to) {
            Ok(to) => (StatusCode::FOUND, [(header::LOCATION, to)]).into_response(),
            Err(_) => markup(
                StatusCode::BAD_GATEWAY,
                visitor_page(
                    "Please try again",
                    html! { p { "The meeting's address is not usable." } },
                ),
            ),
        },
        Opened::Unknown => markup(
            StatusCode::NOT_FOUND,
            visitor_page(
                "Link not found",
                html! { p { "No meeting has this link. Check that it was copied whole." } },
            ),
        ),
        Opened::Closed {
            closed,
            role,
            visit_starts,
        } => closed_page(
            closed,
            role,
            visit_starts.map(|(start, _)| start),
            state.clock.now(),
        ),
    }
}

/// The page of a link that goes no further, with its status.
fn closed_page(closed: Closed, role: Role, visit_starts: Option<i64>, now: i64) -> Response {
    let who = match role {
        Role::Host => "host",
        Role::Guest => "guest",
    };
    match closed {
        Closed::Revoked { .. } => markup(
            StatusCode::GONE,
            visitor_page(
                "This link was revoked",
                html! { p { "This " (who) " link no longer works: whoever sent it has ended it. Ask them for a new one." } },
            ),
        ),
        Closed::Used { at } => markup(
            StatusCode::GONE,
            visitor_page(
                "This link was used already",
                html! { p { "This " (who) " link opens once, and was opened at " (local(at)) ". Ask whoever sent it for a new one." } },
            ),
        ),
        Closed::Expired { at } => markup(
            StatusCode::GONE,
            visitor_page(
                "This link has expired",
                html! { p { "This " (who) " link stopped working at " (local(at)) "." } },
            ),
        ),
        Closed::NotYet { opens_at } => {
            let page = visitor_page(
                "Not open yet",
                html! {
                    @if let Some(start) = visit_starts {
                        p #starts { "Your visit starts at " (local(start)) "." }
                    }
                    p #opens { "This link opens at " (local(opens_at)) ". Come back then, or reload this page." }
                },
            );
            let mut answer = markup(StatusCode::FORBIDDEN, page);
            answer.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(opens_at.saturating_sub(now).max(1)),
            );
            answer
        }
    }
}

/// A time, written in UTC and shown in the visitor's own zone and language by the script.
fn local(at: i64) -> Markup {
    let utc = rfc3339(at);
    html! { time datetime=(utc) data-local { (utc.replace('T', " ").replace('Z', " UTC")) } }
}

/// A page for a visitor: no navigation, no sign-in.
fn visitor_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="stylesheet" href="/console/console.css";
                link rel="icon" type="image/svg+xml" href=(ICON_PATH);
                script src="/console/console.js" defer {}
            }
            body data-page="open-link" {
                main #main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A coarse hint of the client, from its `User-Agent`: the kind of device and the browser
/// family, never more (no version, no address).
pub(crate) fn client_hint(agent: &str) -> &'static str {
    let agent = agent.to_ascii_lowercase();
    let mobile = ["mobile", "android", "iphone", "ipad"]
        .iter()
        .any(|word| agent.contains(word));
    let family = if agent.is_empty() {
        "unknown"
    } else if [
        "bot", "crawler", "spider", "preview", "curl", "wget", "python", "okhttp",
    ]
    .iter()
    .any(|word| agent.contains(word))
    {
        return "automated";
    } else if agent.contains("edg/") {
        "edge"
    } else if agent.contains("firefox/") {
        "firefox"
    } else if agent.contains("chrome/") || agent.contains("chromium/") {
        "chrome"
    } else if agent.contains("safari/") {
        "safari"
    } else {
        "other"
    };
    match (mobile, family) {
        (_, "unknown") => "unknown",
        (true, "edge") => "mobile edge",
        (true, "firefox") => "mobile firefox",
        (true, "chrome") => "mobile chrome",
        (true, "safari") => "mobile safari",
        (true, _) => "mobile other",
        (false, "edge") => "desktop edge",
        (false, "firefox") => "desktop firefox",
        (false, "chrome") => "desktop chrome",
        (false, "safari") => "desktop safari",
        (false, _) => "desktop other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_hint_names_a_device_kind_and_a_browser_family_only() {
        let cases = [
            ("", "unknown"),
            ("curl/8.5.0", "automated"),
            ("Slackbot-LinkExpanding 1.0", "automated"),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/156.0.0.0 Safari/537.36",
                "desktop chrome",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
                "mobile safari",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like \
                 Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
                "desktop edge",
            ),
            (
                "Mozilla/5.0 (Android 14; Mobile; rv:131.0) Gecko/131.0 Firefox/131.0",
                "mobile firefox",
            ),
            ("SomethingElse/1.0", "desktop other"),
        ];
        for (agent, hint) in cases {
            assert_eq!(client_hint(agent), hint, "{agent}");
        }
    }
}
