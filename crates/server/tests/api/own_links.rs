//! icnode's own links (`/l/{code}`) on both databases: an open sent on to the broker's link and
//! counted; revoked by link, role or meeting; before and after their window; single use under
//! 20 opens at once across two processes; and a visit's links, early, moved and cancelled.

use std::time::Duration;

use instant_connect::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::domain::KeyRole;

use crate::visits::advance_until;
use crate::{
    Db, Options, TestApp, assert_field_error, on_both_databases, spawn_app, spawn_app_with,
};

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

fn url_of(meeting: &Value, role: &str, index: usize) -> String {
    meeting[role][index]["url"].as_str().unwrap().to_owned()
}

fn code_of(meeting: &Value, role: &str, index: usize) -> String {
    meeting[role][index]["code"].as_str().unwrap().to_owned()
}

/// Opens an own link as a browser would, without following it: its status, `Location`, and
/// page.
async fn open(app: &TestApp, url: &str) -> (StatusCode, Option<String>, String) {
    let answer = app
        .http
        .get(url)
        .header(
            "User-Agent",
            "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36",
        )
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let location = answer
        .headers()
        .get("location")
        .map(|to| to.to_str().unwrap().to_owned());
    (status, location, answer.text().await.unwrap())
}

async fn an_open_goes_on_to_the_brokers_link_and_is_counted(db: Db) {
    let app = spawn_app(db).await;
    let (status, meeting) = app
        .post("/v1/meetings", json!({"chatId": "open-1", "guests": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let url = url_of(&meeting, "guests", 0);
    let code = code_of(&meeting, "guests", 0);
    assert_eq!(url, format!("{}/l/{code}", app.url));
    assert_eq!(code.len(), 22, "128 bits in base64url");
    // A bearer credential: CI searches every log line for it.
    crate::used_secret(&code);
    assert_eq!(meeting["guests"][0]["singleUse"], false);

    for _ in 0..2 {
        let (status, to, _) = open(&app, &url).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(to.as_deref(), meeting["guests"][0]["shortUrl"].as_str());
    }
    // And on to the join page.
    let page = app
        .http
        .get(meeting["guests"][0]["longUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    let (_, read) = app.get("/v1/meetings/open-1").await;
    let guest = &read["guests"][0];
    assert_eq!(guest["opens"], 2, "{read}");
    assert_eq!(guest["openedAt"], instant_connect::rfc3339(app.clock.now()));
    assert_eq!(guest["state"], "valid");
    assert_eq!(read["hosts"][0]["opens"], 0);

    for unknown in [
        format!("{}/l/{}", app.url, "A".repeat(22)),
        format!("{}/l/not-a-code", app.url),
    ] {
        let (status, to, page) = open(&app, &unknown).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{page}");
        assert_eq!(to, None);
        assert!(page.contains("Link not found"), "{page}");
    }
}

async fn revoking_ends_one_link_a_roles_links_or_all_and_the_docs_limit_holds(db: Db) {
    let app = spawn_app(db).await;
    let (_, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "revoke-1", "hosts": 2, "guests": 2}),
        )
        .await;
    let revoke = |body: Value| async { app.post("/v1/meetings/revoke-1/revoke", body).await };

    let (status, one) = revoke(json!({"link": code_of(&meeting, "guests", 0)})).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["revoked"], 1);
    assert_eq!(one["revokedAt"], instant_connect::rfc3339(app.clock.now()));
    let (status, to, page) = open(&app, &url_of(&meeting, "guests", 0)).await;
    assert_eq!(status, StatusCode::GONE);
    assert_eq!(to, None);
    assert!(page.contains("This link was revoked"), "{page}");
    assert_eq!(
        open(&app, &url_of(&meeting, "guests", 1)).await.0,
        StatusCode::FOUND
    );
    // What revocation cannot stop: the broker's own short URL works until its expiry.
    let broker_short = app
        .http
        .get(meeting["guests"][0]["shortUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(broker_short.status(), StatusCode::FOUND);

    let (_, role) = revoke(json!({"role": "guest"})).await;
    assert_eq!(
        role["revoked"], 1,
        "the other guest link; the first was already"
    );
    let (_, again) = revoke(json!({"role": "guest"})).await;
    assert_eq!(again["revoked"], 0);
    assert_eq!(
        open(&app, &url_of(&meeting, "guests", 1)).await.0,
        StatusCode::GONE
    );
    assert_eq!(
        open(&app, &url_of(&meeting, "hosts", 0)).await.0,
        StatusCode::FOUND
    );

    let (_, all) = revoke(json!({})).await;
    assert_eq!(all["revoked"], 2);
    for (role, index) in [("hosts", 0), ("hosts", 1)] {
        assert_eq!(
            open(&app, &url_of(&meeting, role, index)).await.0,
            StatusCode::GONE
        );
    }
    let (_, read) = app.get("/v1/meetings/revoke-1").await;
    for role in ["hosts", "guests"] {
        for link in read[role].as_array().unwrap() {
            assert_eq!(link["state"], "revoked", "{link}");
            assert!(link["revokedAt"].is_string(), "{link}");
        }
    }
    let (_, trail) = app.get("/v1/audit?action=link.revoked&outcome=done").await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 3, "{trail}");
    assert_eq!(trail["items"][0]["target"], "revoke-1");
}

async fn a_revocation_asked_wrongly_names_its_field_and_revokes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (_, meeting) = app
        .post("/v1/meetings", json!({"chatId": "revoke-2"}))
        .await;
    let (_, other) = app
        .post("/v1/meetings", json!({"chatId": "revoke-3"}))
        .await;
    let path = "/v1/meetings/revoke-2/revoke";
    let bad = [
        (json!({"role": "boss"}), "role"),
        (json!({"link": "nope"}), "link"),
        (
            json!({"role": "guest", "link": code_of(&meeting, "guests", 0)}),
            "link",
        ),
        (json!({"link": code_of(&other, "guests", 0)}), "link"),
    ];
    for (body, field) in bad {
        let answer = app.post(path, body).await;
        assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, field);
    }
    let (status, _) = app.post("/v1/meetings/nobody/revoke", json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let viewer = app.key_of("default", KeyRole::Viewer, "viewer").await;
    let (status, _) = app
        .send_with_key(Method::POST, path, &viewer, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stranger = app.key_of("other", KeyRole::Admin, "stranger").await;
    let (status, _) = app
        .send_with_key(Method::POST, path, &stranger, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's meeting");
    assert_eq!(
        open(&app, &url_of(&meeting, "guests", 0)).await.0,
        StatusCode::FOUND
    );
    let (_, refused) = app
        .get("/v1/audit?action=link.revoked&outcome=invalid")
        .await;
    assert_eq!(refused["items"].as_array().unwrap().len(), 4, "{refused}");
}

async fn a_link_before_its_window_says_when_it_opens_and_after_it_that_it_expired(db: Db) {
    let app = spawn_app(db.clone()).await;
    let now = app.clock.now();
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "window-1", "notBefore": now + 10 * MINUTE,
                   "expiresAt": now + 20 * MINUTE}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let url = url_of(&meeting, "guests", 0);
    let early = app.http.get(&url).send().await.unwrap();
    assert_eq!(early.status(), StatusCode::FORBIDDEN);
    assert_eq!(early.headers()["retry-after"], "600");
    let page = early.text().await.unwrap();
    assert!(page.contains("This link opens at"), "{page}");
    assert!(
        page.contains(&format!(
            "datetime=\"{}\"",
            instant_connect::rfc3339(now + 10 * MINUTE)
        )),
        "{page}"
    );
    assert!(!page.contains("Your visit starts"), "not a visit's: {page}");

    app.clock.advance(Duration::from_secs(10 * MINUTE as u64));
    assert_eq!(open(&app, &url).await.0, StatusCode::FOUND);
    app.clock.advance(Duration::from_secs(10 * MINUTE as u64));
    let (status, _, page) = open(&app, &url).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("This link has expired"), "{page}");
    let (_, read) = app.get("/v1/meetings/window-1").await;
    assert_eq!(read["guests"][0]["state"], "expired");
    assert_eq!(read["guests"][0]["opens"], 1);
    // Every open of a known code writes a row, let through or not (SECURITY.md).
    let sql = "SELECT outcome, at FROM link_opens WHERE chat_id = 'window-1' ORDER BY at";
    let outcomes: Vec<String> = crate::batches::raw_rows(&db, app.database_url(), sql)
        .await
        .into_iter()
        .map(|(outcome, _)| outcome)
        .collect();
    assert_eq!(outcomes, ["not_yet", "opened", "expired"]);
}

/// Twenty opens of a single-use link at once, half through each of two processes on one
/// database: exactly one goes on to the meeting.
async fn a_single_use_link_lets_one_of_20_opens_at_once_through_two_processes(db: Db) {
    let mut app = spawn_app(db).await;
    let beside = app.spawn_beside().await;
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "once-1", "singleUse": true}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(meeting["guests"][0]["singleUse"], true);
    let url = url_of(&meeting, "guests", 0);
    let other = url.replace(&app.url, &beside);
    assert_ne!(other, url);
    let mut opens = tokio::task::JoinSet::new();
    for i in 0..20 {
        let url = if i % 2 == 0 {
            url.clone()
        } else {
            other.clone()
        };
        let http = app.http.clone();
        opens.spawn(async move {
            let answer = http.get(url).send().await.unwrap();
            (
                answer.status(),
                None::<String>,
                answer.text().await.unwrap(),
            )
        });
    }
    let answers = opens.join_all().await;
    let through: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| *status == StatusCode::FOUND)
        .collect();
    assert_eq!(
        through.len(),
        1,
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    for (status, _, page) in answers.iter().filter(|a| a.0 != StatusCode::FOUND) {
        assert_eq!(*status, StatusCode::GONE);
        assert!(page.contains("This link was used already"), "{page}");
    }
    let (_, read) = app.get("/v1/meetings/once-1").await;
    assert_eq!(read["guests"][0]["state"], "used");
    assert_eq!(read["guests"][0]["opens"], 1);
    // The host link was single use too; and more links can be asked for once each.
    let (_, added) = app
        .post("/v1/meetings/once-1/guests", json!({"singleUse": false}))
        .await;
    let added_url = added["guests"][0]["url"].as_str().unwrap();
    assert_eq!(open(&app, added_url).await.0, StatusCode::FOUND);
    assert_eq!(open(&app, added_url).await.0, StatusCode::FOUND);
}

fn visit_link(visit: &Value, role: &str) -> Option<String> {
    visit[role][0]["link"]["url"].as_str().map(str::to_owned)
}

async fn a_visits_link_says_when_the_visit_starts_and_ends_when_it_is_moved_or_cancelled(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            jobs_every: Some(Duration::from_millis(20)),
            ..Options::default()
        },
    )
    .await;
    let start = app.clock.now() + 2 * HOUR;
    let (status, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + 30 * MINUTE, "reminders": ["-PT1H"],
                   "hosts": [{"name": "Dr. Ada"}], "guests": [{"name": "Grace"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let id = visit["id"].as_str().unwrap().to_owned();
    // The links are made with the reminder, an hour before; they open 15 minutes before.
    let ready = advance_until(&app, &id, HOUR, |v| visit_link(v, "guests").is_some()).await;
    let guest = visit_link(&ready, "guests").unwrap();
    assert!(guest.starts_with(&format!("{}/l/", app.url)), "{guest}");
    let early = app.http.get(&guest).send().await.unwrap();
    assert_eq!(early.status(), StatusCode::FORBIDDEN);
    assert_eq!(early.headers()["retry-after"], (45 * MINUTE).to_string());
    let page = early.text().await.unwrap();
    assert!(page.contains("Your visit starts at"), "{page}");
    assert!(
        page.contains(&format!("datetime=\"{}\"", instant_connect::rfc3339(start))),
        "{page}"
    );

    // Moved: the old links end at once, the new ones come with the new schedule.
    let (status, moved) = app
        .send_with_key(
            Method::PATCH,
            &format!("/v1/visits/{id}"),
            &app.key,
            Some(json!({"start": start + 30 * MINUTE, "end": start + HOUR})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let (status, _, page) = open(&app, &guest).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(page.contains("This link was revoked"), "{page}");
    // The moved reminder, an hour before the new start, makes the new links.
    let remade = advance_until(&app, &id, 30 * MINUTE, |v| {
        visit_link(v, "guests").is_some()
    })
    .await;
    let new_guest = visit_link(&remade, "guests").unwrap();
    assert_ne!(new_guest, guest);
    app.clock.advance(Duration::from_secs((75 * MINUTE) as u64));
    assert_eq!(open(&app, &new_guest).await.0, StatusCode::FOUND);

    // Cancelled: every link of the visit ends.
    let host = visit_link(&remade, "hosts").unwrap();
    assert_eq!(open(&app, &host).await.0, StatusCode::FOUND);
    let (status, cancelled) = app
        .post(&format!("/v1/visits/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    for url in [&host, &new_guest] {
        assert_eq!(open(&app, url).await.0, StatusCode::GONE);
    }
}

on_both_databases!(
    an_open_goes_on_to_the_brokers_link_and_is_counted,
    revoking_ends_one_link_a_roles_links_or_all_and_the_docs_limit_holds,
    a_revocation_asked_wrongly_names_its_field_and_revokes_nothing,
    a_link_before_its_window_says_when_it_opens_and_after_it_that_it_expired,
    a_single_use_link_lets_one_of_20_opens_at_once_through_two_processes,
    a_visits_link_says_when_the_visit_starts_and_ends_when_it_is_moved_or_cancelled,
);
