//! Visits on both databases, with a moved clock and the service's own background jobs: links
//! made at the lead time (or with the first reminder), each reminder texted once through the
//! broker's outbox, a reschedule, a cancel, daylight saving, failures retried, bad bookings.

use std::time::Duration;

use instant_connect::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::domain::KeyRole;

use crate::{Db, Options, TestApp, assert_field_error, on_both_databases, spawn_app_with};

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

async fn app(db: Db) -> TestApp {
    spawn_app_with(
        db,
        Options {
            jobs_every: Some(Duration::from_millis(20)),
            ..Options::default()
        },
    )
    .await
}

fn now(app: &TestApp) -> i64 {
    app.clock.now()
}

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

fn rfc(seconds: i64) -> String {
    instant_connect::rfc3339(seconds)
}

/// Moves the clock by `seconds` and waits until the visit satisfies `done` (the service's own
/// rounds run every 20 ms).
pub(crate) async fn advance_until(
    app: &TestApp,
    id: &str,
    seconds: i64,
    done: impl Fn(&Value) -> bool,
) -> Value {
    app.clock.advance(Duration::from_secs(seconds as u64));
    let started = std::time::Instant::now();
    loop {
        let (status, visit) = app.get(&format!("/v1/visits/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{visit}");
        if done(&visit) {
            return visit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the visit never got there: {visit:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A few of the service's rounds, to see that nothing more happens.
async fn let_rounds_run() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

fn outbox_count(outbox: &Value) -> usize {
    outbox["items"].as_array().map_or(0, Vec::len)
}

/// The visit's SMS messages (the host's address here has no mail transport: its email is
/// recorded as skipped).
fn texts(visit: &Value) -> Vec<&Value> {
    visit["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|message| message["channel"] == "sms")
        .collect()
}

fn jobs<'a>(visit: &'a Value, kind: &str) -> Vec<&'a Value> {
    visit["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|job| job["kind"] == kind)
        .collect()
}

async fn a_visit_has_its_links_made_with_its_first_reminder_and_each_reminder_texted_once(db: Db) {
    let app = app(db).await;
    let start = now(&app) + 2 * HOUR;
    let (status, visit) = app
        .post(
            "/v1/visits",
            json!({
                "start": start, "end": start + 30 * MINUTE,
                "reminders": ["-PT1H", "-PT15M"],
                "hosts": [{"name": "Dr. Ada", "email": "ada@example.com"}],
                "guests": [
                    {"name": "Grace", "phone": "+14155550100", "language": "de-CH"},
                    {"name": "Alan", "phone": "+14155550101"}
                ],
                "notes": "allergic to penicillin"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let id = visit["id"].as_str().unwrap().to_owned();
    assert_eq!(visit["state"], "scheduled");
    assert_eq!(visit["sequence"], 0);
    assert!(visit["hosts"][0].get("link").is_none(), "{visit}");
    assert_eq!(visit["guests"][0]["language"], "de-CH");
    assert_eq!(visit["guests"][1]["language"], "en");
    assert_eq!(visit["links"]["madeAt"], rfc(start - HOUR));
    assert_eq!(visit["links"]["notBefore"], rfc(start - 15 * MINUTE));
    assert_eq!(visit["links"]["expiresAt"], rfc(start + 45 * MINUTE));
    let kinds: Vec<&str> = visit["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["kind"].as_str().unwrap())
        .collect();
    // The booking's notice is due at once; it tells no one here (no addresses).
    assert_eq!(
        kinds,
        [
            "notify", "mint", "remind", "remind", "begin", "no_show", "end"
        ]
    );

    // Nothing is due yet: no links, no text.
    let_rounds_run().await;
    assert_eq!(outbox_count(&app.broker_outbox().await), 0);
    assert_eq!(app.meeting_count().await, 0);

    // The first reminder makes the links and texts both guests, once.
    let ready = advance_until(&app, &id, HOUR, |v| texts(v).len() == 2).await;
    assert_eq!(ready["state"], "ready", "{ready:#}");
    assert!(ready["readyAt"].is_string());
    let host = &ready["hosts"][0]["link"];
    assert_eq!(host["role"], "host");
    assert_eq!(host["notBefore"], rfc(start - 15 * MINUTE));
    assert_eq!(host["expiresAt"], rfc(start + 45 * MINUTE));
    assert_eq!(host["state"], "notYetValid");
    assert_eq!(ready["guests"][1]["link"]["role"], "guest");
    let chat_id = ready["chatId"].as_str().unwrap();
    let (_, meeting) = app.get(&format!("/v1/meetings/{chat_id}")).await;
    assert_eq!(meeting["hosts"].as_array().unwrap().len(), 1);
    assert_eq!(meeting["guests"].as_array().unwrap().len(), 2);
    let outbox = app.broker_outbox().await;
    assert_eq!(outbox_count(&outbox), 1, "{outbox}");
    for message in texts(&ready) {
        assert_eq!(message["channel"], "sms");
        assert_eq!(message["outcome"], "sent", "{message}");
    }

    // The second reminder texts them again, once; the links are not made again.
    // Each text is recorded as it is sent; the job ends after the last.
    let reminded = advance_until(&app, &id, 45 * MINUTE, |v| {
        texts(v).len() == 4 && jobs(v, "remind").iter().all(|job| job["state"] == "done")
    })
    .await;
    let_rounds_run().await;
    assert_eq!(outbox_count(&app.broker_outbox().await), 2);
    assert_eq!(app.meeting_count().await, 1);
    let (_, meeting) = app.get(&format!("/v1/meetings/{chat_id}")).await;
    assert_eq!(meeting["guests"].as_array().unwrap().len(), 2, "{meeting}");
    assert!(
        jobs(&reminded, "remind")
            .iter()
            .all(|job| job["state"] == "done" && job["attempts"] == 1),
        "{reminded:#}"
    );

    // A guest opens their link when it starts to work: the visit is no no-show.
    let opened = app
        .http
        .get(ready["guests"][0]["link"]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::FOUND);
    // The start and the end move it on, each with its time.
    let started = advance_until(&app, &id, 15 * MINUTE, |v| v["state"] == "in_progress").await;
    assert_eq!(started["startedAt"], rfc(start));
    let ended = advance_until(&app, &id, 30 * MINUTE, |v| v["state"] == "ended").await;
    assert_eq!(ended["endedAt"], rfc(start + 30 * MINUTE));
    // The notes are the caller's, never in a message or a log.
    assert_eq!(ended["notes"], "allergic to penicillin");
    assert!(!crate::captured_logs().contains("penicillin"));
    assert!(!app.broker_outbox().await.to_string().contains("penicillin"));

    let skipped: Vec<&Value> = ended["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["channel"] == "email")
        .collect();
    assert_eq!(skipped.len(), 3, "the booking and two reminders: {ended:#}");
    assert!(
        skipped
            .iter()
            .all(|m| m["outcome"] == "skipped"
                && m["detail"].as_str().unwrap().contains("--smtp-url"))
    );
    // The trail: booked by the key, the meeting made by the same key for the job.
    let (_, trail) = app.get("/v1/audit?action=visit.booked").await;
    assert_eq!(trail["items"][0]["target"], id.as_str(), "{trail}");
    let (_, trail) = app.get("/v1/audit?action=meeting.created").await;
    let made = &trail["items"][0];
    assert_eq!(made["outcome"], "done", "{trail}");
    assert_eq!(made["actor"], "test", "{trail}");
    assert!(
        made["requestId"].as_str().unwrap().starts_with("job:"),
        "{trail}"
    );
}

async fn a_reschedule_replaces_what_is_to_come_and_makes_links_for_the_new_window(db: Db) {
    let app = app(db).await;
    let start = now(&app) + 30 * MINUTE;
    let (status, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + 20 * MINUTE, "reminders": [],
                   "hosts": [{"name": "Dr. Ada"}], "guests": [{"name": "Grace"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let id = visit["id"].as_str().unwrap().to_owned();
    let ready = advance_until(&app, &id, 15 * MINUTE, |v| v["state"] == "ready").await;
    let first_link = ready["guests"][0]["link"]["url"]
        .as_str()
        .unwrap()
        .to_owned();

    let moved_body = json!({"start": rfc(start + HOUR), "end": rfc(start + HOUR + 20 * MINUTE)});
    let (status, moved) = app
        .send_with_key(
            Method::PATCH,
            &format!("/v1/visits/{id}"),
            &app.key,
            Some(moved_body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["sequence"], 1);
    assert_eq!(moved["start"], rfc(start + HOUR));
    // The links made for the old window are not the visit's now; the new ones come at the
    // new lead time.
    assert!(moved["guests"][0].get("link").is_none(), "{moved:#}");
    let waiting: Vec<&Value> = moved["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|job| job["state"] == "due" && job["kind"] != "notify")
        .collect();
    assert_eq!(
        waiting.len(),
        4,
        "mint, begin, no-show check and end of the new schedule: {moved:#}"
    );
    assert_eq!(waiting[0]["dueAt"], rfc(start + 45 * MINUTE));
    assert!(
        jobs(&moved, "begin")
            .iter()
            .any(|job| job["state"] == "dropped"),
        "{moved:#}"
    );
    // The same move again changes nothing.
    let (status, again) = app
        .send_with_key(
            Method::PATCH,
            &format!("/v1/visits/{id}"),
            &app.key,
            Some(moved_body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["sequence"], 1);
    // The same jobs (a notice may have run meanwhile).
    let ids = |visit: &Value| -> Vec<String> {
        visit["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|job| job["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&again), ids(&moved));

    // The old start passes with nothing happening (the begin of the old schedule was dropped);
    // the new lead time makes the new links.
    app.clock.advance(Duration::from_secs(20 * MINUTE as u64));
    let_rounds_run().await;
    let (_, waiting) = app.get(&format!("/v1/visits/{id}")).await;
    assert_eq!(waiting["state"], "ready", "{waiting:#}");
    assert!(waiting["guests"][0].get("link").is_none(), "{waiting:#}");
    let_rounds_run().await;
    let remade = advance_until(&app, &id, 40 * MINUTE, |v| {
        v["guests"][0].get("link").is_some()
    })
    .await;
    assert_eq!(remade["state"], "ready", "{remade:#}");
    let second_link = remade["guests"][0]["link"]["url"].as_str().unwrap();
    assert_ne!(second_link, first_link);
    assert_eq!(
        remade["guests"][0]["link"]["expiresAt"],
        rfc(start + HOUR + 35 * MINUTE)
    );
    let (_, meeting) = app
        .get(&format!(
            "/v1/meetings/{}",
            remade["chatId"].as_str().unwrap()
        ))
        .await;
    assert_eq!(meeting["guests"].as_array().unwrap().len(), 2, "{meeting}");
    let (_, trail) = app.get("/v1/audit?action=visit.rescheduled").await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
}

async fn a_cancel_drops_what_was_to_come_and_again_answers_the_same(db: Db) {
    let app = app(db).await;
    let start = now(&app) + 2 * HOUR;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + HOUR,
                   "hosts": [{}], "guests": [{"phone": "+14155550100"}]}),
        )
        .await;
    let id = visit["id"].as_str().unwrap().to_owned();
    let (status, cancelled) = app
        .post(&format!("/v1/visits/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(
        cancelled["sequence"], 1,
        "a cancel is a change a calendar sees"
    );
    for job in cancelled["jobs"].as_array().unwrap() {
        let expected = if job["kind"] == "notify" && job["detail"] == "cancelled" {
            ["due", "running", "done"].as_slice()
        } else if job["kind"] == "notify" {
            ["due", "running", "done", "dropped"].as_slice()
        } else {
            ["dropped"].as_slice()
        };
        assert!(
            expected.contains(&job["state"].as_str().unwrap()),
            "{job} in {cancelled:#}"
        );
    }
    let (status, again) = app
        .send_with_key(Method::DELETE, &format!("/v1/visits/{id}"), &app.key, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["cancelledAt"], cancelled["cancelledAt"]);
    app.clock.advance(Duration::from_secs(4 * HOUR as u64));
    let_rounds_run().await;
    assert_eq!(outbox_count(&app.broker_outbox().await), 0);
    assert_eq!(app.meeting_count().await, 0);
    let (status, body) = app
        .send_with_key(
            Method::PATCH,
            &format!("/v1/visits/{id}"),
            &app.key,
            Some(json!({"start": rfc(now(&app) + HOUR)})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "visit_over");
    let (_, trail) = app.get("/v1/audit?action=visit.cancelled").await;
    assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
}

/// A reminder a day before is the same wall time the day before, across the change to summer
/// time: 23 hours before the start, not 24.
async fn a_day_before_crosses_daylight_saving_in_berlin_and_new_york(db: Db) {
    let app = app(db).await;
    for (zone, wall, end, start_utc, due_utc) in [
        // In date order: the clock only moves on.
        (
            "America/New_York",
            "2027-03-14T10:00:00",
            "2027-03-14T10:30:00",
            "2027-03-14T14:00:00Z",
            "2027-03-13T15:00:00Z",
        ),
        (
            "Europe/Berlin",
            "2027-03-28T10:00:00",
            "2027-03-28T10:30:00",
            "2027-03-28T08:00:00Z",
            "2027-03-27T09:00:00Z",
        ),
    ] {
        let (status, visit) = app
            .post(
                "/v1/visits",
                json!({"start": wall, "end": end, "timeZone": zone,
                       "reminders": ["-P1D"],
                       "hosts": [{}], "guests": [{"phone": "+14155550100"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
        assert_eq!(visit["start"], start_utc);
        assert_eq!(visit["timeZone"], zone);
        assert_eq!(visit["reminders"][0]["dueAt"], due_utc, "{visit:#}");
        assert_eq!(at(start_utc) - at(due_utc), 23 * HOUR);
        let id = visit["id"].as_str().unwrap().to_owned();
        let before = at(due_utc) - MINUTE - now(&app);
        app.clock.advance(Duration::from_secs(before as u64));
        let_rounds_run().await;
        let texted = outbox_count(&app.broker_outbox().await);
        let reminded = advance_until(&app, &id, MINUTE, |v| {
            v["messages"].as_array().unwrap().len() == 1
        })
        .await;
        assert_eq!(reminded["messages"][0]["at"], due_utc, "{reminded:#}");
        assert_eq!(outbox_count(&app.broker_outbox().await), texted + 1);
    }
}

async fn a_failed_text_is_retried_with_backoff_and_shows_on_the_visit(db: Db) {
    let app = app(db).await;
    let start = now(&app) + HOUR;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + HOUR, "reminders": ["-PT10M"],
                   "hosts": [{}], "guests": [{"phone": "+14155550100"}]}),
        )
        .await;
    let id = visit["id"].as_str().unwrap().to_owned();
    advance_until(&app, &id, 45 * MINUTE, |v| v["state"] == "ready").await;
    // The broker fails once (a 500 is not retried by the client): the job is.
    app.set_broker_faults(json!([{"kind": "status", "status": 500, "times": 1}]))
        .await;
    let failed = advance_until(&app, &id, 5 * MINUTE, |v| {
        jobs(v, "remind")[0]["attempts"] == 1 && jobs(v, "remind")[0]["state"] == "due"
    })
    .await;
    let job = jobs(&failed, "remind")[0];
    assert!(job["lastError"].as_str().unwrap().contains("500"), "{job}");
    assert_eq!(job["dueAt"], rfc(now(&app) + 30), "{job}");
    assert_eq!(failed["messages"][0]["outcome"], "failed", "{failed:#}");
    assert_eq!(outbox_count(&app.broker_outbox().await), 0);
    // Not before its backoff; then it is sent.
    let sent = advance_until(&app, &id, 30, |v| jobs(v, "remind")[0]["state"] == "done").await;
    assert_eq!(jobs(&sent, "remind")[0]["attempts"], 2);
    assert_eq!(sent["messages"][1]["outcome"], "sent", "{sent:#}");
    assert_eq!(outbox_count(&app.broker_outbox().await), 1);
}

/// A text that fails every attempt: the job ends dead, and `invite.failed` is told once, then.
async fn a_text_that_never_goes_ends_dead_and_is_told_as_failed_once(db: Db) {
    let app = app(db).await;
    // The first reminder makes the links and texts; the second, two hours ahead (every retry
    // before the start), finds the broker failing.
    let start = now(&app) + 4 * HOUR;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + HOUR, "reminders": ["-PT3H", "-PT2H"],
                   "hosts": [{}], "guests": [{"phone": "+14155550100"}, {"phone": "+14155550101"}]}),
        )
        .await;
    let id = visit["id"].as_str().unwrap().to_owned();
    advance_until(&app, &id, HOUR, |v| jobs(v, "remind")[0]["state"] == "done").await;
    app.set_broker_faults(json!([{"kind": "status", "status": 500, "times": 100}]))
        .await;
    let failed_events = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            store
                .events_since(&server::domain::TenantId::default_tenant(), 0, 500)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.event.as_str() == "invite.failed")
                .map(|e| serde_json::from_str::<Value>(&e.payload).unwrap())
                .collect::<Vec<Value>>()
        }
    };
    // Its first attempt ended (a claim counts the attempt while it runs).
    let mut tried = advance_until(&app, &id, HOUR, |v| {
        jobs(v, "remind")[1]["attempts"] == 1 && jobs(v, "remind")[1]["state"] != "running"
    })
    .await;
    assert_eq!(jobs(&tried, "remind")[1]["state"], "due", "{tried:#}");
    assert!(
        failed_events(&app).await.is_empty(),
        "not while it is tried again"
    );
    // Each retry when its backoff has passed, until the last.
    for _ in 0..10 {
        let job = jobs(&tried, "remind")[1].clone();
        if job["state"] == "dead" {
            break;
        }
        let attempts = job["attempts"].as_i64().unwrap();
        let wait = at(job["dueAt"].as_str().unwrap()) - now(&app);
        tried = advance_until(&app, &id, wait.max(0), |v| {
            jobs(v, "remind")[1]["attempts"].as_i64().unwrap() > attempts
                && jobs(v, "remind")[1]["state"] != "running"
        })
        .await;
    }
    assert_eq!(jobs(&tried, "remind")[1]["state"], "dead", "{tried:#}");
    assert!(now(&app) < start, "every attempt before the start");
    let told = failed_events(&app).await;
    assert_eq!(told.len(), 1, "{told:#?}");
    assert_eq!(
        told[0]["data"],
        json!({"chatId": format!("visit-{id}"), "visitId": id, "channel": "sms", "recipients": 2})
    );
}

/// A job running holds its claim for the lease from the round's time: another process passes
/// over it while it runs, and it runs once.
async fn a_running_job_holds_its_claim_for_the_lease(db: Db) {
    let mut app = app(db.clone()).await;
    app.spawn_beside().await;
    // Each broker answer takes 1.5 s: the links are made while both processes look.
    app.set_broker_faults(json!([{"kind": "latency", "ms": 1500}]))
        .await;
    let booked_at = now(&app);
    let start = booked_at + 10 * MINUTE;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + HOUR, "reminders": [], "hosts": [{}], "guests": [{}]}),
        )
        .await;
    let id = visit["id"].as_str().unwrap().to_owned();
    let sql =
        format!("SELECT state, locked_until FROM jobs WHERE visit_id = '{id}' AND kind = 'mint'");
    let started = std::time::Instant::now();
    let held = loop {
        let rows = crate::batches::raw_rows(&db, app.database_url(), &sql).await;
        if rows[0].0 == "running" {
            break rows[0].1;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{rows:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let lease = server::settings::JOB_LEASE.as_secs() as i64;
    assert_eq!(held, Some(booked_at + lease));
    let ready = advance_until(&app, &id, 0, |v| v["state"] == "ready").await;
    assert_eq!(jobs(&ready, "mint")[0]["attempts"], 1, "{ready:#}");
}

async fn a_bad_booking_names_its_field_and_keeps_nothing(db: Db) {
    let app = app(db).await;
    let start = now(&app) + HOUR;
    let good = json!({"start": start, "end": start + HOUR, "hosts": [{}], "guests": [{}]});
    for (change, field) in [
        (json!({"start": null}), "start"),
        (json!({"start": "2027-01-15T09:00:00"}), "start"),
        (json!({"end": start - 1}), "end"),
        (
            json!({"guests": [{"phone": "555-0100"}]}),
            "guests[0].phone",
        ),
        (json!({"hosts": [{}, {"email": "ada"}]}), "hosts[1].email"),
        (json!({"guests": []}), "guests"),
        (json!({"reminders": ["PT15M"]}), "reminders[0]"),
        (json!({"reminders": "-PT15M"}), "reminders"),
        (json!({"timeZone": "Mars/Olympus"}), "timeZone"),
        (json!({"vertical": "xx"}), "vertical"),
        (json!({"room": 4}), "room"),
    ] {
        let mut body = good.clone();
        for (name, value) in change.as_object().unwrap() {
            body[name] = value.clone();
        }
        let answer = app.post("/v1/visits", body).await;
        assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, field);
    }
    let (_, page) = app.get("/v1/visits").await;
    assert_eq!(page["items"], json!([]), "{page}");

    let viewer = app.key_of("default", KeyRole::Viewer, "viewer").await;
    let (status, _) = app
        .send_with_key(Method::POST, "/v1/visits", &viewer, Some(good.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, visit) = app.post("/v1/visits", good).await;
    let id = visit["id"].as_str().unwrap();
    let (status, _) = app.get_with_key(&format!("/v1/visits/{id}"), &viewer).await;
    assert_eq!(status, StatusCode::OK, "a viewer reads");
    let other = app.key_of("other", KeyRole::Admin, "other").await;
    for (method, path) in [
        (Method::GET, format!("/v1/visits/{id}")),
        (Method::PATCH, format!("/v1/visits/{id}")),
        (Method::POST, format!("/v1/visits/{id}/cancel")),
        (Method::DELETE, format!("/v1/visits/{id}")),
    ] {
        let body = (method == Method::PATCH).then(|| json!({"start": start + 60}));
        let (status, answer) = app.send_with_key(method, &path, &other, body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "visit_not_found");
    }
    let (_, theirs) = app.get_with_key("/v1/visits", &other).await;
    assert_eq!(theirs["items"], json!([]));
}

async fn visits_are_listed_by_start_a_page_at_a_time_and_by_state(db: Db) {
    let app = app(db).await;
    let base = now(&app) + 10 * HOUR;
    let mut ids = Vec::new();
    // Booked out of order: listed by start.
    for offset in [3, 1, 4, 0, 2] {
        let start = base + offset * HOUR;
        let (_, visit) = app
            .post(
                "/v1/visits",
                json!({"start": start, "end": start + HOUR, "hosts": [{}], "guests": [{}]}),
            )
            .await;
        ids.push((offset, visit["id"].as_str().unwrap().to_owned()));
    }
    ids.sort();
    let (_, cancelled) = app
        .post(&format!("/v1/visits/{}/cancel", ids[2].1), json!({}))
        .await;
    assert_eq!(cancelled["state"], "cancelled");
    let mut seen = Vec::new();
    let mut path = "/v1/visits?limit=2".to_owned();
    loop {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for item in page["items"].as_array().unwrap() {
            seen.push(item["id"].as_str().unwrap().to_owned());
        }
        match page["nextCursor"].as_str() {
            Some(cursor) => path = format!("/v1/visits?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = ids.iter().map(|(_, id)| id.clone()).collect();
    assert_eq!(seen, expected);
    let (_, page) = app.get("/v1/visits?state=cancelled").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], ids[2].1.as_str());
    let answer = app.get("/v1/visits?state=").await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "state");
    let answer = app.get("/v1/visits?state=done").await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "state");
    let answer = app.get("/v1/visits?cursor=nonsense").await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "cursor");
}

/// Two services on one database, 200 visits whose reminders fall due at once: each guest is
/// texted once, and each job ran once.
async fn two_processes_text_each_of_200_reminders_due_together_once(db: Db) {
    let mut app = app(db).await;
    app.spawn_beside().await;
    let start = now(&app) + HOUR;
    let mut ids = Vec::new();
    for i in 0..200 {
        let (status, visit) = app
            .post(
                "/v1/visits",
                json!({"start": start, "end": start + HOUR, "reminders": ["-PT15M"],
                       "hosts": [{}], "guests": [{"phone": format!("+1415555{i:04}")}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
        ids.push(visit["id"].as_str().unwrap().to_owned());
    }
    app.clock.advance(Duration::from_secs(45 * MINUTE as u64));
    let started = std::time::Instant::now();
    while outbox_count(&app.broker_outbox().await) < 200 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "texted {} of 200",
            outbox_count(&app.broker_outbox().await)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let_rounds_run().await;
    let outbox = app.broker_outbox().await;
    let mut meetings: Vec<&str> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|invite| invite["meetingId"].as_str().unwrap())
        .collect();
    meetings.sort_unstable();
    meetings.dedup();
    assert_eq!(meetings.len(), 200, "each visit's meeting texted once");
    assert_eq!(outbox_count(&outbox), 200);
    assert_eq!(app.meeting_count().await, 200);
    for id in ids.iter().step_by(20) {
        // The broker took the text; its job ends when its commit does.
        let visit = advance_until(&app, id, 0, |v| {
            jobs(v, "remind")
                .iter()
                .all(|job| job["state"] != "running")
        })
        .await;
        assert_eq!(visit["messages"].as_array().unwrap().len(), 1, "{visit:#}");
        for job in jobs(&visit, "mint")
            .into_iter()
            .chain(jobs(&visit, "remind"))
        {
            assert_eq!(job["state"], "done", "{visit:#}");
            assert_eq!(job["attempts"], 1, "{visit:#}");
        }
    }
}

on_both_databases!(
    two_processes_text_each_of_200_reminders_due_together_once,
    a_visit_has_its_links_made_with_its_first_reminder_and_each_reminder_texted_once,
    a_reschedule_replaces_what_is_to_come_and_makes_links_for_the_new_window,
    a_cancel_drops_what_was_to_come_and_again_answers_the_same,
    a_day_before_crosses_daylight_saving_in_berlin_and_new_york,
    a_failed_text_is_retried_with_backoff_and_shows_on_the_visit,
    a_text_that_never_goes_ends_dead_and_is_told_as_failed_once,
    a_running_job_holds_its_claim_for_the_lease,
    a_bad_booking_names_its_field_and_keeps_nothing,
    visits_are_listed_by_start_a_page_at_a_time_and_by_state,
);
