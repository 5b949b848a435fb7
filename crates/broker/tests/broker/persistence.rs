use instant_connect::LinkRequest;

use crate::{config, spawn_with};

#[tokio::test]
async fn short_links_spaces_and_the_outbox_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = spawn_with(config(Some(dir.path()))).await;
    let mut request = LinkRequest::new("visit-restart");
    request.provide_short_urls = Some(true);
    let response = first.client.generate_links(&request).await.unwrap();
    let short = response.guest[0].short.clone().unwrap();
    let space_before = first
        .client
        .space_details(&response.guest[0].cipher)
        .await
        .unwrap()
        .space_id;
    first.stop().await;

    let second = spawn_with(config(Some(dir.path()))).await;
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
        .space_id;
    assert_eq!(space_before, space_after);
    second.stop().await;
}

#[tokio::test]
async fn a_generated_identity_is_kept_in_the_data_dir_with_private_modes() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bare = broker::BrokerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let first = broker::LocalBroker::open(bare.clone(), "http://127.0.0.1:1")
        .await
        .unwrap();
    let token = first
        .generated_token()
        .cloned()
        .expect("a token is generated when none is given");
    let org = first.org().clone();
    drop(first);
    for name in ["broker-secret", "broker-token", "broker-org.json"] {
        let mode = std::fs::metadata(dir.path().join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "{name}");
    }
    let again = broker::LocalBroker::open(bare, "http://127.0.0.1:1")
        .await
        .unwrap();
    use secrecy::ExposeSecret;
    assert_eq!(
        again.generated_token().unwrap().expose_secret(),
        token.expose_secret()
    );
    assert_eq!(again.org(), &org);
    assert!(uuid_like(&org.org_id));
}

#[tokio::test]
async fn ephemeral_brokers_work_without_a_directory_and_bad_settings_are_refused() {
    let broker = spawn_with(config(None)).await;
    let response = broker
        .client
        .generate_links(&LinkRequest::new("visit-mem"))
        .await
        .unwrap();
    assert_eq!(response.host.len(), 1);

    let refusal = |change: fn(&mut broker::BrokerConfig)| async move {
        let mut bad = config(None);
        change(&mut bad);
        broker::LocalBroker::open(bad, "http://127.0.0.1:1")
            .await
            .err()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        refusal(|c| c.pbes2.iterations = Some(999)).await,
        "--iterations must be between 1000 and 32767, got 999"
    );
    assert!(
        refusal(|c| c.org_id = Some("acme".into()))
            .await
            .contains("--org-id must be a UUID")
    );
    assert!(
        refusal(|c| c.public_url = Some("localhost:8080".into()))
            .await
            .starts_with("--public-url")
    );
}

#[tokio::test]
async fn an_empty_secret_file_is_refused_rather_than_used() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("broker-secret");
    std::fs::write(&secret_file, "").unwrap();
    let bare = broker::BrokerConfig {
        data_dir: Some(dir.path().to_owned()),
        ..Default::default()
    };
    let err = broker::LocalBroker::open(bare, "http://127.0.0.1:1")
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "{} is empty; remove it to have a new one generated",
            secret_file.display()
        )
    );
}

fn uuid_like(text: &str) -> bool {
    text.len() == 36 && text.matches('-').count() == 4
}
