//! A custom-node engine: it runs Webex Connect custom integration node definitions with the
//! meaning Webex Connect gives them.
//!
//! What it is: the definition model ([`model`]) with its generated JSON Schema and checks
//! ([`check`](mod@check)), `$(name)` rendering that keeps JSON bodies valid ([`template`]), secrets named
//! in definitions and resolved at run time ([`secrets`]), the node UI rules of dynamic fields
//! checked before anything is sent ([`fields`]), and the run itself ([`run`]): the
//! HTTP call with the method's connection and request timeouts and the engine's response size
//! limit, events → edge (first match wins; none → error; a request timeout → a distinct timeout
//! edge), and JSONPath (RFC 9535) outputs plus computed outputs.
//!
//! What it is not: it knows nothing of Instant Connect or any other service; a node is data.
//! It has no retries (a Webex Connect node has none either); throttling is per method and
//! optional ([`throttle`]).

pub mod check;
pub mod fields;
pub mod model;
pub mod response;
pub mod run;
pub mod secrets;
pub mod template;
pub mod throttle;

pub use check::{Problem, check, load, schema};
pub use model::{AuthValue, Authorization, Edge, FieldType, FieldUi, Method, NodeDefinition};
pub use run::{
    DEFAULT_MAX_RESPONSE_BYTES, Destinations, Engine, RawResponse, RunError, RunOptions, RunResult,
};
pub use secrets::Secrets;
