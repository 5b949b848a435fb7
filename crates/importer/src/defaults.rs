//! What a new method gets where the input does not say: its timeouts, the base of its URL, the
//! node's name; and the HTTP methods a node sends.

use node::model::HttpMethod;

/// The request timeout of an imported method.
pub const REQUEST_TIMEOUT_MS: u32 = 10_000;

/// The connection timeout of an imported method.
pub const CONNECTION_TIMEOUT_MS: u32 = 5_000;

/// The base of a URL whose base the input does not give (an unset `{{baseUrl}}`, a relative
/// server): a host that never resolves, to be edited or replaced with `--broker-url`.
pub const PLACEHOLDER_BASE_URL: &str = "https://example.invalid";

/// The name of a node when the input gives none.
pub const DEFAULT_NODE_NAME: &str = "Imported node";

/// The HTTP methods a node sends, as notes name them.
pub(crate) const SENDABLE_METHODS: &str = "GET, POST, PUT, PATCH, DELETE";

/// The method a node sends for an HTTP verb (upper case); `None` for any other.
pub(crate) fn http_method(verb: &str) -> Option<HttpMethod> {
    Some(match verb {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => return None,
    })
}

#[cfg(test)]
mod sendable {
    use super::*;

    #[test]
    fn every_sendable_method_is_read_and_no_other() {
        let read: Vec<HttpMethod> = SENDABLE_METHODS
            .split(", ")
            .map(|verb| http_method(verb).unwrap_or_else(|| panic!("{verb}")))
            .collect();
        assert_eq!(
            read,
            [
                HttpMethod::Get,
                HttpMethod::Post,
                HttpMethod::Put,
                HttpMethod::Patch,
                HttpMethod::Delete
            ]
        );
        for other in ["HEAD", "OPTIONS", "get", ""] {
            assert_eq!(http_method(other), None, "{other}");
        }
    }
}
