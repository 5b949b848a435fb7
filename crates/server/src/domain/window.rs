//! When links work: the times a caller asked ([`TimesAsked`]), read into a [`Validity`] and
//! resolved against `now` and a default into a [`Window`].

use std::time::Duration;

use instant_connect::request::MILLISECONDS_THRESHOLD;
use instant_connect::rfc3339;

use super::invalid::{Field, Invalid, Rule};
use super::time::{Time, TimeInput, Zone};

/// The validity a caller sent, before its times are read.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TimesAsked {
    pub ttl_seconds: Option<i64>,
    pub not_before: Option<TimeInput>,
    pub expires_at: Option<TimeInput>,
    /// The IANA zone wall times are in.
    pub time_zone: Option<String>,
}

/// What a caller asked of its links' validity, read: a lifetime from now, or times, or
/// nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Validity {
    pub ttl_seconds: Option<i64>,
    pub not_before: Option<Time>,
    pub expires_at: Option<Time>,
}

impl TimesAsked {
    /// Each time read as its caller wrote it (a wall time in `time_zone`); every problem found.
    pub fn read(&self) -> Result<Validity, Vec<Invalid>> {
        let mut problems = Vec::new();
        let zone = match self.time_zone.as_deref().map(Zone::parse).transpose() {
            Ok(zone) => zone,
            Err(invalid) => {
                problems.push(invalid);
                None
            }
        };
        let mut read = |input: &Option<TimeInput>, field: Field| {
            input
                .as_ref()
                .and_then(|input| match Time::read(input, field, zone.as_ref()) {
                    Ok(time) => Some(time),
                    Err(invalid) => {
                        problems.push(invalid);
                        None
                    }
                })
        };
        let validity = Validity {
            ttl_seconds: self.ttl_seconds,
            not_before: read(&self.not_before, Field::NotBefore),
            expires_at: read(&self.expires_at, Field::ExpiresAt),
        };
        if problems.is_empty() {
            Ok(validity)
        } else {
            Err(problems)
        }
    }
}

/// When links work: from `not_before` (at once when `None`) until `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub not_before: Option<i64>,
    pub expires_at: i64,
}

/// Links cannot last as a meeting's whose links have expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowError {
    /// When the meeting's links expired.
    pub expired_at: i64,
}

/// Whether a link works now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    Valid,
    NotYetValid,
    Expired,
    /// Ended before its time (own links only).
    Revoked,
    /// A single-use link opened already (own links only).
    Used,
}

impl Validity {
    /// New links' window: `lifetime` from their start (now, or a later `not_before`) when the
    /// caller gives neither a lifetime nor an expiry.
    pub fn fresh(&self, now: i64, lifetime: Duration) -> Result<Window, Invalid> {
        if let Some(window) = self.explicit(now)? {
            return Ok(window);
        }
        let not_before = self.not_before.as_ref().map(Time::at);
        let start = not_before.unwrap_or(now).max(now);
        Ok(Window {
            not_before,
            expires_at: start.saturating_add(lifetime.as_secs() as i64),
        })
    }

    /// More links' window for a meeting, or `None` when they are to last as the meeting's
    /// (nothing given): then [`Window::lasting_as`].
    pub fn for_more(&self, now: i64) -> Result<Option<Window>, Invalid> {
        if let Some(window) = self.explicit(now)? {
            return Ok(Some(window));
        }
        match self.not_before {
            Some(_) => Err(Invalid {
                field: Field::NotBefore,
                rule: Rule::Needs {
                    one_of: [Field::ExpiresAt, Field::Ttl],
                    why: "links that start later cannot last as the meeting's",
                },
            }),
            None => Ok(None),
        }
    }

    /// The window a lifetime or an expiry gives by itself; `None` when neither is given.
    fn explicit(&self, now: i64) -> Result<Option<Window>, Invalid> {
        if let Some(ttl) = self.ttl_seconds {
            return self.lasting(ttl, now).map(Some);
        }
        for (field, time) in [
            (Field::NotBefore, &self.not_before),
            (Field::ExpiresAt, &self.expires_at),
        ] {
            if time
                .as_ref()
                .is_some_and(|t| t.at() > MILLISECONDS_THRESHOLD)
            {
                return Err(Invalid::says(
                    field,
                    format!(
                        "must be before {} (Unix seconds, not milliseconds)",
                        rfc3339(MILLISECONDS_THRESHOLD)
                    ),
                ));
            }
        }
        let Some(expires_at) = &self.expires_at else {
            return Ok(None);
        };
        if expires_at.at() <= now {
            return Err(Invalid::says(
                Field::ExpiresAt,
                format!(
                    "must be in the future: {} is not after now ({})",
                    expires_at.written(),
                    rfc3339(now)
                ),
            ));
        }
        if let Some(not_before) = self
            .not_before
            .as_ref()
            .filter(|n| n.at() >= expires_at.at())
        {
            return Err(Invalid {
                field: Field::NotBefore,
                rule: Rule::Before {
                    other: Field::ExpiresAt,
                    detail: format!(
                        "{} is not before {}",
                        not_before.written(),
                        expires_at.written()
                    ),
                },
            });
        }
        Ok(Some(Window {
            not_before: self.not_before.as_ref().map(Time::at),
            expires_at: expires_at.at(),
        }))
    }

    /// `ttl` seconds from now, alone.
    fn lasting(&self, ttl: i64, now: i64) -> Result<Window, Invalid> {
        if self.not_before.is_some() || self.expires_at.is_some() {
            return Err(Invalid {
                field: Field::Ttl,
                rule: Rule::Excludes([Field::NotBefore, Field::ExpiresAt]),
            });
        }
        if ttl <= 0 {
            return Err(Invalid::says(
                Field::Ttl,
                format!("must be a positive number of seconds, got {ttl}"),
            ));
        }
        let expires_at = now
            .checked_add(ttl)
            .filter(|exp| *exp <= MILLISECONDS_THRESHOLD)
            .ok_or_else(|| {
                Invalid::says(
                    Field::Ttl,
                    format!(
                        "is too long: the links would expire after {}",
                        rfc3339(MILLISECONDS_THRESHOLD)
                    ),
                )
            })?;
        Ok(Window {
            not_before: None,
            expires_at,
        })
    }
}

impl Window {
    /// More links that last as long as a meeting's `links` do; refused once those expired.
    pub fn lasting_as(links: Window, now: i64) -> Result<Window, WindowError> {
        if links.expires_at <= now {
            return Err(WindowError {
                expired_at: links.expires_at,
            });
        }
        Ok(links)
    }

    pub fn state_at(&self, now: i64) -> LinkState {
        if self.expires_at <= now {
            LinkState::Expired
        } else if self.not_before.is_some_and(|nbf| nbf > now) {
            LinkState::NotYetValid
        } else {
            LinkState::Valid
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const LIFETIME: Duration = Duration::from_secs(900);

    fn window(not_before: Option<i64>, expires_at: i64) -> Window {
        Window {
            not_before,
            expires_at,
        }
    }

    fn at(seconds: i64) -> Option<Time> {
        Some(Time::at_seconds(seconds))
    }

    #[test]
    fn a_lifetime_an_expiry_or_the_default_gives_the_window() {
        let ttl = Validity {
            ttl_seconds: Some(60),
            ..Validity::default()
        };
        assert_eq!(ttl.fresh(NOW, LIFETIME), Ok(window(None, NOW + 60)));
        assert_eq!(ttl.for_more(NOW), Ok(Some(window(None, NOW + 60))));
        let times = Validity {
            not_before: at(NOW + 10),
            expires_at: at(NOW + 20),
            ..Validity::default()
        };
        assert_eq!(
            times.fresh(NOW, LIFETIME),
            Ok(window(Some(NOW + 10), NOW + 20))
        );
        let later = Validity {
            not_before: at(NOW + 100),
            ..Validity::default()
        };
        assert_eq!(
            later.fresh(NOW, LIFETIME),
            Ok(window(Some(NOW + 100), NOW + 1000)),
            "the default lifetime runs from a later start"
        );
        assert_eq!(Validity::default().for_more(NOW), Ok(None));
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let fresh = |validity: Validity| validity.fresh(NOW, LIFETIME).unwrap_err().field;
        let ttl = |ttl| Validity {
            ttl_seconds: Some(ttl),
            ..Validity::default()
        };
        assert_eq!(fresh(ttl(0)), Field::Ttl);
        assert_eq!(fresh(ttl(i64::MAX)), Field::Ttl);
        let both = Validity {
            expires_at: at(NOW + 9),
            ..ttl(5)
        };
        assert_eq!(fresh(both), Field::Ttl);
        let past = Validity {
            expires_at: at(NOW),
            ..Validity::default()
        };
        assert_eq!(fresh(past), Field::ExpiresAt);
        let milliseconds = Validity {
            not_before: at(NOW * 1000),
            ..Validity::default()
        };
        assert_eq!(fresh(milliseconds), Field::NotBefore);
        let later = Validity {
            not_before: at(NOW + 5),
            ..Validity::default()
        };
        assert_eq!(later.for_more(NOW).unwrap_err().field, Field::NotBefore);
    }

    #[test]
    fn a_time_of_exactly_the_milliseconds_threshold_is_seconds_and_one_more_is_not() {
        let until = |expires_at| {
            Validity {
                expires_at: at(expires_at),
                ..Validity::default()
            }
            .fresh(NOW, LIFETIME)
        };
        assert_eq!(
            until(MILLISECONDS_THRESHOLD),
            Ok(window(None, MILLISECONDS_THRESHOLD))
        );
        let refused = until(MILLISECONDS_THRESHOLD + 1).unwrap_err();
        assert_eq!(refused.field, Field::ExpiresAt);
        assert!(
            refused.to_string().contains("not milliseconds"),
            "{refused}"
        );
    }

    #[test]
    fn a_start_after_the_end_is_told_in_the_times_as_written() {
        let asked = TimesAsked {
            not_before: Some(TimeInput::Text("2027-01-15T10:00:00-05:00".into())),
            expires_at: Some(TimeInput::Text("2027-01-15T09:00:00-05:00".into())),
            ..TimesAsked::default()
        };
        let error = asked.read().unwrap().fresh(NOW, LIFETIME).unwrap_err();
        assert_eq!(
            error.rule,
            Rule::Before {
                other: Field::ExpiresAt,
                detail: "2027-01-15T10:00:00-05:00 is not before 2027-01-15T09:00:00-05:00".into()
            }
        );
    }

    #[test]
    fn times_are_read_in_the_zone_asked_and_every_problem_is_named() {
        let asked = TimesAsked {
            expires_at: Some(TimeInput::Text("2027-01-15T09:00:00".into())),
            time_zone: Some("America/New_York".into()),
            ..TimesAsked::default()
        };
        let read = asked.read().unwrap();
        assert_eq!(read.expires_at.as_ref().map(Time::at), Some(1_800_021_600));
        let broken = TimesAsked {
            not_before: Some(TimeInput::Text("soon".into())),
            expires_at: Some(TimeInput::Text("2027-01-15T09:00:00".into())),
            time_zone: Some("Nowhere/Land".into()),
            ..TimesAsked::default()
        };
        let fields: Vec<Field> = broken
            .read()
            .unwrap_err()
            .into_iter()
            .map(|i| i.field)
            .collect();
        assert_eq!(
            fields,
            [Field::TimeZone, Field::NotBefore, Field::ExpiresAt]
        );
    }

    #[test]
    fn links_last_as_a_meeting_s_until_those_expire_and_know_their_state() {
        let meeting = window(Some(NOW + 10), NOW + 100);
        assert_eq!(Window::lasting_as(meeting, NOW), Ok(meeting));
        assert_eq!(
            Window::lasting_as(meeting, NOW + 100),
            Err(WindowError {
                expired_at: NOW + 100
            })
        );
        assert_eq!(meeting.state_at(NOW), LinkState::NotYetValid);
        assert_eq!(meeting.state_at(NOW + 10), LinkState::Valid);
        assert_eq!(meeting.state_at(NOW + 100), LinkState::Expired);
    }
}
