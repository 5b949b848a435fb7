//! URLs of the input: the query split off, and made absolute where the input gives no base.

use node::template::{self, Piece};

use crate::defaults::PLACEHOLDER_BASE_URL;
use crate::session::Session;

/// A URL as its part before the query and its query, without the fragment.
pub(crate) fn split_query(url: &str) -> (&str, Option<&str>) {
    match url.split_once('?') {
        Some((base, query)) => (base, Some(query.split('#').next().unwrap_or(""))),
        None => (url.split('#').next().unwrap_or(""), None),
    }
}

/// Whether `url` starts with `http://` or `https://`, in any case: the URLs a node calls.
pub(crate) fn has_http_scheme(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// A URL template made absolute: a base that is a field (an unset `{{baseUrl}}`) becomes
/// [`PLACEHOLDER_BASE_URL`], a URL with no scheme gets `default_scheme`.
pub(crate) fn absolute_url(url: &str, default_scheme: &str, session: &mut Session) -> String {
    if has_http_scheme(url) {
        return url.to_owned();
    }
    if let Some(Piece::Placeholder(name)) = template::pieces(url).first()
        && url.starts_with("$(")
    {
        let rest = &url[name.len() + 3..];
        let rest = if rest.starts_with('/') || rest.is_empty() {
            rest.to_owned()
        } else {
            format!("/{rest}")
        };
        session.base_url(format!(
            "the URL's base `{name}` has no value in the input: the URL starts with \
             {PLACEHOLDER_BASE_URL}"
        ));
        return format!("{PLACEHOLDER_BASE_URL}{rest}");
    }
    if url.starts_with('/') {
        session.base_url(format!(
            "the URL `{url}` is relative and the input was not read from a URL: it starts with \
             {PLACEHOLDER_BASE_URL}"
        ));
        return format!("{PLACEHOLDER_BASE_URL}{url}");
    }
    format!("{default_scheme}://{url}")
}
