//! AWS Signature Version 4 of a method's request, by `aws-sigv4`: the headers it adds
//! (`Authorization`, `X-Amz-Date`, `X-Amz-Security-Token`) computed over the method, URL, headers
//! and payload as they will be sent.

use std::time::SystemTime;

use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use reqwest::header::{HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

/// What signs: an access key with its secret, and the session token of temporary credentials.
pub struct Credentials {
    pub access_key: String,
    pub secret_key: SecretString,
    pub session_token: Option<SecretString>,
}

/// Where the request goes, as SigV4's credential scope names it.
pub struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
}

/// Signs `request` at `time`: its body must be in memory (the payload is hashed). `Err` says why
/// it could not be signed.
pub fn sign_request(
    request: &mut reqwest::Request,
    credentials: &Credentials,
    scope: &Scope<'_>,
    time: SystemTime,
) -> Result<(), String> {
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
