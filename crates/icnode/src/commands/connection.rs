//! How a command reaches a broker: its token, the join host of its links, a client.

use instant_connect::{Client, ClientConfig, JoinUrls};
use secrecy::SecretString;

use super::error::CliError;
use crate::cli::BrokerConnection;

const TOKEN_VARIABLE: &str = "ICNODE_BROKER_TOKEN";

/// The broker token: from `--broker-token-file`, else `ICNODE_BROKER_TOKEN`.
pub(super) fn broker_token(connection: &BrokerConnection) -> Result<SecretString, CliError> {
    let token = match &connection.broker_token_file {
        Some(path) => node::secrets::read_private_file(path)
            .map(|t| t.trim().to_owned())
            .map_err(|e| CliError::Usage(format!("--broker-token-file: {e}")))?,
        None => std::env::var(TOKEN_VARIABLE).map_err(|_| {
            CliError::Usage(format!(
                "no broker token: set {TOKEN_VARIABLE} or give --broker-token-file"
            ))
        })?,
    };
    if token.is_empty() {
        return Err(CliError::Usage("the broker token is empty".into()));
    }
    Ok(SecretString::from(token))
}

/// The join host links are built on: `--join-url`, else the broker's.
pub(super) fn join_urls(connection: &BrokerConnection) -> Result<JoinUrls, CliError> {
    match &connection.join_url {
        Some(url) => JoinUrls::new(url).map_err(|e| CliError::Usage(format!("--join-url: {e}"))),
        None => Ok(JoinUrls::for_broker(&connection.broker_url)),
    }
}

/// A client of the broker, with the connection's timeout, and its join host.
pub(super) fn connect(connection: &BrokerConnection) -> Result<(Client, JoinUrls), CliError> {
    let token = broker_token(connection)?;
    let mut config = ClientConfig::new(connection.broker_url.clone(), token);
    config.connect_timeout = connection.timeout;
    config.request_timeout = connection.timeout;
    let client = Client::new(config).map_err(|e| CliError::runtime(&e))?;
    let join = join_urls(connection)?;
    Ok((client, join))
}
