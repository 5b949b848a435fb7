//! The method a curl line sends: its verb, URL (the query as rows), headers and timeouts; the
//! authorization and body come from their own rooms.

use node::model::{MAX_TIMEOUT_MS, Method, Row};

use super::auth::{authorize, header_left_out};
use super::body::read_body;
use super::fields::Fields;
use super::line::Line;
use crate::bodies::decoded_pairs;
use crate::defaults::{CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS, SENDABLE_METHODS, http_method};
use crate::draft::Draft;
use crate::imported::ImportError;
use crate::rows::row;
use crate::session::Session;
use crate::urls::{absolute_url, split_query};
use crate::variables::{as_is, convert};

/// The line's one method.
pub(super) fn method(line: Line, session: &mut Session) -> Result<Method, ImportError> {
    let mut vars = Fields::default();
    let Some(raw_url) = line.urls.first() else {
        return Err(ImportError::NotCurl("it has no URL".to_owned()));
    };
    if line.urls.len() > 1 {
        session.left_out(format!(
            "only the first URL is carried over; left out: {}",
            line.urls[1..].join(", ")
        ));
    }
    let verb = verb(&line);
    let Some(http_method) = http_method(&verb) else {
        return Err(ImportError::NotCurl(format!(
            "{verb} is not a method a node can send ({SENDABLE_METHODS})"
        )));
    };
    let (base, query) = split_query(raw_url);
    let url = convert(base, false, "the URL", &mut vars, session, &as_is);
    let url = absolute_url(&url, "http", session);
    let path = url::Url::parse(&url)
        .map(|u| u.path().to_owned())
        .unwrap_or_else(|_| "/".to_owned());
    let mut draft = Draft::new(&format!("{verb} {path}"), http_method, url);
    let mut pairs: Vec<(String, String)> = query.into_iter().flat_map(decoded_pairs).collect();
    if line.get && !line.data.is_empty() {
        pairs.extend(decoded_pairs(&line.data.join("&")));
    }
    for (key, value) in pairs {
        let row = row(&key, &value, "URL parameter", &mut vars, session);
        draft.url_parameters.push(row);
    }
    add_headers(&mut draft, &line, &mut vars, session);
    authorize(&mut draft, &line, &mut vars, session);
    set_timeouts(&mut draft, &line, session);
    read_body(&mut draft, &line, &mut vars, session);
    Ok(draft.finish())
}

/// `-X`, else what curl sends: POST with data (not under `-G`) or parts, else GET.
fn verb(line: &Line) -> String {
    line.method.clone().unwrap_or_else(|| {
        if (!line.data.is_empty() && !line.get) || !line.parts.is_empty() {
            "POST".to_owned()
        } else {
            "GET".to_owned()
        }
    })
}

/// `--json`'s two headers, then each `-H` (a later one of a name replaces an earlier; an
/// Authorization header under a method authorization is left out).
fn add_headers(draft: &mut Draft, line: &Line, vars: &mut Fields, session: &mut Session) {
    if line.json {
        line_header(&mut draft.headers, "Content-Type", "application/json");
        line_header(&mut draft.headers, "Accept", "application/json");
    }
    for (key, value) in &line.headers {
        if header_left_out(line, key, &format!("the header `{key}`"), session) {
            continue;
        }
        let row = row(key, value, "header", vars, session);
        draft.remove_header(key);
        draft.headers.push(row);
    }
}

/// `--max-time` and `--connect-timeout`, within a node's limits.
fn set_timeouts(draft: &mut Draft, line: &Line, session: &mut Session) {
    if let Some(seconds) = &line.max_time {
        draft.request_timeout_ms = timeout_ms(seconds, "--max-time", REQUEST_TIMEOUT_MS, session);
    }
    if let Some(seconds) = &line.connect_timeout {
        draft.connection_timeout_ms =
            timeout_ms(seconds, "--connect-timeout", CONNECTION_TIMEOUT_MS, session);
    }
}

/// Seconds (curl's unit, fractions allowed) as milliseconds within a node's limits.
fn timeout_ms(seconds: &str, what: &str, default: u32, session: &mut Session) -> u32 {
    match seconds.trim().parse::<f64>() {
        Ok(s) if s > 0.0 => {
            let ms = (s * 1000.0).round();
            if ms > f64::from(MAX_TIMEOUT_MS) {
                session.changed(format!(
                    "the {what} of {seconds} s is more than a node allows: {MAX_TIMEOUT_MS} ms"
                ));
                MAX_TIMEOUT_MS
            } else {
                (ms as u32).max(1)
            }
        }
        _ => {
            session.changed(format!(
                "the {what} `{seconds}` is not a number of seconds: {default} ms"
            ));
            default
        }
    }
}

fn line_header(headers: &mut Vec<Row>, name: &str, value: &str) {
    headers.push(Row::Static {
        name: name.to_owned(),
        value: value.to_owned(),
    });
}
