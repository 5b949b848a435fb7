//! Random and mutated input thrown at everything that reads a definition or an answer: nothing
//! panics and nothing hangs. Nothing here sends a request. (The importers' own are in
//! `crates/importer/tests/importer/fuzz.rs`.)

use std::collections::BTreeMap;

use node::model::ResponseType;
use node::response::{self, Parsed};
use node::template::{self, Context};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;

use crate::mutations::{
    TextEdit, apply, bundled, config, edit_text, json_edits, json_value, text_edits, word,
};

/// `check` and `load` agree, every problem has a pointer, and a refusal lists a problem; a
/// definition that loads has pure parts (secrets, fields, their values, templates) that never
/// panic either.
fn assert_loads_consistently(
    text: &str,
    values: &[String],
    context: Context,
) -> Result<(), TestCaseError> {
    let (definition, problems) = node::check(text);
    for problem in &problems {
        prop_assert!(
            problem.pointer.is_empty() || problem.pointer.starts_with('/'),
            "{problem:?}"
        );
    }
    match node::load(text) {
        Ok(loaded) => {
            prop_assert!(problems.is_empty() && definition.is_some());
            for method in &loaded.methods {
                let _ = method.secret_names();
                let _ = method.authorization_parts();
                let fields: Vec<String> = method
                    .dynamic_fields()
                    .into_iter()
                    .map(str::to_owned)
                    .collect();
                let params: BTreeMap<String, String> = fields
                    .iter()
                    .zip(values.iter().cycle())
                    .map(|(field, value)| (field.clone(), value.clone()))
                    .collect();
                let resolved = node::fields::resolve(method, &params).unwrap_or(params);
                let value_of = |name: &str| resolved.get(name).cloned();
                let _ = template::fill(&method.url, Context::Url, value_of);
                if let Some(body) = &method.body {
                    let _ = template::fill(&body.template, context, value_of);
                }
            }
        }
        Err(refused) => prop_assert!(!refused.is_empty(), "refused with no problem listed"),
    }
    Ok(())
}

fn context() -> impl Strategy<Value = Context> {
    select(vec![
        Context::Raw,
        Context::Url,
        Context::Form,
        Context::Json,
        Context::Xml,
    ])
}

fn field_values() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(word(), 1..4)
}

// --- Responses -------------------------------------------------------------------------------

/// An XML answer: nested elements (some prefixed and declared, some prefixed and not),
/// attributes, text with entities, comments and CDATA.
fn xml_text() -> impl Strategy<Value = String> {
    let names = || {
        select(vec![
            "r",
            "a",
            "id",
            "item",
            "soap:Envelope",
            "m:Price",
            "x:y",
        ])
    };
    let text = prop_oneof![
        select(vec![
            "a1",
            "7",
            "&amp;",
            "&lt;x&gt;",
            "&#65;",
            "&#x1F600;",
            "&bogus;",
            " "
        ])
        .prop_map(str::to_owned),
        "[a-z0-9 ]{0,8}",
        Just("<!-- c -->".to_owned()),
        Just("<![CDATA[<y>]]>".to_owned()),
    ];
    text.prop_recursive(6, 40, 4, move |inner| {
        (
            names(),
            proptest::collection::vec(
                (
                    select(vec!["n", "xmlns:soap", "xmlns:m", "xmlns", "a"]),
                    select(vec![
                        "7",
                        "urn:m",
                        "http://schemas.xmlsoap.org/soap/envelope/",
                        "",
                    ]),
                ),
                0..3,
            ),
            proptest::collection::vec(inner, 0..4),
        )
            .prop_map(|(name, attributes, children)| {
                let mut out = format!("<{name}");
                let mut seen = Vec::new();
                for (key, value) in attributes {
                    if !seen.contains(&key) {
                        seen.push(key);
                        out.push_str(&format!(" {key}=\"{value}\""));
                    }
                }
                out.push('>');
                out.extend(children);
                out.push_str(&format!("</{name}>"));
                out
            })
    })
}

/// An XPath: steps of names, attributes, kinds and predicates, in a function or a union, or
/// any text. Without `prefixes`, no name test has a prefix.
fn xpath(prefixes: bool) -> impl Strategy<Value = String> {
    let mut names = vec![
        "r",
        "a",
        "id",
        "item",
        "*",
        "@n",
        "@*",
        "text()",
        "node()",
        "..",
        ".",
        "soap:Envelope",
        "m:Price",
        "undeclared:x",
        "*[local-name()='Price']",
    ];
    if !prefixes {
        names.retain(|name| !name.contains(':'));
    }
    let step = (
        select(vec!["/", "//", ""]),
        select(names),
        select(vec![
            "",
            "[1]",
            "[last()]",
            "[@n='7']",
            "[position()>1]",
            "[0]",
            "[-1]",
            "[1 div 0]",
        ]),
    )
        .prop_map(|(sep, name, predicate)| format!("{sep}{name}{predicate}"));
    let path = proptest::collection::vec(step, 1..5).prop_map(|steps| steps.concat());
    prop_oneof![
        4 => path.clone(),
        2 => (
            select(vec!["count", "string", "sum", "name", "boolean", "number", "not", "string-length"]),
            path.clone(),
        )
            .prop_map(|(f, p)| format!("{f}({p})")),
        1 => (path.clone(), path).prop_map(|(a, b)| format!("{a} | {b}")),
        1 => select(vec!["$x", "$x/a", "1 div 0", "-0", "0 div 0", "concat('a', 'b')", "'", "(", "/", "//", "@", "[", "a::b"])
            .prop_map(str::to_owned),
        2 => ".{0,24}".prop_map(move |text| if prefixes { text } else { text.replace(':', "") }),
    ]
}

/// A JSONPath: segments of names, indexes, slices, wildcards, descendants and filters, or any
/// text.
fn json_path() -> impl Strategy<Value = String> {
    let segment = select(vec![
        ".a",
        ".b",
        ".name",
        ".*",
        "[0]",
        "[-1]",
        "[*]",
        "..*",
        "..a",
        "['a']",
        "[\"a\",'b']",
        "[0:2]",
        "[::-1]",
        "[1:0:0]",
        "[?@.a]",
        "[?@.a == 1]",
        "[?@ > 'x']",
        "[?length(@) > 1]",
        "[?count(@.*) > 0]",
        "[?match(@, 'a.*')]",
        "[?search(@.a, '(a|b)+')]",
        "[?value(@..a) == null]",
        "[9223372036854775807]",
    ]);
    prop_oneof![
        4 => proptest::collection::vec(segment, 0..5).prop_map(|s| format!("${}", s.concat())),
        1 => select(vec!["$", "$.", "$..", "$[", "@", "", "$.a.", "$[?]", "$['"]).prop_map(str::to_owned),
        2 => ".{0,24}",
    ]
}

/// A body for any response type: JSON text, XML text, a truncated or edited XML text, or bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        2 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        2 => xml_text().prop_map(String::into_bytes),
        1 => (xml_text(), text_edits()).prop_map(|(x, e)| edit_text(&x, &e).into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..200),
    ]
}

fn response_type() -> impl Strategy<Value = ResponseType> {
    select(vec![
        ResponseType::Json,
        ResponseType::Xml,
        ResponseType::Text,
    ])
}

/// Parses `xml` (edited when `edits` are given) and reads `path` from it: no panic, and an XPath
/// that does not parse reads nothing.
fn read_xml_answer(
    path: &str,
    xml: String,
    edits: Option<Vec<TextEdit>>,
) -> Result<(), TestCaseError> {
    let xml = match edits {
        Some(edits) => edit_text(&xml, &edits),
        None => xml,
    };
    let problem = response::path_problem(ResponseType::Xml, path);
    if let Ok(parsed) = Parsed::parse(ResponseType::Xml, xml.as_bytes()) {
        let read = parsed.read(path);
        if problem.is_some_and(|p| p.contains("does not parse")) {
            prop_assert_eq!(read, None);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// Any JSON value (not only objects) as a definition: `check` and `load` agree and return.
    #[test]
    fn loading_arbitrary_json_never_panics_and_check_agrees_with_load(
        value in json_value(),
        values in field_values(),
        context in context(),
    ) {
        assert_loads_consistently(&serde_json::to_string(&value).unwrap(), &values, context)?;
    }

    /// Any text as a definition: refused with a problem, never a panic.
    #[test]
    fn loading_arbitrary_text_never_panics(text in ".{0,200}") {
        assert_loads_consistently(&text, &[], Context::Raw)?;
    }

    /// The bundled definition with members replaced, removed or added: `check` lists the
    /// problems, and whatever still loads has fields, secrets and templates that work.
    #[test]
    fn the_bundled_definition_with_random_edits_never_panics(
        edits in json_edits(),
        values in field_values(),
        context in context(),
    ) {
        let mut definition = bundled();
        apply(&mut definition, &edits);
        assert_loads_consistently(&serde_json::to_string(&definition).unwrap(), &values, context)?;
    }

    /// Random JSONPaths over random JSON answers: reading returns, and a path `path_problem`
    /// refuses reads nothing.
    #[test]
    fn json_paths_over_random_answers_never_panic(path in json_path(), body in json_value()) {
        let text = serde_json::to_vec(&body).unwrap();
        let parsed = Parsed::parse(ResponseType::Json, &text);
        prop_assert!(parsed.is_ok());
        let read = parsed.unwrap().read(&path);
        if response::path_problem(ResponseType::Json, &path).is_some() {
            prop_assert_eq!(read, None);
        }
    }

    /// Random XPaths, with prefixes the answer may not declare, over random XML answers
    /// (prefixes declared or not, entities, comments, CDATA), well-formed or edited: parsing
    /// and reading return, and an XPath that does not parse reads nothing. (An undeclared
    /// prefix made sxd-xpath panic, from `node::check` too, until prefixes were bound.)
    #[test]
    fn xpaths_over_random_xml_answers_never_panic(
        path in xpath(true),
        xml in xml_text(),
        edits in proptest::option::of(text_edits()),
    ) {
        read_xml_answer(&path, xml, edits)?;
    }

    /// Any body parsed as any response type and read by any path of either language.
    #[test]
    fn any_body_as_any_response_type_never_panics(
        kind in response_type(),
        body in body(),
        path in prop_oneof![json_path(), xpath(false)],
    ) {
        let _ = response::path_problem(kind, &path);
        if let Ok(parsed) = Parsed::parse(kind, &body) {
            let read = parsed.read(&path);
            if kind == ResponseType::Text {
                prop_assert_eq!(read.is_some(), path == response::WHOLE_BODY);
            }
        }
    }

    /// Templates of any text filled with any values in every context: a value or an error.
    #[test]
    fn template_filling_never_panics_in_any_context(
        template in prop_oneof![
            word(),
            proptest::collection::vec(word(), 0..6).prop_map(|w| w.concat()),
            json_value().prop_map(|v| serde_json::to_string(&v).unwrap()),
        ],
        values in field_values(),
        context in context(),
        missing in any::<bool>(),
    ) {
        let _ = template::pieces(&template);
        let _ = template::placeholder_names(&template);
        let _ = template::literal_text(&template, context);
        let mut next = values.iter().cycle();
        let _ = template::fill(&template, context, |_| {
            if missing { None } else { next.next().cloned() }
        });
    }
}
