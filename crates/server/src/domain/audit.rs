//! The audit trail's words: what changed ([`Action`]) and how the attempt ended ([`Outcome`]).
//! Both are closed sets, stored and filtered by their text.

use std::fmt;
use std::str::FromStr;

/// A change someone asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    MeetingCreated,
    LinksAdded,
    InviteSent,
    KeyCreated,
    KeyRevoked,
    NodeImported,
    TenantCreated,
    TenantDisabled,
    TenantEnabled,
    TenantLimitsSet,
    TenantTokenSet,
    VisitBooked,
    VisitRescheduled,
    VisitCancelled,
    TemplateSet,
    TemplateRemoved,
    LinksRevoked,
    WebhookCreated,
    WebhookDeleted,
    WebhookRotated,
}

impl Action {
    pub const ALL: [Action; 20] = [
        Action::MeetingCreated,
        Action::LinksAdded,
        Action::InviteSent,
        Action::KeyCreated,
        Action::KeyRevoked,
        Action::NodeImported,
        Action::TenantCreated,
        Action::TenantDisabled,
        Action::TenantEnabled,
        Action::TenantLimitsSet,
        Action::TenantTokenSet,
        Action::VisitBooked,
        Action::VisitRescheduled,
        Action::VisitCancelled,
        Action::TemplateSet,
        Action::TemplateRemoved,
        Action::LinksRevoked,
        Action::WebhookCreated,
        Action::WebhookDeleted,
        Action::WebhookRotated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::MeetingCreated => "meeting.created",
            Action::LinksAdded => "links.added",
            Action::InviteSent => "invite.sent",
            Action::KeyCreated => "key.created",
            Action::KeyRevoked => "key.revoked",
            Action::NodeImported => "node.imported",
            Action::TenantCreated => "tenant.created",
            Action::TenantDisabled => "tenant.disabled",
            Action::TenantEnabled => "tenant.enabled",
            Action::TenantLimitsSet => "tenant.limits_set",
            Action::TenantTokenSet => "tenant.token_set",
            Action::VisitBooked => "visit.booked",
            Action::VisitRescheduled => "visit.rescheduled",
            Action::VisitCancelled => "visit.cancelled",
            Action::TemplateSet => "template.set",
            Action::TemplateRemoved => "template.removed",
            Action::LinksRevoked => "link.revoked",
            Action::WebhookCreated => "webhook.created",
            Action::WebhookDeleted => "webhook.deleted",
            Action::WebhookRotated => "webhook.rotated",
        }
    }
}

/// How an attempt at a change ended: done, or why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Done,
    /// A value broke a rule.
    Invalid,
    /// The key's role may not do it.
    Forbidden,
    /// Nothing of the key's tenant has that name.
    NotFound,
    /// The name is taken.
    Exists,
    /// The meeting's links have expired.
    Expired,
    /// The tenant is past one of its limits.
    Limited,
    /// The broker refused, failed or did not answer.
    BrokerFailed,
    /// The database failed.
    StoreFailed,
}

impl Outcome {
    pub const ALL: [Outcome; 9] = [
        Outcome::Done,
        Outcome::Invalid,
        Outcome::Forbidden,
        Outcome::NotFound,
        Outcome::Exists,
        Outcome::Expired,
        Outcome::Limited,
        Outcome::BrokerFailed,
        Outcome::StoreFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Invalid => "invalid",
            Outcome::Forbidden => "forbidden",
            Outcome::NotFound => "not_found",
            Outcome::Exists => "exists",
            Outcome::Expired => "expired",
            Outcome::Limited => "limited",
            Outcome::BrokerFailed => "broker_failed",
            Outcome::StoreFailed => "store_failed",
        }
    }
}

/// Who asked for a change: a key (its id and name, and the request's id), or the operator on
/// the command line, who holds the database and has neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub key_id: Option<String>,
    pub name: String,
    pub request_id: Option<String>,
}

impl Actor {
    /// The name the operator's changes are recorded under.
    pub const OPERATOR: &'static str = "operator";

    pub fn operator() -> Self {
        Self {
            key_id: None,
            name: Self::OPERATOR.to_owned(),
            request_id: None,
        }
    }
}

/// A text that names no [`Action`] or [`Outcome`]; it holds the words that do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of {expected}, got `{got}`")]
pub struct UnknownWord {
    pub got: String,
    pub expected: String,
}

fn parse_word<T: Copy>(
    text: &str,
    all: &[T],
    word: fn(T) -> &'static str,
) -> Result<T, UnknownWord> {
    all.iter()
        .copied()
        .find(|item| word(*item) == text)
        .ok_or_else(|| UnknownWord {
            got: text.to_owned(),
            expected: all
                .iter()
                .map(|item| format!("`{}`", word(*item)))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

impl FromStr for Action {
    type Err = UnknownWord;
    fn from_str(text: &str) -> Result<Self, UnknownWord> {
        parse_word(text, &Action::ALL, Action::as_str)
    }
}

impl FromStr for Outcome {
    type Err = UnknownWord;
    fn from_str(text: &str) -> Result<Self, UnknownWord> {
        parse_word(text, &Outcome::ALL, Outcome::as_str)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_and_outcome_reads_back_from_its_text_and_others_name_the_choices() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
        }
        for outcome in Outcome::ALL {
            assert_eq!(outcome.as_str().parse::<Outcome>(), Ok(outcome));
        }
        let unknown = "meeting.deleted".parse::<Action>().unwrap_err();
        assert_eq!(unknown.got, "meeting.deleted");
        assert!(
            unknown
                .expected
                .starts_with("`meeting.created`, `links.added`")
        );
        assert!("Done".parse::<Outcome>().is_err());
    }
}
