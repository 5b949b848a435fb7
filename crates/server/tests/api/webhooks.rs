//! Webhooks on both databases, received by an independent implementation of the Standard
//! Webhooks verification (the `standardwebhooks` package from PyPI, in
//! `tests/webhooks/receiver.py`): every event type delivered signed and verified, retries
//! after a 500 and a dropped connection, a replay, a rotation with two secrets valid, a dead
//! delivery with its last answer, no event for a change that did not happen, an event written
//! while no process sent it delivered by another, one round fanning out all that waits, and
//! targets refused by address.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::domain::KeyRole;

use crate::{Db, Options, TestApp, assert_field_error, on_both_databases, spawn_app_with};

const PYTHON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../target/pytools/bin/python"
);
const RECEIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/webhooks/receiver.py");

/// The receiver, killed when dropped (and gone with the test's process: it exits when its
/// stdin closes).
struct Receiver {
    child: Child,
    _stdin: ChildStdin,
    url: String,
    http: reqwest::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    /// The receiver, or `None` with the reason when the tool is missing; under `CI=true`, a
    /// failure.
    fn start() -> Option<Self> {
        if !std::path::Path::new(PYTHON).exists() {
            let reason = format!("{PYTHON} is missing (.ci/run installs standardwebhooks there)");
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and {reason}"
            );
            eprintln!("skipped: {reason}");
            return None;
        }
        let mut child = Command::new(PYTHON)
            .arg(RECEIVER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("listening ").unwrap().to_owned();
        Some(Self {
            child,
            _stdin: stdin,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        })
    }

    async fn control(&self, what: &str, body: Value) {
        let answer = self
            .http
            .post(format!("{}/_control/{what}", self.url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{what}");
    }

    async fn received(&self) -> Vec<Value> {
        let answer: Value = self
            .http
            .get(format!("{}/_control/received", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["items"].as_array().unwrap().clone()
    }

    /// Waits until `count` deliveries have arrived.
    async fn until(&self, count: usize) -> Vec<Value> {
        let started = std::time::Instant::now();
        loop {
            let items = self.received().await;
            if items.len() >= count {
                return items;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{} of {count} arrived: {items:#?}",
                items.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn app(db: Db) -> TestApp {
    spawn_app_with(
        db,
        Options {
            jobs_every: Some(Duration::from_millis(20)),
            deliveries_every: Some(Duration::from_millis(20)),
            private_webhooks: true,
            ..Options::default()
        },
    )
    .await
}

/// An endpoint at the receiver for `events`, its secret given to the receiver; its id.
async fn subscribe(app: &TestApp, receiver: &Receiver, events: Value) -> String {
    let (status, hook) = app
        .post(
            "/v1/webhooks",
            json!({"url": format!("{}/hook", receiver.url), "events": events}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{hook}");
    crate::used_secret(secret);
    receiver
        .control("secret", json!({"secrets": [secret]}))
        .await;
    hook["id"].as_str().unwrap().to_owned()
}

async fn deliveries(app: &TestApp, hook: &str) -> Vec<Value> {
    let (status, page) = app.get(&format!("/v1/webhooks/{hook}/deliveries")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The endpoint's deliveries once `settled` holds of them. A receiver has its answer before
/// the delivery's state is committed, so a test waits for the commit (at most 10 s).
async fn deliveries_once(
    app: &TestApp,
    hook: &str,
    settled: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let listed = deliveries(app, hook).await;
        if settled(&listed) {
            return listed;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{listed:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn every_event_type_arrives_signed_and_the_standard_library_verifies_it(db: Db) {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let app = app(db).await;
    let hook = subscribe(&app, &receiver, json!(["*"])).await;

    let (_, meeting) = app
        .post("/v1/meetings", json!({"chatId": "hooked", "guests": 1}))
        .await;
    app.post("/v1/meetings/hooked/guests", json!({})).await;
    let opened = app
        .http
        .get(meeting["guests"][0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::FOUND);
    app.post(
        "/v1/meetings/hooked/invite",
        json!({"phones": ["+14155550100"]}),
    )
    .await;
    app.post("/v1/meetings/hooked/revoke", json!({"role": "guest"}))
        .await;
    let start = instant_connect::Clock::now(&app.clock) + 7200;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + 600, "hosts": [{}], "guests": [{}]}),
        )
        .await;
    let visit_path = format!("/v1/visits/{}", visit["id"].as_str().unwrap());
    app.send_with_key(
        Method::PATCH,
        &visit_path,
        &app.key,
        Some(json!({"start": start + 600, "end": start + 1200})),
    )
    .await;
    app.post(&format!("{visit_path}/cancel"), json!({})).await;
    let (status, _) = app
        .post(&format!("/v1/webhooks/{hook}/test"), json!({}))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);

    let received = receiver.until(9).await;
    let mut types: Vec<&str> = received
        .iter()
        .map(|item| item["body"]["type"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        [
            "invite.sent",
            "link.opened",
            "link.revoked",
            "links.added",
            "meeting.created",
            "visit.booked",
            "visit.cancelled",
            "visit.rescheduled",
            "webhook.test"
        ]
    );
    for item in &received {
        assert_eq!(item["verified"], true, "{item}");
        assert_eq!(item["answered"], 204);
        assert!(item["id"].as_str().unwrap().starts_with("evt_"), "{item}");
        assert!(item["body"]["timestamp"].is_string(), "{item}");
        // No credential rides in an event: no link, code, short key, cipher or number.
        let text = item["body"].to_string();
        for secret in ["url", "code", "short", "cipher", "+1415"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    let by_type = |t: &str| received.iter().find(|i| i["body"]["type"] == t).unwrap();
    assert_eq!(
        by_type("meeting.created")["body"]["data"]["chatId"],
        "hooked"
    );
    assert_eq!(by_type("link.opened")["body"]["data"]["role"], "guest");
    assert_eq!(by_type("link.revoked")["body"]["data"]["scope"], "guest");
    assert_eq!(by_type("invite.sent")["body"]["data"]["phones"], 1);
    assert_eq!(by_type("visit.rescheduled")["body"]["data"]["sequence"], 1);
    assert_eq!(by_type("visit.cancelled")["body"]["data"]["sequence"], 2);

    let listed = deliveries_once(&app, &hook, |listed| {
        listed.iter().all(|delivery| delivery["state"] != "running")
    })
    .await;
    assert_eq!(listed.len(), 9);
    for delivery in &listed {
        assert_eq!(delivery["state"], "done", "{delivery}");
        assert_eq!(delivery["lastStatus"], 204);
        assert_eq!(delivery["attempts"], 1);
    }
}

/// The events of presence, of a no-show and of invitations that could not be sent arrive
/// signed, and the standard library verifies them too.
async fn presence_no_show_and_failed_invites_arrive_signed_and_verified(db: Db) {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    // Email goes to a port nothing listens on (on loopback): every message fails.
    let mail = server::mail::MailSettings {
        transport: server::mail::MailTransport::Smtp("smtp://127.0.0.1:9".into()),
        from: "visits@clinic.example".into(),
    };
    let app = spawn_app_with(
        db,
        Options {
            jobs_every: Some(Duration::from_millis(20)),
            deliveries_every: Some(Duration::from_millis(20)),
            presence_every: Some(Duration::from_millis(20)),
            private_webhooks: true,
            mail: Some(mail),
            ..Options::default()
        },
    )
    .await;
    let types = [
        "guest.*",
        "host.joined",
        "meeting.ended",
        "visit.no_show",
        "invite.failed",
    ];
    subscribe(&app, &receiver, json!(types)).await;

    // A guest before the host, the host, both gone.
    let (_, meeting) = app
        .post("/v1/meetings", json!({"chatId": "present", "guests": 1}))
        .await;
    let link = |role: &str| meeting[role][0]["url"].as_str().unwrap().to_owned();
    crate::presence::press(&app, &link("guests"), "join").await;
    crate::presence::presence_until(&app, "present", |p| p["guests"] == 1).await;
    crate::presence::press(&app, &link("hosts"), "join").await;
    crate::presence::presence_until(&app, "present", |p| p["hosts"] == 1).await;
    crate::presence::press(&app, &link("guests"), "leave").await;
    crate::presence::press(&app, &link("hosts"), "leave").await;
    receiver.until(3).await;

    // A visit whose booking notice and reminder never go, and nobody comes to.
    let now = || instant_connect::Clock::now(&app.clock);
    let start = now() + 24 * 3600;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + 1800, "reminders": ["-PT20H"],
                   "hosts": [{"email": "ada@clinic.example"}], "guests": [{}]}),
        )
        .await;
    let path = format!("/v1/visits/{}", visit["id"].as_str().unwrap());
    // An hour at a time (the longest backoff), until both jobs have given up.
    let started = std::time::Instant::now();
    loop {
        let (_, visit) = app.get(&path).await;
        let jobs: Vec<&Value> = visit["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["kind"] == "notify" || j["kind"] == "remind")
            .collect();
        if jobs.iter().all(|j| j["state"] == "dead") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the jobs never gave up: {jobs:#?}"
        );
        let settled = jobs.iter().all(|j| {
            j["state"] == "dead"
                || (j["state"] == "due"
                    && j["dueAt"].as_str().unwrap() > instant_connect::rfc3339(now()).as_str())
        });
        if settled {
            app.clock.advance(Duration::from_secs(3600));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let received = receiver.until(5).await;
    assert!(now() < start, "the jobs gave up before the start");
    app.clock
        .advance(Duration::from_secs((start + 20 * 60 - now()) as u64));
    let received_all = receiver.until(6).await;
    assert!(received_all.len() >= received.len());

    let mut told: Vec<&str> = received_all
        .iter()
        .map(|item| item["body"]["type"].as_str().unwrap())
        .collect();
    told.sort_unstable();
    assert_eq!(
        told,
        [
            "guest.waiting",
            "host.joined",
            "invite.failed",
            "invite.failed",
            "meeting.ended",
            "visit.no_show"
        ]
    );
    for item in &received_all {
        assert_eq!(item["verified"], true, "{item}");
        let text = item["body"].to_string();
        assert!(!text.contains("ada@"), "no address in {text}");
    }
    let failed: Vec<&Value> = received_all
        .iter()
        .filter(|i| i["body"]["type"] == "invite.failed")
        .map(|i| &i["body"]["data"])
        .collect();
    assert!(
        failed
            .iter()
            .all(|d| d["channel"] == "email" && d["recipients"] == 1),
        "{failed:?}"
    );
}

async fn a_failed_delivery_is_tried_again_replayed_and_in_the_end_dead_with_its_answer(db: Db) {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let app = app(db).await;
    let hook = subscribe(&app, &receiver, json!(["link.*"])).await;
    receiver
        .control("fail", json!({"status": 500, "times": 1}))
        .await;
    receiver.control("drop", json!({"times": 1})).await;
    app.post("/v1/meetings", json!({"chatId": "flaky"})).await;
    app.post("/v1/meetings/flaky/revoke", json!({})).await;

    // A dropped connection (the receiver drops before it fails), then (5 s later) a 500,
    // then (5 min later) a 204.
    receiver.until(1).await;
    app.clock.advance(Duration::from_secs(5));
    receiver.until(2).await;
    app.clock.advance(Duration::from_secs(300));
    let received = receiver.until(3).await;
    let answered: Vec<&Value> = received.iter().map(|i| &i["answered"]).collect();
    assert_eq!(answered, [&json!("dropped"), &json!(500), &json!(204)]);
    assert!(
        received
            .iter()
            .all(|i| i["verified"] == true && i["id"] == received[0]["id"])
    );
    let listed = deliveries_once(&app, &hook, |listed| {
        listed.first().is_some_and(|d| d["state"] != "running")
    })
    .await;
    assert_eq!(listed.len(), 1, "only link.* events: {listed:#?}");
    assert_eq!(listed[0]["state"], "done");
    assert_eq!(listed[0]["attempts"], 3);

    // A replay: the same event (the same webhook-id) delivered again.
    let delivery = listed[0]["id"].as_str().unwrap();
    let (status, replayed) = app
        .post(
            &format!("/v1/webhooks/{hook}/deliveries/{delivery}/replay"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replayed}");
    let received = receiver.until(4).await;
    assert_eq!(received[3]["id"], received[0]["id"]);
    assert_eq!(received[3]["answered"], 204);
    // Two deliveries now, paged one at a time; the largest page allowed is allowed.
    let page = |query: &str| format!("/v1/webhooks/{hook}/deliveries?{query}");
    let (status, first) = app.get(&page("limit=1")).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["items"].as_array().unwrap().len(), 1);
    let before = first["nextBefore"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let (_, second) = app.get(&page(&format!("limit=1&before={before}"))).await;
    assert_eq!(second["items"].as_array().unwrap().len(), 1, "{second}");
    assert!(second.get("nextBefore").is_none(), "{second}");
    assert_ne!(first["items"][0]["id"], second["items"][0]["id"]);
    // The same delivery, by id: its state may have moved on between the two reads.
    let (_, again) = app.get(&page("limit=1&before=")).await;
    assert_eq!(
        again["items"][0]["id"], first["items"][0]["id"],
        "an empty `before` is the first page: {again}"
    );
    assert_eq!(again["items"].as_array().unwrap().len(), 1, "{again}");
    let (status, most) = app.get(&page("limit=1000")).await;
    assert_eq!(status, StatusCode::OK, "{most}");
    assert_eq!(most["items"].as_array().unwrap().len(), 2);
    crate::assert_field_error(
        &app.get(&page("limit=1001")).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "limit",
    );

    // Failing every time: tried 8 times over about a day, then dead with the last answer.
    receiver
        .control("fail", json!({"status": 503, "times": 100}))
        .await;
    app.post("/v1/meetings", json!({"chatId": "flaky-2"})).await;
    app.post("/v1/meetings/flaky-2/revoke", json!({})).await;
    receiver.until(5).await;
    for (attempt, wait) in server::domain::RETRY_AFTER.iter().enumerate() {
        app.clock.advance(*wait);
        receiver.until(6 + attempt).await;
    }
    let dead = deliveries_once(&app, &hook, |listed| {
        listed.first().is_some_and(|d| d["state"] == "dead")
    })
    .await[0]
        .clone();
    assert_eq!(dead["attempts"], 8);
    assert_eq!(dead["lastStatus"], 503);
    assert!(dead["finishedAt"].is_string());
    app.clock.advance(Duration::from_secs(24 * 3600));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(receiver.received().await.len(), 12, "nothing after dead");
}

/// A rotation: for a day both secrets sign, so a receiver that knows either verifies; at the
/// day's end the old one stops.
async fn a_rotated_secret_signs_beside_the_old_one_for_a_day(db: Db) {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let app = app(db).await;
    let hook = subscribe(&app, &receiver, json!(["link.opened"])).await;
    let (status, rotated) = app
        .post(&format!("/v1/webhooks/{hook}/rotate"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new = rotated["secret"].as_str().unwrap().to_owned();
    crate::used_secret(&new);
    // The receiver still knows only the old secret: it verifies.
    assert_eq!(verified_signatures(&app, &receiver, &hook, 1).await, 2);
    // A second before the day is out both still sign; from the day's end, only the new one.
    let day = server::webhooks::PREVIOUS_SECRET_LASTS;
    app.clock.advance(day - Duration::from_secs(1));
    assert_eq!(verified_signatures(&app, &receiver, &hook, 2).await, 2);
    app.clock.advance(Duration::from_secs(1));
    receiver.control("secret", json!({"secrets": [new]})).await;
    assert_eq!(verified_signatures(&app, &receiver, &hook, 3).await, 1);
    let (_, listed) = app.get("/v1/webhooks").await;
    assert!(listed["items"][0].get("secret").is_none(), "{listed}");
}

/// Sends the endpoint's test event, the `nth` the receiver gets, and how many signatures it
/// bore, once the receiver has verified it.
async fn verified_signatures(app: &TestApp, receiver: &Receiver, hook: &str, nth: usize) -> usize {
    app.post(&format!("/v1/webhooks/{hook}/test"), json!({}))
        .await;
    let received = receiver.until(nth).await;
    let sent = &received[nth - 1];
    assert_eq!(sent["verified"], true, "{received:#?}");
    sent["signature"].as_str().unwrap().split(' ').count()
}

/// No event for a change that was refused or changed nothing; an event written while no
/// process sent it (the one that wrote it stopped) is sent by another process.
async fn events_are_the_changes_that_committed_and_none_is_lost(db: Db) {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    // This process writes events and never gets round to sending them.
    let mut app = not_sending(db).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A meeting made before the endpoint: it never hears of it, though the event is fanned
    // out after the endpoint is made.
    let (status, _) = app.post("/v1/meetings", json!({"chatId": "before"})).await;
    assert_eq!(status, StatusCode::CREATED);
    app.clock.advance(Duration::from_secs(1));
    subscribe(&app, &receiver, json!(["meeting.*", "link.revoked"])).await;
    let (status, _) = app.post("/v1/meetings", json!({"chatId": "once"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = app.post("/v1/meetings", json!({"chatId": "once"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "refused: no event");
    let (status, _) = app
        .post("/v1/meetings", json!({"chatId": "bad", "hosts": 40}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    app.post("/v1/meetings/once/revoke", json!({})).await;
    let (_, nothing) = app.post("/v1/meetings/once/revoke", json!({})).await;
    assert_eq!(nothing["revoked"], 0, "changed nothing: no event");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(receiver.received().await.is_empty());

    let mut settings_beside = app.settings.clone();
    settings_beside.deliveries_every = Duration::from_millis(20);
    app.settings = settings_beside;
    app.spawn_beside().await;
    let received = receiver.until(2).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    let received_now = receiver.received().await;
    assert_eq!(received_now.len(), 2, "{received_now:#?}");
    let mut types: Vec<&str> = received
        .iter()
        .map(|i| i["body"]["type"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(types, ["link.revoked", "meeting.created"]);
    assert!(
        received
            .iter()
            .all(|i| i["body"]["data"]["chatId"] == "once"),
        "{received:#?}"
    );
}

async fn endpoints_are_an_admins_and_their_targets_are_checked_before_any_connection(db: Db) {
    // Public addresses only, as `serve` runs by default.
    let app = spawn_app_with(
        db,
        Options {
            deliveries_every: Some(Duration::from_millis(20)),
            ..Options::default()
        },
    )
    .await;
    for (url, field) in [
        ("http://127.0.0.1:9/hook", "url"),
        ("http://[::1]:9/hook", "url"),
        ("http://10.1.2.3/hook", "url"),
        ("http://169.254.169.254/latest", "url"),
        ("ftp://example.com/hook", "url"),
        ("https://user:pass@example.com/hook", "url"),
        ("not a url", "url"),
    ] {
        let answer = app
            .post("/v1/webhooks", json!({"url": url, "events": ["*"]}))
            .await;
        assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, field);
    }
    let answer = app
        .post(
            "/v1/webhooks",
            json!({"url": "https://example.com/hook", "events": ["link.closed"]}),
        )
        .await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "events[0]");
    // A name is checked as it resolves: `localhost` is refused on delivery, never connected.
    let (status, hook) = app
        .post(
            "/v1/webhooks",
            json!({"url": "http://localhost:9/hook", "events": ["link.opened"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_str().unwrap();
    crate::used_secret(hook["secret"].as_str().unwrap());
    app.post(&format!("/v1/webhooks/{id}/test"), json!({}))
        .await;
    let failed = deliveries_once(&app, id, |listed| {
        listed
            .first()
            .is_some_and(|d| d["attempts"] == 1 && d["state"] == "due")
    })
    .await[0]
        .clone();
    let why = failed["lastError"].as_str().unwrap();
    assert!(
        why.contains("`localhost` is a private or local address"),
        "{why}"
    );

    let member = app.key_of("default", KeyRole::Member, "member").await;
    let (status, _) = app
        .send_with_key(Method::GET, "/v1/webhooks", &member, None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stranger = app.key_of("other", KeyRole::Admin, "stranger").await;
    let (status, _) = app
        .send_with_key(
            Method::POST,
            &format!("/v1/webhooks/{id}/test"),
            &stranger,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another tenant's endpoint");
    let (status, _) = app
        .send_with_key(
            Method::DELETE,
            &format!("/v1/webhooks/{id}"),
            &app.key,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, trail) = app.get("/v1/audit?action=webhook.created").await;
    let outcomes: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes.iter().filter(|o| **o == "done").count(), 1);
    assert_eq!(outcomes.iter().filter(|o| **o == "invalid").count(), 8);
}

/// A round fans out every event waiting, however many of its batches that takes, before it
/// sends: 501 events written while no round ran are 501 deliveries after one round.
async fn one_round_fans_out_every_event_waiting(db: Db) {
    // Nothing listens there: what is fanned out is counted, and each send fails at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let app = rounded_by_hand(db.clone(), &url).await;
    let now = instant_connect::Clock::now(&app.clock);
    write_events(&db, &app, 501, now).await;
    dispatcher(&app).round(now).await.unwrap();
    let counted = crate::batches::raw_rows(
        &db,
        app.database_url(),
        "SELECT 'deliveries', COUNT(*) FROM deliveries",
    )
    .await;
    assert_eq!(counted, [("deliveries".to_owned(), Some(501))]);
}

/// A delivery being sent holds its claim for the lease from the round's time, so no other
/// round or process sends it meanwhile.
async fn a_delivery_being_sent_is_claimed_for_the_lease_from_the_round(db: Db) {
    // An endpoint that takes the connection and never answers: the send stays in flight.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let holding = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((connection, _)) = listener.accept().await {
            held.push(connection);
        }
    });
    let app = rounded_by_hand(db.clone(), &url).await;
    let now = instant_connect::Clock::now(&app.clock);
    write_events(&db, &app, 1, now).await;
    let lease = Duration::from_secs(30);
    let sending = dispatcher(&app).with_lease(lease);
    let round = tokio::spawn(async move { sending.round(now).await.unwrap() });
    let started = std::time::Instant::now();
    let claim = loop {
        let rows = crate::batches::raw_rows(
            &db,
            app.database_url(),
            "SELECT state, locked_until FROM deliveries",
        )
        .await;
        if let [(_, Some(until))] = rows.as_slice() {
            break *until;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "{rows:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    round.abort();
    holding.abort();
    assert_eq!(claim, now + lease.as_secs() as i64);
}

/// An app whose own delivery rounds run once at its start and not again within a test.
async fn not_sending(db: Db) -> TestApp {
    spawn_app_with(
        db,
        Options {
            deliveries_every: Some(Duration::from_secs(3600)),
            private_webhooks: true,
            ..Options::default()
        },
    )
    .await
}

/// An app that does not send (`not_sending`), for a test that rounds by hand, with one endpoint
/// at `url` that wants every event.
async fn rounded_by_hand(db: Db, url: &str) -> TestApp {
    let app = not_sending(db).await;
    let (status, hook) = app
        .post("/v1/webhooks", json!({"url": url, "events": ["*"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    crate::used_secret(hook["secret"].as_str().unwrap());
    app
}

/// Writes `count` events of the default tenant at `at` beside the service, as a process that
/// stopped before fanning them out would leave them.
async fn write_events(db: &Db, app: &TestApp, count: usize, at: i64) {
    let events: Vec<String> = (0..count)
        .map(|i| format!("('event-{i:04}', 'default', 'meeting.created', NULL, '{{}}', {at})"))
        .collect();
    let insert = format!(
        "INSERT INTO events (id, tenant_id, type, chat_id, payload, at) VALUES {}",
        events.join(", ")
    );
    crate::batches::raw_execute(db, app.database_url(), &insert).await;
}

/// A dispatcher of the app's store and clock, beside the app's own, for a test to round.
fn dispatcher(app: &TestApp) -> server::webhooks::Dispatcher {
    server::webhooks::Dispatcher::new(
        app.store.clone(),
        std::sync::Arc::new(app.clock.clone()),
        node::Destinations::Any,
    )
    .unwrap()
}

/// With `--retain`, deliveries done or dead longer ago go, and the events they sent with them.
async fn retention_takes_old_deliveries_and_their_events(db: Db) {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let app = app(db).await;
    let hook = subscribe(&app, &receiver, json!(["*"])).await;
    app.post(&format!("/v1/webhooks/{hook}/test"), json!({}))
        .await;
    receiver.until(1).await;
    deliveries_once(&app, &hook, |listed| {
        listed.first().is_some_and(|d| d["state"] == "done")
    })
    .await;
    let retain = server::retention::MIN_RETAIN;
    let sweeper = server::retention::Retention::new(
        app.store.clone(),
        Some(retain),
        Duration::from_secs(3600),
    );
    let now = instant_connect::Clock::now(&app.clock);
    let kept = sweeper.round(now).await.unwrap();
    assert_eq!(kept.swept.deliveries, 0, "{kept:?}");
    assert_eq!(deliveries(&app, &hook).await.len(), 1);
    let later = now + retain.as_secs() as i64 + 1;
    let swept = sweeper.round(later).await.unwrap();
    assert_eq!(swept.swept.deliveries, 1, "{swept:?}");
    assert!(deliveries(&app, &hook).await.is_empty());
}

on_both_databases!(
    one_round_fans_out_every_event_waiting,
    a_delivery_being_sent_is_claimed_for_the_lease_from_the_round,
    retention_takes_old_deliveries_and_their_events,
    every_event_type_arrives_signed_and_the_standard_library_verifies_it,
    presence_no_show_and_failed_invites_arrive_signed_and_verified,
    a_failed_delivery_is_tried_again_replayed_and_in_the_end_dead_with_its_answer,
    a_rotated_secret_signs_beside_the_old_one_for_a_day,
    events_are_the_changes_that_committed_and_none_is_lost,
    endpoints_are_an_admins_and_their_targets_are_checked_before_any_connection,
);
