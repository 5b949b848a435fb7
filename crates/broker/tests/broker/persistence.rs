use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use broker::{BrokerSettings, LocalBroker};
use instant_connect::{LinkRequest, SystemClock};
use secrecy::ExposeSecret;

use crate::{settings, spawn_with};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn open(settings: BrokerSettings) -> Result<LocalBroker, broker::BrokerError> {
    LocalBroker::open(
        settings,
        &"http://127.0.0.1:1".parse().unwrap(),
        Arc::new(SystemClock),
    )
    .await
}

#[tokio::test]
async fn short_links_spaces_and_the_outbox_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_with(settings(Some(dir.path()))).await;
    let mut request = LinkRequest::new("visit-restart");
    request.provide_short_urls = Some(true);
    let response = first.client.generate_links(&request).await.unwrap().value;
    let short = response.guest[0].short.clone().unwrap();
    let space_before = first
        .client
        .space_details(&response.guest[0].cipher)
        .await
        .unwrap()
        .value
        .space_id;
    first.stop().await;

    let second = spawn_with(settings(Some(dir.path()))).await;
    let redirect = second
        .http
        .get(format!("{}/visit/{short}", second.url))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status(), 302);
    let location = redirect.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/hc/v1/talk?int=jose&v=1&data=", second.url)),
        "{location}"
    );
    assert_eq!(
        second.http.get(&location).send().await.unwrap().status(),
        200
    );
    let space_after = second
        .client
        .space_details(&response.guest[0].cipher)
        .await
        .unwrap()
        .value
        .space_id;
    assert_eq!(space_before, space_after);
    second.stop().await;
}

#[tokio::test]
async fn a_generated_identity_is_kept_in_the_data_dir_with_private_modes() {
    let dir = tempfile::tempdir().unwrap();
    let bare = BrokerSettings {
        data_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let first = open(bare.clone()).await.unwrap();
    let token = first
        .generated_token()
        .cloned()
        .expect("a token is generated when none is given");
    let org = first.org().clone();
    drop(first);
    for name in ["broker-secret", "broker-token", "broker-org.json"] {
        assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
    }
    let again = open(bare).await.unwrap();
    assert_eq!(
        again.generated_token().unwrap().expose_secret(),
        token.expose_secret()
    );
    assert_eq!(again.org(), &org);
    assert!(uuid::Uuid::parse_str(&org.org_id).is_ok());
}

#[tokio::test]
async fn a_data_dir_that_existed_open_to_all_becomes_owner_only_with_every_file() {
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A database left by an older version, readable by all.
    std::fs::write(
        dir.join("broker-org.json"),
        r#"{"orgId":"1eb65fdf-9643-417f-9974-ad72cae0e10f","orgName":"Old"}"#,
    )
    .unwrap();
    std::fs::set_permissions(
        dir.join("broker-org.json"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();

    let broker = spawn_with(BrokerSettings {
        data_dir: Some(dir.clone()),
        ..settings(None)
    })
    .await;
    let mut request = LinkRequest::new("visit-modes");
    request.provide_short_urls = Some(true);
    broker.client.generate_links(&request).await.unwrap();

    assert_eq!(mode(&dir), 0o700);
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    seen.sort();
    for expected in [
        "broker.db",
        "broker.db-shm",
        "broker.db-wal",
        "broker.lock",
        "broker-org.json",
    ] {
        assert!(seen.iter().any(|s| s == expected), "{expected} in {seen:?}");
    }
    broker.stop().await;
}

#[tokio::test]
async fn a_second_broker_on_the_same_data_dir_is_refused_until_the_first_stops() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_with(settings(Some(dir.path()))).await;
    let second = open(settings(Some(dir.path()))).await;
    match second {
        Err(broker::BrokerError::DataDir(broker::DataDirError::InUse { path, lock })) => {
            assert_eq!(path, dir.path());
            assert_eq!(lock, dir.path().join("broker.lock"));
        }
        other => panic!("expected InUse, got {:?}", other.err()),
    }
    let message = open(settings(Some(dir.path())))
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("is in use by another broker"), "{message}");
    // Stopping drops the served router; the test's own handle goes with `stop`.
    first.stop().await;
    let third = open(settings(Some(dir.path()))).await;
    assert!(third.is_ok(), "{:?}", third.err());
}

#[tokio::test]
async fn ephemeral_brokers_work_without_a_directory_and_bad_settings_are_refused() {
    let broker = spawn_with(settings(None)).await;
    let response = broker
        .client
        .generate_links(&LinkRequest::new("visit-mem"))
        .await
        .unwrap()
        .value;
    assert_eq!(response.host.len(), 1);

    let refusal = |change: fn(&mut BrokerSettings)| async move {
        let mut bad = settings(None);
        change(&mut bad);
        match open(bad).await.err().unwrap() {
            broker::BrokerError::Settings(error) => (error.field, error.rule),
            other => panic!("{other}"),
        }
    };
    assert_eq!(
        refusal(|s| s.iterations = Some(999)).await,
        (
            "iterations",
            "must be between 1000 and 32767, got 999".to_owned()
        )
    );
    assert_eq!(
        refusal(|s| s.salt_length = Some(129)).await,
        (
            "salt_length",
            "must be between 8 and 128, got 129".to_owned()
        )
    );
    assert_eq!(
        refusal(|s| s.public_url = Some("ftp://x.test".parse().unwrap())).await,
        (
            "public_url",
            "`ftp://x.test/` must be an http(s) URL with a host".to_owned()
        )
    );
    assert_eq!(
        refusal(|s| s.public_url = Some("http://x.test/?a=1".parse().unwrap())).await,
        (
            "public_url",
            "must have no query or fragment, got `http://x.test/?a=1`".to_owned()
        )
    );
    assert_eq!(
        refusal(|s| s.public_url = Some("http://x.test/#join".parse().unwrap())).await,
        (
            "public_url",
            "must have no query or fragment, got `http://x.test/#join`".to_owned()
        )
    );
    assert_eq!(
        refusal(|s| s.tokens = vec!["  ".into()]).await,
        ("tokens", "must not hold an empty token".to_owned())
    );
    assert_eq!(
        refusal(|s| s.token_ttl = Some(std::time::Duration::ZERO)).await,
        ("token_ttl", "must be at least one second".to_owned())
    );
}

#[tokio::test]
async fn an_empty_secret_file_is_refused_rather_than_used() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("broker-secret");
    std::fs::write(&secret_file, "").unwrap();
    let bare = BrokerSettings {
        data_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let err = open(bare).await.err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{} is empty; remove it to have a new one generated",
            secret_file.display()
        )
    );
}

#[test]
fn debug_of_the_settings_shows_no_token_or_secret() {
    let shown = format!("{:?}", settings(None));
    assert!(shown.contains("iterations: Some(1000)"), "{shown}");
    assert!(!shown.contains(crate::TOKEN), "{shown}");
    assert!(!shown.contains(crate::SECRET), "{shown}");
}

#[tokio::test]
async fn a_broker_tells_its_public_url_and_generates_a_token_only_when_none_is_given() {
    let given = BrokerSettings {
        public_url: Some("http://joins.test:9/base/".parse().unwrap()),
        ..settings(None)
    };
    let broker = open(given).await.unwrap();
    assert_eq!(broker.public_url(), "http://joins.test:9/base");
    assert!(broker.generated_token().is_none(), "tokens were given");
    let default = open(settings(None)).await.unwrap();
    assert_eq!(default.public_url(), "http://127.0.0.1:1");
}

#[tokio::test]
async fn without_its_home_page_the_broker_leaves_the_root_to_another_and_keeps_its_api() {
    let broker = open(settings(None)).await.unwrap();
    let http = reqwest::Client::new();
    for (router, root_status) in [(broker.router(), 200), (broker.router_without_home(), 404)] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(broker::serve(listener, router, async {
            let _ = stopped.await;
        }));
        let root = http.get(format!("{url}/")).send().await.unwrap();
        assert_eq!(root.status(), root_status);
        let api = http
            .post(format!("{url}/api/v2/joseencrypt"))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), 401, "the API is there, asking for a token");
        stop.send(()).unwrap();
        let _ = served.await;
    }
}
