//! ARCHITECTURE.md's one-way arrows, checked: each crate may depend only on the crates of ours
//! its arrow allows.

const OURS: [&str; 6] = [
    "jose",
    "instant-connect",
    "broker",
    "node",
    "server",
    "icnode",
];

fn dependencies_of(krate: &str) -> Vec<String> {
    let manifest = std::fs::read_to_string(format!(
        "{}/../{krate}/Cargo.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let section = manifest.split("[dependencies]").nth(1).unwrap_or("");
    let section = section.split("\n[").next().unwrap_or("");
    section
        .lines()
        .filter_map(|line| line.split(['.', ' ', '=']).next())
        .filter(|name| OURS.contains(name))
        .map(str::to_owned)
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
    for (krate, allowed) in allowed {
        for dependency in dependencies_of(krate) {
            assert!(
                allowed.contains(&dependency.as_str()),
                "{krate} must not depend on {dependency}"
            );
        }
    }
    assert_eq!(
        dependencies_of("instant-connect"),
        ["jose"],
        "the parser sees the dependencies"
    );
}
