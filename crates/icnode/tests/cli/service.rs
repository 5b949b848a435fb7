//! `icnode up`, `serve` and `keys` as processes: one address for everything, keys that work
//! and stop working at once in every process, two processes on one PostgreSQL acting as one,
//! and a process killed mid-load that loses nothing it acknowledged.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection;

use super::{Server, TOKEN, assert_expires_in, assert_fails, exited_within, icnode, start_broker};

const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database of its own on the machine's PostgreSQL, dropped with this value.
pub(super) struct PgDatabase {
    admin: String,
    name: String,
    pub(super) url: String,
}

pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `None` (with a printed reason) when PostgreSQL is unreachable; with `CI=true`, a failure.
pub(super) fn fresh_postgres() -> Option<PgDatabase> {
    let admin =
        std::env::var("ICNODE_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let name = format!("icnode_cli_{}", uuid::Uuid::new_v4().simple());
    let created = runtime().block_on(async {
        let mut conn = sqlx::PgConnection::connect(&admin).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await?;
        conn.close().await
    });
    match created {
        Ok(()) => {
            let mut url = url::Url::parse(&admin).unwrap();
            url.set_path(&name);
            Some(PgDatabase {
                admin,
                name,
                url: url.to_string(),
            })
        }
        Err(error) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and PostgreSQL at {admin} is unusable: {error}")
        }
        Err(error) => {
            eprintln!("skipped: PostgreSQL at {admin} is unusable ({error})");
            None
        }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = runtime().block_on(async {
            let mut conn = sqlx::PgConnection::connect(&self.admin).await?;
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn)
            .await
        });
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// POSTs JSON with an API key: the status, the `Idempotent-Replayed` header, the body.
pub(super) fn post(
    url: &str,
    key: &str,
    body: Value,
    idempotency: Option<&str>,
) -> (u16, bool, Value) {
    let mut request = client().post(url).bearer_auth(key).json(&body);
    if let Some(idem) = idempotency {
        request = request.header("idempotency-key", idem);
    }
    let response = request.send().unwrap();
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    (status, replayed, response.json().unwrap_or(Value::Null))
}

pub(super) fn get(url: &str, key: &str) -> (u16, Value) {
    let response = client().get(url).bearer_auth(key).send().unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

fn keys(args: &[&str]) -> std::process::Output {
    let mut command = icnode();
    command.arg("keys").args(args);
    command.output().unwrap()
}

/// Creates an API key through the command line; the key is stdout's one line.
pub(super) fn create_key(name: &str, database: &[&str]) -> String {
    let mut args = vec!["create", name];
    args.extend_from_slice(database);
    let out = keys(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "the key alone: {stdout}");
    super::used_secret(stdout.trim());
    stdout.trim().to_owned()
}

/// `icnode up` on `data`: the process and its URL.
pub(super) fn start_up(data: &Path) -> (Server, String) {
    start_up_with(data, &[])
}

/// The command `icnode up` on `data`, on a free port.
fn up_command(data: &Path) -> Command {
    let mut command = icnode();
    command.args([
        "up",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    command
}

/// `icnode up` on `data` with `extra` flags.
pub(super) fn start_up_with(data: &Path, extra: &[&str]) -> (Server, String) {
    let mut command = up_command(data);
    command.args(extra);
    let up = Server::start(command);
    let url = up.word_after("icnode is up at");
    (up, url)
}

/// `icnode serve` against the broker at `broker_url`, on `database` flags.
pub(super) fn start_serve(broker_url: &str, database: &[&str], extra: &[&str]) -> (Server, String) {
    let mut command = icnode();
    command
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--broker-url",
            broker_url,
        ])
        .args(database)
        .args(extra)
        .env("ICNODE_BROKER_TOKEN", TOKEN);
    let server = Server::start(command);
    let url = server.word_after("icnode serve listening on");
    (server, url)
}

#[test]
fn up_serves_broker_and_service_on_one_address_with_a_private_dev_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (up, url) = start_up(&data);
    let curl = up.line_with("curl -sS -X POST");
    let key_file = data.join("dev-api-key");
    assert!(
        curl.contains(&format!("$(cat {})", key_file.display())),
        "{curl}"
    );
    for file in [&key_file, &data.join("icnode.db")] {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
    }
    let key = std::fs::read_to_string(&key_file)
        .unwrap()
        .trim()
        .to_owned();
    // The meeting `up` makes at start is the service's: its own links, and it is listed.
    let fresh = up.line_with("a fresh meeting");
    let chat_id = fresh.split('`').nth(1).unwrap().to_owned();
    let printed: Vec<String> = ["  host   ", "  guest  "]
        .map(|role| up.word_after(role))
        .to_vec();
    let (status, first) = get(&format!("{url}/v1/meetings/{chat_id}"), &key);
    assert_eq!(status, 200, "{first}");
    // It lasts as long as the line says, from when `up` started.
    assert!(fresh.contains(", valid for 2h; "), "{fresh}");
    assert_expires_in(&first["expiresAt"], Duration::from_secs(7200));
    assert_eq!(
        printed,
        [&first["hosts"][0]["url"], &first["guests"][0]["url"]].map(|u| u.as_str().unwrap())
    );
    for link in &printed {
        assert!(link.starts_with(&format!("{url}/l/")), "{link}");
        super::used_secret(link.rsplit('/').next().unwrap());
    }

    let (status, _, meeting) = post(
        &format!("{url}/v1/meetings"),
        &key,
        json!({"chatId": "up-visit"}),
        None,
    );
    assert_eq!(status, 201, "{meeting}");
    let guest = meeting["guests"][0]["url"].as_str().unwrap();
    assert!(guest.starts_with(&format!("{url}/l/")), "{guest}");
    // The own link goes on to the broker's short URL, on the same address.
    assert!(
        meeting["guests"][0]["shortUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{url}/visit/"))
    );
    let page = reqwest::blocking::get(guest).unwrap().text().unwrap();
    assert!(page.contains("Virtual Visit - up-visit"));

    let second = up_command(&data).output().unwrap();
    assert_fails(&second, 1, "is in use");

    // A restart keeps the key and the meeting.
    drop(up);
    let (_up, url) = start_up(&data);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().trim(), key);
    let (status, stored) = get(&format!("{url}/v1/meetings/up-visit"), &key);
    assert_eq!(status, 200);
    assert_eq!(as_kept(&stored["guests"]), as_kept(&meeting["guests"]));
}

/// The service options `up` and `serve` share reach the service: long URLs by default, a
/// default lifetime, and opaque subjects (the chat id kept from the broker's join page).
#[test]
fn up_gives_the_service_the_options_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let flags = ["--long-urls", "--default-ttl", "2h", "--opaque-subjects"];
    let (_up, url) = start_up_with(&data, &flags);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    super::used_secret(key.trim());
    let (status, _, meeting) = post(
        &format!("{url}/v1/meetings"),
        key.trim(),
        json!({"chatId": "private-visit"}),
        None,
    );
    assert_eq!(status, 201, "{meeting}");
    let guest = &meeting["guests"][0];
    assert_eq!(guest["shortUrl"], Value::Null, "long URLs by default");
    let seconds = |field: &str| {
        let written = server::domain::TimeInput::Text(meeting[field].as_str().unwrap().to_owned());
        server::domain::Time::read(&written, server::domain::Field::ExpiresAt, None)
            .unwrap()
            .at()
    };
    assert_eq!(seconds("expiresAt") - seconds("createdAt"), 2 * 60 * 60);
    let page = reqwest::blocking::get(guest["longUrl"].as_str().unwrap())
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("Virtual Visit - icn-"), "{page}");
    assert!(!page.contains("private-visit"), "{page}");
}

/// `up --iterations --salt-length` fix the PBES2 parameters of every link, as `broker` does
/// (a load test at a chosen cost).
#[test]
fn up_mints_at_the_iterations_and_salt_length_it_is_given() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_up, url) = start_up_with(&data, &["--iterations", "1234", "--salt-length", "17"]);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    super::used_secret(key.trim());
    let (status, _, meeting) = post(
        &format!("{url}/v1/meetings"),
        key.trim(),
        json!({"guests": 2}),
        None,
    );
    assert_eq!(status, 201, "{meeting}");
    let links = meeting["hosts"].as_array().unwrap().iter();
    let links = links.chain(meeting["guests"].as_array().unwrap());
    let mut seen = 0;
    for link in links {
        let cipher = link["cipher"].as_str().unwrap();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(cipher.split('.').next().unwrap())
            .unwrap();
        let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
        assert_eq!(header["p2c"], 1234, "{header}");
        let salt = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header["p2s"].as_str().unwrap())
            .unwrap();
        assert_eq!(salt.len(), 17, "{header}");
        seen += 1;
    }
    assert_eq!(seen, 3);

    let refused = icnode()
        .args(["up", "--ephemeral", "--iterations", "999"])
        .output()
        .unwrap();
    assert_fails(&refused, 2, "--iterations");
}

#[test]
fn keys_are_shown_once_listed_without_secrets_and_revoked_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let missing = keys(&["list", "--data-dir", data.to_str().unwrap()]);
    assert_fails(&missing, 2, "no service database");

    let (_up, url) = start_up(&data);
    let at = ["--data-dir", data.to_str().unwrap()];
    let key = create_key("flow", &at);
    assert!(key.starts_with("icn_"));
    let meetings = format!("{url}/v1/meetings");
    assert_eq!(get(&meetings, &key).0, 200);

    let mut list_args = vec!["list"];
    list_args.extend_from_slice(&at);
    let listed = keys(&list_args);
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(
        listed.contains("flow") && listed.contains("dev"),
        "{listed}"
    );
    assert!(!listed.contains(&key[13..]), "no key in the listing");

    let out = keys(&["revoke", "flow", "--data-dir", data.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(get(&meetings, &key).0, 401, "refused at once");
    let again = keys(&["create", "flow", "--data-dir", data.to_str().unwrap()]);
    assert_fails(&again, 2, "exists already");
    let unknown = keys(&["revoke", "nobody", "--data-dir", data.to_str().unwrap()]);
    assert_fails(&unknown, 2, "no key is named `nobody`");
}

fn tenants(args: &[&str]) -> std::process::Output {
    let mut command = icnode();
    command.arg("tenants").args(args);
    command.output().unwrap()
}

/// Asserts that a command succeeded; its stdout.
pub(super) fn succeeded(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The line of a listing whose first column is `first`.
fn row<'a>(listing: &'a str, first: &str) -> &'a str {
    listing
        .lines()
        .find(|line| line.split_whitespace().next() == Some(first))
        .unwrap_or_else(|| panic!("no `{first}` in: {listing}"))
}

#[test]
fn tenants_are_made_listed_disabled_and_enabled_and_keys_get_a_tenant_and_a_role() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let at = ["--data-dir", data.to_str().unwrap()];
    let with_at = |args: &[&'static str]| -> Vec<&str> { args.iter().copied().chain(at).collect() };
    let (_up, url) = start_up(&data);

    let created = succeeded(tenants(&with_at(&["create", "clinic"])));
    assert_eq!(created, "clinic\n");
    assert_fails(
        &tenants(&with_at(&["create", "clinic"])),
        2,
        "exists already",
    );
    assert_fails(&tenants(&with_at(&["create", "Clinic"])), 2, "lowercase");
    let listed = succeeded(tenants(&with_at(&["list"])));
    assert!(listed.starts_with("ID "), "{listed}");
    assert!(
        listed.lines().next().unwrap().ends_with(" LIMITS"),
        "{listed}"
    );
    for tenant in ["default", "clinic"] {
        let columns: Vec<&str> = row(&listed, tenant).split_whitespace().collect();
        assert_eq!(
            columns[2..],
            ["-", "service", "-"],
            "neither disabled, given a token of its own nor limited: {listed}"
        );
    }
    let token = [
        "token",
        "clinic",
        "--token-source",
        "file:/etc/icnode/clinic.token",
    ];
    succeeded(tenants(&with_at(&token)));
    let listed = succeeded(tenants(&with_at(&["list"])));
    let clinic: Vec<&str> = row(&listed, "clinic").split_whitespace().collect();
    assert_eq!(clinic[3], "file:/etc/icnode/clinic.token", "{listed}");
    let relative = tenants(&with_at(&[
        "token",
        "clinic",
        "--token-source",
        "clinic.token",
    ]));
    assert_fails(&relative, 2, "--token-source");
    assert_fails(&relative, 2, "`env:NAME`");
    assert_fails(
        &tenants(&with_at(&["token", "clinic"])),
        2,
        "--token-source",
    );
    let back = succeeded(tenants(&with_at(&["token", "clinic", "--service-token"])));
    assert!(back.contains("the service's broker token"), "{back}");
    let listed = succeeded(tenants(&with_at(&["list"])));
    assert_eq!(
        row(&listed, "clinic").split_whitespace().nth(3),
        Some("service")
    );

    let key = create_key("k1", &with_at(&["--tenant", "clinic", "--role", "viewer"]));
    assert!(key.starts_with("icn_"), "{key}");
    let listed = succeeded(keys(&with_at(&["list"])));
    let k1: Vec<&str> = row(&listed, "k1").split_whitespace().collect();
    assert_eq!(k1[2..4], ["clinic", "viewer"], "{listed}");
    let dev: Vec<&str> = row(&listed, "dev").split_whitespace().collect();
    assert_eq!(dev[2..4], ["default", "admin"], "{listed}");
    let json: Value =
        serde_json::from_str(&succeeded(keys(&with_at(&["list", "--json"])))).unwrap();
    let k1 = json
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "k1")
        .unwrap();
    assert_eq!(
        (&k1["tenant"], &k1["role"]),
        (&json!("clinic"), &json!("viewer"))
    );

    let nowhere = keys(&with_at(&["create", "k2", "--tenant", "nowhere"]));
    assert_fails(&nowhere, 2, "no tenant is named `nowhere`");
    let owner = keys(&with_at(&["create", "k2", "--role", "owner"]));
    assert_fails(&owner, 2, "--role");
    assert_fails(&owner, 2, "admin, member, viewer");
    assert_fails(
        &tenants(&with_at(&["disable", "default"])),
        2,
        "cannot be disabled",
    );
    assert_fails(
        &tenants(&with_at(&["disable", "nowhere"])),
        2,
        "no tenant is named `nowhere`",
    );

    let meetings = format!("{url}/v1/meetings");
    assert_eq!(get(&meetings, &key).0, 200, "a viewer reads");
    let disabled = succeeded(tenants(&with_at(&["disable", "clinic"])));
    assert!(disabled.contains("`clinic` disabled"), "{disabled}");
    let listed = succeeded(tenants(&with_at(&["list"])));
    let clinic: Vec<&str> = row(&listed, "clinic").split_whitespace().collect();
    assert!(
        clinic[2].ends_with('Z') && clinic[2] >= clinic[1],
        "{listed}"
    );
    let default: Vec<&str> = row(&listed, "default").split_whitespace().collect();
    assert_eq!(default[2], "-", "{listed}");
    assert_eq!(
        get(&meetings, &key).0,
        401,
        "a disabled tenant's key is refused at once"
    );

    let enabled = succeeded(tenants(&with_at(&["enable", "clinic"])));
    assert!(enabled.contains("`clinic` enabled"), "{enabled}");
    let json: Value =
        serde_json::from_str(&succeeded(tenants(&with_at(&["list", "--json"])))).unwrap();
    let clinic = json
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "clinic")
        .unwrap();
    assert_eq!(clinic["disabledAt"], Value::Null, "{json}");
    assert_eq!(get(&meetings, &key).0, 200, "enabled again");
}

/// A tenant's limits, set as it is made or after, are listed, and hold in the running service
/// from the next request; `tenants limits` sets exactly the flags given, the others going back
/// to the service's.
#[test]
fn tenants_limits_are_set_at_creation_or_after_listed_and_held_from_the_next_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let at = ["--data-dir", data.to_str().unwrap()];
    let with_at = |args: &[&'static str]| -> Vec<&str> { args.iter().copied().chain(at).collect() };
    let (_up, url) = start_up(&data);
    let limits_of = |tenant: &str| -> Vec<String> {
        let listed = succeeded(tenants(&with_at(&["list"])));
        let columns: Vec<&str> = row(&listed, tenant).split_whitespace().collect();
        columns[4..].iter().map(|c| (*c).to_owned()).collect()
    };

    let created = tenants(&with_at(&[
        "create",
        "small",
        "--invites-per-day",
        "1",
        "--phones-per-invite",
        "2",
    ]));
    assert_eq!(succeeded(created), "small\n", "the id alone on stdout");
    assert_eq!(
        limits_of("small"),
        ["rpm=-", "invites/day=1", "phones=2", "nodes=-"]
    );
    assert_eq!(limits_of("default"), ["-"]);

    let key = create_key(
        "small-desk",
        &with_at(&["--tenant", "small", "--role", "member"]),
    );
    let (status, _, body) = post(
        &format!("{url}/v1/meetings"),
        &key,
        json!({"chatId": "small-visit"}),
        None,
    );
    assert_eq!(status, 201, "{body}");
    let three = ["+14155550100", "+14155550101", "+14155550102"];
    let (status, _, body) = post(
        &format!("{url}/v1/meetings/small-visit/invite"),
        &key,
        json!({ "phones": three }),
        None,
    );
    assert_eq!(status, 422, "past the tenant's phones: {body}");
    assert!(body.to_string().contains("phones"), "{body}");

    let set = succeeded(tenants(&with_at(&[
        "limits",
        "small",
        "--requests-per-minute",
        "3",
    ])));
    assert!(
        set.ends_with(": rpm=3 invites/day=- phones=- nodes=- (`-`: the service's)\n"),
        "{set}"
    );
    let json: Value =
        serde_json::from_str(&succeeded(tenants(&with_at(&["list", "--json"])))).unwrap();
    let small = json
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == "small")
        .unwrap();
    assert_eq!(small["requestsPerMinute"], 3, "{json}");
    assert_eq!(small["invitesPerDay"], Value::Null, "{json}");
    assert_eq!(small["phonesPerInvite"], Value::Null, "{json}");
    assert_eq!(small["importedNodes"], Value::Null, "{json}");
    // The running service reads the new limits from the next request.
    let meetings = format!("{url}/v1/meetings");
    for _ in 0..3 {
        assert_eq!(get(&meetings, &key).0, 200);
    }
    let refused = client().get(&meetings).bearer_auth(&key).send().unwrap();
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));

    assert_fails(
        &tenants(&with_at(&["limits", "small", "--phones-per-invite", "26"])),
        2,
        "--phones-per-invite",
    );
    assert_fails(
        &tenants(&with_at(&["create", "big", "--imported-nodes", "51"])),
        2,
        "--imported-nodes",
    );
    assert_fails(
        &tenants(&with_at(&["limits", "nowhere", "--invites-per-day", "1"])),
        2,
        "no tenant is named `nowhere`",
    );
    assert_fails(
        &tenants(&with_at(&["limits", "nowhere"])),
        2,
        "no tenant is named `nowhere`",
    );
    assert_eq!(
        limits_of("small"),
        ["rpm=3", "invites/day=-", "phones=-", "nodes=-"],
        "a refused command changes nothing"
    );
    let cleared = succeeded(tenants(&with_at(&["limits", "small"])));
    assert!(cleared.ends_with(": the service's\n"), "{cleared}");
    assert_eq!(limits_of("small"), ["-"]);
    assert!(!succeeded(tenants(&with_at(&["list"]))).contains("big"));
}

#[test]
fn two_serve_processes_on_one_postgres_act_as_one_service() {
    let Some(pg) = fresh_postgres() else { return };
    let (_broker, broker_url) = start_broker();
    let database = ["--database-url", pg.url.as_str()];
    let (_a, url_a) = start_serve(&broker_url, &database, &[]);
    let (_b, url_b) = start_serve(&broker_url, &database, &[]);
    let key = create_key("shared", &database);

    let (status, _, _) = post(
        &format!("{url_a}/v1/meetings"),
        &key,
        json!({"chatId": "shared-visit", "ttlSeconds": 3600}),
        None,
    );
    assert_eq!(status, 201);
    // Four clients add guests through both processes at once.
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let url = if t % 2 == 0 {
                url_a.clone()
            } else {
                url_b.clone()
            };
            let key = key.clone();
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let (status, _, body) = post(
                        &format!("{url}/v1/meetings/shared-visit/guests"),
                        &key,
                        json!({"count": 2}),
                        None,
                    );
                    assert_eq!(status, 201, "{body}");
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let (_, meeting) = get(&format!("{url_b}/v1/meetings/shared-visit"), &key);
    let guests = meeting["guests"].as_array().unwrap();
    assert_eq!(guests.len(), 1 + 4 * 5 * 2, "no guest link lost");
    let ciphers: HashSet<&str> = guests
        .iter()
        .map(|g| g["cipher"].as_str().unwrap())
        .collect();
    assert_eq!(ciphers.len(), guests.len(), "no duplicate");

    // An idempotent create replayed through the other process.
    let body = json!({"guests": 1});
    let first = post(
        &format!("{url_a}/v1/meetings"),
        &key,
        body.clone(),
        Some("run-42"),
    );
    let second = post(&format!("{url_b}/v1/meetings"), &key, body, Some("run-42"));
    assert_eq!(first.0, 201);
    assert_eq!((second.0, second.1), (201, true));
    assert_eq!(first.2, second.2);

    // A revocation holds in both at once.
    let out = keys(&["revoke", "shared", "--database-url", pg.url.as_str()]);
    assert!(out.status.success());
    assert_eq!(get(&format!("{url_a}/v1/meetings"), &key).0, 401);
    assert_eq!(get(&format!("{url_b}/v1/meetings"), &key).0, 401);
}

/// An idempotent create sent until it has an answer: a `409` means its twin is still running.
fn create_idempotently(
    url: &str,
    key: &str,
    idempotency: &str,
    sent: &AtomicUsize,
) -> (bool, Value) {
    loop {
        sent.fetch_add(1, Ordering::SeqCst);
        let (status, replayed, body) = post(
            &format!("{url}/v1/meetings"),
            key,
            json!({"guests": 1, "ttlSeconds": 3600}),
            Some(idempotency),
        );
        match status {
            201 => return (replayed, body),
            409 => {
                assert_eq!(body["error"]["code"], "idempotency_key_in_use", "{body}");
                std::thread::sleep(Duration::from_millis(20));
            }
            other => panic!("{idempotency}: {other} {body}"),
        }
    }
}

#[test]
fn three_serve_processes_under_concurrent_load_lose_nothing_and_duplicate_nothing() {
    let Some(pg) = fresh_postgres() else { return };
    let (_broker, broker_url) = start_broker();
    let database = ["--database-url", pg.url.as_str()];
    let processes: Vec<(Server, String)> = (0..3)
        .map(|_| start_serve(&broker_url, &database, &[]))
        .collect();
    let urls: Arc<Vec<String>> = Arc::new(processes.iter().map(|(_, url)| url.clone()).collect());
    let key = create_key("load", &database);
    let victim = create_key("victim", &database);
    let sent = Arc::new(AtomicUsize::new(0));
    let (status, _, _) = post(
        &format!("{}/v1/meetings", urls[0]),
        &key,
        json!({"chatId": "shared", "ttlSeconds": 3600}),
        None,
    );
    assert_eq!(status, 201);

    // Four threads create meetings, each request sent through two processes at once with one
    // Idempotency-Key: one meeting each, the same answer twice.
    let creators: Vec<_> = (0..4)
        .map(|t| {
            let (urls, key, sent) = (Arc::clone(&urls), key.clone(), Arc::clone(&sent));
            std::thread::spawn(move || {
                (0..10)
                    .map(|i| {
                        let idempotency = format!("idem-{t}-{i}");
                        let twin = {
                            let (url, key, idem, sent) = (
                                urls[(i + 1) % 3].clone(),
                                key.clone(),
                                idempotency.clone(),
                                Arc::clone(&sent),
                            );
                            std::thread::spawn(move || {
                                create_idempotently(&url, &key, &idem, &sent)
                            })
                        };
                        let first = create_idempotently(&urls[i % 3], &key, &idempotency, &sent);
                        let second = twin.join().unwrap();
                        assert_eq!(first.1, second.1, "{idempotency}: one answer");
                        assert!(first.0 != second.0, "{idempotency}: exactly one replayed");
                        first.1["chatId"].as_str().unwrap().to_owned()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    // Three threads add guests to one meeting, one through each process.
    let adders: Vec<_> = (0..3)
        .map(|t| {
            let (urls, key, sent) = (Arc::clone(&urls), key.clone(), Arc::clone(&sent));
            std::thread::spawn(move || {
                for _ in 0..8 {
                    sent.fetch_add(1, Ordering::SeqCst);
                    let (status, _, body) = post(
                        &format!("{}/v1/meetings/shared/guests", urls[t]),
                        &key,
                        json!({"count": 2}),
                        None,
                    );
                    assert_eq!(status, 201, "{body}");
                }
            })
        })
        .collect();
    // One thread makes meetings with the key that is about to be revoked, until refused.
    let revoked = Arc::new(AtomicBool::new(false));
    let victim_thread = {
        let (urls, victim, sent, revoked) = (
            Arc::clone(&urls),
            victim.clone(),
            Arc::clone(&sent),
            Arc::clone(&revoked),
        );
        std::thread::spawn(move || {
            let mut made = Vec::new();
            for i in 0.. {
                let revoked_before = revoked.load(Ordering::SeqCst);
                sent.fetch_add(1, Ordering::SeqCst);
                let chat_id = format!("victim-{i}");
                let (status, _, body) = post(
                    &format!("{}/v1/meetings", urls[i % 3]),
                    &victim,
                    json!({"chatId": chat_id}),
                    None,
                );
                match status {
                    201 => {
                        assert!(
                            !revoked_before,
                            "a request after the revocation passed: {body}"
                        );
                        made.push(chat_id);
                    }
                    401 => return made,
                    other => panic!("{other} {body}"),
                }
            }
            unreachable!()
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    let out = keys(&["revoke", "victim", "--database-url", pg.url.as_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    revoked.store(true, Ordering::SeqCst);
    for url in urls.iter() {
        assert_eq!(get(&format!("{url}/v1/meetings"), &victim).0, 401, "{url}");
    }

    let created: Vec<String> = creators
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    for adder in adders {
        adder.join().unwrap();
    }
    let victims = victim_thread.join().unwrap();

    // Every process sees the same whole data: no meeting twice, none lost, no link lost.
    let mut expected: HashSet<String> = created.iter().cloned().collect();
    assert_eq!(expected.len(), 40, "one meeting per Idempotency-Key");
    expected.extend(victims.iter().cloned());
    expected.insert("shared".to_owned());
    for url in urls.iter() {
        let (status, page) = get(&format!("{url}/v1/meetings?limit=1000"), &key);
        assert_eq!(status, 200);
        let stored: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["chatId"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(stored.len(), expected.len(), "{url}: no duplicate");
        assert_eq!(
            stored.into_iter().collect::<HashSet<_>>(),
            expected,
            "{url}"
        );
        let (_, shared) = get(&format!("{url}/v1/meetings/shared"), &key);
        let guests = shared["guests"].as_array().unwrap();
        assert_eq!(guests.len(), 1 + 3 * 8 * 2, "{url}: no guest link lost");
        let ciphers: HashSet<&str> = guests
            .iter()
            .map(|g| g["cipher"].as_str().unwrap())
            .collect();
        assert_eq!(ciphers.len(), guests.len(), "{url}: no duplicate link");
    }
    eprintln!(
        "3 processes: {} requests sent, {} meetings, {} made before the revocation, {} guest links",
        sent.load(Ordering::SeqCst),
        expected.len(),
        victims.len(),
        1 + 3 * 8 * 2
    );
}

/// Creates meetings from four threads until `acknowledged` holds `enough`, kills the service
/// with SIGKILL, restarts it and finds every acknowledged meeting with all its links.
fn killed_mid_load_loses_nothing(database: &[&str]) {
    let (_broker, broker_url) = start_broker();
    let (mut server, url) = start_serve(&broker_url, database, &[]);
    let key = create_key("load", database);
    let acknowledged: Arc<Mutex<Vec<Value>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (url, key) = (url.clone(), key.clone());
            let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
            std::thread::spawn(move || {
                for i in 0.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let request = client()
                        .post(format!("{url}/v1/meetings"))
                        .bearer_auth(&key)
                        .json(&json!({"chatId": format!("load-{t}-{i}"), "guests": 2}))
                        .send();
                    match request {
                        Ok(response) if response.status() == 201 => {
                            if let Ok(body) = response.json::<Value>() {
                                acknowledged.lock().unwrap().push(body);
                            }
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().unwrap().len() < 40 {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for thread in threads {
        thread.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    eprintln!(
        "{} meetings acknowledged before SIGKILL",
        acknowledged.len()
    );
    let (_server, url) = start_serve(&broker_url, database, &[]);
    for meeting in &acknowledged {
        let chat_id = meeting["chatId"].as_str().unwrap();
        let (status, stored) = get(&format!("{url}/v1/meetings/{chat_id}"), &key);
        assert_eq!(status, 200, "{chat_id} was acknowledged and lost");
        assert_eq!(
            as_kept(&stored["hosts"]),
            as_kept(&meeting["hosts"]),
            "{chat_id}"
        );
        assert_eq!(
            as_kept(&stored["guests"]),
            as_kept(&meeting["guests"]),
            "{chat_id}"
        );
    }
    assert!(acknowledged.len() >= 40);
}

#[test]
fn a_service_killed_mid_load_keeps_every_acknowledged_meeting_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    killed_mid_load_loses_nothing(&["--data-dir", data.to_str().unwrap()]);
}

#[test]
fn a_service_killed_mid_load_keeps_every_acknowledged_meeting_on_postgres() {
    let Some(pg) = fresh_postgres() else { return };
    killed_mid_load_loses_nothing(&["--database-url", pg.url.as_str()]);
}

#[test]
fn serve_needs_a_token_makes_its_data_dir_owner_only_and_writes_json_logs_with_request_ids_and_no_secrets()
 {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let no_token = icnode()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_fails(&no_token, 2, "no broker token");

    let (_broker, broker_url) = start_broker();
    let data = dir.path().join("data");
    // A data directory that was there, open to all, is made owner-only.
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let log_path = dir.path().join("serve.log");
    let mut command: Command = icnode();
    command
        .args(["serve", "--listen", "127.0.0.1:0", "--log-format", "json"])
        .args(["--trusted-proxy", "127.0.0.0/8"])
        .args([
            "--broker-url",
            &broker_url,
            "--data-dir",
            data.to_str().unwrap(),
        ])
        .env("ICNODE_BROKER_TOKEN", TOKEN);
    let server =
        Server::start_with_stderr(command, std::fs::File::create(&log_path).unwrap().into());
    let url = server.word_after("listening on");
    // Its keys are in its database, made by `icnode keys`: it makes and shows none itself.
    let next = server.line_with(""); // the line after "listening on"
    assert!(next.starts_with("broker "), "{next}");
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let key = create_key("logs", &["--data-dir", data.to_str().unwrap()]);
    let response = client()
        .post(format!("{url}/v1/meetings"))
        .bearer_auth(&key)
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({"chatId": "json-logs"}))
        .send()
        .unwrap();
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let meeting: Value = response.json().unwrap();
    drop(server);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    let answered = lines
        .iter()
        .find(|l| l.to_string().contains(&request_id) && l["fields"]["message"] == "answered")
        .unwrap_or_else(|| panic!("the request id is in the access log:\n{logs}"));
    // The proxy it trusts (the test, on loopback) says whom it forwarded.
    assert_eq!(answered["span"]["client"], "203.0.113.7", "{answered}");
    let cipher = meeting["guests"][0]["cipher"].as_str().unwrap();
    for secret in [TOKEN, key.as_str(), cipher] {
        assert!(!logs.contains(secret), "a secret reached the log");
    }
}

/// `--tls-cert` and `--tls-key` make `serve` answer HTTPS with that certificate, and say so.
#[test]
fn serve_with_a_certificate_and_its_key_answers_https() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert, certified.cert.pem()).unwrap();
    std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (_broker, broker_url) = start_broker();
    let tls = [
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ];
    let (_server, url) = start_serve(&broker_url, &["--ephemeral"], &tls);
    let address = url
        .strip_prefix("https://")
        .unwrap_or_else(|| panic!("not said as https: {url}"));
    let trusting = reqwest::blocking::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        )
        .resolve("localhost", address.parse().unwrap())
        .build()
        .unwrap();
    let port = address.rsplit(':').next().unwrap();
    let health = trusting
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[test]
fn an_ephemeral_serve_prints_the_one_key_that_reaches_its_memory() {
    let (_broker, broker_url) = start_broker();
    let (server, url) = start_serve(&broker_url, &["--ephemeral"], &[]);
    let key = server.word_after("API key (in memory");
    let (status, _, meeting) = post(&format!("{url}/v1/meetings"), &key, json!({}), None);
    assert_eq!(status, 201, "{meeting}");
}

/// SIGTERM while a request is in flight: `serve` finishes it (the meeting is answered `201` and
/// stored), only then exits, with status 0. The broker here answers only when the test says so,
/// so the request is known to be in flight when the signal is sent.
#[test]
fn sigterm_finishes_the_request_in_flight_then_exits_zero() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let database = ["--data-dir", data.to_str().unwrap()];

    let gate = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let broker_url = format!("http://{}", gate.local_addr().unwrap());
    let (arrived_tx, arrived) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let answer = include_str!("../../../instant-connect/tests/data/seed-sample-response.json");
    let broker = std::thread::spawn(move || {
        let (mut stream, _) = gate.accept().unwrap();
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        // Headers, then as much body as they announce.
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buffer).unwrap();
            request.extend_from_slice(&buffer[..n]);
        }
        let text = String::from_utf8_lossy(&request).to_lowercase();
        let head = text.find("\r\n\r\n").unwrap() + 4;
        let length: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        while request.len() < head + length {
            let n = stream.read(&mut buffer).unwrap();
            request.extend_from_slice(&buffer[..n]);
        }
        arrived_tx.send(()).unwrap();
        released.recv().unwrap();
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{answer}",
            answer.len()
        )
        .unwrap();
    });

    let (mut serve, url) = start_serve(&broker_url, &database, &[]);
    let key = create_key("drain", &database);
    let meetings = format!("{url}/v1/meetings");
    let client = {
        let (meetings, key) = (meetings.clone(), key.clone());
        std::thread::spawn(move || post(&meetings, &key, json!({"chatId": "in-flight"}), None))
    };
    arrived
        .recv_timeout(Duration::from_secs(30))
        .expect("the service called the broker");
    let signalled = Command::new("kill")
        .args(["-TERM", &serve.child.id().to_string()])
        .status()
        .unwrap();
    assert!(signalled.success());
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        serve.child.try_wait().unwrap().is_none(),
        "serve waits for the request in flight"
    );

    release.send(()).unwrap();
    let (status, _, meeting) = client.join().unwrap();
    assert_eq!(status, 201, "{meeting}");
    broker.join().unwrap();
    let exit = exited_within(&mut serve.child, Duration::from_secs(10)).expect("serve exits");
    assert_eq!(exit.code(), Some(0));

    let (_serve, url) = start_serve(&broker_url, &database, &[]);
    let (status, stored) = get(&format!("{url}/v1/meetings/in-flight"), &key);
    assert_eq!(status, 200, "{stored}");
    assert_eq!(as_kept(&stored["guests"]), as_kept(&meeting["guests"]));
}

/// Links as the store keeps them: their own URLs by path (a restarted service listens on
/// another port, its public URL by default), without what opening them since has changed.
fn as_kept(links: &Value) -> Value {
    let mut links = links.clone();
    for link in links.as_array_mut().unwrap() {
        let url = url::Url::parse(link["url"].as_str().unwrap()).unwrap();
        link["url"] = Value::String(url.path().to_owned());
        let link = link.as_object_mut().unwrap();
        link.remove("opens");
        link.remove("openedAt");
    }
    links
}
