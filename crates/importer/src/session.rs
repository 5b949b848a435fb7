//! What an import has to tell the user: its notes, and the secrets it named (one name per
//! literal credential, another literal under the same base a numbered one).

use crate::names::{first_free, secret_name};

/// What an import has found so far that the user must be told: secrets and left-outs.
#[derive(Debug, Default)]
pub(crate) struct Session {
    pub(crate) notes: Vec<String>,
    /// Secret names given out, with the literal each stands for (compared, never written).
    secrets: Vec<(String, Option<String>)>,
}

impl Session {
    /// Adds a note, unless it was said already.
    pub(crate) fn note(&mut self, note: impl Into<String>) {
        let note = note.into();
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
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
        self.note(format!(
            "{place} held a literal credential; it is not in the definition, which names the \
             secret `{name}` instead: {}",
            how_to_give(&name)
        ));
        name
    }

    /// The secret that stands for the credential variable `var` used at `place`.
    pub(crate) fn secret_for_variable(&mut self, var: &str, place: &str) -> String {
        let name = secret_name(var);
        if !self.secrets.iter().any(|(known, _)| *known == name) {
            self.secrets.push((name.clone(), None));
        }
        self.note(format!(
            "{place}: `{{{{{var}}}}}` is a credential, so the definition names the secret \
             `{name}`: {}",
            how_to_give(&name)
        ));
        name
    }
}

/// How the user gives the secret `name` at run time, as notes say it.
pub(crate) fn how_to_give(name: &str) -> String {
    format!(
        "give it at run time as {} or in the secrets file",
        node::secrets::env_variable(name)
    )
}
