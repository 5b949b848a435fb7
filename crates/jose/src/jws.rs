//! Compact JWS with HMAC (`HS256`, `HS384`, `HS512`).

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::{Sha256, Sha384, Sha512};

use crate::{Error, Header, JwsAlg, b64, header};

/// A verified JWS: its algorithm, protected header and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub alg: JwsAlg,
    pub header: Header,
    pub payload: Vec<u8>,
}

/// Signs `payload` into a compact JWS. `alg` is written where `header` lists it, else first.
pub fn sign(alg: JwsAlg, key: &[u8], header: &Header, payload: &[u8]) -> Result<String, Error> {
    check_key(alg, key)?;
    header::refuse_unsupported(header)?;
    let protected = header::encode(&header::with_owned_members(
        header,
        &[("alg", Value::from(alg.name()))],
    ));
    let signing_input = format!("{protected}.{}", b64::encode(payload));
    let signature = mac(alg, key, &signing_input);
    Ok(format!("{signing_input}.{}", b64::encode(&signature)))
}

/// Verifies a compact JWS whose `alg` is one of `allowed`, with a constant-time comparison.
pub fn verify(key: &[u8], compact: &str, allowed: &[JwsAlg]) -> Result<Verified, Error> {
    let [protected, payload, signature] = b64::split_compact::<3>(compact, "JWS")?;
    let header = header::decode(protected)?;
    let alg_name = header::str_member(&header, "alg")?;
    let alg =
        JwsAlg::from_name(alg_name).ok_or_else(|| Error::UnsupportedAlg(alg_name.to_owned()))?;
    if !allowed.contains(&alg) {
        return Err(Error::AlgNotAllowed(alg_name.to_owned()));
    }
    header::refuse_unsupported(&header)?;
    check_key(alg, key)?;
    let signature = b64::decode(signature, "signature")?;
    let payload_bytes = b64::decode(payload, "payload")?;

    let signing_input = &compact[..protected.len() + 1 + payload.len()];
    let verified = match alg {
        JwsAlg::Hs256 => hmac_of::<Hmac<Sha256>>(key, signing_input).verify_slice(&signature),
        JwsAlg::Hs384 => hmac_of::<Hmac<Sha384>>(key, signing_input).verify_slice(&signature),
        JwsAlg::Hs512 => hmac_of::<Hmac<Sha512>>(key, signing_input).verify_slice(&signature),
    };
    verified.map_err(|_| Error::InvalidSignature)?;
    Ok(Verified {
        alg,
        header,
        payload: payload_bytes,
    })
}

fn check_key(alg: JwsAlg, key: &[u8]) -> Result<(), Error> {
    if key.len() < alg.min_key_len() {
        return Err(Error::KeyTooShort {
            alg: alg.name(),
            min: alg.min_key_len(),
            got: key.len(),
        });
    }
    Ok(())
}

fn hmac_of<M: Mac + hmac::digest::KeyInit>(key: &[u8], input: &str) -> M {
    let mut mac = <M as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(input.as_bytes());
    mac
}

fn mac(alg: JwsAlg, key: &[u8], input: &str) -> Vec<u8> {
    match alg {
        JwsAlg::Hs256 => hmac_of::<Hmac<Sha256>>(key, input)
            .finalize()
            .into_bytes()
            .to_vec(),
        JwsAlg::Hs384 => hmac_of::<Hmac<Sha384>>(key, input)
            .finalize()
            .into_bytes()
            .to_vec(),
        JwsAlg::Hs512 => hmac_of::<Hmac<Sha512>>(key, input)
            .finalize()
            .into_bytes()
            .to_vec(),
    }
}
