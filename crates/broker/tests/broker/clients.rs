//! Public programs that call the production broker, replayed against the local one exactly as
//! they send their requests and build their links (bodies, headers, paths and URL forms copied
//! from their code; docs/broker.md names each source). Each must work end to end, and each
//! departure from the developer guide must be named in an `Icnode-Warning` header.

use base64::Engine;
use instant_connect::{AUDIENCE, Clock};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{
    ORG_ID, TOKEN, TestBroker, claims_of, header_of, settings, spawn_broker, spawn_with, warnings,
};

/// A request as raw HTTP/1.1 bytes, for what an HTTP client library would tidy away (a chunked
/// empty body). Returns the status and the body.
async fn raw(broker: &TestBroker, request: &str) -> (u16, String) {
    let address = broker.url.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket
        .write_all(request.replace("{host}", address).as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
}

/// POSTs `body` (bytes as the client writes them) with the client's headers.
async fn post(
    broker: &TestBroker,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> reqwest::Response {
    let mut request = broker
        .http
        .post(format!("{}{path}", broker.url))
        .body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

async fn get(broker: &TestBroker, url: &str) -> reqwest::Response {
    broker.http.get(url).send().await.unwrap()
}

const BEARER: &str = "Bearer test-token";

fn json_headers() -> [(&'static str, &'static str); 2] {
    [
        ("Authorization", BEARER),
        ("Content-Type", "application/json"),
    ]
}

/// The space reply's values are all strings or booleans: an older building-automation driver
/// parses it as `Hash(String, String | Bool)`.
fn assert_strings_and_booleans_only(reply: &Value) {
    for (name, value) in reply.as_object().unwrap() {
        assert!(value.is_string() || value.is_boolean(), "{name}: {value}");
    }
}

/// `department-of-veterans-affairs/caseflow` (Ruby), `webex_service.rb`: two hosts, a guest,
/// short URLs; a cancelled hearing "deletes" with the same body and `nbf: 0, exp: 0`.
#[tokio::test]
async fn caseflow_creates_a_hearing_and_deletes_it_with_nbf_and_exp_zero() {
    let broker = spawn_broker().await;
    let (start, end) = (broker.clock.now() - 3600, broker.clock.now() + 20 * 3600);
    let create = format!(
        r#"{{"jwt":{{"sub":"150000_1_Hearing","nbf":{start},"exp":{end}}},"aud":"{AUDIENCE}","numHost":2,"provideShortUrls":true,"verticalType":"gen"}}"#
    );
    let response = post(&broker, "/api/v2/joseencrypt", &json_headers(), &create).await;
    assert_eq!(response.status(), 200);
    assert_eq!(warnings(&response), Vec::<String>::new());
    let data: Value = response.json().await.unwrap();
    let base_url = data["baseUrl"].as_str().unwrap();
    for link in [
        format!("{base_url}{}", data["host"][0]["short"].as_str().unwrap()),
        format!("{base_url}{}", data["host"][1]["short"].as_str().unwrap()),
        format!("{base_url}{}", data["guest"][0]["short"].as_str().unwrap()),
    ] {
        let redirect = get(&broker, &link).await;
        assert_eq!(redirect.status(), 302, "{link}");
        let page = get(&broker, redirect.headers()["location"].to_str().unwrap()).await;
        assert_eq!(page.status(), 200);
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("Virtual Visit - 150000_1_Hearing")
        );
    }

    let delete = format!(
        r#"{{"jwt":{{"sub":"150000_1_Hearing","nbf":0,"exp":0}},"aud":"{AUDIENCE}","numHost":2,"provideShortUrls":true,"verticalType":"gen"}}"#
    );
    let response = post(&broker, "/api/v2/joseencrypt", &json_headers(), &delete).await;
    assert_eq!(
        response.status(),
        200,
        "Caseflow treats anything but 2xx as a failure"
    );
    assert_eq!(
        warnings(&response),
        [format!(
            "jwt.exp: is not in the future (now is {}, got 0): the links are made already expired",
            broker.clock.now()
        )]
    );
    let deleted: Value = response.json().await.unwrap();
    let redirect = get(
        &broker,
        &format!(
            "{base_url}{}",
            deleted["guest"][0]["short"].as_str().unwrap()
        ),
    )
    .await;
    let page = get(&broker, redirect.headers()["location"].to_str().unwrap()).await;
    assert_eq!(page.status(), 410);
    assert!(page.text().await.unwrap().contains("This link expired at"));
}

/// Caseflow's feature branches (2023) wrote `Nbf`/`Exp` capitalised, as the guide's example
/// does: ignored, each named with the claim it was probably meant to be.
#[tokio::test]
async fn capitalised_nbf_and_exp_are_ignored_and_named() {
    let broker = spawn_broker().await;
    let (start, end) = (broker.clock.now(), broker.clock.now() + 3600);
    let body = format!(
        r#"{{"jwt":{{"sub":"150000_2_Hearing","Nbf":{start},"Exp":{end}}},"aud":"{AUDIENCE}","numHost":2,"provideShortUrls":true,"verticalType":"gen"}}"#
    );
    let response = post(&broker, "/api/v2/joseencrypt", &json_headers(), &body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        warnings(&response),
        [
            "jwt.Nbf: ignored: not a field Instant Connect reads; did you mean `nbf`?",
            "jwt.Exp: ignored: not a field Instant Connect reads; did you mean `exp`?",
        ]
    );
    let data: Value = response.json().await.unwrap();
    let claims = claims_of(data["host"][0]["cipher"].as_str().unwrap());
    assert_eq!(claims.get("nbf"), None);
    assert_eq!(
        claims["exp"].as_i64().unwrap(),
        broker.clock.now() + 15 * 60,
        "the default lifetime, since the capitals set nothing"
    );
}

/// `PlaceOS/drivers` `drivers/cisco/webex/instant_connect.cr` (Crystal): v2 with short URLs,
/// then `GET /api/v1/space/?int=jose&data=` for host and guest, with a trailing slash and no
/// `Authorization` (the driver's `get` sends none).
#[tokio::test]
async fn placeos_reads_space_details_with_a_trailing_slash_and_no_authorization() {
    let broker = spawn_broker().await;
    let body = json!({"aud": AUDIENCE, "provideShortUrls": true,
        "jwt": {"sub": "room-1.02", "exp": broker.clock.now() + 24 * 3600}})
    .to_string();
    let response = post(
        &broker,
        "/api/v2/joseencrypt",
        &[
            ("Accept", "application/json"),
            ("Content-Type", "application/json"),
            ("Authorization", BEARER),
        ],
        &body,
    )
    .await;
    assert_eq!(response.status(), 200);
    let keys: Value = response.json().await.unwrap();

    let mut space_ids = Vec::new();
    let mut tokens = Vec::new();
    for cipher in [&keys["host"][0]["cipher"], &keys["guest"][0]["cipher"]] {
        let url = format!(
            "{}/api/v1/space/?int=jose&data={}",
            broker.url,
            cipher.as_str().unwrap()
        );
        let response = get(&broker, &url).await;
        assert_eq!(response.status(), 200);
        assert_eq!(
            warnings(&response),
            [
                "path: has a trailing slash; read as `/api/v1/space`",
                "Authorization: is missing; the cipher is taken as the credential",
            ]
        );
        let reply: Value = response.json().await.unwrap();
        assert_strings_and_booleans_only(&reply);
        space_ids.push(reply["spaceId"].as_str().unwrap().to_owned());
        tokens.push(reply["token"].as_str().unwrap().to_owned());
    }
    assert_eq!(space_ids[0], space_ids[1]);
    assert_ne!(tokens[0], tokens[1]);
    let host_url = format!(
        "{}{}",
        keys["baseUrl"].as_str().unwrap(),
        keys["host"][0]["short"].as_str().unwrap()
    );
    assert_eq!(get(&broker, &host_url).await.status(), 302);

    // The v1 driver expects exactly one bare cipher each: `NamedTuple(host: Tuple(String), ...)`.
    let v1 = post(
        &broker,
        "/api/v1/joseencrypt",
        &[
            ("Accept", "application/json"),
            ("Content-Type", "application/json"),
            ("Authorization", BEARER),
        ],
        &json!({"aud": AUDIENCE, "jwt": {"sub": "room-1.02", "exp": broker.clock.now() + 3600}})
            .to_string(),
    )
    .await;
    let v1: Value = v1.json().await.unwrap();
    assert_eq!(v1["host"].as_array().unwrap().len(), 1);
    assert!(v1["guest"][0].is_string());
}

/// `gve-sw/gve_devnet_webex_instant_connect_with_video_device` (Python/Flask): v1 links, then
/// space details by a `GET` that carries the link request's JSON body, and join URLs without
/// `v=1`, one with `?&fli=true`.
#[tokio::test]
async fn gve_sample_gets_space_details_with_a_body_and_opens_links_without_v() {
    let broker = spawn_broker().await;
    // Python's json.dumps writes ", " and ": ".
    let payload = format!(
        r#"{{"aud": "{AUDIENCE}", "jwt": {{"sub": "Virtual Appointment 4242", "exp": {}}}}}"#,
        broker.clock.now() + 10800
    );
    let headers = [
        ("Content-Type", "application/json"),
        ("Authorization", BEARER),
    ];
    let response = post(&broker, "/api/v1/joseencrypt", &headers, &payload).await;
    assert_eq!(response.status(), 200);
    let links: Value = response.json().await.unwrap();
    let (host, guest) = (
        links["host"][0].as_str().unwrap(),
        links["guest"][0].as_str().unwrap(),
    );

    let space = broker
        .http
        .get(format!("{}/api/v1/space?int=jose&data={host}", broker.url))
        .header("Content-Type", "application/json")
        .header("Authorization", BEARER)
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(space.status(), 200);
    assert_eq!(
        warnings(&space),
        ["body: ignored: space details read only the query (a GET with a body)"]
    );
    let reply: Value = space.json().await.unwrap();
    assert!(reply["token"].is_string() && reply["spaceId"].is_string());

    let base = &broker.url;
    let cases = [
        (
            format!("{base}/hc/v1/login?int=jose&v=1&data={host}"),
            vec![],
            "host",
        ),
        (
            format!("{base}/hc/v1/login?&fli=true&int=jose&data={host}"),
            vec![
                "query: has an empty parameter (a stray `&`); ignored",
                "v: is missing; read as 1",
            ],
            "host",
        ),
        (
            format!("{base}/hc/v1/talk?int=jose&data={guest}"),
            vec!["v: is missing; read as 1"],
            "guest",
        ),
    ];
    for (url, expected, role) in cases {
        let page = get(&broker, &url).await;
        assert_eq!(page.status(), 200, "{url:.60}");
        assert_eq!(warnings(&page), expected, "{url:.60}");
        let html = page.text().await.unwrap();
        assert!(html.contains(&format!(r#"<strong id="role">{role}</strong>"#)));
        assert_eq!(html.contains(r#"id="sign-in""#), url.contains("fli=true"));
    }
}

/// `wxsd-sales/instant-connect-launcher` (Python, Tornado 4.5.2): v1 links with `nbf`/`exp`,
/// then `POST /api/v1/space/?int=jose&data=` with no body, which Tornado sends chunked; the
/// app base64-decodes `spaceId` and splits it at `/ROOM/`.
#[tokio::test]
async fn the_launcher_posts_an_empty_chunked_body_for_space_details() {
    let broker = spawn_broker().await;
    let now = broker.clock.now();
    let payload = format!(
        r#"{{"aud": "{AUDIENCE}", "jwt": {{"sub": "5f1c0d2e9a7b4c3d8e6f0a1b2c3d4e5f", "nbf": {}, "exp": {}}}}}"#,
        now + 60,
        now + 3660
    );
    let (status, body) = raw(
        &broker,
        &format!(
            "POST /api/v1/joseencrypt HTTP/1.1\r\nHost: {{host}}\r\nAccept: application/json\r\n\
             Content-Type: application/json\r\nAuthorization: {BEARER}\r\n\
             Content-Length: {}\r\nConnection: close\r\nAccept-Encoding: gzip\r\n\r\n{payload}",
            payload.len()
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let links: Value = serde_json::from_str(&body).unwrap();
    let host = links["host"][0].as_str().unwrap();

    let (status, body) = raw(
        &broker,
        &format!(
            "POST /api/v1/space/?int=jose&data={host} HTTP/1.1\r\nHost: {{host}}\r\n\
             Accept: application/json\r\nContent-Type: application/json\r\n\
             Authorization: {BEARER}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\
             Accept-Encoding: gzip\r\n\r\n0\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reply: Value = serde_json::from_str(&body).unwrap();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(reply["spaceId"].as_str().unwrap())
        .unwrap();
    let conversation = String::from_utf8(decoded).unwrap();
    let room = conversation.split("/ROOM/").nth(1).unwrap().trim();
    assert!(uuid::Uuid::parse_str(room).is_ok(), "{conversation}");

    let base = &broker.url;
    let host_url = format!("{base}/hc/v1/talk?int=jose&v=1&data=").replace("talk", "login") + host;
    let page = get(&broker, &host_url).await;
    assert_eq!(page.status(), 403, "the visit opens a minute from now");
    broker.clock.advance(std::time::Duration::from_secs(61));
    assert_eq!(get(&broker, &host_url).await.status(), 200);
}

/// `wxsd-sales/webex-far-end-camera-control` (Python): the host's link is a `talk` URL with
/// the host's cipher.
#[tokio::test]
async fn far_end_camera_control_sends_the_host_to_the_talk_page() {
    let broker = spawn_broker().await;
    let payload = format!(
        r#"{{"aud": "{AUDIENCE}", "jwt": {{"sub": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9hYmM"}}}}"#
    );
    let response = post(&broker, "/api/v1/joseencrypt", &json_headers(), &payload).await;
    let links: Value = response.json().await.unwrap();
    let host = links["host"][0].as_str().unwrap();
    let (status, _) = raw(
        &broker,
        &format!(
            "POST /api/v1/space/?int=jose&data={host} HTTP/1.1\r\nHost: {{host}}\r\n\
             Accept: application/json\r\nContent-Type: application/json\r\n\
             Authorization: {BEARER}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"
        ),
    )
    .await;
    assert_eq!(status, 200);
    let page = get(
        &broker,
        &format!("{}/hc/v1/talk?int=jose&v=1&data={host}", broker.url),
    )
    .await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"<strong id="role">host</strong>"#)
    );
}

/// `wxsd-sales/meeting-room-scheduler` (JavaScript): the same `sub` twice (a scheduled window,
/// then "now"), then space details of the second host link, read for `sipAddress`,
/// `meetingNumber` and `meetingId` to book a video device into the meeting.
#[tokio::test]
async fn the_meeting_room_scheduler_books_a_device_from_space_details() {
    let broker = spawn_broker().await;
    let now = broker.clock.now();
    let sub = "3f2b8c4e-1d2a-4b6c-9e8f-0a1b2c3d4e5f";
    let mut shorts = Vec::new();
    let mut ciphers = Vec::new();
    for (nbf, exp) in [(now + 3600, now + 7200), (now, now + 900)] {
        let body = json!({"aud": AUDIENCE, "jwt": {"sub": sub, "nbf": nbf, "exp": exp}, "provideShortUrls": true});
        let response = post(
            &broker,
            "/api/v2/joseencrypt",
            &json_headers(),
            &body.to_string(),
        )
        .await;
        assert_eq!(response.status(), 200);
        let data: Value = response.json().await.unwrap();
        shorts.push(format!(
            "{}{}",
            data["baseUrl"].as_str().unwrap(),
            data["host"][0]["short"].as_str().unwrap()
        ));
        ciphers.push(data["host"][0]["cipher"].as_str().unwrap().to_owned());
    }
    let response = broker
        .http
        .get(format!(
            "{}/api/v1/space/?int=jose&v=1&data={}",
            broker.url, ciphers[1]
        ))
        .header("Content-Type", "application/json")
        .header("Authorization", BEARER)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    let number = reply["meetingNumber"].as_str().unwrap();
    assert_eq!(reply["sipAddress"], format!("{number}@127.0.0.1"));
    assert_eq!(reply["meetingId"].as_str().unwrap().len(), 32);
    // The scheduled window's link belongs to the same meeting.
    let first = broker
        .client
        .space_details(&ciphers[0])
        .await
        .unwrap()
        .value;
    assert_eq!(first.meeting_number.as_deref(), Some(number));
    assert_eq!(get(&broker, &shorts[1]).await.status(), 302);
}

/// `wxsd-sales/video-call-queue` (TypeScript): space details with an extra `org=` parameter,
/// and both host and guest sent to `/gen/v1/talk`.
#[tokio::test]
async fn the_video_call_queue_passes_an_org_parameter_and_talks_as_host() {
    let broker = spawn_broker().await;
    let headers = [
        ("Content-type", "application/json"),
        ("Authorization", BEARER),
        ("Accept", "application/json"),
    ];
    let body =
        json!({"verticalType": "gen", "aud": AUDIENCE, "jwt": {"sub": "calling-queue-demo"}});
    let response = post(&broker, "/api/v2/joseencrypt", &headers, &body.to_string()).await;
    let data: Value = response.json().await.unwrap();
    let host = data["host"][0]["cipher"].as_str().unwrap();
    let guest = data["guest"][0]["cipher"].as_str().unwrap();
    let space = broker
        .http
        .get(format!(
            "{}/api/v1/space?org={ORG_ID}&int=jose&v=1&data={host}",
            broker.url
        ))
        .header("Content-type", "application/json")
        .header("Authorization", BEARER)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(space.status(), 200);
    assert_eq!(
        warnings(&space),
        ["org: ignored: not a parameter of this path"]
    );
    for cipher in [host, guest] {
        let page = get(
            &broker,
            &format!("{}/gen/v1/talk?int=jose&v=1&data={cipher}", broker.url),
        )
        .await;
        assert_eq!(page.status(), 200);
        assert_eq!(warnings(&page), Vec::<String>::new());
    }
}

/// `wxsd-sales/ic-far-end-camera-control` (JavaScript): every option set, a bare SIP address
/// (a device's `primarySipUrl`), two hosts that skip the login page.
#[tokio::test]
async fn far_end_camera_control_sets_every_option_with_a_bare_sip_address() {
    let broker = spawn_broker().await;
    let body = json!({"jwt": {"sub": "farend", "flow": {"id": "sip-no-knock",
            "data": [{"uri": "room-12@acme.calls.webex.com"}]}},
        "aud": AUDIENCE, "numGuest": 1, "numHost": 2, "provideShortUrls": true, "verticalType": "gen",
        "loginUrlForHost": false, "jweAlg": "PBES2-HS512+A256KW", "saltLength": 8, "iterations": 1000,
        "enc": "A256GCM", "jwsAlg": "HS512"});
    let response = post(
        &broker,
        "/api/v2/joseencrypt",
        &json_headers(),
        &body.to_string(),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        warnings(&response),
        Vec::<String>::new(),
        "the guide's own example is bare"
    );
    let data: Value = response.json().await.unwrap();
    assert_eq!(data["host"].as_array().unwrap().len(), 2);
    let cipher = data["host"][0]["cipher"].as_str().unwrap();
    assert_eq!(header_of(cipher)["p2c"], 1000);
    assert_eq!(
        claims_of(cipher)["flow"]["data"][0]["uri"],
        "room-12@acme.calls.webex.com"
    );
    let url = format!(
        "{}{}",
        data["baseUrl"].as_str().unwrap(),
        data["host"][0]["short"].as_str().unwrap()
    );
    let redirect = get(&broker, &url).await;
    assert!(
        redirect.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/gen/v1/talk?"),
        "loginUrlForHost: false"
    );
}

/// `WebexSamples/webex-contact-center-api-samples`: the flow's HTTP node body (`verticalType:
/// "cc"`), the screen-pop of `/visit/{{hostKey}}`, and the Postman SMS invite with the caller's
/// number in the alpha-2 list.
#[tokio::test]
async fn the_contact_center_flow_uses_the_cc_vertical_and_invites_by_sms() {
    let broker = spawn_broker().await;
    let body = format!(
        "{{\n    \"jwt\": {{\n        \"sub\": \"c0a8011e-interaction-7\"\n    }},\n    \"aud\": \"{AUDIENCE}\",\n    \"numHost\": 1,\n    \"numGuest\": 1,\n    \"verticalType\": \"cc\",\n    \"provideShortUrls\" : true\n}}"
    );
    let response = post(
        &broker,
        "/api/v2/joseencrypt",
        &[
            ("Authorization", BEARER),
            ("Content-Type", "Application/JSON"),
        ],
        &body,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        warnings(&response),
        [
            "verticalType: `cc` is not in the developer guide (`hc`, `gen`); its links open the /cc/ join pages"
        ]
    );
    let data: Value = response.json().await.unwrap();
    let host_key = data["host"][0]["short"].as_str().unwrap();
    let redirect = get(&broker, &format!("{}/visit/{host_key}", broker.url)).await;
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.contains("/cc/v1/login?int=jose&v=1&data="),
        "{location}"
    );
    assert_eq!(get(&broker, &location).await.status(), 200);

    let invite = format!(
        "{{\n    \"integration\": \"jose\",\n    \"vertical\": \"cc\",\n    \"orgId\": \"{ORG_ID}\",\n    \"meetingId\": \"c0a8011e-interaction-7\",\n   \"mobileNumbersWithAlpha2CountryCode\": {{\n        \"us\": [\"+15551230000\"]\n    }}\n}}"
    );
    let response = post(
        &broker,
        "/api/v1/sms/meetingInvite",
        &json_headers(),
        &invite,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        warnings(&response),
        [
            "mobileNumbersWithAlpha2CountryCode.us[0]: is an E.164 number in a list of national numbers; read as E.164"
        ]
    );
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"status": "Successful"})
    );
    let outbox = broker.get_json("/_icnode/outbox").await;
    assert_eq!(outbox["items"][0]["numbers"], json!(["+15551230000"]));
}

/// Forms seen once each: the WXSD lab's `"provideShortUrls": "true"`, a booking page's `exp` in
/// milliseconds (v1, with `/`, `:`, spaces and non-ASCII in `sub`), a Django form's string
/// counts, and a Deno function's display names.
#[tokio::test]
async fn strings_for_booleans_and_counts_milliseconds_and_unknown_fields_are_read_with_warnings() {
    let broker = spawn_broker().await;
    let now = broker.clock.now();
    let cases: Vec<(&str, Value, Vec<String>)> = vec![
        (
            "/api/v2/joseencrypt",
            json!({"jwt": {"sub": "Video Call with your practitioner"}, "aud": AUDIENCE,
                "provideShortUrls": "true", "verticalType": "hc", "loginUrlForHost": false}),
            vec!["provideShortUrls: is the string \"true\"; read as the boolean true".into()],
        ),
        (
            "/api/v1/joseencrypt",
            json!({"aud": AUDIENCE, "jwt": {"sub": "2024/05/01 10:00(内科)", "exp": (now + 43200) * 1000}}),
            vec![format!(
                "jwt.exp: {} looks like milliseconds; read as {} seconds",
                (now + 43200) * 1000,
                now + 43200
            )],
        ),
        (
            "/api/v2/joseencrypt",
            json!({"jwt": {"sub": "s-1", "flow": {"id": "sip-no-knock", "data": [{"uri": "desk@acme.example"}]}},
                "aud": AUDIENCE, "provideShortUrls": true, "verticalType": "gen",
                "loginUrlForHost": false, "numGuest": "2", "numHost": "1"}),
            vec![
                "numHost: is the string \"1\"; read as the number 1".into(),
                "numGuest: is the string \"2\"; read as the number 2".into(),
            ],
        ),
        (
            "/api/v2/joseencrypt",
            json!({"jwt": {"sub": "task-9"}, "aud": AUDIENCE, "numHost": 1, "numGuest": 1,
                "verticalType": "gen", "provideShortUrls": true,
                "hostDisplayName": "Support Agent", "guestDisplayName": "Customer"}),
            vec![
                "hostDisplayName: ignored: not a field Instant Connect reads".into(),
                "guestDisplayName: ignored: not a field Instant Connect reads".into(),
            ],
        ),
    ];
    for (path, body, expected) in cases {
        let response = post(&broker, path, &json_headers(), &body.to_string()).await;
        assert_eq!(response.status(), 200, "{body}");
        assert_eq!(warnings(&response), expected, "{body}");
    }
    let guest = post(
        &broker,
        "/api/v1/joseencrypt",
        &json_headers(),
        &json!({"aud": AUDIENCE, "jwt": {"sub": "2024/05/01 10:00(内科)", "exp": (now + 43200) * 1000}}).to_string(),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["guest"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let page = get(
        &broker,
        &format!("{}/hc/v1/talk?int=jose&data={guest}", broker.url),
    )
    .await;
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("Virtual Visit - 2024/05/01 10:00(内科)")
    );
}

/// A strict broker refuses each of those departures with a 400 that names the field, and
/// still answers what the guide documents.
#[tokio::test]
async fn a_strict_broker_refuses_every_departure_and_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let broker = spawn_with(broker::BrokerSettings {
        strict: true,
        ..settings(Some(dir.path()))
    })
    .await;
    let now = broker.clock.now();
    let documented = json!({"aud": AUDIENCE, "jwt": {"sub": "strict-1", "exp": now + 600},
        "provideShortUrls": true, "jwt_unused": null});
    let response = post(
        &broker,
        "/api/v2/joseencrypt",
        &json_headers(),
        &documented.to_string(),
    )
    .await;
    assert_eq!(response.status(), 400, "even an unknown field is refused");

    let documented = json!({"aud": AUDIENCE, "jwt": {"sub": "strict-1", "exp": now + 600,
        "flow": {"id": "sip-no-knock", "data": [{"uri": "room@example.room.wbx2.com"}]}}, "provideShortUrls": true});
    let response = post(
        &broker,
        "/api/v2/joseencrypt",
        &json_headers(),
        &documented.to_string(),
    )
    .await;
    assert_eq!(response.status(), 200);
    let data: Value = response.json().await.unwrap();
    let cipher = data["guest"][0]["cipher"].as_str().unwrap().to_owned();

    let bodies = [
        (
            json!({"aud": AUDIENCE, "jwt": {"sub": "s", "nbf": 0, "exp": 0}}),
            "jwt.exp",
        ),
        (
            json!({"aud": AUDIENCE, "jwt": {"sub": "s", "Exp": now}}),
            "jwt.Exp",
        ),
        (
            json!({"aud": AUDIENCE, "jwt": {"sub": "s"}, "verticalType": "cc"}),
            "verticalType",
        ),
        (
            json!({"aud": AUDIENCE, "jwt": {"sub": "s"}, "provideShortUrls": "true"}),
            "provideShortUrls",
        ),
        (
            json!({"aud": AUDIENCE, "jwt": {"sub": "s", "exp": (now + 60) * 1000}}),
            "jwt.exp",
        ),
        (
            json!({"aud": AUDIENCE, "jwt": {"sub": "s"}, "iterations": 2000}),
            "iterations",
        ),
    ];
    for (body, field) in bodies {
        let response = post(
            &broker,
            "/api/v2/joseencrypt",
            &json_headers(),
            &body.to_string(),
        )
        .await;
        assert_eq!(response.status(), 400, "{body}");
        let error: Value = response.json().await.unwrap();
        let description = error["errors"][0]["description"].as_str().unwrap();
        assert!(
            description.starts_with(&format!("{field}: not accepted by a strict broker (")),
            "{description}"
        );
    }

    let space = |path: &str| format!("{}{path}?int=jose&data={cipher}", broker.url);
    let no_auth = get(&broker, &space("/api/v1/space")).await;
    assert_eq!(no_auth.status(), 400);
    let slash = broker
        .http
        .get(space("/api/v1/space/"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(slash.status(), 400);
    let slash_error: Value = slash.json().await.unwrap();
    assert_eq!(
        slash_error["message"],
        "path: not accepted by a strict broker (has a trailing slash; read as `/api/v1/space`)"
    );
    let ok = broker
        .http
        .get(space("/api/v1/space"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);

    let no_v = get(
        &broker,
        &format!("{}/hc/v1/talk?int=jose&data={cipher}", broker.url),
    )
    .await;
    assert_eq!(no_v.status(), 400);
    assert!(
        no_v.text()
            .await
            .unwrap()
            .contains("v: not accepted by a strict broker")
    );
    let with_v = get(
        &broker,
        &format!("{}/hc/v1/talk?int=jose&v=1&data={cipher}", broker.url),
    )
    .await;
    assert_eq!(with_v.status(), 200);
}
