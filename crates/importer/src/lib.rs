//! Node definitions made from other formats: a Postman collection v2.1 ([`postman()`]), an
//! OpenAPI 3.0 or 3.1 document in JSON or YAML ([`openapi()`]) or a curl command line
//! ([`curl()`]) becomes a definition that passes [`node::check()`], with notes saying what could
//! not be carried over; [`postman::export`] writes a definition back as a collection.
//!
//! A definition never holds a credential, and an import never puts one there: a literal token,
//! password or key found in the input is replaced by `$(secret:NAME)`, and a note names the
//! secret and how to give it at run time. The rules of what is a credential are the checker's
//! own ([`node::check::credentials`]).
//!
//! What it is not: part of the engine. It reads text and writes definitions; it sends nothing
//! and runs nothing. It depends on the engine's model and checks (`node`), and the engine knows
//! nothing of it.
//!
//! What every importer shares lives here: the defaults of a new method, how secrets and fields
//! are named, `{{var}}` conversion, header, query and body rows with credentials replaced,
//! suggested outputs from a sample, and the final check.

pub mod curl;
pub mod openapi;
pub mod postman;

pub use curl::curl;
pub use openapi::openapi;
pub use postman::postman;

use serde_json::Value;

use node::check::credentials::{is_credential_name, replacement};
use node::model::{
    Authorization, Body, BodyFormat, Condition, Edge, Event, FieldUi, HttpMethod, MAX_METHODS,
    Method, NodeDefinition, Output, ResponseType, Row, Source,
};
use node::template::{self, Context, Piece, SECRET_PREFIX};

/// The request timeout of an imported method.
pub const REQUEST_TIMEOUT_MS: u32 = 10_000;
/// The connection timeout of an imported method.
pub const CONNECTION_TIMEOUT_MS: u32 = 5_000;
/// At most this many outputs are suggested per method from a sample or a schema.
pub const MAX_SUGGESTED_OUTPUTS: usize = 20;
/// Samples and schemas are walked this deep for outputs.
const MAX_DEPTH: usize = 8;
/// The base of a URL whose base the input does not give (an unset `{{baseUrl}}`, a relative
/// server): a host that never resolves, to be edited or replaced with `--broker-url`.
pub const PLACEHOLDER_BASE_URL: &str = "https://example.invalid";
/// The name of a node when the input gives none.
pub const DEFAULT_NODE_NAME: &str = "Imported node";

/// A definition made from another format, and what could not be carried over.
#[derive(Debug, Clone)]
pub struct Imported {
    pub definition: NodeDefinition,
    /// In words: each secret the definition expects, each part of the input left out.
    pub notes: Vec<String>,
}

/// Why an input could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("neither JSON nor YAML: {0}")]
    NotYaml(String),
    #[error("not a Postman collection: {0}")]
    NotCollection(String),
    #[error(
        "a Postman collection {0}, and icnode reads v2.1: export it from Postman again as \
         \"Collection v2.1\""
    )]
    CollectionVersion(String),
    #[error("not an OpenAPI document: {0}")]
    NotOpenApi(String),
    #[error("OpenAPI {0}, and icnode reads OpenAPI 3.0 and 3.1")]
    OpenApiVersion(String),
    #[error("not a curl command line: {0}")]
    NotCurl(String),
    #[error("nothing to import: {0}")]
    Empty(String),
    #[error("the imported definition does not check (a bug of the importer):\n  {0}")]
    Unchecked(String),
}

/// How a `{{var}}` is written into the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Var {
    /// Its value, written in (a collection variable that is no credential).
    Inline(String),
    /// `$(secret:NAME)`.
    Secret(String),
    /// `$(name)`: a dynamic field.
    Field(String),
}

impl Var {
    fn placeholder(&self) -> String {
        match self {
            Var::Inline(value) => value.clone(),
            Var::Secret(name) => format!("$({SECRET_PREFIX}{name})"),
            Var::Field(name) => format!("$({name})"),
        }
    }
}

/// What an import has found so far that the user must be told: secrets and left-outs.
#[derive(Debug, Default)]
pub(crate) struct Session {
    notes: Vec<String>,
    /// Secret names given out, with the literal each stands for (compared, never written).
    secrets: Vec<(String, Option<String>)>,
}

impl Session {
    pub(crate) fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// The secret that stands for a literal credential found at `place`, named after `base`;
    /// one literal gets one name, another literal under the same base a numbered one.
    pub(crate) fn secret_for_literal(&mut self, base: &str, literal: &str, place: &str) -> String {
        if let Some((name, _)) = self
            .secrets
            .iter()
            .find(|(_, known)| known.as_deref() == Some(literal))
        {
            return name.clone();
        }
        let base = secret_name(base);
        let mut name = base.clone();
        let mut n = 2;
        while self.secrets.iter().any(|(known, _)| *known == name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        self.secrets.push((name.clone(), Some(literal.to_owned())));
        self.note(format!(
            "{place} held a literal credential; it is not in the definition, which names the \
             secret `{name}` instead: give it at run time as {} or in the secrets file",
            node::secrets::env_variable(&name)
        ));
        name
    }

    /// The secret that stands for the credential variable `var` used at `place`.
    pub(crate) fn secret_for_variable(&mut self, var: &str, place: &str) -> String {
        let name = secret_name(var);
        if !self.secrets.iter().any(|(known, _)| *known == name) {
            self.secrets.push((name.clone(), None));
        }
        self.note(format!(
            "{place}: `{{{{{var}}}}}` is a credential, so the definition names the secret \
             `{name}`: give it at run time as {} or in the secrets file",
            node::secrets::env_variable(&name)
        ));
        name
    }
}

/// A secret name (letters, digits, underscores) from any text: `X-API-Key` → `x_api_key`,
/// `brokerToken` → `broker_token`.
pub fn secret_name(text: &str) -> String {
    let mut out = String::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase()
                && previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit())
            {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
        previous = Some(c);
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        "secret".to_owned()
    } else {
        out
    }
}

/// A dynamic field name (letters, digits, underscores; case kept) from a variable or parameter
/// name: `chat-id` → `chat_id`, `$guid` → `guid`.
pub fn field_name(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "value".to_owned()
    } else {
        out
    }
}

/// A piece of text in the `{{var}}` syntax of Postman (and of curl lines copied from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Brace<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits `{{var}}` out of text; a `{{` with no `}}` is text.
pub(crate) fn braces(text: &str) -> Vec<Brace<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start + 2..].find("}}") else {
            break;
        };
        if start > 0 {
            out.push(Brace::Text(&rest[..start]));
        }
        out.push(Brace::Var(rest[start + 2..start + 2 + end].trim()));
        rest = &rest[start + 2 + end + 2..];
    }
    if !rest.is_empty() {
        out.push(Brace::Text(rest));
    }
    out
}

/// How an importer resolves `{{var}}`: `credential` says the variable stands where a credential
/// does (then it is always a secret).
pub(crate) trait Resolve {
    fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var;
}

/// `text` with every `{{var}}` written as `resolve` says; `escape` writes the literal text.
pub(crate) fn convert(
    text: &str,
    credential: bool,
    place: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
    escape: &dyn Fn(&str) -> String,
) -> String {
    braces(text)
        .into_iter()
        .map(|piece| match piece {
            Brace::Text(text) => escape(text),
            Brace::Var(name) => match resolve.var(name, credential, place, session) {
                Var::Inline(value) => escape(&value),
                other => other.placeholder(),
            },
        })
        .collect()
}

fn as_is(text: &str) -> String {
    text.to_owned()
}

fn form_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The secret a credential value stands for: the variable's when the value is one `{{var}}`,
/// else a name for the literal (`base`).
pub(crate) fn credential_secret(
    value: &str,
    base: &str,
    place: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> String {
    match braces(value.trim()).as_slice() {
        [Brace::Var(var)] => match resolve.var(var, true, place, session) {
            Var::Secret(name) => name,
            _ => session.secret_for_variable(var, place),
        },
        _ if value.trim().is_empty() => {
            let name = secret_name(base);
            session.note(format!(
                "{place} has no value: the definition names the secret `{name}`; give it at run \
                 time as {}",
                node::secrets::env_variable(&name)
            ));
            name
        }
        _ => session.secret_for_literal(base, value, place),
    }
}

/// A header or URL parameter row from `name: value`, with credentials named as secrets.
pub(crate) fn row(
    name: &str,
    value: &str,
    what: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> Row {
    let place = format!("{what} `{name}`");
    if is_credential_name(name) {
        return Row::Static {
            name: name.to_owned(),
            value: credential_row_value(name, value, &place, resolve, session),
        };
    }
    let pieces = braces(value);
    if let [Brace::Var(var)] = pieces.as_slice() {
        match resolve.var(var, false, &place, session) {
            Var::Field(field) => {
                return Row::Dynamic {
                    name: name.to_owned(),
                    field: (field != name).then_some(field),
                    description: String::new(),
                };
            }
            other => {
                return Row::Static {
                    name: name.to_owned(),
                    value: other.placeholder(),
                };
            }
        }
    }
    let converted = convert(value, false, &place, resolve, session, &as_is);
    if template::placeholder_names(&converted).is_empty() {
        return Row::Static {
            name: name.to_owned(),
            value: converted,
        };
    }
    let field = field_name(name);
    session.note(format!(
        "{place} was `{value}`: a row's value is one static text or one field, so it is now \
         the dynamic field `{field}`, whose value is the whole {what}"
    ));
    Row::Dynamic {
        name: name.to_owned(),
        field: (field != name).then_some(field),
        description: format!("formerly `{value}`"),
    }
}

/// A credential value split into the auth-scheme word it starts with (`Bearer`, as the
/// checker spells it) and the credential itself. A scheme word alone is no credential: `None`.
fn split_scheme(value: &str) -> Option<(Option<String>, &str)> {
    let trimmed = value.trim();
    let instead = replacement(trimmed)?;
    Some(match instead.split_once(' ') {
        Some((scheme, _)) => {
            let rest = trimmed
                .split_once(char::is_whitespace)
                .map_or("", |(_, rest)| rest.trim());
            (Some(scheme.to_owned()), rest)
        }
        None => (None, trimmed),
    })
}

/// The value of a credential row: its scheme word kept (`Bearer`), the rest one secret.
fn credential_row_value(
    name: &str,
    value: &str,
    place: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> String {
    let Some((scheme, credential)) = split_scheme(value) else {
        return value.trim().to_owned();
    };
    let base = match &scheme {
        Some(scheme) => format!("{scheme}_token"),
        None => name.to_owned(),
    };
    let secret = credential_secret(credential, &base, place, resolve, session);
    match scheme {
        Some(scheme) => format!("{scheme} $({SECRET_PREFIX}{secret})"),
        None => format!("$({SECRET_PREFIX}{secret})"),
    }
}

/// A form body template from name/value pairs (each may hold `{{var}}`): literal text
/// form-encoded, credential fields as secrets.
pub(crate) fn form_template(
    pairs: &[(String, String)],
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> String {
    let mut out = Vec::new();
    for (name, value) in pairs {
        let place = format!("form body field `{name}`");
        let key = convert(name, false, &place, resolve, session, &form_encoded);
        let value = if is_credential_name(name) {
            let secret = credential_secret(value, name, &place, resolve, session);
            format!("$({SECRET_PREFIX}{secret})")
        } else {
            convert(value, false, &place, resolve, session, &form_encoded)
        };
        out.push(format!("{key}={value}"));
    }
    out.join("&")
}

/// A JSON body template: `{{var}}` converted, and every credential field (at any depth) made a
/// secret. `None` when the body is not JSON even with its placeholders filled.
pub(crate) fn json_template(
    text: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> Option<String> {
    let converted = convert(text, false, "the JSON body", resolve, session, &as_is);
    // Each placeholder becomes a unique marker string, so that the body parses as JSON and the
    // placeholders can be put back after credential fields are replaced.
    let mut names: Vec<String> = Vec::new();
    let filled = template::fill(&converted, Context::Json, |name| {
        names.push(name.to_owned());
        Some(format!("\"{}\"", marker(names.len() - 1)))
    })
    .ok()?;
    let mut value: Value = serde_json::from_str(&filled).ok()?;
    let mut secrets: Vec<Option<String>> = vec![None; names.len()];
    let mut changed = false;
    replace_credentials(&mut value, &names, &mut secrets, &mut changed, session);
    if !changed {
        return Some(converted);
    }
    let mut out = if text.contains('\n') {
        serde_json::to_string_pretty(&value).ok()?
    } else {
        serde_json::to_string(&value).ok()?
    };
    for (i, name) in names.iter().enumerate() {
        let placeholder = match &secrets[i] {
            Some(secret) => format!("$({SECRET_PREFIX}{secret})"),
            None => format!("$({name})"),
        };
        // Inside a string the marker's quotes were escaped; outside, they are the string's.
        out = out.replace(&format!("\\\"{}\\\"", marker(i)), &placeholder);
        out = out.replace(&format!("\"{}\"", marker(i)), &placeholder);
    }
    Some(out)
}

/// An XML body template: `{{var}}` converted, and the text of every element named as a
/// credential a secret. `None` when the body is not well-formed XML with its placeholders
/// filled.
pub(crate) fn xml_template(
    text: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> Option<String> {
    let converted = convert(text, false, "the XML body", resolve, session, &as_is);
    let filled = template::fill(&converted, Context::Xml, |_| Some("0".to_owned())).ok()?;
    sxd_document::parser::parse(&filled).ok()?;
    let mut out = String::with_capacity(converted.len());
    let mut rest = converted.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            break;
        };
        let tag = &after[..=close];
        out.push_str(tag);
        rest = &after[close + 1..];
        if tag.starts_with("</")
            || tag.starts_with("<?")
            || tag.starts_with("<!")
            || tag.ends_with("/>")
        {
            continue;
        }
        let name = tag[1..tag.len() - 1]
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        let end = rest.find('<').unwrap_or(rest.len());
        if !is_credential_name(local) || !rest[end..].starts_with("</") {
            continue;
        }
        let place = format!("XML body element `{local}`");
        let content = rest[..end].trim();
        let written = match template::pieces(content).as_slice() {
            [Piece::Placeholder(p)] if p.starts_with(SECRET_PREFIX) => continue,
            [Piece::Placeholder(p)] => {
                format!(
                    "$({SECRET_PREFIX}{})",
                    session.secret_for_variable(p, &place)
                )
            }
            _ => match split_scheme(content) {
                Some((scheme, credential)) => {
                    let base = match &scheme {
                        Some(scheme) => format!("{scheme}_token"),
                        None => local.to_owned(),
                    };
                    let secret = session.secret_for_literal(&base, credential, &place);
                    match scheme {
                        Some(scheme) => format!("{scheme} $({SECRET_PREFIX}{secret})"),
                        None => format!("$({SECRET_PREFIX}{secret})"),
                    }
                }
                None => continue,
            },
        };
        out.push_str(&written);
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}

/// Whether a filled XML template's root is a SOAP 1.1 or 1.2 `Envelope`.
pub(crate) fn is_soap_envelope(template: &str) -> bool {
    let Ok(filled) = template::fill(template, Context::Xml, |_| Some("0".to_owned())) else {
        return false;
    };
    let Ok(package) = sxd_document::parser::parse(&filled) else {
        return false;
    };
    let document = package.as_document();
    document.root().children().into_iter().any(|child| {
        matches!(child, sxd_document::dom::ChildOfRoot::Element(e)
            if e.name().local_part() == "Envelope"
                && matches!(e.name().namespace_uri(),
                    Some("http://schemas.xmlsoap.org/soap/envelope/")
                        | Some("http://www.w3.org/2003/05/soap-envelope")))
    })
}

/// Private-use characters around an index: text no input holds.
fn marker(i: usize) -> String {
    format!("\u{E000}{i}\u{E001}")
}

fn marker_index(text: &str) -> Option<usize> {
    text.trim_matches('"')
        .strip_prefix('\u{E000}')?
        .strip_suffix('\u{E001}')?
        .parse()
        .ok()
}

fn replace_credentials(
    value: &mut Value,
    names: &[String],
    secrets: &mut [Option<String>],
    changed: &mut bool,
    session: &mut Session,
) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if is_credential_name(key) {
                    let place = format!("JSON body field `{key}`");
                    let literal = match field {
                        Value::String(text) => Some(text.clone()),
                        Value::Number(number) => Some(number.to_string()),
                        _ => None,
                    };
                    if let Some(literal) = literal {
                        match split_scheme(&literal) {
                            Some((_, credential)) if marker_index(credential).is_some() => {
                                let i = marker_index(credential).unwrap_or_default();
                                if !names[i].starts_with(SECRET_PREFIX) {
                                    secrets[i] =
                                        Some(session.secret_for_variable(&names[i], &place));
                                    *changed = true;
                                }
                            }
                            Some((scheme, credential)) => {
                                let base = match &scheme {
                                    Some(scheme) => format!("{scheme}_token"),
                                    None => key.clone(),
                                };
                                let secret = session.secret_for_literal(&base, credential, &place);
                                let secret = format!("$({SECRET_PREFIX}{secret})");
                                *field = Value::String(match scheme {
                                    Some(scheme) => format!("{scheme} {secret}"),
                                    None => secret,
                                });
                                *changed = true;
                            }
                            None => {}
                        }
                        continue;
                    }
                }
                replace_credentials(field, names, secrets, changed, session);
            }
        }
        Value::Array(items) => {
            for item in items {
                replace_credentials(item, names, secrets, changed, session);
            }
        }
        _ => {}
    }
}

/// A URL template made absolute: a base that is a field (an unset `{{baseUrl}}`) becomes
/// [`PLACEHOLDER_BASE_URL`], a URL with no scheme gets `default_scheme`.
pub(crate) fn absolute_url(url: &str, default_scheme: &str, session: &mut Session) -> String {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return url.to_owned();
    }
    if let Some(Piece::Placeholder(name)) = template::pieces(url).first()
        && url.starts_with("$(")
    {
        let rest = &url[name.len() + 3..];
        let rest = if rest.starts_with('/') || rest.is_empty() {
            rest.to_owned()
        } else {
            format!("/{rest}")
        };
        session.note(format!(
            "the URL's base `{name}` has no value in the input: the URL starts with \
             {PLACEHOLDER_BASE_URL}; edit it, or run with --broker-url to aim it elsewhere"
        ));
        return format!("{PLACEHOLDER_BASE_URL}{rest}");
    }
    if url.starts_with('/') {
        session.note(format!(
            "the URL `{url}` is relative: it now starts with {PLACEHOLDER_BASE_URL}; edit it, or \
             run with --broker-url to aim it elsewhere"
        ));
        return format!("{PLACEHOLDER_BASE_URL}{url}");
    }
    format!("{default_scheme}://{url}")
}

/// A method being built: what an importer fills in, before [`Draft::finish`] adds the rows
/// Parse would (one per placeholder), the events and the defaults.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub name: String,
    pub http_method: HttpMethod,
    pub url: String,
    pub url_parameters: Vec<Row>,
    pub headers: Vec<Row>,
    pub body: Option<Body>,
    pub response_type: ResponseType,
    pub response_sample: Option<String>,
    /// The status of a successful answer, when the input gives one (a 2xx example).
    pub success_status: Option<u16>,
    pub outputs: Vec<Output>,
    pub fields: Vec<FieldUi>,
    pub authorization: Option<Authorization>,
    pub request_timeout_ms: u32,
    pub connection_timeout_ms: u32,
}

impl Draft {
    pub(crate) fn new(name: &str, http_method: HttpMethod, url: String) -> Self {
        Self {
            name: name.to_owned(),
            http_method,
            url,
            url_parameters: Vec::new(),
            headers: Vec::new(),
            body: None,
            response_type: ResponseType::Json,
            response_sample: None,
            success_status: None,
            outputs: Vec::new(),
            fields: Vec::new(),
            authorization: None,
            request_timeout_ms: REQUEST_TIMEOUT_MS,
            connection_timeout_ms: CONNECTION_TIMEOUT_MS,
        }
    }

    /// Adds a header row unless one of that name is there.
    pub(crate) fn add_header(&mut self, row: Row) {
        if !self
            .headers
            .iter()
            .any(|h| h.name().eq_ignore_ascii_case(row.name()))
        {
            self.headers.push(row);
        }
    }

    /// Reads a sample answer: its type, outputs from its leaves (JSON), and the sample itself
    /// with credential fields blanked.
    pub(crate) fn read_sample(&mut self, sample: &str, session: &mut Session) {
        let trimmed = sample.trim_start();
        if let Ok(mut value) = serde_json::from_str::<Value>(sample) {
            self.response_type = ResponseType::Json;
            if blank_credentials(&mut value) {
                session.note(format!(
                    "`{}`: credential fields of the sample answer are blanked",
                    self.name
                ));
            }
            self.outputs = suggested_outputs(&value);
            self.response_sample = serde_json::to_string_pretty(&value).ok();
        } else if let Some(outputs) = trimmed
            .starts_with('<')
            .then(|| xml_outputs(sample))
            .flatten()
        {
            self.response_type = ResponseType::Xml;
            self.outputs = outputs;
            self.response_sample = Some(sample.to_owned());
        } else {
            self.response_type = ResponseType::Text;
            self.outputs = vec![Output {
                name: "body".to_owned(),
                source: Source::Body {
                    path: "$.".to_owned(),
                },
            }];
            self.response_sample = Some(sample.to_owned());
        }
    }

    /// The method, with a parameter row per placeholder of the URL and body (as Parse leaves
    /// them), node UI entries only for its dynamic fields, and events: the success status (or
    /// any 2xx) → success, anything else → error.
    pub(crate) fn finish(self) -> Method {
        let mut names: Vec<&str> = template::placeholder_names(&self.url);
        if let Some(body) = &self.body {
            names.extend(template::placeholder_names(&body.template));
        }
        let mut parameters: Vec<Row> = Vec::new();
        for name in names {
            if parameters.iter().any(|row| row.name() == name) {
                continue;
            }
            let description = self
                .fields
                .iter()
                .find(|ui| ui.name == name)
                .map(|ui| ui.tooltip.clone())
                .unwrap_or_default();
            parameters.push(Row::Dynamic {
                name: name.to_owned(),
                field: None,
                description,
            });
        }
        let events = match self.success_status {
            Some(status) => vec![
                status_event(
                    "Success",
                    Condition::Equals,
                    &status.to_string(),
                    Edge::Success,
                ),
                status_event(
                    "Failure",
                    Condition::NotEquals,
                    &status.to_string(),
                    Edge::Error,
                ),
            ],
            None => vec![
                status_event("Success", Condition::StartsWith, "2", Edge::Success),
                Event {
                    name: "Failure".to_owned(),
                    source: Source::Status,
                    condition: Condition::Exists,
                    value: None,
                    edge: Edge::Error,
                },
            ],
        };
        let mut method = Method {
            name: self.name,
            request_timeout_ms: self.request_timeout_ms,
            connection_timeout_ms: self.connection_timeout_ms,
            http_method: self.http_method,
            url: self.url,
            url_parameters: self.url_parameters,
            headers: self.headers,
            parameters,
            body: self.body,
            response_type: self.response_type,
            response_sample: self.response_sample,
            events,
            outputs: self.outputs,
            computed_outputs: Vec::new(),
            fields: Vec::new(),
            throttling: None,
            authorization: self.authorization,
            tls: None,
        };
        let dynamic: Vec<String> = method
            .dynamic_fields()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut fields: Vec<FieldUi> = Vec::new();
        for ui in self.fields {
            if dynamic.contains(&ui.name) && !fields.iter().any(|f| f.name == ui.name) {
                fields.push(ui);
            }
        }
        method.fields = fields;
        method
    }
}

fn status_event(name: &str, condition: Condition, value: &str, edge: Edge) -> Event {
    Event {
        name: name.to_owned(),
        source: Source::Status,
        condition,
        value: Some(value.to_owned()),
        edge,
    }
}

/// A body of `format` with `template`.
pub(crate) fn body(format: BodyFormat, template: String) -> Body {
    Body {
        format,
        template,
        parts: Vec::new(),
        soap_action: None,
    }
}

/// Blanks the string values of credential fields at any depth; whether any was.
fn blank_credentials(value: &mut Value) -> bool {
    let mut blanked = false;
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if is_credential_name(key) && matches!(field, Value::String(s) if !s.is_empty()) {
                    *field = Value::String(String::new());
                    blanked = true;
                } else {
                    blanked |= blank_credentials(field);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                blanked |= blank_credentials(item);
            }
        }
        _ => {}
    }
    blanked
}

/// Outputs for the leaves of a sample answer: JSONPath of each (an array through its first
/// item), named in camelCase after the path (`$.host[0].cipher` → `hostCipher`), at most
/// [`MAX_SUGGESTED_OUTPUTS`].
pub fn suggested_outputs(sample: &Value) -> Vec<Output> {
    let mut outputs = Vec::new();
    leaves(sample, "$".to_owned(), &[], 0, &mut outputs);
    outputs
}

fn leaves(value: &Value, path: String, words: &[String], depth: usize, out: &mut Vec<Output>) {
    if out.len() >= MAX_SUGGESTED_OUTPUTS {
        return;
    }
    match value {
        Value::Object(fields) if !fields.is_empty() && depth < MAX_DEPTH => {
            for (key, field) in fields {
                let mut words = words.to_vec();
                words.push(key.clone());
                leaves(
                    field,
                    format!("{path}{}", path_segment(key)),
                    &words,
                    depth + 1,
                    out,
                );
            }
        }
        Value::Array(items) if !items.is_empty() && depth < MAX_DEPTH => {
            leaves(&items[0], format!("{path}[0]"), words, depth + 1, out);
        }
        _ => {
            let base = output_name(words);
            let mut name = base.clone();
            let mut n = 2;
            while out.iter().any(|o| o.name == name) {
                name = format!("{base}{n}");
                n += 1;
            }
            out.push(Output {
                name,
                source: Source::Body { path },
            });
        }
    }
}

/// Outputs for the leaf elements of an XML sample: an XPath 1.0 path of each (by local name,
/// so namespaces need no prefixes), named after its element; `None` when it is not XML.
fn xml_outputs(sample: &str) -> Option<Vec<Output>> {
    use sxd_document::dom::{ChildOfElement, ChildOfRoot, Element};
    fn walk(element: Element<'_>, path: String, depth: usize, out: &mut Vec<Output>) {
        if out.len() >= MAX_SUGGESTED_OUTPUTS {
            return;
        }
        let name = element.name().local_part();
        let step = if element.name().namespace_uri().is_some() {
            format!("{path}/*[local-name()='{name}']")
        } else {
            format!("{path}/{name}")
        };
        let children: Vec<Element<'_>> = element
            .children()
            .into_iter()
            .filter_map(|c| match c {
                ChildOfElement::Element(e) => Some(e),
                _ => None,
            })
            .collect();
        if children.is_empty() || depth >= MAX_DEPTH {
            let base = field_name(name);
            let mut unique = base.clone();
            let mut n = 2;
            while out.iter().any(|o| o.name == unique) {
                unique = format!("{base}{n}");
                n += 1;
            }
            if !out
                .iter()
                .any(|o| o.source == Source::Body { path: step.clone() })
            {
                out.push(Output {
                    name: unique,
                    source: Source::Body { path: step },
                });
            }
            return;
        }
        for child in children {
            walk(child, step.clone(), depth + 1, out);
        }
    }
    let package = sxd_document::parser::parse(sample).ok()?;
    let document = package.as_document();
    let mut out = Vec::new();
    for child in document.root().children() {
        if let ChildOfRoot::Element(element) = child {
            walk(element, String::new(), 0, &mut out);
        }
    }
    Some(out)
}

/// `.key`, or `['key']` for a key that is no identifier.
fn path_segment(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        return format!(".{key}");
    }
    // RFC 9535 name selector: quotes and backslashes escaped, control characters as \uXXXX.
    let mut quoted = String::from("['");
    for c in key.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("\\'"),
            c if (c as u32) < 0x20 => {
                quoted.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => quoted.push(c),
        }
    }
    quoted.push_str("']");
    quoted
}

fn output_name(words: &[String]) -> String {
    let mut name = String::new();
    for word in words {
        let word = field_name(word);
        if name.is_empty() {
            name = word;
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                name.push(first.to_ascii_uppercase());
                name.extend(chars);
            }
        }
    }
    if name.is_empty() {
        "value".to_owned()
    } else {
        name
    }
}

/// The definition: methods beyond [`MAX_METHODS`] listed in a note, names made unique, checked.
pub(crate) fn finish(
    name: &str,
    description: String,
    methods: Vec<Method>,
    mut session: Session,
) -> Result<Imported, ImportError> {
    if methods.is_empty() {
        return Err(ImportError::Empty(
            "the input has no request a node method can make".to_owned(),
        ));
    }
    let mut kept: Vec<Method> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    // A request whose URL no node can call (`a:b`, `http://a b`) is left out, and said so.
    let (methods, unusable): (Vec<Method>, Vec<Method>) = methods
        .into_iter()
        .partition(|method| node::check::url_problem(&method.url).is_none());
    for method in &unusable {
        let problem = node::check::url_problem(&method.url).unwrap_or_default();
        session.note(format!(
            "`{}` is not carried over: its URL `{}`: {problem}",
            method.name, method.url
        ));
    }
    if methods.is_empty() {
        return Err(ImportError::Empty(
            "no request has a URL a node can call (see the notes)".to_owned(),
        ));
    }
    for mut method in methods {
        drop_repeated_rows(&mut method, &mut session);
        drop_unusable_token_url(&mut method, &mut session);
        drop_multipart_content_type(&mut method, &mut session);
        if kept.len() == MAX_METHODS {
            dropped.push(method.name);
            continue;
        }
        let base = method.name.clone();
        let mut n = 2;
        while kept.iter().any(|m| m.name == method.name) {
            method.name = format!("{base} ({n})");
            n += 1;
        }
        kept.push(method);
    }
    if !dropped.is_empty() {
        session.note(format!(
            "a node has at most {MAX_METHODS} methods: not carried over: {}",
            dropped
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let definition = NodeDefinition {
        schema: None,
        name: if name.trim().is_empty() {
            DEFAULT_NODE_NAME.to_owned()
        } else {
            name.trim().to_owned()
        },
        description,
        category: String::new(),
        icon: None,
        api_type: Default::default(),
        methods: kept,
    };
    let text = serde_json::to_string(&definition).expect("a definition serializes");
    let (_, problems) = node::check(&text);
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(ImportError::Unchecked(listed.join("\n  ")));
    }
    Ok(Imported {
        definition,
        notes: session.notes,
    })
}

/// A row name given twice in one list (`-d q=a -d q=b` under `-G`) is kept once, the first,
/// as a node sends each row once; the rest are named in the notes.
fn drop_repeated_rows(method: &mut Method, session: &mut Session) {
    let method_name = method.name.clone();
    let mut lists: Vec<(&str, &mut Vec<Row>)> = vec![
        ("URL parameter", &mut method.url_parameters),
        ("header", &mut method.headers),
        ("parameter", &mut method.parameters),
    ];
    if let Some(body) = method.body.as_mut() {
        lists.push(("body part", &mut body.parts));
    }
    for (what, rows) in lists {
        let mut seen = std::collections::HashSet::new();
        rows.retain(|row| {
            let first = seen.insert(row.name().to_owned());
            if !first {
                session.note(format!(
                    "`{method_name}`: the {what} `{}` is given again; only the first is kept",
                    row.name()
                ));
            }
            first
        });
    }
}

/// A multipart body writes its own Content-Type (with its boundary): a Content-Type header
/// given beside it (`curl --json ... -F ...`) is left out, and said so.
fn drop_multipart_content_type(method: &mut Method, session: &mut Session) {
    let multipart = method
        .body
        .as_ref()
        .is_some_and(|body| body.format == node::model::BodyFormat::Multipart);
    if !multipart {
        return;
    }
    let before = method.headers.len();
    method
        .headers
        .retain(|row| !row.name().eq_ignore_ascii_case("content-type"));
    if method.headers.len() < before {
        session.note(format!(
            "`{}`: its Content-Type header is left out: a multipart body sets its own",
            method.name
        ));
    }
}

/// OAuth 2.0 whose token URL no node can call (empty, relative) is left out, and said so: the
/// method runs without authorization until one is written in.
fn drop_unusable_token_url(method: &mut Method, session: &mut Session) {
    if let Some(node::model::Authorization::Oauth2 { token_url, .. }) = &method.authorization
        && let Some(problem) = node::check::token_url_problem(token_url)
    {
        session.note(format!(
            "`{}`: OAuth 2.0 is not carried over: its token URL {problem}",
            method.name
        ));
        method.authorization = None;
    }
}

/// A JSON value as text: a string as is, a number or bool written, anything else empty.
fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fields;
    impl Resolve for Fields {
        fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var {
            if credential {
                Var::Secret(session.secret_for_variable(name, place))
            } else {
                Var::Field(field_name(name))
            }
        }
    }

    #[test]
    fn names_are_made_valid() {
        assert_eq!(secret_name("X-API-Key"), "x_api_key");
        assert_eq!(secret_name("brokerToken"), "broker_token");
        assert_eq!(secret_name("--"), "secret");
        assert_eq!(field_name("chat-id"), "chat_id");
        assert_eq!(field_name("$guid"), "guid");
        assert_eq!(field_name("uniquechatId"), "uniquechatId");
    }

    #[test]
    fn braces_split_variables_out() {
        assert_eq!(
            braces("a{{ x }}b{{y}}{{open"),
            [
                Brace::Text("a"),
                Brace::Var("x"),
                Brace::Text("b"),
                Brace::Var("y"),
                Brace::Text("{{open")
            ]
        );
    }

    #[test]
    fn json_bodies_keep_placeholders_and_lose_literal_credentials() {
        let mut session = Session::default();
        let body = json_template(
            r#"{"sub": "{{chatId}}", "n": {{count}}, "password": "hunter2", "inner": {"token": "Bearer abc"}}"#,
            &mut Fields,
            &mut session,
        )
        .unwrap();
        assert!(!body.contains("hunter2") && !body.contains("abc"), "{body}");
        assert_eq!(
            body,
            r#"{"sub":"$(chatId)","n":$(count),"password":"$(secret:password)","inner":{"token":"Bearer $(secret:bearer_token)"}}"#
        );
        let untouched = json_template(r#"{"a": "{{b}}"}"#, &mut Fields, &mut session).unwrap();
        assert_eq!(untouched, r#"{"a": "$(b)"}"#);
        assert!(json_template("not json {{x}}", &mut Fields, &mut session).is_none());
    }

    #[test]
    fn xml_bodies_lose_literal_credentials_and_keep_placeholders() {
        let mut session = Session::default();
        let body = xml_template(
            "<a:login xmlns:a=\"urn:x\"><a:user>{{user}}</a:user><a:password>pw-1</a:password><apiKey>{{key}}</apiKey></a:login>",
            &mut Fields,
            &mut session,
        )
        .unwrap();
        assert_eq!(
            body,
            "<a:login xmlns:a=\"urn:x\"><a:user>$(user)</a:user><a:password>$(secret:password)</a:password><apiKey>$(secret:key)</apiKey></a:login>"
        );
        assert!(xml_template("<a><b></a>", &mut Fields, &mut session).is_none());
    }

    #[test]
    fn credential_rows_keep_their_scheme_and_name_a_secret() {
        let mut session = Session::default();
        let header = row(
            "Authorization",
            "Bearer abc.def",
            "header",
            &mut Fields,
            &mut session,
        );
        assert_eq!(
            header,
            Row::Static {
                name: "Authorization".into(),
                value: "Bearer $(secret:bearer_token)".into()
            }
        );
        let key = row("X-API-Key", "k-123", "header", &mut Fields, &mut session);
        assert_eq!(
            key,
            Row::Static {
                name: "X-API-Key".into(),
                value: "$(secret:x_api_key)".into()
            }
        );
        assert!(
            session
                .notes
                .iter()
                .any(|n| n.contains("ICNODE_BEARER_TOKEN"))
        );
    }

    #[test]
    fn outputs_follow_the_leaves_of_a_sample() {
        let sample: Value = serde_json::from_str(
            r#"{"host": [{"cipher": "c", "short": "s"}], "baseUrl": "u", "odd key": 1}"#,
        )
        .unwrap();
        let outputs: Vec<(String, String)> = suggested_outputs(&sample)
            .into_iter()
            .map(|o| match o.source {
                Source::Body { path } => (o.name, path),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            outputs,
            [
                ("hostCipher".to_owned(), "$.host[0].cipher".to_owned()),
                ("hostShort".to_owned(), "$.host[0].short".to_owned()),
                ("baseUrl".to_owned(), "$.baseUrl".to_owned()),
                ("odd_key".to_owned(), "$['odd key']".to_owned()),
            ]
        );
    }
}
