//! The XML Schema of a WSDL's `types`: an element's shape, its children in order down to the
//! leaves, each leaf's field type from its XSD simple type, each child's namespace by the
//! schema's `elementFormDefault`.

use node::model::FieldType;
use roxmltree::Node;

use super::document::{QName, WSDL, children, qname};
use crate::outputs::MAX_DEPTH;

/// The XML Schema namespace.
pub(super) const XSD: &str = "http://www.w3.org/2001/XMLSchema";

/// An element of a message: its name, its namespace (none when unqualified), whether it may
/// be left out, and what it holds.
#[derive(Debug, Clone)]
pub(super) struct Element {
    pub name: String,
    pub namespace: Option<String>,
    pub optional: bool,
    pub shape: Shape,
}

/// What an element holds: text of a simple type, or child elements.
#[derive(Debug, Clone)]
pub(super) enum Shape {
    Leaf {
        kind: FieldType,
        documentation: String,
    },
    Complex(Vec<Element>),
}

/// The schemas of a WSDL's `types`.
pub(super) struct Schemas<'a, 'i> {
    schemas: Vec<Node<'a, 'i>>,
}

impl<'a, 'i> Schemas<'a, 'i> {
    /// The schemas under `definitions/types`.
    pub(super) fn of(root: Node<'a, 'i>) -> Self {
        let schemas = children(root, WSDL, "types")
            .flat_map(|types| children(types, XSD, "schema"))
            .collect();
        Self { schemas }
    }

    /// The schemas' `import`s and `include`s of other files, which are not followed.
    pub(super) fn external(&self) -> Vec<String> {
        self.schemas
            .iter()
            .flat_map(|s| children(*s, XSD, "import").chain(children(*s, XSD, "include")))
            .filter_map(|i| i.attribute("schemaLocation").map(str::to_owned))
            .collect()
    }

    /// The global element `name`, if a schema declares it.
    pub(super) fn element(&self, name: &QName) -> Option<Element> {
        let (schema, node) = self.global("element", name)?;
        Some(self.declared(node, schema, 0))
    }

    /// What the type `name` holds: an XSD simple type a leaf, a declared type its shape.
    pub(super) fn of_type(&self, name: &QName, depth: usize) -> Shape {
        if name.0 == XSD || depth >= MAX_DEPTH {
            return leaf(&name.1, String::new());
        }
        if let Some((schema, node)) = self.global("complexType", name) {
            return Shape::Complex(self.content(node, schema, depth + 1));
        }
        match self.global("simpleType", name) {
            Some((_, node)) => self.simple(node, depth + 1),
            None => leaf("string", String::new()),
        }
    }

    /// The global declaration `kind` named `name`, with the schema that declares it.
    fn global(&self, kind: &str, name: &QName) -> Option<(Node<'a, 'i>, Node<'a, 'i>)> {
        self.schemas.iter().find_map(|schema| {
            let target = schema.attribute("targetNamespace").unwrap_or_default();
            (target == name.0)
                .then(|| {
                    children(*schema, XSD, kind).find(|n| n.attribute("name") == Some(&name.1))
                })
                .flatten()
                .map(|node| (*schema, node))
        })
    }

    /// An `element` declaration (or `ref`) in `schema`.
    fn declared(&self, node: Node<'a, 'i>, schema: Node<'a, 'i>, depth: usize) -> Element {
        let optional = node.attribute("minOccurs") == Some("0");
        if let Some(reference) = node.attribute("ref")
            && let Some(mut element) = self
                .global("element", &qname(node, reference))
                .filter(|_| depth < MAX_DEPTH)
                .map(|(schema, node)| self.declared(node, schema, depth + 1))
        {
            element.optional = optional;
            return element;
        }
        let target = schema.attribute("targetNamespace").unwrap_or_default();
        let global = node.parent() == Some(schema);
        let qualified = match node.attribute("form") {
            Some(form) => form == "qualified",
            None => schema.attribute("elementFormDefault") == Some("qualified"),
        };
        let documentation = documentation(node);
        let shape = if let Some(kind) = node.attribute("type") {
            match self.of_type(&qname(node, kind), depth) {
                Shape::Leaf { kind, .. } => Shape::Leaf {
                    kind,
                    documentation,
                },
                complex => complex,
            }
        } else if let Some(complex) = children(node, XSD, "complexType").next() {
            Shape::Complex(self.content(complex, schema, depth + 1))
        } else if let Some(simple) = children(node, XSD, "simpleType").next() {
            self.simple(simple, depth + 1)
        } else {
            leaf("string", documentation)
        };
        Element {
            name: node.attribute("name").unwrap_or_default().to_owned(),
            namespace: (global || qualified).then(|| target.to_owned()),
            optional,
            shape,
        }
    }

    /// A complex type's child elements in order: its sequence, all or choice (nested ones
    /// flattened), after its base type's when it extends one.
    fn content(&self, node: Node<'a, 'i>, schema: Node<'a, 'i>, depth: usize) -> Vec<Element> {
        let mut out = Vec::new();
        if depth >= MAX_DEPTH {
            return out;
        }
        for child in node.children().filter(Node::is_element) {
            if child.tag_name().namespace() != Some(XSD) {
                continue;
            }
            match child.tag_name().name() {
                "element" => out.push(self.declared(child, schema, depth)),
                "sequence" | "all" | "choice" | "complexContent" => {
                    out.extend(self.content(child, schema, depth + 1));
                }
                "extension" | "restriction" => {
                    if child.tag_name().name() == "extension"
                        && let Some(base) = child.attribute("base")
                        && let Shape::Complex(inherited) = self.of_type(&qname(child, base), depth)
                    {
                        out.extend(inherited);
                    }
                    out.extend(self.content(child, schema, depth + 1));
                }
                _ => {}
            }
        }
        out
    }

    /// A simple type: the leaf of its restriction's base (its enumeration in the tooltip).
    fn simple(&self, node: Node<'a, 'i>, depth: usize) -> Shape {
        let Some(restriction) = children(node, XSD, "restriction").next() else {
            return leaf("string", String::new());
        };
        let values: Vec<&str> = children(restriction, XSD, "enumeration")
            .filter_map(|e| e.attribute("value"))
            .collect();
        let documentation = if values.is_empty() {
            String::new()
        } else {
            format!("one of: {}", values.join(", "))
        };
        match restriction.attribute("base").map(|b| qname(restriction, b)) {
            Some(base) => match self.of_type(&base, depth) {
                Shape::Leaf { kind, .. } => Shape::Leaf {
                    kind,
                    documentation,
                },
                complex => complex,
            },
            None => leaf("string", documentation),
        }
    }
}

/// A leaf of the XSD built-in type `name`: numbers, booleans, the rest text.
fn leaf(name: &str, documentation: String) -> Shape {
    let kind = match name {
        "int" | "integer" | "long" | "short" | "byte" | "decimal" | "double" | "float"
        | "unsignedInt" | "unsignedLong" | "unsignedShort" | "unsignedByte" | "positiveInteger"
        | "nonNegativeInteger" | "negativeInteger" | "nonPositiveInteger" => FieldType::Number,
        "boolean" => FieldType::Boolean,
        _ => FieldType::Text,
    };
    Shape::Leaf {
        kind,
        documentation,
    }
}

/// An element's `annotation/documentation`s, each trimmed, one space between them.
fn documentation(node: Node<'_, '_>) -> String {
    children(node, XSD, "annotation")
        .flat_map(|a| children(a, XSD, "documentation"))
        .filter_map(|d| d.text())
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qualified_children_are_in_the_target_namespace() {
        let text = r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:xs="http://www.w3.org/2001/XMLSchema"><types>
          <xs:schema elementFormDefault="qualified" targetNamespace="urn:t"><xs:element name="A"><xs:complexType><xs:sequence>
          <xs:element name="b" type="xs:int"/></xs:sequence></xs:complexType></xs:element></xs:schema></types></definitions>"#;
        let document = roxmltree::Document::parse(text).unwrap();
        let schemas = Schemas::of(document.root_element());
        let a = schemas
            .element(&("urn:t".to_owned(), "A".to_owned()))
            .unwrap();
        let Shape::Complex(children) = a.shape else {
            panic!()
        };
        assert_eq!(
            children[0].namespace.as_deref(),
            Some("urn:t"),
            "{children:?}"
        );
    }
}
