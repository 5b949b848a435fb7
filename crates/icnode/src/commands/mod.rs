//! One function a command, and the error type that decides the exit code.

mod bench;
mod link;
mod node;
mod serve;
mod service;

use crate::cli::Command;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or input: exit 2.
    #[error("{0}")]
    Usage(String),
    /// The work failed at run time (broker refused or unreachable, port taken): exit 1.
    #[error("{0}")]
    Runtime(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Runtime(_) => 1,
        }
    }

    /// Bad input, told with its causes.
    pub fn usage(error: &dyn std::error::Error) -> Self {
        CliError::Usage(instant_connect::report(error))
    }

    /// A runtime failure, told with its causes.
    pub fn runtime(error: &dyn std::error::Error) -> Self {
        CliError::Runtime(instant_connect::report(error))
    }
}

pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Up(args) => serve::up(args).await,
        Command::Broker(args) => serve::broker(args).await,
        Command::Serve(args) => service::serve(args).await,
        Command::Keys(command) => service::keys(command).await,
        Command::Link(args) => link::link(args).await,
        Command::AddGuest(args) => link::add_guest(args).await,
        Command::Node(command) => node::node(command).await,
        Command::Bench(command) => bench::bench(command),
    }
}

/// The command line flag that sets a broker settings field (`salt_length` → `--salt-length`).
pub fn flag_for_setting(field: &str) -> String {
    match field {
        "tokens" => "--token".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    }
}
