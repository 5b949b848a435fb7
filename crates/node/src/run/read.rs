//! The read step: the answer (or why none came) → the edge of the first event it matches, the
//! outputs, and the raw answer a console shows.

use std::collections::BTreeMap;

use reqwest::header::HeaderMap;
use serde_json::{Map, Value};

use super::failure::transport_failure;
use super::result::{RAW_BODY_BYTES, RAW_HEADERS, RawResponse, RunResult};
use super::send::Received;
use crate::model::{Condition, Edge, Event, Method, Source};
use crate::response::Parsed;
use crate::template::{self, Context};

/// At most this much of the body is quoted in an error: enough for a JSON error body with its
/// message and tracking id, short enough for one line.
const ERROR_EXCERPT_BYTES: usize = 512;

/// The run's result from what came back after `elapsed_ms`: read at most `limit` bytes, parsed
/// as the method's response type, judged by its events.
pub(super) fn read(
    method: &Method,
    target: &str,
    received: Result<Received, reqwest::Error>,
    elapsed_ms: u64,
    limit: usize,
) -> RunResult {
    let received = match received {
        Ok(received) => received,
        Err(e) => return transport_failure(method, target, e, elapsed_ms),
    };
    let Received {
        status,
        headers,
        body,
        too_large,
    } = received;
    let raw = RawResponse::new(status, &headers, &body, too_large);
    let left_by_error = |error: String| RunResult {
        edge: Edge::Error,
        status: Some(status),
        outputs: Map::new(),
        error: Some(error),
        elapsed_ms,
        response: Some(raw.clone()),
    };
    if too_large {
        return left_by_error(format!(
            "the response is larger than the {} limit",
            size(limit)
        ));
    }
    let parsed = match Parsed::parse(method.response_type, &body) {
        Ok(parsed) => parsed,
        Err(reason) => {
            let start: String = String::from_utf8_lossy(&body).chars().take(80).collect();
            return left_by_error(format!("{reason}; it starts {start:?}"));
        }
    };
    let answer = Answer {
        status,
        headers: &headers,
        body: Some(&parsed),
    };
    judged(method, &answer, &body, elapsed_ms, raw)
}

/// The edge of the first event the answer matches (none: the error edge), the outputs, and why
/// the run left by any edge but success.
fn judged(
    method: &Method,
    answer: &Answer<'_>,
    body: &[u8],
    elapsed_ms: u64,
    raw: RawResponse,
) -> RunResult {
    let status = answer.status;
    let matched = method.events.iter().find(|event| answer.holds(event));
    let error = match matched {
        Some(event) if event.edge == Edge::Success => None,
        Some(event) => Some(format!(
            "the answer matched event `{}` (HTTP {status}){}",
            event.name,
            quoted_body(body)
        )),
        None => Some(format!(
            "no event matched the answer (HTTP {status}){}",
            quoted_body(body)
        )),
    };
    RunResult {
        edge: matched.map_or(Edge::Error, |e| e.edge),
        status: Some(status),
        outputs: outputs(method, answer),
        error,
        elapsed_ms,
        response: Some(raw),
    }
}

/// An answer as events and outputs read it: `body` is `None` when there is none to read (a
/// throttled run).
pub(super) struct Answer<'a> {
    pub status: u16,
    pub headers: &'a HeaderMap,
    pub body: Option<&'a Parsed>,
}

impl Answer<'_> {
    /// The value a source reads; `None` when it is absent (no such header, path matched nothing).
    fn read(&self, source: &Source) -> Option<Value> {
        match source {
            Source::Status => Some(Value::from(self.status)),
            Source::Header { name } => self
                .headers
                .get(name.as_str())
                .and_then(|v| v.to_str().ok())
                .map(Value::from),
            Source::Body { path } => self.body?.read(path),
        }
    }

    /// Whether the answer meets the event's condition.
    pub(super) fn holds(&self, event: &Event) -> bool {
        let actual = self.read(&event.source);
        let expected = event.value.as_deref().unwrap_or("");
        let text = actual.as_ref().map(as_text);
        let number = |t: &str| t.trim().parse::<f64>().ok();
        let equals = || {
            text.as_deref().is_some_and(|t| {
                t == expected
                    || matches!((number(t), number(expected)), (Some(a), Some(b)) if a == b)
            })
        };
        match event.condition {
            Condition::Exists => actual.is_some(),
            Condition::Equals => equals(),
            Condition::NotEquals => !equals(),
            Condition::StartsWith => text.is_some_and(|t| t.starts_with(expected)),
            Condition::Contains => text.is_some_and(|t| t.contains(expected)),
            Condition::GreaterThan => text
                .and_then(|t| number(&t))
                .zip(number(expected))
                .is_some_and(|(a, b)| a > b),
            Condition::LessThan => text
                .and_then(|t| number(&t))
                .zip(number(expected))
                .is_some_and(|(a, b)| a < b),
        }
    }
}

/// A value as a flow sees it in text: strings bare, everything else as JSON.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The method's outputs read from the answer (absent: null), then its computed outputs.
pub(super) fn outputs(method: &Method, answer: &Answer<'_>) -> Map<String, Value> {
    let mut outputs = Map::new();
    for output in &method.outputs {
        outputs.insert(
            output.name.clone(),
            answer.read(&output.source).unwrap_or(Value::Null),
        );
    }
    for computed in &method.computed_outputs {
        // Any missing part (e.g. no host short key when adding a guest) makes the whole null.
        let value = template::fill(&computed.template, Context::Raw, |name| {
            outputs.get(name).filter(|v| !v.is_null()).map(as_text)
        })
        .map_or(Value::Null, Value::from);
        outputs.insert(computed.name.clone(), value);
    }
    outputs
}

impl RawResponse {
    /// The answer as a console shows it: the first headers, the start of the body.
    pub(super) fn new(status: u16, headers: &HeaderMap, body: &[u8], too_large: bool) -> Self {
        let mut shown: BTreeMap<String, String> = BTreeMap::new();
        for name in headers.keys().take(RAW_HEADERS) {
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            shown.insert(name.as_str().to_owned(), values.join(", "));
        }
        // A body stopped at the limit may end inside a character: drop that part, not show U+FFFD.
        let body = match std::str::from_utf8(body) {
            Err(e) if too_large && e.error_len().is_none() => &body[..e.valid_up_to()],
            _ => body,
        };
        let text = String::from_utf8_lossy(body);
        let (excerpt, cut) = cut(&text, RAW_BODY_BYTES);
        Self {
            status,
            headers: shown,
            body: excerpt.to_owned(),
            body_truncated: cut || too_large,
        }
    }
}

/// `text` cut to at most `max` bytes on a character boundary, and whether it was cut.
fn cut(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// The start of a body for an error line, on one line: `": {...}"`, or nothing when empty.
fn quoted_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut one_line = String::new();
    for word in text.split_whitespace() {
        if one_line.len() > ERROR_EXCERPT_BYTES {
            break;
        }
        if !one_line.is_empty() {
            one_line.push(' ');
        }
        one_line.push_str(word);
    }
    if one_line.is_empty() {
        return String::new();
    }
    match cut(&one_line, ERROR_EXCERPT_BYTES) {
        (excerpt, true) => format!(": {excerpt}…"),
        (excerpt, false) => format!(": {excerpt}"),
    }
}

/// A byte count as a limit is usually written: `1 MiB`, `64 KiB`, `1000-byte`.
fn size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    match bytes {
        0 => "0-byte".to_owned(),
        b if b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b}-byte"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Condition, Edge, Event, Source};

    /// Whether an answer of `status` meets `condition` against `value`.
    fn status_holds(status: u16, condition: Condition, value: &str) -> bool {
        let headers = HeaderMap::new();
        let answer = Answer {
            status,
            headers: &headers,
            body: None,
        };
        answer.holds(&Event {
            name: "e".into(),
            source: Source::Status,
            condition,
            value: Some(value.into()),
            edge: Edge::Success,
        })
    }

    #[test]
    fn a_number_equals_its_other_spellings_and_compares_strictly() {
        assert!(status_holds(200, Condition::Equals, "200"));
        assert!(status_holds(200, Condition::Equals, " 200.0 "));
        assert!(!status_holds(200, Condition::Equals, "201"));
        assert!(!status_holds(200, Condition::Equals, "ok"));
        assert!(status_holds(200, Condition::NotEquals, "201"));
        assert!(!status_holds(200, Condition::NotEquals, "200.0"));
        assert!(status_holds(201, Condition::GreaterThan, "200"));
        assert!(!status_holds(200, Condition::GreaterThan, "200"));
        assert!(!status_holds(199, Condition::GreaterThan, "200"));
        assert!(status_holds(199, Condition::LessThan, "200"));
        assert!(!status_holds(200, Condition::LessThan, "200"));
        assert!(!status_holds(201, Condition::LessThan, "200"));
        assert!(!status_holds(200, Condition::LessThan, "many"));
    }

    #[test]
    fn an_error_line_quotes_a_body_on_one_line_cut_at_its_bound() {
        assert_eq!(quoted_body(b""), "");
        assert_eq!(quoted_body(b"  \n "), "");
        assert_eq!(quoted_body(b"{\"a\":\n  1}"), ": {\"a\": 1}");
        let exactly = "x".repeat(ERROR_EXCERPT_BYTES);
        assert_eq!(quoted_body(exactly.as_bytes()), format!(": {exactly}"));
        let words = format!("{} y", "x".repeat(ERROR_EXCERPT_BYTES));
        assert_eq!(quoted_body(words.as_bytes()), format!(": {exactly}…"));
    }

    #[test]
    fn a_cut_falls_on_the_character_boundary_before_the_bound() {
        assert_eq!(cut("aé", 2), ("a", true));
        assert_eq!(cut("aé", 3), ("aé", false));
        assert_eq!(cut("abc", 2), ("ab", true));
    }

    #[test]
    fn a_limit_reads_in_the_largest_whole_unit() {
        assert_eq!(size(0), "0-byte");
        assert_eq!(size(1024 * 1024), "1 MiB");
        assert_eq!(size(64 * 1024), "64 KiB");
        assert_eq!(size(1000), "1000-byte");
        assert_eq!(size(1025), "1025-byte");
    }
}
