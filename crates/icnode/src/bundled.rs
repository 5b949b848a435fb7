//! Node definitions shipped inside the binary (the service embeds them), named
//! `builtin:<name>`; also on disk in `nodes/`.

use std::path::PathBuf;

const PREFIX: &str = "builtin:";

/// A definition that could not be found.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error(
        "no bundled node `{0}`; bundled: builtin:instant-connect (or by its name, `builtin:Instant Connect`)"
    )]
    UnknownBuiltin(String),
    #[error("could not read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The text of a definition: a bundled one by `builtin:<slug>` or `builtin:<name>`, otherwise
/// a file.
pub fn definition_text(file: &str) -> Result<String, DefinitionError> {
    match file.strip_prefix(PREFIX) {
        Some("instant-connect" | "Instant Connect") => Ok(server::nodes::BUNDLED.to_owned()),
        Some(other) => Err(DefinitionError::UnknownBuiltin(other.to_owned())),
        None => std::fs::read_to_string(file).map_err(|source| DefinitionError::Read {
            path: file.into(),
            source,
        }),
    }
}
