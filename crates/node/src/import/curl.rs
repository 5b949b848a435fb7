//! placeholder
use super::{ImportError, Imported};
pub fn curl(_text: &str, _name: Option<&str>) -> Result<Imported, ImportError> { Err(ImportError::NotCurl("todo".into())) }
