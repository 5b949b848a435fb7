//! Compact JWE and JWS for password-based links, as pure functions.
//!
//! What it is:
//! - JWE (RFC 7516) in compact form with PBES2 key management
//!   (`PBES2-HS256+A128KW`, `PBES2-HS384+A192KW`, `PBES2-HS512+A256KW`, RFC 7518 §4.8) and
//!   content encryption `A128GCM`, `A192GCM`, `A256GCM`, `A128CBC-HS256`, `A192CBC-HS384`,
//!   `A256CBC-HS512` (RFC 7518 §5).
//! - JWS (RFC 7515) in compact form with `HS256`, `HS384`, `HS512`.
//! - Protected headers are ordered JSON objects: keys are written in the order the caller gives.
//!
//! What it is not: a JWT validator (claims are the caller's business), a key store, or anything
//! that does I/O. It knows nothing of Instant Connect. Every primitive comes from an audited
//! library and this crate only composes them as the RFCs say: RustCrypto's crates, except the
//! SHA-2 block function inside PBKDF2, which is libcrypto's (OpenSSL), because PBKDF2 is where
//! a token spends its time (`kdf` says why; it is the workspace's one module with `unsafe`).
//!
//! Hostile input is expected: [`jwe::decrypt`] checks the PBES2 iteration count and salt length
//! against a [`jwe::DecryptPolicy`] before it derives any key, and no input makes it panic.
//! Wrong keys and tampered tokens give the same [`Error::DecryptionFailed`].

mod alg;
mod b64;
mod content;
mod error;
mod header;
pub mod jwe;
pub mod jws;
mod kdf;
mod pbes2;
#[cfg(test)]
mod test_vectors;

pub use alg::{ContentEnc, JwsAlg, KeyAlg, UnknownName};
pub use error::Error;
pub use serde_json::{Map, Value};

/// A JSON object whose keys keep their insertion order (serde_json with `preserve_order`).
pub type Header = Map<String, Value>;
