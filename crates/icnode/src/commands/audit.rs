//! `icnode audit` (a page of the trail, or `audit prune`) and `icnode migrate`: the operator's
//! commands on the service's database, the one `keys` and `tenants` work on.

use std::time::Duration;

use server::audit::AuditError;
use server::store::AuditRow;

use super::error::CliError;
use super::keys::open_keys;
use super::link::usage;
use crate::cli::{AuditArgs, AuditCommand, AuditListArgs, KeyDatabase};

pub async fn audit(args: AuditArgs) -> Result<(), CliError> {
    match args.command {
        None => list(&args.list).await,
        Some(AuditCommand::Prune {
            older_than,
            database,
        }) => prune(older_than, &database).await,
    }
}

/// Opening the store applies the migrations it lacks; nothing more is asked of it.
pub async fn migrate(database: KeyDatabase) -> Result<(), CliError> {
    let store = open_keys(&database).await?;
    let backend = store.backend().as_str();
    store.close().await;
    println!("the service's {backend} database has every migration of this build");
    Ok(())
}

/// A page of the trail, newest first, as a table or as the API's JSON.
async fn list(args: &AuditListArgs) -> Result<(), CliError> {
    let store = open_keys(&args.database).await?;
    let page = server::audit::page(&store, args.tenant.clone(), args.query())
        .await
        .map_err(audit_error)?;
    if let Some(cursor) = &page.next_cursor {
        eprintln!("icnode: more rows are older; the next page: add --cursor {cursor}");
    }
    if args.json {
        // The API's page, so a script reads the command and `GET /v1/audit` alike.
        let page = server::http::AuditPage::from(page);
        let text = serde_json::to_string_pretty(&page).map_err(|e| CliError::runtime(&e))?;
        println!("{text}");
    } else {
        print_table(&page.items);
    }
    Ok(())
}

fn print_table(rows: &[AuditRow]) {
    println!(
        "{:<20} {:<16} {:<16} {:<17} {:<36} {:<13} REQUEST",
        "AT", "TENANT", "ACTOR", "ACTION", "TARGET", "OUTCOME"
    );
    for row in rows {
        println!(
            "{:<20} {:<16} {:<16} {:<17} {:<36} {:<13} {}",
            instant_connect::rfc3339(row.at),
            row.tenant.as_str(),
            row.actor.name,
            row.action.as_str(),
            row.target.as_deref().unwrap_or("-"),
            row.outcome.as_str(),
            row.actor.request_id.as_deref().unwrap_or("-"),
        );
    }
}

/// Deletes the rows older than `older_than` and says how many went.
async fn prune(older_than: Duration, database: &KeyDatabase) -> Result<(), CliError> {
    let store = open_keys(database).await?;
    let now = instant_connect::unix_now();
    let before = now.saturating_sub(i64::try_from(older_than.as_secs()).unwrap_or(i64::MAX));
    let deleted = server::audit::prune(&store, before)
        .await
        .map_err(|e| CliError::runtime(&e))?;
    println!(
        "deleted {deleted} audit row{} made before {}",
        if deleted == 1 { "" } else { "s" },
        instant_connect::rfc3339(before)
    );
    Ok(())
}

fn audit_error(error: AuditError) -> CliError {
    match error {
        AuditError::Invalid(errors) => usage(&errors),
        other @ (AuditError::Forbidden(_) | AuditError::Store(_)) => CliError::runtime(&other),
    }
}
