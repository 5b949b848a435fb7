//! `{{var}}` as Postman writes it (and curl lines copied from it), and how an importer writes
//! each: its value, a secret or a dynamic field.

use crate::names::secret_ref;
use crate::session::Session;

/// How a `{{var}}` is written into the definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Var {
    /// Its value, written in (a collection variable that is no credential).
    Inline(String),
    /// `$(secret:NAME)`.
    Secret(String),
    /// `$(name)`: a dynamic field.
    Field(String),
}

impl Var {
    /// As written in a template: the value, `$(secret:NAME)` or `$(name)`.
    pub(crate) fn placeholder(&self) -> String {
        match self {
            Var::Inline(value) => value.clone(),
            Var::Secret(name) => secret_ref(name),
            Var::Field(name) => format!("$({name})"),
        }
    }
}

/// A piece of text in the `{{var}}` syntax of Postman (and of curl lines copied from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Brace<'a> {
    Text(&'a str),
    Var(&'a str),
}

/// Splits `{{var}}` out of text; a `{{` with no `}}` is text.
pub(crate) fn braces(text: &str) -> Vec<Brace<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start + 2..].find("}}") else {
            break;
        };
        if start > 0 {
            out.push(Brace::Text(&rest[..start]));
        }
        out.push(Brace::Var(rest[start + 2..start + 2 + end].trim()));
        rest = &rest[start + 2 + end + 2..];
    }
    if !rest.is_empty() {
        out.push(Brace::Text(rest));
    }
    out
}

/// How an importer resolves `{{var}}`: `credential` says the variable stands where a credential
/// does (then it is always a secret).
pub(crate) trait Resolve {
    fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var;

    /// `text` as literal text and the variables this input writes: `{{var}}` unless it says
    /// otherwise.
    fn split<'t>(&self, text: &'t str) -> Vec<Brace<'t>> {
        braces(text)
    }
}

/// `text` with every `{{var}}` written as `resolve` says; `escape` writes the literal text.
pub(crate) fn convert(
    text: &str,
    credential: bool,
    place: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
    escape: &dyn Fn(&str) -> String,
) -> String {
    resolve
        .split(text)
        .into_iter()
        .map(|piece| match piece {
            Brace::Text(text) => escape(text),
            Brace::Var(name) => match resolve.var(name, credential, place, session) {
                Var::Inline(value) => escape(&value),
                other => other.placeholder(),
            },
        })
        .collect()
}

/// The escape of text that is written as it is.
pub(crate) fn as_is(text: &str) -> String {
    text.to_owned()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::names::field_name;

    /// The resolver of the shared parts' tests: a `{{var}}` is a field, or a secret where a
    /// credential stands.
    pub(crate) struct Fields;
    impl Resolve for Fields {
        fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var {
            if credential {
                Var::Secret(session.secret_for_variable(name, place))
            } else {
                Var::Field(field_name(name))
            }
        }
    }

    #[test]
    fn braces_split_variables_out() {
        assert_eq!(
            braces("a{{ x }}b{{y}}{{open"),
            [
                Brace::Text("a"),
                Brace::Var("x"),
                Brace::Text("b"),
                Brace::Var("y"),
                Brace::Text("{{open")
            ]
        );
    }
}
