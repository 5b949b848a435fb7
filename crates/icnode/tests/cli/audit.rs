//! `icnode audit` and `icnode migrate` as processes, on a real database: the operator's
//! changes read back newest first, narrowed and a page at a time; bad filters named by their
//! flags; old rows pruned and fresh ones kept; migrations applied by the owner's command.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use super::service::{fresh_postgres, runtime, succeeded};
use super::{assert_fails, icnode};

/// A data directory holding a service database, made as the service makes it.
fn data_dir_with_database(dir: &tempfile::TempDir) -> PathBuf {
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    runtime().block_on(async {
        let url = server::settings::sqlite_url_in(&data);
        server::Store::connect(&url, 1).await.unwrap().close().await;
    });
    data
}

/// `icnode` with `args` on the database in `data`.
fn at(data: &Path, args: &[&str]) -> Output {
    icnode()
        .args(args)
        .args(["--data-dir", data.to_str().unwrap()])
        .output()
        .unwrap()
}

/// What `icnode audit ARGS --json` prints on `data`.
fn audit_json(data: &Path, args: &[&str]) -> Value {
    let mut with_json = vec!["audit", "--json"];
    with_json.extend_from_slice(args);
    serde_json::from_str(&succeeded(at(data, &with_json))).unwrap()
}

/// Each item's action and target, in the order listed.
fn actions(page: &Value) -> Vec<(String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let text = |field: &str| item[field].as_str().unwrap_or("-").to_owned();
            (text("action"), text("target"))
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(action, target)| ((*action).to_owned(), (*target).to_owned()))
        .collect()
}

#[test]
fn audit_lists_the_operator_s_changes_newest_first_narrowed_and_a_page_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir_with_database(&dir);
    succeeded(at(&data, &["tenants", "create", "clinic"]));
    let key = succeeded(at(&data, &["keys", "create", "k", "--tenant", "clinic"]));
    super::used_secret(key.trim());

    let all = audit_json(&data, &[]);
    assert_eq!(
        actions(&all),
        pairs(&[("key.created", "k"), ("tenant.created", "clinic")]),
        "{all}"
    );
    for item in all["items"].as_array().unwrap() {
        assert_eq!(item["tenant"], "clinic", "{item}");
        assert_eq!(item["actor"], "operator", "{item}");
        assert_eq!(item["outcome"], "done", "{item}");
        assert!(item["at"].as_str().unwrap().ends_with('Z'), "{item}");
        assert!(
            item.get("keyId").is_none(),
            "the operator has no key: {item}"
        );
    }
    assert!(all.get("nextCursor").is_none(), "one page: {all}");

    let narrowed = audit_json(&data, &["--tenant", "clinic", "--action", "key.created"]);
    assert_eq!(
        actions(&narrowed),
        pairs(&[("key.created", "k")]),
        "{narrowed}"
    );
    let other_tenant = audit_json(&data, &["--tenant", "default"]);
    assert_eq!(actions(&other_tenant), pairs(&[]), "{other_tenant}");

    let first = at(&data, &["audit", "--json", "--limit", "1"]);
    let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
    let first: Value = serde_json::from_str(&succeeded(first)).unwrap();
    assert_eq!(actions(&first), pairs(&[("key.created", "k")]), "{first}");
    let cursor = first["nextCursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    assert!(stderr.contains(&format!("--cursor {cursor}")), "{stderr}");
    let second = audit_json(&data, &["--limit", "1", "--cursor", &cursor]);
    assert_eq!(
        actions(&second),
        pairs(&[("tenant.created", "clinic")]),
        "{second}"
    );
    assert!(
        second.get("nextCursor").is_none(),
        "the last page: {second}"
    );

    let table = succeeded(at(&data, &["audit"]));
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "AT", "TENANT", "ACTOR", "ACTION", "TARGET", "OUTCOME", "REQUEST"
        ]
    );
    let newest: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        newest[1..],
        ["clinic", "operator", "key.created", "k", "done", "-"],
        "{table}"
    );
}

#[test]
fn audit_refuses_a_bad_filter_naming_its_flag() {
    let dir = tempfile::tempdir().unwrap();
    let missing = at(&dir.path().join("nowhere"), &["audit"]);
    assert_fails(&missing, 2, "no service database");
    let data = data_dir_with_database(&dir);

    let action = at(&data, &["audit", "--action", "nope"]);
    assert_fails(&action, 2, "--action must be one of");
    assert_fails(&action, 2, "`meeting.created`, `links.added`");
    assert_fails(&action, 2, "got `nope`");
    assert_fails(&at(&data, &["audit", "--since", "yesterday"]), 2, "--since");
    assert_fails(&at(&data, &["audit", "--outcome", "fine"]), 2, "--outcome");
    assert_fails(&at(&data, &["audit", "--limit", "0"]), 2, "--limit");
    assert_fails(&at(&data, &["audit", "--cursor", "nope"]), 2, "--cursor");
    // Every bad value is named at once.
    let both = at(&data, &["audit", "--until", "soon", "--target", "a\tb"]);
    assert_fails(&both, 2, "--until");
    assert_fails(&both, 2, "--target");
}

#[test]
fn audit_prune_deletes_old_rows_and_keeps_fresh_ones() {
    let dir = tempfile::tempdir().unwrap();
    let data = data_dir_with_database(&dir);
    // A row from long ago, written through the library at time 0.
    runtime().block_on(async {
        let store = server::Store::connect(&server::settings::sqlite_url_in(&data), 1)
            .await
            .unwrap();
        server::tenants::create(&store, "old", 0).await.unwrap();
        store.close().await;
    });
    succeeded(at(&data, &["tenants", "create", "fresh"]));
    let before = audit_json(&data, &[]);
    assert_eq!(
        actions(&before),
        pairs(&[("tenant.created", "fresh"), ("tenant.created", "old")]),
        "{before}"
    );

    let pruned = succeeded(at(&data, &["audit", "prune", "--older-than", "1d"]));
    assert!(pruned.starts_with("deleted 1 audit row "), "{pruned}");
    let after = audit_json(&data, &[]);
    assert_eq!(
        actions(&after),
        pairs(&[("tenant.created", "fresh")]),
        "{after}"
    );
    let again = succeeded(at(&data, &["audit", "prune", "--older-than", "1d"]));
    assert!(again.starts_with("deleted 0 audit rows "), "{again}");
    assert_fails(
        &at(&data, &["audit", "prune", "--older-than", "0s"]),
        2,
        "--older-than",
    );
}

/// How many migrations the PostgreSQL database at `url` records as applied.
fn applied_migrations(url: &str) -> usize {
    use sqlx::Connection;
    runtime().block_on(async {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let table: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        if table.is_none() {
            return 0;
        }
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut conn)
                .await
                .unwrap();
        usize::try_from(applied).unwrap()
    })
}

#[test]
fn migrate_applies_the_migrations_of_the_database_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let missing = at(&dir.path().join("nowhere"), &["migrate"]);
    assert_fails(&missing, 2, "no service database");

    let data = data_dir_with_database(&dir);
    let migrated = succeeded(at(&data, &["migrate"]));
    assert!(migrated.contains("sqlite database"), "{migrated}");
    succeeded(at(&data, &["audit"]));

    // The owner migrates a PostgreSQL database before any service has started on it.
    let Some(postgres) = fresh_postgres() else {
        return;
    };
    let on_postgres = |args: &[&str]| {
        let out = icnode()
            .args(args)
            .env("ICNODE_DATABASE_URL", &postgres.url)
            .output()
            .unwrap();
        succeeded(out)
    };
    assert_eq!(applied_migrations(&postgres.url), 0);
    let migrated = on_postgres(&["migrate"]);
    assert!(migrated.contains("postgres database"), "{migrated}");
    let applied = applied_migrations(&postgres.url);
    assert!(applied > 0, "migrate applied the migrations");
    // The library of the same build finds none left to apply.
    runtime().block_on(async {
        server::Store::connect(&postgres.url, 1)
            .await
            .unwrap()
            .close()
            .await;
    });
    assert_eq!(applied_migrations(&postgres.url), applied);
    on_postgres(&["tenants", "create", "clinic"]);
    let listed: Value = serde_json::from_str(&on_postgres(&["audit", "--json"])).unwrap();
    assert_eq!(
        actions(&listed),
        pairs(&[("tenant.created", "clinic")]),
        "{listed}"
    );
    let pruned = on_postgres(&["audit", "prune", "--older-than", "1d"]);
    assert!(pruned.starts_with("deleted 0 audit rows "), "{pruned}");
}
