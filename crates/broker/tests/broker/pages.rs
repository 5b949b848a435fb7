use std::time::Duration;

use crate::{spawn_broker, warnings};
use instant_connect::Clock;
use instant_connect::{JoinStyle, JoinUrls, LinkRequest, Role, Vertical};

fn style(vertical: Vertical) -> JoinStyle {
    JoinStyle {
        vertical,
        ..JoinStyle::default()
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn short_links_redirect_to_join_pages_that_show_the_visit() {
    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-page");
    request.provide_short_urls = Some(true);
    request.vertical_type = Some(Vertical::Gen);
    let response = broker.client.generate_links(&request).await.unwrap().value;
    assert_eq!(
        response.base_url.as_deref(),
        Some(format!("{}/visit/", broker.url).as_str())
    );
    let links = JoinUrls::new(&broker.url)
        .unwrap()
        .links(&response, &style(Vertical::Gen));

    for (link, role, page) in [
        (&links.hosts[0], "host", "login"),
        (&links.guests[0], "guest", "talk"),
    ] {
        let short = link.short.as_deref().unwrap();
        assert_eq!(short.len(), 7);
        assert!(short.bytes().all(|b| b.is_ascii_alphanumeric()), "{short}");
        let redirect = broker.http.get(&link.url).send().await.unwrap();
        assert_eq!(redirect.status(), 302);
        assert_eq!(location(&redirect), link.long_url);
        assert!(
            link.long_url
                .contains(&format!("/gen/v1/{page}?int=jose&v=1&data="))
        );

        let page_response = broker.http.get(&link.long_url).send().await.unwrap();
        assert_eq!(page_response.status(), 200);
        assert_eq!(
            page_response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        assert_eq!(page_response.headers()["referrer-policy"], "no-referrer");
        assert!(
            page_response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'none'")
        );
        let html = page_response.text().await.unwrap();
        assert!(html.contains("<title>Virtual Visit - visit-page</title>"));
        assert!(html.contains(&format!(r#"<strong id="role">{role}</strong>"#)));
        assert!(html.contains(r#"<button type="submit" id="join">Join</button>"#));
        assert!(
            html.contains("Test Clinic &lt;b&gt;"),
            "org name is escaped"
        );
    }

    let unknown = broker
        .http
        .get(format!("{}/visit/zzzzzzz", broker.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(unknown.text().await.unwrap().contains("does not exist"));
}

#[tokio::test]
async fn host_short_links_skip_the_login_page_when_asked_and_the_client_builds_the_same_urls() {
    let broker = spawn_broker().await;
    let join = JoinUrls::new(&broker.url).unwrap();
    for (vertical, host_login) in [
        (Vertical::Hc, false),
        (Vertical::Gen, true),
        (Vertical::Cc, false),
    ] {
        let mut request = LinkRequest::new("visit-nologin");
        request.provide_short_urls = Some(true);
        request.login_url_for_host = Some(host_login);
        request.vertical_type = Some(vertical);
        let response = broker.client.generate_links(&request).await.unwrap().value;
        let plan = request.validate(broker.clock.now()).unwrap().value;
        let links = join.links(&response, &JoinStyle::from(&plan));
        for link in links.hosts.iter().chain(&links.guests) {
            let redirect = broker.http.get(&link.url).send().await.unwrap();
            assert_eq!(
                location(&redirect),
                link.long_url,
                "the broker's short link and the client's long URL agree"
            );
        }
        let host_page = &links.hosts[0].long_url;
        let page = if host_login { "login" } else { "talk" };
        assert!(
            host_page.contains(&format!("/{vertical}/v1/{page}?int=jose&v=1&data=")),
            "{host_page}"
        );
        let page = broker.http.get(host_page).send().await.unwrap();
        assert_eq!(page.status(), 200);
        assert!(
            page.text()
                .await
                .unwrap()
                .contains(r#"<strong id="role">host</strong>"#)
        );
    }
}

#[tokio::test]
async fn join_pages_refuse_bad_links_with_the_right_status() {
    let broker = spawn_broker().await;
    let join = JoinUrls::new(&broker.url).unwrap();
    let valid = broker
        .client
        .generate_links(&LinkRequest::new("visit-status"))
        .await
        .unwrap()
        .value;
    let host_cipher = &valid.host[0].cipher;
    let guest_cipher = &valid.guest[0].cipher;

    let mut later = LinkRequest::new("visit-later");
    later.jwt.nbf = Some(broker.clock.now() + 3600);
    later.jwt.exp = Some(broker.clock.now() + 7200);
    let later = broker.client.generate_links(&later).await.unwrap().value;

    let mut brief = LinkRequest::new("visit-brief");
    brief.jwt.exp = Some(broker.clock.now() + 1);
    let brief = broker.client.generate_links(&brief).await.unwrap().value;
    broker.clock.advance(Duration::from_secs(2));

    let mut parts: Vec<String> = guest_cipher.split('.').map(str::to_owned).collect();
    let mid = parts[3].len() / 2;
    let flipped = if &parts[3][mid..=mid] == "A" {
        "B"
    } else {
        "A"
    };
    parts[3].replace_range(mid..=mid, flipped);
    let tampered = parts.join(".");

    let url = |role, cipher: &str| join.long_url(role, &style(Vertical::Hc), cipher);
    use instant_connect::Role::{Guest, Host};
    let cases = [
        (url(Host, host_cipher), 200, "Virtual Visit - visit-status"),
        (
            url(Guest, guest_cipher),
            200,
            "Virtual Visit - visit-status",
        ),
        (url(Guest, host_cipher), 200, "Virtual Visit - visit-status"),
        (url(Host, guest_cipher), 403, "guest link"),
        (url(Guest, &later.guest[0].cipher), 403, "opens at"),
        (url(Guest, &brief.guest[0].cipher), 410, "expired"),
        (url(Guest, &tampered), 400, "not valid"),
        (url(Guest, "not.a.token.at.all"), 400, "not valid"),
        (
            format!("{}/hc/v1/talk?int=jose&v=1", broker.url),
            400,
            "data is missing",
        ),
        (
            format!(
                "{}/hc/v1/talk?int=other&v=1&data={guest_cipher}",
                broker.url
            ),
            400,
            "int must be jose",
        ),
        (
            format!("{}/hc/v1/talk?int=jose&v=2&data={guest_cipher}", broker.url),
            400,
            "v must be 1",
        ),
    ];
    for (url, status, text) in cases {
        let response = broker.http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), status, "{url:.90}");
        let html = response.text().await.unwrap();
        assert!(html.contains(text), "{text} not in page for {url:.90}");
    }
}

#[tokio::test]
async fn values_from_tokens_are_escaped_on_the_page() {
    let broker = spawn_broker().await;
    let xss = "<script>alert(1)</script>";
    let response = broker
        .client
        .generate_links(&LinkRequest::new(xss))
        .await
        .unwrap()
        .value;
    let url = JoinUrls::new(&broker.url).unwrap().long_url(
        Role::Guest,
        &style(Vertical::Hc),
        &response.guest[0].cipher,
    );
    let html = broker
        .http
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(xss), "raw script tag on the page");
    assert!(html.contains("Virtual Visit - &lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn the_join_button_records_a_join() {
    let broker = spawn_broker().await;
    let response = broker
        .client
        .generate_links(&LinkRequest::new("visit-join"))
        .await
        .unwrap()
        .value;
    let join = JoinUrls::new(&broker.url).unwrap();
    let host_url = join.long_url(Role::Host, &style(Vertical::Hc), &response.host[0].cipher);
    let joined = broker.http.post(&host_url).send().await.unwrap();
    assert_eq!(joined.status(), 200);
    assert!(
        joined
            .text()
            .await
            .unwrap()
            .contains(r#"<p id="joined" role="status">You joined at"#)
    );

    let guest_url = join.long_url(Role::Host, &style(Vertical::Hc), &response.guest[0].cipher);
    assert_eq!(
        broker.http.post(&guest_url).send().await.unwrap().status(),
        403,
        "a refused link records nothing"
    );

    let joins = broker.get_json("/_icnode/joins").await;
    let items = joins["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["sub"], "visit-join");
    assert_eq!(items[0]["role"], "host");
    assert_eq!(items[0]["kind"], "joined");
    assert_eq!(
        items[0]["jti"],
        crate::claims_of(&response.host[0].cipher)["jti"]
    );
    for local_only in [
        "/_icnode/joins",
        "/_icnode/outbox",
        "/_icnode/meetings/visit-join",
    ] {
        let unauthorized = broker
            .http
            .get(format!("{}{local_only}", broker.url))
            .send()
            .await
            .unwrap();
        assert_eq!(unauthorized.status(), 401, "{local_only} needs the token");
    }
}

#[tokio::test]
async fn the_home_page_says_what_is_running_and_where_things_are() {
    let broker = spawn_broker().await;
    let response = broker
        .http
        .get(format!("{}/", broker.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let html = response.text().await.unwrap();
    for expected in [
        "<title>icnode local Instant Connect broker</title>",
        "not Webex",
        "Test Clinic &lt;b&gt;",
        crate::ORG_ID,
        &format!("POST {}/api/v2/joseencrypt", broker.url),
        "/_icnode/outbox",
        "/_icnode/joins?cursor=",
        "docs/broker.md",
        "Icnode-Warning",
    ] {
        assert!(html.contains(expected), "{expected} not on the home page");
    }
}

#[tokio::test]
async fn join_pages_say_they_are_local_and_answer_with_a_trailing_slash_too() {
    let broker = spawn_broker().await;
    let response = broker
        .client
        .generate_links(&LinkRequest::new("visit-local"))
        .await
        .unwrap()
        .value;
    let cipher = &response.guest[0].cipher;
    let page = broker
        .http
        .get(format!(
            "{}/hc/v1/talk/?int=jose&v=1&data={cipher}",
            broker.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        warnings(&page),
        ["path: has a trailing slash; read as `/hc/v1/talk`"]
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("local Instant Connect broker, not Webex"));
    assert!(html.contains("Join and Leave only record the press"));
}

#[tokio::test]
async fn a_link_opens_at_its_nbf_second_and_not_before() {
    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-at-nbf");
    request.jwt.nbf = Some(broker.clock.now() + 60);
    request.jwt.exp = Some(broker.clock.now() + 3600);
    let links = broker.client.generate_links(&request).await.unwrap().value;
    let page = JoinUrls::new(&broker.url).unwrap().long_url(
        Role::Guest,
        &JoinStyle::default(),
        &links.guest[0].cipher,
    );
    broker.clock.advance(Duration::from_secs(59));
    let early = broker.http.get(&page).send().await.unwrap();
    assert_eq!(early.status(), 403);
    assert!(early.text().await.unwrap().contains("Not yet open"));
    broker.clock.advance(Duration::from_secs(1));
    assert_eq!(broker.http.get(&page).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_page_the_store_cannot_answer_is_a_plain_500_page() {
    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-closed");
    request.provide_short_urls = Some(true);
    let links = broker.client.generate_links(&request).await.unwrap().value;
    let short = format!(
        "{}/visit/{}",
        broker.url,
        links.guest[0].short.as_deref().unwrap()
    );
    assert_eq!(broker.http.get(&short).send().await.unwrap().status(), 302);
    broker.broker.store().close().await;
    let failed = broker.http.get(&short).send().await.unwrap();
    assert_eq!(failed.status(), 500);
    let body = failed.text().await.unwrap();
    assert!(body.contains("Something went wrong"), "{body}");
    assert!(!body.contains("pool"), "no cause shown: {body}");
}

/// Opening a link no one has opened here costs a PBKDF2 derivation, and a join page (or space
/// details without a token) lets anyone ask for one: each client address may cause so many a
/// minute, then waits (`429` with `Retry-After`). Links already opened or minted cost nothing
/// and still open; a token holder is not counted.
#[tokio::test]
async fn anyone_may_cause_so_many_derivations_a_minute_and_then_is_told_to_wait() {
    let broker = crate::spawn_with(broker::BrokerSettings {
        anyone_opens_per_minute: std::num::NonZeroU32::new(3),
        ..crate::settings(None)
    })
    .await;
    // Links of another org: each is derived, then refused as not this broker's.
    let elsewhere = crate::spawn_with(broker::BrokerSettings {
        secret: Some("another org's secret".into()),
        ..crate::settings(None)
    })
    .await;
    let mut forged = Vec::new();
    for n in 0..5 {
        let links = elsewhere
            .client
            .generate_links(&LinkRequest::new(format!("forged-{n}")))
            .await
            .unwrap()
            .value;
        forged.push(links.guest[0].cipher.clone());
    }
    // Minted with short links: kept opened from the start.
    let mut asked = LinkRequest::new("genuine");
    asked.provide_short_urls = Some(true);
    let genuine = broker.client.generate_links(&asked).await.unwrap().value;
    let join = JoinUrls::new(&broker.url).unwrap();
    let page = |cipher: &str| join.long_url(Role::Guest, &style(Vertical::Hc), cipher);

    for cipher in &forged[..3] {
        let response = broker.http.get(page(cipher)).send().await.unwrap();
        assert_eq!(response.status(), 400);
    }
    let waiting = broker.http.get(page(&forged[3])).send().await.unwrap();
    assert_eq!(waiting.status(), 429);
    let retry_after: u64 = waiting.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert!(waiting.text().await.unwrap().contains("try again in"));
    let space = |cipher: &str| format!("{}/api/v1/space?int=jose&data={cipher}", broker.url);
    let without_token = broker.http.get(space(&forged[3])).send().await.unwrap();
    assert_eq!(without_token.status(), 429);

    // What costs no derivation still opens; a token holder is not counted.
    let opened = broker
        .http
        .get(page(&genuine.guest[0].cipher))
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 200);
    let with_token = broker
        .http
        .get(space(&forged[4]))
        .bearer_auth(crate::TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        with_token.status(),
        400,
        "derived and refused, not throttled"
    );

    // A minute on, the address may ask again.
    broker.clock.advance(Duration::from_secs(60));
    let again = broker.http.get(page(&forged[3])).send().await.unwrap();
    assert_eq!(again.status(), 400);
}
