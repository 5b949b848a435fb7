//! Work anyone on the network can cause is bounded: key derivations, pages of listings, the
//! short links kept.

use std::time::Duration;

use broker::mint::OpenError;
use broker::{Minter, Pbes2Range};
use instant_connect::{JoinStyle, JoinUrls, LinkRequest, Role, SmsInviteRequest};
use serde_json::Value;

use crate::{ORG_ID, SECRET, TOKEN, spawn_broker};

#[test]
fn a_token_another_org_issued_with_the_same_secret_is_refused_and_the_minter_says_its_org() {
    let plan = LinkRequest::new("visit-org")
        .validate(1_800_000_000)
        .unwrap()
        .value;
    let range = || Pbes2Range::fixed(Some(1000), None);
    let ours = Minter::new(SECRET.into(), ORG_ID.into(), range());
    let theirs = Minter::new(SECRET.into(), "another-org".into(), range());
    assert_eq!(ours.org_id(), ORG_ID);
    assert_eq!(theirs.org_id(), "another-org");
    let token = theirs.mint(&plan, Role::Guest, 1_800_000_000).unwrap();
    assert_eq!(token.claims.iss, "another-org");
    match ours.open(&token.cipher) {
        Err(OpenError::Claims(reason)) => {
            assert_eq!(reason, "issued for another org or audience")
        }
        other => panic!("expected Claims, got {other:?}"),
    }
    assert_eq!(theirs.open(&token.cipher).unwrap().sub, "visit-org");
}

#[test]
fn a_token_whose_count_this_broker_never_issues_is_refused_before_any_derivation() {
    let plan = LinkRequest::new("visit-p2c")
        .validate(1_800_000_000)
        .unwrap()
        .value;
    let costly = Minter::new(
        SECRET.into(),
        ORG_ID.into(),
        Pbes2Range::fixed(Some(32767), None),
    );
    let token = costly.mint(&plan, Role::Guest, 1_800_000_000).unwrap();
    let cheap = Minter::new(
        SECRET.into(),
        ORG_ID.into(),
        Pbes2Range::fixed(Some(1000), None),
    );
    match cheap.open(&token.cipher) {
        // jose checks the header against the bounds before deriving (tested in jose).
        Err(OpenError::Decrypt(jose::Error::IterationsOutOfBounds {
            got: 32767,
            min: 1000,
            max: 1000,
        })) => {}
        other => panic!("expected IterationsOutOfBounds, got {other:?}"),
    }
    assert_eq!(costly.open(&token.cipher).unwrap().sub, "visit-p2c");
}

#[tokio::test]
async fn a_join_page_visited_again_costs_no_derivation() {
    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-cache");
    request.provide_short_urls = Some(true);
    request.num_guest = Some(1);
    let shorted = broker.client.generate_links(&request).await.unwrap().value;
    let long_only = broker
        .client
        .generate_links(&LinkRequest::new("visit-cache-long"))
        .await
        .unwrap()
        .value;
    let join = JoinUrls::new(&broker.url).unwrap();
    let style = JoinStyle::default();
    let before = broker.broker.cache_counts();

    let short_page = join.long_url(Role::Guest, &style, &shorted.guest[0].cipher);
    for _ in 0..3 {
        assert_eq!(
            broker.http.get(&short_page).send().await.unwrap().status(),
            200
        );
    }
    let after_short = broker.broker.cache_counts();
    assert_eq!(
        after_short.hits - before.hits,
        3,
        "a link with a short link is opened at minting"
    );
    assert_eq!(after_short.misses, before.misses);

    let long_page = join.long_url(Role::Guest, &style, &long_only.guest[0].cipher);
    for _ in 0..3 {
        assert_eq!(
            broker.http.get(&long_page).send().await.unwrap().status(),
            200
        );
    }
    let after_long = broker.broker.cache_counts();
    assert_eq!(after_long.misses - after_short.misses, 1, "derived once");
    assert_eq!(after_long.hits - after_short.hits, 2);

    // A token is kept for its lifetime only: after it, the page derives again and says so.
    broker.clock.advance(Duration::from_secs(16 * 60));
    let expired = broker.http.get(&long_page).send().await.unwrap();
    assert_eq!(expired.status(), 410);
    assert_eq!(broker.broker.cache_counts().misses - after_long.misses, 1);
}

#[tokio::test]
async fn expired_short_links_are_pruned_a_day_after_they_expire() {
    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-prune");
    request.provide_short_urls = Some(true);
    let old = broker.client.generate_links(&request).await.unwrap().value;
    let old_short = format!(
        "{}/visit/{}",
        broker.url,
        old.guest[0].short.as_deref().unwrap()
    );
    let status = |url: String| {
        let http = broker.http.clone();
        async move { http.get(url).send().await.unwrap().status().as_u16() }
    };

    broker.clock.advance(Duration::from_secs(15 * 60 + 60));
    broker.client.generate_links(&request).await.unwrap();
    assert_eq!(
        status(old_short.clone()).await,
        302,
        "expired but kept: the page says expired"
    );

    // A minute short of a day past its expiry, it is still kept.
    broker
        .clock
        .advance(Duration::from_secs(24 * 60 * 60 - 2 * 60));
    broker.client.generate_links(&request).await.unwrap();
    assert_eq!(status(old_short.clone()).await, 302, "kept for a day");

    broker.clock.advance(Duration::from_secs(2 * 60));
    broker.client.generate_links(&request).await.unwrap();
    assert_eq!(
        status(old_short).await,
        404,
        "pruned by the next request that made short links"
    );
}

#[tokio::test]
async fn the_outbox_and_the_joins_come_a_page_at_a_time() {
    let broker = spawn_broker().await;
    let links = broker
        .client
        .generate_links(&LinkRequest::new("visit-pages"))
        .await
        .unwrap()
        .value;
    for i in 0..5 {
        let invite = SmsInviteRequest::e164(ORG_ID, "visit-pages", vec![format!("+1555123000{i}")]);
        broker.client.sms_invite(&invite, None).await.unwrap();
    }
    let host_page = JoinUrls::new(&broker.url).unwrap().long_url(
        Role::Host,
        &JoinStyle::default(),
        &links.host[0].cipher,
    );
    for _ in 0..3 {
        broker.http.post(&host_page).send().await.unwrap();
    }

    let mut numbers = Vec::new();
    let mut cursor = None::<i64>;
    loop {
        let path = match cursor {
            Some(c) => format!("/_icnode/outbox?limit=2&cursor={c}"),
            None => "/_icnode/outbox?limit=2".to_owned(),
        };
        let page = broker.get_json(&path).await;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        numbers.extend(
            items
                .iter()
                .map(|i| i["numbers"][0].as_str().unwrap().to_owned()),
        );
        match page.get("nextCursor").and_then(Value::as_i64) {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        numbers,
        (0..5)
            .map(|i| format!("+1555123000{i}"))
            .collect::<Vec<_>>()
    );
    // A page that holds exactly what is left says no more follow.
    let whole = broker.get_json("/_icnode/outbox?limit=5").await;
    assert_eq!(whole["items"].as_array().unwrap().len(), 5);
    assert_eq!(whole.get("nextCursor"), None, "{whole}");
    let joins = broker.get_json("/_icnode/joins?limit=2").await;
    assert_eq!(joins["items"].as_array().unwrap().len(), 2);
    assert!(joins["nextCursor"].is_i64());

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=ten", "limit"),
        ("cursor=-1", "cursor"),
    ] {
        let response = broker
            .http
            .get(format!("{}/_icnode/joins?{query}", broker.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{query}");
        let error: Value = response.json().await.unwrap();
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{field}: ")),
            "{error}"
        );
    }
}
