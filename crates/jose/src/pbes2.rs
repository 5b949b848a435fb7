//! PBES2 key management (RFC 7518 §4.8): PBKDF2-HMAC-SHA2 derives an AES key-encryption key
//! that wraps the content encryption key with AES key wrap (RFC 3394).

use crate::{Error, KeyAlg};
use aes_kw::{KekAes128, KekAes192, KekAes256};

/// PBKDF2 salt = UTF8(alg) || 0x00 || salt input; the key length follows the wrap algorithm.
fn derive_kek(alg: KeyAlg, password: &[u8], salt_input: &[u8], iterations: u32) -> Vec<u8> {
    let mut salt = Vec::with_capacity(alg.name().len() + 1 + salt_input.len());
    salt.extend_from_slice(alg.name().as_bytes());
    salt.push(0);
    salt.extend_from_slice(salt_input);

    let mut kek = vec![0u8; alg.kek_len()];
    crate::kdf::pbkdf2_hmac(alg, password, &salt, iterations, &mut kek);
    kek
}

/// Wraps `cek` under a key derived from `password`.
pub(crate) fn wrap(
    alg: KeyAlg,
    password: &[u8],
    salt_input: &[u8],
    iterations: u32,
    cek: &[u8],
) -> Vec<u8> {
    let kek = derive_kek(alg, password, salt_input, iterations);
    // The KEK length matches the algorithm by construction and the CEK is a whole number of
    // 64-bit blocks (16 to 64 bytes), so wrapping cannot fail.
    let wrapped = match alg {
        KeyAlg::Pbes2Hs256A128Kw => KekAes128::try_from(kek.as_slice()).map(|k| k.wrap_vec(cek)),
        KeyAlg::Pbes2Hs384A192Kw => KekAes192::try_from(kek.as_slice()).map(|k| k.wrap_vec(cek)),
        KeyAlg::Pbes2Hs512A256Kw => KekAes256::try_from(kek.as_slice()).map(|k| k.wrap_vec(cek)),
    };
    wrapped
        .and_then(|w| w)
        .expect("AES key wrap of a CEK with a KEK of the right size")
}

/// Unwraps a CEK; any failure (wrong password, altered key or header) is `DecryptionFailed`.
pub(crate) fn unwrap(
    alg: KeyAlg,
    password: &[u8],
    salt_input: &[u8],
    iterations: u32,
    wrapped: &[u8],
) -> Result<Vec<u8>, Error> {
    let kek = derive_kek(alg, password, salt_input, iterations);
    let unwrapped = match alg {
        KeyAlg::Pbes2Hs256A128Kw => {
            KekAes128::try_from(kek.as_slice()).map(|k| k.unwrap_vec(wrapped))
        }
        KeyAlg::Pbes2Hs384A192Kw => {
            KekAes192::try_from(kek.as_slice()).map(|k| k.unwrap_vec(wrapped))
        }
        KeyAlg::Pbes2Hs512A256Kw => {
            KekAes256::try_from(kek.as_slice()).map(|k| k.unwrap_vec(wrapped))
        }
    };
    unwrapped
        .and_then(|u| u)
        .map_err(|_| Error::DecryptionFailed)
}
