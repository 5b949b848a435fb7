//! One operation as a method: named by `operationId` (else its summary, else `METHOD /path`),
//! its path, query and header parameters dynamic fields (arrays and objects list rows in their
//! style), then its body, security and answers.

use serde_json::Value;

use node::model::{FieldType, FieldUi, HttpMethod, ListStyle, Row};

use super::body::read_request_body;
use super::document::Doc;
use super::responses::read_responses;
use super::schema::field_ui;
use super::security::security;
use super::styles::{Sent, sent};
use crate::draft::Draft;
use crate::names::field_name;
use crate::session::Session;
use crate::text::text_of;

/// Where an operation is in the document.
pub(super) struct At<'a> {
    pub path: &'a str,
    pub http_method: HttpMethod,
    pub item: &'a Value,
    pub operation: &'a Value,
}

/// The method's name: the operation's `operationId`, else its summary, else `METHOD /path`.
pub(super) fn operation_name(operation: &Value, verb: &str, path: &str) -> String {
    [
        text_of(operation.get("operationId")),
        text_of(operation.get("summary")),
    ]
    .into_iter()
    .map(|name| name.trim().to_owned())
    .find(|name| !name.is_empty())
    .unwrap_or_else(|| format!("{verb} {path}"))
}

/// The operation's method `name` at `server`: URL and parameters, body, security and answers.
pub(super) fn operation_method(
    doc: &Doc<'_>,
    server: &str,
    name: &str,
    at: &At<'_>,
    session: &mut Session,
) -> Draft {
    let parameters = parameters(doc, at.item, at.operation);
    let parameters = read_parameters(doc, &parameters, at.path, name, session);
    let url = format!("{server}{}", parameters.url_path);
    let mut draft = Draft::new(name, at.http_method, url);
    draft.url_parameters = parameters.url_parameters;
    draft.headers = parameters.headers;
    draft.fields = parameters.fields;
    draft.lists = parameters.lists;
    if let Some(request_body) = at.operation.get("requestBody").map(|b| doc.resolve(b)) {
        read_request_body(doc, &mut draft, request_body, session);
    }
    security(doc, &mut draft, at.operation, session);
    read_responses(doc, &mut draft, at.operation, session);
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
    /// The path placeholders whose value is a list, and how it is joined.
    lists: Vec<(String, ListStyle)>,
}

/// A dynamic row `name` reading `field`, a list row when `list` says so.
fn dynamic_row(name: &str, field: &str, list: Option<ListStyle>) -> Row {
    Row::Dynamic {
        name: name.to_owned(),
        field: (field != name).then(|| field.to_owned()),
        description: String::new(),
        list,
    }
}

/// Path parameters as placeholders, query and header parameters as dynamic rows, each a field
/// whose node UI comes from its schema; an array or object as its style says; a cookie
/// parameter is left out.
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
        lists: Vec::new(),
    };
    for parameter in parameters {
        let pname = text_of(parameter.get("name"));
        let place = text_of(parameter.get("in"));
        let field = field_name(&pname);
        let schema = doc.resolve(parameter.get("schema").unwrap_or(&Value::Null));
        let required = place == "path" || parameter.get("required") == Some(&Value::Bool(true));
        if !matches!(place.as_str(), "path" | "query" | "header") {
            session.left_out(format!(
                "`{method}`: the {place} parameter `{pname}` is not carried over"
            ));
            continue;
        }
        let mut ui = field_ui(&field, schema, required, method, session);
        if ui.tooltip.is_empty() {
            ui.tooltip = text_of(parameter.get("description"));
        }
        let list = match sent(parameter, &place, schema, method, session) {
            Sent::Value => None,
            Sent::List(style) => {
                explain_list(&mut ui, schema);
                Some(style)
            }
            Sent::Deep(properties) => {
                let at = DeepObject {
                    name: &pname,
                    schema,
                    required,
                    method,
                };
                for (row, ui) in at.rows(doc, properties, session) {
                    read.url_parameters.push(row);
                    read.fields.push(ui);
                }
                continue;
            }
        };
        match place.as_str() {
            "path" => {
                read.url_path = read
                    .url_path
                    .replace(&format!("{{{pname}}}"), &format!("$({field})"));
                if let Some(style) = list {
                    read.lists.push((field.clone(), style));
                }
            }
            "query" => read.url_parameters.push(dynamic_row(&pname, &field, list)),
            _ => read.headers.push(dynamic_row(&pname, &field, list)),
        }
        read.fields.push(ui);
    }
    read
}

/// A list field's tooltip says the value is JSON: `["a", "b"]`, `{"k": "v"}`.
fn explain_list(ui: &mut FieldUi, schema: &Value) {
    ui.kind = FieldType::Json;
    let example = if super::schema::schema_type(schema) == "array" {
        r#"a JSON array, e.g. ["a", "b"]"#
    } else {
        r#"a JSON object, e.g. {"name": "value"}"#
    };
    ui.tooltip = match ui.tooltip.trim() {
        "" => example.to_owned(),
        tooltip => format!("{tooltip} ({example})"),
    };
}

/// A `deepObject` query parameter: its name and schema, whether it is required, the method.
struct DeepObject<'a> {
    name: &'a str,
    schema: &'a Value,
    required: bool,
    method: &'a str,
}

impl DeepObject<'_> {
    /// A row `name[property]` per property, each a field of its own (`name_property`) whose
    /// node UI comes from the property's schema.
    fn rows(
        &self,
        doc: &Doc<'_>,
        properties: Vec<String>,
        session: &mut Session,
    ) -> Vec<(Row, FieldUi)> {
        let required = super::schema::required_names(self.schema);
        properties
            .into_iter()
            .map(|property| {
                let field = field_name(&format!("{}_{property}", self.name));
                let schema = self
                    .schema
                    .get("properties")
                    .and_then(|p| p.get(&property))
                    .map_or(&Value::Null, |s| doc.resolve(s));
                let mandatory = self.required && required.contains(&property.as_str());
                let ui = field_ui(&field, schema, mandatory, self.method, session);
                let row = dynamic_row(&format!("{}[{property}]", self.name), &field, None);
                (row, ui)
            })
            .collect()
    }
}
