//! What a failure says: an error's causes, walked in one place for every crate, told in one
//! line for a person ([`report`]), or the innermost alone ([`root_cause`]), or the first of a
//! kind ([`find`]).

use std::error::Error;

/// An error and its sources, outermost first.
pub fn chain<'a>(
    error: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(Some(error), |&current| current.source())
}

/// An error and its causes on one line, each cause once (an error that quotes its source is
/// not repeated by it): what a person needs to act on it.
pub fn report(error: &(dyn Error + 'static)) -> String {
    let mut text = String::new();
    for cause in chain(error) {
        let cause_text = cause.to_string();
        if text.is_empty() {
            text = cause_text;
        } else if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
    }
    text
}

/// The innermost cause alone: the one a person can act on when the outer ones only say where.
pub fn root_cause(error: &(dyn Error + 'static)) -> String {
    chain(error)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// The first cause in the chain of type `T`.
pub fn find<'a, T: Error + 'static>(error: &'a (dyn Error + 'static)) -> Option<&'a T> {
    chain(error).find_map(|cause| cause.downcast_ref::<T>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("the broker could not be reached")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("connect failed: {0}")]
    struct Middle(#[source] std::io::Error);

    fn refused() -> Outer {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        Outer(Middle(io))
    }

    #[test]
    fn each_cause_is_told_once_and_the_innermost_alone_on_request() {
        let error = refused();
        // The middle error quotes its source, so the source is not said again.
        assert_eq!(
            report(&error),
            "the broker could not be reached: connect failed: refused"
        );
        assert_eq!(root_cause(&error), "refused");
        assert_eq!(chain(&error).count(), 3);
        assert_eq!(
            find::<std::io::Error>(&error).map(std::io::Error::kind),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
        assert!(find::<std::fmt::Error>(&error).is_none());
    }
}
