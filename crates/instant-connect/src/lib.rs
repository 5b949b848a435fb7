//! The Webex Instant Connect broker API as a library.
//!
//! What it is:
//! - [`request`] and [`response`]: the wire types of `v2/joseencrypt` (and the legacy
//!   `v1/joseencrypt` with bare-string items), `v1/space` and `v1/sms/meetingInvite`, with the
//!   documented defaults and every rule, checked by `validate` into errors that name the field,
//!   and warnings for what production evidently accepts but the guide does not document.
//! - [`urls`]: join URLs, short (`baseUrl + short`) and long (`/{vertical}/v1/login|talk`).
//! - [`client`]: an async client for any broker, the production one or icnode's local one, with
//!   connection and request timeouts, a response size limit and errors that tell the failure
//!   kinds apart.
//! - [`time`]: Unix seconds, RFC 3339, and the [`Clock`] that validation and the broker read.
//!
//! What it is not: the broker (see the `broker` crate), and not a JOSE implementation: tokens are
//! opaque strings here; only the algorithm names and the PBES2 bounds come from [`jose`].

pub mod client;
mod redact;
pub mod request;
pub mod response;
pub mod time;
pub mod urls;
mod validation;

pub use client::{Client, ClientConfig, ClientError, Reply};
pub use jose::{ContentEnc, JwsAlg, KeyAlg};
pub use request::{
    Claims, Flow, FlowData, FlowId, LinkPlan, LinkRequest, SmsInviteRequest, UnknownVertical,
    Vertical,
};
pub use response::{
    BrokerErrorBody, LegacyLinkResponse, LinkItem, LinkResponse, MeetingInfo, SmsInviteResponse,
    SpaceDetails,
};
pub use time::{Clock, ManualClock, SystemClock, now_ms_of, parse_time, rfc3339, unix_now};
pub use urls::{JoinPage, JoinStyle, JoinUrlError, JoinUrls, Link, Links, Role, UnknownRole};
pub use validation::{Accepted, FieldError, ValidationErrors};

/// The README's example compiles against this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;

/// The one audience every Instant Connect request carries.
pub const AUDIENCE: &str = "a4d886b0-979f-4e2c-a958-3e8c14605e51";
/// The production broker (API host).
pub const PRODUCTION_BROKER_URL: &str = "https://mtg-broker-a.wbx2.com";
/// The production host of join pages and short links.
pub const PRODUCTION_JOIN_URL: &str = "https://instant.webex.com";
/// How long links live when a request gives no `exp`: 15 minutes.
pub const DEFAULT_LINK_LIFETIME_SECS: i64 = 15 * 60;
/// At most this many links in one request, hosts and guests together.
pub const MAX_LINKS_PER_REQUEST: i64 = 25;
/// PBES2 iteration counts a request may ask for (`iterations`) and a broker draws from.
pub use jose::jwe::DEFAULT_ITERATIONS as ITERATIONS;
/// PBES2 salt input lengths in bytes a request may ask for (`saltLength`) and a broker draws from.
pub use jose::jwe::DEFAULT_SALT_INPUT_LEN as SALT_LENGTHS;
/// The header Webex answers carry their tracking id in.
pub const TRACKING_ID_HEADER: &str = "trackingid";
/// The header a lenient broker names what it ignored or assumed in, one value per warning
/// (RFC 9111 retired `Warning`).
pub const WARNING_HEADER: &str = "icnode-warning";

/// An error and its causes on one line, each cause once: what a person needs to act on it.
pub fn report(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
