//! What every console page and fragment is made of: the page shell and its navigation, HTML
//! answers, the form fields with their errors (written once), and path segments.

use std::collections::HashMap;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

use crate::http::error::ApiError;

/// Where every page's `<link rel="icon">` points (the console's routes serve it).
pub(super) const ICON_PATH: &str = "/console/icon.svg";

/// One E.164 number, as a phone field takes it.
pub(super) const PHONE_PATTERN: &str = r"\+[0-9]{8,15}";

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

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    SignIn,
    NewMeeting,
    Meetings,
    Visits,
    Mail,
    Webhooks,
    Nodes,
    Status,
}

/// A whole page: the navigation, a heading and `body`.
pub(super) fn page(title: &str, current: Nav, body: Markup) -> Markup {
    let item = |nav: Nav, href: &str, label: &str| {
        html! { li { a href=(href) aria-current=[(nav == current).then_some("page")] { (label) } } }
    };
    let page_name = match current {
        Nav::SignIn => "signin",
        Nav::NewMeeting => "new-meeting",
        Nav::Meetings => "meetings",
        Nav::Visits => "visits",
        Nav::Mail => "mail",
        Nav::Webhooks => "webhooks",
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
                link rel="icon" type="image/svg+xml" href=(ICON_PATH);
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
                                (item(Nav::Visits, "/visits", "Visits"))
                                (item(Nav::Mail, "/mail", "Mail"))
                                (item(Nav::Webhooks, "/webhooks", "Webhooks"))
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
pub(super) fn markup(status: StatusCode, body: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body.into_string(),
    )
        .into_response()
}

pub(super) fn error_fragment(error: ApiError) -> Response {
    markup(
        error.status,
        html! { p.alert role="alert" { (error.message) } },
    )
}

/// A URL that wraps after a slash rather than inside a short code: a `<wbr>` after each.
pub(super) fn breakable(url: &str) -> Markup {
    html! { @for piece in url.split_inclusive('/') { (piece) wbr; } }
}

pub(super) fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// The fields at fault, by form field name, and what is wrong with the request as a whole.
#[derive(Default)]
pub(super) struct Errors {
    pub(super) fields: HashMap<String, String>,
    pub(super) general: Option<String>,
}

impl Errors {
    /// An API error placed by field: the console's inputs carry the API's field names, except
    /// the validity preset, which stands for `ttlSeconds`, and a list typed in one field
    /// (`reminders`), whose items' errors (`reminders[1]`) stand by it.
    /// `shown` are the fields the form has: an error about any other field is said above the
    /// form, so that none is lost.
    pub(super) fn from_api(error: ApiError, shown: &[&str]) -> Self {
        let mut errors = Self::default();
        let mut unplaced = Vec::new();
        let mut put = |field: &str, message: String| {
            let field = match field {
                "ttlSeconds" => "validity",
                other if shown.contains(&other) => other,
                other => other
                    .strip_suffix(']')
                    .and_then(|rest| rest.rsplit_once('['))
                    .filter(|(_, index)| index.bytes().all(|b| b.is_ascii_digit()))
                    .map_or(other, |(list, _)| list),
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

    pub(super) fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.fields.insert(field.to_owned(), message.into());
        errors
    }

    /// The error of the field named `name`, if it has one.
    pub(super) fn of(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    pub(super) fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }
}

/// What a submitted form holds, as typed.
#[derive(Default)]
pub(super) struct FormValues {
    pub(super) values: HashMap<String, String>,
}

impl FormValues {
    pub(super) fn parse(body: &[u8]) -> Self {
        Self {
            values: url::form_urlencoded::parse(body).into_owned().collect(),
        }
    }

    pub(super) fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    pub(super) fn or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.values.get(name).map_or(default, String::as_str)
    }
}

/// How an input is tied to its hint and its error, for assistive technology.
pub(super) struct Aria {
    pub(super) described_by: String,
    pub(super) invalid: Option<&'static str>,
}

/// One form field, the one way the console writes one: its label, an optional hint, the input
/// `input` draws (told how to tie itself to the hint and the error), and the error beside it.
pub(super) fn field(
    id: &str,
    label: impl maud::Render,
    hint: Option<&str>,
    error: Option<&str>,
    input: impl FnOnce(&Aria) -> Markup,
) -> Markup {
    let aria = Aria {
        described_by: match hint {
            Some(_) => format!("{id}-hint {id}-error"),
            None => format!("{id}-error"),
        },
        invalid: error.map(|_| "true"),
    };
    html! {
        div.field .invalid[error.is_some()] {
            label for=(id) { (label) }
            @if let Some(hint) = hint { p.hint id={ (id) "-hint" } { (hint) } }
            (input(&aria))
            p.error id={ (id) "-error" } { @if let Some(error) = error { (error) } }
        }
    }
}
