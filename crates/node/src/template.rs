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
    #[error("`$({0})` holds a control character that XML cannot carry")]
    NotXml(String),
    #[error(
        "`$({0})` is `.` or `..`, which in a URL's path would reach another path (percent-encoded \
         too: URLs are read with `%2e` as a dot)"
    )]
    DotSegment(String),
}

/// A value that, standing as a path segment, names the segment itself or its parent.
fn is_dot_segment(value: &str) -> bool {
    value == "." || value == ".."
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
                    Context::Url if is_dot_segment(&value) && !out.contains(['?', '#']) => {
                        return Err(FillError::DotSegment(name.to_owned()));
                    }
                    Context::Url => out.extend(utf8_percent_encode(&value, URL_VALUE)),
                    Context::Form => {
                        out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()))
                    }
                    Context::Xml => match xml_escape(&value) {
                        Some(escaped) => out.push_str(&escaped),
                        None => return Err(FillError::NotXml(name.to_owned())),
                    },
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

/// `text` with XML's five special characters written as entities, and tab, newline and carriage
/// return as character references (so an attribute keeps them); `None` when it holds a control
/// character XML 1.0 cannot carry.
fn xml_escape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if c < ' ' => return None,
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    Some(out)
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

/// A `json` or `form` template without the members (`"k": "$(f)"`, `"k": $(f)`) or pairs
/// (`k=$(f)`) whose whole value is a placeholder `is_empty` says is left empty (an object left
/// with no member goes too); any other template, or one that is not JSON, as it is. A JSON
/// template is written anew only when something is left out (its values keep their meaning,
/// not their spacing).
pub fn without_empty(template: &str, context: Context, is_empty: impl Fn(&str) -> bool) -> String {
    match context {
        Context::Form => template
            .split('&')
            .filter(|pair| {
                !matches!(pair.split_once('=').map(|(_, v)| pieces(v)).as_deref(),
                    Some([Piece::Placeholder(name)]) if is_empty(name))
            })
            .collect::<Vec<_>>()
            .join("&"),
        Context::Json => {
            json_without_empty(template, &is_empty).unwrap_or_else(|| template.to_owned())
        }
        _ => template.to_owned(),
    }
}

/// Private-use characters around a placeholder's index: text no template holds (one that does
/// is left as it is).
fn marker(i: usize) -> String {
    format!("\u{E000}{i}\u{E001}")
}

/// The JSON template with its empty members left out; `None` when nothing is, or it is no JSON.
fn json_without_empty(template: &str, is_empty: &dyn Fn(&str) -> bool) -> Option<String> {
    if template.contains('\u{E000}') {
        return None;
    }
    // Each placeholder becomes a marker (a string of its own outside a string), so the
    // template parses as JSON and the placeholders can be put back where they were.
    let mut names: Vec<(&str, bool)> = Vec::new();
    let mut marked = String::with_capacity(template.len());
    for (piece, in_string) in placed(template) {
        match piece {
            Piece::Text(text) => marked.push_str(text),
            Piece::Placeholder(name) => {
                let marker = marker(names.len());
                names.push((name, in_string));
                if in_string {
                    marked.push_str(&marker);
                } else {
                    marked.push_str(&format!("\"{marker}\""));
                }
            }
        }
    }
    let mut value: serde_json::Value = serde_json::from_str(&marked).ok()?;
    let empty = |text: &str| {
        names
            .iter()
            .enumerate()
            .any(|(i, (name, _))| text == marker(i) && is_empty(name))
    };
    if !prune(&mut value, &empty) {
        return None;
    }
    let mut out = if template.contains('\n') {
        serde_json::to_string_pretty(&value).ok()?
    } else {
        serde_json::to_string(&value).ok()?
    };
    for (i, (name, in_string)) in names.iter().enumerate() {
        let marker = marker(i);
        let placeholder = format!("$({name})");
        if *in_string {
            out = out.replace(&marker, &placeholder);
        } else {
            out = out.replace(&format!("\"{marker}\""), &placeholder);
        }
    }
    Some(out)
}

/// Leaves out the members of every object whose value is a string `empty` says is one, and
/// then objects left with no member; whether anything was left out.
fn prune(value: &mut serde_json::Value, empty: &dyn Fn(&str) -> bool) -> bool {
    let mut changed = false;
    match value {
        serde_json::Value::Object(members) => {
            members.retain(|_, member| {
                let gone = member.as_str().is_some_and(empty);
                changed |= gone;
                !gone
            });
            members.retain(|_, member| {
                let had_members = member.as_object().is_some_and(|o| !o.is_empty());
                let inner = prune(member, empty);
                changed |= inner;
                !(had_members && inner && member.as_object().is_some_and(|o| o.is_empty()))
            });
        }
        serde_json::Value::Array(items) => {
            for item in items {
                changed |= prune(item, empty);
            }
        }
        _ => {}
    }
    changed
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
        assert_eq!(
            fill("<a k=\"$(id)\"/>", Context::Xml, |_| Some(
                "1\t2\r\n3".to_owned()
            ))
            .unwrap(),
            "<a k=\"1&#9;2&#13;&#10;3\"/>"
        );
        assert_eq!(
            fill("<a>$(id)</a>", Context::Xml, |_| Some(
                "bell\u{7}".to_owned()
            )),
            Err(FillError::NotXml("id".into()))
        );
    }

    #[test]
    fn empty_members_go_inside_arrays_too_and_only_objects_they_emptied_go_with_them() {
        let empty = |name: &str| name == "e";
        let left = without_empty(
            r#"{"items": [{"a": "$(e)", "b": "$(b)"}], "gone": {"x": "$(e)"}, "kept": {"k": "$(b)"}, "given": {}}"#,
            Context::Json,
            empty,
        );
        let parsed: serde_json::Value =
            serde_json::from_str(&fill(&left, Context::Json, |_| Some("1".to_owned())).unwrap())
                .unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"items": [{"b": "1"}], "kept": {"k": "1"}, "given": {}}),
            "{left}"
        );
        // An array alone: what changed inside it is told, so the template is rewritten.
        let top = without_empty(r#"[{"a": "$(e)", "b": "$(b)"}]"#, Context::Json, empty);
        assert!(!top.contains("$(e)"), "{top}");
    }

    #[test]
    fn empty_members_and_pairs_are_left_out_and_the_rest_kept() {
        let empty = |name: &str| matches!(name, "note" | "n" | "email" | "phone");
        let json = r#"{"sub": "$(id)", "note": "$(note)", "n": $(n), "label": "x$(note)y",
  "contact": {"email": "$(email)", "phone": "$(phone)"}, "list": ["$(note)"], "k": $(secret:t)}"#;
        let left = without_empty(json, Context::Json, empty);
        let parsed: serde_json::Value =
            serde_json::from_str(&fill(&left, Context::Json, |_| Some("1".to_owned())).unwrap())
                .unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"sub": "1", "label": "x1y", "list": ["1"], "k": 1}),
            "{left}"
        );
        assert!(
            left.contains("\"sub\": \"$(id)\"") && left.contains("$(secret:t)"),
            "{left}"
        );
        let untouched = r#"{"sub": "$(id)",  "n": 1.50}"#;
        assert_eq!(without_empty(untouched, Context::Json, empty), untouched);
        assert_eq!(
            without_empty("not json $(note)", Context::Json, empty),
            "not json $(note)"
        );
        assert_eq!(
            without_empty("a=$(id)&note=$(note)&b=x$(n)&n=$(n)", Context::Form, empty),
            "a=$(id)&b=x$(n)"
        );
        assert_eq!(
            without_empty("<a>$(note)</a>", Context::Xml, empty),
            "<a>$(note)</a>"
        );
    }

    #[test]
    fn a_non_json_value_outside_a_string_is_refused() {
        let err = fill(r#"{"n": $(word)}"#, Context::Json, values).unwrap_err();
        assert!(matches!(err, FillError::NotJson { ref name, .. } if name == "word"));
    }

    #[test]
    fn a_dot_segment_is_refused_in_a_url_s_path_and_kept_in_its_query() {
        let dots = |value: &'static str| move |_: &str| Some(value.to_owned());
        for value in [".", ".."] {
            assert_eq!(
                fill("https://x.test/a/$(id)/b", Context::Url, dots(value)),
                Err(FillError::DotSegment("id".into()))
            );
            assert_eq!(
                fill("https://x.test/a?q=$(id)", Context::Url, dots(value)).unwrap(),
                format!("https://x.test/a?q={value}")
            );
        }
        assert_eq!(
            fill("https://x.test/a/$(id)", Context::Url, dots("...")).unwrap(),
            "https://x.test/a/..."
        );
        // Why encoding would not do: a URL reads `%2e%2e` as `..`.
        let parsed = url::Url::parse("https://x.test/a/%2e%2e/b").unwrap();
        assert_eq!(parsed.path(), "/b");
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
