//! A meeting's identity: the `sub` every link of the meeting carries.

use super::invalid::{Field, Invalid};

/// The most characters a chat id may have: the console's field, and within the broker's 1024
/// bytes whatever the characters (four bytes each at most in UTF-8).
pub const MAX_CHAT_ID_CHARS: usize = 256;

/// Printable text, as a pattern (the API's document states it): no control character.
pub const PRINTABLE_PATTERN: &str = r"^[^\x00-\x1f\x7f-\x9f]*$";

/// A chat id, as a pattern: printable, with at least one character that is not white space
/// (Unicode's White_Space, as `str::trim` reads it). With [`MAX_CHAT_ID_CHARS`], the rule of
/// [`ChatId::parse`], which a test holds to this pattern.
pub const CHAT_ID_PATTERN: &str = concat!(
    r"^[^\x00-\x1f\x7f-\x9f]*",
    r"[^\x00-\x1f\x7f-\x9f\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]",
    r"[^\x00-\x1f\x7f-\x9f]*$"
);

/// A meeting's id: printable, not blank, at most [`MAX_CHAT_ID_CHARS`] characters. Parsed
/// once, at the edge; [`ChatId::parse`] and [`ChatId::generate`] are the only ways to get one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChatId(String);

impl ChatId {
    pub fn parse(text: impl Into<String>) -> Result<Self, Invalid> {
        let text = text.into();
        if !is_printable(&text) {
            return Err(Invalid::says(
                Field::ChatId,
                "must not contain control characters",
            ));
        }
        if let Some(rule) = instant_connect::request::sub_problem(&text) {
            return Err(Invalid::says(Field::ChatId, rule));
        }
        let chars = text.chars().count();
        if chars > MAX_CHAT_ID_CHARS {
            return Err(Invalid::says(
                Field::ChatId,
                format!("must be at most {MAX_CHAT_ID_CHARS} characters, got {chars}"),
            ));
        }
        Ok(Self(text))
    }

    /// A fresh random id, for a meeting whose caller gave none.
    pub fn generate() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for ChatId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `sub` the broker knows a meeting by, which every link of the meeting carries.
///
/// The rule, in one place ([`Subject::for_meeting`]): the default tenant's meetings are known
/// by their chat ids, as before tenants, unless the service says [`Subjects::Opaque`]; every
/// other tenant's by an opaque random id, so two
/// tenants' meetings never share a broker space (one chat id in two tenants is two meetings),
/// and the broker, its join pages and its logs never see those tenants' chat ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject(String);

/// Which meetings the broker knows by their chat ids, a setting of the service.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Subjects {
    /// The default tenant's, as before tenants; every other tenant's are opaque.
    #[default]
    ChatIdsInDefault,
    /// None: every meeting is known by an opaque id, so no chat id (which may be patient data)
    /// reaches the broker, its join pages' titles or its logs.
    Opaque,
}

/// What starts an opaque subject: 128 random bits follow, as 32 hex digits.
const OPAQUE_SUBJECT_PREFIX: &str = "icn-";

impl Subjects {
    /// Whether `tenant`'s meetings are known by their chat ids (to the broker, and so to the
    /// audit trail, which names a meeting by its subject).
    pub fn by_chat_id(self, tenant: &super::tenant::TenantId) -> bool {
        tenant.is_default() && self == Subjects::ChatIdsInDefault
    }
}

impl Subject {
    pub fn for_meeting(
        tenant: &super::tenant::TenantId,
        chat_id: &ChatId,
        subjects: Subjects,
    ) -> Self {
        if subjects.by_chat_id(tenant) {
            Self::of_chat_id(chat_id)
        } else {
            Self(format!(
                "{OPAQUE_SUBJECT_PREFIX}{}",
                uuid::Uuid::new_v4().simple()
            ))
        }
    }

    /// A chat id as the subject: a meeting the service does not keep (`icnode link`).
    pub fn of_chat_id(chat_id: &ChatId) -> Self {
        Self(chat_id.as_str().to_owned())
    }

    /// A subject as stored; `None` for one the broker would refuse.
    pub fn stored(text: String) -> Option<Self> {
        instant_connect::request::sub_problem(&text)
            .is_none()
            .then_some(Self(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Text that people and URLs carry: no control characters (PostgreSQL refuses NUL in text).
pub fn is_printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TenantId;

    #[test]
    fn the_default_tenant_s_subject_is_the_chat_id_and_every_other_s_is_opaque_and_fresh() {
        let chat_id = ChatId::parse("visit 42").unwrap();
        assert_eq!(
            Subject::for_meeting(&TenantId::default_tenant(), &chat_id, Subjects::default())
                .as_str(),
            "visit 42"
        );
        let opaque = Subject::for_meeting(&TenantId::default_tenant(), &chat_id, Subjects::Opaque);
        assert!(
            opaque.as_str().starts_with(OPAQUE_SUBJECT_PREFIX),
            "{opaque:?}"
        );
        let clinic = TenantId::parse("clinic").unwrap();
        let first = Subject::for_meeting(&clinic, &chat_id, Subjects::default());
        let hex = first.as_str().strip_prefix(OPAQUE_SUBJECT_PREFIX).unwrap();
        assert!(
            hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit()),
            "{hex}"
        );
        assert!(!first.as_str().contains("visit"));
        assert_ne!(
            Subject::for_meeting(&clinic, &chat_id, Subjects::default()),
            first
        );
        assert_eq!(Subject::stored(first.as_str().to_owned()), Some(first));
        assert_eq!(Subject::stored(String::new()), None);
    }

    #[test]
    fn an_id_is_printable_not_empty_and_not_too_long() {
        assert_eq!(ChatId::parse("visit:42").unwrap().as_str(), "visit:42");
        for bad in ["", "  ", "a\u{0}b", "line\nbreak"] {
            let error = ChatId::parse(bad).unwrap_err();
            assert_eq!(error.field, Field::ChatId, "{bad:?}");
        }
        assert!(ChatId::parse("x".repeat(MAX_CHAT_ID_CHARS)).is_ok());
        assert!(ChatId::parse("x".repeat(MAX_CHAT_ID_CHARS + 1)).is_err());
        assert!(ChatId::parse("é".repeat(MAX_CHAT_ID_CHARS)).is_ok());
        assert_ne!(ChatId::generate(), ChatId::generate());
    }

    proptest::proptest! {
        /// The pattern the API's document states is the rule `parse` applies.
        #[test]
        fn the_documented_pattern_is_the_rule(text in "(\\PC|\\s|\\p{Cc}){0,8}") {
            let pattern = regex::Regex::new(CHAT_ID_PATTERN).unwrap();
            proptest::prop_assert_eq!(pattern.is_match(&text), ChatId::parse(text.clone()).is_ok(), "{:?}", text);
            let printable = regex::Regex::new(PRINTABLE_PATTERN).unwrap();
            proptest::prop_assert_eq!(printable.is_match(&text), is_printable(&text));
        }
    }
}
