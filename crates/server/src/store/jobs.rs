//! The store's jobs and messages: what must happen at a time, claimed by one process at a time.
//!
//! A claim is one `UPDATE … RETURNING` of the due jobs: on PostgreSQL its `SELECT` locks the
//! rows it takes and skips those another process is claiming (`FOR UPDATE SKIP LOCKED`), and
//! the `UPDATE` checks again that each is still due, so two processes never take one job. A
//! claim lasts until its lease: a job whose process died is due again when the lease passes.
//! A visit one process is acting for is left to it: its other due jobs wait for the next
//! claim. Each attempt is numbered, and a job is finished only by the attempt that holds it, so a
//! process that outlived its lease changes nothing another has taken over.

use super::event_rows::{EventRow, insert_event};
use super::sql::{Statement, values};
use super::step_rows::{VisitStep, visit_step, visit_step_event};
use super::visit_rows::{
    JOB_COLUMNS, JobRow, JobState, MESSAGE_COLUMNS, MessageRow, insert_message, job_row,
    message_row,
};
use super::{Store, StoreError};

/// Due now: waiting and due, or claimed by a process whose lease has passed.
const CLAIMABLE: &str =
    "((state = 'due' AND due_at <= $2) OR (state = 'running' AND locked_until < $2))";

/// The attempt that holds `job` ends it: `state`, when, and why (or nothing).
fn end_attempt(
    job: &JobRow,
    state: JobState,
    at: i64,
    due_at: i64,
    why: Option<&str>,
) -> Statement {
    Statement::new(
        "UPDATE jobs SET state = $1, due_at = $2, last_error = COALESCE($3, last_error), \
         locked_until = NULL, finished_at = CASE WHEN $1 = 'due' THEN NULL ELSE $4 END \
         WHERE id = $5 AND state = 'running' AND attempts = $6",
        values![
            state.as_str(),
            due_at,
            why.map(str::to_owned),
            at,
            job.id.as_str(),
            job.attempts
        ],
    )
}

impl Store {
    /// Claims at most `limit` jobs due at `now` until `lease_until`: each attempt numbered. A
    /// visit whose job another claim holds is passed over, so one process at a time acts for
    /// a visit (two jobs of a visit due together are claimed together, by one).
    pub async fn claim_jobs(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<JobRow>, StoreError> {
        let statement = Statement::new(
            format!(
                "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = $1 \
                 WHERE id IN (SELECT id FROM jobs WHERE {CLAIMABLE} AND NOT EXISTS \
                 (SELECT 1 FROM jobs AS held WHERE held.visit_id = jobs.visit_id \
                 AND held.state = 'running' AND held.locked_until >= $2) \
                 ORDER BY due_at, id LIMIT $3{}) \
                 AND {CLAIMABLE} RETURNING {JOB_COLUMNS}",
                self.db.skip_locked()
            ),
            values![lease_until, now, i64::from(limit)],
        );
        self.db.write_fetch(statement, job_row).await
    }

    /// The attempt that holds `job` finishes it, with the messages it sent and the step its
    /// visit takes, in one transaction; `false` when the attempt no longer held it.
    pub async fn job_done(
        &self,
        job: &JobRow,
        at: i64,
        step: Option<&VisitStep>,
        messages: &[MessageRow],
    ) -> Result<bool, StoreError> {
        let mut then: Vec<Statement> = messages
            .iter()
            .map(|message| insert_message(&job.tenant, message))
            .collect();
        if let Some(step) = step {
            then.push(visit_step(&job.visit_id, job.sequence, step, at));
            then.extend(visit_step_event(&job.visit_id, step, at));
        }
        let finished = end_attempt(job, JobState::Done, at, job.due_at, None);
        Ok(self.db.change(finished, then).await? == 1)
    }

    /// The attempt that holds `job` failed: due again at `retry_at`, or dead when `None`, with
    /// why and the messages it tried; `false` when the attempt no longer held it.
    pub async fn job_failed(
        &self,
        job: &JobRow,
        at: i64,
        retry_at: Option<i64>,
        why: &str,
        messages: &[MessageRow],
        events: &[EventRow],
    ) -> Result<bool, StoreError> {
        let then = messages
            .iter()
            .map(|message| insert_message(&job.tenant, message))
            .chain(events.iter().map(insert_event))
            .collect();
        let ended = match retry_at {
            Some(due) => end_attempt(job, JobState::Due, at, due, Some(why)),
            None => end_attempt(job, JobState::Dead, at, job.due_at, Some(why)),
        };
        Ok(self.db.change(ended, then).await? == 1)
    }

    /// The attempt that holds `job` found it moot (its visit moved on).
    pub async fn job_dropped(&self, job: &JobRow, at: i64) -> Result<bool, StoreError> {
        let dropped = end_attempt(job, JobState::Dropped, at, job.due_at, None);
        Ok(self.db.change(dropped, Vec::new()).await? == 1)
    }

    /// Every job of a visit, by when it is due.
    pub async fn jobs_of_visit(&self, visit: &str) -> Result<Vec<JobRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {JOB_COLUMNS} FROM jobs WHERE visit_id = $1 ORDER BY due_at, id"),
            values![visit],
        );
        self.db.fetch(statement, job_row).await
    }

    /// Every message of a visit, oldest first.
    pub async fn messages_of_visit(&self, visit: &str) -> Result<Vec<MessageRow>, StoreError> {
        let statement = Statement::new(
            format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE visit_id = $1 ORDER BY at, id"),
            values![visit],
        );
        self.db.fetch(statement, message_row).await
    }
}
