//! An OpenAPI 3.0 or 3.1 document (JSON or YAML) as a node: each operation a method, named by
//! `operationId` (else its summary, else `METHOD /path`); path, query and header parameters
//! dynamic fields whose node UI comes from their schemas; a JSON request body a template with a
//! placeholder per property; `servers[0]` the base URL; the security scheme the authorization
//! (secrets only); the 2xx answer's example or schema the suggested outputs.

use serde_json::{Map, Value};

use crate::{
    Draft, ImportError, Imported, Session, absolute_url, body, field_name, secret_name, text_of,
};
use node::model::{
    AuthValue, Authorization, BodyFormat, FieldType, FieldUi, Grant, HttpMethod, Row,
};
use node::template::SECRET_PREFIX;

/// `$ref`s are followed at most this deep (a schema may refer to itself).
const MAX_REF_DEPTH: usize = 16;
/// A request body template has at most this many placeholders.
const MAX_BODY_FIELDS: usize = 50;

/// An OpenAPI 3.0 or 3.1 document as a node definition named `name` (default: `info.title`).
pub fn openapi(text: &str, name: Option<&str>) -> Result<Imported, ImportError> {
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
            let http_method = match verb.as_str() {
                "get" => HttpMethod::Get,
                "post" => HttpMethod::Post,
                "put" => HttpMethod::Put,
                "patch" => HttpMethod::Patch,
                "delete" => HttpMethod::Delete,
                "head" | "options" | "trace" => {
                    session.note(format!(
                        "`{} {path}`: {} is not a method a node can send: not carried over",
                        verb.to_ascii_uppercase(),
                        verb.to_ascii_uppercase()
                    ));
                    continue;
                }
                _ => continue,
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
    crate::finish(&node_name, description, methods, session)
}

/// The document, to follow local `$ref`s in.
struct Doc<'a> {
    root: &'a Value,
}

impl<'a> Doc<'a> {
    /// `value`, or what its `$ref` (`#/components/...`) points to, followed to the end.
    fn resolve(&self, mut value: &'a Value) -> &'a Value {
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

/// `servers[0].url` with its variables' defaults, made absolute.
fn server_url(document: &Value, session: &mut Session) -> String {
    let Some(server) = document.pointer("/servers/0") else {
        session.note(format!(
            "the document has no servers: URLs start with {}",
            crate::PLACEHOLDER_BASE_URL
        ));
        return crate::PLACEHOLDER_BASE_URL.to_owned();
    };
    let mut url = text_of(server.get("url"));
    for (name, variable) in server
        .get("variables")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        url = url.replace(&format!("{{{name}}}"), &text_of(variable.get("default")));
    }
    if document
        .get("servers")
        .and_then(Value::as_array)
        .is_some_and(|s| s.len() > 1)
    {
        session.note(format!("the first server is used: {url}"));
    }
    let url = url.trim_end_matches('/').to_owned();
    if url.is_empty() {
        return crate::PLACEHOLDER_BASE_URL.to_owned();
    }
    absolute_url(&url, "https", session)
}

fn operation_method(
    doc: &Doc<'_>,
    server: &str,
    path: &str,
    http_method: HttpMethod,
    item: &Value,
    operation: &Value,
    session: &mut Session,
) -> Draft {
    let verb = format!("{http_method:?}").to_ascii_uppercase();
    let name = [
        text_of(operation.get("operationId")),
        text_of(operation.get("summary")),
    ]
    .into_iter()
    .find(|n| !n.trim().is_empty())
    .unwrap_or_else(|| format!("{verb} {path}"));
    let name = name.trim().to_owned();

    // Operation parameters override the path item's of the same name and place.
    let mut parameters: Vec<&Value> = Vec::new();
    for list in [item.get("parameters"), operation.get("parameters")] {
        for parameter in list.and_then(Value::as_array).into_iter().flatten() {
            let parameter = doc.resolve(parameter);
            let key = |p: &Value| (text_of(p.get("name")), text_of(p.get("in")));
            parameters.retain(|known| key(known) != key(parameter));
            parameters.push(parameter);
        }
    }

    let mut url_path = path.to_owned();
    let mut fields: Vec<FieldUi> = Vec::new();
    let mut url_parameters = Vec::new();
    let mut headers = Vec::new();
    for parameter in parameters {
        let pname = text_of(parameter.get("name"));
        let place = text_of(parameter.get("in"));
        let field = field_name(&pname);
        let schema = doc.resolve(parameter.get("schema").unwrap_or(&Value::Null));
        let required = place == "path" || parameter.get("required") == Some(&Value::Bool(true));
        let mut ui = field_ui(&field, schema, required, &name, session);
        if ui.tooltip.is_empty() {
            ui.tooltip = text_of(parameter.get("description"));
        }
        match place.as_str() {
            "path" => url_path = url_path.replace(&format!("{{{pname}}}"), &format!("$({field})")),
            "query" => url_parameters.push(Row::Dynamic {
                name: pname.clone(),
                field: (field != pname).then(|| field.clone()),
                description: String::new(),
            }),
            "header" => headers.push(Row::Dynamic {
                name: pname.clone(),
                field: (field != pname).then(|| field.clone()),
                description: String::new(),
            }),
            other => {
                session.note(format!(
                    "`{name}`: the {other} parameter `{pname}` is not carried over"
                ));
                continue;
            }
        }
        fields.push(ui);
    }
    let mut draft = Draft::new(&name, http_method, format!("{server}{url_path}"));
    draft.url_parameters = url_parameters;
    draft.headers = headers;
    draft.fields = fields;

    if let Some(request_body) = operation.get("requestBody").map(|b| doc.resolve(b)) {
        read_request_body(doc, &mut draft, request_body, session);
    }
    security(doc, &mut draft, operation, session);
    read_responses(doc, &mut draft, operation, session);
    draft
}

/// The node UI of a field from its schema: required → mandatory, type, pattern, description,
/// default. A pattern or default the node UI would refuse is left out, with a note.
fn field_ui(
    field: &str,
    schema: &Value,
    required: bool,
    method: &str,
    session: &mut Session,
) -> FieldUi {
    let mut ui = FieldUi::plain(field);
    ui.mandatory = required;
    ui.kind = field_type(schema);
    ui.tooltip = text_of(schema.get("description"));
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        // OpenAPI patterns are unanchored (ECMA 262); the node UI's regex matches the whole
        // value, so a pattern is widened unless it anchors itself.
        let anchored = pattern.starts_with('^') && pattern.ends_with('$');
        let regex = if anchored {
            pattern[1..pattern.len() - 1].to_owned()
        } else {
            format!(".*(?:{pattern}).*")
        };
        match node::fields::compile(&regex) {
            Ok(_) => ui.regex = Some(regex),
            Err(rule) => session.note(format!(
                "`{method}`: the pattern of `{field}` {rule}: left out"
            )),
        }
    }
    if let Some(default) = schema.get("default") {
        let default = match default {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        if node::fields::check_value(&ui, &default).is_ok() {
            ui.default = Some(default);
        } else {
            session.note(format!(
                "`{method}`: the default of `{field}` does not meet its own rules: left out"
            ));
        }
    }
    ui
}

/// The first non-null `type` (3.1 allows a list).
fn schema_type(schema: &Value) -> &str {
    match schema.get("type") {
        Some(Value::String(t)) => t,
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or(""),
        _ if schema.get("properties").is_some() => "object",
        _ => "",
    }
}

fn field_type(schema: &Value) -> FieldType {
    match schema_type(schema) {
        "integer" | "number" => FieldType::Number,
        "boolean" => FieldType::Boolean,
        "object" | "array" => FieldType::Json,
        _ if schema.get("format").and_then(Value::as_str) == Some("email") => FieldType::Email,
        _ => FieldType::Text,
    }
}

fn read_request_body(
    doc: &Doc<'_>,
    draft: &mut Draft,
    request_body: &Value,
    session: &mut Session,
) {
    let Some(content) = request_body.get("content").and_then(Value::as_object) else {
        return;
    };
    let json = content
        .iter()
        .find(|(kind, _)| kind.contains("json"))
        .map(|(_, media)| media);
    let form = content.get("application/x-www-form-urlencoded");
    let required_body = request_body.get("required") == Some(&Value::Bool(true));
    if let Some(media) = json {
        let schema = doc.resolve(media.get("schema").unwrap_or(&Value::Null));
        let mut builder = BodyBuilder {
            doc,
            fields: std::mem::take(&mut draft.fields),
            method: draft.name.clone(),
        };
        let template = builder.value(schema, "", required_body, 0, session);
        draft.fields = builder.fields;
        draft.body = Some(body(BodyFormat::Json, template));
    } else if let Some(media) = form {
        let schema = doc.resolve(media.get("schema").unwrap_or(&Value::Null));
        let required = required_names(schema);
        let mut pairs = Vec::new();
        for (key, property) in properties(schema) {
            let field = field_name(key);
            let property = doc.resolve(property);
            let ui = field_ui(
                &field,
                property,
                required.contains(&key.as_str()),
                &draft.name,
                session,
            );
            draft.fields.push(ui);
            let key_text: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
            pairs.push(format!("{key_text}=$({field})"));
        }
        draft.body = Some(body(BodyFormat::Form, pairs.join("&")));
    } else if let Some(kind) = content.keys().next() {
        session.note(format!(
            "`{}`: a {kind} request body is not carried over (a node sends JSON, text or form \
             bodies)",
            draft.name
        ));
    }
}

fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn required_names(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// A JSON body template from a schema: an object's properties written out, each leaf a
/// placeholder (quoted for strings), named after the property (its parent's name before it
/// when taken).
struct BodyBuilder<'d, 'a> {
    doc: &'d Doc<'a>,
    fields: Vec<FieldUi>,
    method: String,
}

impl BodyBuilder<'_, '_> {
    fn value(
        &mut self,
        schema: &Value,
        name: &str,
        required: bool,
        depth: usize,
        session: &mut Session,
    ) -> String {
        let schema = self.doc.resolve(schema);
        let object = schema_type(schema) == "object" && schema.get("properties").is_some();
        if object && depth < crate::MAX_DEPTH && self.fields.len() < MAX_BODY_FIELDS {
            let required_names = required_names(schema);
            let mut parts = Vec::new();
            for (key, property) in properties(schema) {
                let child = if name.is_empty() || !self.taken(key) {
                    key.clone()
                } else {
                    format!("{name}_{key}")
                };
                let value = self.value(
                    property,
                    &child,
                    required && required_names.contains(&key.as_str()),
                    depth + 1,
                    session,
                );
                parts.push(format!(
                    "{}: {value}",
                    serde_json::to_string(key).unwrap_or_default()
                ));
            }
            return format!("{{{}}}", parts.join(", "));
        }
        let field = {
            let base = field_name(if name.is_empty() { "body" } else { name });
            let mut field = base.clone();
            let mut n = 2;
            while self.taken(&field) {
                field = format!("{base}{n}");
                n += 1;
            }
            field
        };
        let ui = field_ui(&field, schema, required, &self.method, session);
        let quoted = matches!(ui.kind, FieldType::Text | FieldType::Email);
        self.fields.push(ui);
        if quoted {
            format!("\"$({field})\"")
        } else {
            format!("$({field})")
        }
    }

    fn taken(&self, name: &str) -> bool {
        self.fields.iter().any(|f| f.name == field_name(name))
    }
}

/// The operation's security (else the document's): the first requirement, as the
/// authorization or a header/query row; every credential a secret named after the scheme.
fn security(doc: &Doc<'_>, draft: &mut Draft, operation: &Value, session: &mut Session) {
    let requirements = operation
        .get("security")
        .or_else(|| doc.root.get("security"))
        .and_then(Value::as_array);
    let Some(requirement) = requirements
        .and_then(|r| r.first())
        .and_then(Value::as_object)
    else {
        return;
    };
    if requirements.is_some_and(|r| r.len() > 1) {
        session.note(format!(
            "`{}`: of its alternative security requirements the first is used",
            draft.name
        ));
    }
    for (scheme_name, scopes) in requirement {
        let Some(scheme) = doc
            .root
            .pointer(&format!("/components/securitySchemes/{scheme_name}"))
            .map(|s| doc.resolve(s))
        else {
            session.note(format!(
                "`{}`: security scheme `{scheme_name}` is not defined: not carried over",
                draft.name
            ));
            continue;
        };
        apply_scheme(draft, scheme_name, scheme, scopes, session);
    }
}

/// `Authorization: Bearer $(secret:<base>_token)`, the way a scheme without a flow the node can
/// run is sent.
fn bearer_from_secret(draft: &mut Draft, base: &str, session: &mut Session, place: &str) {
    let value = format!(
        "Bearer {}",
        secret(&format!("{base}_token"), session, place)
    );
    draft.add_header(Row::Static {
        name: "Authorization".to_owned(),
        value,
    });
}

fn secret(name: &str, session: &mut Session, place: &str) -> String {
    let name = secret_name(name);
    session.note(format!(
        "{place}: the definition names the secret `{name}`; give it at run time as {} or in \
         the secrets file",
        node::secrets::env_variable(&name)
    ));
    format!("$({SECRET_PREFIX}{name})")
}

fn apply_scheme(
    draft: &mut Draft,
    scheme_name: &str,
    scheme: &Value,
    scopes: &Value,
    session: &mut Session,
) {
    let kind = text_of(scheme.get("type"));
    let http_scheme = text_of(scheme.get("scheme")).to_ascii_lowercase();
    let place = format!("security scheme `{scheme_name}`");
    let base = secret_name(scheme_name);
    match (kind.as_str(), http_scheme.as_str()) {
        ("http", "bearer") | ("openIdConnect", _) => {
            if kind == "openIdConnect" {
                session.note(format!(
                    "`{}`: OpenID Connect is sent as a bearer token from a secret",
                    draft.name
                ));
            }
            bearer_from_secret(draft, &base, session, &place);
        }
        ("http", "basic" | "digest") => {
            let username = AuthValue::Static {
                value: secret(&format!("{base}_username"), session, &place),
            };
            let password = AuthValue::Static {
                value: secret(&format!("{base}_password"), session, &place),
            };
            draft.authorization = Some(if http_scheme == "basic" {
                Authorization::Basic { username, password }
            } else {
                Authorization::Digest { username, password }
            });
        }
        ("apiKey", _) => {
            let key = text_of(scheme.get("name"));
            let row = Row::Static {
                name: key.clone(),
                value: secret(&base, session, &place),
            };
            match text_of(scheme.get("in")).as_str() {
                "header" => draft.add_header(row),
                "query" => draft.url_parameters.push(row),
                other => session.note(format!(
                    "`{}`: an API key in a {other} is not carried over",
                    draft.name
                )),
            }
        }
        ("oauth2", _) => {
            let token_url = scheme
                .pointer("/flows/clientCredentials/tokenUrl")
                .and_then(Value::as_str);
            match token_url {
                Some(token_url) => {
                    let scopes = scopes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect();
                    draft.authorization = Some(Authorization::Oauth2 {
                        token_url: token_url.to_owned(),
                        client_id: AuthValue::Static {
                            value: secret(&format!("{base}_client_id"), session, &place),
                        },
                        client_secret: AuthValue::Static {
                            value: secret(&format!("{base}_client_secret"), session, &place),
                        },
                        grant: Grant::ClientCredentials,
                        scopes,
                    });
                }
                None => {
                    session.note(format!(
                        "`{}`: {place} has no client-credentials flow, the one a node fetches \
                         tokens with: the access token is sent as a bearer token from a secret",
                        draft.name
                    ));
                    bearer_from_secret(draft, &base, session, &place);
                }
            }
        }
        _ => session.note(format!(
            "`{}`: {place} ({kind} {http_scheme}) is not carried over",
            draft.name
        )),
    }
}

/// The first 2xx answer: its status the success event; its JSON example (else its schema) the
/// suggested outputs.
fn read_responses(doc: &Doc<'_>, draft: &mut Draft, operation: &Value, session: &mut Session) {
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
            draft.outputs = crate::suggested_outputs(&shape);
            draft.response_type = node::model::ResponseType::Json;
        }
    }
}

/// A value with the schema's structure (objects with their properties, arrays with one item),
/// to walk for outputs.
/// At most this many schema nodes are walked for an answer's shape: a schema whose properties
/// refer back to it is a tree as wide as it likes, and only the first
/// [`crate::MAX_SUGGESTED_OUTPUTS`] leaves are used.
const MAX_SHAPE_NODES: usize = 1000;

fn shape(doc: &Doc<'_>, schema: &Value, depth: usize, budget: &mut usize) -> Value {
    let schema = doc.resolve(schema);
    if depth >= crate::MAX_DEPTH || *budget == 0 {
        return Value::Null;
    }
    *budget -= 1;
    match schema_type(schema) {
        "object" => Value::Object(
            properties(schema)
                .map(|(key, property)| (key.clone(), shape(doc, property, depth + 1, budget)))
                .collect::<Map<String, Value>>(),
        ),
        "array" => Value::Array(vec![shape(
            doc,
            schema.get("items").unwrap_or(&Value::Null),
            depth + 1,
            budget,
        )]),
        _ => Value::Null,
    }
}
