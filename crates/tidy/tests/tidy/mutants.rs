//! Mutation testing as MUTANTS.md describes it: CI tries the last commit's mutants in what is
//! left of 20 minutes, and a mutant is excluded only with its reason beside it.

use tidy::{read, root, rust_files};

#[test]
fn ci_tries_the_changes_mutants_last_in_what_is_left_of_twenty_minutes() {
    let run = read(".ci/run");
    let steps: Vec<&str> = run
        .lines()
        .filter(|line| line.starts_with("step ") || line.contains(" step "))
        .collect();
    assert_eq!(
        steps.last().copied(),
        Some("step bash .ci/mutants-diff $((20 * 60 - SECONDS - 60))"),
        "{steps:?}"
    );
    let script = read(".ci/mutants-diff");
    for promise in [
        "--in-diff",
        "--baseline skip",
        "HEAD^",
        "missed.txt",
        "exit 1",
    ] {
        assert!(script.contains(promise), "{promise}");
    }
}

#[test]
fn every_excluded_mutant_has_its_reason_beside_it() {
    let config = read(".cargo/mutants.toml");
    let list = config
        .split("exclude_re = [")
        .nth(1)
        .and_then(|rest| rest.split("\n]").next())
        .expect(".cargo/mutants.toml has an exclude_re list");
    for line in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line == "]" {
            break;
        }
        let (pattern, reason) = line
            .split_once(" # ")
            .unwrap_or_else(|| panic!("no reason beside `{line}`"));
        assert!(
            pattern.starts_with('"') && pattern.ends_with("\","),
            "{line}"
        );
        assert!(reason.trim().len() >= 20, "a reason, not a word: `{line}`");
    }
}

/// MUTANTS.md names the test that pins each gap the first measurement found; a test renamed or
/// removed must take its line in the table with it.
#[test]
fn every_test_the_gaps_table_names_exists() {
    let document = read("MUTANTS.md");
    let table = document
        .split("## The gaps the issue named")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("MUTANTS.md has its table of the gaps");
    let named: Vec<&str> = table
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| gap"))
        .flat_map(|line| line.rsplit(" | ").next().unwrap_or("").split('`'))
        .filter(|word| word.matches('_').count() >= 3 && !word.contains(' '))
        .collect();
    assert!(named.len() >= 17, "{named:?}");
    let sources: String = rust_files(&root().join("crates"))
        .iter()
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    for test in named {
        assert!(
            sources.contains(&format!("fn {test}(")),
            "MUTANTS.md names `{test}`, which no crate defines"
        );
    }
}
