//! Unpadded base64url (RFC 7515 §2), strict: no padding, no stray trailing bits.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::Error;

pub(crate) fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn decode(text: &str, part: &'static str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| Error::Base64 { part })
}

/// Splits a compact serialization into exactly `N` dot-separated parts.
pub(crate) fn split_compact<'a, const N: usize>(
    compact: &'a str,
    kind: &'static str,
) -> Result<[&'a str; N], Error> {
    let found = compact.split('.').count();
    if found != N {
        return Err(Error::PartCount {
            kind,
            expected: N,
            found,
        });
    }
    let mut parts = [""; N];
    for (slot, part) in parts.iter_mut().zip(compact.split('.')) {
        *slot = part;
    }
    Ok(parts)
}
