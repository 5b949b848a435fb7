use instant_connect::{AUDIENCE, ClientError, LinkRequest, SmsInviteRequest, Vertical};
use serde_json::{Value, json};

use instant_connect::Clock;

use crate::{ITERATIONS, ORG_ID, SECRET, TOKEN, b64, claims_of, header_of, spawn_broker};

#[tokio::test]
async fn v2_links_round_trip_through_the_client_with_the_brokers_header_and_claims() {
    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-v2");
    request.num_host = Some(2);
    request.num_guest = Some(3);
    request.vertical_type = Some(Vertical::Gen);
    let before = broker.clock.now();
    let response = broker.client.generate_links(&request).await.unwrap().value;
    assert_eq!((response.host.len(), response.guest.len()), (2, 3));
    assert_eq!(response.base_url, None, "no short URLs unless asked for");

    let mut jtis = std::collections::HashSet::new();
    for (role, item) in response
        .host
        .iter()
        .map(|i| ("host", i))
        .chain(response.guest.iter().map(|i| ("guest", i)))
    {
        assert_eq!(item.short, None);
        let header = header_of(&item.cipher);
        let keys: Vec<&str> = header.keys().map(String::as_str).collect();
        assert_eq!(keys, ["p2s", "p2c", "aud", "iss", "cty", "enc", "alg"]);
        assert_eq!(header["p2c"], ITERATIONS);
        assert_eq!(header["aud"], AUDIENCE);
        assert_eq!(header["iss"], ORG_ID);
        assert_eq!(
            (
                header["cty"].as_str(),
                header["enc"].as_str(),
                header["alg"].as_str()
            ),
            (Some("JWT"), Some("A256GCM"), Some("PBES2-HS512+A256KW"))
        );
        let salt = b64(header["p2s"].as_str().unwrap());
        assert!((8..=128).contains(&salt.len()), "{}", salt.len());

        let claims = claims_of(&item.cipher);
        let names: Vec<&str> = claims
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            names,
            ["iss", "aud", "sub", "iat", "exp", "jti", "role", "vt"]
        );
        assert_eq!(claims["sub"], "visit-v2");
        assert_eq!(claims["role"], role);
        assert_eq!(claims["vt"], "gen");
        assert_eq!(claims["iss"], ORG_ID);
        let iat = claims["iat"].as_i64().unwrap();
        assert!(iat >= before && iat <= broker.clock.now());
        assert_eq!(
            claims["exp"].as_i64().unwrap(),
            iat + 15 * 60,
            "default exp: 15 minutes"
        );
        assert!(
            jtis.insert(claims["jti"].as_str().unwrap().to_owned()),
            "jti unique per link"
        );
    }
}

#[tokio::test]
async fn the_inner_jwt_is_signed_with_a_key_that_is_not_the_secret() {
    let broker = spawn_broker().await;
    let response = broker
        .client
        .generate_links(&LinkRequest::new("visit-key"))
        .await
        .unwrap()
        .value;
    let opened = jose::jwe::decrypt(
        SECRET.as_bytes(),
        &response.host[0].cipher,
        &Default::default(),
    )
    .unwrap();
    let jwt = String::from_utf8(opened.plaintext).unwrap();
    let jwt_header: Value = serde_json::from_slice(&b64(jwt.split('.').next().unwrap())).unwrap();
    assert_eq!(jwt_header, json!({"alg": "HS512", "typ": "JWT"}));
    let padded_secret = format!("{SECRET:<64}");
    assert!(jose::jws::verify(padded_secret.as_bytes(), &jwt, jose::JwsAlg::ALL).is_err());
}

#[tokio::test]
async fn v1_answers_bare_ciphers_and_request_options_reach_the_token() {
    let broker = spawn_broker().await;
    let mut request = LinkRequest::new("visit-v1");
    request.num_guest = Some(2);
    request.jwe_alg = Some(jose::KeyAlg::Pbes2Hs256A128Kw);
    request.enc = Some(jose::ContentEnc::A128CbcHs256);
    request.jws_alg = Some(jose::JwsAlg::Hs256);
    request.salt_length = Some(21);
    request.iterations = Some(1200);
    let start = broker.clock.now() + 60;
    request.jwt.nbf = Some(start);
    request.jwt.exp = Some(start + 3600);
    request.jwt.flow = Some(
        serde_json::from_value(
            json!({"id": "sip-no-knock", "data": [{"uri": "sip:room@example.test"}]}),
        )
        .unwrap(),
    );
    let legacy = broker.client.generate_links_legacy(&request).await.unwrap();
    assert_eq!(
        legacy.warnings,
        ["iterations: 1200 is outside what this broker issues (1000..=1000); 1000 was used"],
        "a broker fixed at 1000 iterations issues no other count"
    );
    let legacy = legacy.value;
    assert_eq!((legacy.host.len(), legacy.guest.len()), (1, 2));
    let header = header_of(&legacy.guest[1]);
    assert_eq!(header["p2c"], 1000);
    assert_eq!(b64(header["p2s"].as_str().unwrap()).len(), 21);
    assert_eq!(
        (header["alg"].as_str(), header["enc"].as_str()),
        (Some("PBES2-HS256+A128KW"), Some("A128CBC-HS256"))
    );
    let claims = claims_of(&legacy.guest[1]);
    assert_eq!(
        (claims["nbf"].as_i64(), claims["exp"].as_i64()),
        (Some(start), Some(start + 3600))
    );
    assert_eq!(claims["vt"], "hc", "the default vertical");
    assert_eq!(claims["flow"]["data"][0]["uri"], "sip:room@example.test");
}

#[tokio::test]
async fn every_validation_rule_is_a_400_naming_the_field() {
    let broker = spawn_broker().await;
    let base = || json!({"aud": AUDIENCE, "jwt": {"sub": "visit-bad"}});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"jwt": {"sub": "x"}}), "aud"),
        (json!({"aud": "other", "jwt": {"sub": "x"}}), "aud"),
        (json!({"aud": AUDIENCE, "jwt": {"sub": ""}}), "jwt.sub"),
        (
            json!({"aud": AUDIENCE, "jwt": {"sub": "x".repeat(1025)}}),
            "jwt.sub",
        ),
        (json!({"aud": AUDIENCE}), "jwt.sub"),
        (
            {
                let mut b = base();
                b["numHost"] = json!(26);
                b
            },
            "numHost",
        ),
        (
            {
                let mut b = base();
                b["numGuest"] = json!(-1);
                b
            },
            "numGuest",
        ),
        (
            {
                let mut b = base();
                b["numHost"] = json!(20);
                b["numGuest"] = json!(6);
                b
            },
            "numHost+numGuest",
        ),
        (
            {
                let mut b = base();
                b["numHost"] = json!(0);
                b["numGuest"] = json!(0);
                b
            },
            "numHost+numGuest",
        ),
        (
            {
                let mut b = base();
                b["jwt"]["nbf"] = json!(broker.clock.now() + 600);
                b["jwt"]["exp"] = json!(broker.clock.now() + 300);
                b
            },
            "jwt.nbf",
        ),
        (
            {
                let mut b = base();
                b["provideShortUrls"] = json!("maybe");
                b
            },
            "provideShortUrls",
        ),
        (
            {
                let mut b = base();
                b["jweAlg"] = json!("dir");
                b
            },
            "jweAlg",
        ),
        (
            {
                let mut b = base();
                b["enc"] = json!("A256CTR");
                b
            },
            "enc",
        ),
        (
            {
                let mut b = base();
                b["jwsAlg"] = json!("none");
                b
            },
            "jwsAlg",
        ),
        (
            {
                let mut b = base();
                b["saltLength"] = json!(7);
                b
            },
            "saltLength",
        ),
        (
            {
                let mut b = base();
                b["iterations"] = json!(40000);
                b
            },
            "iterations",
        ),
        (
            {
                let mut b = base();
                b["jwt"]["flow"] = json!({"id": "sip-no-knock", "data": [{"uri": "room @x"}]});
                b
            },
            "jwt.flow.data[0].uri",
        ),
    ];
    for (body, field) in cases {
        for path in ["/api/v2/joseencrypt", "/api/v1/joseencrypt"] {
            let response = broker.post_json(path, &body).send().await.unwrap();
            assert_eq!(response.status(), 400, "{path} {body}");
            let tracking = response.headers()["trackingid"]
                .to_str()
                .unwrap()
                .to_owned();
            let error: Value = response.json().await.unwrap();
            let descriptions: Vec<&str> = error["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["description"].as_str().unwrap())
                .collect();
            assert!(
                descriptions
                    .iter()
                    .any(|d| d.starts_with(&format!("{field}: "))),
                "{field} not in {descriptions:?}"
            );
            assert!(error["message"].as_str().unwrap().contains(field));
            assert_eq!(error["trackingId"], tracking.as_str());
        }
    }
    let not_json = broker
        .http
        .post(format!("{}/api/v2/joseencrypt", broker.url))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    let error: Value = not_json.json().await.unwrap();
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .starts_with("body: must be one valid JSON value"),
        "{error}"
    );
}

#[tokio::test]
async fn tokens_content_type_size_and_method_are_checked_in_the_webex_shape() {
    let broker = spawn_broker().await;
    let url = format!("{}/api/v2/joseencrypt", broker.url);
    let body = json!({"aud": AUDIENCE, "jwt": {"sub": "x"}});

    let missing = broker.http.post(&url).json(&body).send().await.unwrap();
    let wrong = broker
        .http
        .post(&url)
        .bearer_auth("nope")
        .json(&body)
        .send()
        .await
        .unwrap();
    let basic = broker
        .http
        .post(&url)
        .basic_auth("u", Some(TOKEN))
        .json(&body)
        .send()
        .await
        .unwrap();
    for response in [missing, wrong, basic] {
        assert_eq!(response.status(), 401);
        assert!(
            response.headers()["trackingid"]
                .to_str()
                .unwrap()
                .starts_with("ICNODE_")
        );
        let error: Value = response.json().await.unwrap();
        assert!(
            error["message"]
                .as_str()
                .unwrap()
                .contains("valid access token")
        );
        assert_eq!(error["errors"][0]["description"], error["message"]);
    }

    let text = broker
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    let none = broker
        .http
        .post(&url)
        .bearer_auth(TOKEN)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 415);

    let mut big = body.clone();
    big["padding"] = json!("x".repeat(broker::MAX_BODY_BYTES));
    let too_large = broker
        .post_json("/api/v2/joseencrypt", &big)
        .send()
        .await
        .unwrap();
    assert_eq!(too_large.status(), 413);
    let error: Value = too_large.json().await.unwrap();
    assert_eq!(error["message"], "The body is larger than 64 KiB.");

    let get = broker
        .http
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 405);
    let error: Value = get.json().await.unwrap();
    assert!(error["trackingId"].as_str().unwrap().starts_with("ICNODE_"));

    let unknown = broker
        .http
        .get(format!("{}/api/v9/nothing", broker.url))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let lowercase = broker
        .http
        .post(&url)
        .header("authorization", format!("bearer {TOKEN}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(lowercase.status(), 200, "auth schemes are case-insensitive");

    let ok = broker
        .post_json("/api/v2/joseencrypt", &body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(
        ok.headers()["trackingid"]
            .to_str()
            .unwrap()
            .starts_with("ICNODE_")
    );
    assert_eq!(ok.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn host_and_guest_space_details_agree_and_one_sub_is_one_space() {
    let broker = spawn_broker().await;
    let first = broker
        .client
        .generate_links(&LinkRequest::new("visit-space"))
        .await
        .unwrap()
        .value;
    let mut add_guest = LinkRequest::new("visit-space");
    add_guest.num_host = Some(0);
    let more = broker
        .client
        .generate_links(&add_guest)
        .await
        .unwrap()
        .value;
    let other = broker
        .client
        .generate_links(&LinkRequest::new("visit-other"))
        .await
        .unwrap()
        .value;

    let host = broker
        .client
        .space_details(&first.host[0].cipher)
        .await
        .unwrap()
        .value;
    let guest = broker
        .client
        .space_details(&first.guest[0].cipher)
        .await
        .unwrap()
        .value;
    let later_guest = broker
        .client
        .space_details(&more.guest[0].cipher)
        .await
        .unwrap()
        .value;
    let stranger = broker
        .client
        .space_details(&other.guest[0].cipher)
        .await
        .unwrap()
        .value;

    assert!(host.is_host && !guest.is_host);
    assert_eq!(
        (
            host.user_identifier.as_str(),
            guest.user_identifier.as_str()
        ),
        ("Host", "Guest")
    );
    assert_eq!(host.space_id, guest.space_id);
    assert_eq!(
        guest.space_id, later_guest.space_id,
        "add-guest joins the same space"
    );
    assert_ne!(guest.space_id, stranger.space_id);
    assert_eq!(
        (host.visit_id.as_str(), host.integration_type.as_str()),
        ("visit-space", "jose")
    );
    assert_eq!(
        (host.organization_id.as_str(), host.org_name.as_str()),
        (ORG_ID, "Test Clinic <b>")
    );
    let room = String::from_utf8(
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &host.space_id).unwrap(),
    )
    .unwrap();
    let room_uuid = room.strip_prefix("ciscospark://us/ROOM/").unwrap();
    assert_ne!(host.token, guest.token);

    // A scheduling app books a device into the meeting from these: stable per space.
    let number = host.meeting_number.clone().unwrap();
    assert_eq!(number.len(), 11);
    assert!(number.starts_with('2') && number.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(
        host.meeting_id.as_deref(),
        Some(room_uuid.replace('-', "").as_str())
    );
    assert_eq!(
        host.sip_address.as_deref(),
        Some(format!("{number}@127.0.0.1").as_str())
    );
    assert_eq!(
        (&guest.sip_address, &guest.meeting_number, &guest.meeting_id),
        (&host.sip_address, &host.meeting_number, &host.meeting_id)
    );
    assert_ne!(stranger.meeting_number, host.meeting_number);

    // Some clients POST the same URL with no body.
    let posted = broker
        .http
        .post(format!(
            "{}/api/v1/space?int=jose&data={}",
            broker.url, first.guest[0].cipher
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    let posted: instant_connect::SpaceDetails = posted.json().await.unwrap();
    assert_eq!(posted.space_id, guest.space_id);

    let tampered = first.guest[0]
        .cipher
        .replacen('A', "B", 1)
        .replacen('Q', "R", 1);
    let err = broker.client.space_details(&tampered).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Status { status: 400, message, .. } if message.starts_with("data:")),
        "{err:?}"
    );
    let no_int = broker
        .http
        .get(format!("{}/api/v1/space?data=x", broker.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(no_int.status(), 400);
}

#[tokio::test]
async fn an_invite_sent_again_with_its_key_is_taken_once_and_without_one_twice() {
    let broker = spawn_broker().await;
    broker
        .client
        .generate_links(&LinkRequest::new("visit-once"))
        .await
        .unwrap();
    let invite = SmsInviteRequest::e164(ORG_ID, "visit-once", vec!["+15551234567".into()]);
    for _ in 0..2 {
        let reply = broker
            .client
            .sms_invite(&invite, Some("job-1"))
            .await
            .unwrap();
        assert_eq!(reply.value.status, "Successful", "answered alike");
    }
    broker
        .client
        .sms_invite(&invite, Some("job-2"))
        .await
        .unwrap();
    let outbox = broker.get_json("/_icnode/outbox").await;
    assert_eq!(outbox["items"].as_array().unwrap().len(), 2, "{outbox}");
    for _ in 0..2 {
        broker.client.sms_invite(&invite, None).await.unwrap();
    }
    let outbox = broker.get_json("/_icnode/outbox").await;
    assert_eq!(outbox["items"].as_array().unwrap().len(), 4, "{outbox}");
}

#[tokio::test]
async fn sms_invites_are_checked_and_land_in_the_outbox() {
    let broker = spawn_broker().await;
    broker
        .client
        .generate_links(&LinkRequest::new("visit-sms"))
        .await
        .unwrap();
    let invite = SmsInviteRequest::e164(ORG_ID, "visit-sms", vec!["+15551234567".into()]);
    assert_eq!(
        broker
            .client
            .sms_invite(&invite, None)
            .await
            .unwrap()
            .value
            .status,
        "Successful"
    );

    let mut alpha2 = invite.clone();
    alpha2.mobile_numbers_with_country_code = None;
    alpha2.mobile_numbers_with_alpha2_country_code =
        Some([("us".to_string(), vec!["5550001111".to_string()])].into());
    broker.client.sms_invite(&alpha2, None).await.unwrap();

    let outbox = broker.get_json("/_icnode/outbox").await;
    let items = outbox["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(outbox.get("nextCursor"), None, "one page holds both");
    assert_eq!(items[0]["meetingId"], "visit-sms");
    assert_eq!(items[0]["numbers"], json!(["+15551234567"]));
    assert_eq!(items[1]["numbers"], json!(["us:5550001111"]));
    assert!(
        items[0]["trackingId"]
            .as_str()
            .unwrap()
            .starts_with("ICNODE_")
    );

    let cases = [
        (
            json!({"integration": "jose", "vertical": "cc", "orgId": ORG_ID, "meetingId": "no-such-visit", "mobileNumbersWithCountryCode": ["+15551234567"]}),
            "meetingId",
        ),
        (
            json!({"integration": "jose", "vertical": "cc", "orgId": "0b8c1f7e-0000-4000-8000-000000000000", "meetingId": "visit-sms", "mobileNumbersWithCountryCode": ["+15551234567"]}),
            "orgId",
        ),
        (
            json!({"integration": "jose", "vertical": "cc", "orgId": ORG_ID, "meetingId": "visit-sms", "mobileNumbersWithCountryCode": ["555"]}),
            "mobileNumbersWithCountryCode[0]",
        ),
        (
            json!({"integration": "jose", "vertical": "cc", "orgId": ORG_ID, "meetingId": "visit-sms"}),
            "mobileNumbersWithCountryCode",
        ),
        (
            json!({"vertical": "cc", "orgId": ORG_ID, "meetingId": "visit-sms"}),
            "integration",
        ),
    ];
    for (body, field) in cases {
        let response = broker
            .post_json("/api/v1/sms/meetingInvite", &body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        assert!(
            error["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["description"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{field}: "))),
            "{field}: {error}"
        );
    }
    assert_eq!(
        broker.get_json("/_icnode/outbox").await["items"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "refused invites are not recorded"
    );
}

#[tokio::test]
async fn a_token_expires_after_its_lifetime_and_a_restart_does_not_renew_it() {
    let dir = tempfile::tempdir().unwrap();
    let twelve_hours = std::time::Duration::from_secs(12 * 60 * 60);
    let with_ttl = || broker::BrokerSettings {
        token_ttl: Some(twelve_hours),
        ..crate::settings(Some(dir.path()))
    };
    let broker = crate::spawn_with(with_ttl()).await;
    let links = broker
        .client
        .generate_links(&LinkRequest::new("visit-ttl"))
        .await
        .unwrap()
        .value;
    broker
        .clock
        .advance(twelve_hours - std::time::Duration::from_secs(1));
    assert!(
        broker
            .client
            .generate_links(&LinkRequest::new("visit-ttl"))
            .await
            .is_ok()
    );
    broker.clock.advance(std::time::Duration::from_secs(1));
    let err = broker
        .client
        .generate_links(&LinkRequest::new("visit-ttl"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Status { status: 401, message, .. } if message.contains("valid access token")),
        "{err:?}"
    );
    let later = broker.clock.now();
    broker.stop().await;

    let restarted = crate::spawn_at(with_ttl(), instant_connect::ManualClock::at(later)).await;
    let err = restarted
        .client
        .space_details(&links.guest[0].cipher)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 401, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_local_meeting_route_tells_how_long_a_meetings_links_last_and_how_they_open() {
    let broker = spawn_broker().await;
    let sub = "visit/with spaces/ünï";
    let mut first = LinkRequest::new(sub);
    first.jwt.exp = Some(broker.clock.now() + 7200);
    first.vertical_type = Some(Vertical::Gen);
    first.login_url_for_host = Some(false);
    broker.client.generate_links(&first).await.unwrap();
    let mut shorter = LinkRequest::new(sub);
    shorter.jwt.exp = Some(broker.clock.now() + 600);
    broker.client.generate_links(&shorter).await.unwrap();

    let meeting = broker.client.local_meeting(sub).await.unwrap().value;
    assert_eq!(meeting.sub, sub);
    assert_eq!(
        meeting.links_expire_at,
        Some(broker.clock.now() + 7200),
        "the latest expiry"
    );
    assert!(meeting.space_id.is_some());
    assert_eq!(
        (meeting.vertical_type, meeting.login_url_for_host),
        (Some(Vertical::Gen), Some(false)),
        "as the first links open, not the later default ones"
    );

    let unknown = broker
        .client
        .local_meeting("no-such-visit")
        .await
        .unwrap()
        .value;
    assert_eq!((unknown.space_id, unknown.links_expire_at), (None, None));
    assert_eq!(
        (unknown.vertical_type, unknown.login_url_for_host),
        (None, None)
    );
    let anonymous = broker
        .http
        .get(format!("{}/_icnode/meetings/x", broker.url))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
