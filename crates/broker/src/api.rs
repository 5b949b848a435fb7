//! The JSON API, on the production paths: `v2`/`v1` `joseencrypt`, `v1/space`,
//! `v1/sms/meetingInvite`; plus the local-only outbox, joins and meetings.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{MatchedPath, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use instant_connect::{
    FieldError, JoinStyle, JoinUrls, JoinsPage, LegacyLinkResponse, LinkItem, LinkPlan,
    LinkRequest, LinkResponse, MeetingInfo, Role, SmsInviteRequest, SmsInviteResponse,
    SpaceDetails, ValidationErrors,
};

use crate::error::ApiError;
use crate::mint::{Minted, Minter, short_key};
use crate::opening::{ClientAddress, Opener, open_cipher};
use crate::state::{AppState, TokenCheck, Tokens};
use crate::store::{MAX_PAGE, NewLinks, Page, SmsInvite};
use crate::{leniency, tracking};

pub const MAX_BODY_BYTES: usize = 64 * 1024;
const DEFAULT_PAGE: u32 = 100;

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

/// On the trailing-slash twin of every route: production answers `/api/v1/space/` as
/// `/api/v1/space`, so this broker does too, and says so.
pub async fn trailing_slash(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    // The route's template, not the path: `/visit/{short}` must not put a short key in the log.
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str)
        .trim_end_matches('/')
        .to_owned();
    let noted = leniency::allow(
        state.strict,
        vec![FieldError::new(
            "path",
            format!("has a trailing slash; read as `{path}`"),
        )],
    );
    match noted {
        Ok(()) => next.run(request).await,
        Err(refused) => ApiError::from(refused).into_response(),
    }
}

/// The bearer token of a request: `None` without an `Authorization` header, `Some(None)` with
/// one that is not a bearer token.
fn bearer(headers: &HeaderMap) -> Option<Option<&str>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            // Auth schemes are case-insensitive (RFC 7235): `bearer` is `Bearer`.
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim()),
    )
}

fn check_token(state: &AppState, token: Option<&str>) -> Result<(), ApiError> {
    match token.map(|t| (t, state.tokens.check(t, state.clock.now()))) {
        Some((token, TokenCheck::Valid)) => match &state.throttle {
            Some(limits) => limits
                .check(&Tokens::digest(token))
                .map_err(ApiError::throttled),
            None => Ok(()),
        },
        Some((_, TokenCheck::Expired)) => {
            tracing::info!(tracking_id = %tracking::current(), "refused an expired token");
            Err(ApiError::unauthorized())
        }
        Some((_, TokenCheck::Unknown)) | None => Err(ApiError::unauthorized()),
    }
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    check_token(state, bearer(headers).flatten())
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
    body.map_err(body_rejection)
}

fn body_rejection(rejection: BytesRejection) -> ApiError {
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
}

/// Validates a link request and mints its tokens (off the async threads: PBKDF2 is CPU work).
async fn mint(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(LinkPlan, Vec<Minted>, i64), ApiError> {
    authorize(state, headers)?;
    let body = json_body(headers, body)?;
    let now = state.clock.now();
    let accepted = LinkRequest::from_json(&body)?.then(|request| request.validate(now))?;
    let mut plan = accepted.value;
    let mut warnings = accepted.warnings;
    warnings.extend(state.minter.range().fit(&mut plan));
    leniency::allow(state.strict, warnings)?;

    // Each token is its own job of the crypto pool, so a meeting's links are minted side by
    // side when cores are free.
    let shared_plan = Arc::new(plan.clone());
    let mut started = Vec::with_capacity(plan.num_host + plan.num_guest);
    for role in Minter::roles(&plan) {
        // The job holds the minter alone, not the broker's state: a queued job keeps nothing
        // else alive.
        let (minter, minting_plan) = (Arc::clone(&state.minter), Arc::clone(&shared_plan));
        started.push(
            state
                .crypto
                .start(move || minter.mint(&minting_plan, role, now)),
        );
    }
    let mut minted = Vec::with_capacity(started.len());
    for task in started {
        minted.push(
            task.await
                .map_err(|e| ApiError::internal("minting task failed", &e))?
                .map_err(|e| ApiError::internal("minting failed", &e))?,
        );
    }
    Ok((plan, minted, now))
}

pub async fn joseencrypt_v2(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LinkResponse>, ApiError> {
    let (plan, minted, now) = mint(&state, &headers, body).await?;
    let shorts = if plan.short_urls {
        minted
            .iter()
            .map(|link| short_target(&state, &plan, link, now))
            .collect()
    } else {
        Vec::new()
    };
    let mut keys = record(&state, &plan, now, shorts).await?.into_iter();
    let mut response = LinkResponse {
        host: Vec::with_capacity(plan.num_host),
        guest: Vec::with_capacity(plan.num_guest),
        base_url: plan
            .short_urls
            .then(|| format!("{}/visit/", state.public_url)),
    };
    for link in minted {
        let item = LinkItem {
            cipher: link.cipher,
            short: keys.next(),
        };
        match link.role {
            Role::Host => response.host.push(item),
            Role::Guest => response.guest.push(item),
        }
    }
    Ok(Json(response))
}

/// Records the links of an answer (`shorts`: the join-page paths wanting short keys) and
/// returns the short keys drawn.
async fn record(
    state: &AppState,
    plan: &LinkPlan,
    now: i64,
    shorts: Vec<(Role, String)>,
) -> Result<Vec<String>, ApiError> {
    let links = NewLinks {
        sub: &plan.sub,
        exp: plan.exp,
        now,
        vertical: plan.vertical,
        host_login: plan.login_url_for_host,
        shorts,
    };
    Ok(state.store.record_links(&links, short_key).await?)
}

pub async fn joseencrypt_v1(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LegacyLinkResponse>, ApiError> {
    let (plan, minted, now) = mint(&state, &headers, body).await?;
    record(&state, &plan, now, Vec::new()).await?;
    let (hosts, guests): (Vec<_>, Vec<_>) = minted.into_iter().partition(|m| m.role == Role::Host);
    Ok(Json(LegacyLinkResponse {
        host: hosts.into_iter().map(|m| m.cipher).collect(),
        guest: guests.into_iter().map(|m| m.cipher).collect(),
    }))
}

/// The join-page path a short key of `link` will lead to; its claims are kept opened, so the
/// page costs no key derivation.
fn short_target(state: &AppState, plan: &LinkPlan, link: &Minted, now: i64) -> (Role, String) {
    state.opened.insert(&link.cipher, link.claims.clone(), now);
    (
        link.role,
        JoinUrls::path(link.role, &JoinStyle::from(plan), &link.cipher),
    )
}

/// A query string as pairs, in order, with whether it had empty pieces (`?&fli=true`).
pub(crate) struct QueryParams {
    pairs: Vec<(String, String)>,
    empty_pieces: bool,
}

impl QueryParams {
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let raw = raw.unwrap_or("");
        Self {
            pairs: url::form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            empty_pieces: !raw.is_empty() && raw.split('&').any(str::is_empty),
        }
    }

    /// The first value of `name`; a cipher needs no decoding, but may come encoded.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// What is ignored in this query: empty pieces, and parameters not in `known`.
    pub(crate) fn warnings(&self, known: &[&str]) -> Vec<FieldError> {
        let mut warnings = Vec::new();
        if self.empty_pieces {
            warnings.push(FieldError::new(
                "query",
                "has an empty parameter (a stray `&`); ignored",
            ));
        }
        for (name, _) in &self.pairs {
            if !known.contains(&name.as_str()) {
                warnings.push(FieldError::new(
                    name.clone(),
                    "ignored: not a parameter of this path",
                ));
            }
        }
        warnings
    }
}

/// Space details. Production evidently answers a `POST` as a `GET`, a request with no
/// `Authorization` (the cipher is the credential), and ignores a `GET`'s body; each is noted.
pub async fn space(
    State(state): State<Arc<AppState>>,
    ClientAddress(client): ClientAddress,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SpaceDetails>, ApiError> {
    let mut warnings = Vec::new();
    let opener = match bearer(&headers) {
        None => {
            warnings.push(FieldError::new(
                "Authorization",
                "is missing; the cipher is taken as the credential",
            ));
            Opener::Anyone(client)
        }
        Some(token) => {
            check_token(&state, token)?;
            Opener::Token
        }
    };
    let body = body.map_err(body_rejection)?;
    if !body.is_empty() {
        warnings.push(FieldError::new(
            "body",
            format!("ignored: space details read only the query (a {method} with a body)"),
        ));
    }
    let params = QueryParams::parse(query.as_deref());
    warnings.extend(params.warnings(&["int", "v", "data"]));
    let mut errors = Vec::new();
    if params.get("int") != Some("jose") {
        errors.push(FieldError::new("int", "must be `jose`"));
    }
    if params.get("v").is_some_and(|v| v != "1") {
        errors.push(FieldError::new("v", "must be `1` when given"));
    }
    let cipher = params.get("data").filter(|d| !d.is_empty());
    if cipher.is_none() {
        errors.push(FieldError::new("data", "is required: the cipher of a link"));
    }
    if !errors.is_empty() {
        return Err(ValidationErrors(errors).into());
    }
    leniency::allow(state.strict, warnings)?;
    let claims = open_cipher(&state, cipher.unwrap_or_default(), opener).await?;
    let space = state
        .store
        .space_for(&claims.sub, state.clock.now())
        .await?;
    let is_host = claims.role == Role::Host;
    let sip_domain = url::Url::parse(&state.public_url)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_else(|| "localhost".to_owned());
    Ok(Json(SpaceDetails {
        user_identifier: if is_host { "Host" } else { "Guest" }.to_owned(),
        is_logged_in: false,
        is_host,
        organization_id: state.org.org_id.clone(),
        org_name: state.org.org_name.clone(),
        token: state.minter.space_token(&claims),
        space_id: space.space_id(),
        visit_id: claims.sub,
        integration_type: "jose".to_owned(),
        sip_address: Some(space.sip_address(&sip_domain)),
        meeting_id: Some(space.meeting_id()),
        meeting_number: Some(space.meeting_number()),
    }))
}

pub async fn sms_invite(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SmsInviteResponse>, ApiError> {
    authorize(&state, &headers)?;
    let body = json_body(&headers, body)?;
    let accepted = SmsInviteRequest::from_json(&body)?;
    let invite = accepted.value;
    let mut warnings = accepted.warnings;
    let numbers = invite.validate()?;
    warnings.extend(numbers.warnings);
    if invite.org_id != state.org.org_id {
        return Err(ValidationErrors::one(
            "orgId",
            "must be the org of this broker (the `iss` of its links)",
        )
        .into());
    }
    if state.store.space(&invite.meeting_id).await?.is_none() {
        return Err(ValidationErrors::one(
            "meetingId",
            "has no meeting: make links with this `sub` first",
        )
        .into());
    }
    leniency::allow(state.strict, warnings)?;
    // A key sent again is the same invite: taken once, answered alike.
    let once = headers
        .get(instant_connect::IDEMPOTENCY_KEY_HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|key| !key.is_empty());
    state
        .store
        .record_invite(
            &SmsInvite {
                meeting_id: invite.meeting_id,
                numbers: numbers.value,
                tracking_id: tracking::current(),
                created_at: state.clock.now(),
            },
            once,
        )
        .await?;
    Ok(Json(SmsInviteResponse {
        status: "Successful".to_owned(),
    }))
}

/// `?limit=` (1 to 1000, default 100) and `?cursor=` (from the previous page's `nextCursor`).
fn page_params(query: Option<&str>) -> Result<(i64, u32), ApiError> {
    let params = QueryParams::parse(query);
    let mut errors = Vec::new();
    let limit = match params.get("limit") {
        None => DEFAULT_PAGE,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
            _ => {
                errors.push(FieldError::new(
                    "limit",
                    format!("must be a whole number from 1 to {MAX_PAGE}, got `{text}`"),
                ));
                DEFAULT_PAGE
            }
        },
    };
    let cursor = match params.get("cursor") {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .unwrap_or_else(|| {
                errors.push(FieldError::new(
                    "cursor",
                    format!("must be the `nextCursor` of a previous page, got `{text}`"),
                ));
                0
            }),
    };
    if errors.is_empty() {
        Ok((cursor, limit))
    } else {
        Err(ValidationErrors(errors).into())
    }
}

/// Local only: the SMS invites the broker accepted (it sends none), a page at a time.
pub async fn outbox(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Page<SmsInvite>>, ApiError> {
    authorize(&state, &headers)?;
    let (cursor, limit) = page_params(query.as_deref())?;
    Ok(Json(state.store.invites(cursor, limit).await?))
}

/// Local only: every press of a join page's Join or Leave button, a page at a time; a reader
/// polls with `cursor` = the last id it saw.
pub async fn joins(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<JoinsPage>, ApiError> {
    authorize(&state, &headers)?;
    let (cursor, limit) = page_params(query.as_deref())?;
    Ok(Json(state.store.joins(cursor, limit).await?))
}

/// Local only: what the broker knows of meeting `sub` (always 200; a meeting with no links has
/// neither space nor expiry), so links added later can last as long as the first ones and open
/// the same join pages.
pub async fn meeting(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(sub): Path<String>,
) -> Result<Json<MeetingInfo>, ApiError> {
    authorize(&state, &headers)?;
    let space = state.store.space(&sub).await?;
    Ok(Json(MeetingInfo {
        space_id: space.as_ref().map(|s| s.space_id()),
        links_expire_at: space.as_ref().and_then(|s| s.links_expire_at),
        vertical_type: space.as_ref().and_then(|s| s.vertical),
        login_url_for_host: space.and_then(|s| s.host_login),
        sub,
    }))
}
