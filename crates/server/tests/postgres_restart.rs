//! The machine's PostgreSQL really restarted under load: requests fail cleanly (a `503`, never a
//! `500`) while it is down, succeed after, and icnode is not restarted; every acknowledged
//! meeting is whole. A test binary of its own, because cargo runs test binaries one at a time:
//! no other suite uses the database while it restarts.
//!
//! The restart command comes from `ICNODE_TEST_PG_RESTART` (`.ci/run` sets it to
//! `pg_ctlcluster <version> <cluster> restart` for the cluster on port 5432); without it the
//! test is skipped, and with `CI=true` it fails.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use broker::{BrokerSettings, LocalBroker};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use server::{Application, Settings};
use sqlx::Connection;

const ADMIN: &str = "postgres://postgres@127.0.0.1:5432/test";
const TOKEN: &str = "restart-test-token";

async fn postmaster_started_at(admin: &str) -> Option<String> {
    let mut conn = sqlx::PgConnection::connect(admin).await.ok()?;
    let (started,): (String,) = sqlx::query_as("SELECT pg_postmaster_start_time()::text")
        .fetch_one(&mut conn)
        .await
        .ok()?;
    let _ = conn.close().await;
    Some(started)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_postgres_restart_under_load_fails_cleanly_and_the_service_recovers_alone() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Ok(restart) = std::env::var("ICNODE_TEST_PG_RESTART") else {
        assert!(
            !ci,
            "CI=true needs ICNODE_TEST_PG_RESTART, the command that restarts PostgreSQL"
        );
        eprintln!("skipped: ICNODE_TEST_PG_RESTART is not set");
        return;
    };
    let admin = std::env::var("ICNODE_TEST_POSTGRES_URL").unwrap_or_else(|_| ADMIN.to_owned());
    let before = postmaster_started_at(&admin)
        .await
        .expect("PostgreSQL answers before the test");
    let name = format!("icnode_restart_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let mut database = url::Url::parse(&admin).unwrap();
    database.set_path(&name);

    // The local broker and the service, each on port 0.
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker_url: url::Url = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let settings = BrokerSettings {
        data_dir: Some(dir.path().join("broker")),
        tokens: vec![TOKEN.into()],
        iterations: Some(1000),
        ..BrokerSettings::default()
    };
    let clock = Arc::new(instant_connect::SystemClock);
    let broker = LocalBroker::open(settings, &broker_url, clock)
        .await
        .unwrap();
    tokio::spawn(broker::serve(
        listener,
        broker.router(),
        std::future::pending(),
    ));
    let app = Application::build(Settings::new(
        database.to_string(),
        broker_url,
        TOKEN.into(),
    ))
    .await
    .unwrap();
    let url = format!("http://127.0.0.1:{}", app.port());
    let key = server::keys::create(
        app.store(),
        server::keys::NewKey::default_admin("restart"),
        0,
    )
    .await
    .unwrap()
    .expose_secret()
    .to_owned();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let http = reqwest::Client::new();

    let stop = Arc::new(AtomicBool::new(false));
    let answers: Arc<Mutex<Vec<(u16, Value)>>> = Arc::default();
    let mut load = tokio::task::JoinSet::new();
    for t in 0..4 {
        let (http, url, key) = (http.clone(), url.clone(), key.clone());
        let (stop, answers) = (Arc::clone(&stop), Arc::clone(&answers));
        load.spawn(async move {
            for i in 0.. {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let response = http
                    .post(format!("{url}/v1/meetings"))
                    .bearer_auth(&key)
                    .json(&json!({"chatId": format!("restart-{t}-{i}"), "guests": 2}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status().as_u16();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                answers.lock().unwrap().push((status, body));
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let command = restart.clone();
    let restarted = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .args(["-c", &command])
            .status()
    })
    .await
    .unwrap()
    .unwrap();
    assert!(restarted.success(), "`{restart}` failed");
    // Load goes on until the service has made meetings again for a while.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let recovered = loop {
        let ok_after = answers
            .lock()
            .unwrap()
            .iter()
            .rev()
            .take(8)
            .all(|(s, _)| *s == 201);
        if ok_after || tokio::time::Instant::now() > deadline {
            break ok_after;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    while load.join_next().await.is_some() {}
    let after = postmaster_started_at(&admin)
        .await
        .expect("PostgreSQL answers after");
    assert_ne!(before, after, "PostgreSQL did restart");
    assert!(
        recovered,
        "the service made meetings again after the restart"
    );

    let answers = answers.lock().unwrap().clone();
    let mut by_status: HashMap<u16, usize> = HashMap::new();
    for (status, body) in &answers {
        *by_status.entry(*status).or_default() += 1;
        match status {
            201 => {}
            503 => assert_eq!(body["error"]["code"], "database_unavailable", "{body}"),
            other => panic!("only 201 or a clean 503, got {other}: {body}"),
        }
    }
    let mut checked = 0;
    for (_, made) in answers.iter().filter(|(s, _)| *s == 201) {
        let chat_id = made["chatId"].as_str().unwrap();
        let stored: Value = http
            .get(format!("{url}/v1/meetings/{chat_id}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stored["guests"], made["guests"], "{chat_id}");
        assert_eq!(stored["hosts"], made["hosts"], "{chat_id}");
        checked += 3;
    }
    eprintln!("PostgreSQL restarted under load: {by_status:?}, {checked} links checked");

    let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap();
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await;
}
