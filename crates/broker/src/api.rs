//! The JSON API, on the production paths: `v2`/`v1` `joseencrypt`, `v1/space`,
//! `v1/sms/meetingInvite`; plus the local-only outbox and joins.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde::Serialize;
use serde_json::json;

use instant_connect::{
    LegacyLinkResponse, LinkItem, LinkPlan, LinkRequest, LinkResponse, Role, SmsInviteRequest,
    SmsInviteResponse, SpaceDetails, ValidationErrors,
};

use crate::AppState;
use crate::mint::{LinkClaims, short_key};
use crate::store::{ShortLink, SmsInvite};
use crate::{tracking, unix_now};

pub const MAX_BODY_BYTES: usize = 64 * 1024;
const SHORT_KEY_ATTEMPTS: usize = 8;

/// An error in Webex's shape: `{"message", "errors": [{"description"}], "trackingId"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    descriptions: Vec<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status,
            descriptions: vec![message.clone()],
            message,
        }
    }

    fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "The request requires a valid access token set in the Authorization request header.",
        )
    }

    fn internal(context: &str, error: &dyn std::error::Error) -> Self {
        // The cause goes to the log with the tracking id; the client gets only the id.
        tracing::error!(tracking_id = %tracking::current(), error = %error_chain(error), "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error; quote the trackingId.",
        )
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: errors.to_string(),
            descriptions: errors.errors().iter().map(ToString::to_string).collect(),
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::internal("broker store failed", &error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({
            "message": self.message,
            "errors": self.descriptions.iter().map(|d| json!({"description": d})).collect::<Vec<_>>(),
            "trackingId": tracking::current(),
        });
        (self.status, Json(body)).into_response()
    }
}

/// Answers a method the path does not take, in the Webex shape.
pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "This method is not allowed on this path.",
    )
}

pub async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "The requested resource could not be found.",
    )
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        // Auth schemes are case-insensitive (RFC 7235): `bearer` is `Bearer`.
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(ApiError::unauthorized)?;
    if state.tokens.accepts(token) {
        Ok(())
    } else {
        Err(ApiError::unauthorized())
    }
}

/// Checks content type and size, in that order, after authorization.
fn json_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Content-Type must be application/json, got `{content_type}`."),
        ));
    }
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("The body is larger than {} KiB.", MAX_BODY_BYTES / 1024),
            )
        } else {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("body: could not be read ({rejection})"),
            )
        }
    })
}

/// Validates a link request and mints its tokens (off the async threads: PBKDF2 is CPU work).
async fn mint(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(LinkPlan, Vec<(Role, String)>), ApiError> {
    authorize(state, headers)?;
    let body = json_body(headers, body)?;
    let now = unix_now();
    let plan = LinkRequest::from_json(&body)?.validate(now)?;
    state.store.space_for(&plan.sub, now).await?;
    let minter_state = Arc::clone(state);
    let minting_plan = plan.clone();
    let tokens =
        tokio::task::spawn_blocking(move || minter_state.minter.mint_all(&minting_plan, now))
            .await
            .map_err(|e| ApiError::internal("minting task failed", &e))?
            .map_err(|e| ApiError::internal("minting failed", &e))?;
    Ok((plan, tokens))
}

pub async fn joseencrypt_v2(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LinkResponse>, ApiError> {
    let (plan, tokens) = mint(&state, &headers, body).await?;
    let mut response = LinkResponse {
        host: Vec::with_capacity(plan.num_host),
        guest: Vec::with_capacity(plan.num_guest),
        base_url: plan
            .short_urls
            .then(|| format!("{}/visit/", state.public_url)),
    };
    for (role, cipher) in tokens {
        let short = if plan.short_urls {
            Some(allocate_short(&state, &plan, role, &cipher).await?)
        } else {
            None
        };
        let item = LinkItem { cipher, short };
        match role {
            Role::Host => response.host.push(item),
            Role::Guest => response.guest.push(item),
        }
    }
    Ok(Json(response))
}

pub async fn joseencrypt_v1(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LegacyLinkResponse>, ApiError> {
    let (_, tokens) = mint(&state, &headers, body).await?;
    let (hosts, guests): (Vec<_>, Vec<_>) = tokens
        .into_iter()
        .partition(|(role, _)| *role == Role::Host);
    Ok(Json(LegacyLinkResponse {
        host: hosts.into_iter().map(|(_, c)| c).collect(),
        guest: guests.into_iter().map(|(_, c)| c).collect(),
    }))
}

/// The join-page path a link opens: hosts log in unless `loginUrlForHost` is false.
pub fn join_target(plan: &LinkPlan, role: Role, cipher: &str) -> String {
    let page = match role {
        Role::Host if plan.login_url_for_host => "login",
        _ => "talk",
    };
    format!(
        "/{}/v1/{page}?int=jose&v=1&data={cipher}",
        plan.vertical.as_str()
    )
}

async fn allocate_short(
    state: &AppState,
    plan: &LinkPlan,
    role: Role,
    cipher: &str,
) -> Result<String, ApiError> {
    let target = join_target(plan, role, cipher);
    for _ in 0..SHORT_KEY_ATTEMPTS {
        let short = short_key();
        let link = ShortLink {
            short: &short,
            target: &target,
            sub: &plan.sub,
            role,
            expires_at: plan.exp,
        };
        if state.store.insert_short(&link, unix_now()).await? {
            return Ok(short);
        }
    }
    Err(ApiError::internal(
        "short keys exhausted",
        &std::io::Error::other(format!(
            "{SHORT_KEY_ATTEMPTS} colliding short keys in a row"
        )),
    ))
}

/// Query parameters by name (the first of each); ciphers never need decoding but may be given so.
pub fn query_param(query: &Option<String>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Opens a cipher off the async threads.
pub async fn open_cipher(state: &Arc<AppState>, cipher: String) -> Result<LinkClaims, ApiError> {
    let opener = Arc::clone(state);
    tokio::task::spawn_blocking(move || opener.minter.open(&cipher))
        .await
        .map_err(|e| ApiError::internal("opening task failed", &e))?
        .map_err(|reason| {
            tracing::info!(tracking_id = %tracking::current(), %reason, "refused a cipher");
            ApiError::new(StatusCode::BAD_REQUEST, "data: is not a valid link token of this org (not decryptable, tampered or foreign).")
        })
}

pub async fn space(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<SpaceDetails>, ApiError> {
    authorize(&state, &headers)?;
    if query_param(&query, "int").as_deref() != Some("jose") {
        return Err(ValidationErrors::one("int", "must be `jose`").into());
    }
    let cipher = query_param(&query, "data")
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ValidationErrors::one("data", "is required: the cipher of a link"))?;
    let claims = open_cipher(&state, cipher).await?;
    let space = state.store.space_for(&claims.sub, unix_now()).await?;
    let is_host = claims.role == Role::Host;
    Ok(Json(SpaceDetails {
        user_identifier: if is_host { "Host" } else { "Guest" }.to_owned(),
        is_logged_in: false,
        is_host,
        organization_id: state.org.org_id.clone(),
        org_name: state.org.org_name.clone(),
        token: state.minter.space_token(&claims),
        space_id: base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(format!("ciscospark://us/ROOM/{}", space.room_uuid)),
        visit_id: claims.sub,
        integration_type: "jose".to_owned(),
    }))
}

pub async fn sms_invite(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SmsInviteResponse>, ApiError> {
    authorize(&state, &headers)?;
    let body = json_body(&headers, body)?;
    let invite = SmsInviteRequest::from_json(&body)?;
    let numbers = invite.validate()?;
    if invite.org_id != state.org.org_id {
        return Err(ValidationErrors::one(
            "orgId",
            "must be the org of this broker (the `iss` of its links)",
        )
        .into());
    }
    if !state.store.space_exists(&invite.meeting_id).await? {
        return Err(ValidationErrors::one(
            "meetingId",
            "has no meeting: make links with this `sub` first",
        )
        .into());
    }
    state
        .store
        .record_invite(&SmsInvite {
            meeting_id: invite.meeting_id,
            numbers,
            tracking_id: tracking::current(),
            created_at: unix_now(),
        })
        .await?;
    Ok(Json(SmsInviteResponse {
        status: "Successful".to_owned(),
    }))
}

#[derive(Serialize)]
pub struct Listing<T> {
    items: Vec<T>,
}

/// Local only: the SMS invites the broker accepted (it sends none).
pub async fn outbox(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Listing<SmsInvite>>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(Listing {
        items: state.store.invites().await?,
    }))
}

/// Local only: every press of a Join button.
pub async fn joins(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Listing<crate::store::Join>>, ApiError> {
    authorize(&state, &headers)?;
    Ok(Json(Listing {
        items: state.store.joins().await?,
    }))
}
