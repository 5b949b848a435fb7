//! The store's message templates: a tenant's own, by kind and language.

use super::inserts::insert_audit;
use super::rows::AuditRow;
use super::sql::{Statement, values};
use super::visit_rows::{TEMPLATE_COLUMNS, TemplateRow, template_row};
use super::{Store, StoreError};
use crate::domain::TenantId;

impl Store {
    /// The tenant's templates of `kind` in any of `languages`, in no order.
    pub async fn templates_for(
        &self,
        tenant: &TenantId,
        kind: &str,
        languages: &[&str],
    ) -> Result<Vec<TemplateRow>, StoreError> {
        let mut params = values![tenant.as_str(), kind];
        let mut slots = Vec::new();
        for language in languages {
            params.push((*language).into());
            slots.push(format!("${}", params.len()));
        }
        if slots.is_empty() {
            return Ok(Vec::new());
        }
        let statement = Statement::new(
            format!(
                "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE tenant_id = $1 AND kind = $2 \
                 AND language IN ({})",
                slots.join(", ")
            ),
            params,
        );
        self.db.fetch(statement, template_row).await
    }

    /// Every template of the tenant, by kind and language.
    pub async fn templates(&self, tenant: &TenantId) -> Result<Vec<TemplateRow>, StoreError> {
        let statement = Statement::new(
            format!(
                "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE tenant_id = $1 \
                 ORDER BY kind, language"
            ),
            values![tenant.as_str()],
        );
        self.db.fetch(statement, template_row).await
    }

    /// Sets the tenant's template (made or replaced) with its audit row.
    pub async fn set_template(
        &self,
        tenant: &TenantId,
        template: &TemplateRow,
        audit: &AuditRow,
    ) -> Result<(), StoreError> {
        let upsert = Statement::new(
            "INSERT INTO templates (tenant_id, kind, language, subject, body, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, kind, language) \
             DO UPDATE SET subject = $4, body = $5, updated_at = $6",
            values![
                tenant.as_str(),
                template.kind.as_str(),
                template.language.as_str(),
                template.subject.as_str(),
                template.body.as_str(),
                template.updated_at
            ],
        );
        self.db.change(upsert, vec![insert_audit(audit)]).await?;
        Ok(())
    }

    /// Removes the tenant's template; `false` when it had none.
    pub async fn remove_template(
        &self,
        tenant: &TenantId,
        kind: &str,
        language: &str,
        audit: &AuditRow,
    ) -> Result<bool, StoreError> {
        let removed = Statement::new(
            "DELETE FROM templates WHERE tenant_id = $1 AND kind = $2 AND language = $3",
            values![tenant.as_str(), kind, language],
        );
        Ok(self.db.change(removed, vec![insert_audit(audit)]).await? == 1)
    }
}
