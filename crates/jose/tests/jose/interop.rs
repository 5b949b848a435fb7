//! josekit (OpenSSL underneath) is an independent implementation: what `jose` makes, it must
//! open, and what it makes, `jose` must open, for every algorithm pair.

use jose::{ContentEnc, Header, JwsAlg, KeyAlg, jwe, jws};
use josekit::jwe::{JweHeader, PBES2_HS256_A128KW, PBES2_HS384_A192KW, PBES2_HS512_A256KW};
use josekit::jws::{HS256, HS384, HS512, JwsHeader};

use crate::{broker_like_header, params};

const PASSWORD: &[u8] = b"the broker's secret \xE2\x9C\x93";

fn josekit_alg(alg: KeyAlg) -> josekit::jwe::alg::pbes2_hmac_aeskw::Pbes2HmacAeskwJweAlgorithm {
    match alg {
        KeyAlg::Pbes2Hs256A128Kw => PBES2_HS256_A128KW,
        KeyAlg::Pbes2Hs384A192Kw => PBES2_HS384_A192KW,
        KeyAlg::Pbes2Hs512A256Kw => PBES2_HS512_A256KW,
    }
}

fn josekit_hmac(alg: JwsAlg) -> josekit::jws::alg::hmac::HmacJwsAlgorithm {
    match alg {
        JwsAlg::Hs256 => HS256,
        JwsAlg::Hs384 => HS384,
        JwsAlg::Hs512 => HS512,
    }
}

#[test]
fn josekit_decrypts_what_jose_encrypts() {
    for &alg in KeyAlg::ALL {
        let decrypter = josekit_alg(alg).decrypter_from_bytes(PASSWORD).unwrap();
        for &enc in ContentEnc::ALL {
            let token = jwe::encrypt(
                PASSWORD,
                &params(alg, enc),
                &broker_like_header(),
                b"made by jose",
            )
            .unwrap();
            let (payload, header) = josekit::jwe::deserialize_compact(&token, &decrypter)
                .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
            assert_eq!(payload, b"made by jose", "{alg} {enc}");
            assert_eq!(header.content_encryption(), Some(enc.name()));
            assert_eq!(
                header.claim("iss").and_then(|v| v.as_str()),
                Some("1eb65fdf-9643-417f-9974-ad72cae0e10f")
            );
        }
    }
}

#[test]
fn jose_decrypts_what_josekit_encrypts() {
    for &alg in KeyAlg::ALL {
        let mut encrypter = josekit_alg(alg).encrypter_from_bytes(PASSWORD).unwrap();
        encrypter.set_iter_count(1000);
        encrypter.set_salt_len(16);
        for &enc in ContentEnc::ALL {
            let mut header = JweHeader::new();
            header.set_content_encryption(enc.name());
            header.set_content_type("JWT");
            let token = josekit::jwe::serialize_compact(b"made by josekit", &header, &encrypter)
                .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
            let opened = jwe::decrypt(PASSWORD, &token, &Default::default())
                .unwrap_or_else(|e| panic!("{alg} {enc}: {e}"));
            assert_eq!(opened.plaintext, b"made by josekit");
            assert_eq!((opened.alg, opened.enc), (alg, enc));
        }
    }
}

#[test]
fn hmac_signatures_agree_both_ways() {
    let key = [0x5Au8; 64];
    for &alg in JwsAlg::ALL {
        let ours = jws::sign(alg, &key, &Header::new(), b"{\"sub\":\"visit-1\"}").unwrap();
        let verifier = josekit_hmac(alg).verifier_from_bytes(key).unwrap();
        let (payload, _) = josekit::jws::deserialize_compact(&ours, &verifier).unwrap();
        assert_eq!(payload, b"{\"sub\":\"visit-1\"}");

        let signer = josekit_hmac(alg).signer_from_bytes(key).unwrap();
        let theirs =
            josekit::jws::serialize_compact(b"{\"sub\":\"visit-2\"}", &JwsHeader::new(), &signer)
                .unwrap();
        assert_eq!(
            jws::verify(&key, &theirs, &[alg]).unwrap().payload,
            b"{\"sub\":\"visit-2\"}"
        );
    }
}
