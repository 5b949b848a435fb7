//! Webhooks' outbox across a SIGKILL: `icnode serve` with events committed and their
//! deliveries claimed and in flight (the receiver holds every request, never answering) is
//! killed, and a new process on the same database sends every one of them: each event arrives
//! verified by the `standardwebhooks` package from PyPI (`crates/server/tests/webhooks/
//! receiver.py`) and each delivery ends done. An event may arrive twice (the killed process's
//! request was read before it died), as the Standard Webhooks spec allows: receivers dedupe by
//! `webhook-id`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::service::{create_key, fresh_postgres, get, post, start_serve};
use super::start_broker;

const PYTHON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../target/pytools/bin/python"
);
const RECEIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../server/tests/webhooks/receiver.py"
);
/// Meetings made, so `meeting.created` events committed: the first `IN_FLIGHT` before the
/// process sends any, the rest while its sends hang (committed, not yet fanned out).
const EVENTS: usize = 50;
const IN_FLIGHT: usize = 10;
/// A claim holds 3 s: the killed process's deliveries are taken over soon after.
const FLAGS: [&str; 3] = ["--allow-private-webhook-addresses", "--job-lease", "3s"];

/// The Python receiver on 127.0.0.1, killed when dropped (and gone with the test's process:
/// it exits when its stdin closes).
struct Receiver {
    child: Child,
    _stdin: ChildStdin,
    url: String,
    http: reqwest::blocking::Client,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    /// The receiver, or `None` with the reason when the tool is missing; under `CI=true`, a
    /// failure.
    fn start() -> Option<Self> {
        if !std::path::Path::new(PYTHON).exists() {
            let reason = format!("{PYTHON} is missing (.ci/run installs standardwebhooks there)");
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and {reason}"
            );
            eprintln!("skipped: {reason}");
            return None;
        }
        let mut child = Command::new(PYTHON)
            .arg(RECEIVER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("listening ").unwrap().to_owned();
        Some(Self {
            child,
            _stdin: stdin,
            url: format!("http://127.0.0.1:{port}"),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        })
    }

    fn control(&self, what: &str, body: Value) {
        let answer = self
            .http
            .post(format!("{}/_control/{what}", self.url))
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(answer.status(), 200, "{what}");
    }

    fn received(&self) -> Vec<Value> {
        let answer: Value = self
            .http
            .get(format!("{}/_control/received", self.url))
            .send()
            .unwrap()
            .json()
            .unwrap();
        answer["items"].as_array().unwrap().clone()
    }
}

/// The endpoint's deliveries, all of them (fewer than a page of 100).
fn deliveries(url: &str, key: &str, hook: &str) -> Vec<Value> {
    let (status, page) = get(
        &format!("{url}/v1/webhooks/{hook}/deliveries?limit=100"),
        key,
    );
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// One `serve` on `database`: deliveries in flight when it is killed, all sent by the next.
fn nothing_committed_is_lost_when_serve_is_killed_mid_send(database: &[&str]) {
    let Some(receiver) = Receiver::start() else {
        return;
    };
    let (_broker, broker_url) = start_broker();
    let (mut first, url) = start_serve(&broker_url, database, &FLAGS);
    let key = create_key("outbox", database);

    // Every request is held: the first process's sends stay in flight, none answered.
    receiver.control("hold", json!({"times": 100_000}));
    let (status, _, hook) = post(
        &format!("{url}/v1/webhooks"),
        &key,
        json!({"url": format!("{}/hook", receiver.url), "events": ["meeting.created"]}),
        None,
    );
    assert_eq!(status, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap();
    super::used_secret(secret);
    receiver.control("secret", json!({"secrets": [secret]}));
    let hook = hook["id"].as_str().unwrap().to_owned();

    let mut chat_ids = BTreeSet::new();
    let make_meetings = |chat_ids: &mut BTreeSet<String>, count: usize| {
        for _ in 0..count {
            let chat_id = format!("outbox-{}", chat_ids.len());
            let (status, _, meeting) = post(
                &format!("{url}/v1/meetings"),
                &key,
                json!({"chatId": chat_id}),
                None,
            );
            assert_eq!(status, 201, "{meeting}");
            chat_ids.insert(chat_id);
        }
    };
    make_meetings(&mut chat_ids, IN_FLIGHT);

    // A delivery is claimed and its request held: the process's round waits on its sends.
    let started = Instant::now();
    loop {
        let held = receiver
            .received()
            .iter()
            .filter(|item| item["answered"] == "held")
            .count();
        if held > 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no delivery was sent"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // More events committed while it is stuck mid-send, then SIGKILL.
    make_meetings(&mut chat_ids, EVENTS - IN_FLIGHT);
    first.kill_hard();
    let held = receiver
        .received()
        .iter()
        .filter(|item| item["answered"] == "held")
        .count();
    let killed_at = Instant::now();
    receiver.control("hold", json!({"times": 0}));
    receiver.control("release", json!({}));
    let (_second, url) = start_serve(&broker_url, database, &FLAGS);

    // Every delivery ends done at the new process.
    let listed = loop {
        let listed = deliveries(&url, &key, &hook);
        if listed.len() == EVENTS && listed.iter().all(|d| d["state"] == "done") {
            break listed;
        }
        assert!(
            killed_at.elapsed() < Duration::from_secs(60),
            "not all done a minute after the kill: {listed:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let sent_again = killed_at.elapsed();
    let committed: BTreeSet<String> = listed
        .iter()
        .map(|d| d["eventId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        committed.len(),
        EVENTS,
        "one delivery per event: {listed:#?}"
    );
    for delivery in &listed {
        assert_eq!(delivery["type"], "meeting.created", "{delivery}");
        assert_eq!(delivery["lastStatus"], 204, "{delivery}");
    }

    // Each event arrived verified and was answered 204, about each meeting made.
    let received = receiver.received();
    for item in &received {
        assert_eq!(item["verified"], true, "{item}");
    }
    let answered: BTreeMap<String, &Value> = received
        .iter()
        .filter(|item| item["answered"] == 204)
        .map(|item| (item["id"].as_str().unwrap().to_owned(), item))
        .collect();
    let arrived: BTreeSet<String> = answered.keys().cloned().collect();
    assert_eq!(
        arrived, committed,
        "the distinct webhook-ids are the events"
    );
    let about: BTreeSet<String> = answered
        .values()
        .map(|item| item["body"]["data"]["chatId"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(about, chat_ids, "an event for each meeting made");
    // Held or answered, no request was about anything else.
    let distinct: BTreeSet<String> = received
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(distinct, committed);
    let attempts: i64 = listed.iter().map(|d| d["attempts"].as_i64().unwrap()).sum();
    eprintln!(
        "{database:?}: {held} requests held when killed; {} requests for {EVENTS} events \
         ({} duplicates), {attempts} attempts; all done {sent_again:?} after the kill",
        received.len(),
        received.len() - EVENTS,
    );
}

#[test]
fn webhooks_in_flight_when_serve_is_killed_all_arrive_from_the_next_on_postgres() {
    let Some(pg) = fresh_postgres() else { return };
    nothing_committed_is_lost_when_serve_is_killed_mid_send(&["--database-url", pg.url.as_str()]);
}

#[test]
fn webhooks_in_flight_when_serve_is_killed_all_arrive_from_the_next_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    nothing_committed_is_lost_when_serve_is_killed_mid_send(&[
        "--data-dir",
        data.to_str().unwrap(),
    ]);
}
