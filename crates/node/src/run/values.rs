//! A run's values: the dynamic fields it was given and the engine's secrets, filled into rows,
//! authorization values and templates.

use std::collections::BTreeMap;

use super::result::RunError;
use crate::model::{AuthValue, Method, Row};
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

    /// A row's value: a static value with its secrets filled in, or the dynamic parameter.
    pub(super) fn row(&self, row: &Row) -> Result<String, RunError> {
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
