use std::time::Duration;

use instant_connect::{
    Client, ClientConfig, ClientError, JoinRecord, JoinsPage, LinkRequest, Movement, Role,
    SmsInviteRequest,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::data;

pub(crate) const TOKEN: &str = "test-token-not-a-secret";

fn client_for(url: &str, timeout: Duration) -> Client {
    let mut config = ClientConfig::new(url.parse().unwrap(), TOKEN.into());
    config.connect_timeout = timeout;
    config.request_timeout = timeout;
    Client::new(config).unwrap()
}

/// The error a link request gets from a broker that answers every POST with `answer`.
async fn error_for(answer: ResponseTemplate, timeout: Duration) -> ClientError {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(answer)
        .mount(&server)
        .await;
    client_for(&server.uri(), timeout)
        .generate_links(&LinkRequest::new("v"))
        .await
        .unwrap_err()
}

pub(crate) fn recorded_v2_body() -> Value {
    let recorded: Value = serde_json::from_str(&data("v2-joseencrypt-200-1.json")).unwrap();
    recorded["response"]["body"].clone()
}

#[tokio::test]
async fn generate_links_sends_the_request_with_bearer_and_parses_the_v2_shape() {
    let server = MockServer::start().await;
    let mut request = LinkRequest::new("visit-7");
    request.provide_short_urls = Some(true);
    Mock::given(method("POST"))
        .and(path("/api/v2/joseencrypt"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"aud": instant_connect::AUDIENCE, "jwt": {"sub": "visit-7"}, "provideShortUrls": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(recorded_v2_body()))
        .expect(1)
        .mount(&server)
        .await;
    let response = client_for(&server.uri(), Duration::from_secs(5))
        .generate_links(&request)
        .await
        .unwrap()
        .value;
    assert_eq!(response.host[0].short.as_deref(), Some("PLO5VnE"));
    assert_eq!(response.guest[0].short.as_deref(), Some("zA4Lzrd"));
}

#[tokio::test]
async fn the_legacy_endpoint_parses_bare_string_items() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/joseencrypt"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"host": ["h.c"], "guest": ["g1", "g2"]})),
        )
        .mount(&server)
        .await;
    let legacy = client_for(&server.uri(), Duration::from_secs(5))
        .generate_links_legacy(&LinkRequest::new("v"))
        .await
        .unwrap()
        .value;
    assert_eq!(legacy.guest, ["g1", "g2"]);
    let unified: instant_connect::LinkResponse = legacy.into();
    assert_eq!(unified.guest[1].cipher, "g2");
    assert_eq!(unified.host[0].short, None);
}

#[tokio::test]
async fn the_brokers_warnings_and_tracking_id_come_back_with_the_answer() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(recorded_v2_body())
                .insert_header("trackingid", "ICNODE_T1")
                .append_header("icnode-warning", "jwt.Exp: ignored")
                .append_header("icnode-warning", "verticalType: `cc` is not in the guide"),
        )
        .mount(&server)
        .await;
    let reply = client_for(&server.uri(), Duration::from_secs(5))
        .generate_links(&LinkRequest::new("v"))
        .await
        .unwrap();
    assert_eq!(reply.tracking_id.as_deref(), Some("ICNODE_T1"));
    assert_eq!(
        reply.warnings,
        ["jwt.Exp: ignored", "verticalType: `cc` is not in the guide"]
    );
}

#[tokio::test]
async fn an_answer_over_the_size_limit_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(4096)))
        .mount(&server)
        .await;
    let mut config = ClientConfig::new(server.uri().parse().unwrap(), TOKEN.into());
    config.max_response_bytes = 1000;
    let err = Client::new(config)
        .unwrap()
        .generate_links(&LinkRequest::new("v"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::TooLarge {
                status: 200,
                limit: 1000
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the broker's answer (HTTP 200) is larger than the 1000-byte limit"
    );
    assert_eq!(
        ClientConfig::new(server.uri().parse().unwrap(), TOKEN.into()).max_response_bytes,
        1024 * 1024,
        "1 MiB by default"
    );
}

#[tokio::test]
async fn a_webex_error_body_gives_status_message_and_tracking_id() {
    const MESSAGE: &str =
        "The request requires a valid access token set in the Authorization request header.";
    let answer = ResponseTemplate::new(401)
        .insert_header("trackingid", "ROUTER_TEST-1")
        .set_body_json(
            json!({"message": MESSAGE, "errors": [{"description": MESSAGE}],
            "trackingId": "ROUTER_BODY"}),
        );
    let err = error_for(answer, Duration::from_secs(5)).await;
    match &err {
        ClientError::Status {
            status,
            message,
            descriptions,
            tracking_id,
            ..
        } => {
            assert_eq!(*status, 401);
            assert!(message.starts_with("The request requires a valid access token"));
            assert_eq!(descriptions.len(), 1);
            assert_eq!(
                tracking_id.as_deref(),
                Some("ROUTER_TEST-1"),
                "the header wins over the body"
            );
        }
        other => panic!("expected Status, got {other:?}"),
    }
    assert!(
        err.to_string().contains("(trackingId ROUTER_TEST-1)"),
        "{err}"
    );
}

#[tokio::test]
async fn a_non_json_error_keeps_an_excerpt_of_the_body() {
    let err = error_for(
        ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"),
        Duration::from_secs(5),
    )
    .await;
    assert!(
        matches!(&err, ClientError::Status { status: 502, message, tracking_id: None, .. } if message == "<html>Bad Gateway</html>"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_success_that_is_not_the_expected_json_is_unexpected_body() {
    let err = error_for(
        ResponseTemplate::new(200).set_body_string("<html>login</html>"),
        Duration::from_secs(5),
    )
    .await;
    assert!(
        matches!(&err, ClientError::UnexpectedBody { status: 200, reason } if reason.contains("<html>login")),
        "{err:?}"
    );

    let err = error_for(
        ResponseTemplate::new(200).set_body_json(json!({"hosts": []})),
        Duration::from_secs(5),
    )
    .await;
    assert!(
        matches!(&err, ClientError::UnexpectedBody { reason, .. } if reason.contains("missing field `host`")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_broker_slower_than_the_request_timeout_is_a_timeout() {
    let err = error_for(
        ResponseTemplate::new(200)
            .set_body_json(recorded_v2_body())
            .set_delay(Duration::from_secs(5)),
        Duration::from_millis(300),
    )
    .await;
    assert!(
        matches!(&err, ClientError::Timeout { timeout, .. } if *timeout == Duration::from_millis(300)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_closed_port_is_a_connection_failure() {
    // Port 1 refuses; a port freed by a dropped listener could be taken by another test.
    let url = "http://127.0.0.1:1".to_owned();
    let err = client_for(&url, Duration::from_secs(5))
        .generate_links(&LinkRequest::new("v"))
        .await
        .unwrap_err();
    assert!(matches!(&err, ClientError::Connect { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("could not connect to the broker at http://127.0.0.1:"),
        "{err}"
    );
}

#[tokio::test]
async fn invalid_requests_fail_before_any_round_trip() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), Duration::from_secs(5))
        .generate_links(&LinkRequest::new(""))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Invalid(errors) if errors.first().field == "jwt.sub"),
        "{err:?}"
    );
}

#[tokio::test]
async fn space_details_and_sms_invite_use_the_documented_paths() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/space"))
        .and(query_param("int", "jose"))
        .and(query_param("data", "a.b.c.d.e"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"userIdentifier": "Guest", "isLoggedIn": false,
            "isHost": false, "organizationId": "o", "orgName": "Org", "token": "t", "spaceId": "s",
            "visitId": "v", "integrationType": "jose"}),
        ))
        .mount(&server)
        .await;
    let recorded: Value = serde_json::from_str(&data("v1-sms-meetinginvite-200-1.json")).unwrap();
    Mock::given(method("POST"))
        .and(path("/api/v1/sms/meetingInvite"))
        .and(body_json(
            json!({"integration": "jose", "vertical": "cc", "orgId": "o", "meetingId": "v",
            "mobileNumbersWithCountryCode": ["+15551234567"]}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(recorded["response"]["body"].clone()),
        )
        .mount(&server)
        .await;
    let client = client_for(&server.uri(), Duration::from_secs(5));
    let space = client.space_details("a.b.c.d.e").await.unwrap().value;
    assert!(!space.is_host);
    assert_eq!(space.user_identifier, "Guest");
    let invite = SmsInviteRequest::e164("o", "v", vec!["+15551234567".into()]);
    assert_eq!(
        client.sms_invite(&invite, None).await.unwrap().value.status,
        "Successful"
    );
}

#[test]
fn the_token_never_shows_in_debug_output() {
    let config = ClientConfig::new("http://127.0.0.1:1".parse().unwrap(), TOKEN.into());
    let client = Client::new(config.clone()).unwrap();
    for shown in [format!("{config:?}"), format!("{client:?}")] {
        assert!(!shown.contains(TOKEN), "{shown}");
    }
}

/// Answers one connection with the head of a response that promises more body than it sends,
/// then closes: the body read fails mid-way.
async fn truncating_server() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 500\r\n\r\n{\"host\"")
                .await;
        }
    });
    url
}

#[tokio::test]
async fn no_error_shows_the_query_string_that_carries_the_cipher() {
    const CIPHER: &str = "eyJhbGciOiJQQkVTMiJ9.SECRETKEY.SECRETIV.SECRETBODY.SECRETTAG";
    // Port 1 refuses; a port freed by a dropped listener could be taken by another test.
    let closed = "http://127.0.0.1:1".to_owned();
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&slow)
        .await;
    let failing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string("bad"))
        .mount(&failing)
        .await;
    let truncating = truncating_server().await;

    let mut kinds = Vec::new();
    for url in [closed, slow.uri(), failing.uri(), truncating] {
        let err = client_for(&url, Duration::from_millis(500))
            .space_details(CIPHER)
            .await
            .unwrap_err();
        kinds.push(match err {
            ClientError::Connect { .. } => "connect",
            ClientError::Timeout { .. } => "timeout",
            ClientError::Status { .. } => "status",
            ClientError::Transport { .. } => "transport",
            _ => "other",
        });
        for shown in [
            err.to_string(),
            format!("{err:?}"),
            resilience::report(&err),
        ] {
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(!shown.contains("data="), "{shown}");
        }
    }
    assert_eq!(kinds, ["connect", "timeout", "status", "transport"]);
}

#[tokio::test]
async fn the_local_meeting_path_encodes_the_sub_as_one_segment() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(
            "/_icnode/meetings/2024%2F05%2F01%2010:00%20(%E5%86%85%E7%A7%91)",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"sub": "2024/05/01 10:00 (内科)", "spaceId": "s", "linksExpireAt": 1800000000}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let meeting = client_for(&format!("{}/", server.uri()), Duration::from_secs(5))
        .local_meeting("2024/05/01 10:00 (内科)")
        .await
        .unwrap()
        .value;
    assert_eq!(meeting.links_expire_at, Some(1_800_000_000));
}

/// `Client::joins` asks for the records after the last id seen, with the token, and reads the
/// page as the local broker writes it (the broker's own tests read a real one).
#[tokio::test]
async fn joins_asks_after_the_last_id_seen_and_reads_the_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/base/_icnode/joins"))
        .and(query_param("cursor", "41"))
        .and(query_param("limit", "50"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [
                {"id": 42, "jti": "j1", "sub": "visit-1", "role": "guest", "kind": "joined", "at": 1800000000},
                {"id": 44, "jti": "j2", "sub": "visit-1", "role": "host", "kind": "left", "at": 1800000060}
            ],
            "nextCursor": 44
        })))
        .expect(1)
        .mount(&server)
        .await;
    let page = client_for(&format!("{}/base/", server.uri()), Duration::from_secs(5))
        .joins(41, 50)
        .await
        .unwrap()
        .value;
    assert_eq!(
        page,
        JoinsPage {
            items: vec![
                JoinRecord {
                    id: 42,
                    jti: "j1".to_owned(),
                    sub: "visit-1".to_owned(),
                    role: Role::Guest,
                    kind: Movement::Joined,
                    at: 1_800_000_000,
                },
                JoinRecord {
                    id: 44,
                    jti: "j2".to_owned(),
                    sub: "visit-1".to_owned(),
                    role: Role::Host,
                    kind: Movement::Left,
                    at: 1_800_000_060,
                },
            ],
            next_cursor: Some(44),
        }
    );
    // Written back as read: the last page says no `nextCursor` at all.
    let last = JoinsPage {
        items: page.items[1..].to_vec(),
        next_cursor: None,
    };
    assert_eq!(
        serde_json::to_value(&last).unwrap(),
        json!({"items": [{"id": 44, "jti": "j2", "sub": "visit-1", "role": "host", "kind": "left", "at": 1800000060}]})
    );
    assert_eq!(
        Movement::ALL.map(Movement::as_str),
        ["joined", "left"],
        "as the wire writes them"
    );
}

/// Production has no `/_icnode/joins`: its 404 is a `Status` error, as any refusal is.
#[tokio::test]
async fn joins_from_a_broker_without_the_route_is_a_status_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_json(
            json!({"message": "The requested resource could not be found.", "errors": []}),
        ))
        .mount(&server)
        .await;
    let err = client_for(&server.uri(), Duration::from_secs(5))
        .joins(0, 100)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Status { status: 404, .. }),
        "{err:?}"
    );
}

/// An HTTP answer as bytes: `head` (status line and headers, without the blank line), then
/// `body`, one chunk per piece when `chunked`.
fn raw_answer(head: &str, body: &[Vec<u8>], chunked: bool) -> Vec<u8> {
    let mut answer = format!("{head}\r\n").into_bytes();
    if chunked {
        answer.extend_from_slice(b"transfer-encoding: chunked\r\n");
    }
    answer.extend_from_slice(b"\r\n");
    for piece in body {
        if chunked {
            answer.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            answer.extend_from_slice(piece);
            answer.extend_from_slice(b"\r\n");
        } else {
            answer.extend_from_slice(piece);
        }
    }
    if chunked {
        answer.extend_from_slice(b"0\r\n\r\n");
    }
    answer
}

/// Answers every connection `listener` accepts with `answer`; the connection stays open
/// after, so a client that waits for more waits until its timeout.
fn serve_raw(listener: tokio::net::TcpListener, answer: Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(&answer).await;
                let _ = socket.read(&mut request).await;
            });
        }
    });
}

/// A loopback server that gives every connection the answer `raw_answer` makes.
async fn raw_server(head: &'static str, body: Vec<Vec<u8>>, chunked: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    serve_raw(listener, raw_answer(head, &body, chunked));
    url
}

fn client_limited_to(url: &str, limit: usize) -> Client {
    let mut config = ClientConfig::new(url.parse().unwrap(), TOKEN.into());
    config.max_response_bytes = limit;
    config.request_timeout = Duration::from_secs(5);
    Client::new(config).unwrap()
}

/// The recorded answer, padded with spaces after the JSON to `len` bytes.
fn recorded_answer_of(len: usize) -> Vec<u8> {
    let mut body = recorded_v2_body().to_string().into_bytes();
    assert!(body.len() <= len);
    body.resize(len, b' ');
    body
}

#[tokio::test]
async fn an_answer_of_exactly_the_limit_is_read_with_or_without_a_length() {
    const LIMIT: usize = 4000;
    let body = recorded_answer_of(LIMIT);
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"))
        .mount(&server)
        .await;
    let declared = client_limited_to(&server.uri(), LIMIT);
    assert!(
        declared
            .generate_links(&LinkRequest::new("v"))
            .await
            .is_ok()
    );
    let one_short = client_limited_to(&server.uri(), LIMIT - 1);
    assert!(matches!(
        one_short.generate_links(&LinkRequest::new("v")).await,
        Err(ClientError::TooLarge { limit: 3999, .. })
    ));

    // Chunked, with no length: counted as it streams, in pieces that end on the limit.
    let pieces = vec![body[..1000].to_vec(), body[1000..].to_vec()];
    let streamed = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json",
        pieces,
        true,
    )
    .await;
    assert!(
        client_limited_to(&streamed, LIMIT)
            .generate_links(&LinkRequest::new("v"))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_over_limit_answer_without_a_length_is_refused_as_it_streams() {
    let pieces = vec![vec![b' '; 3000], vec![b' '; 3000]];
    let url = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json",
        pieces,
        true,
    )
    .await;
    let err = client_limited_to(&url, 5000)
        .generate_links(&LinkRequest::new("v"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::TooLarge {
                status: 200,
                limit: 5000
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_without_waiting_for_the_body() {
    // A gigabyte promised and nothing sent: the answer is refused on its headers alone, so
    // the client never waits out its timeout for a body it would refuse anyway.
    let url = raw_server(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000",
        vec![],
        false,
    )
    .await;
    let err = client_limited_to(&url, 5000)
        .generate_links(&LinkRequest::new("v"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ClientError::TooLarge {
                status: 200,
                limit: 5000
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_tried_again_and_may_then_succeed() {
    // A socket bound but not listening refuses connections, and its port stays ours.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = format!("http://{}", socket.local_addr().unwrap());
    let mut config = ClientConfig::new(url.parse().unwrap(), TOKEN.into());
    config.request_timeout = Duration::from_secs(20);
    config.retry = resilience::RetryPolicy {
        base_delay: Duration::from_secs(3),
        max_delay: Duration::from_secs(3),
        jitter: resilience::Jitter::Fixed { per_mille: 1000 },
        ..resilience::RetryPolicy::with_retries(2)
    };
    let client = Client::new(config).unwrap();
    let call = tokio::spawn(async move { client.generate_links(&LinkRequest::new("v")).await });
    // The first try is refused at once; the retry comes 3 s later, after the port listens.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let listener = socket.listen(16).unwrap();
    let body = recorded_v2_body().to_string().into_bytes();
    serve_raw(
        listener,
        raw_answer(
            &format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}",
                body.len()
            ),
            &[body],
            false,
        ),
    );
    let reply = call
        .await
        .unwrap()
        .expect("the retry reaches the listening port");
    assert_eq!(reply.attempts, 2);
}
