//! The node UI of dynamic fields, as Webex Connect's Node UI gives each one: label, tooltip,
//! type, mandatory (on unless turned off), a regex the value must match, and a default. The
//! rules here are checked before any request is sent, and `check` holds defaults to them too.
//!
//! An optional field left empty renders as nothing where nothing can stand: its URL parameter
//! row and its header row are left out, a URL path or a form, text or JSON-string placeholder
//! becomes empty, and a JSON placeholder outside a string becomes `null` (a body with
//! `omitEmpty` leaves the member or pair out instead).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use crate::model::{FieldType, FieldUi, Method};

/// Why a value was refused: the field and the rule in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {rule}")]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

/// Longest pattern a definition may give: a regex is data anyone with a definition can write.
pub const MAX_REGEX_LEN: usize = 1000;

/// The regex of a field, anchored: the whole value must match, as a form validator does.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    if pattern.len() > MAX_REGEX_LEN {
        return Err(format!("is longer than {MAX_REGEX_LEN} characters"));
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("is not a valid regex: {e}"))
}

fn email() -> &'static Regex {
    static EMAIL: OnceLock<Regex> = OnceLock::new();
    EMAIL.get_or_init(|| Regex::new(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)+$").expect("valid"))
}

/// Whether `value` is a `kind`; `Err` says what it must be.
pub fn check_type(kind: FieldType, value: &str) -> Result<(), String> {
    let ok = match kind {
        FieldType::Text => true,
        FieldType::Number => serde_json::from_str::<serde_json::Number>(value.trim()).is_ok(),
        FieldType::Boolean => matches!(value, "true" | "false"),
        FieldType::Email => email().is_match(value),
        FieldType::Phone => value.strip_prefix('+').is_some_and(|digits| {
            (8..=15).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0')
        }),
        FieldType::Json => serde_json::from_str::<serde_json::Value>(value).is_ok(),
    };
    if ok {
        Ok(())
    } else {
        Err(match kind {
            FieldType::Text => unreachable!("text takes anything"),
            FieldType::Number => "must be a number such as 42 or -1.5".into(),
            FieldType::Boolean => "must be `true` or `false`".into(),
            FieldType::Email => "must be an email address such as ana@example.com".into(),
            FieldType::Phone => {
                "must be a phone number in E.164 form: `+`, country code and number, 8 to 15 \
                 digits"
                    .into()
            }
            FieldType::Json => "must be JSON".into(),
        })
    }
}

/// Checks one value against its field's UI: type, then regex.
pub fn check_value(ui: &FieldUi, value: &str) -> Result<(), String> {
    check_type(ui.kind, value)?;
    if let Some(pattern) = &ui.regex {
        let regex = compile(pattern)?;
        if !regex.is_match(value) {
            return Err(format!("must match the regex `{pattern}`"));
        }
    }
    Ok(())
}

/// What [`resolve`] refused: mandatory fields with no value, and values that break a rule.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refused {
    pub missing: Vec<String>,
    pub invalid: Vec<FieldError>,
}

/// The value of every dynamic field of `method` for a run: given, else the default; an
/// optional field with neither is empty. Every problem is reported, in field order.
pub fn resolve(
    method: &Method,
    params: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Refused> {
    let mut values = BTreeMap::new();
    let mut refused = Refused::default();
    for field in method.dynamic_fields() {
        let ui = method.field_ui(field);
        let value = params
            .get(field)
            .filter(|v| !v.is_empty())
            .or(ui.default.as_ref())
            .cloned();
        match value {
            Some(value) => {
                if let Err(rule) = check_value(&ui, &value) {
                    refused.invalid.push(FieldError {
                        field: field.to_owned(),
                        rule,
                    });
                }
                values.insert(field.to_owned(), value);
            }
            None if ui.mandatory => refused.missing.push(field.to_owned()),
            None => {
                values.insert(field.to_owned(), String::new());
            }
        }
    }
    if refused.missing.is_empty() && refused.invalid.is_empty() {
        Ok(values)
    } else {
        Err(refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_says_what_it_wants() {
        assert!(check_type(FieldType::Number, "-1.5e3").is_ok());
        assert!(check_type(FieldType::Number, "12a").is_err());
        assert!(check_type(FieldType::Boolean, "true").is_ok());
        assert!(check_type(FieldType::Boolean, "yes").is_err());
        assert!(check_type(FieldType::Email, "ana@example.com").is_ok());
        assert!(check_type(FieldType::Email, "ana@example").is_err());
        assert!(check_type(FieldType::Phone, "+14155550100").is_ok());
        assert!(check_type(FieldType::Phone, "4155550100").is_err());
        assert!(check_type(FieldType::Json, r#"{"a": [1]}"#).is_ok());
        assert!(check_type(FieldType::Json, "{a}").is_err());
        assert!(check_type(FieldType::Text, "").is_ok());
    }

    #[test]
    fn a_regex_must_match_the_whole_value() {
        let regex = compile("[0-9]{3}").unwrap();
        assert!(regex.is_match("123"));
        assert!(!regex.is_match("1234"));
        assert!(compile("(").is_err());
        assert!(compile(&"a".repeat(MAX_REGEX_LEN + 1)).is_err());
    }
}
