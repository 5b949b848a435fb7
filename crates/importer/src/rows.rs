//! Header, URL parameter and body part rows from `name: value`, credentials made secrets.

use node::check::credentials::is_credential_name;
use node::model::Row;
use node::template;

use crate::credentials::{Schemed, credential_secret};
use crate::names::{field_name, secret_ref};
use crate::session::Session;
use crate::variables::{Brace, Resolve, Var, as_is, convert};

/// A header or URL parameter row from `name: value`, with credentials named as secrets.
pub(crate) fn row(
    name: &str,
    value: &str,
    what: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> Row {
    let place = format!("{what} `{name}`");
    if is_credential_name(name) {
        return Row::Static {
            name: name.to_owned(),
            value: credential_row_value(name, value, &place, resolve, session),
        };
    }
    let pieces = resolve.split(value);
    if let [Brace::Var(var)] = pieces.as_slice() {
        match resolve.var(var, false, &place, session) {
            Var::Field(field) => {
                return Row::Dynamic {
                    name: name.to_owned(),
                    field: (field != name).then_some(field),
                    description: String::new(),
                    list: None,
                };
            }
            other => {
                return Row::Static {
                    name: name.to_owned(),
                    value: other.placeholder(),
                };
            }
        }
    }
    let converted = convert(value, false, &place, resolve, session, &as_is);
    if template::placeholder_names(&converted).is_empty() {
        return Row::Static {
            name: name.to_owned(),
            value: converted,
        };
    }
    let field = field_name(name);
    session.changed(format!(
        "{place} was `{value}`: a row's value is one static text or one field, so it is now \
         the dynamic field `{field}`, whose value is the whole {what}"
    ));
    Row::Dynamic {
        name: name.to_owned(),
        field: (field != name).then_some(field),
        description: format!("formerly `{value}`"),
        list: None,
    }
}

/// The value of a credential row: its scheme word kept (`Bearer`), the rest one secret.
fn credential_row_value(
    name: &str,
    value: &str,
    place: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> String {
    let Some(schemed) = Schemed::split(value) else {
        return value.trim().to_owned();
    };
    let base = schemed.secret_base(name);
    let secret = credential_secret(schemed.credential, &base, place, resolve, session);
    schemed.with_secret(&secret)
}

/// `Authorization: Bearer $(secret:NAME)`.
pub(crate) fn bearer_row(secret: &str) -> Row {
    Row::Static {
        name: "Authorization".to_owned(),
        value: format!("Bearer {}", secret_ref(secret)),
    }
}

/// The value of the header `name` (any case) among the input's `name: value` pairs: the first.
pub(crate) fn header_value<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::tests::Fields;

    #[test]
    fn credential_rows_keep_their_scheme_and_name_a_secret() {
        let mut session = Session::default();
        let header = row(
            "Authorization",
            "Bearer abc.def",
            "header",
            &mut Fields,
            &mut session,
        );
        assert_eq!(
            header,
            Row::Static {
                name: "Authorization".into(),
                value: "Bearer $(secret:bearer_token)".into()
            }
        );
        let key = row("X-API-Key", "k-123", "header", &mut Fields, &mut session);
        assert_eq!(
            key,
            Row::Static {
                name: "X-API-Key".into(),
                value: "$(secret:x_api_key)".into()
            }
        );
        assert!(
            session
                .notes
                .iter()
                .any(|n| n.secret.as_deref() == Some("bearer_token")
                    && n.kind == crate::notes::Kind::Secret)
        );
    }

    #[test]
    fn a_mixed_value_becomes_one_field_named_after_the_row_unless_the_name_is_one_already() {
        let mut session = Session::default();
        let plain = row("trace", "a-{{id}}", "header", &mut Fields, &mut session);
        assert_eq!(
            plain,
            Row::Dynamic {
                name: "trace".into(),
                field: None,
                description: "formerly `a-{{id}}`".into(),
                list: None,
            }
        );
        let dashed = row("X-Trace", "a-{{id}}", "header", &mut Fields, &mut session);
        let Row::Dynamic { field, .. } = dashed else {
            panic!("{dashed:?}")
        };
        assert_eq!(field, Some(field_name("X-Trace")));
        assert_ne!(field_name("X-Trace"), "X-Trace");
    }
}
