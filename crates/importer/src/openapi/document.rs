//! The document: read from JSON or YAML as OpenAPI 3.0 or 3.1, its local `$ref`s followed, its
//! first server the base URL.

use serde_json::Value;

use crate::defaults::PLACEHOLDER_BASE_URL;
use crate::imported::ImportError;
use crate::session::Session;
use crate::text::text_of;
use crate::urls::{absolute_url, has_http_scheme};

/// `$ref`s are followed at most this deep (a schema may refer to itself).
const MAX_REF_DEPTH: usize = 16;

/// `text` as a document of OpenAPI 3.0 or 3.1, JSON or YAML.
pub(super) fn read(text: &str) -> Result<Value, ImportError> {
    let document: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(_) => yaml_serde::from_str(text).map_err(|e| ImportError::NotYaml(e.to_string()))?,
    };
    if !document.is_object() {
        return Err(ImportError::NotOpenApi(
            "it is not a mapping with `openapi`, `info` and `paths`".to_owned(),
        ));
    }
    if let Some(swagger) = document.get("swagger") {
        return Err(ImportError::OpenApiVersion(format!(
            "{} (Swagger)",
            text_of(Some(swagger))
        )));
    }
    let version = match document.get("openapi") {
        Some(version) => text_of(Some(version)),
        None => {
            return Err(ImportError::NotOpenApi(
                "it has no `openapi` version field".to_owned(),
            ));
        }
    };
    if !(version.starts_with("3.0") || version.starts_with("3.1")) {
        return Err(ImportError::OpenApiVersion(version));
    }
    Ok(document)
}

/// The document, to follow local `$ref`s in.
pub(super) struct Doc<'a> {
    pub root: &'a Value,
}

impl<'a> Doc<'a> {
    /// `value`, or what its `$ref` (`#/components/...`) points to, followed to the end.
    pub(super) fn resolve(&self, mut value: &'a Value) -> &'a Value {
        for _ in 0..MAX_REF_DEPTH {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return value;
            };
            let Some(pointer) = reference.strip_prefix('#') else {
                return &Value::Null;
            };
            match self.root.pointer(pointer) {
                Some(target) => value = target,
                None => return &Value::Null,
            }
        }
        &Value::Null
    }
}

/// The base URL of an operation: the first of its own servers, else its path item's, else the
/// document's, with its variables' defaults; a relative one resolved against `source` (where
/// the document was read), else said in a note. A document without servers is served from
/// `/`, as OpenAPI says.
pub(super) fn server_url(
    doc: &Doc<'_>,
    item: &Value,
    operation: &Value,
    source: Option<&url::Url>,
    session: &mut Session,
) -> String {
    let servers = [operation, item, doc.root].into_iter().find_map(|at| {
        at.get("servers")
            .and_then(Value::as_array)
            .filter(|s| !s.is_empty())
    });
    let Some(servers) = servers else {
        return match source.and_then(|source| source.join("/").ok()) {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => {
                session.base_url(format!(
                    "the document names no server and was not read from a URL: URLs start with \
                     {PLACEHOLDER_BASE_URL}"
                ));
                PLACEHOLDER_BASE_URL.to_owned()
            }
        };
    };
    let server = &servers[0];
    let mut url = text_of(server.get("url"));
    for (name, variable) in server
        .get("variables")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        url = url.replace(&format!("{{{name}}}"), &text_of(variable.get("default")));
    }
    if servers.len() > 1 {
        session.changed(format!("of the servers listed, the first is used: {url}"));
    }
    if !has_http_scheme(&url)
        && let Some(resolved) = source.and_then(|source| source.join(&url).ok())
    {
        return resolved.as_str().trim_end_matches('/').to_owned();
    }
    let url = url.trim_end_matches('/').to_owned();
    if url.is_empty() {
        session.base_url(format!(
            "the server URL `/` is relative and the document was not read from a URL: URLs \
             start with {PLACEHOLDER_BASE_URL}"
        ));
        return PLACEHOLDER_BASE_URL.to_owned();
    }
    absolute_url(&url, "https", session)
}
