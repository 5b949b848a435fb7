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

use collection::{description, has_scripts, info_and_items, walk};
use request::method;
use variables::Variables;

use crate::imported::{ImportError, Imported, finish};
use crate::session::Session;
use crate::text::text_of;

/// A Postman collection v2.1 as a node definition named `name` (default: the collection's).
pub fn postman(text: &str, name: Option<&str>) -> Result<Imported, ImportError> {
    let collection: Value =
        serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let (info, items) = info_and_items(&collection)?;
    let mut session = Session::default();
    let mut variables = Variables::of(&collection);
    if has_scripts(&collection) {
        session.note("the collection's pre-request and test scripts are not carried over");
    }
    let mut found = Vec::new();
    walk(items, collection.get("auth"), &mut found, &mut session);
    let mut methods = Vec::new();
    for request in found {
        if let Some(draft) = method(&request, &mut variables, &mut session) {
            methods.push(draft.finish());
        }
    }
    let node_name = name
        .map(str::to_owned)
        .unwrap_or_else(|| text_of(info.get("name")));
    let description = description(info.get("description"));
    finish(&node_name, description, methods, session)
}
