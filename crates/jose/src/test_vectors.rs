//! Published test vectors, shared by unit tests and `tests/` (included there by path).
#![allow(dead_code)]

/// RFC 7520 §5.3: PBES2-HS512+A256KW with A128CBC-HS256, made by another implementation.
pub struct Rfc7520Pbes2 {
    pub password: &'static str,
    pub plaintext: &'static str,
    pub p2s: &'static str,
    pub p2c: u32,
    pub cek: &'static str,
    pub iv: &'static str,
    pub compact: &'static str,
}

pub fn rfc7520_5_3() -> Rfc7520Pbes2 {
    Rfc7520Pbes2 {
        // The en dashes are U+2013, as in the RFC.
        password: "entrap_o\u{2013}peter_long\u{2013}credit_tun",
        plaintext: concat!(
            r#"{"keys":[{"kty":"oct","kid":"77c7e2b8-6e13-45cf-8672-617b5b45243a","use":"enc","alg":"A128GCM","k":"XctOhJAkA-pD9Lh7ZgW_2A"},"#,
            r#"{"kty":"oct","kid":"81b20965-8332-43d9-a468-82160ad91ac8","use":"enc","alg":"A128KW","k":"GZy6sIZ6wl9NJOKB-jnmVQ"},"#,
            r#"{"kty":"oct","kid":"18ec08e1-bfa9-4d95-b205-2b4dd1d4321d","use":"enc","alg":"A256GCMKW","k":"qC57l_uxcm7Nm3K-ct4GFjx8tM1U8CZ0NLBvdQstiS8"}]}"#,
        ),
        p2s: "8Q1SzinasR3xchYz6ZZcHA",
        p2c: 8192,
        cek: "uwsjJXaBK407Qaf0_zpcpmr1Cs0CC50hIUEyGNEt3m0",
        iv: "VBiCzVHNoLiR3F4V82uoTQ",
        compact: concat!(
            "eyJhbGciOiJQQkVTMi1IUzUxMitBMjU2S1ciLCJwMnMiOiI4UTFTemluYXNSM3hjaFl6NlpaY0hBIiwicDJjIjo4MTkyLCJjdHkiOiJqd2stc2V0K2pzb24iLCJlbmMiOiJBMTI4Q0JDLUhTMjU2In0",
            ".d3qNhUWfqheyPp4H8sjOWsDYajoej4c5Je6rlUtFPWdgtURtmeDV1g",
            ".VBiCzVHNoLiR3F4V82uoTQ",
            ".23i-Tb1AV4n0WKVSSgcQrdg6GRqsUKxjruHXYsTHAJLZ2nsnGIX86vMXqIi6IRsfywCRFzLxEcZBRnTvG3nhzPk0GDD7FMyXhUHpDjEYCNA_XOmzg8yZR9oyjo6lTF6si4q9FZ2EhzgFQCLO_6h5EVg3vR75_hkBsnuoqoM3dwejXBtIodN84PeqMb6asmas_dpSsz7H10fC5ni9xIz424givB1YLldF6exVmL93R3fOoOJbmk2GBQZL_SEGllv2cQsBgeprARsaQ7Bq99tT80coH8ItBjgV08AtzXFFsx9qKvC982KLKdPQMTlVJKkqtV4Ru5LEVpBZXBnZrtViSOgyg6AiuwaS-rCrcD_ePOGSuxvgtrokAKYPqmXUeRdjFJwafkYEkiuDCV9vWGAi1DH2xTafhJwcmywIyzi4BqRpmdn_N-zl5tuJYyuvKhjKv6ihbsV_k1hJGPGAxJ6wUpmwC4PTQ2izEm0TuSE8oMKdTw8V3kobXZ77ulMwDs4p",
            ".0HlwodAhOCILG5SQ2LQ9dg",
        ),
    }
}

/// RFC 7520 §4.4: HS256 over the "Frodo" payload with the symmetric key of Figure 5.
pub struct Rfc7520Hmac {
    pub key: &'static str,
    pub kid: &'static str,
    pub payload: &'static str,
    pub compact: &'static str,
}

pub fn rfc7520_4_4() -> Rfc7520Hmac {
    Rfc7520Hmac {
        key: "hJtXIZ2uSN5kbQfbtTNWbpdmhkV8FJG-Onbc6mxCcYg",
        kid: "018c0ae5-4d9b-471b-bfd6-eef314bc7037",
        // U+2019 apostrophes, as in the RFC.
        payload: "It\u{2019}s a dangerous business, Frodo, going out your door. You step onto the road, and if you don't keep your feet, there\u{2019}s no knowing where you might be swept off to.",
        compact: concat!(
            "eyJhbGciOiJIUzI1NiIsImtpZCI6IjAxOGMwYWU1LTRkOWItNDcxYi1iZmQ2LWVlZjMxNGJjNzAzNyJ9",
            ".SXTigJlzIGEgZGFuZ2Vyb3VzIGJ1c2luZXNzLCBGcm9kbywgZ29pbmcgb3V0IHlvdXIgZG9vci4gWW91IHN0ZXAgb250byB0aGUgcm9hZCwgYW5kIGlmIHlvdSBkb24ndCBrZWVwIHlvdXIgZmVldCwgdGhlcmXigJlzIG5vIGtub3dpbmcgd2hlcmUgeW91IG1pZ2h0IGJlIHN3ZXB0IG9mZiB0by4",
            ".s0h6KThzkfBBBkLspW1h84VsJZFTsPPqMDA7g1Md7p0",
        ),
    }
}
