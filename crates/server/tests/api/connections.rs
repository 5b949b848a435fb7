//! What a connection may hold: a deadline for the first request and an idle time after each
//! answer, whatever the protocol (HTTP/1, HTTP/2 with prior knowledge, TLS), a cap on how many
//! are held, and the client's address in the access log. Connections are the process's, not
//! the database's, so these run on SQLite only.

use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Db, Options, TestApp, captured_logs, spawn_app_with};

/// What a client sends to start HTTP/2 without TLS: the preface and an empty SETTINGS frame.
const H2C_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";

fn address(app: &TestApp) -> String {
    let port = app.url.rsplit(':').next().unwrap();
    format!("127.0.0.1:{port}")
}

/// How long after `since` the server closed `stream` (it reads end of file or an error),
/// reading and dropping whatever it sends first; `None` if it is still open after `within`.
async fn closed_after(
    stream: &mut TcpStream,
    since: Instant,
    within: Duration,
) -> Option<Duration> {
    let mut buffer = [0u8; 4096];
    let read_to_end = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read_to_end)
        .await
        .ok()
        .map(|()| since.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_says_nothing_or_only_the_http2_preface_is_closed_at_its_first_request_deadline()
 {
    for tls in [false, true] {
        let app = spawn_app_with(
            Db::Sqlite,
            Options {
                tls,
                header_read_timeout: Some(Duration::from_millis(600)),
                ..Options::default()
            },
        )
        .await;
        let connected = Instant::now();
        let mut silent = TcpStream::connect(address(&app)).await.unwrap();
        // Over TLS, the first bytes of a handshake record, then nothing.
        let mut preface = TcpStream::connect(address(&app)).await.unwrap();
        let start: &[u8] = if tls { b"\x16\x03\x01" } else { H2C_PREFACE };
        preface.write_all(start).await.unwrap();
        for stream in [&mut silent, &mut preface] {
            let closed = closed_after(stream, connected, Duration::from_secs(5))
                .await
                .unwrap_or_else(|| panic!("a connection with no request is held (tls: {tls})"));
            assert!(
                closed >= Duration::from_millis(450),
                "closed early: {closed:?}"
            );
        }
        // The service still answers.
        let (status, _) = app.get("/healthz").await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_is_closed_after_its_idle_time_and_a_slow_answer_is_not_cut_short() {
    let app = spawn_app_with(
        Db::Sqlite,
        Options {
            header_read_timeout: Some(Duration::from_millis(200)),
            idle_timeout: Some(Duration::from_millis(800)),
            ..Options::default()
        },
    )
    .await;

    // HTTP/2 keeps the connection for more streams; it ends once idle for its time.
    let tcp = TcpStream::connect(address(&app)).await.unwrap();
    let (mut streams, connection) = h2::client::handshake(tcp).await.unwrap();
    let connection = tokio::spawn(connection);
    let request = axum::http::Request::get(format!("{}/healthz", app.url))
        .body(())
        .unwrap();
    let (answer, _) = streams.send_request(request, true).unwrap();
    assert_eq!(answer.await.unwrap().status(), StatusCode::OK);
    let answered = Instant::now();
    tokio::time::timeout(Duration::from_secs(3), connection)
        .await
        .expect("an idle HTTP/2 connection is held")
        .unwrap()
        .ok();
    let closed = answered.elapsed();
    assert!(
        closed >= Duration::from_millis(700),
        "closed early: {closed:?}"
    );

    // HTTP/1 keeps the connection alive after an answer; it closes once idle for its time,
    // which here is four times the header time.
    let mut stream = TcpStream::connect(address(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = vec![0u8; 4096];
    let read = stream.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    let closed = closed_after(&mut stream, Instant::now(), Duration::from_secs(3))
        .await
        .expect("an idle keep-alive connection is held");
    assert!(
        closed >= Duration::from_millis(700),
        "closed at the header time, not the idle time: {closed:?}"
    );

    // An answer that takes three idle times is given in full, over HTTP/1 and HTTP/2.
    app.set_broker_faults(json!([{"kind": "latency", "ms": 2400}]))
        .await;
    let http2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for (client, chat_id) in [(&app.http, "slow-http1"), (&http2, "slow-http2")] {
        let response = client
            .post(format!("{}/v1/meetings", app.url))
            .bearer_auth(&app.key)
            .json(&json!({"chatId": chat_id}))
            .send()
            .await
            .unwrap();
        let version = response.version();
        assert_eq!(response.status(), StatusCode::CREATED, "{version:?}");
    }
    assert_eq!(app.meeting_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_past_the_cap_is_closed_at_once_and_a_place_frees_when_one_goes() {
    let app = spawn_app_with(
        Db::Sqlite,
        Options {
            max_connections: NonZeroUsize::new(4),
            ..Options::default()
        },
    )
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(address(&app)).await.unwrap());
    }
    // Let the server accept all four before the fifth comes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut fifth = TcpStream::connect(address(&app)).await.unwrap();
    let _ = fifth
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let mut answer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(2), fifth.read_to_end(&mut answer))
        .await
        .expect("a connection past the cap waits instead of being closed");
    assert!(
        closed.is_err() || answer.is_empty(),
        "answered past the cap: {}",
        String::from_utf8_lossy(&answer)
    );

    // One of the four goes: its place is free for the next client.
    drop(held.pop());
    let started = Instant::now();
    loop {
        if let Ok(response) = app.http.get(format!("{}/healthz", app.url)).send().await {
            assert_eq!(response.status(), StatusCode::OK);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "no place freed after a connection closed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_log_names_the_client_and_believes_forwarded_for_only_from_a_trusted_proxy() {
    let plain = spawn_app_with(Db::Sqlite, Options::default()).await;
    let behind = spawn_app_with(
        Db::Sqlite,
        Options {
            trusted_proxies: vec!["127.0.0.0/8".parse().unwrap()],
            ..Options::default()
        },
    )
    .await;
    let logged = |app: &TestApp, forwarded: &'static str| {
        let http = app.http.clone();
        let url = format!("{}/healthz", app.url);
        async move {
            let response = http
                .get(url)
                .header("x-forwarded-for", forwarded)
                .send()
                .await
                .unwrap();
            let id = response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned();
            captured_logs()
                .lines()
                .find(|line| line.contains(&id) && line.contains("answered"))
                .unwrap_or_else(|| panic!("no access log line for {id}"))
                .to_owned()
        }
    };
    // Anyone can write the header: from an untrusted peer, the peer is the client.
    let line = logged(&plain, "198.51.100.7").await;
    assert!(line.contains("client=127.0.0.1"), "{line}");
    assert!(!line.contains("198.51.100.7"), "{line}");
    // Behind a trusted proxy, the nearest address it did not write itself.
    let line = logged(&behind, "198.51.100.7, 203.0.113.9, 127.0.0.2").await;
    assert!(line.contains("client=203.0.113.9"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_s_method_is_a_metrics_label_from_a_closed_set() {
    let app = spawn_app_with(Db::Sqlite, Options::default()).await;
    let invented = "X".repeat(4096);
    for _ in 0..3 {
        let response = app
            .http
            .request(
                reqwest::Method::from_bytes(invented.as_bytes()).unwrap(),
                format!("{}/healthz", app.url),
            )
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());
    }
    let metrics = app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!metrics.contains("XXXX"), "a method became a label");
    assert!(
        metrics.contains(r#"method="OTHER",route="/healthz",status="405""#),
        "{metrics}"
    );
    assert!(!captured_logs().contains("XXXX"), "a method was logged");
}
