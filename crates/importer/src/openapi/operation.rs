//! One operation as a method: named by `operationId` (else its summary, else `METHOD /path`),
//! its path, query and header parameters dynamic fields, then its body, security and answers.

use serde_json::Value;

use node::model::{FieldUi, HttpMethod, Row};

use super::body::read_request_body;
use super::document::Doc;
use super::responses::read_responses;
use super::schema::field_ui;
use super::security::security;
use crate::draft::Draft;
use crate::names::field_name;
use crate::session::Session;
use crate::text::text_of;

/// The operation's method: name, URL and parameters, body, security and answers.
pub(super) fn operation_method(
    doc: &Doc<'_>,
    server: &str,
    path: &str,
    http_method: HttpMethod,
    item: &Value,
    operation: &Value,
    session: &mut Session,
) -> Draft {
    let verb = format!("{http_method:?}").to_ascii_uppercase();
    let name = [
        text_of(operation.get("operationId")),
        text_of(operation.get("summary")),
    ]
    .into_iter()
    .find(|n| !n.trim().is_empty())
    .unwrap_or_else(|| format!("{verb} {path}"));
    let name = name.trim().to_owned();
    let parameters = read_parameters(doc, &parameters(doc, item, operation), path, &name, session);
    let url = format!("{server}{}", parameters.url_path);
    let mut draft = Draft::new(&name, http_method, url);
    draft.url_parameters = parameters.url_parameters;
    draft.headers = parameters.headers;
    draft.fields = parameters.fields;
    if let Some(request_body) = operation.get("requestBody").map(|b| doc.resolve(b)) {
        read_request_body(doc, &mut draft, request_body, session);
    }
    security(doc, &mut draft, operation, session);
    read_responses(doc, &mut draft, operation, session);
    draft
}

/// The parameters of the path item and the operation: the operation's override the path item's
/// of the same name and place.
fn parameters<'a>(doc: &Doc<'a>, item: &'a Value, operation: &'a Value) -> Vec<&'a Value> {
    let mut parameters: Vec<&Value> = Vec::new();
    for list in [item.get("parameters"), operation.get("parameters")] {
        for parameter in list.and_then(Value::as_array).into_iter().flatten() {
            let parameter = doc.resolve(parameter);
            let key = |p: &Value| (text_of(p.get("name")), text_of(p.get("in")));
            parameters.retain(|known| key(known) != key(parameter));
            parameters.push(parameter);
        }
    }
    parameters
}

/// What an operation's parameters make of its method.
struct Parameters {
    /// The path with a placeholder for each path parameter.
    url_path: String,
    url_parameters: Vec<Row>,
    headers: Vec<Row>,
    /// The node UI of every parameter's field.
    fields: Vec<FieldUi>,
}

/// Path parameters as placeholders, query and header parameters as dynamic rows, each a field
/// whose node UI comes from its schema; a cookie parameter is left out.
fn read_parameters(
    doc: &Doc<'_>,
    parameters: &[&Value],
    path: &str,
    method: &str,
    session: &mut Session,
) -> Parameters {
    let mut read = Parameters {
        url_path: path.to_owned(),
        url_parameters: Vec::new(),
        headers: Vec::new(),
        fields: Vec::new(),
    };
    for parameter in parameters {
        let pname = text_of(parameter.get("name"));
        let place = text_of(parameter.get("in"));
        let field = field_name(&pname);
        let schema = doc.resolve(parameter.get("schema").unwrap_or(&Value::Null));
        let required = place == "path" || parameter.get("required") == Some(&Value::Bool(true));
        let mut ui = field_ui(&field, schema, required, method, session);
        if ui.tooltip.is_empty() {
            ui.tooltip = text_of(parameter.get("description"));
        }
        let row = || Row::Dynamic {
            name: pname.clone(),
            field: (field != pname).then(|| field.clone()),
            description: String::new(),
            list: None,
        };
        match place.as_str() {
            "path" => {
                read.url_path = read
                    .url_path
                    .replace(&format!("{{{pname}}}"), &format!("$({field})"));
            }
            "query" => read.url_parameters.push(row()),
            "header" => read.headers.push(row()),
            other => {
                session.note(format!(
                    "`{method}`: the {other} parameter `{pname}` is not carried over"
                ));
                continue;
            }
        }
        read.fields.push(ui);
    }
    read
}
