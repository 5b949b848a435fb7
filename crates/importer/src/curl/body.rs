//! The body a curl line sends: `-F` parts, or its data as JSON, a form or text.

use node::model::BodyFormat;

use super::fields::Fields;
use super::line::Line;
use crate::bodies::{body, decoded_pairs, form_template, json_template};
use crate::draft::Draft;
use crate::rows::{header_value, row};
use crate::session::Session;
use crate::variables::{as_is, convert};

/// `-F` parts as a multipart body; else, without `-G`, the data by its Content-Type.
pub(super) fn read_body(draft: &mut Draft, line: &Line, vars: &mut Fields, session: &mut Session) {
    if !line.parts.is_empty() {
        let mut multipart = body(BodyFormat::Multipart, String::new());
        for (name, value) in &line.parts {
            multipart
                .parts
                .push(row(name, value, "body part", vars, session));
        }
        draft.body = Some(multipart);
    } else if !line.data.is_empty() && !line.get {
        data(draft, line, vars, session);
    }
}

/// The data: JSON when its Content-Type says so (or none does and it looks like JSON), a form
/// when none or a form's does, else text.
fn data(draft: &mut Draft, line: &Line, vars: &mut Fields, session: &mut Session) {
    let data = line.data.join("&");
    let content_type = match header_value(&line.headers, "content-type") {
        Some(value) => value.to_ascii_lowercase(),
        None if line.json => "application/json".to_owned(),
        None => String::new(),
    };
    let looks_json = matches!(data.trim_start().chars().next(), Some('{' | '['));
    if content_type.contains("json") || (content_type.is_empty() && looks_json) {
        match json_template(&data, vars, session) {
            Some(template) => {
                if content_type.is_empty() {
                    session.changed(
                        "the data is JSON but no Content-Type says so (curl would send it as a \
                         form): the node sends it as JSON",
                    );
                }
                draft.body = Some(body(BodyFormat::Json, template));
            }
            None => {
                session.changed("the data is not JSON: sent as text");
                text(draft, &data, vars, session);
            }
        }
    } else if content_type.is_empty() || content_type.contains("x-www-form-urlencoded") {
        let pairs = decoded_pairs(&data);
        let template = form_template(&pairs, vars, session);
        draft.body = Some(body(BodyFormat::Form, template));
    } else {
        text(draft, &data, vars, session);
    }
}

/// The data as a text body; in XML (by its Content-Type or its first character) `<NAME>` is an
/// element, not a placeholder.
fn text(draft: &mut Draft, data: &str, vars: &mut Fields, session: &mut Session) {
    let xml = draft.headers.iter().any(|row| {
        row.name().eq_ignore_ascii_case("content-type")
            && matches!(row, node::model::Row::Static { value, .. } if value.contains("xml"))
    }) || data.trim_start().starts_with('<');
    let mut xml_vars = Fields { xml };
    let vars = if xml { &mut xml_vars } else { vars };
    let template = convert(data, false, "the body", vars, session, &as_is);
    draft.body = Some(body(BodyFormat::Text, template));
}
