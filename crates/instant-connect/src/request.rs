//! Request bodies: what a caller may send, and [`LinkRequest::validate`] which applies the
//! documented defaults and rules and yields a [`LinkPlan`].
//!
//! Optional fields are `Option`s so that a request carries only what its sender set; the
//! broker, not the sender, fills in defaults (this is how the wire works).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use jose::{ContentEnc, JwsAlg, KeyAlg};

use crate::api::{
    AUDIENCE, DEFAULT_LINK_LIFETIME_SECS, ITERATIONS, MAX_LINKS_PER_REQUEST, SALT_LENGTHS,
};
use crate::validation::{
    Accepted, Collector, FieldError, FieldPath, Segment, ValidationErrors, field_names, parse_json,
};

/// Above this a time can only be milliseconds (10^11 seconds is the year 5138).
pub const MILLISECONDS_THRESHOLD: i64 = 100_000_000_000;
const MAX_SUB_BYTES: usize = 1024;

/// Body of `POST /api/v2/joseencrypt` and `/api/v1/joseencrypt`.
///
/// Fields it does not know, at any depth, are ignored and reported as warnings by
/// [`LinkRequest::from_json`]: production evidently ignores them (public clients send the
/// guide's capitalised `Nbf`/`Exp`), and a caller deserves to hear that a claim it meant to set
/// is missing from every link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkRequest {
    /// Required; `default` lets validation say so by name.
    #[serde(default)]
    pub aud: String,
    #[serde(default)]
    pub jwt: Claims,
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
    pub num_host: Option<i64>,
    #[serde(
        default,
        deserialize_with = "lenient_count",
        skip_serializing_if = "Option::is_none"
    )]
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
pub struct Claims {
    #[serde(default)]
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow: Option<Flow>,
}

/// Device auto-join: `{"id": "sip-no-knock", "data": [{"uri": "room@example.com"}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
pub struct FlowData {
    /// A SIP address: `sip:room@example.com`, or bare as the guide's own example writes it.
    pub uri: String,
}

/// The family of join pages and short links: healthcare (`hc`, the default), general (`gen`),
/// or contact center (`cc`, seen only in a public contact-center flow).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vertical {
    #[default]
    Hc,
    Gen,
    Cc,
}

impl Vertical {
    pub const ALL: [Vertical; 3] = [Vertical::Hc, Vertical::Gen, Vertical::Cc];

    pub const fn as_str(self) -> &'static str {
        match self {
            Vertical::Hc => "hc",
            Vertical::Gen => "gen",
            Vertical::Cc => "cc",
        }
    }

    /// Whether the developer guide names this vertical (`hc` and `gen`; `cc` is only seen).
    pub const fn is_documented(self) -> bool {
        matches!(self, Vertical::Hc | Vertical::Gen)
    }
}

impl fmt::Display for Vertical {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is not a vertical.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown vertical `{0}`, expected `hc`, `gen` or `cc`")]
pub struct UnknownVertical(pub String);

impl std::str::FromStr for Vertical {
    type Err = UnknownVertical;
    fn from_str(s: &str) -> Result<Self, UnknownVertical> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownVertical(s.to_owned()))
    }
}

/// Who a link is for; the role is inside the token, the URL path only mirrors it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Host,
    Guest,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Host, Role::Guest];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Host => "host",
            Role::Guest => "guest",
        }
    }
}

/// A name that is not a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`, expected `host` or `guest`")]
pub struct UnknownRole(pub String);

impl std::str::FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, UnknownRole> {
        Self::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_owned()))
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

    /// Parses a JSON body; type errors name the field (`numHost`, `jwt.exp`). Unknown fields
    /// and booleans written as strings are accepted with a warning each.
    pub fn from_json(body: &[u8]) -> Result<Accepted<Self>, ValidationErrors> {
        let parsed = parse_json::<Self>(body)?;
        let mut warnings: Vec<FieldError> = parsed
            .ignored
            .iter()
            .map(|path| ignored_field(path, &parsed.raw))
            .collect();
        for (name, kind) in [
            ("provideShortUrls", "boolean"),
            ("loginUrlForHost", "boolean"),
            ("numHost", "number"),
            ("numGuest", "number"),
        ] {
            if let Some(Value::String(text)) = parsed.raw.get(name) {
                warnings.push(FieldError::new(
                    name,
                    format!(
                        "is the string \"{text}\"; read as the {kind} {}",
                        text.trim()
                    ),
                ));
            }
        }
        Ok(Accepted::new(parsed.value, warnings))
    }

    /// Checks every rule at time `now` (Unix seconds) and applies the defaults. What breaks a
    /// rule is an error; what production evidently accepts but the guide does not document (a
    /// past `exp`, the `cc` vertical) is accepted with a warning.
    pub fn validate(&self, now: i64) -> Result<Accepted<LinkPlan>, ValidationErrors> {
        let mut c = Collector::default();
        let mut warnings = Vec::new();
        c.check(self.aud == AUDIENCE, "aud", || {
            format!("is required and must be `{AUDIENCE}`")
        });
        if let Some(rule) = sub_problem(&self.jwt.sub) {
            c.fail("jwt.sub", rule);
        }
        let (num_host, num_guest) = self.check_counts(&mut c);
        let (nbf, exp) = self.check_times(&mut c, &mut warnings, now);
        self.check_flow(&mut c);
        let vertical = self.vertical_type.unwrap_or_default();
        if !vertical.is_documented() {
            warnings.push(FieldError::new(
                "verticalType",
                format!(
                    "`{vertical}` is not in the developer guide (`hc`, `gen`); its links open \
                     the /{vertical}/ join pages"
                ),
            ));
        }
        let (salt_length, iterations) = self.check_pbes2(&mut c);
        let plan = c.finish(LinkPlan {
            sub: self.jwt.sub.clone(),
            nbf,
            exp,
            flow: self.jwt.flow.clone(),
            num_host,
            num_guest,
            short_urls: self.provide_short_urls.unwrap_or(false),
            vertical,
            login_url_for_host: self.login_url_for_host.unwrap_or(true),
            jwe_alg: self.jwe_alg.unwrap_or(KeyAlg::Pbes2Hs512A256Kw),
            enc: self.enc.unwrap_or(ContentEnc::A256Gcm),
            jws_alg: self.jws_alg.unwrap_or(JwsAlg::Hs512),
            salt_length,
            iterations,
        })?;
        Ok(Accepted::new(plan, warnings))
    }

    /// Hosts and guests: each 0-25, together 1-25 (default one of each).
    fn check_counts(&self, c: &mut Collector) -> (usize, usize) {
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
        let clamp = |n: i64| n.clamp(0, MAX_LINKS_PER_REQUEST) as usize;
        (clamp(num_host), clamp(num_guest))
    }

    /// `nbf` and `exp`: Unix seconds, `nbf` before `exp`; `exp` defaults to 15 minutes from
    /// `now`, and one already past is accepted with a warning.
    fn check_times(
        &self,
        c: &mut Collector,
        warnings: &mut Vec<FieldError>,
        now: i64,
    ) -> (Option<i64>, i64) {
        let nbf = read_time(c, warnings, "jwt.nbf", self.jwt.nbf);
        let exp_read = read_time(c, warnings, "jwt.exp", self.jwt.exp);
        let exp = match exp_read {
            Time::Seconds(exp) => exp,
            Time::Absent | Time::Invalid => now.saturating_add(DEFAULT_LINK_LIFETIME_SECS),
        };
        if exp_read != Time::Invalid && exp <= now {
            // A "delete the meeting" call sends `exp: 0` and production answers 200.
            warnings.push(FieldError::new(
                "jwt.exp",
                format!(
                    "is not in the future (now is {now}, got {exp}): the links are made \
                     already expired"
                ),
            ));
        } else if let (Time::Seconds(nbf), false) = (nbf, exp_read == Time::Invalid) {
            c.check(nbf < exp, "jwt.nbf", || match exp_read {
                Time::Seconds(_) => {
                    format!("must be before jwt.exp ({nbf} is not before {exp})")
                }
                _ => format!(
                    "must be before jwt.exp, which defaults to 15 minutes after the request \
                     ({exp}); give jwt.exp for links that start later"
                ),
            });
        }
        let nbf = match nbf {
            Time::Seconds(nbf) => Some(nbf),
            Time::Absent | Time::Invalid => None,
        };
        (nbf, exp)
    }

    /// Each device auto-join address must be a SIP address.
    fn check_flow(&self, c: &mut Collector) {
        let Some(flow) = &self.jwt.flow else {
            return;
        };
        for (i, item) in flow.data.iter().enumerate() {
            let uri = item.uri.as_str();
            c.check(
                !uri.is_empty() && !uri.chars().any(|ch| ch.is_whitespace() || ch.is_control()),
                &format!("jwt.flow.data[{i}].uri"),
                || {
                    "must be a SIP address such as `sip:room@example.com` or \
                     `room@example.com`"
                        .into()
                },
            );
        }
    }

    /// The PBES2 salt length and iteration count a request fixes, within the broker's bounds.
    fn check_pbes2(&self, c: &mut Collector) -> (Option<usize>, Option<u32>) {
        let (salt_min, salt_max) = (*SALT_LENGTHS.start(), *SALT_LENGTHS.end());
        let (iter_min, iter_max) = (*ITERATIONS.start(), *ITERATIONS.end());
        c.check_range(
            self.salt_length,
            "saltLength",
            salt_min as i64,
            salt_max as i64,
        );
        c.check_range(
            self.iterations,
            "iterations",
            i64::from(iter_min),
            i64::from(iter_max),
        );
        (
            self.salt_length
                .map(|n| n.clamp(salt_min as i64, salt_max as i64) as usize),
            self.iterations
                .map(|n| n.clamp(i64::from(iter_min), i64::from(iter_max)) as u32),
        )
    }
}

/// What is wrong with a meeting identity (`jwt.sub`), if anything: the broker's rule, also
/// for callers that hold a meeting's id before they ask for its links.
pub fn sub_problem(sub: &str) -> Option<String> {
    if sub.trim().is_empty() {
        return Some("is required and must not be empty".into());
    }
    if sub.len() > MAX_SUB_BYTES {
        return Some(format!(
            "must be at most {MAX_SUB_BYTES} bytes, got {}",
            sub.len()
        ));
    }
    None
}

/// The warning for a field the request type does not read, with the field it may have meant.
fn ignored_field(path: &FieldPath, raw: &Value) -> FieldError {
    let known: &[&str] = match path.parent_shape().as_str() {
        "" => field_names::<LinkRequest>(),
        "jwt" => field_names::<Claims>(),
        "jwt.flow" => field_names::<Flow>(),
        "jwt.flow.data[*]" => field_names::<FlowData>(),
        _ => &[],
    };
    let mut rule = "ignored: not a field Instant Connect reads".to_owned();
    let meant = path
        .last_key()
        .and_then(|key| known.iter().find(|k| k.eq_ignore_ascii_case(key)));
    if let Some(meant) = meant {
        rule.push_str(&format!("; did you mean `{meant}`?"));
        let looks_like_ms = value_at(raw, path)
            .and_then(Value::as_i64)
            .is_some_and(|t| t > MILLISECONDS_THRESHOLD);
        if matches!(*meant, "nbf" | "exp") && looks_like_ms {
            rule.push_str(" (it takes Unix seconds; this value looks like milliseconds)");
        }
    }
    FieldError::new(path.to_string(), rule)
}

fn value_at<'v>(raw: &'v Value, path: &FieldPath) -> Option<&'v Value> {
    path.0.iter().try_fold(raw, |value, segment| match segment {
        Segment::Key(key) => value.get(key.as_str()),
        Segment::Index(i) => value.get(*i),
    })
}

/// A time field as read: absent, Unix seconds, or broken (an error was recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Time {
    Absent,
    Seconds(i64),
    Invalid,
}

/// Unix seconds, not negative. A value only milliseconds can be (a public client sends
/// `Date.getTime()`) is read as milliseconds, with a warning.
fn read_time(
    c: &mut Collector,
    warnings: &mut Vec<FieldError>,
    field: &str,
    value: Option<i64>,
) -> Time {
    match value {
        None => Time::Absent,
        Some(t) if t < 0 => {
            c.fail(
                field,
                format!("must be Unix time in seconds, not negative (got {t})"),
            );
            Time::Invalid
        }
        Some(t) if t > MILLISECONDS_THRESHOLD => {
            let seconds = t / 1000;
            warnings.push(FieldError::new(
                field,
                format!("{t} looks like milliseconds; read as {seconds} seconds"),
            ));
            Time::Seconds(seconds)
        }
        Some(t) => Time::Seconds(t),
    }
}

/// Accepts an integer and a string of one (a public Django form sends `"2"`).
fn lenient_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    value_or_text(d, "an integer, or a string of one such as \"2\"")
}

/// Accepts `true`/`false` and the strings `"true"`/`"false"` (a public lab sends strings).
fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    value_or_text(d, "a boolean, or the string \"true\" or \"false\"")
}

/// A value, or its text read with `FromStr`; `null` is absent. [`LinkRequest::from_json`]
/// warns about the text form.
fn value_or_text<'de, D, T>(d: D, expected: &str) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned + std::str::FromStr,
{
    use serde::de::Error;
    let unexpected =
        |got: &dyn fmt::Display| D::Error::custom(format!("expected {expected}, got {got}"));
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| unexpected(&format!("\"{text}\""))),
        Some(other) => T::deserialize(&other)
            .map(Some)
            .map_err(|_| unexpected(&other)),
    }
}

/// Body of `POST /api/v1/sms/meetingInvite`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsInviteRequest {
    /// Required, each of these four; `default` lets validation say so by name.
    #[serde(default)]
    pub integration: String,
    #[serde(default)]
    pub vertical: String,
    #[serde(default)]
    pub org_id: String,
    #[serde(default)]
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

    /// Parses a JSON body; fields it does not know are accepted with a warning each.
    pub fn from_json(body: &[u8]) -> Result<Accepted<Self>, ValidationErrors> {
        let parsed = parse_json::<Self>(body)?;
        let warnings = parsed
            .ignored
            .iter()
            .map(|path| FieldError::new(path.to_string(), "ignored: not a field of an SMS invite"))
            .collect();
        Ok(Accepted::new(parsed.value, warnings))
    }

    /// Checks the body's own rules (the broker also checks the org and that the meeting exists)
    /// and returns every number as one list, E.164 first, then `<alpha-2>:<national>`. An
    /// E.164 number in an alpha-2 list (a sample sends the caller's `+1…` there) is taken as
    /// E.164, with a warning.
    pub fn validate(&self) -> Result<Accepted<Vec<String>>, ValidationErrors> {
        let mut c = Collector::default();
        let mut warnings = Vec::new();
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
                let at = format!("{field}[{i}]");
                if is_e164(number) {
                    warnings.push(FieldError::new(
                        &at,
                        "is an E.164 number in a list of national numbers; read as E.164",
                    ));
                    numbers.push(number.clone());
                    continue;
                }
                c.check(is_national(number), &at, || {
                    format!("must be a national number of 4 to 14 digits (got `{number}`)")
                });
                numbers.push(format!("{}:{number}", country.to_ascii_lowercase()));
            }
        }
        c.check(!numbers.is_empty(), "mobileNumbersWithCountryCode", || {
            "at least one number is required here or in mobileNumbersWithAlpha2CountryCode".into()
        });
        Ok(Accepted::new(c.finish(numbers)?, warnings))
    }
}

/// An E.164 number (`+`, a country code and number, 8 to 15 digits, no leading zero), as a
/// pattern for a client's schema; `is_e164` is the same rule, held to it by a test.
pub const E164_PATTERN: &str = r"^\+[1-9][0-9]{7,14}$";

/// Whether `number` is E.164 (the rule of [`E164_PATTERN`]): the one check of a phone number,
/// for an invite and for whoever keeps numbers to invite later.
pub fn is_e164(number: &str) -> bool {
    number.strip_prefix('+').is_some_and(|digits| {
        (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0')
    })
}

fn is_national(number: &str) -> bool {
    (4..=14).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The pattern a client's schema states is the rule the broker and the service apply.
        #[test]
        fn the_e164_pattern_is_the_rule(number in "\\+?[0-9]{0,17}|\\+[0-9a-z ]{8,15}") {
            let pattern = regex::Regex::new(E164_PATTERN).unwrap();
            proptest::prop_assert_eq!(pattern.is_match(&number), is_e164(&number), "{}", number);
        }
    }
}
