//! AWS Signature Version 4: the published test vectors, and a real server on port 0 that
//! verifies each request's signature over what it received.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::any;
use node::run::authorize::aws::{Credentials, Scope, sign_request};
use node::{Edge, Engine, RunOptions, Secrets};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::run::{params, spawn_router};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sigv4");
const ACCESS_KEY: &str = "AKIDEXAMPLE";
const SECRET_KEY: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// `2015-08-30T12:36:00Z` or `20150830T123600Z` as a time (UTC, no leap seconds).
fn parse_time(text: &str) -> SystemTime {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let n = |range: std::ops::Range<usize>| digits[range].parse::<i64>().unwrap();
    let (year, month, day) = (n(0..4), n(4..6), n(6..8));
    // Days from civil (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + n(8..10) * 3600 + n(10..12) * 60 + n(12..14);
    UNIX_EPOCH + Duration::from_secs(seconds as u64)
}

/// A request of the suite's `request.txt`: request line, `Name:value` headers, blank line, body.
fn suite_request(text: &str) -> reqwest::Request {
    let (head, body) = text.split_once("\n\n").unwrap_or((text, ""));
    let mut lines = head.lines();
    let mut request_line = lines.next().unwrap().split(' ');
    let method: reqwest::Method = request_line.next().unwrap().parse().unwrap();
    let path = request_line.next().unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').unwrap();
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let host = headers["host"].to_str().unwrap().to_owned();
    let mut request =
        reqwest::Request::new(method, format!("https://{host}{path}").parse().unwrap());
    *request.headers_mut() = headers;
    if !body.is_empty() {
        *request.body_mut() = Some(body.to_owned().into());
    }
    request
}

/// The `Signature=` of an Authorization value.
fn signature_of(authorization: &str) -> &str {
    authorization.rsplit("Signature=").next().unwrap()
}

#[test]
fn the_published_sigv4_vectors_are_reproduced() {
    let mut cases = 0;
    for entry in std::fs::read_dir(VECTORS).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let read = |file: &str| std::fs::read_to_string(dir.join(file)).unwrap();
        let context: Value = serde_json::from_str(&read("context.json")).unwrap();
        // The engine signs without the x-amz-content-sha256 header, as these cases do.
        assert_eq!(context["sign_body"], false, "{}", dir.display());
        let credentials = Credentials {
            access_key: context["credentials"]["access_key_id"]
                .as_str()
                .unwrap()
                .to_owned(),
            secret_key: SecretString::from(
                context["credentials"]["secret_access_key"]
                    .as_str()
                    .unwrap(),
            ),
            session_token: context["credentials"]["token"]
                .as_str()
                .map(SecretString::from),
        };
        let scope = Scope {
            region: context["region"].as_str().unwrap(),
            service: context["service"].as_str().unwrap(),
        };
        let mut request = suite_request(&read("request.txt"));
        let time = parse_time(context["timestamp"].as_str().unwrap());
        sign_request(&mut request, &credentials, &scope, time).unwrap();
        let authorization = request.headers()["authorization"].to_str().unwrap();
        assert_eq!(
            signature_of(authorization),
            read("header-signature.txt").trim(),
            "{}: {authorization}",
            dir.display()
        );
        assert!(authorization.starts_with(&format!(
            "AWS4-HMAC-SHA256 Credential={}/20150830/us-east-1/service/aws4_request, SignedHeaders=",
            credentials.access_key
        )));
        cases += 1;
    }
    assert!(
        cases >= 9,
        "only {cases} vectors under {}",
        Path::new(VECTORS).display()
    );
}

/// Verifies SigV4 as a service would: recomputes the signature over the method, URL, signed
/// headers and body it received, with the time the request names, and compares.
async fn verifying_service() -> url::Url {
    async fn verify(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, axum::Json<Value>) {
        let refuse = |why: &str| (StatusCode::FORBIDDEN, axum::Json(json!({"message": why})));
        let Some(received) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
            return refuse("no Authorization header");
        };
        let Some(date) = headers.get("x-amz-date").and_then(|v| v.to_str().ok()) else {
            return refuse("no X-Amz-Date header");
        };
        let signed: Vec<&str> = received
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|rest| rest.split(',').next())
            .map(|list| list.split(';').collect())
            .unwrap_or_default();
        let host = headers["host"].to_str().unwrap();
        let mut request = reqwest::Request::new(
            method.as_str().parse().unwrap(),
            format!("http://{host}{uri}").parse().unwrap(),
        );
        for name in &signed {
            // The signer adds these itself, from the time and the credentials.
            if matches!(*name, "x-amz-date" | "x-amz-security-token") {
                continue;
            }
            for value in headers.get_all(*name) {
                request.headers_mut().append(
                    reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                    reqwest::header::HeaderValue::from_bytes(value.as_bytes()).unwrap(),
                );
            }
        }
        *request.body_mut() = Some(body.to_vec().into());
        let credentials = Credentials {
            access_key: ACCESS_KEY.to_owned(),
            secret_key: SecretString::from(SECRET_KEY),
            session_token: headers
                .get("x-amz-security-token")
                .map(|v| SecretString::from(v.to_str().unwrap())),
        };
        let scope = Scope {
            region: "eu-west-1",
            service: "execute-api",
        };
        sign_request(&mut request, &credentials, &scope, parse_time(date)).unwrap();
        let expected = request.headers()["authorization"].to_str().unwrap();
        if expected != received {
            return refuse(
                "The request signature we calculated does not match the signature you provided.",
            );
        }
        (
            StatusCode::OK,
            axum::Json(
                json!({"signedHeaders": signed, "token": headers.contains_key("x-amz-security-token"),
                       "query": uri.query()}),
            ),
        )
    }
    spawn_router(Router::new().route("/{*path}", any(verify))).await
}

fn aws_node(base: &url::Url, session_token: bool, body: Value) -> node::NodeDefinition {
    let mut authorization = json!({"type": "aws",
        "accessKey": {"type": "static", "value": ACCESS_KEY},
        "secretKey": {"type": "static", "value": "$(secret:aws_secret)"},
        "region": "eu-west-1", "service": "execute-api"});
    if session_token {
        authorization["sessionToken"] = json!({"type": "dynamic", "field": "sessionToken"});
    }
    let definition = json!({
        "name": "Signed",
        "methods": [{
            "name": "Call",
            "requestTimeoutMs": 3000,
            "connectionTimeoutMs": 3000,
            "httpMethod": "POST",
            "url": format!("{base}prod/items/$(item)"),
            "urlParameters": [{"type": "static", "name": "b", "value": "2 3"}, {"type": "static", "name": "a", "value": "1"}],
            "headers": [{"type": "static", "name": "X-Trace", "value": "t-1"}],
            "parameters": [{"type": "dynamic", "name": "item"}],
            "body": body,
            "authorization": authorization,
            "events": [{"name": "Ok", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"}],
            "outputs": [
                {"name": "message", "source": {"type": "body", "path": "$.message"}},
                {"name": "signedHeaders", "source": {"type": "body", "path": "$.signedHeaders"}},
                {"name": "token", "source": {"type": "body", "path": "$.token"}},
                {"name": "query", "source": {"type": "body", "path": "$.query"}}
            ]
        }]
    });
    node::load(&definition.to_string()).unwrap_or_else(|p| panic!("{p:#?}"))
}

#[tokio::test]
async fn a_sigv4_service_accepts_the_signed_request_and_refuses_a_wrong_key() {
    let base = verifying_service().await;
    let json_body = json!({"format": "json", "template": "{\"item\": \"$(item)\"}"});
    let node = aws_node(&base, false, json_body.clone());
    let engine = |secret: &str| Engine::new(Secrets::from_pairs([("aws_secret", secret)]));
    let params = params(&[("item", "a b/ü")]);

    let signed = engine(SECRET_KEY)
        .run(&node, "Call", &params, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(signed.edge, Edge::Success, "{signed:#?}");
    // The row `b = "2 3"` goes out as SigV4 signs it: `%20`, not a form-style `+`.
    assert_eq!(signed.outputs["query"], "b=2%203&a=1");
    let headers = signed.outputs["signedHeaders"].as_array().unwrap();
    for name in ["content-type", "host", "x-amz-date", "x-trace"] {
        assert!(
            headers.contains(&json!(name)),
            "{name} not signed: {headers:?}"
        );
    }

    let wrong = engine("not-the-key")
        .run(&node, "Call", &params, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(wrong.edge, Edge::Error);
    assert_eq!(wrong.status, Some(403));
    assert!(
        wrong.outputs["message"]
            .as_str()
            .unwrap()
            .contains("does not match")
    );

    // Temporary credentials: the session token is sent and signed.
    let node = aws_node(&base, true, json_body);
    let mut params = params.clone();
    params.insert("sessionToken".into(), "FwoGZXIvYXdzEJr//session".into());
    let temporary = engine(SECRET_KEY)
        .run(&node, "Call", &params, &RunOptions::default())
        .await
        .unwrap();
    assert_eq!(temporary.edge, Edge::Success, "{temporary:#?}");
    assert_eq!(temporary.outputs["token"], true);
    assert!(
        temporary.outputs["signedHeaders"]
            .as_array()
            .unwrap()
            .contains(&json!("x-amz-security-token"))
    );
}

#[tokio::test]
async fn a_multipart_body_is_buffered_so_its_payload_hash_is_signed() {
    let base = verifying_service().await;
    let node = aws_node(
        &base,
        false,
        json!({"format": "multipart", "parts": [{"type": "static", "name": "kind", "value": "report"}]}),
    );
    let result = Engine::new(Secrets::from_pairs([("aws_secret", SECRET_KEY)]))
        .run(
            &node,
            "Call",
            &params(&[("item", "7")]),
            &RunOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:#?}");
}
