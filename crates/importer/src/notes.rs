//! What an import tells its user, as data: each note has a kind and words that hold wherever
//! they are read (no flag, no variable, no form field), the secrets it names, and the method
//! limit when it bites. Each caller groups them by kind and says how to act in its own words:
//! the CLI names `ICNODE_<NAME>` and `--only`, the console its secret fields and its form.

/// What a note is about; notes are grouped by it, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A URL has no base the input gives: it starts with the placeholder host until set.
    BaseUrl,
    /// A secret the definition names, to give at run time.
    Secret,
    /// Part of the input not carried over.
    LeftOut,
    /// Part of the input carried over in another form (a field renamed, a value moved).
    Changed,
}

/// One thing an import has to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: Kind,
    pub text: String,
    /// The secret it names (kind [`Kind::Secret`]).
    pub secret: Option<String>,
}

/// The node's method limit, when the input had more operations than it: how many there were,
/// which were kept (the first, in the input's order), and which were left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    pub total: usize,
    pub kept: Vec<String>,
    pub dropped: Vec<String>,
}

/// The notes of one kind: how many, the first few, and (for secrets) every name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<'a> {
    pub kind: Kind,
    pub count: usize,
    pub examples: Vec<&'a str>,
    /// Every secret the definition names, once each, in the order they were met.
    pub secrets: Vec<&'a str>,
}

/// A group shows at most this many of its notes.
pub const EXAMPLES: usize = 3;

/// `notes` grouped by kind, in [`Kind`] order, each with its count and first [`EXAMPLES`].
pub fn groups(notes: &[Note]) -> Vec<Group<'_>> {
    let mut kinds: Vec<Kind> = notes.iter().map(|n| n.kind).collect();
    kinds.sort();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|kind| {
            let of_kind: Vec<&Note> = notes.iter().filter(|n| n.kind == kind).collect();
            let mut secrets: Vec<&str> = Vec::new();
            for name in of_kind.iter().filter_map(|n| n.secret.as_deref()) {
                if !secrets.contains(&name) {
                    secrets.push(name);
                }
            }
            Group {
                kind,
                count: of_kind.len(),
                examples: of_kind
                    .iter()
                    .take(EXAMPLES)
                    .map(|n| n.text.as_str())
                    .collect(),
                secrets,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(kind: Kind, text: &str, secret: Option<&str>) -> Note {
        Note {
            kind,
            text: text.to_owned(),
            secret: secret.map(str::to_owned),
        }
    }

    #[test]
    fn notes_are_grouped_by_kind_with_a_count_a_few_examples_and_every_secret() {
        let notes = [
            note(Kind::LeftOut, "a", None),
            note(Kind::Secret, "s1", Some("token")),
            note(Kind::LeftOut, "b", None),
            note(Kind::LeftOut, "c", None),
            note(Kind::LeftOut, "d", None),
            note(Kind::Secret, "s2", Some("token")),
            note(Kind::BaseUrl, "relative", None),
        ];
        let groups = groups(&notes);
        let kinds: Vec<Kind> = groups.iter().map(|g| g.kind).collect();
        assert_eq!(kinds, [Kind::BaseUrl, Kind::Secret, Kind::LeftOut]);
        assert_eq!(groups[1].secrets, ["token"]);
        assert_eq!(
            (groups[2].count, groups[2].examples.clone()),
            (4, vec!["a", "b", "c"])
        );
    }
}
