//! The console's live parts in headless Chromium against `icnode up`: a guest opens their link
//! in a browser of their own and presses Join, and the host's meeting page, never reloaded,
//! says a guest is waiting within 2 s; the meetings page lists the wait, and drops it live when
//! the host joins. As `console.rs`, checked with axe-core and photographed into
//! `target/console-screenshots/`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::console::{browser, driver, shoot, text, until, visible};

/// How soon the host's page must say a guest waits (issue 32).
const WAITING_SHOWN_WITHIN: Duration = Duration::from_secs(2);

#[test]
fn a_host_sees_a_guest_waiting_within_two_seconds_without_reloading() {
    let Some(driver) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_up, url) = crate::service::start_up_with(&data, &["--iterations", "1000"]);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    let key = key.trim().to_owned();
    super::used_secret(&key);
    let (status, _, meeting) = crate::service::post(
        &format!("{url}/v1/meetings"),
        &key,
        json!({"chatId": "clinic-live", "hosts": 1, "guests": 1}),
        None,
    );
    assert_eq!(status, 201, "{meeting}");
    let guest_link = meeting["guests"][0]["url"].as_str().unwrap().to_owned();
    let host_link = meeting["hosts"][0]["url"].as_str().unwrap().to_owned();
    for link in [&guest_link, &host_link] {
        super::used_secret(link.rsplit('/').next().unwrap());
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let host = browser(&driver).await;
        host.goto(&format!("{url}/signin")).await.unwrap();
        visible(&host, "#key").await.send_keys(&format!("{key}\u{E007}")).await.unwrap();
        visible(&host, "#meeting-form").await;
        host.goto(&format!("{url}/meetings/clinic-live")).await.unwrap();
        until(&host, "document.querySelector('#presence-state') && document.querySelector('#presence-state').textContent.includes('Nobody has joined yet.')").await;
        assert_eq!(text(&host, "#link-opens").await, "Links opened: 0");
        // The page is not loaded again from here on: a mark on it must survive.
        host.execute("window.notReloaded = true;", vec![]).await.unwrap();

        // The guest, in a browser of their own: the link, the join page, Join.
        let guest = browser(&driver).await;
        guest.goto(&guest_link).await.unwrap();
        visible(&guest, "#join").await.click().await.unwrap();
        visible(&guest, "#joined").await;
        let joined = Instant::now();
        let mut shown = None;
        while joined.elapsed() < Duration::from_secs(20) {
            let waiting = host
                .execute("return document.querySelector('#presence-state').textContent;", vec![])
                .await
                .unwrap();
            if waiting.as_str().is_some_and(|t| t.contains("A guest is waiting")) {
                shown = Some(joined.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let shown = shown.expect("the host's page never said a guest waits");
        eprintln!("the host's page said a guest waits {} ms after Join", shown.as_millis());
        assert!(shown < WAITING_SHOWN_WITHIN, "shown after {shown:?}");
        assert_eq!(host.execute("return window.notReloaded === true;", vec![]).await.unwrap(), Value::Bool(true));
        until(&host, "document.querySelector('#link-opens').textContent === 'Links opened: 1'").await;
        shoot(&host, "meeting-waiting").await;

        // Across meetings: the wait listed, and gone when the host joins (again without reload).
        host.goto(&format!("{url}/meetings")).await.unwrap();
        until(&host, "document.querySelector('#waiting-list') && document.querySelector('#waiting-list').textContent.includes('clinic-live')").await;
        host.execute("window.notReloaded = true;", vec![]).await.unwrap();
        shoot(&host, "meetings-waiting").await;
        guest.goto(&host_link).await.unwrap();
        visible(&guest, "#join").await.click().await.unwrap();
        visible(&guest, "#joined").await;
        until(&host, "document.querySelector('#waiting').textContent.includes('No guest is waiting.')").await;
        assert_eq!(host.execute("return window.notReloaded === true;", vec![]).await.unwrap(), Value::Bool(true));
        guest.close().await.unwrap();
        host.close().await.unwrap();
    });
}
