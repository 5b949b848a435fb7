//! ARCHITECTURE.md's one-way arrows, checked against what cargo itself resolves: each crate may
//! depend only on the crates of ours its arrow allows.

use tidy::{metadata, read, rust_files};

/// The crates of ours each crate of ours depends on (normal and build dependencies; test-only
/// dependencies may reach further down).
fn arrows() -> Vec<(String, Vec<String>)> {
    let metadata = metadata();
    let packages = metadata["packages"].as_array().unwrap();
    let ours: Vec<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    packages
        .iter()
        .map(|package| {
            let depends_on = package["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].as_str() != Some("dev"))
                .map(|d| d["name"].as_str().unwrap())
                .filter(|name| ours.contains(name))
                .map(str::to_owned)
                .collect();
            (package["name"].as_str().unwrap().to_owned(), depends_on)
        })
        .collect()
}

/// ARCHITECTURE.md's table of arrows: each crate and the crates of ours it may depend on.
fn documented_arrows() -> Vec<(String, Vec<String>)> {
    let text = read("ARCHITECTURE.md");
    let table = text
        .split("| crate | may depend on |")
        .nth(1)
        .expect("ARCHITECTURE.md has the table of arrows");
    table
        .lines()
        .skip(2) // the rest of the header line, and the separator
        .map(str::trim)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
            let names = |cell: &str| -> Vec<String> {
                cell.split(',')
                    .map(|name| name.trim().trim_matches('`').to_owned())
                    .filter(|name| !name.is_empty() && name != "—")
                    .collect()
            };
            (cells[0].trim_matches('`').to_owned(), names(cells[1]))
        })
        .collect()
}

#[test]
fn arrows_point_one_way_as_architecture_md_says() {
    let documented = documented_arrows();
    assert!(documented.len() >= 5, "{documented:?}");
    let arrows = arrows();
    for (krate, depends_on) in &arrows {
        let allowed = &documented
            .iter()
            .find(|(name, _)| name == krate)
            .unwrap_or_else(|| panic!("{krate} has no row in ARCHITECTURE.md's table of arrows"))
            .1;
        for dependency in depends_on {
            assert!(
                allowed.contains(dependency),
                "{krate} must not depend on {dependency}"
            );
        }
    }
    let of = |name: &str| &arrows.iter().find(|(k, _)| k == name).unwrap().1;
    assert_eq!(
        of("instant-connect"),
        &["jose", "resilience"],
        "cargo sees the dependencies"
    );
    assert!(
        of("icnode").contains(&"broker".to_owned()),
        "icnode → broker"
    );
    let node_allowed = &documented.iter().find(|(k, _)| k == "node").unwrap().1;
    assert_eq!(node_allowed, &["resilience"], "the engine knows no service");
    let resilience_allowed = &documented
        .iter()
        .find(|(k, _)| k == "resilience")
        .unwrap()
        .1;
    assert!(
        resilience_allowed.is_empty(),
        "retries and limits know no caller"
    );
}

/// The workspace's members, by name.
pub fn members() -> Vec<String> {
    arrows().into_iter().map(|(name, _)| name).collect()
}

/// The one module allowed `unsafe` code is `jose::kdf` (FFI to libcrypto's SHA-2 block
/// functions): every other crate takes the workspace's `forbid`, and jose's own `deny` is
/// lifted nowhere else.
#[test]
fn unsafe_code_lives_only_in_jose_kdf() {
    let workspace = read("Cargo.toml");
    assert!(
        workspace.contains("[workspace.lints.rust]\nunsafe_code = \"forbid\""),
        "the workspace forbids unsafe code"
    );
    let metadata = metadata();
    for package in metadata["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let manifest = std::fs::read_to_string(package["manifest_path"].as_str().unwrap()).unwrap();
        if name == "jose" {
            assert!(
                manifest.contains("[lints.rust]\nunsafe_code = \"deny\""),
                "{name}"
            );
        } else {
            assert!(
                manifest.contains("[lints]\nworkspace = true"),
                "{name} takes the workspace lints"
            );
        }
        let src = std::path::Path::new(package["manifest_path"].as_str().unwrap())
            .parent()
            .unwrap()
            .join("src");
        for path in rust_files(&src) {
            let text = std::fs::read_to_string(&path).unwrap();
            let allowed = path.ends_with("jose/src/kdf.rs");
            assert_eq!(
                text.contains("allow(unsafe_code)"),
                allowed,
                "{}: only jose::kdf allows unsafe code",
                path.display()
            );
        }
    }
}
