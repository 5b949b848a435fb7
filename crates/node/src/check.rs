//! Checking a definition: every problem at once, each with a JSON pointer to where it is. Among
//! them, a literal credential where a definition must name a secret as `$(secret:NAME)`.

pub mod credentials;
mod problem;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

pub use problem::Problem;
use problem::problem;

use crate::model::{
    AuthValue, Authorization, BodyFormat, Condition, Method, NodeDefinition, ResponseType, Row,
    SOAP_11_NAMESPACE, SOAP_12_NAMESPACE, Source,
};
use crate::response;
use crate::secrets::is_valid_name;
use crate::template::{self, Context, SECRET_PREFIX};

/// The JSON Schema of a definition, generated from the Rust types.
pub fn schema() -> Value {
    serde_json::to_value(schemars::schema_for!(NodeDefinition)).expect("a schema serializes")
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(&schema()).expect("the generated schema is valid")
    })
}

/// Parses and checks a definition; `Err` lists every problem found.
pub fn load(text: &str) -> Result<NodeDefinition, Vec<Problem>> {
    let (definition, problems) = check(text);
    match definition {
        Some(definition) if problems.is_empty() => Ok(definition),
        _ => Err(problems),
    }
}

/// All problems of a definition, and the definition itself when it could be read.
pub fn check(text: &str) -> (Option<NodeDefinition>, Vec<Problem>) {
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(e) => return (None, vec![problem("", format!("not valid JSON: {e}"))]),
    };
    let mut problems: Vec<Problem> = validator()
        .iter_errors(&value)
        .map(|e| problem(&e.instance_path().to_string(), e.to_string()))
        .collect();
    let definition = serde_json::from_value::<NodeDefinition>(value).ok();
    if let Some(definition) = &definition {
        check_definition(definition, &mut problems);
    }
    problems.sort_by(|a, b| a.pointer.cmp(&b.pointer).then(a.message.cmp(&b.message)));
    problems.dedup();
    (definition, problems)
}

fn check_definition(definition: &NodeDefinition, problems: &mut Vec<Problem>) {
    duplicates(
        definition.methods.iter().map(|m| m.name.as_str()),
        "/methods",
        "/name",
        "method",
        problems,
    );
    for (i, method) in definition.methods.iter().enumerate() {
        check_method(method, &format!("/methods/{i}"), problems);
    }
}

/// Reports each name that repeats, at its second and later places.
fn duplicates<'a>(
    names: impl Iterator<Item = &'a str>,
    list: &str,
    field: &str,
    what: &str,
    problems: &mut Vec<Problem>,
) {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (index, name) in names.enumerate() {
        if let Some(first) = seen.insert(name, index) {
            seen.insert(name, first);
            problems.push(problem(
                &format!("{list}/{index}{field}"),
                format!("duplicate {what} name `{name}` (first at {list}/{first})"),
            ));
        }
    }
}

fn check_method(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    check_rows(method, at, problems);
    check_placeholders(method, at, problems);
    check_url(method, at, problems);
    check_body(method, at, problems);
    check_events(method, at, problems);
    check_outputs(method, at, problems);
    check_fields(method, at, problems);
    check_authorization(method, at, problems);
    check_throttling(method, at, problems);
    check_tls(method, at, problems);
    check_sample(method, at, problems);
}

/// TLS settings only for an https URL; PEMs that parse; a client certificate with its key, the
/// key only a secret.
fn check_tls(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let Some(tls) = &method.tls else { return };
    let here = format!("{at}/tls");
    if !method
        .url
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("https://")
    {
        problems.push(problem(
            &here,
            "TLS settings need an https URL; this method's URL is not https",
        ));
    }
    for (key, pem) in [
        ("trustStore", &tls.trust_store),
        ("clientCertificate", &tls.client_certificate),
    ] {
        if pem
            .as_deref()
            .is_some_and(|pem| pem.contains("PRIVATE KEY-----"))
        {
            problems.push(problem(
                &format!("{here}/{key}"),
                "holds a private key: a key is a credential and goes in clientKey as \
                 `$(secret:NAME)`",
            ));
        }
    }
    if let Some(pem) = &tls.trust_store {
        match reqwest::Certificate::from_pem_bundle(pem.as_bytes()) {
            Ok(certificates) if !certificates.is_empty() => {}
            _ => problems.push(problem(
                &format!("{here}/trustStore"),
                "holds no PEM certificate (-----BEGIN CERTIFICATE----- ...)",
            )),
        }
    }
    match (&tls.client_certificate, &tls.client_key) {
        (Some(_), None) => problems.push(problem(
            &format!("{here}/clientKey"),
            "a client certificate needs its key: `$(secret:NAME)` naming the PEM key",
        )),
        (None, Some(_)) => problems.push(problem(
            &format!("{here}/clientCertificate"),
            "a client key needs its certificate chain (PEM)",
        )),
        _ => {}
    }
    if let Some(certificate) = &tls.client_certificate
        && !reqwest::Certificate::from_pem_bundle(certificate.as_bytes())
            .is_ok_and(|c| !c.is_empty())
    {
        problems.push(problem(
            &format!("{here}/clientCertificate"),
            "holds no PEM certificate (-----BEGIN CERTIFICATE----- ...)",
        ));
    }
    if let Some(key) = &tls.client_key {
        let pointer = format!("{here}/clientKey");
        check_secret_refs(key, &pointer, problems);
        if !is_only_secrets(key) {
            problems.push(problem(
                &pointer,
                "a private key is a credential: write `$(secret:NAME)` and give the PEM key at \
                 run time (ICNODE_<NAME> or the secrets file)",
            ));
        }
    }
}

/// The response sample is what the response type says, and every body path reads something in
/// it: a path that reads nothing from the sample is most likely a typo.
fn check_sample(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let Some(sample) = &method.response_sample else {
        return;
    };
    let parsed = match response::Parsed::parse(method.response_type, sample.as_bytes()) {
        Ok(parsed) => parsed,
        Err(reason) => {
            problems.push(problem(
                &format!("{at}/responseSample"),
                format!("the sample does not fit the response type: {reason}"),
            ));
            return;
        }
    };
    let sources = method
        .events
        .iter()
        .enumerate()
        .map(|(k, e)| (&e.source, format!("{at}/events/{k}/source/path")))
        .chain(
            method
                .outputs
                .iter()
                .enumerate()
                .map(|(k, o)| (&o.source, format!("{at}/outputs/{k}/source/path"))),
        );
    for (source, pointer) in sources {
        if let Source::Body { path } = source
            && response::path_problem(method.response_type, path).is_none()
            && parsed.read(path).is_none()
        {
            problems.push(problem(
                &pointer,
                format!("`{path}` reads nothing in the response sample"),
            ));
        }
    }
}

/// Whether `value` is nothing but `$(secret:NAME)` references (and not empty).
fn is_only_secrets(value: &str) -> bool {
    !value.is_empty()
        && template::pieces(value).iter().all(|piece| {
            matches!(piece, template::Piece::Placeholder(name) if name.starts_with(SECRET_PREFIX))
        })
}

/// Every limit lets at least one run through: a zero would stop the method for good.
const NEVER_RUNS: &str = "must be at least 1, got 0: the method could never run";

fn check_throttling(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let Some(throttling) = &method.throttling else {
        return;
    };
    let here = format!("{at}/throttling");
    for (name, limit) in [("rate", &throttling.rate), ("volume", &throttling.volume)] {
        let Some(limit) = limit else { continue };
        for (key, value) in [
            ("requests", limit.requests),
            ("perSeconds", limit.per_seconds),
        ] {
            if value == 0 {
                problems.push(problem(&format!("{here}/{name}/{key}"), NEVER_RUNS));
            }
        }
    }
    if throttling.concurrency == Some(0) {
        problems.push(problem(&format!("{here}/concurrency"), NEVER_RUNS));
    }
}

/// Static authorization values name valid secrets, a static credential (password, client
/// secret, refresh token) is only secrets, and no header row competes with the setting.
fn check_authorization(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let parts = method.authorization_parts();
    if parts.is_empty() {
        return;
    }
    for (k, row) in method.headers.iter().enumerate() {
        if row.name().eq_ignore_ascii_case("authorization") {
            problems.push(problem(
                &format!("{at}/headers/{k}/name"),
                "the method's authorization sends this header: remove the row or the \
                 authorization",
            ));
        }
    }
    if let Some(Authorization::Oauth2 { token_url, .. }) = &method.authorization
        && let Some(rule) = token_url_problem(token_url)
    {
        problems.push(problem(&format!("{at}/authorization/tokenUrl"), rule));
    }
    if let Some(Authorization::Aws {
        region, service, ..
    }) = &method.authorization
    {
        for (key, value, example) in [
            ("region", region, "us-east-1"),
            ("service", service, "execute-api"),
        ] {
            let valid = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !valid {
                problems.push(problem(
                    &format!("{at}/authorization/{key}"),
                    format!(
                        "`{value}` is not an AWS {key} name: lowercase letters, digits and `-`, \
                         e.g. `{example}`"
                    ),
                ));
            }
        }
    }
    for part in parts {
        let AuthValue::Static { value } = part.value else {
            continue;
        };
        let pointer = format!("{at}/authorization/{}/value", part.pointer);
        check_secret_refs(value, &pointer, problems);
        if part.credential && !is_only_secrets(value) {
            let what = match part.pointer {
                "password" => "password",
                "clientSecret" => "client secret",
                "secretKey" => "secret access key",
                "sessionToken" => "session token",
                _ => "refresh token",
            };
            problems.push(problem(
                &pointer,
                format!(
                    "a {what} is a credential: write `$(secret:NAME)` and give NAME at run \
                     time (ICNODE_<NAME> or the secrets file)"
                ),
            ));
        }
    }
}

/// Each node UI entry names a dynamic field once, its regex compiles, and its default obeys
/// the entry's own rules.
fn check_fields(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let list = format!("{at}/fields");
    duplicates(
        method.fields.iter().map(|ui| ui.name.as_str()),
        &list,
        "/name",
        "field",
        problems,
    );
    let dynamic = method.dynamic_fields();
    for (k, ui) in method.fields.iter().enumerate() {
        let here = format!("{list}/{k}");
        if !dynamic.contains(&ui.name.as_str()) {
            problems.push(problem(
                &format!("{here}/name"),
                format!(
                    "`{}` is no dynamic field of this method (it has: {})",
                    ui.name,
                    dynamic.join(", ")
                ),
            ));
        }
        let regex_compiles = match ui.regex.as_deref().map(crate::fields::compile) {
            Some(Err(rule)) => {
                problems.push(problem(
                    &format!("{here}/regex"),
                    format!("the regex {rule}"),
                ));
                false
            }
            _ => true,
        };
        if let Some(default) = &ui.default
            && regex_compiles
            && let Err(rule) = crate::fields::check_value(ui, default)
        {
            problems.push(problem(
                &format!("{here}/default"),
                format!("the default {rule}"),
            ));
        }
    }
}

/// Row names are unique per list; a static value names valid secrets and holds no credential.
fn check_rows(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let no_parts = Vec::new();
    let parts = method.body.as_ref().map_or(&no_parts, |body| &body.parts);
    for (list, what, rows) in [
        ("urlParameters", "URL parameter", &method.url_parameters),
        ("headers", "header", &method.headers),
        ("parameters", "parameter", &method.parameters),
        ("body/parts", "body part", parts),
    ] {
        let list = format!("{at}/{list}");
        duplicates(rows.iter().map(Row::name), &list, "/name", "row", problems);
        for (k, row) in rows.iter().enumerate() {
            if let Row::Static { value, .. } = row {
                check_secret_refs(value, &format!("{list}/{k}/value"), problems);
            }
        }
        credentials::check_rows(rows, &list, what, problems);
    }
}

/// The URL and body templates, each with the pointer to where it is.
fn templates<'a>(method: &'a Method, at: &str) -> Vec<(&'a str, String)> {
    let mut templates = vec![(method.url.as_str(), format!("{at}/url"))];
    if let Some(body) = &method.body
        && body.format != BodyFormat::Multipart
    {
        templates.push((body.template.as_str(), format!("{at}/body/template")));
    }
    templates
}

/// Placeholders and rows must match one to one, as Parse would leave them.
fn check_placeholders(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let mut used: Vec<&str> = Vec::new();
    for (text, pointer) in templates(method, at) {
        check_secret_refs(text, &pointer, problems);
        for name in template::placeholder_names(text) {
            used.push(name);
            if !method.parameters.iter().any(|row| row.name() == name) {
                problems.push(problem(
                    &pointer,
                    format!("placeholder `$({name})` has no row in parameters"),
                ));
            }
        }
    }
    for (k, row) in method.parameters.iter().enumerate() {
        if !used.contains(&row.name()) {
            problems.push(problem(
                &format!("{at}/parameters/{k}"),
                format!(
                    "row `{}` has no `$({})` placeholder in the URL or body",
                    row.name(),
                    row.name()
                ),
            ));
        }
    }
}

/// A placeholder value that is valid both inside and outside a JSON string.
fn sample(_: &str) -> Option<String> {
    Some("0".to_owned())
}

/// Once filled, the URL is absolute http(s); its query holds no credential.
fn check_url(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let pointer = format!("{at}/url");
    if let Some(rule) = url_problem(&method.url) {
        problems.push(problem(&pointer, rule));
    }
    credentials::check_url(&method.url, &pointer, problems);
}

/// What is wrong with an OAuth 2.0 token URL, if anything: it is an absolute http(s) URL.
pub fn token_url_problem(token_url: &str) -> Option<String> {
    (!url::Url::parse(token_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .then(|| format!("`{token_url}` is not an http(s) URL"))
}

/// What is wrong with a method's URL template, if anything: once its placeholders are filled
/// it must be an absolute http(s) URL.
pub fn url_problem(url: &str) -> Option<String> {
    match template::fill(url, Context::Url, sample).map(|u| url::Url::parse(&u)) {
        Ok(Ok(url)) if matches!(url.scheme(), "http" | "https") => None,
        Ok(Ok(url)) => Some(format!(
            "the URL must be http or https, not `{}`",
            url.scheme()
        )),
        Ok(Err(e)) => Some(format!(
            "not an absolute URL once placeholders are filled: {e}"
        )),
        Err(e) => Some(e.to_string()),
    }
}

/// Once filled, a JSON body is JSON; no body field holds a credential.
fn check_body(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let Some(body) = &method.body else { return };
    let pointer = format!("{at}/body/template");
    let multipart = body.format == BodyFormat::Multipart;
    if multipart && !body.template.is_empty() {
        problems.push(problem(
            &pointer,
            "a multipart body is made of `parts`, not a template",
        ));
    }
    if multipart && body.parts.is_empty() {
        problems.push(problem(
            &format!("{at}/body/parts"),
            "a multipart body needs at least one part",
        ));
    }
    if multipart
        && let Some(k) = method
            .headers
            .iter()
            .position(|row| row.name().eq_ignore_ascii_case("content-type"))
    {
        problems.push(problem(
            &format!("{at}/headers/{k}/name"),
            "a multipart body sets its own Content-Type (with its boundary): remove this row",
        ));
    }
    if !multipart && !body.parts.is_empty() {
        problems.push(problem(
            &format!("{at}/body/parts"),
            "only a multipart body has parts; this body is a template",
        ));
    }
    match (body.format, &body.soap_action) {
        (BodyFormat::Soap, None) if !body.is_soap_12() => problems.push(problem(
            &format!("{at}/body/soapAction"),
            "a SOAP 1.1 request needs its SOAPAction (it may be \"\")",
        )),
        (BodyFormat::Soap, Some(_)) | (_, None) => {}
        (_, Some(_)) => problems.push(problem(
            &format!("{at}/body/soapAction"),
            "only a soap body has a SOAPAction",
        )),
    }
    if body.omit_empty && !matches!(body.format, BodyFormat::Json | BodyFormat::Form) {
        problems.push(problem(
            &format!("{at}/body/omitEmpty"),
            "only a json or form body leaves out what is empty",
        ));
    }
    if body.format.is_xml() {
        check_xml_body(body, &pointer, problems);
    }
    if body.format == BodyFormat::Json {
        let filled =
            template::fill(&body.template, Context::Json, sample).map_err(|e| e.to_string());
        if let Err(reason) =
            filled.and_then(|b| serde_json::from_str::<Value>(&b).map_err(|e| e.to_string()))
        {
            problems.push(problem(
                &pointer,
                format!("the body is not valid JSON once placeholders are filled: {reason}"),
            ));
        }
    }
    credentials::check_body(body, &pointer, problems);
}

/// Once filled, an XML body is a well-formed document; a SOAP body's root is an `Envelope`.
fn check_xml_body(body: &crate::model::Body, pointer: &str, problems: &mut Vec<Problem>) {
    let filled = match template::fill(&body.template, Context::Xml, sample) {
        Ok(filled) => filled,
        Err(e) => return problems.push(problem(pointer, e.to_string())),
    };
    let package = match sxd_document::parser::parse(&filled) {
        Ok(package) => package,
        Err(e) => {
            return problems.push(problem(
                pointer,
                format!("the body is not well-formed XML once placeholders are filled: {e}"),
            ));
        }
    };
    if body.format == BodyFormat::Soap && !is_envelope(&package) {
        problems.push(problem(
            pointer,
            format!(
                "a SOAP body is an `Envelope` in the SOAP 1.1 ({SOAP_11_NAMESPACE}) or 1.2 \
                 ({SOAP_12_NAMESPACE}) namespace"
            ),
        ));
    }
}

/// Whether an XML template, its placeholders filled, is a SOAP 1.1 or 1.2 `Envelope`: what a
/// SOAP body must be.
pub fn is_soap_envelope(template: &str) -> bool {
    template::fill(template, Context::Xml, sample)
        .ok()
        .and_then(|filled| sxd_document::parser::parse(&filled).ok())
        .is_some_and(|package| is_envelope(&package))
}

/// Whether a parsed document's root is a SOAP 1.1 or 1.2 `Envelope`.
fn is_envelope(package: &sxd_document::Package) -> bool {
    let document = package.as_document();
    let root = document
        .root()
        .children()
        .into_iter()
        .find_map(|c| match c {
            sxd_document::dom::ChildOfRoot::Element(e) => Some(e),
            _ => None,
        });
    root.is_some_and(|e| {
        e.name().local_part() == "Envelope"
            && matches!(
                e.name().namespace_uri(),
                Some(SOAP_11_NAMESPACE | SOAP_12_NAMESPACE)
            )
    })
}

/// There is at least one event; each reads a valid source and has the value its condition needs.
fn check_events(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    if method.events.is_empty() {
        problems.push(problem(
            &format!("{at}/events"),
            "no events: every answer would leave by the error edge",
        ));
    }
    for (k, event) in method.events.iter().enumerate() {
        let here = format!("{at}/events/{k}");
        check_source(
            &event.source,
            method.response_type,
            &format!("{here}/source"),
            problems,
        );
        match (event.condition, &event.value) {
            (Condition::Exists, _) => {}
            (condition, None) => problems.push(problem(
                &here,
                format!("condition `{}` needs a value", condition_name(condition)),
            )),
            (Condition::GreaterThan | Condition::LessThan, Some(v))
                if v.trim().parse::<f64>().is_err() =>
            {
                problems.push(problem(
                    &format!("{here}/value"),
                    format!("`{v}` is not a number, so it cannot be compared"),
                ));
            }
            _ => {}
        }
    }
}

/// Output names are unique; sources are valid; computed outputs use this method's outputs only.
fn check_outputs(method: &Method, at: &str, problems: &mut Vec<Problem>) {
    let output_names = method
        .outputs
        .iter()
        .map(|o| o.name.as_str())
        .chain(method.computed_outputs.iter().map(|c| c.name.as_str()));
    duplicates(
        output_names,
        &format!("{at}/outputs"),
        "/name",
        "output",
        problems,
    );
    for (k, output) in method.outputs.iter().enumerate() {
        check_source(
            &output.source,
            method.response_type,
            &format!("{at}/outputs/{k}/source"),
            problems,
        );
    }
    for (k, computed) in method.computed_outputs.iter().enumerate() {
        for name in template::placeholder_names(&computed.template) {
            if !method.outputs.iter().any(|o| o.name == name) {
                problems.push(problem(
                    &format!("{at}/computedOutputs/{k}/template"),
                    format!("`$({name})` is not an output of this method"),
                ));
            }
        }
    }
}

fn check_source(
    source: &Source,
    response_type: ResponseType,
    pointer: &str,
    problems: &mut Vec<Problem>,
) {
    if let Source::Body { path } = source
        && let Some(reason) = response::path_problem(response_type, path)
    {
        problems.push(problem(&format!("{pointer}/path"), reason));
    }
}

fn check_secret_refs(text: &str, pointer: &str, problems: &mut Vec<Problem>) {
    for piece in template::pieces(text) {
        if let template::Piece::Placeholder(name) = piece
            && let Some(secret) = name.strip_prefix(SECRET_PREFIX)
            && !is_valid_name(secret)
        {
            problems.push(problem(
                pointer,
                format!("secret name `{secret}` must be letters, digits and underscores"),
            ));
        }
    }
}

pub(crate) fn condition_name(condition: Condition) -> &'static str {
    match condition {
        Condition::Equals => "equals",
        Condition::NotEquals => "not equals",
        Condition::StartsWith => "starts with",
        Condition::Contains => "contains",
        Condition::Exists => "exists",
        Condition::GreaterThan => "greater than",
        Condition::LessThan => "less than",
    }
}
