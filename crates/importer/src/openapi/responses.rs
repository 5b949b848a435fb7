//! The first 2xx answer: the success status, and outputs from its example or its schema.

use serde_json::Value;

use super::document::Doc;
use super::schema::{MAX_SHAPE_NODES, shape};
use crate::draft::Draft;
use crate::outputs::suggested_outputs;
use crate::session::Session;

/// The first 2xx answer: its status the success event; its JSON example (else its schema) the
/// suggested outputs.
pub(super) fn read_responses(
    doc: &Doc<'_>,
    draft: &mut Draft,
    operation: &Value,
    session: &mut Session,
) {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return;
    };
    let Some((status, response)) = responses.iter().find(|(status, _)| status.starts_with('2'))
    else {
        return;
    };
    draft.success_status = status.parse().ok();
    let response = doc.resolve(response);
    let Some(media) = response
        .get("content")
        .and_then(Value::as_object)
        .and_then(|content| {
            content
                .iter()
                .find(|(kind, _)| kind.contains("json"))
                .map(|(_, media)| media)
        })
    else {
        return;
    };
    let example = media.get("example").cloned().or_else(|| {
        media
            .get("examples")
            .and_then(Value::as_object)
            .and_then(|examples| examples.values().next())
            .map(|example| doc.resolve(example))
            .and_then(|example| example.get("value").cloned())
    });
    match example {
        Some(example) => {
            let text = serde_json::to_string(&example).unwrap_or_default();
            draft.read_sample(&text, session);
        }
        None => {
            let schema = doc.resolve(media.get("schema").unwrap_or(&Value::Null));
            let shape = shape(doc, schema, 0, &mut MAX_SHAPE_NODES.clone());
            draft.outputs = suggested_outputs(&shape);
            draft.response_type = node::model::ResponseType::Json;
        }
    }
}
