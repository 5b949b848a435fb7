//! Random input, and edits of real input, for the property tests of the engine (`fuzz.rs`
//! here) and of the importers (`crates/importer/tests/importer/fuzz.rs`, which includes this
//! file): JSON values whose strings and member names often mean something to a definition, a
//! collection or a document, structural edits of JSON, and edits of text.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::Config;
use serde_json::{Map, Value};

/// Each case runs in a child process killed after `timeout` ms, so a hang fails the test
/// instead of stalling CI; a case here takes milliseconds (a debug build checks a definition
/// against its JSON Schema in a few). No regressions file is written beside the sources: a
/// failure prints its minimal input.
pub(crate) fn config(cases: u32) -> Config {
    Config {
        // `PROPTEST_CASES` still runs more (or fewer) cases, to search deeper than CI does.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(cases),
        timeout: 10_000,
        max_shrink_time: 60_000,
        failure_persistence: None,
        ..Config::default()
    }
}

/// A file by its path from the directory of the crate under test.
pub(crate) fn read(path: &str) -> String {
    std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

/// A file of the repository, read once per process (`file_once!(name, "path")` defines `name()`).
macro_rules! file_once {
    ($name:ident, $path:literal) => {
        fn $name() -> &'static str {
            static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
            TEXT.get_or_init(|| $crate::mutations::read($path))
        }
    };
}

file_once!(bundled_text, "../../nodes/instant-connect.json");

/// The bundled definition, the seed of definition edits.
pub(crate) fn bundled() -> Value {
    serde_json::from_str(bundled_text()).unwrap()
}

/// Strings a definition, a collection or a document gives meaning to: enum values, templates,
/// secrets, `{{var}}`, paths of both languages, regexes, URLs and credential-looking values.
const WORDS: &[&str] = &[
    "",
    " ",
    "json",
    "xml",
    "text",
    "form",
    "soap",
    "multipart",
    "raw",
    "urlencoded",
    "formdata",
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "HEAD",
    "static",
    "dynamic",
    "status",
    "body",
    "header",
    "equals",
    "not equals",
    "contains",
    "success",
    "error",
    "timeout",
    "object",
    "array",
    "string",
    "integer",
    "bearer",
    "basic",
    "apikey",
    "oauth2",
    "awsv4",
    "http",
    "inherit",
    "noauth",
    "header",
    "query",
    "path",
    "$(",
    "$()",
    "$(x)",
    "$(secret:token)",
    "$(secret:)",
    "$(secret:a b)",
    "{{baseUrl}}/a/{{id}}",
    "{{",
    "{{token}}",
    "https://a.example.com/$(id)?q=$(q)",
    "https://[::1]:0/",
    "http://",
    "ftp://x",
    "$.",
    "$.a.b",
    "$..*",
    "$[?@.a]",
    "/r/id",
    "//*",
    "count(/r)",
    "(a+)+$",
    "[",
    "Bearer abc",
    "Basic dXNlcjpwYXNz",
    "#/components/schemas/Meeting",
    "#/components/schemas",
    "#/",
    "#",
    "3.0.3",
    "3.1.0",
    "2.0",
    "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
    "\u{0}",
    "é\u{202e}",
];

/// Member names the three formats use, so random objects often mean something.
const KEYS: &[&str] = &[
    "name",
    "type",
    "value",
    "key",
    "field",
    "format",
    "template",
    "source",
    "path",
    "condition",
    "edge",
    "url",
    "raw",
    "httpMethod",
    "method",
    "methods",
    "headers",
    "header",
    "parameters",
    "urlParameters",
    "body",
    "mode",
    "events",
    "outputs",
    "fields",
    "authorization",
    "auth",
    "tls",
    "throttling",
    "responseType",
    "responseSample",
    "$ref",
    "$schema",
    "openapi",
    "info",
    "paths",
    "servers",
    "components",
    "schemas",
    "properties",
    "items",
    "schema",
    "in",
    "required",
    "responses",
    "content",
    "example",
    "item",
    "request",
    "response",
    "variable",
    "security",
    "securitySchemes",
];

pub(crate) fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(WORDS).prop_map(str::to_owned),
        2 => ".{0,24}",
    ]
}

/// A JSON value at most a few levels deep, its strings and member names often meaningful.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..30_000).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        word().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 5, |inner| {
        let key = prop_oneof![3 => select(KEYS).prop_map(str::to_owned), 1 => ".{0,8}"];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(Value::from),
            proptest::collection::vec((key, inner), 0..5)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Every JSON pointer into `value`, itself included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(member, format!("{at}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// One structural edit of a JSON document; the place is taken modulo its pointers at the time.
#[derive(Debug, Clone)]
pub(crate) enum JsonEdit {
    Replace(usize, Value),
    /// Replaces a string, number or boolean with one of the same kind, so that the document
    /// still fits its schema more often and the checks behind the schema are reached.
    ReplaceLeaf(usize, String, i64),
    Remove(usize),
    /// Adds a member to an object (or an item to an array) at the place.
    Add(usize, String, Value),
}

fn json_edit() -> impl Strategy<Value = JsonEdit> {
    let key = prop_oneof![3 => select(KEYS).prop_map(str::to_owned), 1 => ".{0,8}"];
    prop_oneof![
        4 => (any::<usize>(), word(), -2i64..30_000)
            .prop_map(|(at, text, n)| JsonEdit::ReplaceLeaf(at, text, n)),
        3 => (any::<usize>(), json_value()).prop_map(|(at, v)| JsonEdit::Replace(at, v)),
        2 => any::<usize>().prop_map(JsonEdit::Remove),
        1 => (any::<usize>(), key, json_value()).prop_map(|(at, k, v)| JsonEdit::Add(at, k, v)),
    ]
}

pub(crate) fn apply(document: &mut Value, edits: &[JsonEdit]) {
    for edit in edits {
        let mut all = Vec::new();
        pointers(document, String::new(), &mut all);
        let place = |at: usize| all[at % all.len()].clone();
        match edit {
            JsonEdit::Replace(at, value) => {
                *document.pointer_mut(&place(*at)).unwrap() = value.clone();
            }
            JsonEdit::ReplaceLeaf(at, text, n) => {
                let leaf = document.pointer_mut(&place(*at)).unwrap();
                match leaf {
                    Value::String(_) => *leaf = Value::from(text.clone()),
                    Value::Number(_) => *leaf = Value::from(*n),
                    Value::Bool(b) => *b = !*b,
                    _ => {}
                }
            }
            JsonEdit::Remove(at) => {
                let pointer = place(*at);
                let Some((parent, last)) = pointer.rsplit_once('/') else {
                    continue;
                };
                let last = last.replace("~1", "/").replace("~0", "~");
                match document.pointer_mut(parent).unwrap() {
                    Value::Object(members) => {
                        members.shift_remove(&last);
                    }
                    Value::Array(items) => {
                        items.remove(last.parse::<usize>().unwrap());
                    }
                    _ => unreachable!("a pointer's parent is a container"),
                }
            }
            JsonEdit::Add(at, key, value) => match document.pointer_mut(&place(*at)).unwrap() {
                Value::Object(members) => {
                    members.insert(key.clone(), value.clone());
                }
                Value::Array(items) => items.push(value.clone()),
                _ => {}
            },
        }
    }
}

pub(crate) fn json_edits() -> impl Strategy<Value = Vec<JsonEdit>> {
    proptest::collection::vec(json_edit(), 1..4)
}

/// One edit of a text's characters; positions are taken modulo its length at the time.
#[derive(Debug, Clone)]
pub(crate) enum TextEdit {
    Replace(usize, char),
    Insert(usize, String),
    Delete(usize, usize),
    Truncate(usize),
    /// A slice of the text copied elsewhere: repeated keys, nested structure.
    Duplicate(usize, usize, usize),
}

fn text_edit() -> impl Strategy<Value = TextEdit> {
    let piece = prop_oneof![
        select(vec![
            "\"", "'", "\\", "{", "}", "[", "]", ":", ",", "\n", "\n  ", "- ", "&a ", "*a", "!!",
            "#", "|", ">", " -H ", " -d ", " -u ", " --json ", " -X ", "$(", "{{", "<", "&",
        ])
        .prop_map(str::to_owned),
        ".{1,6}",
    ];
    prop_oneof![
        3 => (any::<usize>(), any::<char>()).prop_map(|(at, c)| TextEdit::Replace(at, c)),
        3 => (any::<usize>(), piece).prop_map(|(at, s)| TextEdit::Insert(at, s)),
        2 => (any::<usize>(), 1usize..40).prop_map(|(at, n)| TextEdit::Delete(at, n)),
        1 => any::<usize>().prop_map(TextEdit::Truncate),
        1 => (any::<usize>(), 1usize..200, any::<usize>())
            .prop_map(|(from, n, to)| TextEdit::Duplicate(from, n, to)),
    ]
}

pub(crate) fn edit_text(text: &str, edits: &[TextEdit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        let len = chars.len();
        match edit {
            TextEdit::Replace(at, c) if len > 0 => chars[at % len] = *c,
            TextEdit::Insert(at, s) => {
                let at = at % (len + 1);
                chars.splice(at..at, s.chars());
            }
            TextEdit::Delete(at, n) if len > 0 => {
                let at = at % len;
                chars.drain(at..(at + n).min(len));
            }
            TextEdit::Truncate(at) => chars.truncate(at % (len + 1)),
            TextEdit::Duplicate(from, n, to) if len > 0 => {
                let from = from % len;
                let copied: Vec<char> = chars[from..(from + n).min(len)].to_vec();
                let to = to % (len + 1);
                chars.splice(to..to, copied);
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

pub(crate) fn text_edits() -> impl Strategy<Value = Vec<TextEdit>> {
    proptest::collection::vec(text_edit(), 1..5)
}
