//! The Webex Instant Connect broker API as a library.
//!
//! What it is:
//! - [`request`] and [`response`]: the wire types of `v2/joseencrypt` (and the legacy
//!   `v1/joseencrypt` with bare-string items), `v1/space` and `v1/sms/meetingInvite`, with the
//!   documented defaults and every rule, checked by `validate` into errors that name the field.
//! - [`urls`]: join URLs, short (`baseUrl + short`) and long (`/{vertical}/v1/login|talk`).
//! - [`client`]: an async client for any broker, the production one or icnode's local one, with
//!   connection and request timeouts and errors that tell the failure kinds apart.
//!
//! What it is not: the broker (see the `broker` crate), and not a JOSE implementation: tokens are
//! opaque strings here; only the algorithm names come from [`jose`].

pub mod client;
pub mod request;
pub mod response;
pub mod urls;
mod validation;

pub use client::{Client, ClientConfig, ClientError, unix_now};
pub use jose::{ContentEnc, JwsAlg, KeyAlg};
pub use request::{Claims, Flow, LinkPlan, LinkRequest, SmsInviteRequest, Vertical};
pub use response::{
    BrokerErrorBody, LegacyLinkResponse, LinkItem, LinkResponse, SmsInviteResponse, SpaceDetails,
};
pub use urls::{JoinUrls, Link, Links, Role};
pub use validation::{FieldError, ValidationErrors};

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
