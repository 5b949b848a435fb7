//! Node definitions shipped inside the binary, named `builtin:<name>`; also on disk in `nodes/`.

use std::path::PathBuf;

/// The seed's Instant Connect node, as data.
pub const INSTANT_CONNECT: &str = include_str!("../../../nodes/instant-connect.json");

const PREFIX: &str = "builtin:";

/// A definition that could not be found.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("no bundled node `{0}`; bundled: builtin:instant-connect")]
    UnknownBuiltin(String),
    #[error("could not read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The text of a definition: a bundled one by `builtin:<name>`, otherwise a file.
pub fn definition_text(file: &str) -> Result<String, DefinitionError> {
    match file.strip_prefix(PREFIX) {
        Some("instant-connect") => Ok(INSTANT_CONNECT.to_owned()),
        Some(other) => Err(DefinitionError::UnknownBuiltin(other.to_owned())),
        None => std::fs::read_to_string(file).map_err(|source| DefinitionError::Read {
            path: file.into(),
            source,
        }),
    }
}
