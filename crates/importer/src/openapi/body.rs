//! A request body: JSON written out from its schema, a placeholder per leaf; a form a pair per
//! property.

use serde_json::Value;

use node::model::{Body, BodyFormat, FieldType, FieldUi};

use super::document::Doc;
use super::schema::{field_ui, properties, required_names, schema_type};
use crate::bodies::body;
use crate::draft::Draft;
use crate::names::{field_name, first_free};
use crate::outputs::MAX_DEPTH;
use crate::session::Session;

/// A body's objects are written out a field per property while fewer fields than this are
/// taken; an object met after that is one JSON field, so a wide schema stays a usable form.
const MAX_BODY_FIELDS: usize = 50;

/// The request body: JSON (a field per leaf of its schema), else a form (a field per
/// property); any other kind is said in a note.
pub(super) fn read_request_body(
    doc: &Doc<'_>,
    draft: &mut Draft,
    request_body: &Value,
    session: &mut Session,
) {
    let Some(content) = request_body.get("content").and_then(Value::as_object) else {
        return;
    };
    let json = content
        .iter()
        .find(|(kind, _)| kind.contains("json"))
        .map(|(_, media)| media);
    let form = content.get("application/x-www-form-urlencoded");
    let required_body = request_body.get("required") == Some(&Value::Bool(true));
    if let Some(media) = json {
        let schema = doc.resolve(media.get("schema").unwrap_or(&Value::Null));
        let mut builder = BodyBuilder {
            doc,
            fields: std::mem::take(&mut draft.fields),
            method: draft.name.clone(),
        };
        let template = builder.value(schema, "", required_body, 0, session);
        draft.fields = builder.fields;
        draft.body = Some(optional_left_out(body(BodyFormat::Json, template)));
    } else if let Some(media) = form {
        let schema = doc.resolve(media.get("schema").unwrap_or(&Value::Null));
        let required = required_names(schema);
        let mut pairs = Vec::new();
        for (key, property) in properties(schema) {
            let field = field_name(key);
            let property = doc.resolve(property);
            let mandatory = required.contains(&key.as_str());
            let mut ui = field_ui(&field, property, mandatory, &draft.name, session);
            if schema_type(property) == "array" {
                // A form template holds one pair per property: one value of the list is sent.
                ui.kind = FieldType::Text;
                session.changed(format!(
                    "`{}`: the form field `{key}` is a list; the node sends one value of it",
                    draft.name
                ));
            }
            draft.fields.push(ui);
            let key_text: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
            pairs.push(format!("{key_text}=$({field})"));
        }
        draft.body = Some(optional_left_out(body(BodyFormat::Form, pairs.join("&"))));
    } else if let Some(kind) = content.keys().next() {
        session.left_out(format!(
            "`{}`: a {kind} request body is not carried over (a node sends JSON, text or form \
             bodies)",
            draft.name
        ));
    }
}

/// A body whose optional values, left empty, are left out: an API with optional properties
/// wants them absent, not `""` or `null`.
fn optional_left_out(mut body: Body) -> Body {
    body.omit_empty = true;
    body
}

/// A JSON body template from a schema: an object's properties written out, each leaf a
/// placeholder (quoted for strings), named after the property (its parent's name before it
/// when taken).
struct BodyBuilder<'d, 'a> {
    doc: &'d Doc<'a>,
    fields: Vec<FieldUi>,
    method: String,
}

impl BodyBuilder<'_, '_> {
    fn value(
        &mut self,
        schema: &Value,
        name: &str,
        required: bool,
        depth: usize,
        session: &mut Session,
    ) -> String {
        let schema = self.doc.resolve(schema);
        let object = schema_type(schema) == "object" && schema.get("properties").is_some();
        if object && depth < MAX_DEPTH && self.fields.len() < MAX_BODY_FIELDS {
            let required_names = required_names(schema);
            let mut parts = Vec::new();
            for (key, property) in properties(schema) {
                let child = if name.is_empty() || !self.taken(key) {
                    key.clone()
                } else {
                    format!("{name}_{key}")
                };
                let value = self.value(
                    property,
                    &child,
                    required && required_names.contains(&key.as_str()),
                    depth + 1,
                    session,
                );
                parts.push(format!(
                    "{}: {value}",
                    serde_json::to_string(key).unwrap_or_default()
                ));
            }
            return format!("{{{}}}", parts.join(", "));
        }
        let base = field_name(if name.is_empty() { "body" } else { name });
        let field = first_free(&base, |n| format!("{base}{n}"), |field| self.taken(field));
        let ui = field_ui(&field, schema, required, &self.method, session);
        let quoted = matches!(ui.kind, FieldType::Text | FieldType::Email);
        self.fields.push(ui);
        if quoted {
            format!("\"$({field})\"")
        } else {
            format!("$({field})")
        }
    }

    fn taken(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == field_name(name))
    }
}
