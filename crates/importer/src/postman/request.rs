//! One request of a collection as a method: its URL (path variables as fields, the query as
//! rows), headers, auth, body and saved examples.

use serde_json::{Map, Value};

use node::model::FieldUi;

use super::auth::apply_auth;
use super::body::read_body;
use super::collection::{Found, description, pairs};
use super::variables::Variables;
use crate::defaults::{SENDABLE_METHODS, http_method};
use crate::draft::Draft;
use crate::names::field_name;
use crate::rows::row;
use crate::session::Session;
use crate::text::text_of;
use crate::urls::{absolute_url, split_query};
use crate::variables::{as_is, convert};

/// One request as a method; `None`, said in a note, when a node cannot send it.
pub(super) fn method(
    found: &Found<'_>,
    vars: &mut Variables,
    session: &mut Session,
) -> Option<Draft> {
    let request = found.request;
    let name = match found.name.trim() {
        "" => "Request".to_owned(),
        name => name.to_owned(),
    };
    let verb = request
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let Some(http_method) = http_method(&verb) else {
        session.left_out(format!(
            "`{name}`: {verb} is not a method a node can send ({SENDABLE_METHODS}): not carried \
             over"
        ));
        return None;
    };
    let url = RequestUrl::of(request);
    let (base, raw_query) = split_query(&url.raw);
    if base.trim().is_empty() {
        session.left_out(format!("`{name}` has no URL: not carried over"));
        return None;
    }
    let mut fields: Vec<FieldUi> = Vec::new();
    let base = path_variables_to_braces(base, url.variables, &mut fields);
    let place = format!("`{name}`: the URL");
    let converted = convert(&base, false, &place, vars, session, &as_is);
    let mut draft = Draft::new(
        &name,
        http_method,
        absolute_url(&converted, "http", session),
    );
    draft.fields = fields;
    for (key, value) in query_pairs(url.query, raw_query) {
        let row = row(&key, &value, "URL parameter", vars, session);
        draft.url_parameters.push(row);
    }
    let headers = header_pairs(request);
    for (key, value) in headers.iter().filter(|(key, _)| !key.is_empty()) {
        let row = row(key, value, "header", vars, session);
        draft.add_header(row);
    }
    read_auth_body_and_examples(&mut draft, found, &headers, vars, session);
    Some(draft)
}

/// What the request's auth, body and saved examples add to its method.
fn read_auth_body_and_examples(
    draft: &mut Draft,
    found: &Found<'_>,
    headers: &[(String, String)],
    vars: &mut Variables,
    session: &mut Session,
) {
    if let Some(auth) = found.auth {
        apply_auth(draft, auth, vars, session);
    }
    if draft.authorization.is_some() && draft.remove_header("authorization") {
        session.changed(format!(
            "`{}`: its Authorization header is left out: the method's authorization sends it",
            draft.name
        ));
    }
    if let Some(request_body) = found.request.get("body") {
        read_body(draft, request_body, headers, vars, session);
    }
    if let Some(Value::Array(responses)) = found.responses {
        read_examples(draft, responses, session);
    }
}

/// A request's URL as written (its `raw` text).
pub(super) fn request_url(request: &Value) -> String {
    RequestUrl::of(request).raw
}

/// A request's URL: its raw text, and the query rows and path variables it lists.
struct RequestUrl<'a> {
    raw: String,
    query: Option<&'a Vec<Value>>,
    variables: Option<&'a Vec<Value>>,
}

impl<'a> RequestUrl<'a> {
    /// A request's `url`, as text or as an object; a request may be its URL alone.
    fn of(request: &'a Value) -> Self {
        let url = if request.is_string() {
            Some(request)
        } else {
            request.get("url")
        };
        match url {
            Some(Value::String(raw)) => Self {
                raw: raw.clone(),
                query: None,
                variables: None,
            },
            Some(Value::Object(url)) => Self {
                raw: url
                    .get("raw")
                    .and_then(Value::as_str)
                    .map_or_else(|| raw_of(url), str::to_owned),
                query: url.get("query").and_then(Value::as_array),
                variables: url.get("variable").and_then(Value::as_array),
            },
            _ => Self {
                raw: String::new(),
                query: None,
                variables: None,
            },
        }
    }
}

/// The query's rows: the `query` list when the URL has one (Postman keeps it beside `raw`),
/// else the raw query's pairs as written.
fn query_pairs(query: Option<&Vec<Value>>, raw_query: Option<&str>) -> Vec<(String, String)> {
    match query {
        Some(query) => pairs(query),
        None => raw_query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect(),
    }
}

/// The request's headers: a list, or the lines `Name: value` of a text.
fn header_pairs(request: &Value) -> Vec<(String, String)> {
    match request.get("header") {
        Some(Value::Array(headers)) => pairs(headers),
        Some(Value::String(lines)) => lines
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
        _ => Vec::new(),
    }
}

/// A URL from `protocol`, `host` and `path` when `raw` is absent.
fn raw_of(url: &Map<String, Value>) -> String {
    let join = |key: &str, sep: &str| match url.get(key) {
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p {
                Value::Object(o) => text_of(o.get("value")),
                other => text_of(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(sep),
        other => text_of(other),
    };
    let protocol = text_of(url.get("protocol"));
    let host = join("host", ".");
    let path = join("path", "/");
    let scheme = if protocol.is_empty() {
        String::new()
    } else {
        format!("{protocol}://")
    };
    format!("{scheme}{host}/{path}")
}

/// `:name` path segments as `{{name}}`; their descriptions become tooltips.
fn path_variables_to_braces(
    url: &str,
    variables: Option<&Vec<Value>>,
    fields: &mut Vec<FieldUi>,
) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let segments: Vec<String> = rest
        .split('/')
        .enumerate()
        .map(|(i, segment)| match segment.strip_prefix(':') {
            Some(name) if i > 0 && !name.is_empty() => {
                let field = field_name(name);
                let tooltip = variables
                    .into_iter()
                    .flatten()
                    .find(|v| v.get("key").and_then(Value::as_str) == Some(name))
                    .map(|v| description(v.get("description")))
                    .unwrap_or_default();
                if !tooltip.is_empty() {
                    let mut ui = FieldUi::plain(&field);
                    ui.tooltip = tooltip;
                    fields.push(ui);
                }
                format!("{{{{{name}}}}}")
            }
            _ => segment.to_owned(),
        })
        .collect();
    format!("{scheme}{}", segments.join("/"))
}

/// The first 2xx example (else the first example): its status → the success event, its body →
/// the response type, sample and outputs.
fn read_examples(draft: &mut Draft, responses: &[Value], session: &mut Session) {
    let code = |r: &Value| r.get("code").and_then(Value::as_u64).unwrap_or(0);
    let example = responses
        .iter()
        .find(|r| (200..300).contains(&code(r)))
        .or_else(|| responses.first());
    let Some(example) = example else { return };
    let status = code(example);
    if (200..300).contains(&status) {
        draft.success_status = u16::try_from(status).ok();
    } else {
        session.changed(format!(
            "`{}`: no 2xx example: any 2xx status leaves by success",
            draft.name
        ));
        return;
    }
    let sample = text_of(example.get("body"));
    if !sample.trim().is_empty() {
        draft.read_sample(&sample, session);
    }
}
