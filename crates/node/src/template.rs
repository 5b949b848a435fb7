//! `$(name)` placeholders: finding them, and filling them so the result stays what it claims to
//! be (valid JSON, a valid URL, a valid form body).

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Characters escaped in a URL placeholder: everything but unreserved and sub-delims that are
/// safe in a path segment or query value.
const URL_VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'/')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The prefix that makes a placeholder a secret reference: `$(secret:broker_token)`.
pub const SECRET_PREFIX: &str = "secret:";

/// A piece of a template: literal text or a placeholder name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

/// Splits a template into text and `$(name)` placeholders. A `$(` with no closing `)` is text.
pub fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("$(") {
        let after = &rest[start + 2..];
        let Some(end) = after.find(')') else { break };
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        pieces.push(Piece::Placeholder(&after[..end]));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

/// The names of a template's placeholders, secrets excluded, in order.
pub fn placeholder_names(template: &str) -> Vec<&str> {
    pieces(template)
        .into_iter()
        .filter_map(|p| match p {
            Piece::Placeholder(name) if !name.starts_with(SECRET_PREFIX) => Some(name),
            _ => None,
        })
        .collect()
}

/// How a filled value is written into its surroundings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Literal: text bodies, header values, computed outputs.
    Raw,
    /// Percent-encoded: resource URLs.
    Url,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// JSON-escaped inside a JSON string; outside a string the value must itself be JSON.
    Json,
    /// XML-escaped (`&`, `<`, `>`, `"`, `'`): right in text and in attribute values alike.
    Xml,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FillError {
    #[error("no value for `$({0})`")]
    Missing(String),
    #[error(
        "`$({name})` stands outside a JSON string, so its value must be JSON (a number, true, \
         false, null, an object or an array), got `{value}`"
    )]
    NotJson { name: String, value: String },
}

/// Fills every placeholder of `template` with `value_of(name)`, written for `context`.
pub fn fill(
    template: &str,
    context: Context,
    mut value_of: impl FnMut(&str) -> Option<String>,
) -> Result<String, FillError> {
    let mut out = String::with_capacity(template.len());
    for (piece, in_json_string) in placed(template) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(name) => {
                let value = value_of(name).ok_or_else(|| FillError::Missing(name.to_owned()))?;
                match context {
                    Context::Raw => out.push_str(&value),
                    Context::Url => out.extend(utf8_percent_encode(&value, URL_VALUE)),
                    Context::Form => {
                        out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()))
                    }
                    Context::Xml => out.push_str(&xml_escape(&value)),
                    Context::Json if in_json_string => {
                        let quoted = serde_json::to_string(&value).expect("strings serialize");
                        out.push_str(&quoted[1..quoted.len() - 1]);
                    }
                    // An optional field left empty, outside a string: JSON's nothing.
                    Context::Json if value.is_empty() => out.push_str("null"),
                    Context::Json => {
                        if serde_json::from_str::<serde_json::Value>(&value).is_err() {
                            return Err(FillError::NotJson {
                                name: name.to_owned(),
                                value,
                            });
                        }
                        out.push_str(&value);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `text` with XML's five special characters written as entities.
fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The literal text of a template: every placeholder dropped, or `null` where it stands outside a
/// JSON string (so a JSON template stays JSON). What is left is what the definition itself holds.
pub fn literal_text(template: &str, context: Context) -> String {
    let mut out = String::with_capacity(template.len());
    for (piece, in_json_string) in placed(template) {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Placeholder(_) if context == Context::Json && !in_json_string => {
                out.push_str("null")
            }
            Piece::Placeholder(_) => {}
        }
    }
    out
}

/// Each piece with whether it stands inside a JSON string literal, reading the template's text
/// so far as JSON (only a JSON context asks).
fn placed(template: &str) -> impl Iterator<Item = (Piece<'_>, bool)> {
    let mut json = JsonScanner::default();
    pieces(template).into_iter().map(move |piece| {
        let inside = json.in_string;
        if let Piece::Text(text) = piece {
            json.scan(text);
        }
        (piece, inside)
    })
}

/// Tracks whether the text seen so far of a JSON template ends inside a string literal.
#[derive(Default)]
struct JsonScanner {
    in_string: bool,
    escaped: bool,
}

impl JsonScanner {
    fn scan(&mut self, text: &str) {
        for c in text.chars() {
            if self.escaped {
                self.escaped = false;
            } else if self.in_string && c == '\\' {
                self.escaped = true;
            } else if c == '"' {
                self.in_string = !self.in_string;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Option<String> {
        match name {
            "id" => Some(r#"a "quoted" \ back / ☃ "#.to_owned()),
            "n" => Some("3".to_owned()),
            "word" => Some("three".to_owned()),
            "secret:t" => Some("s3cr3t".to_owned()),
            _ => None,
        }
    }

    #[test]
    fn pieces_split_text_and_placeholders() {
        assert_eq!(
            pieces("a$(x)b$(y)$(unclosed"),
            [
                Piece::Text("a"),
                Piece::Placeholder("x"),
                Piece::Text("b"),
                Piece::Placeholder("y"),
                Piece::Text("$(unclosed")
            ]
        );
        assert_eq!(placeholder_names("Bearer $(secret:t) $(id)"), ["id"]);
    }

    #[test]
    fn json_strings_get_escaped_values_and_stay_valid_json() {
        let filled = fill(
            r#"{"sub": "$(id)", "n": $(n), "esc": "\"$(n)"}"#,
            Context::Json,
            values,
        )
        .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&filled).unwrap();
        assert_eq!(parsed["sub"], r#"a "quoted" \ back / ☃ "#);
        assert_eq!(parsed["n"], 3);
        assert_eq!(parsed["esc"], "\"3");
    }

    #[test]
    fn literal_text_drops_placeholders_and_keeps_json_valid() {
        assert_eq!(
            literal_text(r#"{"a": "x$(id)y", "n": $(n)}"#, Context::Json),
            r#"{"a": "xy", "n": null}"#
        );
        assert_eq!(
            literal_text("https://x.test/$(id)?k=$(secret:t)", Context::Url),
            "https://x.test/?k="
        );
    }

    #[test]
    fn xml_values_are_escaped_in_text_and_attributes() {
        let filled = fill(r#"<a k="$(id)">$(id)</a>"#, Context::Xml, |_| {
            Some(r#"<b>&"x" 'y'"#.to_owned())
        })
        .unwrap();
        assert_eq!(
            filled,
            "<a k=\"&lt;b&gt;&amp;&quot;x&quot; &apos;y&apos;\">&lt;b&gt;&amp;&quot;x&quot; &apos;y&apos;</a>"
        );
    }

    #[test]
    fn a_non_json_value_outside_a_string_is_refused() {
        let err = fill(r#"{"n": $(word)}"#, Context::Json, values).unwrap_err();
        assert!(matches!(err, FillError::NotJson { ref name, .. } if name == "word"));
    }

    #[test]
    fn urls_and_forms_encode_and_raw_does_not() {
        assert_eq!(
            fill("https://x.test/a/$(id)", Context::Url, values).unwrap(),
            "https://x.test/a/a%20%22quoted%22%20%5C%20back%20%2F%20%E2%98%83%20"
        );
        assert_eq!(
            fill("k=$(n)&v=$(word)", Context::Form, values).unwrap(),
            "k=3&v=three"
        );
        assert_eq!(
            fill("Bearer $(secret:t)", Context::Raw, values).unwrap(),
            "Bearer s3cr3t"
        );
        assert_eq!(
            fill("$(nope)", Context::Raw, values),
            Err(FillError::Missing("nope".into()))
        );
    }
}
