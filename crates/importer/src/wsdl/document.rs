//! The WSDL 1.1 document: its messages, port types, SOAP 1.1 and 1.2 bindings and the address
//! each is served at, read with their namespaces (roxmltree; no entity is expanded).

use roxmltree::{Document, Node};

use crate::imported::ImportError;
use crate::session::Session;

pub(super) const WSDL: &str = "http://schemas.xmlsoap.org/wsdl/";
const WSDL_20: &str = "http://www.w3.org/ns/wsdl";
const SOAP_11: &str = "http://schemas.xmlsoap.org/wsdl/soap/";
const SOAP_12: &str = "http://schemas.xmlsoap.org/wsdl/soap12/";

/// A name in a namespace: `(namespace, local name)`.
pub(super) type QName = (String, String);

/// `tns:Add` read where `node` stands: its prefix's namespace and its local name.
pub(super) fn qname(node: Node<'_, '_>, value: &str) -> QName {
    let (prefix, local) = match value.split_once(':') {
        Some((prefix, local)) => (Some(prefix), local),
        None => (None, value),
    };
    let namespace = node.lookup_namespace_uri(prefix).unwrap_or_default();
    (namespace.to_owned(), local.to_owned())
}

/// The element children of `node` named `name` in `namespace`.
pub(super) fn children<'a, 'i>(
    node: Node<'a, 'i>,
    namespace: &str,
    name: &str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && c.has_tag_name((namespace, name)))
}

/// The text `text` as a WSDL 1.1 document: its `definitions` element.
pub(super) fn parse(text: &str) -> Result<Document<'_>, ImportError> {
    // roxmltree refuses a DTD by default, so no entity of the document's is ever expanded.
    let document = Document::parse(text)
        .map_err(|e| ImportError::NotWsdl(format!("it is not well-formed XML: {e}")))?;
    let root = document.root_element();
    if root.tag_name().namespace() == Some(WSDL_20) {
        return Err(ImportError::NotWsdl(
            "it is WSDL 2.0 (`description`), and icnode reads WSDL 1.1 (`definitions`)".to_owned(),
        ));
    }
    if !root.has_tag_name((WSDL, "definitions")) {
        return Err(ImportError::NotWsdl(format!(
            "its root is `{}`, not WSDL 1.1's `definitions`",
            root.tag_name().name()
        )));
    }
    Ok(document)
}

/// A part of a message: an element (document style) or a type (rpc style).
pub(super) struct Part {
    pub name: String,
    pub element: Option<QName>,
    pub kind: Option<QName>,
}

/// The parts of the message `name`.
pub(super) fn message(root: Node<'_, '_>, name: &QName) -> Vec<Part> {
    children(root, WSDL, "message")
        .find(|m| m.attribute("name") == Some(name.1.as_str()))
        .into_iter()
        .flat_map(|m| children(m, WSDL, "part"))
        .map(|part| Part {
            name: part.attribute("name").unwrap_or_default().to_owned(),
            element: part.attribute("element").map(|e| qname(part, e)),
            kind: part.attribute("type").map(|t| qname(part, t)),
        })
        .collect()
}

/// An operation of a SOAP binding, with what its port type says of it.
pub(super) struct Operation {
    pub name: String,
    /// The SOAPAction, as the binding gives it (`None`: not given).
    pub action: Option<String>,
    /// `document` or `rpc`.
    pub style: String,
    /// An rpc operation's wrapper namespace (`soap:body namespace`).
    pub namespace: Option<String>,
    pub input: Option<QName>,
    pub output: Option<QName>,
}

/// A SOAP 1.1 or 1.2 binding, its operations and where its port serves it.
pub(super) struct Binding {
    pub name: String,
    pub soap12: bool,
    pub operations: Vec<Operation>,
    /// The `soap:address` of the first port of a service that serves it.
    pub address: Option<String>,
}

/// The document's SOAP bindings in order; one of another kind (HTTP) is said in a note.
pub(super) fn bindings(root: Node<'_, '_>, session: &mut Session) -> Vec<Binding> {
    let mut found = Vec::new();
    for binding in children(root, WSDL, "binding") {
        let name = binding.attribute("name").unwrap_or_default().to_owned();
        let soap = [(SOAP_11, false), (SOAP_12, true)]
            .into_iter()
            .find_map(|(ns, soap12)| {
                children(binding, ns, "binding")
                    .next()
                    .map(|b| (ns, b, soap12))
            });
        let Some((ns, soap_binding, soap12)) = soap else {
            session.left_out(format!(
                "binding `{name}` is not a SOAP 1.1 or 1.2 binding: not carried over"
            ));
            continue;
        };
        let style = soap_binding.attribute("style").unwrap_or("document");
        let port_type = binding.attribute("type").map(|t| qname(binding, t));
        let operations = children(binding, WSDL, "operation")
            .map(|op| operation(root, op, ns, style, port_type.as_ref()))
            .collect();
        found.push(Binding {
            address: address(root, &name, ns),
            name,
            soap12,
            operations,
        });
    }
    found
}

/// A binding operation read with its port type's operation of the same name.
fn operation(
    root: Node<'_, '_>,
    op: Node<'_, '_>,
    ns: &str,
    style: &str,
    port_type: Option<&QName>,
) -> Operation {
    let name = op.attribute("name").unwrap_or_default().to_owned();
    let soap_op = children(op, ns, "operation").next();
    let body = children(op, WSDL, "input")
        .next()
        .and_then(|input| children(input, ns, "body").next());
    let abstract_op = port_type.and_then(|port_type| {
        children(root, WSDL, "portType")
            .find(|p| p.attribute("name") == Some(port_type.1.as_str()))
            .and_then(|p| {
                children(p, WSDL, "operation").find(|o| o.attribute("name") == Some(&name))
            })
    });
    let message = |what: &'static str| {
        abstract_op
            .and_then(|o| children(o, WSDL, what).next())
            .and_then(|m| m.attribute("message").map(|v| qname(m, v)))
    };
    Operation {
        action: soap_op
            .and_then(|o| o.attribute("soapAction"))
            .map(str::to_owned),
        style: soap_op
            .and_then(|o| o.attribute("style"))
            .unwrap_or(style)
            .to_owned(),
        namespace: body
            .and_then(|b| b.attribute("namespace"))
            .map(str::to_owned),
        input: message("input"),
        output: message("output"),
        name,
    }
}

/// Where the first port of a service that serves binding `name` is: its `soap:address`.
fn address(root: Node<'_, '_>, name: &str, ns: &str) -> Option<String> {
    children(root, WSDL, "service")
        .flat_map(|service| children(service, WSDL, "port"))
        .find(|port| {
            port.attribute("binding")
                .is_some_and(|b| qname(*port, b).1 == name)
        })
        .and_then(|port| children(port, ns, "address").next())
        .and_then(|a| a.attribute("location"))
        .map(str::to_owned)
}

/// The document's `wsdl:import`s, which are not followed.
pub(super) fn imports(root: Node<'_, '_>) -> Vec<String> {
    children(root, WSDL, "import")
        .filter_map(|i| i.attribute("location").map(str::to_owned))
        .collect()
}
