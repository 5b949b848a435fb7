//! Visits' jobs across real processes: two `icnode serve` on one PostgreSQL with 200 visits
//! whose reminders fall due together, one of them killed (SIGKILL) with jobs in flight and
//! started again: every reminder is texted once, however many processes claimed, ran or were
//! cut off running it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use instant_connect::unix_now;
use serde_json::{Value, json};

use super::service::{create_key, fresh_postgres, get, post, start_serve};
use super::{TOKEN, start_broker_with};

/// The SMS invites the broker took (its outbox, the first 1000).
fn outbox(broker_url: &str) -> Vec<Value> {
    let answer: Value = reqwest::blocking::Client::new()
        .get(format!("{broker_url}/_icnode/outbox?limit=1000"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    answer["items"].as_array().unwrap().clone()
}

/// `probe`'s answer once it is `Ok`; each `Err` says what it saw, and the last one is the
/// failure's message if `within` runs out first.
fn wait_until<T>(within: Duration, mut probe: impl FnMut() -> Result<T, String>) -> T {
    let started = Instant::now();
    loop {
        match probe() {
            Ok(done) => return done,
            Err(seen) => assert!(started.elapsed() < within, "after {within:?}: {seen}"),
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn wait_for_outbox(broker_url: &str, at_least: usize, within: Duration) -> Vec<Value> {
    wait_until(within, || {
        let items = outbox(broker_url);
        if items.len() >= at_least {
            Ok(items)
        } else {
            Err(format!("{} of {at_least} invites", items.len()))
        }
    })
}

#[test]
fn two_serve_processes_text_each_of_200_reminders_once_when_one_is_killed_mid_run() {
    let Some(pg) = fresh_postgres() else { return };
    // Each broker answer comes 300 ms after its work is done: a process killed mid-run has
    // invites the broker took and it never heard of, which the process that takes its jobs
    // over sends again (the broker takes each job's invite once, by its key).
    let (_broker, broker_url) = start_broker_with(&["--fault", "slow-answer=300ms"]);
    let database = ["--database-url", pg.url.as_str()];
    // A claim holds 3 s: the killed process's jobs are taken over soon after.
    let flags = ["--job-lease", "3s"];
    let (mut first, url_a) = start_serve(&broker_url, &database, &flags);
    let (_second, url_b) = start_serve(&broker_url, &database, &flags);
    let key = create_key("jobs", &database);

    // 200 visits whose reminder, 10 minutes before the start, falls due in 12 s.
    let due = unix_now() + 12;
    let start = due + 600;
    let mut ids = Vec::new();
    for i in 0..200 {
        let url = if i % 2 == 0 { &url_a } else { &url_b };
        let body = json!({"start": start, "end": start + 1800, "reminders": ["-PT10M"],
                          "hosts": [{}], "guests": [{"phone": format!("+1415555{i:04}")}]});
        let (status, _, visit) = post(&format!("{url}/v1/visits"), &key, body, None);
        assert_eq!(status, 201, "{visit}");
        ids.push(visit["id"].as_str().unwrap().to_owned());
    }
    assert!(unix_now() < due, "booking took past the reminders' time");

    // Some texts are out: kill the first process with its round in flight, start it again.
    let sent_before = wait_for_outbox(&broker_url, 10, Duration::from_secs(60)).len();
    first.kill_hard();
    assert!(
        sent_before < 200,
        "everything was sent before the kill: nothing was tested"
    );
    let (_restarted, _) = start_serve(&broker_url, &database, &flags);

    let items = wait_for_outbox(&broker_url, 200, Duration::from_secs(120));
    // Past another lease and a few rounds: nothing more comes.
    std::thread::sleep(Duration::from_secs(5));
    let items_after = outbox(&broker_url);
    assert_eq!(items_after.len(), 200, "{} invites", items_after.len());
    let meetings: HashSet<&str> = items
        .iter()
        .map(|invite| invite["meetingId"].as_str().unwrap())
        .collect();
    assert_eq!(meetings.len(), 200, "each visit's meeting texted once");
    // Each visit has one meeting, its links made once, its reminder done. A job taken over
    // from the killed process commits "done" only after the broker's slow answer, which may be
    // after its invite is in the outbox: each visit is read until its jobs are done.
    let settled = Instant::now();
    for id in &ids {
        let within = Duration::from_secs(30).saturating_sub(settled.elapsed());
        let visit = wait_until(within, || {
            let (status, visit) = get(&format!("{url_b}/v1/visits/{id}"), &key);
            assert_eq!(status, 200, "{visit}");
            let done = visit["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| j["kind"] == "remind" || j["kind"] == "mint")
                .all(|job| job["state"] == "done");
            if done {
                Ok(visit)
            } else {
                Err(format!("{visit:#}"))
            }
        });
        let chat_id = visit["chatId"].as_str().unwrap();
        let (_, meeting) = get(&format!("{url_b}/v1/meetings/{chat_id}"), &key);
        assert_eq!(meeting["guests"].as_array().unwrap().len(), 1, "{meeting}");
    }
}
