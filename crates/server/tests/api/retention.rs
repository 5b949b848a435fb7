//! Retention on both databases, with a moved clock: what expired (or was sent) longer ago than
//! `--retain` is deleted by the background task, a batch at a time, and nothing else is; the
//! audit trail stays; on PostgreSQL one process sweeps at a time.

use std::time::Duration;

use instant_connect::Clock as _;
use reqwest::StatusCode;
use serde_json::json;
use server::domain::{Actor, ChatId, Role, Subject, TenantId, Vertical};
use server::retention::{BATCH, Retention};
use server::store::{LinkRow, MeetingRow};

use crate::batches::raw_rows;
use crate::{Db, Options, TestApp, TestDatabase, on_both_databases, spawn_app_with};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// How many rows `table` holds for the chat id `chat_id`.
async fn rows_of(db: &Db, app: &TestApp, table: &str, chat_id: &str) -> i64 {
    let sql = format!("SELECT 'n', COUNT(*) FROM {table} WHERE chat_id = '{chat_id}'");
    let rows = raw_rows(db, app.database_url(), &sql).await;
    rows[0].1.unwrap_or(0)
}

async fn what_expired_longer_ago_than_retain_goes_in_the_background_and_the_rest_stays(db: Db) {
    let options = Options {
        retain: Some(DAY),
        retention_every: Some(Duration::from_millis(50)),
        ..Options::default()
    };
    let app = spawn_app_with(db.clone(), options).await;
    let (status, _) = app
        .post("/v1/meetings", json!({"chatId": "old", "ttlSeconds": 60}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let invite = json!({"phones": ["+14155550100"]});
    assert_eq!(
        app.post("/v1/meetings/old/invite", invite).await.0,
        StatusCode::ACCEPTED
    );
    app.clock.advance(DAY);
    let (status, _) = app
        .post("/v1/meetings", json!({"chatId": "fresh", "ttlSeconds": 60}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    // A day after it was made, `old` expired 23 h 59 min ago: not yet past `--retain`.
    let retention = Retention::new(app.store.clone(), Some(DAY), DAY);
    let round = retention.round(app.clock.now()).await.unwrap();
    assert_eq!(round.swept.meetings, 0, "{round:?}");
    assert_eq!(rows_of(&db, &app, "invites", "old").await, 1);

    app.clock.advance(Duration::from_secs(120));
    let started = std::time::Instant::now();
    while app.get("/v1/meetings/old").await.0 != StatusCode::NOT_FOUND {
        assert!(started.elapsed() < Duration::from_secs(5), "`old` was kept");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(rows_of(&db, &app, "links", "old").await, 0);
    assert_eq!(rows_of(&db, &app, "invites", "old").await, 0);
    // A round that deleted something says what, once its transaction has committed (so just
    // after the meeting is gone); one that deleted nothing says nothing (this process's rounds
    // run every 50 ms, mostly finding nothing).
    let reported = |line: &&str| line.contains("retention deleted what had outlived its use");
    let logs = crate::logs_until(Duration::from_secs(5), |logs| {
        logs.lines()
            .filter(reported)
            .any(|line| line.contains("meetings=1") && line.contains("invites=1"))
    })
    .await;
    let said: Vec<&str> = logs.lines().filter(reported).collect();
    let nothing = "meetings=0 links=0 invites=0 visits=0 idempotency_records=0";
    assert!(!said.iter().any(|line| line.contains(nothing)), "{said:?}");
    let (status, fresh) = app.get("/v1/meetings/fresh").await;
    assert_eq!(status, StatusCode::OK, "{fresh}");
    assert_eq!(fresh["hosts"].as_array().unwrap().len(), 1);
    assert_eq!(fresh["guests"].as_array().unwrap().len(), 1);
    assert_eq!(rows_of(&db, &app, "links", "fresh").await, 2);
    // The trail keeps its own period: the deleted meeting's rows are all there.
    let (_, trail) = app.get("/v1/audit?target=old").await;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["invite.sent", "meeting.created"]);
}

fn expired_meeting(n: usize, expires_at: i64) -> (MeetingRow, Vec<LinkRow>) {
    let chat_id = ChatId::parse(format!("expired-{n}")).unwrap();
    let link = |role: Role, position: i64| LinkRow {
        id: format!("{n}-{position}"),
        role,
        issued_at_ms: 1_000,
        position,
        cipher: "c".into(),
        short: None,
        short_url: None,
        long_url: "https://join.example/x".into(),
        not_before: None,
        expires_at,
        code: None,
        single_use: false,
        opened_at: None,
        revoked_at: None,
    };
    let meeting = MeetingRow {
        tenant: TenantId::default_tenant(),
        subject: Subject::of_chat_id(&chat_id),
        chat_id,
        created_by: "test".into(),
        vertical: Vertical::Hc,
        host_login: true,
        short_urls: false,
        not_before: None,
        expires_at,
        created_at_ms: 1_000,
    };
    (meeting, vec![link(Role::Host, 0), link(Role::Guest, 1)])
}

/// A store of its own on `db`, holding `count` meetings that expired at 1000.
async fn store_with_expired(
    db: &Db,
    count: usize,
) -> (tempfile::TempDir, TestDatabase, server::Store) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(db, dir.path()).await;
    let store = server::Store::connect(&database.url, 4).await.unwrap();
    let mut writes = tokio::task::JoinSet::new();
    for n in 0..count {
        let store = store.clone();
        writes.spawn(async move {
            let (meeting, links) = expired_meeting(n, 1_000);
            store
                .insert_meeting(&meeting, &links, &Actor::operator())
                .await
                .unwrap()
        });
    }
    while let Some(written) = writes.join_next().await {
        assert!(written.unwrap());
    }
    (dir, database, store)
}

async fn a_round_deletes_a_batch_a_transaction_until_nothing_is_due(db: Db) {
    let count = 2 * BATCH as usize + 100;
    let (_dir, _database, store) = store_with_expired(&db, count).await;
    for key in ["k1", "k2", "k3"] {
        let times = server::store::ClaimTimes {
            now: 1_000,
            stale_before: 700,
            expired_before: 0,
        };
        store.claim("owner", key, "digest", times).await.unwrap();
    }
    let retention = Retention::new(store.clone(), Some(DAY), DAY);
    let day = DAY.as_secs() as i64;
    let round = retention.round(1_000 + day).await.unwrap();
    assert_eq!(
        round.swept.meetings, 0,
        "expired exactly `--retain` ago: kept"
    );
    let round = retention.round(1_001 + day).await.unwrap();
    assert_eq!(round.swept.meetings, count as u64);
    assert_eq!(round.swept.links, 2 * count as u64);
    assert_eq!(round.swept.idempotency, 3, "the records claimed at 1000");
    assert_eq!(round.batches, 3, "{round:?}");
    assert!(!round.left_to_another);
    let page = store
        .meetings_page(&TenantId::default_tenant(), "", None, 10)
        .await
        .unwrap();
    assert!(page.is_empty());
    // Without `--retain`, meetings are kept whatever their age.
    let (_dir, _database, store) = store_with_expired(&db, 3).await;
    let keep = Retention::new(store.clone(), None, DAY);
    let round = keep.round(i64::MAX / 2).await.unwrap();
    assert_eq!((round.swept.meetings, round.batches), (0, 1));
    store.close().await;
}

/// A visit that ended longer ago than `--retain` goes with its jobs and messages (they name
/// people: phones, addresses); one that ended more recently stays whole.
async fn a_visit_that_ended_longer_ago_than_retain_goes_with_its_jobs_and_messages(db: Db) {
    let options = Options {
        jobs_every: Some(Duration::from_millis(20)),
        ..Options::default()
    };
    let app = spawn_app_with(db.clone(), options).await;
    let book = |start: i64| {
        json!({"start": start, "end": start + 600, "hosts": [{}],
               "guests": [{"phone": "+14155550100"}]})
    };
    let start = app.clock.now() + 1200;
    let (_, old) = app.post("/v1/visits", book(start)).await;
    let old = old["id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::from_secs(300));
    let started = std::time::Instant::now();
    while app.get(&format!("/v1/visits/{old}")).await.1["messages"] == json!([]) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never reminded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // It ends 1,500 s from here: a day and a half hour on, it ended longer ago than a day.
    app.clock.advance(DAY + Duration::from_secs(1800));
    let (_, kept) = app.post("/v1/visits", book(app.clock.now() + 1200)).await;
    let kept = kept["id"].as_str().unwrap().to_owned();
    let retention = Retention::new(app.store.clone(), Some(DAY), DAY);
    let round = retention.round(app.clock.now()).await.unwrap();
    assert_eq!(round.swept.visits, 1, "{round:?}");
    let (status, _) = app.get(&format!("/v1/visits/{old}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for table in ["jobs", "messages"] {
        let sql = format!("SELECT 'n', COUNT(*) FROM {table} WHERE visit_id = '{old}'");
        assert_eq!(
            raw_rows(&db, app.database_url(), &sql).await[0].1,
            Some(0),
            "{table}"
        );
    }
    let (status, visit) = app.get(&format!("/v1/visits/{kept}")).await;
    assert_eq!(status, StatusCode::OK, "{visit}");
    // Its links, its reminder, its start, its end, its no-show check and its booking's notice.
    assert_eq!(visit["jobs"].as_array().unwrap().len(), 6, "{visit}");
}

on_both_databases!(
    a_visit_that_ended_longer_ago_than_retain_goes_with_its_jobs_and_messages,
    what_expired_longer_ago_than_retain_goes_in_the_background_and_the_rest_stays,
    a_round_deletes_a_batch_a_transaction_until_nothing_is_due,
);

/// PostgreSQL: while another session holds the sweep, a round deletes nothing and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_one_process_sweeps_at_a_time() {
    use sqlx::Connection as _;
    let Some(db) = Db::postgres().await else {
        return;
    };
    let (_dir, database, store) = store_with_expired(&db, 5).await;
    let mut other = sqlx::PgConnection::connect(&database.url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(server::store::EXCLUSIVE_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    let retention = Retention::new(store.clone(), Some(DAY), DAY);
    let now = 10 * DAY.as_secs() as i64;
    let round = retention.round(now).await.unwrap();
    assert!(round.left_to_another, "{round:?}");
    assert_eq!(round.swept.meetings, 0);
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(server::store::EXCLUSIVE_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    let round = retention.round(now).await.unwrap();
    assert_eq!(round.swept.meetings, 5, "{round:?}");
    other.close().await.unwrap();
    store.close().await;
}
