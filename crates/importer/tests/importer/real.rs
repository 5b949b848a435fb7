//! Real public documents (`tests/fixtures/real/`, sources in its README) imported, checked and
//! run against a server on 127.0.0.1 that records what it receives: the request each imported
//! method sends is the one the API expects (array query parameters, empty optionals left out,
//! form bodies, Basic and bearer credentials from secrets, SOAPAction and envelopes).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method as Verb, Uri};
use axum::routing::any;
use base64::Engine as _;
use importer::{Imported, Options};
use node::model::{AuthValue, ListStyle, Row};
use node::{Authorization, Engine, RunOptions, Secrets};
use serde_json::{Value, json};

/// A request as the server received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    headers: HeaderMap,
    body: String,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body's form pairs, decoded.
    fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(self.body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    /// The user and password of its Basic authorization.
    fn basic(&self) -> (String, String) {
        let value = self
            .header("authorization")
            .expect("an Authorization header");
        let encoded = value.strip_prefix("Basic ").expect("Basic");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        let text = String::from_utf8(decoded).unwrap();
        let (user, password) = text.split_once(':').unwrap();
        (user.to_owned(), password.to_owned())
    }
}

/// A server on port 0 that records every request and answers `answer` (JSON, or the content
/// type the answer's first character says).
struct Recorder {
    url: url::Url,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    async fn start(answer: &'static str) -> Self {
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let record = seen.clone();
        let handler = move |method: Verb, uri: Uri, headers: HeaderMap, body: Bytes| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(Seen {
                    method: method.to_string(),
                    path: uri.path().to_owned(),
                    query: uri.query().map(str::to_owned),
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let kind = if answer.starts_with('<') {
                    "text/xml; charset=utf-8"
                } else {
                    "application/json"
                };
                ([("content-type", kind)], answer)
            }
        };
        let router = Router::new()
            .route("/", any(handler.clone()))
            .route("/{*rest}", any(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { url, seen }
    }

    /// The one request received since the last call.
    fn take(&self) -> Seen {
        let mut seen = self.seen.lock().unwrap();
        assert_eq!(seen.len(), 1, "{seen:#?}");
        seen.remove(0)
    }
}

pub(crate) fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/real")
            .join(name),
    )
    .unwrap()
}

/// The definition checks clean and holds none of `absent`.
pub(crate) fn checked(imported: &Imported, absent: &[&str]) {
    let text = serde_json::to_string_pretty(&imported.definition).unwrap();
    let (_, problems) = node::check(&text);
    assert!(problems.is_empty(), "{problems:?}\n{text}");
    for literal in absent {
        assert!(!text.contains(literal), "{literal} is in\n{text}");
    }
}

/// Options that import only the operations `picks` names.
pub(crate) fn only(picks: &[&str]) -> Options {
    Options {
        only: picks.iter().map(|p| (*p).to_owned()).collect(),
        ..Options::default()
    }
}

fn names(imported: &Imported) -> Vec<&str> {
    imported
        .definition
        .methods
        .iter()
        .map(|m| m.name.as_str())
        .collect()
}

/// Runs `method` with `params` and `secrets`, moved to `base` when given; its outputs.
async fn run(
    imported: &Imported,
    method: &str,
    params: &[(&str, &str)],
    secrets: &[(&str, &str)],
    base: Option<&url::Url>,
) -> node::RunResult {
    let params = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let options = RunOptions {
        base_url_override: base.cloned(),
        ..RunOptions::default()
    };
    let result = Engine::new(Secrets::from_pairs(secrets.iter().copied()))
        .run(&imported.definition, method, &params, &options)
        .await
        .unwrap_or_else(|e| panic!("{method}: {e}"));
    assert_eq!(result.status, Some(200), "{method}: {result:?}");
    result
}

/// Runs `method` at `server` with `params` and `secrets`: its result, and the request the
/// server received.
async fn sent(
    imported: &Imported,
    method: &str,
    params: &[(&str, &str)],
    secrets: &[(&str, &str)],
    server: &Recorder,
) -> (node::RunResult, Seen) {
    let result = run(imported, method, params, secrets, Some(&server.url)).await;
    (result, server.take())
}

/// Runs the one method of a curl import at `server` with `secrets`; the request it received.
async fn run_line(imported: &Imported, secrets: &[(&str, &str)], server: &Recorder) -> Seen {
    let name = imported.definition.methods[0].name.clone();
    sent(imported, &name, &[], secrets, server).await.1
}

/// The texts of an import's notes of one kind, in order.
pub(crate) fn notes_of(kind: importer::notes::Kind, imported: &Imported) -> Vec<&str> {
    imported
        .notes
        .iter()
        .filter(|n| n.kind == kind)
        .map(|n| n.text.as_str())
        .collect()
}

pub(crate) fn has_note(imported: &Imported, kind: importer::notes::Kind, words: &[&str]) {
    assert!(
        imported
            .notes
            .iter()
            .any(|n| n.kind == kind && words.iter().all(|w| n.text.contains(w))),
        "no {kind:?} note says {words:?}: {:#?}",
        imported.notes
    );
}

#[tokio::test]
async fn petstore_sends_array_queries_as_repeated_parameters_and_leaves_out_empty_optionals() {
    let imported =
        importer::openapi(&fixture("petstore.openapi.yaml"), &Options::default()).unwrap();
    checked(&imported, &[]);
    assert_eq!(imported.definition.methods.len(), 19);
    assert!(imported.limit.is_none());
    let find = imported.definition.method("findPetsByTags").unwrap();
    assert_eq!(find.url_parameters[0].list(), Some(ListStyle::Repeat));

    let server = Recorder::start("[]").await;
    let secrets = [("petstore_auth_token", "tok-1")];
    let (_, seen) = sent(
        &imported,
        "findPetsByTags",
        &[("tags", r#"["a b", "c"]"#)],
        &secrets,
        &server,
    )
    .await;
    assert_eq!(seen.path, "/api/v3/pet/findByTags");
    assert_eq!(
        seen.query.as_deref(),
        Some("tags=a+b&tags=c"),
        "form, exploded"
    );
    assert_eq!(seen.header("authorization"), Some("Bearer tok-1"));

    // addPet: only the required name and photoUrls; id, category, tags and status are not sent.
    let (_, seen) = sent(
        &imported,
        "addPet",
        &[("name", "doggie"), ("photoUrls", r#"["https://x/1.png"]"#)],
        &secrets,
        &server,
    )
    .await;
    assert_eq!(
        (seen.method.as_str(), seen.path.as_str()),
        ("POST", "/api/v3/pet")
    );
    assert_eq!(seen.header("content-type"), Some("application/json"));
    assert_eq!(
        seen.json(),
        json!({"name": "doggie", "photoUrls": ["https://x/1.png"]})
    );
    run(
        &imported,
        "addPet",
        &[
            ("name", "doggie"),
            ("photoUrls", "[]"),
            ("status", "sold"),
            ("category_name", "Dogs"),
        ],
        &secrets,
        Some(&server.url),
    )
    .await;
    assert_eq!(
        server.take().json(),
        json!({"name": "doggie", "category": {"name": "Dogs"}, "photoUrls": [], "status": "sold"})
    );
}

#[tokio::test]
async fn a_relative_server_resolves_against_the_documents_url_or_is_said_in_a_note() {
    // petstore3.swagger.io serves this document with `url: /api/v3`, relative to where it is.
    let text = fixture("petstore.openapi.yaml").replace(
        "  - url: https://petstore3.swagger.io/api/v3",
        "  - url: /api/v3",
    );
    let server = Recorder::start("[]").await;
    let options = Options {
        source: Some(server.url.join("/api/v3/openapi.json").unwrap()),
        ..Options::default()
    };
    let imported = importer::openapi(&text, &options).unwrap();
    checked(&imported, &[]);
    let find = imported.definition.method("findPetsByStatus").unwrap();
    assert_eq!(find.url, format!("{}api/v3/pet/findByStatus", server.url));
    // No base URL override: the method calls the server the document came from.
    run(
        &imported,
        "findPetsByStatus",
        &[],
        &[("petstore_auth_token", "t")],
        None,
    )
    .await;
    let seen = server.take();
    assert_eq!(seen.path, "/api/v3/pet/findByStatus");
    assert_eq!(
        seen.query.as_deref(),
        Some("status=available"),
        "its default"
    );

    let unresolved = importer::openapi(&text, &Options::default()).unwrap();
    checked(&unresolved, &[]);
    let find = unresolved.definition.method("findPetsByStatus").unwrap();
    assert_eq!(find.url, "https://example.invalid/api/v3/pet/findByStatus");
    has_note(
        &unresolved,
        importer::notes::Kind::BaseUrl,
        &["/api/v3", "relative"],
    );
}

#[tokio::test]
async fn twilio_voice_keeps_25_of_32_says_so_and_only_picks_the_rest_by_path_or_id() {
    let text = fixture("twilio_voice_v1.openapi.yaml");
    let imported = importer::openapi(&text, &Options::default()).unwrap();
    checked(&imported, &[]);
    let limit = imported.limit.as_ref().expect("the limit is told");
    assert_eq!((limit.total, limit.kept.len()), (32, 25));
    assert!(
        limit.dropped.contains(&"CreateSourceIpMapping".to_owned()),
        "{limit:?}"
    );
    let listed = importer::openapi::operations(&text).unwrap();
    assert_eq!(listed.len(), 32);

    let picked =
        importer::openapi(&text, &only(&["/v1/SourceIpMappings", "updateiprecord"])).unwrap();
    checked(&picked, &[]);
    assert_eq!(
        names(&picked),
        [
            "UpdateIpRecord",
            "CreateSourceIpMapping",
            "ListSourceIpMapping"
        ]
    );
    assert!(picked.limit.is_none());
    // Its notes as the CLI and console show them: grouped by kind, the secrets named once.
    let groups = picked.groups();
    let secrets = groups
        .iter()
        .find(|group| group.kind == importer::notes::Kind::Secret)
        .expect("a group of secrets");
    assert_eq!(
        secrets.secrets,
        [
            "account_sid_auth_token_username",
            "account_sid_auth_token_password"
        ]
    );
    let counted: usize = groups.iter().map(|group| group.count).sum();
    assert_eq!(counted, picked.notes.len(), "{groups:?}");
    match importer::openapi(&text, &only(&["CreateMessage"])) {
        Err(importer::ImportError::NoMatch(pick)) => assert_eq!(pick, "CreateMessage"),
        other => panic!("{:?}", other.map(|i| i.definition.name)),
    }

    let server = Recorder::start(r#"{"sid": "IB1"}"#).await;
    let secrets = [
        ("account_sid_auth_token_username", "AC123"),
        ("account_sid_auth_token_password", "auth-tok"),
    ];
    let (ip, domain) = (
        format!("IL{}", "a".repeat(32)),
        format!("SD{}", "b".repeat(32)),
    );
    let (_, seen) = sent(
        &picked,
        "CreateSourceIpMapping",
        &[("IpRecordSid", &ip), ("SipDomainSid", &domain)],
        &secrets,
        &server,
    )
    .await;
    assert_eq!(seen.path, "/v1/SourceIpMappings");
    assert_eq!(
        seen.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        seen.form(),
        [
            ("IpRecordSid".to_owned(), ip.clone()),
            ("SipDomainSid".to_owned(), domain)
        ]
    );
    assert_eq!(seen.basic(), ("AC123".to_owned(), "auth-tok".to_owned()));
    // An optional form field left empty is not sent.
    let (_, seen) = sent(
        &picked,
        "UpdateIpRecord",
        &[("Sid", &ip)],
        &secrets,
        &server,
    )
    .await;
    assert_eq!(seen.path, format!("/v1/IpRecords/{ip}"));
    assert_eq!(seen.body, "");
}

#[tokio::test]
async fn the_wise_collection_is_picked_by_folder_and_runs_with_its_token_as_a_secret() {
    let text = fixture("wise-multi-currency-account.postman_collection.json");
    let all = importer::postman(&text, &Options::default()).unwrap();
    checked(&all, &[]);
    assert_eq!(all.limit.as_ref().map(|l| l.total), Some(36));
    let listed = importer::postman::operations(&text).unwrap();
    assert!(
        listed
            .iter()
            .any(|o| o.name == "Create quote" && o.groups == ["Send Money"])
    );

    let send = importer::postman(&text, &only(&["send money"])).unwrap();
    checked(&send, &[]);
    assert_eq!(send.definition.methods.len(), 6, "{:?}", names(&send));
    assert!(send.limit.is_none());
    has_note(&send, importer::notes::Kind::BaseUrl, &["host"]);

    let server = Recorder::start(r#"{"id": "q-1"}"#).await;
    let (_, seen) = sent(
        &send,
        "Create quote",
        &[("personal_profile_id", "4242")],
        &[("token", "wise-token")],
        &server,
    )
    .await;
    assert_eq!(seen.path, "/v2/quotes");
    assert_eq!(seen.header("authorization"), Some("Bearer wise-token"));
    assert_eq!(seen.json()["profile"], 4242);
}

/// The command of a curl fixture (from its `curl` on: a shell assignment may come before)
/// imported, and checked to hold none of `absent`.
fn import_line(name: &str, absent: &[&str]) -> Imported {
    let text = fixture(&format!("curl/{name}"));
    let line = &text[text.find("curl ").unwrap()..];
    let imported = importer::curl(line, &Options::default()).unwrap();
    checked(&imported, absent);
    imported
}

#[tokio::test]
async fn twilio_docs_curl_variables_become_fields_and_secrets_and_run() {
    let imported = import_line(
        "twilio-link-shortening-sms.curl",
        &["$TWILIO", "$EXCLAMATION_MARK"],
    );
    let method = &imported.definition.methods[0];
    assert_eq!(
        method.url,
        "https://api.twilio.com/2010-04-01/Accounts/$(TWILIO_ACCOUNT_SID)/Messages.json"
    );
    assert_eq!(
        method.authorization,
        Some(Authorization::Basic {
            username: AuthValue::Dynamic {
                field: "TWILIO_ACCOUNT_SID".into()
            },
            password: AuthValue::Static {
                value: "$(secret:twilio_auth_token)".into()
            },
        })
    );
    let server = Recorder::start(r#"{"sid": "SM1"}"#).await;
    let name = method.name.clone();
    let (_, seen) = sent(
        &imported,
        &name,
        &[("TWILIO_ACCOUNT_SID", "AC42"), ("EXCLAMATION_MARK", "!")],
        &[("twilio_auth_token", "tw-tok")],
        &server,
    )
    .await;
    assert_eq!(seen.path, "/2010-04-01/Accounts/AC42/Messages.json");
    assert_eq!(seen.basic(), ("AC42".to_owned(), "tw-tok".to_owned()));
    let form = seen.form();
    assert_eq!(form[0], ("ShortenUrls".to_owned(), "True".to_owned()));
    assert!(
        form[2]
            .1
            .starts_with("Visit this link to start earning rewards today! https://")
    );
    assert_eq!(form[3], ("To".to_owned(), "+15551212121".to_owned()));

    // Twilio's own `{{1}}` in a JSON body is its template's slot: kept as text.
    let content = import_line("twilio-create-text-template.curl", &["$TWILIO"]);
    let method = &content.definition.methods[0];
    assert!(
        method
            .body
            .as_ref()
            .unwrap()
            .template
            .contains("Hi, {{1}}.")
    );
    assert_eq!(method.dynamic_fields(), ["TWILIO_ACCOUNT_SID"]);
}

#[tokio::test]
async fn stripe_zilliz_and_github_docs_curl_placeholders_are_secrets_and_run() {
    let stripe = import_line("stripe-create-customer.curl", &["YOUR_SECRET_KEY>>"]);
    let server = Recorder::start(r#"{"id": "cus_1"}"#).await;
    let seen = run_line(&stripe, &[("your_secret_key", "sk_test_1")], &server).await;
    assert_eq!(seen.path, "/v1/customers");
    assert_eq!(
        seen.basic(),
        ("sk_test_1".to_owned(), String::new()),
        "the key as the user"
    );
    assert_eq!(
        seen.form(),
        [
            ("name".to_owned(), "Jenny Rosen".to_owned()),
            ("email".to_owned(), "jennyrosen@example.com".to_owned())
        ]
    );

    let zilliz = import_line("zilliz-create-collection.curl", &["${"]);
    let method = &zilliz.definition.methods[0];
    assert_eq!(
        method.url,
        "https://example.invalid/v1/vector/collections/create"
    );
    has_note(
        &zilliz,
        importer::notes::Kind::BaseUrl,
        &["CLUSTER_ENDPOINT"],
    );
    let seen = run_line(&zilliz, &[("token", "db_admin:pw")], &server).await;
    assert_eq!(seen.header("authorization"), Some("Bearer db_admin:pw"));
    assert_eq!(seen.json()["collectionName"], "medium_articles");

    let github = import_line("github-create-issue.curl", &["YOUR-TOKEN"]);
    let method = &github.definition.methods[0];
    let authorization = method
        .headers
        .iter()
        .find(|h| h.name() == "Authorization")
        .unwrap();
    assert_eq!(
        authorization,
        &Row::Static {
            name: "Authorization".into(),
            value: "Bearer $(secret:bearer_token)".into()
        }
    );
    has_note(
        &github,
        importer::notes::Kind::Secret,
        &["literal credential"],
    );
    let seen = run_line(&github, &[("bearer_token", "ghp_1")], &server).await;
    assert_eq!(seen.path, "/repos/octocat/Spoon-Knife/issues");
    assert_eq!(seen.header("authorization"), Some("Bearer ghp_1"));
    assert_eq!(seen.header("x-github-api-version"), Some("2022-11-28"));
}

const NUMBER_ANSWER: &str = r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:NumberToWordsResponse xmlns:m="http://www.dataaccess.com/webservicesserver/"><m:NumberToWordsResult>forty two </m:NumberToWordsResult></m:NumberToWordsResponse></soap:Body></soap:Envelope>"#;

/// The text of the element at `path` (local names) of an envelope, and its namespace.
fn element(xml: &str, path: &[&str]) -> (String, Option<String>) {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("{e}: {xml}"));
    let mut node = document.root();
    for name in path {
        node = node
            .children()
            .find(|c| c.is_element() && c.tag_name().name() == *name)
            .unwrap_or_else(|| panic!("no {name} in {xml}"));
    }
    (
        node.text().unwrap_or_default().to_owned(),
        node.tag_name().namespace().map(str::to_owned),
    )
}

#[tokio::test]
async fn a_wsdl_makes_a_method_per_soap_binding_operation_that_sends_its_action_and_envelope() {
    let text = fixture("number-conversion.wsdl");
    let imported = importer::wsdl(&text, &Options::default()).unwrap();
    checked(&imported, &[]);
    assert_eq!(
        names(&imported),
        [
            "NumberToWords",
            "NumberToDollars",
            "NumberToWords (SOAP 1.2)",
            "NumberToDollars (SOAP 1.2)"
        ]
    );
    assert_eq!(imported.definition.name, "NumberConversion");
    let words = imported.definition.method("NumberToWords").unwrap();
    assert_eq!(words.field_ui("ubiNum").kind, node::FieldType::Number);
    assert_eq!(words.outputs[0].name, "NumberToWordsResult");

    let server = Recorder::start(NUMBER_ANSWER).await;
    let result = run(
        &imported,
        "NumberToWords",
        &[("ubiNum", "42")],
        &[],
        Some(&server.url),
    )
    .await;
    assert_eq!(result.outputs["NumberToWordsResult"], "forty two ");
    let seen = server.take();
    assert_eq!(seen.path, "/webservicesserver/NumberConversion.wso");
    assert_eq!(seen.header("content-type"), Some("text/xml; charset=utf-8"));
    assert_eq!(
        seen.header("soapaction"),
        Some("\"\""),
        "1.1 sends its (empty) action"
    );
    let (value, namespace) = element(&seen.body, &["Envelope", "Body", "NumberToWords", "ubiNum"]);
    assert_eq!(value, "42");
    assert_eq!(
        namespace.as_deref(),
        Some("http://www.dataaccess.com/webservicesserver/")
    );

    let (_, seen) = sent(
        &imported,
        "NumberToWords (SOAP 1.2)",
        &[("ubiNum", "7")],
        &[],
        &server,
    )
    .await;
    assert_eq!(
        seen.header("content-type"),
        Some("application/soap+xml; charset=utf-8")
    );
    assert_eq!(seen.header("soapaction"), None);
    let (_, envelope) = element(&seen.body, &["Envelope"]);
    assert_eq!(envelope.as_deref(), Some(node::model::SOAP_12_NAMESPACE));

    // The calculator's operations have actions, and its elements are unqualified.
    let calculator = fixture("calculator-soap11and12.wsdl");
    let only_12 = importer::wsdl(&calculator, &only(&["CalculatorSoap12"])).unwrap();
    checked(&only_12, &[]);
    assert_eq!(only_12.definition.methods.len(), 4);
    let all = importer::wsdl(&calculator, &Options::default()).unwrap();
    let server = Recorder::start(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:AddResponse xmlns:m="http://tempuri.org/"><AddResult>5</AddResult></m:AddResponse></soap:Body></soap:Envelope>"#,
    )
    .await;
    let result = run(
        &all,
        "Add",
        &[("intA", "2"), ("intB", "3")],
        &[],
        Some(&server.url),
    )
    .await;
    assert_eq!(result.outputs["AddResult"], "5");
    let seen = server.take();
    assert_eq!(seen.path, "/calculator.asmx");
    assert_eq!(
        seen.header("soapaction"),
        Some("\"http://tempuri.org/Add\"")
    );
    let (value, namespace) = element(&seen.body, &["Envelope", "Body", "Add", "intB"]);
    assert_eq!((value.as_str(), namespace), ("3", None), "unqualified");
    let (_, seen) = sent(
        &all,
        "Add (SOAP 1.2)",
        &[("intA", "2"), ("intB", "3")],
        &[],
        &server,
    )
    .await;
    assert_eq!(
        seen.header("content-type"),
        Some("application/soap+xml; charset=utf-8; action=\"http://tempuri.org/Add\"")
    );
}

#[test]
fn bad_wsdl_input_is_refused_with_the_reason() {
    for (input, words) in [
        ("not xml", "not well-formed XML"),
        ("<a/>", "not WSDL 1.1's `definitions`"),
        (
            r#"<description xmlns="http://www.w3.org/ns/wsdl"/>"#,
            "WSDL 2.0",
        ),
        (
            r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"/>"#,
            "nothing to import",
        ),
        // A DTD's entities could grow a small document into gigabytes: none is read.
        (
            r#"<?xml version="1.0"?><!DOCTYPE definitions [<!ENTITY a "aaaaaaaaaa">]><definitions xmlns="http://schemas.xmlsoap.org/wsdl/">&a;</definitions>"#,
            "DTD",
        ),
    ] {
        let error = importer::wsdl(input, &Options::default()).unwrap_err();
        assert!(error.to_string().contains(words), "{input}: {error}");
    }
}
