//! The collection's shape: its version, its requests in order with the auth each inherits,
//! the entries of its lists that are not disabled, descriptions, the attributes of an auth.

use std::collections::HashMap;

use serde_json::Value;

use crate::imported::ImportError;
use crate::session::Session;
use crate::text::text_of;

/// The schema URL of a v2.1 collection, as Postman writes it.
pub const SCHEMA_V2_1: &str =
    "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// A request found in the collection, with the auth it has after inheritance.
pub(super) struct Found<'a> {
    pub name: String,
    /// The folders it is in, outermost first.
    pub folders: Vec<String>,
    pub request: &'a Value,
    pub auth: Option<&'a Value>,
    pub responses: Option<&'a Value>,
}

/// The collection's `info` and `item`, or why it is no collection v2.1.
pub(super) fn info_and_items(collection: &Value) -> Result<(&Value, &[Value]), ImportError> {
    let Some(info) = collection.get("info").filter(|i| i.is_object()) else {
        return Err(ImportError::NotCollection(
            "it has no `info` object (a collection v2.1 has `info` and `item`)".to_owned(),
        ));
    };
    let schema = info.get("schema").and_then(Value::as_str).unwrap_or("");
    if !schema.contains("/collection/v2.1") {
        return Err(if schema.is_empty() {
            ImportError::NotCollection("`info.schema` is missing".to_owned())
        } else {
            ImportError::CollectionVersion(match schema.split("/collection/").nth(1) {
                Some(rest) => rest.split('/').next().unwrap_or(rest).to_owned(),
                None => format!("with schema `{schema}`"),
            })
        });
    }
    let Some(items) = collection.get("item").and_then(Value::as_array) else {
        return Err(ImportError::NotCollection(
            "`item` is missing or not a list".to_owned(),
        ));
    };
    Ok((info, items))
}

/// Whether the collection or an item has pre-request or test scripts, which a node has not.
pub(super) fn has_scripts(item: &Value) -> bool {
    item.get("event")
        .and_then(Value::as_array)
        .is_some_and(|events| !events.is_empty())
}

/// Requests in order, folders flattened, each with its effective auth and its folders.
pub(super) fn walk<'a>(
    items: &'a [Value],
    inherited: Option<&'a Value>,
    folders: &[String],
    found: &mut Vec<Found<'a>>,
    session: &mut Session,
) {
    let own = |auth: Option<&'a Value>| {
        auth.filter(|auth| auth.get("type").and_then(Value::as_str) != Some("inherit"))
    };
    for item in items {
        // A folder's auth is the item's; a request's is in its request.
        let auth = own(item.pointer("/request/auth"))
            .or(own(item.get("auth")))
            .or(inherited);
        let name = text_of(item.get("name"));
        if has_scripts(item) {
            session.left_out(format!(
                "`{name}`: its pre-request and test scripts are not carried over"
            ));
        }
        if let Some(children) = item.get("item").and_then(Value::as_array) {
            let mut inner = folders.to_vec();
            inner.push(name);
            walk(children, auth, &inner, found, session);
        } else if let Some(request) = item.get("request") {
            found.push(Found {
                folders: folders.to_vec(),
                name,
                request,
                auth,
                responses: item.get("response"),
            });
        } else {
            session.left_out(format!(
                "item `{name}` is neither a request nor a folder: skipped"
            ));
        }
    }
}

/// The entries of a list (variables, query, headers, body pairs) not marked `disabled`.
pub(super) fn enabled(list: &[Value]) -> impl Iterator<Item = &Value> {
    list.iter()
        .filter(|v| v.get("disabled").and_then(Value::as_bool) != Some(true))
}

/// The `key`/`value` pairs of a list's enabled entries.
pub(super) fn pairs(list: &[Value]) -> Vec<(String, String)> {
    enabled(list)
        .map(|entry| (text_of(entry.get("key")), text_of(entry.get("value"))))
        .collect()
}

/// The `key`/`value` attributes of an auth of type `kind` (v2.1 lists them; a map is read too).
pub(super) fn attributes(auth: &Value, kind: &str) -> HashMap<String, Value> {
    match auth.get(kind) {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|a| {
                Some((
                    a.get("key")?.as_str()?.to_owned(),
                    a.get("value").cloned().unwrap_or(Value::Null),
                ))
            })
            .collect(),
        Some(Value::Object(map)) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        _ => HashMap::new(),
    }
}

/// A description: its text, or the `content` of a description object.
pub(super) fn description(value: Option<&Value>) -> String {
    match value {
        Some(Value::Object(d)) => text_of(d.get("content")),
        other => text_of(other),
    }
}
