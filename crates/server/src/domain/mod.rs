//! The meeting domain: what a meeting is and the rules its links follow, written once for the
//! service and the command line alike.
//!
//! What it is: typed values that can only be made valid ([`ChatId`]; [`Role`] and [`Vertical`]
//! as enums), times as people write them ([`Time`], [`Zone`]), the validity window of links
//! ([`TimesAsked`] → [`Validity`] → [`Window`]), icnode's own links in front of the broker's
//! ([`LinkCode`], [`LinkLife`]: revoked, single use), the one builder of the broker request
//! ([`LinkSpec`]), and errors that name a [`Field`] and a [`Rule`], which each
//! caller words in its own terms through a [`FieldNames`] table (the API's `expiresAt`, the
//! command line's `--exp`); the audit trail's words ([`Action`], [`Outcome`]); visits as asked
//! and read ([`VisitAsked`] → [`VisitPlan`], [`RescheduleAsked`], reminders counted in the
//! visit's zone, [`LinkTimes`], [`VisitState`], [`JobKind`]).
//!
//! What it is not: HTTP, serde or SQL. It reads no clock (callers pass `now`) and calls no
//! broker.

mod audit;
mod chat_id;
mod event;
mod invalid;
mod links;
mod own_link;
mod presence;
mod tenant;
mod time;
mod visit;
mod window;

pub use audit::{Action, Actor, Outcome, UnknownWord};
pub use chat_id::{
    CHAT_ID_PATTERN, ChatId, MAX_CHAT_ID_CHARS, PRINTABLE_PATTERN, Subject, Subjects, is_printable,
};
pub use event::{EventType, MAX_EVENT_TYPES, RETRY_AFTER, Subscription, retry_after};
pub use instant_connect::{Role, Vertical};
pub use invalid::{Field, FieldNames, Invalid, PartyPart, Rule};
pub use links::{LinkCounts, LinkSpec, MeetingOptions};
pub use own_link::{CODE_CHARS, CODE_PATTERN, Closed, LinkCode, LinkLife, OPEN_PATH, RevokeScope};
pub use presence::{Happening, Movement, Room};
pub use tenant::{
    BadTokenSource, DEFAULT_TENANT, INVITE_WINDOW_SECONDS, KeyRole, MAX_TENANT_CHARS, Permission,
    TenantId, TenantIdError, TenantLimits, TokenSource, UnknownRole,
};
pub use time::{TIME_PATTERN, Time, TimeInput, Zone};
pub use visit::{
    DEFAULT_GRACE, DEFAULT_LANGUAGE, DEFAULT_LEAD, DEFAULT_REMINDERS, JobKind, LANGUAGE_PATTERN,
    LinkTimes, MAX_AHEAD, MAX_EMAIL_CHARS, MAX_LENGTH, MAX_NAME_CHARS, MAX_NOTES_CHARS,
    MAX_PARTIES, MAX_REMINDER_AHEAD, MAX_REMINDERS, Notes, Party, PartyAsked, Reminder,
    RescheduleAsked, Schedule, VISIT_CHAT_ID_PREFIX, VisitAsked, VisitPlan, VisitState,
    chat_id_of_visit, is_email, is_language, visit_of,
};
pub use window::{LinkState, TimesAsked, Validity, Window, WindowError};
