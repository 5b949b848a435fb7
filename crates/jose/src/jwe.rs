//! Compact JWE with PBES2 key management.
//!
//! ```
//! use jose::{ContentEnc, Header, KeyAlg, jwe};
//!
//! let params = jwe::Params {
//!     alg: KeyAlg::Pbes2Hs512A256Kw,
//!     enc: ContentEnc::A256Gcm,
//!     pbes2: jwe::Pbes2Params::new(b"sixteen byte salt".to_vec(), 1000),
//! };
//! let mut header = Header::new();
//! header.insert("cty".into(), "JWT".into());
//! let token = jwe::encrypt(b"password", &params, &header, b"hello").unwrap();
//! let opened = jwe::decrypt(b"password", &token, &jwe::DecryptPolicy::default()).unwrap();
//! assert_eq!(opened.plaintext, b"hello");
//! ```

use std::ops::RangeInclusive;

use rand::rngs::OsRng;
use rand::{Rng, RngCore};
use serde_json::Value;

use crate::{ContentEnc, Error, Header, KeyAlg, b64, content, header, pbes2};

pub use crate::content::MAX_PLAINTEXT_BYTES;

/// Iteration counts a decrypter accepts unless told otherwise (what the Instant Connect broker
/// issues; also RFC 7518's recommended floor of 1000). The one place these bounds are written.
pub const DEFAULT_ITERATIONS: RangeInclusive<u32> = 1000..=32767;
/// Salt input lengths a decrypter accepts unless told otherwise (RFC 7518 requires at least 8).
pub const DEFAULT_SALT_INPUT_LEN: RangeInclusive<usize> = 8..=128;

/// The PBES2 salt input (`p2s`, before the algorithm name is prefixed) and count (`p2c`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pbes2Params {
    pub salt_input: Vec<u8>,
    pub iterations: u32,
}

impl Pbes2Params {
    pub fn new(salt_input: Vec<u8>, iterations: u32) -> Self {
        Self {
            salt_input,
            iterations,
        }
    }

    /// A fresh random salt of a length drawn from `salt_len` and a count drawn from `iterations`.
    /// Each range may be a single value (`n..=n`) to fix it; an empty range is an error.
    pub fn random(
        salt_len: RangeInclusive<usize>,
        iterations: RangeInclusive<u32>,
    ) -> Result<Self, Error> {
        if salt_len.is_empty() {
            return Err(Error::EmptyRange {
                parameter: "salt length",
            });
        }
        if iterations.is_empty() {
            return Err(Error::EmptyRange {
                parameter: "iteration count",
            });
        }
        let mut salt_input = vec![0u8; OsRng.gen_range(salt_len)];
        OsRng.fill_bytes(&mut salt_input);
        Ok(Self {
            salt_input,
            iterations: OsRng.gen_range(iterations),
        })
    }
}

/// How to encrypt: key management, content encryption, and the PBES2 inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub alg: KeyAlg,
    pub enc: ContentEnc,
    pub pbes2: Pbes2Params,
}

/// Bounds a decrypter enforces on the header before it derives any key, so that a hostile
/// `p2c` cannot make it burn CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecryptPolicy {
    pub iterations: RangeInclusive<u32>,
    pub salt_input_len: RangeInclusive<usize>,
}

impl Default for DecryptPolicy {
    fn default() -> Self {
        Self {
            iterations: DEFAULT_ITERATIONS,
            salt_input_len: DEFAULT_SALT_INPUT_LEN,
        }
    }
}

/// A decrypted JWE: its protected header (in its original key order) and plaintext.
#[derive(Debug, Clone, PartialEq)]
pub struct Decrypted {
    pub alg: KeyAlg,
    pub enc: ContentEnc,
    pub header: Header,
    pub plaintext: Vec<u8>,
}

/// Encrypts `plaintext` under `password` into a compact JWE.
///
/// `header` gives the protected header's other members in the order they are written. The
/// members this function owns (`p2s`, `p2c`, `enc`, `alg`) take their values from `params`; if
/// `header` lists them (with any placeholder value, e.g. `null`) they keep that position,
/// otherwise they are written first.
pub fn encrypt(
    password: &[u8],
    params: &Params,
    header: &Header,
    plaintext: &[u8],
) -> Result<String, Error> {
    let mut cek = vec![0u8; params.enc.cek_len()];
    OsRng.fill_bytes(&mut cek);
    let mut iv = vec![0u8; params.enc.iv_len()];
    OsRng.fill_bytes(&mut iv);
    encrypt_with_cek_and_iv(password, params, header, plaintext, &cek, &iv)
}

/// The deterministic core of [`encrypt`]; tests use it to reproduce published vectors.
fn encrypt_with_cek_and_iv(
    password: &[u8],
    params: &Params,
    caller_header: &Header,
    plaintext: &[u8],
    cek: &[u8],
    iv: &[u8],
) -> Result<String, Error> {
    if password.is_empty() {
        return Err(Error::EmptyPassword);
    }
    let Pbes2Params {
        salt_input,
        iterations,
    } = &params.pbes2;
    if salt_input.len() < *DEFAULT_SALT_INPUT_LEN.start() {
        return Err(Error::SaltOutOfBounds {
            got: salt_input.len(),
            min: *DEFAULT_SALT_INPUT_LEN.start(),
            max: usize::MAX,
        });
    }
    if *iterations < *DEFAULT_ITERATIONS.start() {
        return Err(Error::IterationsOutOfBounds {
            got: u64::from(*iterations),
            min: *DEFAULT_ITERATIONS.start(),
            max: u32::MAX,
        });
    }
    header::refuse_unsupported(caller_header)?;

    let owned = [
        ("alg", Value::from(params.alg.name())),
        ("enc", Value::from(params.enc.name())),
        ("p2s", Value::from(b64::encode(salt_input))),
        ("p2c", Value::from(*iterations)),
    ];
    let protected = header::encode(&header::with_owned_members(caller_header, &owned));
    // Sealing first: a plaintext it refuses costs no key derivation.
    let sealed = content::seal(params.enc, cek, iv, protected.as_bytes(), plaintext)?;
    let encrypted_key = pbes2::wrap(params.alg, password, salt_input, *iterations, cek);
    Ok([
        protected,
        b64::encode(&encrypted_key),
        b64::encode(iv),
        b64::encode(&sealed.ciphertext),
        b64::encode(&sealed.tag),
    ]
    .join("."))
}

/// Decrypts a compact JWE. Header, algorithms and PBES2 bounds are checked first; only then is
/// a key derived. A wrong password and any altered part give the same `DecryptionFailed`.
pub fn decrypt(password: &[u8], compact: &str, policy: &DecryptPolicy) -> Result<Decrypted, Error> {
    let checked = CheckedJwe::parse(compact, policy)?;
    let cek = pbes2::unwrap(
        checked.alg,
        password,
        &checked.salt_input,
        checked.iterations,
        &checked.encrypted_key,
    )?;
    let plaintext = content::open(
        checked.enc,
        &cek,
        &checked.iv,
        checked.protected.as_bytes(),
        &checked.ciphertext,
        &checked.tag,
    )?;
    Ok(Decrypted {
        alg: checked.alg,
        enc: checked.enc,
        header: checked.header,
        plaintext,
    })
}

/// The protected header of a compact JWE, decoded but not verified: only for display and
/// diagnostics, never for a decision.
pub fn unverified_header(compact: &str) -> Result<Header, Error> {
    let [protected, ..] = b64::split_compact::<5>(compact, "JWE")?;
    header::decode(protected)
}

/// A compact JWE whose structure, algorithms and PBES2 bounds have been checked: the only
/// input key derivation accepts.
struct CheckedJwe<'a> {
    protected: &'a str,
    header: Header,
    alg: KeyAlg,
    enc: ContentEnc,
    salt_input: Vec<u8>,
    iterations: u32,
    encrypted_key: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

impl<'a> CheckedJwe<'a> {
    fn parse(compact: &'a str, policy: &DecryptPolicy) -> Result<Self, Error> {
        let [protected, encrypted_key, iv, ciphertext, tag] =
            b64::split_compact::<5>(compact, "JWE")?;
        let header = header::decode(protected)?;

        let alg_name = header::str_member(&header, "alg")?;
        let alg = KeyAlg::from_name(alg_name)
            .ok_or_else(|| Error::UnsupportedAlg(alg_name.to_owned()))?;
        let enc_name = header::str_member(&header, "enc")?;
        let enc = ContentEnc::from_name(enc_name)
            .ok_or_else(|| Error::UnsupportedEnc(enc_name.to_owned()))?;
        header::refuse_unsupported(&header)?;

        let iterations = header
            .get("p2c")
            .and_then(Value::as_u64)
            .ok_or(Error::HeaderMember {
                member: "p2c",
                expected: "a positive integer",
            })?;
        let iterations = u32::try_from(iterations)
            .ok()
            .filter(|n| policy.iterations.contains(n))
            .ok_or(Error::IterationsOutOfBounds {
                got: iterations,
                min: *policy.iterations.start(),
                max: *policy.iterations.end(),
            })?;
        let salt_input = b64::decode(header::str_member(&header, "p2s")?, "p2s")?;
        if !policy.salt_input_len.contains(&salt_input.len()) {
            return Err(Error::SaltOutOfBounds {
                got: salt_input.len(),
                min: *policy.salt_input_len.start(),
                max: *policy.salt_input_len.end(),
            });
        }

        let non_empty = |text: &str, part: &'static str| {
            if text.is_empty() {
                Err(Error::EmptyPart { part })
            } else {
                b64::decode(text, part)
            }
        };
        Ok(Self {
            protected,
            alg,
            enc,
            salt_input,
            iterations,
            encrypted_key: non_empty(encrypted_key, "encrypted key")?,
            iv: non_empty(iv, "initialization vector")?,
            // An empty plaintext under GCM has an empty ciphertext: allowed.
            ciphertext: b64::decode(ciphertext, "ciphertext")?,
            tag: non_empty(tag, "authentication tag")?,
            header,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7520 §5.3 gives the CEK and IV it used, so encryption must reproduce its output
    /// byte for byte (header key order included).
    #[test]
    fn rfc7520_5_3_encryption_is_reproduced_exactly() {
        let v = crate::test_vectors::rfc7520_5_3();
        let header: Header = serde_json::from_str(
            r#"{"alg":null,"p2s":null,"p2c":null,"cty":"jwk-set+json","enc":null}"#,
        )
        .unwrap();
        let params = Params {
            alg: KeyAlg::Pbes2Hs512A256Kw,
            enc: ContentEnc::A128CbcHs256,
            pbes2: Pbes2Params::new(b64::decode(v.p2s, "p2s").unwrap(), v.p2c),
        };
        let token = encrypt_with_cek_and_iv(
            v.password.as_bytes(),
            &params,
            &header,
            v.plaintext.as_bytes(),
            &b64::decode(v.cek, "cek").unwrap(),
            &b64::decode(v.iv, "iv").unwrap(),
        )
        .unwrap();
        assert_eq!(token, v.compact);
    }

    #[test]
    fn encryption_refuses_weak_pbes2_inputs() {
        let params = |salt: usize, iterations| Params {
            alg: KeyAlg::Pbes2Hs256A128Kw,
            enc: ContentEnc::A128Gcm,
            pbes2: Pbes2Params::new(vec![7; salt], iterations),
        };
        let header = Header::new();
        assert!(matches!(
            encrypt(b"pw", &params(7, 1000), &header, b"x"),
            Err(Error::SaltOutOfBounds { got: 7, .. })
        ));
        assert!(matches!(
            encrypt(b"pw", &params(8, 999), &header, b"x"),
            Err(Error::IterationsOutOfBounds { got: 999, .. })
        ));
        assert_eq!(
            encrypt(b"", &params(8, 1000), &header, b"x"),
            Err(Error::EmptyPassword)
        );
    }
}
