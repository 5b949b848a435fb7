//! What the client tries again, and what it says when it did: a status that says "not now" is
//! retried, any other answer is final, and a call that took more than one try is logged.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use instant_connect::{Client, ClientConfig, ClientError, LinkRequest};
use resilience::{Jitter, RetryPolicy};
use tracing::Instrument;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::client::{TOKEN, recorded_v2_body};

/// Every log line of this test binary, in memory. A global subscriber: a thread-local one
/// misses events whose callsites another thread cached as uninteresting.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        captured
    })
}

/// The lines logged inside the span `case` names.
fn lines_of(case: &str) -> Vec<String> {
    let text = String::from_utf8(captured().0.lock().unwrap().clone()).unwrap();
    text.lines()
        .filter(|line| line.contains(&format!("call{{case=\"{case}\"}}")))
        .map(str::to_owned)
        .collect()
}

fn retrying_client(url: &str) -> Client {
    let mut config = ClientConfig::new(url.parse().unwrap(), TOKEN.into());
    config.retry = RetryPolicy {
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(10),
        jitter: Jitter::Fixed { per_mille: 1000 },
        ..RetryPolicy::with_retries(2)
    };
    Client::new(config).unwrap()
}

#[tokio::test]
async fn a_busy_answer_is_tried_again_and_the_retry_is_logged() {
    captured();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(recorded_v2_body()))
        .mount(&server)
        .await;
    let reply = retrying_client(&server.uri())
        .generate_links(&LinkRequest::new("v"))
        .instrument(tracing::info_span!("call", case = "busy-then-ok"))
        .await
        .unwrap();
    assert_eq!(reply.attempts, 2);
    let lines = lines_of("busy-then-ok");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("broker call retried"), "{}", lines[0]);
    assert!(lines[0].contains("attempts=2"), "{}", lines[0]);
    assert!(lines[0].contains("succeeded=true"), "{}", lines[0]);
    assert!(
        lines[0].contains("endpoint=\"/api/v2/joseencrypt\""),
        "{}",
        lines[0]
    );
}

#[tokio::test]
async fn an_answer_at_the_first_try_is_not_logged_as_retried() {
    captured();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(recorded_v2_body()))
        .expect(1)
        .mount(&server)
        .await;
    let reply = retrying_client(&server.uri())
        .generate_links(&LinkRequest::new("v"))
        .instrument(tracing::info_span!("call", case = "ok-at-once"))
        .await
        .unwrap();
    assert_eq!(reply.attempts, 1);
    assert_eq!(lines_of("ok-at-once"), Vec::<String>::new());
}

#[tokio::test]
async fn a_refusal_that_trying_again_would_not_fix_is_tried_once() {
    captured();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&server)
        .await;
    let err = retrying_client(&server.uri())
        .generate_links(&LinkRequest::new("v"))
        .instrument(tracing::info_span!("call", case = "bad-request"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 400, .. }),
        "{err:?}"
    );
    assert_eq!(lines_of("bad-request"), Vec::<String>::new());
}

#[tokio::test]
async fn the_probe_reports_the_status_of_an_empty_link_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/joseencrypt"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(serde_json::json!({})))
        .respond_with(ResponseTemplate::new(400))
        .expect(1)
        .mount(&server)
        .await;
    assert_eq!(retrying_client(&server.uri()).probe().await.unwrap(), 400);

    let refusing = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&refusing)
        .await;
    assert_eq!(retrying_client(&refusing.uri()).probe().await.unwrap(), 401);
}
