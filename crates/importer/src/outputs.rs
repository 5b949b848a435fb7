//! Suggested outputs from a sample answer or a schema's shape: a path to each leaf, named after
//! it.

use node::check::credentials::is_credential_name;
use node::model::{Output, Source};
use serde_json::Value;

use crate::names::{field_name, first_free};

/// At most this many outputs are suggested per method from a sample or a schema.
pub const MAX_SUGGESTED_OUTPUTS: usize = 20;

/// Samples and schemas are walked this deep for outputs.
pub(crate) const MAX_DEPTH: usize = 8;

/// Outputs for the leaves of a sample answer: JSONPath of each (an array through its first
/// item), named in camelCase after the path (`$.host[0].cipher` → `hostCipher`), at most
/// [`MAX_SUGGESTED_OUTPUTS`].
pub fn suggested_outputs(sample: &Value) -> Vec<Output> {
    let mut outputs = Vec::new();
    leaves(sample, "$".to_owned(), &[], 0, &mut outputs);
    outputs
}

fn leaves(value: &Value, path: String, words: &[String], depth: usize, out: &mut Vec<Output>) {
    if out.len() >= MAX_SUGGESTED_OUTPUTS {
        return;
    }
    match value {
        Value::Object(fields) if !fields.is_empty() && depth < MAX_DEPTH => {
            for (key, field) in fields {
                let mut words = words.to_vec();
                words.push(key.clone());
                leaves(
                    field,
                    format!("{path}{}", path_segment(key)),
                    &words,
                    depth + 1,
                    out,
                );
            }
        }
        Value::Array(items) if !items.is_empty() && depth < MAX_DEPTH => {
            leaves(&items[0], format!("{path}[0]"), words, depth + 1, out);
        }
        _ => push_output(out, &output_name(words), path),
    }
}

/// Outputs for the leaf elements of an XML sample: an XPath 1.0 path of each (by local name,
/// so namespaces need no prefixes), named after its element; `None` when it is not XML.
pub(crate) fn xml_outputs(sample: &str) -> Option<Vec<Output>> {
    use sxd_document::dom::{ChildOfElement, ChildOfRoot, Element};
    fn walk(element: Element<'_>, path: String, depth: usize, out: &mut Vec<Output>) {
        if out.len() >= MAX_SUGGESTED_OUTPUTS {
            return;
        }
        let name = element.name().local_part();
        let step = if element.name().namespace_uri().is_some() {
            format!("{path}/*[local-name()='{name}']")
        } else {
            format!("{path}/{name}")
        };
        let children: Vec<Element<'_>> = element
            .children()
            .into_iter()
            .filter_map(|c| match c {
                ChildOfElement::Element(e) => Some(e),
                _ => None,
            })
            .collect();
        if children.is_empty() || depth >= MAX_DEPTH {
            if !out
                .iter()
                .any(|o| o.source == Source::Body { path: step.clone() })
            {
                push_output(out, &field_name(name), step);
            }
            return;
        }
        for child in children {
            walk(child, step.clone(), depth + 1, out);
        }
    }
    let package = sxd_document::parser::parse(sample).ok()?;
    let document = package.as_document();
    let mut out = Vec::new();
    for child in document.root().children() {
        if let ChildOfRoot::Element(element) = child {
            walk(element, String::new(), 0, &mut out);
        }
    }
    Some(out)
}

/// Adds an output that reads `path`, named `base` (numbered when the name is taken).
fn push_output(out: &mut Vec<Output>, base: &str, path: String) {
    let name = first_free(
        base,
        |n| format!("{base}{n}"),
        |name| out.iter().any(|o| o.name == name),
    );
    out.push(Output {
        name,
        source: Source::Body { path },
    });
}

/// `.key`, or `['key']` for a key that is no identifier.
fn path_segment(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier {
        return format!(".{key}");
    }
    // RFC 9535 name selector: quotes and backslashes escaped, control characters as \uXXXX.
    let mut quoted = String::from("['");
    for c in key.chars() {
        match c {
            '\\' => quoted.push_str("\\\\"),
            '\'' => quoted.push_str("\\'"),
            c if (c as u32) < 0x20 => {
                quoted.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => quoted.push(c),
        }
    }
    quoted.push_str("']");
    quoted
}

fn output_name(words: &[String]) -> String {
    let mut name = String::new();
    for word in words {
        let word = field_name(word);
        if name.is_empty() {
            name = word;
        } else {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                name.push(first.to_ascii_uppercase());
                name.extend(chars);
            }
        }
    }
    if name.is_empty() {
        "value".to_owned()
    } else {
        name
    }
}

/// Blanks the string values of credential fields at any depth; whether any was.
pub(crate) fn blank_credentials(value: &mut Value) -> bool {
    let mut blanked = false;
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if is_credential_name(key) && matches!(field, Value::String(s) if !s.is_empty()) {
                    *field = Value::String(String::new());
                    blanked = true;
                } else {
                    blanked |= blank_credentials(field);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                blanked |= blank_credentials(item);
            }
        }
        _ => {}
    }
    blanked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(path: &str) -> Source {
        Source::Body {
            path: path.to_owned(),
        }
    }

    fn sources(outputs: Vec<Output>) -> Vec<Source> {
        outputs.into_iter().map(|o| o.source).collect()
    }

    #[test]
    fn outputs_follow_the_leaves_of_a_sample() {
        let sample: Value = serde_json::from_str(
            r#"{"host": [{"cipher": "c", "short": "s"}], "baseUrl": "u", "odd key": 1}"#,
        )
        .unwrap();
        let outputs: Vec<(String, String)> = suggested_outputs(&sample)
            .into_iter()
            .map(|o| match o.source {
                Source::Body { path } => (o.name, path),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            outputs,
            [
                ("hostCipher".to_owned(), "$.host[0].cipher".to_owned()),
                ("hostShort".to_owned(), "$.host[0].short".to_owned()),
                ("baseUrl".to_owned(), "$.baseUrl".to_owned()),
                ("odd_key".to_owned(), "$['odd key']".to_owned()),
            ]
        );
    }

    #[test]
    fn a_json_sample_of_objects_deeper_than_the_limit_is_read_down_to_the_limit() {
        let mut deep = serde_json::json!("leaf");
        for _ in 0..12 {
            deep = serde_json::json!({ "a": deep });
        }
        let path = format!("${}", ".a".repeat(MAX_DEPTH));
        assert_eq!(sources(suggested_outputs(&deep)), [body(&path)]);
        // Arrays and objects count alike towards the limit.
        let mixed = serde_json::json!({"a": [{"b": [{"c": [{"d": [{"e": "leaf"}]}]}]}]});
        let outputs = suggested_outputs(&mixed);
        assert_eq!(sources(outputs), [body("$.a[0].b[0].c[0].d[0]")]);
    }

    #[test]
    fn a_key_is_a_dot_name_only_when_it_is_an_identifier() {
        assert_eq!(path_segment("_id"), "._id");
        assert_eq!(path_segment("id_2"), ".id_2");
        assert_eq!(path_segment("2fa"), "['2fa']");
        assert_eq!(path_segment("odd key"), "['odd key']");
    }

    #[test]
    fn a_repeated_xml_element_is_one_output() {
        let sample = "<list><item>1</item><item>2</item><total>2</total></list>";
        assert_eq!(
            sources(xml_outputs(sample).unwrap()),
            [body("/list/item"), body("/list/total")]
        );
    }

    #[test]
    fn an_empty_object_or_list_is_an_output_of_its_own() {
        let sample = serde_json::json!({"meta": {}, "tags": [], "id": 1});
        assert_eq!(
            sources(suggested_outputs(&sample)),
            [body("$.meta"), body("$.tags"), body("$.id")]
        );
    }

    #[test]
    fn an_xml_sample_deeper_than_the_limit_is_read_down_to_the_limit() {
        let open: String = (0..12).map(|i| format!("<e{i}>")).collect();
        let close: String = (0..12).rev().map(|i| format!("</e{i}>")).collect();
        let outputs = xml_outputs(&format!("{open}deep{close}")).unwrap();
        let path: String = (0..=MAX_DEPTH).map(|i| format!("/e{i}")).collect();
        assert_eq!(outputs.len(), 1, "{outputs:?}");
        assert_eq!(outputs[0].source, Source::Body { path });
    }

    #[test]
    fn credentials_are_blanked_at_any_depth_and_only_they() {
        let mut value = serde_json::json!({
            "items": [{"password": "p1"}, {"name": "keep"}],
            "nested": {"deeper": {"token": "t1"}},
            "apiKey": "",
            "note": "keep"
        });
        assert!(blank_credentials(&mut value));
        assert_eq!(
            value,
            serde_json::json!({
                "items": [{"password": ""}, {"name": "keep"}],
                "nested": {"deeper": {"token": ""}},
                "apiKey": "",
                "note": "keep"
            })
        );
        // Only inside an array, after a field that was not one.
        let mut listed = serde_json::json!({"a": "x", "list": [{"b": "y"}, {"secret": "s"}]});
        assert!(blank_credentials(&mut listed));
        assert_eq!(listed["list"][1]["secret"], "");
        let mut clean = serde_json::json!({"a": ["x"], "password": ""});
        assert!(!blank_credentials(&mut clean));
    }

    #[test]
    fn a_json_sample_deeper_than_the_limit_is_read_down_to_the_limit() {
        let mut deep = serde_json::json!("leaf");
        for _ in 0..12 {
            deep = serde_json::json!([deep]);
        }
        let outputs = suggested_outputs(&deep);
        let path = format!("${}", "[0]".repeat(MAX_DEPTH));
        assert_eq!(outputs.len(), 1, "{outputs:?}");
        assert_eq!(outputs[0].source, Source::Body { path });
    }
}
