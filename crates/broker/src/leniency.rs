//! The broker's rule: accept what production evidently accepts, and say what was ignored or
//! assumed, in an `Icnode-Warning` header per warning and in the log; a strict broker refuses
//! such requests instead. Warnings are gathered per request in a task-local, so any handler can
//! note one and the tracking middleware writes them out.

use std::cell::RefCell;
use std::future::Future;

use axum::http::{HeaderMap, HeaderValue};
use instant_connect::{FieldError, ValidationErrors, WARNING_HEADER};

/// At most this many warnings become headers; the rest are counted in one more.
const MAX_WARNING_HEADERS: usize = 16;
/// Longest header value written; the rest of a warning is cut.
const MAX_WARNING_CHARS: usize = 300;

tokio::task_local! {
    static NOTED: RefCell<Vec<FieldError>>;
}

/// Runs a request, collecting the warnings its handler notes.
pub(crate) async fn collect<F: Future>(request: F) -> (F::Output, Vec<FieldError>) {
    NOTED
        .scope(RefCell::new(Vec::new()), async {
            let output = request.await;
            (output, NOTED.with(|noted| noted.take()))
        })
        .await
}

/// Accepts departures from the documented API: a lenient broker notes them for the response,
/// a strict one refuses the request with each as an error.
pub(crate) fn allow(strict: bool, warnings: Vec<FieldError>) -> Result<(), ValidationErrors> {
    if warnings.is_empty() {
        return Ok(());
    }
    if strict {
        return Err(ValidationErrors(
            warnings
                .into_iter()
                .map(|w| {
                    FieldError::new(
                        w.field,
                        format!("not accepted by a strict broker ({})", w.rule),
                    )
                })
                .collect(),
        ));
    }
    // Outside a request (no scope) there is no one to tell; that is never the case in a handler.
    let _ = NOTED.try_with(|noted| noted.borrow_mut().extend(warnings));
    Ok(())
}

/// Writes `warnings` as `Icnode-Warning` headers: visible ASCII only, each cut to a bounded
/// length, and a bounded number of them.
pub(crate) fn write_headers(headers: &mut HeaderMap, warnings: &[FieldError]) {
    for line in shown(warnings) {
        headers.append(
            WARNING_HEADER,
            HeaderValue::from_str(&line).expect("visible ASCII is a valid header value"),
        );
    }
}

/// `warnings` as the headers and the log show them: at most [`MAX_WARNING_HEADERS`], each
/// escaped and cut ([`visible`]), then how many more there were.
pub(crate) fn shown(warnings: &[FieldError]) -> Vec<String> {
    let mut lines: Vec<String> = warnings
        .iter()
        .take(MAX_WARNING_HEADERS)
        .map(|warning| visible(&warning.to_string()))
        .collect();
    if warnings.len() > MAX_WARNING_HEADERS {
        lines.push(format!(
            "{} more warnings not shown",
            warnings.len() - MAX_WARNING_HEADERS
        ));
    }
    lines
}

/// Text from a request (an unknown key can hold anything) as one line of visible ASCII, at
/// most [`MAX_WARNING_CHARS`] long: what a header can carry and a log line cannot be forged by.
pub(crate) fn visible(text: &str) -> String {
    let mut value = String::new();
    for c in text.chars() {
        if value.len() >= MAX_WARNING_CHARS {
            value.push_str("...");
            break;
        }
        if c == ' ' || c.is_ascii_graphic() {
            value.push(c);
        } else {
            value.extend(c.escape_default());
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_visible_ascii_and_bounded() {
        let value = visible("jwt.N\u{e9}bf\r\nX-Injected: 1");
        assert_eq!(value, "jwt.N\\u{e9}bf\\r\\nX-Injected: 1");
        let long = visible(&"a".repeat(1000));
        assert!(long.len() <= MAX_WARNING_CHARS + 3);
        let mut headers = HeaderMap::new();
        let many: Vec<FieldError> = (0..40)
            .map(|i| FieldError::new(format!("f{i}"), "x"))
            .collect();
        write_headers(&mut headers, &many);
        let written: Vec<&str> = headers
            .get_all(WARNING_HEADER)
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        assert_eq!(written.len(), MAX_WARNING_HEADERS + 1);
        assert_eq!(written[MAX_WARNING_HEADERS], "24 more warnings not shown");
    }

    #[test]
    fn exactly_the_most_warnings_shown_need_no_line_saying_more() {
        let warnings: Vec<FieldError> = (0..MAX_WARNING_HEADERS)
            .map(|i| FieldError::new(format!("field{i}"), "ignored"))
            .collect();
        let mut headers = HeaderMap::new();
        write_headers(&mut headers, &warnings);
        let written: Vec<_> = headers.get_all(WARNING_HEADER).iter().collect();
        assert_eq!(written.len(), MAX_WARNING_HEADERS);
        assert!(
            written
                .iter()
                .all(|v| !v.to_str().unwrap().contains("more"))
        );
    }
}
