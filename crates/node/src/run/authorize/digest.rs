//! HTTP Digest (RFC 7616, by `digest_auth`): the request is sent without credentials, and a
//! 401 with a Digest challenge is answered once.

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, WWW_AUTHENTICATE};

use crate::model::AuthValue;
use crate::run::result::RunError;
use crate::run::values::Values;

/// The request again with the answer to the 401's Digest challenge; `None` when the 401 has no
/// challenge, or one that cannot be read or answered, and the 401 stands.
pub(super) fn second_try(
    mut request: reqwest::Request,
    answer_headers: &HeaderMap,
    username: &AuthValue,
    password: &AuthValue,
    values: &Values<'_>,
) -> Result<Option<reqwest::Request>, RunError> {
    let Some(challenge) = digest_challenge(answer_headers) else {
        return Ok(None);
    };
    let username = values.auth(username)?;
    let password = values.auth(password)?;
    let Some(answer) = answer_digest_challenge(&request, &username, &password, challenge) else {
        return Ok(None);
    };
    let Ok(value) = HeaderValue::from_str(&answer) else {
        return Ok(None);
    };
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(Some(request))
}

/// The Digest challenge of a 401, if the server sent one.
fn digest_challenge(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| {
            v.trim_start()
                .get(..6)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("digest"))
        })
}

/// The `Authorization` value answering `challenge` for `request` (RFC 7616, by `digest_auth`);
/// `None` when the challenge cannot be read or answered, and the 401 stands.
fn answer_digest_challenge(
    request: &reqwest::Request,
    username: &str,
    password: &str,
    challenge: &str,
) -> Option<String> {
    let url = request.url();
    let uri = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let body = request.body().and_then(|b| b.as_bytes());
    let context = digest_auth::AuthContext::new_with_method(
        username,
        password,
        uri,
        body,
        digest_auth::HttpMethod::from(request.method().as_str()),
    );
    let mut prompt = digest_auth::parse(challenge).ok()?;
    prompt
        .respond(&context)
        .ok()
        .map(|answer| answer.to_header_string())
}
