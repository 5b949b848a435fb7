//! What a schema says: a field's node UI (type, mandatory, pattern, default), an object's
//! properties, and the shape of an answer to find outputs in.

use serde_json::{Map, Value};

use node::model::{FieldType, FieldUi};

use super::document::Doc;
use crate::outputs::MAX_DEPTH;
use crate::session::Session;
use crate::text::text_of;

/// The node UI of a field from its schema: required → mandatory, type, pattern, description,
/// default. A pattern or default the node UI would refuse is left out, with a note.
pub(super) fn field_ui(
    field: &str,
    schema: &Value,
    required: bool,
    method: &str,
    session: &mut Session,
) -> FieldUi {
    let mut ui = FieldUi::plain(field);
    ui.mandatory = required;
    ui.kind = field_type(schema);
    ui.tooltip = text_of(schema.get("description"));
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        // OpenAPI patterns are unanchored (ECMA 262); the node UI's regex matches the whole
        // value, so a pattern is widened unless it anchors itself.
        let anchored = pattern.starts_with('^') && pattern.ends_with('$');
        let regex = if anchored {
            pattern[1..pattern.len() - 1].to_owned()
        } else {
            format!(".*(?:{pattern}).*")
        };
        match node::fields::compile(&regex) {
            Ok(_) => ui.regex = Some(regex),
            Err(rule) => session.changed(format!(
                "`{method}`: the pattern of `{field}` {rule}: left out"
            )),
        }
    }
    if let Some(default) = schema.get("default") {
        let default = match default {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if node::fields::check_value(&ui, &default).is_ok() {
            ui.default = Some(default);
        } else {
            session.changed(format!(
                "`{method}`: the default of `{field}` does not meet its own rules: left out"
            ));
        }
    }
    ui
}

/// The first non-null `type` (3.1 allows a list).
pub(super) fn schema_type(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ if schema.get("properties").is_some() => "object",
        _ => "",
    }
}

/// The node UI type of a field of this schema.
fn field_type(schema: &Value) -> FieldType {
    match schema_type(schema) {
        "integer" | "number" => FieldType::Number,
        "boolean" => FieldType::Boolean,
        "object" | "array" => FieldType::Json,
        _ if schema.get("format").and_then(Value::as_str) == Some("email") => FieldType::Email,
        _ => FieldType::Text,
    }
}

/// An object schema's properties, in order.
pub(super) fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

/// The properties an object schema requires.
pub(super) fn required_names(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// At most this many schema nodes are walked for an answer's shape: a schema whose properties
/// refer back to it is a tree as wide as it likes, and only the first
/// [`crate::outputs::MAX_SUGGESTED_OUTPUTS`] leaves are used.
pub(super) const MAX_SHAPE_NODES: usize = 1000;

/// A value with the schema's structure (objects with their properties, arrays with one item),
/// to walk for outputs; at most `budget` schema nodes are walked.
pub(super) fn shape(doc: &Doc<'_>, schema: &Value, depth: usize, budget: &mut usize) -> Value {
    let schema = doc.resolve(schema);
    if depth >= MAX_DEPTH || *budget == 0 {
        return Value::Null;
    }
    *budget -= 1;
    match schema_type(schema) {
        "object" => Value::Object(
            properties(schema)
                .map(|(key, property)| (key.clone(), shape(doc, property, depth + 1, budget)))
                .collect::<Map<String, Value>>(),
        ),
        "array" => Value::Array(vec![shape(
            doc,
            schema.get("items").unwrap_or(&Value::Null),
            depth + 1,
            budget,
        )]),
        _ => Value::Null,
    }
}
