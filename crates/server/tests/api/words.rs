//! Times as people write them and errors in the caller's words: an offset is read as written, a
//! wall time needs its zone, a body must be an object, `1.0` is an integer, and no message
//! names a Rust type, a serde internal, a broker field or a Unix number the caller did not send.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{Db, assert_field_error, on_both_databases, spawn_app};

/// Words an implementation would use that a caller never wrote.
const IMPLEMENTATION_WORDS: &[&str] = &[
    "i64",
    "u32",
    "bool",
    "struct",
    "serde",
    "jwt.",
    "numHost",
    "invalid type",
    "expected",
];

fn message(answer: &(StatusCode, Value)) -> String {
    answer.1["error"]["message"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

fn assert_callers_words(answer: &(StatusCode, Value)) {
    let text = message(answer);
    for word in IMPLEMENTATION_WORDS {
        assert!(!text.contains(word), "`{word}` in: {text}");
    }
}

async fn times_with_an_offset_or_a_zone_are_read_as_written(db: Db) {
    let app = spawn_app(db).await;
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "offset", "notBefore": "2030-01-15T08:00:00-05:00",
                   "expiresAt": "2030-01-15T09:00:00-05:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(meeting["notBefore"], "2030-01-15T13:00:00Z");
    assert_eq!(meeting["expiresAt"], "2030-01-15T14:00:00Z");

    // A wall time in July in New York is UTC-4; in January, UTC-5.
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "zoned", "expiresAt": "2030-07-15T09:00:00",
                   "timeZone": "America/New_York"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(meeting["expiresAt"], "2030-07-15T13:00:00Z");
    let (status, added) = app
        .post(
            "/v1/meetings/zoned/guests",
            json!({"expiresAt": "2030-01-15T09:00:00", "timeZone": "America/New_York"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    assert_eq!(added["expiresAt"], "2030-01-15T14:00:00Z");
}

async fn a_time_without_an_offset_or_zone_is_refused_showing_the_forms(db: Db) {
    let app = spawn_app(db).await;
    let naive = app
        .post("/v1/meetings", json!({"expiresAt": "2030-01-15T09:00:00"}))
        .await;
    assert_field_error(&naive, StatusCode::UNPROCESSABLE_ENTITY, "expiresAt");
    let text = message(&naive);
    assert!(
        text.contains("`2030-01-15T09:00:00` has no offset")
            && text.contains("-05:00")
            && text.contains("timeZone"),
        "{text}"
    );
    let zone = app
        .post(
            "/v1/meetings",
            json!({"expiresAt": "2030-01-15T09:00:00", "timeZone": "Mars/Olympus"}),
        )
        .await;
    assert_field_error(&zone, StatusCode::UNPROCESSABLE_ENTITY, "timeZone");
    let skipped = app
        .post(
            "/v1/meetings",
            json!({"expiresAt": "2030-03-10T02:30:00", "timeZone": "America/New_York"}),
        )
        .await;
    assert_field_error(&skipped, StatusCode::UNPROCESSABLE_ENTITY, "expiresAt");
    assert!(
        message(&skipped).contains("clocks skip it"),
        "{}",
        skipped.1
    );
    assert_eq!(app.meeting_count().await, 0);
}

async fn a_start_after_the_end_is_told_in_the_forms_sent(db: Db) {
    let app = spawn_app(db).await;
    let answer = app
        .post(
            "/v1/meetings",
            json!({"notBefore": "2030-01-15T10:00:00-05:00",
                   "expiresAt": "2030-01-15T09:00:00-05:00"}),
        )
        .await;
    assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "notBefore");
    assert_eq!(
        message(&answer),
        "notBefore: must be before expiresAt (2030-01-15T10:00:00-05:00 is not before \
         2030-01-15T09:00:00-05:00)"
    );
    assert_callers_words(&answer);
}

async fn bodies_must_be_objects_and_values_are_told_as_sent(db: Db) {
    let app = spawn_app(db).await;
    for body in [
        json!(["x", null, 1]),
        json!([]),
        json!("x"),
        json!(5),
        json!(false),
    ] {
        let answer = app.post("/v1/meetings", body.clone()).await;
        assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, "body");
        assert_callers_words(&answer);
    }
    app.post("/v1/meetings", json!({"chatId": "kept"})).await;
    let invite = app
        .post("/v1/meetings/kept/invite", json!([["+14155550100"]]))
        .await;
    assert_field_error(&invite, StatusCode::UNPROCESSABLE_ENTITY, "body");

    let cases = [
        (
            json!({"ttlSeconds": "3600"}),
            "ttlSeconds",
            "the text \"3600\"",
        ),
        (json!({"hosts": 1.5}), "hosts", "1.5"),
        (json!({"hostLogin": "yes"}), "hostLogin", "true or false"),
        (json!({"chatId": 5}), "chatId", "must be text"),
        (json!({"expiresAt": true}), "expiresAt", "RFC 3339"),
    ];
    for (body, field, said) in cases {
        let answer = app.post("/v1/meetings", body.clone()).await;
        assert_field_error(&answer, StatusCode::UNPROCESSABLE_ENTITY, field);
        assert!(message(&answer).contains(said), "{body}: {}", answer.1);
        assert_callers_words(&answer);
    }
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "floats", "hosts": 1.0, "guests": 2.0, "ttlSeconds": 600.0}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "whole floats are integers: {meeting}"
    );
    assert_eq!(meeting["guests"].as_array().unwrap().len(), 2);
    let unknown = app.post("/v1/meetings", json!({"hots": 1})).await;
    assert_field_error(&unknown, StatusCode::UNPROCESSABLE_ENTITY, "hots");
    assert!(message(&unknown).contains("`hosts`"), "{}", unknown.1);
    assert_callers_words(&unknown);
    let limit = app.get("/v1/meetings?limit=ten").await;
    assert_field_error(&limit, StatusCode::UNPROCESSABLE_ENTITY, "limit");
    assert!(message(&limit).contains("`ten`"), "{}", limit.1);
    assert_callers_words(&limit);
    assert_eq!(app.meeting_count().await, 2);
}

on_both_databases!(
    times_with_an_offset_or_a_zone_are_read_as_written,
    a_time_without_an_offset_or_zone_is_refused_showing_the_forms,
    a_start_after_the_end_is_told_in_the_forms_sent,
    bodies_must_be_objects_and_values_are_told_as_sent,
);
