use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use node::{Edge, Engine, NodeDefinition, RunError, RunOptions, Secrets};
use serde_json::{Value, json};

use crate::valid;

/// Serves `router` on port 0; its base URL.
pub(crate) async fn spawn_router(router: Router) -> url::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// A real server: `/echo/{path}` answers what it got, `/status/{code}` that status, `/html` a
/// page, `/slow` nothing for a minute, `/refused` a 401 with an error body in the Webex shape,
/// `/big/{n}` and `/big-stream/{n}` `n` snowmen (3 bytes each) with and without Content-Length.
async fn serve() -> url::Url {
    async fn echo(
        Path(path): Path<String>,
        RawQuery(query): RawQuery,
        headers: HeaderMap,
        body: Bytes,
    ) -> impl IntoResponse {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let answer = json!({"path": path, "query": query, "body": body, "headers": {
            "authorization": header("authorization"), "x-trace": header("x-trace"), "content-type": header("content-type")}});
        ([("x-server", "test-server")], axum::Json(answer))
    }
    let router = Router::new()
        .route("/echo/{path}", any(echo))
        .route(
            "/status/{code}",
            any(|Path(code): Path<u16>| async move {
                (
                    StatusCode::from_u16(code).unwrap(),
                    axum::Json(json!({"code": code})),
                )
            }),
        )
        .route(
            "/refused",
            any(|| async {
                let message = "The request requires a valid access token set in the \
                               Authorization request header.";
                (
                    StatusCode::UNAUTHORIZED,
                    [("x-server", "test-server")],
                    axum::Json(json!({
                        "message": message,
                        "errors": [{"description": message}],
                        "trackingId": TRACKING_ID,
                    })),
                )
            }),
        )
        .route(
            "/big/{n}",
            any(|Path(n): Path<usize>| async move { SNOWMAN.repeat(n) }),
        )
        .route(
            "/big-stream/{n}",
            any(|Path(n): Path<usize>| async move {
                // A stream has no length known in advance: no Content-Length, chunked; sent a
                // hundred snowmen a chunk, so a limit falls inside a chunk after others.
                let chunks: Vec<Result<Bytes, std::io::Error>> = (0..n)
                    .step_by(100)
                    .map(|start| Ok(Bytes::from(SNOWMAN.repeat((n - start).min(100)))))
                    .collect();
                Body::from_stream(futures_util::stream::iter(chunks))
            }),
        )
        .route(
            "/html",
            any(|| async { ([("content-type", "text/html")], "<html>sign in</html>") }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            })
            .post(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                "late"
            }),
        );
    spawn_router(router).await
}

pub(crate) fn definition(change: impl FnOnce(&mut Value)) -> NodeDefinition {
    let mut value = valid();
    change(&mut value);
    node::load(&value.to_string()).unwrap()
}

pub(crate) fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(crate) fn engine() -> Engine {
    Engine::new(Secrets::from_pairs([("api_token", "tok-123")]))
}

pub(crate) fn at(base: &url::Url) -> RunOptions {
    RunOptions {
        base_url_override: Some(base.clone()),
        ..RunOptions::default()
    }
}

const TRACKING_ID: &str = "ICNODE_test-tracking-7";
const SNOWMAN: &str = "☃";

/// The usual parameters of the base definition.
pub(crate) fn usual() -> BTreeMap<String, String> {
    params(&[("path", "p"), ("chatId", "x"), ("trace", "t")])
}

const TRICKY: &str = "chat \"42\" \\ back\\slash ☃ \u{1F4F9} </script>";

#[tokio::test]
async fn a_success_renders_everything_and_reads_the_outputs() {
    let base = serve().await;
    let result = engine()
        .run(
            &definition(|_| {}),
            "Send",
            &params(&[("path", "a b/c"), ("chatId", TRICKY), ("trace", "t-1")]),
            &at(&base),
        )
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:?}");
    assert_eq!(result.status, Some(200));
    assert_eq!(result.error, None);
    assert_eq!(
        result.outputs["sub"], TRICKY,
        "quotes, backslashes and Unicode survive the JSON body"
    );
    assert_eq!(result.outputs["status"], 200);
    assert_eq!(result.outputs["server"], "test-server");
    assert_eq!(result.outputs["label"], format!("test-server/{TRICKY}"));

    // What the server received: the secret in the header, the dynamic header, encoded URL parts.
    let echoed = engine()
        .run(
            &definition(|d| {
                d["methods"][0]["outputs"] =
                    json!([{"name": "all", "source": {"type": "body", "path": "$"}}]);
                d["methods"][0]["computedOutputs"] = json!([]);
            }),
            "Send",
            &params(&[("path", "a b/c"), ("chatId", "x"), ("trace", "t-1")]),
            &at(&base),
        )
        .await
        .unwrap()
        .outputs["all"]
        .clone();
    assert_eq!(
        echoed["path"], "a b/c",
        "the placeholder was percent-encoded into one segment"
    );
    assert_eq!(echoed["query"], "mode=a+b%26c");
    assert_eq!(echoed["headers"]["authorization"], "Bearer tok-123");
    assert_eq!(echoed["headers"]["x-trace"], "t-1");
    assert_eq!(echoed["headers"]["content-type"], "application/json");
    assert_eq!(echoed["body"], json!({"sub": "x", "n": 2}));
}

#[tokio::test]
async fn client_and_server_errors_leave_by_the_error_edge() {
    let base = serve().await;
    let status_node =
        definition(|d| d["methods"][0]["url"] = json!("http://127.0.0.1:1/status/$(path)"));
    for code in ["404", "422", "500", "503"] {
        let result = engine()
            .run(
                &status_node,
                "Send",
                &params(&[("path", code), ("chatId", "x"), ("trace", "t")]),
                &at(&base),
            )
            .await
            .unwrap();
        assert_eq!(result.edge, Edge::Error, "{code}");
        assert_eq!(result.status, Some(code.parse().unwrap()));
        assert_eq!(result.outputs["status"], code.parse::<u16>().unwrap());
    }
}

#[tokio::test]
async fn the_first_matching_event_wins_and_no_match_is_an_error() {
    let base = serve().await;
    let first_wins = definition(|d| {
        d["methods"][0]["events"] = json!([
            {"name": "Any 2xx", "source": {"type": "status"}, "condition": "greater than", "value": "199", "edge": "success"},
            {"name": "Exactly 200", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "error"}
        ])
    });
    let p = params(&[("path", "p"), ("chatId", "x"), ("trace", "t")]);
    assert_eq!(
        engine()
            .run(&first_wins, "Send", &p, &at(&base))
            .await
            .unwrap()
            .edge,
        Edge::Success
    );

    let headers_and_body = definition(|d| {
        d["methods"][0]["events"] = json!([
            {"name": "Wrong server", "source": {"type": "header", "name": "X-Server"}, "condition": "starts with", "value": "prod", "edge": "success"},
            {"name": "No such path", "source": {"type": "body", "path": "$.nothing"}, "condition": "exists", "edge": "success"},
            {"name": "Echoed", "source": {"type": "body", "path": "$.body.sub"}, "condition": "contains", "value": "needle", "edge": "success"}
        ])
    });
    let hit = engine()
        .run(
            &headers_and_body,
            "Send",
            &params(&[("path", "p"), ("chatId", "haystack-needle"), ("trace", "t")]),
            &at(&base),
        )
        .await
        .unwrap();
    assert_eq!(hit.edge, Edge::Success);
    let miss = engine()
        .run(&headers_and_body, "Send", &p, &at(&base))
        .await
        .unwrap();
    assert_eq!(miss.edge, Edge::Error);
    let echoed = &miss.response.as_ref().unwrap().body;
    assert!(echoed.starts_with(r#"{"path":"p""#), "{echoed}");
    assert_eq!(
        miss.error.unwrap(),
        format!("no event matched the answer (HTTP 200): {echoed}")
    );
}

#[tokio::test]
async fn the_error_edge_says_why_with_the_status_and_the_services_own_words() {
    let base = serve().await;
    let refused =
        definition(|d| d["methods"][0]["url"] = json!("http://127.0.0.1:1/refused?x=$(path)"));
    let result = engine()
        .run(&refused, "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!((result.edge, result.status), (Edge::Error, Some(401)));
    let response = result.response.clone().unwrap();
    assert_eq!(response.status, 401);
    assert_eq!(response.headers["x-server"], "test-server");
    assert_eq!(response.headers["content-type"], "application/json");
    assert!(!response.body_truncated);
    let body: Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["trackingId"], TRACKING_ID);
    let error = result.error.clone().unwrap();
    assert_eq!(
        error,
        format!(
            "the answer matched event `Other` (HTTP 401): {}",
            response.body
        )
    );
    assert!(
        error.contains(
            r#"{"message":"The request requires a valid access token set in the Authorization request header.""#
        ),
        "{error}"
    );
    assert!(
        error.contains(&format!(r#""trackingId":"{TRACKING_ID}""#)),
        "{error}"
    );
    assert_eq!(
        result.outputs["status"], 401,
        "outputs are still read on the error edge"
    );

    let serialized = serde_json::to_value(&result).unwrap();
    assert_eq!(serialized["response"]["status"], 401);
    assert_eq!(serialized["response"]["bodyTruncated"], false);
    assert_eq!(serialized["response"]["headers"]["x-server"], "test-server");
    assert_eq!(serialized["response"]["body"], response.body);

    let success = engine()
        .run(&definition(|_| {}), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!((success.edge, success.error), (Edge::Success, None));
    let raw = success.response.unwrap();
    assert_eq!(raw.status, 200, "the raw response comes on every edge");
    assert!(raw.body.starts_with(r#"{"path":"p""#), "{}", raw.body);
}

#[tokio::test]
async fn the_raw_body_is_cut_at_2_kib_on_a_character_boundary_and_the_error_shorter() {
    let base = serve().await;
    let big = |edge: &'static str| {
        definition(move |d| {
            let method = &mut d["methods"][0];
            method["url"] = json!("http://127.0.0.1:1/big/1000?x=$(path)");
            method["responseType"] = json!("text");
            method["events"] = json!([{"name": "Any", "source": {"type": "status"},
                "condition": "exists", "edge": edge}]);
            method["outputs"] = json!([]);
            method["computedOutputs"] = json!([]);
        })
    };
    let result = engine()
        .run(&big("success"), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:?}");
    let raw = result.response.unwrap();
    assert_eq!(raw.headers["content-length"], "3000");
    assert!(raw.body_truncated);
    assert_eq!(
        raw.body,
        SNOWMAN.repeat(682),
        "2046 bytes: a 683rd snowman would end past 2048"
    );

    let failed = engine()
        .run(&big("error"), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    let error = failed.error.unwrap();
    let prefix = "the answer matched event `Any` (HTTP 200): ";
    assert!(error.starts_with(prefix), "{error}");
    let quoted = error[prefix.len()..].strip_suffix('…').unwrap();
    assert!(
        quoted.len() <= 512 && quoted.len() > 500 && quoted.chars().all(|c| c == '☃'),
        "{quoted}"
    );
}

#[tokio::test]
async fn an_answer_over_the_limit_leaves_by_the_error_edge_naming_the_limit() {
    let base = serve().await;
    let at_path = |path: &str| {
        let url = format!("http://127.0.0.1:1{path}?x=$(path)");
        definition(move |d| {
            d["methods"][0]["url"] = json!(url);
            d["methods"][0]["responseType"] = json!("text");
            d["methods"][0]["outputs"] = json!([{"name": "status", "source": {"type": "status"}}]);
            d["methods"][0]["computedOutputs"] = json!([]);
        })
    };
    let small = || engine().with_max_response_bytes(1024);

    // Content-Length says 1200 bytes: refused before the body is read.
    let announced = small()
        .run(&at_path("/big/400"), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!((announced.edge, announced.status), (Edge::Error, Some(200)));
    assert_eq!(
        announced.error.as_deref(),
        Some("the response is larger than the 1 KiB limit")
    );
    assert!(announced.outputs.is_empty(), "no outputs from a cut answer");
    let raw = announced.response.unwrap();
    assert_eq!(raw.headers["content-length"], "1200");
    assert_eq!((raw.body.as_str(), raw.body_truncated), ("", true));

    // No Content-Length: read chunk by chunk and stopped at the limit.
    let streamed = small()
        .run(&at_path("/big-stream/400"), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!((streamed.edge, streamed.status), (Edge::Error, Some(200)));
    assert_eq!(
        streamed.error.as_deref(),
        Some("the response is larger than the 1 KiB limit")
    );
    assert!(streamed.outputs.is_empty());
    let raw = streamed.response.unwrap();
    assert!(!raw.headers.contains_key("content-length"), "{raw:?}");
    assert_eq!(
        (raw.body, raw.body_truncated),
        (SNOWMAN.repeat(341), true),
        "what was read, without the cut character"
    );

    // Exactly at the limit is within it, announced or streamed.
    let announced_at_limit = engine()
        .with_max_response_bytes(1200)
        .run(&at_path("/big/400"), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!(
        (announced_at_limit.edge, announced_at_limit.error),
        (Edge::Success, None)
    );
    let at_limit = engine()
        .with_max_response_bytes(1200)
        .run(&at_path("/big-stream/400"), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!((at_limit.edge, at_limit.error), (Edge::Success, None));
    assert_eq!(at_limit.response.unwrap().body, SNOWMAN.repeat(400));

    // The default limit is 1 MiB.
    let over_default = engine()
        .run(
            &at_path(&format!("/big/{}", 1024 * 1024 / 3 + 1)),
            "Send",
            &usual(),
            &at(&base),
        )
        .await
        .unwrap();
    assert_eq!(
        over_default.error.as_deref(),
        Some("the response is larger than the 1 MiB limit")
    );
    assert_eq!(node::DEFAULT_MAX_RESPONSE_BYTES, 1024 * 1024);
}

#[tokio::test]
async fn a_refused_connection_is_an_error_and_a_silent_server_a_timeout() {
    // Port 1 refuses; a port freed by a dropped listener could be taken by another test.
    let closed: url::Url = "http://127.0.0.1:1".parse().unwrap();
    let p = params(&[("path", "p"), ("chatId", "x"), ("trace", "t")]);
    let refused = engine()
        .run(&definition(|_| {}), "Send", &p, &at(&closed))
        .await
        .unwrap();
    assert_eq!(
        (refused.edge, refused.status, &refused.response),
        (Edge::Error, None, &None)
    );
    let serialized = serde_json::to_value(&refused).unwrap();
    assert!(serialized.get("response").is_none(), "{serialized}");
    assert_eq!(
        refused.error.unwrap(),
        format!(
            "the connection to 127.0.0.1:{} was refused",
            closed.port().unwrap()
        ),
        "refused at once: not a wait for the connection timeout"
    );
    assert!(refused.elapsed_ms < 2000);

    let base = serve().await;
    let slow = definition(|d| {
        d["methods"][0]["url"] = json!("http://127.0.0.1:1/slow?x=$(path)");
        d["methods"][0]["requestTimeoutMs"] = json!(300);
    });
    let timed_out = engine().run(&slow, "Send", &p, &at(&base)).await.unwrap();
    assert_eq!((timed_out.edge, timed_out.status), (Edge::Timeout, None));
    assert_eq!(
        timed_out.error.as_deref(),
        Some("no complete answer within the request timeout of 300 ms")
    );
}

#[tokio::test]
async fn a_name_that_does_not_resolve_says_so() {
    // `.invalid` never resolves (RFC 6761), with a network or without one.
    let nowhere: url::Url = "http://nowhere.invalid:8080".parse().unwrap();
    let result = engine()
        .run(&definition(|_| {}), "Send", &usual(), &at(&nowhere))
        .await
        .unwrap();
    assert_eq!((result.edge, result.status), (Edge::Error, None));
    let error = result.error.unwrap();
    assert!(
        error.starts_with("the name `nowhere.invalid` did not resolve"),
        "{error}"
    );
}

#[tokio::test]
async fn no_message_holds_the_query_string_of_the_request() {
    let base = serve().await;
    // Port 1 refuses; a port freed by a dropped listener could be taken by another test.
    let closed: url::Url = "http://127.0.0.1:1".parse().unwrap();
    let nowhere: url::Url = "http://nowhere.invalid".parse().unwrap();
    // The query carries the secret `api_token` (`tok-123`) twice: in the URL and as a row.
    let with_token = |path: &str| {
        let url = format!("http://127.0.0.1:1{path}?token=$(secret:api_token)&x=$(path)");
        definition(move |d| {
            d["methods"][0]["url"] = json!(url);
            d["methods"][0]["requestTimeoutMs"] = json!(300);
            d["methods"][0]["urlParameters"] =
                json!([{"type": "static", "name": "access_token", "value": "$(secret:api_token)"}]);
        })
    };
    let runs = [
        (with_token("/echo/p"), &closed, Edge::Error),
        (with_token("/echo/p"), &nowhere, Edge::Error),
        (with_token("/slow"), &base, Edge::Timeout),
        (with_token("/html"), &base, Edge::Error),
        (with_token("/status/500"), &base, Edge::Error),
    ];
    for (node, target, edge) in runs {
        let result = engine()
            .run(&node, "Send", &usual(), &at(target))
            .await
            .unwrap();
        assert_eq!(result.edge, edge, "{result:?}");
        let error = result.error.unwrap();
        for leak in ["tok-123", "token=", "?"] {
            assert!(!error.contains(leak), "{leak:?} in {error:?}");
        }
    }
}

#[tokio::test]
async fn a_body_that_is_not_json_when_json_is_expected_is_an_error_with_that_reason() {
    let base = serve().await;
    let html = definition(|d| d["methods"][0]["url"] = json!("http://127.0.0.1:1/html?x=$(path)"));
    let result = engine()
        .run(
            &html,
            "Send",
            &params(&[("path", "p"), ("chatId", "x"), ("trace", "t")]),
            &at(&base),
        )
        .await
        .unwrap();
    assert_eq!((result.edge, result.status), (Edge::Error, Some(200)));
    assert!(
        result
            .error
            .as_deref()
            .unwrap()
            .contains("the response body is not JSON"),
        "{result:?}"
    );
    assert!(result.error.as_deref().unwrap().contains("<html>sign in"));

    let as_text = definition(|d| {
        d["methods"][0]["url"] = json!("http://127.0.0.1:1/html?x=$(path)");
        d["methods"][0]["responseType"] = json!("text");
        d["methods"][0]["outputs"] = json!([{"name": "status", "source": {"type": "status"}}]);
        d["methods"][0]["computedOutputs"] = json!([]);
    });
    let text = engine()
        .run(
            &as_text,
            "Send",
            &params(&[("path", "p"), ("chatId", "x"), ("trace", "t")]),
            &at(&base),
        )
        .await
        .unwrap();
    assert_eq!(
        text.edge,
        Edge::Success,
        "a text response type takes any body"
    );
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let node = definition(|_| {});
    let none = RunOptions::default();
    let missing = engine()
        .run(&node, "Send", &params(&[("path", "p")]), &none)
        .await
        .unwrap_err();
    assert_eq!(
        missing,
        RunError::MissingParameters(vec!["chatId".into(), "trace".into()])
    );
    let unknown = engine()
        .run(
            &node,
            "Send",
            &params(&[
                ("path", "p"),
                ("chatId", "x"),
                ("trace", "t"),
                ("chatid", "typo"),
            ]),
            &none,
        )
        .await
        .unwrap_err();
    assert!(
        matches!(unknown, RunError::UnknownParameters { ref unknown, .. } if unknown == &["chatid"])
    );
    let no_method = engine()
        .run(&node, "Receive", &params(&[]), &none)
        .await
        .unwrap_err();
    assert_eq!(
        no_method.to_string(),
        "the node has no method `Receive`; it has: `Send` (send)"
    );
    let no_secret = Engine::new(Secrets::from_pairs([]))
        .run(
            &node,
            "Send",
            &params(&[("path", "p"), ("chatId", "x"), ("trace", "t")]),
            &none,
        )
        .await
        .unwrap_err();
    assert_eq!(
        no_secret.to_string(),
        "secret `api_token` is not set: set ICNODE_API_TOKEN or put `api_token=...` in the secrets file"
    );
    let not_json = definition(|d| {
        d["methods"][0]["parameters"][2] = json!({"type": "dynamic", "name": "count"})
    });
    let err = engine()
        .run(
            &not_json,
            "Send",
            &params(&[
                ("path", "p"),
                ("chatId", "x"),
                ("trace", "t"),
                ("count", "two"),
            ]),
            &none,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("`$(count)` stands outside a JSON string"),
        "{err}"
    );
}

#[tokio::test]
async fn a_method_is_named_by_its_name_or_its_slug_and_a_refusal_lists_both() {
    let base = serve().await;
    let node = definition(|d| {
        d["methods"][0]["name"] = json!("Send It Now");
        let mut look = d["methods"][0].clone();
        look["name"] = json!("Look");
        d["methods"].as_array_mut().unwrap().push(look);
    });
    for name in ["Send It Now", "send-it-now"] {
        let result = engine().run(&node, name, &usual(), &at(&base)).await;
        assert_eq!(result.map(|r| r.edge), Ok(Edge::Success), "{name}");
    }
    for wrong in ["send it now", "Send-It-Now", ""] {
        let refused = engine()
            .run(&node, wrong, &usual(), &at(&base))
            .await
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            format!(
                "the node has no method `{wrong}`; it has: `Send It Now` (send-it-now), `Look` (look)"
            )
        );
    }
    assert_eq!(node::slug("  Add  Guest! "), "add-guest");
    assert_eq!(node::slug("SMS/Invite v2"), "sms-invite-v2");
    assert_eq!(node::both_forms(["mine", "!!"]), "`mine`, `!!`");
}

#[test]
fn secrets_files_are_read_and_debug_shows_names_only() {
    let dir = tempfile_dir();
    let path = dir.join("secrets");
    std::fs::write(&path, "# comment\n\nBROKER_TOKEN = from-file\n").unwrap();
    // A file others may read is refused, naming it and the fix.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_eq!(
        Secrets::with_file(&path).unwrap_err().to_string(),
        format!(
            "{} can be read by other users (mode 644): a file of secrets must be the owner's \
             alone; chmod 600 it",
            path.display()
        )
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let secrets = Secrets::with_file(&path).unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        secrets.get("broker_token").unwrap().expose_secret(),
        "from-file"
    );
    assert!(!format!("{secrets:?}").contains("from-file"));
    // A PEM key spans lines up to its END line; what follows is read as before.
    let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEA\nAoGBAL==\n-----END PRIVATE KEY-----";
    std::fs::write(
        &path,
        format!("client_key={}\nafter=1\n", pem.replace('\n', "\n  ")),
    )
    .unwrap();
    let secrets = Secrets::with_file(&path).unwrap();
    assert_eq!(secrets.get("client_key").unwrap().expose_secret(), pem);
    assert_eq!(secrets.get("after").unwrap().expose_secret(), "1");
    for (text, error) in [
        ("no equals sign\n", "1: expected NAME=value"),
        (
            "k=-----BEGIN PRIVATE KEY-----\nMIGH\n",
            "1: the PEM block has no -----END line",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        assert_eq!(
            Secrets::with_file(&path).unwrap_err().to_string(),
            format!("{}:{error}", path.display())
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("node-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The node UI of each field is checked before anything is sent, every fault at once; an
/// optional field left empty renders as nothing: its header and URL parameter rows are left
/// out, a JSON string holds "", a JSON value is null.
#[tokio::test]
async fn node_ui_fields_are_checked_before_sending_and_empty_optionals_render_as_nothing() {
    let base = serve().await;
    let node = definition(|d| {
        let m = &mut d["methods"][0];
        m["urlParameters"] = json!([
            {"type": "static", "name": "mode", "value": "x"},
            {"type": "dynamic", "name": "lang"},
            {"type": "dynamic", "name": "region"}
        ]);
        m["parameters"] = json!([
            {"type": "dynamic", "name": "path"},
            {"type": "dynamic", "name": "chatId"},
            {"type": "dynamic", "name": "count"},
            {"type": "dynamic", "name": "note"}
        ]);
        m["body"]["template"] =
            json!("{\"sub\": \"$(chatId)\", \"n\": $(count), \"note\": \"$(note)\"}");
        m["fields"] = json!([
            {"name": "chatId", "label": "Chat", "tooltip": "the meeting", "regex": "[a-z0-9-]{1,20}"},
            {"name": "count", "type": "number", "mandatory": false},
            {"name": "note", "mandatory": false},
            {"name": "trace", "mandatory": false},
            {"name": "lang", "mandatory": false, "default": "en"},
            {"name": "region", "mandatory": false},
            {"name": "path", "default": "p"}
        ]);
        m["outputs"] = json!([{"name": "all", "source": {"type": "body", "path": "$"}}]);
        m["computedOutputs"] = json!([]);
    });
    let result = engine()
        .run(&node, "Send", &params(&[("chatId", "visit-1")]), &at(&base))
        .await
        .unwrap();
    let echoed = &result.outputs["all"];
    assert_eq!(echoed["path"], "p", "the default stands in");
    assert_eq!(
        echoed["query"], "mode=x&lang=en",
        "an empty optional row is left out"
    );
    assert_eq!(
        echoed["headers"]["x-trace"],
        Value::Null,
        "so is its header"
    );
    assert_eq!(
        echoed["body"],
        json!({"sub": "visit-1", "n": null, "note": ""})
    );

    let given = engine()
        .run(
            &node,
            "Send",
            &params(&[
                ("chatId", "visit-2"),
                ("count", "3"),
                ("trace", "t"),
                ("region", "eu"),
            ]),
            &at(&base),
        )
        .await
        .unwrap();
    assert_eq!(given.outputs["all"]["body"]["n"], 3);
    assert_eq!(given.outputs["all"]["query"], "mode=x&lang=en&region=eu");

    let refused = engine()
        .run(
            &node,
            "Send",
            &params(&[("chatId", "Not OK"), ("count", "two")]),
            &at(&base),
        )
        .await
        .unwrap_err();
    let RunError::InvalidParameters(errors) = refused else {
        panic!("expected invalid parameters, got {refused:?}");
    };
    let named: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| (e.field.as_str(), e.rule.as_str()))
        .collect();
    assert_eq!(
        named,
        [
            ("chatId", "must match the regex `[a-z0-9-]{1,20}`"),
            ("count", "must be a number such as 42 or -1.5"),
        ]
    );
    let missing = engine()
        .run(&node, "Send", &params(&[("count", "1")]), &at(&base))
        .await
        .unwrap_err();
    assert_eq!(missing, RunError::MissingParameters(vec!["chatId".into()]));
}

/// Basic authorization: user and password, static (secrets by name) or dynamic.
#[tokio::test]
async fn basic_authorization_sends_the_user_and_password_it_is_given() {
    let base = serve().await;
    let echo_auth = |authorization: Value| {
        definition(move |d| {
            let m = &mut d["methods"][0];
            m["headers"] = json!([{"type": "dynamic", "name": "X-Trace", "field": "trace"}]);
            m["authorization"] = authorization;
            m["outputs"] = json!([{"name": "auth", "source": {"type": "body", "path": "$.headers.authorization"}}]);
            m["computedOutputs"] = json!([]);
        })
    };
    let fixed = echo_auth(json!({"type": "basic",
        "username": {"type": "static", "value": "ana"},
        "password": {"type": "static", "value": "$(secret:api_token)"}}));
    let result = engine()
        .run(&fixed, "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!(
        result.outputs["auth"], "Basic YW5hOnRvay0xMjM=",
        "ana:tok-123"
    );

    let given = echo_auth(json!({"type": "basic",
        "username": {"type": "dynamic", "field": "user"},
        "password": {"type": "dynamic", "field": "pass"}}));
    assert!(given.methods[0].dynamic_fields().contains(&"user"));
    let mut with_user = usual();
    with_user.insert("user".into(), "bob".into());
    with_user.insert("pass".into(), "s3cr\u{e9}t".into());
    let result = engine()
        .run(&given, "Send", &with_user, &at(&base))
        .await
        .unwrap();
    assert_eq!(
        result.outputs["auth"], "Basic Ym9iOnMzY3LDqXQ=",
        "bob:s3crét"
    );
    let missing = engine()
        .run(&given, "Send", &usual(), &at(&base))
        .await
        .unwrap_err();
    assert_eq!(
        missing,
        RunError::MissingParameters(vec!["user".into(), "pass".into()])
    );
}

/// A server that counts the requests it gets, answering each after `delay`.
pub(crate) async fn counting(
    delay: Duration,
) -> (url::Url, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    let router = Router::new().route(
        "/echo/{path}",
        any(move || {
            let seen = Arc::clone(&seen);
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                axum::Json(json!({"ok": true}))
            }
        }),
    );
    let url = spawn_router(router).await;
    (url, count)
}

fn throttled(throttling: Value) -> NodeDefinition {
    definition(move |d| {
        let m = &mut d["methods"][0];
        m["throttling"] = throttling;
        m["outputs"] = json!([{"name": "status", "source": {"type": "status"}}]);
        m["computedOutputs"] = json!([]);
        m["events"] = json!([
            {"name": "Ok", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"},
            {"name": "Busy", "source": {"type": "status"}, "condition": "equals", "value": "430", "edge": "success"},
            {"name": "Other", "source": {"type": "status"}, "condition": "not equals", "value": "200", "edge": "error"}
        ]);
    })
}

/// Each limit stops the run over it before anything is sent, with its own status, and the
/// run leaves by the edge that status matches.
#[tokio::test]
async fn throttled_runs_send_nothing_and_leave_by_the_edge_their_status_matches() {
    use std::sync::atomic::Ordering;
    let (base, count) = counting(Duration::ZERO).await;
    let rate = throttled(json!({"rate": {"requests": 2, "perSeconds": 3600}}));
    let engine = engine();
    for _ in 0..2 {
        let ok = engine
            .run(&rate, "Send", &usual(), &at(&base))
            .await
            .unwrap();
        assert_eq!(ok.edge, Edge::Success);
    }
    let over = engine
        .run(&rate, "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!((over.edge, over.status), (Edge::Error, Some(429)));
    assert!(over.error.unwrap().contains("rate limit of 2 per 3600 s"));
    assert_eq!(over.outputs["status"], 429);
    assert!(over.response.is_none());
    assert_eq!(
        count.load(Ordering::SeqCst),
        2,
        "the third run sent nothing"
    );

    let volume = throttled(json!({"volume": {"requests": 1, "perSeconds": 86400}}));
    engine
        .run(&volume, "Send", &usual(), &at(&base))
        .await
        .unwrap();
    let over = engine
        .run(&volume, "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!(over.status, Some(431));
    assert_eq!(count.load(Ordering::SeqCst), 3);

    // One in flight at a time: the second, meanwhile, leaves by the edge 430 matches.
    let (slow, slow_count) = counting(Duration::from_millis(800)).await;
    let one = std::sync::Arc::new(throttled(json!({"concurrency": 1})));
    let engine = std::sync::Arc::new(engine);
    let first = {
        let (engine, one, slow) = (engine.clone(), one.clone(), slow.clone());
        tokio::spawn(async move { engine.run(&one, "Send", &usual(), &at(&slow)).await })
    };
    while slow_count.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let busy = engine
        .run(&one, "Send", &usual(), &at(&slow))
        .await
        .unwrap();
    assert_eq!((busy.edge, busy.status), (Edge::Success, Some(430)));
    assert!(busy.error.unwrap().contains("concurrency limit of 1"));
    assert_eq!(first.await.unwrap().unwrap().status, Some(200));
    let after = engine
        .run(&one, "Send", &usual(), &at(&slow))
        .await
        .unwrap();
    assert_eq!(after.status, Some(200), "the place is free again");
    assert_eq!(slow_count.load(Ordering::SeqCst), 2);
}

/// A server that wants HTTP Digest (RFC 7616) with `algorithm`: it challenges a request
/// without a valid answer, and checks an answer by computing the digest itself.
async fn digest_server(algorithm: &'static str) -> url::Url {
    use axum::extract::OriginalUri;
    use md5::Md5;
    use sha2::{Digest, Sha256};

    fn hash(algorithm: &str, text: &str) -> String {
        let bytes: Vec<u8> = match algorithm {
            "MD5" => Md5::digest(text.as_bytes()).to_vec(),
            _ => Sha256::digest(text.as_bytes()).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    let handler = move |OriginalUri(uri): OriginalUri,
                        method: axum::http::Method,
                        headers: HeaderMap| async move {
        let params: std::collections::HashMap<String, String> = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Digest "))
            .map(|list| {
                list.split(',')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .map(|(k, v)| (k.to_owned(), v.trim_matches('"').to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let get = |k: &str| params.get(k).cloned().unwrap_or_default();
        let ha1 = hash(
            algorithm,
            &format!("{}:icnode-test:tok-123", get("username")),
        );
        let ha2 = hash(algorithm, &format!("{method}:{}", get("uri")));
        let expected = hash(
            algorithm,
            &format!("{ha1}:n0nce:{}:{}:auth:{ha2}", get("nc"), get("cnonce")),
        );
        let valid = get("username") == "ana"
            && get("uri") == uri.to_string()
            && get("nonce") == "n0nce"
            && get("qop") == "auth"
            && get("response") == expected;
        if valid {
            (StatusCode::OK, axum::Json(json!({"ok": true}))).into_response()
        } else {
            let challenge = format!(
                "Digest realm=\"icnode-test\", qop=\"auth\", algorithm={algorithm}, nonce=\"n0nce\", opaque=\"0paque\""
            );
            (
                StatusCode::UNAUTHORIZED,
                [("www-authenticate", challenge)],
                axum::Json(json!({"ok": false})),
            )
                .into_response()
        }
    };
    let router = Router::new().route("/echo/{path}", any(handler));
    spawn_router(router).await
}

/// Digest authorization answers the server's challenge (MD5 and SHA-256); a wrong password
/// leaves by the error edge with the server's 401.
#[tokio::test]
async fn digest_authorization_answers_the_challenge_with_md5_and_sha_256() {
    let digest = |password: &str| {
        let password = password.to_owned();
        definition(move |d| {
            let m = &mut d["methods"][0];
            m["headers"] = json!([{"type": "dynamic", "name": "X-Trace", "field": "trace"}]);
            m["authorization"] = json!({"type": "digest",
                "username": {"type": "static", "value": "ana"},
                "password": {"type": "static", "value": password}});
            m["outputs"] = json!([{"name": "ok", "source": {"type": "body", "path": "$.ok"}}]);
            m["computedOutputs"] = json!([]);
        })
    };
    for algorithm in ["MD5", "SHA-256"] {
        let base = digest_server(algorithm).await;
        let result = engine()
            .run(&digest("$(secret:api_token)"), "Send", &usual(), &at(&base))
            .await
            .unwrap();
        assert_eq!(result.edge, Edge::Success, "{algorithm}: {result:?}");
        assert_eq!(result.outputs["ok"], true);
    }
    let base = digest_server("SHA-256").await;
    let wrong = Engine::new(Secrets::from_pairs([("api_token", "not-it")]))
        .run(&digest("$(secret:api_token)"), "Send", &usual(), &at(&base))
        .await
        .unwrap();
    assert_eq!((wrong.edge, wrong.status), (Edge::Error, Some(401)));
}

/// An OAuth 2.0 token endpoint that counts what it issues (`tok-1`, `tok-2`, ...) and a
/// service that accepts only tokens from `tok-<floor>` on. The endpoint checks the client's
/// credentials (HTTP Basic, as RFC 6749 prefers) and the grant.
pub(crate) struct OauthWorld {
    pub base: url::Url,
    pub issued: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    pub floor: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

pub(crate) async fn oauth_world() -> OauthWorld {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let issued = Arc::new(AtomicUsize::new(0));
    let floor = Arc::new(AtomicUsize::new(1));
    let (count, minimum) = (Arc::clone(&issued), Arc::clone(&floor));
    let token = move |headers: HeaderMap, body: String| {
        let count = Arc::clone(&count);
        async move {
            let form: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(body.as_bytes())
                    .into_owned()
                    .collect();
            // client:cs-1 in Basic.
            let client_ok = headers.get("authorization").and_then(|v| v.to_str().ok())
                == Some("Basic Y2xpZW50OmNzLTE=");
            let grant_ok = match form.get("grant_type").map(String::as_str) {
                Some("client_credentials") => true,
                Some("refresh_token") => {
                    form.get("refresh_token").map(String::as_str) == Some("rt-1")
                }
                _ => false,
            };
            if !(client_ok && grant_ok) {
                return (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"error": "invalid_client"})),
                );
            }
            // A slow endpoint, so that concurrent runs would stampede if they could.
            tokio::time::sleep(Duration::from_millis(150)).await;
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            (
                StatusCode::OK,
                axum::Json(
                    json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": 3600}),
                ),
            )
        }
    };
    let resource = move |headers: HeaderMap| {
        let minimum = Arc::clone(&minimum);
        async move {
            let n: usize = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer tok-"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            if n >= minimum.load(Ordering::SeqCst) {
                (StatusCode::OK, axum::Json(json!({"ok": true, "token": n})))
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(json!({"ok": false, "token": n})),
                )
            }
        }
    };
    let router = Router::new()
        .route("/token", axum::routing::post(token))
        .route("/echo/{path}", any(resource));
    let base = spawn_router(router).await;
    OauthWorld {
        base,
        issued,
        floor,
    }
}

pub(crate) fn oauth_node(base: &url::Url, grant: Value) -> NodeDefinition {
    let token_url = format!("{base}token");
    definition(move |d| {
        let m = &mut d["methods"][0];
        m["headers"] = json!([{"type": "dynamic", "name": "X-Trace", "field": "trace"}]);
        m["authorization"] = json!({"type": "oauth2", "tokenUrl": token_url,
            "clientId": {"type": "static", "value": "client"},
            "clientSecret": {"type": "static", "value": "$(secret:client_secret)"},
            "grant": grant, "scopes": ["tickets"]});
        m["outputs"] = json!([{"name": "token", "source": {"type": "body", "path": "$.token"}}]);
        m["computedOutputs"] = json!([]);
    })
}

pub(crate) fn oauth_engine(client_secret: &str) -> Engine {
    Engine::new(Secrets::from_pairs([
        ("api_token", "tok-123"),
        ("client_secret", client_secret),
        ("refresh", "rt-1"),
    ]))
}

/// One token for concurrent runs, cached; a 401 refreshes it once, however many runs meet it.
#[tokio::test]
async fn oauth2_tokens_are_cached_shared_and_refreshed_once_on_a_401() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;
    let world = oauth_world().await;
    let node = Arc::new(oauth_node(
        &world.base,
        json!({"type": "clientCredentials"}),
    ));
    let engine = Arc::new(oauth_engine("cs-1"));
    let runs = |n: usize| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let (engine, node, base) = (engine.clone(), node.clone(), world.base.clone());
                tokio::spawn(async move { engine.run(&node, "Send", &usual(), &at(&base)).await })
            })
            .collect();
        async move {
            let mut tokens = Vec::new();
            for handle in handles {
                let result = handle.await.unwrap().unwrap();
                assert_eq!(result.edge, Edge::Success, "{result:?}");
                tokens.push(result.outputs["token"].clone());
            }
            tokens
        }
    };
    assert_eq!(runs(5).await, vec![json!(1); 5]);
    assert_eq!(
        world.issued.load(Ordering::SeqCst),
        1,
        "one token for five runs"
    );
    assert_eq!(runs(3).await, vec![json!(1); 3], "cached");
    assert_eq!(world.issued.load(Ordering::SeqCst), 1);

    // The service stops taking tok-1: every run meets a 401, one refresh serves them all.
    world.floor.store(2, Ordering::SeqCst);
    assert_eq!(runs(4).await, vec![json!(2); 4]);
    assert_eq!(world.issued.load(Ordering::SeqCst), 2, "refreshed once");

    let refresh = oauth_node(
        &world.base,
        json!({"type": "refreshToken", "refreshToken": {"type": "static", "value": "$(secret:refresh)"}}),
    );
    let result = oauth_engine("cs-1")
        .run(&refresh, "Send", &usual(), &at(&world.base))
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:?}");

    let refused = oauth_engine("wrong")
        .run(&node, "Send", &usual(), &at(&world.base))
        .await
        .unwrap();
    assert_eq!((refused.edge, refused.status), (Edge::Error, None));
    let error = refused.error.unwrap();
    assert!(error.contains("no OAuth 2.0 token from"), "{error}");
    assert!(!error.contains("wrong"), "the secret is not told: {error}");
}

#[tokio::test]
async fn a_public_only_engine_refuses_local_addresses_by_literal_and_by_name() {
    let (base, count) = counting(Duration::ZERO).await;
    let port = base.port().unwrap();
    let p = usual();
    let public_only = || engine().with_destinations(node::Destinations::Public);
    for host in [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "10.0.0.1",
        "169.254.169.254",
        "[::ffff:127.0.0.1]",
    ] {
        let target: url::Url = format!("http://{host}:{port}").parse().unwrap();
        let run = public_only()
            .run(&definition(|_| {}), "Send", &p, &at(&target))
            .await
            .unwrap();
        assert_eq!((run.edge, run.status), (Edge::Error, None), "{host}");
        let error = run.error.unwrap();
        assert!(
            error.contains("private or local address"),
            "{host}: {error}"
        );
    }
    assert_eq!(
        count.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing was sent"
    );

    let allowed = engine()
        .run(&definition(|_| {}), "Send", &p, &at(&base))
        .await
        .unwrap();
    assert_eq!(allowed.edge, Edge::Success, "{:?}", allowed.error);
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_redirect_is_the_answer_and_never_followed() {
    let (elsewhere, count) = counting(Duration::ZERO).await;
    let location = format!("{elsewhere}echo/taken");
    let redirecting = spawn_router(Router::new().route(
        "/echo/{path}",
        any(move || {
            let location = location.clone();
            async move { (StatusCode::FOUND, [("location", location)], "") }
        }),
    ))
    .await;
    let run = engine()
        .run(&definition(|_| {}), "Send", &usual(), &at(&redirecting))
        .await
        .unwrap();
    assert_eq!(run.status, Some(302));
    assert_eq!(run.edge, Edge::Error, "no event matches a 302");
    assert_eq!(
        count.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the other host got nothing"
    );
}

/// Three retries, each after exactly `wait`.
fn waiting(wait: Duration) -> resilience::RetryPolicy {
    resilience::RetryPolicy {
        base_delay: wait,
        max_delay: wait,
        jitter: resilience::Jitter::Fixed { per_mille: 1000 },
        ..resilience::RetryPolicy::with_retries(3)
    }
}

/// With retries asked for, a run tries again what the service did not act on (a 503, a
/// connection refused) and nothing else (a 500, a connection dropped after the request).
#[tokio::test]
async fn a_run_retries_what_was_not_acted_on_and_nothing_else() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&seen);
    let flaky = spawn_router(Router::new().route(
        "/echo/{path}",
        any(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                match n {
                    0 => (StatusCode::SERVICE_UNAVAILABLE, "busy".to_owned()),
                    1 => (StatusCode::INTERNAL_SERVER_ERROR, "broken".to_owned()),
                    _ => (StatusCode::OK, "{\"ok\": true}".to_owned()),
                }
            }
        }),
    ))
    .await;
    let retrying = RunOptions {
        retry: waiting(Duration::from_millis(10)),
        ..at(&flaky)
    };
    let run = engine()
        .run(&definition(|_| {}), "Send", &usual(), &retrying)
        .await
        .unwrap();
    // The 503 was tried again; the 500 that came next was the answer.
    assert_eq!(run.status, Some(500), "{run:?}");
    assert_eq!(seen.load(Ordering::SeqCst), 2);

    // Refused, then listening: the second try is answered.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let address = socket.local_addr().unwrap();
    let target: url::Url = format!("http://{address}/").parse().unwrap();
    let listening = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let listener = socket.listen(16).unwrap();
        let router = Router::new().route("/echo/{path}", any(|| async { "{\"ok\": true}" }));
        axum::serve(listener, router).await.unwrap();
    });
    let options = RunOptions {
        retry: waiting(Duration::from_millis(50)),
        ..at(&target)
    };
    let run = engine()
        .run(&definition(|_| {}), "Send", &usual(), &options)
        .await
        .unwrap();
    assert_eq!(run.status, Some(200), "{run:?}");
    listening.abort();

    // A connection dropped after the request was sent may have been acted on: not tried again.
    let dropping = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target: url::Url = format!("http://{}/", dropping.local_addr().unwrap())
        .parse()
        .unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&accepted);
    let dropper = tokio::spawn(async move {
        loop {
            let (mut stream, _) = dropping.accept().await.unwrap();
            counted.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut request).await;
            drop(stream);
        }
    });
    let run = engine()
        .run(
            &definition(|_| {}),
            "Send",
            &usual(),
            &RunOptions {
                retry: options.retry,
                ..at(&target)
            },
        )
        .await
        .unwrap();
    assert_eq!((run.edge, run.status), (Edge::Error, None), "{run:?}");
    assert_eq!(
        accepted.load(Ordering::SeqCst),
        1,
        "a dropped answer is not tried again"
    );
    dropper.abort();
}

/// A token that expires within the margin is not sent: each run fetches a fresh one.
#[tokio::test]
async fn a_token_about_to_expire_is_fetched_afresh_rather_than_sent() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let issued = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&issued);
    let router = Router::new()
        .route(
            "/token",
            axum::routing::post(move || {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                async move {
                    axum::Json(json!({"access_token": format!("tok-{n}"), "token_type": "bearer", "expires_in": 20}))
                }
            }),
        )
        .route("/echo/{path}", any(|| async { axum::Json(json!({"token": 1})) }));
    let base = spawn_router(router).await;
    let node = oauth_node(&base, json!({"type": "clientCredentials"}));
    let engine = oauth_engine("cs-1");
    for _ in 0..2 {
        let run = engine
            .run(&node, "Send", &usual(), &at(&base))
            .await
            .unwrap();
        assert_eq!(run.edge, Edge::Success, "{run:?}");
    }
    assert_eq!(
        issued.load(Ordering::SeqCst),
        2,
        "a 20-second token is not kept"
    );
}
