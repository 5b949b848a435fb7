//! Node runs through the service: the bundled node against the service's broker, and a node
//! of the node directory, one run per edge.

use reqwest::StatusCode;
use serde_json::json;

use crate::{Db, Options, on_both_databases, spawn_app, spawn_app_with};

async fn the_bundled_node_is_listed_with_its_methods_and_parameters(db: Db) {
    let app = spawn_app(db).await;
    let (status, nodes) = app.get("/v1/nodes").await;
    assert_eq!(status, StatusCode::OK, "{nodes}");
    let node = &nodes[0];
    assert_eq!(node["slug"], "instant-connect");
    let methods: Vec<&str> = node["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["slug"].as_str().unwrap())
        .collect();
    assert_eq!(
        methods,
        [
            "generate-basic-link",
            "add-guest",
            "book-visit",
            "reschedule-visit",
            "cancel-visit"
        ]
    );
    let parameter = &node["methods"][0]["parameters"][0];
    assert_eq!(parameter["name"], "uniquechatId");
    assert_eq!(parameter["type"], "text");
    assert_eq!(parameter["mandatory"], true);
    assert_eq!(parameter["label"], "Unique chat ID");
}

/// A node of the node directory whose fields carry node UI rules: the list shows them, and a
/// run breaking them is refused before any call, naming each field.
async fn node_ui_rules_are_listed_and_a_run_breaking_them_is_422(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let definition = json!({
        "name": "Ticket Desk",
        "methods": [{
            "name": "Open Ticket",
            "requestTimeoutMs": 300,
            "connectionTimeoutMs": 300,
            "httpMethod": "POST",
            "url": "http://127.0.0.1:9/tickets",
            "parameters": [
                {"type": "dynamic", "name": "email"},
                {"type": "dynamic", "name": "priority"}
            ],
            "body": {"format": "json", "template": "{\"from\": \"$(email)\", \"priority\": $(priority)}"},
            "events": [{"name": "Created", "source": {"type": "status"}, "condition": "equals", "value": "201", "edge": "success"}],
            "fields": [
                {"name": "email", "label": "Customer email", "type": "email"},
                {"name": "priority", "type": "number", "regex": "[1-5]", "default": "3"}
            ],
        }],
    });
    std::fs::write(dir.path().join("tickets.json"), definition.to_string()).unwrap();
    let app = spawn_app_with(
        db,
        Options {
            node_dir: Some(dir.path().to_owned()),
            ..Options::default()
        },
    )
    .await;
    let (_, nodes) = app.get("/v1/nodes").await;
    let parameters = &nodes[1]["methods"][0]["parameters"];
    assert_eq!(parameters[0]["type"], "email");
    assert_eq!(parameters[0]["label"], "Customer email");
    assert_eq!(parameters[1]["regex"], "[1-5]");
    assert_eq!(parameters[1]["default"], "3");
    let (status, error) = app
        .post(
            "/v1/nodes/ticket-desk/open-ticket",
            json!({"email": "not-an-address", "priority": 9}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["code"], "invalid_parameters");
    assert_eq!(error["error"]["field"], "email");
    assert_eq!(error["error"]["details"][1]["field"], "priority");
}

async fn both_instant_connect_methods_run_against_the_services_broker(db: Db) {
    let app = spawn_app(db).await;
    let (status, run) = app
        .post(
            "/v1/nodes/instant-connect/generate-basic-link",
            json!({"uniquechatId": "node-visit"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["edge"], "success");
    assert_eq!(run["status"], 200);
    assert!(run["elapsedMs"].is_u64());
    let host_url = run["outputs"]["hostUrl"].as_str().unwrap();
    assert!(host_url.starts_with(&app.broker_url), "{host_url}");
    let page = app.http.get(host_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FOUND, "the short link opens");

    let (_, nodes) = app.get("/v1/nodes").await;
    let add_guest = &nodes[0]["methods"][1];
    let params: serde_json::Map<String, serde_json::Value> = add_guest["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), json!("node-visit")))
        .collect();
    let (status, run) = app
        .post("/v1/nodes/instant-connect/add-guest", params.into())
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(run["edge"], "success");
}

async fn bad_parameters_and_unknown_names_are_refused_before_any_call(db: Db) {
    let app = spawn_app(db).await;
    let missing = app
        .post("/v1/nodes/instant-connect/generate-basic-link", json!({}))
        .await;
    crate::assert_field_error(&missing, StatusCode::UNPROCESSABLE_ENTITY, "uniquechatId");
    let unknown = app
        .post(
            "/v1/nodes/instant-connect/generate-basic-link",
            json!({"uniquechatId": "a", "extra": "b"}),
        )
        .await;
    crate::assert_field_error(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "extra");
    let nested = app
        .post(
            "/v1/nodes/instant-connect/generate-basic-link",
            json!({"uniquechatId": {"deep": 1}}),
        )
        .await;
    crate::assert_field_error(&nested, StatusCode::UNPROCESSABLE_ENTITY, "uniquechatId");
    let (status, _) = app
        .post("/v1/nodes/nothing/generate-basic-link", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .post("/v1/nodes/instant-connect/nothing", json!({}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A node and its method by name or by slug, in any pairing; a run is counted under the slugs
/// however it was named, and a refusal lists every name in both forms.
#[tokio::test]
async fn nodes_and_methods_are_named_by_name_or_slug_and_refusals_list_both_forms() {
    let app = spawn_app(Db::Sqlite).await;
    for path in [
        "/v1/nodes/Instant%20Connect/Generate%20Basic%20Link",
        "/v1/nodes/instant-connect/Generate%20Basic%20Link",
        "/v1/nodes/Instant%20Connect/generate-basic-link",
    ] {
        let (status, run) = app.post(path, json!({"uniquechatId": "named"})).await;
        assert_eq!(status, StatusCode::OK, "{path}: {run}");
        assert_eq!(run["edge"], "success", "{path}");
    }
    let (_, metrics) = crate::ops::get_open(&app, "/metrics").await;
    assert!(
        metrics.contains(r#"icnode_node_runs_total{node="instant-connect",method="generate-basic-link",edge="success"} 3"#),
        "{metrics}"
    );

    for (path, code, message) in [
        (
            "/v1/nodes/instant-connect/Generate%20Link",
            "method_not_found",
            "node `instant-connect` has no method `Generate Link`; it has: \
             `Generate Basic Link` (generate-basic-link), `Add Guest` (add-guest), `Book Visit` \
             (book-visit), `Reschedule Visit` (reschedule-visit), `Cancel Visit` (cancel-visit)",
        ),
        (
            "/v1/nodes/instant/generate-basic-link",
            "node_not_found",
            "no node `instant`; this service runs: `Instant Connect` (instant-connect)",
        ),
    ] {
        let (status, refused) = app.post(path, json!({})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{refused}");
        assert_eq!(refused["error"]["code"], code);
        assert_eq!(refused["error"]["message"], message);
    }
}

async fn a_refused_token_leaves_by_the_error_edge_as_502(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            broker_token: Some("wrong".into()),
            ..Options::default()
        },
    )
    .await;
    let (status, run) = app
        .post(
            "/v1/nodes/instant-connect/generate-basic-link",
            json!({"uniquechatId": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{run}");
    assert_eq!(run["edge"], "error");
    assert_eq!(run["status"], 401);
}

/// A node of the node directory that calls a service which accepts and never answers.
async fn a_silent_service_leaves_by_the_timeout_edge_as_504(db: Db) {
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = silent.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let definition = json!({
        "name": "Slow Service",
        "methods": [{
            "name": "Wait For It",
            "requestTimeoutMs": 300,
            "connectionTimeoutMs": 300,
            "httpMethod": "GET",
            "url": format!("http://{address}/slow"),
            "responseType": "json",
            "events": [{"name": "OK", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"}],
        }],
    });
    std::fs::write(dir.path().join("slow.json"), definition.to_string()).unwrap();
    let app = spawn_app_with(
        db,
        Options {
            node_dir: Some(dir.path().to_owned()),
            ..Options::default()
        },
    )
    .await;
    let (_, nodes) = app.get("/v1/nodes").await;
    assert_eq!(nodes[1]["slug"], "slow-service");
    let (status, run) = app
        .post("/v1/nodes/slow-service/wait-for-it", json!({}))
        .await;
    assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{run}");
    assert_eq!(run["edge"], "timeout");
    assert!(run["status"].is_null());
}

on_both_databases!(
    node_ui_rules_are_listed_and_a_run_breaking_them_is_422,
    the_bundled_node_is_listed_with_its_methods_and_parameters,
    both_instant_connect_methods_run_against_the_services_broker,
    bad_parameters_and_unknown_names_are_refused_before_any_call,
    a_refused_token_leaves_by_the_error_edge_as_502,
    a_silent_service_leaves_by_the_timeout_edge_as_504,
);
