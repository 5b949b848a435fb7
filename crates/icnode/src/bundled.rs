//! Node definitions shipped inside the binary, named `builtin:<name>`; also on disk in `nodes/`.

/// The seed's Instant Connect node, as data.
pub const INSTANT_CONNECT: &str = include_str!("../../../nodes/instant-connect.json");

const PREFIX: &str = "builtin:";

/// The text of a definition: a bundled one by `builtin:<name>`, otherwise a file.
pub fn definition_text(file: &str) -> Result<String, String> {
    match file.strip_prefix(PREFIX) {
        Some("instant-connect") => Ok(INSTANT_CONNECT.to_owned()),
        Some(other) => Err(format!(
            "no bundled node `{other}`; bundled: builtin:instant-connect"
        )),
        None => std::fs::read_to_string(file).map_err(|e| format!("could not read {file}: {e}")),
    }
}
