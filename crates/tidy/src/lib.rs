//! The workspace's own checks, in one place: what ARCHITECTURE.md, README.md and SECURITY.md
//! claim about the tree, the arrows between our crates, where `unsafe` may live, how long a file
//! or a function may grow, and that no two files of a crate import each other in a circle.
//!
//! This crate ships nothing and no other crate depends on it. The checks are its tests
//! (`tests/tidy/`), so `cargo test --workspace` runs them with everything else, and
//! `cargo test -p tidy` runs them alone. This library holds only what those tests share: where
//! the workspace is, what cargo says about it, its documents, and its Rust source files.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The workspace root, where Cargo.toml, ARCHITECTURE.md and README.md live.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// `cargo metadata` for the workspace: its packages and their declared dependencies.
pub fn metadata() -> Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// A file of the workspace, by its path from the root (`ARCHITECTURE.md`, `Cargo.toml`).
pub fn read(name: &str) -> String {
    let path = root().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `.rs` file below `dir`, sorted so reports come out in the same order on every run;
/// a `target/` directory (a crate built on its own) holds no source and is skipped.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                if !path.ends_with("target") {
                    dirs.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// One crate's production sources: each `.rs` file under its `src/`, by its path from there
/// (`http/mod.rs`), with its text.
pub struct CrateSources {
    /// The crate's directory from the workspace root (`crates/server`).
    pub dir: String,
    pub files: Vec<(String, String)>,
}

impl CrateSources {
    /// The path of a file from the workspace root, as reports cite it.
    pub fn cite(&self, file: &str) -> String {
        format!("{}/src/{file}", self.dir)
    }
}

/// Every crate under `crates/` with a `src/`, with its sources.
pub fn crate_sources() -> Vec<CrateSources> {
    let crates = root().join("crates");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&crates)
        .expect("crates/ exists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.join("src").is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let src = dir.join("src");
            let files = rust_files(&src)
                .into_iter()
                .map(|path| {
                    let text = std::fs::read_to_string(&path)
                        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    let relative = path.strip_prefix(&src).expect("under src/");
                    (relative.to_string_lossy().into_owned(), text)
                })
                .collect();
            let name = dir
                .file_name()
                .expect("a crate directory")
                .to_string_lossy();
            CrateSources {
                dir: format!("crates/{name}"),
                files,
            }
        })
        .collect()
}
