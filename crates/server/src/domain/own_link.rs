//! icnode's own links: the code a visitor opens (`/l/{code}`) in front of a broker's URL, what
//! can be done to one (revoked; opened once when single use), and the one rule that decides
//! whether an open goes on to the broker ([`LinkLife::check`]).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

use super::invalid::{Field, Invalid};
use super::window::{LinkState, Window};
use instant_connect::Role;

/// Random bytes in a code: 128 bits, so a code cannot be guessed.
pub const CODE_BYTES: usize = 16;
/// Characters of a code: its bytes in unpadded base64url.
pub const CODE_CHARS: usize = CODE_BYTES.div_ceil(3) * 4 - (3 - CODE_BYTES % 3) % 3;
/// A code as JSON Schema can state it: 21 characters of base64url, then one whose last four
/// bits are zero (16 bytes fill 128 of the 132 bits 22 characters hold).
pub const CODE_PATTERN: &str = "^[A-Za-z0-9_-]{21}[AQgw]$";
/// The path a code is opened at, before the code: written once, for the routes and the URLs.
pub const OPEN_PATH: &str = "/l/";

/// A link's code. No `Debug` of its text: it is a bearer credential to the meeting.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LinkCode(String);

impl std::fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkCode(..)")
    }
}

impl LinkCode {
    /// A fresh code from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; CODE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A code as this service writes them, or `None`: nothing else is looked up.
    pub fn parse(text: &str) -> Option<Self> {
        // Unpadded base64url of 16 bytes is exactly 22 characters, and only that: the length
        // of what decodes says all.
        let decoded = URL_SAFE_NO_PAD.decode(text).ok()?;
        (decoded.len() == CODE_BYTES).then(|| Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an own link has been through: its window, whether it was revoked, whether it opens
/// once, and its first open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLife {
    pub window: Window,
    pub revoked_at: Option<i64>,
    pub single_use: bool,
    pub opened_at: Option<i64>,
}

/// Why an open of an own link goes no further.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Revoked {
        at: i64,
    },
    /// Before its window: it opens at `opens_at`.
    NotYet {
        opens_at: i64,
    },
    Expired {
        at: i64,
    },
    /// A single-use link opened already.
    Used {
        at: i64,
    },
}

impl LinkLife {
    /// Whether an open at `now` goes on to the broker: a revoked link never does, then one
    /// outside its window, then a single-use link opened before. (Which of two opens at once
    /// is the first, the store decides.)
    pub fn check(&self, now: i64) -> Result<(), Closed> {
        if let Some(at) = self.revoked_at {
            return Err(Closed::Revoked { at });
        }
        match self.window.state_at(now) {
            LinkState::NotYetValid => {
                let opens_at = self.window.not_before.unwrap_or(now);
                return Err(Closed::NotYet { opens_at });
            }
            LinkState::Expired => {
                return Err(Closed::Expired {
                    at: self.window.expires_at,
                });
            }
            _ => {}
        }
        match self.opened_at {
            Some(at) if self.single_use => Err(Closed::Used { at }),
            _ => Ok(()),
        }
    }

    /// Whether it works now, as a listing shows it.
    pub fn state_at(&self, now: i64) -> LinkState {
        match self.check(now) {
            Ok(()) => LinkState::Valid,
            Err(Closed::Revoked { .. }) => LinkState::Revoked,
            Err(Closed::NotYet { .. }) => LinkState::NotYetValid,
            Err(Closed::Expired { .. }) => LinkState::Expired,
            Err(Closed::Used { .. }) => LinkState::Used,
        }
    }
}

/// Which of a meeting's links a revocation ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeScope {
    All,
    Role(Role),
    Link(LinkCode),
}

impl RevokeScope {
    /// The scope asked for: a role, a link's code, or neither (every link); not both.
    pub fn read(role: Option<&str>, link: Option<&str>) -> Result<Self, Invalid> {
        match (role, link) {
            (Some(_), Some(_)) => Err(Invalid::says(
                Field::Link,
                "cannot be given with role: a revocation ends one link, one role's or all",
            )),
            (Some(role), None) => role.parse().map(RevokeScope::Role).map_err(|_| {
                Invalid::says(
                    Field::Role,
                    format!("must be `host` or `guest`, got `{role}`"),
                )
            }),
            (None, Some(link)) => LinkCode::parse(link).map(RevokeScope::Link).ok_or_else(|| {
                Invalid::says(
                    Field::Link,
                    format!("must be a link's code ({CODE_CHARS} characters of base64url)"),
                )
            }),
            (None, None) => Ok(RevokeScope::All),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn life(revoked_at: Option<i64>, single_use: bool, opened_at: Option<i64>) -> LinkLife {
        LinkLife {
            window: Window {
                not_before: Some(NOW - 10),
                expires_at: NOW + 10,
            },
            revoked_at,
            single_use,
            opened_at,
        }
    }

    #[test]
    fn codes_hold_128_random_bits_and_only_such_codes_parse() {
        assert_eq!(CODE_CHARS, 22);
        let code = LinkCode::generate();
        assert_eq!(code.as_str().len(), CODE_CHARS);
        assert_eq!(LinkCode::parse(code.as_str()), Some(code.clone()));
        assert_ne!(LinkCode::generate(), code);
        let pattern = regex::Regex::new(CODE_PATTERN).unwrap();
        for _ in 0..200 {
            assert!(pattern.is_match(LinkCode::generate().as_str()));
        }
        assert_eq!(format!("{code:?}"), "LinkCode(..)");
        for bad in [
            "",
            "short",
            &code.as_str()[..21],
            &format!("{}A", code.as_str()),
            "!!!!!!!!!!!!!!!!!!!!!!",
            // 22 characters whose last holds bits past the 16th byte.
            "AAAAAAAAAAAAAAAAAAAAAB",
        ] {
            assert_eq!(LinkCode::parse(bad), None, "{bad}");
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }

    #[test]
    fn revoked_wins_then_the_window_then_single_use() {
        assert_eq!(life(None, false, None).check(NOW), Ok(()));
        assert_eq!(life(None, false, Some(NOW)).check(NOW), Ok(()));
        assert_eq!(
            life(None, true, Some(NOW - 1)).check(NOW),
            Err(Closed::Used { at: NOW - 1 })
        );
        assert_eq!(life(None, true, None).check(NOW), Ok(()));
        assert_eq!(
            life(Some(NOW - 5), true, Some(NOW - 1)).check(NOW + 100),
            Err(Closed::Revoked { at: NOW - 5 })
        );
        assert_eq!(
            life(None, true, Some(NOW - 1)).check(NOW - 11),
            Err(Closed::NotYet { opens_at: NOW - 10 })
        );
        assert_eq!(life(None, true, None).check(NOW - 10), Ok(()));
        assert_eq!(life(None, true, None).check(NOW + 9), Ok(()));
        assert_eq!(
            life(None, true, Some(NOW)).check(NOW + 10),
            Err(Closed::Expired { at: NOW + 10 })
        );
        assert_eq!(
            life(Some(NOW), false, None).state_at(NOW),
            LinkState::Revoked
        );
        assert_eq!(life(None, true, Some(NOW)).state_at(NOW), LinkState::Used);
        assert_eq!(
            life(None, true, None).state_at(NOW - 11),
            LinkState::NotYetValid
        );
        assert_eq!(
            life(None, true, None).state_at(NOW + 10),
            LinkState::Expired
        );
        assert_eq!(life(None, true, None).state_at(NOW), LinkState::Valid);
    }

    #[test]
    fn a_scope_is_a_role_a_link_or_all_never_two() {
        let code = LinkCode::generate();
        assert_eq!(RevokeScope::read(None, None), Ok(RevokeScope::All));
        assert_eq!(
            RevokeScope::read(Some("guest"), None),
            Ok(RevokeScope::Role(Role::Guest))
        );
        assert_eq!(
            RevokeScope::read(None, Some(code.as_str())),
            Ok(RevokeScope::Link(code.clone()))
        );
        let both = RevokeScope::read(Some("host"), Some(code.as_str())).unwrap_err();
        assert_eq!(both.field, Field::Link);
        assert_eq!(
            RevokeScope::read(Some("boss"), None).unwrap_err().field,
            Field::Role
        );
        assert_eq!(
            RevokeScope::read(None, Some("nope")).unwrap_err().field,
            Field::Link
        );
    }
}
