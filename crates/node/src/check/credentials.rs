//! Literal credentials: a definition names a secret as `$(secret:NAME)` and never holds one, so
//! a value under a credential's name must be nothing but secrets, run-time values and an
//! auth-scheme word.

use serde_json::Value;
use sxd_document::dom::{ChildOfElement, ChildOfRoot, Element};

use super::problem::{Problem, problem};
use crate::model::{Body, BodyFormat, Row};
use crate::template::{self, Context, Piece, SECRET_PREFIX};

/// How a name is matched against [`CREDENTIAL_NAMES`].
enum CredentialName {
    Is(&'static str),
    EndsWith(&'static str),
}

use CredentialName::{EndsWith, Is};

/// The names that hold a credential: header, URL parameter, parameter row, URL query and body
/// field names. They are compared lowercased with `-` and `_` dropped, so `X-API-Key`,
/// `x_api_key` and `xApiKey` are one name. Besides the exact names (`authorization`,
/// `proxy-authorization`, `password`, `passwd`, `secret`, `client_secret`), any name ending in
/// `token` (`token`, `access_token`, `auth_token`, `refresh_token`, `id_token`, `X-Auth-Token`)
/// and any ending in `key` after `api`, `secret`, `private` or `access` (`apikey`, `x-api-key`,
/// `private_key`, `aws_secret_access_key`) is one.
const CREDENTIAL_NAMES: &[CredentialName] = &[
    Is("authorization"),
    Is("proxyauthorization"),
    Is("password"),
    Is("passwd"),
    Is("secret"),
    Is("clientsecret"),
    EndsWith("token"),
    EndsWith("apikey"),
    EndsWith("secretkey"),
    EndsWith("privatekey"),
    EndsWith("accesskey"),
];

/// Words that may stand before a credential (`Bearer $(secret:token)`); they are not one.
const AUTH_SCHEMES: &[&str] = &["Bearer", "Basic", "Token", "Digest", "ApiKey"];

/// Whether `name` (a header, row, query or body field name) holds a credential.
pub fn is_credential_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    CREDENTIAL_NAMES.iter().any(|pattern| match pattern {
        Is(exact) => folded == *exact,
        EndsWith(suffix) => folded.ends_with(suffix),
    })
}

/// When `literal` (a value with its placeholders removed) still holds a credential: what to
/// write instead, keeping the auth scheme it starts with.
pub fn replacement(literal: &str) -> Option<String> {
    let literal = literal.trim();
    let (first, rest) = literal
        .split_once(char::is_whitespace)
        .unwrap_or((literal, ""));
    let scheme = AUTH_SCHEMES
        .iter()
        .find(|scheme| scheme.eq_ignore_ascii_case(first));
    let credential = if scheme.is_some() { rest } else { literal };
    if credential.trim().is_empty() {
        return None;
    }
    Some(match scheme {
        Some(scheme) => format!("{scheme} $(secret:NAME)"),
        None => "$(secret:NAME)".to_owned(),
    })
}

fn report(pointer: &str, place: &str, instead: &str, problems: &mut Vec<Problem>) {
    problems.push(problem(
        pointer,
        format!("{place} holds a literal credential; name a secret instead: `{instead}`"),
    ));
}

/// Static rows: a row value is literal apart from its secrets (a `$(name)` there is sent as
/// written), so only secrets are removed before looking.
/// `list` points to the rows; `what` is how a message calls one of them.
pub(super) fn check_rows(rows: &[Row], list: &str, what: &str, problems: &mut Vec<Problem>) {
    for (k, row) in rows.iter().enumerate() {
        let Row::Static { name, value } = row else {
            continue;
        };
        if !is_credential_name(name) {
            continue;
        }
        let without_secrets: String = template::pieces(value)
            .into_iter()
            .map(|piece| match piece {
                Piece::Text(text) => text.to_owned(),
                Piece::Placeholder(name) if name.starts_with(SECRET_PREFIX) => String::new(),
                Piece::Placeholder(name) => format!("$({name})"),
            })
            .collect();
        if let Some(instead) = replacement(&without_secrets) {
            report(
                &format!("{list}/{k}/value"),
                &format!("{what} `{name}`"),
                &instead,
                problems,
            );
        }
    }
}

/// The query pairs written into the resource URL itself.
pub(super) fn check_url(url: &str, pointer: &str, problems: &mut Vec<Problem>) {
    let literal = template::literal_text(url, Context::Url);
    let without_fragment = literal.split('#').next().unwrap_or_default();
    let Some((_, query)) = without_fragment.split_once('?') else {
        return;
    };
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if is_credential_name(&name)
            && let Some(instead) = replacement(&value)
        {
            report(
                pointer,
                &format!("the URL's query parameter `{name}`"),
                &format!("{name}={instead}"),
                problems,
            );
        }
    }
}

/// The fields of a JSON or form body, at any depth for JSON. A text body has no fields.
pub(super) fn check_body(body: &Body, pointer: &str, problems: &mut Vec<Problem>) {
    match body.format {
        BodyFormat::Json => {
            let literal = template::literal_text(&body.template, Context::Json);
            // A body that is not JSON is reported by the body check.
            if let Ok(value) = serde_json::from_str::<Value>(&literal) {
                check_json(&value, "", pointer, problems);
            }
        }
        BodyFormat::Form => {
            let literal = template::literal_text(&body.template, Context::Form);
            for (name, value) in url::form_urlencoded::parse(literal.as_bytes()) {
                if is_credential_name(&name)
                    && let Some(instead) = replacement(&value)
                {
                    report(
                        pointer,
                        &format!("form body field `{name}`"),
                        &format!("{name}={instead}"),
                        problems,
                    );
                }
            }
        }
        BodyFormat::Xml | BodyFormat::Soap => {
            let literal = template::literal_text(&body.template, Context::Xml);
            // A body that is not XML is reported by the body check.
            if let Ok(package) = sxd_document::parser::parse(&literal) {
                let document = package.as_document();
                for child in document.root().children() {
                    if let ChildOfRoot::Element(element) = child {
                        check_xml(element, pointer, problems);
                    }
                }
            }
        }
        // Multipart parts are rows, checked with the other rows; text has no fields.
        BodyFormat::Multipart | BodyFormat::Text => {}
    }
}

/// Elements named as credentials hold no literal text, at any depth.
fn check_xml(element: Element<'_>, pointer: &str, problems: &mut Vec<Problem>) {
    let name = element.name().local_part();
    let mut text = String::new();
    for child in element.children() {
        match child {
            ChildOfElement::Text(t) => text.push_str(t.text()),
            ChildOfElement::Element(child) => check_xml(child, pointer, problems),
            _ => {}
        }
    }
    if is_credential_name(name)
        && let Some(instead) = replacement(&text)
    {
        report(
            pointer,
            &format!("XML body element `{name}`"),
            &format!("<{name}>{instead}</{name}>"),
            problems,
        );
    }
}

/// `path` is the JSON pointer of `value` inside the body.
fn check_json(value: &Value, path: &str, pointer: &str, problems: &mut Vec<Problem>) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields {
                let here = format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"));
                let literal = match field {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    _ => None,
                };
                if is_credential_name(key)
                    && let Some(instead) = literal.as_deref().and_then(replacement)
                {
                    report(
                        pointer,
                        &format!("JSON body field `{here}`"),
                        &format!("\"{key}\": \"{instead}\""),
                        problems,
                    );
                }
                check_json(field, &here, pointer, problems);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                check_json(item, &format!("{path}/{index}"), pointer, problems);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_ignore_case_and_separators() {
        for name in [
            "Authorization",
            "Proxy-Authorization",
            "X-API-Key",
            "api_key",
            "apiKey",
            "token",
            "refresh_token",
            "X-Auth-Token",
            "PASSWD",
            "client_secret",
            "private_key",
            "aws_secret_access_key",
        ] {
            assert!(is_credential_name(name), "{name}");
        }
        for name in [
            "Content-Type",
            "key",
            "sort_key",
            "monkey",
            "sub",
            "aud",
            "jwt",
        ] {
            assert!(!is_credential_name(name), "{name}");
        }
    }

    fn body(format: BodyFormat, template: &str) -> Body {
        Body {
            format,
            template: template.to_owned(),
            parts: Vec::new(),
            soap_action: None,
            omit_empty: false,
        }
    }

    fn problems_of(body: &Body) -> Vec<String> {
        let mut problems = Vec::new();
        check_body(body, "/methods/0/body", &mut problems);
        problems.into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn a_literal_credential_is_found_in_an_xml_element_at_any_depth_and_a_json_number() {
        let xml = problems_of(&body(
            BodyFormat::Xml,
            "<a><b><c><password>hunter2</password></c></b><token>$(secret:t)</token><name>x</name></a>",
        ));
        assert_eq!(xml.len(), 1, "{xml:?}");
        assert!(xml[0].contains("XML body element `password`"), "{xml:?}");
        assert!(
            problems_of(&body(
                BodyFormat::Xml,
                "<a><password>$(secret:p)</password></a>"
            ))
            .is_empty()
        );
        let json = problems_of(&body(
            BodyFormat::Json,
            r#"{"outer": {"apiKey": 12345, "count": 3}}"#,
        ));
        assert_eq!(json.len(), 1, "{json:?}");
        assert!(json[0].contains("apiKey"), "{json:?}");
    }

    #[test]
    fn a_scheme_word_alone_is_not_a_credential() {
        assert_eq!(replacement("Bearer "), None);
        assert_eq!(replacement("  "), None);
        assert_eq!(replacement("basic"), None);
        assert_eq!(
            replacement("Bearer abc123").as_deref(),
            Some("Bearer $(secret:NAME)")
        );
        assert_eq!(
            replacement("digest x").as_deref(),
            Some("Digest $(secret:NAME)")
        );
        assert_eq!(replacement("abc123").as_deref(), Some("$(secret:NAME)"));
        assert_eq!(
            replacement("Bearer$(param)").as_deref(),
            Some("$(secret:NAME)")
        );
    }
}
