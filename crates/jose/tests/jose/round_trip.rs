use jose::{ContentEnc, Header, JwsAlg, KeyAlg, jwe, jws};

use crate::{FAST_ITERATIONS, broker_like_header, params};

#[test]
fn every_alg_and_enc_pair_round_trips_and_keeps_the_header_order() {
    let plaintext = "a JWT, or anything: \u{1F4F9} \"quoted\" \\ back".as_bytes();
    for &alg in KeyAlg::ALL {
        for &enc in ContentEnc::ALL {
            let token = jwe::encrypt(
                b"broker secret",
                &params(alg, enc),
                &broker_like_header(),
                plaintext,
            )
            .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
            let opened = jwe::decrypt(b"broker secret", &token, &Default::default())
                .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
            assert_eq!(opened.plaintext, plaintext, "{alg} {enc}");
            assert_eq!((opened.alg, opened.enc), (alg, enc));
            let keys: Vec<&str> = opened.header.keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                ["p2s", "p2c", "aud", "iss", "cty", "enc", "alg"],
                "{alg} {enc}"
            );
            assert_eq!(opened.header["alg"], alg.name());
            assert_eq!(opened.header["enc"], enc.name());
            assert_eq!(opened.header["p2c"], FAST_ITERATIONS);
        }
    }
}

#[test]
fn empty_plaintext_round_trips() {
    for &enc in ContentEnc::ALL {
        let token = jwe::encrypt(
            b"pw",
            &params(KeyAlg::Pbes2Hs256A128Kw, enc),
            &Header::new(),
            b"",
        )
        .unwrap();
        assert_eq!(
            jwe::decrypt(b"pw", &token, &Default::default())
                .unwrap()
                .plaintext,
            b""
        );
    }
}

#[test]
fn random_params_stay_within_their_ranges_and_differ_between_links() {
    let a = jwe::Pbes2Params::random(jwe::DEFAULT_SALT_INPUT_LEN, jwe::DEFAULT_ITERATIONS).unwrap();
    let b = jwe::Pbes2Params::random(jwe::DEFAULT_SALT_INPUT_LEN, jwe::DEFAULT_ITERATIONS).unwrap();
    for p in [&a, &b] {
        assert!((8..=128).contains(&p.salt_input.len()));
        assert!((1000..=32767).contains(&p.iterations));
    }
    assert_ne!(a.salt_input, b.salt_input);
    let fixed = jwe::Pbes2Params::random(21..=21, 13602..=13602).unwrap();
    assert_eq!((fixed.salt_input.len(), fixed.iterations), (21, 13602));
}

#[test]
fn two_encryptions_of_one_plaintext_differ() {
    let p = params(KeyAlg::Pbes2Hs512A256Kw, ContentEnc::A256Gcm);
    let one = jwe::encrypt(b"pw", &p, &Header::new(), b"same").unwrap();
    let two = jwe::encrypt(b"pw", &p, &Header::new(), b"same").unwrap();
    assert_ne!(one, two, "fresh CEK and IV per token");
}

#[test]
fn every_jws_alg_round_trips_and_refuses_algs_not_allowed() {
    let key = [42u8; 64];
    let mut header = Header::new();
    header.insert("typ".into(), "JWT".into());
    for &alg in JwsAlg::ALL {
        let token = jws::sign(alg, &key, &header, br#"{"sub":"x"}"#).unwrap();
        let keys: Vec<String> = jwe_free_header_keys(&token);
        assert_eq!(keys, ["alg", "typ"]);
        let verified = jws::verify(&key, &token, &[alg]).unwrap();
        assert_eq!(verified.payload, br#"{"sub":"x"}"#);
        let others: Vec<JwsAlg> = JwsAlg::ALL.iter().copied().filter(|a| *a != alg).collect();
        assert_eq!(
            jws::verify(&key, &token, &others).unwrap_err(),
            jose::Error::AlgNotAllowed(alg.name().into())
        );
    }
}

#[test]
fn jws_keys_shorter_than_the_hash_are_refused() {
    let err = jws::sign(JwsAlg::Hs512, &[1u8; 63], &Header::new(), b"x").unwrap_err();
    assert_eq!(
        err,
        jose::Error::KeyTooShort {
            alg: "HS512",
            min: 64,
            got: 63
        }
    );
}

fn jwe_free_header_keys(token: &str) -> Vec<String> {
    use base64::Engine;
    let first = token.split('.').next().unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(first)
        .unwrap();
    let header: Header = serde_json::from_slice(&bytes).unwrap();
    header.keys().cloned().collect()
}
