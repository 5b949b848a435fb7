//! Bodies and answers beyond JSON: XML and SOAP (values XML-escaped, answers read by XPath),
//! multipart form data, and text read whole with `$.`, against real servers on port 0.

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use node::{Edge, Engine, RunOptions, Secrets};
use serde_json::{Value, json};

use crate::run::{params, spawn_router};

const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";

fn load(definition: Value) -> node::NodeDefinition {
    node::load(&definition.to_string()).unwrap_or_else(|problems| panic!("{problems:#?}"))
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// A SOAP 1.1 price service: it reads the item out of the envelope with XPath (so a value that
/// was not escaped would break it) and answers its price and the item it read.
async fn soap_service() -> url::Url {
    async fn price(
        headers: HeaderMap,
        body: Bytes,
    ) -> (StatusCode, [(&'static str, String); 1], String) {
        let content_type = header(&headers, "content-type");
        let action = header(&headers, "soapaction");
        let text = String::from_utf8(body.to_vec()).unwrap();
        let item = sxd_document::parser::parse(&text).ok().and_then(|package| {
            let document = package.as_document();
            let value = sxd_xpath::evaluate_xpath(
                &document,
                "/*[local-name()='Envelope']/*[local-name()='Body']/*[local-name()='GetPrice']/*[local-name()='Item']",
            )
            .ok()?;
            Some(value.string())
        });
        let xml = [("content-type", "text/xml; charset=utf-8".to_owned())];
        match item {
            Some(item) if content_type.starts_with("text/xml") && action == "\"urn:GetPrice\"" => {
                let escaped = item.replace('&', "&amp;").replace('<', "&lt;");
                let answer = format!(
                    r#"<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>
                       <m:GetPriceResponse xmlns:m="urn:prices"><m:Price>1.90</m:Price>
                       <m:Item>{escaped}</m:Item></m:GetPriceResponse></soap:Body></soap:Envelope>"#
                );
                (StatusCode::OK, xml, answer)
            }
            _ => {
                let fault = format!(
                    r#"<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault>
                       <faultcode>soap:Client</faultcode><faultstring>bad request: {content_type} {action}</faultstring>
                       </soap:Fault></soap:Body></soap:Envelope>"#
                );
                (StatusCode::INTERNAL_SERVER_ERROR, xml, fault)
            }
        }
    }
    spawn_router(Router::new().route("/prices", post(price)).route(
        "/not-xml",
        post(|| async { ([("content-type", "text/xml")], "<unclosed>") }),
    ))
    .await
}

fn soap_node(base: &url::Url, path: &str) -> node::NodeDefinition {
    load(json!({
        "name": "Prices",
        "methods": [{
            "name": "Get Price",
            "requestTimeoutMs": 3000,
            "connectionTimeoutMs": 3000,
            "httpMethod": "POST",
            "url": format!("{base}{path}"),
            "parameters": [{"type": "dynamic", "name": "item"}],
            "body": {
                "format": "soap",
                "soapAction": "urn:GetPrice",
                "template": format!(r#"<?xml version="1.0"?><soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><GetPrice xmlns="urn:prices"><Item>$(item)</Item></GetPrice></soap:Body></soap:Envelope>"#)
            },
            "responseType": "xml",
            "events": [
                {"name": "Priced", "source": {"type": "body", "path": "/soap:Envelope/soap:Body/m:GetPriceResponse/m:Price"},
                 "condition": "exists", "edge": "success"},
                {"name": "Fault", "source": {"type": "status"}, "condition": "equals", "value": "500", "edge": "error"}
            ],
            "outputs": [
                {"name": "price", "source": {"type": "body", "path": "/soap:Envelope/soap:Body/m:GetPriceResponse/m:Price"}},
                {"name": "item", "source": {"type": "body", "path": "string(//m:Item)"}},
                {"name": "fault", "source": {"type": "body", "path": "//faultstring"}}
            ]
        }]
    }))
}

#[tokio::test]
async fn a_soap_request_is_escaped_xml_with_its_action_and_the_answer_is_read_by_xpath() {
    let base = soap_service().await;
    let node = soap_node(&base, "prices");
    let item = r#"Tea & "Biscuits" <large> 'x'"#;
    let result = Engine::new(Secrets::default())
        .run(
            &node,
            "Get Price",
            &params(&[("item", item)]),
            &RunOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:#?}");
    assert_eq!(result.outputs["price"], "1.90");
    assert_eq!(result.outputs["item"], item);
    assert_eq!(result.outputs["fault"], Value::Null);
}

#[tokio::test]
async fn an_answer_that_is_not_xml_leaves_by_the_error_edge_saying_so() {
    let base = soap_service().await;
    let node = soap_node(&base, "not-xml");
    let result = Engine::new(Secrets::default())
        .run(
            &node,
            "Get Price",
            &params(&[("item", "tea")]),
            &RunOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Error);
    let error = result.error.unwrap();
    assert!(error.contains("the response body is not XML"), "{error}");
    assert!(error.contains("<unclosed>"), "{error}");
}

/// Echoes a multipart body's content type and raw bytes as JSON.
async fn multipart_echo() -> url::Url {
    spawn_router(Router::new().route(
        "/upload",
        post(|headers: HeaderMap, body: Bytes| async move {
            axum::Json(json!({
                "contentType": header(&headers, "content-type"),
                "body": String::from_utf8_lossy(&body),
            }))
        }),
    ))
    .await
}

#[tokio::test]
async fn a_multipart_body_sends_one_part_per_row_and_leaves_out_an_empty_optional() {
    let base = multipart_echo().await;
    let node = load(json!({
        "name": "Upload",
        "methods": [{
            "name": "Send",
            "requestTimeoutMs": 3000,
            "connectionTimeoutMs": 3000,
            "httpMethod": "POST",
            "url": format!("{base}upload"),
            "body": {"format": "multipart", "parts": [
                {"type": "static", "name": "channel", "value": "sms"},
                {"type": "dynamic", "name": "to"},
                {"type": "dynamic", "name": "note"}
            ]},
            "fields": [{"name": "note", "mandatory": false}],
            "events": [{"name": "Ok", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"}],
            "outputs": [
                {"name": "contentType", "source": {"type": "body", "path": "$.contentType"}},
                {"name": "body", "source": {"type": "body", "path": "$.body"}}
            ]
        }]
    }));
    let result = Engine::new(Secrets::default())
        .run(
            &node,
            "Send",
            &params(&[("to", "+1 555 0100 \"x\"")]),
            &RunOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:#?}");
    let content_type = result.outputs["contentType"].as_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("{content_type}"));
    let body = result.outputs["body"].as_str().unwrap();
    let part = |name: &str, value: &str| {
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        )
    };
    assert!(body.contains(&part("channel", "sms")), "{body}");
    assert!(body.contains(&part("to", "+1 555 0100 \"x\"")), "{body}");
    assert!(!body.contains("name=\"note\""), "{body}");
    assert!(body.ends_with(&format!("--{boundary}--\r\n")), "{body}");
}

#[tokio::test]
async fn a_text_answer_is_read_whole_with_dollar_dot_and_an_xml_body_is_sent_escaped() {
    let base = spawn_router(Router::new().route(
        "/ticket",
        post(|headers: HeaderMap, body: Bytes| async move {
            format!(
                "{} {}",
                header(&headers, "content-type"),
                String::from_utf8_lossy(&body)
            )
        }),
    ))
    .await;
    let node = load(json!({
        "name": "Tickets",
        "methods": [{
            "name": "Open",
            "requestTimeoutMs": 3000,
            "connectionTimeoutMs": 3000,
            "httpMethod": "POST",
            "url": format!("{base}ticket"),
            "parameters": [{"type": "dynamic", "name": "subject"}, {"type": "dynamic", "name": "tag"}],
            "body": {"format": "xml", "template": "<ticket subject=\"$(subject)\"><tag>$(tag)</tag></ticket>"},
            "fields": [{"name": "tag", "mandatory": false}],
            "responseType": "text",
            "events": [{"name": "Xml", "source": {"type": "body", "path": "$."}, "condition": "starts with",
                        "value": "application/xml", "edge": "success"}],
            "outputs": [{"name": "answer", "source": {"type": "body", "path": "$."}}]
        }]
    }));
    let result = Engine::new(Secrets::default())
        .run(
            &node,
            "Open",
            &params(&[("subject", "a<b & \"c\"")]),
            &RunOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:#?}");
    assert_eq!(
        result.outputs["answer"],
        // The optional tag left empty is an empty element.
        "application/xml; charset=utf-8 <ticket subject=\"a&lt;b &amp; &quot;c&quot;\"><tag></tag></ticket>"
    );
}

#[tokio::test]
async fn a_soap_1_2_envelope_carries_its_action_in_the_content_type() {
    let base = spawn_router(Router::new().route(
        "/soap12",
        post(|headers: HeaderMap| async move {
            format!(
                "{}|{}",
                header(&headers, "content-type"),
                header(&headers, "soapaction")
            )
        }),
    ))
    .await;
    let envelope = r#"<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Ping xmlns="urn:p">$(n)</Ping></e:Body></e:Envelope>"#;
    let node = load(json!({
        "name": "Soap12",
        "methods": [{
            "name": "Ping",
            "requestTimeoutMs": 3000,
            "connectionTimeoutMs": 3000,
            "httpMethod": "POST",
            "url": format!("{base}soap12"),
            "parameters": [{"type": "dynamic", "name": "n"}],
            "body": {"format": "soap", "soapAction": "urn:Ping", "template": envelope},
            "responseType": "text",
            "events": [{"name": "Ok", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"}],
            "outputs": [{"name": "seen", "source": {"type": "body", "path": "$."}}]
        }]
    }));
    let result = Engine::new(Secrets::default())
        .run(
            &node,
            "Ping",
            &params(&[("n", "1")]),
            &RunOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        result.outputs["seen"],
        "application/soap+xml; charset=utf-8; action=\"urn:Ping\"|"
    );
}

#[test]
fn a_soap_12_body_says_its_type_with_or_without_an_action_and_11_says_its_action_apart() {
    let envelope =
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>";
    let body =
        |value: serde_json::Value| -> node::model::Body { serde_json::from_value(value).unwrap() };
    let plain = body(serde_json::json!({"format": "soap", "template": envelope}));
    assert_eq!(
        plain.content_type().as_deref(),
        Some("application/soap+xml; charset=utf-8")
    );
    assert_eq!(plain.soap_action_header(), None);
    let acting =
        body(serde_json::json!({"format": "soap", "soapAction": "urn:Ping", "template": envelope}));
    assert_eq!(
        acting.content_type().as_deref(),
        Some("application/soap+xml; charset=utf-8; action=\"urn:Ping\"")
    );
}

#[test]
fn each_edge_is_named_as_flows_wire_it() {
    use node::Edge;
    let names: Vec<&str> = [Edge::Success, Edge::Error, Edge::Timeout]
        .into_iter()
        .map(Edge::as_str)
        .collect();
    assert_eq!(names, ["success", "error", "timeout"]);
    assert_eq!(
        serde_json::to_value(Edge::Error).unwrap(),
        serde_json::json!(Edge::Error.as_str())
    );
}
