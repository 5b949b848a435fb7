//! Algorithm identifiers, each with its registered name and the sizes it implies.

use std::fmt;
use std::str::FromStr;

/// A name that is not one of an algorithm family's registered names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}`, expected one of {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    /// The registered names, as "`A`, `B`, `C`".
    pub expected: String,
}

/// Declares an algorithm enum with its registered names, `Display`, `FromStr` and serde
/// support, so that every identifier is spelled exactly once.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $(#[doc = concat!("`", $text, "`")] $variant),+
        }

        impl $name {
            /// Every supported value, in registration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The registered name, as written in a header or a request.
            pub const fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The value with this registered name (case-sensitive, as the RFCs are).
            pub fn from_name(name: &str) -> Option<Self> {
                match name { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The registered names joined for error messages: "`A`, `B`, `C`".
            pub fn expected() -> String {
                Self::ALL.iter().map(|v| format!("`{}`", v.name())).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                Self::from_name(s).ok_or_else(|| UnknownName {
                    what: $what,
                    name: s.to_owned(),
                    expected: Self::expected(),
                })
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

named_enum!(
    /// JWE key management: PBES2 with HMAC-SHA2 and AES key wrap (RFC 7518 §4.8).
    KeyAlg, "key management algorithm" {
        Pbes2Hs256A128Kw => "PBES2-HS256+A128KW",
        Pbes2Hs384A192Kw => "PBES2-HS384+A192KW",
        Pbes2Hs512A256Kw => "PBES2-HS512+A256KW",
    }
);

named_enum!(
    /// JWE content encryption (RFC 7518 §5).
    ContentEnc, "content encryption" {
        A128Gcm => "A128GCM",
        A192Gcm => "A192GCM",
        A256Gcm => "A256GCM",
        A128CbcHs256 => "A128CBC-HS256",
        A192CbcHs384 => "A192CBC-HS384",
        A256CbcHs512 => "A256CBC-HS512",
    }
);

named_enum!(
    /// JWS with HMAC (RFC 7518 §3.2).
    JwsAlg, "signature algorithm" {
        Hs256 => "HS256",
        Hs384 => "HS384",
        Hs512 => "HS512",
    }
);

impl KeyAlg {
    /// Length of the AES key-encryption key PBKDF2 derives.
    pub(crate) const fn kek_len(self) -> usize {
        match self {
            KeyAlg::Pbes2Hs256A128Kw => 16,
            KeyAlg::Pbes2Hs384A192Kw => 24,
            KeyAlg::Pbes2Hs512A256Kw => 32,
        }
    }
}

impl ContentEnc {
    /// Length of the content encryption key; the CBC-HMAC forms carry MAC key || AES key.
    pub(crate) const fn cek_len(self) -> usize {
        match self {
            ContentEnc::A128Gcm => 16,
            ContentEnc::A192Gcm => 24,
            ContentEnc::A256Gcm => 32,
            ContentEnc::A128CbcHs256 => 32,
            ContentEnc::A192CbcHs384 => 48,
            ContentEnc::A256CbcHs512 => 64,
        }
    }

    pub(crate) const fn iv_len(self) -> usize {
        match self {
            ContentEnc::A128Gcm | ContentEnc::A192Gcm | ContentEnc::A256Gcm => 12,
            _ => 16,
        }
    }
}

impl JwsAlg {
    /// RFC 7518 §3.2: the key must be at least as long as the hash output.
    pub(crate) const fn min_key_len(self) -> usize {
        match self {
            JwsAlg::Hs256 => 32,
            JwsAlg::Hs384 => 48,
            JwsAlg::Hs512 => 64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_choices() {
        for alg in KeyAlg::ALL {
            assert_eq!(alg.name().parse::<KeyAlg>().unwrap(), *alg);
        }
        for enc in ContentEnc::ALL {
            assert_eq!(enc.to_string().parse::<ContentEnc>().unwrap(), *enc);
        }
        let err = "HS257".parse::<JwsAlg>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown signature algorithm `HS257`, expected one of `HS256`, `HS384`, `HS512`"
        );
        assert!(
            "pbes2-hs512+a256kw".parse::<KeyAlg>().is_err(),
            "names are case-sensitive"
        );
    }

    #[test]
    fn serde_uses_registered_names() {
        let json = serde_json::to_string(&ContentEnc::A128CbcHs256).unwrap();
        assert_eq!(json, "\"A128CBC-HS256\"");
        let back: ContentEnc = serde_json::from_str(&json).unwrap();
        assert_eq!(back, ContentEnc::A128CbcHs256);
        assert!(serde_json::from_str::<KeyAlg>("\"dir\"").is_err());
    }
}
