//! A custom-node engine: it runs Webex Connect custom integration node definitions with the
//! meaning Webex Connect gives them.
//!
//! What it is: the definition model ([`model`]) with its generated JSON Schema and checks
//! ([`check`](mod@check)), `$(name)` rendering that keeps JSON bodies valid ([`template`]),
//! secrets named in definitions and resolved at run time ([`secrets`]), the node UI rules of
//! dynamic fields checked before anything is sent ([`fields`]), answers read by path
//! ([`response`]), and the run itself ([`run`]): the HTTP call with the method's authorization,
//! connection and request timeouts and TLS, and the engine's response size limit, events → edge
//! (first match wins; none → error; a request timeout → a distinct timeout edge), and JSONPath
//! (RFC 9535) or XPath outputs plus computed outputs.
//!
//! What it is not: it knows nothing of Instant Connect or any other service; a node is data.
//! Nor does it import other formats: Postman, OpenAPI and curl become definitions in the
//! `importer` crate, which depends on this one. A run sends its request once, as a Webex Connect
//! node does, unless the caller asks for retries ([`RunOptions::retry`], off by default: only
//! what the service cannot have acted on is tried again, within the request timeout); a 401 is
//! answered once more for Digest and OAuth 2.0. Throttling is per method and optional
//! ([`throttle`]).

pub mod check;
pub mod fields;
pub mod model;
pub mod response;
pub mod run;
pub mod secrets;
pub mod template;
pub mod throttle;

pub use check::{Problem, check, load, schema};
pub use model::{
    AuthValue, Authorization, Edge, FieldType, FieldUi, Method, NodeDefinition, both_forms, slug,
};
pub use run::{
    DEFAULT_MAX_RESPONSE_BYTES, Destinations, Engine, NameResolver, RawResponse, RunError,
    RunOptions, RunResult, literal_ip,
};
pub use secrets::Secrets;
