//! The importers' tests: a Postman collection, an OpenAPI document and curl lines written like
//! real ones, export and import back, and random and edited input. Nothing here sends a request.

// The engine's generators of random and edited input, shared with its own property tests.
#[macro_use]
#[path = "../../../node/tests/node/mutations.rs"]
mod mutations;

mod curl_data;
mod fuzz;
mod import;
mod listings;
mod real;
