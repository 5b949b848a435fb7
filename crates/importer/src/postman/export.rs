//! A node definition as a Postman collection v2.1: placeholders as `{{name}}`, every field and
//! secret an empty collection variable.

use serde_json::{Value, json};

use node::model::{
    AuthValue, Authorization, Body, BodyFormat, Condition, Edge, Method, NodeDefinition,
    ResponseType, Row, Source,
};
use node::template::{self, Piece, SECRET_PREFIX};

use super::collection::SCHEMA_V2_1;
use crate::bodies::decoded_pairs;
use crate::text::text_of;

/// A node definition as a Postman collection v2.1 that can be sent from Postman: every dynamic
/// field and every secret a collection variable with an empty value (secrets of type
/// `secret`), placeholders as `{{name}}`. No secret value is ever in it: a definition has none.
pub fn export(definition: &NodeDefinition) -> Value {
    let mut exporter = Exporter::default();
    let items: Vec<Value> = definition
        .methods
        .iter()
        .map(|method| exporter.item(method))
        .collect();
    let variable: Vec<Value> = exporter
        .variables
        .iter()
        .map(|(name, secret)| {
            json!({"key": name, "value": "", "type": if *secret { "secret" } else { "string" }})
        })
        .collect();
    json!({
        "info": {
            "name": definition.name,
            "description": definition.description,
            "schema": SCHEMA_V2_1,
        },
        "item": items,
        "variable": variable,
    })
}

/// The collection variables an export has named so far: name, and whether it is a secret.
#[derive(Default)]
struct Exporter {
    variables: Vec<(String, bool)>,
}

impl Exporter {
    fn add(&mut self, name: &str, secret: bool) {
        if !self.variables.iter().any(|(known, _)| known == name) {
            self.variables.push((name.to_owned(), secret));
        }
    }

    /// A template with `$(name)` and `$(secret:NAME)` as `{{name}}` and `{{NAME}}`.
    fn braces(&mut self, text: &str) -> String {
        template::pieces(text)
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.to_owned(),
                Piece::Placeholder(name) => {
                    let (var, secret) = match name.strip_prefix(SECRET_PREFIX) {
                        Some(secret) => (secret, true),
                        None => (name, false),
                    };
                    self.add(var, secret);
                    format!("{{{{{var}}}}}")
                }
            })
            .collect()
    }

    fn row(&mut self, row: &Row) -> Value {
        let value = match row {
            Row::Static { value, .. } => self.braces(value),
            Row::Dynamic { .. } => format!("{{{{{}}}}}", row.field().unwrap_or_default()),
        };
        json!({"key": row.name(), "value": value})
    }

    fn auth_value(&mut self, value: &AuthValue) -> Value {
        let text = match value {
            AuthValue::Static { value } => self.braces(value),
            AuthValue::Dynamic { field } => format!("{{{{{field}}}}}"),
        };
        Value::String(text)
    }

    /// A method as a collection item: its request, and its sample as a saved example.
    fn item(&mut self, method: &Method) -> Value {
        for field in method.dynamic_fields() {
            self.add(field, false);
        }
        let mut request = self.request(method);
        if let Some(b) = &method.body {
            request["body"] = self.body(b);
        }
        request["auth"] = self.auth(&method.authorization);
        if let Some(Body {
            soap_action: Some(action),
            ..
        }) = &method.body
            && let Some(headers) = request["header"].as_array_mut()
        {
            headers.push(json!({"key": "SOAPAction", "value": format!("\"{action}\"")}));
        }
        let mut responses = Vec::new();
        if let Some(sample) = &method.response_sample {
            responses.push(sample_response(method, sample, &request));
        }
        json!({"name": method.name, "request": request, "response": responses})
    }

    /// The method, headers and URL (its rows as the query) of a request.
    fn request(&mut self, method: &Method) -> Value {
        let headers: Vec<Value> = method.headers.iter().map(|h| self.row(h)).collect();
        let query: Vec<Value> = method.url_parameters.iter().map(|q| self.row(q)).collect();
        let url = self.braces(&method.url);
        let raw = if query.is_empty() {
            url
        } else {
            let pairs: Vec<String> = query
                .iter()
                .map(|q| format!("{}={}", text_of(q.get("key")), text_of(q.get("value"))))
                .collect();
            format!("{url}?{}", pairs.join("&"))
        };
        let mut request = json!({
            "method": format!("{:?}", method.http_method).to_ascii_uppercase(),
            "header": headers,
            "url": {"raw": raw},
        });
        if !query.is_empty() {
            request["url"]["query"] = Value::Array(query);
        }
        request
    }

    /// A body in the Postman mode of its format.
    fn body(&mut self, b: &Body) -> Value {
        let text = self.braces(&b.template);
        match b.format {
            BodyFormat::Json => {
                json!({"mode": "raw", "raw": text, "options": {"raw": {"language": "json"}}})
            }
            BodyFormat::Text => json!({"mode": "raw", "raw": text}),
            BodyFormat::Xml | BodyFormat::Soap => {
                json!({"mode": "raw", "raw": text, "options": {"raw": {"language": "xml"}}})
            }
            BodyFormat::Multipart => {
                let parts: Vec<Value> = b
                    .parts
                    .iter()
                    .map(|part| {
                        let mut part = self.row(part);
                        part["type"] = json!("text");
                        part
                    })
                    .collect();
                json!({"mode": "formdata", "formdata": parts})
            }
            BodyFormat::Form => {
                // A template's literal text is form-encoded and its `{{var}}` is not: both are
                // shown decoded, as Postman lists a form's pairs.
                let pairs: Vec<Value> = decoded_pairs(&text)
                    .into_iter()
                    .map(|(key, value)| json!({"key": key, "value": value}))
                    .collect();
                json!({"mode": "urlencoded", "urlencoded": pairs})
            }
        }
    }

    /// An authorization as Postman's auth of that type.
    fn auth(&mut self, authorization: &Option<Authorization>) -> Value {
        let attr = |key: &str, value: Value| json!({"key": key, "value": value, "type": "string"});
        match authorization {
            Some(Authorization::Basic { username, password })
            | Some(Authorization::Digest { username, password }) => {
                let kind = if matches!(authorization, Some(Authorization::Basic { .. })) {
                    "basic"
                } else {
                    "digest"
                };
                json!({"type": kind, kind: [
                    attr("username", self.auth_value(username)),
                    attr("password", self.auth_value(password)),
                ]})
            }
            Some(Authorization::Oauth2 {
                token_url,
                client_id,
                client_secret,
                scopes,
                ..
            }) => json!({"type": "oauth2", "oauth2": [
                attr("grant_type", json!("client_credentials")),
                attr("accessTokenUrl", json!(token_url)),
                attr("clientId", self.auth_value(client_id)),
                attr("clientSecret", self.auth_value(client_secret)),
                attr("scope", json!(scopes.join(" "))),
                attr("client_authentication", json!("header")),
            ]}),
            Some(Authorization::Aws {
                access_key,
                secret_key,
                session_token,
                region,
                service,
            }) => {
                let mut attrs = vec![
                    attr("accessKey", self.auth_value(access_key)),
                    attr("secretKey", self.auth_value(secret_key)),
                    attr("region", json!(region)),
                    attr("service", json!(service)),
                ];
                if let Some(token) = session_token {
                    attrs.push(attr("sessionToken", self.auth_value(token)));
                }
                json!({"type": "awsv4", "awsv4": attrs})
            }
            Some(Authorization::None) | None => json!({"type": "noauth"}),
        }
    }
}

/// The method's response sample as a saved example of `request`, with the success status.
fn sample_response(method: &Method, sample: &str, request: &Value) -> Value {
    let code = success_status(method).unwrap_or(200);
    let language = match method.response_type {
        ResponseType::Json => "json",
        ResponseType::Xml => "xml",
        ResponseType::Text => "text",
    };
    json!({
        "name": "Sample",
        "originalRequest": request.clone(),
        "code": code,
        "_postman_previewlanguage": language,
        "header": [],
        "body": sample,
    })
}

/// The status the method's first success event asks for, when it asks for one.
fn success_status(method: &Method) -> Option<u16> {
    method.events.iter().find_map(|event| {
        (event.edge == Edge::Success
            && event.source == Source::Status
            && event.condition == Condition::Equals)
            .then(|| event.value.as_deref()?.parse().ok())
            .flatten()
    })
}
