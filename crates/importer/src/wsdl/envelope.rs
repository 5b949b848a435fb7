//! SOAP envelopes written from a message's elements: the request's with a dynamic field per
//! leaf (typed by its XSD simple type, optional where the schema lets it be left out), and an
//! answer's shape with sample values, read for XPath outputs.

use node::model::{FieldUi, SOAP_11_NAMESPACE, SOAP_12_NAMESPACE};

use super::schema::{Element, Shape};
use crate::names::{field_name, first_free};

/// A request envelope has at most this many fields.
const MAX_FIELDS: usize = 50;

/// A request envelope: its template and the node UI of each field in it.
pub(super) struct Request {
    pub template: String,
    pub fields: Vec<FieldUi>,
    /// Leaves beyond [`MAX_FIELDS`], not written.
    pub left_out: usize,
}

/// The request envelope of `elements`, each leaf `$(field)`.
pub(super) fn request(soap12: bool, elements: &[Element]) -> Request {
    let mut writer = Writer::new(elements);
    let mut fields: Vec<FieldUi> = Vec::new();
    let mut left_out = 0;
    let body = writer.elements(elements, "", false, &mut |element, parent, optional| {
        if fields.len() == MAX_FIELDS {
            left_out += 1;
            return None;
        }
        let base = field_name(&element.name);
        let taken = |name: &str| fields.iter().any(|f| f.name == name);
        let base = if taken(&base) && !parent.is_empty() {
            field_name(&format!("{parent}_{}", element.name))
        } else {
            base
        };
        let field = first_free(&base, |n| format!("{base}{n}"), taken);
        let mut ui = FieldUi::plain(&field);
        ui.mandatory = !optional;
        if let Shape::Leaf {
            kind,
            documentation,
        } = &element.shape
        {
            ui.kind = *kind;
            ui.tooltip = documentation.clone();
        }
        fields.push(ui);
        Some(format!("$({field})"))
    });
    Request {
        template: writer.envelope(soap12, &body),
        fields,
        left_out,
    }
}

/// An answer envelope of `elements`, each leaf empty: outputs are read from its shape alone.
pub(super) fn answer(soap12: bool, elements: &[Element]) -> String {
    let mut writer = Writer::new(elements);
    let body = writer.elements(elements, "", false, &mut |_, _, _| Some(String::new()));
    writer.envelope(soap12, &body)
}

/// A leaf's content: the element, its parent's name and whether it may be left out; `None`
/// leaves the element out.
type Leaf<'f> = dyn FnMut(&Element, &str, bool) -> Option<String> + 'f;

/// Writes elements with a prefix per namespace, all declared on the envelope.
struct Writer {
    namespaces: Vec<String>,
}

impl Writer {
    fn new(elements: &[Element]) -> Self {
        fn collect(elements: &[Element], into: &mut Vec<String>) {
            for element in elements {
                if let Some(ns) = &element.namespace
                    && !into.contains(ns)
                {
                    into.push(ns.clone());
                }
                if let Shape::Complex(children) = &element.shape {
                    collect(children, into);
                }
            }
        }
        let mut namespaces = Vec::new();
        collect(elements, &mut namespaces);
        Self { namespaces }
    }

    /// `m`, `m2`, … for the namespaces in the order met.
    fn prefix(&self, namespace: &str) -> String {
        match self.namespaces.iter().position(|ns| ns == namespace) {
            Some(0) | None => "m".to_owned(),
            Some(i) => format!("m{}", i + 1),
        }
    }

    fn elements(
        &mut self,
        elements: &[Element],
        parent: &str,
        optional: bool,
        leaf: &mut Leaf<'_>,
    ) -> String {
        let mut out = String::new();
        for element in elements {
            let optional = optional || element.optional;
            let content = match &element.shape {
                Shape::Leaf { .. } => match leaf(element, parent, optional) {
                    Some(content) => content,
                    None => continue,
                },
                Shape::Complex(children) => self.elements(children, &element.name, optional, leaf),
            };
            let name = match &element.namespace {
                Some(ns) => format!("{}:{}", self.prefix(ns), element.name),
                None => element.name.clone(),
            };
            out.push_str(&format!("<{name}>{content}</{name}>"));
        }
        out
    }

    /// The envelope of SOAP 1.1 or 1.2 around `body`, every namespace declared on it.
    fn envelope(&self, soap12: bool, body: &str) -> String {
        let soap = if soap12 {
            SOAP_12_NAMESPACE
        } else {
            SOAP_11_NAMESPACE
        };
        let declarations: String = self
            .namespaces
            .iter()
            .map(|ns| format!(" xmlns:{}=\"{}\"", self.prefix(ns), attribute(ns)))
            .collect();
        format!(
            "<soap:Envelope xmlns:soap=\"{soap}\"{declarations}><soap:Body>{body}</soap:Body></soap:Envelope>"
        )
    }
}

/// Text as an XML attribute value.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
}
