//! Integration tests of the public `jose` API: published vectors, round trips, hostile input,
//! and interoperability with an independent implementation (josekit, over OpenSSL).

#[path = "../../src/test_vectors.rs"]
mod test_vectors;

mod fuzz;
mod hostile;
mod interop;
mod rfc7520;
mod round_trip;

use jose::{ContentEnc, Header, KeyAlg, jwe};

/// Tests pin the PBES2 count at the floor: the count itself is not what they test.
pub const FAST_ITERATIONS: u32 = 1000;

pub fn params(alg: KeyAlg, enc: ContentEnc) -> jwe::Params {
    jwe::Params {
        alg,
        enc,
        pbes2: jwe::Pbes2Params::random(
            jwe::DEFAULT_SALT_INPUT_LEN,
            FAST_ITERATIONS..=FAST_ITERATIONS,
        )
        .unwrap(),
    }
}

/// The header members the Instant Connect broker writes, in its order, as a test header.
pub fn broker_like_header() -> Header {
    serde_json::from_str(
        r#"{"p2s":null,"p2c":null,"aud":"a4d886b0-979f-4e2c-a958-3e8c14605e51",
            "iss":"1eb65fdf-9643-417f-9974-ad72cae0e10f","cty":"JWT","enc":null,"alg":null}"#,
    )
    .unwrap()
}
