//! A WSDL 1.1 document as a node: a method per operation of each SOAP 1.1 and 1.2 binding,
//! POSTed to the binding's port address (resolved against where the document was read); its
//! SOAPAction (1.1's header, 1.2's `action` of the Content-Type); an envelope whose leaf
//! elements are dynamic fields typed by their XSD simple types; XPath outputs from the answer
//! message's leaf elements.

mod document;
mod envelope;
mod schema;

use node::model::{BodyFormat, HttpMethod, ResponseType};

use document::{Binding, Operation as BindingOperation, bindings, imports, message, parse};
use schema::{Element, Schemas};

use crate::bodies::body;
use crate::defaults::PLACEHOLDER_BASE_URL;
use crate::draft::Draft;
use crate::imported::{ImportError, Imported, finish};
use crate::outputs::xml_outputs;
use crate::select::{Operation, Options, select};
use crate::session::Session;

/// A WSDL 1.1 document as a node definition: the operations `options.only` picks (all by
/// default), named `options.name` (default: the document's `name`, else its first service's).
pub fn wsdl(text: &str, options: &Options) -> Result<Imported, ImportError> {
    let document = parse(text)?;
    let root = document.root_element();
    let schemas = Schemas::of(root);
    let mut session = Session::default();
    for location in imports(root).into_iter().chain(schemas.external()) {
        session.left_out(format!(
            "`{location}` is imported from another file: not read, so its types are text"
        ));
    }
    let found = select(operations_of(root, &mut session), &options.only)?;
    let mut methods = Vec::new();
    for (described, (binding, operation)) in found {
        let url = address(&binding, options.source.as_ref(), &mut session);
        let mut draft = Draft::new(&described.name, HttpMethod::Post, url);
        let at = At {
            root,
            schemas: &schemas,
            binding: &binding,
            operation: &operation,
        };
        at.request(&mut draft, &mut session);
        at.answer(&mut draft);
        methods.push(draft.finish());
    }
    let name = options.name.clone().unwrap_or_else(|| {
        root.attribute("name")
            .or_else(|| {
                document::children(root, document::WSDL, "service")
                    .next()
                    .and_then(|s| s.attribute("name"))
            })
            .unwrap_or_default()
            .to_owned()
    });
    finish(&name, String::new(), methods, session)
}

/// The document's operations, one per operation of each SOAP binding, as a listing shows them.
pub fn operations(text: &str) -> Result<Vec<Operation>, ImportError> {
    let document = parse(text)?;
    let found = operations_of(document.root_element(), &mut Session::default());
    Ok(found.into_iter().map(|(operation, _)| operation).collect())
}

/// Each operation of each SOAP binding, named after it (`(SOAP 1.2)` after a 1.2 binding's),
/// in the binding's and the operation's group.
fn operations_of(
    root: roxmltree::Node<'_, '_>,
    session: &mut Session,
) -> Vec<(Operation, (Binding, BindingOperation))> {
    let mut found = Vec::new();
    for mut binding in bindings(root, session) {
        let operations = std::mem::take(&mut binding.operations);
        for operation in operations {
            let name = if binding.soap12 {
                format!("{} (SOAP 1.2)", operation.name)
            } else {
                operation.name.clone()
            };
            let described = Operation {
                name,
                method: "POST".to_owned(),
                path: binding.address.clone().unwrap_or_default(),
                groups: vec![binding.name.clone(), operation.name.clone()],
            };
            let binding = Binding {
                name: binding.name.clone(),
                soap12: binding.soap12,
                operations: Vec::new(),
                address: binding.address.clone(),
            };
            found.push((described, (binding, operation)));
        }
    }
    found
}

/// The binding's address, resolved against `source` when relative; none, a note.
fn address(binding: &Binding, source: Option<&url::Url>, session: &mut Session) -> String {
    let location = binding.address.as_deref().unwrap_or_default();
    let absolute = url::Url::parse(location).ok().filter(|u| u.has_host());
    match (absolute, source.and_then(|s| s.join(location).ok())) {
        (Some(url), _) => url.to_string(),
        (None, Some(url)) if !location.is_empty() => url.to_string(),
        _ => {
            let path = if location.starts_with('/') {
                location
            } else {
                ""
            };
            session.base_url(format!(
                "binding `{}` has {}: its methods call {PLACEHOLDER_BASE_URL}{path}",
                binding.name,
                if location.is_empty() {
                    "no address".to_owned()
                } else {
                    format!(
                        "the relative address `{location}` and the document was not read from a URL"
                    )
                }
            ));
            format!("{PLACEHOLDER_BASE_URL}{path}")
        }
    }
}

/// An operation of a binding, in the document and its schemas.
struct At<'d, 'a, 'i> {
    root: roxmltree::Node<'a, 'i>,
    schemas: &'d Schemas<'a, 'i>,
    binding: &'d Binding,
    operation: &'d BindingOperation,
}

impl At<'_, '_, '_> {
    /// The request: its message's elements (document style: each part's element; rpc: a
    /// wrapper named after the operation around the parts) in an envelope, and its SOAPAction.
    fn request(&self, draft: &mut Draft, session: &mut Session) {
        let elements = self.message_elements(false);
        let built = envelope::request(self.binding.soap12, &elements);
        if built.left_out > 0 {
            session.left_out(format!(
                "`{}`: {} more elements of the request are not carried over (a method takes 50 \
                 fields)",
                draft.name, built.left_out
            ));
        }
        let mut soap = body(BodyFormat::Soap, built.template);
        soap.soap_action = match (&self.operation.action, self.binding.soap12) {
            // SOAP 1.2 sends no action when there is none; 1.1 always sends its header.
            (Some(action), true) if action.is_empty() => None,
            (action, true) => action.clone(),
            (action, false) => Some(action.clone().unwrap_or_default()),
        };
        draft.body = Some(soap);
        draft.fields = built.fields;
    }

    /// The answer: XML, read with an XPath per leaf element of the output message.
    fn answer(&self, draft: &mut Draft) {
        draft.response_type = ResponseType::Xml;
        let elements = self.message_elements(true);
        if !elements.is_empty() {
            let sample = envelope::answer(self.binding.soap12, &elements);
            draft.outputs = xml_outputs(&sample).unwrap_or_default();
        }
    }

    /// The body elements of the operation's input (or, for the `answer`, output) message:
    /// document style each part's element; rpc style one element named after the operation
    /// (its answer's with `Response`), in its body namespace, holding a child per part.
    fn message_elements(&self, answer: bool) -> Vec<Element> {
        let (root, schemas, operation) = (self.root, self.schemas, self.operation);
        let name = if answer {
            operation.output.as_ref()
        } else {
            operation.input.as_ref()
        };
        let Some(name) = name else {
            return Vec::new();
        };
        let parts = message(root, name);
        let rpc = operation.style == "rpc";
        let children: Vec<Element> = parts
            .iter()
            .filter_map(|part| match (&part.element, &part.kind) {
                (Some(element), _) => schemas.element(element),
                (None, Some(kind)) => Some(Element {
                    name: part.name.clone(),
                    namespace: None,
                    optional: false,
                    shape: schemas.of_type(kind, 0),
                }),
                (None, None) => None,
            })
            .collect();
        if !rpc {
            return children;
        }
        let wrapper = if answer {
            format!("{}Response", operation.name)
        } else {
            operation.name.clone()
        };
        vec![Element {
            name: wrapper,
            namespace: Some(
                operation
                    .namespace
                    .clone()
                    .unwrap_or_else(|| name.0.clone()),
            ),
            optional: false,
            shape: schema::Shape::Complex(children),
        }]
    }
}
