//! How the API reads each kind of value a body or a query holds, and refuses one of the wrong
//! kind in the caller's words: "must be a whole number, got the text "3600"", never a Rust type
//! or a serde internal. JSON Schema's own reading is followed where it is kinder than serde's:
//! `1.0` is an integer. `null` is the same as leaving a field out.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::domain::TimeInput;

/// A JSON value as a message shows what the caller sent.
pub fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("the text \"{text}\""),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "an object".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Null => "null".to_owned(),
    }
}

/// The value of an optional field: `None` when absent or `null`.
fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Ok(Option::<Value>::deserialize(d)?.filter(|v| !v.is_null()))
}

/// A JSON number that is a whole number: an integer, or a float with nothing after the point.
fn as_whole(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= i64::MIN as f64 && *f <= i64::MAX as f64)
            .map(|f| f as i64)
    })
}

/// An optional whole number.
pub fn whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    optional(d)?
        .map(|value| {
            as_whole(&value).ok_or_else(|| {
                D::Error::custom(format!("must be a whole number, got {}", shown(&value)))
            })
        })
        .transpose()
}

/// An optional `true` or `false`.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    optional(d)?
        .map(|value| {
            value.as_bool().ok_or_else(|| {
                D::Error::custom(format!("must be true or false, got {}", shown(&value)))
            })
        })
        .transpose()
}

/// Optional text.
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    optional(d)?
        .map(|value| match value {
            Value::String(text) => Ok(text),
            other => Err(D::Error::custom(format!(
                "must be text, got {}",
                shown(&other)
            ))),
        })
        .transpose()
}

/// A list of text (phone numbers).
pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let refuse = |value: &Value| {
        D::Error::custom(format!(
            "must be a list of text such as [\"+14155550100\"], got {}",
            shown(value)
        ))
    };
    match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                other => Err(refuse(&other)),
            })
            .collect(),
        other => Err(refuse(&other)),
    }
}

/// An optional list of text (`null` is absent): a visit's reminders.
pub fn offsets<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let refuse = |value: &Value| {
        D::Error::custom(format!(
            "must be a list of ISO 8601 offsets such as [\"-P1D\", \"-PT15M\"], got {}",
            shown(value)
        ))
    };
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                other => Err(refuse(&other)),
            })
            .collect::<Result<_, _>>()
            .map(Some),
        other => Err(refuse(&other)),
    }
}

/// An optional time: Unix seconds as a number, or text the domain reads
/// (`crate::domain::Time`).
pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TimeInput>, D::Error> {
    optional(d)?
        .map(|value| match value {
            Value::String(text) => Ok(TimeInput::Text(text)),
            other => as_whole(&other).map(TimeInput::Seconds).ok_or_else(|| {
                D::Error::custom(format!(
                    "must be Unix seconds or an RFC 3339 time such as \
                     2027-01-15T09:00:00-05:00, got {}",
                    shown(&other)
                ))
            }),
        })
        .transpose()
}

/// An optional whole number in a query string, where every value is text.
pub fn query_whole_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| {
            text.trim()
                .parse::<u32>()
                .map_err(|_| D::Error::custom(format!("must be a whole number, got `{text}`")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Sample {
        #[serde(default, deserialize_with = "whole_number")]
        count: Option<i64>,
        #[serde(default, deserialize_with = "flag")]
        on: Option<bool>,
        #[serde(default, deserialize_with = "time")]
        at: Option<TimeInput>,
    }

    fn read(json: &str) -> Result<Sample, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn whole_floats_are_integers_and_null_is_absent() {
        assert_eq!(read(r#"{"count": 3.0}"#).unwrap().count, Some(3));
        assert_eq!(read(r#"{"count": null}"#).unwrap().count, None);
        assert_eq!(
            read(r#"{"at": 1800000000.0}"#).unwrap().at,
            Some(TimeInput::Seconds(1_800_000_000))
        );
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_told_as_sent() {
        let error = read(r#"{"count": "3600"}"#).unwrap_err();
        assert!(
            error.starts_with("must be a whole number, got the text \"3600\""),
            "{error}"
        );
        assert!(read(r#"{"count": 1.5}"#).unwrap_err().contains("got 1.5"));
        assert!(
            read(r#"{"on": "yes"}"#)
                .unwrap_err()
                .contains("true or false")
        );
        assert_eq!(read(r#"{"on": true}"#).unwrap().on, Some(true));
        assert!(read(r#"{"at": [1]}"#).unwrap_err().contains("got a list"));
        for error in [read(r#"{"count": "x"}"#), read(r#"{"on": 1}"#)] {
            let error = error.unwrap_err();
            assert!(!error.contains("i64") && !error.contains("bool"), "{error}");
        }
    }
}
