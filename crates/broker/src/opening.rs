//! Opening a link's cipher: from the cache when it was opened (or minted) before, else a PBKDF2
//! derivation off the async threads, within this broker's PBES2 bounds. Who asks decides where
//! the derivation runs: a holder of a valid token in the minting pool, anyone else (a join
//! page, space details without `Authorization`) in a pool of its own with a bounded queue, and
//! at most so many derivations a minute for each client address. So forged links can neither
//! queue in front of minting nor keep the broker's cores to themselves.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;

use crate::crypto_pool::CryptoFailed;
use crate::error::ApiError;
use crate::mint::LinkClaims;
use crate::state::AppState;
use crate::tracking;

/// Derivations a minute each client address may cause without a token, by default.
pub const ANYONE_OPENS_PER_MINUTE: NonZeroU32 = NonZeroU32::new(60).unwrap();
/// Derivations without a token that may wait at once; more are answered `503`.
pub(crate) const ANYONE_QUEUE: usize = 32;

/// Who asks for a cipher to be opened.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Opener {
    /// A holder of a token this broker accepts.
    Token,
    /// Anyone, from this address (`None` when the server does not say).
    Anyone(Option<IpAddr>),
}

/// The address a request came from, when the server that runs the router says
/// (`into_make_service_with_connect_info`).
pub(crate) struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(peer)| peer.ip()),
        ))
    }
}

/// Whose allowance a derivation counts against: an IPv4 address, or an IPv6 address's /64, the
/// least one subscriber is given (one per address would hand a single client 2^64 of them).
fn allowance(address: Option<IpAddr>) -> Vec<u8> {
    match address.map(|a| a.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.octets().to_vec(),
        Some(IpAddr::V6(v6)) => v6.octets()[..8].to_vec(),
        None => Vec::new(),
    }
}

/// Opens `cipher` for `opener`: `400` for one this broker did not make (or that was altered),
/// `429` past the client's derivations for the minute, `503` when the queue for anyone is full.
pub(crate) async fn open_cipher(
    state: &Arc<AppState>,
    cipher: &str,
    opener: Opener,
) -> Result<LinkClaims, ApiError> {
    let now = state.clock.now();
    if let Some(claims) = state.opened.get(cipher, now) {
        return Ok(claims);
    }
    let pool = match opener {
        Opener::Token => &state.crypto,
        Opener::Anyone(address) => {
            state.anyone_opens.check(&allowance(address)).map_err(|wait| {
                let seconds = resilience::retry_after_seconds(wait);
                ApiError::retry_after(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "Too many links opened from this address; retry after {seconds} seconds."
                    ),
                    seconds,
                )
            })?;
            &state.anyone_crypto
        }
    };
    let minter = Arc::clone(&state.minter);
    let owned = cipher.to_owned();
    let claims = pool
        .start(move || minter.open(&owned))
        .await
        .map_err(|e| match e {
            CryptoFailed::Busy => ApiError::retry_after(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many links are being opened; retry after 1 second.",
                1,
            ),
            other => ApiError::internal("opening task failed", &other),
        })?
        .map_err(|reason| {
            tracing::info!(tracking_id = %tracking::current(), %reason, "refused a cipher");
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "data: is not a valid link token of this org (not decryptable, tampered or foreign).",
            )
        })?;
    state.opened.insert(cipher, claims.clone(), now);
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_64_is_one_allowance_and_each_ipv4_address_its_own() {
        let of = |text: &str| allowance(Some(text.parse().unwrap()));
        assert_eq!(of("2001:db8:1:2::1"), of("2001:db8:1:2:ffff::9"));
        assert_ne!(of("2001:db8:1:2::1"), of("2001:db8:1:3::1"));
        assert_ne!(of("192.0.2.1"), of("192.0.2.2"));
        assert_eq!(of("::ffff:192.0.2.1"), of("192.0.2.1"));
        assert_eq!(allowance(None), Vec::<u8>::new());
    }
}
