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

mod api;
pub mod client;
mod redact;
pub mod request;
pub mod response;
pub mod time;
pub mod urls;
mod validation;

pub use api::{
    AUDIENCE, DEFAULT_LINK_LIFETIME_SECS, IDEMPOTENCY_KEY_HEADER, ITERATIONS,
    MAX_LINKS_PER_REQUEST, PRODUCTION_BROKER_URL, PRODUCTION_JOIN_URL, SALT_LENGTHS,
    TRACKING_ID_HEADER, WARNING_HEADER,
};
pub use client::{Client, ClientConfig, ClientError, Reply};
pub use jose::{ContentEnc, JwsAlg, KeyAlg};
pub use request::{
    Claims, Flow, FlowData, FlowId, LinkPlan, LinkRequest, Role, SmsInviteRequest, UnknownRole,
    UnknownVertical, Vertical,
};
pub use response::{
    BrokerErrorBody, JoinRecord, JoinsPage, LegacyLinkResponse, LinkItem, LinkResponse,
    MeetingInfo, Movement, SmsInviteResponse, SpaceDetails,
};
pub use time::{Clock, ManualClock, SystemClock, now_ms_of, rfc3339, unix_now};
pub use urls::{JoinPage, JoinStyle, JoinUrlError, JoinUrls, Link, Links};
pub use validation::{Accepted, FieldError, ValidationErrors};

/// The README's example compiles against this crate.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeExample;
