//! The audit trail: every change a key asked for (done or refused) and every change the
//! operator made, read a page at a time, newest first. A tenant's admins read their tenant's
//! (`GET /v1/audit`); the operator reads any (`icnode audit`) and prunes rows past the trail's
//! own period (`icnode audit prune`), which `--retain` never touches.
//!
//! The rows are written where the changes are (`meetings`, `keys`, `tenants`, `nodes`), each
//! in the transaction of its change where the change is in the database. A meeting is named by
//! its subject, the id the broker knows it by: its chat id only where the broker sees chat ids
//! too (`domain::Subjects`), so `--opaque-subjects` keeps chat ids out of the trail.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::{
    Field, Invalid, KeyRole, Permission, TenantId, Time, TimeInput, UnknownWord, is_printable,
};
use crate::keys::Caller;
use crate::store::{AuditFilter, AuditRow, Store, StoreError};

/// A page at most, and by default: as a listing of meetings.
pub use crate::meetings::{DEFAULT_PAGE, MAX_PAGE};
/// Rows deleted in one statement when pruning: a short hold of the write lock each.
pub const PRUNE_BATCH: i64 = 500;

/// A page of the trail, as asked; every filter given must match.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub limit: Option<u32>,
    /// The `next_cursor` of the page before.
    pub cursor: Option<String>,
    pub action: Option<String>,
    pub key_id: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<String>,
    /// Unix seconds or RFC 3339; rows at or after.
    pub since: Option<String>,
    /// Unix seconds or RFC 3339; rows before.
    pub until: Option<String>,
}

/// Rows newest first.
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<Invalid>),
    #[error("a key whose role is `{0}` may not read the audit trail")]
    Forbidden(KeyRole),
    #[error("the audit trail could not be read")]
    Store(#[from] StoreError),
}

/// A page of the caller's tenant's trail; its admins only.
pub async fn page_for(
    store: &Store,
    caller: &Caller,
    query: AuditQuery,
) -> Result<AuditPage, AuditError> {
    if !caller.may(Permission::Administer) {
        return Err(AuditError::Forbidden(caller.role));
    }
    page(store, Some(caller.tenant.clone()), query).await
}

/// A page of one tenant's trail, or of every tenant's: the operator's.
pub async fn page(
    store: &Store,
    tenant: Option<TenantId>,
    query: AuditQuery,
) -> Result<AuditPage, AuditError> {
    let limit = query.limit.unwrap_or(DEFAULT_PAGE);
    let (mut filter, errors) = filter_of(query);
    if !(1..=MAX_PAGE).contains(&limit) {
        let rule = format!("must be between 1 and {MAX_PAGE}, got {limit}");
        return Err(AuditError::Invalid(
            std::iter::once(Invalid::says(Field::Limit, rule))
                .chain(errors)
                .collect(),
        ));
    }
    if !errors.is_empty() {
        return Err(AuditError::Invalid(errors));
    }
    filter.tenant = tenant;
    let mut items = store.audit_page(&filter, limit + 1).await?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|last| URL_SAFE_NO_PAD.encode(&last.id))
    } else {
        None
    };
    Ok(AuditPage { items, next_cursor })
}

/// The store's filter of a query, and every value in it that breaks a rule.
fn filter_of(query: AuditQuery) -> (AuditFilter, Vec<Invalid>) {
    let mut errors = Vec::new();
    let before_id = query
        .cursor
        .filter(|c| !c.is_empty())
        .and_then(|c| kept(&mut errors, decode_cursor(&c)));
    let action = query
        .action
        .and_then(|text| kept(&mut errors, word(&text, Field::Action)));
    let outcome = query
        .outcome
        .and_then(|text| kept(&mut errors, word(&text, Field::Outcome)));
    let since = query
        .since
        .and_then(|text| kept(&mut errors, time(text, Field::Since)));
    let until = query
        .until
        .and_then(|text| kept(&mut errors, time(text, Field::Until)));
    let key_id = query
        .key_id
        .and_then(|text| kept(&mut errors, printable(text, Field::KeyId)));
    let target = query
        .target
        .and_then(|text| kept(&mut errors, printable(text, Field::Target)));
    let filter = AuditFilter {
        tenant: None,
        before_id,
        action,
        key_id,
        target,
        outcome,
        since,
        until,
    };
    (filter, errors)
}

/// The value read, or none with its error kept: every bad value is named at once.
fn kept<T>(errors: &mut Vec<Invalid>, read: Result<T, Invalid>) -> Option<T> {
    read.map_err(|error| errors.push(error)).ok()
}

fn word<T: std::str::FromStr<Err = UnknownWord>>(text: &str, field: Field) -> Result<T, Invalid> {
    text.parse()
        .map_err(|e: UnknownWord| Invalid::says(field, e.to_string()))
}

/// Text to match as it is stored: nothing stored holds a control character.
fn printable(text: String, field: Field) -> Result<String, Invalid> {
    if is_printable(&text) {
        Ok(text)
    } else {
        Err(Invalid::says(field, "must not contain control characters"))
    }
}

fn time(text: String, field: Field) -> Result<i64, Invalid> {
    Time::read(&TimeInput::Text(text), field, None).map(|time| time.at())
}

fn decode_cursor(text: &str) -> Result<String, Invalid> {
    let bad = || Invalid::says(Field::Cursor, "is not a cursor this service gave out");
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
    let id = String::from_utf8(bytes).map_err(|_| bad())?;
    uuid::Uuid::parse_str(&id).map_err(|_| bad())?;
    Ok(id)
}

/// Deletes the rows made before `before` (Unix seconds), a batch at a time; says how many.
/// The operator's: on PostgreSQL the service's own role may not delete from the trail.
pub async fn prune(store: &Store, before: i64) -> Result<u64, StoreError> {
    let mut pruned = 0;
    loop {
        let deleted = store.prune_audit(before, PRUNE_BATCH).await?;
        pruned += deleted;
        if deleted < PRUNE_BATCH as u64 {
            return Ok(pruned);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_filter_is_named_and_cursors_are_the_service_s_own() {
        let (_, errors) = filter_of(AuditQuery {
            action: Some("meeting.deleted".into()),
            outcome: Some("fine".into()),
            since: Some("yesterday".into()),
            until: Some("-5".into()),
            cursor: Some("bm90LWEtdXVpZA".into()),
            key_id: Some("a\u{0}".into()),
            ..AuditQuery::default()
        });
        let fields: Vec<Field> = errors.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                Field::Cursor,
                Field::Action,
                Field::Outcome,
                Field::Since,
                Field::Until,
                Field::KeyId
            ]
        );
        let id = uuid::Uuid::now_v7().to_string();
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode(&id)), Ok(id));
    }
}
