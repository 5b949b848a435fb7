//! Body templates from the input's bodies: form pairs, JSON and XML with `{{var}}` converted and
//! every credential field made a secret.

use node::check::credentials::is_credential_name;
use node::model::{Body, BodyFormat};
use node::template::{self, Context, Piece, SECRET_PREFIX};
use serde_json::Value;

use crate::credentials::{Schemed, credential_secret};
use crate::names::secret_ref;
use crate::session::Session;
use crate::variables::{Resolve, as_is, convert};

/// A body of `format` with `template`.
pub(crate) fn body(format: BodyFormat, template: String) -> Body {
    Body {
        format,
        template,
        parts: Vec::new(),
        soap_action: None,
        omit_empty: false,
    }
}

/// Text form-encoded, as a form body or `--data-urlencode` writes it.
pub(crate) fn form_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A form body template from name/value pairs (each may hold `{{var}}`): literal text
/// form-encoded, credential fields as secrets.
pub(crate) fn form_template(
    pairs: &[(String, String)],
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> String {
    let mut out = Vec::new();
    for (name, value) in pairs {
        let place = format!("form body field `{name}`");
        let key = convert(name, false, &place, resolve, session, &form_encoded);
        let value = if is_credential_name(name) {
            secret_ref(&credential_secret(value, name, &place, resolve, session))
        } else {
            convert(value, false, &place, resolve, session, &form_encoded)
        };
        out.push(format!("{key}={value}"));
    }
    out.join("&")
}

/// A JSON body template: `{{var}}` converted, and every credential field (at any depth) made a
/// secret. `None` when the body is not JSON even with its placeholders filled.
pub(crate) fn json_template(
    text: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> Option<String> {
    let converted = convert(text, false, "the JSON body", resolve, session, &as_is);
    // Each placeholder becomes a unique marker string, so that the body parses as JSON and the
    // placeholders can be put back after credential fields are replaced.
    let mut names: Vec<String> = Vec::new();
    let filled = template::fill(&converted, Context::Json, |name| {
        names.push(name.to_owned());
        Some(format!("\"{}\"", marker(names.len() - 1)))
    })
    .ok()?;
    let mut value: Value = serde_json::from_str(&filled).ok()?;
    let mut secrets: Vec<Option<String>> = vec![None; names.len()];
    let mut changed = false;
    replace_credentials(&mut value, &names, &mut secrets, &mut changed, session);
    if !changed {
        return Some(converted);
    }
    let mut out = if text.contains('\n') {
        serde_json::to_string_pretty(&value).ok()?
    } else {
        serde_json::to_string(&value).ok()?
    };
    for (i, name) in names.iter().enumerate() {
        let placeholder = match &secrets[i] {
            Some(secret) => secret_ref(secret),
            None => format!("$({name})"),
        };
        // Inside a string the marker's quotes were escaped; outside, they are the string's.
        out = out.replace(&format!("\\\"{}\\\"", marker(i)), &placeholder);
        out = out.replace(&format!("\"{}\"", marker(i)), &placeholder);
    }
    Some(out)
}

/// Private-use characters around an index: text no input holds.
fn marker(i: usize) -> String {
    format!("\u{E000}{i}\u{E001}")
}

/// The index a marker stands for, when `text` is one (with or without its quotes).
fn marker_index(text: &str) -> Option<usize> {
    text.trim_matches('"')
        .strip_prefix('\u{E000}')?
        .strip_suffix('\u{E001}')?
        .parse()
        .ok()
}

/// Makes every credential field of `value` (at any depth) a secret: a marker standing alone
/// after its scheme word the variable's secret (in `secrets`), a literal one named for it.
/// `changed` says whether any was.
fn replace_credentials(
    value: &mut Value,
    names: &[String],
    secrets: &mut [Option<String>],
    changed: &mut bool,
    session: &mut Session,
) {
    match value {
        Value::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                if is_credential_name(key) {
                    let place = format!("JSON body field `{key}`");
                    let literal = match field {
                        Value::String(text) => Some(text.clone()),
                        Value::Number(number) => Some(number.to_string()),
                        _ => None,
                    };
                    if let Some(literal) = literal {
                        match Schemed::split(&literal) {
                            Some(schemed) if marker_index(schemed.credential).is_some() => {
                                let i = marker_index(schemed.credential).unwrap_or_default();
                                if !names[i].starts_with(SECRET_PREFIX) {
                                    secrets[i] =
                                        Some(session.secret_for_variable(&names[i], &place));
                                    *changed = true;
                                }
                            }
                            Some(schemed) => {
                                *field = Value::String(schemed.replaced(key, &place, session));
                                *changed = true;
                            }
                            None => {}
                        }
                        continue;
                    }
                }
                replace_credentials(field, names, secrets, changed, session);
            }
        }
        Value::Array(items) => {
            for item in items {
                replace_credentials(item, names, secrets, changed, session);
            }
        }
        _ => {}
    }
}

/// An XML body template: `{{var}}` converted, and the text of every element named as a
/// credential a secret. `None` when the body is not well-formed XML with its placeholders
/// filled.
pub(crate) fn xml_template(
    text: &str,
    resolve: &mut dyn Resolve,
    session: &mut Session,
) -> Option<String> {
    let converted = convert(text, false, "the XML body", resolve, session, &as_is);
    let filled = template::fill(&converted, Context::Xml, |_| Some("0".to_owned())).ok()?;
    sxd_document::parser::parse(&filled).ok()?;
    let mut out = String::with_capacity(converted.len());
    let mut rest = converted.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find('>') else {
            break;
        };
        let tag = &after[..=close];
        out.push_str(tag);
        rest = &after[close + 1..];
        if tag.starts_with("</")
            || tag.starts_with("<?")
            || tag.starts_with("<!")
            || tag.ends_with("/>")
        {
            continue;
        }
        let name = tag[1..tag.len() - 1]
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        let local = name.rsplit(':').next().unwrap_or(name);
        let end = rest.find('<').unwrap_or(rest.len());
        if !is_credential_name(local) || !rest[end..].starts_with("</") {
            continue;
        }
        let place = format!("XML body element `{local}`");
        let content = rest[..end].trim();
        let written = match template::pieces(content).as_slice() {
            [Piece::Placeholder(p)] if p.starts_with(SECRET_PREFIX) => continue,
            [Piece::Placeholder(p)] => secret_ref(&session.secret_for_variable(p, &place)),
            _ => match Schemed::split(content) {
                Some(schemed) => schemed.replaced(local, &place, session),
                None => continue,
            },
        };
        out.push_str(&written);
        rest = &rest[end..];
    }
    out.push_str(rest);
    Some(out)
}

/// `a=1&b=x%20y` as decoded pairs; `{{var}}` is kept as written.
pub(crate) fn decoded_pairs(text: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::tests::Fields;

    #[test]
    fn json_bodies_keep_placeholders_and_lose_literal_credentials() {
        let mut session = Session::default();
        let body = json_template(
            r#"{"sub": "{{chatId}}", "n": {{count}}, "password": "hunter2", "inner": {"token": "Bearer abc"}}"#,
            &mut Fields,
            &mut session,
        )
        .unwrap();
        assert!(!body.contains("hunter2") && !body.contains("abc"), "{body}");
        assert_eq!(
            body,
            r#"{"sub":"$(chatId)","n":$(count),"password":"$(secret:password)","inner":{"token":"Bearer $(secret:bearer_token)"}}"#
        );
        let untouched = json_template(r#"{"a": "{{b}}"}"#, &mut Fields, &mut session).unwrap();
        assert_eq!(untouched, r#"{"a": "$(b)"}"#);
        assert!(json_template("not json {{x}}", &mut Fields, &mut session).is_none());
    }

    #[test]
    fn a_credential_field_at_any_depth_is_a_secret_a_variable_s_own_and_a_number_too() {
        let mut session = Session::default();
        let body = json_template(
            r#"{"password": "{{pw}}", "user": "{{name}}", "users": [{"token": "t-1"}], "pin": {"apiKey": 12345}}"#,
            &mut Fields,
            &mut session,
        )
        .unwrap();
        assert_eq!(
            body,
            r#"{"password":"$(secret:pw)","user":"$(name)","users":[{"token":"$(secret:token)"}],"pin":{"apiKey":"$(secret:api_key)"}}"#
        );
        let secrets: Vec<Option<&str>> =
            session.notes.iter().map(|n| n.secret.as_deref()).collect();
        assert!(secrets.contains(&Some("pw")), "{secrets:?}");
    }

    #[test]
    fn only_an_element_named_as_a_credential_holds_one_not_text_after_a_tag_named_so() {
        let mut session = Session::default();
        let body = xml_template(
            "<r><a><?apitoken x?>kept-1</a><b><!--token-->kept-2</b><c><password/>kept-3</c>\
             <password type=\"text\">pw-literal</password></r>",
            &mut Fields,
            &mut session,
        )
        .unwrap();
        assert_eq!(
            body,
            "<r><a><?apitoken x?>kept-1</a><b><!--token-->kept-2</b><c><password/>kept-3</c>\
             <password type=\"text\">$(secret:password)</password></r>"
        );
    }

    #[test]
    fn xml_bodies_lose_literal_credentials_and_keep_placeholders() {
        let mut session = Session::default();
        let body = xml_template(
            "<a:login xmlns:a=\"urn:x\"><a:user>{{user}}</a:user><a:password>pw-1</a:password><apiKey>{{key}}</apiKey></a:login>",
            &mut Fields,
            &mut session,
        )
        .unwrap();
        assert_eq!(
            body,
            "<a:login xmlns:a=\"urn:x\"><a:user>$(user)</a:user><a:password>$(secret:password)</a:password><apiKey>$(secret:key)</apiKey></a:login>"
        );
        assert!(xml_template("<a><b></a>", &mut Fields, &mut session).is_none());
    }
}
