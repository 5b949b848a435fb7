//! Meetings: links that open, remembered, added to, listed, and invited to.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{Db, Options, on_both_databases, spawn_app, spawn_app_with};

const LINK_KEYS: [&str; 6] = ["role", "url", "shortUrl", "longUrl", "short", "cipher"];

fn links<'a>(meeting: &'a Value, role: &str) -> &'a Vec<Value> {
    meeting[role].as_array().unwrap()
}

async fn a_new_meeting_has_links_that_open_the_brokers_join_pages(db: Db) {
    let app = spawn_app(db).await;
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "visit-1", "hosts": 1, "guests": 2, "ttlSeconds": 3600}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(meeting["chatId"], "visit-1");
    assert_eq!(links(&meeting, "hosts").len(), 1);
    assert_eq!(links(&meeting, "guests").len(), 2);
    let expected_expiry = instant_connect::rfc3339(instant_connect::Clock::now(&app.clock) + 3600);
    assert_eq!(meeting["expiresAt"], expected_expiry);
    for link in links(&meeting, "hosts")
        .iter()
        .chain(links(&meeting, "guests"))
    {
        for key in LINK_KEYS {
            assert!(link.get(key).is_some(), "{key} missing in {link}");
        }
        assert_eq!(
            link["url"],
            format!("{}/l/{}", app.url, link["code"].as_str().unwrap()),
            "the service's own link"
        );
        assert_eq!(link["state"], "valid");
        // The own link leads to the broker's short URL (short URLs are on by default), that
        // to the long one, and that to the broker's join page.
        let own = app
            .http
            .get(link["url"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(own.status(), StatusCode::FOUND);
        assert_eq!(
            own.headers()["location"],
            link["shortUrl"].as_str().unwrap()
        );
        let short = app
            .http
            .get(link["shortUrl"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(short.status(), StatusCode::FOUND);
        assert_eq!(
            short.headers()["location"],
            link["longUrl"].as_str().unwrap()
        );
        let page = app
            .http
            .get(link["longUrl"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("Virtual Visit - visit-1")
        );
    }
    // Hosts sign in by default, as the broker's `loginUrlForHost` does.
    let host_long = links(&meeting, "hosts")[0]["longUrl"].as_str().unwrap();
    assert!(host_long.contains("/hc/v1/login?"), "{host_long}");
    assert_eq!(meeting["hostLogin"], true);
    let guest_long = links(&meeting, "guests")[0]["longUrl"].as_str().unwrap();
    assert!(
        guest_long.starts_with(&format!("{}/hc/v1/talk?", app.broker_url)),
        "{guest_long}"
    );

    // What was handed out is what is remembered, and each link was opened once since.
    let (status, stored) = app.get("/v1/meetings/visit-1").await;
    assert_eq!(status, StatusCode::OK);
    for role in ["hosts", "guests"] {
        for (kept, handed) in links(&stored, role).iter().zip(links(&meeting, role)) {
            let mut kept = kept.clone();
            assert_eq!(kept["opens"], 1, "{kept}");
            assert!(kept["openedAt"].is_string(), "{kept}");
            kept["opens"] = json!(0);
            kept.as_object_mut().unwrap().remove("openedAt");
            assert_eq!(&kept, handed);
        }
    }
}

async fn a_chat_id_is_generated_when_absent_and_long_urls_can_be_asked_for(db: Db) {
    let app = spawn_app(db).await;
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"shortUrls": false, "vertical": "gen"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let chat_id = meeting["chatId"].as_str().unwrap();
    assert_eq!(uuid::Uuid::parse_str(chat_id).unwrap().get_version_num(), 4);
    let guest = &links(&meeting, "guests")[0];
    assert_eq!(guest["short"], Value::Null);
    assert_eq!(guest["shortUrl"], Value::Null);
    assert!(guest["longUrl"].as_str().unwrap().contains("/gen/v1/talk?"));
    // The own link leads to the long URL when there is no short one.
    let own = app
        .http
        .get(guest["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.headers()["location"],
        guest["longUrl"].as_str().unwrap()
    );
    // The default lifetime is the broker's 15 minutes.
    let now = instant_connect::Clock::now(&app.clock);
    assert_eq!(
        meeting["expiresAt"],
        instant_connect::rfc3339(now + 15 * 60)
    );
    let (status, _) = app.get(&format!("/v1/meetings/{chat_id}")).await;
    assert_eq!(status, StatusCode::OK);
}

async fn the_default_lifetime_is_the_services_setting(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            default_ttl: Some(Duration::from_secs(2 * 3600)),
            ..Options::default()
        },
    )
    .await;
    let (status, meeting) = app.post("/v1/meetings", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let now = instant_connect::Clock::now(&app.clock);
    assert_eq!(
        meeting["expiresAt"],
        instant_connect::rfc3339(now + 2 * 3600)
    );
}

async fn a_taken_chat_id_is_a_conflict_and_changes_nothing(db: Db) {
    let app = spawn_app(db).await;
    let (status, first) = app.post("/v1/meetings", json!({"chatId": "taken"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let again = app
        .post("/v1/meetings", json!({"chatId": "taken", "guests": 3}))
        .await;
    crate::assert_field_error(&again, StatusCode::CONFLICT, "chatId");
    assert_eq!(again.1["error"]["code"], "meeting_exists");
    let (_, stored) = app.get("/v1/meetings/taken").await;
    assert_eq!(stored["guests"], first["guests"]);
    assert_eq!(app.meeting_count().await, 1);
}

async fn guests_and_hosts_join_the_same_meeting_and_last_as_long(db: Db) {
    let app = spawn_app(db).await;
    let (_, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "grow", "ttlSeconds": 7200}),
        )
        .await;
    app.clock.advance(Duration::from_secs(600));
    let (status, added) = app
        .post("/v1/meetings/grow/guests", json!({"count": 2}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(links(&added, "guests").len(), 2);
    assert!(added.get("hosts").is_none());
    assert_eq!(added["expiresAt"], meeting["expiresAt"]);
    // An empty body means one more link.
    let response = app
        .http
        .post(format!("{}/v1/meetings/grow/hosts", app.url))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    let (status, host) = crate::answer(response).await;
    assert_eq!(status, StatusCode::CREATED, "{host}");
    assert_eq!(links(&host, "hosts").len(), 1);

    let (_, stored) = app.get("/v1/meetings/grow").await;
    assert_eq!(links(&stored, "guests").len(), 3);
    assert_eq!(links(&stored, "hosts").len(), 2);
    // All of them open the same meeting.
    let added_guest = links(&added, "guests")[1]["longUrl"].as_str().unwrap();
    let page = app.http.get(added_guest).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Virtual Visit - grow"));
}

async fn a_meeting_whose_links_expired_takes_new_links_only_with_a_new_validity(db: Db) {
    let app = spawn_app(db).await;
    app.post("/v1/meetings", json!({"chatId": "old", "ttlSeconds": 60}))
        .await;
    app.clock.advance(Duration::from_secs(120));
    let (_, stored) = app.get("/v1/meetings/old").await;
    assert_eq!(links(&stored, "guests")[0]["state"], "expired");
    let (status, error) = app.post("/v1/meetings/old/guests", json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert_eq!(error["error"]["code"], "meeting_expired");
    let (status, added) = app
        .post("/v1/meetings/old/guests", json!({"ttlSeconds": 300}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(links(&added, "guests")[0]["state"], "valid");
    // The new links renew the meeting: it lasts as long as its latest links, invites work,
    // and more guests last as long by default.
    let (_, renewed) = app.get("/v1/meetings/old").await;
    assert_eq!(renewed["expiresAt"], added["expiresAt"]);
    let (status, sent) = app
        .post(
            "/v1/meetings/old/invite",
            json!({"phones": ["+14155550100"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let (status, more) = app.post("/v1/meetings/old/guests", json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{more}");
    assert_eq!(more["expiresAt"], added["expiresAt"]);
}

async fn links_that_start_later_are_not_yet_valid(db: Db) {
    let app = spawn_app(db).await;
    let now = instant_connect::Clock::now(&app.clock);
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({
                "chatId": "later",
                "notBefore": now + 3600,
                "expiresAt": instant_connect::rfc3339(now + 7200),
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(meeting["notBefore"], instant_connect::rfc3339(now + 3600));
    assert_eq!(links(&meeting, "hosts")[0]["state"], "notYetValid");
}

async fn unknown_meetings_are_not_found(db: Db) {
    let app = spawn_app(db).await;
    for (status, body) in [
        app.get("/v1/meetings/nobody").await,
        app.post("/v1/meetings/nobody/guests", json!({})).await,
        app.post(
            "/v1/meetings/nobody/invite",
            json!({"phones": ["+14155550100"]}),
        )
        .await,
    ] {
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        assert_eq!(body["error"]["code"], "meeting_not_found");
    }
}

async fn meetings_are_listed_newest_first_a_page_at_a_time(db: Db) {
    let app = spawn_app(db).await;
    for i in 0..5 {
        app.post("/v1/meetings", json!({"chatId": format!("page-{i}")}))
            .await;
        app.clock.advance(Duration::from_secs(1));
    }
    app.post("/v1/meetings", json!({"chatId": "other"})).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/meetings?limit=2&chatIdPrefix=page-&cursor={c}"),
            None => "/v1/meetings?limit=2&chatIdPrefix=page-".to_owned(),
        };
        let (status, page) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            assert_eq!(item["hosts"], 1);
            assert_eq!(item["guests"], 1);
            seen.push(item["chatId"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["page-4", "page-3", "page-2", "page-1", "page-0"]);
    assert_eq!(app.meeting_count().await, 6);
}

async fn an_sms_invite_reaches_the_brokers_outbox(db: Db) {
    let app = spawn_app(db).await;
    app.post("/v1/meetings", json!({"chatId": "sms-visit"}))
        .await;
    let (status, sent) = app
        .post(
            "/v1/meetings/sms-visit/invite",
            json!({"phones": ["+14155550100", "+442071838750"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    assert_eq!(sent["phones"], 2);
    let outbox = app.broker_outbox().await;
    let invite = &outbox["items"][0];
    assert_eq!(invite["meetingId"], "sms-visit");
    assert_eq!(invite["numbers"], json!(["+14155550100", "+442071838750"]));

    let bad = app
        .post(
            "/v1/meetings/sms-visit/invite",
            json!({"phones": ["+1", "555"]}),
        )
        .await;
    crate::assert_field_error(&bad, StatusCode::UNPROCESSABLE_ENTITY, "phones[0]");
    let empty = app
        .post("/v1/meetings/sms-visit/invite", json!({"phones": []}))
        .await;
    crate::assert_field_error(&empty, StatusCode::UNPROCESSABLE_ENTITY, "phones");

    // Each number is a message someone pays for: a few dozen, not thousands.
    let many = |count: usize| {
        let phones: Vec<String> = (0..count).map(|i| format!("+1415555{i:04}")).collect();
        json!({ "phones": phones })
    };
    let (status, sent) = app
        .post(
            "/v1/meetings/sms-visit/invite",
            many(server::meetings::MAX_PHONES_PER_INVITE),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let too_many = app
        .post(
            "/v1/meetings/sms-visit/invite",
            many(server::meetings::MAX_PHONES_PER_INVITE + 1),
        )
        .await;
    crate::assert_field_error(&too_many, StatusCode::UNPROCESSABLE_ENTITY, "phones");
    assert!(
        too_many.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 25 numbers, got 26"),
        "{}",
        too_many.1
    );
    let outbox = app.broker_outbox().await;
    assert_eq!(
        outbox["items"].as_array().unwrap().len(),
        2,
        "the refused invite sent nothing"
    );
}

async fn a_broker_that_refuses_the_token_is_told_plainly_and_nothing_is_stored(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            broker_token: Some("an-expired-personal-token".into()),
            ..Options::default()
        },
    )
    .await;
    let (status, error) = app.post("/v1/meetings", json!({"chatId": "refused"})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{error}");
    assert_eq!(error["error"]["code"], "broker_token_refused");
    let message = error["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("12 hours") && message.contains("bot token"),
        "{message}"
    );
    assert_eq!(
        app.get("/v1/meetings/refused").await.0,
        StatusCode::NOT_FOUND
    );
}

async fn an_unreachable_broker_stores_nothing(db: Db) {
    // Port 1 refuses: a port freed by a dropped listener could be taken by another test.
    let closed = "http://127.0.0.1:1".to_owned();
    let app = spawn_app_with(
        db,
        Options {
            broker_url: Some(closed),
            ..Options::default()
        },
    )
    .await;
    let (status, error) = app.post("/v1/meetings", json!({"chatId": "lost"})).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{error}");
    assert_eq!(error["error"]["code"], "broker_unreachable");
    assert_eq!(app.get("/v1/meetings/lost").await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.meeting_count().await, 0);
}

on_both_databases!(
    the_default_lifetime_is_the_services_setting,
    a_new_meeting_has_links_that_open_the_brokers_join_pages,
    a_chat_id_is_generated_when_absent_and_long_urls_can_be_asked_for,
    a_taken_chat_id_is_a_conflict_and_changes_nothing,
    guests_and_hosts_join_the_same_meeting_and_last_as_long,
    a_meeting_whose_links_expired_takes_new_links_only_with_a_new_validity,
    links_that_start_later_are_not_yet_valid,
    unknown_meetings_are_not_found,
    meetings_are_listed_newest_first_a_page_at_a_time,
    an_sms_invite_reaches_the_brokers_outbox,
    a_broker_that_refuses_the_token_is_told_plainly_and_nothing_is_stored,
    an_unreachable_broker_stores_nothing,
);
