//! The join pages' Join and Leave buttons, pressed as a browser presses them (a POST of the
//! form), and `GET /_icnode/joins`, which lists the presses: what a reader polls to know who is
//! in a meeting.

use std::time::Duration;

use instant_connect::{
    ClientError, Clock, JoinRecord, JoinStyle, JoinUrls, LinkRequest, Movement, Role, rfc3339,
};
use serde_json::Value;

use crate::{TestBroker, claims_of, settings, spawn_broker, spawn_with, warnings};

const LEAVE_FORM: &str = r#"<form method="post"><input type="hidden" name="action" value="leave"><button type="submit" id="leave">Leave</button></form>"#;
const JOIN_BUTTON: &str = r#"<button type="submit" id="join">Join</button>"#;

/// Presses a button of the page at `url` as a browser does: a POST of the form's fields
/// (`""` for the Join button, which sends none).
async fn press(broker: &TestBroker, url: &str, form: &str) -> reqwest::Response {
    broker
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

/// The long URL of a link of `role` for meeting `sub`, and the link's `jti`.
async fn page_of(broker: &TestBroker, sub: &str, role: Role) -> (String, String) {
    let links = broker
        .client
        .generate_links(&LinkRequest::new(sub))
        .await
        .unwrap()
        .value;
    let cipher = match role {
        Role::Host => &links.host[0].cipher,
        Role::Guest => &links.guest[0].cipher,
    };
    let url = JoinUrls::new(&broker.url)
        .unwrap()
        .long_url(role, &JoinStyle::default(), cipher);
    (url, claims_of(cipher)["jti"].as_str().unwrap().to_owned())
}

/// `cipher` with one character of its ciphertext changed: it no longer decrypts.
fn tampered(cipher: &str) -> String {
    let mut parts: Vec<String> = cipher.split('.').map(str::to_owned).collect();
    let mid = parts[3].len() / 2;
    let flipped = if &parts[3][mid..=mid] == "A" {
        "B"
    } else {
        "A"
    };
    parts[3].replace_range(mid..=mid, flipped);
    parts.join(".")
}

/// What a page must never hold, whatever it says.
fn assert_script_free(html: &str) {
    assert!(!html.contains("<script"), "a script on the page: {html}");
}

#[tokio::test]
async fn join_leave_and_join_again_are_listed_in_order_with_their_kinds() {
    let broker = spawn_broker().await;
    let (url, jti) = page_of(&broker, "visit-presence", Role::Guest).await;
    let started = broker.clock.now();

    let joined = press(&broker, &url, "").await;
    assert_eq!(joined.status(), 200);
    let html = joined.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"<p id="joined" role="status">You joined at <time>{}</time>.</p>"#,
            rfc3339(started)
        )),
        "{html}"
    );
    assert!(html.contains(LEAVE_FORM), "{html}");
    assert!(!html.contains(JOIN_BUTTON), "joined: only Leave is offered");
    assert_script_free(&html);

    broker.clock.advance(Duration::from_secs(60));
    let left = press(&broker, &url, "action=leave").await;
    assert_eq!(left.status(), 200);
    assert!(
        left.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = left.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"<p id="left" role="status">You left at <time>{}</time>.</p>"#,
            rfc3339(started + 60)
        )),
        "{html}"
    );
    assert!(html.contains(JOIN_BUTTON), "left: Join is offered again");
    assert!(!html.contains(r#"id="leave""#), "{html}");
    assert_script_free(&html);

    broker.clock.advance(Duration::from_secs(60));
    let again = press(&broker, &url, "action=join").await;
    assert_eq!(again.status(), 200);
    assert!(again.text().await.unwrap().contains(r#"<p id="joined""#));

    let joins = broker.get_json("/_icnode/joins").await;
    let items = joins["items"].as_array().unwrap();
    assert_eq!(joins.get("nextCursor"), None, "{joins}");
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["joined", "left", "joined"]);
    let ids: Vec<i64> = items.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let ats: Vec<i64> = items.iter().map(|i| i["at"].as_i64().unwrap()).collect();
    assert_eq!(ats, [started, started + 60, started + 120]);
    for item in items {
        assert_eq!(item["sub"], "visit-presence");
        assert_eq!(item["role"], "guest");
        assert_eq!(item["jti"], jti.as_str());
        assert_eq!(item.get("joinedAt"), None, "the old field is gone: {item}");
    }

    let after_first = broker
        .get_json(&format!("/_icnode/joins?cursor={}", ids[0]))
        .await;
    let rest: Vec<&Value> = after_first["items"].as_array().unwrap().iter().collect();
    assert_eq!(rest, items[1..].iter().collect::<Vec<_>>());
}

#[tokio::test]
async fn a_form_that_names_no_known_button_is_refused_with_a_400_naming_action() {
    let broker = spawn_broker().await;
    let (url, _) = page_of(&broker, "visit-bad-action", Role::Guest).await;
    for form in [
        "action=stay",
        "action=LEAVE",
        "action=",
        "action=join&action=leave",
        "action=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    ] {
        let refused = press(&broker, &url, form).await;
        assert_eq!(refused.status(), 400, "{form}");
        let html = refused.text().await.unwrap();
        for named in [
            "<code>action</code>",
            "<code>join</code>",
            "<code>leave</code>",
        ] {
            assert!(html.contains(named), "{named} not on the page for {form}");
        }
        assert!(!html.contains("alert"), "the value is not echoed: {html}");
        assert_script_free(&html);
    }
    let not_a_form = broker
        .http
        .post(&url)
        .header("content-type", "application/json")
        .body(r#"{"action":"leave"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_form.status(), 400);
    assert!(
        not_a_form
            .text()
            .await
            .unwrap()
            .contains("application/x-www-form-urlencoded")
    );
    let too_large = format!("action=leave&pad={}", "x".repeat(broker::MAX_BODY_BYTES));
    assert_eq!(press(&broker, &url, &too_large).await.status(), 413);
    let joins = broker.get_json("/_icnode/joins").await;
    assert_eq!(joins["items"], Value::Array(Vec::new()), "nothing recorded");

    // A field the form does not have is ignored and named, as the broker names what it ignores.
    let extra = press(&broker, &url, "action=leave&seat=3").await;
    assert_eq!(extra.status(), 200);
    assert_eq!(
        warnings(&extra),
        ["seat: ignored: not a field of the join page's form"]
    );
    let joins = broker.get_json("/_icnode/joins").await;
    assert_eq!(joins["items"][0]["kind"], "left");

    let strict = spawn_with(broker::BrokerSettings {
        strict: true,
        ..settings(None)
    })
    .await;
    let (url, _) = page_of(&strict, "visit-strict", Role::Guest).await;
    let refused = press(&strict, &url, "action=leave&seat=3").await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("seat"));
}

#[tokio::test]
async fn a_leave_with_an_expired_or_invalid_link_is_refused_as_a_join_is() {
    let broker = spawn_broker().await;
    let links = broker
        .client
        .generate_links(&LinkRequest::new("visit-refused"))
        .await
        .unwrap()
        .value;
    let mut brief = LinkRequest::new("visit-brief");
    brief.jwt.exp = Some(broker.clock.now() + 1);
    let brief = broker.client.generate_links(&brief).await.unwrap().value;
    broker.clock.advance(Duration::from_secs(2));

    let join = JoinUrls::new(&broker.url).unwrap();
    let style = JoinStyle::default();
    let cases = [
        (
            join.long_url(Role::Guest, &style, &brief.guest[0].cipher),
            410,
            "expired",
        ),
        (
            join.long_url(Role::Guest, &style, &tampered(&links.guest[0].cipher)),
            400,
            "not valid",
        ),
        (
            // A guest's link on the host's page.
            join.long_url(Role::Host, &style, &links.guest[0].cipher),
            403,
            "guest link",
        ),
    ];
    for (url, status, says) in cases {
        for form in ["", "action=leave"] {
            let refused = press(&broker, &url, form).await;
            assert_eq!(refused.status(), status, "`{form}` on {url:.90}");
            assert!(refused.text().await.unwrap().contains(says), "{says}");
        }
    }
    let joins = broker.get_json("/_icnode/joins").await;
    assert_eq!(joins["items"], Value::Array(Vec::new()), "nothing recorded");
}

/// The node service's way of reading presence: `Client::joins` from the last id it saw.
#[tokio::test]
async fn the_client_polls_joins_after_the_last_id_it_saw() {
    let broker = spawn_broker().await;
    let (host, host_jti) = page_of(&broker, "visit-poll", Role::Host).await;
    let (guest, guest_jti) = page_of(&broker, "visit-poll", Role::Guest).await;
    let at = broker.clock.now();
    assert_eq!(press(&broker, &guest, "").await.status(), 200);
    assert_eq!(press(&broker, &host, "").await.status(), 200);
    assert_eq!(press(&broker, &guest, "action=leave").await.status(), 200);

    let first = broker.client.joins(0, 2).await.unwrap().value;
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.next_cursor, Some(first.items[1].id));
    let record = |id, jti: &str, role, kind| JoinRecord {
        id,
        jti: jti.to_owned(),
        sub: "visit-poll".to_owned(),
        role,
        kind,
        at,
    };
    assert_eq!(
        first.items,
        [
            record(first.items[0].id, &guest_jti, Role::Guest, Movement::Joined),
            record(first.items[1].id, &host_jti, Role::Host, Movement::Joined),
        ]
    );
    let last_seen = first.items[1].id;
    let next = broker.client.joins(last_seen, 2).await.unwrap().value;
    assert_eq!(
        next.items,
        [record(
            next.items[0].id,
            &guest_jti,
            Role::Guest,
            Movement::Left
        )]
    );
    assert!(next.items[0].id > last_seen);
    assert_eq!(next.next_cursor, None);
    let nothing_new = broker
        .client
        .joins(next.items[0].id, 2)
        .await
        .unwrap()
        .value;
    assert!(nothing_new.items.is_empty());
    assert_eq!(nothing_new.next_cursor, None);

    let refused = broker.client.joins(0, 0).await.unwrap_err();
    assert!(
        matches!(&refused, ClientError::Status { status: 400, message, .. } if message.starts_with("limit: ")),
        "{refused:?}"
    );
}
