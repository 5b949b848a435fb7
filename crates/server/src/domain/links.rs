//! What a caller asks of the broker for a meeting's links, and the one place a broker request
//! is built from it ([`LinkSpec::request`]).

use instant_connect::{LinkPlan, LinkRequest, Role, ValidationErrors, Vertical};

use super::chat_id::Subject;
use super::invalid::{Field, Invalid};
use super::window::Window;

/// What every link of a meeting shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeetingOptions {
    pub vertical: Vertical,
    /// Hosts sign in (`login` pages); `None` leaves it to the broker (which says yes).
    pub host_login: Option<bool>,
    pub short_urls: bool,
}

/// How many links: a new meeting's hosts and guests (`None` leaves each to the broker, which
/// makes one), or more of one role for a meeting that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkCounts {
    Meeting {
        hosts: Option<i64>,
        guests: Option<i64>,
    },
    More {
        role: Role,
        count: i64,
    },
}

/// Links to ask the broker for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkSpec {
    /// The meeting, as the broker knows it.
    pub subject: Subject,
    pub counts: LinkCounts,
    pub window: Window,
    pub options: MeetingOptions,
    /// The window came from a lifetime (`ttl`) rather than an expiry: the broker's `exp` is
    /// then named as the lifetime.
    pub from_lifetime: bool,
}

impl LinkSpec {
    /// The broker request for these links: every field set that the spec fixes.
    pub fn request(&self) -> LinkRequest {
        let mut request = LinkRequest::new(self.subject.as_str());
        (request.num_host, request.num_guest) = match self.counts {
            LinkCounts::Meeting { hosts, guests } => (hosts, guests),
            LinkCounts::More {
                role: Role::Host,
                count,
            } => (Some(count), Some(0)),
            LinkCounts::More {
                role: Role::Guest,
                count,
            } => (Some(0), Some(count)),
        };
        request.jwt.nbf = self.window.not_before;
        request.jwt.exp = Some(self.window.expires_at);
        request.vertical_type = Some(self.options.vertical);
        request.provide_short_urls = Some(self.options.short_urls);
        request.login_url_for_host = self.options.host_login;
        request
    }

    /// The broker's rules, checked before asking so a bad request costs no round trip: what
    /// the broker will mint, or every rule broken, in the domain's terms.
    pub fn check(&self, now: i64) -> Result<LinkPlan, Vec<Invalid>> {
        if let LinkCounts::More { count, .. } = self.counts
            && count < 1
        {
            return Err(vec![Invalid::says(Field::Count, "must be at least 1")]);
        }
        self.request()
            .validate(now)
            .map(|accepted| accepted.value)
            .map_err(|errors| self.invalid(&errors))
    }

    /// A broker's field errors about this spec's request, in the domain's terms.
    pub fn invalid(&self, errors: &ValidationErrors) -> Vec<Invalid> {
        errors
            .errors()
            .iter()
            .map(|e| Invalid::says(self.field_of(&e.field), e.rule.clone()))
            .collect()
    }

    /// The domain's field a broker request field comes from.
    fn field_of(&self, broker_field: &str) -> Field {
        let more = matches!(self.counts, LinkCounts::More { .. });
        match broker_field {
            "jwt.sub" => Field::ChatId,
            "numHost" | "numGuest" | "numHost+numGuest" if more => Field::Count,
            "numHost" => Field::Hosts,
            "numGuest" => Field::Guests,
            "numHost+numGuest" => Field::HostsAndGuests,
            "jwt.nbf" => Field::NotBefore,
            "jwt.exp" if self.from_lifetime => Field::Ttl,
            "jwt.exp" => Field::ExpiresAt,
            "verticalType" => Field::Vertical,
            other => Field::Broker(other.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn spec(counts: LinkCounts, from_lifetime: bool) -> LinkSpec {
        LinkSpec {
            subject: Subject::of_chat_id(&crate::domain::ChatId::parse("visit").unwrap()),
            counts,
            window: Window {
                not_before: None,
                expires_at: NOW + 60,
            },
            options: MeetingOptions {
                vertical: Vertical::Gen,
                host_login: None,
                short_urls: true,
            },
            from_lifetime,
        }
    }

    #[test]
    fn the_request_carries_what_the_spec_fixes() {
        let more = spec(
            LinkCounts::More {
                role: Role::Guest,
                count: 3,
            },
            false,
        );
        let request = more.request();
        assert_eq!((request.num_host, request.num_guest), (Some(0), Some(3)));
        assert_eq!(request.jwt.sub, "visit");
        assert_eq!(request.jwt.exp, Some(NOW + 60));
        assert_eq!(request.vertical_type, Some(Vertical::Gen));
        assert_eq!(request.login_url_for_host, None);
        let plan = more.check(NOW).unwrap();
        assert_eq!((plan.num_host, plan.num_guest), (0, 3));
    }

    #[test]
    fn broker_rules_come_back_in_the_domain_s_fields() {
        let too_many = spec(
            LinkCounts::Meeting {
                hosts: Some(30),
                guests: None,
            },
            false,
        );
        let fields: Vec<Field> = too_many
            .check(NOW)
            .unwrap_err()
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(fields, [Field::Hosts, Field::HostsAndGuests]);
        let more = |count| {
            spec(
                LinkCounts::More {
                    role: Role::Host,
                    count,
                },
                true,
            )
        };
        assert_eq!(more(0).check(NOW).unwrap_err()[0].field, Field::Count);
        assert_eq!(more(26).check(NOW).unwrap_err()[0].field, Field::Count);
        let errors = ValidationErrors(vec![instant_connect::FieldError::new("jwt.exp", "x")]);
        assert_eq!(more(1).invalid(&errors)[0].field, Field::Ttl);
        assert_eq!(
            spec(
                LinkCounts::Meeting {
                    hosts: None,
                    guests: None
                },
                false
            )
            .invalid(&errors)[0]
                .field,
            Field::ExpiresAt
        );
    }
}
