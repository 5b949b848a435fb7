//! PostgreSQL going away under load and coming back, without a restart of the service. The
//! database is reached through a TCP proxy the test controls: cutting it resets every
//! connection and refuses new ones for a known 1.5 s, longer than a restart takes, so the
//! outage is sure to be met. The machine's PostgreSQL really restarting is tested by
//! `tests/postgres_restart.rs`, in a binary of its own.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

use crate::{Db, Options, spawn_app_with};

/// Forwards connections to PostgreSQL until cut; while cut, new connections are closed at once.
struct Proxy {
    port: u16,
    down: Arc<AtomicBool>,
    links: Arc<Mutex<JoinSet<()>>>,
}

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let down = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<JoinSet<()>>> = Arc::default();
        let (accepting_down, accepting_links) = (Arc::clone(&down), Arc::clone(&links));
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if accepting_down.load(Ordering::SeqCst) {
                    continue; // dropped: the connection closes
                }
                let upstream = upstream.clone();
                accepting_links.lock().unwrap().spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self { port, down, links }
    }

    /// Every connection reset, and new ones refused, until [`restore`](Self::restore).
    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.links.lock().unwrap().abort_all();
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_going_away_under_load_fails_cleanly_and_the_service_recovers_alone() {
    let Some(Db::Postgres(admin)) = Db::postgres().await else {
        return;
    };
    let mut via_proxy = url::Url::parse(&admin).unwrap();
    let upstream = format!(
        "{}:{}",
        via_proxy.host_str().unwrap(),
        via_proxy.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(upstream).await;
    via_proxy.set_host(Some("127.0.0.1")).unwrap();
    via_proxy.set_port(Some(proxy.port)).unwrap();
    let app =
        Arc::new(spawn_app_with(Db::Postgres(via_proxy.to_string()), Options::default()).await);

    let stop = Arc::new(AtomicBool::new(false));
    let answers: Arc<Mutex<Vec<(StatusCode, Value, bool)>>> = Arc::default();
    let mut load = JoinSet::new();
    for t in 0..4 {
        let (app, stop, answers) = (Arc::clone(&app), Arc::clone(&stop), Arc::clone(&answers));
        let down = Arc::clone(&proxy.down);
        load.spawn(async move {
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let during_cut = down.load(Ordering::SeqCst);
                let (status, body) = app
                    .post(
                        "/v1/meetings",
                        json!({"chatId": format!("pg-{t}-{i}"), "guests": 2}),
                    )
                    .await;
                answers.lock().unwrap().push((status, body, during_cut));
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.cut();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, readiness) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{readiness}");
    assert_eq!(readiness["database"]["ok"], false, "{readiness}");
    proxy.restore();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    while load.join_next().await.is_some() {}

    let answers = answers.lock().unwrap().clone();
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (status, body, _) in &answers {
        *by_status.entry(status.as_u16()).or_default() += 1;
        match status.as_u16() {
            201 => {}
            503 => assert_eq!(body["error"]["code"], "database_unavailable", "{body}"),
            other => panic!("only 201 or a clean 503, got {other}: {body}"),
        }
    }
    assert!(
        by_status.get(&503).is_some_and(|n| *n > 0),
        "the cut was felt: {by_status:?}"
    );
    let last = answers.iter().rev().take(4).collect::<Vec<_>>();
    assert!(
        last.iter()
            .all(|(status, _, _)| *status == StatusCode::CREATED),
        "recovered: {last:?}"
    );

    // Every acknowledged meeting is there, whole; nothing is stored half-made.
    let (status, page) = app.get("/v1/meetings?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    let stored = page["items"].as_array().unwrap();
    for (status, made, _) in answers.iter().filter(|(s, _, _)| *s == StatusCode::CREATED) {
        let chat_id = made["chatId"].as_str().unwrap();
        let (found, meeting) = app.get(&format!("/v1/meetings/{chat_id}")).await;
        assert_eq!(found, StatusCode::OK, "{status} {chat_id} lost");
        assert_eq!(meeting["guests"], made["guests"], "{chat_id}");
        assert_eq!(meeting["hosts"], made["hosts"], "{chat_id}");
    }
    for meeting in stored {
        let chat_id = meeting["chatId"].as_str().unwrap();
        let (_, whole) = app.get(&format!("/v1/meetings/{chat_id}")).await;
        assert_eq!(whole["hosts"].as_array().unwrap().len(), 1, "{chat_id}");
        assert_eq!(whole["guests"].as_array().unwrap().len(), 2, "{chat_id}");
    }
    let (status, _) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::OK);
    eprintln!(
        "PostgreSQL cut for 1.5 s under load: {by_status:?}, {} stored",
        stored.len()
    );
}
