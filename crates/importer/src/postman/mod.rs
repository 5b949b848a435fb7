//! A Postman collection (v2.1) as a node: each request a method, folders flattened, auth
//! inherited request → folder → collection as Postman does, saved examples read for outputs and
//! the success status. The reverse is [`export`].

mod auth;
mod body;
mod collection;
mod export;
mod request;
mod variables;

pub use collection::SCHEMA_V2_1;
pub use export::export;

use serde_json::Value;

use collection::{Found, description, has_scripts, info_and_items, walk};
use request::{method, request_url};
use variables::Variables;

use crate::imported::{ImportError, Imported, finish};
use crate::select::{Operation, Options, select};
use crate::session::Session;
use crate::text::text_of;

/// A Postman collection v2.1 as a node definition: the requests `options.only` picks (all by
/// default), named `options.name` (default: the collection's).
pub fn postman(text: &str, options: &Options) -> Result<Imported, ImportError> {
    let collection: Value =
        serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let (info, _) = info_and_items(&collection)?;
    let mut session = Session::default();
    let mut variables = Variables::of(&collection);
    if has_scripts(&collection) {
        session.left_out("the collection's pre-request and test scripts are not carried over");
    }
    let found = select(requests(&collection, &mut session)?, &options.only)?;
    let mut methods = Vec::new();
    for (_, request) in found {
        if let Some(draft) = method(&request, &mut variables, &mut session) {
            methods.push(draft.finish());
        }
    }
    let node_name = options
        .name
        .clone()
        .unwrap_or_else(|| text_of(info.get("name")));
    let description = description(info.get("description"));
    finish(&node_name, description, methods, session)
}

/// The collection's requests as a listing shows them: name, method, URL and folders.
pub fn operations(text: &str) -> Result<Vec<Operation>, ImportError> {
    let collection: Value =
        serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let found = requests(&collection, &mut Session::default())?;
    Ok(found.into_iter().map(|(operation, _)| operation).collect())
}

/// Every request of the collection with the operation it is.
fn requests<'a>(
    collection: &'a Value,
    session: &mut Session,
) -> Result<Vec<(Operation, Found<'a>)>, ImportError> {
    let (_, items) = info_and_items(collection)?;
    let mut found = Vec::new();
    walk(items, collection.get("auth"), &[], &mut found, session);
    Ok(found
        .into_iter()
        .map(|request| {
            let operation = Operation {
                name: request.name.clone(),
                method: match text_of(request.request.get("method")) {
                    verb if verb.is_empty() => "GET".to_owned(),
                    verb => verb.to_ascii_uppercase(),
                },
                path: request_url(request.request),
                groups: request.folders.clone(),
            };
            (operation, request)
        })
        .collect())
}
