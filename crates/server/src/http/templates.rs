//! `/v1/templates` handlers and their wire types: a tenant's own wording of visits' messages.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use instant_connect::rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PathParams};
use super::state::AppState;
use super::wire;
use crate::keys::Caller;
use crate::messages::{Rendered, Template};
use crate::store::TemplateRow;

/// `PUT /v1/templates/{kind}/{language}`: minijinja templates of a subject and a text.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetTemplate {
    /// The subject's template (one line once rendered), such as `Reminder: {{ start }}`.
    #[serde(default, deserialize_with = "wire::text")]
    #[schema(value_type = String)]
    pub subject: Option<String>,
    /// The text's template. Names it may use: `name`, `role`, `start`, `end`, `start_iso`,
    /// `end_iso`, `time_zone`, `link` (absent until the links are made), `link_from`.
    #[serde(default, deserialize_with = "wire::text")]
    #[schema(value_type = String)]
    pub body: Option<String>,
}

/// `POST /v1/templates/preview`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PreviewTemplate {
    /// `invitation`, `reminder`, `rescheduled` or `cancelled`.
    #[serde(default, deserialize_with = "wire::text")]
    #[schema(value_type = String)]
    pub kind: Option<String>,
    /// A language tag (default `en`): the tenant's template for it is shown, unless
    /// `subject` and `body` are given.
    #[serde(default, deserialize_with = "wire::text")]
    pub language: Option<String>,
    /// A subject's template to try instead of the tenant's (with `body`).
    #[serde(default, deserialize_with = "wire::text")]
    pub subject: Option<String>,
    /// A text's template to try instead of the tenant's (with `subject`).
    #[serde(default, deserialize_with = "wire::text")]
    pub body: Option<String>,
}

/// A tenant's template.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateAnswer {
    /// What it is for.
    pub kind: String,
    /// The language it is in.
    pub language: String,
    /// The subject's template.
    pub subject: String,
    /// The text's template.
    pub body: String,
    /// When it was set (RFC 3339, UTC).
    pub updated_at: String,
}

/// A tenant's templates.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateList {
    /// By kind, then language.
    pub items: Vec<TemplateAnswer>,
}

/// A message as a sample guest would get it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewAnswer {
    /// The subject.
    pub subject: String,
    /// The text.
    pub body: String,
}

impl From<TemplateRow> for TemplateAnswer {
    fn from(row: TemplateRow) -> Self {
        Self {
            kind: row.kind,
            language: row.language,
            subject: row.subject,
            body: row.body,
            updated_at: rfc3339(row.updated_at),
        }
    }
}

impl From<Rendered> for PreviewAnswer {
    fn from(rendered: Rendered) -> Self {
        Self {
            subject: rendered.subject,
            body: rendered.body,
        }
    }
}

/// A part given as empty text is a template of nothing: refused as absent is.
fn required(value: Option<String>, field: &'static str) -> Result<String, ApiError> {
    value
        .filter(|text| !text.is_empty())
        .ok_or_else(|| ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, field, "is required"))
}

/// List the tenant's own message templates.
///
/// A kind and language the tenant has none for uses the service's English.
#[utoipa::path(
    get, path = "/v1/templates", tag = "visits", operation_id = "listTemplates",
    responses((status = 200, description = "the tenant's templates", body = TemplateList)),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<TemplateList>, ApiError> {
    let rows = state.templates.list(&caller).await?;
    Ok(Json(TemplateList {
        items: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Set the tenant's template of a kind of message in a language.
///
/// It is checked before it is kept: it must render for someone with a link and for someone
/// without one yet; a name it does not know, a syntax error or a loop that runs too long is
/// refused, naming `subject` or `body` and the line. People whose language has no template
/// get the one of its primary language (`de` for `de-CH`), else the tenant's English, else
/// the service's.
#[utoipa::path(
    put, path = "/v1/templates/{kind}/{language}", tag = "visits", operation_id = "setTemplate",
    params(
        ("kind" = String, Path, description = "`invitation`, `reminder`, `rescheduled` or `cancelled`"),
        ("language" = String, Path, description = "a language tag such as `en` or `de-CH`"),
    ),
    request_body = SetTemplate,
    responses(
        (status = 200, description = "the template, kept", body = TemplateAnswer),
        (status = 403, description = "only an admin key may set templates", body = ErrorBody),
        (status = 422, description = "the kind, the language or a part breaks a rule; `error.field` names it", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn set(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams((kind, language)): PathParams<(String, String)>,
    JsonBody(body): JsonBody<SetTemplate>,
) -> Result<Json<TemplateAnswer>, ApiError> {
    let template = Template {
        subject: required(body.subject, "subject")?,
        body: required(body.body, "body")?,
    };
    let row = state
        .templates
        .set(&caller, &kind, &language, template)
        .await?;
    Ok(Json(row.into()))
}

/// Remove the tenant's template of a kind in a language.
///
/// Its messages then fall back as if it had never been set.
#[utoipa::path(
    delete, path = "/v1/templates/{kind}/{language}", tag = "visits", operation_id = "removeTemplate",
    params(
        ("kind" = String, Path, description = "`invitation`, `reminder`, `rescheduled` or `cancelled`"),
        ("language" = String, Path, description = "a language tag such as `en` or `de-CH`"),
    ),
    responses(
        (status = 204, description = "removed"),
        (status = 403, description = "only an admin key may remove templates", body = ErrorBody),
        (status = 404, description = "the tenant has no such template", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn remove(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams((kind, language)): PathParams<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state.templates.remove(&caller, &kind, &language).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Preview a message as a sample guest would get it.
///
/// With `subject` and `body`, those templates; without, what the tenant's templates make for
/// `language`. Nothing is sent or kept.
#[utoipa::path(
    post, path = "/v1/templates/preview", tag = "visits", operation_id = "previewTemplate",
    request_body = PreviewTemplate,
    responses(
        (status = 200, description = "the message", body = PreviewAnswer),
        (status = 422, description = "the kind, the language or a template breaks a rule; `error.field` names it", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn preview(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonBody(body): JsonBody<PreviewTemplate>,
) -> Result<Json<PreviewAnswer>, ApiError> {
    let kind = required(body.kind, "kind")?;
    let template = match (body.subject, body.body) {
        (None, None) => None,
        (subject, text) => Some(Template {
            subject: required(subject, "subject")?,
            body: required(text, "body")?,
        }),
    };
    let language = body.language.unwrap_or_else(|| "en".to_owned());
    let rendered = state
        .templates
        .preview(&caller, &kind, &language, template)
        .await?;
    Ok(Json(rendered.into()))
}
