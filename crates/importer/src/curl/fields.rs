//! The variables of a curl line as API docs print them: `$VAR` and `${VAR}` (shell variables),
//! `<PLACEHOLDER>` and `<<PLACEHOLDER>>` (text to replace), and `{{var}}` (Postman's). Each is a
//! dynamic field, or a secret where a credential stands or its name says it is one.

use node::check::credentials::is_credential_name;

use crate::names::field_name;
use crate::session::Session;
use crate::variables::{Brace, Resolve, Var};

/// A curl line has no variables of its own; what it leaves to be filled in is a dynamic field,
/// or a secret where a credential stands (by place or by name, the checker's own rule).
#[derive(Debug, Default)]
pub(super) struct Fields {
    /// Text is XML, where `<NAME>` is an element: only `$VAR`, `${VAR}` and `{{var}}` are read.
    pub xml: bool,
}

impl Resolve for Fields {
    fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var {
        if credential || is_credential_name(name) {
            Var::Secret(session.secret_for_variable(name, place))
        } else {
            Var::Field(field_name(name))
        }
    }

    fn split<'t>(&self, text: &'t str) -> Vec<Brace<'t>> {
        let mut out = Vec::new();
        let mut literal = 0;
        let mut at = 0;
        while let Some(next) = text[at..].chars().next() {
            match variable_at(&text[at..], self.xml) {
                Some((name, length)) => {
                    if literal < at {
                        out.push(Brace::Text(&text[literal..at]));
                    }
                    out.push(Brace::Var(name));
                    at += length;
                    literal = at;
                }
                None => at += next.len_utf8(),
            }
        }
        if literal < text.len() {
            out.push(Brace::Text(&text[literal..]));
        }
        out
    }
}

/// The variable `text` starts with, if any: its name and how long it is written.
fn variable_at(text: &str, xml: bool) -> Option<(&str, usize)> {
    if let Some(rest) = text.strip_prefix("${") {
        let end = rest.find('}')?;
        let name = &rest[..end];
        return is_name(name, char::is_ascii_alphabetic).then_some((name, end + 3));
    }
    if let Some(rest) = text.strip_prefix('$') {
        // `$VAR` as docs write an environment variable: upper case, so that `$filter` and
        // `$top` (OData) stay text.
        let end = rest
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        return is_name(name, char::is_ascii_uppercase).then_some((name, end + 1));
    }
    if let Some(rest) = text.strip_prefix("{{") {
        let end = rest.find("}}")?;
        let name = rest[..end].trim();
        // `{{1}}` is a template's own numbered slot (Twilio's content API), not a variable.
        return is_name(name, |c| c.is_ascii_alphabetic() || *c == '$').then_some((name, end + 4));
    }
    if !xml && text.starts_with('<') {
        let brackets = if text.starts_with("<<") { 2 } else { 1 };
        let rest = &text[brackets..];
        let end = rest.find('>')?;
        let name = &rest[..end];
        let closed = rest[end..].starts_with(&">".repeat(brackets));
        return (closed && is_placeholder(name)).then_some((name, end + 2 * brackets));
    }
    None
}

/// Letters, digits, `_`, `-` (and `.` inside `{{ }}`), starting as `first` allows.
fn is_name(name: &str, first: impl Fn(&char) -> bool) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| first(&c) || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// `<API_KEY>`, `<YOUR-TOKEN>`: upper case, digits, `_` and `-`, with a letter, as docs write
/// text to replace (an element such as `<note>` is no placeholder).
fn is_placeholder(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(text: &str, xml: bool) -> Vec<String> {
        Fields { xml }
            .split(text)
            .into_iter()
            .map(|piece| match piece {
                Brace::Text(t) => format!("text:{t}"),
                Brace::Var(v) => format!("var:{v}"),
            })
            .collect()
    }

    /// A value that is one variable and nothing else is a row's field or a credential's
    /// secret as a whole (`[Brace::Var]`): no empty text beside it.
    #[test]
    fn a_variable_alone_or_next_to_another_has_no_empty_text_beside_it() {
        assert_eq!(vars("$TOKEN", false), ["var:TOKEN"]);
        assert_eq!(vars("${a}${b}", false), ["var:a", "var:b"]);
        assert_eq!(vars("{{ n }}x", false), ["var:n", "text:x"]);
    }

    #[test]
    fn docs_placeholders_are_variables_and_the_rest_is_text() {
        assert_eq!(
            vars(
                "https://x/Accounts/$TWILIO_ACCOUNT_SID/M.json?a=${id}&b={{ n }}",
                false
            ),
            [
                "text:https://x/Accounts/",
                "var:TWILIO_ACCOUNT_SID",
                "text:/M.json?a=",
                "var:id",
                "text:&b=",
                "var:n"
            ]
        );
        assert_eq!(
            vars("Bearer <YOUR-TOKEN> <<YOUR_SECRET_KEY>>:", false),
            [
                "text:Bearer ",
                "var:YOUR-TOKEN",
                "text: ",
                "var:YOUR_SECRET_KEY",
                "text::"
            ]
        );
        // OData's `$filter`, a price, Twilio's `{{1}}`, elements (a capital is not all capitals,
        // and digits alone are no name) and a lone `$`: text.
        for text in [
            "?$filter=a",
            "$5",
            "Hi {{1}}",
            "<note>x</note>",
            "<Note>x</Note>",
            "<123>",
            "a $ b",
            "${unclosed",
        ] {
            assert_eq!(vars(text, false), [format!("text:{text}")], "{text}");
        }
        assert_eq!(
            vars("<q><k>$KEY</k><v><V></v></q>", true),
            ["text:<q><k>", "var:KEY", "text:</k><v><V></v></q>"]
        );
    }
}
