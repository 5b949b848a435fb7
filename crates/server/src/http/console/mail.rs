//! The mail outbox (`icnode up` writes visits' email there as `.eml` files): the newest
//! messages, each with its To, Subject, date, text and whether it carries a calendar
//! invitation, read simply from the file (its headers, its text part), and the file whole
//! under a fold. The outbox holds every tenant's mail, with their join links: only an admin
//! key of the tenant `default`, the service's own, reads it.

use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use maud::{Markup, html};

use super::layout::{error_fragment, markup};
use crate::domain::Permission;
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::keys::Caller;

/// The messages shown, newest first.
const SHOWN: usize = 50;

/// A message as the outbox page shows it.
struct Letter {
    file: String,
    to: String,
    subject: String,
    date: Option<String>,
    /// The invitation's method (`REQUEST`, `CANCEL`), when it carries one.
    invitation: Option<String>,
    text: Option<String>,
    raw: String,
}

pub(super) async fn outbox(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    if !(caller.tenant.is_default() && caller.may(Permission::Administer)) {
        return error_fragment(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "The mail outbox holds every tenant's email: only an admin key of the tenant “default” reads it.",
        ));
    }
    let Some(dir) = state.mailer.outbox().map(std::path::Path::to_path_buf) else {
        return markup(
            StatusCode::OK,
            html! {
                p #no-outbox {
                    "This service keeps no mail outbox: visits' email goes over SMTP when it was started with "
                    code { "--smtp-url" } ", and none is sent otherwise. Each message's outcome is on its visit's page."
                }
            },
        );
    };
    let shown = dir.clone();
    let read = tokio::task::spawn_blocking(move || crate::mail::outbox_messages(&dir, SHOWN)).await;
    let messages = match read {
        Ok(Ok(messages)) => messages,
        Ok(Err(error)) => {
            return error_fragment(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "outbox_unreadable",
                format!("The outbox could not be read: {error}"),
            ));
        }
        Err(_) => {
            return error_fragment(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "outbox_unreadable",
                "The outbox could not be read.",
            ));
        }
    };
    let letters: Vec<Letter> = messages
        .into_iter()
        .map(|(f, raw)| letter(f, raw))
        .collect();
    markup(StatusCode::OK, outbox_page(&shown, &letters))
}

fn outbox_page(dir: &std::path::Path, letters: &[Letter]) -> Markup {
    html! {
        p {
            "Email of visits is written to " code { (dir.display()) } " rather than sent: nothing here left this machine. "
            "The newest " (SHOWN) " messages, newest first."
        }
        @if letters.is_empty() {
            p { "No messages yet." }
        }
        @for (index, letter) in letters.iter().enumerate() {
            article.mail aria-labelledby={ "mail-" (index) } {
                h2 id={ "mail-" (index) } { (letter.subject) }
                dl.facts {
                    div { dt { "To" } dd data-to { (letter.to) } }
                    div {
                        dt { "Date" }
                        dd { @match &letter.date { Some(at) => time datetime=(at) data-local { (at) }, None => "unknown" } }
                    }
                    div {
                        dt { "Invitation" }
                        dd data-invitation=[letter.invitation.as_deref()] {
                            @match &letter.invitation {
                                Some(method) => { "a calendar invitation (" code { (method) } ")" },
                                None => "none",
                            }
                        }
                    }
                }
                @if let Some(text) = &letter.text { pre.text { (text) } }
                details {
                    summary { "The whole message (" (letter.file) ")" }
                    pre { (letter.raw) }
                }
            }
        }
    }
}

/// What the page shows of one `.eml` file.
fn letter(file: String, raw: String) -> Letter {
    let headers = headers(&raw);
    let header = |name: &str| {
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| decoded_words(value))
    };
    let date = header("Date").and_then(|date| {
        let at = jiff::fmt::rfc2822::parse(&date).ok()?;
        Some(instant_connect::rfc3339(at.timestamp().as_second()))
    });
    Letter {
        to: header("To").unwrap_or_default(),
        subject: header("Subject").unwrap_or_else(|| "(no subject)".to_owned()),
        date,
        invitation: invitation(&raw),
        text: text_part(&raw),
        file,
        raw,
    }
}

/// The message's headers: the lines up to the first blank one, a line that starts with
/// white space continuing the one before.
fn headers(raw: &str) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in raw.lines().take_while(|line| !line.is_empty()) {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = headers.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    headers
}

/// A header's encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) as text; anything else as it is.
fn decoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("=?") {
        let word = rest[start + 2..].splitn(3, '?').collect::<Vec<_>>();
        let decoded = match word.as_slice() {
            [_, encoding, tail] => tail.find("?=").and_then(|end| {
                let text = &tail[..end];
                let bytes = match encoding.to_ascii_lowercase().as_str() {
                    "b" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()?,
                    "q" => quoted_printable(&text.replace('_', " "))?,
                    _ => return None,
                };
                let used = start + 2 + word[0].len() + 1 + encoding.len() + 1 + end + 2;
                Some((String::from_utf8_lossy(&bytes).into_owned(), used))
            }),
            _ => None,
        };
        let Some((text, used)) = decoded else { break };
        // White space between two encoded words is not part of the text.
        let before = &rest[..start];
        if !before.trim().is_empty() || out.is_empty() {
            out.push_str(before);
        }
        out.push_str(&text);
        rest = &rest[used..];
    }
    out.push_str(rest);
    out
}

/// `=XX` escapes and soft line breaks undone; `None` when an escape is not one.
fn quoted_printable(text: &str) -> Option<Vec<u8>> {
    let text = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// The method of the calendar invitation the message carries: its `METHOD:` line, or the
/// `method=` of a `text/calendar` part.
fn invitation(raw: &str) -> Option<String> {
    let line = raw
        .lines()
        .find_map(|line| line.strip_prefix("METHOD:"))
        .map(|method| method.trim().to_owned());
    line.or_else(|| {
        let lower = raw.to_ascii_lowercase();
        let at = lower.find("text/calendar")?;
        let tail = &raw[at..];
        let method = &tail[tail.to_ascii_lowercase().find("method=")? + "method=".len()..];
        let end = method
            .find(|c: char| c == ';' || c == '"' || c.is_whitespace())
            .unwrap_or(method.len());
        Some(method[..end].trim_matches('"').to_owned())
    })
}

/// The text of the message's first `text/plain` part (the message itself when it is one),
/// undone from quoted-printable or base64.
fn text_part(raw: &str) -> Option<String> {
    let lines: Vec<&str> = raw.lines().collect();
    let start = lines.iter().position(|line| {
        line.to_ascii_lowercase()
            .starts_with("content-type: text/plain")
    })?;
    let blank = start + lines[start..].iter().position(|line| line.is_empty())?;
    let encoding = lines[start..blank]
        .iter()
        .find_map(|line| {
            let lower = line.to_ascii_lowercase();
            lower
                .strip_prefix("content-transfer-encoding:")
                .map(|e| e.trim().to_owned())
        })
        .unwrap_or_else(|| "7bit".to_owned());
    let body: Vec<&str> = lines[blank + 1..]
        .iter()
        .take_while(|line| !line.starts_with("--"))
        .copied()
        .collect();
    let body = body.join("\n");
    let bytes = match encoding.as_str() {
        "quoted-printable" => quoted_printable(&body)?,
        "base64" => base64::engine::general_purpose::STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .ok()?,
        _ => body.into_bytes(),
    };
    Some(String::from_utf8_lossy(&bytes).trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "From: Clinic <visits@clinic.example>\r\n\
        To: \"Grace Hopper\" <grace@example.test>\r\n\
        Subject: =?utf-8?b?WW91ciB2aXNpdCDigJM=?=\r\n =?utf-8?q?_M=C3=BCnchen?=\r\n\
        Date: Tue, 13 Jan 2026 10:00:00 +0000\r\n\
        Content-Type: multipart/mixed; boundary=\"b1\"\r\n\
        \r\n\
        --b1\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        Content-Transfer-Encoding: quoted-printable\r\n\
        \r\n\
        Hello Gr=C3=A4ce, a long line that goes=\r\n on\r\n\
        --b1\r\n\
        Content-Type: text/calendar; charset=utf-8; method=REQUEST\r\n\
        Content-Transfer-Encoding: base64\r\n\
        \r\n\
        QkVHSU46VkNBTEVOREFS\r\n\
        --b1--\r\n";

    #[test]
    fn a_message_is_read_from_its_headers_and_its_text_part() {
        let read = letter("a.eml".into(), MESSAGE.into());
        assert_eq!(read.to, "\"Grace Hopper\" <grace@example.test>");
        assert_eq!(read.subject, "Your visit – München");
        assert_eq!(read.date.as_deref(), Some("2026-01-13T10:00:00Z"));
        assert_eq!(read.invitation.as_deref(), Some("REQUEST"));
        assert_eq!(
            read.text.as_deref(),
            Some("Hello Gräce, a long line that goes on")
        );
        let plain = letter(
            "b.eml".into(),
            "To: a@b.example\r\nSubject: Hi\r\n\r\nBEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\n".into(),
        );
        assert_eq!(plain.invitation.as_deref(), Some("CANCEL"));
        assert_eq!(plain.text, None, "no text/plain part named");
        assert_eq!(plain.date, None);
    }
}
