//! The console's webhooks page in headless Chromium against `icnode up` (which allows private
//! addresses): an endpoint on a receiver of the test's own on loopback, its secret shown once,
//! a test send delivered and signed, a replay, a rotation and a delete; a bad URL said by its
//! field; a key that is not an admin's told so. As `console.rs`, checked with axe-core and
//! photographed into `target/console-screenshots/`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use crate::console::{
    XSS, browser, driver, photograph_whole, reload_until, shoot, text, until, visible,
};

/// A webhook receiver on 127.0.0.1: answers `204 No Content` to every request and keeps each
/// request, its head in lower case.
struct Receiver {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if let Some(request) = read_request(&mut stream) {
                    kept.lock().unwrap().push(request);
                }
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// One request, its head lower-cased, and its body (as long as `content-length` says).
fn read_request(stream: &mut TcpStream) -> Option<String> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut bytes = Vec::new();
    let mut chunk = [0; 4096];
    let end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        bytes.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let length = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while bytes.len() < end + length {
        let read = stream.read(&mut chunk).ok().filter(|n| *n > 0)?;
        bytes.extend_from_slice(&chunk[..read]);
    }
    Some(head + &String::from_utf8_lossy(&bytes[end..]))
}

/// A header's value in a request the receiver kept.
fn header<'a>(request: &'a str, name: &str) -> Option<&'a str> {
    request
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{name}:")))
        .map(str::trim)
}

#[test]
fn the_console_adds_a_webhook_shows_its_secret_once_and_sends_tests_replays_rotates_deletes() {
    let Some(driver) = driver() else { return };
    let receiver = Receiver::start();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_up, url) = crate::service::start_up_with(&data, &["--iterations", "1000"]);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    let key = key.trim().to_owned();
    super::used_secret(&key);
    let member = crate::icnode()
        .args(["keys", "create", "member", "--role", "member", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let member = crate::service::succeeded(member).trim().to_owned();
    super::used_secret(&member);
    let page = format!("{url}/webhooks");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;
        client.goto(&format!("{url}/signin")).await.unwrap();
        visible(&client, "#key").await.send_keys(&format!("{key}\u{E007}")).await.unwrap();
        visible(&client, "#meeting-form").await;
        client.goto(&page).await.unwrap();
        until(&client, "document.querySelector('#webhooks').textContent.includes('No endpoints yet.')").await;
        assert_eq!(text(&client, "nav a[aria-current=page]").await, "Webhooks");
        let hint = text(&client, "#events-hint").await;
        assert!(hint.contains("visit.rescheduled") && hint.contains("link.opened"), "{hint}");

        // A URL that is not http(s), and then events that are not, each said by its field,
        // what was typed kept; the typed markup is text.
        visible(&client, "#url").await.send_keys("ftp://x").await.unwrap();
        visible(&client, "#webhook-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#url-error').textContent.includes('must be an http or https URL')").await;
        until(&client, "document.activeElement && document.activeElement.id === 'url'").await;
        assert_eq!(visible(&client, "#url").await.attr("aria-invalid").await.unwrap().as_deref(), Some("true"));
        assert_eq!(visible(&client, "#url").await.prop("value").await.unwrap().as_deref(), Some("ftp://x"));
        shoot(&client, "webhooks-error").await;
        photograph_whole(&client, "webhooks-error").await;
        let field = visible(&client, "#url").await;
        field.clear().await.unwrap();
        field.send_keys(&receiver.url).await.unwrap();
        let events = visible(&client, "#events").await;
        events.clear().await.unwrap();
        events.send_keys(&format!("visit.*, {XSS}")).await.unwrap();
        visible(&client, "#webhook-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#events-error').textContent.includes('events[1]')").await;
        assert!(text(&client, "#events-error").await.contains(XSS));
        assert_eq!(client.execute("return document.images.length;", vec![]).await.unwrap(), json!(0));

        // Added: the secret shown once, with Copy; the list shows the endpoint at once.
        let events = visible(&client, "#events").await;
        events.clear().await.unwrap();
        events.send_keys("visit.*, link.opened").await.unwrap();
        visible(&client, "#webhook-form button[type=submit]").await.click().await.unwrap();
        let secret = text(&client, "#made-secret").await;
        super::used_secret(&secret);
        assert!(secret.starts_with("whsec_"), "{secret}");
        assert!(text(&client, "#webhook-made").await.contains("it is not shown again"));
        let copy = "document.querySelector('#webhook-made button[data-copy-from=made-secret]').firstChild.textContent";
        assert_eq!(client.execute(&format!("return {copy};"), vec![]).await.unwrap(), json!("Copy"));
        until(&client, "document.activeElement === document.querySelector('#made-title')").await;
        until(&client, "document.querySelectorAll('#webhooks article.webhook').length === 1").await;
        assert_eq!(text(&client, "#webhooks [data-events]").await, "link.opened, visit.*");
        assert_eq!(visible(&client, "#url").await.prop("value").await.unwrap().as_deref(), Some(""));
        shoot(&client, "webhooks-added").await;
        photograph_whole(&client, "webhooks-added").await;
        client.goto(&page).await.unwrap();
        visible(&client, "#webhooks article.webhook").await;
        let shown = client.execute("return document.body.innerHTML.includes(arguments[0]);", vec![json!(secret)]).await.unwrap();
        assert_eq!(shown, json!(false), "the secret is shown once");

        // A test send: delivered within seconds, signed; then replayed with the same id.
        visible(&client, "form[action$='/test'] button").await.click().await.unwrap();
        until(&client, "document.querySelector('#webhooks .notice') && document.querySelector('#webhooks .notice').textContent.includes('webhook.test')").await;
        let done = "document.querySelectorAll('#webhooks tr[data-type=\"webhook.test\"][data-state=done]').length";
        reload_until(&client, &page, &format!("{done} === 1")).await;
        let requests = receiver.requests();
        assert_eq!(requests.len(), 1, "{requests:?}");
        assert!(requests[0].starts_with("post /hook http/1.1\r\n"), "{}", requests[0]);
        assert!(requests[0].contains("\r\nwebhook-signature: v1,"), "{}", requests[0]);
        assert!(requests[0].contains("\"type\":\"webhook.test\""), "{}", requests[0]);
        assert!(text(&client, "#webhooks tbody tr").await.contains("204"));
        visible(&client, "tr[data-type='webhook.test'] form[action$='/replay'] button").await.click().await.unwrap();
        until(&client, "document.querySelector('#webhooks .notice') && document.querySelector('#webhooks .notice').textContent.includes('Replayed')").await;
        reload_until(&client, &page, &format!("{done} === 2")).await;
        let requests = receiver.requests();
        assert_eq!(requests.len(), 2, "{requests:?}");
        assert_eq!(header(&requests[1], "webhook-id"), header(&requests[0], "webhook-id"));
        shoot(&client, "webhooks").await;
        photograph_whole(&client, "webhooks").await;

        // A new secret, shown once; the one before signs a day more.
        visible(&client, "form[action$='/rotate'] button").await.click().await.unwrap();
        let rotated = text(&client, "#rotated-secret").await;
        super::used_secret(&rotated);
        assert!(rotated.starts_with("whsec_") && rotated != secret, "{rotated}");
        assert!(text(&client, "#webhooks .notice").await.contains("A new secret for"));
        assert!(text(&client, "#webhooks dl.facts").await.contains("Previous secret"));
        shoot(&client, "webhooks-rotated").await;
        photograph_whole(&client, "webhooks-rotated").await;

        // Deleted, behind a second click.
        assert!(!visible(&client, "form[action$='/delete'] button").await.is_displayed().await.unwrap());
        visible(&client, "article.webhook details.confirm summary").await.click().await.unwrap();
        visible(&client, "form[action$='/delete'] button").await.click().await.unwrap();
        until(&client, "document.querySelector('#webhooks .notice') && document.querySelector('#webhooks .notice').textContent.startsWith('Deleted the endpoint')").await;
        assert!(text(&client, "#webhooks").await.contains("No endpoints yet."));

        // A member's key: the API's refusal, in the fragment.
        client.execute("sessionStorage.setItem('icnode.apiKey', arguments[0]);", vec![json!(member)]).await.unwrap();
        client.goto(&page).await.unwrap();
        until(&client, "document.querySelector('#webhooks .alert') && document.querySelector('#webhooks .alert').textContent.includes('may not do this')").await;
        shoot(&client, "webhooks-forbidden").await;
        client.close().await.unwrap();
    });
}
