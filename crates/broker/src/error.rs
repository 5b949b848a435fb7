//! The broker's errors in Webex's shape, with `Retry-After` where the client is told to wait;
//! a failure of ours logged with its cause and the tracking id, never sent.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use instant_connect::ValidationErrors;
use serde_json::json;

use crate::tracking;

/// An error in Webex's shape: `{"message", "errors": [{"description"}], "trackingId"}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    descriptions: Vec<String>,
    /// Sent as `Retry-After`, in whole seconds.
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        let message = message.into();
        Self {
            status,
            descriptions: vec![message.clone()],
            message,
            retry_after: None,
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    /// How long the client is told to wait, when it is.
    pub(crate) fn retry_after_seconds(&self) -> Option<u64> {
        self.retry_after
    }

    /// `status` with `Retry-After: seconds`.
    pub fn retry_after(status: StatusCode, message: impl Into<String>, seconds: u64) -> Self {
        Self {
            retry_after: Some(seconds),
            ..Self::new(status, message)
        }
    }

    /// A token past its requests for the minute, as Webex throttles: 429 with `Retry-After`.
    pub(crate) fn throttled(wait: std::time::Duration) -> Self {
        let seconds = resilience::retry_after_seconds(wait);
        Self::retry_after(
            StatusCode::TOO_MANY_REQUESTS,
            format!("Too many requests for this token; retry after {seconds} seconds."),
            seconds,
        )
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "The request requires a valid access token set in the Authorization request header.",
        )
    }

    pub(crate) fn internal(context: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        // The cause goes to the log with the tracking id; the client gets only the id.
        tracing::error!(tracking_id = %tracking::current(), error = %resilience::report(error), "{context}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error; quote the trackingId.",
        )
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: errors.to_string(),
            descriptions: errors.errors().iter().map(ToString::to_string).collect(),
            retry_after: None,
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
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}
