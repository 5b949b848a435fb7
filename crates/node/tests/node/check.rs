use serde_json::{Value, json};

use crate::valid;

fn problems(definition: &Value) -> Vec<(String, String)> {
    node::check(&definition.to_string())
        .1
        .into_iter()
        .map(|p| (p.pointer, p.message))
        .collect()
}

fn pointers(definition: &Value) -> Vec<String> {
    problems(definition).into_iter().map(|(p, _)| p).collect()
}

fn edit(change: impl FnOnce(&mut Value)) -> Value {
    let mut definition = valid();
    change(&mut definition);
    definition
}

#[test]
fn the_base_definition_and_the_bundled_node_are_clean() {
    assert_eq!(problems(&valid()), vec![]);
    let bundled = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../nodes/instant-connect.json"
    ))
    .unwrap();
    let (definition, found) = node::check(&bundled);
    assert!(found.is_empty(), "{found:?}");
    let definition = definition.unwrap();
    let names: Vec<&str> = definition.methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Generate Basic Link",
            "Add Guest",
            "Book Visit",
            "Reschedule Visit",
            "Cancel Visit"
        ]
    );
    assert_eq!(definition.methods[0].dynamic_fields(), ["uniquechatId"]);
}

#[test]
fn each_fault_of_the_catalogue_is_reported_where_it_is() {
    let m = "/methods/0";
    let cases: Vec<(Value, String, &str)> = vec![
        (
            edit(|d| d["colour"] = json!("red")),
            String::new(),
            "colour",
        ),
        (
            edit(|d| d["methods"][0]["timeoutMs"] = json!(5)),
            m.into(),
            "timeoutMs",
        ),
        (
            edit(|d| d["methods"][0]["headers"][0]["extra"] = json!(1)),
            format!("{m}/headers/0"),
            "\"extra\":1} is not valid under any of the schemas listed in the 'oneOf' keyword",
        ),
        (
            edit(|d| {
                d["methods"][0]["body"]["template"] =
                    json!("{\"sub\": \"$(chatId)\", \"n\": $(count), \"x\": \"$(undeclared)\"}")
            }),
            format!("{m}/body/template"),
            "`$(undeclared)` has no row",
        ),
        (
            edit(|d| {
                d["methods"][0]["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": "dynamic", "name": "unused"}))
            }),
            format!("{m}/parameters/3"),
            "row `unused` has no `$(unused)` placeholder",
        ),
        (
            edit(|d| {
                d["methods"][0]["body"]["template"] =
                    json!("{\"sub\": \"$(chatId)\" \"n\": $(count)}")
            }),
            format!("{m}/body/template"),
            "not valid JSON once placeholders are filled",
        ),
        (
            edit(|d| d["methods"][0]["outputs"][0]["source"]["path"] = json!("$.host[0")),
            format!("{m}/outputs/0/source/path"),
            "does not parse",
        ),
        (
            edit(|d| {
                d["methods"][0]["events"][0]["source"] = json!({"type": "body", "path": "host"})
            }),
            format!("{m}/events/0/source/path"),
            "does not parse",
        ),
        (
            edit(|d| {
                d["methods"][0]["events"][1]
                    .as_object_mut()
                    .unwrap()
                    .remove("edge");
            }),
            format!("{m}/events/1"),
            r#""edge" is a required property"#,
        ),
        (
            edit(|d| d["methods"][0]["events"][1]["edge"] = json!("timeout")),
            format!("{m}/events/1/edge"),
            r#""timeout" is not one of "success" or "error""#,
        ),
        (
            edit(|d| d["methods"][0]["events"][0]["condition"] = json!("matches")),
            format!("{m}/events/0/condition"),
            r#""matches" is not one of "equals", "not equals""#,
        ),
        (
            edit(|d| {
                d["methods"][0]["events"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("value");
            }),
            format!("{m}/events/0"),
            "condition `equals` needs a value",
        ),
        (
            edit(|d| {
                d["methods"][0]["events"][0]["condition"] = json!("greater than");
                d["methods"][0]["events"][0]["value"] = json!("two hundred");
            }),
            format!("{m}/events/0/value"),
            "not a number",
        ),
        (
            edit(|d| d["methods"][0]["events"] = json!([])),
            format!("{m}/events"),
            "no events",
        ),
        (
            edit(|d| d["methods"][0]["requestTimeoutMs"] = json!(20001)),
            format!("{m}/requestTimeoutMs"),
            "20001 is greater than the maximum of 20000",
        ),
        (
            edit(|d| d["methods"][0]["connectionTimeoutMs"] = json!(0)),
            format!("{m}/connectionTimeoutMs"),
            "0 is less than the minimum of 1",
        ),
        (
            edit(|d| {
                let method = d["methods"][0].clone();
                d["methods"].as_array_mut().unwrap().push(method);
            }),
            "/methods/1/name".into(),
            "duplicate method name `Send`",
        ),
        (
            edit(|d| d["methods"][0]["outputs"][1]["name"] = json!("sub")),
            format!("{m}/outputs/1/name"),
            "duplicate output name `sub`",
        ),
        (
            edit(|d| d["methods"][0]["computedOutputs"][0]["template"] = json!("$(nowhere)")),
            format!("{m}/computedOutputs/0/template"),
            "`$(nowhere)` is not an output",
        ),
        (
            edit(|d| d["methods"][0]["headers"][0]["value"] = json!("Bearer $(secret:bad-name)")),
            format!("{m}/headers/0/value"),
            "secret name `bad-name`",
        ),
        (
            edit(|d| d["methods"][0]["url"] = json!("ftp://example.test/x")),
            format!("{m}/url"),
            "http or https",
        ),
        (
            edit(|d| d["methods"][0]["httpMethod"] = json!("TRACE")),
            format!("{m}/httpMethod"),
            r#""TRACE" is not one of "GET", "POST""#,
        ),
        (
            edit(|d| {
                let method = d["methods"][0].clone();
                d["methods"] = json!(
                    (0..26)
                        .map(|i| {
                            let mut m = method.clone();
                            m["name"] = json!(format!("m{i}"));
                            m
                        })
                        .collect::<Vec<_>>()
                );
            }),
            "/methods".into(),
            "has more than 25 items",
        ),
        (
            edit(|d| d["methods"][0]["fields"] = json!([{"name": "chatid"}])),
            format!("{m}/fields/0/name"),
            "`chatid` is no dynamic field of this method (it has: path, chatId, trace)",
        ),
        (
            edit(|d| d["methods"][0]["fields"] = json!([{"name": "chatId"}, {"name": "chatId"}])),
            format!("{m}/fields/1/name"),
            "duplicate field name `chatId`",
        ),
        (
            edit(|d| d["methods"][0]["fields"] = json!([{"name": "chatId", "regex": "(["}])),
            format!("{m}/fields/0/regex"),
            "the regex is not a valid regex",
        ),
        (
            edit(|d| {
                d["methods"][0]["fields"] =
                    json!([{"name": "trace", "type": "number", "default": "soon"}])
            }),
            format!("{m}/fields/0/default"),
            "the default must be a number",
        ),
        (
            edit(|d| {
                d["methods"][0]["fields"] =
                    json!([{"name": "trace", "regex": "[0-9]+", "default": "abc"}])
            }),
            format!("{m}/fields/0/default"),
            "the default must match the regex `[0-9]+`",
        ),
        (
            edit(|d| {
                d["methods"][0]["authorization"] = json!({"type": "basic",
                    "username": {"type": "static", "value": "ana"},
                    "password": {"type": "static", "value": "hunter2"}})
            }),
            format!("{m}/authorization/password/value"),
            "a password is a credential: write `$(secret:NAME)`",
        ),
        (
            edit(|d| {
                d["methods"][0]["authorization"] = json!({"type": "basic",
                    "username": {"type": "static", "value": "ana"},
                    "password": {"type": "static", "value": "$(secret:bad name)"}})
            }),
            format!("{m}/authorization/password/value"),
            "bad name",
        ),
        (
            edit(|d| {
                d["methods"][0]["headers"] = json!([]);
                d["methods"][0]["authorization"] = json!({"type": "digest",
                    "username": {"type": "dynamic", "field": "user"},
                    "password": {"type": "static", "value": "Circle of Life"}})
            }),
            format!("{m}/authorization/password/value"),
            "a password is a credential",
        ),
        (
            edit(|d| {
                d["methods"][0]["headers"] = json!([]);
                d["methods"][0]["authorization"] = json!({"type": "oauth2",
                    "tokenUrl": "ftp://idp/token",
                    "clientId": {"type": "static", "value": "client"},
                    "clientSecret": {"type": "static", "value": "s3cret"},
                    "grant": {"type": "clientCredentials"}})
            }),
            format!("{m}/authorization/clientSecret/value"),
            "a client secret is a credential",
        ),
        (
            edit(|d| {
                d["methods"][0]["headers"] = json!([]);
                d["methods"][0]["authorization"] = json!({"type": "oauth2",
                    "tokenUrl": "ftp://idp/token",
                    "clientId": {"type": "static", "value": "client"},
                    "clientSecret": {"type": "static", "value": "$(secret:cs)"},
                    "grant": {"type": "clientCredentials"}})
            }),
            format!("{m}/authorization/tokenUrl"),
            "`ftp://idp/token` is not an http(s) URL",
        ),
        (
            edit(|d| {
                d["methods"][0]["authorization"] = json!({"type": "basic",
                    "username": {"type": "static", "value": "ana"},
                    "password": {"type": "static", "value": "$(secret:api_token)"}})
            }),
            format!("{m}/headers/0/name"),
            "the method's authorization sends this header",
        ),
        (
            edit(|d| {
                d["methods"][0]["throttling"] = json!({"rate": {"requests": 0, "perSeconds": 1}})
            }),
            format!("{m}/throttling/rate/requests"),
            "must be at least 1, got 0: the method could never run",
        ),
        (
            edit(|d| d["methods"][0]["throttling"] = json!({"burst": 5})),
            format!("{m}/throttling"),
            "burst",
        ),
        (
            edit(|d| d["methods"][0]["fields"] = json!([{"name": "trace", "type": "date"}])),
            format!("{m}/fields/0/type"),
            "\"date\"",
        ),
        // Paths in the language of the response type.
        (
            edit(|d| d["methods"][0]["responseType"] = json!("xml")),
            format!("{m}/outputs/0/source/path"),
            "`$.body.sub` is a JSONPath, but the response type is xml",
        ),
        (
            edit(|d| d["methods"][0]["outputs"][0]["source"]["path"] = json!("/body/sub")),
            format!("{m}/outputs/0/source/path"),
            "an XPath? the response type is json",
        ),
        (
            edit(|d| {
                d["methods"][0]["responseType"] = json!("xml");
                d["methods"][0]["outputs"][0]["source"]["path"] = json!("/body[");
            }),
            format!("{m}/outputs/0/source/path"),
            "the XPath `/body[` does not parse",
        ),
        (
            edit(|d| d["methods"][0]["responseType"] = json!("text")),
            format!("{m}/outputs/0/source/path"),
            "a text response is read whole, with the path `$.`",
        ),
        (
            edit(|d| d["methods"][0]["responseSample"] = json!("{\"body\": {\"other\": 1}}")),
            format!("{m}/outputs/0/source/path"),
            "`$.body.sub` reads nothing in the response sample",
        ),
        (
            edit(|d| d["methods"][0]["responseSample"] = json!("<r/>")),
            format!("{m}/responseSample"),
            "the sample does not fit the response type: the response body is not JSON",
        ),
        // XML, SOAP and multipart bodies.
        (
            edit(|d| {
                d["methods"][0]["body"] = json!({"format": "xml", "template": "<a>$(chatId)</b>"})
            }),
            format!("{m}/body/template"),
            "not well-formed XML once placeholders are filled",
        ),
        (
            edit(
                |d| d["methods"][0]["body"] = json!({"format": "soap", "template": "<Envelope>$(chatId)$(path)$(count)</Envelope>"}),
            ),
            format!("{m}/body/soapAction"),
            "a SOAP 1.1 request needs its SOAPAction",
        ),
        (
            edit(|d| {
                d["methods"][0]["body"] = json!({"format": "soap", "soapAction": "urn:x",
                    "template": "<Envelope>$(chatId)$(path)$(count)</Envelope>"})
            }),
            format!("{m}/body/template"),
            "a SOAP body is an `Envelope` in the SOAP 1.1 (http://schemas.xmlsoap.org/soap/envelope/) or 1.2",
        ),
        (
            edit(|d| d["methods"][0]["body"]["soapAction"] = json!("urn:x")),
            format!("{m}/body/soapAction"),
            "only a soap body has a SOAPAction",
        ),
        (
            edit(|d| {
                d["methods"][0]["body"] =
                    json!({"format": "text", "template": "$(chatId)", "omitEmpty": true})
            }),
            format!("{m}/body/omitEmpty"),
            "only a json or form body leaves out what is empty",
        ),
        (
            edit(|d| d["methods"][0]["body"]["format"] = json!("multipart")),
            format!("{m}/body/template"),
            "a multipart body is made of `parts`, not a template",
        ),
        (
            edit(|d| d["methods"][0]["body"]["parts"] = json!([{"type": "dynamic", "name": "x"}])),
            format!("{m}/body/parts"),
            "only a multipart body has parts",
        ),
        (
            edit(|d| {
                d["methods"][0]["body"] = json!({"format": "multipart", "parts": [
                    {"type": "static", "name": "password", "value": "hunter2"}]})
            }),
            format!("{m}/body/parts/0/value"),
            "literal credential",
        ),
        // AWS Signature V4 and TLS.
        (
            edit(|d| {
                d["methods"][0]["headers"].as_array_mut().unwrap().remove(0);
                d["methods"][0]["authorization"] = json!({"type": "aws",
                    "accessKey": {"type": "static", "value": "AKIDEXAMPLE"},
                    "secretKey": {"type": "static", "value": "wJalrXUtnFEMI"},
                    "region": "US East", "service": "execute-api"})
            }),
            format!("{m}/authorization/secretKey/value"),
            "a secret access key is a credential",
        ),
        (
            edit(|d| {
                d["methods"][0]["headers"].as_array_mut().unwrap().remove(0);
                d["methods"][0]["authorization"] = json!({"type": "aws",
                    "accessKey": {"type": "static", "value": "AKIDEXAMPLE"},
                    "secretKey": {"type": "static", "value": "$(secret:aws)"},
                    "region": "US East", "service": "execute-api"})
            }),
            format!("{m}/authorization/region"),
            "`US East` is not an AWS region name",
        ),
        (
            edit(|d| d["methods"][0]["tls"] = json!({"minVersion": "1.3"})),
            format!("{m}/tls"),
            "TLS settings need an https URL",
        ),
        (
            edit(|d| d["methods"][0]["tls"] = json!({"minVersion": "1.1"})),
            format!("{m}/tls"),
            "\"minVersion\":\"1.1\"",
        ),
        (
            edit(|d| d["methods"][0]["tls"] = json!({"trustStore": "not a certificate"})),
            format!("{m}/tls/trustStore"),
            "holds no PEM certificate",
        ),
        (
            edit(|d| {
                d["methods"][0]["tls"] = json!({"clientCertificate": "x",
                    "clientKey": "-----BEGIN PRIVATE KEY-----"})
            }),
            format!("{m}/tls/clientKey"),
            "a private key is a credential",
        ),
        (
            edit(|d| {
                d["methods"][0]["body"] = json!({"format": "multipart", "parts": [{"type": "static", "name": "a", "value": "1"}]});
                d["methods"][0]["headers"][0] =
                    json!({"type": "static", "name": "content-type", "value": "text/plain"});
            }),
            format!("{m}/headers/0/name"),
            "a multipart body sets its own Content-Type (with its boundary)",
        ),
        (
            edit(
                |d| d["methods"][0]["tls"] = json!({"trustStore": "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----"}),
            ),
            format!("{m}/tls/trustStore"),
            "holds a private key: a key is a credential",
        ),
        (
            edit(|d| d["methods"][0]["tls"] = json!({"clientKey": "$(secret:key)"})),
            format!("{m}/tls/clientCertificate"),
            "a client key needs its certificate chain",
        ),
        (
            edit(|d| d["methods"][0]["tls"] = json!({"clientCertificate": "x"})),
            format!("{m}/tls/clientKey"),
            "a client certificate needs its key",
        ),
        (
            edit(|d| {
                d["methods"][0]["headers"].as_array_mut().unwrap().remove(0);
                d["methods"][0]["authorization"] = json!({"type": "aws",
                    "accessKey": {"type": "static", "value": "AKIDEXAMPLE"},
                    "secretKey": {"type": "static", "value": "$(secret:aws)"},
                    "sessionToken": {"type": "static", "value": "FwoGZXIvYXdzEJr"},
                    "region": "us-east-1", "service": "execute-api"})
            }),
            format!("{m}/authorization/sessionToken/value"),
            "a session token is a credential",
        ),
    ];
    for (definition, pointer, text) in cases {
        assert!(
            !text.is_empty(),
            "every message contains \"\"; {pointer} needs its own text"
        );
        let found = problems(&definition);
        assert!(
            found
                .iter()
                .any(|(p, msg)| *p == pointer && msg.contains(text)),
            "expected {pointer:?} with {text:?}, got {found:#?} for {definition}"
        );
    }
}

/// Where a literal credential sits, what the definition holds there, and the whole message.
#[test]
fn a_literal_credential_is_reported_where_it_is_with_what_to_write_instead() {
    let m = "/methods/0";
    let instead = "holds a literal credential; name a secret instead:";
    let cases: Vec<(Value, &str, String, String)> = vec![
        (
            edit(|d| d["methods"][0]["headers"][0]["value"] = json!("Bearer abc123")),
            "abc123",
            format!("{m}/headers/0/value"),
            format!("header `Authorization` {instead} `Bearer $(secret:NAME)`"),
        ),
        (
            edit(|d| d["methods"][0]["headers"][0]["value"] = json!("Basic dXNlcjpwYXNz")),
            "dXNlcjpwYXNz",
            format!("{m}/headers/0/value"),
            format!("header `Authorization` {instead} `Basic $(secret:NAME)`"),
        ),
        (
            // A static value is sent as written: `$(token)` there is literal text, not a value.
            edit(|d| d["methods"][0]["headers"][0]["value"] = json!("bearer $(token)")),
            "$(token)",
            format!("{m}/headers/0/value"),
            format!("header `Authorization` {instead} `Bearer $(secret:NAME)`"),
        ),
        (
            edit(|d| {
                d["methods"][0]["headers"].as_array_mut().unwrap().push(
                    json!({"type": "static", "name": "X-API-Key", "value": "k-123 $(secret:t)"}),
                )
            }),
            "k-123",
            format!("{m}/headers/2/value"),
            format!("header `X-API-Key` {instead} `$(secret:NAME)`"),
        ),
        (
            edit(|d| {
                d["methods"][0]["urlParameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": "static", "name": "api_key", "value": "ak-9"}))
            }),
            "ak-9",
            format!("{m}/urlParameters/1/value"),
            format!("URL parameter `api_key` {instead} `$(secret:NAME)`"),
        ),
        (
            edit(|d| {
                d["methods"][0]["parameters"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"type": "static", "name": "refresh_token", "value": "rt-1"}));
                d["methods"][0]["body"]["template"] =
                    json!("{\"sub\": \"$(chatId)\", \"n\": $(count), \"r\": \"$(refresh_token)\"}");
            }),
            "rt-1",
            format!("{m}/parameters/3/value"),
            format!("parameter `refresh_token` {instead} `$(secret:NAME)`"),
        ),
        (
            edit(|d| {
                d["methods"][0]["url"] =
                    json!("http://127.0.0.1:1/echo/$(path)?v=1&access_token=at-7$(path)#top")
            }),
            "at-7",
            format!("{m}/url"),
            format!(
                "the URL's query parameter `access_token` {instead} `access_token=$(secret:NAME)`"
            ),
        ),
        (
            edit(|d| {
                d["methods"][0]["body"]["template"] = json!(
                    "{\"sub\": \"$(chatId)\", \"n\": $(count), \"auth\": [{\"Password\": \"hunter2\"}]}"
                )
            }),
            "hunter2",
            format!("{m}/body/template"),
            format!(
                "JSON body field `/auth/0/Password` {instead} `\"Password\": \"$(secret:NAME)\"`"
            ),
        ),
        (
            edit(|d| {
                d["methods"][0]["body"] = json!({
                    "format": "form",
                    "template": "sub=$(chatId)&n=$(count)&client_secret=cs-$(chatId)-5"
                })
            }),
            "cs-",
            format!("{m}/body/template"),
            format!("form body field `client_secret` {instead} `client_secret=$(secret:NAME)`"),
        ),
    ];
    for (definition, literal, pointer, message) in cases {
        let found = problems(&definition);
        assert_eq!(found, vec![(pointer, message)], "for {definition}");
        assert!(
            !found[0].1.contains(literal),
            "a message never repeats the credential"
        );
    }
}

#[test]
fn secrets_run_time_values_scheme_words_and_other_names_are_not_credentials() {
    let clean = edit(|d| {
        let method = &mut d["methods"][0];
        method["url"] = json!("http://127.0.0.1:1/echo/$(path)?token=$(secret:t)&key=k1&u=$(path)");
        method["headers"] = json!([
            {"type": "static", "name": "Authorization", "value": "bearer  $(secret:api_token) "},
            {"type": "static", "name": "Proxy-Authorization", "value": "Basic $(secret:proxy)"},
            {"type": "static", "name": "X-Api-Key", "value": "$(secret:api_key)"},
            {"type": "static", "name": "X-Auth-Token", "value": "Token"},
            {"type": "static", "name": "Content-Type", "value": "application/json"},
            {"type": "dynamic", "name": "X-Trace", "field": "trace"},
            {"type": "dynamic", "name": "Cookie-Token", "field": "cookie"}
        ]);
        method["urlParameters"] = json!([
            {"type": "static", "name": "mode", "value": "a b&c"},
            {"type": "static", "name": "access_token", "value": "$(secret:access)"},
            {"type": "dynamic", "name": "apikey", "field": "key"}
        ]);
        method["body"]["template"] = json!(
            "{\"sub\": \"$(chatId)\", \"n\": $(count), \"password\": \"$(secret:pw)\", \
             \"apiKey\": \"$(chatId)\", \"token\": $(count), \"secret\": null, \
             \"auth\": {\"token\": {\"kind\": \"bearer\"}}}"
        );
    });
    assert_eq!(problems(&clean), vec![]);

    let form = edit(|d| {
        d["methods"][0]["body"] = json!({
            "format": "form",
            "template": "sub=$(chatId)&n=$(count)&password=$(secret:pw)&id_token=Bearer+$(chatId)"
        })
    });
    assert_eq!(problems(&form), vec![]);

    let text = edit(|d| {
        d["methods"][0]["body"] = json!({
            "format": "text",
            "template": "sub=$(chatId) n=$(count) password=not-a-field"
        })
    });
    assert_eq!(problems(&text), vec![], "a text body has no fields");
}

#[test]
fn several_faults_are_reported_together() {
    let definition = edit(|d| {
        d["unknown"] = json!(true);
        d["methods"][0]["requestTimeoutMs"] = json!(99999);
        d["methods"][0]["outputs"][0]["source"]["path"] = json!("$[");
    });
    let found = pointers(&definition);
    assert_eq!(found.len(), 3, "{found:?}");
    let text_problem = node::check("{ not json").1;
    assert_eq!(text_problem.len(), 1);
    assert!(text_problem[0].message.starts_with("not valid JSON"));
    assert!(node::load(&valid().to_string()).is_ok());
    assert!(node::load(&definition.to_string()).is_err());
}

#[test]
fn the_committed_schema_is_the_generated_one_and_accepts_the_bundled_node() {
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../nodes/node-definition.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        committed,
        node::schema(),
        "regenerate with: icnode node schema > nodes/node-definition.schema.json"
    );
    let validator = jsonschema::validator_for(&committed).unwrap();
    let bundled: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../nodes/instant-connect.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&bundled)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(
        !validator.is_valid(&json!({"name": "x", "methods": []})),
        "at least one method"
    );
}

#[test]
fn a_method_names_its_secrets_once_each_wherever_they_stand() {
    let mut definition = valid();
    definition["methods"][0]["url"] = json!("https://x.test/$(path)?k=$(secret:url_key)");
    definition["methods"][0]["headers"][1] =
        json!({"type": "static", "name": "X-Other", "value": "$(secret:api_token)"});
    definition["methods"][0]["tls"] = json!({"minVersion": "1.3"});
    let node: node::NodeDefinition = serde_json::from_value(definition).unwrap();
    assert_eq!(node.methods[0].secret_names(), ["url_key", "api_token"]);
}

#[test]
fn a_soap_12_envelope_needs_no_soap_action_and_a_whole_envelope_passes() {
    const SOAP_11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
    const SOAP_12: &str = "http://www.w3.org/2003/05/soap-envelope";
    let envelope = |namespace: &str| {
        format!(
            "<s:Envelope xmlns:s=\"{namespace}\"><s:Body><Ping>$(chatId)$(path)$(count)</Ping></s:Body></s:Envelope>"
        )
    };
    let soap_12 = edit(|d| {
        d["methods"][0]["body"] = json!({"format": "soap", "template": envelope(SOAP_12)})
    });
    assert_eq!(problems(&soap_12), vec![]);
    let soap_11 = edit(|d| {
        d["methods"][0]["body"] =
            json!({"format": "soap", "soapAction": "urn:Ping", "template": envelope(SOAP_11)})
    });
    assert_eq!(problems(&soap_11), vec![]);

    assert!(node::check::is_soap_envelope(&envelope(SOAP_11)));
    assert!(node::check::is_soap_envelope(&envelope(SOAP_12)));
    assert!(!node::check::is_soap_envelope(
        "<Envelope>$(chatId)</Envelope>"
    ));
    assert!(!node::check::is_soap_envelope("<s:Envelope"));
}

#[test]
fn a_placeholder_may_stand_for_the_urls_host() {
    assert_eq!(node::check::url_problem("https://$(host)/v1/$(path)"), None);
    assert_eq!(node::check::url_problem("https://$(host):8443/v1"), None);
    assert_eq!(
        node::check::url_problem("ftp://$(host)/v1"),
        Some("the URL must be http or https, not `ftp`".to_owned())
    );
}

#[test]
fn a_field_regex_may_be_a_thousand_characters_and_no_more() {
    use node::fields::{MAX_REGEX_LEN, compile};
    assert_eq!(MAX_REGEX_LEN, 1000);
    let longest = "a".repeat(MAX_REGEX_LEN);
    assert!(compile(&longest).unwrap().is_match(&longest));
    assert_eq!(
        compile(&"a".repeat(MAX_REGEX_LEN + 1)).unwrap_err(),
        "is longer than 1000 characters"
    );
}

#[test]
fn a_phone_field_takes_a_plus_a_nonzero_digit_and_seven_to_fourteen_more_digits() {
    use node::FieldType;
    use node::fields::check_type;
    for good in ["+12345678", "+123456789012345"] {
        assert_eq!(check_type(FieldType::Phone, good), Ok(()), "{good}");
    }
    for bad in [
        "12345678",
        "+1234567",
        "+1234567890123456",
        "+02345678",
        "+1234567a",
        "+abcdefgh",
    ] {
        assert!(check_type(FieldType::Phone, bad).is_err(), "{bad}");
    }
}
