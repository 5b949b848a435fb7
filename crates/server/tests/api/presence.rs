//! Presence on both databases, from the real broker's join pages pressed as a browser presses
//! them: a guest in before any host waits, the first host's join, the last one out; each press
//! kept and told once by two processes reading the same broker; the events followed live on
//! `GET /v1/events`; and a visit nobody came to becoming a no-show while one whose link was
//! opened does not.

use std::time::{Duration, Instant};

use instant_connect::Clock as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::domain::TenantId;

use crate::{Db, Options, TestApp, on_both_databases, spawn_app_with};

const MINUTE: i64 = 60;

async fn app(db: Db) -> TestApp {
    spawn_app_with(
        db,
        Options {
            presence_every: Some(Duration::from_millis(20)),
            jobs_every: Some(Duration::from_millis(20)),
            ..Options::default()
        },
    )
    .await
}

/// Follows an own link's redirects to its join page, then presses its button (`join` or
/// `leave`), as a browser does.
pub async fn press(app: &TestApp, link: &str, action: &str) {
    let mut url = link.to_owned();
    for _ in 0..5 {
        let answer = app.http.get(&url).send().await.unwrap();
        match answer.headers().get("location") {
            Some(to) => {
                url = reqwest::Url::parse(&url)
                    .unwrap()
                    .join(to.to_str().unwrap())
                    .unwrap()
                    .to_string();
            }
            None => {
                assert_eq!(answer.status(), StatusCode::OK, "{url}");
                break;
            }
        }
    }
    let pressed = app
        .http
        .post(&url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!("action={action}"))
        .send()
        .await
        .unwrap();
    assert_eq!(pressed.status(), StatusCode::OK, "{action} at {url}");
}

/// Waits until the meeting's `presence` satisfies `done`.
pub async fn presence_until(app: &TestApp, chat_id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (status, meeting) = app.get(&format!("/v1/meetings/{chat_id}")).await;
        assert_eq!(status, StatusCode::OK, "{meeting}");
        if done(&meeting["presence"]) {
            return meeting["presence"].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "presence never got there: {meeting:#}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The presence events of the default tenant, in order: (type, data).
async fn presence_events(app: &TestApp) -> Vec<(String, Value)> {
    let events = app
        .store
        .events_since(&TenantId::default_tenant(), 0, 5000)
        .await
        .unwrap();
    events
        .into_iter()
        .filter(|e| ["guest.waiting", "host.joined", "meeting.ended"].contains(&e.event.as_str()))
        .map(|e| {
            let payload: Value = serde_json::from_str(&e.payload).unwrap();
            (e.event.as_str().to_owned(), payload["data"].clone())
        })
        .collect()
}

async fn a_guest_before_the_host_waits_until_the_host_joins_and_the_last_out_ends_it(db: Db) {
    let mut app = app(db).await;
    // A second process reads the same broker's presses into the same database.
    app.spawn_beside().await;
    let (status, meeting) = app
        .post(
            "/v1/meetings",
            json!({"chatId": "clinic-7", "hosts": 1, "guests": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{meeting}");
    let link = |role: &str, i: usize| meeting[role][i]["url"].as_str().unwrap().to_owned();
    let (_, before) = app.get("/v1/meetings/clinic-7").await;
    assert!(before.get("presence").is_none(), "nobody joined: {before}");

    press(&app, &link("guests", 0), "join").await;
    let waiting = presence_until(&app, "clinic-7", |p| p["guests"] == 1).await;
    assert_eq!(waiting["hosts"], 0);
    let since = waiting["waitingSince"].as_str().unwrap().to_owned();
    assert_eq!(since, instant_connect::rfc3339(app.clock.now()));
    let list = app
        .http
        .get(format!("{}/console/f/waiting", app.url))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(&format!(
            r#">clinic-7</a>: 1 guest(s) waiting since <time datetime="{since}" data-local>"#
        )),
        "{list}"
    );
    let shown = app
        .http
        .get(format!("{}/console/f/meetings/clinic-7/presence", app.url))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains(&format!(
            r#"<strong>A guest is waiting</strong> since <time datetime="{since}" data-local>"#
        )),
        "{shown}"
    );

    // The host joins: nobody waits; the second guest comes to a host and does not wait.
    press(&app, &link("hosts", 0), "join").await;
    let joined = presence_until(&app, "clinic-7", |p| p["hosts"] == 1).await;
    assert!(joined.get("waitingSince").is_none(), "{joined}");
    press(&app, &link("guests", 1), "join").await;
    presence_until(&app, "clinic-7", |p| p["guests"] == 2).await;
    // A second Join of someone in changes nothing.
    press(&app, &link("guests", 1), "join").await;

    // The host leaves: the guests wait again; the last one out ends it.
    press(&app, &link("hosts", 0), "leave").await;
    presence_until(&app, "clinic-7", |p| {
        p["hosts"] == 0 && p["waitingSince"].is_string()
    })
    .await;
    press(&app, &link("guests", 0), "leave").await;
    press(&app, &link("guests", 1), "leave").await;
    let ended = presence_until(&app, "clinic-7", |p| p["guests"] == 0).await;
    assert_eq!(
        ended,
        json!({"hosts": 0, "guests": 0}),
        "nobody waits in an empty room"
    );

    // Each press told once, though two processes read them all.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let told = presence_events(&app).await;
    let types: Vec<&str> = told.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "guest.waiting",
            "host.joined",
            "guest.waiting",
            "meeting.ended"
        ],
        "{told:#?}"
    );
    assert_eq!(told[0].1, json!({"chatId": "clinic-7", "guests": 1}));
    assert_eq!(told[1].1, json!({"chatId": "clinic-7", "guests": 1}));
    assert_eq!(told[2].1, json!({"chatId": "clinic-7", "guests": 2}));
    assert_eq!(told[3].1, json!({"chatId": "clinic-7"}));
}

async fn the_events_are_followed_live(db: Db) {
    let app = app(db).await;
    let (_, meeting) = app
        .post("/v1/meetings", json!({"chatId": "live-1", "guests": 1}))
        .await;
    let answer = app
        .http
        .get(format!("{}/v1/events", app.url))
        .bearer_auth(&app.key)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut stream = answer;
    press(&app, meeting["guests"][0]["url"].as_str().unwrap(), "join").await;
    let mut heard = String::new();
    let started = Instant::now();
    while !heard.contains("event: guest.waiting") {
        assert!(started.elapsed() < Duration::from_secs(10), "{heard}");
        let chunk = tokio::time::timeout(Duration::from_secs(10), stream.chunk())
            .await
            .expect("an event in time")
            .unwrap()
            .expect("the stream is open");
        heard.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    // The open came first, then the wait; each with its id and the webhook's JSON.
    let opened = heard.find("event: link.opened").expect("the open, live");
    assert!(
        opened < heard.find("event: guest.waiting").unwrap(),
        "{heard}"
    );
    let data = heard
        .lines()
        .skip_while(|l| *l != "event: guest.waiting")
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap();
    let payload: Value = serde_json::from_str(data).unwrap();
    assert_eq!(payload["type"], "guest.waiting");
    assert_eq!(payload["data"]["chatId"], "live-1");
    // Another tenant's key hears nothing of this tenant.
    let other = app
        .key_of("elsewhere", server::domain::KeyRole::Viewer, "viewer")
        .await;
    let theirs = app
        .http
        .get(format!("{}/v1/events", app.url))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), StatusCode::OK);
    let mut theirs = theirs;
    press(&app, meeting["guests"][0]["url"].as_str().unwrap(), "leave").await;
    let nothing = tokio::time::timeout(Duration::from_millis(600), theirs.chunk()).await;
    assert!(
        nothing.is_err() || !format!("{nothing:?}").contains("live-1"),
        "{nothing:?}"
    );
}

async fn a_visit_nobody_came_to_is_a_no_show_and_one_whose_link_was_opened_is_not(db: Db) {
    let app = app(db).await;
    let start = app.clock.now() + 10 * MINUTE;
    let book = |chat: &str| {
        json!({"start": start, "end": start + 30 * MINUTE, "reminders": [],
               "hosts": [{"name": chat}], "guests": [{}]})
    };
    let (_, empty) = app.post("/v1/visits", book("nobody")).await;
    let (_, opened) = app.post("/v1/visits", book("someone")).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    // Their links are made 15 minutes before the start: at once.
    let ready = wait_for(&app, &id(&opened), |v| v["state"] == "ready").await;
    let guest = ready["guests"][0]["link"]["url"].as_str().unwrap();
    let status = app.http.get(guest).send().await.unwrap().status();
    assert_eq!(status, StatusCode::FOUND);

    // The start and the grace pass.
    app.clock.advance(Duration::from_secs((25 * MINUTE) as u64));
    let no_show = wait_for(&app, &id(&empty), |v| v["state"] == "no_show").await;
    assert_eq!(
        no_show["noShowAt"],
        instant_connect::rfc3339(app.clock.now())
    );
    let came = wait_for(&app, &id(&opened), |v| {
        v["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|j| j["kind"] == "no_show" && j["state"] == "done")
    })
    .await;
    assert_eq!(came["state"], "in_progress", "{came:#}");
    // A late guest is told of, and does not undo the no-show.
    let late = no_show["guests"][0]["link"]["url"]
        .as_str()
        .unwrap()
        .to_owned();
    press(&app, &late, "join").await;
    presence_until(&app, no_show["chatId"].as_str().unwrap(), |p| {
        p["guests"] == 1
    })
    .await;
    // The end does not undo a no-show; the other visit ends.
    app.clock.advance(Duration::from_secs((20 * MINUTE) as u64));
    wait_for(&app, &id(&opened), |v| v["state"] == "ended").await;
    let (_, still) = app.get(&format!("/v1/visits/{}", id(&empty))).await;
    assert_eq!(still["state"], "no_show", "{still:#}");
    let events = app
        .store
        .events_since(&TenantId::default_tenant(), 0, 5000)
        .await
        .unwrap();
    let no_shows: Vec<Value> = events
        .iter()
        .filter(|e| e.event.as_str() == "visit.no_show")
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect();
    assert_eq!(no_shows.len(), 1, "{no_shows:#?}");
    assert_eq!(no_shows[0]["data"]["visitId"], id(&empty).as_str());
}

/// One round reads a backlog longer than a page, and says how many presses it kept; a round
/// with nothing new keeps nothing.
async fn a_round_reads_a_backlog_of_many_pages(db: Db) {
    // No reader runs in the service: the test's own reads.
    let app = spawn_app_with(db, Options::default()).await;
    let (_, meeting) = app
        .post("/v1/meetings", json!({"chatId": "busy", "guests": 1}))
        .await;
    let guest = meeting["guests"][0]["url"].as_str().unwrap().to_owned();
    // 231 presses, more than a page of 200: join and leave, and a join to end.
    for i in 0..231 {
        let action = if i % 2 == 0 { "join" } else { "leave" };
        press(&app, &guest, action).await;
    }
    let metrics = std::sync::Arc::new(server::metrics::Metrics::new(
        app.store.commit_counts(),
        app.store.key_check_counts(),
    ));
    let clock: std::sync::Arc<dyn instant_connect::Clock> = std::sync::Arc::new(app.clock.clone());
    let broker = server::broker::Broker::new(&app.settings.broker, clock, metrics).unwrap();
    let reader = server::presence::PresenceReader::new(app.store.clone(), broker, None);
    assert_eq!(reader.round().await.unwrap(), 231);
    assert_eq!(reader.round().await.unwrap(), 0);
    let (_, read) = app.get("/v1/meetings/busy").await;
    assert_eq!(read["presence"]["guests"], 1, "{}", read["presence"]);
    let told = presence_events(&app).await;
    let waits = told.iter().filter(|(t, _)| t == "guest.waiting").count();
    assert_eq!(
        (waits, told.len() - waits),
        (116, 115),
        "a wait for each join, an end for each leave"
    );
}

/// Against a broker that keeps no joins (as production): one read, said once, and no more.
async fn a_broker_without_joins_is_asked_once_and_said_once(db: Db) {
    // A stand-in on loopback that answers every request 404, counting them.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = asked.clone();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await;
            let _ = socket
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
        }
    });
    let _app = spawn_app_with(
        db,
        Options {
            broker_url: Some(url),
            presence_every: Some(Duration::from_millis(20)),
            ..Options::default()
        },
    )
    .await;
    crate::logs_until(Duration::from_secs(10), |logs| {
        logs.contains("the broker keeps no joins")
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(asked.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A guest who closed the page without leaving waits, in "Waiting now", only as long as the
/// meeting's links work.
async fn waiting_now_ends_with_the_meetings_links(db: Db) {
    let app = app(db).await;
    let (_, meeting) = app
        .post("/v1/meetings", json!({"chatId": "left-open", "guests": 1}))
        .await;
    press(&app, meeting["guests"][0]["url"].as_str().unwrap(), "join").await;
    presence_until(&app, "left-open", |p| p["guests"] == 1).await;
    let waiting = || async {
        app.http
            .get(format!("{}/console/f/waiting", app.url))
            .bearer_auth(&app.key)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(waiting().await.contains(">left-open</a>"));
    let expires = meeting["expiresAt"]
        .as_str()
        .unwrap()
        .parse::<jiff::Timestamp>();
    let left = expires.unwrap().as_second() - app.clock.now();
    app.clock.advance(Duration::from_secs(left as u64 - 1));
    assert!(
        waiting().await.contains(">left-open</a>"),
        "a second before"
    );
    app.clock.advance(Duration::from_secs(1));
    let after = waiting().await;
    assert!(after.contains("No guest is waiting."), "{after}");
}

/// The pages name their live parts: what each loads and which events load it again.
async fn the_pages_name_their_live_parts(db: Db) {
    let app = app(db).await;
    let page = |path: &str| {
        let url = format!("{}{path}", app.url);
        let http = app.http.clone();
        async move { http.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let meeting = page("/meetings/clinic%207").await;
    assert!(
        meeting.contains(
            r#"data-load="/console/f/meetings/clinic%207/presence" data-live="guest.waiting host.joined meeting.ended link.opened links.added" data-live-chat="clinic 7""#
        ),
        "{meeting}"
    );
    let visit = page("/visits/01a24d31-11a2-73dd-ab46-727192dda779").await;
    assert!(
        visit.contains(r#"data-live-chat="visit-01a24d31-11a2-73dd-ab46-727192dda779""#),
        "{visit}"
    );
    let meetings = page("/meetings").await;
    assert!(
        meetings.contains(
            r#"data-load="/console/f/waiting" data-live="guest.waiting host.joined meeting.ended""#
        ),
        "{meetings}"
    );
}

/// A visit shorter than the grace ends before anyone can be late: nobody came, and it is a
/// no-show after its end.
async fn a_short_visit_nobody_came_to_is_a_no_show_after_its_end(db: Db) {
    let app = app(db).await;
    let start = app.clock.now() + 10 * MINUTE;
    let (_, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + 5 * MINUTE, "reminders": [],
                   "hosts": [{}], "guests": [{}]}),
        )
        .await;
    let id = visit["id"].as_str().unwrap().to_owned();
    app.clock.advance(Duration::from_secs((16 * MINUTE) as u64));
    let ended = wait_for(&app, &id, |v| v["state"] == "ended").await;
    assert!(ended["endedAt"].is_string());
    app.clock.advance(Duration::from_secs((10 * MINUTE) as u64));
    let no_show = wait_for(&app, &id, |v| v["state"] == "no_show").await;
    assert!(no_show["noShowAt"].is_string(), "{no_show:#}");
}

/// With `--alert-host-after 5m`: a wait that lasts emails the visit's hosts (no calendar
/// invitation with it), once; a wait that ends in time emails no one.
async fn a_guest_who_waits_long_has_the_hosts_emailed_once(db: Db) {
    let outbox = tempfile::tempdir().unwrap();
    let mail = server::mail::MailSettings {
        transport: server::mail::MailTransport::Outbox(outbox.path().join("mail")),
        from: "Clinic <visits@clinic.example>".into(),
    };
    let app = spawn_app_with(
        db,
        Options {
            presence_every: Some(Duration::from_millis(20)),
            jobs_every: Some(Duration::from_millis(20)),
            host_alert_after: Some(Duration::from_secs(5 * 60)),
            mail: Some(mail),
            ..Options::default()
        },
    )
    .await;
    let start = app.clock.now() + 10 * MINUTE;
    let book = json!({"start": start, "end": start + 30 * MINUTE, "reminders": [],
                      "hosts": [{"name": "Dr Ada", "email": "ada@clinic.example"}],
                      "guests": [{"name": "Bo"}]});
    let (_, long) = app.post("/v1/visits", book.clone()).await;
    let (_, short) = app.post("/v1/visits", book).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let long = wait_for(&app, &id(&long), |v| v["state"] == "ready").await;
    let short = wait_for(&app, &id(&short), |v| v["state"] == "ready").await;
    let guest = |v: &Value| v["guests"][0]["link"]["url"].as_str().unwrap().to_owned();
    let host = |v: &Value| v["hosts"][0]["link"]["url"].as_str().unwrap().to_owned();
    press(&app, &guest(&long), "join").await;
    press(&app, &guest(&short), "join").await;
    let alerts = |v: &Value| -> Vec<Value> {
        v["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|j| j["kind"] == "alert_host")
            .cloned()
            .collect()
    };
    wait_for(&app, &id(&short), |v| alerts(v).len() == 1).await;
    // The short wait ends before the alert is due: the host joins.
    press(&app, &host(&short), "join").await;
    let short_chat = short["chatId"].as_str().unwrap();
    presence_until(&app, short_chat, |p| p["hosts"] == 1).await;

    app.clock.advance(Duration::from_secs((5 * MINUTE) as u64));
    let alerted = wait_for(&app, &id(&long), |v| {
        alerts(v).first().is_some_and(|j| j["state"] == "done")
    })
    .await;
    let sent: Vec<&Value> = alerted["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "waiting")
        .collect();
    assert_eq!(sent.len(), 1, "{alerted:#}");
    assert_eq!(sent[0]["recipient"], "ada@clinic.example");
    assert_eq!(sent[0]["outcome"], "sent", "{alerted:#}");
    let skipped = wait_for(&app, &id(&short), |v| {
        alerts(v).first().is_some_and(|j| j["state"] == "dropped")
    })
    .await;
    assert!(
        !skipped["messages"].to_string().contains("\"waiting\""),
        "{skipped:#}"
    );
    // The one email: to the host, with the host's own link, and no calendar invitation.
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(outbox.path().join("mail"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    let waiting: Vec<String> = files
        .iter()
        .map(|file| std::fs::read_to_string(file).unwrap())
        .filter(|mail| mail.contains("A guest is waiting"))
        .collect();
    assert_eq!(waiting.len(), 1, "{files:?}");
    assert!(waiting[0].contains(&host(&alerted)), "{}", waiting[0]);
    assert!(!waiting[0].contains("text/calendar"), "{}", waiting[0]);
}

/// Waits until the visit `id` satisfies `done` (the clock as it is).
async fn wait_for(app: &TestApp, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    crate::visits::advance_until(app, id, 0, done).await
}

on_both_databases!(
    a_guest_before_the_host_waits_until_the_host_joins_and_the_last_out_ends_it,
    the_events_are_followed_live,
    a_visit_nobody_came_to_is_a_no_show_and_one_whose_link_was_opened_is_not,
    a_guest_who_waits_long_has_the_hosts_emailed_once,
    a_round_reads_a_backlog_of_many_pages,
    a_broker_without_joins_is_asked_once_and_said_once,
    waiting_now_ends_with_the_meetings_links,
    the_pages_name_their_live_parts,
    a_short_visit_nobody_came_to_is_a_no_show_after_its_end,
);
