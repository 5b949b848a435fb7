//! `icnode keys`: the service's API keys, on its database.

use secrecy::ExposeSecret;
use server::Store;
use server::keys::NewKey;
use server::settings::sqlite_url_in;

use super::error::CliError;
use crate::cli::{KeyDatabase, KeysCommand};

/// Connections a `keys` command needs.
const KEYS_CONNECTIONS: u32 = 1;

/// The service database `database` names: the one `keys` and `tenants` work on.
pub(super) async fn open_keys(database: &KeyDatabase) -> Result<Store, CliError> {
    let url = match &database.database_url {
        Some(url) => url.0.clone(),
        None => {
            let file = database.data_dir.join(server::settings::DATABASE_FILE);
            if !file.exists() {
                return Err(CliError::Usage(format!(
                    "no service database in {}: start `icnode up` or `icnode serve` there \
                     first, or give --database-url",
                    database.data_dir.display()
                )));
            }
            sqlite_url_in(&database.data_dir)
        }
    };
    Store::connect(&url, KEYS_CONNECTIONS)
        .await
        .map_err(|e| CliError::runtime(&e))
}

pub async fn keys(command: KeysCommand) -> Result<(), CliError> {
    let now = instant_connect::unix_now();
    match command {
        KeysCommand::Create {
            name,
            tenant,
            role,
            database,
        } => {
            let store = open_keys(&database).await?;
            let new = NewKey {
                name: &name,
                tenant: &tenant,
                role,
            };
            let key = server::keys::create(&store, new, now)
                .await
                .map_err(key_error)?;
            // The key alone on stdout, so `$(icnode keys create NAME)` captures it.
            println!("{}", key.expose_secret());
            eprintln!(
                "icnode: key `{name}` ({role} of tenant `{tenant}`) created; it is shown this once"
            );
            Ok(())
        }
        KeysCommand::List { database, json } => {
            let store = open_keys(&database).await?;
            let keys = server::keys::list(&store).await.map_err(key_error)?;
            if json {
                let text =
                    serde_json::to_string_pretty(&keys).map_err(|e| CliError::runtime(&e))?;
                println!("{text}");
                return Ok(());
            }
            println!(
                "{:<24} {:<10} {:<16} {:<7} {:<22} REVOKED",
                "NAME", "ID", "TENANT", "ROLE", "CREATED"
            );
            for key in keys {
                println!(
                    "{:<24} {:<10} {:<16} {:<7} {:<22} {}",
                    key.name,
                    key.id,
                    key.tenant.as_str(),
                    key.role.as_str(),
                    instant_connect::rfc3339(key.created_at),
                    key.revoked_at
                        .map_or("-".to_owned(), instant_connect::rfc3339)
                );
            }
            Ok(())
        }
        KeysCommand::Revoke { name, database } => {
            let store = open_keys(&database).await?;
            server::keys::revoke(&store, &name, now)
                .await
                .map_err(key_error)?;
            println!("key `{name}` revoked");
            Ok(())
        }
    }
}

fn key_error(error: server::keys::KeyError) -> CliError {
    match error {
        server::keys::KeyError::Store(error) => CliError::runtime(&error),
        other => CliError::Usage(other.to_string()),
    }
}
