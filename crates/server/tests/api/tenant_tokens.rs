//! A tenant's own broker token, on both databases: read from its source (a file only its owner
//! may read, or a variable of the service's environment) on each use, presented for that
//! tenant's meetings only; a refused or unreadable one fails that tenant alone, in words that
//! send its operator to the fix, and never shows the token.

use std::os::unix::fs::PermissionsExt;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::domain::{KeyRole, TokenSource};

use crate::{Db, TENANT_BROKER_TOKEN, TestApp, on_both_databases, spawn_app};

async fn create(app: &TestApp, key: &str, chat_id: &str) -> (StatusCode, Value) {
    let body = Some(json!({"chatId": chat_id}));
    app.send_with_key(Method::POST, "/v1/meetings", key, body)
        .await
}

/// Writes `token` to `path`, the owner's alone.
fn write_token(path: &std::path::Path, token: &str) {
    std::fs::write(path, format!("{token}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

async fn a_tenant_s_own_token_is_read_from_its_file_on_each_use_and_fails_it_alone(db: Db) {
    let app = spawn_app(db).await;
    let clinic = app.key_of("clinic", KeyRole::Admin, "clinic-admin").await;
    let bank = app.key_of("bank", KeyRole::Admin, "bank-admin").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("clinic.token");
    write_token(&file, "a-token-the-broker-never-issued");
    let source = TokenSource::File(file.clone());
    server::tenants::set_token(&app.operator, "clinic", Some(&source), 1)
        .await
        .unwrap();

    // The broker refuses clinic's token: clinic's requests fail, nobody else's.
    let (status, body) = create(&app, &clinic, "c-1").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(body["error"]["code"], "broker_token_refused");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("this tenant's own token"), "{message}");
    assert!(message.contains("icnode tenants token"), "{message}");
    assert_eq!(create(&app, &bank, "b-1").await.0, StatusCode::CREATED);
    assert_eq!(create(&app, &app.key, "d-1").await.0, StatusCode::CREATED);

    // A token written to the file holds from the next request.
    write_token(&file, TENANT_BROKER_TOKEN);
    let (status, made) = create(&app, &clinic, "c-1").await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let guests = app
        .send_with_key(
            Method::POST,
            "/v1/meetings/c-1/guests",
            &clinic,
            Some(json!({})),
        )
        .await;
    assert_eq!(guests.0, StatusCode::CREATED, "{}", guests.1);
    let invite = Some(json!({"phones": ["+14155550100"]}));
    let sent = app
        .send_with_key(Method::POST, "/v1/meetings/c-1/invite", &clinic, invite)
        .await;
    assert_eq!(sent.0, StatusCode::ACCEPTED, "{}", sent.1);

    // A file others may read is refused, and the answer names no path, mode or token.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, body) = create(&app, &clinic, "c-2").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "tenant_token_unavailable");
    let text = body.to_string();
    assert!(
        !text.contains("clinic.token") && !text.contains(TENANT_BROKER_TOKEN),
        "{text}"
    );
    assert_eq!(create(&app, &bank, "b-2").await.0, StatusCode::CREATED);

    // Back to the service's token; every change was the operator's, in clinic's trail.
    server::tenants::set_token(&app.operator, "clinic", None, 2)
        .await
        .unwrap();
    assert_eq!(create(&app, &clinic, "c-2").await.0, StatusCode::CREATED);
    let tenants = server::tenants::list(&app.operator).await.unwrap();
    assert!(tenants.iter().all(|t| t.broker_token.is_none()));
    let (status, trail) = app
        .get_with_key("/v1/audit?action=tenant.token_set", &clinic)
        .await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    assert_eq!(trail["items"].as_array().unwrap().len(), 2);
    let refused = app
        .get_with_key("/v1/audit?outcome=broker_failed", &clinic)
        .await
        .1;
    assert_eq!(refused["items"].as_array().unwrap().len(), 2, "{refused}");
}

async fn a_tenant_s_token_from_an_unset_variable_fails_that_tenant_alone(db: Db) {
    let app = spawn_app(db).await;
    let clinic = app.key_of("clinic", KeyRole::Member, "clinic-member").await;
    let unset = format!("ICNODE_TEST_UNSET_{}", uuid::Uuid::new_v4().simple());
    let source = TokenSource::parse(&format!("env:{unset}")).unwrap();
    server::tenants::set_token(&app.operator, "clinic", Some(&source), 1)
        .await
        .unwrap();
    let listed = server::tenants::list(&app.operator).await.unwrap();
    let shown = listed.iter().find(|t| t.id == "clinic").unwrap();
    assert_eq!(
        shown.broker_token.as_deref(),
        Some(&*format!("env:{unset}"))
    );
    let (status, body) = create(&app, &clinic, "c-1").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(!body.to_string().contains(&unset), "{body}");
    assert_eq!(create(&app, &app.key, "d-1").await.0, StatusCode::CREATED);
    assert_eq!(
        server::tenants::set_token(&app.operator, "nowhere", Some(&source), 1)
            .await
            .unwrap_err()
            .to_string(),
        "no tenant is named `nowhere`"
    );
}

on_both_databases!(
    a_tenant_s_own_token_is_read_from_its_file_on_each_use_and_fails_it_alone,
    a_tenant_s_token_from_an_unset_variable_fails_that_tenant_alone,
);
