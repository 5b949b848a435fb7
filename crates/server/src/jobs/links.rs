//! What a job does for a visit's links: acts as the key that booked it, and makes the links
//! of its window now, one per person, where they are missing (an earlier attempt's are kept).

use super::{Ending, Jobs, failed_store};
use crate::domain::{ChatId, KeyRole, Role, TimeInput, TimesAsked};
use crate::keys::Caller;
use crate::meetings::{MeetingError, MeetingRequest, MoreLinks};
use crate::store::{JobRow, VisitRow};
use crate::visits::{chat_id_of, made_for};

impl Jobs {
    /// The key that booked the visit, as its tenant is now (its limits, its broker token).
    pub(super) async fn caller_for(
        &self,
        job: &JobRow,
        visit: &VisitRow,
    ) -> Result<Caller, Ending> {
        let tenant = match self.store.tenant(&visit.tenant).await {
            Ok(Some(tenant)) => tenant,
            Ok(None) => return Err(Ending::Moot),
            Err(error) => return Err(failed_store(&error)),
        };
        if tenant.disabled_at.is_some() {
            return Err(Ending::Failed {
                why: "the visit's tenant is disabled".into(),
                retry: None,
                messages: Vec::new(),
            });
        }
        Ok(Caller {
            key_id: visit.key_id.clone(),
            name: visit.key_name.clone(),
            tenant: tenant.id,
            role: KeyRole::Member,
            limits: tenant.limits,
            broker_token: tenant.token,
            request_id: Some(format!("job:{}", job.id)),
        })
    }

    /// The visit's links for its window now, made where they are missing: one per person.
    pub(super) async fn links(
        &self,
        caller: &Caller,
        visit: &VisitRow,
    ) -> Result<ChatId, MeetingError> {
        let chat_id = chat_id_of(visit);
        let (from, until) = visit.schedule.links_window(self.times);
        let validity = TimesAsked {
            not_before: Some(TimeInput::Seconds(from)),
            expires_at: Some(TimeInput::Seconds(until)),
            ..TimesAsked::default()
        };
        let (hosts, guests) = (visit.hosts.len(), visit.guests.len());
        let meeting = match self.meetings.get(caller, chat_id.as_str()).await {
            Ok(meeting) => meeting,
            Err(MeetingError::NotFound(_)) => {
                let request = MeetingRequest {
                    chat_id: Some(chat_id.as_str().to_owned()),
                    hosts: Some(hosts as i64),
                    guests: Some(guests as i64),
                    vertical: Some(visit.vertical.as_str().to_owned()),
                    host_login: None,
                    short_urls: None,
                    validity: validity.clone(),
                    single_use: None,
                };
                match self.meetings.create(caller, request).await {
                    Ok(_) => return Ok(chat_id),
                    // An attempt before this one made it and was cut off: see what it made.
                    Err(MeetingError::Exists(_)) => {
                        self.meetings.get(caller, chat_id.as_str()).await?
                    }
                    Err(error) => return Err(error),
                }
            }
            Err(error) => return Err(error),
        };
        let made = |role: Role| {
            meeting
                .links
                .iter()
                .filter(|l| l.link.role == role && made_for(&l.link, (from, until)))
                .count()
        };
        for (role, wanted) in [(Role::Host, hosts), (Role::Guest, guests)] {
            let missing = wanted.saturating_sub(made(role));
            if missing > 0 {
                let more = MoreLinks {
                    count: Some(missing as i64),
                    validity: validity.clone(),
                    single_use: None,
                };
                self.meetings
                    .add_links(caller, chat_id.as_str(), role, more)
                    .await?;
            }
        }
        Ok(chat_id)
    }
}
