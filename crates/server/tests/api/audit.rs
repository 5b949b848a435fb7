//! The audit trail over HTTP and from the operator's side, on both databases: every change
//! appends one row (who, when, what, the request's id, how it ended), a tenant's admins read
//! their own tenant's trail only, pages and filters hold, and a meeting is named by its
//! subject, so that opaque subjects keep chat ids out of the trail.

use instant_connect::Clock as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::domain::KeyRole;
use sqlx::Connection as _;

use crate::{Db, Options, TestApp, on_both_databases, spawn_app, spawn_app_with};

/// A request with `key`, and the `x-request-id` of its answer.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (StatusCode, Value, String) {
    let mut request = app
        .http
        .request(method, format!("{}{path}", app.url))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body, request_id)
}

/// The whole trail `key` may read with `query`, newest first.
async fn trail(app: &TestApp, key: &str, query: &str) -> Vec<Value> {
    let (status, page) = app.get_with_key(&format!("/v1/audit{query}"), key).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The (action, outcome) of each row, oldest first.
fn story(rows: &[Value]) -> Vec<(String, String)> {
    rows.iter()
        .rev()
        .map(|row| {
            (
                row["action"].as_str().unwrap().to_owned(),
                row["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, o)| ((*a).to_owned(), (*o).to_owned()))
        .collect()
}

async fn every_change_appends_one_row_naming_who_when_what_and_the_request(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.key_of("clinic", KeyRole::Admin, "clinic-admin").await;
    let viewer = app.key_of("clinic", KeyRole::Viewer, "clinic-viewer").await;
    let body = json!({"chatId": "visit-1"});
    let (status, made, made_request) = send(
        &app,
        Method::POST,
        "/v1/meetings",
        &admin,
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, ..) = send(&app, Method::POST, "/v1/meetings", &admin, Some(body)).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let guests = "/v1/meetings/visit-1/guests";
    let (status, ..) = send(&app, Method::POST, guests, &admin, Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let invite = json!({"phones": ["+14155550100"]});
    let (status, sent, _) = send(
        &app,
        Method::POST,
        "/v1/meetings/visit-1/invite",
        &admin,
        Some(invite),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{sent}");
    let (status, ..) = send(&app, Method::POST, guests, &viewer, Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, ..) = send(
        &app,
        Method::POST,
        "/v1/meetings/nobody/guests",
        &admin,
        Some(json!({})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, ..) = send(
        &app,
        Method::POST,
        "/v1/meetings",
        &admin,
        Some(json!({"hosts": 99})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Reads change nothing and are not recorded.
    let (status, ..) = send(&app, Method::GET, "/v1/meetings/visit-1", &viewer, None).await;
    assert_eq!(status, StatusCode::OK);

    let rows = trail(&app, &admin, "").await;
    assert_eq!(
        story(&rows),
        pairs(&[
            ("tenant.created", "done"),
            ("key.created", "done"),
            ("key.created", "done"),
            ("meeting.created", "done"),
            ("meeting.created", "exists"),
            ("links.added", "done"),
            ("invite.sent", "done"),
            ("links.added", "forbidden"),
            ("links.added", "not_found"),
            ("meeting.created", "invalid"),
        ])
    );
    let created = &rows[rows.len() - 4];
    // The meeting's answer says the subject the trail names it by, here an opaque one.
    assert_eq!(created["target"], made["subject"]);
    assert!(
        made["subject"].as_str().unwrap().starts_with("icn-"),
        "{made}"
    );
    assert_eq!(created["requestId"], made_request.as_str());
    assert_eq!(created["actor"], "clinic-admin");
    assert_eq!(created["tenant"], "clinic");
    let key_id = created["keyId"].as_str().unwrap();
    assert!(admin.starts_with(&format!("icn_{key_id}_")));
    let at = created["at"].as_str().unwrap();
    assert_eq!(at, instant_connect::rfc3339(app.clock.now()));
    // The operator's rows name no key and no request.
    let operator = &rows[rows.len() - 1];
    assert_eq!(operator["actor"], "operator");
    assert!(operator.get("keyId").is_none() && operator.get("requestId").is_none());
    // Another tenant never reads these rows, nor the default tenant's admin.
    let other = app.key_of("bank", KeyRole::Admin, "bank-admin").await;
    let theirs = trail(&app, &other, "").await;
    assert_eq!(
        story(&theirs),
        pairs(&[("tenant.created", "done"), ("key.created", "done")])
    );
    assert!(
        trail(&app, &app.key, "")
            .await
            .iter()
            .all(|row| row["tenant"] == "default"),
        "the default tenant's admin read another tenant's row"
    );
    // Only admins read the trail.
    let member = app.key_of("clinic", KeyRole::Member, "clinic-member").await;
    for key in [&member, &viewer] {
        let (status, body) = app.get_with_key("/v1/audit", key).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
}

async fn the_operator_s_changes_are_recorded_in_the_tenant_s_trail(db: Db) {
    let app = spawn_app(db).await;
    let admin = app.key_of("clinic", KeyRole::Admin, "clinic-admin").await;
    let limits = server::domain::TenantLimits {
        invites_per_day: Some(3),
        ..Default::default()
    };
    server::tenants::set_limits(&app.store, "clinic", &limits, 10)
        .await
        .unwrap();
    server::tenants::set_disabled(&app.store, "clinic", true, 11)
        .await
        .unwrap();
    server::tenants::set_disabled(&app.store, "clinic", false, 12)
        .await
        .unwrap();
    server::keys::revoke(&app.store, "clinic-admin", 13)
        .await
        .unwrap();
    // Revoking it again changes nothing, and records nothing.
    server::keys::revoke(&app.store, "clinic-admin", 14)
        .await
        .unwrap();
    let filter = server::audit::AuditQuery::default();
    let tenant = server::domain::TenantId::parse("clinic").unwrap();
    let page = server::audit::page(&app.store, Some(tenant), filter)
        .await
        .unwrap();
    let rows: Vec<(String, Option<String>, i64)> = page
        .items
        .iter()
        .rev()
        .map(|row| (row.action.to_string(), row.target.clone(), row.at))
        .collect();
    let clinic = Some("clinic".to_owned());
    assert_eq!(
        rows,
        [
            ("tenant.created".to_owned(), clinic.clone(), 0),
            ("key.created".to_owned(), Some("clinic-admin".to_owned()), 0),
            ("tenant.limits_set".to_owned(), clinic.clone(), 10),
            ("tenant.disabled".to_owned(), clinic.clone(), 11),
            ("tenant.enabled".to_owned(), clinic, 12),
            (
                "key.revoked".to_owned(),
                Some("clinic-admin".to_owned()),
                13
            ),
        ]
    );
    assert!(page.items.iter().all(|row| row.actor.name == "operator"));
    let (status, _) = app.get_with_key("/v1/audit", &admin).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the key was revoked");
}

async fn pages_walk_the_whole_trail_once_and_filters_narrow_it(db: Db) {
    let app = spawn_app(db).await;
    for n in 0..5 {
        let (status, _) = app
            .post("/v1/meetings", json!({"chatId": format!("m{n}")}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        app.clock.advance(std::time::Duration::from_secs(60));
    }
    let (status, _) = app.post("/v1/meetings", json!({"chatId": "m0"})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let everything = trail(&app, &app.key, "?limit=1000").await;
    let mut walked = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let (status, page) = app.get(&format!("/v1/audit{query}")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        walked.extend(items.iter().cloned());
        match page["nextCursor"].as_str() {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(walked, everything);
    // key.created (the test's key), five meetings, one refusal.
    assert_eq!(everything.len(), 7);
    // A page that holds the last row is the last page.
    let (_, whole) = app.get("/v1/audit?limit=7").await;
    assert_eq!(whole["items"].as_array().unwrap().len(), 7);
    assert!(whole.get("nextCursor").is_none(), "{whole}");

    let made = trail(&app, &app.key, "?action=meeting.created&outcome=done").await;
    let targets: Vec<&str> = made.iter().map(|r| r["target"].as_str().unwrap()).collect();
    assert_eq!(targets, ["m4", "m3", "m2", "m1", "m0"]);
    let refused = trail(&app, &app.key, "?outcome=exists").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["target"], "m0");
    assert_eq!(trail(&app, &app.key, "?target=m2").await.len(), 1);
    let start = app.clock.now() - 5 * 60;
    let window = format!(
        "?action=meeting.created&since={}&until={}",
        start + 60,
        start + 180
    );
    let middle = trail(&app, &app.key, &window).await;
    let targets: Vec<&str> = middle
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["m2", "m1"]);
    let key_id = &everything[0]["keyId"];
    let by_key = trail(
        &app,
        &app.key,
        &format!("?keyId={}", key_id.as_str().unwrap()),
    )
    .await;
    assert_eq!(by_key.len(), 6, "every row but the operator's");

    for (query, field) in [
        ("?action=meeting.deleted", "action"),
        ("?outcome=fine", "outcome"),
        ("?since=yesterday", "since"),
        ("?until=2027-13-01T00:00:00Z", "until"),
        ("?limit=0", "limit"),
        ("?limit=1001", "limit"),
        ("?cursor=bm9wZQ", "cursor"),
        ("?target=a%00b", "target"),
        ("?keyId=%07", "keyId"),
    ] {
        let (status, body) = app.get(&format!("/v1/audit{query}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {body}");
        assert_eq!(body["error"]["field"], field, "{query}: {body}");
    }
    let (status, body) = app.get("/v1/audit?colour=red").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

async fn with_opaque_subjects_the_trail_holds_no_chat_id(db: Db) {
    let options = Options {
        opaque_subjects: true,
        ..Options::default()
    };
    let app = spawn_app_with(db, options).await;
    let chat_id = "patient-jane-doe-1970";
    let (status, _) = app.post("/v1/meetings", json!({"chatId": chat_id})).await;
    assert_eq!(status, StatusCode::CREATED);
    let again = app.post("/v1/meetings", json!({"chatId": chat_id})).await;
    assert_eq!(again.0, StatusCode::CONFLICT);
    let guests = format!("/v1/meetings/{chat_id}/guests");
    assert_eq!(app.post(&guests, json!({})).await.0, StatusCode::CREATED);
    let missing = app
        .post("/v1/meetings/patient-john/guests", json!({}))
        .await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    let rows = trail(&app, &app.key, "").await;
    assert_eq!(rows.len(), 5, "{rows:?}");
    let text = serde_json::to_string(&rows).unwrap();
    assert!(!text.contains("patient"), "{text}");
    let made = &rows[3];
    assert!(made["target"].as_str().unwrap().starts_with("icn-"));
    // The links added are named as their meeting was.
    assert_eq!(rows[1]["target"], made["target"]);
}

/// New meetings are written in batches (the group commit): each new one has its row, written
/// in its batch's transaction, and each refused one a row saying so.
async fn a_burst_of_meetings_leaves_one_row_for_each_attempt(db: Db) {
    let app = std::sync::Arc::new(spawn_app(db).await);
    let mut burst = tokio::task::JoinSet::new();
    for n in 0..30 {
        let app = std::sync::Arc::clone(&app);
        burst.spawn(async move {
            let body = json!({"chatId": format!("burst-{}", n % 10)});
            app.post("/v1/meetings", body).await.0
        });
    }
    let mut statuses = Vec::new();
    while let Some(status) = burst.join_next().await {
        statuses.push(status.unwrap());
    }
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 10, "{statuses:?}");
    let done = trail(
        &app,
        &app.key,
        "?action=meeting.created&outcome=done&limit=1000",
    )
    .await;
    let mut targets: Vec<&str> = done.iter().map(|r| r["target"].as_str().unwrap()).collect();
    targets.sort_unstable();
    let expected: Vec<String> = (0..10).map(|n| format!("burst-{n}")).collect();
    assert_eq!(targets, expected);
    let refused = trail(&app, &app.key, "?outcome=exists&limit=1000").await;
    assert_eq!(refused.len(), 20);
}

/// The owner's prune deletes every row older than asked, however many batches that takes,
/// and none younger.
async fn prune_deletes_every_older_row_a_batch_at_a_time(db: Db) {
    let app = spawn_app(db).await;
    let old = server::audit::PRUNE_BATCH as usize * 2 + 1;
    let mut writes = tokio::task::JoinSet::new();
    for n in 0..old {
        let store = app.operator.clone();
        writes.spawn(async move {
            let row = server::store::AuditRow::new(
                100,
                &server::domain::TenantId::default_tenant(),
                &server::domain::Actor::operator(),
                server::domain::Action::TenantLimitsSet,
                Some(&format!("row-{n}")),
                server::domain::Outcome::Done,
            );
            store.append_audit(&row).await.unwrap();
        });
    }
    while let Some(written) = writes.join_next().await {
        written.unwrap();
    }
    let young = server::store::AuditRow::new(
        200,
        &server::domain::TenantId::default_tenant(),
        &server::domain::Actor::operator(),
        server::domain::Action::TenantLimitsSet,
        Some("young"),
        server::domain::Outcome::Done,
    );
    app.operator.append_audit(&young).await.unwrap();
    let pruned = server::audit::prune(&app.operator, 200).await.unwrap();
    // The old rows, and the test key's, made at 0.
    assert_eq!(pruned, old as u64 + 1);
    let after = trail(&app, &app.key, "?limit=1000").await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0]["target"], "young");
}

on_both_databases!(
    prune_deletes_every_older_row_a_batch_at_a_time,
    a_burst_of_meetings_leaves_one_row_for_each_attempt,
    every_change_appends_one_row_naming_who_when_what_and_the_request,
    the_operator_s_changes_are_recorded_in_the_tenant_s_trail,
    pages_walk_the_whole_trail_once_and_filters_narrow_it,
    with_opaque_subjects_the_trail_holds_no_chat_id,
);

/// PostgreSQL: the service as a role of its own, with exactly `SECURITY.md`'s GRANTs, serves
/// every route that writes and runs retention, and is refused every change to the trail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_service_s_own_role_appends_to_the_trail_and_can_never_change_it() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    let role = format!(
        "icnode_svc_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let options = Options {
        service_role: Some(role.clone()),
        jobs_every: Some(std::time::Duration::from_millis(20)),
        deliveries_every: Some(std::time::Duration::from_millis(20)),
        presence_every: Some(std::time::Duration::from_millis(20)),
        ..Options::default()
    };
    let app = spawn_app_with(db, options).await;
    // A visit booked and reminded: its jobs run as the role.
    let start = app.clock.now() + 20 * 60;
    let (status, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + 600, "hosts": [{}],
                   "guests": [{"phone": "+14155550100"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    app.clock.advance(std::time::Duration::from_secs(5 * 60));
    let path = format!("/v1/visits/{}", visit["id"].as_str().unwrap());
    let started = std::time::Instant::now();
    while app.get(&path).await.1["messages"]
        .as_array()
        .unwrap()
        .is_empty()
    {
        assert!(
            started.elapsed().as_secs() < 10,
            "{}",
            app.get(&path).await.1
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A tenant's template is set and read as the role.
    let template = json!({"subject": "Hi {{ name }}", "body": "{{ start }}"});
    let (status, set) = app
        .send_with_key(
            reqwest::Method::PUT,
            "/v1/templates/reminder/en",
            &app.key,
            Some(template),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let (status, preview) = app
        .post("/v1/templates/preview", json!({"kind": "reminder"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["subject"], "Hi Grace Hopper");
    let (status, made) = app.post("/v1/meetings", json!({"chatId": "as-role"})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let guests = app.post("/v1/meetings/as-role/guests", json!({})).await;
    assert_eq!(guests.0, StatusCode::CREATED, "{}", guests.1);
    let invite = json!({"phones": ["+14155550100"]});
    let sent = app.post("/v1/meetings/as-role/invite", invite).await;
    assert_eq!(sent.0, StatusCode::ACCEPTED, "{}", sent.1);
    // An own link opened (its open recorded) and revoked, as the role.
    let opened = app
        .http
        .get(made["guests"][0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), StatusCode::FOUND);
    let revoked = app.post("/v1/meetings/as-role/revoke", json!({})).await;
    assert_eq!(revoked.0, StatusCode::OK, "{}", revoked.1);
    // A webhook made, its events fanned out and a delivery tried (to `localhost`, which the
    // service's public-only destinations refuse before any connection), as the role.
    let (status, hook) = app
        .post(
            "/v1/webhooks",
            json!({"url": "http://localhost:9/hook", "events": ["*"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hook}");
    crate::used_secret(hook["secret"].as_str().unwrap());
    let deliveries = format!("/v1/webhooks/{}/deliveries", hook["id"].as_str().unwrap());
    app.post("/v1/meetings/as-role/guests", json!({})).await;
    let started = std::time::Instant::now();
    while app.get(&deliveries).await.1["items"][0]["attempts"] != 1 {
        assert!(
            started.elapsed().as_secs() < 10,
            "{}",
            app.get(&deliveries).await.1
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // A guest joins on the broker's page: presence is read and kept as the role.
    let (_, meeting) = app.get("/v1/meetings/as-role").await;
    // The guest added after the revoke: the others were revoked.
    let guests = meeting["guests"].as_array().unwrap();
    let valid = guests.iter().find(|g| g["state"] == "valid").unwrap();
    let guest = valid["url"].as_str().unwrap();
    crate::presence::press(&app, guest, "join").await;
    crate::presence::presence_until(&app, "as-role", |p| p["guests"] == 1).await;
    assert_eq!(app.meeting_count().await, 2);
    let rows = trail(&app, &app.key, "").await;
    assert_eq!(
        story(&rows),
        pairs(&[
            ("key.created", "done"),
            ("visit.booked", "done"),
            ("meeting.created", "done"),
            ("invite.sent", "done"),
            ("template.set", "done"),
            ("meeting.created", "done"),
            ("links.added", "done"),
            ("invite.sent", "done"),
            ("link.revoked", "done"),
            ("webhook.created", "done"),
            ("links.added", "done"),
        ])
    );

    let mut as_role = sqlx::PgConnection::connect(&role_url(&app, &role))
        .await
        .unwrap();
    for change in [
        "UPDATE audit SET outcome = 'done'",
        "DELETE FROM audit",
        "TRUNCATE audit",
        "DROP TABLE audit",
        "INSERT INTO api_keys (id, name, digest, created_at) VALUES ('x', 'x', 'x', 0)",
    ] {
        let refused = sqlx::query(change).execute(&mut as_role).await.unwrap_err();
        let code = refused.as_database_error().and_then(|e| e.code());
        // 42501: insufficient privilege; DROP says "must be owner", with the same code.
        assert_eq!(code.as_deref(), Some("42501"), "{change}: {refused}");
    }
    as_role.close().await.unwrap();
    assert_eq!(
        trail(&app, &app.key, "").await,
        rows,
        "the trail is as it was"
    );
    // Retention runs as the role: it deletes meetings, links and invites, not the trail.
    let day = std::time::Duration::from_secs(24 * 60 * 60);
    let retention = server::retention::Retention::new(app.store.clone(), Some(day), day);
    let round = retention
        .round(app.clock.now() + 10 * 86_400)
        .await
        .unwrap();
    assert_eq!(
        (
            round.swept.meetings,
            round.swept.invites,
            round.swept.visits
        ),
        (2, 2, 1),
        "{round:?}"
    );
    assert_eq!(app.meeting_count().await, 0);
    assert_eq!(trail(&app, &app.key, "").await, rows);
    // The owner prunes it.
    let pruned = server::audit::prune(&app.operator, app.clock.now() + 1).await;
    assert_eq!(pruned.unwrap(), 11);
}

/// The URL the service was given: the test database's, as `role`.
fn role_url(app: &TestApp, role: &str) -> String {
    let mut url = url::Url::parse(app.database_url()).unwrap();
    url.set_username(role).unwrap();
    url.to_string()
}

/// PostgreSQL: the service skips the migrator only when every migration is applied as this
/// build has it; one changed since it was applied is refused, as the migrator refuses it.
#[tokio::test]
async fn a_migration_changed_since_it_was_applied_is_refused_not_skipped() {
    let Some(db) = Db::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = crate::TestDatabase::create(&db, dir.path()).await;
    server::Store::connect(&database.url, 2)
        .await
        .unwrap()
        .close()
        .await;
    // Opened again, every migration applied: nothing to do.
    server::Store::connect(&database.url, 2)
        .await
        .unwrap()
        .close()
        .await;
    let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
    sqlx::query("UPDATE _sqlx_migrations SET checksum = '\\x00' WHERE version = 1")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let refused = server::Store::connect(&database.url, 2).await;
    assert!(refused.is_err(), "a changed migration was skipped");
}
