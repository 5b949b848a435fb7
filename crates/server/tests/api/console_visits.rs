//! The console's visits and mail outbox over HTTP, on both databases: the pages are open shells,
//! the fragments need the key; a visit booked in the form (a bad one's errors each by its
//! field), shown with its people, links, reminders, jobs and messages, moved, cancelled, and
//! listed by start with a state filter; the outbox shows a booking's invitation, to an admin
//! of the tenant `default` only. (In Chromium: `crates/icnode/tests/cli/console.rs`.)

use std::time::Duration;

use instant_connect::Clock as _;
use reqwest::StatusCode;
use reqwest::header::CONTENT_SECURITY_POLICY;
use serde_json::json;
use server::domain::KeyRole;
use server::mail::{MailSettings, MailTransport};

use crate::console::fragment_with_key;
use crate::{Db, Options, TestApp, on_both_databases, spawn_app_with};

const XSS: &str = "<img src=x onerror=alert(1)>";
const HOUR: i64 = 3600;
const DAY: i64 = 24 * HOUR;
const BERLIN: &str = "Europe/Berlin";

async fn app(db: Db, mail: Option<MailSettings>) -> TestApp {
    spawn_app_with(
        db,
        Options {
            jobs_every: Some(Duration::from_millis(20)),
            mail,
            ..Options::default()
        },
    )
    .await
}

async fn fragment(
    app: &TestApp,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, String) {
    fragment_with_key(app, &app.key, path, form).await
}

/// `seconds` as a `datetime-local` input holds it, a wall time in Berlin.
fn berlin(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get(BERLIN).unwrap())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A whole minute `seconds` from now.
fn minute_from_now(app: &TestApp, seconds: i64) -> i64 {
    (app.clock.now() + seconds) / 60 * 60
}

/// The error paragraph of the field whose id is `id`.
fn error_of<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"id="{id}-error">"#))
        .unwrap_or_else(|| panic!("no error of {id}: {html}"));
    let rest = &html[start..];
    &rest[..rest.find("</p>").unwrap()]
}

/// The id of the visit the booking's answer links to.
fn booked_id(html: &str) -> String {
    let start = html.find(r#"href="/visits/"#).expect(html) + r#"href="/visits/"#.len();
    html[start..][..html[start..].find('"').unwrap()].to_owned()
}

async fn visit_pages_are_open_shells_and_their_fragments_need_the_key(db: Db) {
    let app = app(db, None).await;
    for path in [
        "/visits",
        "/visits/x",
        "/visits?state=cancelled",
        "/mail",
        "/webhooks",
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()[CONTENT_SECURITY_POLICY],
            server::http::CONTENT_SECURITY_POLICY
        );
        let html = response.text().await.unwrap();
        assert!(
            !html.contains("<script>") && !html.contains(" style="),
            "{path}"
        );
        for nav in [
            r#"<a href="/visits""#,
            r#"<a href="/mail""#,
            r#"<a href="/webhooks""#,
        ] {
            assert!(html.contains(nav), "{path} has {nav} in its navigation");
        }
    }
    let shell = app
        .http
        .get(format!("{}/visits?state=cancelled", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shell.contains(r#"<option value="cancelled" selected>"#),
        "{shell}"
    );
    assert!(
        shell.contains(r#"data-load="/console/f/visits" data-query"#),
        "{shell}"
    );
    for (post, path) in [
        (false, "/console/f/visits"),
        (true, "/console/f/visits"),
        (false, "/console/f/visits/x"),
        (true, "/console/f/visits/x/move"),
        (true, "/console/f/visits/x/cancel"),
        (false, "/console/f/mail"),
        (false, "/console/f/webhooks"),
        (true, "/console/f/webhooks"),
        (true, "/console/f/webhooks/x/test"),
        (true, "/console/f/webhooks/x/rotate"),
        (true, "/console/f/webhooks/x/delete"),
        (true, "/console/f/webhooks/x/deliveries/y/replay"),
    ] {
        let url = format!("{}{path}", app.url);
        let request = if post {
            app.http.post(url)
        } else {
            app.http.get(url)
        };
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let (status, html) = fragment(&app, "/console/f/visits/nope", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert!(html.contains("no visit `nope`"), "{html}");
}

async fn a_bad_booking_shows_each_error_by_its_field_and_keeps_what_was_typed(db: Db) {
    let app = app(db, None).await;
    let start = berlin(minute_from_now(&app, DAY));
    let end = berlin(minute_from_now(&app, DAY + HOUR));
    let form = [
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("timeZone", BERLIN),
        ("hosts[0].name", XSS),
        ("guests[0].phone", "555-0100"),
        // An empty row is left out: the third row is the request's second guest, and its
        // error stands by the third row.
        ("guests[1].name", ""),
        ("guests[2].email", "not-an-address"),
        ("reminders", "-PT1H, PT15M"),
        ("notes", "notes"),
    ];
    let (status, html) = fragment(&app, "/console/f/visits", Some(&form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        error_of(&html, "guests-0-phone").contains("guests[0].phone: "),
        "{html}"
    );
    assert!(
        error_of(&html, "guests-2-email").contains("guests[2].email: "),
        "{html}"
    );
    assert!(
        error_of(&html, "reminders").contains("reminders[1]: "),
        "{html}"
    );
    for id in ["guests-0-phone", "guests-2-email", "reminders"] {
        assert!(
            html.contains(&format!(
                r#"aria-describedby="{id}-error" aria-invalid="true""#
            )) || html.contains(&format!(
                r#"aria-describedby="{id}-hint {id}-error" aria-invalid="true""#
            )),
            "{id} is marked invalid: {html}"
        );
    }
    // Three guest rows, as typed, the name as text.
    assert!(
        html.contains(r#"id="guests-2-email" name="guests[2].email" type="email""#),
        "{html}"
    );
    assert!(html.contains(r#"value="not-an-address""#), "{html}");
    assert!(
        !html.contains("<img") && html.contains("&lt;img src=x"),
        "{html}"
    );

    // A wall time with no zone, and a start in the past: each by its field.
    let past = berlin(minute_from_now(&app, -HOUR));
    let form = [
        ("start", past.as_str()),
        ("end", end.as_str()),
        ("timeZone", "Mars/Olympus"),
    ];
    let (status, html) = fragment(&app, "/console/f/visits", Some(&form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(error_of(&html, "timeZone").contains("timeZone: "), "{html}");
    let form = [
        ("start", past.as_str()),
        ("end", end.as_str()),
        ("timeZone", BERLIN),
    ];
    let (status, html) = fragment(&app, "/console/f/visits", Some(&form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(error_of(&html, "start").contains("start: "), "{html}");
    let (_, page) = app.get("/v1/visits").await;
    assert_eq!(page["items"], json!([]), "nothing booked: {page}");

    // A viewer may look but not book.
    let viewer = app.key_of("default", KeyRole::Viewer, "viewer").await;
    let start = berlin(minute_from_now(&app, DAY));
    let form = [
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("timeZone", BERLIN),
    ];
    let (status, html) = fragment_with_key(&app, &viewer, "/console/f/visits", Some(&form)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains(r#"<p class="alert" role="alert">"#), "{html}");
}

/// Waits until the visit's fragment shows `wanted` (the service's rounds run every 20 ms).
async fn fragment_until(app: &TestApp, path: &str, wanted: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        let (status, html) = fragment(app, path, None).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        if html.contains(wanted) {
            return html;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never {wanted}: {html}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_visit_booked_in_the_console_is_shown_moved_and_cancelled(db: Db) {
    let app = app(db, None).await;
    let at = minute_from_now(&app, 2 * DAY);
    let (start, end) = (berlin(at), berlin(at + HOUR / 2));
    let form = [
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("timeZone", BERLIN),
        ("hosts[0].name", XSS),
        ("hosts[0].email", "ada@example.com"),
        ("guests[0].name", "Grace"),
        ("guests[0].phone", "+14155550100"),
        ("guests[0].language", "de-CH"),
        ("guests[1].name", "Alan"),
        ("reminders", "-PT1H, -PT15M"),
        ("notes", "allergic to penicillin"),
    ];
    let (status, html) = fragment(&app, "/console/f/visits", Some(&form)).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    assert!(
        html.contains("Visit booked") && html.contains(r#"data-refresh="visits""#),
        "{html}"
    );
    // The next booking's form keeps the zone and the reminders, and nothing else.
    let next = html.split("</form>").next().unwrap();
    assert!(
        next.contains(r#"value="Europe/Berlin" data-browser-zone"#),
        "{next}"
    );
    assert!(next.contains(r#"value="-PT1H, -PT15M""#), "{next}");
    assert!(!next.contains("Grace"), "{next}");
    let id = booked_id(&html);
    let (_, visit) = app.get(&format!("/v1/visits/{id}")).await;
    assert_eq!(
        visit["start"],
        instant_connect::rfc3339(at),
        "read in Berlin: {visit}"
    );
    assert_eq!(visit["timeZone"], BERLIN);
    assert_eq!(visit["hosts"][0]["name"], XSS);
    assert_eq!(visit["guests"][1]["name"], "Alan");
    assert_eq!(visit["reminders"].as_array().unwrap().len(), 2);

    let path = format!("/console/f/visits/{id}");
    let (status, html) = fragment(&app, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        !html.contains("<img") && html.contains("Host 1: &lt;img src=x"),
        "{html}"
    );
    for shown in [
        r#"<dd data-state="scheduled"><span class="state pending">scheduled</span>"#,
        "Europe/Berlin (every time on this page)",
        "<dd>de-CH</dd>",
        "<dd>+14155550100</dd>",
        "<code>-PT1H</code>",
        "Their link is made",
        r#"<tr data-kind="mint" data-job-state="due">"#,
        "<dt>Booked</dt>",
        "<th scope=\"row\"><code>-PT15M</code></th><td><time datetime=",
        "allergic to penicillin",
        r#"id="move-form""#,
        r#"<details class="confirm">"#,
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    let starts = format!("{}, {}", jiff_day(at), &start[11..]);
    assert!(
        html.contains(&starts),
        "the start in Berlin, {starts}: {html}"
    );

    // With the first reminder the links are made: each person's card shows theirs.
    app.clock
        .advance(Duration::from_secs((2 * DAY - HOUR) as u64));
    let html = fragment_until(&app, &path, r#"data-channel="sms" data-outcome="sent""#).await;
    assert_eq!(html.matches("data-link-url").count(), 3, "{html}");
    assert_eq!(
        html.matches("<svg").count(),
        3,
        "a QR code per link: {html}"
    );
    assert!(html.contains(r#"data-state="ready""#), "{html}");
    assert!(
        html.contains(r#"<a href="/meetings/"#),
        "its meeting: {html}"
    );
    assert!(html.contains("<dt>Links made</dt>"), "{html}");
    for card in ["host-1", "guest-1", "guest-2"] {
        assert!(
            html.contains(&format!(r#"data-copy-from="{card}-url""#)),
            "{card}: {html}"
        );
    }
    assert_eq!(html.matches("data-open>Open").count(), 3, "{html}");
    assert!(!html.contains("Their link is made"), "{html}");

    // Moved an hour later: the new time and the next sequence; the same again changes nothing.
    let (start, end) = (berlin(at + HOUR), berlin(at + HOUR + HOUR / 2));
    let moved = [
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("timeZone", BERLIN),
        ("sequence", "0"),
    ];
    let (status, html) = fragment(&app, &format!("{path}/move"), Some(&moved)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Moved: this is now sequence 1 of the visit."),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"value="{start}""#)),
        "the form shows the new start: {html}"
    );
    let (_, visit) = app.get(&format!("/v1/visits/{id}")).await;
    assert_eq!(visit["start"], instant_connect::rfc3339(at + HOUR));
    let again = [
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("timeZone", BERLIN),
        ("sequence", "1"),
    ];
    let (status, html) = fragment(&app, &format!("{path}/move"), Some(&again)).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Nothing changed: the visit already has this time (sequence 1)."),
        "{html}"
    );
    // An end before the start is said by the end, with what was typed.
    let early = berlin(at);
    let bad = [
        ("start", start.as_str()),
        ("end", early.as_str()),
        ("timeZone", BERLIN),
        ("sequence", "1"),
    ];
    let (status, html) = fragment(&app, &format!("{path}/move"), Some(&bad)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(error_of(&html, "move-end").contains("end: "), "{html}");
    assert!(html.contains(&format!(r#"value="{early}""#)), "{html}");

    // Cancelled, twice alike; it then has no Move or Cancel, and a move is refused in words.
    let (status, html) = fragment(&app, &format!("{path}/cancel"), Some(&[])).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("Cancelled: its reminders will not be sent, and its links no longer open."),
        "{html}"
    );
    assert!(html.contains(r#"data-state="cancelled""#), "{html}");
    assert!(html.contains("<dt>Cancelled</dt>"), "{html}");
    assert!(
        !html.contains("move-form") && !html.contains("cancel-form"),
        "{html}"
    );
    let (_, cancelled) = app.get(&format!("/v1/visits/{id}")).await;
    let (status, again) = fragment(&app, &format!("{path}/cancel"), Some(&[])).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert!(again.contains(r#"data-state="cancelled""#), "{again}");
    let (_, still) = app.get(&format!("/v1/visits/{id}")).await;
    for unchanged in ["state", "sequence", "cancelledAt"] {
        assert_eq!(
            still[unchanged], cancelled[unchanged],
            "cancelling again changes nothing"
        );
    }
    let late = [
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("timeZone", BERLIN),
    ];
    let (status, html) = fragment(&app, &format!("{path}/move"), Some(&late)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{html}");
    assert!(
        html.contains(r#"<p class="alert" role="alert""#) && html.contains("cancelled"),
        "{html}"
    );
}

/// `seconds` in Berlin as the console writes a day: `Mon 1 Jul 2030`.
fn jiff_day(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get(BERLIN).unwrap())
        .strftime("%a %-d %b %Y")
        .to_string()
}

async fn visits_are_listed_by_start_a_page_at_a_time_and_by_state(db: Db) {
    let app = app(db, None).await;
    let base = minute_from_now(&app, DAY);
    let mut ids = Vec::new();
    // Booked in reverse: listed by start.
    for offset in (0..22).rev() {
        let start = base + offset * HOUR;
        let (status, visit) = app
            .post(
                "/v1/visits",
                json!({"start": start, "end": start + HOUR, "timeZone": BERLIN,
                       "hosts": [{}], "guests": [{}, {}]}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{visit}");
        ids.push(visit["id"].as_str().unwrap().to_owned());
    }
    ids.reverse();
    let (_, cancelled) = app
        .post(&format!("/v1/visits/{}/cancel", ids[3]), json!({}))
        .await;
    assert_eq!(cancelled["state"], "cancelled");

    let (status, first) = fragment(&app, "/console/f/visits", None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        first.matches("<tr>").count(),
        1 + 20,
        "a header and 20 visits: {first}"
    );
    let order: Vec<usize> = ids
        .iter()
        .map(|id| first.find(&format!("/visits/{id}\"")).unwrap_or(usize::MAX))
        .collect();
    assert!(
        order[..20].windows(2).all(|w| w[0] < w[1]) && order[20] == usize::MAX,
        "by start: {first}"
    );
    assert!(
        first.contains("<td class=\"zone\">Europe/Berlin</td>")
            && first.contains("<td>1 host, 2 guests</td>"),
        "{first}"
    );
    let start = first.find(r#"<a rel="next" href="/visits?"#).expect(&first)
        + r#"<a rel="next" href="/visits"#.len();
    let query = &first[start..][..first[start..].find('"').unwrap()];
    let (status, second) = fragment(
        &app,
        &format!("/console/f/visits{}", query.replace("&amp;", "&")),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second.matches("<tr>").count(), 1 + 2, "{second}");
    assert!(
        second.contains(&ids[21]) && !second.contains("rel=\"next\""),
        "{second}"
    );

    let (_, only) = fragment(&app, "/console/f/visits?state=cancelled", None).await;
    assert_eq!(only.matches("<tr>").count(), 1 + 1, "{only}");
    assert!(
        only.contains(&ids[3]) && only.contains(r#"<span class="state expired">cancelled</span>"#),
        "{only}"
    );
    let (_, none) = fragment(&app, "/console/f/visits?state=in_progress", None).await;
    assert!(none.contains("No visits that are in progress."), "{none}");
    let (status, bad) = fragment(&app, "/console/f/visits?state=done", None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    assert!(bad.contains("state: must be one of"), "{bad}");
}

async fn the_mail_outbox_shows_a_bookings_invitation_to_the_services_admins_only(db: Db) {
    let outbox = tempfile::tempdir().unwrap();
    let mail = MailSettings {
        transport: MailTransport::Outbox(outbox.path().join("mail")),
        from: "Clinic <visits@clinic.example>".into(),
    };
    let app = app(db, Some(mail)).await;
    let (status, html) = fragment(&app, "/console/f/mail", None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("No messages yet."), "{html}");
    let start = minute_from_now(&app, DAY);
    let (status, visit) = app
        .post(
            "/v1/visits",
            json!({"start": start, "end": start + HOUR, "timeZone": BERLIN,
                   "hosts": [{"name": XSS, "email": "ada@example.com"}], "guests": [{}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{visit}");
    let html = fragment_until(&app, "/console/f/mail", "END:VCALENDAR").await;
    for shown in [
        "<h2 id=\"mail-0\">Your video visit on ",
        r#"<dd data-invitation="REQUEST">a calendar invitation (<code>REQUEST</code>)</dd>"#,
        "<pre class=\"text\">Hello &lt;img src=x onerror=alert(1)&gt;,",
        "<summary>The whole message (",
        "BEGIN:VCALENDAR",
    ] {
        assert!(html.contains(shown), "{shown} in {html}");
    }
    assert!(!html.contains("<img"), "{html}");
    assert_eq!(html.matches("<article").count(), 1, "{html}");

    // The outbox is every tenant's: a viewer, or another tenant's admin, is refused.
    let viewer = app.key_of("default", KeyRole::Viewer, "viewer").await;
    let other = app.key_of("other", KeyRole::Admin, "other").await;
    for key in [&viewer, &other] {
        let (status, html) = fragment_with_key(&app, key, "/console/f/mail", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
        assert!(!html.contains("ada@example.com"), "{html}");
    }
}

async fn without_an_outbox_the_mail_page_says_where_mail_goes(db: Db) {
    let app = app(db, None).await;
    let (status, html) = fragment(&app, "/console/f/mail", None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("keeps no mail outbox") && html.contains("--smtp-url"),
        "{html}"
    );
}

/// The console's webhooks part lists the tenant's endpoints by their URLs.
async fn the_webhooks_part_lists_each_endpoint(db: Db) {
    let app = spawn_app_with(
        db,
        Options {
            // Loopback, where nothing listens: no event is made, so nothing is sent.
            private_webhooks: true,
            ..Options::default()
        },
    )
    .await;
    let (status, html) = fragment(&app, "/console/f/webhooks", None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(!html.contains("data-webhook="), "none yet: {html}");
    let (status, made) = app
        .post(
            "/v1/webhooks",
            json!({"url": "http://127.0.0.1:9/hook-one", "events": ["visit.no_show"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let (status, html) = fragment(&app, "/console/f/webhooks", None).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let id = made["id"].as_str().unwrap();
    assert!(html.contains(&format!(r#"data-webhook="{id}""#)), "{html}");
    assert!(html.contains("hook-one"), "{html}");
    assert!(html.contains("<code>visit.no_show</code>"), "{html}");
}

on_both_databases!(
    the_webhooks_part_lists_each_endpoint,
    visit_pages_are_open_shells_and_their_fragments_need_the_key,
    a_bad_booking_shows_each_error_by_its_field_and_keeps_what_was_typed,
    a_visit_booked_in_the_console_is_shown_moved_and_cancelled,
    visits_are_listed_by_start_a_page_at_a_time_and_by_state,
    the_mail_outbox_shows_a_bookings_invitation_to_the_services_admins_only,
    without_an_outbox_the_mail_page_says_where_mail_goes,
);
