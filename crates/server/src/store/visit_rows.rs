//! The rows of visits, their jobs and their messages, and the statements that write them
//! inside a change (a visit's jobs, a job's messages, the step a job takes a visit).

use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::sql::{Columns, Statement, values};
use crate::domain::{ChatId, JobKind, Notes, Party, Schedule, TenantId, VisitState};

/// A visit as stored.
#[derive(Debug, Clone)]
pub struct VisitRow {
    pub id: String,
    pub tenant: TenantId,
    /// The key that booked it, for which its jobs act.
    pub key_id: String,
    pub key_name: String,
    pub schedule: Schedule,
    pub hosts: Vec<Party>,
    pub guests: Vec<Party>,
    pub vertical: crate::domain::Vertical,
    pub notes: Option<Notes>,
    pub state: VisitState,
    /// Grows on each reschedule.
    pub sequence: i64,
    /// The meeting whose links it hands out, once made.
    pub chat_id: Option<ChatId>,
    pub booked_at: i64,
    pub ready_at: Option<i64>,
    pub started_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub cancelled_at: Option<i64>,
    pub no_show_at: Option<i64>,
    pub updated_at: i64,
}

impl VisitRow {
    /// The chat id of its meeting: the visit's own id, so one visit has one meeting.
    pub fn meeting_chat_id(&self) -> ChatId {
        self.chat_id
            .clone()
            .unwrap_or_else(|| crate::domain::chat_id_of_visit(&self.id))
    }
}

/// Where a listing of visits goes on from: the last visit of the page before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitCursor {
    pub starts_at: i64,
    pub id: String,
}

pub(super) const VISIT_COLUMNS: &str = "id, tenant_id, key_id, key_name, starts_at, ends_at, time_zone, \
                             reminders, hosts, guests, vertical, notes, state, sequence, \
                             chat_id, booked_at, ready_at, started_at, ended_at, cancelled_at, \
                             updated_at, no_show_at";

/// A person as the `hosts` and `guests` columns keep them.
#[derive(Serialize, Deserialize)]
struct StoredParty {
    name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    language: String,
}

pub(super) fn parties_text(parties: &[Party]) -> String {
    let stored: Vec<StoredParty> = parties
        .iter()
        .map(|p| StoredParty {
            name: p.name.clone(),
            phone: p.phone.clone(),
            email: p.email.clone(),
            language: p.language.clone(),
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".into())
}

fn parties(text: &str) -> Result<Vec<Party>, StoreError> {
    let stored: Vec<StoredParty> = serde_json::from_str(text)
        .map_err(|_| StoreError::Malformed("a visit's people are not a list of people"))?;
    Ok(stored
        .into_iter()
        .map(|p| Party {
            name: p.name,
            phone: p.phone,
            email: p.email,
            language: p.language,
        })
        .collect())
}

pub(super) fn reminders_text(schedule: &Schedule) -> String {
    let written: Vec<&str> = schedule.reminders.iter().map(|r| r.written()).collect();
    serde_json::to_string(&written).unwrap_or_else(|_| "[]".into())
}

pub(super) fn visit_row(row: &dyn Columns) -> Result<VisitRow, StoreError> {
    let reminders: Vec<String> = serde_json::from_str(&row.text("reminders")?)
        .map_err(|_| StoreError::Malformed("a visit's reminders are not a list of offsets"))?;
    let zone = row.opt_text("time_zone")?;
    Ok(VisitRow {
        id: row.text("id")?,
        tenant: TenantId::parse(&row.text("tenant_id")?)
            .map_err(|_| StoreError::Malformed("a tenant id is not a tenant id"))?,
        key_id: row.text("key_id")?,
        key_name: row.text("key_name")?,
        schedule: Schedule::stored(
            row.int("starts_at")?,
            row.int("ends_at")?,
            zone.as_deref(),
            &reminders,
        ),
        hosts: parties(&row.text("hosts")?)?,
        guests: parties(&row.text("guests")?)?,
        vertical: row
            .text("vertical")?
            .parse()
            .map_err(|_| StoreError::Malformed("a visit's vertical is not hc, gen or cc"))?,
        notes: row.opt_text("notes")?.map(Notes::stored),
        state: row
            .text("state")?
            .parse()
            .map_err(|()| StoreError::Malformed("a visit's state is not one"))?,
        sequence: row.int("sequence")?,
        chat_id: row
            .opt_text("chat_id")?
            .map(|text| {
                ChatId::parse(text)
                    .map_err(|_| StoreError::Malformed("a visit's chat_id is not a chat id"))
            })
            .transpose()?,
        booked_at: row.int("booked_at")?,
        ready_at: row.opt_int("ready_at")?,
        started_at: row.opt_int("started_at")?,
        ended_at: row.opt_int("ended_at")?,
        cancelled_at: row.opt_int("cancelled_at")?,
        no_show_at: row.opt_int("no_show_at")?,
        updated_at: row.int("updated_at")?,
    })
}

/// A job to write with a visit's change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: JobKind,
    /// What the kind needs besides the visit (a reminder's offset).
    pub detail: Option<String>,
    pub due_at: i64,
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Due,
    /// Claimed by a process until its lease.
    Running,
    Done,
    /// Given up, with the reason in `last_error`.
    Dead,
    /// Moot: its visit moved or was cancelled before it ran.
    Dropped,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Due => "due",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Dropped => "dropped",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        [
            JobState::Due,
            JobState::Running,
            JobState::Done,
            JobState::Dead,
            JobState::Dropped,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
        .ok_or(StoreError::Malformed("a job's state is not one"))
    }
}

/// A job as stored (a claimed one: `attempts` is the attempt that holds it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    pub id: String,
    pub tenant: TenantId,
    pub visit_id: String,
    pub kind: JobKind,
    pub detail: Option<String>,
    /// The visit's sequence it was made for.
    pub sequence: i64,
    pub due_at: i64,
    pub state: JobState,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub finished_at: Option<i64>,
}

/// A message sent (or tried) for a visit, to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: String,
    pub visit_id: String,
    pub job_id: String,
    /// `sms` or `email`.
    pub channel: String,
    /// What it says: `reminder`, …
    pub kind: String,
    pub recipient: String,
    /// `sent` or `failed`.
    pub outcome: String,
    /// Why it failed, or the gateway's word.
    pub detail: Option<String>,
    pub at: i64,
}

pub(super) const JOB_COLUMNS: &str = "id, tenant_id, visit_id, kind, detail, sequence, due_at, state, \
                           attempts, last_error, finished_at";
pub(super) const MESSAGE_COLUMNS: &str =
    "id, tenant_id, visit_id, job_id, channel, kind, recipient, outcome, detail, at";

pub(super) fn job_row(row: &dyn Columns) -> Result<JobRow, StoreError> {
    Ok(JobRow {
        id: row.text("id")?,
        tenant: TenantId::parse(&row.text("tenant_id")?)
            .map_err(|_| StoreError::Malformed("a tenant id is not a tenant id"))?,
        visit_id: row.text("visit_id")?,
        kind: row
            .text("kind")?
            .parse()
            .map_err(|()| StoreError::Malformed("a job's kind is not one"))?,
        detail: row.opt_text("detail")?,
        sequence: row.int("sequence")?,
        due_at: row.int("due_at")?,
        state: JobState::parse(&row.text("state")?)?,
        attempts: row.int("attempts")?,
        last_error: row.opt_text("last_error")?,
        finished_at: row.opt_int("finished_at")?,
    })
}

pub(super) fn message_row(row: &dyn Columns) -> Result<MessageRow, StoreError> {
    Ok(MessageRow {
        id: row.text("id")?,
        visit_id: row.text("visit_id")?,
        job_id: row.text("job_id")?,
        channel: row.text("channel")?,
        kind: row.text("kind")?,
        recipient: row.text("recipient")?,
        outcome: row.text("outcome")?,
        detail: row.opt_text("detail")?,
        at: row.int("at")?,
    })
}

/// The INSERTs of `jobs` for `visit` at its sequence.
pub(super) fn insert_jobs(visit: &VisitRow, jobs: &[NewJob]) -> Vec<Statement> {
    jobs.iter()
        .map(|job| {
            Statement::new(
                format!(
                    "INSERT INTO jobs ({JOB_COLUMNS}, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'due', 0, NULL, NULL, $8)"
                ),
                values![
                    uuid::Uuid::now_v7().to_string(),
                    visit.tenant.as_str(),
                    visit.id.as_str(),
                    job.kind.as_str(),
                    job.detail.clone(),
                    visit.sequence,
                    job.due_at,
                    visit.updated_at
                ],
            )
        })
        .collect()
}

pub(super) fn insert_message(tenant: &TenantId, message: &MessageRow) -> Statement {
    Statement::new(
        format!(
            "INSERT INTO messages ({MESSAGE_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ),
        values![
            message.id.as_str(),
            tenant.as_str(),
            message.visit_id.as_str(),
            message.job_id.as_str(),
            message.channel.as_str(),
            message.kind.as_str(),
            message.recipient.as_str(),
            message.outcome.as_str(),
            message.detail.clone(),
            message.at
        ],
    )
}

/// A tenant's template as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub kind: String,
    pub language: String,
    pub subject: String,
    pub body: String,
    pub updated_at: i64,
}

pub(super) fn template_row(row: &dyn Columns) -> Result<TemplateRow, StoreError> {
    Ok(TemplateRow {
        kind: row.text("kind")?,
        language: row.text("language")?,
        subject: row.text("subject")?,
        body: row.text("body")?,
        updated_at: row.int("updated_at")?,
    })
}

pub(super) const TEMPLATE_COLUMNS: &str = "kind, language, subject, body, updated_at";
