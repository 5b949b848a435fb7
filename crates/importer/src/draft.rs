//! A method being built: what an importer fills in, then the parameter rows, events and node UI
//! a definition needs.

use node::model::{
    Authorization, Body, Condition, Edge, Event, FieldUi, HttpMethod, ListStyle, Method, Output,
    ResponseType, Row, Source,
};
use node::response::WHOLE_BODY;
use node::template;
use serde_json::Value;

use crate::defaults::{CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS};
use crate::outputs::{blank_credentials, suggested_outputs, xml_outputs};
use crate::session::Session;

/// A method being built: what an importer fills in, before [`Draft::finish`] adds the rows
/// Parse would (one per placeholder), the events and the defaults.
#[derive(Debug, Clone)]
pub(crate) struct Draft {
    pub name: String,
    pub http_method: HttpMethod,
    pub url: String,
    pub url_parameters: Vec<Row>,
    pub headers: Vec<Row>,
    pub body: Option<Body>,
    pub response_type: ResponseType,
    pub response_sample: Option<String>,
    /// The status of a successful answer, when the input gives one (a 2xx example).
    pub success_status: Option<u16>,
    pub outputs: Vec<Output>,
    pub fields: Vec<FieldUi>,
    /// The placeholders whose value is a list, and how its items are joined.
    pub lists: Vec<(String, ListStyle)>,
    pub authorization: Option<Authorization>,
    pub request_timeout_ms: u32,
    pub connection_timeout_ms: u32,
}

impl Draft {
    /// A method of `name` to `url`, with the imported defaults.
    pub(crate) fn new(name: &str, http_method: HttpMethod, url: String) -> Self {
        Self {
            name: name.to_owned(),
            http_method,
            url,
            url_parameters: Vec::new(),
            headers: Vec::new(),
            body: None,
            response_type: ResponseType::Json,
            response_sample: None,
            success_status: None,
            outputs: Vec::new(),
            fields: Vec::new(),
            lists: Vec::new(),
            authorization: None,
            request_timeout_ms: REQUEST_TIMEOUT_MS,
            connection_timeout_ms: CONNECTION_TIMEOUT_MS,
        }
    }

    /// Adds a header row unless one of that name is there.
    pub(crate) fn add_header(&mut self, row: Row) {
        if !self
            .headers
            .iter()
            .any(|h| h.name().eq_ignore_ascii_case(row.name()))
        {
            self.headers.push(row);
        }
    }

    /// Removes the headers named `name` (any case); whether there was one.
    pub(crate) fn remove_header(&mut self, name: &str) -> bool {
        let before = self.headers.len();
        self.headers
            .retain(|h| !h.name().eq_ignore_ascii_case(name));
        self.headers.len() < before
    }

    /// Reads a sample answer: its type, outputs from its leaves (JSON), and the sample itself
    /// with credential fields blanked.
    pub(crate) fn read_sample(&mut self, sample: &str, session: &mut Session) {
        let trimmed = sample.trim_start();
        if let Ok(mut value) = serde_json::from_str::<Value>(sample) {
            self.response_type = ResponseType::Json;
            if blank_credentials(&mut value) {
                session.changed(format!(
                    "`{}`: credential fields of the sample answer are blanked",
                    self.name
                ));
            }
            self.outputs = suggested_outputs(&value);
            self.response_sample = serde_json::to_string_pretty(&value).ok();
        } else if let Some(outputs) = trimmed
            .starts_with('<')
            .then(|| xml_outputs(sample))
            .flatten()
        {
            self.response_type = ResponseType::Xml;
            self.outputs = outputs;
            self.response_sample = Some(sample.to_owned());
        } else {
            self.response_type = ResponseType::Text;
            self.outputs = vec![Output {
                name: "body".to_owned(),
                source: Source::Body {
                    path: WHOLE_BODY.to_owned(),
                },
            }];
            self.response_sample = Some(sample.to_owned());
        }
    }

    /// The method, with a parameter row per placeholder of the URL and body (as Parse leaves
    /// them), node UI entries only for its dynamic fields, and events: the success status (or
    /// any 2xx) → success, anything else → error.
    pub(crate) fn finish(self) -> Method {
        let parameters = self.parameter_rows();
        let mut method = Method {
            name: self.name,
            request_timeout_ms: self.request_timeout_ms,
            connection_timeout_ms: self.connection_timeout_ms,
            http_method: self.http_method,
            url: self.url,
            url_parameters: self.url_parameters,
            headers: self.headers,
            parameters,
            body: self.body,
            response_type: self.response_type,
            response_sample: self.response_sample,
            events: events(self.success_status),
            outputs: self.outputs,
            computed_outputs: Vec::new(),
            fields: Vec::new(),
            throttling: None,
            authorization: self.authorization,
            tls: None,
        };
        let dynamic: Vec<String> = method
            .dynamic_fields()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut fields: Vec<FieldUi> = Vec::new();
        for ui in self.fields {
            if dynamic.contains(&ui.name) && !fields.iter().any(|f| f.name == ui.name) {
                fields.push(ui);
            }
        }
        method.fields = fields;
        method
    }

    /// A dynamic parameter row per placeholder of the URL and body, described by its field's
    /// tooltip.
    fn parameter_rows(&self) -> Vec<Row> {
        let mut names: Vec<&str> = template::placeholder_names(&self.url);
        if let Some(body) = &self.body {
            names.extend(template::placeholder_names(&body.template));
        }
        let mut parameters: Vec<Row> = Vec::new();
        for name in names {
            if parameters.iter().any(|row| row.name() == name) {
                continue;
            }
            let description = self
                .fields
                .iter()
                .find(|ui| ui.name == name)
                .map(|ui| ui.tooltip.clone())
                .unwrap_or_default();
            parameters.push(Row::Dynamic {
                name: name.to_owned(),
                field: None,
                description,
                list: self
                    .lists
                    .iter()
                    .find(|(field, _)| field == name)
                    .map(|(_, style)| *style),
            });
        }
        parameters
    }
}

/// The success status → success, any other → error; without one, any 2xx → success, anything
/// else → error.
fn events(success_status: Option<u16>) -> Vec<Event> {
    match success_status {
        Some(status) => vec![
            status_event(
                "Success",
                Condition::Equals,
                &status.to_string(),
                Edge::Success,
            ),
            status_event(
                "Failure",
                Condition::NotEquals,
                &status.to_string(),
                Edge::Error,
            ),
        ],
        None => vec![
            status_event("Success", Condition::StartsWith, "2", Edge::Success),
            Event {
                name: "Failure".to_owned(),
                source: Source::Status,
                condition: Condition::Exists,
                value: None,
                edge: Edge::Error,
            },
        ],
    }
}

fn status_event(name: &str, condition: Condition, value: &str, edge: Edge) -> Event {
    Event {
        name: name.to_owned(),
        source: Source::Status,
        condition,
        value: Some(value.to_owned()),
        edge,
    }
}

#[cfg(test)]
mod header_rows {
    use super::*;

    fn header(name: &str) -> Row {
        Row::Static {
            name: name.to_owned(),
            value: "v".to_owned(),
        }
    }

    #[test]
    fn each_placeholder_s_row_takes_its_own_field_s_tooltip_and_list_style() {
        let mut draft = Draft::new(
            "m",
            HttpMethod::Get,
            "https://api.example.com/$(first)/$(second)/$(third)".into(),
        );
        let tip = |name: &str, tooltip: &str| FieldUi {
            tooltip: tooltip.to_owned(),
            ..FieldUi::plain(name)
        };
        draft.fields = vec![tip("first", "the first"), tip("second", "the second")];
        draft.lists = vec![
            ("second".to_owned(), ListStyle::Comma),
            ("third".to_owned(), ListStyle::Space),
        ];
        let rows: Vec<(String, String, Option<ListStyle>)> = draft
            .parameter_rows()
            .into_iter()
            .map(|row| match row {
                Row::Dynamic {
                    name,
                    description,
                    list,
                    ..
                } => (name, description, list),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("first".to_owned(), "the first".to_owned(), None),
                (
                    "second".to_owned(),
                    "the second".to_owned(),
                    Some(ListStyle::Comma)
                ),
                ("third".to_owned(), String::new(), Some(ListStyle::Space)),
            ]
        );
    }

    #[test]
    fn removing_a_header_says_whether_there_was_one_in_any_case() {
        let mut draft = Draft::new("m", HttpMethod::Get, "https://api.example.com".into());
        draft.headers = vec![header("Accept"), header("X-Trace"), header("accept")];
        assert!(draft.remove_header("ACCEPT"));
        let left: Vec<&str> = draft.headers.iter().map(Row::name).collect();
        assert_eq!(left, ["X-Trace"]);
        assert!(!draft.remove_header("Accept"), "none left to remove");
        assert_eq!(draft.headers.len(), 1);
    }
}
