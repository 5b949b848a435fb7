use jose::{JwsAlg, jwe, jws};

use crate::test_vectors::{rfc7520_4_4, rfc7520_5_3};

fn b64(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

#[test]
fn section_5_3_pbes2_hs512_a256kw_with_a128cbc_hs256_decrypts() {
    let v = rfc7520_5_3();
    let opened = jwe::decrypt(
        v.password.as_bytes(),
        v.compact,
        &jwe::DecryptPolicy::default(),
    )
    .unwrap();
    assert_eq!(std::str::from_utf8(&opened.plaintext).unwrap(), v.plaintext);
    assert_eq!(opened.alg, jose::KeyAlg::Pbes2Hs512A256Kw);
    assert_eq!(opened.enc, jose::ContentEnc::A128CbcHs256);
    let keys: Vec<&str> = opened.header.keys().map(String::as_str).collect();
    assert_eq!(keys, ["alg", "p2s", "p2c", "cty", "enc"]);
    assert_eq!(opened.header["p2c"], 8192);
}

#[test]
fn section_5_3_with_a_wrong_password_fails_like_tampering() {
    let v = rfc7520_5_3();
    let err = jwe::decrypt(
        b"entrap_o-peter_long-credit_tun",
        v.compact,
        &Default::default(),
    )
    .unwrap_err();
    assert_eq!(err, jose::Error::DecryptionFailed);
}

#[test]
fn section_4_4_hs256_signature_is_reproduced_and_verifies() {
    let v = rfc7520_4_4();
    let key = b64(v.key);
    let mut header = jose::Header::new();
    header.insert("alg".into(), serde_json::Value::Null);
    header.insert("kid".into(), v.kid.into());
    let signed = jws::sign(JwsAlg::Hs256, &key, &header, v.payload.as_bytes()).unwrap();
    assert_eq!(signed, v.compact);

    let verified = jws::verify(&key, v.compact, &[JwsAlg::Hs256]).unwrap();
    assert_eq!(verified.payload, v.payload.as_bytes());
    assert_eq!(verified.header["kid"], v.kid);
}
