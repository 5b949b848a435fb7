//! Visits: an appointment booked now whose links are made when they are needed.
//!
//! The operations a caller can ask for (book, read, list, reschedule, cancel), each in the
//! domain's terms ([`crate::domain`]). A booking writes the visit and the jobs it needs in one
//! transaction (`jobs_for`): make the links at the lead time, each reminder, the start and the
//! end, and a notice by email that it was booked; [`crate::jobs`] runs them. A move or a
//! cancel writes its own notice. A reschedule or a cancel drops the jobs not yet run, again
//! in the same transaction, so a visit never has jobs of a schedule it no longer has.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use instant_connect::Clock;

use crate::domain::{
    Action, ChatId, EventType, Field, Invalid, JobKind, KeyRole, LinkTimes, Outcome, Permission,
    RescheduleAsked, Role, Schedule, VisitAsked, VisitState,
};
use crate::keys::Caller;
use crate::meetings::{DEFAULT_PAGE, IssuedLink, MAX_PAGE, MeetingError, Meetings};
use crate::messages::MessageKind;
use crate::store::{
    AuditRow, EventRow, JobRow, LinkRow, MessageRow, NewJob, Store, StoreError, VisitCursor,
    VisitRow,
};

/// A visit with what it has now: its links (once made), jobs and messages.
pub struct VisitView {
    pub visit: VisitRow,
    /// For each host and each guest, in order, their link once made.
    pub host_links: Vec<Option<IssuedLink>>,
    pub guest_links: Vec<Option<IssuedLink>>,
    pub jobs: Vec<JobRow>,
    pub messages: Vec<MessageRow>,
    /// When the links are made (or were due to be) and the window they work in.
    pub links_made_at: i64,
    pub links_window: (i64, i64),
}

/// A page of visits, by start.
pub struct VisitPage {
    pub items: Vec<VisitRow>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
}

/// A page of visits, as asked.
#[derive(Debug, Default, Clone)]
pub struct VisitListing {
    pub limit: Option<u32>,
    pub cursor: Option<String>,
    pub state: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Invalid>),
    /// Not one of the caller's tenant's visits: another tenant's is not found either.
    #[error("no visit `{0}`")]
    NotFound(String),
    #[error("a key whose role is `{0}` may not do this")]
    Forbidden(KeyRole),
    /// It has ended or was cancelled: it cannot be moved.
    #[error("visit `{id}` is {} and cannot be moved", .state.as_str())]
    Over { id: String, state: VisitState },
    /// It changed while this change was being made; reading it again shows how.
    #[error("visit `{0}` changed while it was being moved; read it and try again")]
    Changed(String),
    #[error(transparent)]
    Meeting(#[from] MeetingError),
    #[error("the visit store failed")]
    Store(#[from] StoreError),
}

impl VisitError {
    /// How the attempt ends, in the audit trail's words.
    pub fn outcome(&self) -> Outcome {
        match self {
            VisitError::Invalid(_) => Outcome::Invalid,
            VisitError::NotFound(_) => Outcome::NotFound,
            VisitError::Forbidden(_) => Outcome::Forbidden,
            VisitError::Over { .. } => Outcome::Expired,
            VisitError::Changed(_) => Outcome::Exists,
            VisitError::Meeting(error) => error.outcome(),
            VisitError::Store(_) => Outcome::StoreFailed,
        }
    }
}

/// The visits a service keeps.
#[derive(Debug, Clone)]
pub struct Visits {
    store: Store,
    meetings: Meetings,
    clock: Arc<dyn Clock>,
    times: LinkTimes,
}

impl Visits {
    pub fn new(store: Store, meetings: Meetings, clock: Arc<dyn Clock>, times: LinkTimes) -> Self {
        Self {
            store,
            meetings,
            clock,
            times,
        }
    }

    /// Books a visit with the jobs it needs; the attempt, done or not, goes in the audit trail.
    pub async fn book(&self, caller: &Caller, asked: VisitAsked) -> Result<VisitView, VisitError> {
        let booked = self.book_checked(caller, asked).await;
        if let Err(error) = &booked {
            self.record_refusal(caller, Action::VisitBooked, None, error)
                .await;
        }
        booked
    }

    async fn book_checked(
        &self,
        caller: &Caller,
        asked: VisitAsked,
    ) -> Result<VisitView, VisitError> {
        allowed(caller, Permission::Write)?;
        let now = self.clock.now();
        let plan = asked.read(now).map_err(VisitError::Invalid)?;
        let visit = VisitRow {
            id: uuid::Uuid::now_v7().to_string(),
            tenant: caller.tenant.clone(),
            key_id: caller.key_id.clone(),
            key_name: caller.name.clone(),
            schedule: plan.schedule,
            hosts: plan.hosts,
            guests: plan.guests,
            vertical: plan.vertical,
            notes: plan.notes,
            state: VisitState::Scheduled,
            sequence: 0,
            chat_id: None,
            booked_at: now,
            ready_at: None,
            started_at: None,
            ended_at: None,
            cancelled_at: None,
            no_show_at: None,
            updated_at: now,
        };
        let mut jobs = jobs_for(&visit.schedule, self.times, now);
        jobs.push(notice(MessageKind::Invitation, now));
        let audit = self.done(caller, Action::VisitBooked, &visit.id);
        let event = EventRow::visit_changed(EventType::VisitBooked, &visit, visit.sequence, now);
        self.store
            .insert_visit(&visit, &jobs, &audit, &event)
            .await?;
        self.view(caller, visit).await
    }

    pub async fn get(&self, caller: &Caller, id: &str) -> Result<VisitView, VisitError> {
        allowed(caller, Permission::Read)?;
        let visit = self.visit(caller, id).await?;
        self.view(caller, visit).await
    }

    pub async fn list(
        &self,
        caller: &Caller,
        listing: VisitListing,
    ) -> Result<VisitPage, VisitError> {
        allowed(caller, Permission::Read)?;
        let limit = listing.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(invalid(
                Field::Limit,
                format!("must be between 1 and {MAX_PAGE}, got {limit}"),
            ));
        }
        let state = match listing.state.as_deref() {
            None => None,
            Some(text) => Some(text.parse::<VisitState>().map_err(|()| {
                let words: Vec<&str> = VisitState::ALL.iter().map(|s| s.as_str()).collect();
                invalid(
                    Field::State,
                    format!("must be one of {}, got `{text}`", words.join(", ")),
                )
            })?),
        };
        let cursor = listing
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()
            .map_err(|bad| VisitError::Invalid(vec![bad]))?;
        let mut items = self
            .store
            .visits_page(&caller.tenant, state, cursor.as_ref(), limit + 1)
            .await?;
        let next_cursor = if items.len() > limit as usize {
            items.truncate(limit as usize);
            items.last().map(|last| {
                encode_cursor(&VisitCursor {
                    starts_at: last.schedule.start,
                    id: last.id.clone(),
                })
            })
        } else {
            None
        };
        Ok(VisitPage { items, next_cursor })
    }

    /// Moves a visit: its jobs not yet run are dropped and those of the new schedule written,
    /// in one transaction. Asking for the schedule it has changes nothing. The attempt, done or
    /// not, goes in the audit trail.
    pub async fn reschedule(
        &self,
        caller: &Caller,
        id: &str,
        asked: RescheduleAsked,
    ) -> Result<VisitView, VisitError> {
        let moved = self.move_checked(caller, id, asked).await;
        if let Err(error) = &moved {
            let target = known_id(id, error);
            self.record_refusal(caller, Action::VisitRescheduled, target, error)
                .await;
        }
        moved
    }

    async fn move_checked(
        &self,
        caller: &Caller,
        id: &str,
        asked: RescheduleAsked,
    ) -> Result<VisitView, VisitError> {
        allowed(caller, Permission::Write)?;
        let visit = self.visit(caller, id).await?;
        if visit.state.is_over() {
            return Err(VisitError::Over {
                id: visit.id,
                state: visit.state,
            });
        }
        let now = self.clock.now();
        let Some(schedule) = asked
            .read(&visit.schedule, now)
            .map_err(VisitError::Invalid)?
        else {
            return self.view(caller, visit).await;
        };
        let mut jobs = jobs_for(&schedule, self.times, now);
        jobs.push(notice(MessageKind::Rescheduled, now));
        let audit = self.done(caller, Action::VisitRescheduled, &visit.id);
        let moved_to = VisitRow {
            schedule: schedule.clone(),
            ..visit.clone()
        };
        let event = EventRow::visit_changed(
            EventType::VisitRescheduled,
            &moved_to,
            visit.sequence + 1,
            now,
        );
        if !self
            .store
            .reschedule_visit(
                &visit,
                &chat_id_of(&visit),
                &schedule,
                now,
                &jobs,
                &audit,
                &event,
            )
            .await?
        {
            return Err(VisitError::Changed(visit.id));
        }
        let moved = self.visit(caller, id).await?;
        self.view(caller, moved).await
    }

    /// Cancels a visit: its jobs not yet run are dropped. Cancelling a cancelled visit changes
    /// nothing and answers the same; an ended one cannot be cancelled. The attempt, done or
    /// not, goes in the audit trail.
    pub async fn cancel(&self, caller: &Caller, id: &str) -> Result<VisitView, VisitError> {
        let cancelled = self.cancel_checked(caller, id).await;
        if let Err(error) = &cancelled {
            let target = known_id(id, error);
            self.record_refusal(caller, Action::VisitCancelled, target, error)
                .await;
        }
        cancelled
    }

    async fn cancel_checked(&self, caller: &Caller, id: &str) -> Result<VisitView, VisitError> {
        allowed(caller, Permission::Write)?;
        let visit = self.visit(caller, id).await?;
        match visit.state {
            VisitState::Cancelled => return self.view(caller, visit).await,
            VisitState::Ended => {
                return Err(VisitError::Over {
                    id: visit.id,
                    state: visit.state,
                });
            }
            _ => {}
        }
        let audit = self.done(caller, Action::VisitCancelled, &visit.id);
        let now = self.clock.now();
        let jobs = [notice(MessageKind::Cancelled, now)];
        let event =
            EventRow::visit_changed(EventType::VisitCancelled, &visit, visit.sequence + 1, now);
        if !self
            .store
            .cancel_visit(&visit, &chat_id_of(&visit), now, &jobs, &audit, &event)
            .await?
        {
            return Err(VisitError::Changed(visit.id));
        }
        let cancelled = self.visit(caller, id).await?;
        self.view(caller, cancelled).await
    }

    /// The visit with its links, jobs and messages.
    async fn view(&self, caller: &Caller, visit: VisitRow) -> Result<VisitView, VisitError> {
        let window = visit.schedule.links_window(self.times);
        let (host_links, guest_links) = match &visit.chat_id {
            Some(chat_id) => {
                let meeting = self.meetings.get(caller, chat_id.as_str()).await?;
                party_links(&visit, meeting.links, window)
            }
            None => (
                vec![None; visit.hosts.len()],
                vec![None; visit.guests.len()],
            ),
        };
        let jobs = self.store.jobs_of_visit(&visit.id).await?;
        let messages = self.store.messages_of_visit(&visit.id).await?;
        Ok(VisitView {
            links_made_at: visit.schedule.links_made_at(self.times),
            links_window: window,
            visit,
            host_links,
            guest_links,
            jobs,
            messages,
        })
    }

    async fn visit(&self, caller: &Caller, id: &str) -> Result<VisitRow, VisitError> {
        self.store
            .visit(&caller.tenant, id)
            .await?
            .ok_or_else(|| VisitError::NotFound(id.to_owned()))
    }

    fn done(&self, caller: &Caller, action: Action, id: &str) -> AuditRow {
        caller.audit_row(self.clock.now(), action, Some(id), Outcome::Done)
    }

    async fn record_refusal(
        &self,
        caller: &Caller,
        action: Action,
        target: Option<String>,
        error: &VisitError,
    ) {
        let row = caller.audit_row(self.clock.now(), action, target.as_deref(), error.outcome());
        self.store.append_audit_or_log(&row).await;
    }
}

/// The job that tells everyone with an address of a change, at once.
fn notice(kind: MessageKind, now: i64) -> NewJob {
    NewJob {
        kind: JobKind::Notify,
        detail: Some(kind.as_str().to_owned()),
        due_at: now,
    }
}

/// Whether `link` was made for a visit's `window` now: links of an earlier schedule, and
/// links revoked (by a move, even one back to this window), are not.
pub fn made_for(link: &LinkRow, window: (i64, i64)) -> bool {
    link.not_before == Some(window.0) && link.expires_at == window.1 && link.revoked_at.is_none()
}

/// Each host's and each guest's link among a meeting's `links`: the i-th link of a role made
/// for the visit's `window` now is the i-th person's.
pub fn party_links(
    visit: &VisitRow,
    links: Vec<IssuedLink>,
    window: (i64, i64),
) -> (Vec<Option<IssuedLink>>, Vec<Option<IssuedLink>>) {
    let mut host_links = vec![None; visit.hosts.len()];
    let mut guest_links = vec![None; visit.guests.len()];
    let (mut hosts, mut guests) = (host_links.iter_mut(), guest_links.iter_mut());
    for link in links {
        if !made_for(&link.link, window) {
            continue;
        }
        let slot = match link.link.role {
            Role::Host => hosts.next(),
            Role::Guest => guests.next(),
        };
        if let Some(slot) = slot {
            *slot = Some(link);
        }
    }
    (host_links, guest_links)
}

/// The jobs a schedule needs from `now`: its links made, each reminder, its start and its end.
/// Reminders already past are not sent, but for the latest of them, which is sent now: someone
/// booked late still hears of the visit once.
pub fn jobs_for(schedule: &Schedule, times: LinkTimes, now: i64) -> Vec<NewJob> {
    let mut jobs = vec![NewJob {
        kind: JobKind::Mint,
        detail: None,
        due_at: schedule.links_made_at(times),
    }];
    let due = schedule.reminders_due();
    let latest_past = due
        .iter()
        .filter(|(at, _)| *at <= now)
        .map(|(at, _)| *at)
        .max();
    for (at, reminder) in due {
        if at > now || Some(at) == latest_past {
            jobs.push(NewJob {
                kind: JobKind::Remind,
                detail: Some(reminder.written().to_owned()),
                due_at: at.max(now),
            });
        }
    }
    jobs.push(NewJob {
        kind: JobKind::Begin,
        detail: None,
        due_at: schedule.start,
    });
    jobs.push(NewJob {
        kind: JobKind::End,
        detail: None,
        due_at: schedule.end,
    });
    jobs.push(NewJob {
        kind: JobKind::NoShow,
        detail: None,
        due_at: schedule.start + times.grace.as_secs() as i64,
    });
    jobs
}

/// The id a refusal names in the trail: a visit's id only once it was found (an id the caller
/// made up says nothing).
fn known_id(id: &str, error: &VisitError) -> Option<String> {
    (!matches!(error, VisitError::NotFound(_) | VisitError::Forbidden(_))).then(|| id.to_owned())
}

fn allowed(caller: &Caller, permission: Permission) -> Result<(), VisitError> {
    if caller.may(permission) {
        Ok(())
    } else {
        Err(VisitError::Forbidden(caller.role))
    }
}

fn invalid(field: Field, rule: String) -> VisitError {
    VisitError::Invalid(vec![Invalid::says(field, rule)])
}

fn encode_cursor(cursor: &VisitCursor) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", cursor.starts_at, cursor.id))
}

fn decode_cursor(text: &str) -> Result<VisitCursor, Invalid> {
    let bad = || Invalid::says(Field::Cursor, "is not a cursor this service gave out");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (at, id) = text.split_once(':').ok_or_else(bad)?;
    Ok(VisitCursor {
        starts_at: at.parse().map_err(|_| bad())?,
        id: uuid::Uuid::parse_str(id).map_err(|_| bad())?.to_string(),
    })
}

/// The chat id of a visit's meeting ([`VisitRow::meeting_chat_id`]).
pub fn chat_id_of(visit: &VisitRow) -> ChatId {
    visit.meeting_chat_id()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{PartyAsked, TimeInput};

    fn schedule(reminders: &[&str]) -> Schedule {
        VisitAsked {
            start: Some(TimeInput::Seconds(1_800_010_000)),
            end: Some(TimeInput::Seconds(1_800_011_800)),
            hosts: vec![PartyAsked::default()],
            guests: vec![PartyAsked::default()],
            reminders: Some(reminders.iter().map(|r| (*r).to_owned()).collect()),
            ..VisitAsked::default()
        }
        .read(1_800_000_000)
        .unwrap()
        .schedule
    }

    fn kinds(jobs: &[NewJob]) -> Vec<(JobKind, i64)> {
        jobs.iter().map(|j| (j.kind, j.due_at)).collect()
    }

    #[test]
    fn a_visit_needs_its_links_each_reminder_its_start_its_end_and_a_no_show_check() {
        let s = schedule(&["-PT1H", "-PT10M"]);
        let jobs = jobs_for(&s, LinkTimes::default(), 1_800_000_000);
        assert_eq!(
            kinds(&jobs),
            [
                (JobKind::Mint, s.start - 3600),
                (JobKind::Remind, s.start - 3600),
                (JobKind::Remind, s.start - 600),
                (JobKind::Begin, s.start),
                (JobKind::End, s.end),
                (JobKind::NoShow, s.start + 15 * 60),
            ]
        );
    }

    #[test]
    fn of_the_reminders_already_past_only_the_latest_is_sent_now() {
        let s = schedule(&["-PT2H", "-PT1H", "-PT15M"]);
        let now = s.start - 1800;
        let jobs = jobs_for(&s, LinkTimes::default(), now);
        let reminders: Vec<(i64, Option<String>)> = jobs
            .iter()
            .filter(|j| j.kind == JobKind::Remind)
            .map(|j| (j.due_at, j.detail.clone()))
            .collect();
        assert_eq!(
            reminders,
            [
                (now, Some("-PT1H".into())),
                (s.start - 900, Some("-PT15M".into()))
            ]
        );
    }

    #[test]
    fn visit_cursors_round_trip_and_foreign_ones_are_refused() {
        let cursor = VisitCursor {
            starts_at: 1_800_000_000,
            id: uuid::Uuid::now_v7().to_string(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&cursor)).unwrap(), cursor);
        assert!(decode_cursor("bm90LWEtY3Vyc29y").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("1:not-a-uuid")).is_err());
    }
}
