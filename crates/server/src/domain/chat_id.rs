//! A meeting's identity: the `sub` every link of the meeting carries.

use super::invalid::{Field, Invalid};

/// A meeting's id: printable, not empty, at most the broker's length. Parsed once, at the
/// edge; [`ChatId::parse`] and [`ChatId::generate`] are the only ways to get one.
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

/// Text that people and URLs carry: no control characters (PostgreSQL refuses NUL in text).
pub fn is_printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_printable_not_empty_and_not_too_long() {
        assert_eq!(ChatId::parse("visit:42").unwrap().as_str(), "visit:42");
        for bad in ["", "  ", "a\u{0}b", "line\nbreak"] {
            let error = ChatId::parse(bad).unwrap_err();
            assert_eq!(error.field, Field::ChatId, "{bad:?}");
        }
        assert!(ChatId::parse("x".repeat(1024)).is_ok());
        assert!(ChatId::parse("x".repeat(1025)).is_err());
        assert_ne!(ChatId::generate(), ChatId::generate());
    }
}
