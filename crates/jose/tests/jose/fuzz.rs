//! Random and mutated input thrown at compact parsing and decryption: nothing panics, nothing
//! hangs, and a token that was changed in any way never opens. `hostile.rs` already covers
//! arbitrary strings and random parts under a fixed valid header; these cover edits of real
//! tokens, random headers under random caller bounds, and arbitrary header bytes.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jose::{ContentEnc, Error, Header, JwsAlg, KeyAlg, jwe, jws};
use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};

use crate::{FAST_ITERATIONS, broker_like_header, params};

const PASSWORD: &[u8] = b"secret";
const PLAINTEXT: &[u8] = b"{\"sub\":\"chat-1\",\"role\":\"host\"}";
const JWS_KEY: [u8; 64] = [7; 64];

/// Each case runs in a child process killed after `timeout` ms, so a hang fails the test
/// instead of stalling CI; a case here takes milliseconds. No regressions file is written
/// beside the sources: a failure prints its minimal input.
fn config(cases: u32) -> Config {
    Config {
        // `PROPTEST_CASES` still runs more (or fewer) cases, to search deeper than CI does.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(cases),
        timeout: 10_000,
        max_shrink_time: 60_000,
        failure_persistence: None,
        ..Config::default()
    }
}

/// One real token per algorithm pair, made once: every pair parses and unwraps differently.
fn tokens() -> &'static [String] {
    static TOKENS: OnceLock<Vec<String>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        let mut tokens = Vec::new();
        for alg in KeyAlg::ALL {
            for enc in ContentEnc::ALL {
                tokens.push(
                    jwe::encrypt(
                        PASSWORD,
                        &params(*alg, *enc),
                        &broker_like_header(),
                        PLAINTEXT,
                    )
                    .unwrap(),
                );
            }
        }
        tokens
    })
}

/// Only the count the tokens were made with: a mutated `p2c` is refused, never derived with.
fn fast_policy() -> jwe::DecryptPolicy {
    jwe::DecryptPolicy {
        iterations: FAST_ITERATIONS..=FAST_ITERATIONS,
        ..Default::default()
    }
}

/// One edit of a token's characters; positions are taken modulo the length at the time.
#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    /// Swaps two characters: the same letters, another token.
    Swap(usize, usize),
}

/// Characters a mutation writes: mostly base64url (so edits get past decoding), plus the
/// separator, padding, and characters no compact form holds.
fn edit_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
                .chars()
                .collect::<Vec<_>>()
        ),
        1 => proptest::sample::select(vec!['.', '=', '+', '/', ' ', '\0', 'é', '\u{10FFFF}']),
        1 => any::<char>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<usize>(), edit_char()).prop_map(|(at, c)| Edit::Replace(at, c)),
        2 => (any::<usize>(), edit_char()).prop_map(|(at, c)| Edit::Insert(at, c)),
        2 => any::<usize>().prop_map(Edit::Delete),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
    ]
}

/// Applies `edits` to `token`; characters, not bytes, so inserted non-ASCII stays whole.
fn mutate(token: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    for edit in edits {
        let len = chars.len();
        match *edit {
            Edit::Replace(at, c) if len > 0 => chars[at % len] = c,
            Edit::Insert(at, c) => chars.insert(at % (len + 1), c),
            Edit::Delete(at) if len > 0 => {
                chars.remove(at % len);
            }
            Edit::Truncate(at) => chars.truncate(at % (len + 1)),
            Edit::Swap(a, b) if len > 0 => chars.swap(a % len, b % len),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Unpadded base64url, as every part of a compact token is written.
fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JSON value of bounded depth and size, for header members and whole headers.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::vec((".{0,8}", inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// An `alg` or `enc` member: one of the names this crate knows, a near miss, or any JSON.
fn name_member(known: Vec<&'static str>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        20 => proptest::sample::select(known).prop_map(|name| Some(Value::from(name))),
        1 => Just(None),
        2 => "[A-Za-z0-9+-]{0,24}".prop_map(|name| Some(Value::from(name))),
        1 => json_value().prop_map(Some),
    ]
}

/// A `p2c`: counts around the bounds, counts far beyond them (the ones that would hang a
/// decrypter that derived first), and values that are no count at all.
fn p2c_member() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        12 => (900u64..2100).prop_map(|n| Some(Value::from(n))),
        2 => any::<u64>().prop_map(|n| Some(Value::from(n))),
        1 => proptest::sample::select(vec![
            u64::from(u32::MAX),
            u64::from(u32::MAX) + 1,
            u64::MAX,
            2_147_483_647,
        ])
        .prop_map(|n| Some(Value::from(n))),
        1 => any::<i64>().prop_map(|n| Some(Value::from(n))),
        1 => any::<f64>().prop_map(|n| Some(Value::from(n))),
        1 => Just(Some(json!("1000"))),
        1 => Just(None),
        1 => json_value().prop_map(Some),
    ]
}

/// A `p2s`: valid base64url of any length around the bounds, text that is not base64url, or
/// any JSON.
fn p2s_member() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        12 => proptest::collection::vec(any::<u8>(), 8..=128)
            .prop_map(|salt| Some(Value::from(b64(&salt)))),
        2 => proptest::collection::vec(any::<u8>(), 0..200)
            .prop_map(|salt| Some(Value::from(b64(&salt)))),
        1 => ".{0,40}".prop_map(|text| Some(Value::from(text))),
        1 => Just(None),
        1 => json_value().prop_map(Some),
    ]
}

/// A protected header with the PBES2 members drawn above, in a random order among random others
/// (sometimes `crit` or `zip`, which must be refused).
fn hostile_header() -> impl Strategy<Value = Header> {
    let algs: Vec<&'static str> = KeyAlg::ALL.iter().map(|a| a.name()).collect();
    let encs: Vec<&'static str> = ContentEnc::ALL.iter().map(|e| e.name()).collect();
    (
        name_member(algs),
        name_member(encs),
        p2c_member(),
        p2s_member(),
        proptest::collection::vec(
            (
                prop_oneof![
                    8 => "[a-z]{1,6}",
                    1 => Just("crit".to_owned()),
                    1 => Just("zip".to_owned()),
                ],
                json_value(),
            ),
            0..3,
        ),
        any::<bool>(),
    )
        .prop_map(|(alg, enc, p2c, p2s, others, others_first)| {
            let mut header = Header::new();
            let owned = [("alg", alg), ("enc", enc), ("p2c", p2c), ("p2s", p2s)];
            let owned = owned
                .into_iter()
                .filter_map(|(name, value)| Some((name.to_owned(), value?)));
            // A name drawn twice keeps its first value.
            let members: Vec<(String, Value)> = if others_first {
                others.into_iter().chain(owned).collect()
            } else {
                owned.chain(others).collect()
            };
            for (name, value) in members {
                header.entry(name).or_insert(value);
            }
            header
        })
}

/// A caller's bounds: at most 2000 iterations, so no case derives for long. Mostly the default
/// salt bounds over 1000..=2000 (so many cases get as far as deriving a key), else random
/// ranges, empty ones included, which refuse everything.
fn policy() -> impl Strategy<Value = jwe::DecryptPolicy> {
    prop_oneof![
        3 => Just(jwe::DecryptPolicy {
            iterations: 1000..=2000,
            salt_input_len: jwe::DEFAULT_SALT_INPUT_LEN,
        }),
        1 => (0u32..=2000, 0u32..=2000, 0usize..=160, 0usize..=160).prop_map(|(a, b, c, d)| {
            jwe::DecryptPolicy {
                iterations: a..=b,
                salt_input_len: c..=d,
            }
        }),
    ]
}

/// The four parts after the header: random bytes of lengths near what the algorithms take, or
/// text that is not base64url.
fn body_part() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..72).prop_map(|bytes| b64(&bytes)),
        1 => ".{0,16}".prop_map(|text| text.replace('.', "")),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Replaced, inserted, deleted, swapped characters and truncations of real tokens of every
    /// algorithm pair: each is refused with an error, and only the untouched token opens.
    #[test]
    fn edited_real_tokens_never_open_and_never_panic(
        which in 0usize..KeyAlg::ALL.len() * ContentEnc::ALL.len(),
        edits in proptest::collection::vec(edit(), 1..5),
    ) {
        let token = &tokens()[which];
        let mutated = mutate(token, &edits);
        let _ = jwe::unverified_header(&mutated);
        let result = jwe::decrypt(PASSWORD, &mutated, &fast_policy());
        if &mutated == token {
            prop_assert_eq!(result.unwrap().plaintext, PLAINTEXT);
        } else {
            prop_assert!(result.is_err(), "an edited token opened: {mutated}");
        }
    }

    /// A protected header that is arbitrary bytes or any JSON value (not only objects), with
    /// parts of any characters: both entry points return, and the header reads only when it is
    /// a JSON object.
    #[test]
    fn arbitrary_header_bytes_and_json_never_panic(
        header in prop_oneof![
            proptest::collection::vec(any::<u8>(), 0..120),
            json_value().prop_map(|value| serde_json::to_vec(&value).unwrap()),
        ],
        parts in proptest::collection::vec(".{0,24}", 4),
    ) {
        let token = format!("{}.{}", b64(&header), parts.join("."));
        let read = jwe::unverified_header(&token);
        if token.split('.').count() == 5 {
            let is_object = serde_json::from_slice::<Value>(&header).is_ok_and(|v| v.is_object());
            prop_assert_eq!(read.is_ok(), is_object);
        } else {
            prop_assert!(read.is_err());
        }
        prop_assert!(jwe::decrypt(PASSWORD, &token, &fast_policy()).is_err());
    }

    /// The same edits on a signed token: only the untouched token verifies.
    #[test]
    fn edited_jws_never_verifies_and_never_panics(
        alg in proptest::sample::select(JwsAlg::ALL.to_vec()),
        edits in proptest::collection::vec(edit(), 1..5),
    ) {
        let token = jws::sign(alg, &JWS_KEY, &Header::new(), PLAINTEXT).unwrap();
        let mutated = mutate(&token, &edits);
        let result = jws::verify(&JWS_KEY, &mutated, JwsAlg::ALL);
        if mutated == token {
            prop_assert_eq!(result.unwrap().payload, PLAINTEXT);
        } else {
            prop_assert!(result.is_err(), "an edited JWS verified: {mutated}");
        }
    }
}

proptest! {
    // Cheap cases, most refused early: more of them so that a fair share reaches key derivation.
    #![proptest_config(config(512))]

    /// Random headers (any `alg`, `enc`, `p2c`, `p2s`, extra members, any order) under random
    /// caller bounds: decryption returns an error, never panics, and a key is derived (the only
    /// way to reach `DecryptionFailed`) only for a count and salt inside the caller's bounds.
    #[test]
    fn random_headers_are_refused_and_derive_only_within_the_callers_bounds(
        header in hostile_header(),
        policy in policy(),
        parts in proptest::collection::vec(body_part(), 4),
    ) {
        let protected = b64(&serde_json::to_vec(&header).unwrap());
        let token = format!("{protected}.{}", parts.join("."));
        prop_assert!(jwe::unverified_header(&token).is_ok());
        let result = jwe::decrypt(PASSWORD, &token, &policy);
        prop_assert!(result.is_err(), "a random token opened: {token}");
        if result == Err(Error::DecryptionFailed) {
            let count = header["p2c"].as_u64().unwrap();
            prop_assert!(u32::try_from(count).is_ok_and(|n| policy.iterations.contains(&n)));
            let salt = URL_SAFE_NO_PAD.decode(header["p2s"].as_str().unwrap()).unwrap();
            prop_assert!(policy.salt_input_len.contains(&salt.len()));
        }
        if let Err(Error::IterationsOutOfBounds { got, .. }) = result {
            prop_assert!(!u32::try_from(got).is_ok_and(|n| policy.iterations.contains(&n)));
        }
    }
}
