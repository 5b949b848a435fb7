//! How a command fails, and the exit code that says so.

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
    pub fn usage(error: &(dyn std::error::Error + 'static)) -> Self {
        CliError::Usage(resilience::report(error))
    }

    /// A runtime failure, told with its causes.
    pub fn runtime(error: &(dyn std::error::Error + 'static)) -> Self {
        CliError::Runtime(resilience::report(error))
    }
}
