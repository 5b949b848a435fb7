//! `Idempotency-Key`: a replay gets the stored answer, another body is refused, keys of
//! different callers do not meet.

use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::{Value, json};

use crate::{Db, TestApp, on_both_databases, spawn_app};

async fn post_with(app: &TestApp, key: &str, idem: &str, body: Value) -> (StatusCode, Value, bool) {
    let response = app
        .http
        .post(format!("{}/v1/meetings", app.url))
        .bearer_auth(key)
        .header("idempotency-key", idem)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let (status, value) = crate::answer(response).await;
    (status, value, replayed)
}

async fn a_replay_gets_the_stored_answer_and_another_body_is_refused(db: Db) {
    let app = spawn_app(db).await;
    let body = json!({"guests": 2});
    let (status, first, replayed) = post_with(&app, &app.key, "flow-run-1", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert!(!replayed);
    let (status, again, replayed) = post_with(&app, &app.key, "flow-run-1", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(replayed);
    assert_eq!(again, first, "the same meeting, the same links");
    assert_eq!(app.meeting_count().await, 1);

    let (status, error, _) = post_with(&app, &app.key, "flow-run-1", json!({"guests": 3})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "Idempotency-Key");

    // Another caller's key of the same name is its own.
    let other = server::keys::create(&app.store, server::keys::NewKey::default_admin("other"), 0)
        .await
        .unwrap();
    let (status, theirs, replayed) =
        post_with(&app, other.expose_secret(), "flow-run-1", body).await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(!replayed);
    assert_ne!(theirs["chatId"], first["chatId"]);
    assert_eq!(app.meeting_count().await, 2);
}

async fn refusals_are_replayed_too_but_broker_failures_are_not_stored(db: Db) {
    let app = spawn_app(db).await;
    let (status, _, _) = post_with(&app, &app.key, "k1", json!({"chatId": "dup"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, conflict, _) = post_with(&app, &app.key, "k2", json!({"chatId": "dup"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, replayed_conflict, replayed) =
        post_with(&app, &app.key, "k2", json!({"chatId": "dup"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(replayed);
    assert_eq!(replayed_conflict, conflict);
    let bad = post_with(&app, &app.key, &"x".repeat(300), json!({})).await;
    assert_eq!(bad.0, StatusCode::BAD_REQUEST, "{}", bad.1);
    assert_eq!(bad.1["error"]["field"], "Idempotency-Key");

    // A 5xx is ours or the broker's, not the request's: a retry runs again.
    // Port 1 refuses: a port freed by a dropped listener could be taken by another test.
    let closed = "http://127.0.0.1:1".to_owned();
    let down = crate::spawn_app_with(
        Db::Sqlite,
        crate::Options {
            broker_url: Some(closed),
            ..crate::Options::default()
        },
    )
    .await;
    for _ in 0..2 {
        let (status, error, replayed) = post_with(&down, &down.key, "k3", json!({})).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{error}");
        assert!(!replayed, "a failure was stored and replayed");
    }
}

/// An answer is kept a day: until then the key replays it, after it the key is free again;
/// a claim its process left unfinished frees its key after a day too.
async fn an_answer_is_kept_for_its_time_then_the_key_is_free(db: Db) {
    let app = crate::spawn_app(db).await;
    let body = json!({"guests": 1});
    let (_, first, _) = post_with(&app, &app.key, "daily-1", body.clone()).await;
    let ttl = server::idempotency::DEFAULT_TTL;
    let now = || instant_connect::Clock::now(&app.clock);
    let times = |now: i64| server::store::ClaimTimes {
        now,
        stale_before: now - 300,
        expired_before: now - ttl.as_secs() as i64,
    };
    let left = app
        .store
        .claim("a-dead-process", "left", "digest-1", times(now()))
        .await
        .unwrap();
    assert!(matches!(left, server::store::Claim::Claimed(_)), "{left:?}");

    app.clock.advance(ttl - std::time::Duration::from_secs(1));
    let (_, kept, replayed) = post_with(&app, &app.key, "daily-1", body.clone()).await;
    assert!(replayed, "a second before its time the answer is replayed");
    assert_eq!(kept, first);
    let other = app
        .store
        .claim("a-dead-process", "left", "digest-2", times(now()))
        .await
        .unwrap();
    assert!(
        matches!(other, server::store::Claim::OtherRequest),
        "{other:?}"
    );

    app.clock.advance(std::time::Duration::from_secs(2));
    let (status, fresh, replayed) = post_with(&app, &app.key, "daily-1", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{fresh}");
    assert!(!replayed, "past its time the key runs the request again");
    assert_ne!(fresh["chatId"], first["chatId"]);
    let freed = app
        .store
        .claim("a-dead-process", "left", "digest-2", times(now()))
        .await
        .unwrap();
    assert!(
        matches!(freed, server::store::Claim::Claimed(_)),
        "{freed:?}"
    );
}

/// Every process prunes what expired in the background, answers and abandoned claims alike.
async fn expired_records_are_pruned_in_the_background(db: Db) {
    let app = crate::spawn_app_with(
        db.clone(),
        crate::Options {
            retention_every: Some(std::time::Duration::from_millis(50)),
            ..crate::Options::default()
        },
    )
    .await;
    for key in ["old-1", "old-2"] {
        let (status, _, _) = post_with(&app, &app.key, key, json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let keys = || async {
        crate::batches::raw_rows(
            &db,
            app.database_url(),
            "SELECT idem_key, created_at FROM idempotency",
        )
        .await
        .into_iter()
        .map(|(key, _)| key)
        .collect::<Vec<_>>()
    };
    app.clock
        .advance(server::idempotency::DEFAULT_TTL - std::time::Duration::from_secs(1));
    let (status, _, _) = post_with(&app, &app.key, "new-1", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    app.clock.advance(std::time::Duration::from_secs(2));
    let started = std::time::Instant::now();
    while keys().await.len() > 1 {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "not pruned: {:?}",
            keys().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(keys().await, vec!["new-1".to_owned()]);
}

on_both_databases!(
    a_replay_gets_the_stored_answer_and_another_body_is_refused,
    refusals_are_replayed_too_but_broker_failures_are_not_stored,
    an_answer_is_kept_for_its_time_then_the_key_is_free,
    expired_records_are_pruned_in_the_background,
);
