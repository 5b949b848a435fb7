//! What an import gives: the definition, checked, with its notes; or why there is none.

use node::model::{MAX_METHODS, Method, NodeDefinition, Row};

use crate::defaults::DEFAULT_NODE_NAME;
use crate::names::first_free;
use crate::notes::{Group, Limit, Note, groups};
use crate::session::Session;

/// A definition made from another format, and what could not be carried over.
#[derive(Debug, Clone)]
pub struct Imported {
    pub definition: NodeDefinition,
    /// Each secret the definition expects, each part of the input left out or changed.
    pub notes: Vec<Note>,
    /// The node's method limit, when the input had more operations than it.
    pub limit: Option<Limit>,
}

impl Imported {
    /// The notes grouped by kind, each with its count and first few.
    pub fn groups(&self) -> Vec<Group<'_>> {
        groups(&self.notes)
    }
}

/// Why an input could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("neither JSON nor YAML: {0}")]
    NotYaml(String),
    #[error("not a Postman collection: {0}")]
    NotCollection(String),
    #[error(
        "a Postman collection {0}, and icnode reads v2.1: export it from Postman again as \
         \"Collection v2.1\""
    )]
    CollectionVersion(String),
    #[error("not an OpenAPI document: {0}")]
    NotOpenApi(String),
    #[error("OpenAPI {0}, and icnode reads OpenAPI 3.0 and 3.1")]
    OpenApiVersion(String),
    #[error("not a curl command line: {0}")]
    NotCurl(String),
    #[error("nothing to import: {0}")]
    Empty(String),
    #[error(
        "`{0}` names no operation of the input: give an operation's name (operationId, request \
         or WSDL operation), its path (`/pets` or `GET /pets`), or a tag, folder or binding it is in"
    )]
    NoMatch(String),
    #[error("not a WSDL 1.1 document: {0}")]
    NotWsdl(String),
    #[error("the imported definition does not check (a bug of the importer):\n  {0}")]
    Unchecked(String),
}

/// The definition: methods whose URL no node can call left out, the rest cleaned up and cut
/// to [`MAX_METHODS`] (both said in a note), names made unique, checked.
pub(crate) fn finish(
    name: &str,
    description: String,
    methods: Vec<Method>,
    mut session: Session,
) -> Result<Imported, ImportError> {
    if methods.is_empty() {
        return Err(ImportError::Empty(
            "the input has no request a node method can make".to_owned(),
        ));
    }
    let methods = callable(methods, &mut session);
    if methods.is_empty() {
        return Err(ImportError::Empty(
            "no request has a URL a node can call (see the notes)".to_owned(),
        ));
    }
    let (methods, limit) = kept(methods, &mut session);
    let definition = NodeDefinition {
        schema: None,
        name: match name.trim() {
            "" => DEFAULT_NODE_NAME.to_owned(),
            name => name.to_owned(),
        },
        description,
        category: String::new(),
        icon: None,
        api_type: Default::default(),
        methods,
    };
    let text = serde_json::to_string(&definition).expect("a definition serializes");
    let (_, problems) = node::check(&text);
    if !problems.is_empty() {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        return Err(ImportError::Unchecked(listed.join("\n  ")));
    }
    Ok(Imported {
        definition,
        notes: session.notes,
        limit,
    })
}

/// The methods whose URL a node can call; one that no node can (`a:b`, `http://a b`) is left
/// out, and said so.
fn callable(methods: Vec<Method>, session: &mut Session) -> Vec<Method> {
    let (methods, unusable): (Vec<Method>, Vec<Method>) = methods
        .into_iter()
        .partition(|method| node::check::url_problem(&method.url).is_none());
    for method in &unusable {
        let problem = node::check::url_problem(&method.url).unwrap_or_default();
        session.left_out(format!(
            "`{}` is not carried over: its URL `{}`: {problem}",
            method.name, method.url
        ));
    }
    methods
}

/// The first [`MAX_METHODS`] methods, each cleaned up and named apart from those before it;
/// the limit, when the rest are left out.
fn kept(methods: Vec<Method>, session: &mut Session) -> (Vec<Method>, Option<Limit>) {
    let mut kept: Vec<Method> = Vec::new();
    let mut dropped: Vec<String> = Vec::new();
    for mut method in methods {
        drop_repeated_rows(&mut method, session);
        drop_unusable_token_url(&mut method, session);
        drop_multipart_content_type(&mut method, session);
        if kept.len() == MAX_METHODS {
            dropped.push(method.name);
            continue;
        }
        let base = method.name.clone();
        method.name = first_free(
            &base,
            |n| format!("{base} ({n})"),
            |name| kept.iter().any(|m| m.name == name),
        );
        kept.push(method);
    }
    let limit = (!dropped.is_empty()).then(|| Limit {
        total: kept.len() + dropped.len(),
        kept: kept.iter().map(|m| m.name.clone()).collect(),
        dropped,
    });
    (kept, limit)
}

/// A row name given twice in one list (`-d q=a -d q=b` under `-G`) is kept once, the first,
/// as a node sends each row once; the rest are named in the notes.
fn drop_repeated_rows(method: &mut Method, session: &mut Session) {
    let method_name = method.name.clone();
    let mut lists: Vec<(&str, &mut Vec<Row>)> = vec![
        ("URL parameter", &mut method.url_parameters),
        ("header", &mut method.headers),
        ("parameter", &mut method.parameters),
    ];
    if let Some(body) = method.body.as_mut() {
        lists.push(("body part", &mut body.parts));
    }
    for (what, rows) in lists {
        let mut seen = std::collections::HashSet::new();
        rows.retain(|row| {
            let first = seen.insert(row.name().to_owned());
            if !first {
                session.changed(format!(
                    "`{method_name}`: the {what} `{}` is given again; only the first is kept",
                    row.name()
                ));
            }
            first
        });
    }
}

/// A multipart body writes its own Content-Type (with its boundary): a Content-Type header
/// given beside it (`curl --json ... -F ...`) is left out, and said so.
fn drop_multipart_content_type(method: &mut Method, session: &mut Session) {
    let multipart = method
        .body
        .as_ref()
        .is_some_and(|body| body.format == node::model::BodyFormat::Multipart);
    if !multipart {
        return;
    }
    let before = method.headers.len();
    method
        .headers
        .retain(|row| !row.name().eq_ignore_ascii_case("content-type"));
    if method.headers.len() < before {
        session.changed(format!(
            "`{}`: its Content-Type header is left out: a multipart body sets its own",
            method.name
        ));
    }
}

/// OAuth 2.0 whose token URL no node can call (empty, relative) is left out, and said so: the
/// method runs without authorization until one is written in.
fn drop_unusable_token_url(method: &mut Method, session: &mut Session) {
    if let Some(node::model::Authorization::Oauth2 { token_url, .. }) = &method.authorization
        && let Some(problem) = node::check::token_url_problem(token_url)
    {
        session.left_out(format!(
            "`{}`: OAuth 2.0 is not carried over: its token URL {problem}",
            method.name
        ));
        method.authorization = None;
    }
}

#[cfg(test)]
mod cleanup {
    use node::model::{Body, BodyFormat};

    use super::*;

    fn bundled_method() -> Method {
        let text = include_str!("../../../nodes/instant-connect.json");
        node::load(text).unwrap().methods.remove(0)
    }

    fn header(name: &str) -> Row {
        Row::Static {
            name: name.to_owned(),
            value: "v".to_owned(),
        }
    }

    #[test]
    fn a_repeated_row_is_dropped_and_said_once_for_each_repeat() {
        let mut method = bundled_method();
        method.headers = vec![header("X-A"), header("X-B"), header("X-A"), header("X-A")];
        let mut session = Session::default();
        drop_repeated_rows(&mut method, &mut session);
        let names: Vec<&str> = method.headers.iter().map(Row::name).collect();
        assert_eq!(names, ["X-A", "X-B"]);
        let said: Vec<&str> = session.notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains("the header `X-A` is given again"),
            "{said:?}"
        );
    }

    #[test]
    fn a_multipart_body_drops_a_content_type_header_and_says_so_only_then() {
        let mut method = bundled_method();
        method.body = Some(Body {
            format: BodyFormat::Multipart,
            template: String::new(),
            parts: vec![header("a")],
            soap_action: None,
            omit_empty: false,
        });
        method.headers = vec![header("X-A")];
        let mut session = Session::default();
        drop_multipart_content_type(&mut method, &mut session);
        assert_eq!(method.headers.len(), 1);
        assert!(session.notes.is_empty(), "nothing dropped, nothing said");

        method.headers.push(header("content-type"));
        drop_multipart_content_type(&mut method, &mut session);
        assert_eq!(method.headers.len(), 1);
        assert_eq!(session.notes.len(), 1);
    }
}
