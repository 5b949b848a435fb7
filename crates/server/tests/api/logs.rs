//! What the service logs: a request id per request, and never a token, key or cipher.

use reqwest::StatusCode;
use serde_json::json;

use crate::{BROKER_TOKEN, Db, captured_logs, spawn_app};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_hold_request_ids_and_no_token_key_or_cipher() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app
        .http
        .post(format!("{}/v1/meetings", app.url))
        .bearer_auth(&app.key)
        .json(&json!({"chatId": "logged", "guests": 2}))
        .send()
        .await
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let (status, meeting) = crate::answer(response).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, added) = app.post("/v1/meetings/logged/guests", json!({})).await;
    app.post(
        "/v1/meetings/logged/invite",
        json!({"phones": ["+14155550100"]}),
    )
    .await;
    let (_, run) = app
        .post(
            "/v1/nodes/instant-connect/generate-basic-link",
            json!({"uniquechatId": "logged-node"}),
        )
        .await;
    let (status, _) = app
        .get_with_key("/v1/meetings", "icn_AAAAAAAA_not-a-real-secret")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let logs = captured_logs();
    assert!(logs.contains(&request_id), "the request id is logged");
    let mut secrets = vec![
        BROKER_TOKEN.to_owned(),
        app.key.clone(),
        "not-a-real-secret".to_owned(),
    ];
    for link in meeting["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(meeting["guests"].as_array().unwrap())
        .chain(added["guests"].as_array().unwrap())
    {
        secrets.push(link["cipher"].as_str().unwrap().to_owned());
        secrets.push(link["short"].as_str().unwrap().to_owned());
    }
    for name in ["hostcipher", "guestcipher"] {
        secrets.push(run["outputs"][name].as_str().unwrap().to_owned());
    }
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "a secret reached the logs: {secret:.12}…"
        );
    }
}
