//! Mutation testing as MUTANTS.md describes it: CI tries the last commit's mutants in what is
//! left of 20 minutes, and a mutant is excluded only with its reason beside it.

use tidy::read;

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
