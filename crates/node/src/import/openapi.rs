//! placeholder
use super::{ImportError, Imported};
pub fn openapi(_text: &str, _name: Option<&str>) -> Result<Imported, ImportError> { Err(ImportError::NotOpenApi("todo".into())) }
