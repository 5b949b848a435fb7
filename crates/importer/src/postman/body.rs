//! A request's body by its Postman mode: raw (JSON, XML or SOAP, text), urlencoded, formdata,
//! GraphQL.

use node::check::is_soap_envelope;
use node::model::{BodyFormat, Row};
use serde_json::Value;

use super::collection::{enabled, pairs};
use super::variables::Variables;
use crate::bodies::{body, form_template, json_template, xml_template};
use crate::draft::Draft;
use crate::rows::{header_value, row};
use crate::session::Session;
use crate::text::text_of;
use crate::variables::{as_is, convert};

/// The request's body as the method's, by its mode; `headers` are the request's (their
/// Content-Type and SOAPAction say what a raw body is).
pub(super) fn read_body(
    draft: &mut Draft,
    request_body: &Value,
    headers: &[(String, String)],
    vars: &mut Variables,
    session: &mut Session,
) {
    let mode = request_body
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("");
    match mode {
        "raw" => raw(draft, request_body, headers, vars, session),
        "urlencoded" => {
            let list = request_body.get("urlencoded").and_then(Value::as_array);
            let template =
                form_template(&list.map(|l| pairs(l)).unwrap_or_default(), vars, session);
            draft.body = Some(body(BodyFormat::Form, template));
        }
        "formdata" => form_data(draft, request_body, vars, session),
        "graphql" => graphql(draft, request_body, vars, session),
        "" => {}
        other => session.left_out(format!(
            "`{}`: a {other} body is not carried over (a node sends JSON, text or form bodies)",
            draft.name
        )),
    }
}

/// A raw body: XML (SOAP with a SOAPAction header) when its language or Content-Type says so,
/// else JSON when it parses, else text.
fn raw(
    draft: &mut Draft,
    request_body: &Value,
    headers: &[(String, String)],
    vars: &mut Variables,
    session: &mut Session,
) {
    let raw = text_of(request_body.get("raw"));
    if raw.trim().is_empty() {
        return;
    }
    let language = request_body
        .pointer("/options/raw/language")
        .and_then(Value::as_str)
        .unwrap_or("");
    let content_type = header_value(headers, "content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let wants_json = language == "json" || content_type.contains("json");
    let wants_xml = language == "xml" || content_type.contains("xml");
    if wants_xml {
        if let Some(template) = xml_template(&raw, vars, session) {
            return xml(draft, template, headers);
        }
        session.changed(format!(
            "`{}`: the body is not well-formed XML once its variables are filled: sent as text",
            draft.name
        ));
    }
    match json_template(&raw, vars, session) {
        Some(template) if wants_json || language.is_empty() || language == "text" => {
            draft.body = Some(body(BodyFormat::Json, template));
        }
        _ => {
            if wants_json {
                session.changed(format!(
                    "`{}`: the body is not JSON once its variables are filled: sent as text",
                    draft.name
                ));
            }
            text(draft, &raw, language, vars, session);
        }
    }
}

/// An XML body; a SOAP envelope with a SOAPAction header a SOAP body, which sends the header.
fn xml(draft: &mut Draft, template: String, headers: &[(String, String)]) {
    let soap_action = header_value(headers, "soapaction").map(|v| v.trim().trim_matches('"'));
    let mut xml = body(BodyFormat::Xml, template);
    if let Some(action) = soap_action.filter(|_| is_soap_envelope(&xml.template)) {
        xml.format = BodyFormat::Soap;
        xml.soap_action = Some(action.to_owned());
        draft.remove_header("soapaction");
    }
    draft.body = Some(xml);
}

/// A text body, with the Content-Type its language names.
fn text(draft: &mut Draft, raw: &str, language: &str, vars: &mut Variables, session: &mut Session) {
    let place = format!("`{}`: the body", draft.name);
    let template = convert(raw, false, &place, vars, session, &as_is);
    draft.body = Some(body(BodyFormat::Text, template));
    let kind = match language {
        "xml" => Some("application/xml"),
        "html" => Some("text/html"),
        "javascript" => Some("application/javascript"),
        _ => None,
    };
    if let Some(kind) = kind {
        draft.add_header(Row::Static {
            name: "Content-Type".to_owned(),
            value: kind.to_owned(),
        });
    }
}

/// A multipart body of the text parts; file parts are left out.
fn form_data(draft: &mut Draft, request_body: &Value, vars: &mut Variables, session: &mut Session) {
    let list = request_body.get("formdata").and_then(Value::as_array);
    let mut parts = Vec::new();
    for part in list.into_iter().flat_map(|list| enabled(list)) {
        let key = text_of(part.get("key"));
        if part.get("type").and_then(Value::as_str) == Some("file") {
            session.left_out(format!(
                "`{}`: the file part `{key}` is not carried over (a node's parts are text)",
                draft.name
            ));
            continue;
        }
        let value = text_of(part.get("value"));
        parts.push(row(&key, &value, "body part", vars, session));
    }
    if !parts.is_empty() {
        let mut multipart = body(BodyFormat::Multipart, String::new());
        multipart.parts = parts;
        draft.body = Some(multipart);
    }
}

/// A GraphQL query and its variables, as the JSON body GraphQL servers read.
fn graphql(draft: &mut Draft, request_body: &Value, vars: &mut Variables, session: &mut Session) {
    let graphql = request_body.get("graphql").cloned().unwrap_or(Value::Null);
    let query = text_of(graphql.get("query"));
    let variables = text_of(graphql.get("variables"));
    let variables = if variables.trim().is_empty() {
        "{}".to_owned()
    } else {
        variables
    };
    let text = format!(
        "{{\"query\": {}, \"variables\": {variables}}}",
        serde_json::to_string(&query).unwrap_or_default()
    );
    match json_template(&text, vars, session) {
        Some(template) => draft.body = Some(body(BodyFormat::Json, template)),
        None => session.left_out(format!(
            "`{}`: the GraphQL variables are not JSON: the body is not carried over",
            draft.name
        )),
    }
}
