//! The web console over HTTP: pages are open shells with a strict Content-Security-Policy;
//! fragments need the API key, escape what they show and place errors by field. (The browser
//! tests, in headless Chromium, are `crates/icnode/tests/cli/console.rs`.)

use reqwest::StatusCode;
use reqwest::header::CONTENT_SECURITY_POLICY;

use crate::{Db, TestApp, on_both_databases, spawn_app};

const XSS: &str = "<img src=x onerror=alert(1)>";

async fn fragment(
    app: &TestApp,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, String) {
    let url = format!("{}{path}", app.url);
    let request = match form {
        Some(form) => app.http.post(url).form(form),
        None => app.http.get(url),
    };
    let response = request.bearer_auth(&app.key).send().await.unwrap();
    let status = response.status();
    let csp = response.headers().get(CONTENT_SECURITY_POLICY).cloned();
    assert_eq!(
        csp.as_ref().and_then(|v| v.to_str().ok()),
        Some(server::http::CONTENT_SECURITY_POLICY),
        "{path}"
    );
    (status, response.text().await.unwrap())
}

async fn pages_are_open_shells_with_a_strict_policy_and_fragments_need_the_key(db: Db) {
    let app = spawn_app(db).await;
    for path in ["/", "/signin", "/meetings", "/meetings/x", "/status"] {
        let response = app
            .http
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"<script src="/console/console.js" defer>"#),
            "{path}"
        );
        assert!(
            !html.contains("<script>") && !html.contains(" style="),
            "{path}: inline script or style"
        );
    }
    let refused = app
        .http
        .get(format!("{}/console/f/status", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let (status, html) = fragment(&app, "/console/f/status", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("broker reachable and token accepted"),
        "{html}"
    );
    assert!(html.contains(env!("CARGO_PKG_VERSION")), "{html}");
}

async fn a_meeting_made_in_the_console_shows_escaped_links_with_qr_codes(db: Db) {
    let app = spawn_app(db).await;
    let form = [
        ("chatId", XSS),
        ("hosts", "1"),
        ("guests", "2"),
        ("validity", "3600"),
        ("vertical", "gen"),
    ];
    let (status, html) = fragment(&app, "/console/f/meetings", Some(&form)).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    assert!(!html.contains("<img"), "the chat id must be text: {html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{html}"
    );
    assert_eq!(html.matches("<svg").count(), 3, "a QR code per link");
    assert_eq!(html.matches("data-link-url").count(), 3);
    // The meeting page of that chat id, by its encoded path, and its list entry.
    let encoded = "%3Cimg%20src=x%20onerror=alert(1)%3E";
    assert!(html.contains(&format!("/meetings/{encoded}")), "{html}");
    let (status, page) = fragment(&app, &format!("/console/f/meetings/{encoded}"), None).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(!page.contains("<img") && page.contains("&lt;img"), "{page}");
    let (_, list) = fragment(&app, "/console/f/meetings?chatIdPrefix=%3Cimg", None).await;
    assert!(!list.contains("<img") && list.contains("&lt;img"), "{list}");
}

async fn form_errors_stand_by_their_fields_and_keep_what_was_typed(db: Db) {
    let app = spawn_app(db).await;
    let form = [
        ("chatId", "typed-id"),
        ("hosts", "99"),
        ("guests", "1"),
        ("validity", "900"),
    ];
    let (status, html) = fragment(&app, "/console/f/meetings", Some(&form)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains(r#"id="hosts" name="hosts" type="number" min="0" max="25" required value="99" aria-describedby="hosts-error" aria-invalid="true""#), "{html}");
    let error = html.split(r#"id="hosts-error""#).nth(1).unwrap();
    assert!(error.split("</p>").next().unwrap().contains("25"), "{html}");
    assert!(
        html.contains(r#"value="typed-id""#),
        "what was typed is kept: {html}"
    );

    let custom = [
        ("validity", "custom"),
        ("expiresAt", "not a time"),
        ("hosts", "1"),
        ("guests", "1"),
    ];
    let (status, html) = fragment(&app, "/console/f/meetings", Some(&custom)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="expiresAt-error">must be a date and time"#),
        "{html}"
    );
    assert_eq!(
        app.meeting_count().await,
        0,
        "nothing is stored for a refused form"
    );
}

async fn guests_and_invites_from_the_meeting_page(db: Db) {
    let app = spawn_app(db).await;
    let form = [
        ("chatId", "visit-7"),
        ("hosts", "1"),
        ("guests", "1"),
        ("validity", "900"),
    ];
    let (status, _) = fragment(&app, "/console/f/meetings", Some(&form)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, html) = fragment(
        &app,
        "/console/f/meetings/visit-7/guests",
        Some(&[("count", "2")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Added 2 guest links."), "{html}");
    assert_eq!(html.matches(r#"data-role="guest""#).count(), 3);

    let (status, html) = fragment(
        &app,
        "/console/f/meetings/visit-7/invite",
        Some(&[("phones", "+1555, nope")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains(r#"value="+1555, nope""#),
        "what was typed is kept: {html}"
    );
    let (status, html) = fragment(
        &app,
        "/console/f/meetings/visit-7/invite",
        Some(&[("phones", "+14155550100")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Invite sent to 1 number"), "{html}");
}

on_both_databases!(
    pages_are_open_shells_with_a_strict_policy_and_fragments_need_the_key,
    a_meeting_made_in_the_console_shows_escaped_links_with_qr_codes,
    form_errors_stand_by_their_fields_and_keep_what_was_typed,
    guests_and_invites_from_the_meeting_page,
);
