//! The service's SQLite file beside another process that holds its write lock (`icnode keys
//! create`, a second `serve`): reads go on, and a write waits off the async threads.

use server::Store;
use server::store::KeyRow;

fn key(id: &str) -> KeyRow {
    KeyRow {
        id: id.into(),
        name: format!("name-{id}"),
        digest: "d".into(),
        created_at: 1,
        revoked_at: None,
        tenant: server::domain::TenantId::default_tenant(),
        role: server::domain::KeyRole::Member,
        tenant_disabled_at: None,
        tenant_limits: Default::default(),
        tenant_token: None,
    }
}

/// On a current-thread runtime, a write that blocked its thread while it waited would stop
/// the read beside it from running at all.
#[tokio::test(flavor = "current_thread")]
async fn while_another_process_writes_reads_go_on_and_a_write_waits_its_turn() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&server::settings::sqlite_url_in(dir.path()), 2)
        .await
        .unwrap();
    assert!(
        store
            .insert_key(&key("before"), &server::domain::Actor::operator())
            .await
            .unwrap()
    );

    let other =
        rusqlite::Connection::open(dir.path().join(server::settings::DATABASE_FILE)).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let write = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .insert_key(&key("waited"), &server::domain::Actor::operator())
                .await
        }
    });
    tokio::task::yield_now().await;
    // The other process holds the write lock: in WAL mode a read does not need it.
    assert_eq!(store.key("before").await.unwrap(), Some(key("before")));
    assert!(!write.is_finished(), "the write waits for the lock");
    other.execute_batch("COMMIT").unwrap();
    assert!(write.await.unwrap().unwrap());
    assert_eq!(store.key("waited").await.unwrap(), Some(key("waited")));
}
