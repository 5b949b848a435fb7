//! An OpenAPI 3.0 or 3.1 document (JSON or YAML) as a node: each operation a method, named by
//! `operationId` (else its summary, else `METHOD /path`); path, query and header parameters
//! dynamic fields whose node UI comes from their schemas; a JSON request body a template with a
//! placeholder per property; `servers[0]` the base URL; the security scheme the authorization
//! (secrets only); the 2xx answer's example or schema the suggested outputs.

mod body;
mod document;
mod operation;
mod responses;
mod schema;
mod security;

use serde_json::Value;

use document::{Doc, read, server_url};
use operation::operation_method;

use crate::defaults::http_method;
use crate::imported::{ImportError, Imported, finish};
use crate::session::Session;
use crate::text::text_of;

/// An OpenAPI 3.0 or 3.1 document as a node definition named `name` (default: `info.title`).
pub fn openapi(text: &str, name: Option<&str>) -> Result<Imported, ImportError> {
    let document = read(text)?;
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Err(ImportError::NotOpenApi("`paths` is missing".to_owned()));
    };
    let doc = Doc { root: &document };
    let mut session = Session::default();
    let server = server_url(&document, &mut session);
    let mut methods = Vec::new();
    for (path, item) in paths {
        let item = doc.resolve(item);
        for (verb, operation) in item.as_object().into_iter().flatten() {
            let upper = verb.to_ascii_uppercase();
            // Operations are named in lower case; any other member is none.
            let Some(http_method) = http_method(&upper).filter(|_| *verb == verb.to_lowercase())
            else {
                // A path item's other members (`parameters`, `summary`, …) are no operation.
                if matches!(verb.as_str(), "head" | "options" | "trace") {
                    session.note(format!(
                        "`{upper} {path}`: {upper} is not a method a node can send: not carried \
                         over"
                    ));
                }
                continue;
            };
            let draft = operation_method(
                &doc,
                &server,
                path,
                http_method,
                item,
                operation,
                &mut session,
            );
            methods.push(draft.finish());
        }
    }
    let title = document.pointer("/info/title");
    let node_name = name.map(str::to_owned).unwrap_or_else(|| text_of(title));
    let description = text_of(document.pointer("/info/description"));
    finish(&node_name, description, methods, session)
}
