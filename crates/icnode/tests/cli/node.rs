//! The bundled Instant Connect node, run by the binary against the real local broker.

use base64::Engine;
use serde_json::Value;

use crate::{SECRET, TOKEN, http, icnode, start_broker};

/// `icnode node run builtin:instant-connect METHOD` against `url`, with `token` if given.
fn node_command(
    url: &str,
    method: &str,
    chat_id: &str,
    token: Option<&str>,
) -> std::process::Command {
    let mut command = icnode();
    command
        .args(["node", "run", "builtin:instant-connect", method, "--param"])
        .arg(format!("uniquechatId={chat_id}"))
        .args(["--broker-url", url]);
    if let Some(token) = token {
        command.env("ICNODE_BROKER_TOKEN", token);
    }
    command
}

fn node_run(url: &str, method: &str, chat_id: &str) -> (Option<i32>, Value) {
    let out = node_command(url, method, chat_id, Some(TOKEN))
        .arg("--json")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

/// The claims inside a cipher, opened as the broker would: JWE with the broker secret.
pub(crate) fn claims(cipher: &str) -> Value {
    let opened = jose::jwe::decrypt(SECRET.as_bytes(), cipher, &Default::default()).unwrap();
    let jwt = String::from_utf8(opened.plaintext).unwrap();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(jwt.split('.').nth(1).unwrap())
        .unwrap();
    serde_json::from_slice(&payload).unwrap()
}

fn space_id(url: &str, cipher: &str) -> String {
    let details: Value = http()
        .get(format!("{url}/api/v1/space?int=jose&data={cipher}"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    details["spaceId"].as_str().unwrap().to_owned()
}

#[test]
fn both_methods_run_end_to_end_and_add_guest_joins_the_same_space() {
    let (_broker, url) = start_broker();
    let (code, basic) = node_run(&url, "Generate Basic Link", "node-visit-1");
    assert_eq!(code, Some(0), "{basic}");
    assert_eq!(basic["edge"], "success");
    assert_eq!(basic["status"], 200);
    let outputs = &basic["outputs"];
    assert_eq!(outputs["baseUrl"], format!("{url}/visit/"));
    let host = claims(outputs["hostcipher"].as_str().unwrap());
    let guest = claims(outputs["guestcipher"].as_str().unwrap());
    assert_eq!(
        (
            host["role"].as_str(),
            host["sub"].as_str(),
            host["vt"].as_str()
        ),
        (Some("host"), Some("node-visit-1"), Some("gen"))
    );
    assert_eq!(
        (guest["role"].as_str(), guest["sub"].as_str()),
        (Some("guest"), Some("node-visit-1"))
    );
    let host_url = format!("{url}/visit/{}", outputs["hostshortkey"].as_str().unwrap());
    assert_eq!(
        outputs["hostUrl"],
        host_url.as_str(),
        "computed output = baseUrl + hostshortkey"
    );
    assert_eq!(
        outputs["guestUrl"],
        format!("{url}/visit/{}", outputs["guestshortkey"].as_str().unwrap())
    );
    let redirect = http().get(&host_url).send().unwrap();
    assert_eq!(redirect.status(), 302);
    assert!(
        redirect.headers()["location"]
            .to_str()
            .unwrap()
            .contains("/gen/v1/login?int=jose&v=1&data=")
    );

    let (code, added) = node_run(&url, "Add Guest", "node-visit-1");
    assert_eq!(code, Some(0), "{added}");
    let added_outputs = added["outputs"].as_object().unwrap();
    let names: Vec<&str> = added_outputs.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["baseUrl", "guestcipher", "guestshortkey", "guestUrl"]
    );
    let new_guest = claims(added_outputs["guestcipher"].as_str().unwrap());
    assert_eq!(
        (new_guest["role"].as_str(), new_guest["sub"].as_str()),
        (Some("guest"), Some("node-visit-1"))
    );
    assert_ne!(new_guest["jti"], guest["jti"]);
    assert_eq!(
        space_id(&url, added_outputs["guestcipher"].as_str().unwrap()),
        space_id(&url, outputs["hostcipher"].as_str().unwrap()),
        "Add Guest joins the meeting's space"
    );
}

#[test]
fn a_method_runs_by_its_name_or_its_slug_and_a_refusal_lists_both_forms() {
    let (_broker, url) = start_broker();
    let (code, by_slug) = node_run(&url, "generate-basic-link", "slug-visit");
    assert_eq!(code, Some(0), "{by_slug}");
    assert_eq!(by_slug["edge"], "success");
    let by_name = icnode()
        .args([
            "node",
            "run",
            "builtin:Instant Connect",
            "add-guest",
            "--param",
        ])
        .arg("uniquechatId=slug-visit")
        .args(["--broker-url", &url])
        .env("ICNODE_BROKER_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(
        by_name.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&by_name.stderr)
    );

    let refused = node_command(&url, "generate basic link", "x", Some(TOKEN))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(
        stderr.contains(
            "the node has no method `generate basic link`; it has: \
             `Generate Basic Link` (generate-basic-link), `Add Guest` (add-guest)"
        ),
        "{stderr}"
    );
    let no_node = icnode()
        .args(["node", "run", "builtin:instant", "add-guest"])
        .output()
        .unwrap();
    assert_eq!(no_node.status.code(), Some(2));
    let stderr = String::from_utf8(no_node.stderr).unwrap();
    assert!(
        stderr.contains("no bundled node `instant`; bundled: builtin:instant-connect (or by its name, `builtin:Instant Connect`)"),
        "{stderr}"
    );
}

#[test]
fn a_chat_id_with_quotes_backslashes_and_unicode_round_trips() {
    let (_broker, url) = start_broker();
    let tricky = "chat \"7\" \\ C:\\path ☃ \u{1F4F9} {\"a\":1}";
    let (code, result) = node_run(&url, "Generate Basic Link", tricky);
    assert_eq!(code, Some(0), "{result}");
    assert_eq!(
        claims(result["outputs"]["guestcipher"].as_str().unwrap())["sub"],
        tricky
    );
}

#[test]
fn failures_leave_by_their_edges_with_exit_codes() {
    let (_broker, url) = start_broker();
    let wrong_token = node_command(&url, "Generate Basic Link", "x", Some("wrong"))
        .output()
        .unwrap();
    assert_eq!(wrong_token.status.code(), Some(1));
    let text = String::from_utf8(wrong_token.stdout).unwrap();
    assert!(text.starts_with("edge     error\nstatus   401\n"), "{text}");

    // Port 1 refuses; a port freed by a dropped listener could be taken by another test.
    let closed = "http://127.0.0.1:1".to_owned();
    let (code, refused) = node_run(&closed, "Generate Basic Link", "x");
    assert_eq!(code, Some(1));
    assert_eq!(refused["edge"], "error");
    assert_eq!(refused["status"], Value::Null);
    assert_eq!(
        refused["error"],
        format!(
            "the connection to {} was refused",
            closed.trim_start_matches("http://")
        )
    );
    assert!(refused.get("response").is_none(), "no answer came");

    let no_secret = node_command(&url, "Generate Basic Link", "x", None)
        .output()
        .unwrap();
    assert_eq!(no_secret.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&no_secret.stderr)
            .contains("secret `broker_token` is not set: set ICNODE_BROKER_TOKEN")
    );

    let no_param = icnode()
        .args(["node", "run", "builtin:instant-connect", "Add Guest"])
        .env("ICNODE_BROKER_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(no_param.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&no_param.stderr).contains("missing parameter(s): uniquechatId")
    );
}

#[test]
fn the_error_edge_shows_the_brokers_message_and_tracking_id() {
    let (_broker, url) = start_broker();
    let message =
        "The request requires a valid access token set in the Authorization request header.";

    let out = node_command(&url, "Generate Basic Link", "x", Some("wrong"))
        .arg("--json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(result["response"]["status"], 401);
    let body: Value = serde_json::from_str(result["response"]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["message"], message);
    let tracking_id = body["trackingId"].as_str().unwrap();
    assert!(tracking_id.starts_with("ICNODE_"), "{tracking_id}");
    let error = result["error"].as_str().unwrap();
    assert!(
        error.starts_with(&format!(
            "the answer matched event `Failure` (HTTP 401): {{\"message\":\"{message}\""
        )),
        "{error}"
    );
    assert!(
        error.contains(&format!("\"trackingId\":\"{tracking_id}\"")),
        "{error}"
    );

    let out = node_command(&url, "Generate Basic Link", "x", Some("wrong"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let line = |label: &str| {
        text.lines()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` line in:\n{text}"))
            .to_owned()
    };
    for label in ["error    ", "body     "] {
        let shown = line(label);
        assert!(shown.contains(message), "{shown}");
        assert!(shown.contains("\"trackingId\":\"ICNODE_"), "{shown}");
    }
    assert!(
        line("error    ").starts_with("error    the answer matched event `Failure` (HTTP 401): "),
        "{text}"
    );
}

#[test]
fn node_check_reports_every_problem_with_pointers_and_exit_2() {
    let clean = icnode()
        .args(["node", "check", "builtin:instant-connect"])
        .output()
        .unwrap();
    assert_eq!(clean.status.code(), Some(0));
    let on_disk = icnode()
        .args([
            "node",
            "check",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../nodes/instant-connect.json"
            ),
        ])
        .output()
        .unwrap();
    assert_eq!(on_disk.status.code(), Some(0));

    let mut broken: Value =
        serde_json::from_str(include_str!("../../../../nodes/instant-connect.json")).unwrap();
    broken["methods"][1]["requestTimeoutMs"] = 25000.into();
    broken["methods"][0]["outputs"][1]["source"]["path"] = "$.host[".into();
    broken["methods"][0]["parameters"][0]["name"] = "chatId".into();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.json");
    std::fs::write(&file, broken.to_string()).unwrap();
    let out = icnode()
        .args(["node", "check", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let report = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "/methods/0/body/template: placeholder `$(uniquechatId)` has no row in parameters",
        "/methods/0/outputs/1/source/path: the JSONPath `$.host[` does not parse",
        "/methods/0/parameters/0: row `chatId` has no `$(chatId)` placeholder",
        "/methods/1/requestTimeoutMs:",
        "/methods/0/fields/0/name: `uniquechatId` is no dynamic field of this method",
    ] {
        assert!(report.contains(needle), "{needle} not in:\n{report}");
    }
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("5 problems"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The Postman collection written for the importer's tests: collection-level bearer auth with a
/// literal token, `{{baseUrl}}`, a folder, `{{chatId}}` in the body, saved examples.
fn collection_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../importer/tests/fixtures/instant-connect.postman_collection.json")
}

const COLLECTION_TOKEN: &str = "ya29.a0AfB_byLITERALtokenDoNotLeak-7Hq2";

#[test]
fn an_imported_postman_collection_runs_against_the_local_broker() {
    let (_broker, url) = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let definition = dir.path().join("imported.json");
    let out = icnode()
        .args(["node", "import", "postman"])
        .arg(collection_path())
        .arg("-o")
        .arg(&definition)
        .output()
        .unwrap();
    let notes = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{notes}");
    assert!(out.stdout.is_empty(), "the definition went to the file");
    assert!(
        notes.contains("`bearer_token`") && notes.contains("ICNODE_BEARER_TOKEN"),
        "{notes}"
    );
    let text = std::fs::read_to_string(&definition).unwrap();
    assert!(!text.contains(COLLECTION_TOKEN) && !notes.contains(COLLECTION_TOKEN));

    let check = icnode()
        .args(["node", "check"])
        .arg(&definition)
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0), "{:?}", check);

    // The token comes from the environment, under the name the importer gave it.
    let out = icnode()
        .args(["node", "run"])
        .arg(&definition)
        .args(["Generate Basic Link", "--param", "chatId=imported-visit-1"])
        .args(["--param", "numHost=1", "--broker-url", &url, "--json"])
        .env("ICNODE_BEARER_TOKEN", TOKEN)
        .output()
        .unwrap();
    let result: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(out.status.code(), Some(0), "{result}");
    assert_eq!(result["edge"], "success");
    assert_eq!(result["status"], 200);
    let outputs = &result["outputs"];
    assert_eq!(outputs["baseUrl"], format!("{url}/visit/"));
    let host = claims(outputs["hostCipher"].as_str().unwrap());
    let guest = claims(outputs["guestCipher"].as_str().unwrap());
    assert_eq!(
        (host["role"].as_str(), host["sub"].as_str()),
        (Some("host"), Some("imported-visit-1"))
    );
    assert_eq!(guest["role"].as_str(), Some("guest"));
    let guest_link = format!("{url}/visit/{}", outputs["guestShort"].as_str().unwrap());
    assert_eq!(http().get(&guest_link).send().unwrap().status(), 302);

    // Without the secret the broker refuses: the token really comes from the environment.
    let refused = icnode()
        .args(["node", "run"])
        .arg(&definition)
        .args([
            "Generate Basic Link",
            "--param",
            "chatId=x",
            "--param",
            "numHost=1",
        ])
        .args(["--broker-url", &url])
        .env("ICNODE_BEARER_TOKEN", "wrong")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
}

#[test]
fn import_curl_and_export_postman_from_the_command_line() {
    let out = icnode()
        .args(["node", "import", "curl", "--name", "Links"])
        .arg("curl -X POST https://mtg-broker-a.wbx2.com/api/v2/joseencrypt -H 'Authorization: Bearer abc.def.ghi' --json '{\"jwt\": {\"sub\": \"{{chatId}}\"}}'")
        .output()
        .unwrap();
    let notes = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{notes}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("abc.def.ghi"), "{text}");
    assert!(
        notes.starts_with("note: the definition names 1 secret, to give at run time"),
        "{notes}"
    );
    let definition: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(definition["name"], "Links");
    assert_eq!(
        definition["methods"][0]["headers"][2]["value"],
        "Bearer $(secret:bearer_token)"
    );

    let exported = icnode()
        .args(["node", "export", "postman", "builtin:instant-connect"])
        .output()
        .unwrap();
    assert_eq!(exported.status.code(), Some(0));
    let collection: Value = serde_json::from_slice(&exported.stdout).unwrap();
    assert_eq!(collection["item"].as_array().unwrap().len(), 5);
    assert!(
        collection["variable"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["value"] == ""),
        "no value, let alone a secret, is exported"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("v2.0.json");
    std::fs::write(
        &bad,
        r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"}, "item": []}"#,
    )
    .unwrap();
    let refused = icnode()
        .args(["node", "import", "postman"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let error = String::from_utf8(refused.stderr).unwrap();
    assert!(
        error.contains("v2.0.0") && error.contains("v2.1"),
        "{error}"
    );
}

fn real_fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../importer/tests/fixtures/real")
        .join(name)
}

/// Each kind of note is one line: its count, in the singular or the plural, and its first
/// examples, with how many more there are when not all are shown.
#[test]
fn import_notes_count_their_parts_and_say_how_many_are_not_shown() {
    let out = icnode()
        .args(["node", "import", "openapi"])
        .arg(real_fixture("petstore.openapi.yaml"))
        .output()
        .unwrap();
    let notes = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{notes}");
    let line = |start: &str| {
        notes
            .lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line starts `{start}`: {notes}"))
            .to_owned()
    };
    line("note: the definition names 2 secrets, ");
    let one = line("note: 1 part of the input not carried over, e.g. `uploadFile`: ");
    assert!(!one.contains("more)"), "{one}");
    let eight = line("note: 8 parts carried over in another form, e.g. ");
    assert_eq!(eight.matches("; `").count(), 2, "three examples: {eight}");
    assert!(eight.ends_with(" (and 5 more)"), "{eight}");
}

#[test]
fn import_lists_picks_and_fetches_and_the_services_own_api_runs() {
    // --list: every operation, with its method, path and tags.
    let listed = icnode()
        .args(["node", "import", "openapi", "--list"])
        .arg(real_fixture("petstore.openapi.yaml"))
        .output()
        .unwrap();
    assert_eq!(listed.status.code(), Some(0));
    let listing = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(listing.lines().count(), 19, "{listing}");
    let line = listing
        .lines()
        .find(|l| l.starts_with("findPetsByTags "))
        .unwrap_or_else(|| panic!("{listing}"));
    assert!(
        line.contains(" GET ") && line.contains("/pet/findByTags") && line.ends_with("pet"),
        "{line}"
    );

    // More than 25 operations: the first note says so, and how to pick.
    let out = icnode()
        .args(["node", "import", "openapi"])
        .arg(real_fixture("twilio_voice_v1.openapi.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let notes = String::from_utf8(out.stderr).unwrap();
    let first = notes.lines().next().unwrap();
    assert!(
        first.starts_with("note: the input has 32 operations and a node holds 25")
            && first.contains("--only")
            && first.contains("CreateSourceIpMapping"),
        "{notes}"
    );
    assert!(
        notes
            .contains("`account_sid_auth_token_password` (ICNODE_ACCOUNT_SID_AUTH_TOKEN_PASSWORD)"),
        "{notes}"
    );
    let picked = icnode()
        .args([
            "node",
            "import",
            "openapi",
            "--only",
            "CreateSourceIpMapping,/v1/IpRecords",
        ])
        .arg(real_fixture("twilio_voice_v1.openapi.yaml"))
        .output()
        .unwrap();
    let definition: Value = serde_json::from_slice(&picked.stdout).unwrap();
    let names: Vec<&str> = definition["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["CreateIpRecord", "ListIpRecord", "CreateSourceIpMapping"]
    );
    let refused = icnode()
        .args(["node", "import", "wsdl", "--only", "Nope"])
        .arg(real_fixture("number-conversion.wsdl"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    let error = String::from_utf8(refused.stderr).unwrap();
    assert!(
        error.contains("--only") && error.contains("`Nope`"),
        "{error}"
    );

    // The service's own API, fetched from its URL: its server `/` is that address, and an
    // optional property left empty (`expiresAt`) is not sent, so `create` makes a meeting.
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (_up, url) = crate::service::start_up(&data);
    let key = std::fs::read_to_string(data.join("dev-api-key")).unwrap();
    let file = dir.path().join("icnode.json");
    let out = icnode()
        .args(["node", "import", "openapi", "--only", "createMeeting"])
        .arg(format!("{url}/openapi.json"))
        .arg("-o")
        .arg(&file)
        .output()
        .unwrap();
    let notes = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(0), "{notes}");
    assert!(!notes.contains("example.invalid"), "{notes}");
    let imported: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(imported["methods"][0]["url"], format!("{url}/v1/meetings"));
    let run = icnode()
        .args(["node", "run"])
        .arg(&file)
        .args([
            "createMeeting",
            "--param",
            "chatId=imported-api-1",
            "--json",
        ])
        .env("ICNODE_API_KEY_TOKEN", key.trim())
        .output()
        .unwrap();
    let result: Value = serde_json::from_slice(&run.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&run.stderr)));
    assert_eq!(result["status"], 201, "{result}");
    assert_eq!(result["edge"], "success", "{result}");

    // A URL that answers no document is a failure that names its origin, not its query.
    let missing = icnode()
        .args(["node", "import", "openapi"])
        .arg(format!("{url}/nothing-here.json?token=do-not-print"))
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    let error = String::from_utf8(missing.stderr).unwrap();
    assert!(
        error.contains("cannot fetch") && error.contains("404"),
        "{error}"
    );
    assert!(!error.contains("do-not-print"), "{error}");
}

#[test]
fn import_fetches_a_document_of_up_to_16_mib_and_refuses_a_larger_one() {
    const LIMIT: usize = 16 << 20;
    let document = br#"{"openapi":"3.0.3","info":{"title":"Padded","version":"1"},
        "servers":[{"url":"http://127.0.0.1:9/api"}],
        "paths":{"/ping":{"get":{"operationId":"ping","responses":{"200":{"description":"ok"}}}}}}"#;

    let at_the_limit = icnode()
        .args(["node", "import", "openapi", "--list"])
        .arg(crate::answering("200 OK", crate::padded(document, LIMIT)))
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&at_the_limit.stdout);
    assert_eq!(
        at_the_limit.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&at_the_limit.stderr)
    );
    assert!(
        listed.contains("ping") && listed.contains("/ping"),
        "{listed}"
    );

    let over = icnode()
        .args(["node", "import", "openapi", "--list"])
        .arg(crate::answering(
            "200 OK",
            crate::padded(document, LIMIT + 1),
        ))
        .output()
        .unwrap();
    crate::assert_fails(&over, 1, "it is larger than 16 MiB");
}
