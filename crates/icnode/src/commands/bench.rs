//! `icnode bench mint`: tokens minted per second on one core. PBKDF2 dominates, so this is
//! the broker's ceiling per core; `bench/run` puts it beside
//! the SHA-512 limit of the machine and OpenSSL's own PBKDF2.

use std::time::{Duration, Instant};

use broker::{Minter, Pbes2Range};
use instant_connect::{LinkRequest, Role};
use serde::Serialize;

use super::error::CliError;
use crate::cli::{BenchCommand, BenchMintArgs};

/// The real broker's sample salt input length.
const SALT_LENGTH: usize = 21;
const BENCH_ORG_ID: &str = "00000000-0000-4000-8000-000000000000";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MintReport {
    alg: String,
    enc: String,
    iterations: u32,
    seconds: f64,
    tokens: u64,
    tokens_per_second: f64,
}

pub fn bench(command: BenchCommand) -> Result<(), CliError> {
    match command {
        BenchCommand::Mint(args) => mint(&args),
    }
}

fn mint(args: &BenchMintArgs) -> Result<(), CliError> {
    if !(args.seconds > 0.0 && args.seconds <= 600.0) {
        return Err(CliError::Usage(
            "--seconds must be more than 0 and at most 600".into(),
        ));
    }
    let minter = Minter::new(
        "icnode bench secret".into(),
        BENCH_ORG_ID.to_owned(),
        Pbes2Range::fixed(Some(args.iterations), Some(SALT_LENGTH)),
    );
    let now = instant_connect::unix_now();
    let mut request = LinkRequest::new("bench-visit");
    request.jwe_alg = Some(args.alg);
    request.enc = Some(args.enc);
    let plan = request
        .validate(now)
        .map_err(|e| CliError::Usage(e.to_string()))?
        .value;

    let budget = Duration::from_secs_f64(args.seconds);
    let started = Instant::now();
    let mut tokens = 0u64;
    while started.elapsed() < budget {
        minter
            .mint(&plan, Role::Guest, now)
            .map_err(|e| CliError::runtime(&e))?;
        tokens += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    let report = MintReport {
        alg: args.alg.to_string(),
        enc: args.enc.to_string(),
        iterations: args.iterations,
        seconds,
        tokens,
        tokens_per_second: tokens as f64 / seconds,
    };
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| CliError::runtime(&e))?
        );
    } else {
        println!(
            "mint {}/{} at {} iterations: {:.1} tokens/s on one core ({} in {:.2} s)",
            report.alg,
            report.enc,
            report.iterations,
            report.tokens_per_second,
            report.tokens,
            report.seconds
        );
    }
    Ok(())
}
