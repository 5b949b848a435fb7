//! The definition format: what Webex Connect's custom-node forms hold, as data.
//!
//! The Rust types parse leniently (unknown fields are ignored here) so that a check can report
//! every problem at once; strictness lives in the JSON Schema generated from these types
//! (`additionalProperties: false` everywhere), which [`crate::check`](mod@crate::check) applies first.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Webex Connect allows at most this many methods in a node.
pub const MAX_METHODS: usize = 25;
/// Webex Connect's ceiling for request and connection timeouts.
pub const MAX_TIMEOUT_MS: u32 = 20_000;

/// A custom integration node: its identity and its methods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct NodeDefinition {
    /// Where editors find the schema; ignored by the engine.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// The custom category the node is listed under.
    #[serde(default)]
    pub category: String,
    /// An SVG document, shown as the node's icon.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default)]
    pub api_type: ApiType,
    #[schemars(length(min = 1, max = 25))]
    pub methods: Vec<Method>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiType {
    #[default]
    #[serde(rename = "REST")]
    Rest,
}

/// One method: a REST call, how to read its answer, and the node's exits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Method {
    /// The request name, as the method is listed.
    pub name: String,
    /// Limit for the whole exchange.
    #[schemars(range(min = 1, max = 20000))]
    pub request_timeout_ms: u32,
    /// Limit for opening the connection.
    #[schemars(range(min = 1, max = 20000))]
    pub connection_timeout_ms: u32,
    pub http_method: HttpMethod,
    /// The resource URL; may hold `$(name)` placeholders.
    pub url: String,
    /// Query-string rows appended to the URL.
    #[serde(default)]
    pub url_parameters: Vec<Row>,
    #[serde(default)]
    pub headers: Vec<Row>,
    /// One row for each `$(name)` placeholder of the URL and body (what Parse creates).
    #[serde(default)]
    pub parameters: Vec<Row>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    #[serde(default)]
    pub response_type: ResponseType,
    /// An answer as the service gives it, kept to design events and outputs against; `check`
    /// reads every body path of the method in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_sample: Option<String>,
    /// Checked in order; the first that holds picks the edge. None holds: the error edge.
    #[serde(default)]
    pub events: Vec<Event>,
    #[serde(default)]
    pub outputs: Vec<Output>,
    /// Outputs built from other outputs, e.g. `$(baseUrl)$(hostshortkey)`.
    #[serde(default)]
    pub computed_outputs: Vec<ComputedOutput>,
    /// The node UI of dynamic fields, by field name. A field without an entry is mandatory
    /// text with no regex.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldUi>,
    /// Limits on how often the method runs; absent is no throttling.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub throttling: Option<Throttling>,
    /// How the method authenticates; absent is No auth (the node may send its own header, as
    /// the Instant Connect node does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization: Option<Authorization>,
    /// Extra trust, a client certificate and a minimum version for HTTPS; absent is the
    /// platform's trust roots and TLS 1.2 or later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<Tls>,
}

/// A method's TLS settings (rustls): what Webex Connect's trust store, key store and protocol
/// version settings hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Tls {
    /// CA certificates (PEM) trusted beside the built-in roots: a private CA's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_store: Option<String>,
    /// The client certificate chain (PEM) for mutual TLS; needs `clientKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
    /// The client certificate's private key: only `$(secret:NAME)`, a secret holding the PEM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// The lowest protocol version offered; absent is 1.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_version: Option<TlsVersion>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum TlsVersion {
    #[serde(rename = "1.2")]
    Tls12,
    #[serde(rename = "1.3")]
    Tls13,
}

/// Webex Connect's throttling of a method; each limit optional. A run over a limit is not sent
/// and leaves with status 429 (rate), 430 (concurrency) or 431 (volume).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Throttling {
    /// At most `requests` runs in any `perSeconds` seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<Limit>,
    /// At most this many runs in flight at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// At most `requests` runs per period of `perSeconds` seconds, counted from the period's
    /// first run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume: Option<Limit>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Limit {
    /// At least 1 (`check` says so by name).
    pub requests: u32,
    /// At least 1.
    pub per_seconds: u32,
}

/// A method's authorization, as Webex Connect's Authorization setting offers it. Credentials
/// are never written in: a static value names secrets as `$(secret:NAME)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    tag = "type",
    rename_all = "lowercase",
    rename_all_fields = "camelCase"
)]
#[schemars(deny_unknown_fields)]
pub enum Authorization {
    /// No auth.
    None,
    /// HTTP Basic (RFC 7617): user and password, each static or dynamic.
    Basic {
        username: AuthValue,
        password: AuthValue,
    },
    /// HTTP Digest (RFC 7616, MD5 or SHA-256, `qop=auth`): the request is sent, and when the
    /// server answers 401 with a Digest challenge, sent once more with the answer.
    Digest {
        username: AuthValue,
        password: AuthValue,
    },
    /// OAuth 2.0 (RFC 6749, by the `oauth2` crate): an access token from `tokenUrl`, sent as
    /// `Authorization: Bearer`, cached until it expires and shared by concurrent runs; when the
    /// service answers 401, fetched afresh once and the request sent once more.
    Oauth2 {
        token_url: String,
        client_id: AuthValue,
        client_secret: AuthValue,
        grant: Grant,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        scopes: Vec<String>,
    },
    /// AWS Signature Version 4 (by `aws-sigv4`): the request is signed for `service` in
    /// `region`, its payload hashed, with the session token of temporary credentials if given.
    Aws {
        access_key: AuthValue,
        secret_key: AuthValue,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session_token: Option<AuthValue>,
        region: String,
        service: String,
    },
}

/// How an OAuth 2.0 access token is obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
#[schemars(deny_unknown_fields)]
pub enum Grant {
    /// The client's own credentials (RFC 6749 §4.4).
    ClientCredentials,
    /// A refresh token exchanged for access tokens (§6).
    RefreshToken { refresh_token: AuthValue },
}

/// One value of an authorization, where it sits (for messages), and whether it is a
/// credential that may only name secrets when static.
#[derive(Debug, Clone, Copy)]
pub struct AuthPart<'a> {
    pub pointer: &'static str,
    pub value: &'a AuthValue,
    pub credential: bool,
}

/// One value of an authorization: fixed, or a field the flow supplies at run time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(deny_unknown_fields)]
pub enum AuthValue {
    /// Fixed; may name secrets as `$(secret:NAME)` (a password must be only that).
    Static { value: String },
    /// The run-time field `field`.
    Dynamic { field: String },
}

/// How a flow designer fills one dynamic field, and the rules its value must meet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct FieldUi {
    /// The dynamic field (a row's `field`, or its `name`).
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tooltip: String,
    #[serde(rename = "type", default)]
    pub kind: FieldType,
    /// A mandatory field must have a value; an optional one may be left empty.
    #[serde(default = "mandatory_by_default")]
    pub mandatory: bool,
    /// The whole value must match it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Used when the run gives no value (or an empty one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

fn mandatory_by_default() -> bool {
    true
}

impl FieldUi {
    /// What a field without an entry is: mandatory text.
    pub fn plain(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            label: String::new(),
            tooltip: String::new(),
            kind: FieldType::Text,
            mandatory: true,
            regex: None,
            default: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    #[default]
    Text,
    Number,
    Boolean,
    Email,
    Phone,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_reqwest(self) -> reqwest::Method {
        match self {
            HttpMethod::Get => reqwest::Method::GET,
            HttpMethod::Post => reqwest::Method::POST,
            HttpMethod::Put => reqwest::Method::PUT,
            HttpMethod::Patch => reqwest::Method::PATCH,
            HttpMethod::Delete => reqwest::Method::DELETE,
        }
    }
}

/// A row of URL parameters, headers or placeholder parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(deny_unknown_fields)]
pub enum Row {
    /// A fixed value; it may name a secret as `$(secret:NAME)`, resolved at run time.
    Static { name: String, value: String },
    /// A value the flow supplies at run time, as the parameter `field` (default: `name`).
    Dynamic {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        field: Option<String>,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        description: String,
        /// How a value that is a JSON array (or object) is sent; absent, it is sent as its
        /// JSON text.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        list: Option<ListStyle>,
    },
}

/// How a dynamic row sends a value that is a JSON array or object, as OpenAPI's parameter
/// styles do: its items (an object's names and values in turn) as text, strings unquoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ListStyle {
    /// A URL parameter or body part once per item (`tags=a&tags=b`), an object's members each
    /// under its own name (`role=admin&id=7`); where one value stands (a header, a
    /// placeholder), the items joined with commas.
    Repeat,
    /// The items joined with commas: `tags=a,b`; an object's as `role,admin,id,7`.
    Comma,
    /// The items joined with spaces (OpenAPI's `spaceDelimited`).
    Space,
    /// The items joined with `|` (OpenAPI's `pipeDelimited`).
    Pipe,
}

impl ListStyle {
    /// What the items are joined with where one value stands.
    pub fn delimiter(self) -> &'static str {
        match self {
            ListStyle::Repeat | ListStyle::Comma => ",",
            ListStyle::Space => " ",
            ListStyle::Pipe => "|",
        }
    }
}

impl Row {
    pub fn name(&self) -> &str {
        match self {
            Row::Static { name, .. } | Row::Dynamic { name, .. } => name,
        }
    }

    /// The run-time parameter a dynamic row reads.
    pub fn field(&self) -> Option<&str> {
        match self {
            Row::Static { .. } => None,
            Row::Dynamic { name, field, .. } => Some(field.as_deref().unwrap_or(name)),
        }
    }

    /// How a dynamic row sends a list, if it is one.
    pub fn list(&self) -> Option<ListStyle> {
        match self {
            Row::Static { .. } => None,
            Row::Dynamic { list, .. } => *list,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(deny_unknown_fields)]
pub struct Body {
    pub format: BodyFormat,
    /// The body text, with `$(name)` placeholders; every format but `multipart`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub template: String,
    /// The fields of a `multipart` body, one part each, static or dynamic like header rows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<Row>,
    /// The action of a `soap` body: SOAP 1.1 sends it as the quoted `SOAPAction` header and
    /// needs it; SOAP 1.2 sends it as the `action` of its `Content-Type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soap_action: Option<String>,
    /// A `json` or `form` body leaves out a member (`"k": "$(f)"`, `"k": $(f)`) or a pair
    /// (`k=$(f)`) whose whole value is a dynamic field left empty, as an API with optional
    /// properties expects (an object left with no member goes too); without it such a value is
    /// sent as `""`, `null` or `k=`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omit_empty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    Json,
    Text,
    /// `application/x-www-form-urlencoded`: the template is `name=$(field)&...`.
    Form,
    /// An XML document; values are XML-escaped.
    Xml,
    /// `multipart/form-data` built from `parts`.
    Multipart,
    /// A SOAP envelope (XML): 1.1 (`text/xml` and the `SOAPAction` header), or 1.2
    /// (`application/soap+xml`) when the envelope is in the SOAP 1.2 namespace.
    Soap,
}

/// The envelope namespace of SOAP 1.1.
pub const SOAP_11_NAMESPACE: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The envelope namespace of SOAP 1.2.
pub const SOAP_12_NAMESPACE: &str = "http://www.w3.org/2003/05/soap-envelope";

impl Body {
    /// A SOAP body whose envelope is in the SOAP 1.2 namespace.
    pub fn is_soap_12(&self) -> bool {
        self.format == BodyFormat::Soap && self.template.contains(SOAP_12_NAMESPACE)
    }

    /// The `Content-Type` sent (SOAP 1.2 carries its action there); `None` for multipart,
    /// whose type carries its boundary.
    pub fn content_type(&self) -> Option<String> {
        match (&self.soap_action, self.is_soap_12()) {
            (Some(action), true) => Some(format!(
                "application/soap+xml; charset=utf-8; action=\"{action}\""
            )),
            (None, true) => Some("application/soap+xml; charset=utf-8".to_owned()),
            _ => self.format.content_type().map(str::to_owned),
        }
    }

    /// The `SOAPAction` header of a SOAP 1.1 body, quoted as 1.1 sends it.
    pub fn soap_action_header(&self) -> Option<String> {
        (self.format == BodyFormat::Soap && !self.is_soap_12())
            .then(|| format!("\"{}\"", self.soap_action.as_deref().unwrap_or_default()))
    }
}

impl BodyFormat {
    /// The format's `Content-Type`; `None` for multipart, whose type carries its boundary.
    pub fn content_type(self) -> Option<&'static str> {
        match self {
            BodyFormat::Json => Some("application/json"),
            BodyFormat::Text => Some("text/plain; charset=utf-8"),
            BodyFormat::Form => Some("application/x-www-form-urlencoded"),
            BodyFormat::Xml => Some("application/xml; charset=utf-8"),
            // SOAP 1.1; a 1.2 envelope is sent as `application/soap+xml` (`Body::content_type`).
            BodyFormat::Soap => Some("text/xml; charset=utf-8"),
            BodyFormat::Multipart => None,
        }
    }

    /// Whether the body is XML (values are XML-escaped into it).
    pub fn is_xml(self) -> bool {
        matches!(self, BodyFormat::Xml | BodyFormat::Soap)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ResponseType {
    #[default]
    Json,
    Text,
    Xml,
}

/// Where an event or output reads its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "lowercase")]
#[schemars(deny_unknown_fields)]
pub enum Source {
    /// The HTTP status code.
    Status,
    /// A path into the body in the language of the response type: a JSONPath (RFC 9535) such as
    /// `$.host[0].cipher` for JSON, an XPath 1.0 expression such as `/r/id` for XML, and `$.`
    /// (the whole body) for text.
    Body { path: String },
    /// A response header, by name (case-insensitive).
    Header { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Event {
    pub name: String,
    pub source: Source,
    pub condition: Condition,
    /// What the condition compares with; not used by `exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub edge: Edge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Condition {
    #[serde(rename = "equals")]
    Equals,
    #[serde(rename = "not equals")]
    NotEquals,
    #[serde(rename = "starts with")]
    StartsWith,
    #[serde(rename = "contains")]
    Contains,
    #[serde(rename = "exists")]
    Exists,
    #[serde(rename = "greater than")]
    GreaterThan,
    #[serde(rename = "less than")]
    LessThan,
}

/// A node's exits. Events pick `success` or `error`; the engine alone leaves by `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Edge {
    Success,
    Error,
    #[schemars(skip)]
    Timeout,
}

impl Edge {
    pub fn as_str(self) -> &'static str {
        match self {
            Edge::Success => "success",
            Edge::Error => "error",
            Edge::Timeout => "timeout",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Output {
    pub name: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ComputedOutput {
    pub name: String,
    /// Other outputs' `$(name)`s and literal text, concatenated.
    pub template: String,
}

impl NodeDefinition {
    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods.iter().find(|m| m.name == name)
    }

    /// The method a caller names, by its name (`Generate Basic Link`) or else by its slug
    /// (`generate-basic-link`), as a command line or a URL path names it.
    pub fn find_method(&self, name_or_slug: &str) -> Option<&Method> {
        self.method(name_or_slug).or_else(|| {
            self.methods
                .iter()
                .find(|m| !name_or_slug.is_empty() && slug(&m.name) == name_or_slug)
        })
    }

    /// Every method in both forms a caller may give, for a refusal to list.
    pub fn method_names(&self) -> String {
        both_forms(self.methods.iter().map(|m| m.name.as_str()))
    }
}

/// A name as a path segment: `Generate Basic Link` → `generate-basic-link` (ASCII letters and
/// digits in lowercase, every other run of characters one dash).
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Names as a caller may give them, each with its slug when that differs:
/// `` `Generate Basic Link` (generate-basic-link), `Add Guest` (add-guest) ``.
pub fn both_forms<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    names
        .into_iter()
        .map(|name| match slug(name) {
            slug if slug == name || slug.is_empty() => format!("`{name}`"),
            slug => format!("`{name}` ({slug})"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Method {
    /// The values the method's authorization is made of, in order.
    pub fn authorization_parts(&self) -> Vec<AuthPart<'_>> {
        let part = |pointer, value, credential| AuthPart {
            pointer,
            value,
            credential,
        };
        match &self.authorization {
            None | Some(Authorization::None) => Vec::new(),
            Some(
                Authorization::Basic { username, password }
                | Authorization::Digest { username, password },
            ) => vec![
                part("username", username, false),
                part("password", password, true),
            ],
            Some(Authorization::Oauth2 {
                client_id,
                client_secret,
                grant,
                ..
            }) => {
                let mut parts = vec![
                    part("clientId", client_id, false),
                    part("clientSecret", client_secret, true),
                ];
                if let Grant::RefreshToken { refresh_token } = grant {
                    parts.push(part("grant/refreshToken", refresh_token, true));
                }
                parts
            }
            Some(Authorization::Aws {
                access_key,
                secret_key,
                session_token,
                ..
            }) => {
                let mut parts = vec![
                    part("accessKey", access_key, false),
                    part("secretKey", secret_key, true),
                ];
                if let Some(session_token) = session_token {
                    parts.push(part("sessionToken", session_token, true));
                }
                parts
            }
        }
    }

    /// Every row of the method: parameters, URL parameters, headers, multipart body parts.
    pub fn rows(&self) -> impl Iterator<Item = &Row> {
        let parts = self.body.iter().flat_map(|body| &body.parts);
        self.parameters
            .iter()
            .chain(&self.url_parameters)
            .chain(&self.headers)
            .chain(parts)
    }

    /// The secrets the method names as `$(secret:NAME)`, in first-use order, without repeats:
    /// what a run must be given.
    pub fn secret_names(&self) -> Vec<String> {
        let mut texts: Vec<&str> = vec![self.url.as_str()];
        for row in self.rows() {
            if let Row::Static { value, .. } = row {
                texts.push(value);
            }
        }
        if let Some(body) = &self.body {
            texts.push(&body.template);
        }
        for part in self.authorization_parts() {
            if let AuthValue::Static { value } = part.value {
                texts.push(value);
            }
        }
        if let Some(key) = self.tls.as_ref().and_then(|tls| tls.client_key.as_deref()) {
            texts.push(key);
        }
        let mut names: Vec<String> = Vec::new();
        for text in texts {
            for piece in crate::template::pieces(text) {
                if let crate::template::Piece::Placeholder(name) = piece
                    && let Some(secret) = name.strip_prefix(crate::template::SECRET_PREFIX)
                    && !names.iter().any(|n| n == secret)
                {
                    names.push(secret.to_owned());
                }
            }
        }
        names
    }

    /// The node UI of dynamic field `field`: its entry, or mandatory text.
    pub fn field_ui(&self, field: &str) -> FieldUi {
        self.fields
            .iter()
            .find(|ui| ui.name == field)
            .cloned()
            .unwrap_or_else(|| FieldUi::plain(field))
    }

    /// The run-time parameters this method reads, in first-use order, without repeats.
    pub fn dynamic_fields(&self) -> Vec<&str> {
        let mut fields: Vec<&str> = Vec::new();
        for row in self.rows() {
            if let Some(field) = row.field().filter(|f| !fields.contains(f)) {
                fields.push(field);
            }
        }
        for part in self.authorization_parts() {
            if let AuthValue::Dynamic { field } = part.value
                && !fields.contains(&field.as_str())
            {
                fields.push(field);
            }
        }
        fields
    }
}
