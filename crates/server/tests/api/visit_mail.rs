//! Visits' email on both databases, over SMTP to a real server (aiosmtpd), read back with a
//! standard MIME parser and a standard calendar library: everyone with an address is told once
//! of a booking, each reminder (with their own link), a move (the invitation's `SEQUENCE`
//! grows) and a cancel (`METHOD:CANCEL`); a tenant's own template in a person's language; a
//! failed send retried without sending twice.

use std::time::Duration;

use instant_connect::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::mail::{MailSettings, MailTransport};

use crate::smtp::SmtpSink;
use crate::visits::advance_until;
use crate::{Db, Options, TestApp, assert_field_error, on_both_databases, spawn_app_with};

const MINUTE: i64 = 60;
const HOUR: i64 = 3600;

async fn app_mailing_to(db: Db, sink: &SmtpSink) -> TestApp {
    spawn_app_with(
        db,
        Options {
            jobs_every: Some(Duration::from_millis(20)),
            mail: Some(MailSettings {
                transport: MailTransport::Smtp(sink.url()),
                from: "Clinic <visits@clinic.example>".into(),
            }),
            ..Options::default()
        },
    )
    .await
}

fn utc(seconds: i64) -> String {
    // As Python's isoformat writes an aware UTC time.
    jiff::Timestamp::from_second(seconds)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string()
}

/// The messages to `address`, in the order they came.
fn to<'a>(messages: &'a [Value], address: &str) -> Vec<&'a Value> {
    messages
        .iter()
        .filter(|m| m["to"].as_str().unwrap().contains(address))
        .collect()
}

async fn everyone_with_an_address_is_told_once_of_each_change_with_a_calendar_invitation(db: Db) {
    let Some(sink) = SmtpSink::start().await else {
        return;
    };
    let app = app_mailing_to(db, &sink).await;
    // The guest's language is `de-CH`: the tenant's German reminder reaches them.
    let german = json!({"subject": "Erinnerung: {{ start }}",
                        "body": "Hallo {{ name }}, hier ist Ihr Link: {{ link }}\n"});
    let (status, kept) = app
        .send_with_key(
            Method::PUT,
            "/v1/templates/reminder/de",
            &app.key,
            Some(german),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kept}");
    let start = app.clock.now() + 2 * HOUR;
    let (status, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + 30 * MINUTE, "timeZone": "Europe/Berlin",
                   "reminders": ["-PT15M"],
                   "hosts": [{"name": "Dr. Ada", "email": "ada@clinic.example"}],
                   "guests": [{"name": "Grace", "email": "grace@example.test",
                               "phone": "+14155550100", "language": "de-CH"},
                              {"name": "No Address", "phone": "+14155550101"}],
                   "notes": "allergic to penicillin"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let id = visit["id"].as_str().unwrap().to_owned();
    let uid = format!("{id}@icnode");

    // Booked: an invitation each, no link yet.
    let booked = sink.wait_for(2).await;
    for address in ["ada@clinic.example", "grace@example.test"] {
        let mine = to(&booked, address);
        assert_eq!(mine.len(), 1, "{booked:#?}");
        let calendar = &mine[0]["calendar"];
        assert_eq!(calendar["method"], "REQUEST");
        assert_eq!(calendar["contentMethod"], "REQUEST");
        assert_eq!(calendar["uid"], uid.as_str());
        assert_eq!(calendar["sequence"], 0);
        assert_eq!(calendar["start"], utc(start));
        assert_eq!(calendar["end"], utc(start + 30 * MINUTE));
        assert_eq!(calendar["url"], Value::Null);
        assert_eq!(calendar["organizer"], "mailto:visits@clinic.example");
        assert_eq!(mine[0]["attachments"], json!(["invite.ics"]));
        assert!(
            mine[0]["text"]
                .as_str()
                .unwrap()
                .contains("Your link to join comes by")
        );
    }

    // The reminder: each their own link, the host's a host link; the guest's in German.
    app.clock
        .advance(Duration::from_secs((HOUR + 45 * MINUTE) as u64));
    let reminded = sink.wait_for(4).await;
    let (_, seen) = app.get(&format!("/v1/visits/{id}")).await;
    let host_link = seen["hosts"][0]["link"]["url"].as_str().unwrap();
    let guest_link = seen["guests"][0]["link"]["url"].as_str().unwrap();
    let host = to(&reminded, "ada@clinic.example")[1];
    assert_eq!(host["calendar"]["url"], host_link);
    assert!(
        host["text"].as_str().unwrap().contains(host_link),
        "{host:#}"
    );
    assert!(host["subject"].as_str().unwrap().starts_with("Reminder:"));
    let guest = to(&reminded, "grace@example.test")[1];
    assert_eq!(guest["calendar"]["url"], guest_link);
    assert_eq!(guest["subject"], format!("Erinnerung: {}", written(start)));
    assert!(
        guest["text"]
            .as_str()
            .unwrap()
            .starts_with("Hallo Grace, hier ist Ihr Link:")
    );
    assert_eq!(
        app.broker_outbox().await["items"].as_array().unwrap().len(),
        1
    );

    // A move: the invitation updates the same event, its sequence one more.
    let moved_start = start + HOUR;
    let (status, moved) = app
        .send_with_key(
            Method::PATCH,
            &format!("/v1/visits/{id}"),
            &app.key,
            Some(json!({"start": moved_start, "end": moved_start + 30 * MINUTE})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    let after_move = sink.wait_for(6).await;
    for address in ["ada@clinic.example", "grace@example.test"] {
        let calendar = &to(&after_move, address)[2]["calendar"];
        assert_eq!(calendar["method"], "REQUEST");
        assert_eq!(calendar["uid"], uid.as_str());
        assert_eq!(calendar["sequence"], 1);
        assert_eq!(calendar["start"], utc(moved_start));
    }

    // A cancel: the event is removed, its sequence one more again.
    let (status, _) = app
        .post(&format!("/v1/visits/{id}/cancel"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let all = sink.wait_for(8).await;
    for address in ["ada@clinic.example", "grace@example.test"] {
        let mine = to(&all, address);
        let calendar = &mine[3]["calendar"];
        assert_eq!(calendar["method"], "CANCEL");
        assert_eq!(calendar["status"], "CANCELLED");
        assert_eq!(calendar["uid"], uid.as_str());
        assert_eq!(calendar["sequence"], 2);
        assert!(
            mine[3]["subject"]
                .as_str()
                .unwrap()
                .ends_with("is cancelled")
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let all = sink.messages();
    assert_eq!(all.len(), 8, "each told once of each change: {all:#?}");
    let mut ids: Vec<&str> = all
        .iter()
        .map(|m| m["messageId"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 8);
    assert!(!serde_json::to_string(&all).unwrap().contains("penicillin"));
    // The sink has each mail before the job that sent it commits its rows: wait for those.
    advance_until(&app, &id, 0, |visit| sent_emails(visit) == 8).await;
}

/// How many of the visit's messages are emails sent.
fn sent_emails(visit: &Value) -> usize {
    visit["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["channel"] == "email" && m["outcome"] == "sent")
        .count()
}

/// How the service's messages write a time in Berlin.
fn written(seconds: i64) -> String {
    let zone = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
    server::messages::written_at(seconds, &zone)
}

async fn a_failed_send_is_retried_and_no_one_gets_it_twice(db: Db) {
    let Some(mut sink) = SmtpSink::start().await else {
        return;
    };
    let app = app_mailing_to(db, &sink).await;
    sink.stop().await;
    let start = app.clock.now() + 2 * HOUR;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + HOUR, "reminders": [],
                   "hosts": [{"email": "ada@clinic.example"}],
                   "guests": [{"email": "grace@example.test"}]}),
        )
        .await;
    let id = visit["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/visits/{id}");
    let started = std::time::Instant::now();
    let failed = loop {
        let (_, seen) = app.get(&path).await;
        let notice = seen["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|job| job["kind"] == "notify")
            .cloned()
            .unwrap();
        if notice["attempts"] == 1 && notice["state"] == "due" {
            break seen;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{seen:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let failures: Vec<&Value> = failed["messages"].as_array().unwrap().iter().collect();
    assert_eq!(failures.len(), 2, "{failed:#}");
    assert!(failures.iter().all(|m| m["outcome"] == "failed"));
    sink.restart().await;
    app.clock.advance(Duration::from_secs(30));
    let sent = sink.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 2, "{sent:#?}");
    advance_until(&app, &id, 0, |visit| sent_emails(visit) == 2).await;
}

async fn templates_are_checked_when_set_and_previewed_before(db: Db) {
    let app = spawn_app_with(db, Options::default()).await;
    let put = |kind: &str, language: &str, body: Value| {
        let path = format!("/v1/templates/{kind}/{language}");
        let key = app.key.clone();
        let app = &app;
        async move {
            app.send_with_key(Method::PUT, &path, &key, Some(body))
                .await
        }
    };
    let answer = put(
        "reminder",
        "en",
        json!({"subject": "Hi {{ nmae }}", "body": "x"}),
    )
    .await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "subject");
    assert!(
        answer.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("undefined")
    );
    let answer = put(
        "reminder",
        "en",
        json!({"subject": "Hi", "body": "a\n{% if link %}"}),
    )
    .await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "body");
    let answer = put("memo", "en", json!({"subject": "Hi", "body": "x"})).await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "kind");
    let answer = put("reminder", "english", json!({"subject": "Hi", "body": "x"})).await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "language");
    let answer = put("reminder", "en", json!({"body": "x"})).await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "subject");

    let (status, _) = put(
        "reminder",
        "fr",
        json!({"subject": "Rappel {{ start }}", "body": "Bonjour {{ name }}"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, preview) = app
        .post(
            "/v1/templates/preview",
            json!({"kind": "reminder", "language": "fr-CA"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["body"], "Bonjour Grace Hopper");
    let (_, english) = app
        .post(
            "/v1/templates/preview",
            json!({"kind": "reminder", "language": "it"}),
        )
        .await;
    assert!(
        english["subject"]
            .as_str()
            .unwrap()
            .starts_with("Reminder:"),
        "{english}"
    );
    let (_, tried) = app
        .post(
            "/v1/templates/preview",
            json!({"kind": "cancelled", "subject": "Off: {{ start }}", "body": "{{ role }}"}),
        )
        .await;
    assert_eq!(tried["body"], "guest");
    let (_, listed) = app.get("/v1/templates").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");

    let member = app
        .key_of("default", server::domain::KeyRole::Member, "m")
        .await;
    let (status, _) = app
        .send_with_key(
            Method::PUT,
            "/v1/templates/reminder/de",
            &member,
            Some(json!({"subject": "x", "body": "y"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let other = app
        .key_of("other", server::domain::KeyRole::Admin, "o")
        .await;
    let (_, theirs) = app.get_with_key("/v1/templates", &other).await;
    assert_eq!(theirs["items"], json!([]));
    let (status, _) = app
        .send_with_key(Method::DELETE, "/v1/templates/reminder/fr", &other, None)
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another tenant's is not theirs"
    );
    let (status, _) = app
        .send_with_key(Method::DELETE, "/v1/templates/reminder/fr", &app.key, None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, trail) = app.get("/v1/audit?action=template.set").await;
    let outcomes: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["outcome"].as_str().unwrap())
        .collect();
    assert!(
        outcomes.contains(&"done") && outcomes.contains(&"invalid"),
        "{trail}"
    );
}

on_both_databases!(
    everyone_with_an_address_is_told_once_of_each_change_with_a_calendar_invitation,
    a_failed_send_is_retried_and_no_one_gets_it_twice,
    templates_are_checked_when_set_and_previewed_before,
);
