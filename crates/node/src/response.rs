//! Reading an answer's body with paths in the language of the method's response type: JSONPath
//! (RFC 9535) for JSON, XPath 1.0 (`sxd-xpath`) for XML, and the whole body (`$.`) for text.

use serde_json::Value;
use serde_json_path::JsonPath;
use sxd_document::Package;
use sxd_document::dom::{ChildOfElement, ChildOfRoot, Element};
use sxd_xpath::{Context, Factory, XPath};

use crate::model::ResponseType;

/// The one path of a text response: the body, whole.
pub const WHOLE_BODY: &str = "$.";
/// XML answers nested deeper are refused before parsing: the parser's work grows with the square
/// of the depth, and reading text recurses over it.
pub const MAX_XML_DEPTH: usize = 256;
/// What one XPath may read in all, so that `//a` over nested matches cannot copy the answer
/// hundreds of times.
const MAX_XPATH_TEXT_BYTES: usize = 1024 * 1024;

/// A body parsed as its method's response type says.
pub enum Parsed {
    Json(Value),
    Xml(Box<Package>),
    Text(String),
}

impl Parsed {
    /// Parses `body`; an empty body is JSON `null` and an empty XML answer reads nothing (a 204
    /// still meets events on its status). `Err` says what the body is not.
    pub fn parse(kind: ResponseType, body: &[u8]) -> Result<Self, String> {
        match kind {
            ResponseType::Json | ResponseType::Xml if body.is_empty() => {
                Ok(Parsed::Json(Value::Null))
            }
            ResponseType::Json => serde_json::from_slice(body)
                .map(Parsed::Json)
                .map_err(|e| format!("the response body is not JSON ({e})")),
            ResponseType::Xml => {
                let text = std::str::from_utf8(body)
                    .map_err(|e| format!("the response body is not UTF-8 XML ({e})"))?;
                if xml_depth(text) > MAX_XML_DEPTH {
                    return Err(format!(
                        "the response body is not XML the engine reads (nested deeper than \
                         {MAX_XML_DEPTH} elements)"
                    ));
                }
                sxd_document::parser::parse(text)
                    .map(|package| Parsed::Xml(Box::new(package)))
                    .map_err(|e| format!("the response body is not XML ({e})"))
            }
            ResponseType::Text => Ok(Parsed::Text(String::from_utf8_lossy(body).into_owned())),
        }
    }

    /// What `path` reads: `None` when it matches nothing (or does not parse, which `check`
    /// reports). Several matches are an array, in document order.
    pub fn read(&self, path: &str) -> Option<Value> {
        match self {
            Parsed::Json(json) => {
                let path = JsonPath::parse(path).ok()?;
                let nodes = path.query(json).all();
                match nodes.len() {
                    0 => None,
                    1 => Some(nodes[0].clone()),
                    _ => Some(Value::Array(nodes.into_iter().cloned().collect())),
                }
            }
            Parsed::Xml(package) => read_xml(package, path),
            Parsed::Text(text) => (path == WHOLE_BODY).then(|| Value::from(text.as_str())),
        }
    }
}

/// Why `path` cannot be read from a `kind` answer, naming the language it needs; `None` when it
/// can.
pub fn path_problem(kind: ResponseType, path: &str) -> Option<String> {
    match kind {
        ResponseType::Json => JsonPath::parse(path).err().map(|e| {
            let hint = if path.starts_with('/') {
                " (an XPath? the response type is json, so paths are JSONPath: `$.a.b`)"
            } else {
                ""
            };
            format!("the JSONPath `{path}` does not parse: {e}{hint}")
        }),
        ResponseType::Xml if path.starts_with('$') => Some(format!(
            "`{path}` is a JSONPath, but the response type is xml: write an XPath 1.0 \
             expression such as `/response/id`"
        )),
        ResponseType::Xml => match compile(path) {
            Ok(_) => None,
            Err(e) => Some(format!("the XPath `{path}` does not parse: {e}")),
        },
        ResponseType::Text if path == WHOLE_BODY => None,
        ResponseType::Text => Some(format!(
            "a text response is read whole, with the path `{WHOLE_BODY}`; `{path}` reads nothing"
        )),
    }
}

fn compile(path: &str) -> Result<XPath, String> {
    match Factory::new().build(path) {
        Ok(Some(xpath)) => Ok(xpath),
        Ok(None) => Err("it is empty".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

fn read_xml(package: &Package, path: &str) -> Option<Value> {
    let xpath = compile(path).ok()?;
    let document = package.as_document();
    let mut context = Context::new();
    // Prefixes as the answer declares them, so `/soap:Envelope/soap:Body/m:Price` reads a SOAP
    // answer without the definition restating its namespaces.
    let mut bound = std::collections::HashSet::new();
    for child in document.root().children() {
        if let ChildOfRoot::Element(root) = child {
            bind_prefixes(root, &mut context, &mut bound);
        }
    }
    // sxd-xpath panics on a prefix with no namespace: each prefix the path uses that the
    // answer does not declare gets a namespace no element has, so it matches nothing.
    for prefix in path_prefixes(path) {
        if bound.insert(prefix.to_owned()) {
            context.set_namespace(prefix, &format!("urn:icnode:undeclared:{prefix}"));
        }
    }
    match xpath.evaluate(&context, document.root()).ok()? {
        sxd_xpath::Value::Nodeset(nodes) => {
            let mut texts: Vec<Value> = Vec::new();
            let mut read = 0;
            for node in nodes.document_order() {
                let text = node.string_value();
                read += text.len();
                if read > MAX_XPATH_TEXT_BYTES {
                    break;
                }
                texts.push(Value::from(text));
            }
            match texts.len() {
                0 => None,
                1 => texts.into_iter().next(),
                _ => Some(Value::Array(texts)),
            }
        }
        sxd_xpath::Value::Boolean(b) => Some(Value::from(b)),
        sxd_xpath::Value::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
            Some(Value::from(n as i64))
        }
        sxd_xpath::Value::Number(n) => serde_json::Number::from_f64(n).map(Value::Number),
        sxd_xpath::Value::String(s) => Some(Value::from(s)),
    }
}

/// How deep elements nest in `text`, read in one pass: `<name` opens, `</` and `/>` close;
/// comments, CDATA, processing instructions and declarations are skipped.
fn xml_depth(text: &str) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    let skip_to = |from: usize, end: &str| {
        text[from..]
            .find(end)
            .map_or(bytes.len(), |at| from + at + end.len())
    };
    while i < bytes.len() {
        if bytes[i] != b'<' {
            i += 1;
            continue;
        }
        let rest = &text[i..];
        if rest.starts_with("<!--") {
            i = skip_to(i, "-->");
        } else if rest.starts_with("<![CDATA[") {
            i = skip_to(i, "]]>");
        } else if rest.starts_with("<?") || rest.starts_with("<!") {
            i = skip_to(i, ">");
        } else if rest.starts_with("</") {
            depth = depth.saturating_sub(1);
            i = skip_to(i, ">");
        } else {
            let end = skip_to(i, ">");
            if !text[i..end].ends_with("/>") {
                depth += 1;
                deepest = deepest.max(depth);
            }
            i = end;
        }
    }
    deepest
}

/// Every `prefix` of a `prefix:name` in an XPath (not an axis's `name::`). A word in a string
/// literal may be taken for one too: binding it does no harm.
fn path_prefixes(path: &str) -> impl Iterator<Item = &str> {
    static PREFIX: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"[A-Za-z_][A-Za-z0-9_.\-]*:").expect("the pattern compiles")
    });
    PREFIX.find_iter(path).filter_map(move |found| {
        let axis = path[found.end()..].starts_with(':');
        (!axis).then(|| found.as_str().trim_end_matches(':'))
    })
}

/// Binds every prefix declared in `element` and below, the first declaration of a prefix
/// winning; `bound` collects them.
fn bind_prefixes(
    element: Element<'_>,
    context: &mut Context<'_>,
    bound: &mut std::collections::HashSet<String>,
) {
    let mut stack = vec![element];
    while let Some(element) = stack.pop() {
        for namespace in element.namespaces_in_scope() {
            if bound.insert(namespace.prefix().to_owned()) {
                context.set_namespace(namespace.prefix(), namespace.uri());
            }
        }
        for child in element.children().into_iter().rev() {
            if let ChildOfElement::Element(child) = child {
                stack.push(child);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(text: &str) -> Parsed {
        Parsed::parse(ResponseType::Xml, text.as_bytes()).unwrap()
    }

    #[test]
    fn an_xpath_prefix_the_answer_does_not_declare_reads_nothing() {
        // sxd-xpath panicked here ("No namespace for prefix") until such prefixes were bound.
        let parsed = Parsed::parse(ResponseType::Xml, b"<r><a>1</a></r>").unwrap();
        for path in ["/soap:Envelope", "//m:a", "/r/child::x:a", "count(//y:a)"] {
            let read = parsed.read(path);
            assert!(
                read.is_none() || read == Some(Value::from(0)),
                "{path}: {read:?}"
            );
        }
        assert_eq!(parsed.read("/r/a"), Some(Value::from("1")));
        assert_eq!(
            path_prefixes("/soap:Envelope/child::m:Price[@a:b]").collect::<Vec<_>>(),
            ["soap", "m", "a"]
        );
    }

    #[test]
    fn an_xpath_reads_a_mebibyte_of_text_in_all_and_stops_before_more() {
        let half = "x".repeat(MAX_XPATH_TEXT_BYTES / 2);
        let exactly = xml(&format!("<r><i>{half}</i><i>{half}</i></r>"));
        assert_eq!(
            exactly
                .read("/r/i")
                .and_then(|v| v.as_array().map(Vec::len)),
            Some(2),
            "a mebibyte in all is read"
        );
        let over = xml(&format!("<r><i>{half}</i><i>{half}</i><i>x</i></r>"));
        assert_eq!(
            over.read("/r/i").and_then(|v| v.as_array().map(Vec::len)),
            Some(2),
            "the node past the mebibyte is not"
        );
        assert_eq!(MAX_XPATH_TEXT_BYTES, 1024 * 1024);
    }

    #[test]
    fn xpath_reads_text_attributes_counts_and_many_nodes() {
        let answer = xml(r#"<r><id n="7">a1</id><item>x</item><item>y</item></r>"#);
        assert_eq!(answer.read("/r/id"), Some(Value::from("a1")));
        assert_eq!(answer.read("/r/id/@n"), Some(Value::from("7")));
        assert_eq!(answer.read("count(/r/item)"), Some(Value::from(2)));
        assert_eq!(answer.read("/r/item"), Some(serde_json::json!(["x", "y"])));
        assert_eq!(answer.read("/r/missing"), None);
    }

    #[test]
    fn soap_prefixes_are_those_the_answer_declares() {
        let answer = xml(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
                 <soap:Body><m:PriceResponse xmlns:m="urn:prices"><m:Price>1.90</m:Price>
                 </m:PriceResponse></soap:Body></soap:Envelope>"#,
        );
        assert_eq!(
            answer.read("/soap:Envelope/soap:Body/m:PriceResponse/m:Price"),
            Some(Value::from("1.90"))
        );
    }

    #[test]
    fn text_is_read_whole_with_dollar_dot_only() {
        let answer = Parsed::parse(ResponseType::Text, b"OK 42").unwrap();
        assert_eq!(answer.read(WHOLE_BODY), Some(Value::from("OK 42")));
        assert_eq!(answer.read("$.a"), None);
    }

    #[test]
    fn each_response_type_names_the_path_language_it_needs() {
        assert!(path_problem(ResponseType::Json, "$.a[0]").is_none());
        assert!(
            path_problem(ResponseType::Json, "/a/b")
                .unwrap()
                .contains("JSONPath")
        );
        assert!(path_problem(ResponseType::Xml, "/a/b").is_none());
        assert!(
            path_problem(ResponseType::Xml, "$.a")
                .unwrap()
                .contains("XPath")
        );
        assert!(
            path_problem(ResponseType::Xml, "/a[")
                .unwrap()
                .contains("does not parse")
        );
        assert!(path_problem(ResponseType::Text, "$.").is_none());
        assert!(
            path_problem(ResponseType::Text, "$.a")
                .unwrap()
                .contains("`$.`")
        );
    }

    #[test]
    fn an_answer_using_entities_it_declares_is_refused() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r>&b;</r>"#;
        let refused = Parsed::parse(ResponseType::Xml, bomb.as_bytes())
            .err()
            .unwrap();
        assert!(refused.contains("not XML"), "{refused}");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing_and_depth_skips_comments_and_cdata() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_XML_DEPTH + 1),
            "</a>".repeat(MAX_XML_DEPTH + 1)
        );
        let refused = Parsed::parse(ResponseType::Xml, deep.as_bytes())
            .err()
            .unwrap();
        assert!(refused.contains("nested deeper than 256"), "{refused}");
        let at_limit = format!(
            "{}{}",
            "<a>".repeat(MAX_XML_DEPTH),
            "</a>".repeat(MAX_XML_DEPTH)
        );
        assert!(Parsed::parse(ResponseType::Xml, at_limit.as_bytes()).is_ok());
        assert_eq!(
            xml_depth(
                "<?xml version=\"1.0\"?><!-- <x><x> --><r a=\"1\"><b/><c><![CDATA[<y><y>]]></c></r>"
            ),
            2
        );
        // What follows a long comment or CDATA section is read from just after its end.
        let long = "z".repeat(50);
        assert_eq!(xml_depth(&format!("<r><!--{long}--><a><b></b></a></r>")), 3);
        assert_eq!(
            xml_depth(&format!("<r><![CDATA[{long}]]><a><b></b></a></r>")),
            3
        );
    }

    #[test]
    fn an_xpath_number_is_an_integer_only_when_whole_and_exact_in_a_double() {
        let answer = xml("<r><n>1.5</n><n>2</n></r>");
        assert_eq!(answer.read("sum(/r/n)"), Some(serde_json::json!(3.5)));
        assert_eq!(answer.read("count(/r/n)"), Some(Value::from(2)));
        assert_eq!(answer.read("number('-4')"), Some(Value::from(-4)));
        // 9e15 and past: kept as a double, where an integer might not be exact.
        let big = answer.read("number('9000000000000000')").unwrap();
        assert!(big.is_f64(), "{big}");
        let below = answer.read("number('8999999999999999')").unwrap();
        assert!(below.is_i64(), "{below}");
    }

    #[test]
    fn an_empty_xml_answer_reads_nothing() {
        let answer = Parsed::parse(ResponseType::Xml, b"").unwrap();
        assert_eq!(answer.read("/r"), None);
    }
}
