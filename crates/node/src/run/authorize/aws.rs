//! AWS Signature Version 4 of a method's request, by `aws-sigv4`: the headers it adds
//! (`Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`) computed over the method, URL, headers
//! and payload as they will be sent.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::model::AuthValue;
use crate::run::result::RunError;
use crate::run::values::Values;

/// What signs: an access key with its secret, and the session token of temporary credentials.
pub struct Credentials {
    pub access_key: String,
    pub secret_key: SecretString,
    pub session_token: Option<SecretString>,
}

impl Credentials {
    /// The method's keys with the run's values; an optional session token left empty means
    /// long-term credentials.
    pub(in crate::run) fn resolve(
        access_key: &AuthValue,
        secret_key: &AuthValue,
        session_token: Option<&AuthValue>,
        values: &Values<'_>,
    ) -> Result<Self, RunError> {
        Ok(Self {
            access_key: values.auth(access_key)?,
            secret_key: SecretString::from(values.auth(secret_key)?),
            session_token: match session_token {
                Some(token) => Some(values.auth(token)?)
                    .filter(|token| !token.is_empty())
                    .map(SecretString::from),
                None => None,
            },
        })
    }
}

/// Where the request goes, as SigV4's credential scope names it.
pub struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
}

/// Everything but RFC 3986's unreserved characters is percent-encoded in a SigV4 query.
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Signs `request` at `time`: its body must be in memory (the payload is hashed). `Err` says why
/// it could not be signed.
pub fn sign_request(
    request: &mut reqwest::Request,
    credentials: &Credentials,
    scope: &Scope<'_>,
    time: SystemTime,
) -> Result<(), String> {
    rfc3986_query(request.url_mut());
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key.clone(),
        credentials.secret_key.expose_secret().to_owned(),
        credentials
            .session_token
            .as_ref()
            .map(|token| token.expose_secret().to_owned()),
        None,
        "icnode-node",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("the AWS signing parameters are incomplete: {e}"))?
        .into();
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?)))
        .collect();
    let body = match request.body() {
        None => SignableBody::Bytes(&[]),
        Some(body) => SignableBody::Bytes(
            body.as_bytes()
                .ok_or("a streamed body cannot be hashed for AWS Signature V4")?,
        ),
    };
    let signable = SignableRequest::new(
        request.method().as_str(),
        request.url().as_str(),
        headers.into_iter(),
        body,
    )
    .map_err(|e| format!("the request cannot be signed: {e}"))?;
    let (instructions, _signature) = sign(signable, &params)
        .map_err(|e| format!("the request cannot be signed: {e}"))?
        .into_parts();
    let (headers, _query) = instructions.into_parts();
    for header in headers {
        let mut value = HeaderValue::from_str(header.value())
            .map_err(|_| format!("the signature header `{}` is not valid", header.name()))?;
        value.set_sensitive(header.sensitive());
        let name = HeaderName::from_bytes(header.name().as_bytes())
            .map_err(|_| format!("the signature header `{}` is not valid", header.name()))?;
        request.headers_mut().insert(name, value);
    }
    Ok(())
}

/// A query with form-style `+` for spaces (how URL parameter rows are written) rewritten with
/// `%20`, as SigV4 canonicalises it, so that the request sent is the request signed.
fn rfc3986_query(url: &mut url::Url) {
    if !url.query().is_some_and(|query| query.contains('+')) {
        return;
    }
    let query: Vec<String> = url
        .query_pairs()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(&name, NOT_UNRESERVED),
                utf8_percent_encode(&value, NOT_UNRESERVED)
            )
        })
        .collect();
    url.set_query(Some(&query.join("&")));
}
