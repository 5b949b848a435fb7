//! The local broker as `broker` and `up` open it: its settings from the flags, and its errors
//! in the flags' words.

use std::path::PathBuf;
use std::sync::Arc;

use broker::{BrokerError, BrokerSettings, LocalBroker};
use instant_connect::SystemClock;
use url::Url;

use super::error::CliError;
use crate::cli::Pbes2Options;

/// The command line flag that sets a broker settings field (`salt_length` → `--salt-length`).
pub fn flag_for_setting(field: &str) -> String {
    match field {
        "tokens" => "--token".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

/// Settings errors are the user's (named by their flag); the rest happened at run time.
fn open_error(error: BrokerError) -> CliError {
    match error {
        BrokerError::Settings(error) => {
            CliError::Usage(format!("{} {}", flag_for_setting(error.field), error.rule))
        }
        other => CliError::runtime(&other),
    }
}

pub(super) async fn open(settings: BrokerSettings, url: &Url) -> Result<LocalBroker, CliError> {
    LocalBroker::open(settings, url, Arc::new(SystemClock))
        .await
        .map_err(open_error)
}

/// A broker's settings with its data directory and PBES2 choices; the rest as by default.
pub(super) fn broker_settings(data_dir: Option<PathBuf>, pbes2: &Pbes2Options) -> BrokerSettings {
    BrokerSettings {
        data_dir,
        iterations: pbes2.iterations,
        salt_length: pbes2.salt_length.map(|n| n as usize),
        ..BrokerSettings::default()
    }
}
