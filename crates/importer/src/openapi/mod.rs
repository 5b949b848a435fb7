//! An OpenAPI 3.0 or 3.1 document (JSON or YAML) as a node: each operation a method, named by
//! `operationId` (else its summary, else `METHOD /path`); path, query and header parameters
//! dynamic fields whose node UI comes from their schemas, arrays and objects sent in their
//! `style`; a JSON or form request body a template with a placeholder per property, what is
//! optional left out when empty; the operation's (else its path's, else the document's) first
//! server the base URL, resolved against where the document was read; the security scheme the
//! authorization (secrets only); the 2xx answer's example or schema the suggested outputs.

mod body;
mod document;
mod operation;
mod responses;
mod schema;
mod security;
mod styles;

use serde_json::Value;

use document::{Doc, read, server_url};
use operation::{At, operation_method, operation_name};

use crate::defaults::http_method;
use crate::imported::{ImportError, Imported, finish};
use crate::select::{Operation, Options, select};
use crate::session::Session;
use crate::text::text_of;

/// An OpenAPI 3.0 or 3.1 document as a node definition: the operations `options.only` picks
/// (all by default), named `options.name` (default: `info.title`).
pub fn openapi(text: &str, options: &Options) -> Result<Imported, ImportError> {
    let document = read(text)?;
    let doc = Doc { root: &document };
    let mut session = Session::default();
    let found = select(operations_of(&doc, &mut session)?, &options.only)?;
    let mut methods = Vec::new();
    for (operation, at) in found {
        let server = server_url(
            &doc,
            at.item,
            at.operation,
            options.source.as_ref(),
            &mut session,
        );
        let draft = operation_method(&doc, &server, &operation.name, &at, &mut session);
        methods.push(draft.finish());
    }
    let title = document.pointer("/info/title");
    let node_name = options.name.clone().unwrap_or_else(|| text_of(title));
    let description = text_of(document.pointer("/info/description"));
    finish(&node_name, description, methods, session)
}

/// The document's operations as a listing shows them: name, method, path and tags.
pub fn operations(text: &str) -> Result<Vec<Operation>, ImportError> {
    let document = read(text)?;
    let found = operations_of(&Doc { root: &document }, &mut Session::default())?;
    Ok(found.into_iter().map(|(operation, _)| operation).collect())
}

/// Every operation a node can send, in the document's order, with where it is; one it cannot
/// send (HEAD, OPTIONS, TRACE) is said in a note.
fn operations_of<'a>(
    doc: &Doc<'a>,
    session: &mut Session,
) -> Result<Vec<(Operation, At<'a>)>, ImportError> {
    let Some(paths) = doc.root.get("paths").and_then(Value::as_object) else {
        return Err(ImportError::NotOpenApi("`paths` is missing".to_owned()));
    };
    let mut found = Vec::new();
    for (path, item) in paths {
        let item = doc.resolve(item);
        for (verb, operation) in item.as_object().into_iter().flatten() {
            let upper = verb.to_ascii_uppercase();
            // Operations are named in lower case; any other member is none.
            let Some(http_method) = http_method(&upper).filter(|_| *verb == verb.to_lowercase())
            else {
                // A path item's other members (`parameters`, `summary`, …) are no operation.
                if matches!(verb.as_str(), "head" | "options" | "trace") {
                    session.left_out(format!(
                        "`{upper} {path}`: {upper} is not a method a node can send: not carried \
                         over"
                    ));
                }
                continue;
            };
            let tags = operation
                .get("tags")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|tag| text_of(Some(tag)))
                .collect();
            let described = Operation {
                name: operation_name(operation, &upper, path),
                method: upper,
                path: path.clone(),
                groups: tags,
            };
            let at = At {
                path,
                http_method,
                item,
                operation,
            };
            found.push((described, at));
        }
    }
    Ok(found)
}
