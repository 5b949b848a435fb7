//! HTTP Basic: the user name and password on the finished request, as reqwest writes them.

use crate::model::AuthValue;
use crate::run::result::RunError;
use crate::run::values::Values;

/// The request with its `Authorization: Basic` header.
pub(super) fn sign(
    client: &reqwest::Client,
    request: reqwest::Request,
    username: &AuthValue,
    password: &AuthValue,
    values: &Values<'_>,
) -> Result<reqwest::Request, RunError> {
    let username = values.auth(username)?;
    let password = values.auth(password)?;
    reqwest::RequestBuilder::from_parts(client.clone(), request)
        .basic_auth(username, Some(password))
        .build()
        .map_err(|e| RunError::Url(e.without_url().to_string()))
}
