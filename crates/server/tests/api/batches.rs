//! The store's batches: the group commit of new meetings, and PostgreSQL's key checks read
//! together. On a current-thread runtime (the `exact` tests) the writer and the key reader run
//! only when the test awaits, so what is sent together is handled together and batches are
//! exact. On a runtime of two threads (the tests after) the writer runs beside the senders, as
//! in the service, so they assert what holds however the meetings fall into batches; on one
//! worker thread, that a burst still shares commits. All run on SQLite and on PostgreSQL.

use std::task::{Context, Waker};

use server::Store;
use server::domain::{Actor, ChatId, Role, Subject, TenantId, Vertical};
use server::store::{CHECKPOINT_EVERY, LinkRow, MAX_BATCH, MeetingRow};
use tokio::task::JoinSet;

use crate::{Db, TestDatabase, spawn_app};

/// Who writes the rows of these tests.
static OPERATOR: std::sync::LazyLock<Actor> = std::sync::LazyLock::new(Actor::operator);

/// A store of its own on `db`; the database goes with the guard.
async fn store_on(db: Db) -> ((tempfile::TempDir, TestDatabase), Store) {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::create(&db, dir.path()).await;
    let store = Store::connect(&database.url, 4).await.unwrap();
    ((dir, database), store)
}

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = server::settings::sqlite_url_in(dir.path());
    (dir, Store::connect(&url, 4).await.unwrap())
}

/// A chat id the store takes.
fn id(chat_id: &str) -> ChatId {
    ChatId::parse(chat_id).unwrap()
}

/// The tenant of every meeting here (and of the test app's key).
fn tenant() -> TenantId {
    TenantId::default_tenant()
}

fn meeting(chat_id: &str) -> MeetingRow {
    MeetingRow {
        tenant: tenant(),
        chat_id: id(chat_id),
        subject: Subject::of_chat_id(&id(chat_id)),
        created_by: "test".into(),
        vertical: Vertical::Hc,
        host_login: true,
        short_urls: false,
        not_before: None,
        expires_at: 2_000_000_000,
        created_at_ms: 1_000,
    }
}

fn link(id: &str, position: i64) -> LinkRow {
    LinkRow {
        id: id.to_owned(),
        role: if position == 0 {
            Role::Host
        } else {
            Role::Guest
        },
        issued_at_ms: 1_000,
        position,
        cipher: format!("cipher-{id}"),
        short: None,
        short_url: None,
        long_url: format!("https://join.example/{id}"),
        not_before: None,
        expires_at: 2_000_000_000,
        code: None,
        single_use: false,
        opened_at: None,
        revoked_at: None,
    }
}

fn links_of(chat_id: &str) -> Vec<LinkRow> {
    vec![
        link(&format!("{chat_id}-host"), 0),
        link(&format!("{chat_id}-guest"), 1),
    ]
}

/// The ids of a meeting's stored links, in issue order.
async fn link_ids(store: &Store, chat_id: &str) -> Vec<String> {
    let links = store.links((&tenant(), &id(chat_id))).await.unwrap();
    links.into_iter().map(|l| l.id).collect()
}

async fn meetings_sent_together_share_one_commit_and_keep_their_own_answers(db: Db) {
    let (_guard, store) = store_on(db).await;
    assert!(
        store
            .insert_meeting(&meeting("taken"), &links_of("taken"), &OPERATOR)
            .await
            .unwrap()
    );
    let counts = store.commit_counts();
    assert_eq!((counts.commits(), counts.meetings()), (1, 1));

    let rows = [
        (meeting("a"), links_of("a")),
        (meeting("taken"), vec![link("taken-again", 0)]),
        (meeting("c"), links_of("c")),
    ];
    let (a, b, c) = tokio::join!(
        store.insert_meeting(&rows[0].0, &rows[0].1, &OPERATOR),
        store.insert_meeting(&rows[1].0, &rows[1].1, &OPERATOR),
        store.insert_meeting(&rows[2].0, &rows[2].1, &OPERATOR),
    );
    assert_eq!((a.unwrap(), b.unwrap(), c.unwrap()), (true, false, true));
    assert_eq!((counts.commits(), counts.meetings()), (2, 3));
    for chat_id in ["a", "c", "taken"] {
        assert!(
            store
                .meeting(&tenant(), &id(chat_id))
                .await
                .unwrap()
                .is_some(),
            "{chat_id}"
        );
        assert_eq!(
            link_ids(&store, chat_id).await,
            [format!("{chat_id}-host"), format!("{chat_id}-guest")]
        );
    }
}

/// Two requests for one chat id at once: a batch holds a chat id once, so the second is written
/// after the first's commit and finds it taken; its links are not the meeting's.
async fn one_chat_id_sent_twice_at_once_is_written_once_with_the_first_links(db: Db) {
    let (_guard, store) = store_on(db).await;
    let (row, first, second) = (meeting("twice"), links_of("first"), links_of("second"));
    let (other_row, other_links) = (meeting("other"), links_of("other"));
    let (a, b, other) = tokio::join!(
        store.insert_meeting(&row, &first, &OPERATOR),
        store.insert_meeting(&row, &second, &OPERATOR),
        store.insert_meeting(&other_row, &other_links, &OPERATOR),
    );
    assert_eq!(
        (a.unwrap(), b.unwrap(), other.unwrap()),
        (true, false, true)
    );
    let counts = store.commit_counts();
    assert_eq!((counts.commits(), counts.meetings()), (2, 2));
    assert_eq!(
        link_ids(&store, "twice").await,
        ["first-host", "first-guest"]
    );
}

async fn a_failing_meeting_in_a_batch_fails_no_other(db: Db) {
    let (_guard, store) = store_on(db).await;
    assert!(
        store
            .insert_meeting(&meeting("first"), &links_of("first"), &OPERATOR)
            .await
            .unwrap()
    );
    // A link id that is taken: the batch's transaction fails at that statement.
    let rows = [
        (meeting("clash"), vec![link("first-host", 0)]),
        (meeting("fine"), links_of("fine")),
    ];
    let (clash, fine) = tokio::join!(
        store.insert_meeting(&rows[0].0, &rows[0].1, &OPERATOR),
        store.insert_meeting(&rows[1].0, &rows[1].1, &OPERATOR),
    );
    assert!(clash.is_err());
    assert!(fine.unwrap());
    assert!(
        store
            .meeting(&tenant(), &id("clash"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.links((&tenant(), &id("fine"))).await.unwrap().len(),
        2
    );
    assert_eq!(
        store.links((&tenant(), &id("first"))).await.unwrap().len(),
        2
    );
    assert_eq!(store.commit_counts().meetings(), 2);
}

async fn a_request_that_gave_up_before_its_batch_writes_nothing(db: Db) {
    let (_guard, store) = store_on(db).await;
    let (gone, gone_links) = (meeting("gone"), links_of("gone"));
    {
        // Sent, then dropped before the writer ran: a client that hung up.
        let mut write = Box::pin(store.insert_meeting(&gone, &gone_links, &OPERATOR));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(write.as_mut().poll(&mut cx).is_pending());
    }
    assert!(
        store
            .insert_meeting(&meeting("kept"), &links_of("kept"), &OPERATOR)
            .await
            .unwrap()
    );
    assert!(
        store
            .meeting(&tenant(), &id("gone"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .links((&tenant(), &id("gone")))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .meeting(&tenant(), &id("kept"))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn the_wal_reaches_the_database_file_in_the_background() {
    let (dir, store) = store().await;
    let file = dir.path().join(server::settings::DATABASE_FILE);
    for i in 0..20 {
        let (row, links) = (meeting(&format!("w{i}")), links_of(&format!("w{i}")));
        assert!(store.insert_meeting(&row, &links, &OPERATOR).await.unwrap());
    }
    // The database file alone, without its WAL, holds what a checkpoint copied into it. Far
    // fewer pages than SQLite's own checkpoint waits for: only the background one copies them.
    let copy = tempfile::tempdir().unwrap();
    let in_the_file = || async {
        std::fs::copy(&file, copy.path().join(server::settings::DATABASE_FILE)).unwrap();
        let alone = Store::connect(&server::settings::sqlite_url_in(copy.path()), 1)
            .await
            .unwrap();
        let found = alone
            .meetings_page(&tenant(), "w", None, 100)
            .await
            .unwrap()
            .len();
        alone.close().await;
        found
    };
    let deadline = tokio::time::Instant::now() + 20 * CHECKPOINT_EVERY;
    let mut found = in_the_file().await;
    while found < 20 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(CHECKPOINT_EVERY / 5).await;
        found = in_the_file().await;
    }
    assert_eq!(found, 20, "meetings in the database file without its WAL");
}

async fn a_crowd_is_cut_into_batches_of_at_most_max_batch(db: Db) {
    let (_guard, store) = store_on(db).await;
    let crowd = 2 * MAX_BATCH + 3;
    let meetings: Vec<(MeetingRow, Vec<LinkRow>)> = (0..crowd)
        .map(|i| (meeting(&format!("m{i}")), links_of(&format!("m{i}"))))
        .collect();
    let mut writes = tokio::task::JoinSet::new();
    for (meeting, links) in meetings {
        let store = store.clone();
        writes.spawn(async move { store.insert_meeting(&meeting, &links, &OPERATOR).await });
    }
    while let Some(written) = writes.join_next().await {
        assert!(written.unwrap().unwrap());
    }
    let counts = store.commit_counts();
    assert_eq!(counts.meetings(), crowd as u64);
    assert_eq!(counts.commits(), crowd.div_ceil(MAX_BATCH) as u64);
    assert_eq!(
        store
            .meetings_page(&tenant(), "m", None, 1000)
            .await
            .unwrap()
            .len(),
        crowd
    );
}

async fn meetings_written_at_once_are_all_kept_in_fewer_commits(db: Db) {
    let app = spawn_app(db).await;
    let counts = app.store.commit_counts();
    let before = (counts.commits(), counts.meetings());
    let crowd = 100;
    let mut writes = JoinSet::new();
    // crowd-0 twice, the second with other links: one of the two is refused, nothing of it
    // written.
    let chat_ids = (0..crowd).map(|i| (format!("crowd-{i}"), format!("crowd-{i}")));
    for (chat_id, links) in chat_ids.chain([("crowd-0".to_owned(), "crowd-x".to_owned())]) {
        let store = app.store.clone();
        writes.spawn(async move {
            store
                .insert_meeting(&meeting(&chat_id), &links_of(&links), &OPERATOR)
                .await
        });
    }
    let mut new = 0;
    while let Some(written) = writes.join_next().await {
        new += usize::from(written.unwrap().unwrap());
    }
    assert_eq!(new, crowd, "every chat id once");
    let commits = counts.commits() - before.0;
    assert_eq!(counts.meetings() - before.1, crowd as u64);
    assert!(
        commits < crowd as u64,
        "{commits} commits for {crowd} meetings sent at once"
    );
    for i in 0..crowd {
        let chat_id = format!("crowd-{i}");
        assert!(
            app.store
                .meeting(&tenant(), &id(&chat_id))
                .await
                .unwrap()
                .is_some()
        );
        let links = app.store.links((&tenant(), &id(&chat_id))).await.unwrap();
        assert_eq!(links.len(), 2, "{chat_id}");
        let expected = if links[0].id.starts_with("crowd-x-") && i == 0 {
            "crowd-x" // the second crowd-0 won; the first's links were not written
        } else {
            &chat_id
        };
        let ids: Vec<&str> = links.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(
            ids,
            [format!("{expected}-host"), format!("{expected}-guest")]
        );
    }
}

async fn a_meeting_whose_write_fails_fails_no_other_written_beside_it(db: Db) {
    let app = spawn_app(db).await;
    assert!(
        app.store
            .insert_meeting(&meeting("first"), &links_of("first"), &OPERATOR)
            .await
            .unwrap()
    );
    // A link id already taken fails its INSERT, and with it a transaction it shares.
    let mut clash = links_of("clash");
    clash[0].id = "first-host".into();
    let (clash_meeting, fine_meeting, fine) = (meeting("clash"), meeting("fine"), links_of("fine"));
    let (clashed, fine) = tokio::join!(
        app.store.insert_meeting(&clash_meeting, &clash, &OPERATOR),
        app.store.insert_meeting(&fine_meeting, &fine, &OPERATOR),
    );
    assert!(clashed.is_err());
    assert!(fine.unwrap());
    assert!(
        app.store
            .meeting(&tenant(), &id("clash"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .links((&tenant(), &id("clash")))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        app.store
            .links((&tenant(), &id("fine")))
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.store
            .links((&tenant(), &id("first")))
            .await
            .unwrap()
            .len(),
        2
    );
}

/// The store takes a meeting with no links (the service never asks for one: the broker's
/// rules want a link at least); on PostgreSQL that is the one statement without its links part.
async fn a_meeting_without_links_is_written_alone_and_taken_after(db: Db) {
    let app = spawn_app(db).await;
    assert!(
        app.store
            .insert_meeting(&meeting("bare"), &[], &OPERATOR)
            .await
            .unwrap()
    );
    assert!(
        app.store
            .meeting(&tenant(), &id("bare"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        app.store
            .links((&tenant(), &id("bare")))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !app.store
            .insert_meeting(&meeting("bare"), &links_of("bare"), &OPERATOR)
            .await
            .unwrap()
    );
    assert!(
        app.store
            .links((&tenant(), &id("bare")))
            .await
            .unwrap()
            .is_empty()
    );
}

fn key(id: &str) -> server::store::KeyRow {
    server::store::KeyRow {
        id: id.into(),
        name: format!("name-{id}"),
        digest: format!("digest-{id}"),
        created_at: 1,
        revoked_at: None,
        tenant: server::domain::TenantId::default_tenant(),
        role: server::domain::KeyRole::Member,
        tenant_disabled_at: None,
        tenant_limits: Default::default(),
        tenant_token: None,
    }
}

/// PostgreSQL reads the keys asked for at once in one statement, each request still getting
/// its own key as the database holds it when asked; SQLite reads each in place.
async fn key_checks_asked_at_once_share_a_read_on_postgres(db: Db) {
    let postgres = matches!(db, Db::Postgres(_));
    let (_guard, store) = store_on(db).await;
    for id in ["a", "b", "gone"] {
        assert!(
            store
                .insert_key(&key(id), &server::domain::Actor::operator())
                .await
                .unwrap()
        );
    }
    store.revoke_key("name-gone", 7, &OPERATOR).await.unwrap();
    let counts = store.key_check_counts();
    let (a, b, again, gone, missing) = tokio::join!(
        store.key("a"),
        store.key("b"),
        store.key("a"),
        store.key("gone"),
        store.key("missing"),
    );
    assert_eq!(a.unwrap(), Some(key("a")));
    assert_eq!(b.unwrap(), Some(key("b")));
    assert_eq!(again.unwrap(), Some(key("a")));
    assert_eq!(gone.unwrap().unwrap().revoked_at, Some(7));
    assert_eq!(missing.unwrap(), None);
    assert_eq!(counts.checks(), 5);
    assert_eq!(counts.reads(), if postgres { 1 } else { 5 });
    // A revocation committed before a check is asked for is what the check reads.
    store.revoke_key("name-a", 8, &OPERATOR).await.unwrap();
    assert_eq!(store.key("a").await.unwrap().unwrap().revoked_at, Some(8));
}

/// A burst of new meetings on one worker thread: each sender wakes the writer, which then runs
/// next on that thread. Were the writer to commit what it has at once (SQLite writes in place,
/// without yielding), every meeting would be a commit of its own.
async fn a_burst_on_one_worker_shares_commits(db: Db) {
    let (_guard, store) = store_on(db).await;
    let crowd = 100;
    let mut writes = JoinSet::new();
    for i in 0..crowd {
        let store = store.clone();
        writes.spawn(async move {
            let chat_id = format!("burst-{i}");
            store
                .insert_meeting(&meeting(&chat_id), &links_of(&chat_id), &OPERATOR)
                .await
        });
    }
    while let Some(written) = writes.join_next().await {
        assert!(written.unwrap().unwrap());
    }
    let counts = store.commit_counts();
    assert_eq!(counts.meetings(), crowd as u64);
    assert!(
        counts.commits() * 4 <= crowd as u64,
        "{} commits for {crowd} meetings sent at once",
        counts.commits()
    );
}

mod one_worker {
    use super::*;
    crate::on_both_databases!(one_worker: a_burst_on_one_worker_shares_commits);
}

mod exact {
    use super::*;
    crate::on_both_databases!(
        current_thread: key_checks_asked_at_once_share_a_read_on_postgres,
        meetings_sent_together_share_one_commit_and_keep_their_own_answers,
        one_chat_id_sent_twice_at_once_is_written_once_with_the_first_links,
        a_failing_meeting_in_a_batch_fails_no_other,
        a_request_that_gave_up_before_its_batch_writes_nothing,
        a_crowd_is_cut_into_batches_of_at_most_max_batch,
    );
}

/// Runs `sql` on the store's database, beside the store.
pub(crate) async fn raw_execute(db: &Db, url: &str, sql: &str) {
    match db {
        Db::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap();
            rusqlite::Connection::open(path)
                .unwrap()
                .execute_batch(sql)
                .unwrap();
        }
        Db::Postgres(_) => {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut connection).await.unwrap();
        }
    }
}

/// The rows of `sql` on the store's database, read beside the store: (text, optional int).
pub(crate) async fn raw_rows(db: &Db, url: &str, sql: &str) -> Vec<(String, Option<i64>)> {
    match db {
        Db::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap();
            let connection = rusqlite::Connection::open(path).unwrap();
            let mut statement = connection.prepare(sql).unwrap();
            let rows = statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap();
            rows.map(Result::unwrap).collect()
        }
        Db::Postgres(_) => {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query_as(sql)
                .fetch_all(&mut connection)
                .await
                .unwrap()
        }
    }
}

/// A link row holds its cipher once: the long URL is stored with the cipher cut out and
/// where it goes back, and read back whole. A row from before (whole, no offset) reads as it
/// was; a damaged offset is an error, not a panic or a wrong URL.
async fn a_long_url_is_stored_without_a_second_copy_of_its_cipher(db: Db) {
    let ((_dir, database), store) = store_on(db.clone()).await;
    let cipher = "eyJwMnMiOi.h-Tp-UOqz8.tcgPQRwE.lo4BrDepj2.bIFxgDSUWE";
    let mut forced = link("forced", 0);
    forced.cipher = cipher.to_owned();
    // `&fli=true` follows the cipher on a host link that forces the login.
    forced.long_url =
        format!("https://join.example/hc/v1/login?int=jose&v=1&data={cipher}&fli=true");
    let mut foreign = link("foreign", 1);
    foreign.long_url = "https://join.example/elsewhere".into();
    let written = [forced.clone(), foreign.clone()];
    assert!(
        store
            .insert_meeting(&meeting("m"), &written, &OPERATOR)
            .await
            .unwrap()
    );

    let read = store.links((&tenant(), &id("m"))).await.unwrap();
    let urls = |links: &[LinkRow]| -> Vec<(String, String)> {
        links
            .iter()
            .map(|l| (l.cipher.clone(), l.long_url.clone()))
            .collect()
    };
    assert_eq!(urls(&read), urls(&written));
    let stored = raw_rows(
        &db,
        &database.url,
        "SELECT long_url, cipher_at FROM links ORDER BY position",
    )
    .await;
    let at = forced.long_url.find(cipher).unwrap() as i64;
    assert_eq!(
        stored,
        vec![
            (
                "https://join.example/hc/v1/login?int=jose&v=1&data=&fli=true".to_owned(),
                Some(at)
            ),
            (foreign.long_url.clone(), None),
        ]
    );

    raw_rows(
        &db,
        &database.url,
        "INSERT INTO links (id, tenant_id, chat_id, role, issued_at_ms, position, cipher, \
         long_url, expires_at) VALUES ('before', 'default', 'm', 'guest', 1000, 2, 'c', \
         'https://join.example/x?data=c', 2000000000) RETURNING id, cipher_at",
    )
    .await;
    let read = store.links((&tenant(), &id("m"))).await.unwrap();
    assert_eq!(read[2].long_url, "https://join.example/x?data=c");

    raw_rows(
        &db,
        &database.url,
        "UPDATE links SET cipher_at = 9999 WHERE id = 'forced' RETURNING id, cipher_at",
    )
    .await;
    let damaged = store
        .links((&tenant(), &id("m")))
        .await
        .err()
        .expect("a damaged offset is refused");
    assert!(
        damaged.to_string().contains("cipher_at"),
        "the error names the column: {damaged}"
    );
}

/// A listing by prefix holds every meeting whose chat id starts with it and no other, whatever
/// the database's collation: where text sorts by code point (SQLite, PostgreSQL's `C.UTF-8`)
/// the prefix is a range of the index, and where it does not (an ICU `en-US` database, which
/// sorts `a:` before `a9` and `a` before `B`) every meeting is read instead.
async fn a_prefix_lists_every_meeting_that_starts_with_it_in_any_collation(db: Db) {
    let mut databases = vec![(db.clone(), None)];
    if let Db::Postgres(admin) = &db {
        let name = format!("icnode_test_icu_{}", uuid::Uuid::new_v4().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(admin)
            .await
            .unwrap();
        sqlx::query(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu \
             ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        ))
        .execute(&mut conn)
        .await
        .unwrap();
        let mut url = url::Url::parse(admin).unwrap();
        url.set_path(&name);
        let icu = TestDatabase {
            url: url.to_string(),
            postgres: Some((admin.clone(), name)),
            roles: Vec::new(),
        };
        databases.push((db.clone(), Some(icu)));
    }
    for (db, icu) in databases {
        let dir = tempfile::tempdir().unwrap();
        let database = match icu {
            Some(icu) => icu,
            None => TestDatabase::create(&db, dir.path()).await,
        };
        let store = Store::connect(&database.url, 4).await.unwrap();
        let chat_ids = ["a9", "a95", "a:1", "A9x", "b1", "a9\u{10FFFF}", "é9"];
        for (n, chat_id) in chat_ids.iter().enumerate() {
            let row = MeetingRow {
                created_at_ms: 1_000 + n as i64,
                ..meeting(chat_id)
            };
            store
                .insert_meeting(&row, &links_of(chat_id), &OPERATOR)
                .await
                .unwrap();
        }
        let listed = |prefix: &'static str| {
            let store = store.clone();
            async move {
                let page = store
                    .meetings_page(&tenant(), prefix, None, 100)
                    .await
                    .unwrap();
                page.iter()
                    .map(|m| m.meeting.chat_id.as_str().to_owned())
                    .collect::<Vec<_>>()
            }
        };
        let at = &database.url;
        assert_eq!(listed("a9").await, ["a9\u{10FFFF}", "a95", "a9"], "{at}");
        assert_eq!(
            listed("a").await,
            ["a9\u{10FFFF}", "a:1", "a95", "a9"],
            "{at}"
        );
        assert_eq!(listed("é").await, ["é9"], "{at}");
        assert_eq!(listed("").await.len(), chat_ids.len(), "{at}");
        assert!(listed("a9\u{10FFFF}x").await.is_empty(), "{at}");
        store.close().await;
    }
}

/// With ten thousand meetings stored, a listing by prefix reads the chat id's index (the
/// meetings it names), and a listing of everything the newest-first index, as far as a page.
async fn a_prefix_reads_the_chat_id_index_and_no_prefix_the_newest_first(db: Db) {
    let ((_dir, database), store) = store_on(db.clone()).await;
    store
        .insert_meeting(&meeting("template"), &links_of("template"), &OPERATOR)
        .await
        .unwrap();
    let copies = match db {
        Db::Sqlite => {
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 9999) \
             INSERT INTO meetings SELECT tenant_id, printf('bulk-%05d', n.i), \
             printf('bulk-%05d', n.i), created_by, vertical, \
             host_login, short_urls, not_before, expires_at, created_at_ms + n.i \
             FROM n, meetings WHERE chat_id = 'template'; ANALYZE;"
        }
        Db::Postgres(_) => {
            "INSERT INTO meetings SELECT tenant_id, 'bulk-' || lpad(n.i::text, 5, '0'), \
             'bulk-' || lpad(n.i::text, 5, '0'), created_by, vertical, \
             host_login, short_urls, not_before, expires_at, created_at_ms + n.i \
             FROM generate_series(0, 9999) AS n(i), meetings WHERE chat_id = 'template'; ANALYZE;"
        }
    };
    raw_execute(&db, &database.url, copies).await;
    let by_prefix = store
        .explain_meetings_page(&tenant(), "bulk-0012")
        .await
        .unwrap()
        .join("\n");
    let everything = store
        .explain_meetings_page(&tenant(), "")
        .await
        .unwrap()
        .join("\n");
    eprintln!("{db:?}, a prefix:\n{by_prefix}\nno prefix:\n{everything}");
    let (chat_id_index, newest_first) = match db {
        // The primary key (tenant, chat id), read as a range within the tenant.
        Db::Sqlite => (
            "(tenant_id=? AND chat_id>? AND chat_id<?)",
            "meetings_newest_first",
        ),
        Db::Postgres(_) => (
            "Index Cond: ((tenant_id = 'default'::text) AND (chat_id >= 'bulk-0012'::text) AND \
             (chat_id < 'bulk-0013'::text))",
            "meetings_newest_first",
        ),
    };
    assert!(by_prefix.contains(chat_id_index), "{by_prefix}");
    assert!(!by_prefix.contains(newest_first), "{by_prefix}");
    assert!(everything.contains(newest_first), "{everything}");
    let page = store
        .meetings_page(&tenant(), "bulk-0012", None, 100)
        .await
        .unwrap();
    assert_eq!(page.len(), 10);
}

crate::on_both_databases!(
    a_prefix_reads_the_chat_id_index_and_no_prefix_the_newest_first,
    a_prefix_lists_every_meeting_that_starts_with_it_in_any_collation,
    a_long_url_is_stored_without_a_second_copy_of_its_cipher,
    a_meeting_without_links_is_written_alone_and_taken_after,
    meetings_written_at_once_are_all_kept_in_fewer_commits,
    a_meeting_whose_write_fails_fails_no_other_written_beside_it,
);
