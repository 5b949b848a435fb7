//! Values of the input read as text.

use serde_json::Value;

/// A JSON value as text: a string as is, a number or bool written, anything else empty.
pub(crate) fn text_of(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}
