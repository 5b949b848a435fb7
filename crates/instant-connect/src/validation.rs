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

/// A value the rules accepted, with what was ignored or assumed on the way: each warning names
/// the field and says what was done. A strict reader refuses anything with warnings.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted<T> {
    pub value: T,
    pub warnings: Vec<FieldError>,
}

impl<T> Accepted<T> {
    pub fn new(value: T, warnings: Vec<FieldError>) -> Self {
        Self { value, warnings }
    }

    /// The value only if nothing was ignored or assumed; else every warning as an error.
    pub fn strict(self) -> Result<T, ValidationErrors> {
        if self.warnings.is_empty() {
            Ok(self.value)
        } else {
            Err(ValidationErrors(self.warnings))
        }
    }

    /// Runs the next step on the value; its warnings follow these.
    pub fn then<U>(
        self,
        next: impl FnOnce(T) -> Result<Accepted<U>, ValidationErrors>,
    ) -> Result<Accepted<U>, ValidationErrors> {
        let Accepted {
            value,
            mut warnings,
        } = self;
        let next = next(value)?;
        warnings.extend(next.warnings);
        Ok(Accepted::new(next.value, warnings))
    }
}

/// A JSON body deserialized, and the paths of the fields it had that the type does not know
/// (`jwt.Nbf`, `jwt.flow.data[0].note`), in the order they came.
pub(crate) struct Parsed<T> {
    pub value: T,
    pub raw: serde_json::Value,
    pub ignored: Vec<FieldPath>,
}

/// Where a field is: the keys and indices from the top of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldPath(pub Vec<Segment>);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    Key(String),
    Index(usize),
}

impl FieldPath {
    /// The path's last key, if it ends in one.
    pub(crate) fn last_key(&self) -> Option<&str> {
        match self.0.last() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// The path without its last segment, written with indices as `[*]`, e.g. `jwt.flow.data[*]`:
    /// the place a field was found, whatever its position in a list.
    pub(crate) fn parent_shape(&self) -> String {
        let parent = FieldPath(self.0[..self.0.len().saturating_sub(1)].to_vec());
        parent.write(true)
    }

    fn write(&self, any_index: bool) -> String {
        let mut text = String::new();
        for segment in &self.0 {
            match segment {
                Segment::Key(key) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(key);
                }
                Segment::Index(_) if any_index => text.push_str("[*]"),
                Segment::Index(i) => text.push_str(&format!("[{i}]")),
            }
        }
        text
    }

    fn from_ignored(path: &serde_ignored::Path<'_>) -> Self {
        fn walk(path: &serde_ignored::Path<'_>, into: &mut Vec<Segment>) {
            use serde_ignored::Path;
            match path {
                Path::Root => {}
                Path::Seq { parent, index } => {
                    walk(parent, into);
                    into.push(Segment::Index(*index));
                }
                Path::Map { parent, key } => {
                    walk(parent, into);
                    into.push(Segment::Key(key.clone()));
                }
                Path::Some { parent }
                | Path::NewtypeStruct { parent }
                | Path::NewtypeVariant { parent } => walk(parent, into),
            }
        }
        let mut segments = Vec::new();
        walk(path, &mut segments);
        FieldPath(segments)
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.write(false))
    }
}

/// Parses a JSON body: a syntax error is the `body`'s, a type error is reported at its field
/// path (`jwt.exp`), and fields the type does not know are collected, not refused.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<Parsed<T>, ValidationErrors> {
    let raw: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ValidationErrors::one("body", format!("must be one valid JSON value ({e})"))
    })?;
    // serde would read a struct from an array too; every body of this API is an object.
    if !raw.is_object() {
        return Err(ValidationErrors::one("body", "must be a JSON object"));
    }
    let mut ignored = Vec::new();
    let mut note_ignored = |path: serde_ignored::Path<'_>| {
        ignored.push(FieldPath::from_ignored(&path));
    };
    let tracking = serde_ignored::Deserializer::new(&raw, &mut note_ignored);
    let value: T = serde_path_to_error::deserialize(tracking).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ValidationErrors::one(field, e.into_inner().to_string())
    })?;
    Ok(Parsed {
        value,
        raw,
        ignored,
    })
}

/// The wire names of a struct's fields, as serde reads them (so they are written once, on the
/// type): for pointing out a near miss such as `Nbf` for `nbf`.
pub(crate) fn field_names<'de, T: serde::Deserialize<'de>>() -> &'static [&'static str] {
    serde_aux::serde_introspection::serde_introspect::<T>()
}
