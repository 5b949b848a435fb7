//! How a parameter whose schema is an array or object is sent, from its `in`, `style` and
//! `explode` (OpenAPI's defaults: `form` exploded in a query, `simple` in a path or header).

use serde_json::Value;

use node::model::ListStyle;

use super::schema::schema_type;
use crate::session::Session;
use crate::text::text_of;

/// How a parameter is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Sent {
    /// One value, as given.
    Value,
    /// A JSON array or object, as a list row of this style.
    List(ListStyle),
    /// An object `deepObject` style: one parameter `name[property]` per property listed.
    Deep(Vec<String>),
}

/// How `parameter` (in `place`, of `schema`) is sent; a style a node cannot send is said in a
/// note and sent the nearest way it can.
pub(super) fn sent(
    parameter: &Value,
    place: &str,
    schema: &Value,
    method: &str,
    session: &mut Session,
) -> Sent {
    let kind = schema_type(schema);
    if kind != "array" && kind != "object" {
        return Sent::Value;
    }
    let name = text_of(parameter.get("name"));
    // `cookie` would default to `form` too, but a cookie parameter is left out before this.
    let default_style = if place == "query" { "form" } else { "simple" };
    let style = match text_of(parameter.get("style")) {
        style if style.is_empty() => default_style.to_owned(),
        style => style,
    };
    let explode = parameter
        .get("explode")
        .and_then(Value::as_bool)
        .unwrap_or(style == "form");
    let mut nearest = |sent: ListStyle, what: &str| {
        session.changed(format!(
            "`{method}`: the {place} parameter `{name}` is {what}; a node sends it \
             comma-separated"
        ));
        Sent::List(sent)
    };
    match (style.as_str(), explode, kind) {
        ("form", true, _) if place == "query" => Sent::List(ListStyle::Repeat),
        ("form", false, _) => Sent::List(ListStyle::Comma),
        ("spaceDelimited", false, "array") => Sent::List(ListStyle::Space),
        ("pipeDelimited", false, "array") => Sent::List(ListStyle::Pipe),
        ("simple", false, _) | ("simple", true, "array") => Sent::List(ListStyle::Comma),
        ("deepObject", true, "object") if place == "query" => {
            let properties: Vec<String> = schema
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| p.keys().cloned().collect())
                .unwrap_or_default();
            if properties.is_empty() {
                nearest(
                    ListStyle::Repeat,
                    "a `deepObject` with no properties listed",
                )
            } else {
                Sent::Deep(properties)
            }
        }
        (style, explode, kind) => nearest(
            ListStyle::Comma,
            &format!(
                "an {kind} in the `{style}` style{}",
                if explode { ", exploded" } else { "" }
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn style(parameter: Value) -> Sent {
        let place = text_of(parameter.get("in"));
        let schema = parameter["schema"].clone();
        sent(&parameter, &place, &schema, "m", &mut Session::default())
    }

    #[test]
    fn openapi_defaults_and_styles_become_list_rows() {
        let array = json!({"type": "array", "items": {"type": "string"}});
        let object = json!({"type": "object", "properties": {"role": {}, "id": {}}});
        let cases = [
            (
                json!({"name": "t", "in": "query", "schema": array}),
                Sent::List(ListStyle::Repeat),
            ),
            (
                json!({"name": "t", "in": "query", "explode": false, "schema": array}),
                Sent::List(ListStyle::Comma),
            ),
            (
                json!({"name": "t", "in": "query", "style": "pipeDelimited", "explode": false, "schema": array}),
                Sent::List(ListStyle::Pipe),
            ),
            (
                json!({"name": "t", "in": "query", "style": "spaceDelimited", "explode": false, "schema": array}),
                Sent::List(ListStyle::Space),
            ),
            (
                json!({"name": "t", "in": "path", "schema": array}),
                Sent::List(ListStyle::Comma),
            ),
            (
                json!({"name": "t", "in": "header", "schema": array}),
                Sent::List(ListStyle::Comma),
            ),
            (
                json!({"name": "o", "in": "query", "schema": object}),
                Sent::List(ListStyle::Repeat),
            ),
            (
                json!({"name": "o", "in": "query", "style": "deepObject", "explode": true, "schema": object}),
                Sent::Deep(vec!["role".into(), "id".into()]),
            ),
            (
                json!({"name": "s", "in": "query", "schema": {"type": "string"}}),
                Sent::Value,
            ),
        ];
        for (parameter, expected) in cases {
            assert_eq!(style(parameter.clone()), expected, "{parameter}");
        }
    }

    #[test]
    fn styles_only_a_query_has_are_sent_comma_separated_elsewhere_and_said_to_be() {
        let array = json!({"type": "array", "items": {"type": "string"}});
        let object = json!({"type": "object", "properties": {"role": {}}});
        for (parameter, what) in [
            (
                json!({"name": "t", "in": "header", "style": "form", "explode": true, "schema": array}),
                "the header parameter `t` is an array in the `form` style, exploded",
            ),
            (
                json!({"name": "o", "in": "path", "style": "deepObject", "explode": true, "schema": object}),
                "the path parameter `o` is an object in the `deepObject` style, exploded",
            ),
        ] {
            let place = text_of(parameter.get("in"));
            let mut session = Session::default();
            let sent = sent(&parameter, &place, &parameter["schema"], "m", &mut session);
            assert_eq!(sent, Sent::List(ListStyle::Comma), "{parameter}");
            let notes: Vec<&str> = session.notes.iter().map(|n| n.text.as_str()).collect();
            assert_eq!(
                notes,
                [format!("`m`: {what}; a node sends it comma-separated")],
                "{parameter}"
            );
        }
        // The defaults say nothing.
        let mut session = Session::default();
        let path = json!({"name": "t", "in": "path", "schema": array});
        assert_eq!(
            sent(&path, "path", &array, "m", &mut session),
            Sent::List(ListStyle::Comma)
        );
        assert!(session.notes.is_empty(), "{:?}", session.notes);
    }
}
