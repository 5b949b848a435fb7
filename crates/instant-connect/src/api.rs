//! What the Instant Connect API fixes: its audience, the production hosts, the defaults and
//! bounds of a link request, and the headers its answers carry.

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
/// Sent with an SMS invite that may be sent again (a job retried after its process died): the
/// local broker takes one invite per key and answers the same for the next; production, which
/// documents no such header, ignores it.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
