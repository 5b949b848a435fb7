//! What a job sends: reminders and notices, by SMS (the broker's invite, to guests with a
//! phone) and by email (everyone with an address, their own link and calendar invitation in
//! it), each recipient once per job however many attempts it takes.

use std::collections::HashSet;

use super::{Ending, Jobs, failed_meeting, failed_store};
use crate::calendar::{Invitation, Method};
use crate::domain::{ChatId, Party, Role};
use crate::keys::Caller;
use crate::mail::{Email, MailError};
use crate::messages::{self, MessageContext, MessageKind};
use crate::store::{JobRow, MessageRow, VisitRow, VisitStep};
use crate::visits::party_links;

/// Someone a message goes to, with their link once made.
struct Person<'a> {
    party: &'a Party,
    role: Role,
    index: usize,
    link: Option<String>,
}

/// What was sent for a job by its earlier attempts: (channel, recipient).
type Sent = HashSet<(String, String)>;

impl Jobs {
    /// The links made if they are not yet; the broker's SMS invite to every guest with a
    /// phone; an email to everyone with an address.
    pub(super) async fn remind(&self, job: &JobRow, caller: &Caller, visit: &VisitRow) -> Ending {
        let chat_id = match self.links(caller, visit).await {
            Ok(chat_id) => chat_id,
            Err(error) => return failed_meeting(&error, Vec::new()),
        };
        let (people, sent) = match self
            .people_and_sent(job, caller, visit, Some(&chat_id))
            .await
        {
            Ok(found) => found,
            Err(ending) => return ending,
        };
        let mut messages = Vec::new();
        let phones: Vec<String> = visit
            .guests
            .iter()
            .filter_map(|guest| guest.phone.clone())
            .filter(|phone| !sent.contains(&("sms".to_owned(), phone.clone())))
            .collect();
        let mut texting = Ok(());
        if !phones.is_empty() {
            // Keyed by the job: an attempt after one cut off between the broker's answer and
            // the commit is taken once by a broker that honours the key.
            let texted = self
                .meetings
                .invite_once(caller, chat_id.as_str(), phones.clone(), &job.id)
                .await;
            let (outcome, detail) = match &texted {
                Ok(sent) => ("sent", sent.status.clone()),
                Err(error) => ("failed", error.to_string()),
            };
            for phone in &phones {
                messages.push(self.message(
                    job,
                    visit,
                    "sms",
                    MessageKind::Reminder,
                    phone,
                    outcome,
                    &detail,
                ));
            }
            texting = texted.map(|_| ());
        }
        let mailing = self
            .email_everyone(
                job,
                visit,
                MessageKind::Reminder,
                &people,
                &sent,
                &mut messages,
            )
            .await;
        match (texting, mailing) {
            (Err(error), _) => failed_meeting(&error, messages),
            (Ok(()), Err(why)) => Ending::Failed {
                why,
                retry: Some(None),
                messages,
            },
            (Ok(()), Ok(())) => Ending::Done(Some(VisitStep::Ready(chat_id)), messages),
        }
    }

    /// An email to each host with an address, if the guests still wait as they did since
    /// `waiting_since` (the job's detail); moot when they no longer do.
    pub(super) async fn alert_host(
        &self,
        job: &JobRow,
        caller: &Caller,
        visit: &VisitRow,
    ) -> Ending {
        let chat_id = visit.meeting_chat_id();
        let room = match self.store.room(&visit.tenant, &chat_id).await {
            Ok(room) => room,
            Err(error) => return failed_store(&error),
        };
        let waiting_since = room.and_then(|room| room.waiting_since);
        if waiting_since.map(|at| at.to_string()) != job.detail {
            return Ending::Moot;
        }
        let (people, sent) = match self
            .people_and_sent(job, caller, visit, Some(&chat_id))
            .await
        {
            Ok(found) => found,
            Err(ending) => return ending,
        };
        let hosts: Vec<Person<'_>> = people
            .into_iter()
            .filter(|person| person.role == Role::Host)
            .collect();
        self.email_and_end(job, visit, MessageKind::Waiting, &hosts, &sent)
            .await
    }

    /// An email to everyone with an address: the visit was booked, moved or cancelled.
    pub(super) async fn notify(
        &self,
        job: &JobRow,
        caller: &Caller,
        visit: &VisitRow,
        kind: MessageKind,
    ) -> Ending {
        let (people, sent) = match self
            .people_and_sent(job, caller, visit, visit.chat_id.as_ref())
            .await
        {
            Ok(found) => found,
            Err(ending) => return ending,
        };
        self.email_and_end(job, visit, kind, &people, &sent).await
    }

    /// Emails `people` a message of `kind` and ends the job: done, or failed (tried again)
    /// with the messages as they went.
    async fn email_and_end(
        &self,
        job: &JobRow,
        visit: &VisitRow,
        kind: MessageKind,
        people: &[Person<'_>],
        sent: &Sent,
    ) -> Ending {
        let mut messages = Vec::new();
        match self
            .email_everyone(job, visit, kind, people, sent, &mut messages)
            .await
        {
            Ok(()) => Ending::Done(None, messages),
            Err(why) => Ending::Failed {
                why,
                retry: Some(None),
                messages,
            },
        }
    }

    /// Hosts then guests, each with their link of the visit's window now (once made), and what
    /// earlier attempts of `job` sent.
    async fn people_and_sent<'v>(
        &self,
        job: &JobRow,
        caller: &Caller,
        visit: &'v VisitRow,
        chat_id: Option<&ChatId>,
    ) -> Result<(Vec<Person<'v>>, Sent), Ending> {
        let (host_links, guest_links) = match chat_id {
            Some(chat_id) => {
                let meeting = self
                    .meetings
                    .get(caller, chat_id.as_str())
                    .await
                    .map_err(|error| failed_meeting(&error, Vec::new()))?;
                party_links(
                    visit,
                    meeting.links,
                    visit.schedule.links_window(self.times),
                )
            }
            None => (
                vec![None; visit.hosts.len()],
                vec![None; visit.guests.len()],
            ),
        };
        let url = |link: Option<crate::meetings::IssuedLink>| link.map(|l| l.url);
        let hosts = visit.hosts.iter().zip(host_links).enumerate();
        let guests = visit.guests.iter().zip(guest_links).enumerate();
        let people = hosts
            .map(|(index, (party, link))| (Role::Host, index, party, link))
            .chain(guests.map(|(index, (party, link))| (Role::Guest, index, party, link)))
            .map(|(role, index, party, link)| Person {
                party,
                role,
                index,
                link: url(link),
            })
            .collect();
        let sent = self
            .store
            .messages_of_visit(&visit.id)
            .await
            .map_err(|error| failed_store(&error))?
            .into_iter()
            .filter(|m| m.job_id == job.id && m.outcome == "sent")
            .map(|m| (m.channel, m.recipient))
            .collect();
        Ok((people, sent))
    }

    /// Emails everyone of `people` with an address not yet sent to; why the first failure
    /// failed, if one did. With no way to send email, each is recorded as skipped.
    async fn email_everyone(
        &self,
        job: &JobRow,
        visit: &VisitRow,
        kind: MessageKind,
        people: &[Person<'_>],
        sent: &Sent,
        messages: &mut Vec<MessageRow>,
    ) -> Result<(), String> {
        let mut failed = None;
        for person in people {
            let Some(address) = &person.party.email else {
                continue;
            };
            if sent.contains(&("email".to_owned(), address.clone())) {
                continue;
            }
            let email = self.email(job, visit, kind, person, address).await;
            let (outcome, detail) = match self.mailer.send(&email).await {
                Ok(answer) => ("sent", answer),
                Err(MailError::NotConfigured) => ("skipped", MailError::NotConfigured.to_string()),
                Err(error) => {
                    let why = resilience::report(&error);
                    failed.get_or_insert_with(|| format!("email to {address}: {why}"));
                    ("failed", why)
                }
            };
            messages.push(self.message(job, visit, "email", kind, address, outcome, &detail));
        }
        failed.map_or(Ok(()), Err)
    }

    /// One person's email: the tenant's template for their language (or the service's), and
    /// the calendar invitation with their link.
    async fn email(
        &self,
        job: &JobRow,
        visit: &VisitRow,
        kind: MessageKind,
        person: &Person<'_>,
        address: &str,
    ) -> Email {
        let context = self.context(visit, person);
        let rendered = self
            .templates
            .render(&visit.tenant, kind, &person.party.language, &context)
            .await;
        let method = match kind {
            MessageKind::Cancelled => Method::Cancel,
            _ => Method::Request,
        };
        let organizer = self.mailer.from_address();
        let ics = Invitation {
            method,
            visit_id: &visit.id,
            sequence: visit.sequence,
            start: visit.schedule.start,
            end: visit.schedule.end,
            stamp: self.clock.now(),
            summary: &rendered.subject,
            description: &rendered.body,
            url: person.link.as_deref(),
            organizer: &organizer,
            attendee_name: person.party.name.as_deref(),
            attendee_email: address,
        }
        .to_ics();
        let who = match person.role {
            Role::Host => 'h',
            Role::Guest => 'g',
        };
        Email {
            // The same for every attempt of this job to this person.
            id: format!("{}.{who}{}", job.id, person.index),
            to_name: person.party.name.clone(),
            to: address.to_owned(),
            subject: rendered.subject,
            body: rendered.body,
            // An alert is not the visit: it must not replace the calendar's entry.
            calendar: (kind != MessageKind::Waiting).then_some((method, ics)),
        }
    }

    fn context(&self, visit: &VisitRow, person: &Person<'_>) -> MessageContext {
        let zone = visit
            .schedule
            .zone
            .as_ref()
            .map_or(jiff::tz::TimeZone::UTC, |zone| zone.time_zone().clone());
        let (start, end) = (visit.schedule.start, visit.schedule.end);
        MessageContext {
            name: person.party.name.clone().unwrap_or_else(|| "there".into()),
            role: person.role.as_str(),
            start: messages::written_at(start, &zone),
            end: messages::time_of_day(end, &zone),
            start_iso: messages::iso_at(start, &zone),
            end_iso: messages::iso_at(end, &zone),
            time_zone: visit
                .schedule
                .zone
                .as_ref()
                .map_or_else(|| "UTC".to_owned(), |zone| zone.name().to_owned()),
            link: person.link.clone(),
            link_from: messages::written_at(visit.schedule.links_made_at(self.times), &zone),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn message(
        &self,
        job: &JobRow,
        visit: &VisitRow,
        channel: &str,
        kind: MessageKind,
        recipient: &str,
        outcome: &str,
        detail: &str,
    ) -> MessageRow {
        MessageRow {
            id: uuid::Uuid::now_v7().to_string(),
            visit_id: visit.id.clone(),
            job_id: job.id.clone(),
            channel: channel.to_owned(),
            kind: kind.as_str().to_owned(),
            recipient: recipient.to_owned(),
            outcome: outcome.to_owned(),
            detail: Some(detail.to_owned()),
            at: self.clock.now(),
        }
    }
}
