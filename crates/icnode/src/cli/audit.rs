//! `icnode audit` and `icnode migrate`: the operator's commands on the service's database.

use std::time::Duration;

use clap::{Args, Subcommand};
use server::domain::{Action, Outcome};

use super::values::{KeyDatabase, positive_duration, tenant_id};

/// `icnode audit` lists; `icnode audit prune` deletes. The listing's flags belong to `audit`
/// itself, so `icnode audit --tenant t` needs no `list` word.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: Option<AuditCommand>,
    #[command(flatten)]
    pub list: AuditListArgs,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Delete the trail's rows older than --older-than. The database owner's: on PostgreSQL
    /// the service's own role may not delete from the trail.
    Prune {
        /// Rows made longer ago than this are deleted, e.g. 400d
        #[arg(long, env = "ICNODE_OLDER_THAN", value_parser = positive_duration)]
        older_than: Duration,
        #[command(flatten)]
        database: KeyDatabase,
    },
}

/// Which page of the trail to print; every filter given must match. The values go to the
/// service's own checks, so the command refuses what `GET /v1/audit` refuses.
#[derive(Debug, Args)]
pub struct AuditListArgs {
    /// One tenant's rows [default: every tenant's]
    #[arg(long, env = "ICNODE_TENANT", value_parser = tenant_id)]
    pub tenant: Option<server::domain::TenantId>,
    #[arg(long, env = "ICNODE_ACTION", help = words("Rows of this action", &Action::ALL.map(Action::as_str)))]
    pub action: Option<String>,
    #[arg(long, env = "ICNODE_OUTCOME", help = words("Rows of this outcome", &Outcome::ALL.map(Outcome::as_str)))]
    pub outcome: Option<String>,
    /// Rows of the key with this id (`keys list` shows ids)
    #[arg(long, env = "ICNODE_KEY_ID")]
    pub key_id: Option<String>,
    /// Rows about this target: a meeting's subject, a key's name, a node's slug, a tenant's id
    #[arg(long, env = "ICNODE_TARGET")]
    pub target: Option<String>,
    /// Rows at or after this time: Unix seconds, or RFC 3339 with its offset
    /// (2027-01-15T09:00:00Z)
    #[arg(long, env = "ICNODE_SINCE", value_name = "TIME")]
    pub since: Option<String>,
    /// Rows before this time, written as --since
    #[arg(long, env = "ICNODE_UNTIL", value_name = "TIME")]
    pub until: Option<String>,
    #[arg(
        long,
        env = "ICNODE_LIMIT",
        value_name = "N",
        help = format!(
            "Rows in the page (1-{}) [default: {}]",
            server::audit::MAX_PAGE,
            server::audit::DEFAULT_PAGE
        )
    )]
    pub limit: Option<u32>,
    /// Where the page starts: the cursor the page before named
    #[arg(long, env = "ICNODE_CURSOR")]
    pub cursor: Option<String>,
    /// Print JSON instead of a table
    #[arg(long, env = "ICNODE_JSON")]
    pub json: bool,
    #[command(flatten)]
    pub database: KeyDatabase,
}

impl AuditListArgs {
    /// The service's query of these flags, their texts as given.
    pub fn query(&self) -> server::audit::AuditQuery {
        server::audit::AuditQuery {
            limit: self.limit,
            cursor: self.cursor.clone(),
            action: self.action.clone(),
            key_id: self.key_id.clone(),
            target: self.target.clone(),
            outcome: self.outcome.clone(),
            since: self.since.clone(),
            until: self.until.clone(),
        }
    }
}

/// A help line listing the words a flag takes, from the service's own list.
fn words(what: &str, all: &[&str]) -> String {
    format!("{what}: {}", all.join(", "))
}
