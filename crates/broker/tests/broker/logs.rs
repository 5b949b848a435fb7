//! What the broker logs never holds a credential: no cipher, short key, token or secret, even
//! when a request is refused or accepted with warnings.

use std::io::Write;
use std::sync::{Arc, Mutex};

use instant_connect::{JoinStyle, JoinUrls, LinkRequest, Role};

use crate::{SECRET, TOKEN, spawn_broker};

/// Every log line, kept in memory.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        static FILE: std::sync::OnceLock<Option<Mutex<std::fs::File>>> = std::sync::OnceLock::new();
        if let Some(file) = FILE.get_or_init(|| crate::run_file("log").map(Mutex::new)) {
            let _ = file.lock().unwrap().write_all(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The process's subscriber, writing every line of every test to memory (and, for CI, to a
/// file). A global one: a thread-local default misses events whose callsites other threads
/// cached as uninteresting. Every test broker starts it.
pub(crate) fn captured() -> Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_ansi(false)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).unwrap();
            captured
        })
        .clone()
}

#[tokio::test]
async fn logs_name_paths_and_reasons_but_never_a_credential() {
    let captured = captured();

    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-logs");
    request.provide_short_urls = Some(true);
    let response = broker.client.generate_links(&request).await.unwrap().value;
    let guest = &response.guest[0];
    let short = guest.short.clone().unwrap();
    let page = JoinUrls::new(&broker.url).unwrap().long_url(
        Role::Guest,
        &JoinStyle::default(),
        &guest.cipher,
    );
    broker
        .http
        .get(format!("{}/visit/{short}", broker.url))
        .send()
        .await
        .unwrap();
    broker.http.get(&page).send().await.unwrap();
    broker.http.post(&page).send().await.unwrap();
    // Accepted with warnings (no Authorization, no v=1), then refused (a tampered cipher).
    broker
        .http
        .get(format!(
            "{}/api/v1/space/?int=jose&data={}",
            broker.url, guest.cipher
        ))
        .send()
        .await
        .unwrap();
    let tampered = guest.cipher.replacen('A', "B", 3);
    broker
        .http
        .get(format!(
            "{}/hc/v1/talk?int=jose&data={tampered}",
            broker.url
        ))
        .send()
        .await
        .unwrap();
    broker
        .http
        .post(format!("{}/api/v2/joseencrypt", broker.url))
        .bearer_auth("not-the-token")
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    broker.stop().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("broker request"),
        "the subscriber saw the requests"
    );
    assert!(
        logs.contains("/visit/{short}"),
        "short links are logged as the template"
    );
    assert!(logs.contains("accepted with warnings"), "{logs}");
    assert!(logs.contains("refused a cipher"), "{logs}");
    let ciphertext_parts: Vec<&str> = guest.cipher.split('.').filter(|p| p.len() > 16).collect();
    for secret in [TOKEN, SECRET, "not-the-token", short.as_str()]
        .into_iter()
        .chain(ciphertext_parts)
    {
        assert!(!logs.contains(secret), "`{secret}` is in the logs:\n{logs}");
    }
}

#[tokio::test]
async fn a_link_opened_on_another_verticals_page_is_noted_and_one_on_its_own_is_not() {
    let captured = captured();
    let broker = spawn_broker().await;
    let response = broker
        .client
        .generate_links(&LinkRequest::new("visit-vertical"))
        .await
        .unwrap()
        .value;
    let join = JoinUrls::new(&broker.url).unwrap();
    for vertical in [
        instant_connect::Vertical::Hc,
        instant_connect::Vertical::Gen,
    ] {
        let style = JoinStyle {
            vertical,
            ..JoinStyle::default()
        };
        let page = join.long_url(Role::Guest, &style, &response.guest[0].cipher);
        assert_eq!(broker.http.get(&page).send().await.unwrap().status(), 200);
    }
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let noted: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("link opened on another vertical's page"))
        .collect();
    // The hc link on the gen page is noted; no line ever names one vertical twice.
    assert!(
        noted.iter().any(|line| line.contains("link=hc page=gen")),
        "{noted:?}"
    );
    assert!(
        noted
            .iter()
            .all(|line| !line.contains("link=hc page=hc") && !line.contains("link=gen page=gen")),
        "{noted:?}"
    );
}

/// A query's unknown names come from the client: each is escaped (a line break in one cannot
/// start a forged log line) and cut, and however many there are the request logs one line of
/// warnings of bounded length.
#[tokio::test]
async fn a_request_s_warnings_are_one_escaped_bounded_log_line_however_many() {
    let captured = captured();
    let broker = spawn_broker().await;
    let links = broker
        .client
        .generate_links(&LinkRequest::new("many-warnings"))
        .await
        .unwrap()
        .value;
    let cipher = links.guest[0].cipher.clone();
    let forged = "x%0D%0A2026-12-06T00:00:00Z  INFO forged: admin signed in";
    let long_name = "n".repeat(2000);
    let mut query = format!("{forged}=1&{long_name}=2");
    for i in 0..500 {
        query.push_str(&format!("&unknown{i}=v"));
    }
    let response = broker
        .http
        .get(format!(
            "{}/api/v1/space?int=jose&data={cipher}&{query}",
            broker.url
        ))
        .send()
        .await
        .unwrap();
    let tracking = response.headers()["trackingid"]
        .to_str()
        .unwrap()
        .to_owned();
    broker.stop().await;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logs.lines().filter(|l| l.contains(&tracking)).collect();
    let warned: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("accepted with warnings"))
        .collect();
    assert_eq!(warned.len(), 1, "{lines:#?}");
    let line = warned[0];
    assert!(line.contains("count=503"), "{line}");
    assert!(line.contains(r"x\r\n2026-12-06"), "escaped: {line}");
    assert!(
        !logs.lines().any(|l| l.starts_with("2026-12-06T00:00:00Z")),
        "a forged line"
    );
    let request_bytes: usize = lines.iter().map(|l| l.len()).sum();
    assert!(
        request_bytes < 10 * 1024,
        "the request's log is {request_bytes} bytes for a {} byte query",
        query.len()
    );
}
