//! `icnode tenants`: the service's tenants, on its database.

use server::tenants::TenantError;

use super::error::CliError;
use super::keys::open_keys;
use crate::cli::TenantsCommand;

pub async fn tenants(command: TenantsCommand) -> Result<(), CliError> {
    let now = instant_connect::unix_now();
    match command {
        TenantsCommand::Create { id, database } => {
            let store = open_keys(&database).await?;
            let id = server::tenants::create(&store, &id, now)
                .await
                .map_err(tenant_error)?;
            // The id alone on stdout, as `keys create` prints its key alone.
            println!("{id}");
            eprintln!(
                "icnode: tenant `{id}` created; `icnode keys create NAME --tenant {id}` makes its keys"
            );
            Ok(())
        }
        TenantsCommand::List { database, json } => {
            let store = open_keys(&database).await?;
            let tenants = server::tenants::list(&store).await.map_err(tenant_error)?;
            if json {
                let text =
                    serde_json::to_string_pretty(&tenants).map_err(|e| CliError::runtime(&e))?;
                println!("{text}");
                return Ok(());
            }
            println!("{:<24} {:<22} DISABLED", "ID", "CREATED");
            for tenant in tenants {
                println!(
                    "{:<24} {:<22} {}",
                    tenant.id,
                    instant_connect::rfc3339(tenant.created_at),
                    tenant
                        .disabled_at
                        .map_or("-".to_owned(), instant_connect::rfc3339)
                );
            }
            Ok(())
        }
        TenantsCommand::Disable { id, database } => {
            let store = open_keys(&database).await?;
            server::tenants::set_disabled(&store, &id, Some(now))
                .await
                .map_err(tenant_error)?;
            println!("tenant `{id}` disabled; its keys are refused from the next request");
            Ok(())
        }
        TenantsCommand::Enable { id, database } => {
            let store = open_keys(&database).await?;
            server::tenants::set_disabled(&store, &id, None)
                .await
                .map_err(tenant_error)?;
            println!("tenant `{id}` enabled; its keys work again");
            Ok(())
        }
    }
}

fn tenant_error(error: TenantError) -> CliError {
    match error {
        TenantError::Store(error) => CliError::runtime(&error),
        other @ (TenantError::BadId(_)
        | TenantError::Exists(_)
        | TenantError::Unknown(_)
        | TenantError::DefaultStays) => CliError::Usage(other.to_string()),
    }
}
