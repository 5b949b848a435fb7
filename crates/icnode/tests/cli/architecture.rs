//! ARCHITECTURE.md's one-way arrows, checked against what cargo itself resolves: each crate may
//! depend only on the crates of ours its arrow allows.

use serde_json::Value;

/// `cargo metadata` for the workspace: the packages and their declared dependencies.
fn metadata() -> Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

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

#[test]
fn arrows_point_one_way() {
    let allowed: [(&str, &[&str]); 5] = [
        ("jose", &[]),
        ("instant-connect", &["jose"]),
        ("broker", &["jose", "instant-connect"]),
        ("node", &[]),
        ("icnode", &["broker", "instant-connect", "node", "server"]),
    ];
    let arrows = arrows();
    let names: Vec<&str> = arrows.iter().map(|(name, _)| name.as_str()).collect();
    for (krate, _) in &allowed {
        assert!(names.contains(krate), "{krate} is a workspace member");
    }
    for (krate, depends_on) in &arrows {
        let allowed = allowed
            .iter()
            .find(|(name, _)| name == krate)
            .unwrap_or_else(|| panic!("{krate} has no arrow in ARCHITECTURE.md's list here"))
            .1;
        for dependency in depends_on {
            assert!(
                allowed.contains(&dependency.as_str()),
                "{krate} must not depend on {dependency}"
            );
        }
    }
    let of = |name: &str| &arrows.iter().find(|(k, _)| k == name).unwrap().1;
    assert_eq!(
        of("instant-connect"),
        &["jose"],
        "cargo sees the dependencies"
    );
    assert!(
        of("icnode").contains(&"broker".to_owned()),
        "icnode → broker"
    );
}
