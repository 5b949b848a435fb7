//! A run's values: the dynamic fields it was given and the engine's secrets, filled into rows,
//! authorization values and templates.

use std::collections::BTreeMap;

use super::result::RunError;
use crate::model::{AuthValue, ListStyle, Method, Row};
use crate::secrets::{Secrets, env_variable};
use crate::template::{self, Context, SECRET_PREFIX};

/// Where a run's values come from.
pub(super) struct Values<'a> {
    secrets: &'a Secrets,
    params: &'a BTreeMap<String, String>,
}

impl<'a> Values<'a> {
    /// The engine's `secrets` and the run's checked `params`.
    pub(super) fn new(secrets: &'a Secrets, params: &'a BTreeMap<String, String>) -> Self {
        Self { secrets, params }
    }

    /// A static value with its secrets filled in; it is literal apart from secrets.
    pub(super) fn with_secrets(&self, value: &str) -> Result<String, RunError> {
        let mut failure = None;
        let filled = template::fill(value, Context::Raw, |name| {
            match name.strip_prefix(SECRET_PREFIX) {
                Some(secret) => self.secret(secret).map_err(|e| failure = Some(e)).ok(),
                // A static value is literal apart from secrets.
                None => Some(format!("$({name})")),
            }
        });
        match failure {
            Some(failure) => Err(failure),
            None => filled.map_err(|e| RunError::Fill(e.to_string())),
        }
    }

    /// A row's value: a static value with its secrets filled in, or the dynamic parameter (a
    /// list row's items joined by its delimiter).
    pub(super) fn row(&self, row: &Row) -> Result<String, RunError> {
        let value = self.given(row)?;
        Ok(match row.list().zip(list_items(&value)) {
            Some((style, items)) => items
                .into_iter()
                .flat_map(|(name, value)| name.into_iter().chain([value]))
                .collect::<Vec<_>>()
                .join(style.delimiter()),
            None => value,
        })
    }

    /// The name/value pairs a row sends where a name may repeat (URL parameters, multipart
    /// parts): one per item of a `repeat` list row, an object's members under their own names;
    /// else the row's one.
    pub(super) fn pairs(&self, row: &Row) -> Result<Vec<(String, String)>, RunError> {
        if row.list() == Some(ListStyle::Repeat) {
            let value = self.given(row)?;
            if let Some(items) = list_items(&value) {
                return Ok(items
                    .into_iter()
                    .map(|(name, value)| (name.unwrap_or_else(|| row.name().to_owned()), value))
                    .collect());
            }
        }
        Ok(vec![(row.name().to_owned(), self.row(row)?)])
    }

    /// A row's value as given: static with its secrets filled in, or the run's parameter.
    fn given(&self, row: &Row) -> Result<String, RunError> {
        match row {
            Row::Static { value, .. } => self.with_secrets(value),
            Row::Dynamic { .. } => {
                let field = row.field().expect("dynamic rows have a field");
                self.params
                    .get(field)
                    .cloned()
                    .ok_or_else(|| RunError::MissingParameters(vec![field.to_owned()]))
            }
        }
    }

    /// An authorization value: static with its secrets filled in, or the run's field.
    pub(super) fn auth(&self, value: &AuthValue) -> Result<String, RunError> {
        match value {
            AuthValue::Static { value } => self.with_secrets(value),
            AuthValue::Dynamic { field } => Ok(self.params.get(field).cloned().unwrap_or_default()),
        }
    }

    /// Whether the placeholder `name` is a dynamic field left empty in this run.
    pub(super) fn is_empty(&self, name: &str, method: &Method) -> bool {
        method
            .parameters
            .iter()
            .find(|row| row.name() == name)
            .and_then(Row::field)
            .is_some_and(|field| self.params.get(field).is_some_and(String::is_empty))
    }

    /// Fills a URL or body template: placeholders from their parameter rows, secrets by name.
    pub(super) fn fill(
        &self,
        text: &str,
        context: Context,
        method: &Method,
    ) -> Result<String, RunError> {
        let mut failure = None;
        let filled = template::fill(text, context, |name| {
            let value = match name.strip_prefix(SECRET_PREFIX) {
                Some(secret) => self.secret(secret),
                None => match method.parameters.iter().find(|row| row.name() == name) {
                    Some(row) => self.row(row),
                    None => Err(RunError::Fill(format!(
                        "placeholder `$({name})` has no parameter row"
                    ))),
                },
            };
            value.map_err(|e| failure = Some(e)).ok()
        });
        match (filled, failure) {
            (_, Some(failure)) => Err(failure),
            (Ok(text), None) => Ok(text),
            (Err(e), None) => Err(RunError::Fill(e.to_string())),
        }
    }

    fn secret(&self, name: &str) -> Result<String, RunError> {
        self.secrets
            .expose(name)
            .ok_or_else(|| RunError::MissingSecret {
                name: name.to_owned(),
                variable: env_variable(name),
            })
    }
}

/// A value's items when it is a JSON array (each item; a string unquoted, `null` empty,
/// anything else its JSON text) or object (each member's name and value); `None` for any other
/// value, which is sent as it is.
fn list_items(value: &str) -> Option<Vec<(Option<String>, String)>> {
    let text = |item: &serde_json::Value| match item {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    match serde_json::from_str::<serde_json::Value>(value).ok()? {
        serde_json::Value::Array(items) => Some(items.iter().map(|i| (None, text(i))).collect()),
        serde_json::Value::Object(members) => Some(
            members
                .iter()
                .map(|(name, member)| (Some(name.clone()), text(member)))
                .collect(),
        ),
        _ => None,
    }
}
