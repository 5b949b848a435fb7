//! The API's document, the contract its clients are generated from and tested against: built
//! from the handlers and their types (utoipa), then given what every route shares, once
//! ([`common_answers`]): the request id on every answer, the errors of the API key, the rate
//! limit, the database and the body on every `/v1` route, and `Idempotency-Key` on every POST.
//! Its examples are made at the time it is served, so they never go stale.

use axum::Json;
use axum::extract::State;
use axum::response::Html;
use serde_json::{Value, json};
use utoipa::{Modify, OpenApi};

use instant_connect::request::{E164_PATTERN, MILLISECONDS_THRESHOLD};
use instant_connect::{MAX_LINKS_PER_REQUEST, Vertical};

use super::state::AppState;
use crate::domain::{
    Action, CHAT_ID_PATTERN, CODE_PATTERN, LANGUAGE_PATTERN, MAX_CHAT_ID_CHARS, MAX_EMAIL_CHARS,
    MAX_NAME_CHARS, MAX_NOTES_CHARS, MAX_PARTIES, MAX_REMINDERS, Outcome, PRINTABLE_PATTERN,
    TIME_PATTERN, VisitState,
};
use crate::idempotency::MAX_KEY_CHARS;
use crate::meetings::{MAX_PAGE, MAX_PHONES_PER_INVITE};
use crate::messages::{MAX_TEMPLATE_CHARS, MessageKind};

struct ApiKeyScheme;

impl Modify for ApiKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("an API key from `icnode keys create`"))
                    .build(),
            ),
        );
    }
}

/// The document as utoipa derives it from the handlers and their types.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "icnode",
        description = "Webex Instant Connect meetings (host and guest join links, kept and \
            listed), SMS invitations, and runs of custom integration node methods. Every `/v1` \
            route takes `Authorization: Bearer <API key>`; every error is \
            `{\"error\": {\"code\", \"message\", \"field\"?, \"details\"?}}`."
    ),
    paths(
        super::meetings::create,
        super::meetings::list,
        super::meetings::get,
        super::meetings::add_guests,
        super::meetings::add_hosts,
        super::meetings::invite,
        super::meetings::revoke,
        super::nodes::list,
        super::nodes::run,
        super::visits::book,
        super::visits::list,
        super::visits::get,
        super::visits::reschedule,
        super::visits::cancel,
        super::visits::delete,
        super::templates::list,
        super::templates::set,
        super::templates::remove,
        super::templates::preview,
        super::audit::list,
        super::webhooks::create,
        super::webhooks::list,
        super::events::follow,
        super::webhooks::delete,
        super::webhooks::rotate,
        super::webhooks::deliveries,
        super::webhooks::replay,
        super::webhooks::test,
        super::ops::healthz,
        super::ops::readyz,
        super::ops::metrics,
        serve,
    ),
    components(schemas(super::error::ErrorBody, super::types::LinkState)),
    modifiers(&ApiKeyScheme),
    tags(
        (name = "meetings", description = "Instant Connect meetings and their links"),
        (name = "visits", description = "Appointments whose links are made when they are needed, with reminders"),
        (name = "nodes", description = "Custom integration node methods, run as Webex Connect runs them"),
        (name = "audit", description = "Every change asked for, done or refused"),
        (name = "webhooks", description = "Endpoints that hear of the tenant's events (Standard Webhooks)"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
pub struct ApiDoc;

/// The whole document at time `now` (Unix seconds).
pub fn document(now: i64) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null);
    schema_rules(&mut doc);
    meeting_links(&mut doc);
    common_answers(&mut doc);
    super::webhooks::document_events(&mut doc);
    fresh_examples(&mut doc, now);
    doc
}

/// The rules the service enforces, stated in the schemas where JSON Schema can say them (the
/// rest is in each field's description and answered with `422`). Each value comes from the
/// constant the service checks against, so the two cannot drift apart.
fn schema_rules(doc: &mut Value) {
    let nullable = |schema: Value| json!({"oneOf": [schema, {"type": "null"}]});
    let links =
        nullable(json!({"type": "integer", "minimum": 0, "maximum": MAX_LINKS_PER_REQUEST}));
    let count =
        nullable(json!({"type": "integer", "minimum": 1, "maximum": MAX_LINKS_PER_REQUEST}));
    let ttl = nullable(json!({"type": "integer", "minimum": 1}));
    let time = json!({"oneOf": [
        {"type": "integer", "minimum": 0, "maximum": MILLISECONDS_THRESHOLD},
        {"type": "string", "pattern": TIME_PATTERN},
        {"type": "null"}
    ]});
    let zone = nullable(json!({"type": "string", "minLength": 1}));
    let chat_id = nullable(json!({
        "type": "string", "minLength": 1, "maxLength": MAX_CHAT_ID_CHARS,
        "pattern": CHAT_ID_PATTERN
    }));
    let vertical = nullable(json!({
        "type": "string",
        "enum": Vertical::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()
    }));
    let rules = [
        ("CreateMeeting", "chatId", chat_id),
        ("CreateMeeting", "hosts", links.clone()),
        ("CreateMeeting", "guests", links),
        ("CreateMeeting", "vertical", vertical),
        ("CreateMeeting", "ttlSeconds", ttl.clone()),
        ("CreateMeeting", "notBefore", time.clone()),
        ("CreateMeeting", "expiresAt", time.clone()),
        ("CreateMeeting", "timeZone", zone.clone()),
        ("AddLinks", "count", count),
        ("AddLinks", "ttlSeconds", ttl),
        ("AddLinks", "notBefore", time.clone()),
        ("AddLinks", "expiresAt", time),
        ("AddLinks", "timeZone", zone),
        (
            "Revoke",
            "role",
            nullable(json!({"type": "string", "enum": ["host", "guest"]})),
        ),
        (
            "Revoke",
            "link",
            nullable(json!({"type": "string", "pattern": CODE_PATTERN})),
        ),
        (
            "Invite",
            "phones",
            json!({"type": "array", "minItems": 1, "maxItems": MAX_PHONES_PER_INVITE,
                   "items": {"type": "string", "pattern": E164_PATTERN}}),
        ),
    ];
    let rules = rules
        .into_iter()
        .chain(visit_rules())
        .chain(party_rules())
        .chain(template_rules());
    for (schema, property, rule) in rules {
        let property = &mut doc["components"]["schemas"][schema]["properties"][property];
        let description = property["description"].take();
        *property = rule;
        property["description"] = description;
    }
    query_rules(doc);
    optional_bodies_are_absent_not_null(doc);
    let run = &mut doc["paths"]["/v1/nodes/{node}/{method}"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    *run = json!({
        "type": "object",
        "description": "the method's dynamic parameters by name",
        "additionalProperties": {"type": ["string", "number", "boolean"]}
    });
}

/// The rules of a visit's fields, from the constants the service checks.
fn visit_rules() -> Vec<(&'static str, &'static str, Value)> {
    let nullable = |schema: Value| json!({"oneOf": [schema, {"type": "null"}]});
    let time = json!({"oneOf": [
        {"type": "integer", "minimum": 0, "maximum": MILLISECONDS_THRESHOLD},
        {"type": "string", "pattern": TIME_PATTERN}
    ]});
    // Empty text is absent, as a flow's unset variable sends it.
    let empty = json!({"type": "string", "maxLength": 0});
    let optional_time = json!({"oneOf": [
        {"type": "integer", "minimum": 0, "maximum": MILLISECONDS_THRESHOLD},
        {"type": "string", "pattern": TIME_PATTERN},
        empty,
        {"type": "null"}
    ]});
    let zone = nullable(json!({"type": "string"}));
    let parties = json!({"type": "array", "minItems": 1, "maxItems": MAX_PARTIES,
                         "items": {"$ref": "#/components/schemas/PartyBody"}});
    let reminders = nullable(json!({"type": "array", "maxItems": MAX_REMINDERS,
                                    "items": {"type": "string"}}));
    vec![
        ("BookVisit", "start", time.clone()),
        ("BookVisit", "end", time),
        ("BookVisit", "timeZone", zone.clone()),
        ("BookVisit", "hosts", parties.clone()),
        ("BookVisit", "guests", parties),
        ("BookVisit", "reminders", reminders.clone()),
        (
            "BookVisit",
            "vertical",
            nullable(json!({"type": "string",
                "enum": Vertical::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>()})),
        ),
        (
            "BookVisit",
            "notes",
            nullable(json!({"type": "string", "maxLength": MAX_NOTES_CHARS})),
        ),
        ("RescheduleVisit", "start", optional_time.clone()),
        ("RescheduleVisit", "end", optional_time),
        ("RescheduleVisit", "timeZone", zone),
        ("RescheduleVisit", "reminders", reminders),
    ]
}

/// The rules of a visit's person; a phone, email or language given as `""` is absent.
fn party_rules() -> Vec<(&'static str, &'static str, Value)> {
    let nullable = |schema: Value| json!({"oneOf": [schema, {"type": "null"}]});
    let e164 = E164_PATTERN.trim_start_matches('^').trim_end_matches('$');
    let language = LANGUAGE_PATTERN
        .trim_start_matches('^')
        .trim_end_matches('$');
    vec![
        (
            "PartyBody",
            "name",
            nullable(json!({"type": "string", "maxLength": MAX_NAME_CHARS,
                            "pattern": PRINTABLE_PATTERN})),
        ),
        (
            "PartyBody",
            "phone",
            nullable(json!({"type": "string", "pattern": format!("^({e164})?$")})),
        ),
        (
            "PartyBody",
            "email",
            nullable(json!({"type": "string", "maxLength": MAX_EMAIL_CHARS})),
        ),
        (
            "PartyBody",
            "language",
            nullable(json!({"type": "string", "pattern": format!("^({language})?$")})),
        ),
    ]
}

/// The rules of a message template's parts, and of a preview.
fn template_rules() -> Vec<(&'static str, &'static str, Value)> {
    let nullable = |schema: Value| json!({"oneOf": [schema, {"type": "null"}]});
    vec![
        (
            "SetTemplate",
            "subject",
            json!({"type": "string", "minLength": 1, "maxLength": MAX_TEMPLATE_CHARS}),
        ),
        (
            "SetTemplate",
            "body",
            json!({"type": "string", "minLength": 1, "maxLength": MAX_TEMPLATE_CHARS}),
        ),
        (
            "PreviewTemplate",
            "kind",
            json!({"type": "string", "enum": MessageKind::ALL.map(MessageKind::as_str)}),
        ),
        (
            "PreviewTemplate",
            "language",
            nullable(json!({"type": "string", "pattern": LANGUAGE_PATTERN})),
        ),
        (
            "PreviewTemplate",
            "subject",
            nullable(json!({"type": "string", "minLength": 1, "maxLength": MAX_TEMPLATE_CHARS})),
        ),
        (
            "PreviewTemplate",
            "body",
            nullable(json!({"type": "string", "minLength": 1, "maxLength": MAX_TEMPLATE_CHARS})),
        ),
    ]
}

/// The listings' query parameters, each with the rule the service checks, from its constant.
fn query_rules(doc: &mut Value) {
    let limit = json!({"type": "integer", "minimum": 1, "maximum": MAX_PAGE});
    let printable = json!({"type": "string", "pattern": PRINTABLE_PATTERN});
    let time = json!({"type": "string", "pattern": TIME_PATTERN});
    let words = |all: &[&str]| json!({"type": "string", "enum": all});
    let rules = [
        ("/v1/meetings", "limit", limit.clone()),
        ("/v1/meetings", "chatIdPrefix", printable.clone()),
        ("/v1/visits", "limit", limit.clone()),
        (
            "/v1/visits",
            "state",
            words(&VisitState::ALL.map(VisitState::as_str)),
        ),
        ("/v1/audit", "limit", limit),
        (
            "/v1/audit",
            "action",
            words(&Action::ALL.map(Action::as_str)),
        ),
        (
            "/v1/audit",
            "outcome",
            words(&Outcome::ALL.map(Outcome::as_str)),
        ),
        ("/v1/audit", "keyId", printable.clone()),
        ("/v1/audit", "target", printable),
        ("/v1/audit", "since", time.clone()),
        ("/v1/audit", "until", time),
    ];
    for (path, name, schema) in rules {
        let parameters = doc["paths"][path]["get"]["parameters"].as_array_mut();
        for parameter in parameters.into_iter().flatten() {
            if parameter["name"] == name {
                parameter["schema"] = schema.clone();
            }
        }
    }
}

/// What a client can do next with a meeting it made: OpenAPI links from the `201` to the
/// routes that take its chat id (a stateful tester follows them).
fn meeting_links(doc: &mut Value) {
    let chat_id = json!({"chatId": "$response.body#/chatId"});
    let links = json!({
        "GetMeeting": {"operationId": "getMeeting", "parameters": chat_id,
                       "description": "the meeting just made"},
        "AddGuests": {"operationId": "addGuests", "parameters": chat_id,
                      "description": "more guests for it"},
        "AddHosts": {"operationId": "addHosts", "parameters": chat_id,
                     "description": "more hosts for it"},
        "SendInvite": {"operationId": "sendInvite", "parameters": chat_id,
                       "description": "its invitation by SMS"}
    });
    let created = &mut doc["paths"]["/v1/meetings"]["post"]["responses"]["201"];
    if created.is_object() {
        created["links"] = links;
    }
}

/// An optional body may be left out (`required` is absent); it is not `null`, which the
/// service refuses as it refuses any body that is not an object. utoipa writes an optional
/// body as `oneOf: [null, X]`: here it is `X`.
fn optional_bodies_are_absent_not_null(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for item in paths.values_mut() {
        for operation in item
            .as_object_mut()
            .into_iter()
            .flat_map(|i| i.values_mut())
        {
            let Some(schema) =
                operation.pointer_mut("/requestBody/content/application~1json/schema")
            else {
                continue;
            };
            let Some(choices) = schema["oneOf"].as_array() else {
                continue;
            };
            let kept: Vec<Value> = choices
                .iter()
                .filter(|choice| choice["type"] != "null")
                .cloned()
                .collect();
            if let [only] = kept.as_slice() {
                *schema = only.clone();
            }
        }
    }
}

/// An error answer of the shape every route gives.
fn error_answer(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    })
}

fn header(description: &str, schema: Value) -> Value {
    json!({"description": description, "schema": schema})
}

/// What every route shares, added to each operation once here rather than on each handler.
fn common_answers(doc: &mut Value) {
    let request_id = header(
        "the request's id, also in every log line of the request",
        json!({"type": "string"}),
    );
    let retry_after = header(
        "whole seconds to wait before trying again",
        json!({"type": "integer", "minimum": 1}),
    );
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, operation) in item.iter_mut() {
            let v1 = path.starts_with("/v1/");
            let post = method == "post";
            let with_body = matches!(method.as_str(), "post" | "put" | "patch");
            let responses = &mut operation["responses"];
            if v1 {
                shared_v1_errors(responses, post, with_body, &retry_after);
            }
            if v1 && post {
                idempotency(operation);
            }
            if let Some(responses) = operation["responses"].as_object_mut() {
                for answer in responses.values_mut() {
                    answer["headers"]["x-request-id"] = request_id.clone();
                }
            }
        }
    }
}

/// The errors any `/v1` route may give, with the headers they carry.
fn shared_v1_errors(responses: &mut Value, post: bool, with_body: bool, retry_after: &Value) {
    let mut add = |status: &str, answer: Value| {
        if responses.get(status).is_none() {
            responses[status] = answer;
        }
    };
    let mut unauthorized = error_answer("no API key, or one unknown or revoked");
    unauthorized["headers"]["WWW-Authenticate"] =
        header("`Bearer`", json!({"type": "string", "const": "Bearer"}));
    add("401", unauthorized);
    add(
        "400",
        error_answer(
            "the request cannot be read: malformed JSON, a path that is not UTF-8, or a malformed `Idempotency-Key`",
        ),
    );
    add(
        "422",
        error_answer("a field or query parameter breaks a rule; `error.field` names it"),
    );
    let mut limited = error_answer("this API key used its requests for the minute");
    limited["headers"]["Retry-After"] = retry_after.clone();
    add("429", limited);
    add(
        "500",
        error_answer("a stored row is damaged; the service's log says which rule it breaks"),
    );
    let mut unavailable = error_answer(
        "the database is unavailable (retry with the same `Idempotency-Key`), or the broker \
         failed too often and is not called for a while (`Retry-After`)",
    );
    unavailable["headers"]["Retry-After"] = retry_after.clone();
    add("503", unavailable);
    if post {
        add(
            "409",
            error_answer("a request with this `Idempotency-Key` is still running"),
        );
    }
    // Every route that takes a body reads it the same way (PUT and PATCH as POST).
    if with_body {
        add("408", error_answer("the body did not arrive in time"));
        add("413", error_answer("the body is larger than 64 KiB"));
        add("415", error_answer("the body is not `application/json`"));
    }
}

/// `Idempotency-Key` on a POST, and the header a replayed answer carries.
fn idempotency(operation: &mut Value) {
    let parameter = json!({
        "name": "Idempotency-Key",
        "in": "header",
        "required": false,
        "description": "The same key and body again get the stored answer (with \
            `Idempotent-Replayed: true`); the same key with another body is `422`. Scoped to \
            the API key.",
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_KEY_CHARS,
            "pattern": "^[!-~]+$"
        }
    });
    match operation["parameters"].as_array_mut() {
        Some(parameters) => parameters.push(parameter),
        None => operation["parameters"] = json!([parameter]),
    }
    let replayed = header(
        "`true` when this is the stored answer of an earlier request with the same key",
        json!({"type": "string", "const": "true"}),
    );
    if let Some(responses) = operation["responses"].as_object_mut() {
        for (status, answer) in responses.iter_mut() {
            if status.starts_with('2') {
                answer["headers"]["Idempotent-Replayed"] = replayed.clone();
            }
        }
    }
}

/// Examples of times relative to `now`, so none has passed when a client reads it.
fn fresh_examples(doc: &mut Value, now: i64) {
    let hour = |h: i64| instant_connect::rfc3339((now / 3600 + 24 + h) * 3600);
    let meeting = json!({
        "chatId": "visit-8842",
        "hosts": 1,
        "guests": 1,
        "notBefore": hour(0),
        "expiresAt": hour(1),
    });
    let more = json!({"count": 1, "ttlSeconds": 3600});
    let examples = [
        ("/v1/meetings", meeting),
        ("/v1/meetings/{chatId}/guests", more.clone()),
        ("/v1/meetings/{chatId}/hosts", more),
    ];
    for (path, example) in examples {
        let content = &mut doc["paths"][path]["post"]["requestBody"]["content"]["application/json"];
        if content.is_object() {
            content["example"] = example;
        }
    }
}

/// This document.
///
/// OpenAPI 3.1, made when served: its examples lie ahead of the time it was read.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", operation_id = "openapi",
    responses((status = 200, description = "this document (OpenAPI 3.1)", body = Object)))]
pub async fn serve(State(state): State<AppState>) -> Json<Value> {
    Json(document(state.clock.now()))
}

/// A readable page of the API, from the same document, with no script and no CDN.
pub async fn docs(State(state): State<AppState>) -> Html<String> {
    let doc = document(state.clock.now());
    let mut rows = String::new();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let statuses: Vec<&str> = operation["responses"]
                .as_object()
                .map(|r| r.keys().map(String::as_str).collect())
                .unwrap_or_default();
            rows.push_str(&format!(
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>\n",
                method.to_uppercase(),
                html_escape::encode_text(path),
                html_escape::encode_text(operation["summary"].as_str().unwrap_or("")),
                html_escape::encode_text(&statuses.join(", ")),
            ));
        }
    }
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>icnode API</title></head><body><h1>icnode API {version}</h1>\
         <p>Every <code>/v1</code> route takes <code>Authorization: Bearer &lt;API key&gt;</code>. \
         The whole description: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1).</p>\
         <table><thead><tr><th>method</th><th>path</th><th>what</th><th>statuses</th></tr></thead>\
         <tbody>{rows}</tbody></table></body></html>",
        version = env!("CARGO_PKG_VERSION"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn operations(doc: &Value) -> Vec<(String, &Value)> {
        doc["paths"]
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(path, item)| {
                item.as_object()
                    .unwrap()
                    .iter()
                    .map(move |(method, op)| (format!("{method} {path}"), op))
            })
            .collect()
    }

    #[test]
    fn the_listings_query_parameters_state_the_rules_the_service_checks() {
        let doc = document(NOW);
        let schema = |path: &str, name: &str| {
            doc["paths"][path]["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .map(|p| p["schema"].clone())
                .unwrap()
        };
        for path in ["/v1/meetings", "/v1/audit"] {
            assert_eq!(schema(path, "limit")["maximum"], MAX_PAGE, "{path}");
            assert_eq!(schema(path, "limit")["minimum"], 1, "{path}");
        }
        assert_eq!(
            schema("/v1/meetings", "chatIdPrefix")["pattern"],
            PRINTABLE_PATTERN
        );
        let actions: Vec<&str> = Action::ALL.map(Action::as_str).to_vec();
        assert_eq!(schema("/v1/audit", "action")["enum"], json!(actions));
        let outcomes: Vec<&str> = Outcome::ALL.map(Outcome::as_str).to_vec();
        assert_eq!(schema("/v1/audit", "outcome")["enum"], json!(outcomes));
        for name in ["keyId", "target"] {
            assert_eq!(
                schema("/v1/audit", name)["pattern"],
                PRINTABLE_PATTERN,
                "{name}"
            );
        }
        for name in ["since", "until"] {
            assert_eq!(schema("/v1/audit", name)["pattern"], TIME_PATTERN, "{name}");
        }
    }

    #[test]
    fn every_operation_has_its_own_id_a_summary_and_the_request_id() {
        let doc = document(NOW);
        let mut ids: Vec<&str> = Vec::new();
        for (name, operation) in operations(&doc) {
            let id = operation["operationId"].as_str().unwrap();
            assert!(!ids.contains(&id), "{id} twice");
            ids.push(id);
            assert!(operation["summary"].is_string(), "{name} has no summary");
            assert!(
                operation["description"].is_string(),
                "{name} has no description"
            );
            for (status, answer) in operation["responses"].as_object().unwrap() {
                assert!(
                    answer["headers"]["x-request-id"].is_object(),
                    "{name} {status}"
                );
            }
            if name.contains("/v1/") {
                for status in ["401", "422", "429", "503"] {
                    assert!(
                        operation["responses"][status].is_object(),
                        "{name} {status}"
                    );
                }
            }
            if name.starts_with("get ") {
                assert!(
                    operation.get("requestBody").is_none(),
                    "{name} takes no body"
                );
            }
            if ["post /v1/", "put /v1/", "patch /v1/"]
                .iter()
                .any(|method| name.starts_with(method))
            {
                assert!(operation["responses"]["413"].is_object(), "{name}");
                assert!(operation["responses"]["415"].is_object(), "{name}");
            } else {
                assert!(operation["responses"].get("413").is_none(), "{name}");
                assert!(operation["responses"].get("408").is_none(), "{name}");
            }
            if name.starts_with("get ") {
                assert!(operation["responses"].get("409").is_none(), "{name}");
            }
            if name.starts_with("post /v1/") {
                let parameters = operation["parameters"].as_array().unwrap();
                assert!(
                    parameters.iter().any(|p| p["name"] == "Idempotency-Key"),
                    "{name}"
                );
            }
        }
        assert_eq!(ids.len(), 32, "{ids:?}");
        // Every event an endpoint can hear of is in the `webhooks` section, with an example.
        let hooks = doc["webhooks"].as_object().unwrap();
        for event in crate::domain::EventType::SUBSCRIBABLE {
            let example = &hooks[event.as_str()]["post"]["requestBody"]["content"]["application/json"]
                ["example"];
            assert_eq!(example["type"], event.as_str());
            assert!(example["data"].is_object(), "{example}");
        }
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            assert!(
                schema["description"].is_string(),
                "{name} has no description"
            );
            for (field, property) in schema["properties"].as_object().into_iter().flatten() {
                let described = property["description"].is_string() || property["$ref"].is_string();
                assert!(described, "{name}.{field} has no description");
            }
        }
    }

    #[test]
    fn the_schemas_state_the_rules_and_the_examples_lie_ahead() {
        let doc = document(NOW);
        let hosts = &doc["components"]["schemas"]["CreateMeeting"]["properties"]["hosts"];
        assert_eq!(hosts["oneOf"][0]["maximum"], MAX_LINKS_PER_REQUEST);
        assert!(hosts["description"].is_string(), "the description is kept");
        let example = &doc["paths"]["/v1/meetings"]["post"]["requestBody"]["content"]["application/json"]
            ["example"];
        let expires = example["expiresAt"].as_str().unwrap();
        assert!(
            expires > instant_connect::rfc3339(NOW).as_str(),
            "{expires}"
        );
        let body = &doc["paths"]["/v1/meetings"]["post"]["requestBody"];
        assert_eq!(
            body["required"],
            Value::Null,
            "an empty body takes every default"
        );
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/CreateMeeting",
            "but not null, which the service refuses"
        );
        assert!(doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
            ["application/openmetrics-text"]
            .is_object());
    }
}
