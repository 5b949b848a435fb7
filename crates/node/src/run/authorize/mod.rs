//! The authorize step, one scheme a file. Basic (`basic`) and AWS Signature V4 ([`aws`]) are
//! written on the finished request before the run is admitted, as they send nothing; OAuth 2.0
//! ([`oauth`]) fetches its token once the run is admitted, as that is a request of its own; and
//! after a 401, OAuth 2.0 tries once more with a fresh token and Digest (`digest`) answers the
//! challenge.

pub mod aws;
mod basic;
mod digest;
pub mod oauth;

use std::time::{Instant, SystemTime};

use secrecy::SecretString;

use super::destinations::Destinations;
use super::result::{RunError, RunResult, Stop};
use super::send::Received;
use super::values::Values;
use crate::model::{AuthValue, Authorization, Edge, Method};

/// Basic and SigV4: the finished request signed with the run's values.
pub(super) fn sign(
    client: &reqwest::Client,
    mut request: reqwest::Request,
    method: &Method,
    values: &Values<'_>,
) -> Result<reqwest::Request, RunError> {
    match &method.authorization {
        Some(Authorization::Basic { username, password }) => {
            basic::sign(client, request, username, password, values)
        }
        Some(Authorization::Aws {
            access_key,
            secret_key,
            session_token,
            region,
            service,
        }) => {
            let credentials =
                aws::Credentials::resolve(access_key, secret_key, session_token.as_ref(), values)?;
            let scope = aws::Scope { region, service };
            aws::sign_request(&mut request, &credentials, &scope, SystemTime::now())
                .map_err(RunError::Sign)?;
            Ok(request)
        }
        _ => Ok(request),
    }
}

/// What a 401 needs for one more try: a copy of the request as first sent, and the scheme's
/// part (`None` when the request cannot be copied, or its scheme answers no 401).
pub(super) enum SecondTry<'a> {
    None,
    Digest {
        request: reqwest::Request,
        username: &'a AuthValue,
        password: &'a AuthValue,
    },
    Oauth {
        request: reqwest::Request,
        token_request: oauth::TokenRequest<'a>,
        refused: SecretString,
    },
}

/// The authorization of an admitted run: what it needs to fetch OAuth 2.0 tokens and to answer
/// a 401.
pub(super) struct Authorizer<'a> {
    pub method: &'a Method,
    pub values: &'a Values<'a>,
    pub tokens: &'a oauth::Tokens,
    pub client: &'a reqwest::Client,
    /// Where the run may connect: the token endpoint is held to it as the resource is.
    pub destinations: Destinations,
    /// When the run was admitted: a run that gets no token reports the time it took.
    pub started: Instant,
}

impl<'a> Authorizer<'a> {
    /// The request as it is first sent (with OAuth 2.0, its bearer token), and what a 401 to
    /// it needs for a second try.
    pub(super) async fn before_sending(
        &self,
        mut request: reqwest::Request,
    ) -> Result<(reqwest::Request, SecondTry<'a>), Stop> {
        let method: &'a Method = self.method;
        let second = match &method.authorization {
            Some(Authorization::Oauth2 {
                token_url,
                client_id,
                client_secret,
                grant,
                scopes,
            }) => {
                let token_request = oauth::TokenRequest::resolve(
                    token_url,
                    client_id,
                    client_secret,
                    grant,
                    scopes,
                    self.values,
                )?;
                let token = self.token(&token_request, None).await?;
                oauth::set_bearer(&mut request, &token)?;
                request.try_clone().map(|request| SecondTry::Oauth {
                    request,
                    token_request,
                    refused: token,
                })
            }
            Some(Authorization::Digest { username, password }) => {
                request.try_clone().map(|request| SecondTry::Digest {
                    request,
                    username,
                    password,
                })
            }
            _ => None,
        };
        Ok((request, second.unwrap_or(SecondTry::None)))
    }

    /// After a 401: the request to send once more, if any (Digest's answer to the challenge,
    /// OAuth 2.0 with a fresh token, the refused one being revoked or expired early).
    pub(super) async fn after_refusal(
        &self,
        second: SecondTry<'a>,
        received: &Result<Received, reqwest::Error>,
    ) -> Result<Option<reqwest::Request>, Stop> {
        let first = match received {
            Ok(first) if first.status == 401 => first,
            _ => return Ok(None),
        };
        match second {
            SecondTry::None => Ok(None),
            SecondTry::Digest {
                request,
                username,
                password,
            } => Ok(digest::second_try(
                request,
                &first.headers,
                username,
                password,
                self.values,
            )?),
            SecondTry::Oauth {
                mut request,
                token_request,
                refused,
            } => {
                let token = self.token(&token_request, Some(&refused)).await?;
                oauth::set_bearer(&mut request, &token)?;
                Ok(Some(request))
            }
        }
    }

    /// A valid access token (cached, or fetched unless `refused`); a run that gets none ends
    /// by the error edge, having sent nothing to the service.
    async fn token(
        &self,
        token_request: &oauth::TokenRequest<'_>,
        refused: Option<&SecretString>,
    ) -> Result<SecretString, Stop> {
        // A name is checked as it resolves (the client's resolver); an IP literal here.
        if let Ok(token_url) = url::Url::parse(token_request.token_url) {
            self.destinations.check(&token_url)?;
        }
        self.tokens
            .token(self.client, token_request, refused)
            .await
            .map_err(|reason| {
                let elapsed_ms = self.started.elapsed().as_millis() as u64;
                Stop::ended(RunResult::unanswered(Edge::Error, reason, elapsed_ms))
            })
    }
}
