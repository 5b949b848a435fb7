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
    assert_eq!(definition.methods.len(), 2);
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
            "",
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
            "edge",
        ),
        (
            edit(|d| d["methods"][0]["events"][1]["edge"] = json!("timeout")),
            format!("{m}/events/1/edge"),
            "",
        ),
        (
            edit(|d| d["methods"][0]["events"][0]["condition"] = json!("matches")),
            format!("{m}/events/0/condition"),
            "",
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
            "20000",
        ),
        (
            edit(|d| d["methods"][0]["connectionTimeoutMs"] = json!(0)),
            format!("{m}/connectionTimeoutMs"),
            "",
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
            "",
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
            "",
        ),
    ];
    for (definition, pointer, text) in cases {
        let found = problems(&definition);
        assert!(
            found
                .iter()
                .any(|(p, msg)| *p == pointer && msg.contains(text)),
            "expected {pointer:?} with {text:?}, got {found:#?} for {definition}"
        );
    }
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
