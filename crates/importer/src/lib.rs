//! Node definitions made from other formats: a Postman collection v2.1 ([`postman()`]), an
//! OpenAPI 3.0 or 3.1 document in JSON or YAML ([`openapi()`]) or a curl command line
//! ([`curl()`]) becomes a definition that passes [`node::check()`], with notes saying what could
//! not be carried over; [`postman::export`] writes a definition back as a collection.
//!
//! A definition never holds a credential, and an import never puts one there: a literal token,
//! password or key found in the input is replaced by `$(secret:NAME)`, and a note names the
//! secret and how to give it at run time. The rules of what is a credential are the checker's
//! own ([`node::check::credentials`]).
//!
//! What it is not: part of the engine. It reads text and writes definitions; it sends nothing
//! and runs nothing. It depends on the engine's model and checks (`node`), and the engine knows
//! nothing of it.
//!
//! Each format has its rooms ([`postman`](mod@postman), [`openapi`](mod@openapi),
//! [`curl`](mod@curl)); what every importer shares has one place each: the defaults of a new
//! method (`defaults`), how secrets and fields are named (`names`), notes and the secrets named
//! so far (`session`), `{{var}}` conversion (`variables`), credentials made secrets
//! (`credentials`), header, query and body rows (`rows`) and bodies (`bodies`), URLs (`urls`),
//! suggested outputs (`outputs`), a method being built (`draft`), and the final check
//! (`imported`).

mod bodies;
mod credentials;
mod defaults;
mod draft;
mod imported;
mod names;
mod outputs;
mod rows;
mod select;
mod session;
mod text;
mod urls;
mod variables;

pub mod curl;
pub mod notes;
pub mod openapi;
pub mod postman;
pub mod wsdl;

pub use curl::curl;
pub use defaults::{
    CONNECTION_TIMEOUT_MS, DEFAULT_NODE_NAME, PLACEHOLDER_BASE_URL, REQUEST_TIMEOUT_MS,
};
pub use imported::{ImportError, Imported};
pub use names::{field_name, secret_name};
pub use openapi::openapi;
pub use outputs::{MAX_SUGGESTED_OUTPUTS, suggested_outputs};
pub use postman::postman;
pub use select::{Operation, Options};
pub use wsdl::wsdl;
