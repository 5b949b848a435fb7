//! Tests of the `instant-connect` library: rules, URLs against recorded responses, and the
//! client against an HTTP double for each failure kind.

mod client;
mod clocks;
mod retries;
mod shown;
mod urls;
mod validation;

pub fn data(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}
