//! Fault injection and throttling: each fault seen from a plain HTTP client, the control
//! route's token, rates, and the instant-connect client's retries against them.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

use broker::{Fault, FaultKind, LocalBroker};
use instant_connect::{Client, ClientConfig, ClientError, LinkRequest};
use resilience::{Jitter, RetryPolicy};
use serde_json::{Value, json};

use crate::{TOKEN, TestBroker, settings, spawn_with};

const FAULT_TOKEN: &str = "fault-control-token";

async fn faulty_broker() -> (TestBroker, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(Some(dir.path()));
    settings.fault_token = Some(FAULT_TOKEN.into());
    (spawn_with(settings).await, dir)
}

impl TestBroker {
    async fn set_faults(&self, faults: Value) -> (u16, Value) {
        self.set_plan(json!({ "faults": faults })).await
    }

    async fn set_plan(&self, plan: Value) -> (u16, Value) {
        let response = self
            .http
            .put(format!("{}/_icnode/faults", self.url))
            .bearer_auth(FAULT_TOKEN)
            .json(&plan)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn injected(&self, kind: &str) -> u64 {
        let report: Value = self
            .http
            .get(format!("{}/_icnode/faults", self.url))
            .bearer_auth(FAULT_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        report["injected"][kind].as_u64().unwrap_or(0)
    }

    fn link_request(&self, sub: &str) -> reqwest::RequestBuilder {
        self.post_json(
            "/api/v2/joseencrypt",
            &json!({"aud": instant_connect::AUDIENCE, "provideShortUrls": true,
                    "jwt": {"sub": sub}}),
        )
    }

    /// The status of a link request for `sub`.
    async fn link_status(&self, sub: &str) -> u16 {
        self.link_request(sub)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Whether the broker minted anything for `sub`.
    async fn minted_for(&self, sub: &str) -> bool {
        !self.get_json(&format!("/_icnode/meetings/{sub}")).await["spaceId"].is_null()
    }

    /// An instant-connect client of this broker that retries as the service does.
    fn retrying_client(&self, timeout: Duration) -> Client {
        let mut config = ClientConfig::new(self.url.parse().unwrap(), TOKEN.into());
        config.clock = Arc::new(self.clock.clone());
        config.request_timeout = timeout;
        config.retry = RetryPolicy {
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            jitter: Jitter::Fixed { per_mille: 1000 },
            ..RetryPolicy::with_retries(2)
        };
        Client::new(config).unwrap()
    }
}

#[tokio::test]
async fn the_control_route_exists_only_with_its_token_and_answers_only_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let plain = spawn_with(settings(Some(dir.path()))).await;
    let response = plain
        .http
        .get(format!("{}/_icnode/faults", plain.url))
        .bearer_auth(FAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    let (broker, _dir) = faulty_broker().await;
    let url = format!("{}/_icnode/faults", broker.url);
    for token in [None, Some(TOKEN), Some("wrong")] {
        let mut request = broker.http.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{token:?}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("fault token"),
            "{body}"
        );
    }
    let put = broker
        .http
        .put(&url)
        .bearer_auth(TOKEN)
        .json(&json!({"faults": [{"kind": "drop"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 401, "the broker's token does not set faults");
    assert_eq!(broker.link_status("untouched").await, 200);
}

#[tokio::test]
async fn a_slow_answer_comes_after_the_work_is_done() {
    let (broker, _dir) = faulty_broker().await;
    let (status, report) = broker
        .set_faults(json!([{"kind": "slow-answer", "ms": 400}]))
        .await;
    assert_eq!(status, 200, "{report}");
    let timed_out = tokio::time::timeout(
        Duration::from_millis(150),
        broker.link_request("slow").send(),
    )
    .await;
    assert!(timed_out.is_err(), "the answer waits");
    assert!(
        broker.minted_for("slow").await,
        "the links were made while the client waited"
    );
    let started = std::time::Instant::now();
    assert_eq!(broker.link_status("slow-again").await, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(broker.injected("slow-answer").await, 2);
    let refused: Result<broker::Fault, _> = "slow-answer".parse();
    assert!(
        refused
            .unwrap_err()
            .to_string()
            .contains("slow-answer=250ms")
    );
}

#[tokio::test]
async fn a_status_fault_answers_before_anything_is_minted_then_runs_out() {
    let (broker, _dir) = faulty_broker().await;
    let (status, report) = broker
        .set_faults(json!([{"kind": "status", "status": 503, "times": 2}]))
        .await;
    assert_eq!(status, 200, "{report}");
    for _ in 0..2 {
        let response = broker.link_request("busy").send().await.unwrap();
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        assert!(response.headers().contains_key("trackingid"));
        let body: Value = response.json().await.unwrap();
        assert!(body["message"].as_str().unwrap().contains("503"), "{body}");
        assert!(
            !broker.minted_for("busy").await,
            "a refused request mints nothing"
        );
    }
    assert_eq!(broker.link_status("busy").await, 200);
    assert!(broker.minted_for("busy").await);
    assert_eq!(broker.injected("status").await, 2);

    broker
        .set_faults(json!([{"kind": "status", "status": 429, "retry_after_secs": 7}]))
        .await;
    let response = broker.link_request("throttled").send().await.unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "7");
    broker
        .set_faults(json!([{"kind": "status", "status": 500}]))
        .await;
    let response = broker.link_request("broken").send().await.unwrap();
    assert_eq!(response.status(), 500);
    assert!(!response.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn drop_truncate_not_json_and_latency_reach_the_client_as_such() {
    let (broker, _dir) = faulty_broker().await;

    broker.set_faults(json!([{"kind": "drop"}])).await;
    let error = broker.link_request("dropped").send().await.unwrap_err();
    assert!(!error.is_timeout() && error.status().is_none(), "{error:?}");

    broker.set_faults(json!([{"kind": "truncate"}])).await;
    let response = broker.link_request("cut").send().await.unwrap();
    assert_eq!(response.status(), 200);
    let declared: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(declared > 100, "{declared}");
    // Part of the body arrives, then the connection ends.
    let mut response = response;
    let mut received = 0;
    let ended = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => received += chunk.len(),
            Ok(None) => break None,
            Err(error) => break Some(error),
        }
    };
    assert!(ended.is_some(), "the body ends early");
    assert!(
        received > 0 && received < declared,
        "{received} of {declared}"
    );

    broker.set_faults(json!([{"kind": "not-json"}])).await;
    let response = broker.link_request("html").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());

    broker
        .set_faults(json!([{"kind": "latency", "ms": 300}]))
        .await;
    let started = Instant::now();
    let response = broker.link_request("slow").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    for kind in ["drop", "truncate", "not-json", "latency"] {
        assert_eq!(broker.injected(kind).await, 1, "{kind}");
    }

    // Only the JSON API meets faults: the local routes and pages answer true.
    broker
        .set_faults(json!([{"kind": "status", "status": 503}]))
        .await;
    let joins = broker
        .http
        .get(format!("{}/_icnode/joins", broker.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(joins.status(), 200);
    let home = broker.http.get(&broker.url).send().await.unwrap();
    assert_eq!(home.status(), 200);

    let cleared = broker
        .http
        .delete(format!("{}/_icnode/faults", broker.url))
        .bearer_auth(FAULT_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 204);
    assert_eq!(broker.link_status("healthy").await, 200);
}

/// Which of `requests` requests a fault at half the time met, after seeding the draws.
async fn refused_at_half_rate(broker: &TestBroker, seed: u64, requests: usize) -> Vec<bool> {
    let (status, _) = broker
        .set_plan(json!({"faults": [{"kind": "status", "status": 503, "rate": 0.5}], "seed": seed}))
        .await;
    assert_eq!(status, 200);
    let mut refused = Vec::with_capacity(requests);
    for _ in 0..requests {
        // An empty body costs no minting: 400 when not refused.
        let status = broker
            .post_json("/api/v2/joseencrypt", &json!({}))
            .send()
            .await
            .unwrap()
            .status();
        refused.push(match status.as_u16() {
            503 => true,
            400 => false,
            other => panic!("{other}"),
        });
    }
    refused
}

#[tokio::test]
async fn a_fault_at_a_rate_meets_about_that_share_of_requests_the_same_ones_for_a_seed() {
    let (broker, _dir) = faulty_broker().await;
    const REQUESTS: usize = 400;
    let first = refused_at_half_rate(&broker, 7, REQUESTS).await;
    let refused = first.iter().filter(|&&r| r).count();
    // Binomial(400, 0.5): mean 200, standard deviation 10. The seed fixes the draws, so this
    // holds or fails the same on every run.
    assert!((170..=230).contains(&refused), "{refused} of {REQUESTS}");
    assert_eq!(broker.injected("status").await, refused as u64);

    let again = refused_at_half_rate(&broker, 7, REQUESTS).await;
    assert_eq!(again, first, "the same seed meets the same requests");
    let other = refused_at_half_rate(&broker, 8, REQUESTS).await;
    assert_ne!(other, first, "another seed meets others");
}

#[tokio::test]
async fn a_fault_that_breaks_a_rule_is_refused_naming_it() {
    let (broker, _dir) = faulty_broker().await;
    for (faults, field) in [
        (
            json!([{"kind": "status", "status": 503, "rate": 2}]),
            "faults[0].rate",
        ),
        (
            json!([{"kind": "drop"}, {"kind": "status", "status": 200}]),
            "faults[1].status",
        ),
        (json!([{"kind": "latency", "ms": 600_000}]), "faults[0].ms"),
    ] {
        let (status, body) = broker.set_faults(faults).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["message"].as_str().unwrap().starts_with(field),
            "{body}"
        );
    }
    let (status, body) = broker.set_faults(json!([{"kind": "meteor"}])).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("meteor"),
        "{body}"
    );
    assert_eq!(broker.link_status("still-fine").await, 200);

    let mut bad = settings(None);
    bad.faults = vec![Fault {
        kind: FaultKind::Drop,
        rate: -0.1,
        times: None,
    }];
    let error = LocalBroker::open(
        bad,
        &"http://127.0.0.1:1".parse().unwrap(),
        Arc::new(instant_connect::SystemClock),
    )
    .await
    .err()
    .unwrap();
    assert!(
        error
            .to_string()
            .starts_with("faults [0].rate: must be between 0 and 1"),
        "{error}"
    );
}

#[test]
fn the_text_form_of_a_fault_reads_every_kind_and_names_what_is_wrong() {
    let read = |text: &str| text.parse::<Fault>();
    assert_eq!(
        read("status=429,retry-after=2s@0.25").unwrap(),
        Fault {
            kind: FaultKind::Status {
                status: 429,
                retry_after_secs: Some(2)
            },
            rate: 0.25,
            times: None
        }
    );
    assert_eq!(
        read("latency=250ms").unwrap().kind,
        FaultKind::Latency { ms: 250 }
    );
    assert_eq!(
        read("drop,times=1").unwrap(),
        Fault {
            kind: FaultKind::Drop,
            rate: 1.0,
            times: Some(1)
        }
    );
    assert_eq!(read("truncate@0.5").unwrap().kind, FaultKind::Truncate);
    assert_eq!(read("not-json").unwrap().kind, FaultKind::NotJson);
    for (text, field) in [
        ("status=503@1.5", "fault.rate"),
        ("status=503@often", "rate"),
        ("status=abc", "status"),
        ("status=302", "fault.status"),
        ("status", "status"),
        ("latency=soon", "latency"),
        ("drop,times=-1", "times"),
        ("drop,when=now", "fault"),
        ("meteor", "fault"),
    ] {
        let error = read(text).unwrap_err();
        assert_eq!(error.field, field, "{text}: {error}");
        assert!(!error.rule.is_empty());
    }
}

#[tokio::test]
async fn the_client_retries_what_the_broker_did_not_act_on_and_nothing_else() {
    let (broker, _dir) = faulty_broker().await;
    let client = broker.retrying_client(Duration::from_secs(10));

    broker
        .set_faults(json!([{"kind": "status", "status": 503, "times": 2, "retry_after_secs": 0}]))
        .await;
    let reply = client
        .generate_links(&LinkRequest::new("retried"))
        .await
        .unwrap();
    assert_eq!(reply.attempts, 3);
    assert_eq!(broker.injected("status").await, 2);

    broker
        .set_faults(json!([{"kind": "status", "status": 502}]))
        .await;
    let error = client
        .generate_links(&LinkRequest::new("gives-up"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::Status { status: 502, .. }),
        "{error:?}"
    );
    assert_eq!(broker.injected("status").await, 2 + 3, "three tries in all");

    for (kind, faults) in [
        ("status", json!([{"kind": "status", "status": 500}])),
        ("drop", json!([{"kind": "drop"}])),
        ("truncate", json!([{"kind": "truncate"}])),
        ("not-json", json!([{"kind": "not-json"}])),
    ] {
        let before = broker.injected(kind).await;
        broker.set_faults(faults).await;
        let sub = format!("once-{kind}");
        assert!(
            client
                .generate_links(&LinkRequest::new(&sub))
                .await
                .is_err()
        );
        assert_eq!(
            broker.injected(kind).await,
            before + 1,
            "{kind} is not retried"
        );
    }

    // A Retry-After past the request's time is not waited for.
    let client = broker.retrying_client(Duration::from_secs(2));
    broker
        .set_faults(json!([{"kind": "status", "status": 429, "retry_after_secs": 30}]))
        .await;
    let started = Instant::now();
    let error = client
        .generate_links(&LinkRequest::new("later"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ClientError::Status { status: 429, retry_after: Some(wait), .. } if wait == Duration::from_secs(30)),
        "{error:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    // Latency past the request's time is a timeout, within that time.
    broker
        .set_faults(json!([{"kind": "latency", "ms": 5000}]))
        .await;
    let started = Instant::now();
    let error = client
        .generate_links(&LinkRequest::new("slow"))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Timeout { .. }), "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_token_past_its_throttle_gets_429_with_retry_after_and_others_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings(Some(dir.path()));
    settings.tokens.push("second-token".into());
    settings.throttle_per_minute = NonZeroU32::new(3);
    let broker = spawn_with(settings).await;
    let probe = |token: &'static str| {
        broker
            .http
            .post(format!("{}/api/v2/joseencrypt", broker.url))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(probe(TOKEN).await.unwrap().status(), 400);
    }
    let throttled = probe(TOKEN).await.unwrap();
    assert_eq!(throttled.status(), 429);
    let wait: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    let body: Value = throttled.json().await.unwrap();
    assert!(
        body["trackingId"].as_str().is_some_and(|id| !id.is_empty()),
        "{body}"
    );
    assert_eq!(probe("second-token").await.unwrap().status(), 400);
    assert_eq!(
        probe("unknown").await.unwrap().status(),
        401,
        "an unknown token is not counted"
    );
    broker.clock.advance(Duration::from_secs(wait));
    assert_eq!(probe(TOKEN).await.unwrap().status(), 400);
}
