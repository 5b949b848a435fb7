//! `icnode tenants`: the service's tenants, on its database.

use server::domain::TenantLimits;
use server::tenants::{TenantError, TenantInfo};

use super::error::CliError;
use super::keys::open_keys;
use crate::cli::{KeyDatabase, TenantLimitFlags, TenantsCommand};

pub async fn tenants(command: TenantsCommand) -> Result<(), CliError> {
    let now = instant_connect::unix_now();
    match command {
        TenantsCommand::Create {
            id,
            limits,
            database,
        } => {
            let store = open_keys(&database).await?;
            let id = server::tenants::create(&store, &id, now)
                .await
                .map_err(tenant_error)?;
            let limits = limits.limits();
            if limits != TenantLimits::default() {
                server::tenants::set_limits(&store, id.as_str(), &limits, now)
                    .await
                    .map_err(tenant_error)?;
            }
            // The id alone on stdout, as `keys create` prints its key alone.
            println!("{id}");
            eprintln!(
                "icnode: tenant `{id}` created; `icnode keys create NAME --tenant {id}` makes its keys"
            );
            Ok(())
        }
        TenantsCommand::List { database, json } => list(&database, json).await,
        TenantsCommand::Limits {
            id,
            limits,
            database,
        } => set_limits(&id, &limits, &database).await,
        TenantsCommand::Disable { id, database } => {
            let store = open_keys(&database).await?;
            server::tenants::set_disabled(&store, &id, true, now)
                .await
                .map_err(tenant_error)?;
            println!("tenant `{id}` disabled; its keys are refused from the next request");
            Ok(())
        }
        TenantsCommand::Token {
            id,
            token_source,
            service_token: _,
            database,
        } => {
            let store = open_keys(&database).await?;
            server::tenants::set_token(&store, &id, token_source.as_ref(), now)
                .await
                .map_err(tenant_error)?;
            match token_source {
                Some(source) => println!(
                    "tenant `{id}` presents its own broker token, read from `{}` on each use",
                    source.stored()
                ),
                None => println!("tenant `{id}` presents the service's broker token"),
            }
            Ok(())
        }
        TenantsCommand::Enable { id, database } => {
            let store = open_keys(&database).await?;
            server::tenants::set_disabled(&store, &id, false, now)
                .await
                .map_err(tenant_error)?;
            println!("tenant `{id}` enabled; its keys work again");
            Ok(())
        }
    }
}

/// The tenants as a table (or JSON), each with its own limits.
async fn list(database: &KeyDatabase, json: bool) -> Result<(), CliError> {
    let store = open_keys(database).await?;
    let tenants = server::tenants::list(&store).await.map_err(tenant_error)?;
    if json {
        let text = serde_json::to_string_pretty(&tenants).map_err(|e| CliError::runtime(&e))?;
        println!("{text}");
        return Ok(());
    }
    println!(
        "{:<24} {:<22} {:<22} {:<28} LIMITS",
        "ID", "CREATED", "DISABLED", "TOKEN"
    );
    for tenant in tenants {
        println!(
            "{:<24} {:<22} {:<22} {:<28} {}",
            tenant.id,
            instant_connect::rfc3339(tenant.created_at),
            tenant
                .disabled_at
                .map_or("-".to_owned(), instant_connect::rfc3339),
            // One word, so that the columns split on spaces.
            tenant.broker_token.as_deref().unwrap_or("service"),
            own_limits(&tenant).unwrap_or_else(|| "-".to_owned())
        );
    }
    Ok(())
}

/// Sets the tenant's limits to exactly `flags` and prints them as they now are.
async fn set_limits(
    id: &str,
    flags: &TenantLimitFlags,
    database: &KeyDatabase,
) -> Result<(), CliError> {
    let store = open_keys(database).await?;
    let now = instant_connect::unix_now();
    server::tenants::set_limits(&store, id, &flags.limits(), now)
        .await
        .map_err(tenant_error)?;
    let tenants = server::tenants::list(&store).await.map_err(tenant_error)?;
    let tenant = tenants
        .iter()
        .find(|tenant| tenant.id == id)
        .ok_or_else(|| tenant_error(TenantError::Unknown(id.to_owned())))?;
    let limits = own_limits(tenant).map_or_else(
        || "the service's".to_owned(),
        |own| format!("{own} (`-`: the service's)"),
    );
    println!("tenant `{id}`'s limits, from the next request: {limits}");
    Ok(())
}

/// A tenant's own limits, `-` for each that is the service's (`rpm=4 invites/day=1 phones=2
/// nodes=-`); `None` when all are the service's.
fn own_limits(tenant: &TenantInfo) -> Option<String> {
    let limits = [
        ("rpm", tenant.requests_per_minute),
        ("invites/day", tenant.invites_per_day),
        ("phones", tenant.phones_per_invite),
        ("nodes", tenant.imported_nodes),
    ];
    limits.iter().any(|(_, limit)| limit.is_some()).then(|| {
        limits
            .map(|(name, limit)| {
                format!("{name}={}", limit.map_or("-".to_owned(), |n| n.to_string()))
            })
            .join(" ")
    })
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
