//! Operations routes: health, readiness (told plainly), metrics, the OpenAPI document.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{Db, Options, on_both_databases, spawn_app, spawn_app_with};

pub(crate) async fn get_open(app: &crate::TestApp, path: &str) -> (StatusCode, String) {
    let response = app
        .http
        .get(format!("{}{path}", app.url))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn readiness_checks_the_database_and_the_brokers_word_on_the_token(db: Db) {
    let app = spawn_app(db.clone()).await;
    let (status, body) = get_open(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"]["ok"], true);
    assert_eq!(ready["broker"]["ok"], true);

    let refused = spawn_app_with(
        db,
        Options {
            broker_token: Some("stale".into()),
            ..Options::default()
        },
    )
    .await;
    let (status, body) = get_open(&refused, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let not_ready: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(not_ready["broker"]["ok"], false);
    let message = not_ready["broker"]["message"].as_str().unwrap();
    assert!(
        message.contains("refused") && message.contains("12 hours"),
        "{message}"
    );
    assert!(!body.contains("stale"), "the token itself is never shown");
    let (status, _) = get_open(&refused, "/healthz").await;
    assert_eq!(status, StatusCode::OK, "alive, if not ready");
}

async fn metrics_count_requests_broker_calls_store_waits_node_runs_and_commits(db: Db) {
    let app = spawn_app(db).await;
    app.post("/v1/meetings", json!({"chatId": "counted"})).await;
    app.get("/v1/meetings/counted").await;
    app.post("/v1/meetings/counted/guests", json!({})).await;
    // Refused before the database is asked: no key check is timed.
    let (status, _) = app.get_with_key("/v1/meetings", "nonsense").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.post(
        "/v1/nodes/instant-connect/generate-basic-link",
        json!({"uniquechatId": "counted-node"}),
    )
    .await;
    let (status, text) = get_open(&app, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    for expected in [
        r#"icnode_http_requests_total{method="POST",route="/v1/meetings",status="201"} 1"#,
        r#"icnode_http_requests_total{method="GET",route="/v1/meetings/{chatId}",status="200"} 1"#,
        // The meeting and its added guest: two calls.
        r#"icnode_broker_call_duration_seconds_count{call="joseencrypt"} 2"#,
        r#"icnode_node_runs_total{node="instant-connect",method="generate-basic-link",edge="success"} 1"#,
        "icnode_meeting_commits_total 1\n",
        "icnode_meetings_committed_total 1\n",
        // Four requests with a well-formed key, one after another: a read for each check.
        "icnode_key_check_reads_total 4\n",
        "icnode_key_checks_total 4\n",
        r#"icnode_store_wait_duration_seconds_count{call="key_check"} 4"#,
        r#"icnode_store_wait_duration_seconds_count{call="meeting_write"} 1"#,
        r#"icnode_store_wait_duration_seconds_count{call="links_write"} 1"#,
    ] {
        assert!(text.contains(expected), "{expected} not in:\n{text}");
    }
    for call in ["key_check", "meeting_write", "links_write"] {
        let prefix = format!(r#"icnode_store_wait_duration_seconds_sum{{call="{call}"}} "#);
        let waited: f64 = text
            .lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("{prefix} not in:\n{text}"))
            .parse()
            .unwrap();
        assert!(waited > 0.0 && waited < 60.0, "{call} waited {waited} s");
    }
    assert!(!text.contains("counted"), "ids stay out of labels");
}

async fn the_openapi_document_describes_every_route_and_is_served_as_a_page(db: Db) {
    let app = spawn_app(db).await;
    let (status, body) = get_open(&app, "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/v1/meetings",
        "/v1/meetings/{chatId}",
        "/v1/meetings/{chatId}/guests",
        "/v1/meetings/{chatId}/hosts",
        "/v1/meetings/{chatId}/invite",
        "/v1/nodes",
        "/v1/nodes/{node}/{method}",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    let create = &doc["components"]["schemas"]["CreateMeeting"]["properties"];
    for field in [
        "chatId",
        "hosts",
        "guests",
        "ttlSeconds",
        "notBefore",
        "expiresAt",
    ] {
        assert!(create.get(field).is_some(), "CreateMeeting.{field} missing");
    }
    let (status, page) = get_open(&app, "/docs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("/v1/meetings/{chatId}/guests"));
    let (status, body) = get_open(&app, "/no/such/route").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}

async fn the_service_speaks_https_when_given_a_certificate(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            tls: true,
            ..Options::default()
        },
    )
    .await;
    assert!(app.url.starts_with("https://"));
    let (status, meeting) = app.post("/v1/meetings", json!({"chatId": "secure"})).await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let plain = reqwest::get(app.url.replace("https://", "http://") + "/healthz").await;
    assert!(
        plain.map_or(true, |r| !r.status().is_success()),
        "plain HTTP is not served on a TLS port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_file_in_a_directory_with_any_name_is_created_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data 100% ?#x");
    std::fs::create_dir(&data).unwrap();
    let store = server::Store::connect(&server::settings::sqlite_url_in(&data), 2)
        .await
        .unwrap();
    store.ping().await.unwrap();
    let file = data.join(server::settings::DATABASE_FILE);
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        !dir.path().join("data 100").exists(),
        "no stray file from a misread URL"
    );
}

/// The open routes show nothing secret, even after meetings, node runs and refused keys.
async fn no_open_route_shows_a_token_key_or_cipher(db: Db) {
    let app = spawn_app(db).await;
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "open-routes", "guests": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let (_, run) = app
        .post(
            "/v1/nodes/instant-connect/generate-basic-link",
            json!({"uniquechatId": "open-routes-node"}),
        )
        .await;
    let (status, _) = app.get_with_key("/v1/meetings", "icn_wrong_key").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut secrets = vec![
        app.key.clone(),
        crate::BROKER_TOKEN.to_owned(),
        crate::FAULT_TOKEN.to_owned(),
        "icn_wrong_key".to_owned(),
    ];
    for link in meeting["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(meeting["guests"].as_array().unwrap())
    {
        secrets.push(link["cipher"].as_str().unwrap().to_owned());
        secrets.push(link["short"].as_str().unwrap().to_owned());
    }
    secrets.push(run["outputs"]["hostUrl"].as_str().unwrap().to_owned());
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/",
        "/status",
        "/meetings",
    ] {
        let (status, body) = get_open(&app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for secret in &secrets {
            assert!(!body.contains(secret.as_str()), "{path} shows a secret");
        }
    }
}

on_both_databases!(
    no_open_route_shows_a_token_key_or_cipher,
    the_service_speaks_https_when_given_a_certificate,
    readiness_checks_the_database_and_the_brokers_word_on_the_token,
    metrics_count_requests_broker_calls_store_waits_node_runs_and_commits,
    the_openapi_document_describes_every_route_and_is_served_as_a_page,
);

/// Answers hold ciphers and short links: no cache keeps them, every page is under the CSP,
/// and over HTTPS browsers are told to stay on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_answer_is_kept_from_caches_under_the_csp_and_over_https_asks_for_https() {
    for tls in [false, true] {
        let app = spawn_app_with(
            Db::Sqlite,
            Options {
                tls,
                ..Options::default()
            },
        )
        .await;
        let created = app
            .http
            .post(format!("{}/v1/meetings", app.url))
            .bearer_auth(&app.key)
            .json(&json!({"chatId": "kept-from-caches"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), StatusCode::CREATED);
        let mut answers = vec![("POST /v1/meetings".to_owned(), created)];
        for path in [
            "/v1/meetings/kept-from-caches",
            "/v1/meetings/nobody",
            "/console/f/meetings",
            "/docs",
            "/openapi.json",
            "/healthz",
            "/metrics",
            "/",
        ] {
            let response = app
                .http
                .get(format!("{}{path}", app.url))
                .bearer_auth(&app.key)
                .send()
                .await
                .unwrap();
            answers.push((format!("GET {path}"), response));
        }
        for (asked, response) in &answers {
            let headers = response.headers();
            assert_eq!(headers["cache-control"], "no-store", "{asked}");
            assert_eq!(
                headers["content-security-policy"],
                server::http::CONTENT_SECURITY_POLICY,
                "{asked}"
            );
            assert_eq!(headers["x-content-type-options"], "nosniff", "{asked}");
            assert_eq!(
                headers
                    .get("strict-transport-security")
                    .map(|value| value.to_str().unwrap()),
                tls.then_some("max-age=31536000"),
                "{asked}"
            );
        }
    }
}

/// The TLS key is a file of secrets like any other: refused at start while others may read it.
#[tokio::test]
async fn a_tls_key_other_users_can_read_is_refused_at_start_naming_the_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = dir.path().join("cert.pem");
    let key = dir.path().join("key.pem");
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    let settings_with = |mode: u32| {
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).unwrap();
        let mut settings = server::Settings::new(
            format!("sqlite://{}", dir.path().join("icnode.db").display()),
            "http://127.0.0.1:9".parse().unwrap(),
            "unused".to_owned().into(),
        );
        settings.tls = Some(server::settings::TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        });
        settings
    };
    let Err(refused) = server::Application::build(settings_with(0o644)).await else {
        panic!("a key others can read was accepted");
    };
    let message = refused.to_string();
    assert!(
        message.contains(&key.display().to_string()) && message.contains("chmod 600"),
        "{message}"
    );
    assert!(
        server::Application::build(settings_with(0o600))
            .await
            .is_ok()
    );
}
