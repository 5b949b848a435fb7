//! A catalogue of hostile requests against every route of the service and of the local broker
//! beside it: wrong types, huge numbers, deep nesting, 60 KB strings, invalid UTF-8, control
//! characters, traversal in ids, oversized headers, clients that trickle bytes. Every answer is
//! a clear 4xx (never a 5xx, never a crash), and what was stored before is still there, whole,
//! afterwards.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Db, Options, TestApp, on_both_databases, spawn_app_with};

/// The POST routes that take a JSON body, with a valid target where they need one.
const BODY_ROUTES: [&str; 8] = [
    "/v1/meetings",
    "/v1/meetings/kept/guests",
    "/v1/meetings/kept/hosts",
    "/v1/meetings/kept/invite",
    "/v1/nodes/instant-connect/generate-basic-link",
    "/v1/nodes/instant-connect/add-guest",
    "/console/f/meetings",
    "/console/f/meetings/kept/guests",
];

/// Bodies no route may choke on.
fn hostile_bodies() -> Vec<(String, Vec<u8>)> {
    let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_object = format!("{}{}", "{\"a\":".repeat(5_000), "}".repeat(5_000));
    let long = "x".repeat(60 * 1024 - 100);
    let json_bodies = [
        json!([]),
        json!("a string"),
        json!(null),
        json!(12),
        json!({"chatId": {"nested": true}}),
        json!({"hosts": "two", "guests": [1, 2]}),
        json!({"hosts": 1e308, "guests": -1e308}),
        json!({"ttlSeconds": u64::MAX, "count": i64::MIN}),
        json!({"expiresAt": -1, "notBefore": i64::MAX}),
        json!({"chatId": long}),
        json!({"chatId": "a\u{0000}b"}),
        json!({"chatId": "\u{001b}[31mred\u{001b}[0m"}),
        json!({"chatId": "../../etc/passwd"}),
        json!({"chatId": "'; DROP TABLE meetings; --"}),
        json!({"phones": ["+1".repeat(5000)], "uniquechatId": long}),
        json!({"phones": ["\u{202e}+14155550100"]}),
        json!({"uniquechatId": "<script>alert(1)</script>", "guests": "\u{0007}"}),
    ];
    let mut bodies: Vec<(String, Vec<u8>)> = json_bodies
        .into_iter()
        .map(|body| {
            let text = body.to_string();
            (text.chars().take(60).collect(), text.into_bytes())
        })
        .collect();
    bodies.extend([
        ("deep array".to_owned(), deep.into_bytes()),
        ("deep object".to_owned(), deep_object.into_bytes()),
        (
            "invalid UTF-8".to_owned(),
            b"{\"chatId\": \"\xff\xfe\xc0\"}".to_vec(),
        ),
        (
            "a number past f64".to_owned(),
            b"{\"hosts\": 1e999}".to_vec(),
        ),
        (
            "a 20-digit integer".to_owned(),
            b"{\"guests\": 18446744073709551616}".to_vec(),
        ),
        ("truncated JSON".to_owned(), b"{\"chatId\": \"a".to_vec()),
        (
            "a lone surrogate".to_owned(),
            b"{\"chatId\": \"\\ud800\"}".to_vec(),
        ),
        ("NUL bytes".to_owned(), vec![0; 512]),
        (
            "70 KB".to_owned(),
            format!("{{\"chatId\": \"{}\"}}", "y".repeat(70 * 1024)).into_bytes(),
        ),
    ]);
    bodies
}

/// Paths with hostile ids, on every route that takes one.
fn hostile_paths() -> Vec<String> {
    let ids = [
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "..",
        "%ff%fe",
        "%00",
        "a%0Ab",
        "%E2%80%AE",
        "x".repeat(30 * 1024).leak(),
        "%25%25",
        "%3Cscript%3E",
    ];
    let mut paths = Vec::new();
    for id in ids {
        paths.push(format!("/v1/meetings/{id}"));
        paths.push(format!("/v1/meetings/{id}/guests"));
        paths.push(format!("/v1/nodes/{id}/{id}"));
        paths.push(format!("/console/f/meetings/{id}"));
        paths.push(format!("/meetings/{id}"));
        paths.push(format!("/nodes/{id}/{id}"));
    }
    for query in [
        "limit=99999999999999999999999",
        "limit=-1",
        "limit=1e3",
        "cursor=%ff%ff",
        "cursor=eyJ0IjoiJzsgRFJPUCJ9",
        "chatIdPrefix=%25",
        "chatIdPrefix=%00",
        "limit=1&limit=2",
    ] {
        paths.push(format!("/v1/meetings?{query}"));
        paths.push(format!("/console/f/meetings?{query}"));
    }
    paths
}

fn percent_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

fn assert_clear_4xx(what: &str, status: StatusCode, body: &str) {
    assert!(
        status.is_client_error(),
        "{what}: got {status}, body {}",
        body.chars().take(300).collect::<String>()
    );
}

/// One request over a fresh connection, written by hand: the head as given, then the body.
async fn raw(app: &TestApp, head: &[u8], body: &[u8]) -> (Option<u16>, String) {
    let address = app.url.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(head).await.unwrap();
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok());
    (status, text)
}

async fn every_hostile_request_gets_a_clear_4xx_and_nothing_stored_is_lost(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            rate_limit_per_minute: None,
            ..Options::default()
        },
    )
    .await;
    let (status, kept) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "kept", "hosts": 1, "guests": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{kept}");
    let mut tried = 0;

    for route in BODY_ROUTES {
        for (name, body) in hostile_bodies() {
            for content_type in ["application/json", "text/plain"] {
                let response = app
                    .http
                    .post(format!("{}{route}", app.url))
                    .bearer_auth(&app.key)
                    .header("content-type", content_type)
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let text = response.text().await.unwrap();
                let what = format!("POST {route} {name} ({content_type})");
                if status.is_success() {
                    // Hostile-looking but valid (`../../etc/passwd` is a fine chat id): stored
                    // as text, read back the same, and escaped wherever it is shown.
                    assert!(!text.contains("<script>alert"), "{what}: unescaped");
                    if let Ok(made) = serde_json::from_str::<Value>(&text)
                        && let Some(chat_id) = made["chatId"].as_str()
                    {
                        let id = percent_encode(chat_id);
                        let (status, stored) = app.get(&format!("/v1/meetings/{id}")).await;
                        assert_eq!(status, StatusCode::OK, "{what}");
                        assert_eq!(stored["chatId"], chat_id, "{what}");
                    }
                } else {
                    assert_clear_4xx(&what, status, &text);
                }
                tried += 1;
            }
        }
    }

    for path in hostile_paths() {
        for method in [Method::GET, Method::POST, Method::DELETE, Method::PUT] {
            let response = app
                .http
                .request(method.clone(), format!("{}{path}", app.url))
                .bearer_auth(&app.key)
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            if !status.is_success() {
                assert_clear_4xx(&format!("{method} {path}"), status, &text);
            } else {
                assert!(!text.contains("<script>"), "{method} {path}: {text}");
            }
            tried += 1;
        }
    }

    // The local broker's routes, behind the same catalogue: its JSON API, join pages, short
    // links and local routes. A 2xx is allowed where a hostile-looking value is valid, but
    // never a 5xx, and no page echoes a script.
    let cipher = kept["guests"][0]["cipher"].as_str().unwrap().to_owned();
    for route in [
        "/api/v2/joseencrypt",
        "/api/v1/joseencrypt",
        "/api/v1/sms/meetingInvite",
        "/api/v1/space?int=jose",
    ] {
        for (name, body) in hostile_bodies() {
            let response = app
                .http
                .post(format!("{}{route}", app.broker_url))
                .bearer_auth(crate::BROKER_TOKEN)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let text = response.text().await.unwrap();
            assert!(
                !status.is_server_error(),
                "broker POST {route} {name}: {status} {text}"
            );
            tried += 1;
        }
    }
    let mut broker_paths: Vec<String> = Vec::new();
    for garbage in [
        "%ff%fe",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        &"A".repeat(30 * 1024),
        &format!("{}x", &cipher[..cipher.len() / 2]),
        "eyJhbGciOiJQQkVTMi1IUzUxMitBMjU2S1ciLCJwMmMiOjEwMDAwMDAwMDB9.a.b.c.d",
    ] {
        for page in ["hc/v1/login", "hc/v1/talk", "gen/v1/talk", "cc/v1/login"] {
            broker_paths.push(format!("/{page}?int=jose&v=1&data={garbage}"));
            broker_paths.push(format!("/{page}?int={garbage}&data={garbage}"));
        }
        broker_paths.push(format!("/api/v1/space?int=jose&data={garbage}"));
        broker_paths.push(format!("/visit/{garbage}"));
        broker_paths.push(format!("/_icnode/meetings/{garbage}"));
        broker_paths.push(format!("/_icnode/joins?after={garbage}&limit={garbage}"));
    }
    for path in broker_paths {
        for method in [Method::GET, Method::POST] {
            let response = app
                .http
                .request(method.clone(), format!("{}{path}", app.broker_url))
                .bearer_auth(crate::BROKER_TOKEN)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let html = response
                .headers()
                .get("content-type")
                .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
            let text = response.text().await.unwrap();
            let what = format!(
                "broker {method} {}",
                path.chars().take(120).collect::<String>()
            );
            assert!(!status.is_server_error(), "{what}: {status}");
            // JSON may carry a value as it was sent; a page must not.
            assert!(
                !(html && text.contains("<script>alert")),
                "{what}: a script echoed"
            );
            tried += 1;
        }
    }

    // Headers: too many, too large, hostile values.
    let many: String = (0..150).map(|i| format!("x-h{i}: v\r\n")).collect();
    let large = format!("x-big: {}\r\n", "z".repeat(100 * 1024));
    for (name, headers) in [("150 headers", many), ("a 100 KB header", large)] {
        let head =
            format!("GET /healthz HTTP/1.1\r\nhost: x\r\n{headers}connection: close\r\n\r\n");
        let (status, text) = raw(&app, head.as_bytes(), b"").await;
        assert_eq!(
            status,
            Some(431),
            "{name}: {}",
            text.chars().take(200).collect::<String>()
        );
        tried += 1;
    }
    for (name, value) in [
        ("a 10 KB key", format!("Bearer {}", "k".repeat(10 * 1024))),
        ("no scheme", "icn_x_y".to_owned()),
        ("a key with NUL", "Bearer icn_a\u{0}_b".to_owned()),
    ] {
        let head = format!(
            "GET /v1/meetings HTTP/1.1\r\nhost: x\r\nauthorization: {value}\r\nconnection: close\r\n\r\n"
        );
        let (status, text) = raw(&app, head.as_bytes(), b"").await;
        assert!(
            matches!(status, Some(400 | 401)),
            "{name}: {status:?} {}",
            text.chars().take(200).collect::<String>()
        );
        tried += 1;
    }
    let head = b"GET /v1/meetings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer \xff\xfe\r\nconnection: close\r\n\r\n";
    let (status, _) = raw(&app, head, b"").await;
    assert!(matches!(status, Some(400 | 401)), "{status:?}");
    for key in ["x".repeat(300), "a\tb".to_owned(), "é".to_owned()] {
        let response = app
            .http
            .post(format!("{}/v1/meetings", app.url))
            .bearer_auth(&app.key)
            .header("idempotency-key", key.as_bytes())
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "Idempotency-Key {key:?}"
        );
        tried += 2;
    }
    let head = b"GET /v1/meetings/%ff HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n";
    let (status, _) = raw(&app, head, b"").await;
    assert!(matches!(status, Some(400..=499)), "{status:?}");
    let head = b"POST /v1/meetings HTTP/1.1\r\nhost: x\r\ncontent-length: 99999999999999999999\r\nconnection: close\r\n\r\n";
    let (status, _) = raw(&app, head, b"{}").await;
    assert!(
        matches!(status, Some(400..=499)),
        "a content-length past u64: {status:?}"
    );
    tried += 2;

    // Still alive, and what was stored before is whole.
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let (status, stored) = app.get("/v1/meetings/kept").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(stored["hosts"], kept["hosts"]);
    assert_eq!(stored["guests"].as_array().unwrap().len(), 2);
    let (_, page) = app.get("/v1/meetings?limit=1000").await;
    let chat_ids: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["chatId"])
        .collect();
    // Hostile bodies that were valid meetings made meetings with hostile-looking chat ids,
    // stored as text; none made anything else.
    assert!(
        chat_ids.iter().all(|id| id
            .as_str()
            .is_some_and(|id| !id.chars().any(char::is_control))),
        "{chat_ids:?}"
    );
    eprintln!("hostile requests tried: {tried}");
    assert!(tried > 500, "{tried}");
}

async fn clients_that_trickle_bytes_are_cut_off(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            header_read_timeout: Some(Duration::from_millis(500)),
            body_read_timeout: Some(Duration::from_millis(500)),
            ..Options::default()
        },
    )
    .await;
    let address = app.url.trim_start_matches("http://").to_owned();

    // Headers a byte at a time, never finished.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(b"POST /v1/meetings HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let closed = async {
        let mut buffer = [0u8; 1024];
        loop {
            if stream.write_all(b"x").await.is_err() {
                return;
            }
            if let Ok(Ok(0) | Err(_)) =
                tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buffer)).await
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("the server cut off a client trickling its headers");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );

    // A body a byte at a time: 408 once its time is up, and the connection closes.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/meetings HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n",
        app.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let trickle = async {
        let mut buffer = [0u8; 4096];
        loop {
            let _ = stream.write_all(b" ").await;
            match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buffer)).await {
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(n)) => answer.extend_from_slice(&buffer[..n]),
                Err(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .expect("the server cut off a client trickling its body");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");

    // A client at a normal pace is not affected.
    let (status, meeting) = app.post("/v1/meetings", json!({"chatId": "on-time"})).await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(app.meeting_count().await, 1);
}

on_both_databases!(
    every_hostile_request_gets_a_clear_4xx_and_nothing_stored_is_lost,
    clients_that_trickle_bytes_are_cut_off,
);
