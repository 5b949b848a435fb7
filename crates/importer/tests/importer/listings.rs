//! What a listing shows of an input before anything is imported (each operation's name, method,
//! address and groups), and where a WSDL binding's address points.

use importer::notes::Kind;
use importer::{Imported, Options};

use crate::real::{checked, fixture, has_note, notes_of, only};

#[test]
fn a_wsdl_lists_each_soap_operation_as_a_post_to_its_bindings_address() {
    let listed = importer::wsdl::operations(&fixture("calculator-soap11and12.wsdl")).unwrap();
    let shown: Vec<(&str, &str, &str, Vec<&str>)> = listed
        .iter()
        .map(|o| {
            let groups = o.groups.iter().map(String::as_str).collect();
            (o.name.as_str(), o.method.as_str(), o.path.as_str(), groups)
        })
        .collect();
    let address = "http://www.dneonline.com/calculator.asmx";
    assert_eq!(shown.len(), 8, "{shown:?}");
    assert_eq!(
        shown[0],
        ("Add", "POST", address, vec!["CalculatorSoap", "Add"])
    );
    assert!(
        shown.contains(&(
            "Divide (SOAP 1.2)",
            "POST",
            address,
            vec!["CalculatorSoap12", "Divide"]
        )),
        "{shown:?}"
    );
}

/// The calculator, its two bindings at `location`.
fn calculator_at(location: &str, source: Option<&str>) -> Imported {
    let text = fixture("calculator-soap11and12.wsdl").replace(
        r#"location="http://www.dneonline.com/calculator.asmx""#,
        &format!(r#"location="{location}""#),
    );
    let options = Options {
        source: source.map(|s| url::Url::parse(s).unwrap()),
        ..Options::default()
    };
    let imported = importer::wsdl(&text, &options).unwrap();
    checked(&imported, &[]);
    imported
}

fn url_of<'a>(imported: &'a Imported, method: &str) -> &'a str {
    &imported.definition.method(method).unwrap().url
}

#[test]
fn a_relative_binding_address_resolves_against_where_the_wsdl_was_read() {
    let source = "http://127.0.0.1:9/services/calculator?wsdl";
    let resolved = calculator_at("/soap/calculator.asmx", Some(source));
    assert_eq!(
        url_of(&resolved, "Add"),
        "http://127.0.0.1:9/soap/calculator.asmx"
    );
    assert_eq!(notes_of(Kind::BaseUrl, &resolved), Vec::<&str>::new());

    // Read from no URL: the placeholder host before the path, and a note saying why.
    let unresolved = calculator_at("/soap/calculator.asmx", None);
    assert_eq!(
        url_of(&unresolved, "Add"),
        "https://example.invalid/soap/calculator.asmx"
    );
    has_note(
        &unresolved,
        Kind::BaseUrl,
        &[
            "relative address `/soap/calculator.asmx`",
            "not read from a URL",
        ],
    );
}

#[test]
fn a_binding_with_no_address_calls_the_placeholder_even_when_read_from_a_url() {
    // The document's own URL is where the WSDL is served, not where its service listens.
    let imported = calculator_at("", Some("http://127.0.0.1:9/services/calculator?wsdl"));
    assert_eq!(url_of(&imported, "Add"), "https://example.invalid");
    has_note(
        &imported,
        Kind::BaseUrl,
        &["`CalculatorSoap` has no address"],
    );
}

/// A document-style operation whose request element holds `count` elements.
fn wide_request(count: usize) -> String {
    let elements: String = (0..count)
        .map(|i| format!(r#"<s:element name="f{i}" type="s:string"/>"#))
        .collect();
    request_of(&elements)
}

/// The WSDL of `order_wsdl` whose `Order` element's sequence is `elements`.
fn request_of(elements: &str) -> String {
    order_wsdl(&format!(
        r#"<s:schema targetNamespace="urn:order"><s:element name="Order"><s:complexType><s:sequence>{elements}</s:sequence></s:complexType></s:element></s:schema>"#
    ))
}

#[test]
fn a_request_of_more_elements_than_a_method_takes_says_how_many_are_left_out() {
    let wide = importer::wsdl(&wide_request(52), &Options::default()).unwrap();
    checked(&wide, &[]);
    assert_eq!(
        notes_of(Kind::LeftOut, &wide),
        ["`Order`: 2 more elements of the request are not carried over (a method takes 50 fields)"]
    );
    for count in [49, 50] {
        let fits = importer::wsdl(&wide_request(count), &Options::default()).unwrap();
        checked(&fits, &[]);
        assert_eq!(
            notes_of(Kind::LeftOut, &fits),
            Vec::<&str>::new(),
            "{count}"
        );
    }
}

#[test]
fn a_postman_request_without_a_method_is_a_get_and_a_method_is_upper_cased() {
    let collection = serde_json::json!({
        "info": {
            "name": "Verbs",
            "schema": importer::postman::SCHEMA_V2_1,
        },
        "item": [
            {"name": "Read", "request": {"url": "http://127.0.0.1:9/things"}},
            {"name": "Make", "request": {"method": "post", "url": "http://127.0.0.1:9/things"}},
            {"name": "Swap", "request": {"method": "PUT", "url": "http://127.0.0.1:9/things/1"}},
        ],
    })
    .to_string();
    let listed = importer::postman::operations(&collection).unwrap();
    let methods: Vec<(&str, &str)> = listed
        .iter()
        .map(|o| (o.name.as_str(), o.method.as_str()))
        .collect();
    assert_eq!(
        methods,
        [("Read", "GET"), ("Make", "POST"), ("Swap", "PUT")]
    );
    // A pick by method and path uses the same reading.
    assert_eq!(listed[0].path, "http://127.0.0.1:9/things");
    let picked = importer::postman(&collection, &only(&["get http://127.0.0.1:9/things"])).unwrap();
    checked(&picked, &[]);
    let names: Vec<&str> = picked
        .definition
        .methods
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    assert_eq!(names, ["Read"]);
}

#[test]
fn a_wsdl_import_is_not_followed_and_said_not_to_be() {
    let text = fixture("calculator-soap11and12.wsdl")
        .replacen(
            "<wsdl:types>",
            r#"<wsdl:import namespace="urn:common" location="common.wsdl"/><wsdl:types>"#,
            1,
        )
        .replacen(
            r#"<s:schema elementFormDefault="unqualified" targetNamespace="http://tempuri.org/">"#,
            r#"<s:schema elementFormDefault="unqualified" targetNamespace="http://tempuri.org/"><s:include schemaLocation="types.xsd"/>"#,
            1,
        );
    let imported = importer::wsdl(&text, &Options::default()).unwrap();
    checked(&imported, &[]);
    for location in ["common.wsdl", "types.xsd"] {
        has_note(
            &imported,
            Kind::LeftOut,
            &[&format!(
                "`{location}` is imported from another file: not read"
            )],
        );
    }
    let plain = importer::wsdl(&fixture("calculator-soap11and12.wsdl"), &Options::default());
    let notes = notes_of(Kind::LeftOut, &plain.unwrap()).join("\n");
    assert!(!notes.contains("imported from another file"), "{notes}");
}

#[test]
fn wsdl_request_fields_are_named_by_their_parent_when_taken_and_optional_where_allowed() {
    let text = request_of(
        r#"<s:element name="id" type="s:string"/>
           <s:element name="customer"><s:complexType><s:sequence>
             <s:element name="id" type="s:string"/>
             <s:element name="note" type="s:string" minOccurs="0"/>
           </s:sequence></s:complexType></s:element>
           <s:element name="extra" minOccurs="0"><s:complexType><s:sequence>
             <s:element name="code" type="s:string"/>
           </s:sequence></s:complexType></s:element>"#,
    );
    let imported = importer::wsdl(&text, &Options::default()).unwrap();
    checked(&imported, &[]);
    let method = &imported.definition.methods[0];
    let fields: Vec<(&str, bool)> = method
        .dynamic_fields()
        .iter()
        .map(|name| (*name, method.field_ui(name).mandatory))
        .collect();
    assert_eq!(
        fields,
        // `code` is required only inside `extra`, which may be absent: so it may be too.
        [
            ("id", true),
            ("customer_id", true),
            ("note", false),
            ("code", false)
        ]
    );
}

#[test]
fn a_wsdl_request_of_two_namespaces_declares_a_prefix_for_each() {
    let imported = order(
        r#"<s:schema targetNamespace="urn:common" elementFormDefault="qualified"><s:element name="code" type="s:string"/></s:schema>
           <s:schema targetNamespace="urn:order" elementFormDefault="qualified"><s:element name="Order"><s:complexType><s:sequence><s:element name="id" type="s:string"/><s:element ref="c:code"/></s:sequence></s:complexType></s:element></s:schema>"#,
    );
    let body = imported.definition.methods[0].body.as_ref().unwrap();
    assert_eq!(
        body.template,
        concat!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:order" xmlns:m2="urn:common">"#,
            r#"<soap:Body><m:Order><m:id>$(id)</m:id><m2:code>$(code)</m2:code></m:Order></soap:Body></soap:Envelope>"#
        )
    );
}

/// A document-style operation `Order` whose input is the element `tns:Order` of `schemas`
/// (`tns` is `urn:order`, `c` is `urn:common`).
fn order_wsdl(schemas: &str) -> String {
    format!(
        r#"<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:order" xmlns:c="urn:common" targetNamespace="urn:order">
  <types>{schemas}</types>
  <message name="OrderIn"><part name="body" element="tns:Order"/></message>
  <portType name="OrderPort"><operation name="Order"><input message="tns:OrderIn"/></operation></portType>
  <binding name="OrderSoap" type="tns:OrderPort">
    <soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>
    <operation name="Order"><soap:operation soapAction="urn:order#Order"/><input><soap:body use="literal"/></input></operation>
  </binding>
  <service name="Order"><port name="OrderSoap" binding="tns:OrderSoap"><soap:address location="http://127.0.0.1:9/order"/></port></service>
</definitions>"#
    )
}

/// The operation of [`order_wsdl`], imported and checked.
fn order(schemas: &str) -> Imported {
    let text = order_wsdl(schemas);
    let imported = importer::wsdl(&text, &Options::default()).unwrap();
    checked(&imported, &[]);
    imported
}

#[test]
fn a_wsdl_named_type_is_written_out_and_a_recursive_one_only_so_deep() {
    let imported = order(
        r#"<s:schema targetNamespace="urn:order">
             <s:simpleType name="Count"><s:restriction base="s:int"/></s:simpleType>
             <s:simpleType name="Size"><s:restriction base="tns:Count"/></s:simpleType>
             <s:simpleType name="Loop"><s:restriction base="tns:Loop"/></s:simpleType>
             <s:complexType name="Item"><s:sequence>
               <s:element name="sku" type="s:string"/>
               <s:element name="next" type="tns:Item" minOccurs="0"/>
             </s:sequence></s:complexType>
             <s:element name="Order"><s:complexType><s:sequence>
               <s:element name="size" type="tns:Size"/>
               <s:element name="loop" type="tns:Loop"/>
               <s:element name="item" type="tns:Item"/>
             </s:sequence></s:complexType></s:element>
           </s:schema>"#,
    );
    let method = &imported.definition.methods[0];
    // A simple type's kind through a chain of restrictions; one restricting itself is text.
    assert_eq!(method.field_ui("size").kind, node::FieldType::Number);
    assert_eq!(method.field_ui("loop").kind, node::FieldType::Text);
    // A complex type referring to itself is written out to the schema reader's depth, then
    // left empty.
    assert_eq!(
        method.body.as_ref().unwrap().template,
        concat!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:order">"#,
            r#"<soap:Body><m:Order><size>$(size)</size><loop>$(loop)</loop>"#,
            r#"<item><sku>$(sku)</sku><next><sku>$(next_sku)</sku><next></next></next></item>"#,
            r#"</m:Order></soap:Body></soap:Envelope>"#
        )
    );
}

#[test]
fn a_wsdl_element_by_reference_and_by_form() {
    let imported = order(
        r#"<s:schema targetNamespace="urn:order">
             <s:element name="part"><s:complexType><s:sequence>
               <s:element name="name" type="s:string"/>
               <s:element ref="tns:part" minOccurs="0"/>
             </s:sequence></s:complexType></s:element>
             <s:element name="Order"><s:complexType><s:sequence>
               <s:element name="mine" type="s:string" form="qualified"/>
               <s:element name="plain" type="s:string" form="unqualified"/>
               <s:element ref="tns:part"/>
             </s:sequence></s:complexType></s:element>
           </s:schema>"#,
    );
    // A form of its own wins over the schema's default; a reference to an element that holds
    // a reference to itself is written out to the schema reader's depth.
    assert_eq!(
        imported.definition.methods[0]
            .body
            .as_ref()
            .unwrap()
            .template,
        concat!(
            r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="urn:order">"#,
            r#"<soap:Body><m:Order><m:mine>$(mine)</m:mine><plain>$(plain)</plain>"#,
            r#"<m:part><name>$(name)</name><m:part></m:part></m:part>"#,
            r#"</m:Order></soap:Body></soap:Envelope>"#
        )
    );

    // A chain of references (`e0` to `e9`, each element naming the next) is followed until the
    // reader's depth of 8: from `Order`'s reference, at depth 2, that is `e5`.
    let chain: String = (0..10)
        .map(|i| match i {
            9 => r#"<s:element name="e9" type="s:int"/>"#.to_owned(),
            i => format!(
                r#"<s:element name="e{i}" ref="tns:e{}" type="s:string"/>"#,
                i + 1
            ),
        })
        .collect();
    let imported = order(&format!(
        r#"<s:schema targetNamespace="urn:order">{chain}
             <s:element name="Order"><s:complexType><s:sequence>
               <s:element ref="tns:e0"/>
             </s:sequence></s:complexType></s:element>
           </s:schema>"#
    ));
    assert_eq!(imported.definition.methods[0].dynamic_fields(), ["e5"]);
}

#[test]
fn a_wsdl_type_extending_another_has_the_bases_elements_first() {
    let imported = order(
        r#"<s:schema targetNamespace="urn:order">
             <s:complexType name="Person"><s:sequence>
               <s:element name="name" type="s:string"/>
             </s:sequence></s:complexType>
             <s:complexType name="Customer"><s:complexContent><s:extension base="tns:Person">
               <s:sequence>
                 <s:element name="email" type="s:string"/>
                 <s:element name="referrer" type="tns:Customer" minOccurs="0"/>
               </s:sequence>
             </s:extension></s:complexContent></s:complexType>
             <s:element name="Order" type="tns:Customer"/>
           </s:schema>"#,
    );
    // The customer who referred this one is a customer too: at the reader's depth, left empty.
    let method = &imported.definition.methods[0];
    assert_eq!(method.dynamic_fields(), ["name", "email"]);
    let template = &method.body.as_ref().unwrap().template;
    assert!(
        template.contains("<email>$(email)</email><referrer></referrer></m:Order>"),
        "{template}"
    );

    // A restriction lists its elements itself: none are inherited.
    let imported = order(
        r#"<s:schema targetNamespace="urn:order">
             <s:complexType name="Person"><s:sequence>
               <s:element name="name" type="s:string"/>
               <s:element name="nickname" type="s:string" minOccurs="0"/>
             </s:sequence></s:complexType>
             <s:complexType name="Named"><s:complexContent><s:restriction base="tns:Person">
               <s:sequence><s:element name="name" type="s:string"/></s:sequence>
             </s:restriction></s:complexContent></s:complexType>
             <s:element name="Order" type="tns:Named"/>
           </s:schema>"#,
    );
    assert_eq!(imported.definition.methods[0].dynamic_fields(), ["name"]);
}

#[test]
fn a_wsdl_simple_type_is_one_field_and_restrictions_are_followed_to_the_readers_depth() {
    // The message's element is itself a simple type: one field, its values in the tooltip.
    let imported = order(
        r#"<s:schema targetNamespace="urn:order"><s:element name="Order"><s:simpleType>
             <s:restriction base="s:string"><s:enumeration value="a"/><s:enumeration value="b"/></s:restriction>
           </s:simpleType></s:element></s:schema>"#,
    );
    let method = &imported.definition.methods[0];
    assert_eq!(method.dynamic_fields(), ["Order"]);
    assert_eq!(method.field_ui("Order").tooltip, "one of: a, b");

    // `Order`'s element `x` restricts `T1`, which restricts `T2`, and so on to `s:int`: five
    // named types are followed to the number, six reach the reader's depth first: text.
    for (named, kind) in [(5, node::FieldType::Number), (6, node::FieldType::Text)] {
        let chain: String = (1..=named)
            .map(|i| {
                let base = if i == named {
                    "s:int".to_owned()
                } else {
                    format!("tns:T{}", i + 1)
                };
                format!(
                    r#"<s:simpleType name="T{i}"><s:restriction base="{base}"/></s:simpleType>"#
                )
            })
            .collect();
        let imported = order(&format!(
            r#"<s:schema targetNamespace="urn:order">{chain}
                 <s:element name="Order"><s:complexType><s:sequence>
                   <s:element name="x"><s:simpleType><s:restriction base="tns:T1"/></s:simpleType></s:element>
                 </s:sequence></s:complexType></s:element>
               </s:schema>"#
        ));
        let method = &imported.definition.methods[0];
        assert_eq!(method.field_ui("x").kind, kind, "{named} named types");
    }
}

#[test]
fn a_wsdl_leaf_is_typed_by_its_xsd_type_and_explained_by_its_documentation() {
    let imported = order(
        r#"<s:schema targetNamespace="urn:order"><s:element name="Order"><s:complexType><s:sequence>
             <s:element name="rush" type="s:boolean"/>
             <s:element name="count" type="s:unsignedShort"/>
             <s:element name="note" type="s:string">
               <s:annotation><s:documentation> For the courier. </s:documentation><s:documentation> </s:documentation>
               <s:documentation>Optional.</s:documentation></s:annotation>
             </s:element>
           </s:sequence></s:complexType></s:element></s:schema>"#,
    );
    let method = &imported.definition.methods[0];
    let ui: Vec<(node::FieldType, String)> = ["rush", "count", "note"]
        .iter()
        .map(|name| {
            let ui = method.field_ui(name);
            (ui.kind, ui.tooltip)
        })
        .collect();
    assert_eq!(
        ui,
        [
            (node::FieldType::Boolean, String::new()),
            (node::FieldType::Number, String::new()),
            (
                node::FieldType::Text,
                "For the courier. Optional.".to_owned()
            )
        ]
    );
}
