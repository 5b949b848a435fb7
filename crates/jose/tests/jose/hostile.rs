use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jose::{ContentEnc, Error, Header, JwsAlg, KeyAlg, jwe, jws};
use proptest::prelude::*;
use serde_json::json;

use crate::{broker_like_header, params};

fn token() -> String {
    jwe::encrypt(
        b"secret",
        &params(KeyAlg::Pbes2Hs512A256Kw, ContentEnc::A256Gcm),
        &broker_like_header(),
        b"payload",
    )
    .unwrap()
}

/// Replaces one character of part `index` by another valid base64url character.
fn flip_char_in_part(token: &str, index: usize) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let part = &mut parts[index];
    let mid = part.len() / 2;
    let old = part.as_bytes()[mid];
    let new = if old == b'A' { 'B' } else { 'A' };
    part.replace_range(mid..=mid, &new.to_string());
    parts.join(".")
}

fn with_header(token: &str, header: serde_json::Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[0] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap());
    parts.join(".")
}

fn header_of(token: &str) -> serde_json::Value {
    let first = token.split('.').next().unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(first).unwrap()).unwrap()
}

#[test]
fn tampering_with_any_of_the_four_binary_parts_fails_decryption() {
    let token = token();
    for index in 1..5 {
        let tampered = flip_char_in_part(&token, index);
        assert_ne!(tampered, token);
        assert_eq!(
            jwe::decrypt(b"secret", &tampered, &Default::default()),
            Err(Error::DecryptionFailed),
            "part {index}"
        );
    }
}

#[test]
fn tampering_with_the_header_fails_decryption() {
    let token = token();
    let mut header = header_of(&token);
    header["iss"] = json!("00000000-0000-0000-0000-000000000000");
    assert_eq!(
        jwe::decrypt(b"secret", &with_header(&token, header), &Default::default()),
        Err(Error::DecryptionFailed)
    );
}

#[test]
fn a_wrong_password_fails_exactly_like_tampering() {
    assert_eq!(
        jwe::decrypt(b"not the secret", &token(), &Default::default()),
        Err(Error::DecryptionFailed)
    );
}

#[test]
fn iteration_counts_outside_the_policy_are_refused_before_any_key_is_derived() {
    let token = token();
    for count in [0u64, 999, 32768, 2_147_483_647, u64::MAX] {
        let mut header = header_of(&token);
        header["p2c"] = json!(count);
        assert_eq!(
            jwe::decrypt(b"secret", &with_header(&token, header), &Default::default()),
            Err(Error::IterationsOutOfBounds {
                got: count,
                min: 1000,
                max: 32767
            })
        );
    }
    let mut header = header_of(&token);
    header["p2c"] = json!("1000");
    assert!(matches!(
        jwe::decrypt(b"secret", &with_header(&token, header), &Default::default()),
        Err(Error::HeaderMember { member: "p2c", .. })
    ));
}

#[test]
fn a_caller_policy_narrows_the_iteration_bounds() {
    let policy = jwe::DecryptPolicy {
        iterations: 2000..=3000,
        ..Default::default()
    };
    assert_eq!(
        jwe::decrypt(b"secret", &token(), &policy),
        Err(Error::IterationsOutOfBounds {
            got: 1000,
            min: 2000,
            max: 3000
        })
    );
}

#[test]
fn salt_inputs_outside_8_to_128_bytes_are_refused() {
    let token = token();
    for len in [0usize, 7, 129, 4096] {
        let mut header = header_of(&token);
        header["p2s"] = json!(URL_SAFE_NO_PAD.encode(vec![1u8; len]));
        assert_eq!(
            jwe::decrypt(b"secret", &with_header(&token, header), &Default::default()),
            Err(Error::SaltOutOfBounds {
                got: len,
                min: 8,
                max: 128
            }),
            "{len} bytes"
        );
    }
}

#[test]
fn malformed_tokens_get_typed_errors() {
    let token = token();
    let cases: Vec<(String, Error)> = vec![
        (
            "".into(),
            Error::PartCount {
                kind: "JWE",
                expected: 5,
                found: 1,
            },
        ),
        ("....".into(), Error::EmptyPart { part: "header" }),
        (
            "a.b.c".into(),
            Error::PartCount {
                kind: "JWE",
                expected: 5,
                found: 3,
            },
        ),
        (
            format!("{token}.x"),
            Error::PartCount {
                kind: "JWE",
                expected: 5,
                found: 6,
            },
        ),
        (
            token.replacen('e', "*", 1),
            Error::Base64 { part: "header" },
        ),
        (with_header(&token, json!([1, 2])), Error::HeaderNotObject),
        (
            with_header(&token, json!({"alg": "dir", "enc": "A256GCM"})),
            Error::UnsupportedAlg("dir".into()),
        ),
        (
            with_header(
                &token,
                json!({"alg": "PBES2-HS512+A256KW", "enc": "A256CTR"}),
            ),
            Error::UnsupportedEnc("A256CTR".into()),
        ),
        (
            with_header(&token, json!({"enc": "A256GCM"})),
            Error::HeaderMember {
                member: "alg",
                expected: "a string",
            },
        ),
        (
            {
                let mut h = header_of(&token);
                h["zip"] = json!("DEF");
                with_header(&token, h)
            },
            Error::UnsupportedMember("zip"),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(
            jwe::decrypt(b"secret", &input, &Default::default()),
            Err(expected),
            "{input:.40}"
        );
    }
}

#[test]
fn the_seed_samples_empty_header_form_is_refused_cleanly() {
    let sample: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../instant-connect/tests/data/seed-sample-response.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let host = sample["host"][0]["cipher"].as_str().unwrap();
    assert_eq!(
        jwe::decrypt(b"secret", host, &Default::default()),
        Err(Error::EmptyPart { part: "header" })
    );
}

#[test]
fn tampered_jws_parts_fail_verification() {
    let key = [7u8; 64];
    let token = jws::sign(JwsAlg::Hs512, &key, &Header::new(), b"{\"role\":\"guest\"}").unwrap();
    for index in 0..3 {
        let tampered = flip_char_in_part(&token, index);
        assert!(
            jws::verify(&key, &tampered, &[JwsAlg::Hs512]).is_err(),
            "part {index}"
        );
    }
    let forged_payload = format!(
        "{}.{}.{}",
        token.split('.').next().unwrap(),
        URL_SAFE_NO_PAD.encode(b"{\"role\":\"host\"}"),
        token.rsplit('.').next().unwrap()
    );
    assert_eq!(
        jws::verify(&key, &forged_payload, &[JwsAlg::Hs512]),
        Err(Error::InvalidSignature)
    );
    assert_eq!(
        jws::verify(&[8u8; 64], &token, &[JwsAlg::Hs512]),
        Err(Error::InvalidSignature)
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(b"{}")
    );
    assert_eq!(
        jws::verify(&key, &none, JwsAlg::ALL),
        Err(Error::UnsupportedAlg("none".into()))
    );
}

#[test]
fn an_oversized_plaintext_is_an_error_not_a_panic() {
    let too_big = vec![0u8; jwe::MAX_PLAINTEXT_BYTES + 1];
    for enc in ContentEnc::ALL {
        assert_eq!(
            jwe::encrypt(
                b"secret",
                &params(KeyAlg::Pbes2Hs256A128Kw, *enc),
                &Header::new(),
                &too_big
            ),
            Err(Error::PlaintextTooLong {
                len: jwe::MAX_PLAINTEXT_BYTES + 1,
                max: jwe::MAX_PLAINTEXT_BYTES
            }),
            "{enc}"
        );
    }
}

#[test]
fn a_plaintext_of_exactly_sixteen_mebibytes_seals_and_opens() {
    assert_eq!(jwe::MAX_PLAINTEXT_BYTES, 16 * 1024 * 1024);
    let largest = vec![7u8; jwe::MAX_PLAINTEXT_BYTES];
    let token = jwe::encrypt(
        b"secret",
        &params(KeyAlg::Pbes2Hs256A128Kw, ContentEnc::A128Gcm),
        &Header::new(),
        &largest,
    )
    .expect("the limit itself is allowed");
    let policy = jwe::DecryptPolicy {
        iterations: crate::FAST_ITERATIONS..=crate::FAST_ITERATIONS,
        ..Default::default()
    };
    let opened = jwe::decrypt(b"secret", &token, &policy).unwrap();
    assert_eq!(opened.plaintext.len(), jwe::MAX_PLAINTEXT_BYTES);
}

#[test]
fn random_pbes2_params_from_an_empty_range_are_an_error_not_a_panic() {
    #[allow(clippy::reversed_empty_ranges)]
    let (no_salts, no_counts) = (9..=8, 2000..=1000);
    assert_eq!(
        jwe::Pbes2Params::random(no_salts, 1000..=1000),
        Err(Error::EmptyRange {
            parameter: "salt length"
        })
    );
    assert_eq!(
        jwe::Pbes2Params::random(8..=8, no_counts),
        Err(Error::EmptyRange {
            parameter: "iteration count"
        })
    );
}

/// Replaces part `index` of a compact token by `bytes`, base64url-encoded.
fn with_part(token: &str, index: usize, bytes: &[u8]) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = URL_SAFE_NO_PAD.encode(bytes);
    parts.join(".")
}

/// The right password unwraps the key, so these reach content decryption itself with an IV or
/// tag of a length the algorithm does not take.
#[test]
fn content_decryption_with_the_right_key_refuses_bad_iv_and_tag_lengths() {
    for enc in ContentEnc::ALL {
        let token = jwe::encrypt(
            b"secret",
            &params(KeyAlg::Pbes2Hs512A256Kw, *enc),
            &broker_like_header(),
            b"payload",
        )
        .unwrap();
        assert_eq!(
            jwe::decrypt(b"secret", &token, &Default::default())
                .unwrap()
                .plaintext,
            b"payload",
            "the untouched token opens: the key is right"
        );
        for len in [1usize, 11, 13, 15, 17, 32, 64] {
            assert_eq!(
                jwe::decrypt(
                    b"secret",
                    &with_part(&token, 2, &vec![7; len]),
                    &Default::default()
                ),
                Err(Error::DecryptionFailed),
                "{enc} with a {len}-byte IV"
            );
            assert_eq!(
                jwe::decrypt(
                    b"secret",
                    &with_part(&token, 4, &vec![7; len]),
                    &Default::default()
                ),
                Err(Error::DecryptionFailed),
                "{enc} with a {len}-byte tag"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decrypt_never_panics_on_arbitrary_strings(input in ".{0,400}") {
        let _ = jwe::decrypt(b"secret", &input, &Default::default());
        let _ = jwe::unverified_header(&input);
        let _ = jws::verify(&[0u8; 64], &input, JwsAlg::ALL);
    }

    #[test]
    fn decrypt_never_panics_on_five_base64ish_parts(
        parts in proptest::collection::vec("[A-Za-z0-9_-]{0,60}", 5)
    ) {
        let _ = jwe::decrypt(b"secret", &parts.join("."), &Default::default());
    }

    /// A well-formed header that passes the bounds, with arbitrary remaining parts: this
    /// reaches key unwrap and content decryption with hostile lengths.
    #[test]
    fn decrypt_never_panics_past_the_header(
        enc_index in 0usize..6,
        alg_index in 0usize..3,
        key in proptest::collection::vec(any::<u8>(), 0..80),
        iv in proptest::collection::vec(any::<u8>(), 0..24),
        ct in proptest::collection::vec(any::<u8>(), 0..64),
        tag in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let header = json!({
            "alg": KeyAlg::ALL[alg_index].name(), "enc": ContentEnc::ALL[enc_index].name(),
            "p2s": URL_SAFE_NO_PAD.encode([9u8; 8]), "p2c": 1000,
        });
        let token = [
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
            URL_SAFE_NO_PAD.encode(key), URL_SAFE_NO_PAD.encode(iv),
            URL_SAFE_NO_PAD.encode(ct), URL_SAFE_NO_PAD.encode(tag),
        ].join(".");
        let result = jwe::decrypt(b"secret", &token, &Default::default());
        prop_assert!(result.is_err());
    }

    /// With the right password the key unwraps, so hostile IVs, ciphertexts and tags reach the
    /// content decryption of every algorithm.
    #[test]
    fn content_decryption_never_panics_with_the_right_key(
        enc_index in 0usize..6,
        iv in proptest::collection::vec(any::<u8>(), 1..40),
        ct in proptest::collection::vec(any::<u8>(), 0..80),
        tag in proptest::collection::vec(any::<u8>(), 1..80),
    ) {
        let token = jwe::encrypt(
            b"secret",
            &params(KeyAlg::Pbes2Hs256A128Kw, ContentEnc::ALL[enc_index]),
            &Header::new(),
            b"payload",
        ).unwrap();
        let hostile = with_part(&with_part(&with_part(&token, 2, &iv), 3, &ct), 4, &tag);
        prop_assert!(jwe::decrypt(b"secret", &hostile, &Default::default()).is_err());
    }
}
