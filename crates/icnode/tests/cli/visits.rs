//! `icnode visit` as a user runs it, against a real `icnode up`: a visit booked, read, listed,
//! moved and cancelled through the service's API; its links shown once the service made them;
//! the service's refusals told on stderr with the field they name; the API key never shown.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use instant_connect::{rfc3339, unix_now};
use serde_json::Value;

use super::service::start_up_with;
use super::{Server, assert_fails, icnode, used_secret};

/// `icnode up` on `data`, links made an hour before a visit and working 10 minutes after it:
/// the process, its URL and its dev API key.
fn up(data: &Path) -> (Server, String, String) {
    up_with(data, &[])
}

/// [`up`] with `extra` flags.
fn up_with(data: &Path, extra: &[&str]) -> (Server, String, String) {
    let flags = [
        "--iterations",
        "1000",
        "--visit-lead",
        "1h",
        "--visit-grace",
        "10m",
    ];
    let (server, url) = start_up_with(data, &[&flags[..], extra].concat());
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    let key = key.trim().to_owned();
    used_secret(&key);
    (server, url, key)
}

/// `icnode visit ARGS --url URL` with the key in its variable.
fn visit(url: &str, key: &str, args: &[&str]) -> Output {
    calling("visit", url, key, args)
}

/// `icnode SUBCOMMAND ARGS --url URL`, a client of a running service, with the key in its
/// variable.
fn calling(subcommand: &str, url: &str, key: &str, args: &[&str]) -> Output {
    icnode()
        .arg(subcommand)
        .args(args)
        .args(["--url", url])
        .env("ICNODE_API_KEY", key)
        .output()
        .unwrap()
}

/// Asserts that no output of `outputs` shows `key`.
fn never_shown(key: &str, outputs: &[&Output]) {
    for out in outputs {
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(key), "the API key was shown: {text}");
        }
    }
}

/// What a command that succeeded printed with `--json`.
fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The ids of a page's visits.
fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn visit_books_reads_lists_moves_and_cancels_a_visit_on_a_running_service() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, key) = up(&dir.path().join("data"));
    let start = unix_now() + 2 * 24 * 60 * 60;
    let end = start + 30 * 60;
    // Wall times in a zone, as a person writes them.
    let wall = |at: i64| rfc3339(at).trim_end_matches('Z').to_owned();
    let (start_text, end_text) = (wall(start), wall(end));
    let booked = visit(
        &url,
        &key,
        &[
            "book",
            "--start",
            &start_text,
            "--end",
            &end_text,
            "--time-zone",
            "UTC",
            "--host",
            "name=Dr. Ada,email=ada@example.com",
            "--guest",
            "name=Grace,phone=+14155550100,language=de-CH",
            "--guest",
            "name=Alan,email=alan@example.com",
            "--remind",
            "-P1D",
            "--remind",
            "-PT15M",
            "--json",
        ],
    );
    let visit_json = json(&booked);
    let id = visit_json["id"].as_str().unwrap().to_owned();
    assert_eq!(visit_json["state"], "scheduled", "{visit_json}");
    assert_eq!(visit_json["sequence"], 0);
    assert_eq!(visit_json["start"], rfc3339(start).as_str());
    assert_eq!(visit_json["timeZone"], "UTC");
    let hosts = visit_json["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 1);
    assert_eq!(hosts[0]["name"], "Dr. Ada");
    assert_eq!(hosts[0]["email"], "ada@example.com");
    let guests = visit_json["guests"].as_array().unwrap();
    assert_eq!(guests.len(), 2);
    assert_eq!(guests[0]["name"], "Grace");
    assert_eq!(guests[0]["phone"], "+14155550100");
    assert_eq!(guests[0]["language"], "de-CH");
    assert_eq!(guests[1]["name"], "Alan");
    assert_eq!(guests[1]["language"], "en", "the service's default");
    let offsets: Vec<&str> = visit_json["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|reminder| reminder["offset"].as_str().unwrap())
        .collect();
    assert_eq!(offsets, ["-P1D", "-PT15M"]);
    // `up --visit-lead 1h --visit-grace 10m` reached the service; the day-ahead reminder
    // carries the links, so they are made then.
    let links = &visit_json["links"];
    assert_eq!(links["madeAt"], rfc3339(start - 24 * 60 * 60).as_str());
    assert_eq!(links["notBefore"], rfc3339(start - 60 * 60).as_str());
    assert_eq!(links["expiresAt"], rfc3339(end + 10 * 60).as_str());

    let got = visit(&url, &key, &["get", &id, "--json"]);
    assert_eq!(json(&got), visit_json);
    let summary = visit(&url, &key, &["get", &id]);
    let text = String::from_utf8(summary.stdout.clone()).unwrap();
    assert!(
        text.starts_with(&format!("visit {id}  scheduled  sequence 0\n")),
        "{text}"
    );
    for line in [
        "  host    Dr. Ada                  (link not made yet)",
        "  guest   Grace                    (link not made yet)",
        "  guest   Alan                     (link not made yet)",
    ] {
        assert!(text.contains(line), "`{line}` not in: {text}");
    }
    let made_at = links["madeAt"].as_str().unwrap();
    let mint = format!("  job     mint                     {made_at}  due");
    assert!(text.contains(&mint), "{text}");

    let listed = visit(&url, &key, &["list", "--json"]);
    assert_eq!(ids(&json(&listed)), [id.as_str()]);
    let table = visit(&url, &key, &["list"]);
    let table_text = String::from_utf8(table.stdout.clone()).unwrap();
    assert!(table_text.starts_with("ID"), "{table_text}");
    assert!(
        table_text
            .lines()
            .any(|line| line.starts_with(&id) && line.contains("scheduled")),
        "{table_text}"
    );

    // Wall times again: the visit's zone stays.
    let (later_start, later_end) = (wall(start + 60 * 60), wall(end + 60 * 60));
    let moved = visit(
        &url,
        &key,
        &[
            "move",
            &id,
            "--start",
            &later_start,
            "--end",
            &later_end,
            "--json",
        ],
    );
    let moved_json = json(&moved);
    assert_eq!(moved_json["sequence"], 1, "{moved_json}");
    assert_eq!(moved_json["start"], rfc3339(start + 60 * 60).as_str());
    assert_eq!(moved_json["end"], rfc3339(end + 60 * 60).as_str());
    assert_eq!(moved_json["timeZone"], "UTC");
    assert_eq!(
        moved_json["guests"], visit_json["guests"],
        "the people stay"
    );

    let cancelled = visit(&url, &key, &["cancel", &id, "--json"]);
    let cancelled_json = json(&cancelled);
    assert_eq!(cancelled_json["state"], "cancelled", "{cancelled_json}");
    let only_cancelled = visit(&url, &key, &["list", "--state", "cancelled", "--json"]);
    assert_eq!(ids(&json(&only_cancelled)), [id.as_str()]);
    let only_scheduled = visit(&url, &key, &["list", "--state", "scheduled", "--json"]);
    assert!(ids(&json(&only_scheduled)).is_empty());

    never_shown(
        &key,
        &[
            &booked,
            &got,
            &summary,
            &listed,
            &table,
            &moved,
            &cancelled,
            &only_cancelled,
            &only_scheduled,
        ],
    );
}

/// A visit whose lead time has come has its links made by the service's jobs; the summary
/// then shows each person's link, which opens the broker's join page.
#[test]
fn visit_get_shows_each_persons_link_once_the_service_made_it() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, key) = up(&dir.path().join("data"));
    let start = unix_now() + 5 * 60;
    let (start_text, end_text) = (start.to_string(), (start + 20 * 60).to_string());
    let booked = visit(
        &url,
        &key,
        &[
            "book",
            "--start",
            &start_text,
            "--end",
            &end_text,
            "--host",
            "name=Dr. Ada",
            "--guest",
            "name=Grace",
            "--no-reminders",
            "--vertical",
            "gen",
            "--json",
        ],
    );
    let booked = json(&booked);
    let id = booked["id"].as_str().unwrap();
    assert_eq!(booked["reminders"], serde_json::json!([]), "{booked}");
    assert_eq!(booked["vertical"], "gen");

    let waited = Instant::now();
    let text = loop {
        let out = visit(&url, &key, &["get", id]);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        if text.contains("  ready  ") || waited.elapsed() > Duration::from_secs(30) {
            break text;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(
        text.starts_with(&format!("visit {id}  ready  sequence 0")),
        "{text}"
    );
    let link_of = |role: &str| {
        text.lines()
            .find(|line| line.starts_with(&format!("  {role:<7} ")))
            .and_then(|line| line.split_whitespace().last())
            .unwrap_or_default()
            .to_owned()
    };
    for role in ["host", "guest"] {
        let link = link_of(role);
        assert!(link.starts_with(&format!("{url}/l/")), "{text}");
        let page = reqwest::blocking::get(&link).unwrap();
        assert_eq!(page.status(), 200, "{link}");
        assert!(page.url().path().starts_with("/gen/v1/"), "{}", page.url());
    }
    assert!(text.contains("  job     mint "), "{text}");
    assert!(text.contains("  done"), "{text}");
}

#[test]
fn visit_tells_the_services_refusals_and_never_shows_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, key) = up(&dir.path().join("data"));
    let start = (unix_now() + 24 * 60 * 60).to_string();
    let end = (unix_now() + 25 * 60 * 60).to_string();
    let book = |guest: &str, key: &str| {
        visit(
            &url,
            key,
            &[
                "book", "--start", &start, "--end", &end, "--host", "", "--guest", guest,
            ],
        )
    };

    let bad_phone = book("name=Grace,phone=555", &key);
    assert_fails(&bad_phone, 2, "icnode: the service answered 422: ");
    assert_fails(&bad_phone, 2, "guests[0].phone");
    assert_fails(&bad_phone, 2, "`555`");

    let unknown = book("name=Grace,nickname=G", &key);
    assert_fails(&unknown, 2, "unknown key `nickname`");
    assert_fails(&unknown, 2, "--guest");

    let wrong_key = "icnode-not-a-key-of-this-service";
    let refused = book("name=Grace", wrong_key);
    assert_fails(
        &refused,
        1,
        "icnode: the service answered 401: a valid API key is required",
    );
    never_shown(wrong_key, &[&refused]);

    let missing = visit(&url, &key, &["get", "no-such-visit"]);
    assert_fails(&missing, 2, "the service answered 404");

    let no_key = icnode()
        .args(["visit", "list", "--url", &url])
        .output()
        .unwrap();
    assert_fails(&no_key, 2, "no API key: set ICNODE_API_KEY");

    // Port 1 refuses; a port freed by a dropped listener could be taken by another test.
    let unreachable = visit("http://127.0.0.1:1", &key, &["list"]);
    assert_fails(
        &unreachable,
        1,
        "could not reach the service at http://127.0.0.1:1",
    );

    // On the command line the key works, and is warned of without being shown.
    let flagged = icnode()
        .args(["visit", "list", "--url", &url, "--api-key", &key])
        .output()
        .unwrap();
    assert!(flagged.status.success());
    let warned = String::from_utf8_lossy(&flagged.stderr);
    assert!(
        warned.contains("--api-key on the command line can be read by every user"),
        "{warned}"
    );
    never_shown(
        &key,
        &[
            &bad_phone,
            &unknown,
            &refused,
            &missing,
            &no_key,
            &unreachable,
            &flagged,
        ],
    );
}

/// `up` keeps visits' email on the machine, and says where: the booking's invitation is an
/// .eml file in the data directory, from `--mail-from`, with its calendar invitation, and no
/// email leaves.
#[test]
fn up_writes_a_visits_email_to_its_outbox_directory() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let from = "Clinic Visits <visits@clinic.example>";
    let (up, url, key) = up_with(&data, &["--mail-from", from]);
    let outbox = data.join("mail");
    assert_eq!(
        up.line_with("  mail "),
        format!(
            "  mail     {} (.eml files; no email leaves)",
            outbox.display()
        )
    );
    let start = unix_now() + 24 * 60 * 60;
    let booked = visit(
        &url,
        &key,
        &[
            "book",
            "--start",
            &rfc3339(start),
            "--end",
            &rfc3339(start + 1800),
            "--host",
            "name=Dr. Ada,email=ada@clinic.example",
            "--guest",
            "name=Grace",
            "--json",
        ],
    );
    let id = json(&booked)["id"].as_str().unwrap().to_owned();
    let started = Instant::now();
    let written = loop {
        let files: Vec<_> = std::fs::read_dir(&outbox)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        // The file is made, then written: read it until the calendar at its end is there.
        let whole = files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "eml"))
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .find(|text| text.contains("END:VCALENDAR"));
        if let Some(text) = whole {
            break text;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no .eml in {}",
            outbox.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(
        written.contains("To: \"Dr. Ada\" <ada@clinic.example>"),
        "{written}"
    );
    assert!(
        written.contains("From: \"Clinic Visits\" <visits@clinic.example>"),
        "{written}"
    );
    assert!(written.contains("method=REQUEST"), "{written}");
    assert!(written.contains(&format!("UID:{id}@icnode")), "{written}");
}

/// `icnode node run` with the bundled node's visit methods, as Webex Connect calls them:
/// against a real `icnode up`, its key as the secret `api_key` (`ICNODE_API_KEY`), every
/// optional field left empty as a flow's unset variable is.
#[test]
fn the_bundled_node_books_moves_and_cancels_a_visit() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, key) = up(&dir.path().join("data"));
    let run = |method: &str, params: &[(&str, String)]| {
        let mut command = icnode();
        command
            .args(["node", "run", "builtin:instant-connect", method, "--json"])
            .args(["--broker-url", &url])
            .env("ICNODE_API_KEY", &key);
        for (name, value) in params {
            command.args(["--param", &format!("{name}={value}")]);
        }
        let out = command.output().unwrap();
        never_shown(&key, &[&out]);
        serde_json::from_slice::<Value>(&out.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)))
    };
    let start = unix_now() + 24 * 60 * 60;
    let booked = run(
        "Book Visit",
        &[
            ("start", rfc3339(start)),
            ("end", rfc3339(start + 1800)),
            ("timeZone", String::new()),
            ("hostName", "Dr. Ada".into()),
            ("hostEmail", String::new()),
            ("guestName", "Grace".into()),
            ("guestPhone", "+14155550100".into()),
            ("guestEmail", String::new()),
            ("guestLanguage", String::new()),
        ],
    );
    assert_eq!(booked["edge"], "success", "{booked:#}");
    assert_eq!(booked["outputs"]["state"], "scheduled", "{booked:#}");
    let id = booked["outputs"]["visitId"].as_str().unwrap().to_owned();
    let moved = run(
        "reschedule-visit",
        &[
            ("visitId", id.clone()),
            ("start", rfc3339(start + 3600)),
            ("end", rfc3339(start + 5400)),
            ("timeZone", String::new()),
        ],
    );
    assert_eq!(moved["edge"], "success", "{moved:#}");
    assert_eq!(moved["outputs"]["sequence"], 1, "{moved:#}");
    assert_eq!(moved["outputs"]["start"], rfc3339(start + 3600).as_str());
    let cancelled = run("Cancel Visit", &[("visitId", id.clone())]);
    assert_eq!(cancelled["edge"], "success", "{cancelled:#}");
    assert_eq!(cancelled["outputs"]["state"], "cancelled");
    // A refusal takes the error edge with the field it names.
    let refused = run(
        "Book Visit",
        &[
            ("start", rfc3339(start)),
            ("end", rfc3339(start + 1800)),
            ("timeZone", String::new()),
            ("hostName", String::new()),
            ("hostEmail", String::new()),
            ("guestName", String::new()),
            ("guestPhone", "555-0100".into()),
            ("guestEmail", String::new()),
            ("guestLanguage", String::new()),
        ],
    );
    assert_eq!(refused["edge"], "error", "{refused:#}");
    assert_eq!(
        refused["outputs"]["errorField"], "guests[0].phone",
        "{refused:#}"
    );
}

#[test]
fn visit_reads_an_answer_of_up_to_1_mib_and_refuses_a_larger_one() {
    const LIMIT: usize = 1 << 20;
    let visit_of = |len: usize| super::padded(br#"{"id":"padded-visit","state":"booked"}"#, len);

    let at_the_limit = visit(
        &super::answering("200 OK", visit_of(LIMIT)),
        "a-key",
        &["get", "padded-visit", "--json"],
    );
    assert_eq!(json(&at_the_limit)["id"], "padded-visit");

    let over = super::answering("200 OK", visit_of(LIMIT + 1));
    let refused = visit(&over, "a-key", &["get", "padded-visit", "--json"]);
    assert_fails(
        &refused,
        1,
        &format!("the service at {over} answered more than 1 MiB"),
    );
}

/// A refusal is told in the service's words with the field it names, said once: appended when
/// the message does not already name it. A body that is no refusal of the service's says so.
#[test]
fn visit_tells_a_refusals_field_once_and_a_stranger_answer_as_such() {
    let refusing = |status: &str, body: &str| {
        let url = super::answering(status, body.as_bytes().to_vec());
        visit(&url, "a-key", &["get", "some-visit"])
    };
    let unnamed = refusing(
        "422 Unprocessable Entity",
        r#"{"error":{"code":"invalid","message":"must be E.164","field":"guests[0].phone"}}"#,
    );
    assert_fails(
        &unnamed,
        2,
        "icnode: the service answered 422: must be E.164 (field `guests[0].phone`)\n",
    );
    let named = refusing(
        "409 Conflict",
        r#"{"error":{"code":"conflict","message":"`start` is taken","field":"start"}}"#,
    );
    assert_fails(
        &named,
        1,
        "icnode: the service answered 409: `start` is taken\n",
    );
    let stranger_url = super::answering("502 Bad Gateway", b"<html>bad gateway</html>".to_vec());
    let stranger = visit(&stranger_url, "a-key", &["get", "some-visit"]);
    assert_fails(
        &stranger,
        1,
        &format!(
            "icnode: the service at {stranger_url} answered 502, not with an error of icnode's (is that an icnode service?)\n"
        ),
    );
}

/// `icnode revoke` ends one link, a role's links or all of a meeting's on a running service,
/// and says how many; a revoked link no longer opens, and an unknown meeting is bad input.
#[test]
fn revoke_ends_one_link_a_roles_links_or_all_and_says_how_many() {
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, key) = up(&dir.path().join("data"));
    let http = super::http();
    let meeting: Value = http
        .post(format!("{url}/v1/meetings"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"chatId": "revoke-cli", "hosts": 1, "guests": 3}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let link = |role: &str, index: usize| meeting[role][index]["url"].as_str().unwrap().to_owned();
    let opens = |url: &str| http.get(url).send().unwrap().status().as_u16();
    let revoke = |args: &[&str]| calling("revoke", &url, &key, args);
    let said = |args: &[&str]| super::service::succeeded(revoke(args));

    let code = meeting["guests"][0]["code"].as_str().unwrap();
    let one = json(&revoke(&["revoke-cli", "--link", code, "--json"]));
    assert_eq!(one["revoked"], 1, "{one}");
    assert_eq!(opens(&link("guests", 0)), 410);
    assert_eq!(opens(&link("guests", 1)), 302);

    assert_eq!(
        said(&["revoke-cli", "--role", "guest"]),
        "revoked 2 links of meeting revoke-cli\n"
    );
    assert_eq!(opens(&link("guests", 1)), 410);
    assert_eq!(opens(&link("guests", 2)), 410);
    assert_eq!(opens(&link("hosts", 0)), 302);

    assert_eq!(
        said(&["revoke-cli"]),
        "revoked 1 link of meeting revoke-cli\n"
    );
    assert_eq!(opens(&link("hosts", 0)), 410);
    assert_eq!(
        said(&["revoke-cli"]),
        "revoked 0 links of meeting revoke-cli\n"
    );

    let unknown = revoke(&["no-such-meeting"]);
    assert_fails(&unknown, 2, "the service answered 404");
    never_shown(&key, &[&unknown]);
}
