//! `icnode bench mint`, as `bench/run` calls it: tokens minted for as long as it is told, and
//! a report that adds up.

use std::time::Duration;

use serde_json::Value;

use crate::{ended_within, icnode};

/// `bench mint` with `args`; one that mints on where it should refuse fails the test in 30 s
/// rather than running for as long as it was told.
fn mint(args: &[&str]) -> std::process::Output {
    let mut command = icnode();
    command
        .args(["bench", "mint", "--iterations", "1000"])
        .args(args);
    ended_within(command, Duration::from_secs(30))
}

#[test]
fn mint_reports_the_tokens_it_made_in_the_time_it_was_given() {
    let out = mint(&[
        "--seconds",
        "0.3",
        "--alg",
        "PBES2-HS256+A128KW",
        "--enc",
        "A128GCM",
        "--json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["alg"], "PBES2-HS256+A128KW");
    assert_eq!(report["enc"], "A128GCM");
    assert_eq!(report["iterations"], 1000);
    let seconds = report["seconds"].as_f64().unwrap();
    let tokens = report["tokens"].as_u64().unwrap();
    let rate = report["tokensPerSecond"].as_f64().unwrap();
    assert!((0.3..60.0).contains(&seconds), "{report}");
    assert!(tokens >= 1, "{report}");
    assert!(
        (rate - tokens as f64 / seconds).abs() < 1e-6 * rate,
        "{report}"
    );

    let out = mint(&["--seconds", "0.1"]);
    assert!(out.status.success(), "{out:?}");
    let line = String::from_utf8(out.stdout).unwrap();
    assert!(
        line.starts_with("mint PBES2-HS512+A256KW/A256GCM at 1000 iterations: ")
            && line.contains(" tokens/s on one core ("),
        "{line}"
    );
}

#[test]
fn mint_refuses_a_time_of_zero_or_over_ten_minutes_naming_the_flag() {
    for seconds in ["0", "-1", "600.5", "NaN"] {
        let out = mint(&[&format!("--seconds={seconds}")]);
        assert_eq!(out.status.code(), Some(2), "{seconds}: {out:?}");
        let said = String::from_utf8(out.stderr).unwrap();
        assert!(
            said.contains("--seconds must be more than 0 and at most 600"),
            "{seconds}: {said}"
        );
    }
}
