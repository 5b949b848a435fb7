//! The web console over HTTP: pages are open shells with a strict Content-Security-Policy;
//! fragments need the API key, escape what they show and place errors by field. (The browser
//! tests, in headless Chromium, are `crates/icnode/tests/cli/console.rs`.)

use reqwest::StatusCode;
use reqwest::header::CONTENT_SECURITY_POLICY;

use crate::{Db, Options, TestApp, on_both_databases, spawn_app, spawn_app_with};

const XSS: &str = "<img src=x onerror=alert(1)>";

async fn fragment(
    app: &TestApp,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, String) {
    fragment_with_key(app, &app.key, path, form).await
}

/// A console fragment fetched (or a form posted) with `key`; its answer carries the console's
/// Content-Security-Policy.
pub(crate) async fn fragment_with_key(
    app: &TestApp,
    key: &str,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> (StatusCode, String) {
    let url = format!("{}{path}", app.url);
    let request = match form {
        Some(form) => app.http.post(url).form(form),
        None => app.http.get(url),
    };
    let response = request.bearer_auth(key).send().await.unwrap();
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
    for path in [
        "/",
        "/signin",
        "/meetings",
        "/meetings/x",
        "/status",
        "/nodes",
        "/nodes/instant-connect/add-guest",
        "/console/console.js",
        "/console/console.css",
        // Every page's icon, and the one a page naming none asks for (the broker's join pages
        // in `icnode up`).
        "/console/icon.svg",
        "/favicon.ico",
    ] {
        let response = app
            .http
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        if path.ends_with(".svg") || path.ends_with(".ico") {
            assert_eq!(response.headers()["content-type"], "image/svg+xml");
        }
        let csp = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        let html = response.text().await.unwrap();
        if path.starts_with("/console/") || path.ends_with(".ico") {
            continue;
        }
        assert!(
            html.contains(r#"<link rel="icon" type="image/svg+xml" href="/console/icon.svg">"#),
            "{path} names its icon"
        );
        assert!(
            html.contains(r#"<script src="/console/console.js" defer>"#),
            "{path}"
        );
        assert!(
            !html.contains("<script>") && !html.contains(" style="),
            "{path}: inline script or style"
        );
    }
    for (post, path) in [
        (false, "/console/f/whoami"),
        (false, "/console/f/status"),
        (false, "/console/f/meetings"),
        (true, "/console/f/meetings"),
        (false, "/console/f/meetings/x"),
        (true, "/console/f/meetings/x/guests"),
        (true, "/console/f/meetings/x/invite"),
        (false, "/console/f/nodes"),
        (false, "/console/f/nodes/instant-connect/add-guest"),
        (true, "/console/f/nodes/instant-connect/add-guest"),
        (true, "/console/f/import"),
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
    // Each link's URL and short code as text, and a link that opens it in a new tab.
    let (_, meeting) = app
        .get(&format!(
            "/v1/meetings/{}",
            "%3Cimg%20src=x%20onerror=alert(1)%3E"
        ))
        .await;
    assert_eq!(meeting["vertical"], "gen", "the join pages the form chose");
    for link in meeting["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .chain(meeting["guests"].as_array().unwrap())
    {
        let (url, code) = (
            link["url"].as_str().unwrap(),
            link["code"].as_str().unwrap(),
        );
        assert!(
            !html.contains("<code data-short>"),
            "no broker short code beside an own link: {html}"
        );
        assert!(
            html.contains(&format!(r#"/<wbr>l/<wbr>{code}<wbr></code>"#)),
            "the own link as text, its code whole: {html}"
        );
        assert!(
            html.contains(&format!(
                r#"<a class="button" href="{url}" target="_blank" rel="noopener noreferrer" data-open>Open"#
            )),
            "{url}: {html}"
        );
    }
    // The next meeting's form keeps what was chosen (host sign-in off: not sent), not the id.
    let next = html.split("</form>").next().unwrap();
    for kept in [
        r#"<option value="3600" selected>1 hour</option>"#,
        r#"<option value="gen" selected>General (gen)</option>"#,
        r#"id="guests" name="guests" type="number" min="0" max="25" required value="2""#,
        r#"id="chatId" name="chatId" type="text" maxlength="256" value="""#,
    ] {
        assert!(next.contains(kept), "{kept} not in: {next}");
    }
    assert!(
        next.contains(r#"type="checkbox" value="true">"#),
        "host sign-in stays off: {next}"
    );
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

    // A custom window in the viewer's local time, read in the zone the browser names.
    let custom = [
        ("chatId", "custom-window"),
        ("validity", "custom"),
        // What the browser writes: each local time as typed, and its IANA zone (UTC+1 then).
        ("notBefore", "2030-01-01T09:30"),
        ("expiresAt", "2030-01-01T10:00"),
        ("timeZone", "Europe/Paris"),
        ("hosts", "1"),
        ("guests", "1"),
    ];
    let (status, html) = fragment(&app, "/console/f/meetings", Some(&custom)).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    let (_, meeting) = app.get("/v1/meetings/custom-window").await;
    assert_eq!(meeting["notBefore"], "2030-01-01T08:30:00Z");
    assert_eq!(meeting["expiresAt"], "2030-01-01T09:00:00Z");
    // Its sign-in box left unticked: hosts join without signing in (the API's default is to
    // sign in, so the form says so either way).
    assert_eq!(meeting["hostLogin"], false, "{meeting}");
}

async fn guests_and_invites_from_the_meeting_page(db: Db) {
    let app = spawn_app(db).await;
    let form = [
        ("chatId", "visit-7"),
        ("hosts", "1"),
        ("guests", "1"),
        ("validity", "900"),
        ("hostLogin", "true"),
    ];
    let (status, _) = fragment(&app, "/console/f/meetings", Some(&form)).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, meeting) = app.get("/v1/meetings/visit-7").await;
    assert_eq!(
        meeting["hostLogin"], true,
        "the sign-in box ticked: {meeting}"
    );
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

async fn the_meetings_list_pages_newest_first(db: Db) {
    let app = spawn_app(db).await;
    for n in 0..21 {
        let (status, _) = app
            .post(
                "/v1/meetings",
                serde_json::json!({"chatId": format!("paged-{n:02}"), "guests": 0}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (_, first) = fragment(&app, "/console/f/meetings?chatIdPrefix=paged-", None).await;
    assert_eq!(
        first.matches("<tr><th scope=\"row\">").count(),
        20,
        "{first}"
    );
    let next = first
        .split(r#"rel="next" href="/meetings?"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no next page: {first}"))
        .replace("&amp;", "&");
    assert!(
        next.contains("chatIdPrefix=paged-"),
        "the search is kept: {next}"
    );
    let (_, second) = fragment(&app, &format!("/console/f/meetings?{next}"), None).await;
    assert_eq!(
        second.matches("<tr><th scope=\"row\">").count(),
        1,
        "{second}"
    );
    assert!(
        second.contains(">paged-00</a>") && !second.contains("rel=\"next\""),
        "{second}"
    );
}

on_both_databases!(
    the_meetings_list_pages_newest_first,
    pages_are_open_shells_with_a_strict_policy_and_fragments_need_the_key,
    a_meeting_made_in_the_console_shows_escaped_links_with_qr_codes,
    form_errors_stand_by_their_fields_and_keep_what_was_typed,
    guests_and_invites_from_the_meeting_page,
);

#[tokio::test]
async fn the_node_tester_builds_its_form_from_the_node_ui_and_runs_the_method() {
    let app = spawn_app(Db::Sqlite).await;
    let (status, list) = fragment(&app, "/console/f/nodes", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains(r#"href="/nodes/instant-connect/generate-basic-link""#),
        "{list}"
    );
    let path = "/console/f/nodes/instant-connect/generate-basic-link";
    let (status, form) = fragment(&app, path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(r#"<label for="p-0">Unique chat ID</label>"#),
        "{form}"
    );
    assert!(
        form.contains(r#"name="p:uniquechatId" type="text""#),
        "{form}"
    );
    assert!(
        !form.contains("secret"),
        "a loaded node runs with the service's own secrets: {form}"
    );

    let (status, run) = fragment(&app, path, Some(&[("p:uniquechatId", XSS)])).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert!(run.contains(r#"data-edge="success""#), "{run}");
    assert!(run.contains(r#"data-output="hostshortkey""#), "{run}");
    // The URLs before the short keys, the ciphers last and folded.
    let at = |name: &str| {
        run.find(&format!(r#"data-output="{name}""#))
            .unwrap_or_else(|| panic!("no {name}: {run}"))
    };
    for (before, after) in [
        ("guestUrl", "hostshortkey"),
        ("hostshortkey", "hostcipher"),
        ("guestshortkey", "hostcipher"),
    ] {
        assert!(at(before) < at(after), "{before} before {after}: {run}");
    }
    for cipher in ["hostcipher", "guestcipher"] {
        assert!(
            run[at(cipher)..].starts_with(&format!(r#"data-output="{cipher}"><details><summary>"#)),
            "{cipher} folded: {run}"
        );
    }
    assert!(
        !run.contains("<img") && run.contains(r#"value="&lt;img"#),
        "{run}"
    );

    let (status, refused) = fragment(&app, path, Some(&[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(refused.contains(r#"aria-invalid="true""#), "{refused}");

    // A method's page by names as well as slugs; an unknown one is told with what there is.
    let (status, by_name) =
        fragment(&app, "/console/f/nodes/Instant%20Connect/Add%20Guest", None).await;
    assert_eq!(status, StatusCode::OK, "{by_name}");
    assert!(
        by_name.contains(r#"action="/console/f/nodes/instant-connect/add-guest""#),
        "{by_name}"
    );
    let (status, unknown) = fragment(&app, "/console/f/nodes/instant-connect/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    assert!(
        unknown.contains("`Generate Basic Link` (generate-basic-link), `Add Guest` (add-guest)"),
        "{unknown}"
    );
}

#[tokio::test]
async fn an_imported_node_reaches_no_private_address_unless_allowed() {
    let app = spawn_app_with(
        Db::Sqlite,
        Options {
            node_imports: true,
            ..Options::default()
        },
    )
    .await;
    // A curl line that calls the service itself, on 127.0.0.1, with the caller's own key.
    let curl = format!(
        "curl -X POST {}/v1/meetings -H 'Content-Type: application/json' -d '{{\"chatId\": \"inside\"}}'",
        app.url
    );
    let (status, html) = fragment(
        &app,
        "/console/f/import",
        Some(&[("kind", "curl"), ("source", &curl), ("name", "Inside")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (_, form) = fragment(&app, "/console/f/nodes", None).await;
    let path = form
        .split('"')
        .find(|piece| piece.starts_with("/nodes/inside/"))
        .map(|piece| format!("/console/f{piece}"))
        .unwrap_or_else(|| panic!("the imported node is listed: {form}"));
    let (status, run) = fragment(&app, &path, Some(&[])).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert!(run.contains(r#"data-edge="error""#), "{run}");
    assert!(
        run.contains("is a private or local address, which this node may not reach"),
        "{run}"
    );
    let (status, _) = app.get("/v1/meetings/inside").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing reached the service");
}

#[tokio::test]
async fn an_imported_node_runs_with_the_secrets_typed_for_the_run_only() {
    // The test's broker is on 127.0.0.1: allowed, as `up` allows it.
    let app = spawn_app_with(
        Db::Sqlite,
        Options {
            node_imports: true,
            imported_node_destinations: Some(node::Destinations::Any),
            ..Options::default()
        },
    )
    .await;
    let collection = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../importer/tests/fixtures/instant-connect.postman_collection.json"
    ))
    .unwrap();
    let (status, html) = fragment(
        &app,
        "/console/f/import",
        Some(&[
            ("kind", "postman"),
            ("source", &collection),
            ("name", "Imported IC"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("node check: no problems."), "{html}");
    assert!(
        html.contains(r#"data-refresh="nodes""#),
        "the page's node list loads again: {html}"
    );
    assert!(
        html.contains("bearer_token"),
        "the notes name the secret: {html}"
    );
    assert!(
        !html.contains("ya29.a0AfB_byLITERALtokenDoNotLeak"),
        "no literal token"
    );
    let path = "/console/f/nodes/imported-ic/generate-basic-link";
    let (status, form) = fragment(&app, path, None).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert!(
        form.contains(r#"name="s:bearer_token" type="password""#),
        "{form}"
    );
    assert!(
        form.contains("sends its request to <code>https://mtg-broker-a.wbx2.com</code>"),
        "where the secret would go is shown first: {form}"
    );

    // Without the secret the run is refused by its field; the service's token is not lent.
    let params = [("p:chatId", "imported-1"), ("p:numHost", "1")];
    let (status, refused) = fragment(&app, path, Some(&params)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains("give this secret for the run"),
        "{refused}"
    );
    let with_secret = [
        params[0],
        params[1],
        ("s:bearer_token", crate::BROKER_TOKEN),
    ];
    let (status, run) = fragment(&app, path, Some(&with_secret)).await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert!(run.contains(r#"data-edge="success""#), "{run}");

    // An OpenAPI document and a curl line import here as well.
    let openapi = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../importer/tests/fixtures/meetings.openapi.yaml"
    ))
    .unwrap();
    let curl = format!(
        "curl -X POST {}/v1/meetings -H 'Content-Type: application/json' -d '{{\"chatId\": \"x\"}}'",
        app.url
    );
    for (kind, source) in [("openapi", openapi.as_str()), ("curl", curl.as_str())] {
        let (status, html) = fragment(
            &app,
            "/console/f/import",
            Some(&[("kind", kind), ("source", source)]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {html}");
        assert!(html.contains("node check: no problems."), "{kind}: {html}");
    }

    // A WSDL, its operations picked in the form; a pick that names none is the field's error.
    let wsdl = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../importer/tests/fixtures/real/calculator-soap11and12.wsdl"
    ))
    .unwrap();
    let (status, html) = fragment(
        &app,
        "/console/f/import",
        Some(&[("kind", "wsdl"), ("source", &wsdl), ("only", "Add, Divide")]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("node check: no problems."), "{html}");
    assert!(
        html.contains(">Add (SOAP 1.2)<") && html.contains(">Divide<"),
        "{html}"
    );
    assert!(!html.contains(">Subtract<"), "{html}");
    let (status, html) = fragment(
        &app,
        "/console/f/import",
        Some(&[("kind", "wsdl"), ("source", &wsdl), ("only", "Modulo")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("`Modulo` names no operation") && html.contains(r#"id="only-error""#),
        "{html}"
    );

    // A node whose secret has the name of the service's own broker token is not lent it.
    let lender = serde_json::json!({
        "info": {"name": "Lender", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
        "item": [{"name": "Make", "request": {
            "method": "POST", "url": "https://mtg-broker-a.wbx2.com/api/v2/joseencrypt",
            "header": [{"key": "Authorization", "value": "Bearer {{broker_token}}"}],
            "body": {"mode": "raw", "raw": "{\"jwt\": {\"sub\": \"lent\"}}", "options": {"raw": {"language": "json"}}}
        }}]
    })
    .to_string();
    let (status, html) = fragment(
        &app,
        "/console/f/import",
        Some(&[("kind", "postman"), ("source", &lender)]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let (status, refused) = fragment(&app, "/console/f/nodes/lender/make", Some(&[])).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert!(
        refused.contains(r#"name="s:broker_token""#)
            && refused.contains("give this secret for the run"),
        "{refused}"
    );

    let (status, bad) = fragment(
        &app,
        "/console/f/import",
        Some(&[("kind", "curl"), ("source", "wget x")]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        !bad.contains("data-refresh"),
        "nothing added, nothing to load: {bad}"
    );
    assert!(
        bad.contains(r#"id="source-error">not a curl command line"#),
        "{bad}"
    );
    assert!(
        bad.contains(">wget x</textarea>"),
        "what was typed stays: {bad}"
    );
}

#[tokio::test]
async fn a_service_imports_nothing_unless_told_to() {
    let app = spawn_app(Db::Sqlite).await;
    let line = format!("curl {}/healthz", app.url);
    let (status, html) = fragment(
        &app,
        "/console/f/import",
        Some(&[("kind", "curl"), ("source", &line)]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("--allow-node-import"), "{html}");
    let (_, list) = fragment(&app, "/console/f/nodes", None).await;
    assert!(!list.contains("healthz"), "nothing was added: {list}");
}
