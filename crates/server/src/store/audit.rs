//! The audit trail as stored: rows appended (in the transaction of the change they record
//! where there is one, `inserts`), read a page at a time newest first, pruned past their
//! period.

use super::inserts::insert_audit;
use super::rows::{AUDIT_COLUMNS, AuditFilter, AuditRow, audit_row};
use super::sql::{Param, Statement, values};
use super::{Store, StoreError};

impl Store {
    /// Appends a row on its own: for an attempt that changed nothing, or a change kept
    /// outside the database (an imported node).
    pub async fn append_audit(&self, row: &AuditRow) -> Result<(), StoreError> {
        self.db.execute(insert_audit(row)).await?;
        Ok(())
    }

    /// [`Store::append_audit`] for a row whose loss must not change the answer: one that
    /// cannot be written is logged, with its action.
    pub async fn append_audit_or_log(&self, row: &AuditRow) {
        if let Err(failed) = self.append_audit(row).await {
            tracing::warn!(
                error = %resilience::report(&failed),
                action = row.action.as_str(),
                "an audit row was not written"
            );
        }
    }

    /// At most `limit` rows that pass `filter`, newest first.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let mut conditions = Vec::new();
        let mut params: Vec<Param> = Vec::new();
        let mut condition = |sql: &str, value: Param| {
            params.push(value);
            conditions.push(format!("{sql} ${}", params.len()));
        };
        if let Some(tenant) = &filter.tenant {
            condition("tenant_id =", tenant.as_str().into());
        }
        if let Some(before) = &filter.before_id {
            condition("id <", before.into());
        }
        if let Some(action) = filter.action {
            condition("action =", action.as_str().into());
        }
        if let Some(key_id) = &filter.key_id {
            condition("key_id =", key_id.into());
        }
        if let Some(target) = &filter.target {
            condition("target =", target.into());
        }
        if let Some(outcome) = filter.outcome {
            condition("outcome =", outcome.as_str().into());
        }
        if let Some(since) = filter.since {
            condition("at >=", since.into());
        }
        if let Some(until) = filter.until {
            condition("at <", until.into());
        }
        let filters = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        params.push(i64::from(limit).into());
        let statement = Statement::new(
            format!(
                "SELECT {AUDIT_COLUMNS} FROM audit {filters} ORDER BY id DESC LIMIT ${}",
                params.len()
            ),
            params,
        );
        self.db.fetch(statement, audit_row).await
    }

    /// Deletes at most `batch` rows made before `before` (Unix seconds); says how many.
    pub async fn prune_audit(&self, before: i64, batch: i64) -> Result<u64, StoreError> {
        self.db
            .execute(Statement::new(
                "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE at < $1 LIMIT $2)",
                values![before, batch],
            ))
            .await
    }
}
