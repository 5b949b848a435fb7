//! The web console end to end in headless Chromium (Debian's `chromium` and `chromedriver`,
//! driven over WebDriver by fantoccini) against `icnode up` on port 0. Every page is checked
//! with axe-core (WCAG 2 A and AA rules), for no sideways scroll at 375 px and for an icon that
//! loads, and photographed at desktop and phone width into `target/console-screenshots/` for
//! review. Without Chromium or axe-core (`target/axe/`,
//! put there by `.ci/run` from npm) the suite is skipped with a reason, and fails when `CI=true`.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::service::start_up;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
pub(super) const XSS: &str = "<img src=x onerror=alert(1)>";
const DESKTOP: (u32, u32) = (1280, 900);
/// The narrowest phone in common use.
const PHONE: (u32, u32) = (375, 812);

/// Where `.ci/run` puts axe-core's browser build.
const AXE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/axe/axe.min.js");

/// Fails under `CI=true`, else prints why the suite is skipped.
fn unavailable(reason: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// chromedriver on a free port, killed when dropped.
pub(super) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The driver, or `None` (with the reason printed) when Chromium is not installed; with
/// `CI=true` its absence fails.
pub(super) fn driver() -> Option<Driver> {
    let missing: Vec<&str> = [CHROMEDRIVER, CHROMIUM]
        .into_iter()
        .filter(|path| !Path::new(path).exists())
        .collect();
    if !missing.is_empty() {
        unavailable(&format!(
            "{} not installed (apt-get install -y chromium chromium-driver)",
            missing.join(" and ")
        ));
        return None;
    }
    if !Path::new(AXE).exists() {
        unavailable(&format!(
            "axe-core is not at {AXE} (.ci/run fetches it: npm pack axe-core@4.14.1)"
        ));
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    // The browser's time zone, so that local times in forms have a known meaning.
    let child = Command::new(CHROMEDRIVER)
        .env("TZ", "Europe/Berlin")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
}

pub(super) async fn browser(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     format!("--window-size={},{}", DESKTOP.0, DESKTOP.1)]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a Chromium session")
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The page at desktop and at phone width, as `target/console-screenshots/<name>-<width>.png`,
/// after axe-core found no WCAG 2 A or AA violation at either width, nothing wider than the
/// window at either, and the page's icon loads.
pub(super) async fn shoot(client: &Client, name: &str) {
    let axe = std::fs::read_to_string(AXE).unwrap();
    client.execute(&axe, vec![]).await.unwrap();
    let icon = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const link = document.querySelector('link[rel=icon]');
             fetch(link.href).then(r => done([r.status, r.headers.get('content-type')]), e => done(String(e)));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(icon, json!([200, "image/svg+xml"]), "the icon of {name}");
    for (width, height) in [DESKTOP, PHONE] {
        client.set_window_size(width, height).await.unwrap();
        let widths = client
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth, document.documentElement.clientWidth,
                         [...document.querySelectorAll('main *')]
                            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                            .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className).slice(0, 5)];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            widths[0],
            json!(width),
            "{name}: the window is {width} px wide"
        );
        // Nothing wider than the window, the scroll bar aside.
        assert!(
            widths[1].as_u64() <= widths[2].as_u64() && widths[2].as_u64() <= widths[0].as_u64(),
            "{name} at {width} px scrolls sideways: {widths}"
        );
        let axe_result = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})
                    .then(r => done({passed: r.passes.length, violations: r.violations.map(v =>
                        ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))}));",
                vec![],
            )
            .await
            .unwrap();
        // The smallest page, a visitor's of an own link, passes 6 rules; a console page, dozens.
        assert!(
            axe_result["passed"].as_u64().unwrap() >= 5,
            "axe ran its rules: {axe_result}"
        );
        assert_eq!(
            axe_result["violations"],
            json!([]),
            "axe on {name} at {width} px"
        );
        let png = client.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{name}-{width}.png")), png).unwrap();
    }
    client.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();
}

/// Waits for an element matching `css` to be on the page.
pub(super) async fn visible(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("no {css}: {e}"))
}

/// Waits until `script` (a JS expression) is true.
pub(super) async fn until(client: &Client, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = client
            .execute(&format!("return Boolean({script});"), vec![])
            .await
            .unwrap();
        if value == Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "never true: {script}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub(super) async fn text(client: &Client, css: &str) -> String {
    visible(client, css).await.text().await.unwrap()
}

/// The text a QR code on the page holds, read back from a screenshot of it.
async fn decode_qr(client: &Client, element: &fantoccini::elements::Element) -> String {
    // A screenshot shows only what is in the viewport.
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(element).unwrap()],
        )
        .await
        .unwrap();
    let png = element.screenshot().await.unwrap();
    let image = image::load_from_memory(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the element");
    grids[0].decode().unwrap().1
}

#[test]
fn the_console_signs_in_makes_meetings_with_qr_codes_tests_nodes_and_escapes_everything() {
    let Some(driver) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_up, url) = start_up(&data);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    super::used_secret(key.trim());
    let broker_token = std::fs::read_to_string(data.join("broker-token")).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;

        // Without a key the console sends the user to sign in; a wrong key is told plainly.
        client.goto(&format!("{url}/")).await.unwrap();
        let input = visible(&client, "#key").await;
        assert!(client.current_url().await.unwrap().path().ends_with("/signin"));
        input.send_keys("icn_wrong_key").await.unwrap();
        visible(&client, "#signin button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#key-error').textContent.includes('refused')").await;
        assert_eq!(
            visible(&client, "#key").await.attr("aria-invalid").await.unwrap().as_deref(),
            Some("true")
        );
        shoot(&client, "signin").await;
        let input = visible(&client, "#key").await;
        input.clear().await.unwrap();
        // By keyboard alone: the key, then Enter.
        input.send_keys(&format!("{}\u{E007}", key.trim())).await.unwrap();
        visible(&client, "#meeting-form").await;
        // The key lives in this tab's session storage only: no cookie, nothing kept for later.
        let kept = client
            .execute("return [sessionStorage.getItem('icnode.apiKey'), localStorage.length, document.cookie];", vec![])
            .await
            .unwrap();
        assert_eq!(kept, json!([key.trim(), 0, ""]));

        // A form error stands by its field, and what was typed stays.
        visible(&client, "#chatId").await.send_keys(XSS).await.unwrap();
        client
            .execute("document.querySelector('#validity').value = 'custom'; document.querySelector('#validity').dispatchEvent(new Event('change'));", vec![])
            .await
            .unwrap();
        visible(&client, "#meeting-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#expiresAt-error') && document.querySelector('#expiresAt-error').textContent.includes('custom validity')").await;
        assert_eq!(visible(&client, "#chatId").await.prop("value").await.unwrap().as_deref(), Some(XSS));
        shoot(&client, "new-meeting-error").await;

        // A meeting whose chat id is markup: shown as text, links with QR codes that scan.
        client
            .execute("document.querySelector('#validity').value = '3600'; document.querySelector('#validity').dispatchEvent(new Event('change'));
                      document.querySelector('#vertical').value = 'gen'; document.querySelector('#hostLogin').checked = false;", vec![])
            .await
            .unwrap();
        visible(&client, "#meeting-form button[type=submit]").await.click().await.unwrap();
        let title = text(&client, "#result-title").await;
        assert_eq!(title, format!("Links for {XSS}"));
        assert_eq!(client.execute("return document.images.length;", vec![]).await.unwrap(), json!(0));
        assert!(client.get_alert_text().await.is_err(), "no script ran");
        // The form for the next meeting is as the user left it, but for the chat id.
        let kept = client
            .execute("const q = s => document.querySelector(s);
                      return [q('#validity').value, q('#vertical').value, q('#hostLogin').checked, q('#chatId').value, q('.custom-validity').hidden];", vec![])
            .await
            .unwrap();
        assert_eq!(kept, json!(["3600", "gen", false, "", true]), "validity, join pages, host sign-in, chat id");
        until(&client, "document.querySelector('.countdown').textContent.includes('in ')").await;
        let urls = client
            .execute("return [...document.querySelectorAll('[data-link-url]')].map(e => e.textContent);", vec![])
            .await
            .unwrap();
        let urls: Vec<String> = serde_json::from_value(urls).unwrap();
        assert_eq!(urls.len(), 2, "one host and one guest link");
        let codes = client.find_all(Locator::Css(".qr")).await.unwrap();
        for (code, link) in codes.iter().zip(&urls) {
            assert_eq!(&decode_qr(&client, code).await, link);
        }
        // Each card shows its own link whole, and a link that opens it in a new tab.
        for (width, height) in [DESKTOP, PHONE] {
            client.set_window_size(width, height).await.unwrap();
            let cards = client
                .execute("return [...document.querySelectorAll('#result article.link')].map(card => {
                            const url = card.querySelector('[data-link-url]'), open = card.querySelector('a[data-open]');
                            return [url.textContent, !!card.querySelector('[data-short]'),
                                    url.scrollWidth <= url.clientWidth && url.scrollHeight <= url.clientHeight,
                                    open.href, open.target, open.rel]; });", vec![])
                .await
                .unwrap();
            for (card, link) in cards.as_array().unwrap().iter().zip(&urls) {
                assert_eq!(card[0], json!(link));
                assert!(link.starts_with(&format!("{url}/l/")), "{card}");
                assert_eq!(card[1], json!(false), "no broker short code beside an own link: {card}");
                assert_eq!(card[2], json!(true), "the URL is not cut at {width} px: {card}");
                assert_eq!(card.as_array().unwrap()[3..], [json!(link), json!("_blank"), json!("noopener noreferrer")]);
            }
        }
        client.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();
        shoot(&client, "new-meeting").await;

        // The guest's Open leads, in a tab of its own, to the broker's join page, whose title
        // shows the chat id as text.
        let console = client.window().await.unwrap();
        visible(&client, "[data-role=guest] a[data-open]").await.click().await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        let tab = loop {
            let windows = client.windows().await.unwrap();
            if let Some(tab) = windows.into_iter().find(|w| *w != console) {
                break tab;
            }
            assert!(Instant::now() < deadline, "Open opened no tab");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        client.switch_to_window(tab).await.unwrap();
        until(&client, "document.title.startsWith('Virtual Visit - ')").await;
        let opened = client.current_url().await.unwrap();
        assert!(opened.path().starts_with("/gen/v1/talk"), "the guest's page, as chosen: {opened}");
        assert_eq!(client.title().await.unwrap(), format!("Virtual Visit - {XSS}"));
        assert_eq!(client.execute("return document.images.length;", vec![]).await.unwrap(), json!(0));
        assert_eq!(client.execute("return window.opener;", vec![]).await.unwrap(), Value::Null, "noopener");
        client.close_window().await.unwrap();
        client.switch_to_window(console).await.unwrap();

        // The meeting's page: add a guest; an invite to a bad number is stopped in the browser.
        client.goto(&format!("{url}/meetings")).await.unwrap();
        let row = visible(&client, "#meetings tbody th a").await;
        assert_eq!(row.text().await.unwrap(), XSS);
        shoot(&client, "meetings").await;
        row.click().await.unwrap();
        visible(&client, "#count").await;
        visible(&client, "form[action$='/guests'] button").await.click().await.unwrap();
        until(&client, "document.querySelector('.notice') && document.querySelector('.notice').textContent.includes('Added 1 guest link')").await;
        assert_eq!(client.find_all(Locator::Css("[data-role=guest]")).await.unwrap().len(), 2);
        visible(&client, "#phones").await.send_keys("555-0100").await.unwrap();
        visible(&client, "form[action$='/invite'] button").await.click().await.unwrap();
        until(&client, "document.querySelector('#phones').matches(':invalid')").await;
        let phones = visible(&client, "#phones").await;
        phones.clear().await.unwrap();
        phones.send_keys("+14155550100").await.unwrap();
        visible(&client, "form[action$='/invite'] button").await.click().await.unwrap();
        until(&client, "document.querySelector('.notice') && document.querySelector('.notice').textContent.includes('Invite sent to 1 number')").await;
        shoot(&client, "meeting").await;

        // A custom window typed in local time (Berlin): each end at its own date's offset.
        client.goto(&format!("{url}/")).await.unwrap();
        visible(&client, "#chatId").await.send_keys("berlin-window").await.unwrap();
        client
            .execute(
                "const v = document.querySelector('#validity'); v.value = 'custom'; v.dispatchEvent(new Event('change'));
                 document.querySelector('#notBefore').value = '2030-07-01T09:30';
                 document.querySelector('#expiresAt').value = '2030-12-01T10:00';",
                vec![],
            )
            .await
            .unwrap();
        visible(&client, "#meeting-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#result-title')").await;
        let meeting: Value = reqwest::Client::new()
            .get(format!("{url}/v1/meetings/berlin-window"))
            .bearer_auth(key.trim())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(meeting["notBefore"], "2030-07-01T07:30:00Z", "summer: UTC+2");
        assert_eq!(meeting["expiresAt"], "2030-12-01T09:00:00Z", "winter: UTC+1");

        // The status page tells the broker and the database plainly.
        client.goto(&format!("{url}/status")).await.unwrap();
        until(&client, "document.querySelector('#status table')").await;
        let status = text(&client, "#status").await;
        assert!(status.contains("broker reachable and token accepted"), "{status}");
        assert!(status.contains("sqlite reachable"), "{status}");
        assert!(status.contains("signed in with the key “dev”, admin of the tenant “default”"), "{status}");
        shoot(&client, "status").await;

        // The node tester: both Instant Connect methods, from forms built from their node UI.
        client.goto(&format!("{url}/nodes")).await.unwrap();
        visible(&client, "a[href='/nodes/instant-connect/generate-basic-link']").await.click().await.unwrap();
        visible(&client, "input[name='p:uniquechatId']").await.send_keys("tester-visit").await.unwrap();
        visible(&client, "#run-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('[data-edge]') && document.querySelector('[data-edge]').dataset.edge === 'success'").await;
        assert!(!text(&client, "[data-output=hostshortkey]").await.is_empty());
        // URLs first, ciphers folded at the end.
        let rows = client
            .execute("return [...document.querySelectorAll('#outputs > div')].map(r =>
                        [r.querySelector('dt').textContent, /^https?:/.test(r.querySelector('dd').textContent), !!r.querySelector('dd details')]);", vec![])
            .await
            .unwrap();
        let rows: Vec<(String, bool, bool)> = serde_json::from_value(rows).unwrap();
        let urls = rows.iter().take_while(|(_, url, _)| *url).count();
        assert!(urls >= 3 && rows.iter().skip(urls).all(|(_, url, _)| !url), "{rows:?}");
        let folded: Vec<&str> = rows.iter().filter(|(_, _, folded)| *folded).map(|(name, ..)| name.as_str()).collect();
        assert_eq!(folded, ["hostcipher", "guestcipher"], "{rows:?}");
        assert!(rows.ends_with(&[("hostcipher".into(), false, true), ("guestcipher".into(), false, true)]), "{rows:?}");
        shoot(&client, "node-tester").await;
        client.goto(&format!("{url}/nodes/instant-connect/add-guest")).await.unwrap();
        visible(&client, "input[name='p:uniquechatId']").await.send_keys("tester-visit").await.unwrap();
        visible(&client, "#run-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('[data-edge]') && document.querySelector('[data-edge]').dataset.edge === 'success'").await;

        // A Postman collection imported here runs with the secret typed for the run.
        client.goto(&format!("{url}/nodes")).await.unwrap();
        let collection = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../importer/tests/fixtures/instant-connect.postman_collection.json")).unwrap();
        visible(&client, "#source").await;
        client
            .execute("document.querySelector('#source').value = arguments[0];", vec![json!(collection)])
            .await
            .unwrap();
        visible(&client, "#name").await.send_keys("Imported IC").await.unwrap();
        let listed = "document.querySelector(\"#nodes a[href='/nodes/imported-ic/generate-basic-link']\")";
        until(&client, "document.querySelector('#nodes section.node')").await;
        assert_eq!(client.execute(&format!("return {listed};"), vec![]).await.unwrap(), Value::Null);
        visible(&client, "#import-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#import-result') && document.querySelector('#import-result').textContent.includes('node check: no problems.')").await;
        // The node list shows the new node without a reload.
        until(&client, listed).await;
        shoot(&client, "node-import").await;
        visible(&client, "#import-result a[href='/nodes/imported-ic/generate-basic-link']").await.click().await.unwrap();
        visible(&client, "input[name='p:chatId']").await.send_keys("imported-visit").await.unwrap();
        visible(&client, "input[name='p:numHost']").await.send_keys("1").await.unwrap();
        visible(&client, "input[name='s:bearer_token']").await.send_keys(broker_token.trim()).await.unwrap();
        visible(&client, "#run-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('[data-edge]') && document.querySelector('[data-edge]').dataset.edge === 'success'").await;
        shoot(&client, "node-imported-run").await;

        // A key revoked while signed in: the next fragment is refused and the user told why.
        let revoked = crate::icnode()
            .args(["keys", "revoke", "dev", "--data-dir", data.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(revoked.status.success(), "{revoked:?}");
        client.goto(&format!("{url}/status")).await.unwrap();
        until(&client, "location.pathname === '/signin' && document.querySelector('#key-error') && document.querySelector('#key-error').textContent.includes('revoked')").await;
        let kept = client.execute("return sessionStorage.length;", vec![]).await.unwrap();
        assert_eq!(kept, json!(0), "the refused key is forgotten");
        client.close().await.unwrap();
    });

    // The invite reached the broker's outbox.
    let outbox: Value = reqwest::blocking::Client::new()
        .get(format!("{url}/_icnode/outbox"))
        .bearer_auth(broker_token.trim())
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(outbox.to_string().contains("+14155550100"), "{outbox}");
}

/// The whole page, however long, at desktop and phone width, as
/// `target/console-screenshots/<name>-<width>-whole.png`: what a reviewer scrolls through.
pub(super) async fn photograph_whole(client: &Client, name: &str) {
    for (width, height) in [DESKTOP, PHONE] {
        client.set_window_size(width, height).await.unwrap();
        // The page's height and the window's own (its frame), from the top.
        let tall = client
            .execute(
                "window.scrollTo(0, 0);
                 return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
                vec![],
            )
            .await
            .unwrap();
        let tall = u32::try_from(tall.as_u64().unwrap()).unwrap().max(height);
        client.set_window_size(width, tall).await.unwrap();
        client
            .execute("window.scrollTo(0, 0);", vec![])
            .await
            .unwrap();
        let png = client.screenshot().await.unwrap();
        std::fs::write(screenshots().join(format!("{name}-{width}-whole.png")), png).unwrap();
    }
    client.set_window_size(DESKTOP.0, DESKTOP.1).await.unwrap();
}

/// Goes to `url` again until `script` (a JS expression) is true: what a page shows once the
/// service's jobs (every second in `up`) have run.
pub(super) async fn reload_until(client: &Client, url: &str, script: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        client.goto(url).await.unwrap();
        // The fragment loaded, whatever it says.
        until(client, "!document.querySelector('main [data-load] > p') || document.querySelector('main [data-load] > p').textContent !== 'Loading…'").await;
        let value = client
            .execute(&format!("return Boolean({script});"), vec![])
            .await
            .unwrap();
        if value == Value::Bool(true) {
            return;
        }
        assert!(Instant::now() < deadline, "never true: {script}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[test]
fn the_console_books_a_visit_moves_and_cancels_it_and_shows_its_invitation_in_the_outbox() {
    let Some(driver) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_up, url) = crate::service::start_up_with(&data, &["--iterations", "1000"]);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    let key = key.trim().to_owned();
    super::used_secret(&key);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;
        client.goto(&format!("{url}/signin")).await.unwrap();
        visible(&client, "#key").await.send_keys(&format!("{key}\u{E007}")).await.unwrap();
        visible(&client, "#meeting-form").await;

        // The list and the booking form; the zone is the browser's own.
        client.goto(&format!("{url}/visits")).await.unwrap();
        until(&client, "document.querySelector('#visits').textContent.includes('No visits.')").await;
        assert_eq!(visible(&client, "#timeZone").await.prop("value").await.unwrap().as_deref(), Some("Europe/Berlin"));
        assert_eq!(text(&client, "nav a[aria-current=page]").await, "Visits");
        shoot(&client, "visits-empty").await;

        // Starting in 10 minutes (links are made 15 minutes before: at once), as a wall time
        // in Berlin; the UTC time the service should read from it.
        let times = client
            .execute("const at = new Date(Date.now() + 10 * 60000); at.setSeconds(0, 0);
                      const pad = n => String(n).padStart(2, '0');
                      const local = d => d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
                      const end = new Date(at.getTime() + 30 * 60000), later = new Date(at.getTime() + 60 * 60000), laterEnd = new Date(at.getTime() + 90 * 60000);
                      return [local(at), local(end), at.toISOString().replace('.000Z', 'Z'), local(later), local(laterEnd), later.toISOString().replace('.000Z', 'Z')];", vec![])
            .await
            .unwrap();
        let times: Vec<String> = serde_json::from_value(times).unwrap();
        client
            .execute("document.querySelector('#start').value = arguments[0]; document.querySelector('#end').value = arguments[1];",
                     vec![json!(times[0]), json!(times[1])])
            .await
            .unwrap();
        visible(&client, "#hosts-0-name").await.send_keys(XSS).await.unwrap();
        visible(&client, "#hosts-0-email").await.send_keys("ada@example.com").await.unwrap();
        visible(&client, "#guests-0-name").await.send_keys("Grace").await.unwrap();
        visible(&client, "#guests-0-phone").await.send_keys("+14155550100").await.unwrap();
        // Another guest: a row of their own, numbered on and focused.
        visible(&client, "button[data-add-row]").await.click().await.unwrap();
        until(&client, "document.activeElement && document.activeElement.id === 'guests-1-name'").await;
        assert_eq!(text(&client, "#guest-rows fieldset:last-child legend").await, "Guest 2");
        visible(&client, "#guests-1-name").await.send_keys("Alan").await.unwrap();
        assert_eq!(
            client.execute("return [...document.querySelectorAll('#guest-rows input')].map(i => i.name + '=' + i.value).join(' ');", vec![]).await.unwrap(),
            json!("guests[0].name=Grace guests[0].phone=+14155550100 guests[0].email= guests[0].language= guests[1].name=Alan guests[1].phone= guests[1].email= guests[1].language=")
        );
        // A reminder the service refuses: said by the field, what was typed kept.
        let reminders = visible(&client, "#reminders").await;
        reminders.clear().await.unwrap();
        reminders.send_keys("-PT15M, PT5M").await.unwrap();
        visible(&client, "#visit-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#reminders-error') && document.querySelector('#reminders-error').textContent.includes('reminders[1]')").await;
        until(&client, "document.activeElement && document.activeElement.id === 'reminders'").await;
        assert_eq!(visible(&client, "#guests-1-name").await.prop("value").await.unwrap().as_deref(), Some("Alan"));
        assert_eq!(client.execute("return document.images.length;", vec![]).await.unwrap(), json!(0));
        shoot(&client, "visit-book-error").await;
        photograph_whole(&client, "visit-book-error").await;
        let reminders = visible(&client, "#reminders").await;
        reminders.clear().await.unwrap();
        reminders.send_keys("-PT15M").await.unwrap();
        visible(&client, "#visit-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('#booked-title') && document.activeElement === document.querySelector('#booked-title')").await;
        // The list shows it at once.
        until(&client, "document.querySelectorAll('#visits tbody tr').length === 1").await;
        shoot(&client, "visits").await;
        photograph_whole(&client, "visits").await;

        // Its page: links made at once, each person's with its QR code.
        visible(&client, "#booked a[href^='/visits/']").await.click().await.unwrap();
        let page = client.current_url().await.unwrap().to_string();
        let id = page.rsplit('/').next().unwrap().to_owned();
        reload_until(&client, &page, "document.querySelectorAll('#visit [data-link-url]').length === 3 && document.querySelector('#messages')").await;
        let visit: Value = reqwest::Client::new()
            .get(format!("{url}/v1/visits/{id}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(visit["start"], json!(times[2]), "read as a wall time in Berlin: {visit}");
        assert_eq!(visit["guests"].as_array().unwrap().len(), 2);
        assert_eq!(text(&client, "#host-1-title").await, format!("Host 1: {XSS} valid"));
        let host_url = text(&client, "#host-1-url").await;
        let code = visible(&client, "[data-role=host] .qr").await;
        assert_eq!(decode_qr(&client, &code).await, host_url);
        assert_eq!(text(&client, "[data-state]").await, "ready");
        shoot(&client, "visit").await;
        photograph_whole(&client, "visit").await;

        // Moved an hour later: the new sequence.
        client
            .execute("document.querySelector('#move-start').value = arguments[0]; document.querySelector('#move-end').value = arguments[1];",
                     vec![json!(times[3]), json!(times[4])])
            .await
            .unwrap();
        visible(&client, "#move-form button[type=submit]").await.click().await.unwrap();
        until(&client, "document.querySelector('.notice') && document.querySelector('.notice').textContent.includes('Moved: this is now sequence 1')").await;
        assert_eq!(text(&client, "[data-sequence]").await, "1");
        assert_eq!(visible(&client, "#move-start").await.prop("value").await.unwrap().as_deref(), Some(times[3].as_str()));

        // Cancel asks again before it cancels.
        assert!(!visible(&client, "#cancel-form button").await.is_displayed().await.unwrap());
        visible(&client, "details.confirm summary").await.click().await.unwrap();
        visible(&client, "#cancel-form button").await.click().await.unwrap();
        until(&client, "document.querySelector('.notice') && document.querySelector('.notice').textContent.includes('Cancelled')").await;
        assert_eq!(text(&client, "[data-state]").await, "cancelled");
        assert!(client.find(Locator::Css("#move-form")).await.is_err(), "a cancelled visit does not move");
        shoot(&client, "visit-cancelled").await;
        let visit: Value = reqwest::Client::new()
            .get(format!("{url}/v1/visits/{id}"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // Moved once, then cancelled: the calendar's sequence grew by each.
        assert_eq!((&visit["state"], &visit["sequence"], &visit["start"]), (&json!("cancelled"), &json!(2), &json!(times[5])));

        // The outbox: the host's invitation, with its calendar invitation.
        let invitation = "[...document.querySelectorAll('#mail article')].some(a =>
            a.querySelector('h2').textContent.startsWith('Your video visit on') && !a.querySelector('h2').textContent.endsWith('is cancelled')
            && a.querySelector('[data-to]').textContent.includes('ada@example.com')
            && a.querySelector('[data-invitation]').dataset.invitation === 'REQUEST'
            && a.querySelector('pre.text').textContent.startsWith('Hello ' + arguments[0]))";
        let invitation = invitation.replace("arguments[0]", &serde_json::to_string(XSS).unwrap());
        reload_until(&client, &format!("{url}/mail"), &invitation).await;
        assert_eq!(text(&client, "nav a[aria-current=page]").await, "Mail");
        assert_eq!(client.execute("return document.images.length;", vec![]).await.unwrap(), json!(0));
        shoot(&client, "mail").await;
        photograph_whole(&client, "mail").await;
        client.close().await.unwrap();
    });
}

/// Own links in the browser: a visitor early sees when the link opens in their own time (the
/// browser's zone is Berlin); the console revokes the guest links of a meeting, and the guest
/// then sees that the link was revoked.
#[test]
fn the_console_revokes_links_and_a_visitor_sees_why_a_link_does_not_open() {
    let Some(driver) = driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_up, url) = crate::service::start_up_with(&data, &["--iterations", "1000"]);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    let key = key.trim().to_owned();
    super::used_secret(&key);
    let api = reqwest::blocking::Client::new();
    let make = |body: Value| -> Value {
        api.post(format!("{url}/v1/meetings"))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap()
    };
    // Opens on 2030-07-01 at 09:30 in Berlin (summer time: 07:30 UTC).
    let later = make(
        json!({"chatId": "later", "notBefore": "2030-07-01T07:30:00Z", "expiresAt": "2030-07-01T09:00:00Z"}),
    );
    let now = make(json!({"chatId": "revoke-me", "guests": 1}));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = browser(&driver).await;
        client.goto(later["guests"][0]["url"].as_str().unwrap()).await.unwrap();
        assert_eq!(text(&client, "h1").await, "Not open yet");
        // The script wrote the time in the visitor's zone and language.
        let shown = text(&client, "#opens time").await;
        assert!(shown.contains("9:30") && shown.contains("2030"), "{shown}");
        assert!(!shown.contains("UTC"), "{shown}");
        shoot(&client, "open-link-early").await;

        client.goto(&format!("{url}/signin")).await.unwrap();
        visible(&client, "#key").await.send_keys(&format!("{key}\u{E007}")).await.unwrap();
        visible(&client, "#meeting-form").await;
        client.goto(&format!("{url}/meetings/revoke-me")).await.unwrap();
        visible(&client, "#scope").await;
        client
            .execute("document.querySelector('#scope').value = 'guest';", vec![])
            .await
            .unwrap();
        visible(&client, "form[action$='/revoke'] button").await.click().await.unwrap();
        until(&client, "document.querySelector('.notice') && document.querySelector('.notice').textContent.includes('Revoked 1 link.')").await;
        assert_eq!(text(&client, "[data-role=guest] h3 .state").await, "revoked");
        assert_eq!(text(&client, "[data-role=host] h3 .state").await, "valid");
        shoot(&client, "meeting-revoked").await;

        client.goto(now["guests"][0]["url"].as_str().unwrap()).await.unwrap();
        assert_eq!(text(&client, "h1").await, "This link was revoked");
        shoot(&client, "open-link-revoked").await;
        // The host's link still goes on to the meeting's join page.
        client.goto(now["hosts"][0]["url"].as_str().unwrap()).await.unwrap();
        until(&client, "document.title.startsWith('Virtual Visit - ')").await;
        client.close().await.unwrap();
    });
}
