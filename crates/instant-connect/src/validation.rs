//! Validation errors that name the field and the rule, and JSON parsing that keeps the path.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One broken rule: the field as a dotted path (`jwt.exp`) and the rule in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.rule)
    }
}

/// Every rule a request breaks, in field order; never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    pub fn one(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self(vec![FieldError::new(field, rule)])
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// The first broken rule, for answers that carry one field.
    pub fn first(&self) -> &FieldError {
        &self.0[0]
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// Collects broken rules while a validator walks a request.
#[derive(Default)]
pub(crate) struct Collector(Vec<FieldError>);

impl Collector {
    pub(crate) fn fail(&mut self, field: &str, rule: impl Into<String>) {
        self.0.push(FieldError::new(field, rule));
    }

    pub(crate) fn check(&mut self, ok: bool, field: &str, rule: impl FnOnce() -> String) {
        if !ok {
            self.fail(field, rule());
        }
    }

    pub(crate) fn check_range(&mut self, value: Option<i64>, field: &str, min: i64, max: i64) {
        if let Some(v) = value {
            self.check((min..=max).contains(&v), field, || {
                format!("must be between {min} and {max}, got {v}")
            });
        }
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(ValidationErrors(self.0))
        }
    }
}

/// Parses a JSON body, reporting a type error at its field path (`jwt.exp`), and a missing
/// field as that field rather than as its parent.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ValidationErrors> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let message = strip_position(&message);
        if let Some(name) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
        {
            let field = if path == "." {
                name.to_owned()
            } else {
                format!("{path}.{name}")
            };
            return ValidationErrors::one(field, "is required");
        }
        let field = if path == "." { "body".to_owned() } else { path };
        if inner.is_syntax() || inner.is_eof() {
            return ValidationErrors::one("body", format!("must be valid JSON ({message})"));
        }
        ValidationErrors::one(field, message.to_owned())
    })?;
    de.end().map_err(|_| {
        ValidationErrors::one("body", "must hold one JSON value and nothing after it")
    })?;
    Ok(value)
}

/// serde_json appends " at line L column C"; the field path says more to a caller.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}
