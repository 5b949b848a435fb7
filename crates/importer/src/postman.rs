//! A Postman collection (v2.1) as a node: each request a method, folders flattened, auth
//! inherited request → folder → collection as Postman does, saved examples read for outputs and
//! the success status. The reverse is [`export`].

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::{
    Draft, ImportError, Imported, Resolve, Session, Var, absolute_url, body, convert,
    credential_secret, field_name, form_template, is_soap_envelope, json_template, row, text_of,
    xml_template,
};
use node::check::credentials::is_credential_name;
use node::model::{
    AuthValue, Authorization, Body, BodyFormat, Condition, Edge, FieldUi, Grant, HttpMethod,
    NodeDefinition, ResponseType, Row, Source,
};
use node::template::{self, Piece, SECRET_PREFIX};

/// The schema URL of a v2.1 collection, as Postman writes it.
pub const SCHEMA_V2_1: &str =
    "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// A collection variable: its value, and whether Postman marks it secret.
#[derive(Debug, Clone)]
struct Variable {
    value: String,
    secret: bool,
}

/// `{{var}}` of a collection: a variable with a value that is no credential is written in;
/// a credential (by name, by Postman's `secret` type, or by where it stands) is a secret; any
/// other is a dynamic field.
struct Variables {
    known: HashMap<String, Variable>,
}

impl Resolve for Variables {
    fn var(&mut self, name: &str, credential: bool, place: &str, session: &mut Session) -> Var {
        let known = self.known.get(name);
        let secret =
            credential || is_credential_name(name) || known.is_some_and(|variable| variable.secret);
        if secret {
            let secret = session.secret_for_variable(name, place);
            if known.is_some_and(|variable| !variable.value.is_empty()) {
                session.note(format!(
                    "the collection's value of `{{{{{name}}}}}` is a credential: not carried over"
                ));
            }
            return Var::Secret(secret);
        }
        if let Some(dynamic) = name.strip_prefix('$') {
            let field = field_name(dynamic);
            session.note(format!(
                "Postman makes `{{{{{name}}}}}` up on each send; here it is the dynamic field \
                 `{field}`"
            ));
            return Var::Field(field);
        }
        match known {
            Some(variable) if !variable.value.is_empty() => Var::Inline(variable.value.clone()),
            _ => {
                let field = field_name(name);
                if field != name {
                    session.note(format!(
                        "`{{{{{name}}}}}` is the dynamic field `{field}` (field names are letters, \
                         digits and underscores)"
                    ));
                }
                Var::Field(field)
            }
        }
    }
}

/// A request found in the collection, with the auth it has after inheritance.
struct Found<'a> {
    name: String,
    request: &'a Value,
    auth: Option<&'a Value>,
    responses: Option<&'a Value>,
}

/// A Postman collection v2.1 as a node definition named `name` (default: the collection's).
pub fn postman(text: &str, name: Option<&str>) -> Result<Imported, ImportError> {
    let collection: Value =
        serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?;
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
    let mut session = Session::default();
    let mut variables = Variables {
        known: HashMap::new(),
    };
    for variable in collection
        .get("variable")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if variable.get("disabled").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let Some(key) = variable.get("key").and_then(Value::as_str) else {
            continue;
        };
        variables.known.insert(
            key.to_owned(),
            Variable {
                value: text_of(variable.get("value")),
                secret: variable.get("type").and_then(Value::as_str) == Some("secret"),
            },
        );
    }

    if collection
        .get("event")
        .and_then(Value::as_array)
        .is_some_and(|events| !events.is_empty())
    {
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
    let description = match info.get("description") {
        Some(Value::Object(d)) => text_of(d.get("content")),
        other => text_of(other),
    };
    crate::finish(&node_name, description, methods, session)
}

/// Requests in order, folders flattened, each with its effective auth.
fn walk<'a>(
    items: &'a [Value],
    inherited: Option<&'a Value>,
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
        if item
            .get("event")
            .and_then(Value::as_array)
            .is_some_and(|events| !events.is_empty())
        {
            session.note(format!(
                "`{name}`: its pre-request and test scripts are not carried over"
            ));
        }
        if let Some(children) = item.get("item").and_then(Value::as_array) {
            walk(children, auth, found, session);
        } else if let Some(request) = item.get("request") {
            found.push(Found {
                name,
                request,
                auth,
                responses: item.get("response"),
            });
        } else {
            session.note(format!(
                "item `{name}` is neither a request nor a folder: skipped"
            ));
        }
    }
}

/// The `key`/`value` attributes of an auth of type `kind` (v2.1 lists them; a map is read too).
fn attributes(auth: &Value, kind: &str) -> HashMap<String, Value> {
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

fn method(found: &Found<'_>, vars: &mut Variables, session: &mut Session) -> Option<Draft> {
    let request = found.request;
    let name = if found.name.trim().is_empty() {
        "Request".to_owned()
    } else {
        found.name.trim().to_owned()
    };
    let verb = request
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("GET")
        .to_ascii_uppercase();
    let Some(http_method) = http_method(&verb) else {
        session.note(format!(
            "`{name}`: {verb} is not a method a node can send (GET, POST, PUT, PATCH, DELETE): \
             not carried over"
        ));
        return None;
    };

    // The URL: its raw text without the query, whose rows are read from `query`.
    // A request may be its URL alone.
    let url = if request.is_string() {
        Some(request)
    } else {
        request.get("url")
    };
    let (raw, query, path_variables) = match url {
        Some(Value::String(raw)) => (raw.clone(), None, None),
        Some(Value::Object(url)) => (
            url.get("raw")
                .and_then(Value::as_str)
                .map_or_else(|| raw_of(url), str::to_owned),
            url.get("query").and_then(Value::as_array),
            url.get("variable").and_then(Value::as_array),
        ),
        _ => (String::new(), None, None),
    };
    let (base, raw_query) = match raw.split_once('?') {
        Some((base, query)) => (base.to_owned(), Some(query.split('#').next().unwrap_or(""))),
        None => (raw.split('#').next().unwrap_or("").to_owned(), None),
    };
    if base.trim().is_empty() {
        session.note(format!("`{name}` has no URL: not carried over"));
        return None;
    }
    let mut fields: Vec<FieldUi> = Vec::new();
    let base = path_variables_to_braces(&base, path_variables, &mut fields);
    let place = format!("`{name}`: the URL");
    let url = convert(&base, false, &place, vars, session, &|t| t.to_owned());
    let url = absolute_url(&url, "http", session);
    let mut draft = Draft::new(&name, http_method, url);
    draft.fields = fields;

    let pairs: Vec<(String, String)> = match query {
        Some(query) => enabled(query)
            .map(|q| (text_of(q.get("key")), text_of(q.get("value"))))
            .collect(),
        None => raw_query
            .into_iter()
            .flat_map(|q| q.split('&'))
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect(),
    };
    for (key, value) in pairs {
        let row = row(&key, &value, "URL parameter", vars, session);
        draft.url_parameters.push(row);
    }

    let headers: Vec<(String, String)> = match request.get("header") {
        Some(Value::Array(headers)) => enabled(headers)
            .map(|h| (text_of(h.get("key")), text_of(h.get("value"))))
            .collect(),
        Some(Value::String(lines)) => lines
            .lines()
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect(),
        _ => Vec::new(),
    };
    for (key, value) in &headers {
        if key.is_empty() {
            continue;
        }
        let row = row(key, value, "header", vars, session);
        draft.add_header(row);
    }

    if let Some(auth) = found.auth {
        apply_auth(&mut draft, auth, vars, session);
    }
    if draft.authorization.is_some() {
        let before = draft.headers.len();
        draft
            .headers
            .retain(|h| !h.name().eq_ignore_ascii_case("authorization"));
        if draft.headers.len() != before {
            session.note(format!(
                "`{name}`: its Authorization header is left out: the method's authorization \
                 sends it"
            ));
        }
    }

    if let Some(request_body) = request.get("body") {
        read_body(&mut draft, request_body, &headers, vars, session);
    }
    if let Some(Value::Array(responses)) = found.responses {
        read_examples(&mut draft, responses, session);
    }
    Some(draft)
}

fn enabled(list: &[Value]) -> impl Iterator<Item = &Value> {
    list.iter()
        .filter(|v| v.get("disabled").and_then(Value::as_bool) != Some(true))
}

/// A URL from `protocol`, `host` and `path` when `raw` is absent.
fn raw_of(url: &Map<String, Value>) -> String {
    let join = |key: &str, sep: &str| match url.get(key) {
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p {
                Value::Object(o) => text_of(o.get("value")),
                other => text_of(Some(other)),
            })
            .collect::<Vec<_>>()
            .join(sep),
        other => text_of(other),
    };
    let protocol = text_of(url.get("protocol"));
    let host = join("host", ".");
    let path = join("path", "/");
    let scheme = if protocol.is_empty() {
        String::new()
    } else {
        format!("{protocol}://")
    };
    format!("{scheme}{host}/{path}")
}

/// `:name` path segments as `{{name}}`; their descriptions become tooltips.
fn path_variables_to_braces(
    url: &str,
    variables: Option<&Vec<Value>>,
    fields: &mut Vec<FieldUi>,
) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let segments: Vec<String> = rest
        .split('/')
        .enumerate()
        .map(|(i, segment)| match segment.strip_prefix(':') {
            Some(name) if i > 0 && !name.is_empty() => {
                let field = crate::field_name(name);
                let tooltip = variables
                    .into_iter()
                    .flatten()
                    .find(|v| v.get("key").and_then(Value::as_str) == Some(name))
                    .map(|v| match v.get("description") {
                        Some(Value::Object(d)) => text_of(d.get("content")),
                        other => text_of(other),
                    })
                    .unwrap_or_default();
                if !tooltip.is_empty() {
                    let mut ui = FieldUi::plain(&field);
                    ui.tooltip = tooltip;
                    fields.push(ui);
                }
                format!("{{{{{name}}}}}")
            }
            _ => segment.to_owned(),
        })
        .collect();
    format!("{scheme}{}", segments.join("/"))
}

fn http_method(verb: &str) -> Option<HttpMethod> {
    Some(match verb {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => return None,
    })
}

/// A non-credential auth value (a user name, a client id): written in, a secret, or a field.
fn auth_value(text: &str, place: &str, vars: &mut Variables, session: &mut Session) -> AuthValue {
    let converted = convert(text, false, place, vars, session, &|t| t.to_owned());
    match template::pieces(&converted).as_slice() {
        [Piece::Placeholder(name)] if !name.starts_with(SECRET_PREFIX) => AuthValue::Dynamic {
            field: (*name).to_owned(),
        },
        _ if template::placeholder_names(&converted).is_empty() => {
            AuthValue::Static { value: converted }
        }
        _ => {
            let field = field_name(place);
            session.note(format!(
                "{place} was `{text}`: it is now the dynamic field `{field}`, the whole value"
            ));
            AuthValue::Dynamic { field }
        }
    }
}

fn secret_value(name: &str) -> AuthValue {
    AuthValue::Static {
        value: format!("$({SECRET_PREFIX}{name})"),
    }
}

fn apply_auth(draft: &mut Draft, auth: &Value, vars: &mut Variables, session: &mut Session) {
    let kind = auth.get("type").and_then(Value::as_str).unwrap_or("noauth");
    let attrs = attributes(auth, kind);
    let attr = |key: &str| text_of(attrs.get(key));
    let method = draft.name.clone();
    let place = |what: &str| format!("`{method}`: the {kind} auth's {what}");
    match kind {
        "noauth" => {}
        "bearer" => {
            let secret = credential_secret(
                &attr("token"),
                "bearer_token",
                &place("token"),
                vars,
                session,
            );
            draft
                .headers
                .retain(|h| !h.name().eq_ignore_ascii_case("authorization"));
            draft.headers.insert(
                0,
                Row::Static {
                    name: "Authorization".to_owned(),
                    value: format!("Bearer $({SECRET_PREFIX}{secret})"),
                },
            );
        }
        "basic" | "digest" => {
            let username = auth_value(&attr("username"), &place("username"), vars, session);
            let password = secret_value(&credential_secret(
                &attr("password"),
                &format!("{kind}_password"),
                &place("password"),
                vars,
                session,
            ));
            draft.authorization = Some(if kind == "basic" {
                Authorization::Basic { username, password }
            } else {
                Authorization::Digest { username, password }
            });
        }
        "apikey" => {
            let key = match attr("key") {
                key if key.is_empty() => "X-API-Key".to_owned(),
                key => key,
            };
            let secret = credential_secret(&attr("value"), &key, &place("value"), vars, session);
            let row = Row::Static {
                name: key,
                value: format!("$({SECRET_PREFIX}{secret})"),
            };
            if attr("in") == "query" {
                draft.url_parameters.push(row);
            } else {
                draft.add_header(row);
            }
        }
        "oauth2" => {
            let grant = attr("grant_type");
            let token_url = convert(
                &attr("accessTokenUrl"),
                false,
                &place("token URL"),
                vars,
                session,
                &|t| t.to_owned(),
            );
            let token_url_ok =
                url::Url::parse(&token_url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if (grant == "client_credentials" || grant.is_empty()) && token_url_ok {
                let client_id = auth_value(&attr("clientId"), &place("client id"), vars, session);
                let client_secret = secret_value(&credential_secret(
                    &attr("clientSecret"),
                    "oauth2_client_secret",
                    &place("client secret"),
                    vars,
                    session,
                ));
                let scopes = attr("scope")
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect();
                if attr("client_authentication") == "body" {
                    session.note(format!(
                        "`{method}`: the client authenticates to the token endpoint with HTTP \
                         Basic here, not in the body"
                    ));
                }
                draft.authorization = Some(Authorization::Oauth2 {
                    token_url,
                    client_id,
                    client_secret,
                    grant: Grant::ClientCredentials,
                    scopes,
                });
            } else {
                let secret = credential_secret(
                    &attr("accessToken"),
                    "oauth2_access_token",
                    &place("access token"),
                    vars,
                    session,
                );
                session.note(format!(
                    "`{method}`: OAuth 2.0 grant `{grant}` is not one a node fetches (client \
                     credentials and refresh token are): the method sends the access token from \
                     the secret `{secret}` as a bearer token"
                ));
                draft.headers.insert(
                    0,
                    Row::Static {
                        name: "Authorization".to_owned(),
                        value: format!("Bearer $({SECRET_PREFIX}{secret})"),
                    },
                );
            }
        }
        "awsv4" => {
            let access_key = auth_value(&attr("accessKey"), &place("access key"), vars, session);
            let secret_key = secret_value(&credential_secret(
                &attr("secretKey"),
                "aws_secret_key",
                &place("secret key"),
                vars,
                session,
            ));
            let session_token = (!attr("sessionToken").is_empty()).then(|| {
                secret_value(&credential_secret(
                    &attr("sessionToken"),
                    "aws_session_token",
                    &place("session token"),
                    vars,
                    session,
                ))
            });
            let mut name = |key: &str, default: &str, session: &mut Session| {
                let value = convert(&attr(key), false, &place(key), vars, session, &|t| {
                    t.to_owned()
                });
                let valid = !value.is_empty()
                    && value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if valid {
                    value
                } else {
                    session.note(format!(
                        "`{method}`: the AWS {key} `{value}` is not one a node can sign for: \
                         `{default}`; edit it"
                    ));
                    default.to_owned()
                }
            };
            let region = name("region", "us-east-1", session);
            let service = name("service", "execute-api", session);
            draft.authorization = Some(Authorization::Aws {
                access_key,
                secret_key,
                session_token,
                region,
                service,
            });
        }
        other => session.note(format!(
            "`{method}`: {other} auth is not carried over (a node has basic, digest, OAuth 2.0, \
             AWS Signature, or a header row)"
        )),
    }
}

fn read_body(
    draft: &mut Draft,
    request_body: &Value,
    headers: &[(String, String)],
    vars: &mut Variables,
    session: &mut Session,
) {
    let mode = request_body
        .get("mode")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = draft.name.clone();
    let content_type = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    match mode {
        "raw" => {
            let raw = text_of(request_body.get("raw"));
            if raw.trim().is_empty() {
                return;
            }
            let language = request_body
                .pointer("/options/raw/language")
                .and_then(Value::as_str)
                .unwrap_or("");
            let wants_json = language == "json" || content_type.contains("json");
            let wants_xml = language == "xml" || content_type.contains("xml");
            if wants_xml {
                match xml_template(&raw, vars, session) {
                    Some(template) => {
                        let soap_action = headers
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("soapaction"))
                            .map(|(_, v)| v.trim().trim_matches('"').to_owned());
                        let mut xml = body(BodyFormat::Xml, template);
                        if let Some(action) =
                            soap_action.filter(|_| is_soap_envelope(&xml.template))
                        {
                            xml.format = BodyFormat::Soap;
                            xml.soap_action = Some(action);
                            draft
                                .headers
                                .retain(|h| !h.name().eq_ignore_ascii_case("soapaction"));
                        }
                        draft.body = Some(xml);
                        return;
                    }
                    None => session.note(format!(
                        "`{name}`: the body is not well-formed XML once its variables are filled: \
                         sent as text"
                    )),
                }
            }
            match json_template(&raw, vars, session) {
                Some(template) if wants_json || language.is_empty() || language == "text" => {
                    draft.body = Some(body(BodyFormat::Json, template));
                }
                _ => {
                    if wants_json {
                        session.note(format!(
                            "`{name}`: the body is not JSON once its variables are filled: sent \
                             as text"
                        ));
                    }
                    let template = convert(
                        &raw,
                        false,
                        &format!("`{name}`: the body"),
                        vars,
                        session,
                        &|t| t.to_owned(),
                    );
                    draft.body = Some(body(BodyFormat::Text, template));
                    let kind = match language {
                        "xml" => Some("application/xml"),
                        "html" => Some("text/html"),
                        "javascript" => Some("application/javascript"),
                        _ => None,
                    };
                    if let Some(kind) = kind {
                        draft.add_header(Row::Static {
                            name: "Content-Type".to_owned(),
                            value: kind.to_owned(),
                        });
                    }
                }
            }
        }
        "urlencoded" => {
            let pairs: Vec<(String, String)> = request_body
                .get("urlencoded")
                .and_then(Value::as_array)
                .map(|list| {
                    enabled(list)
                        .map(|p| (text_of(p.get("key")), text_of(p.get("value"))))
                        .collect()
                })
                .unwrap_or_default();
            let template = form_template(&pairs, vars, session);
            draft.body = Some(body(BodyFormat::Form, template));
        }
        "formdata" => {
            let mut parts = Vec::new();
            for part in request_body
                .get("formdata")
                .and_then(Value::as_array)
                .map(|list| enabled(list).collect::<Vec<_>>())
                .unwrap_or_default()
            {
                let key = text_of(part.get("key"));
                if part.get("type").and_then(Value::as_str) == Some("file") {
                    session.note(format!(
                        "`{name}`: the file part `{key}` is not carried over (a node's parts are \
                         text)"
                    ));
                    continue;
                }
                parts.push(row(
                    &key,
                    &text_of(part.get("value")),
                    "body part",
                    vars,
                    session,
                ));
            }
            if !parts.is_empty() {
                let mut multipart = body(BodyFormat::Multipart, String::new());
                multipart.parts = parts;
                draft.body = Some(multipart);
            }
        }
        "graphql" => {
            let graphql = request_body.get("graphql").cloned().unwrap_or(Value::Null);
            let query = text_of(graphql.get("query"));
            let variables = text_of(graphql.get("variables"));
            let variables = if variables.trim().is_empty() {
                "{}".to_owned()
            } else {
                variables
            };
            let text = format!(
                "{{\"query\": {}, \"variables\": {variables}}}",
                serde_json::to_string(&query).unwrap_or_default()
            );
            match json_template(&text, vars, session) {
                Some(template) => draft.body = Some(body(BodyFormat::Json, template)),
                None => session.note(format!(
                    "`{name}`: the GraphQL variables are not JSON: the body is not carried over"
                )),
            }
        }
        "" => {}
        other => session.note(format!(
            "`{name}`: a {other} body is not carried over (a node sends JSON, text or form \
             bodies)"
        )),
    }
}

/// The first 2xx example (else the first example): its status → the success event, its body →
/// the response type, sample and outputs.
fn read_examples(draft: &mut Draft, responses: &[Value], session: &mut Session) {
    let code = |r: &Value| r.get("code").and_then(Value::as_u64).unwrap_or(0);
    let example = responses
        .iter()
        .find(|r| (200..300).contains(&code(r)))
        .or_else(|| responses.first());
    let Some(example) = example else { return };
    let status = code(example);
    if (200..300).contains(&status) {
        draft.success_status = u16::try_from(status).ok();
    } else {
        session.note(format!(
            "`{}`: no 2xx example: any 2xx status leaves by success",
            draft.name
        ));
        return;
    }
    let sample = text_of(example.get("body"));
    if !sample.trim().is_empty() {
        draft.read_sample(&sample, session);
    }
}

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

    fn item(&mut self, method: &node::model::Method) -> Value {
        for field in method.dynamic_fields() {
            self.add(field, false);
        }
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
        if let Some(b) = &method.body {
            let text = self.braces(&b.template);
            request["body"] = match b.format {
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
                    let pairs: Vec<Value> = text
                        .split('&')
                        .filter(|p| !p.is_empty())
                        .map(|pair| {
                            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                            json!({"key": decode(k), "value": decode(v)})
                        })
                        .collect();
                    json!({"mode": "urlencoded", "urlencoded": pairs})
                }
            };
        }
        let attr = |key: &str, value: Value| json!({"key": key, "value": value, "type": "string"});
        request["auth"] = match &method.authorization {
            Some(Authorization::Basic { username, password })
            | Some(Authorization::Digest { username, password }) => {
                let kind = if matches!(method.authorization, Some(Authorization::Basic { .. })) {
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
        };
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
            let code = success_status(method).unwrap_or(200);
            let language = match method.response_type {
                ResponseType::Json => "json",
                ResponseType::Xml => "xml",
                ResponseType::Text => "text",
            };
            responses.push(json!({
                "name": "Sample",
                "originalRequest": request.clone(),
                "code": code,
                "_postman_previewlanguage": language,
                "header": [],
                "body": sample,
            }));
        }
        json!({"name": method.name, "request": request, "response": responses})
    }
}

/// The status the method's first success event asks for, when it asks for one.
fn success_status(method: &node::model::Method) -> Option<u16> {
    method.events.iter().find_map(|event| {
        (event.edge == Edge::Success
            && event.source == Source::Status
            && event.condition == Condition::Equals)
            .then(|| event.value.as_deref()?.parse().ok())
            .flatten()
    })
}

fn decode(text: &str) -> String {
    // `{{var}}` is not form-encoded in a template; literal text is.
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}
