//! The node tester: a method's form built from its node UI, and a run shown as Webex
//! Connect's Test dialog shows it.

use axum::body::Bytes;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{
    Aria, Errors, FormValues, PHONE_PATTERN, breakable, error_fragment, field, markup, segment,
};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::keys::Caller;

pub(super) async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Response {
    let nodes = state.nodes.list(&caller);
    markup(
        StatusCode::OK,
        html! {
            @for node in &nodes {
                section.node aria-labelledby={ "node-" (node.slug) } {
                    h2 id={ "node-" (node.slug) } { (node.name) }
                    @if !node.description.is_empty() { p { (node.description) } }
                    ul {
                        @for method in &node.methods {
                            li { a href={ "/nodes/" (segment(&node.slug)) "/" (segment(&method.slug)) } { (method.name) } }
                        }
                    }
                }
            }
        },
    )
}

/// The node and method a tester page names, with its node UI and the secrets a run of an
/// imported node must be given.
struct Tested {
    node: crate::nodes::NodeInfo,
    method: crate::nodes::MethodInfo,
    secrets: Vec<String>,
    /// Where an imported method sends its request (scheme and host): shown before anyone types
    /// a secret into it.
    target: Option<String>,
}

/// The node and method a page names, each by its slug or its name.
fn tested(state: &AppState, caller: &Caller, node: &str, method: &str) -> Result<Tested, ApiError> {
    let found = state.nodes.find(caller, node, method)?;
    let (secrets, target) = match found.definition.method(&found.method.name) {
        Some(method) if found.imported => (
            method.secret_names(),
            Some(
                method
                    .url
                    .split(['/', '?'])
                    .take(3)
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
        ),
        _ => (Vec::new(), None),
    };
    Ok(Tested {
        node: found.node,
        method: found.method,
        secrets,
        target,
    })
}

pub(super) async fn method_form(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((node, method)): Path<(String, String)>,
) -> Response {
    match tested(&state, &caller, &node, &method) {
        Ok(tested) => markup(
            StatusCode::OK,
            tester(&tested, &FormValues::default(), &Errors::default(), None),
        ),
        Err(error) => error_fragment(error),
    }
}

/// The input of one dynamic field, as its node UI says: type, mandatory, regex, default.
fn parameter_input(
    index: usize,
    parameter: &crate::nodes::ParameterInfo,
    form: &FormValues,
    error: Option<&str>,
) -> Markup {
    let id = format!("p-{index}");
    let name = format!("p:{}", parameter.name);
    let value = form
        .values
        .get(&name)
        .cloned()
        .or_else(|| parameter.default.clone())
        .unwrap_or_default();
    let label = if parameter.label.is_empty() {
        &parameter.name
    } else {
        &parameter.label
    };
    let hint = if parameter.tooltip.is_empty() {
        &parameter.description
    } else {
        &parameter.tooltip
    };
    let label = html! { (label) @if !parameter.mandatory { " (optional)" } };
    let hint = Some(hint.as_str()).filter(|h| !h.is_empty());
    field(&id, label, hint, error, |aria| {
        parameter_control(&id, &name, &value, parameter, aria)
    })
}

/// The control a dynamic field's type asks for.
fn parameter_control(
    id: &str,
    name: &str,
    value: &str,
    parameter: &crate::nodes::ParameterInfo,
    aria: &Aria,
) -> Markup {
    let required = parameter.mandatory && parameter.default.is_none();
    let pattern = match parameter.kind {
        node::FieldType::Phone => Some(PHONE_PATTERN.to_owned()),
        node::FieldType::Text | node::FieldType::Email => parameter.regex.clone(),
        _ => None,
    };
    html! {
        @match parameter.kind {
            node::FieldType::Json => {
                textarea id=(id) name=(name) rows="4" required[required]
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] { (value) }
            }
            node::FieldType::Boolean => {
                select id=(id) name=(name) required[required]
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] {
                    option value="" selected[value.is_empty()] { "—" }
                    option value="true" selected[value == "true"] { "true" }
                    option value="false" selected[value == "false"] { "false" }
                }
            }
            kind => {
                @let input_type = match kind {
                    node::FieldType::Number => "number",
                    node::FieldType::Email => "email",
                    node::FieldType::Phone => "tel",
                    _ => "text",
                };
                input id=(id) name=(name) type=(input_type) value=(value) required[required]
                    step=[(kind == node::FieldType::Number).then_some("any")]
                    pattern=[pattern.as_deref()]
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }
        }
    }
}

/// The tester of one method: its form, and the last run's result.
fn tester(
    tested: &Tested,
    form: &FormValues,
    errors: &Errors,
    run: Option<&crate::nodes::NodeRun>,
) -> Markup {
    let action = format!(
        "/console/f/nodes/{}/{}",
        segment(&tested.node.slug),
        segment(&tested.method.slug)
    );
    html! {
        h2 { (tested.node.name) " · " (tested.method.name) }
        @if let Some(target) = &tested.target {
            p { "An imported node: it sends its request to " code { (target) } " (or, when that is the production broker, to this service's broker)." }
        }
        form #run-form method="post" action=(action) data-target="tester" {
            @if let Some(general) = &errors.general { p.alert role="alert" { (general) } }
            @if tested.method.parameters.is_empty() { p { "This method takes no parameters." } }
            @for (index, parameter) in tested.method.parameters.iter().enumerate() {
                (parameter_input(index, parameter, form, errors.of(&parameter.name)))
            }
            @if !tested.secrets.is_empty() {
                fieldset {
                    legend { "Secrets for this run (an imported node gets none of the service's; nothing is kept)" }
                    @for (index, secret) in tested.secrets.iter().enumerate() {
                        @let id = format!("s-{index}");
                        @let error = errors.of(&format!("secret:{secret}"));
                        (field(&id, html! { "$(secret:" (secret) ")" }, None, error, |aria| html! {
                            input id=(id) name={ "s:" (secret) } type="password" autocomplete="off" required
                                aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
                        }))
                    }
                }
            }
            button type="submit" { "Run" }
        }
        @if let Some(run) = run { (run_result(run)) }
    }
}

/// An output longer than this (a cipher) is folded, so that what a person wants (a URL, a
/// short key) is not pushed out of sight.
const LONG_OUTPUT: usize = 100;

/// Outputs as text in the order a person looks for them: short URLs, other short values, then
/// long ones; each group in the node's order.
fn in_reading_order(outputs: &serde_json::Map<String, serde_json::Value>) -> Vec<(&str, String)> {
    let mut shown: Vec<(&str, String)> = outputs
        .iter()
        .map(|(name, value)| {
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (name.as_str(), text)
        })
        .collect();
    shown.sort_by_key(|(_, text)| (text.chars().count() > LONG_OUTPUT, !is_url(text)));
    shown
}

fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

/// A run as Webex Connect's Test dialog shows it: edge, status, outputs, time, raw answer.
fn run_result(run: &crate::nodes::NodeRun) -> Markup {
    let edge_class = match run.edge.as_str() {
        "success" => "valid",
        "timeout" => "pending",
        _ => "expired",
    };
    html! {
        section #run-result aria-labelledby="run-title" {
            h2 #run-title tabindex="-1" data-focus { "Result" }
            dl.run {
                dt { "Edge" } dd { span.state .(edge_class) data-edge=(run.edge) { (run.edge) } }
                dt { "HTTP status" } dd { @if let Some(status) = run.status { (status) } @else { "no answer" } }
                dt { "Elapsed" } dd { (run.elapsed_ms) " ms" }
                @if let Some(error) = &run.error { dt { "Why" } dd { (error) } }
            }
            @if !run.outputs.is_empty() {
                h3 { "Outputs" }
                p.hint { "URLs first; long values (ciphers) folded." }
                // A list, not a table: at phone width each name stands above its value.
                dl #outputs .run {
                    @for (name, value) in in_reading_order(&run.outputs) {
                        div {
                            dt { (name) }
                            dd data-output=(name) {
                                @if value.chars().count() > LONG_OUTPUT {
                                    details {
                                        summary { (value.chars().count()) " characters" }
                                        code { (value) }
                                    }
                                } @else if is_url(&value) {
                                    (breakable(&value))
                                } @else {
                                    (value)
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(response) = &run.response {
                details {
                    summary { "Raw response (HTTP " (response.status) ")" }
                    table {
                        caption { "Headers" }
                        tbody { @for (name, value) in &response.headers { tr { th scope="row" { (name) } td { (value) } } } }
                    }
                    pre tabindex="0" { (response.body) @if response.body_truncated { "\n…" } }
                }
            }
        }
    }
}

pub(super) async fn run_method(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((node, method)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let tested = match tested(&state, &caller, &node, &method) {
        Ok(tested) => tested,
        Err(error) => return error_fragment(error),
    };
    let form = FormValues::parse(&body);
    let mut params = serde_json::Map::new();
    let mut secrets = Vec::new();
    for (name, value) in &form.values {
        if let Some(parameter) = name.strip_prefix("p:") {
            // An empty optional field is left out, as a flow leaves it unset.
            if !value.is_empty() {
                params.insert(parameter.to_owned(), serde_json::Value::from(value.clone()));
            }
        } else if let Some(secret) = name.strip_prefix("s:")
            && tested.secrets.iter().any(|s| s == secret)
        {
            secrets.push((
                secret.to_owned(),
                secrecy::SecretString::from(value.clone()),
            ));
        }
    }
    match state
        .nodes
        .run_with_secrets(&caller, &node, &method, &params, secrets)
        .await
    {
        Ok(result) => {
            let run = crate::nodes::NodeRun::from(result);
            markup(
                StatusCode::OK,
                tester(&tested, &form, &Errors::default(), Some(&run)),
            )
        }
        Err(crate::nodes::NodeRunError::Refused(node::RunError::MissingSecret {
            name, ..
        })) => {
            let errors = Errors::one(&format!("secret:{name}"), "give this secret for the run");
            markup(
                StatusCode::UNPROCESSABLE_ENTITY,
                tester(&tested, &form, &errors, None),
            )
        }
        Err(error) => {
            let error = ApiError::from(error);
            let status = error.status;
            let shown: Vec<&str> = tested
                .method
                .parameters
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            markup(
                status,
                tester(&tested, &form, &Errors::from_api(error, &shown), None),
            )
        }
    }
}
