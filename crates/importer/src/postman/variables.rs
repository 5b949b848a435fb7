//! `{{var}}` of a collection: written in, a secret or a dynamic field.

use std::collections::HashMap;

use node::check::credentials::is_credential_name;
use serde_json::Value;

use super::collection::enabled;
use crate::names::field_name;
use crate::session::Session;
use crate::text::text_of;
use crate::variables::{Resolve, Var};

/// A collection variable: its value, and whether Postman marks it secret.
#[derive(Debug, Clone)]
struct Variable {
    value: String,
    secret: bool,
}

/// `{{var}}` of a collection: a variable with a value that is no credential is written in;
/// a credential (by name, by Postman's `secret` type, or by where it stands) is a secret; any
/// other is a dynamic field.
pub(super) struct Variables {
    known: HashMap<String, Variable>,
}

impl Variables {
    /// The collection's variables that are not disabled.
    pub(super) fn of(collection: &Value) -> Self {
        let list = collection.get("variable").and_then(Value::as_array);
        let known = enabled(list.map_or(&[], Vec::as_slice))
            .filter_map(|variable| {
                let key = variable.get("key").and_then(Value::as_str)?;
                let value = Variable {
                    value: text_of(variable.get("value")),
                    secret: variable.get("type").and_then(Value::as_str) == Some("secret"),
                };
                Some((key.to_owned(), value))
            })
            .collect();
        Self { known }
    }
}

impl Resolve for Variables {
    fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var {
        let known = self.known.get(name);
        let secret =
            credential || is_credential_name(name) || known.is_some_and(|variable| variable.secret);
        if secret {
            let secret = session.secret_for_variable(name, place);
            if known.is_some_and(|variable| !variable.value.is_empty()) {
                session.left_out(format!(
                    "the collection's value of `{{{{{name}}}}}` is a credential: not carried over"
                ));
            }
            return Var::Secret(secret);
        }
        if let Some(dynamic) = name.strip_prefix('$') {
            let field = field_name(dynamic);
            session.changed(format!(
                "Postman makes `{{{{{name}}}}}` up on each send; here it is the dynamic field \
                 `{field}`"
            ));
            return Var::Field(field);
        }
        match known {
            Some(variable) if !variable.value.is_empty() => Var::Inline(variable.value.clone()),
            _ => {
                let field = field_name(name);
                if field != name {
                    session.changed(format!(
                        "`{{{{{name}}}}}` is the dynamic field `{field}` (field names are letters, \
                         digits and underscores)"
                    ));
                }
                Var::Field(field)
            }
        }
    }
}
