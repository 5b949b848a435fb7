//! README.md and ARCHITECTURE.md say where things are and what they are: each of those claims
//! is checked against the tree here. (The README's commands are parsed by the binary's own
//! unit test, `cli::tests::the_readmes_commands_parse`.)

use tidy::{read, root, rust_files};

use crate::architecture::members;

/// The first cell of each code-map row of ARCHITECTURE.md, without backticks.
fn code_map() -> Vec<String> {
    let text = read("ARCHITECTURE.md");
    let map = text.split("## Code map").nth(1).unwrap();
    let map = map.split("\n## ").next().unwrap();
    map.lines()
        .filter(|line| line.starts_with("| `"))
        .map(|line| line[3..].split('`').next().unwrap().to_owned())
        .collect()
}

/// Where a newcomer looks first for a rule: the words they would search the code map for, and
/// the one room they should land in.
const ROOMS: &[(&str, &str)] = &[
    ("the validity window", "server::domain::window"),
    ("`Idempotency-Key`:", "server::idempotency"),
    (
        "the console's meeting pages",
        "server::http::console::meetings",
    ),
    ("OAuth 2.0 access tokens", "node::run::authorize::oauth"),
    ("collection v2.1", "importer::postman"),
    (
        "the one builder of a broker `LinkRequest`",
        "server::domain::links",
    ),
    (
        "the API's name for each domain field",
        "server::http::types",
    ),
];

#[test]
fn a_newcomer_finds_the_room_of_each_rule_in_one_row_of_the_code_map() {
    let text = read("ARCHITECTURE.md");
    let map = text.split("## Code map").nth(1).unwrap();
    for (words, room) in ROOMS {
        let rows: Vec<&str> = map
            .lines()
            .filter(|line| line.starts_with("| `") && line.contains(words))
            .collect();
        assert_eq!(
            rows.len(),
            1,
            "`{words}` is in {} rows: {rows:?}",
            rows.len()
        );
        assert!(
            rows[0].starts_with(&format!("| `{room}` |")),
            "`{words}` leads to {} rather than {room}",
            rows[0]
        );
    }
}

#[test]
fn the_code_map_names_every_crate_and_only_modules_that_exist() {
    let map = code_map();
    for member in members() {
        assert!(
            map.contains(&format!("crates/{member}")),
            "crates/{member} is not in the code map"
        );
    }
    for entry in &map {
        if let Some((krate, module)) = entry.split_once("::") {
            let src = root()
                .join("crates")
                .join(krate.replace('_', "-"))
                .join("src");
            let path = module.replace("::", "/");
            assert!(
                src.join(format!("{path}.rs")).exists() || src.join(path).join("mod.rs").exists(),
                "{entry} has no file under {}",
                src.display()
            );
        } else {
            assert!(root().join(entry).exists(), "{entry} does not exist");
        }
    }
}

/// Every variant of `ClientError`, by name; a new variant fails to compile here until it is
/// named, and then until ARCHITECTURE.md lists it.
fn client_error_variant(error: &instant_connect::ClientError) -> &'static str {
    use instant_connect::ClientError::*;
    match error {
        Invalid(_) => "Invalid",
        Connect { .. } => "Connect",
        Timeout { .. } => "Timeout",
        Status { .. } => "Status",
        UnexpectedBody { .. } => "UnexpectedBody",
        TooLarge { .. } => "TooLarge",
        Transport { .. } => "Transport",
        Build(_) => "Build",
    }
}

#[test]
fn architecture_lists_every_client_error() {
    let listed = read("ARCHITECTURE.md");
    let listed = listed
        .split("`ClientError` {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("ARCHITECTURE.md lists ClientError's variants");
    let listed: Vec<&str> = listed.split(',').map(str::trim).collect();
    let sample = instant_connect::ClientError::TooLarge {
        status: 200,
        limit: 1,
    };
    assert_eq!(client_error_variant(&sample), "TooLarge");
    let all = [
        "Invalid",
        "Connect",
        "Timeout",
        "Status",
        "UnexpectedBody",
        "TooLarge",
        "Transport",
        "Build",
    ];
    assert_eq!(listed, all);
}

#[test]
fn the_readme_states_the_rust_version_the_workspace_declares() {
    let manifest = read("Cargo.toml");
    let declared = manifest
        .lines()
        .find_map(|line| line.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"');
    assert!(
        read("README.md").contains(&format!("Rust ({declared} or newer)")),
        "README.md must say Rust {declared}"
    );
}

#[test]
fn the_documents_the_readme_points_to_exist() {
    let readme = read("README.md");
    for document in [
        "docs/broker.md",
        "docs/webex-connect.md",
        "docs/nodes.md",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "MUTANTS.md",
        "SECURITY.md",
        "nodes/instant-connect.json",
    ] {
        assert!(readme.contains(document), "{document}");
        assert!(root().join(document).exists(), "{document}");
    }
}

/// A merge that stopped halfway leaves its markers in prose, where no compiler sees them.
#[test]
fn no_document_holds_merge_conflict_markers() {
    let listed = std::process::Command::new("git")
        .args([
            "ls-files", "*.md", "*.toml", "*.json", "*.yaml", "*.yml", ".ci/run",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(listed.status.success(), "git ls-files failed");
    let files = String::from_utf8(listed.stdout).unwrap();
    assert!(files.lines().count() > 5, "git listed too little: {files}");
    for file in files.lines() {
        let text = std::fs::read_to_string(root().join(file)).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            assert!(
                !(line.starts_with("<<<<<<< ")
                    || line.starts_with(">>>>>>> ")
                    || line == "======="),
                "{file}:{}: a merge conflict marker",
                number + 1
            );
        }
    }
}

/// SECURITY.md names the test behind each defence: every test it names exists, and every file
/// it points to is there.
#[test]
fn every_test_and_file_security_md_names_exists() {
    let security = read("SECURITY.md");
    let mut tests = String::new();
    for path in rust_files(&root().join("crates")) {
        tests.push_str(&std::fs::read_to_string(&path).unwrap());
    }
    let named: Vec<&str> = security.split('`').skip(1).step_by(2).collect();
    let mut checked = 0;
    for name in named {
        if name.starts_with("crates/") {
            assert!(root().join(name).exists(), "SECURITY.md points to {name}");
            checked += 1;
        } else if name.matches('_').count() >= 3 && !name.contains(' ') {
            let function = format!("fn {}", name.trim_end_matches('*'));
            assert!(
                tests.contains(&function),
                "SECURITY.md names a test that is not there: {name}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} tests and files named");
}
