//! What an import has to tell the user: its notes by kind, and the secrets it named (one name
//! per literal credential, another literal under the same base a numbered one).

use crate::names::{first_free, secret_name};
use crate::notes::{Kind, Note};

/// What an import has found so far that the user must be told: secrets and left-outs.
#[derive(Debug, Default)]
pub(crate) struct Session {
    pub(crate) notes: Vec<Note>,
    /// Secret names given out, with the literal each stands for (compared, never written).
    secrets: Vec<(String, Option<String>)>,
}

impl Session {
    /// Adds a note of `kind`, unless it was said already.
    fn add(&mut self, kind: Kind, text: String, secret: Option<String>) {
        if !self.notes.iter().any(|n| n.kind == kind && n.text == text) {
            self.notes.push(Note { kind, text, secret });
        }
    }

    /// Part of the input is not carried over.
    pub(crate) fn left_out(&mut self, text: impl Into<String>) {
        self.add(Kind::LeftOut, text.into(), None);
    }

    /// Part of the input is carried over in another form.
    pub(crate) fn changed(&mut self, text: impl Into<String>) {
        self.add(Kind::Changed, text.into(), None);
    }

    /// A URL has no base the input gives.
    pub(crate) fn base_url(&mut self, text: impl Into<String>) {
        self.add(Kind::BaseUrl, text.into(), None);
    }

    /// The definition names the secret `name`, for the reason `text`.
    pub(crate) fn secret(&mut self, name: &str, text: impl Into<String>) {
        self.add(Kind::Secret, text.into(), Some(name.to_owned()));
    }

    /// The secret that stands for a literal credential found at `place`, named after `base`;
    /// one literal gets one name, another literal under the same base a numbered one.
    pub(crate) fn secret_for_literal(&mut self, base: &str, literal: &str, place: &str) -> String {
        if let Some((name, _)) = self
            .secrets
            .iter()
            .find(|(_, known)| known.as_deref() == Some(literal))
        {
            return name.clone();
        }
        let base = secret_name(base);
        let name = first_free(
            &base,
            |n| format!("{base}_{n}"),
            |name| self.secrets.iter().any(|(known, _)| known == name),
        );
        self.secrets.push((name.clone(), Some(literal.to_owned())));
        self.secret(
            &name,
            format!(
                "{place} held a literal credential; it is not in the definition, which names the \
                 secret `{name}` instead"
            ),
        );
        name
    }

    /// The secret that stands for the credential variable `var` used at `place`.
    pub(crate) fn secret_for_variable(&mut self, var: &str, place: &str) -> String {
        let name = secret_name(var);
        if !self.secrets.iter().any(|(known, _)| *known == name) {
            self.secrets.push((name.clone(), None));
        }
        self.secret(
            &name,
            format!(
                "{place}: `{var}` is a credential, so the definition names the secret `{name}`"
            ),
        );
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_never_takes_the_name_a_credential_variable_was_given() {
        let mut session = Session::default();
        assert_eq!(
            session.secret_for_variable("apiKey", "the header"),
            "api_key"
        );
        assert_eq!(session.secret_for_variable("token", "the query"), "token");
        assert_eq!(session.secret_for_variable("token", "the body"), "token");
        let literal = session.secret_for_literal("Token", "s3cret", "the header X-Token");
        assert_eq!(literal, "token_2");
        let literal = session.secret_for_literal("api-key", "other", "the header X-Api-Key");
        assert_eq!(literal, "api_key_2");
    }

    #[test]
    fn a_note_is_said_once_per_kind() {
        let mut session = Session::default();
        session.left_out("the pre-request script");
        session.left_out("the pre-request script");
        session.changed("the pre-request script");
        let kinds: Vec<Kind> = session.notes.iter().map(|n| n.kind).collect();
        assert_eq!(kinds, [Kind::LeftOut, Kind::Changed]);
    }

    #[test]
    fn a_variables_secret_name_is_taken_and_a_literal_under_it_gets_the_next() {
        let mut session = Session::default();
        assert_eq!(session.secret_for_variable("token", "header"), "token");
        assert_eq!(session.secret_for_variable("token", "query"), "token");
        assert_eq!(
            session.secret_for_literal("token", "abc123", "body"),
            "token_2"
        );
        assert_eq!(
            session.secret_for_literal("other", "abc123", "body"),
            "token_2"
        );
    }
}
