//! The API's document is its contract, checked from the outside as clients meet it:
//! a standard validator (openapi-spec-validator) accepts it; a property-based tester driven
//! by it alone (Schemathesis, every check, every phase, stateful included) finds nothing
//! against `icnode up` with a real key; and a client generated from it by a mainstream
//! generator (openapi-python-client) makes a meeting, adds guests, pages the list and reads a
//! typed error. The tools come from PyPI: `.ci/run` installs them into `target/pytools`; on a
//! machine without them the suite is skipped with a reason, and fails when `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::service::start_up_with;
use crate::{Server, used_secret};

/// Where `.ci/run` installs the Python tools.
const PYTOOLS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/pytools/bin");
/// The tester's settings and the generated client's script.
const CONTRACT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/contract");

/// A tool from `target/pytools`, or from the PATH; `None` (said, or failed under `CI=true`).
fn tool(name: &str) -> Option<PathBuf> {
    let installed = Path::new(PYTOOLS).join(name);
    if installed.exists() {
        return Some(installed);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.exists())
    });
    if on_path.is_none() {
        let reason = format!("{name} is not installed (.ci/run puts it in target/pytools)");
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and {reason}");
        }
        eprintln!("skipped: {reason}");
    }
    on_path
}

/// `icnode up` at cheap iterations on a fresh directory: the process, its URL, its dev key.
fn up(dir: &Path) -> (Server, String, String) {
    let (server, url) = start_up_with(dir, &["--iterations", "1000"]);
    let key = std::fs::read_to_string(dir.join("dev-api-key"))
        .unwrap()
        .trim()
        .to_owned();
    used_secret(&key);
    (server, url, key)
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{command:?} failed:\n{text}");
    text
}

/// The commit's seed, as `.ci/run` gives property tests, so a run is repeatable and each
/// commit tries new inputs.
fn seed() -> String {
    std::env::var("PROPTEST_RNG_SEED").unwrap_or_else(|_| "1".to_owned())
}

#[test]
fn the_document_validates_and_a_property_based_tester_finds_nothing() {
    let (Some(validator), Some(schemathesis)) =
        (tool("openapi-spec-validator"), tool("schemathesis"))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, key) = up(dir.path());
    let document = dir.path().join("openapi.json");
    let body = reqwest::blocking::get(format!("{url}/openapi.json"))
        .unwrap()
        .text()
        .unwrap();
    std::fs::write(&document, body).unwrap();
    run(Command::new(validator).arg(&document));

    let report = run(Command::new(schemathesis)
        .arg("--config-file")
        .arg(Path::new(CONTRACT).join("schemathesis.toml"))
        .args(["run", &format!("{url}/openapi.json"), "--no-color"])
        .args(["--seed", &seed()])
        .args(["-H", &format!("Authorization: Bearer {key}")])
        .current_dir(dir.path()));
    // Every operation tried but `createWebhook` and `followEvents` (not generated: see
    // schemathesis.toml), every phase run, and no failure (the exit status says so too).
    assert!(report.contains("Tested: 29"), "{report}");
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(
            report.contains(&format!("✅ {phase}")),
            "{phase}:\n{report}"
        );
    }
    assert!(!report.contains("Failures:"), "{report}");
    eprintln!("{}", report.rsplit("Test cases:").next().unwrap_or(""));
}

#[test]
fn a_client_generated_from_the_document_makes_pages_and_reads_typed_errors() {
    let (Some(generator), Some(python)) = (tool("openapi-python-client"), tool("python3")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (_up, url, key) = up(dir.path());
    let generated = dir.path().join("client");
    run(Command::new(generator)
        .args(["generate", "--url", &format!("{url}/openapi.json")])
        .arg("--output-path")
        .arg(&generated)
        .current_dir(dir.path()));
    let said = run(Command::new(python)
        .arg(Path::new(CONTRACT).join("client.py"))
        .env("PYTHONPATH", &generated)
        .env("ICNODE_URL", &url)
        .env("ICNODE_KEY", &key));
    assert!(said.contains("list paged, errors typed"), "{said}");
}
