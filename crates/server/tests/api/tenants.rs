//! Tenants and roles over HTTP: a key sees its own tenant's meetings and nodes, another
//! tenant's are not found (404, never 403) on every route, the console's included; a role
//! allows what the model says; a disabled tenant's keys are refused at once. And the data
//! from before tenants moves into the tenant `default` on both databases.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use server::domain::{ChatId, KeyRole, TenantId};

use crate::console::fragment_with_key;
use crate::{Db, TestApp, TestDatabase, on_both_databases, spawn_app, spawn_app_with};

/// Every route that names a meeting, with a body where it takes one: what another tenant's
/// key is refused on.
fn meeting_routes(chat_id: &str) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, format!("/v1/meetings/{chat_id}"), None),
        (
            Method::POST,
            format!("/v1/meetings/{chat_id}/guests"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/v1/meetings/{chat_id}/hosts"),
            Some(json!({"count": 1})),
        ),
        (
            Method::POST,
            format!("/v1/meetings/{chat_id}/invite"),
            Some(json!({"phones": ["+14155550100"]})),
        ),
    ]
}

/// The console's fragments that name a meeting: (path, a form to post or none).
type Form = Vec<(&'static str, &'static str)>;

fn console_routes(chat_id: &str) -> Vec<(String, Option<Form>)> {
    vec![
        (format!("/console/f/meetings/{chat_id}"), None),
        (
            format!("/console/f/meetings/{chat_id}/guests"),
            Some(vec![("count", "1")]),
        ),
        (
            format!("/console/f/meetings/{chat_id}/invite"),
            Some(vec![("phones", "+14155550100")]),
        ),
    ]
}

async fn post(app: &TestApp, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.send_with_key(Method::POST, path, key, Some(body)).await
}

/// The chat ids of the meetings `key` lists, with `query` (`?chatIdPrefix=...`).
async fn listed(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let (status, page) = app.get_with_key(&format!("/v1/meetings{query}"), key).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["chatId"].as_str().unwrap().to_owned())
        .collect()
}

/// Another tenant's meeting is not found on every route that names it, the console's and the
/// node route's included; its links, invites and listing stay the owner's. Each tenant may
/// use the same chat id for a meeting of its own, and the broker never sees the chat ids of
/// a tenant other than the default.
async fn another_tenant_s_meeting_is_not_found_on_every_route(db: Db) {
    let app = spawn_app(db).await;
    let clinic = app.key_of("clinic", KeyRole::Admin, "clinic-admin").await;
    let bank = app.key_of("bank", KeyRole::Admin, "bank-admin").await;
    let (status, made) = post(&app, &clinic, "/v1/meetings", json!({"chatId": "visit-7"})).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, _) = post(
        &app,
        &clinic,
        "/v1/meetings",
        json!({"chatId": "clinic-only"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, before) = app.get_with_key("/v1/meetings/clinic-only", &clinic).await;
    let outbox_before = app.broker_outbox().await["items"].as_array().unwrap().len();

    let mut tried = 0;
    for (key, owner_key) in [(&bank, &clinic), (&app.key, &clinic)] {
        for (method, path, body) in meeting_routes("clinic-only") {
            let (status, answer) = app.send_with_key(method.clone(), &path, key, body).await;
            tried += 1;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "meeting_not_found", "{path}");
        }
        for (path, form) in console_routes("clinic-only") {
            let (status, html) = fragment_with_key(&app, key, &path, form.as_deref()).await;
            tried += 1;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {html}");
            assert!(!html.contains("https://"), "{path} showed a link: {html}");
        }
        assert!(
            listed(&app, key, "")
                .await
                .iter()
                .all(|c| c != "clinic-only")
        );
        assert!(listed(&app, key, "?chatIdPrefix=clinic").await.is_empty());
        tried += 2;
        // The owner's meeting is as it was: no link added, no invite sent.
        let (_, after) = app
            .get_with_key("/v1/meetings/clinic-only", owner_key)
            .await;
        assert_eq!(after, before);
    }
    assert_eq!(
        app.broker_outbox().await["items"].as_array().unwrap().len(),
        outbox_before
    );

    // The node route: the nodes loaded at start run with the service's broker token, whose
    // spaces are the default tenant's meetings, so they are not the bank's to run or see.
    for path in [
        "/v1/nodes/instant-connect/generate-basic-link",
        "/v1/nodes/instant-connect/add-guest",
    ] {
        let (status, answer) = post(&app, &bank, path, json!({"uniquechatId": "visit-7"})).await;
        tried += 1;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "node_not_found");
    }
    let (status, nodes) = app.get_with_key("/v1/nodes", &bank).await;
    assert_eq!((status, nodes), (StatusCode::OK, json!([])));
    let (status, html) = fragment_with_key(
        &app,
        &bank,
        "/console/f/nodes/instant-connect/add-guest",
        None,
    )
    .await;
    tried += 2;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");

    // One chat id, two tenants: two meetings, each with its own broker space.
    let (status, theirs) = post(&app, &bank, "/v1/meetings", json!({"chatId": "visit-7"})).await;
    assert_eq!(status, StatusCode::CREATED, "{theirs}");
    assert_ne!(theirs["hosts"][0]["cipher"], made["hosts"][0]["cipher"]);
    let (_, mine) = app.get_with_key("/v1/meetings/visit-7", &clinic).await;
    assert_eq!(mine["guests"].as_array().unwrap().len(), 1);
    // The broker's join page is titled by the meeting's subject: an opaque id, never the
    // chat id, for a tenant other than the default.
    for meeting in [&made, &theirs] {
        let join = app
            .http
            .get(meeting["guests"][0]["longUrl"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(join.contains("Virtual Visit - icn-"), "{join}");
        assert!(!join.contains("visit-7"), "{join}");
    }
    // The default tenant keeps its chat ids as subjects, as before tenants.
    let (status, ours) = app.post("/v1/meetings", json!({"chatId": "visit-7"})).await;
    assert_eq!(status, StatusCode::CREATED, "{ours}");
    assert_eq!(
        listed(&app, &app.key, "?chatIdPrefix=visit").await,
        ["visit-7"]
    );
    assert_eq!(listed(&app, &bank, "").await, ["visit-7"]);
    assert_eq!(listed(&app, &clinic, "").await, ["visit-7", "clinic-only"]);
    eprintln!("cross-tenant requests tried: {tried}, all 404");
    assert_eq!(tried, 2 * (4 + 3 + 2) + 4);
}

/// A viewer reads and is refused every change (403: within its own tenant the meeting is
/// there to be seen); a member changes meetings and runs nodes but imports none; an admin
/// does everything. What a refused request would have changed, it did not.
async fn each_role_is_allowed_what_the_model_says_and_refused_the_rest(db: Db) {
    let app = spawn_app_with(
        db,
        crate::Options {
            node_imports: true,
            ..crate::Options::default()
        },
    )
    .await;
    let viewer = app.key_of("default", KeyRole::Viewer, "viewer").await;
    let member = app.key_of("default", KeyRole::Member, "member").await;
    let (status, _) = app.post("/v1/meetings", json!({"chatId": "seen"})).await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, _) = app.get_with_key("/v1/meetings/seen", &viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed(&app, &viewer, "").await, ["seen"]);
    let (status, nodes) = app.get_with_key("/v1/nodes", &viewer).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(nodes.as_array().unwrap().len(), 1);
    let changes = [
        (
            Method::POST,
            "/v1/meetings".to_owned(),
            Some(json!({"chatId": "new"})),
        ),
        (
            Method::POST,
            "/v1/nodes/instant-connect/generate-basic-link".to_owned(),
            Some(json!({"uniquechatId": "by-node"})),
        ),
    ]
    .into_iter()
    .chain(meeting_routes("seen").into_iter().skip(1));
    for (method, path, body) in changes {
        let (status, answer) = app.send_with_key(method, &path, &viewer, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "forbidden");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("viewer"),
            "{answer}"
        );
    }
    let (_, whoami) = fragment_with_key(&app, &viewer, "/console/f/whoami", None).await;
    assert!(
        whoami.contains("“viewer”, viewer of the tenant “default”"),
        "{whoami}"
    );
    let (status, html) = fragment_with_key(
        &app,
        &viewer,
        "/console/f/meetings/seen/guests",
        Some(&[("count", "1")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    let (_, seen) = app.get("/v1/meetings/seen").await;
    assert_eq!(seen["guests"].as_array().unwrap().len(), 1);
    assert_eq!(app.meeting_count().await, 1);
    assert!(
        app.broker_outbox().await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    let (status, _) = post(
        &app,
        &member,
        "/v1/meetings",
        json!({"chatId": "by-member"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = post(&app, &member, "/v1/meetings/seen/guests", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let curl = "curl https://api.example.com/v1/things";
    let form = [("kind", "curl"), ("name", "Things"), ("source", curl)];
    let (status, html) = fragment_with_key(&app, &member, "/console/f/import", Some(&form)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("may not import nodes"), "{html}");
    let (_, nodes) = app.get_with_key("/v1/nodes", &member).await;
    assert_eq!(nodes.as_array().unwrap().len(), 1, "{nodes}");
    let (status, html) = fragment_with_key(&app, &app.key, "/console/f/import", Some(&form)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, nodes) = app.get_with_key("/v1/nodes", &member).await;
    assert_eq!(nodes.as_array().unwrap().len(), 2, "{nodes}");
    // Both imports are in the trail: the member's refused, the admin's done.
    let (_, trail) = app.get("/v1/audit?action=node.imported").await;
    let rows: Vec<(&str, &str, &str)> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let text = |field: &str| row[field].as_str().unwrap();
            (text("actor"), text("target"), text("outcome"))
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("test", "things", "done"),
            ("member", "things", "forbidden")
        ]
    );
}

/// Disabling a tenant refuses its keys from the next request, as a revoked key is, and
/// leaves every other tenant's keys be; enabling it lets them in again.
async fn a_disabled_tenant_s_keys_are_refused_at_once_and_let_in_once_enabled(db: Db) {
    let app = spawn_app(db).await;
    let clinic = app.key_of("clinic", KeyRole::Member, "clinic").await;
    let (status, _) = app.get_with_key("/v1/meetings", &clinic).await;
    assert_eq!(status, StatusCode::OK);
    server::tenants::set_disabled(&app.store, "clinic", true, 5)
        .await
        .unwrap();
    let (status, answer) = app.get_with_key("/v1/meetings", &clinic).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let (status, _) = app.get("/v1/meetings").await;
    assert_eq!(status, StatusCode::OK);
    assert!(matches!(
        server::tenants::set_disabled(&app.store, "default", true, 5).await,
        Err(server::tenants::TenantError::DefaultStays)
    ));
    let tenants = server::tenants::list(&app.store).await.unwrap();
    let disabled: Vec<_> = tenants
        .iter()
        .map(|t| (t.id.as_str(), t.disabled_at))
        .collect();
    assert_eq!(disabled, [("clinic", Some(5)), ("default", None)]);
    server::tenants::set_disabled(&app.store, "clinic", false, 6)
        .await
        .unwrap();
    let (status, _) = app.get_with_key("/v1/meetings", &clinic).await;
    assert_eq!(status, StatusCode::OK);
    assert!(matches!(
        server::tenants::set_disabled(&app.store, "nowhere", false, 6).await,
        Err(server::tenants::TenantError::Unknown(_))
    ));
}

/// A tenant's own limits hold all its keys together and no other tenant: past its requests a
/// minute or its SMS invites a day the answer is `429` with `Retry-After` (when one may be made
/// again), past its phones an invite `422` naming the field, as no wait would help; time
/// frees what it counts.
async fn a_tenant_s_own_limits_hold_its_keys_and_no_other_tenant(db: Db) {
    let app = spawn_app(db).await;
    let clinic = app.key_of("clinic", KeyRole::Member, "clinic-1").await;
    let colleague = app.key_of("clinic", KeyRole::Member, "clinic-2").await;
    let bank = app.key_of("bank", KeyRole::Member, "bank").await;
    let limits = server::domain::TenantLimits {
        requests_per_minute: std::num::NonZeroU32::new(4),
        invites_per_day: Some(1),
        phones_per_invite: Some(2),
        imported_nodes: None,
    };
    server::tenants::set_limits(&app.store, "clinic", &limits, 0)
        .await
        .unwrap();
    let invite = |phones: &[&str]| json!({ "phones": phones });
    let (status, _) = post(&app, &clinic, "/v1/meetings", json!({"chatId": "v"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let three = ["+14155550100", "+14155550101", "+14155550102"];
    let too_many = post(&app, &clinic, "/v1/meetings/v/invite", invite(&three)).await;
    crate::assert_field_error(&too_many, StatusCode::UNPROCESSABLE_ENTITY, "phones");
    assert!(
        too_many.1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 2 numbers (the tenant's limit), got 3"),
        "{}",
        too_many.1
    );
    let (status, _) = post(
        &app,
        &colleague,
        "/v1/meetings/v/invite",
        invite(&three[..2]),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let second = app
        .http
        .post(format!("{}/v1/meetings/v/invite", app.url))
        .bearer_auth(&clinic)
        .json(&invite(&three[..1]))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.headers()["retry-after"], "86400");
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("SMS invites")
    );
    assert_eq!(
        app.broker_outbox().await["items"].as_array().unwrap().len(),
        1
    );

    // Four requests were the minute's: the fifth waits, whichever of the tenant's keys asks.
    let (status, answer) = app.get_with_key("/v1/meetings", &colleague).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("tenant")
    );
    for _ in 0..6 {
        let (status, _) = app.get_with_key("/v1/meetings", &bank).await;
        assert_eq!(status, StatusCode::OK);
    }
    app.clock.advance(std::time::Duration::from_secs(61));
    let (status, _) = app.get_with_key("/v1/meetings", &clinic).await;
    assert_eq!(status, StatusCode::OK);

    // A second before a day has passed, the invite is still in the window; a day on, it has
    // left it.
    app.clock
        .advance(std::time::Duration::from_secs(24 * 60 * 60 - 61 - 1));
    let (status, _) = post(&app, &clinic, "/v1/meetings", json!({"chatId": "w"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let last_second = app
        .http
        .post(format!("{}/v1/meetings/w/invite", app.url))
        .bearer_auth(&clinic)
        .json(&invite(&three[..1]))
        .send()
        .await
        .unwrap();
    assert_eq!(last_second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(last_second.headers()["retry-after"], "1");
    app.clock.advance(std::time::Duration::from_secs(1));
    let (status, _) = post(&app, &clinic, "/v1/meetings/w/invite", invite(&three[..1])).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert_eq!(
        app.broker_outbox().await["items"].as_array().unwrap().len(),
        2
    );
    assert!(matches!(
        server::tenants::set_limits(&app.store, "nowhere", &limits, 0).await,
        Err(server::tenants::TenantError::Unknown(_))
    ));
    let listed = server::tenants::list(&app.store).await.unwrap();
    let clinic_row = listed.iter().find(|t| t.id == "clinic").unwrap();
    assert_eq!(
        (
            clinic_row.requests_per_minute,
            clinic_row.invites_per_day,
            clinic_row.phones_per_invite
        ),
        (Some(4), Some(1), Some(2))
    );
}

/// With opaque subjects, the default tenant's meetings are known to the broker by opaque ids
/// too: the chat id is in no join page title and no SMS invite the broker takes, while the
/// service finds the meeting by its chat id for every operation.
async fn with_opaque_subjects_the_broker_never_sees_a_chat_id(db: Db) {
    let app = spawn_app_with(
        db,
        crate::Options {
            opaque_subjects: true,
            ..crate::Options::default()
        },
    )
    .await;
    let (status, made) = app
        .post("/v1/meetings", json!({"chatId": "patient-4711"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, added) = app
        .post("/v1/meetings/patient-4711/guests", json!({}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (status, _) = app
        .post(
            "/v1/meetings/patient-4711/invite",
            json!({"phones": ["+14155550100"]}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    for link in [&made["hosts"][0], &made["guests"][0], &added["guests"][0]] {
        let join = app
            .http
            .get(link["longUrl"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(join.contains("Virtual Visit - icn-"), "{join}");
        assert!(!join.contains("patient-4711"), "{join}");
    }
    let outbox = app.broker_outbox().await;
    let meeting_id = outbox["items"][0]["meetingId"].as_str().unwrap();
    assert!(meeting_id.starts_with("icn-"), "{outbox}");
    assert!(!outbox.to_string().contains("patient-4711"), "{outbox}");
    let (_, read) = app.get("/v1/meetings/patient-4711").await;
    assert_eq!(read["guests"].as_array().unwrap().len(), 2);
}

on_both_databases!(
    with_opaque_subjects_the_broker_never_sees_a_chat_id,
    a_tenant_s_own_limits_hold_its_keys_and_no_other_tenant,
    another_tenant_s_meeting_is_not_found_on_every_route,
    each_role_is_allowed_what_the_model_says_and_refused_the_rest,
    a_disabled_tenant_s_keys_are_refused_at_once_and_let_in_once_enabled,
    meetings_and_keys_from_before_tenants_move_into_the_default_tenant,
);

/// A database made before tenants (the migrations up to 0004, rows written by their SQL) is
/// migrated in place: its meetings and links are the default tenant's, each meeting known to
/// the broker by its chat id as before, and its keys the default tenant's admins.
async fn meetings_and_keys_from_before_tenants_move_into_the_default_tenant(db: Db) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(&db, dir.path()).await;
    let migrations = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let all = sqlx::migrate::Migrator::new(migrations).await.unwrap();
    let before = sqlx::migrate::Migrator {
        migrations: all
            .iter()
            .filter(|m| m.version < 5)
            .cloned()
            .collect::<Vec<_>>()
            .into(),
        ..sqlx::migrate::Migrator::DEFAULT
    };
    assert_eq!(before.iter().count(), 4);
    let old_rows = "INSERT INTO meetings (chat_id, created_by, vertical, host_login, short_urls, \
        not_before, expires_at, created_at_ms) VALUES ('old visit', 'ops', 'hc', 1, 0, NULL, \
        2000000000, 1000); \
        INSERT INTO links (id, chat_id, role, issued_at_ms, position, cipher, long_url, \
        expires_at, cipher_at) VALUES ('l1', 'old visit', 'host', 1000, 0, 'c1', \
        'https://j/x?data=', 2000000000, 17); \
        INSERT INTO api_keys (id, name, digest, created_at, revoked_at) VALUES \
        ('abcdefgh', 'old-key', 'd', 1, NULL);";
    match &db {
        Db::Sqlite => {
            use sqlx::Connection;
            let file = dir.path().join(server::settings::DATABASE_FILE);
            let mut conn = sqlx::SqliteConnection::connect_with(
                &sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(&file)
                    .create_if_missing(true)
                    .foreign_keys(true),
            )
            .await
            .unwrap();
            before.run(&mut conn).await.unwrap();
            sqlx::raw_sql(old_rows).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        Db::Postgres(_) => {
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&database.url).await.unwrap();
            before.run(&mut conn).await.unwrap();
            sqlx::raw_sql(old_rows).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
    let store = server::Store::connect(&database.url, 2).await.unwrap();
    let default = TenantId::default_tenant();
    let chat_id = ChatId::parse("old visit").unwrap();
    let meeting = store.meeting(&default, &chat_id).await.unwrap().unwrap();
    assert_eq!(meeting.subject.as_str(), "old visit");
    assert_eq!(meeting.created_by, "ops");
    let links = store.links(meeting.key()).await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].long_url, "https://j/x?data=c1");
    let other = TenantId::parse("other").unwrap();
    assert!(store.meeting(&other, &chat_id).await.unwrap().is_none());
    let key = store.key("abcdefgh").await.unwrap().unwrap();
    assert_eq!((key.tenant, key.role), (default.clone(), KeyRole::Admin));
    let tenants = server::tenants::list(&store).await.unwrap();
    assert_eq!(tenants.len(), 1);
    assert_eq!(tenants[0].id, "default");
    // A link of a meeting no tenant has is refused by the schema.
    let mut strays = links.clone();
    strays[0].id = "l2".into();
    let audit = server::store::AuditRow::new(
        9,
        &other,
        &server::domain::Actor::operator(),
        server::domain::Action::LinksAdded,
        None,
        server::domain::Outcome::Done,
    );
    let event =
        server::store::EventRow::links_added(&other, &chat_id, 9, server::domain::Role::Guest, 1);
    assert!(
        !store
            .add_links((&other, &chat_id), &strays, &audit, &event)
            .await
            .unwrap()
    );
    assert_eq!(store.links(meeting.key()).await.unwrap().len(), 1);
    // Nor is its audit row kept: it went with the change that failed.
    let filter = server::store::AuditFilter::default();
    assert!(store.audit_page(&filter, 10).await.unwrap().is_empty());
    store.close().await;
}
