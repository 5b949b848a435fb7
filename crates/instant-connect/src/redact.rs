//! `Debug` without credentials: ciphers, short keys, tokens and the URLs that carry them are
//! bearer credentials to a meeting, and `Debug` output ends up in logs.

use std::fmt;

/// A credential, shown only by its length.
pub(crate) struct Redacted<'a>(pub &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<redacted, {} chars>", self.0.chars().count())
    }
}

/// A URL that may carry a credential in its last path segment (`/visit/<short>`) or its query
/// (`?data=<cipher>`), shown up to its last `/` before any query.
pub(crate) struct RedactedUrl<'a>(pub &'a str);

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let before_query = self.0.split(['?', '#']).next().unwrap_or("");
        let kept = before_query
            .rfind('/')
            .map_or("", |slash| &before_query[..=slash]);
        write!(f, "\"{kept}…\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_their_urls_are_cut_before_the_secret_part() {
        assert_eq!(format!("{:?}", Redacted("Vu86Mnw")), "<redacted, 7 chars>");
        assert_eq!(
            format!("{:?}", RedactedUrl("http://b.test/visit/Vu86Mnw")),
            "\"http://b.test/visit/…\""
        );
        assert_eq!(
            format!(
                "{:?}",
                RedactedUrl("http://b.test/hc/v1/talk?int=jose&data=a.b/c.d.e")
            ),
            "\"http://b.test/hc/v1/…\""
        );
    }
}
