//! `icnode`: the command line. Parsing and wiring only; the work is in the library crates.
//!
//! Exit codes: 0 success; 1 runtime failure (the broker refused, or could not be reached);
//! 2 bad usage or input.

mod bundled;
mod cli;
mod commands;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    let matches = cli::Cli::command().get_matches();
    for warning in cli::secrets_on_the_command_line(&matches) {
        eprintln!("icnode: warning: {warning}");
    }
    let cli = match cli::Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(error) => error.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("icnode: could not start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("icnode: {error}");
            ExitCode::from(error.exit_code())
        }
    }
}
