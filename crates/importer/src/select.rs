//! Which operations an import keeps: the options it is given, each operation of the input as
//! a listing shows it, and the operations `only` picks (by name, path, tag or folder).

use crate::imported::ImportError;

/// What an import is given besides its input.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The node's name [default: the input's own].
    pub name: Option<String>,
    /// The operations to import, each picked by its name (an operationId, a request or WSDL
    /// operation name), its path (`/pets` or `GET /pets`), or a tag, Postman folder or WSDL
    /// binding it is in; empty: all of them.
    pub only: Vec<String>,
    /// Where the input was read from: relative URLs in it are resolved against it.
    pub source: Option<url::Url>,
}

impl Options {
    /// The options with only a node name.
    pub fn named(name: Option<&str>) -> Self {
        Self {
            name: name.map(str::to_owned),
            ..Self::default()
        }
    }
}

/// One operation of the input: what a listing shows, and what `only` picks by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The method it becomes: an operationId, a request name, a WSDL operation.
    pub name: String,
    /// Its HTTP method (`GET`), as the input writes it.
    pub method: String,
    /// Its path (`/pets/{petId}`) or URL.
    pub path: String,
    /// Its tags (OpenAPI), folders (Postman) or binding (WSDL).
    pub groups: Vec<String>,
}

impl Operation {
    /// Whether `pick` names this operation: its name, path, `METHOD path`, or one of its
    /// groups, compared without regard to case.
    pub fn matches(&self, pick: &str) -> bool {
        let pick = pick.trim();
        let same = |text: &str| text.eq_ignore_ascii_case(pick);
        same(&self.name)
            || same(&self.path)
            || same(&format!("{} {}", self.method, self.path))
            || self.groups.iter().any(|group| same(group))
    }
}

/// The items whose operation one of `only` picks (all of them when `only` is empty), in the
/// input's order; a pick that names no operation is an error.
pub(crate) fn select<T>(
    items: Vec<(Operation, T)>,
    only: &[String],
) -> Result<Vec<(Operation, T)>, ImportError> {
    let only: Vec<&String> = only.iter().filter(|p| !p.trim().is_empty()).collect();
    if only.is_empty() {
        return Ok(items);
    }
    if let Some(pick) = only
        .iter()
        .find(|pick| !items.iter().any(|(op, _)| op.matches(pick)))
    {
        return Err(ImportError::NoMatch((*pick).clone()));
    }
    Ok(items
        .into_iter()
        .filter(|(op, _)| only.iter().any(|pick| op.matches(pick)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(name: &str, path: &str, group: &str) -> (Operation, ()) {
        let operation = Operation {
            name: name.to_owned(),
            method: "GET".to_owned(),
            path: path.to_owned(),
            groups: vec![group.to_owned()],
        };
        (operation, ())
    }

    #[test]
    fn only_picks_by_name_path_method_and_path_or_group_and_refuses_what_names_nothing() {
        let items = || {
            vec![
                op("listPets", "/pets", "pet"),
                op("getUser", "/user", "user"),
            ]
        };
        let names = |only: &[&str]| -> Vec<String> {
            let only: Vec<String> = only.iter().map(|s| s.to_string()).collect();
            select(items(), &only)
                .unwrap()
                .into_iter()
                .map(|(o, _)| o.name)
                .collect()
        };
        assert_eq!(names(&[]), ["listPets", "getUser"]);
        assert_eq!(names(&["LISTPETS"]), ["listPets"]);
        assert_eq!(names(&["get /user"]), ["getUser"]);
        assert_eq!(names(&["user", "/pets"]), ["listPets", "getUser"]);
        match select(items(), &["nope".to_owned()]) {
            Err(ImportError::NoMatch(pick)) => assert_eq!(pick, "nope"),
            other => panic!("{other:?}"),
        }
    }
}
