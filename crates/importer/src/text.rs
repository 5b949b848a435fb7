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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn strings_numbers_and_booleans_read_as_written_and_the_rest_as_nothing() {
        assert_eq!(text_of(Some(&json!("a b"))), "a b");
        assert_eq!(text_of(Some(&json!(42))), "42");
        assert_eq!(text_of(Some(&json!(-1.5))), "-1.5");
        assert_eq!(text_of(Some(&json!(true))), "true");
        assert_eq!(text_of(Some(&json!(null))), "");
        assert_eq!(text_of(Some(&json!([1]))), "");
        assert_eq!(text_of(None), "");
    }
}
