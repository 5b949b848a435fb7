//! Request bodies and queries read so that every problem names its field: malformed JSON is
//! `400`, a well-formed body that breaks a rule (wrong type, unknown field) is `422`.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body; an empty body reads as `{}`, so every field takes its default.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::body_too_large()
                } else {
                    ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "unreadable_body",
                        format!("the body could not be read: {rejection}"),
                    )
                }
            })?;
        // No body: every field takes its default. White space alone is a body, and not JSON.
        if bytes.is_empty() {
            return from_json(b"{}").map(JsonBody);
        }
        let media_type = content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .map(str::trim);
        if !media_type.is_some_and(|t| t.eq_ignore_ascii_case("application/json")) {
            let mut error = ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "Content-Type must be application/json, got `{}`",
                    content_type.as_deref().unwrap_or("nothing")
                ),
            );
            error.field = Some("Content-Type".into());
            return Err(error);
        }
        object_only(&bytes)?;
        from_json(&bytes).map(JsonBody)
    }
}

/// Every body the API takes is a JSON object: an array or a scalar is refused by name before
/// it is read (serde would take an array for a struct's fields in order).
fn object_only(bytes: &[u8]) -> Result<(), ApiError> {
    let kind = match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => "a list",
        Some(b'"') => "text",
        Some(b't' | b'f') => "true or false",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "a number",
        // An object, or not JSON at all: the reader says which.
        _ => return Ok(()),
    };
    Err(ApiError::field(
        StatusCode::UNPROCESSABLE_ENTITY,
        "body",
        format!("must be a JSON object such as {{\"guests\": 1}}, got {kind}"),
    ))
}

fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => Ok(value),
        Err(error) => {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if inner.is_syntax() || inner.is_eof() || inner.is_io() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "malformed_json",
                    format!("the body is not JSON: {inner}"),
                ));
            }
            Err(field_error(&path, &inner.to_string()))
        }
    }
}

/// The path serde reached names the field (an unknown field included); at the top level,
/// the message's `unknown field `x`` does.
fn field_error(path: &str, message: &str) -> ApiError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_owned();
    // serde's "unknown field `x`, expected one of `a`, `b`", in the caller's words.
    let unknown = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, rest)| (name.to_owned(), rest.split_once("one of ").map(|(_, l)| l)));
    let (field, message) = match (path, unknown) {
        (path, Some((name, known))) => {
            let rule = match known {
                Some(list) => format!("is not a field here; the fields are {list}"),
                None => "is not a field here".to_owned(),
            };
            let field = if matches!(path, "." | "") {
                name
            } else {
                path.to_owned()
            };
            (field, rule)
        }
        (path, None) => (path.to_owned(), message),
    };
    ApiError::field(StatusCode::UNPROCESSABLE_ENTITY, field, message)
}

/// Path parameters; one that cannot be read (not UTF-8 once decoded) is a JSON `400` like
/// every other error.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParams(value))
            .map_err(|rejection| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_path",
                    format!("the path cannot be read: {}", rejection.body_text()),
                )
            })
    }
}

/// A query string read like a body: unknown parameters and bad values name themselves.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        let deserializer =
            serde_urlencoded::Deserializer::new(url::form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(QueryParams)
            .map_err(|error| {
                let path = error.path().to_string();
                field_error(&path, &error.into_inner().to_string())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sample {
        count: Option<i64>,
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_the_field() {
        let unknown = from_json::<Sample>(br#"{"cuont": 1}"#).unwrap_err();
        assert_eq!(unknown.field.as_deref(), Some("cuont"));
        assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
        let wrong = from_json::<Sample>(br#"{"count": "many"}"#).unwrap_err();
        assert_eq!(wrong.field.as_deref(), Some("count"));
        let broken = from_json::<Sample>(br#"{"count": "#).unwrap_err();
        assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_body_that_is_not_an_object_is_refused_by_name() {
        for (body, kind) in [
            (&b"[\"x\", null]"[..], "a list"),
            (b" 5", "a number"),
            (b"\"x\"", "text"),
            (b"true", "true or false"),
            (b"null", "null"),
        ] {
            let error = object_only(body).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("body"));
            assert!(error.message.ends_with(kind), "{}", error.message);
        }
        assert!(object_only(b" {}").is_ok());
    }
}
