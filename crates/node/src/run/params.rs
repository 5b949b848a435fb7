//! The check-params step: the method the caller named, and every dynamic field's value for the
//! run, checked before anything else is done.

use std::collections::BTreeMap;

use super::result::RunError;
use crate::fields;
use crate::model::{Method, NodeDefinition};

/// The method named `name` (or whose slug it is), or the names the node has, in both forms.
pub(super) fn find_method<'a>(
    node: &'a NodeDefinition,
    name: &str,
) -> Result<&'a Method, RunError> {
    node.find_method(name)
        .ok_or_else(|| RunError::UnknownMethod {
            method: name.to_owned(),
            available: node.method_names(),
        })
}

/// Every dynamic field's value for the run, or why not: missing mandatory fields first, then
/// parameters the method does not take, then values that break their field's rules.
pub(super) fn check_params(
    method: &Method,
    params: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, RunError> {
    let fields = method.dynamic_fields();
    let resolved = fields::resolve(method, params);
    if let Err(refused) = &resolved
        && !refused.missing.is_empty()
    {
        return Err(RunError::MissingParameters(refused.missing.clone()));
    }
    let unknown: Vec<String> = params
        .keys()
        .filter(|k| !fields.contains(&k.as_str()))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Err(RunError::UnknownParameters {
            unknown,
            expected: fields.join(", "),
        });
    }
    resolved.map_err(|refused| RunError::InvalidParameters(refused.invalid))
}
