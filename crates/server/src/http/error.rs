//! Every failure as JSON `{"error": {"code", "message", "field"?, "details"?}}` with a fitting
//! status. Causes are logged here, once; clients get the message, never the chain.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use instant_connect::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

use super::types::ApiNames;
use crate::broker::BrokerFailure;
use crate::domain::{Field, FieldNames};
use crate::meetings::MeetingError;
use crate::nodes::NodeRunError;
use crate::settings::MAX_BODY_BYTES;
use crate::store::StoreError;
use crate::templates::TemplateOpError;
use crate::visits::VisitError;

/// The error body of every route.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`, `field`) and for people (`message`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: `invalid_field`, `not_found`, `broker_token_refused`, ...
    pub code: &'static str,
    /// For people.
    pub message: String,
    /// The request field, header or parameter at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Every field at fault, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldDetail>,
}

/// One field at fault and the rule it breaks.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldDetail {
    /// The field, in the request's own words (`expiresAt`, `phones[1]`).
    pub field: String,
    /// The rule, in words.
    pub rule: String,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub details: Vec<FieldDetail>,
    /// Sent as `Retry-After`, in whole seconds (at least 1).
    pub retry_after: Option<std::time::Duration>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn field(status: StatusCode, field: impl Into<String>, rule: impl Into<String>) -> Self {
        let field = field.into();
        let rule = rule.into();
        Self {
            status,
            code: "invalid_field",
            message: format!("{field}: {rule}"),
            field: Some(field),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn invalid(errors: &[FieldError]) -> Self {
        let message = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid_field",
            message,
            field: errors.first().map(|e| e.field.clone()),
            details: errors
                .iter()
                .map(|e| FieldDetail {
                    field: e.field.clone(),
                    rule: e.rule.clone(),
                })
                .collect(),
            retry_after: None,
        }
    }

    /// `413` for a body past [`MAX_BODY_BYTES`].
    pub fn body_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the body is larger than {} KiB", MAX_BODY_BYTES / 1024),
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid API key is required: `Authorization: Bearer <key>` (`icnode keys create`)",
        )
    }

    /// `403` for a key whose role does not allow what it asked (within its own tenant: what
    /// another tenant holds is `404`, never `403`).
    pub fn forbidden(said: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", said)
    }

    /// `429` for an API key past its quota, with `Retry-After`.
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        Self::limited("this API key has used its requests for the minute", wait)
    }

    /// `429` for a tenant past one of its limits (`what` says which), with `Retry-After`.
    pub fn limited(what: &str, wait: std::time::Duration) -> Self {
        Self {
            retry_after: Some(wait),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "{what}; retry in {} s",
                    resilience::retry_after_seconds(wait)
                ),
            )
        }
    }

    /// A failure of ours or of a dependency: the chain goes to the log, a plain message to
    /// the client.
    fn logged(
        status: StatusCode,
        code: &'static str,
        message: &str,
        cause: &(dyn std::error::Error + 'static),
    ) -> Self {
        tracing::error!(code, error = %resilience::report(cause), "request failed");
        Self::new(status, code, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
                details: if self.details.len() > 1 {
                    self.details
                } else {
                    Vec::new()
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(resilience::retry_after_seconds(wait)),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        if let StoreError::Malformed(_) = error {
            // A damaged row stays damaged: a retry would not help.
            return Self::logged(
                StatusCode::INTERNAL_SERVER_ERROR,
                "stored_row_malformed",
                "a stored row is damaged; the service's log says which rule it breaks",
                &error,
            );
        }
        Self::logged(
            StatusCode::SERVICE_UNAVAILABLE,
            "database_unavailable",
            // The connection can die during COMMIT, after PostgreSQL kept the data: the
            // service cannot know, so it does not say "nothing was stored".
            "the database is unavailable; retry with the same Idempotency-Key",
            &error,
        )
    }
}

impl From<BrokerFailure> for ApiError {
    fn from(failure: BrokerFailure) -> Self {
        let (status, code) = match &failure {
            BrokerFailure::TokenRefused => (StatusCode::BAD_GATEWAY, "broker_token_refused"),
            BrokerFailure::Refused { .. } => (StatusCode::BAD_GATEWAY, "broker_refused"),
            BrokerFailure::Unreachable(_) => (StatusCode::BAD_GATEWAY, "broker_unreachable"),
            BrokerFailure::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "broker_timeout"),
            BrokerFailure::Unusable(_) => (StatusCode::BAD_GATEWAY, "broker_answer_unusable"),
            BrokerFailure::CircuitOpen { retry_in, .. } => {
                return Self {
                    retry_after: Some(*retry_in),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "broker_circuit_open",
                        failure.to_string(),
                    )
                };
            }
        };
        Self::logged(status, code, &failure.to_string(), &failure)
    }
}

impl From<MeetingError> for ApiError {
    fn from(error: MeetingError) -> Self {
        match error {
            MeetingError::Invalid(errors) => {
                Self::invalid(&errors.iter().map(|e| ApiNames.word(e)).collect::<Vec<_>>())
            }
            error @ MeetingError::Exists(_) => {
                let mut api = Self::new(StatusCode::CONFLICT, "meeting_exists", error.to_string());
                api.field = Some(ApiNames.name(&Field::ChatId));
                api
            }
            error @ MeetingError::NotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                "meeting_not_found",
                error.to_string(),
            ),
            error @ MeetingError::Expired { .. } => Self::new(
                StatusCode::CONFLICT,
                "meeting_expired",
                format!(
                    "{error}; give {} or {} for new ones",
                    ApiNames.name(&Field::Ttl),
                    ApiNames.name(&Field::ExpiresAt)
                ),
            ),
            error @ MeetingError::Forbidden(_) => Self::forbidden(&error.to_string()),
            MeetingError::Limited { what, retry_in } => Self::limited(&what, retry_in),
            MeetingError::Broker(failure) => failure.into(),
            error @ MeetingError::TenantTokenRefused => Self::new(
                StatusCode::BAD_GATEWAY,
                "broker_token_refused",
                error.to_string(),
            ),
            error @ MeetingError::TenantTokenUnavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "tenant_token_unavailable",
                error.to_string(),
            ),
            MeetingError::Store(error) => error.into(),
        }
    }
}

impl From<TemplateOpError> for ApiError {
    fn from(error: TemplateOpError) -> Self {
        match error {
            TemplateOpError::Invalid(errors) => {
                Self::invalid(&errors.iter().map(|e| ApiNames.word(e)).collect::<Vec<_>>())
            }
            error @ TemplateOpError::NotFound { .. } => Self::new(
                StatusCode::NOT_FOUND,
                "template_not_found",
                error.to_string(),
            ),
            error @ TemplateOpError::Forbidden(_) => Self::forbidden(&error.to_string()),
            TemplateOpError::Store(error) => error.into(),
        }
    }
}

impl From<VisitError> for ApiError {
    fn from(error: VisitError) -> Self {
        match error {
            VisitError::Invalid(errors) => {
                Self::invalid(&errors.iter().map(|e| ApiNames.word(e)).collect::<Vec<_>>())
            }
            error @ VisitError::NotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, "visit_not_found", error.to_string())
            }
            error @ VisitError::Over { .. } => {
                Self::new(StatusCode::CONFLICT, "visit_over", error.to_string())
            }
            error @ VisitError::Changed(_) => {
                Self::new(StatusCode::CONFLICT, "visit_changed", error.to_string())
            }
            error @ VisitError::Forbidden(_) => Self::forbidden(&error.to_string()),
            VisitError::Meeting(error) => error.into(),
            VisitError::Store(error) => error.into(),
        }
    }
}

impl From<crate::webhooks::WebhookError> for ApiError {
    fn from(error: crate::webhooks::WebhookError) -> Self {
        use crate::webhooks::WebhookError;
        match error {
            WebhookError::Invalid(invalid) => Self::invalid(&[ApiNames.word(&invalid)]),
            error @ WebhookError::TooMany => {
                Self::new(StatusCode::CONFLICT, "too_many_webhooks", error.to_string())
            }
            error @ WebhookError::NotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                "webhook_not_found",
                error.to_string(),
            ),
            error @ WebhookError::DeliveryNotFound(_) => Self::new(
                StatusCode::NOT_FOUND,
                "delivery_not_found",
                error.to_string(),
            ),
            error @ WebhookError::Forbidden(_) => Self::forbidden(&error.to_string()),
            WebhookError::Store(error) => error.into(),
        }
    }
}

impl From<NodeRunError> for ApiError {
    fn from(error: NodeRunError) -> Self {
        match &error {
            NodeRunError::UnknownNode(_) => {
                Self::new(StatusCode::NOT_FOUND, "node_not_found", error.to_string())
            }
            NodeRunError::UnknownMethod { .. } => {
                Self::new(StatusCode::NOT_FOUND, "method_not_found", error.to_string())
            }
            NodeRunError::Forbidden(_) => Self::forbidden(&error.to_string()),
            NodeRunError::NotAScalar { name } => Self::field(
                StatusCode::UNPROCESSABLE_ENTITY,
                name.clone(),
                "must be a string, number or boolean",
            ),
            NodeRunError::Refused(node::RunError::MissingSecret { .. }) => Self::logged(
                StatusCode::SERVICE_UNAVAILABLE,
                "node_secret_missing",
                "the service is missing a secret this node names; its operator must set it",
                &error,
            ),
            NodeRunError::Refused(node::RunError::InvalidParameters(errors)) => {
                let mut api = Self::invalid(
                    &errors
                        .iter()
                        .map(|e| FieldError::new(e.field.clone(), e.rule.clone()))
                        .collect::<Vec<_>>(),
                );
                api.code = "invalid_parameters";
                api
            }
            NodeRunError::Refused(run) => {
                let field = match run {
                    node::RunError::MissingParameters(names) => names.first().cloned(),
                    node::RunError::UnknownParameters { unknown, .. } => unknown.first().cloned(),
                    _ => None,
                };
                let mut api = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_parameters",
                    error.to_string(),
                );
                api.field = field;
                api
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_row_is_ours_to_mend_and_a_failing_database_is_worth_a_retry() {
        let damaged = ApiError::from(StoreError::Malformed("a rule"));
        assert_eq!(
            (damaged.status, damaged.code),
            (StatusCode::INTERNAL_SERVER_ERROR, "stored_row_malformed")
        );
        let stopped = ApiError::from(StoreError::WriterStopped);
        assert_eq!(stopped.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
