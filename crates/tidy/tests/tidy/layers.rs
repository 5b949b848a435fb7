//! The layers inside the service: its meeting domain and the operations on it name no HTTP,
//! serialization or SQL crate, so the rules of a meeting stay apart from how they travel and
//! where they are kept (`http`, `store`).

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;

use crate::code::{is_cfg_test, item_attrs, module_trees};

/// Names that only a wire or a database layer has reason to say.
const EDGE_NAMES: &[&str] = &[
    "axum",
    "hyper",
    "maud",
    "serde",
    "serde_json",
    "Serialize",
    "Deserialize",
    "utoipa",
    "ToSchema",
    "IntoParams",
    "sqlx",
    "rusqlite",
];

/// The service's modules that hold its rules rather than its edges.
const INNER_MODULES: &[&[&str]] = &[&["domain"], &["meetings"]];

fn identifiers(tokens: TokenStream, found: &mut Vec<String>) {
    for tree in tokens {
        match tree {
            TokenTree::Ident(ident) => found.push(ident.to_string()),
            TokenTree::Group(group) => identifiers(group.stream(), found),
            _ => {}
        }
    }
}

/// Every edge name a file's production items say, `#[cfg(test)]` items left out.
fn edge_names(syntax: &syn::File) -> Vec<String> {
    let mut said = Vec::new();
    for item in &syntax.items {
        if !is_cfg_test(item_attrs(item)) {
            identifiers(item.to_token_stream(), &mut said);
        }
    }
    said.retain(|name| EDGE_NAMES.contains(&name.as_str()));
    said.sort();
    said.dedup();
    said
}

#[test]
fn the_meeting_domain_and_its_operations_name_no_http_serde_or_sql() {
    let server = tidy::crate_sources()
        .into_iter()
        .find(|sources| sources.dir == "crates/server")
        .expect("crates/server");
    let mut checked = 0;
    let mut offences = Vec::new();
    for tree in module_trees(&server.files) {
        for file in &tree.files {
            let inner = INNER_MODULES.iter().any(|module| {
                file.module
                    .starts_with(&module.iter().map(|m| m.to_string()).collect::<Vec<_>>())
            });
            if !inner {
                continue;
            }
            checked += 1;
            let said = edge_names(&file.syntax);
            if !said.is_empty() {
                offences.push(format!("{}: {}", file.file, said.join(", ")));
            }
        }
    }
    assert!(checked >= 5, "only {checked} files of the domain were read");
    assert!(
        offences.is_empty(),
        "the domain names its edges:\n  {}",
        offences.join("\n  ")
    );
}

#[test]
fn a_derive_a_path_or_a_use_of_an_edge_crate_is_found_and_tests_are_not() {
    let file: syn::File = syn::parse_str(
        "use crate::store::Store;\n\
         #[derive(serde::Serialize)] pub struct A;\n\
         pub fn f() -> axum::http::StatusCode { todo!() }\n\
         #[cfg(test)] mod tests { use sqlx::Row; }\n",
    )
    .unwrap();
    assert_eq!(edge_names(&file), ["Serialize", "axum", "serde"]);
}
