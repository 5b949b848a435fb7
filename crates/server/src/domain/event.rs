//! Events out: what a webhook can subscribe to ([`EventType`]), a subscription as asked
//! ([`Subscription`]), and when a delivery that failed is tried again ([`RETRY_AFTER`]).

use std::time::Duration;

use super::invalid::{Field, Invalid};

/// What happened, as a webhook's payload names it in `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    MeetingCreated,
    LinksAdded,
    LinkOpened,
    LinkRevoked,
    InviteSent,
    /// An SMS or email invitation that could not be sent (a reminder's, after its last try).
    InviteFailed,
    /// A guest joined while no host was in (presence, `icnode up`).
    GuestWaiting,
    /// The first host joined (presence).
    HostJoined,
    /// The last person in left (presence).
    MeetingEnded,
    VisitBooked,
    VisitRescheduled,
    VisitCancelled,
    /// Nobody opened a link of the visit nor joined it by its start and a grace.
    VisitNoShow,
    /// Sent by `POST /v1/webhooks/{id}/test` only, to the endpoint asked; no subscription
    /// names it.
    WebhookTest,
}

impl EventType {
    /// Every type an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [EventType; 13] = [
        EventType::MeetingCreated,
        EventType::LinksAdded,
        EventType::LinkOpened,
        EventType::LinkRevoked,
        EventType::InviteSent,
        EventType::InviteFailed,
        EventType::GuestWaiting,
        EventType::HostJoined,
        EventType::MeetingEnded,
        EventType::VisitBooked,
        EventType::VisitRescheduled,
        EventType::VisitCancelled,
        EventType::VisitNoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::MeetingCreated => "meeting.created",
            EventType::LinksAdded => "links.added",
            EventType::LinkOpened => "link.opened",
            EventType::LinkRevoked => "link.revoked",
            EventType::InviteSent => "invite.sent",
            EventType::InviteFailed => "invite.failed",
            EventType::GuestWaiting => "guest.waiting",
            EventType::HostJoined => "host.joined",
            EventType::MeetingEnded => "meeting.ended",
            EventType::VisitBooked => "visit.booked",
            EventType::VisitRescheduled => "visit.rescheduled",
            EventType::VisitCancelled => "visit.cancelled",
            EventType::VisitNoShow => "visit.no_show",
            EventType::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([EventType::WebhookTest])
            .find(|t| t.as_str() == text)
    }
}

/// The most types one subscription names (there are not more).
pub const MAX_EVENT_TYPES: usize = EventType::SUBSCRIBABLE.len();

/// Which events an endpoint gets: every type (`"*"`), every type of a family (`"visit.*"`),
/// or the types named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription(Vec<String>);

impl Subscription {
    /// The subscription asked for: one or more of `*`, a family's `<family>.*`, or a type.
    pub fn read(asked: &[String]) -> Result<Self, Invalid> {
        if asked.is_empty() {
            return Err(Invalid::says(
                Field::Events(None),
                "must name at least one event type, or `*` for all",
            ));
        }
        if asked.len() > MAX_EVENT_TYPES + 1 {
            return Err(Invalid::says(
                Field::Events(None),
                format!("must name at most {} entries", MAX_EVENT_TYPES + 1),
            ));
        }
        for (index, entry) in asked.iter().enumerate() {
            let known = entry == "*"
                || EventType::SUBSCRIBABLE
                    .iter()
                    .any(|t| t.as_str() == entry || family_of(*t) == *entry);
            if !known {
                return Err(Invalid::says(
                    Field::Events(Some(index)),
                    format!(
                        "must be `*`, a family such as `visit.*`, or one of {}; got `{entry}`",
                        EventType::SUBSCRIBABLE.map(EventType::as_str).join(", ")
                    ),
                ));
            }
        }
        let mut entries = asked.to_vec();
        entries.sort();
        entries.dedup();
        Ok(Self(entries))
    }

    /// A subscription as stored: its entries, checked when it was made.
    pub fn stored(entries: Vec<String>) -> Self {
        Self(entries)
    }

    pub fn entries(&self) -> &[String] {
        &self.0
    }

    /// Whether an event of `event` goes to this endpoint.
    pub fn wants(&self, event: EventType) -> bool {
        event == EventType::WebhookTest
            || self
                .0
                .iter()
                .any(|e| e == "*" || e == event.as_str() || *e == family_of(event))
    }
}

/// `visit.*` for `visit.booked`.
fn family_of(event: EventType) -> String {
    let name = event.as_str();
    let family = name.split_once('.').map_or(name, |(family, _)| family);
    format!("{family}.*")
}

/// How long after each failed attempt a delivery is tried again: about a day in all, then it
/// is dead, its last answer kept.
pub const RETRY_AFTER: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(8 * 3600),
    Duration::from_secs(8 * 3600),
];

/// When a delivery whose `attempts`-th attempt failed is tried again, or `None`: it is dead.
pub fn retry_after(attempts: i64) -> Option<Duration> {
    usize::try_from(attempts)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|i| RETRY_AFTER.get(i).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|e| (*e).to_owned()).collect()
    }

    #[test]
    fn a_subscription_names_all_a_family_or_types_and_nothing_else() {
        let all = Subscription::read(&asked(&["*"])).unwrap();
        assert!(EventType::SUBSCRIBABLE.iter().all(|t| all.wants(*t)));
        let visits = Subscription::read(&asked(&["visit.*", "link.opened", "visit.*"])).unwrap();
        assert_eq!(visits.entries(), ["link.opened", "visit.*"]);
        assert!(visits.wants(EventType::VisitCancelled));
        assert!(visits.wants(EventType::LinkOpened));
        assert!(!visits.wants(EventType::LinkRevoked));
        assert!(!visits.wants(EventType::MeetingCreated));
        assert!(
            visits.wants(EventType::WebhookTest),
            "a test goes where it is asked"
        );
        let bad = Subscription::read(&asked(&["link.opened", "link.closed"])).unwrap_err();
        assert_eq!(bad.field, Field::Events(Some(1)));
        assert_eq!(
            Subscription::read(&[]).unwrap_err().field,
            Field::Events(None)
        );
        assert!(Subscription::read(&asked(&["webhook.test"])).is_err());
        // At most one entry more than there are types: `*` and every type is the most.
        let mut most: Vec<&str> = EventType::SUBSCRIBABLE.map(EventType::as_str).to_vec();
        most.push("*");
        assert_eq!(most.len(), MAX_EVENT_TYPES + 1);
        assert!(Subscription::read(&asked(&most)).is_ok());
        most.push("*");
        let too_many = Subscription::read(&asked(&most)).unwrap_err();
        assert_eq!(too_many.field, Field::Events(None));
        assert!(
            too_many.to_string().contains("at most 14 entries"),
            "{too_many}"
        );
        for t in EventType::SUBSCRIBABLE {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
        }
        assert_eq!(
            EventType::parse("webhook.test"),
            Some(EventType::WebhookTest)
        );
        assert_eq!(EventType::parse("nope"), None);
    }

    #[test]
    fn a_delivery_is_tried_eight_times_over_about_a_day() {
        // The schedule README promises, in seconds.
        assert_eq!(
            RETRY_AFTER.map(|wait| wait.as_secs()),
            [5, 300, 1800, 7200, 18_000, 28_800, 28_800]
        );
        assert_eq!(retry_after(1), Some(Duration::from_secs(5)));
        assert_eq!(retry_after(7), Some(Duration::from_secs(8 * 3600)));
        assert_eq!(retry_after(8), None);
        assert_eq!(retry_after(0), None);
        let total: Duration = RETRY_AFTER.iter().sum();
        assert!(total > Duration::from_secs(20 * 3600) && total < Duration::from_secs(26 * 3600));
    }
}
