//! `GET /v1/audit`: a tenant's audit trail, for its admins; its wire types beside it.

use axum::Json;
use axum::extract::{Extension, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, ErrorBody};
use super::extract::QueryParams;
use super::state::AppState;
use super::types::ApiNames;
use super::wire;
use crate::audit::{self, AuditError};
use crate::domain::FieldNames;
use crate::keys::Caller;
use crate::store::AuditRow;

/// `GET /v1/audit`'s query; every filter given must match.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAudit {
    /// Page size, 1-1000 (default 50).
    #[serde(default, deserialize_with = "wire::query_whole_number")]
    pub limit: Option<u32>,
    /// `nextCursor` of the page before.
    pub cursor: Option<String>,
    /// Only this change: `meeting.created`, `links.added`, `invite.sent`, `key.created`,
    /// `key.revoked`, `node.imported`, `tenant.created`, `tenant.disabled`, `tenant.enabled`,
    /// `tenant.limits_set`.
    pub action: Option<String>,
    /// Only what this key asked for (its public id, as `keyId` shows it).
    pub key_id: Option<String>,
    /// Only changes to this (a meeting's subject, a key's name, a node's slug, a tenant's id).
    pub target: Option<String>,
    /// Only attempts that ended so: `done`, `invalid`, `forbidden`, `not_found`, `exists`,
    /// `expired`, `limited`, `broker_failed`, `store_failed`.
    pub outcome: Option<String>,
    /// Only rows at or after this time (Unix seconds or RFC 3339).
    pub since: Option<String>,
    /// Only rows before this time (Unix seconds or RFC 3339).
    pub until: Option<String>,
}

impl From<ListAudit> for audit::AuditQuery {
    fn from(query: ListAudit) -> Self {
        Self {
            limit: query.limit,
            cursor: query.cursor,
            action: query.action,
            key_id: query.key_id,
            target: query.target,
            outcome: query.outcome,
            since: query.since,
            until: query.until,
        }
    }
}

/// One attempt at a change, done or refused.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    /// The row's id (a UUIDv7: later rows have greater ids).
    pub id: String,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The tenant whose trail it is.
    pub tenant: String,
    /// The key that asked; absent for the operator's changes on the command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// The key's name, or `operator`.
    pub actor: String,
    /// What changed: `meeting.created`, `links.added`, `invite.sent`, `key.created`,
    /// `key.revoked`, `node.imported`, `tenant.created`, `tenant.disabled`,
    /// `tenant.enabled` or `tenant.limits_set`.
    pub action: String,
    /// What it changed: a meeting's subject (its chat id only where the broker knows it by
    /// that), a key's name, a node's slug, a tenant's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The request's `x-request-id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// `done`, or why not.
    pub outcome: String,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: instant_connect::rfc3339(row.at),
            tenant: row.tenant.as_str().to_owned(),
            key_id: row.actor.key_id,
            actor: row.actor.name,
            action: row.action.as_str().to_owned(),
            target: row.target,
            request_id: row.actor.request_id,
            outcome: row.outcome.as_str().to_owned(),
        }
    }
}

/// A page of the audit trail, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    /// At most `limit` rows, newest first.
    pub items: Vec<AuditEntry>,
    /// Absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The API's page, as `icnode audit --json` prints it too.
impl From<audit::AuditPage> for AuditPage {
    fn from(page: audit::AuditPage) -> Self {
        Self {
            items: page.items.into_iter().map(AuditEntry::from).collect(),
            next_cursor: page.next_cursor,
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(error: AuditError) -> Self {
        match error {
            AuditError::Invalid(errors) => {
                Self::invalid(&errors.iter().map(|e| ApiNames.word(e)).collect::<Vec<_>>())
            }
            error @ AuditError::Forbidden(_) => Self::forbidden(&error.to_string()),
            AuditError::Store(error) => error.into(),
        }
    }
}

/// Read the key's tenant's audit trail, newest first.
///
/// Every change a key asked for, done or refused, and every change the operator made:
/// meetings created, links added, invites sent, keys created and revoked, nodes imported,
/// the tenant changed. For the tenant's `admin` keys.
#[utoipa::path(
    get, path = "/v1/audit", tag = "audit", operation_id = "listAudit",
    params(ListAudit),
    responses(
        (status = 200, description = "a page of the trail, newest first", body = AuditPage),
        (status = 403, description = "the key is not an `admin` of its tenant", body = ErrorBody),
        (status = 422, description = "a filter breaks a rule, or the cursor is not one this service gave out", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    QueryParams(query): QueryParams<ListAudit>,
) -> Result<Json<AuditPage>, ApiError> {
    let page = audit::page_for(&state.store, &caller, query.into()).await?;
    Ok(Json(page.into()))
}
