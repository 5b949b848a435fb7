//! Errors that name what is wrong in the domain's terms: a [`Field`] and a [`Rule`]. Callers
//! word them with a [`FieldNames`] table of their own, one per caller.

use instant_connect::FieldError;

/// A value a caller gives, as the domain knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    ChatId,
    Hosts,
    Guests,
    /// Hosts and guests together.
    HostsAndGuests,
    /// How many links to add to a meeting.
    Count,
    NotBefore,
    ExpiresAt,
    /// How long links live, from now.
    Ttl,
    /// The IANA zone wall times are in.
    TimeZone,
    Vertical,
    /// The phone numbers of an invitation; `Some(i)` the i-th.
    Phones(Option<usize>),
    /// A listing's page size.
    Limit,
    /// A listing's position.
    Cursor,
    /// A listing's filter on chat ids.
    ChatIdPrefix,
    /// The audit trail's filter on what changed.
    Action,
    /// The audit trail's filter on how an attempt ended.
    Outcome,
    /// The audit trail's filter on the key that asked.
    KeyId,
    /// The audit trail's filter on what was changed.
    Target,
    /// The start of a span of time asked for (included).
    Since,
    /// The end of a span of time asked for (excluded).
    Until,
    /// A listing's filter on visits' states.
    State,
    /// What a message template is for (`reminder`), its language, and its two parts.
    TemplateKind,
    Language,
    Subject,
    Body,
    /// A visit's start and end.
    Start,
    End,
    /// A visit's reminders; `Some(i)` the i-th.
    Reminders(Option<usize>),
    /// A visit's free text.
    Notes,
    /// Which of a meeting's links: its role, or its own link's code.
    Role,
    Link,
    /// A webhook's endpoint, and the event types it subscribes to; `Some(i)` the i-th.
    Url,
    Events(Option<usize>),
    /// A part of the `index`-th host or guest of a visit.
    Party {
        role: instant_connect::Role,
        index: usize,
        part: PartyPart,
    },
    /// A broker request field no caller sets (`aud`, `saltLength`): named as the broker does.
    Broker(String),
}

/// A part of a visit's host or guest that can be at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyPart {
    Name,
    Phone,
    Email,
    Language,
}

/// What a value must be. Most rules are words; a rule that names other fields is kept typed,
/// so that each caller names them too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Says(String),
    /// Given where one of two others must come with it: "needs A or B: why".
    Needs {
        one_of: [Field; 2],
        why: &'static str,
    },
    /// Given with either of two it excludes.
    Excludes([Field; 2]),
    /// Not before another field, as `detail` says with the times as written.
    Before {
        other: Field,
        detail: String,
    },
    /// A wall time with no offset, and no zone named to read it in.
    NoOffset {
        written: String,
        zone: Field,
    },
}

/// One value at fault and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: Field,
    pub rule: Rule,
}

/// How one caller words the domain's fields: the API's JSON names, the command line's flags.
pub trait FieldNames {
    fn name(&self, field: &Field) -> String;

    /// `invalid` in this caller's words.
    fn word(&self, invalid: &Invalid) -> FieldError {
        let rule = match &invalid.rule {
            Rule::Says(rule) => rule.clone(),
            Rule::Needs {
                one_of: [a, b],
                why,
            } => {
                format!("needs {} or {}: {why}", self.name(a), self.name(b))
            }
            Rule::Excludes([a, b]) => {
                format!("cannot be given with {} or {}", self.name(a), self.name(b))
            }
            Rule::Before { other, detail } => {
                format!("must be before {} ({detail})", self.name(other))
            }
            Rule::NoOffset { written, zone } => format!(
                "`{written}` has no offset: write it with one, such as \
                 2027-01-15T09:00:00-05:00 or 2027-01-15T14:00:00Z, or give {} (an IANA \
                 name such as America/New_York) to read it as a wall time there",
                self.name(zone)
            ),
        };
        FieldError::new(self.name(&invalid.field), rule)
    }
}

impl Invalid {
    pub fn says(field: Field, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: Rule::Says(rule.into()),
        }
    }
}

/// The domain's own words, for logs: a caller's table words what a person reads.
struct DomainNames;

impl FieldNames for DomainNames {
    fn name(&self, field: &Field) -> String {
        match field {
            Field::Phones(Some(i)) => format!("phones[{i}]"),
            Field::Broker(name) => name.clone(),
            other => format!("{other:?}"),
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        DomainNames.word(self).fmt(f)
    }
}

impl std::error::Error for Invalid {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Flags;
    impl FieldNames for Flags {
        fn name(&self, field: &Field) -> String {
            match field {
                Field::ExpiresAt => "--exp".into(),
                Field::Ttl => "--ttl".into(),
                Field::NotBefore => "--nbf".into(),
                other => format!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_rule_that_names_other_fields_names_them_in_the_callers_words() {
        let invalid = Invalid {
            field: Field::NotBefore,
            rule: Rule::Needs {
                one_of: [Field::ExpiresAt, Field::Ttl],
                why: "they start later",
            },
        };
        let worded = Flags.word(&invalid);
        assert_eq!(worded.field, "--nbf");
        assert_eq!(worded.rule, "needs --exp or --ttl: they start later");
        let excludes = Invalid {
            field: Field::Ttl,
            rule: Rule::Excludes([Field::NotBefore, Field::ExpiresAt]),
        };
        assert_eq!(
            Flags.word(&excludes).rule,
            "cannot be given with --nbf or --exp"
        );
    }
}
