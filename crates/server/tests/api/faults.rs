//! The service and its node runs against a broker that fails on purpose (the local broker's
//! fault injection): the right error and edge within the timeouts, retries of what is safe
//! only, nothing stored for a failed call, and a circuit that opens and says so in `/readyz`.

use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use resilience::{BreakerSettings, Jitter, RetryPolicy};
use serde_json::{Value, json};

use crate::{Db, Options, TestApp, on_both_databases, spawn_app_with};

/// Quick retries, so the tests do not wait out the service's real backoff.
fn quick_retries(retries: u32) -> RetryPolicy {
    RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        jitter: Jitter::Fixed { per_mille: 1000 },
        ..RetryPolicy::with_retries(retries)
    }
}

/// A breaker that does not open during a test unless the test means it to.
fn patient_breaker() -> BreakerSettings {
    BreakerSettings {
        failures: NonZeroU32::new(1000).unwrap(),
        open_for: Duration::from_secs(30),
    }
}

impl TestApp {
    /// Asserts the service holds no meeting `chat_id`.
    async fn assert_no_meeting(&self, chat_id: &str) {
        let (status, body) = self.get(&format!("/v1/meetings/{chat_id}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{chat_id}: {body}");
    }
}

async fn each_broker_failure_is_a_clear_error_and_stores_nothing(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            broker_retry: Some(quick_retries(2)),
            breaker: Some(patient_breaker()),
            broker_timeout: Some(Duration::from_millis(800)),
            ..Options::default()
        },
    )
    .await;
    for (faults, status, code) in [
        (
            json!([{"kind": "status", "status": 500}]),
            StatusCode::BAD_GATEWAY,
            "broker_refused",
        ),
        (
            json!([{"kind": "status", "status": 503, "retry_after_secs": 0}]),
            StatusCode::BAD_GATEWAY,
            "broker_refused",
        ),
        (
            json!([{"kind": "status", "status": 429, "retry_after_secs": 60}]),
            StatusCode::BAD_GATEWAY,
            "broker_refused",
        ),
        (
            json!([{"kind": "drop"}]),
            StatusCode::BAD_GATEWAY,
            "broker_unreachable",
        ),
        (
            json!([{"kind": "truncate"}]),
            StatusCode::BAD_GATEWAY,
            "broker_unreachable",
        ),
        (
            json!([{"kind": "not-json"}]),
            StatusCode::BAD_GATEWAY,
            "broker_answer_unusable",
        ),
        (
            json!([{"kind": "latency", "ms": 3000}]),
            StatusCode::GATEWAY_TIMEOUT,
            "broker_timeout",
        ),
    ] {
        app.set_broker_faults(faults.clone()).await;
        let chat_id = format!("failed-{}", faults[0]["kind"].as_str().unwrap());
        let started = Instant::now();
        let (got, body) = app
            .post("/v1/meetings", json!({"chatId": chat_id, "guests": 2}))
            .await;
        let took = started.elapsed();
        assert_eq!(got, status, "{faults}: {body}");
        assert_eq!(body["error"]["code"], code, "{faults}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("broker"), "{message}");
        assert!(
            took < Duration::from_secs(2),
            "{faults}: {took:?}, the timeout is 800 ms"
        );
        app.assert_no_meeting(&chat_id).await;
    }
    // What was retried: the 500 once (not safe), the 503 three times, the 429 once (its wait
    // is past the timeout), the drop and the truncation once each (the broker may have acted).
    assert_eq!(app.broker_injected("status").await, 1 + 3 + 1);
    assert_eq!(app.broker_injected("drop").await, 1);
    assert_eq!(app.broker_injected("truncate").await, 1);
    assert_eq!(app.meeting_count().await, 0);

    // A guest addition that fails leaves the meeting as it was.
    app.set_broker_faults(json!([])).await;
    let (status, meeting) = app
        .post("/v1/meetings", json!({"chatId": "kept", "guests": 1}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    app.set_broker_faults(json!([{"kind": "status", "status": 500}]))
        .await;
    let (status, body) = app
        .post("/v1/meetings/kept/guests", json!({"count": 2}))
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    let (_, stored) = app.get("/v1/meetings/kept").await;
    assert_eq!(stored["guests"], meeting["guests"], "no half-made guests");
}

async fn transient_failures_are_retried_into_one_whole_meeting(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            broker_retry: Some(quick_retries(2)),
            ..Options::default()
        },
    )
    .await;
    app.set_broker_faults(json!([
        {"kind": "status", "status": 503, "times": 1, "retry_after_secs": 0},
        {"kind": "status", "status": 429, "times": 1, "retry_after_secs": 0},
    ]))
    .await;
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "retried", "hosts": 1, "guests": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    assert_eq!(app.broker_injected("status").await, 2);
    let (_, stored) = app.get("/v1/meetings/retried").await;
    assert_eq!(stored["guests"].as_array().unwrap().len(), 2);
    assert_eq!(stored["hosts"].as_array().unwrap().len(), 1);
    assert_eq!(app.meeting_count().await, 1);
}

async fn a_broker_that_keeps_failing_opens_the_circuit_and_readyz_says_so(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            broker_retry: Some(RetryPolicy::OFF),
            breaker: Some(BreakerSettings {
                failures: NonZeroU32::new(3).unwrap(),
                open_for: Duration::from_secs(30),
            }),
            ..Options::default()
        },
    )
    .await;
    let ready = |app: &TestApp| {
        let request = app.http.get(format!("{}/readyz", app.url)).send();
        async move {
            let response = request.await.unwrap();
            (response.status(), response.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(ready(&app).await.0, StatusCode::OK);
    // Refusals of one request are not the broker's trouble: they do not count.
    for _ in 0..5 {
        let (status, _) = app
            .post("/v1/meetings", json!({"chatId": "a", "hosts": 26}))
            .await;
        assert!(status.is_client_error());
    }
    app.set_broker_faults(json!([{"kind": "status", "status": 500}]))
        .await;
    for n in 0..3 {
        let (status, body) = app
            .post("/v1/meetings", json!({"chatId": format!("down-{n}")}))
            .await;
        assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    }
    let (status, body) = app.post("/v1/meetings", json!({"chatId": "refused"})).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "broker_circuit_open");
    assert_eq!(
        app.broker_injected("status").await,
        3,
        "an open circuit sends nothing"
    );
    let (status, readiness) = ready(&app).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{readiness}");
    assert_eq!(readiness["broker"]["ok"], false);
    let message = readiness["broker"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("circuit open: the broker failed 3 times in a row"),
        "{message}"
    );

    let response = app
        .http
        .post(format!("{}/v1/meetings", app.url))
        .bearer_auth(&app.key)
        .json(&json!({"chatId": "refused"}))
        .send()
        .await
        .unwrap();
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&wait), "{wait}");

    // The broker recovers; after the open time one trial goes through and closes the circuit.
    app.set_broker_faults(json!([])).await;
    app.clock.advance(Duration::from_secs(30));
    let (status, body) = app.post("/v1/meetings", json!({"chatId": "back"})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(ready(&app).await.0, StatusCode::OK);
    assert_eq!(app.meeting_count().await, 1);
}

async fn node_runs_leave_by_the_right_edge_and_retry_only_when_asked(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    // A node of the node directory that calls the broker with a 300 ms request timeout. Its
    // URL is production's, which the service points at its own broker.
    let definition = json!({
        "name": "Impatient Broker",
        "methods": [{
            "name": "Probe",
            "requestTimeoutMs": 300,
            "connectionTimeoutMs": 300,
            "httpMethod": "POST",
            "url": format!("{}/api/v2/joseencrypt", instant_connect::PRODUCTION_BROKER_URL),
            "responseType": "json",
            "events": [{"name": "Refused", "source": {"type": "status"}, "condition": "equals", "value": "401", "edge": "success"}],
        }],
    });
    std::fs::write(dir.path().join("impatient.json"), definition.to_string()).unwrap();

    for retry in [None, Some(quick_retries(2))] {
        let app = spawn_app_with(
            db.clone(),
            Options {
                node_dir: Some(dir.path().to_owned()),
                node_retry: retry,
                ..Options::default()
            },
        )
        .await;
        let run = |chat: &str| {
            app.post(
                "/v1/nodes/instant-connect/generate-basic-link",
                json!({"uniquechatId": chat}),
            )
        };
        app.set_broker_faults(json!([{"kind": "status", "status": 503, "times": 1}]))
            .await;
        let (status, result) = run("node-once").await;
        if retry.is_none() {
            assert_eq!(status, StatusCode::BAD_GATEWAY, "{result}");
            assert_eq!(result["edge"], "error");
            assert_eq!(result["status"], 503);
        } else {
            assert_eq!(status, StatusCode::OK, "{result}");
            assert_eq!(result["edge"], "success");
        }
        assert_eq!(app.broker_injected("status").await, 1);

        app.set_broker_faults(json!([{"kind": "status", "status": 500}]))
            .await;
        let (_, result) = run("node-500").await;
        assert_eq!(result["edge"], "error");
        assert_eq!(
            app.broker_injected("status").await,
            2,
            "a 500 is never retried"
        );

        app.set_broker_faults(json!([{"kind": "latency", "ms": 2000}]))
            .await;
        let started = Instant::now();
        let (status, result) = app
            .post("/v1/nodes/impatient-broker/probe", json!({}))
            .await;
        assert_eq!(status, StatusCode::GATEWAY_TIMEOUT, "{result}");
        assert_eq!(result["edge"], "timeout");
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
    }
}

on_both_databases!(
    each_broker_failure_is_a_clear_error_and_stores_nothing,
    transient_failures_are_retried_into_one_whole_meeting,
    a_broker_that_keeps_failing_opens_the_circuit_and_readyz_says_so,
    node_runs_leave_by_the_right_edge_and_retry_only_when_asked,
);
