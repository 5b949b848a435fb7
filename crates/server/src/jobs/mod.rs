//! Jobs: what must happen for a visit at a time, run once however many processes serve.
//!
//! Every process runs rounds: it claims the jobs due (`Store::claim_jobs`, each for a lease),
//! runs them side by side, and ends each attempt: done (with the messages it sent and the step
//! its visit takes, in one transaction), due again after a backoff, or dead with the reason.
//! A process that dies mid-job leaves a claim whose lease passes; another process, or this one
//! restarted, claims it again. Time is read from the `Clock`, so tests move it.
//!
//! Why a table of our own and not a queue crate: a job is written in the transaction of the
//! change that needs it (a booking, a move, a cancel), on either database through the one
//! store; `apalis` keeps its jobs in its own tables over its own connections (sqlx's SQLite,
//! where the store uses rusqlite), so a booking and its jobs could not commit together.
//!
//! What a job does when it runs (a job acts for the key that booked its visit):
//! - `mint`: the visit's links, one per person, valid from the lead time until the end and a
//!   grace, in the meeting `visit-<id>` (links an earlier attempt made are not made again);
//! - `remind`: the links made if they are not yet, then the broker's SMS invite to every
//!   guest with a phone (the broker's text carries a guest link; hosts are not texted), and an
//!   email to everyone with an address, their own link and calendar invitation in it;
//! - `notify`: an email to everyone with an address when the visit is booked, moved or
//!   cancelled, with the calendar invitation that adds, moves or removes it;
//! - `begin`, `end`: the visit is in progress, then ended.
//!
//! A job that failed for some people and not others is tried again for those it failed:
//! what it sent is kept with its failure, and not sent twice.

use std::sync::Arc;
use std::time::Duration;

use instant_connect::Clock;

use crate::domain::{EventType, JobKind, LinkTimes, VisitState};
use crate::mail::Mailer;
use crate::meetings::{MeetingError, Meetings};
use crate::store::{EventRow, JobRow, MessageRow, Store, StoreError, VisitStep};
use crate::templates::Templates;

mod deliver;
mod links;

/// Jobs a process claims at once at most.
pub const BATCH: u32 = 100;
/// Attempts before a job is dead.
pub const MAX_ATTEMPTS: i64 = 8;
/// The wait after a first failure; each next one waits twice as long, up to [`MAX_BACKOFF`].
pub const FIRST_RETRY: Duration = Duration::from_secs(30);
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// What a process's rounds need.
#[derive(Debug, Clone)]
pub struct Jobs {
    store: Store,
    meetings: Meetings,
    mailer: Mailer,
    templates: Templates,
    clock: Arc<dyn Clock>,
    times: LinkTimes,
    /// How long a claim holds ([`crate::settings::JOB_LEASE`] unless told otherwise).
    lease: Duration,
}

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Round {
    pub done: u64,
    pub retried: u64,
    pub dead: u64,
    pub dropped: u64,
    /// Attempts whose claim another process had taken over when they ended.
    pub lost: u64,
}

/// How an attempt ended.
pub(super) enum Ending {
    Done(Option<VisitStep>, Vec<MessageRow>),
    Failed {
        why: String,
        /// Worth another attempt (a broker or database failure), and when at the earliest.
        retry: Option<Option<Duration>>,
        messages: Vec<MessageRow>,
    },
    /// Its visit moved on, was cancelled or is gone.
    Moot,
}

impl Jobs {
    pub fn new(
        store: Store,
        meetings: Meetings,
        mailer: Mailer,
        templates: Templates,
        clock: Arc<dyn Clock>,
        times: LinkTimes,
    ) -> Self {
        Self {
            store,
            meetings,
            mailer,
            templates,
            clock,
            times,
            lease: crate::settings::JOB_LEASE,
        }
    }

    /// Claims that hold for `lease`.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// Claims and runs the jobs due at `now`, a batch at a time, until none is due.
    pub async fn round(&self, now: i64) -> Result<Round, StoreError> {
        let mut round = Round::default();
        loop {
            let lease_until = now + self.lease.as_secs() as i64;
            let claimed = self.store.claim_jobs(now, lease_until, BATCH).await?;
            // Claims again until none is due: what a full batch left is taken in this round.
            if claimed.is_empty() {
                return Ok(round);
            }
            // Visits side by side; one visit's jobs one after another, in the order they fell
            // due (its links made before a reminder that carries them).
            let mut by_visit: Vec<Vec<JobRow>> = Vec::new();
            for job in claimed {
                match by_visit
                    .iter_mut()
                    .find(|jobs| jobs[0].visit_id == job.visit_id)
                {
                    Some(jobs) => jobs.push(job),
                    None => by_visit.push(vec![job]),
                }
            }
            let mut running = tokio::task::JoinSet::new();
            for visit_jobs in by_visit {
                let jobs = self.clone();
                running.spawn(async move {
                    let mut ended = Vec::with_capacity(visit_jobs.len());
                    for job in visit_jobs {
                        ended.push(jobs.attempt(job).await);
                    }
                    ended
                });
            }
            while let Some(ended) = running.join_next().await {
                let Ok(ended) = ended else {
                    tracing::error!("a visit's jobs panicked");
                    continue;
                };
                for attempt in ended {
                    match attempt {
                        Ok(counted) => counted(&mut round),
                        Err(error) => tracing::warn!(
                            error = %resilience::report(&error),
                            "a job's end could not be written; it runs again when its lease \
                             passes"
                        ),
                    }
                }
            }
        }
    }

    /// Rounds every `every` until `stopped` resolves. A failed round is logged and the next
    /// tried.
    pub async fn every(self, every: Duration, stopped: impl std::future::Future<Output = ()>) {
        crate::rounds::every(every, stopped, || async {
            match self.round(self.clock.now()).await {
                Ok(round) => tracing::trace!(?round, "a round of jobs"),
                Err(error) => tracing::warn!(
                    error = %resilience::report(&error),
                    "a round of jobs failed; the next one tries again"
                ),
            }
        })
        .await;
    }

    /// Runs one claimed job and writes how it ended; what to count.
    async fn attempt(&self, job: JobRow) -> Result<fn(&mut Round), StoreError> {
        let ending = if job.attempts > MAX_ATTEMPTS {
            Ending::Failed {
                why: format!(
                    "gave up after {MAX_ATTEMPTS} attempts (the last was cut off: its process \
                     stopped)"
                ),
                retry: None,
                messages: Vec::new(),
            }
        } else {
            self.run(&job).await
        };
        let now = self.clock.now();
        let (held, counted): (bool, fn(&mut Round)) = match ending {
            Ending::Done(step, messages) => (
                self.store
                    .job_done(&job, now, step.as_ref(), &messages)
                    .await?,
                |r| r.done += 1,
            ),
            Ending::Moot => (self.store.job_dropped(&job, now).await?, |r| r.dropped += 1),
            Ending::Failed {
                why,
                retry,
                messages,
            } => {
                let retry_at = retry
                    .filter(|_| job.attempts < MAX_ATTEMPTS)
                    .map(|earliest| now + backoff(job.attempts, earliest).as_secs() as i64);
                tracing::warn!(
                    job = %job.id,
                    kind = job.kind.as_str(),
                    attempt = job.attempts,
                    retry_at = ?retry_at,
                    why = %why,
                    "a visit's job failed"
                );
                // Given up: each channel that failed someone is told of once.
                let events = if retry_at.is_none() {
                    failed_invites(&job, &messages, now)
                } else {
                    Vec::new()
                };
                let held = self
                    .store
                    .job_failed(&job, now, retry_at, &why, &messages, &events)
                    .await?;
                if retry_at.is_some() {
                    (held, |r| r.retried += 1)
                } else {
                    (held, |r| r.dead += 1)
                }
            }
        };
        Ok(if held { counted } else { |r| r.lost += 1 })
    }

    async fn run(&self, job: &JobRow) -> Ending {
        let visit = match self.store.visit_of_job(&job.visit_id).await {
            Ok(Some(visit)) => visit,
            Ok(None) => return Ending::Moot,
            Err(error) => return failed_store(&error),
        };
        // A cancel's notice is the one job of a visit that is over, but for a short visit's
        // no-show, which may come after its end.
        let cancel_notice = job.kind == JobKind::Notify && visit.state == VisitState::Cancelled;
        let late_no_show = job.kind == JobKind::NoShow && visit.state == VisitState::Ended;
        if visit.sequence != job.sequence
            || (visit.state.is_over() && !cancel_notice && !late_no_show)
        {
            return Ending::Moot;
        }
        match job.kind {
            JobKind::Begin => Ending::Done(Some(VisitStep::Started), Vec::new()),
            JobKind::End => Ending::Done(Some(VisitStep::Ended), Vec::new()),
            JobKind::NoShow => {
                let event = EventRow::visit_changed(
                    EventType::VisitNoShow,
                    &visit,
                    visit.sequence,
                    self.clock.now(),
                );
                Ending::Done(Some(VisitStep::NoShow(event)), Vec::new())
            }
            JobKind::Mint => match self.caller_for(job, &visit).await {
                Ok(caller) => match self.links(&caller, &visit).await {
                    Ok(chat_id) => Ending::Done(Some(VisitStep::Ready(chat_id)), Vec::new()),
                    Err(error) => failed_meeting(&error, Vec::new()),
                },
                Err(ending) => ending,
            },
            JobKind::Remind => match self.caller_for(job, &visit).await {
                Ok(caller) => self.remind(job, &caller, &visit).await,
                Err(ending) => ending,
            },
            JobKind::AlertHost => match self.caller_for(job, &visit).await {
                Ok(caller) => self.alert_host(job, &caller, &visit).await,
                Err(ending) => ending,
            },
            JobKind::Notify => {
                let kind = job.detail.as_deref().and_then(|k| k.parse().ok());
                match (kind, self.caller_for(job, &visit).await) {
                    (Some(kind), Ok(caller)) => self.notify(job, &caller, &visit, kind).await,
                    (None, _) => Ending::Failed {
                        why: format!("a notice of no kind known: {:?}", job.detail),
                        retry: None,
                        messages: Vec::new(),
                    },
                    (_, Err(ending)) => ending,
                }
            }
        }
    }
}

/// `invite.failed`, a channel at a time, for the messages of a job's last attempt that failed.
fn failed_invites(job: &JobRow, messages: &[MessageRow], at: i64) -> Vec<EventRow> {
    let chat_id = crate::domain::chat_id_of_visit(&job.visit_id);
    ["sms", "email"]
        .into_iter()
        .filter_map(|channel| {
            let failed = messages
                .iter()
                .filter(|m| m.channel == channel && m.outcome == "failed")
                .count();
            (failed > 0)
                .then(|| EventRow::invite_failed(&job.tenant, &chat_id, at, channel, failed))
        })
        .collect()
}

/// The wait before attempt `attempts + 1`: doubling from the first, capped, and never sooner
/// than `earliest` (a limit's own time).
fn backoff(attempts: i64, earliest: Option<Duration>) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(16);
    let wait = FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_BACKOFF);
    earliest.map_or(wait, |earliest| wait.max(earliest))
}

pub(super) fn failed_store(error: &StoreError) -> Ending {
    Ending::Failed {
        why: resilience::report(error),
        retry: Some(None),
        messages: Vec::new(),
    }
}

/// A meeting operation's failure: worth retrying when the broker or the database failed, or a
/// limit holds; not when what was asked breaks a rule.
pub(super) fn failed_meeting(error: &MeetingError, messages: Vec<MessageRow>) -> Ending {
    let retry = match error {
        MeetingError::Limited { retry_in, .. } => Some(Some(*retry_in)),
        MeetingError::Broker(_)
        | MeetingError::TenantTokenRefused
        | MeetingError::TenantTokenUnavailable
        | MeetingError::Store(_)
        | MeetingError::NotFound(_) => Some(None),
        MeetingError::Invalid(_)
        | MeetingError::Exists(_)
        | MeetingError::Forbidden(_)
        | MeetingError::Expired { .. } => None,
    };
    Ending::Failed {
        why: error.to_string(),
        retry,
        messages,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_retry_waits_twice_as_long_up_to_an_hour_and_never_before_a_limit_frees() {
        assert_eq!(backoff(1, None), FIRST_RETRY);
        assert_eq!(backoff(2, None), FIRST_RETRY * 2);
        assert_eq!(backoff(4, None), FIRST_RETRY * 8);
        assert_eq!(backoff(8, None), MAX_BACKOFF);
        assert_eq!(backoff(60, None), MAX_BACKOFF);
        let limit = Duration::from_secs(5000);
        assert_eq!(backoff(1, Some(limit)), limit);
    }
}
