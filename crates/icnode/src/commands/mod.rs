//! One function a command, and the error type that decides the exit code.

mod bench;
mod link;
mod node;
mod serve;

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
}

pub async fn run(command: Command) -> Result<(), CliError> {
    match command {
        Command::Up(args) => serve::up(args).await,
        Command::Broker(args) => serve::broker(args).await,
        Command::Link(args) => link::link(args).await,
        Command::AddGuest(args) => link::add_guest(args).await,
        Command::Node(command) => node::node(command).await,
        Command::Bench(command) => bench::bench(command),
    }
}

/// An error and its causes on one line: what a person needs to act on it.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
