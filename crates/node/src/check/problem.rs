//! A problem `check` finds: where in the file and what.

use serde::Serialize;

/// One problem: where (RFC 6901 pointer into the file) and what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pointer = if self.pointer.is_empty() {
            "(document)"
        } else {
            &self.pointer
        };
        write!(f, "{pointer}: {}", self.message)
    }
}

pub(super) fn problem(pointer: &str, message: impl Into<String>) -> Problem {
    Problem {
        pointer: pointer.to_owned(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_reads_as_its_pointer_then_what_is_wrong() {
        assert_eq!(
            problem("/methods/0/url", "must be absolute").to_string(),
            "/methods/0/url: must be absolute"
        );
        assert_eq!(
            problem("", "is not JSON").to_string(),
            "(document): is not JSON"
        );
    }
}
