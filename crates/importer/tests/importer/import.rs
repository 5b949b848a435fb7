//! Importers and the exporter: a Postman collection, an OpenAPI document and curl lines written
//! like real ones become definitions that check clean and hold no literal credential.

use importer::{ImportError, Imported, Options};
use node::Authorization;
use node::model::{AuthValue, BodyFormat, HttpMethod, Method, Row, Source};
use serde_json::Value;

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The definition as JSON text, after asserting it checks clean.
fn checked(imported: &Imported) -> String {
    let text = serde_json::to_string_pretty(&imported.definition).unwrap();
    let (_, problems) = node::check(&text);
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    text
}

fn method<'a>(imported: &'a Imported, name: &str) -> &'a Method {
    imported
        .definition
        .method(name)
        .unwrap_or_else(|| panic!("no method {name}: {:#?}", imported.definition.methods))
}

fn header<'a>(method: &'a Method, name: &str) -> &'a Row {
    method
        .headers
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))
        .unwrap_or_else(|| panic!("no header {name}: {:?}", method.headers))
}

fn static_value(row: &Row) -> &str {
    match row {
        Row::Static { value, .. } => value,
        Row::Dynamic { .. } => panic!("{row:?} is dynamic"),
    }
}

/// A note of kind secret names `secret`.
fn secret_noted(imported: &Imported, secret: &str) {
    assert!(
        imported.notes.iter().any(|n| n.kind == importer::notes::Kind::Secret
            && n.secret.as_deref() == Some(secret)),
        "no secret note names {secret}: {:#?}",
        imported.notes
    );
}

/// Every note's text, one a line.
fn all_notes(imported: &Imported) -> String {
    let texts: Vec<&str> = imported.notes.iter().map(|n| n.text.as_str()).collect();
    texts.join("\n")
}

fn notes_say(imported: &Imported, words: &[&str]) {
    assert!(
        imported
            .notes
            .iter()
            .any(|note| words.iter().all(|w| note.text.contains(w))),
        "no note says {words:?}: {:#?}",
        imported.notes
    );
}

const LITERALS: &[&str] = &[
    "ya29.a0AfB_byLITERALtokenDoNotLeak-7Hq2",
    "k-9f8e7d6c5b4a",
    "hunter2-desk",
    "cs-literal-777",
    "oauth-secret-literal-42",
    "at-literal-should-vanish",
];

fn postman() -> Imported {
    importer::postman(
        &fixture("instant-connect.postman_collection.json"),
        &Options::default(),
    )
    .unwrap()
}

#[test]
fn a_postman_collection_becomes_a_definition_that_checks_and_holds_no_literal_credential() {
    let imported = postman();
    let text = checked(&imported);
    let notes = all_notes(&imported);
    for literal in LITERALS {
        assert!(!text.contains(literal), "{literal} leaked into\n{text}");
        assert!(
            !notes.contains(literal),
            "{literal} leaked into notes\n{notes}"
        );
    }
    let definition = &imported.definition;
    assert_eq!(definition.name, "Instant Connect Broker");
    let names: Vec<&str> = definition.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Generate Basic Link",
            "Space details",
            "Lookup with an API key",
            "Desk login",
            "Token exchange",
            "Upload"
        ],
        "folders flattened; OPTIONS is no node method"
    );
    notes_say(&imported, &["`Preflight`", "OPTIONS", "not carried over"]);
    notes_say(
        &imported,
        &["`Upload`", "file part `file`", "not carried over"],
    );

    // The collection's bearer token, inherited through the folder, is a named secret.
    let link = method(&imported, "Generate Basic Link");
    assert_eq!(
        static_value(header(link, "Authorization")),
        "Bearer $(secret:bearer_token)"
    );
    notes_say(&imported, &["literal credential", "`bearer_token`"]);
    secret_noted(&imported, "bearer_token");
    // A collection variable with a value is written in; one without is a dynamic field.
    assert_eq!(link.url, "https://mtg-broker-a.wbx2.com/api/v2/joseencrypt");
    let body = link.body.as_ref().unwrap();
    assert_eq!(body.format, BodyFormat::Json);
    assert!(
        body.template.contains(r#""sub": "$(chatId)""#),
        "{}",
        body.template
    );
    assert!(
        body.template.contains(r#""numHost": $(numHost)"#),
        "{}",
        body.template
    );
    let fields: Vec<&str> = link.dynamic_fields();
    assert_eq!(fields, ["chatId", "numHost"]);
    // The 2xx example (not the 401 before it) gives the events and outputs.
    assert_eq!(link.events[0].value.as_deref(), Some("200"));
    let outputs: Vec<(&str, &str)> = link
        .outputs
        .iter()
        .map(|o| match &o.source {
            Source::Body { path } => (o.name.as_str(), path.as_str()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        outputs,
        [
            ("hostCipher", "$.host[0].cipher"),
            ("hostShort", "$.host[0].short"),
            ("guestCipher", "$.guest[0].cipher"),
            ("guestShort", "$.guest[0].short"),
            ("baseUrl", "$.baseUrl"),
        ]
    );

    // Query rows: literal, dynamic, disabled left out.
    let space = method(&imported, "Space details");
    assert_eq!(space.url, "https://mtg-broker-a.wbx2.com/api/v1/space");
    assert_eq!(
        space.url_parameters,
        [
            Row::Static {
                name: "int".into(),
                value: "jose".into()
            },
            Row::Dynamic {
                name: "data".into(),
                field: Some("cipher".into()),
                description: String::new(),
                list: None
            }
        ]
    );

    // An API key from a credential variable: a secret named after the variable, its
    // collection value dropped; a path variable with its description as a tooltip.
    let lookup = method(&imported, "Lookup with an API key");
    assert_eq!(
        static_value(header(lookup, "X-API-Key")),
        "$(secret:api_key)"
    );
    assert!(
        lookup
            .headers
            .iter()
            .all(|h| !h.name().eq_ignore_ascii_case("authorization")),
        "the folder-less request's own auth replaces the collection's"
    );
    notes_say(&imported, &["`{{apiKey}}`", "not carried over"]);
    assert_eq!(
        lookup.url,
        "https://mtg-broker-a.wbx2.com/api/v1/orgs/$(orgId)"
    );
    assert_eq!(lookup.field_ui("orgId").tooltip, "The organization's id");
    notes_say(&imported, &["{{$guid}}", "`guid`"]);

    // Basic auth with a literal password; a form body with a literal client secret.
    let desk = method(&imported, "Desk login");
    assert_eq!(
        desk.authorization,
        Some(Authorization::Basic {
            username: AuthValue::Static {
                value: "flows".into()
            },
            password: AuthValue::Static {
                value: "$(secret:basic_password)".into()
            },
        })
    );
    let form = desk.body.as_ref().unwrap();
    assert_eq!(form.format, BodyFormat::Form);
    assert_eq!(
        form.template,
        "grant=password&client_secret=$(secret:client_secret)&user=$(user)"
    );

    // OAuth 2.0 client credentials: the token URL written in, the secret named.
    let token = method(&imported, "Token exchange");
    assert_eq!(token.http_method, HttpMethod::Delete);
    match &token.authorization {
        Some(Authorization::Oauth2 {
            token_url,
            client_id,
            client_secret,
            scopes,
            ..
        }) => {
            assert_eq!(token_url, "https://mtg-broker-a.wbx2.com/oauth/token");
            assert_eq!(
                client_id,
                &AuthValue::Static {
                    value: "icnode-flows".into()
                }
            );
            assert_eq!(
                client_secret,
                &AuthValue::Static {
                    value: "$(secret:oauth2_client_secret)".into()
                }
            );
            assert_eq!(scopes, &["links:write", "links:read"]);
        }
        other => panic!("{other:?}"),
    }
    assert!(method(&imported, "Upload").authorization.is_none());
}

#[test]
fn a_name_given_replaces_the_collections() {
    let imported = importer::postman(
        &fixture("instant-connect.postman_collection.json"),
        &Options::named(Some("Links")),
    )
    .unwrap();
    assert_eq!(imported.definition.name, "Links");
}

#[test]
fn bad_postman_input_is_an_error_that_names_what_is_wrong() {
    type IsKind = fn(&ImportError) -> bool;
    let cases: [(&str, IsKind, &str); 5] = [
        (
            "not json",
            |e| matches!(e, ImportError::NotJson(_)),
            "not JSON",
        ),
        (
            "[]",
            |e| matches!(e, ImportError::NotCollection(_)),
            "`info`",
        ),
        (
            r#"{"info": {"name": "x"}, "item": []}"#,
            |e| matches!(e, ImportError::NotCollection(_)),
            "info.schema",
        ),
        (
            r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"}, "item": []}"#,
            |e| matches!(e, ImportError::CollectionVersion(_)),
            "v2.0.0",
        ),
        (
            r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": []}"#,
            |e| matches!(e, ImportError::Empty(_)),
            "no request",
        ),
    ];
    for (input, kind, words) in cases {
        let error = importer::postman(input, &Options::default()).unwrap_err();
        assert!(kind(&error), "{input}: {error:?}");
        assert!(error.to_string().contains(words), "{input}: {error}");
    }
}

/// A Postman collection of one request `m`: a POST with `request`'s fields added.
fn postman_request(request: Value) -> Imported {
    let mut whole = serde_json::json!({"method": "POST", "url": "https://api.example.com/m"});
    whole
        .as_object_mut()
        .unwrap()
        .extend(request.as_object().unwrap().clone());
    let collection = serde_json::json!({
        "info": {"name": "One", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [{"name": "m", "request": whole}],
    });
    let imported = importer::postman(&collection.to_string(), &Options::default()).unwrap();
    checked(&imported);
    imported
}

#[test]
fn postman_api_keys_and_oauth_are_sent_as_postman_would() {
    // An API key with no name is sent as X-API-Key; its literal is a secret, said where it was.
    let imported = postman_request(serde_json::json!({"auth": {"type": "apikey",
        "apikey": [{"key": "value", "value": "k-123"}]}}));
    let m = method(&imported, "m");
    assert_eq!(static_value(header(m, "X-API-Key")), "$(secret:x_api_key)");
    notes_say(
        &imported,
        &["`m`: the apikey auth's value held a literal credential"],
    );
    let imported = postman_request(serde_json::json!({"auth": {"type": "apikey",
        "apikey": [{"key": "key", "value": "X-Token"}, {"key": "value", "value": "{{token}}"}]}}));
    let m = method(&imported, "m");
    assert_eq!(static_value(header(m, "X-Token")), "$(secret:token)");
    assert!(m.headers.iter().all(|h| h.name() != "X-API-Key"));

    // Client credentials with a token URL a node cannot call: the token Postman holds, as a
    // bearer token, and said.
    let imported = postman_request(serde_json::json!({"auth": {"type": "oauth2", "oauth2": [
        {"key": "grant_type", "value": "client_credentials"},
        {"key": "accessTokenUrl", "value": ""},
        {"key": "accessToken", "value": "{{access}}"}]}}));
    let m = method(&imported, "m");
    assert!(m.authorization.is_none(), "{:?}", m.authorization);
    assert_eq!(
        static_value(header(m, "Authorization")),
        "Bearer $(secret:access)"
    );
    notes_say(
        &imported,
        &["OAuth 2.0 grant `client_credentials` is not one a node fetches"],
    );

    // The client authenticates with HTTP Basic: said only where Postman sent it in the body.
    for (sent_in, said) in [("body", true), ("header", false)] {
        let imported = postman_request(serde_json::json!({"auth": {"type": "oauth2", "oauth2": [
            {"key": "grant_type", "value": "client_credentials"},
            {"key": "accessTokenUrl", "value": "https://auth.example.com/token"},
            {"key": "clientId", "value": "desk"},
            {"key": "clientSecret", "value": "{{client_secret}}"},
            {"key": "client_authentication", "value": sent_in}]}}));
        assert!(matches!(
            method(&imported, "m").authorization,
            Some(Authorization::Oauth2 { .. })
        ));
        assert_eq!(
            all_notes(&imported).contains("with HTTP Basic here, not in the body"),
            said,
            "{sent_in}: {}",
            all_notes(&imported)
        );
    }
}

#[test]
fn postman_raw_bodies_are_json_by_their_language_or_text_with_its_type() {
    let raw = |text: &str, language: &str| {
        postman_request(serde_json::json!({"body": {"mode": "raw", "raw": text,
            "options": {"raw": {"language": language}}}}))
    };
    // JSON text is sent as JSON when the language is JSON, text or not given.
    for language in ["json", "text", ""] {
        let imported = raw(r#"{"a": 1}"#, language);
        let body = method(&imported, "m").body.clone().unwrap();
        assert_eq!(body.format, BodyFormat::Json, "{language}");
    }
    // HTML is text with its Content-Type, even when it parses as JSON.
    let imported = raw(r#"{"a": 1}"#, "html");
    let m = method(&imported, "m");
    let body = m.body.as_ref().unwrap();
    assert_eq!(
        (body.format, body.template.as_str()),
        (BodyFormat::Text, r#"{"a": 1}"#)
    );
    assert_eq!(static_value(header(m, "Content-Type")), "text/html");
    // A body said to be JSON that is not: text, and said.
    let imported = raw("{not json", "json");
    assert_eq!(
        method(&imported, "m").body.as_ref().unwrap().format,
        BodyFormat::Text
    );
    notes_say(
        &imported,
        &["the body is not JSON once its variables are filled"],
    );
    // Text of other languages keeps its Content-Type: XML that is not well-formed, JavaScript.
    for (text, language, content_type) in [
        ("<a>unclosed", "xml", "application/xml"),
        ("let a = 1;", "javascript", "application/javascript"),
    ] {
        let imported = raw(text, language);
        let m = method(&imported, "m");
        assert_eq!(m.body.as_ref().unwrap().format, BodyFormat::Text);
        assert_eq!(static_value(header(m, "Content-Type")), content_type);
    }
    notes_say(
        &raw("<a>unclosed", "xml"),
        &["the body is not well-formed XML once its variables are filled: sent as text"],
    );
}

#[test]
fn postman_graphql_is_a_json_body_and_scripts_are_said_to_be_left_out() {
    let imported = postman_request(serde_json::json!({"body": {"mode": "graphql",
        "graphql": {"query": "query { me { id } }", "variables": "{\"n\": 1}"}}}));
    let body = method(&imported, "m").body.clone().unwrap();
    assert_eq!(body.format, BodyFormat::Json);
    assert_eq!(
        body.template,
        r#"{"query": "query { me { id } }", "variables": {"n": 1}}"#
    );
    assert!(
        !all_notes(&imported).contains("scripts"),
        "{}",
        all_notes(&imported)
    );

    let with_events = |events: Value| {
        let collection = serde_json::json!({
            "info": {"name": "Scripted", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
            "event": events,
            "item": [{"name": "m", "event": events,
                      "request": {"method": "GET", "url": "https://api.example.com/m"}}],
        });
        importer::postman(&collection.to_string(), &Options::default()).unwrap()
    };
    assert!(!all_notes(&with_events(serde_json::json!([]))).contains("scripts"));
    let imported = with_events(serde_json::json!([{"listen": "test",
        "script": {"type": "text/javascript", "exec": ["pm.test('ok')"]}}]));
    notes_say(
        &imported,
        &["the collection's pre-request and test scripts are not carried over"],
    );
    notes_say(
        &imported,
        &["`m`: its pre-request and test scripts are not carried over"],
    );
}

#[test]
fn more_than_25_requests_keep_25_methods_and_list_the_rest() {
    let items: Vec<Value> = (1..=27)
        .map(|i| {
            serde_json::json!({"name": format!("Call {i}"),
                "request": {"method": "GET", "url": format!("https://api.example.com/{i}")}})
        })
        .collect();
    let collection = serde_json::json!({
        "info": {"name": "Many", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": items,
    });
    let imported = importer::postman(&collection.to_string(), &Options::default()).unwrap();
    checked(&imported);
    assert_eq!(imported.definition.methods.len(), 25);
    let limit = imported.limit.as_ref().expect("the limit is told");
    assert_eq!(limit.total, 27);
    assert_eq!(limit.kept.len(), 25);
    assert_eq!(limit.dropped, ["Call 26", "Call 27"]);
}

#[test]
fn export_then_import_gives_back_the_same_requests() {
    let bundled = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nodes/instant-connect.json"),
    )
    .unwrap();
    let original = node::load(&bundled).unwrap();
    let collection = importer::postman::export(&original);
    let text = collection.to_string();
    assert!(
        text.contains(r#""key":"broker_token","type":"secret","value":""#) || {
            let variables = collection["variable"].as_array().unwrap();
            variables
                .iter()
                .any(|v| v["key"] == "broker_token" && v["type"] == "secret" && v["value"] == "")
        }
    );
    assert!(text.contains("Bearer {{broker_token}}"), "{text}");
    assert!(text.contains("{{uniquechatId}}"), "{text}");

    let back = importer::postman(&text, &Options::default()).unwrap();
    checked(&back);
    assert_eq!(back.definition.name, original.name);
    assert_eq!(back.definition.methods.len(), original.methods.len());
    for (before, after) in original.methods.iter().zip(&back.definition.methods) {
        assert_eq!(after.name, before.name);
        assert_eq!(after.http_method, before.http_method);
        assert_eq!(after.url, before.url);
        assert_eq!(after.headers, before.headers);
        assert_eq!(after.body, before.body);
        assert_eq!(after.authorization, before.authorization);
        assert_eq!(after.dynamic_fields(), before.dynamic_fields());
    }
}

#[test]
fn export_writes_a_query_only_where_there_is_one_and_the_success_status_as_the_samples_code() {
    let collection = importer::postman::export(&openapi().definition);
    let item = |name: &str| {
        collection["item"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["name"] == name)
            .unwrap_or_else(|| panic!("no {name} in {collection:#}"))
            .clone()
    };
    let list = item("List meetings");
    let keys: Vec<&str> = list["request"]["url"]["query"]
        .as_array()
        .expect("a query")
        .iter()
        .map(|q| q["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["limit", "status"]);
    assert!(list["response"].as_array().unwrap().is_empty());
    let create = item("createMeeting");
    assert_eq!(
        create["request"]["url"],
        serde_json::json!({"raw": "https://eu.meetings.example.com/v1/meetings"}),
        "no query, no empty list"
    );
    // The method's success is a 201, and so is its saved example's.
    assert_eq!(create["response"][0]["code"], 201);
    assert_eq!(create["response"][0]["originalRequest"], create["request"]);

    // The code is the first success on a status, after events of other kinds: an error on a
    // status, a body's code, and a success on a status other than equal.
    let mut definition = openapi().definition;
    let create = definition
        .methods
        .iter_mut()
        .find(|m| m.name == "createMeeting");
    let events = &mut create.unwrap().events;
    let success = events[0].clone();
    assert_eq!(success.value.as_deref(), Some("201"));
    let error = node::model::Event {
        edge: node::model::Edge::Error,
        value: Some("404".into()),
        ..success.clone()
    };
    let from_body = node::model::Event {
        source: Source::Body {
            path: "$.code".into(),
        },
        value: Some("409".into()),
        ..error.clone()
    };
    let from_header = node::model::Event {
        source: Source::Header {
            name: "X-Code".into(),
        },
        value: Some("202".into()),
        ..success.clone()
    };
    let not_equal = node::model::Event {
        condition: node::model::Condition::NotEquals,
        value: Some("500".into()),
        ..success.clone()
    };
    events.splice(0..0, [error, from_body, from_header, not_equal]);
    let collection = importer::postman::export(&definition);
    let create = collection["item"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["name"] == "createMeeting")
        .unwrap();
    assert_eq!(create["response"][0]["code"], 201);
}

#[test]
fn a_postman_url_and_headers_are_read_in_each_form_postman_writes() {
    // A URL as its parts (no `raw`), headers as lines of text.
    let imported = postman_request(serde_json::json!({
        "url": {"protocol": "https", "host": ["api", "example", "com"], "path": ["v1", "m"]},
        "header": "X-One: 1\nX-Two:  two words "}));
    let m = method(&imported, "m");
    assert_eq!(m.url, "https://api.example.com/v1/m");
    assert_eq!(static_value(header(m, "X-One")), "1");
    assert_eq!(static_value(header(m, "X-Two")), "two words");

    // A raw query with no `query` list: its pairs as written, an empty one skipped.
    let imported = postman_request(serde_json::json!({
        "url": "https://api.example.com/m?a=1&&b"}));
    let rows: Vec<(&str, &str)> = method(&imported, "m")
        .url_parameters
        .iter()
        .map(|row| (row.name(), static_value(row)))
        .collect();
    assert_eq!(rows, [("a", "1"), ("b", "")]);

    // `:name` is a path variable; a lone `:` is a segment as written.
    let imported = postman_request(serde_json::json!({
        "url": "https://api.example.com/users/:id/:"}));
    assert_eq!(
        method(&imported, "m").url,
        "https://api.example.com/users/$(id)/:"
    );
    // The first segment is the host, never a variable: `:8080/users` has no host to call.
    let collection = serde_json::json!({
        "info": {"name": "One", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [{"name": "m", "request": {"method": "GET", "url": ":8080/users/:id"}}],
    });
    let error = importer::postman(&collection.to_string(), &Options::default()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no request has a URL a node can call"),
        "{error}"
    );
}

#[test]
fn postman_variables_are_secrets_by_place_name_or_type_and_fields_otherwise() {
    let collection = serde_json::json!({
        "info": {"name": "Vars", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "variable": [{"key": "desk", "value": "", "type": "secret"}],
        "item": [{"name": "m", "request": {"method": "GET",
            "url": "https://api.example.com/m?u={{user-id}}&p={{page}}",
            "auth": {"type": "apikey", "apikey": [{"key": "key", "value": "X-Key"},
                                                  {"key": "value", "value": "{{k}}"}]},
            "header": [{"key": "X-Desk", "value": "{{desk}}"},
                       {"key": "X-Auth", "value": "{{api_token}}"}]}}],
    });
    let imported = importer::postman(&collection.to_string(), &Options::default()).unwrap();
    checked(&imported);
    let m = method(&imported, "m");
    // A credential's place, a secret's type, a credential's name: each a secret.
    assert_eq!(static_value(header(m, "X-Key")), "$(secret:k)");
    assert_eq!(static_value(header(m, "X-Desk")), "$(secret:desk)");
    assert_eq!(static_value(header(m, "X-Auth")), "$(secret:api_token)");
    // Others are fields, renamed where a field name cannot hold them, and said so.
    let fields: Vec<&str> = m
        .url_parameters
        .iter()
        .map(|row| match row {
            Row::Dynamic {
                field: Some(field), ..
            } => field.as_str(),
            other => panic!("{other:?} is not a field"),
        })
        .collect();
    assert_eq!(fields, ["user_id", "page"]);
    notes_say(&imported, &["`{{user-id}}` is the dynamic field `user_id`"]);
    assert!(!all_notes(&imported).contains("`{{page}}`"));
}

#[test]
fn an_auth_written_as_a_map_is_read_like_a_list() {
    // Collections before v2.1 write an auth's attributes as a map; Postman still reads them.
    let imported = postman_request(serde_json::json!({"auth": {"type": "basic",
        "basic": {"username": "desk", "password": "{{desk_password}}"}}}));
    assert_eq!(
        method(&imported, "m").authorization,
        Some(Authorization::Basic {
            username: AuthValue::Static {
                value: "desk".into()
            },
            password: AuthValue::Static {
                value: "$(secret:desk_password)".into()
            },
        })
    );
}

#[test]
fn export_writes_authorization_as_postman_auth_with_variables_only() {
    let definition: node::NodeDefinition = serde_json::from_value(serde_json::json!({
        "name": "Desk",
        "methods": [{
            "name": "Login", "requestTimeoutMs": 1000, "connectionTimeoutMs": 1000,
            "httpMethod": "POST", "url": "https://desk.example.com/login",
            "urlParameters": [{"type": "dynamic", "name": "q", "field": "query"}],
            "body": {"format": "form", "template": "a=$(x)&b=two+words"},
            "authorization": {"type": "digest",
                "username": {"type": "dynamic", "field": "user"},
                "password": {"type": "static", "value": "$(secret:desk_password)"}},
            "events": [{"name": "Ok", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"}]
        }]
    }))
    .unwrap();
    let collection = importer::postman::export(&definition);
    let request = &collection["item"][0]["request"];
    assert_eq!(request["auth"]["type"], "digest");
    assert_eq!(request["auth"]["digest"][1]["value"], "{{desk_password}}");
    assert_eq!(
        request["url"]["raw"],
        "https://desk.example.com/login?q={{query}}"
    );
    assert_eq!(request["body"]["urlencoded"][1]["value"], "two words");
    let back = importer::postman(&collection.to_string(), &Options::default()).unwrap();
    checked(&back);
    let login = &back.definition.methods[0];
    assert_eq!(login.authorization, definition.methods[0].authorization);
    assert_eq!(login.body, definition.methods[0].body);
}

fn openapi() -> Imported {
    importer::openapi(&fixture("meetings.openapi.yaml"), &Options::default()).unwrap()
}

#[test]
fn an_openapi_document_becomes_methods_with_node_ui_from_its_schemas() {
    let imported = openapi();
    let text = checked(&imported);
    assert!(!text.contains("example.literal"), "{text}");
    let names: Vec<&str> = imported
        .definition
        .methods
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "createMeeting",
            "List meetings",
            "DELETE /meetings/{meetingId}",
            "exchangeToken",
            "updateDesk"
        ]
    );
    assert_eq!(imported.definition.name, "Meetings API");
    notes_say(&imported, &["HEAD", "not carried over"]);
    notes_say(
        &imported,
        &[
            "of the servers listed, the first is used",
            "https://eu.meetings.example.com/v1",
        ],
    );

    // servers[0] with its variable's default; the document's bearer security as a secret.
    let create = method(&imported, "createMeeting");
    assert_eq!(create.url, "https://eu.meetings.example.com/v1/meetings");
    assert_eq!(
        static_value(header(create, "Authorization")),
        "Bearer $(secret:bearer_auth_token)"
    );
    notes_say(&imported, &["`bearer_auth_token`"]);
    secret_noted(&imported, "bearer_auth_token");
    // A header parameter ($ref) is an optional dynamic row.
    assert_eq!(
        header(create, "X-Request-Id"),
        &Row::Dynamic {
            name: "X-Request-Id".into(),
            field: Some("X_Request_Id".into()),
            description: String::new(),
            list: None
        }
    );
    assert!(!create.field_ui("X_Request_Id").mandatory);
    // The JSON body: a placeholder per property, quoted for strings, nested objects kept.
    let body = create.body.as_ref().unwrap();
    assert_eq!(
        body.template,
        r#"{"chatId": "$(chatId)", "hosts": $(hosts), "notify": $(notify), "contact": {"email": "$(email)", "phone": "$(phone)"}, "tags": $(tags)}"#
    );
    let chat = create.field_ui("chatId");
    assert!(chat.mandatory);
    assert_eq!(chat.tooltip, "Unique per meeting");
    let hosts = create.field_ui("hosts");
    assert_eq!(hosts.kind, node::FieldType::Number);
    assert!(!hosts.mandatory);
    assert_eq!(hosts.default.as_deref(), Some("1"));
    assert_eq!(create.field_ui("notify").kind, node::FieldType::Boolean);
    assert_eq!(create.field_ui("email").kind, node::FieldType::Email);
    assert_eq!(create.field_ui("tags").kind, node::FieldType::Json);
    // The 201 example gives the success status and the outputs.
    assert_eq!(create.events[0].value.as_deref(), Some("201"));
    let outputs: Vec<&str> = create.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(
        outputs,
        ["id", "chatId", "linksHost", "linksGuest", "accessToken"]
    );

    // Query parameters: type, default, an anchored pattern; a cookie is not carried over.
    let list = method(&imported, "List meetings");
    let limit = list.field_ui("limit");
    assert_eq!(
        (limit.kind, limit.mandatory, limit.default.as_deref()),
        (node::FieldType::Number, false, Some("20"))
    );
    assert_eq!(limit.tooltip, "How many to list");
    assert_eq!(
        list.field_ui("status").regex.as_deref(),
        Some("(open|closed)")
    );
    notes_say(&imported, &["cookie parameter `session`"]);
    // The schema (no example) gives the outputs: an array through its first item.
    let outputs: Vec<String> = list
        .outputs
        .iter()
        .map(|o| match &o.source {
            Source::Body { path } => format!("{}={path}", o.name),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        outputs.contains(&"itemsLinksHost=$.items[0].links.host".to_owned()),
        "{outputs:?}"
    );
    assert!(outputs.contains(&"next=$.next".to_owned()), "{outputs:?}");

    // A path parameter of the path item: mandatory, its unanchored pattern widened.
    let delete = method(&imported, "DELETE /meetings/{meetingId}");
    assert_eq!(
        delete.url,
        "https://eu.meetings.example.com/v1/meetings/$(meetingId)"
    );
    let id = delete.field_ui("meetingId");
    assert!(id.mandatory);
    assert_eq!(id.regex.as_deref(), Some(".*(?:[a-z]-[0-9]+).*"));
    assert_eq!(id.tooltip, "The meeting's id");
    assert_eq!(
        static_value(header(delete, "X-API-Key")),
        "$(secret:api_key_auth)"
    );
    assert!(
        delete.headers.iter().all(|h| h.name() != "Authorization"),
        "the operation's security replaces the document's"
    );

    // OAuth 2.0 client credentials with the requirement's scopes; a form body.
    let token = method(&imported, "exchangeToken");
    match &token.authorization {
        Some(Authorization::Oauth2 {
            token_url,
            client_secret,
            scopes,
            ..
        }) => {
            assert_eq!(token_url, "https://auth.example.com/oauth/token");
            assert_eq!(
                client_secret,
                &AuthValue::Static {
                    value: "$(secret:oauth_client_secret)".into()
                }
            );
            assert_eq!(scopes, &["meetings.write"]);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        token.body.as_ref().unwrap().template,
        "audience=$(audience)&ttl=$(ttl)"
    );
    assert!(token.field_ui("audience").mandatory && !token.field_ui("ttl").mandatory);

    // Basic auth from secrets; an XML body is not carried over.
    let desk = method(&imported, "updateDesk");
    assert!(matches!(
        &desk.authorization,
        Some(Authorization::Basic {
            password: AuthValue::Static { value },
            ..
        }) if value == "$(secret:desk_basic_password)"
    ));
    assert!(desk.body.is_none());
    notes_say(
        &imported,
        &["`updateDesk`", "application/xml", "not carried over"],
    );
}

#[test]
fn openapi_3_1_in_json_is_read_and_other_versions_are_refused() {
    let spec = r#"{"openapi": "3.1.0", "info": {"title": "Echo", "version": "1"},
        "servers": [{"url": "http://127.0.0.1:9/api/"}],
        "paths": {"/echo/{word}": {"get": {"operationId": "echo",
            "parameters": [{"name": "word", "in": "path", "required": true,
                            "schema": {"type": ["string", "null"], "examples": ["hi"]}}],
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "examples": {"one": {"value": {"word": "hi", "count": 1}}}}}}}}}}}"#;
    let imported = importer::openapi(spec, &Options::named(Some("Echo node"))).unwrap();
    checked(&imported);
    let echo = method(&imported, "echo");
    assert_eq!(echo.url, "http://127.0.0.1:9/api/echo/$(word)");
    let outputs: Vec<&str> = echo.outputs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(outputs, ["word", "count"]);
    assert_eq!(imported.definition.name, "Echo node");

    for (input, words) in [
        ("swagger: '2.0'\ninfo: {title: x}\npaths: {}\n", "Swagger"),
        ("openapi: 4.0.0\npaths: {}\n", "OpenAPI 4.0.0"),
        ("info: {title: x}\n", "no `openapi`"),
        ("openapi: 3.0.0\n", "`paths`"),
        ("- a\n- b\n", "not a mapping"),
        ("key: [unclosed\n", "neither JSON nor YAML"),
    ] {
        let error = importer::openapi(input, &Options::default()).unwrap_err();
        assert!(error.to_string().contains(words), "{input}: {error}");
    }
}

/// An OpenAPI document of one operation (`verb` at `path`), imported and checked.
fn openapi_of(path: &str, verb: &str, operation: Value) -> Imported {
    let mut operation = operation;
    operation["responses"] = serde_json::json!({"204": {"description": "ok"}});
    let document = serde_json::json!({
        "openapi": "3.1.0", "info": {"title": "T", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {path: {verb: operation}}
    });
    let imported = importer::openapi(&document.to_string(), &Options::default()).unwrap();
    checked(&imported);
    imported
}

/// `post`: a POST to `/p` with `content` as its request body.
fn openapi_posting(content: Value) -> Imported {
    openapi_of(
        "/p",
        "post",
        serde_json::json!({"operationId": "post", "requestBody": {"content": content}}),
    )
}

#[test]
fn an_openapi_form_sends_one_value_of_a_list_and_says_so() {
    let imported = openapi_posting(serde_json::json!({"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "properties": {
            "tags": {"type": "array", "items": {"type": "string"}},
            "ttl": {"type": "integer"}}}}}));
    let post = method(&imported, "post");
    assert_eq!(
        post.body.as_ref().unwrap().template,
        "tags=$(tags)&ttl=$(ttl)"
    );
    assert_eq!(post.field_ui("tags").kind, node::FieldType::Text);
    assert_eq!(post.field_ui("ttl").kind, node::FieldType::Number);
    notes_say(
        &imported,
        &["the form field `tags` is a list; the node sends one value of it"],
    );
    assert!(!all_notes(&imported).contains("`ttl` is a list"));
}

#[test]
fn an_openapi_json_body_is_written_out_eight_objects_deep_and_a_free_object_is_one_field() {
    // An object with no properties is free-form: one field holds all of it.
    let imported = openapi_posting(serde_json::json!({"application/json": {
        "schema": {"type": "object"}}}));
    let post = method(&imported, "post");
    assert_eq!(post.body.as_ref().unwrap().template, "$(body)");
    assert_eq!(post.field_ui("body").kind, node::FieldType::Json);

    // Nine objects, each in the one before (the body, then `l1` to `l8`; `l9` is a string):
    // eight are written out, the ninth is one field.
    let mut schema = serde_json::json!({"type": "string"});
    for level in (1..=9).rev() {
        schema = serde_json::json!({"type": "object", "properties": {format!("l{level}"): schema}});
    }
    let imported = openapi_posting(serde_json::json!({"application/json": {"schema": schema}}));
    let post = method(&imported, "post");
    assert_eq!(
        post.body.as_ref().unwrap().template,
        r#"{"l1": {"l2": {"l3": {"l4": {"l5": {"l6": {"l7": {"l8": $(l8)}}}}}}}}"#
    );
    assert_eq!(post.field_ui("l8").kind, node::FieldType::Json);
}

#[test]
fn an_openapi_json_body_writes_out_objects_until_fifty_fields_are_taken() {
    // `width` text properties, then an object `z` with one property.
    let body_of = |width: usize| {
        let mut properties = serde_json::Map::new();
        for i in 1..=width {
            properties.insert(format!("s{i:02}"), serde_json::json!({"type": "string"}));
        }
        properties.insert(
            "z".to_owned(),
            serde_json::json!({"type": "object", "properties": {"a": {"type": "string"}}}),
        );
        let schema = serde_json::json!({"type": "object", "properties": properties});
        let imported = openapi_posting(serde_json::json!({"application/json": {"schema": schema}}));
        let template = method(&imported, "post")
            .body
            .as_ref()
            .unwrap()
            .template
            .clone();
        template[template.find("\"z\"").unwrap()..].to_owned()
    };
    assert_eq!(body_of(49), r#""z": {"a": "$(a)"}}"#);
    assert_eq!(body_of(50), r#""z": $(z)}"#);
}

/// `search`: a GET of `/search/{id}` with these parameters.
fn openapi_with_parameters(parameters: Value) -> Imported {
    openapi_of(
        "/search/{id}",
        "get",
        serde_json::json!({"operationId": "search", "parameters": parameters}),
    )
}

#[test]
fn openapi_parameters_say_what_they_need_and_how_a_list_is_written() {
    let imported = openapi_with_parameters(serde_json::json!([
        // A path parameter is required whether or not it says so; a query one when it does.
        {"name": "id", "in": "path", "schema": {"type": "string"}},
        {"name": "q", "in": "query", "required": true, "schema": {"type": "string"}},
        {"name": "page", "in": "query", "schema": {"type": ["null", "integer"]}},
        // Lists and objects are typed as JSON, their tooltip saying so after the description.
        {"name": "ids", "in": "query", "style": "form", "explode": false,
         "description": "Pet ids", "schema": {"type": "array", "items": {"type": "integer"}}},
        {"name": "X-Meta", "in": "header", "schema": {"type": "object"}},
        // A deepObject: a row and a field per property, required only if both are.
        {"name": "filter", "in": "query", "style": "deepObject", "explode": true,
         "required": true, "schema": {"type": "object", "required": ["color"],
            "properties": {"color": {"type": "string"}, "size": {"type": "integer"}}}},
        {"name": "sort", "in": "query", "style": "deepObject", "explode": true,
         "schema": {"type": "object", "required": ["by"],
            "properties": {"by": {"type": "string"}}}}
    ]));
    assert!(
        !all_notes(&imported).contains("of the servers listed"),
        "one server is no choice: {}",
        all_notes(&imported)
    );
    let search = method(&imported, "search");
    assert_eq!(search.url, "https://api.example.com/search/$(id)");
    let mandatory = |field: &str| search.field_ui(field).mandatory;
    assert!(mandatory("id") && mandatory("q") && !mandatory("page"));
    assert_eq!(search.field_ui("page").kind, node::FieldType::Number);

    let ids = search.field_ui("ids");
    assert_eq!(ids.kind, node::FieldType::Json);
    assert_eq!(ids.tooltip, r#"Pet ids (a JSON array, e.g. ["a", "b"])"#);
    let meta = search.field_ui("X_Meta");
    assert_eq!(meta.kind, node::FieldType::Json);
    assert_eq!(meta.tooltip, r#"a JSON object, e.g. {"name": "value"}"#);

    let rows: Vec<&str> = search.url_parameters.iter().map(Row::name).collect();
    assert_eq!(
        rows,
        [
            "q",
            "page",
            "ids",
            "filter[color]",
            "filter[size]",
            "sort[by]"
        ]
    );
    assert!(mandatory("filter_color") && !mandatory("filter_size") && !mandatory("sort_by"));
    assert_eq!(search.field_ui("filter_size").kind, node::FieldType::Number);
}

#[test]
fn openapi_schemas_are_typed_by_their_first_type_or_their_properties() {
    let imported = openapi_posting(serde_json::json!({"application/json": {"schema": {
        "type": "object", "properties": {
            "count": {"type": ["null", "integer"]},
            "owner": {"properties": {"name": {"type": "string"}}},
            "anything": {},
            "code": {"type": "string", "pattern": "^[A-Z]{3}"},
            "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}}}));
    let post = method(&imported, "post");
    // `owner` has properties and no type: an object, written out. `anything` is text.
    assert_eq!(
        post.body.as_ref().unwrap().template,
        r#"{"count": $(count), "owner": {"name": "$(name)"}, "anything": "$(anything)", "code": "$(code)", "zip": "$(zip)"}"#
    );
    assert_eq!(post.field_ui("count").kind, node::FieldType::Number);
    assert_eq!(post.field_ui("anything").kind, node::FieldType::Text);
    // A pattern anchored at both ends is the node's whole-value match; one anchored only at
    // its start is widened like any other, keeping its anchor.
    let regex = |field: &str| post.field_ui(field).regex.clone();
    assert_eq!(regex("zip").as_deref(), Some("[0-9]{5}"));
    assert_eq!(regex("code").as_deref(), Some(".*(?:^[A-Z]{3}).*"));
}

#[test]
fn openapi_security_takes_the_first_alternative_and_sends_openid_connect_as_a_bearer_token() {
    let document = |security: Value| {
        let document = serde_json::json!({
            "openapi": "3.0.3", "info": {"title": "T", "version": "1"},
            "servers": [{"url": "https://api.example.com"}],
            "security": security,
            "paths": {"/p": {"get": {"operationId": "get",
                "responses": {"204": {"description": "ok"}}}}},
            "components": {"securitySchemes": {
                "oidc": {"type": "openIdConnect",
                         "openIdConnectUrl": "https://id.example.com/.well-known/openid-configuration"},
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"}}}
        });
        let imported = importer::openapi(&document.to_string(), &Options::default()).unwrap();
        checked(&imported);
        imported
    };
    let alternatives = "of its alternative security requirements the first is used";
    let imported = document(serde_json::json!([{"oidc": []}, {"key": []}]));
    let get = method(&imported, "get");
    assert_eq!(
        static_value(header(get, "Authorization")),
        "Bearer $(secret:oidc_token)"
    );
    assert!(get.headers.iter().all(|h| h.name() != "X-Key"));
    notes_say(&imported, &["`get`", alternatives]);
    notes_say(
        &imported,
        &["OpenID Connect is sent as a bearer token from a secret"],
    );
    secret_noted(&imported, "oidc_token");

    let imported = document(serde_json::json!([{"key": []}]));
    assert_eq!(
        static_value(header(method(&imported, "get"), "X-Key")),
        "$(secret:key)"
    );
    assert!(!all_notes(&imported).contains(alternatives));
}

fn curl(line: &str) -> Imported {
    importer::curl(line, &Options::default()).unwrap_or_else(|e| panic!("{line}: {e}"))
}

#[test]
fn a_curl_line_becomes_one_method_and_its_token_a_secret() {
    let imported = curl(
        r#"curl -sS -X POST 'https://mtg-broker-a.wbx2.com/api/v2/joseencrypt' \
  -H 'Authorization: Bearer NDc0ZTNiLiteralCurlToken' \
  -H "Content-Type: application/json" \
  --data-raw '{"jwt": {"sub": "{{chatId}}"}, "numHost": 1, "numGuest": 1, "provideShortUrls": true}' \
  --max-time 30 --connect-timeout 2.5 --compressed"#,
    );
    let text = checked(&imported);
    assert!(!text.contains("NDc0ZTNiLiteralCurlToken"), "{text}");
    let method = &imported.definition.methods[0];
    assert_eq!(imported.definition.name, "mtg-broker-a.wbx2.com");
    assert_eq!(method.name, "POST /api/v2/joseencrypt");
    assert_eq!(
        static_value(header(method, "Authorization")),
        "Bearer $(secret:bearer_token)"
    );
    notes_say(&imported, &["literal credential", "`bearer_token`"]);
    secret_noted(&imported, "bearer_token");
    assert_eq!(method.body.as_ref().unwrap().format, BodyFormat::Json);
    assert_eq!(method.dynamic_fields(), ["chatId"]);
    assert_eq!(method.request_timeout_ms, 20_000);
    assert_eq!(method.connection_timeout_ms, 2_500);
    notes_say(&imported, &["--max-time", "20000 ms"]);
}

/// Short flags given together are each read (`-sSk` warns of `--insecure`), quiet ones say
/// nothing, any other flag is named as left out, and `--basic` after `--digest` is basic.
#[test]
fn curl_flags_are_read_one_by_one_and_the_last_scheme_given_wins() {
    let imported =
        curl("curl -sSk --frobnicate -u flows:pw --digest --basic https://a.example.com/x");
    notes_say(&imported, &["--insecure", "not carried over"]);
    notes_say(
        &imported,
        &["curl option `--frobnicate` is not carried over"],
    );
    assert!(
        !imported
            .notes
            .iter()
            .any(|note| note.text.contains("`-s`") || note.text.contains("`-S`")),
        "{:#?}",
        imported.notes
    );
    assert!(
        matches!(
            &imported.definition.methods[0].authorization,
            Some(Authorization::Basic { .. })
        ),
        "{:?}",
        imported.definition.methods[0].authorization
    );
}

/// `-b NAME=VALUE` is a Cookie header and `-b FILE` a file left out; `-d @FILE` and `--json
/// @FILE` read a file, so the body is left out and said to be (`--json` keeps its headers).
#[test]
fn curl_cookies_and_data_from_files_are_told_apart() {
    let cookie = curl("curl -b 'theme=dark' https://a.example.com/x");
    let method = &cookie.definition.methods[0];
    assert_eq!(static_value(header(method, "Cookie")), "theme=dark");

    let files = curl("curl -b cookies.txt -d @body.json https://a.example.com/x");
    let method = &files.definition.methods[0];
    notes_say(&files, &["a cookie file (`-b FILE`) is not carried over"]);
    notes_say(&files, &["`-d @body.json` reads a file"]);
    assert!(method.body.is_none(), "{:?}", method.body);
    // `-d` sends no JSON headers of its own; `--json @FILE` still does, though its body is a file.
    assert!(method.headers.is_empty(), "{:?}", method.headers);
    let json = curl("curl --json @body.json https://a.example.com/x");
    let method = &json.definition.methods[0];
    notes_say(&json, &["`--json @body.json` reads a file"]);
    assert_eq!(
        static_value(header(method, "Content-Type")),
        "application/json"
    );
    assert_eq!(static_value(header(method, "Accept")), "application/json");
}

/// Without `-X` the method is curl's: GET, or POST with data unless `-G` puts the data in the
/// query. Only the first URL is carried over, and a second is named as left out.
#[test]
fn curl_sends_get_or_post_as_curl_would_and_one_url() {
    let verb = |line: &str| curl(line).definition.methods[0].http_method;
    assert_eq!(verb("curl https://a.example.com/x"), HttpMethod::Get);
    assert_eq!(
        verb("curl -d q=1 https://a.example.com/x"),
        HttpMethod::Post
    );
    assert_eq!(
        verb("curl -G -d q=1 https://a.example.com/x"),
        HttpMethod::Get
    );
    assert_eq!(
        verb("curl -F a=1 https://a.example.com/x"),
        HttpMethod::Post
    );

    let one = curl("curl https://a.example.com/x");
    assert!(
        one.notes.iter().all(|note| !note.text.contains("URL")),
        "{:#?}",
        one.notes
    );
    let two = curl("curl https://a.example.com/x https://b.example.com/y");
    assert_eq!(two.definition.methods[0].url, "https://a.example.com/x");
    notes_say(
        &two,
        &["only the first URL is carried over; left out: https://b.example.com/y"],
    );
}

/// `--data-urlencode`'s `name@file` forms read a file (left out, and said to be); a value with
/// no `@` is encoded.
#[test]
fn curl_urlencoded_data_from_a_file_is_left_out_and_said_to_be() {
    let body = |imported: &Imported| {
        imported.definition.methods[0]
            .body
            .as_ref()
            .map(|body| body.template.clone())
    };
    // A form body is pairs: a lone value is a name with an empty value, as a form parser
    // reads curl's `hello%20world` too.
    let plain = curl("curl --data-urlencode 'hello world' https://a.example.com/x");
    assert_eq!(body(&plain).as_deref(), Some("hello+world="));
    for value in ["note@notes.txt", "q@x=1"] {
        let file = curl(&format!(
            "curl --data-urlencode '{value}' https://a.example.com/x"
        ));
        notes_say(
            &file,
            &[&format!("`--data-urlencode {value}` reads a file")],
        );
        assert_ne!(body(&file).as_deref(), Some(value), "{value}");
    }
}

/// curl's seconds become milliseconds: up to a node's 20 s kept as given and said nothing of,
/// above it cut to 20 s and said; zero or a word is no time, so the default, and said.
#[test]
fn curl_timeouts_are_kept_up_to_a_nodes_limit_and_zero_is_no_time() {
    let timed = |seconds: &str| {
        let imported = curl(&format!(
            "curl --max-time {seconds} https://a.example.com/x"
        ));
        let ms = imported.definition.methods[0].request_timeout_ms;
        (
            ms,
            imported.notes.iter().any(|n| n.text.contains("--max-time")),
        )
    };
    assert_eq!(timed("20"), (20_000, false));
    assert_eq!(timed("0.5"), (500, false));
    assert_eq!(timed("20.001"), (20_000, true));
    assert_eq!(timed("0"), (10_000, true));
    assert_eq!(timed("soon"), (10_000, true));
}

#[test]
fn curl_user_data_and_query_forms_are_read() {
    let basic = curl(
        "curl -u flows:s3cr3t-pw --digest 'https://desk.example.com/items?api_key=AKIA123&page=2' -d 'name=a b' --data-urlencode 'note=x&y'",
    );
    let text = checked(&basic);
    assert!(
        !text.contains("s3cr3t-pw") && !text.contains("AKIA123"),
        "{text}"
    );
    let method = &basic.definition.methods[0];
    assert_eq!(method.http_method, HttpMethod::Post);
    assert_eq!(method.url, "https://desk.example.com/items");
    assert!(matches!(
        &method.authorization,
        Some(Authorization::Digest { username: AuthValue::Static { value: user }, password: AuthValue::Static { value: pw } })
            if user == "flows" && pw == "$(secret:digest_password)"
    ));
    assert_eq!(
        method.url_parameters,
        [
            Row::Static {
                name: "api_key".into(),
                value: "$(secret:api_key)".into()
            },
            Row::Static {
                name: "page".into(),
                value: "2".into()
            }
        ]
    );
    let body = method.body.as_ref().unwrap();
    assert_eq!(body.format, BodyFormat::Form);
    assert_eq!(body.template, "name=a+b&note=x%26y");

    let get = curl(
        "curl -G https://api.example.com/search -d q=rust -d 'token=abc' -XGET -H'X-Trace: {{trace}}'",
    );
    let text = checked(&get);
    assert!(!text.contains("abc\""), "{text}");
    let method = &get.definition.methods[0];
    assert_eq!(method.http_method, HttpMethod::Get);
    assert!(method.body.is_none());
    assert_eq!(
        method.url_parameters[1],
        Row::Static {
            name: "token".into(),
            value: "$(secret:token)".into()
        }
    );
    assert_eq!(
        header(method, "X-Trace"),
        &Row::Dynamic {
            name: "X-Trace".into(),
            field: Some("trace".into()),
            description: String::new(),
            list: None
        }
    );

    let json = curl(
        "curl --json '{\"password\": \"pw-literal\", \"n\": 1}' example.com/api -F file=@a.png -k",
    );
    let text = checked(&json);
    assert!(!text.contains("pw-literal"), "{text}");
    let method = &json.definition.methods[0];
    assert_eq!(method.url, "http://example.com/api");
    assert_eq!(
        method.body.as_ref().unwrap().template,
        r#"{"password":"$(secret:password)","n":1}"#
    );
    notes_say(&json, &["file=@a.png", "not carried over"]);
    notes_say(&json, &["--insecure"]);
}

#[test]
fn bad_curl_lines_are_errors_that_say_why() {
    // curl's arguments alone, without the program, are read as curl's.
    assert!(importer::curl("-X POST https://a.example.com/x", &Options::default()).is_ok());
    // The program named by its path is curl too.
    let by_path =
        importer::curl("/usr/bin/curl https://a.example.com/x", &Options::default()).unwrap();
    assert_eq!(by_path.definition.methods[0].url, "https://a.example.com/x");
    for (line, words) in [
        ("", "empty"),
        ("curl 'https://a.example.com", "quote"),
        ("curl -X POST", "no URL"),
        ("curl -I https://a.example.com", "HEAD"),
        ("curl https://a.example.com -H", "`-H` needs a value"),
        (
            "wget https://a.example.com",
            "it starts with `wget`, not `curl`",
        ),
    ] {
        let error = importer::curl(line, &Options::default()).unwrap_err();
        assert!(
            matches!(error, ImportError::NotCurl(_)) && error.to_string().contains(words),
            "{line}: {error}"
        );
    }
}

#[test]
fn postman_xml_soap_multipart_and_aws_requests_keep_their_kind() {
    let collection = serde_json::json!({
        "info": {"name": "Formats", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "variable": [{"key": "region", "value": "eu-west-1"}],
        "item": [
            {"name": "Soap quote", "request": {"method": "POST",
                "header": [{"key": "SOAPAction", "value": "\"urn:quote\""}, {"key": "Content-Type", "value": "text/xml"}],
                "body": {"mode": "raw", "options": {"raw": {"language": "xml"}},
                    "raw": "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><q><symbol>{{symbol}}</symbol><password>soap-pw-literal</password></q></soap:Body></soap:Envelope>"},
                "url": "https://soap.example.com/quote"},
             "response": [{"name": "ok", "code": 200,
                "body": "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><price>12.5</price></soap:Body></soap:Envelope>"}]},
            {"name": "Xml note", "request": {"method": "PUT", "header": [],
                "body": {"mode": "raw", "options": {"raw": {"language": "xml"}}, "raw": "<note><to>{{to}}</to></note>"},
                "url": "https://xml.example.com/note"},
             "response": [{"name": "ok", "code": 202, "body": "accepted"}]},
            {"name": "Upload", "request": {"method": "POST", "header": [],
                "body": {"mode": "formdata", "formdata": [
                    {"key": "title", "value": "{{title}}", "type": "text"},
                    {"key": "api_key", "value": "form-key-literal", "type": "text"},
                    {"key": "file", "type": "file", "src": "a.png"}]},
                "url": "https://files.example.com/up"}},
            {"name": "Invoke", "request": {"method": "GET", "header": [],
                "auth": {"type": "awsv4", "awsv4": [
                    {"key": "accessKey", "value": "AKIDEXAMPLE"},
                    {"key": "secretKey", "value": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
                    {"key": "region", "value": "{{region}}"},
                    {"key": "service", "value": "execute-api"}]},
                "url": "https://abc.execute-api.eu-west-1.amazonaws.com/prod/items"}}
        ]
    });
    let imported = importer::postman(&collection.to_string(), &Options::default()).unwrap();
    let text = checked(&imported);
    for literal in ["soap-pw-literal", "form-key-literal", "wJalrXUtnFEMI"] {
        assert!(!text.contains(literal), "{literal} in {text}");
    }
    let soap = method(&imported, "Soap quote");
    let body = soap.body.as_ref().unwrap();
    assert_eq!(body.format, BodyFormat::Soap);
    assert_eq!(body.soap_action.as_deref(), Some("urn:quote"));
    assert!(
        body.template.contains("<symbol>$(symbol)</symbol>"),
        "{}",
        body.template
    );
    assert!(
        body.template
            .contains("<password>$(secret:password)</password>")
    );
    assert!(soap.headers.iter().all(|h| h.name() != "SOAPAction"));
    assert_eq!(soap.response_type, node::model::ResponseType::Xml);
    assert_eq!(
        soap.outputs[0].source,
        Source::Body {
            path: "/*[local-name()='Envelope']/*[local-name()='Body']/price".into()
        }
    );
    assert!(soap.response_sample.is_some());

    let note = method(&imported, "Xml note");
    assert_eq!(note.body.as_ref().unwrap().format, BodyFormat::Xml);
    assert_eq!(note.response_type, node::model::ResponseType::Text);
    assert_eq!(note.events[0].value.as_deref(), Some("202"));

    let upload = method(&imported, "Upload");
    let parts = &upload.body.as_ref().unwrap().parts;
    assert_eq!(
        parts,
        &[
            Row::Dynamic {
                name: "title".into(),
                field: None,
                description: String::new(),
                list: None
            },
            Row::Static {
                name: "api_key".into(),
                value: "$(secret:api_key)".into()
            }
        ]
    );
    notes_say(&imported, &["file part `file`"]);

    let invoke = method(&imported, "Invoke");
    assert_eq!(
        invoke.authorization,
        Some(Authorization::Aws {
            access_key: AuthValue::Static {
                value: "AKIDEXAMPLE".into()
            },
            secret_key: AuthValue::Static {
                value: "$(secret:aws_secret_key)".into()
            },
            session_token: None,
            region: "eu-west-1".into(),
            service: "execute-api".into(),
        })
    );

    // And back: the exporter writes each kind as Postman has it, and the import of that
    // gives the same bodies and authorization.
    let exported = importer::postman::export(&imported.definition);
    let back = importer::postman(&exported.to_string(), &Options::default()).unwrap();
    checked(&back);
    for (before, after) in imported
        .definition
        .methods
        .iter()
        .zip(&back.definition.methods)
    {
        assert_eq!(after.body, before.body, "{}", before.name);
        assert_eq!(after.authorization, before.authorization, "{}", before.name);
        assert_eq!(
            after.response_sample, before.response_sample,
            "{}",
            before.name
        );
        assert_eq!(after.outputs, before.outputs, "{}", before.name);
    }
}

#[test]
fn curl_multipart_and_aws_signature_are_read() {
    let imported = curl(
        "curl --aws-sigv4 'aws:amz:us-east-2:s3' -u 'AKIDEXAMPLE:curl-aws-secret' -H 'x-amz-security-token: tok-literal' -F 'title=Q3' -F 'report=@q3.pdf' https://bucket.s3.us-east-2.amazonaws.com/up",
    );
    let text = checked(&imported);
    assert!(
        !text.contains("curl-aws-secret") && !text.contains("tok-literal"),
        "{text}"
    );
    let method = &imported.definition.methods[0];
    assert_eq!(method.http_method, HttpMethod::Post);
    match &method.authorization {
        Some(Authorization::Aws {
            region,
            service,
            session_token,
            secret_key,
            ..
        }) => {
            assert_eq!((region.as_str(), service.as_str()), ("us-east-2", "s3"));
            assert_eq!(
                secret_key,
                &AuthValue::Static {
                    value: "$(secret:aws_secret_key)".into()
                }
            );
            assert_eq!(
                session_token,
                &Some(AuthValue::Static {
                    value: "$(secret:x_amz_security_token)".into()
                })
            );
        }
        other => panic!("{other:?}"),
    }
    let body = method.body.as_ref().unwrap();
    assert_eq!(body.format, BodyFormat::Multipart);
    assert_eq!(
        body.parts,
        [Row::Static {
            name: "title".into(),
            value: "Q3".into()
        }]
    );
    notes_say(&imported, &["report=@q3.pdf", "not carried over"]);
}

/// A method authorization (`--aws-sigv4`, else `-u`) sends the Authorization header itself:
/// an Authorization header of the line (`--oauth2-bearer` or `-H`) is left out, said in a note,
/// and names no secret. The first line is the fuzz test's find: `--aws-sigv4 -X` with a bearer.
#[test]
fn curl_authorization_wins_over_an_authorization_header_and_says_so() {
    for (line, scheme, left_out) in [
        (
            "curl --aws-sigv4 -X user --oauth2-bearer -X",
            "`--aws-sigv4`",
            "`--oauth2-bearer`",
        ),
        (
            "curl --aws-sigv4 aws:amz:eu-west-1:s3 -u AK:curl-aws-secret --oauth2-bearer bearer-literal https://s3.example.com/b",
            "`--aws-sigv4`",
            "`--oauth2-bearer`",
        ),
        (
            "curl --aws-sigv4 aws:amz:eu-west-1:s3 -u AK:curl-aws-secret -H 'Authorization: Bearer header-literal' https://s3.example.com/b",
            "`--aws-sigv4`",
            "header `Authorization`",
        ),
        (
            "curl -u flows:pw-literal --digest --oauth2-bearer bearer-literal https://desk.example.com/x",
            "`-u`",
            "`--oauth2-bearer`",
        ),
        (
            "curl --oauth2-bearer bearer-literal -u flows:pw-literal https://desk.example.com/x",
            "`-u`",
            "`--oauth2-bearer`",
        ),
        (
            "curl -H 'Authorization: Bearer header-literal' -u flows:pw-literal https://desk.example.com/x",
            "`-u`",
            "header `Authorization`",
        ),
    ] {
        let imported = curl(line);
        let text = checked(&imported);
        let method = &imported.definition.methods[0];
        assert!(method.authorization.is_some(), "{line}\n{text}");
        assert!(
            method
                .headers
                .iter()
                .all(|h| !h.name().eq_ignore_ascii_case("authorization")),
            "{line}\n{text}"
        );
        notes_say(&imported, &[left_out, "left out", scheme, "Authorization"]);
        assert!(
            !imported
                .notes
                .iter()
                .any(|n| n.secret.as_deref().is_some_and(
                    |s| s.starts_with("bearer_token") || s.starts_with("authorization")
                )),
            "{line}: a left-out header names a secret: {:#?}",
            imported.notes
        );
    }
    // With no method authorization (`--digest` alone reads no `-u`), the bearer is the header.
    let imported = curl("curl --digest --oauth2-bearer bearer-literal https://desk.example.com/x");
    checked(&imported);
    let method = &imported.definition.methods[0];
    assert!(method.authorization.is_none());
    assert_eq!(
        static_value(header(method, "Authorization")),
        "Bearer $(secret:bearer_token)"
    );
}

/// `--aws-sigv4`'s region or service that no node signs for (the fuzz test's finds: a URL and a
/// JSON body given as its value) is the default, said in a note, not a definition that fails
/// its check.
#[test]
fn curl_aws_sigv4_names_no_node_can_sign_for_become_the_defaults() {
    for (line, notes) in [
        (
            "curl --aws-sigv4 http://[::1]:8080/p https://a.example.com/x?api_key=K1&page=2",
            [
                ["names no region", "`us-east-1`"],
                ["service `1]`", "`execute-api`"],
            ],
        ),
        (
            "curl a=b&token=T --aws-sigv4 '{\"password\": \"pw\", \"n\": 1}'",
            [
                ["region ` 1}`", "`us-east-1`"],
                ["names no service", "`execute-api`"],
            ],
        ),
        (
            "curl --aws-sigv4 aws:amz:EU-WEST-1:S3 -u AK:curl-aws-secret https://s3.example.com/b",
            [
                ["region `EU-WEST-1`", "`us-east-1`"],
                ["service `S3`", "`execute-api`"],
            ],
        ),
    ] {
        let imported = curl(line);
        checked(&imported);
        match &imported.definition.methods[0].authorization {
            Some(Authorization::Aws {
                region, service, ..
            }) => assert_eq!(
                (region.as_str(), service.as_str()),
                ("us-east-1", "execute-api"),
                "{line}"
            ),
            other => panic!("{line}: {other:?}"),
        }
        for words in notes {
            notes_say(&imported, &words);
        }
    }
}

/// What the fuzz tests found, each pinned by its smallest input.
#[test]
fn inputs_the_fuzz_tests_found_import_cleanly_or_are_refused_plainly() {
    // `-é` is one option letter of two bytes: it once panicked.
    let imported =
        importer::curl("curl -é https://api.example.com/x", &Options::default()).unwrap();
    checked(&imported);

    // A repeated query parameter under -G is kept once, and said so.
    let imported = importer::curl(
        "curl -G https://api.example.com/s -d q=a -d q=b",
        &Options::default(),
    )
    .unwrap();
    checked(&imported);
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.text.contains("`q` is given again")),
        "{:?}",
        imported.notes
    );

    // A URL no node can call is left out with a note; with nothing left, a plain refusal.
    for line in ["curl a:b", "curl '[x'", "curl 'http://a b'"] {
        match importer::curl(line, &Options::default()) {
            Err(ImportError::Empty(why)) => assert!(why.contains("URL"), "{line}: {why}"),
            other => panic!("{line}: {:?}", other.map(|i| i.definition)),
        }
    }

    // A sample key with a control character gets an output path that parses (RFC 9535).
    let collection = serde_json::json!({
        "info": {"name": "C", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [{"name": "Get", "request": {"method": "GET", "url": "https://api.example.com/x"},
            "response": [{"name": "ok", "code": 200, "body": "{\"\\u0001\": 1}",
                "originalRequest": {"method": "GET", "url": "https://api.example.com/x"}}]}]
    });
    let imported = importer::postman(&collection.to_string(), &Options::default()).unwrap();
    checked(&imported);
    let outputs = &imported.definition.methods[0].outputs;
    assert!(
        outputs.iter().any(|o| o.source
            == Source::Body {
                path: "$['\\u0001']".into()
            }),
        "{outputs:?}"
    );

    // `--json` sets a Content-Type that a multipart body (-F) must set itself.
    let imported = importer::curl(
        "curl --json '{\"n\": 1}' https://api.example.com/x -F note=hello",
        &Options::default(),
    )
    .unwrap();
    checked(&imported);
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.text.contains("Content-Type header is left out")),
        "{:?}",
        imported.notes
    );

    // OAuth 2.0 with an empty token URL is left out with a note, not made into a method that
    // does not check.
    let document = serde_json::json!({
        "openapi": "3.0.3", "info": {"title": "T", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/t": {"post": {"security": [{"oauth": []}], "responses": {"200": {"description": "ok"}}}}},
        "components": {"securitySchemes": {"oauth": {"type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "", "scopes": {}}}}}}
    });
    let imported = importer::openapi(&document.to_string(), &Options::default()).unwrap();
    checked(&imported);
    assert!(imported.definition.methods[0].authorization.is_none());
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.text.contains("OAuth 2.0 is not carried over")),
        "{:?}",
        imported.notes
    );

    // An answer schema whose eight properties each refer back to it imports at once (it
    // took 136 s: the shape was walked eight deep with no bound on width).
    let properties: serde_json::Map<String, Value> = (0..8)
        .map(|i| {
            (
                format!("p{i}"),
                serde_json::json!({"$ref": "#/components/schemas/S"}),
            )
        })
        .collect();
    let document = serde_json::json!({
        "openapi": "3.0.3", "info": {"title": "T", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/s": {"get": {"responses": {"200": {"description": "ok",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}}}}}},
        "components": {"schemas": {"S": {"type": "object", "properties": properties}}}
    });
    let started = std::time::Instant::now();
    let imported = importer::openapi(&document.to_string(), &Options::default()).unwrap();
    checked(&imported);
    eprintln!(
        "the self-referring schema imported in {:?}",
        started.elapsed()
    );
}
