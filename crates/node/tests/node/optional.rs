//! What an imported API expects of optional and list values, against a real server on port 0
//! that answers the raw query, headers and body it received: a `json` or `form` body with
//! `omitEmpty` leaves out what was left empty, and a `list` row sends a JSON array as OpenAPI's
//! styles say (`tags=a&tags=b`, `tags=a,b`, `a|b`, an object's members as parameters).

use axum::Router;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::http::{HeaderMap, Uri};
use axum::routing::any;
use node::{Engine, RunOptions, Secrets};
use serde_json::{Value, json};

use crate::run::{params, spawn_router};

/// `/raw/...`: the query, the `x-tags` header and the body, as received.
async fn raw_echo() -> url::Url {
    async fn raw(
        uri: Uri,
        RawQuery(query): RawQuery,
        headers: HeaderMap,
        body: Bytes,
    ) -> axum::Json<Value> {
        let tags = headers.get("x-tags").and_then(|v| v.to_str().ok());
        axum::Json(json!({
            "path": uri.path(),
            "query": query,
            "tags": tags,
            "body": String::from_utf8_lossy(&body),
        }))
    }
    spawn_router(Router::new().route("/raw/{*rest}", any(raw))).await
}

fn node(base: &url::Url, method: Value) -> node::NodeDefinition {
    let mut method = method;
    method["name"] = json!("Call");
    method["requestTimeoutMs"] = json!(3000);
    method["connectionTimeoutMs"] = json!(3000);
    method["httpMethod"] = json!("POST");
    method["events"] = json!([{"name": "Ok", "source": {"type": "status"}, "condition": "equals",
        "value": "200", "edge": "success"}]);
    method["outputs"] = json!([{"name": "all", "source": {"type": "body", "path": "$"}}]);
    let text = json!({"name": "Optional", "methods": [method]}).to_string();
    let mut definition =
        node::load(&text).unwrap_or_else(|problems| panic!("{problems:#?}\n{text}"));
    definition.methods[0].url = definition.methods[0]
        .url
        .replace("http://127.0.0.1:1", base.as_str().trim_end_matches('/'));
    definition
}

async fn run(definition: &node::NodeDefinition, given: &[(&str, &str)]) -> Value {
    let result = Engine::new(Secrets::from_pairs([("api_key", "k-1")]))
        .run(definition, "Call", &params(given), &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(result.status, Some(200), "{result:?}");
    result.outputs["all"].clone()
}

#[tokio::test]
async fn omit_empty_leaves_out_the_json_members_and_form_pairs_left_empty() {
    let base = raw_echo().await;
    let fields = json!([
        {"name": "name"},
        {"name": "status", "mandatory": false},
        {"name": "age", "type": "number", "mandatory": false},
        {"name": "email", "mandatory": false},
        {"name": "limit", "type": "number", "mandatory": false, "default": "20"}
    ]);
    let parameters = json!([
        {"type": "dynamic", "name": "name"}, {"type": "dynamic", "name": "status"},
        {"type": "dynamic", "name": "age"}, {"type": "dynamic", "name": "email"},
        {"type": "dynamic", "name": "limit"}
    ]);
    let json_body = node(
        &base,
        json!({"url": "http://127.0.0.1:1/raw/pet", "parameters": parameters, "fields": fields,
            "body": {"format": "json", "omitEmpty": true, "template":
                "{\"name\": \"$(name)\", \"status\": \"$(status)\", \"age\": $(age), \"owner\": {\"email\": \"$(email)\"}, \"limit\": $(limit), \"key\": \"$(secret:api_key)\"}"}}),
    );
    let echoed = run(&json_body, &[("name", "Rex")]).await;
    let body: Value = serde_json::from_str(echoed["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"name": "Rex", "limit": 20, "key": "k-1"}),
        "empty optionals left out, a default kept, an object left empty gone"
    );
    let echoed = run(
        &json_body,
        &[("name", "Rex"), ("age", "3"), ("email", "a@b.c")],
    )
    .await;
    let body: Value = serde_json::from_str(echoed["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"name": "Rex", "age": 3, "owner": {"email": "a@b.c"}, "limit": 20, "key": "k-1"})
    );

    let form_body = node(
        &base,
        json!({"url": "http://127.0.0.1:1/raw/pet", "parameters": parameters, "fields": fields,
            "body": {"format": "form", "omitEmpty": true,
                "template": "name=$(name)&status=$(status)&age=$(age)&email=$(email)&limit=$(limit)"}}),
    );
    let echoed = run(&form_body, &[("name", "Rex"), ("email", "a b")]).await;
    assert_eq!(echoed["body"], "name=Rex&email=a+b&limit=20");

    // Without omitEmpty, the same body sends what it always did: "" and null.
    let mut kept = json_body.clone();
    kept.methods[0].body.as_mut().unwrap().omit_empty = false;
    let echoed = run(&kept, &[("name", "Rex")]).await;
    let body: Value = serde_json::from_str(echoed["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["status"], "");
    assert_eq!(body["age"], Value::Null);
}

#[tokio::test]
async fn list_rows_send_json_arrays_and_objects_as_openapi_styles_do() {
    let base = raw_echo().await;
    let definition = node(
        &base,
        json!({"url": "http://127.0.0.1:1/raw/pets/$(ids)",
        "parameters": [{"type": "dynamic", "name": "ids", "list": "comma"}],
        "urlParameters": [
            {"type": "dynamic", "name": "tags", "list": "repeat"},
            {"type": "dynamic", "name": "sizes", "list": "comma"},
            {"type": "dynamic", "name": "colors", "list": "pipe"},
            {"type": "dynamic", "name": "filter", "list": "repeat"},
            {"type": "dynamic", "name": "plain"}
        ],
        "headers": [{"type": "dynamic", "name": "X-Tags", "field": "tags", "list": "repeat"}],
        "fields": [
            {"name": "ids", "type": "json"}, {"name": "tags", "type": "json"},
            {"name": "sizes", "mandatory": false},
            {"name": "colors", "type": "json", "mandatory": false},
            {"name": "filter", "type": "json", "mandatory": false},
            {"name": "plain", "type": "json", "mandatory": false}
        ]}),
    );
    let echoed = run(
        &definition,
        &[
            ("ids", "[1, 2]"),
            ("tags", r#"["a b", "c&d"]"#),
            ("sizes", r#"["s", "m"]"#),
            ("colors", r#"["red", "blue"]"#),
            ("filter", r#"{"role": "admin", "id": 7}"#),
            ("plain", r#"["x"]"#),
        ],
    )
    .await;
    assert_eq!(
        echoed["query"],
        "tags=a+b&tags=c%26d&sizes=s%2Cm&colors=red%7Cblue&role=admin&id=7&plain=%5B%22x%22%5D",
        "repeat: a pair per item, an object's members by name; comma and pipe: one pair; no \
         list: the JSON text"
    );
    assert_eq!(echoed["tags"], "a b,c&d", "a header joins with commas");

    // The path placeholder's items joined with commas; an empty list sends no pair.
    assert_eq!(echoed["path"], "/raw/pets/1,2");
    let echoed = run(
        &definition,
        &[("ids", r#"["x y","z"]"#), ("tags", "[]"), ("sizes", "one")],
    )
    .await;
    assert_eq!(
        echoed["query"], "sizes=one",
        "an empty list sends no pair; a value that is no list is sent as it is"
    );
    assert_eq!(echoed["path"], "/raw/pets/x%20y,z");
}
