//! A credential found in the input made a named secret: a `{{var}}` the variable's secret, a
//! literal a secret named for it, an auth-scheme word before it (`Bearer`) kept.

use node::check::credentials::replacement;
use node::model::AuthValue;
use node::template::{self, Piece, SECRET_PREFIX};

use crate::names::{field_name, secret_name, secret_ref};
use crate::session::Session;
use crate::variables::{Brace, Resolve, Var, as_is, convert};

/// The secret a credential value stands for: the variable's when the value is one `{{var}}`,
/// else a name for the literal (`base`).
pub(crate) fn credential_secret(
    value: &str,
    base: &str,
    place: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> String {
    match resolve.split(value.trim()).as_slice() {
        [Brace::Var(var)] => match resolve.var(var, true, place, session) {
            Var::Secret(name) => name,
            _ => session.secret_for_variable(var, place),
        },
        _ if value.trim().is_empty() => {
            let name = secret_name(base);
            session.secret(
                &name,
                format!("{place} has no value: the definition names the secret `{name}`"),
            );
            name
        }
        _ => session.secret_for_literal(base, value, place),
    }
}

/// A credential value as written: the auth-scheme word it starts with (`Bearer`, as the
/// checker spells it), if any, and the credential itself.
pub(crate) struct Schemed<'a> {
    scheme: Option<String>,
    pub credential: &'a str,
}

impl<'a> Schemed<'a> {
    /// `value` split; `None` when it holds no credential (a scheme word alone is none).
    pub(crate) fn split(value: &'a str) -> Option<Self> {
        let trimmed = value.trim();
        let instead = replacement(trimmed)?;
        Some(match instead.split_once(' ') {
            Some((scheme, _)) => Self {
                scheme: Some(scheme.to_owned()),
                credential: trimmed
                    .split_once(char::is_whitespace)
                    .map_or("", |(_, rest)| rest.trim()),
            },
            None => Self {
                scheme: None,
                credential: trimmed,
            },
        })
    }

    /// What the secret for it is named after: its scheme (`Bearer_token`), else `name`, the
    /// name it was found under.
    pub(crate) fn secret_base(&self, name: &str) -> String {
        match &self.scheme {
            Some(scheme) => format!("{scheme}_token"),
            None => name.to_owned(),
        }
    }

    /// The value written instead: the scheme word kept, the credential the secret `secret`.
    pub(crate) fn with_secret(&self, secret: &str) -> String {
        match &self.scheme {
            Some(scheme) => format!("{scheme} {}", secret_ref(secret)),
            None => secret_ref(secret),
        }
    }

    /// The value written instead of this literal, found under `name` at `place`.
    pub(crate) fn replaced(&self, name: &str, place: &str, session: &mut Session) -> String {
        let secret = session.secret_for_literal(&self.secret_base(name), self.credential, place);
        self.with_secret(&secret)
    }
}

/// A non-credential authorization value (a user name, a client id, an access key): written in,
/// a secret, or a field; text around a variable makes the whole value a field.
pub(crate) fn auth_value(
    text: &str,
    place: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> AuthValue {
    let converted = convert(text, false, place, resolve, session, &as_is);
    match template::pieces(&converted).as_slice() {
        [Piece::Placeholder(name)] if !name.starts_with(SECRET_PREFIX) => AuthValue::Dynamic {
            field: (*name).to_owned(),
        },
        _ if template::placeholder_names(&converted).is_empty() => {
            AuthValue::Static { value: converted }
        }
        _ => {
            let field = field_name(place);
            session.changed(format!(
                "{place} was `{text}`: it is now the dynamic field `{field}`, the whole value"
            ));
            AuthValue::Dynamic { field }
        }
    }
}

/// An authorization value that is the secret `name`.
pub(crate) fn secret_value(name: &str) -> AuthValue {
    AuthValue::Static {
        value: secret_ref(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::tests::Fields;

    #[test]
    fn an_empty_credential_names_a_secret_after_its_place_and_says_it_had_no_value() {
        let mut session = Session::default();
        let name = credential_secret(
            "  ",
            "api_key",
            "the header `X-Key`",
            &mut Fields,
            &mut session,
        );
        assert_eq!(name, "api_key");
        let notes = format!("{:?}", session.notes);
        assert!(
            notes.contains(
                "the header `X-Key` has no value: the definition names the secret `api_key`"
            ),
            "{notes}"
        );
    }

    #[test]
    fn an_authorization_value_is_written_in_a_field_or_made_a_field_whole() {
        let mut session = Session::default();
        let mut value = |text: &str| auth_value(text, "the username", &mut Fields, &mut session);
        assert_eq!(
            value("clinic"),
            AuthValue::Static {
                value: "clinic".into()
            }
        );
        assert_eq!(
            value("{{user}}"),
            AuthValue::Dynamic {
                field: "user".into()
            }
        );
        assert_eq!(
            value("org-{{user}}"),
            AuthValue::Dynamic {
                field: crate::names::field_name("the username")
            }
        );
    }
}
