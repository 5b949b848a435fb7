//! OAuth 2.0 access tokens for node methods, by the `oauth2` crate: fetched from the token
//! endpoint, cached until shortly before they expire, and shared by concurrent runs. One fetch
//! at a time per endpoint and client: runs that need a token while it is being fetched wait
//! for it instead of fetching their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{ClientId, ClientSecret, RefreshToken, Scope, TokenResponse, TokenUrl};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::model::{AuthValue, Grant};
use crate::run::result::RunError;
use crate::run::values::Values;
use resilience::causes::root_cause;

/// A token this close to its expiry is fetched afresh rather than sent.
const EXPIRY_MARGIN: Duration = Duration::from_secs(30);

/// What a token request is made of, its values resolved for the run.
pub struct TokenRequest<'a> {
    pub token_url: &'a str,
    pub client_id: String,
    pub client_secret: SecretString,
    /// `None`: client credentials; `Some`: this refresh token.
    pub refresh_token: Option<SecretString>,
    pub scopes: &'a [String],
}

impl<'a> TokenRequest<'a> {
    /// The method's token request with the run's values.
    pub(in crate::run) fn resolve(
        token_url: &'a str,
        client_id: &AuthValue,
        client_secret: &AuthValue,
        grant: &Grant,
        scopes: &'a [String],
        values: &Values<'_>,
    ) -> Result<Self, RunError> {
        Ok(Self {
            token_url,
            client_id: values.auth(client_id)?,
            client_secret: SecretString::from(values.auth(client_secret)?),
            refresh_token: match grant {
                Grant::ClientCredentials => None,
                Grant::RefreshToken { refresh_token } => {
                    Some(SecretString::from(values.auth(refresh_token)?))
                }
            },
            scopes,
        })
    }
}

#[derive(Clone)]
struct Cached {
    token: SecretString,
    expires_at: Option<Instant>,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// The token endpoint, the client id, and the digest of the rest of the credentials.
type TokenKey = (String, String, [u8; 32]);

/// Tokens by everything that makes one: the endpoint, the client id, and a digest of the
/// client secret, the refresh token and the scopes. A run with another secret never gets a
/// token fetched with the right one.
#[derive(Default)]
pub struct Tokens {
    slots: Mutex<HashMap<TokenKey, Slot>>,
}

impl TokenRequest<'_> {
    /// The cache's key of this request.
    fn key(&self) -> TokenKey {
        use sha2::{Digest, Sha256};
        let mut credentials = Sha256::new();
        // Each part with its length first, so no two requests' parts run together alike.
        let mut part = |bytes: &[u8]| {
            credentials.update((bytes.len() as u64).to_be_bytes());
            credentials.update(bytes);
        };
        part(self.client_secret.expose_secret().as_bytes());
        match &self.refresh_token {
            None => part(b"client_credentials"),
            Some(refresh) => {
                part(b"refresh_token");
                part(refresh.expose_secret().as_bytes());
            }
        }
        for scope in self.scopes {
            part(scope.as_bytes());
        }
        (
            self.token_url.to_owned(),
            self.client_id.clone(),
            credentials.finalize().into(),
        )
    }
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tokens(..)")
    }
}

impl Tokens {
    /// A valid access token: the cached one, unless it is `refused` (the service answered 401
    /// to it) or about to expire; else a fresh one.
    pub async fn token(
        &self,
        http: &reqwest::Client,
        request: &TokenRequest<'_>,
        refused: Option<&SecretString>,
    ) -> Result<SecretString, String> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            Arc::clone(slots.entry(request.key()).or_default())
        };
        let mut cached = slot.lock().await;
        if let Some(current) = cached.as_ref() {
            let fresh = current
                .expires_at
                .is_none_or(|at| Instant::now() + EXPIRY_MARGIN < at);
            let was_refused =
                refused.is_some_and(|r| r.expose_secret() == current.token.expose_secret());
            if fresh && !was_refused {
                return Ok(current.token.clone());
            }
        }
        let fetched = fetch(http, request).await?;
        *cached = Some(fetched.clone());
        Ok(fetched.token)
    }
}

async fn fetch(http: &reqwest::Client, request: &TokenRequest<'_>) -> Result<Cached, String> {
    let token_url = TokenUrl::new(request.token_url.to_owned())
        .map_err(|e| format!("the token URL is not valid: {e}"))?;
    let client = BasicClient::new(ClientId::new(request.client_id.clone()))
        .set_client_secret(ClientSecret::new(
            request.client_secret.expose_secret().to_owned(),
        ))
        .set_token_uri(token_url);
    let scopes = request.scopes.iter().map(|s| Scope::new(s.clone()));
    let answer = match &request.refresh_token {
        None => {
            client
                .exchange_client_credentials()
                .add_scopes(scopes)
                .request_async(http)
                .await
        }
        Some(refresh) => {
            let refresh = RefreshToken::new(refresh.expose_secret().to_owned());
            client
                .exchange_refresh_token(&refresh)
                .add_scopes(scopes)
                .request_async(http)
                .await
        }
    };
    let answer = answer.map_err(|e| {
        // The error names the endpoint's own words; never a credential, which it never saw.
        format!(
            "no OAuth 2.0 token from {}: {}",
            request.token_url,
            root_cause(&e)
        )
    })?;
    Ok(Cached {
        token: SecretString::from(answer.access_token().secret().to_owned()),
        expires_at: answer.expires_in().map(|d| Instant::now() + d),
    })
}

/// Sends `token` as the request's bearer token. `sensitive`: HTTP/2 never indexes it.
pub(in crate::run) fn set_bearer(
    request: &mut reqwest::Request,
    token: &SecretString,
) -> Result<(), RunError> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
        .map_err(|_| RunError::Header("Authorization".into()))?;
    value.set_sensitive(true);
    request.headers_mut().insert(AUTHORIZATION, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_cache_shows_none_of_what_it_holds() {
        assert_eq!(format!("{:?}", Tokens::default()), "Tokens(..)");
    }
}
