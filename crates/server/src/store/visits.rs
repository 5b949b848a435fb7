//! The store's visits. A visit and the jobs it needs are written in one transaction when it is
//! booked, moved or cancelled, so no job exists without its change and no change without its
//! jobs; a move or a cancel drops the jobs not yet run in the same transaction.

use super::event_rows::{EventRow, insert_event};
use super::inserts::insert_audit;
use super::own_links::revoke_links;
use super::rows::AuditRow;
use super::sql::{Statement, values};
use super::visit_rows::{
    NewJob, VISIT_COLUMNS, VisitCursor, VisitRow, insert_jobs, parties_text, reminders_text,
    visit_row,
};
use super::{Store, StoreError};
use crate::domain::{ChatId, RevokeScope, Schedule, TenantId, VisitState};

/// The jobs of `visit` not yet run are dropped: a move or a cancel makes them moot.
fn drop_waiting_jobs(visit: &str) -> Statement {
    Statement::new(
        "UPDATE jobs SET state = 'dropped' WHERE visit_id = $1 AND state = 'due'",
        values![visit],
    )
}

impl Store {
    /// Books a visit with the jobs it needs and its audit row, in one transaction.
    pub async fn insert_visit(
        &self,
        visit: &VisitRow,
        jobs: &[NewJob],
        audit: &AuditRow,
        event: &EventRow,
    ) -> Result<(), StoreError> {
        let s = &visit.schedule;
        let insert = Statement::new(
            format!(
                "INSERT INTO visits ({VISIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
                 $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
            ),
            values![
                visit.id.as_str(),
                visit.tenant.as_str(),
                visit.key_id.as_str(),
                visit.key_name.as_str(),
                s.start,
                s.end,
                s.zone.as_ref().map(|z| z.name().to_owned()),
                reminders_text(s),
                parties_text(&visit.hosts),
                parties_text(&visit.guests),
                visit.vertical.as_str(),
                visit.notes.as_ref().map(|n| n.as_str().to_owned()),
                visit.state.as_str(),
                visit.sequence,
                visit.chat_id.as_ref().map(|c| c.as_str().to_owned()),
                visit.booked_at,
                visit.ready_at,
                visit.started_at,
                visit.ended_at,
                visit.cancelled_at,
                visit.updated_at,
                visit.no_show_at
            ],
        );
        let mut statements = vec![insert];
        statements.extend(insert_jobs(visit, jobs));
        statements.push(insert_audit(audit));
        statements.push(insert_event(event));
        self.db.transaction(statements).await?;
        Ok(())
    }

    /// The tenant's visit `id`; another tenant's is none.
    pub async fn visit(&self, tenant: &TenantId, id: &str) -> Result<Option<VisitRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {VISIT_COLUMNS} FROM visits WHERE tenant_id = $1 AND id = $2"),
            values![tenant.as_str(), id],
        );
        self.db.fetch_optional(statement, visit_row).await
    }

    /// The tenant's visits by start, then id, after `cursor`; those in `state` only when given.
    pub async fn visits_page(
        &self,
        tenant: &TenantId,
        state: Option<VisitState>,
        cursor: Option<&VisitCursor>,
        limit: u32,
    ) -> Result<Vec<VisitRow>, StoreError> {
        let (starts_at, id) =
            cursor.map_or((i64::MIN, String::new()), |c| (c.starts_at, c.id.clone()));
        let statement = Statement::new(
            format!(
                "SELECT {VISIT_COLUMNS} FROM visits WHERE tenant_id = $1 \
                 AND (CAST($2 AS TEXT) IS NULL OR state = $2) \
                 AND (starts_at > $3 OR (starts_at = $3 AND id > $4)) \
                 ORDER BY starts_at, id LIMIT $5"
            ),
            values![
                tenant.as_str(),
                state.map(|s| s.as_str().to_owned()),
                starts_at,
                id,
                i64::from(limit)
            ],
        );
        self.db.fetch(statement, visit_row).await
    }

    /// Moves a visit read at `sequence` to `schedule` (its sequence one more), dropping the jobs
    /// not yet run for `jobs` and revoking the links of its meeting `links_of`, made for the
    /// old schedule; `false` when it changed since it was read, or is over.
    #[expect(
        clippy::too_many_arguments,
        reason = "what a move writes, each row of its one transaction"
    )]
    pub async fn reschedule_visit(
        &self,
        visit: &VisitRow,
        links_of: &ChatId,
        schedule: &Schedule,
        at: i64,
        jobs: &[NewJob],
        audit: &AuditRow,
        event: &EventRow,
    ) -> Result<bool, StoreError> {
        let moved = Statement::new(
            "UPDATE visits SET starts_at = $1, ends_at = $2, time_zone = $3, reminders = $4, \
             sequence = sequence + 1, updated_at = $5 \
             WHERE id = $6 AND sequence = $7 AND state NOT IN ('ended', 'cancelled')",
            values![
                schedule.start,
                schedule.end,
                schedule.zone.as_ref().map(|z| z.name().to_owned()),
                reminders_text(schedule),
                at,
                visit.id.as_str(),
                visit.sequence
            ],
        );
        let next = VisitRow {
            sequence: visit.sequence + 1,
            updated_at: at,
            ..visit.clone()
        };
        let mut then = vec![
            drop_waiting_jobs(&visit.id),
            revoke_links((&visit.tenant, links_of), &RevokeScope::All, at),
        ];
        then.extend(insert_jobs(&next, jobs));
        then.push(insert_audit(audit));
        then.push(insert_event(event));
        Ok(self.db.change(moved, then).await? == 1)
    }

    /// Cancels a visit read at its sequence (its sequence one more, as a calendar's cancel
    /// wants), dropping its jobs not yet run for `jobs` and revoking the links of its meeting
    /// `links_of`; `false` when it changed since it was read or is over.
    pub async fn cancel_visit(
        &self,
        visit: &VisitRow,
        links_of: &ChatId,
        at: i64,
        jobs: &[NewJob],
        audit: &AuditRow,
        event: &EventRow,
    ) -> Result<bool, StoreError> {
        let cancelled = Statement::new(
            "UPDATE visits SET state = 'cancelled', cancelled_at = $1, updated_at = $1, \
             sequence = sequence + 1 WHERE tenant_id = $2 AND id = $3 AND sequence = $4 \
             AND state NOT IN ('ended', 'cancelled')",
            values![at, visit.tenant.as_str(), visit.id.as_str(), visit.sequence],
        );
        let next = VisitRow {
            sequence: visit.sequence + 1,
            updated_at: at,
            ..visit.clone()
        };
        let mut then = vec![
            drop_waiting_jobs(&visit.id),
            revoke_links((&visit.tenant, links_of), &RevokeScope::All, at),
        ];
        then.extend(insert_jobs(&next, jobs));
        then.push(insert_audit(audit));
        then.push(insert_event(event));
        Ok(self.db.change(cancelled, then).await? == 1)
    }

    /// The visit `id` of any tenant: a job's, which knows its visit by id alone.
    pub async fn visit_of_job(&self, id: &str) -> Result<Option<VisitRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {VISIT_COLUMNS} FROM visits WHERE id = $1"),
            values![id],
        );
        self.db.fetch_optional(statement, visit_row).await
    }
}
