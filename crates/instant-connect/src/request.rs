//! Request bodies: what a caller may send, and [`LinkRequest::validate`] which applies the
//! documented defaults and rules and yields a [`LinkPlan`].
//!
//! Optional fields are `Option`s so that a request carries only what its sender set; the
//! broker, not the sender, fills in defaults (this is how the wire works).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::validation::{Collector, parse_json};
use crate::{
    AUDIENCE, ContentEnc, DEFAULT_LINK_LIFETIME_SECS, JwsAlg, KeyAlg, MAX_LINKS_PER_REQUEST,
    ValidationErrors,
};

/// Above this a time can only be milliseconds (10^11 seconds is the year 5138).
const MILLISECONDS_THRESHOLD: i64 = 100_000_000_000;
const MAX_SUB_BYTES: usize = 1024;

/// Body of `POST /api/v2/joseencrypt` and `/api/v1/joseencrypt`.
///
/// Unknown top-level fields are ignored, as a tolerant server does; unknown claims inside `jwt`
/// are refused, since a claim there would be silently missing from every link (the guide's
/// example spells `Nbf`/`Exp` with capitals, in milliseconds: a trap worth a clear error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkRequest {
    pub aud: String,
    pub jwt: Claims,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_host: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_guest: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub provide_short_urls: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical_type: Option<Vertical>,
    #[serde(
        default,
        deserialize_with = "lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub login_url_for_host: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwe_alg: Option<KeyAlg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enc: Option<ContentEnc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jws_alg: Option<JwsAlg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub salt_length: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<i64>,
}

/// The claims of the links: `jwt` in the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claims {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
}

/// Device auto-join: `{"id": "sip-no-knock", "data": [{"uri": "sip:..."}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    pub id: FlowId,
    #[serde(default)]
    pub data: Vec<FlowData>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FlowId {
    #[serde(rename = "sip-no-knock")]
    SipNoKnock,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowData {
    pub uri: String,
}

/// The wording of join pages and short links: healthcare (`hc`, the default) or general.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vertical {
    #[default]
    Hc,
    Gen,
}

impl Vertical {
    pub const fn as_str(self) -> &'static str {
        match self {
            Vertical::Hc => "hc",
            Vertical::Gen => "gen",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "hc" => Some(Vertical::Hc),
            "gen" => Some(Vertical::Gen),
            _ => None,
        }
    }
}

impl fmt::Display for Vertical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Vertical {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::from_name(s).ok_or_else(|| format!("unknown vertical `{s}`, expected `hc` or `gen`"))
    }
}

/// A validated request with every default applied: what the broker mints.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkPlan {
    pub sub: String,
    pub nbf: Option<i64>,
    pub exp: i64,
    pub flow: Option<Flow>,
    pub num_host: usize,
    pub num_guest: usize,
    pub short_urls: bool,
    pub vertical: Vertical,
    pub login_url_for_host: bool,
    pub jwe_alg: KeyAlg,
    pub enc: ContentEnc,
    pub jws_alg: JwsAlg,
    /// `None`: the broker picks one at random per link.
    pub salt_length: Option<usize>,
    /// `None`: the broker picks one at random per link.
    pub iterations: Option<u32>,
}

impl LinkRequest {
    /// A request for one host and one guest link of meeting `sub`, everything else default.
    pub fn new(sub: impl Into<String>) -> Self {
        Self {
            aud: AUDIENCE.to_owned(),
            jwt: Claims {
                sub: sub.into(),
                ..Claims::default()
            },
            num_host: None,
            num_guest: None,
            provide_short_urls: None,
            vertical_type: None,
            login_url_for_host: None,
            jwe_alg: None,
            enc: None,
            jws_alg: None,
            salt_length: None,
            iterations: None,
        }
    }

    /// Parses a JSON body; type errors name the field (`numHost`, `jwt.exp`).
    pub fn from_json(body: &[u8]) -> Result<Self, ValidationErrors> {
        parse_json(body)
    }

    /// Checks every rule at time `now` (Unix seconds) and applies the defaults.
    pub fn validate(&self, now: i64) -> Result<LinkPlan, ValidationErrors> {
        let mut c = Collector::default();
        c.check(self.aud == AUDIENCE, "aud", || {
            format!("must be `{AUDIENCE}`")
        });

        let sub = &self.jwt.sub;
        c.check(!sub.trim().is_empty(), "jwt.sub", || {
            "is required and must not be empty".into()
        });
        c.check(sub.len() <= MAX_SUB_BYTES, "jwt.sub", || {
            format!("must be at most {MAX_SUB_BYTES} bytes, got {}", sub.len())
        });

        c.check_range(self.num_host, "numHost", 0, MAX_LINKS_PER_REQUEST);
        c.check_range(self.num_guest, "numGuest", 0, MAX_LINKS_PER_REQUEST);
        let num_host = self.num_host.unwrap_or(1);
        let num_guest = self.num_guest.unwrap_or(1);
        let total = num_host.saturating_add(num_guest);
        c.check(
            (1..=MAX_LINKS_PER_REQUEST).contains(&total),
            "numHost+numGuest",
            || format!("together must be between 1 and {MAX_LINKS_PER_REQUEST}, got {total}"),
        );

        let nbf_ok = check_time(&mut c, "jwt.nbf", self.jwt.nbf);
        let exp_ok = check_time(&mut c, "jwt.exp", self.jwt.exp);
        let exp = self.jwt.exp.unwrap_or(now + DEFAULT_LINK_LIFETIME_SECS);
        if exp_ok {
            c.check(exp > now, "jwt.exp", || {
                format!("must be in the future (now is {now}, got {exp})")
            });
        }
        if let (Some(nbf), true, true) = (self.jwt.nbf, nbf_ok, exp_ok) {
            c.check(nbf < exp, "jwt.nbf", || match self.jwt.exp {
                Some(_) => format!("must be before jwt.exp ({nbf} is not before {exp})"),
                None => format!(
                    "must be before jwt.exp, which defaults to 15 minutes after the request \
                     ({exp}); give jwt.exp for links that start later"
                ),
            });
        }
        if let Some(flow) = &self.jwt.flow {
            for (i, item) in flow.data.iter().enumerate() {
                let uri = item.uri.as_str();
                c.check(
                    uri.starts_with("sip:") || uri.starts_with("sips:"),
                    &format!("jwt.flow.data[{i}].uri"),
                    || "must be a SIP URI (`sip:` or `sips:`)".into(),
                );
            }
        }

        c.check_range(self.salt_length, "saltLength", 8, 128);
        c.check_range(self.iterations, "iterations", 1000, 32767);

        c.finish(LinkPlan {
            sub: sub.clone(),
            nbf: self.jwt.nbf,
            exp,
            flow: self.jwt.flow.clone(),
            num_host: num_host.clamp(0, MAX_LINKS_PER_REQUEST) as usize,
            num_guest: num_guest.clamp(0, MAX_LINKS_PER_REQUEST) as usize,
            short_urls: self.provide_short_urls.unwrap_or(false),
            vertical: self.vertical_type.unwrap_or_default(),
            login_url_for_host: self.login_url_for_host.unwrap_or(true),
            jwe_alg: self.jwe_alg.unwrap_or(KeyAlg::Pbes2Hs512A256Kw),
            enc: self.enc.unwrap_or(ContentEnc::A256Gcm),
            jws_alg: self.jws_alg.unwrap_or(JwsAlg::Hs512),
            salt_length: self.salt_length.map(|n| n.clamp(8, 128) as usize),
            iterations: self.iterations.map(|n| n.clamp(1000, 32767) as u32),
        })
    }
}

/// Unix seconds, not negative and not milliseconds. Returns whether the value is usable.
fn check_time(c: &mut Collector, field: &str, value: Option<i64>) -> bool {
    match value {
        Some(t) if t < 0 => {
            c.fail(
                field,
                format!("must be Unix time in seconds, not negative (got {t})"),
            );
            false
        }
        Some(t) if t > MILLISECONDS_THRESHOLD => {
            c.fail(
                field,
                format!("must be Unix time in seconds; {t} looks like milliseconds"),
            );
            false
        }
        _ => true,
    }
}

/// Accepts `true`/`false` and the strings `"true"`/`"false"` (a public lab sends strings).
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    struct Visitor;
    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = Option<bool>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a boolean, or the string \"true\" or \"false\"")
        }
        fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            match v {
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(E::invalid_value(serde::de::Unexpected::Str(v), &self)),
            }
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_option(Visitor)
}

/// Body of `POST /api/v1/sms/meetingInvite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsInviteRequest {
    pub integration: String,
    pub vertical: String,
    pub org_id: String,
    pub meeting_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_numbers_with_country_code: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mobile_numbers_with_alpha2_country_code: Option<BTreeMap<String, Vec<String>>>,
}

impl SmsInviteRequest {
    /// An invite of E.164 numbers to meeting `sub` of org `org_id`.
    pub fn e164(org_id: impl Into<String>, sub: impl Into<String>, numbers: Vec<String>) -> Self {
        Self {
            integration: "jose".into(),
            vertical: "cc".into(),
            org_id: org_id.into(),
            meeting_id: sub.into(),
            mobile_numbers_with_country_code: Some(numbers),
            mobile_numbers_with_alpha2_country_code: None,
        }
    }

    pub fn from_json(body: &[u8]) -> Result<Self, ValidationErrors> {
        parse_json(body)
    }

    /// Checks the body's own rules (the broker also checks the org and that the meeting exists)
    /// and returns every number as one list, E.164 first, then `<alpha-2>:<national>`.
    pub fn validate(&self) -> Result<Vec<String>, ValidationErrors> {
        let mut c = Collector::default();
        c.check(self.integration == "jose", "integration", || {
            "must be `jose`".into()
        });
        c.check(!self.vertical.trim().is_empty(), "vertical", || {
            "is required (samples send `cc`)".into()
        });
        c.check(!self.org_id.trim().is_empty(), "orgId", || {
            "is required".into()
        });
        c.check(!self.meeting_id.trim().is_empty(), "meetingId", || {
            "is required: the `sub` of the meeting".into()
        });

        let mut numbers = Vec::new();
        for (i, number) in self
            .mobile_numbers_with_country_code
            .iter()
            .flatten()
            .enumerate()
        {
            c.check(is_e164(number), &format!("mobileNumbersWithCountryCode[{i}]"), || {
                format!("must be E.164: `+`, country code and number, 8 to 15 digits (got `{number}`)")
            });
            numbers.push(number.clone());
        }
        for (country, list) in self
            .mobile_numbers_with_alpha2_country_code
            .iter()
            .flatten()
        {
            let field = format!("mobileNumbersWithAlpha2CountryCode.{country}");
            c.check(
                country.len() == 2 && country.bytes().all(|b| b.is_ascii_alphabetic()),
                &field,
                || "keys must be ISO 3166 alpha-2 country codes such as `us`".into(),
            );
            for (i, number) in list.iter().enumerate() {
                c.check(is_national(number), &format!("{field}[{i}]"), || {
                    format!("must be a national number of 4 to 14 digits (got `{number}`)")
                });
                numbers.push(format!("{}:{number}", country.to_ascii_lowercase()));
            }
        }
        c.check(!numbers.is_empty(), "mobileNumbersWithCountryCode", || {
            "at least one number is required here or in mobileNumbersWithAlpha2CountryCode".into()
        });
        c.finish(numbers)
    }
}

fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

fn is_national(number: &str) -> bool {
    (4..=14).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit())
}
