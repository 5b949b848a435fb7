//! The importer: a Postman collection, an OpenAPI document, a WSDL or a curl command line
//! turned into a node this process can run (kept in memory), checked, and offered for a try;
//! its notes worded for the console (secrets typed in the tester, operations picked here).

use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};

use super::layout::{Errors, FormValues, field, markup, segment};
use crate::http::state::AppState;
use crate::keys::Caller;

/// An import may be this large (a Postman collection with saved examples is not small).
pub const MAX_IMPORT_BYTES: usize = 1024 * 1024;

/// What the importer says on a service that does not import.
const IMPORTS_OFF: &str = "This service does not import nodes: an imported node reaches any \
     address the service can, for whoever holds a key. Start it with --allow-node-import to allow \
     it (icnode up does).";

pub(super) fn import_form(form: &FormValues, errors: &Errors) -> Markup {
    let kind = form.or("kind", "postman");
    html! {
        form #import-form method="post" action="/console/f/import" data-target="import" {
            @if let Some(general) = &errors.general { p.alert role="alert" { (general) } }
            (field("kind", "What it is", None, errors.of("kind"), |aria| html! {
                select #kind name="kind" aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] {
                    @for (value, label) in [("postman", "Postman collection v2.1 (JSON)"), ("openapi", "OpenAPI 3 document (JSON or YAML)"), ("wsdl", "WSDL 1.1 (SOAP 1.1 and 1.2)"), ("curl", "curl command line")] {
                        option value=(value) selected[kind == value] { (label) }
                    }
                }
            }))
            (field("name", "Node name (optional)", None, errors.of("name"), |aria| html! {
                input #name name="name" type="text" value=(form.get("name"))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }))
            (field("only", "Only these operations (optional)", Some("operationIds, request names, paths, tags or folders, separated by commas: a node holds 25 methods"), errors.of("only"), |aria| html! {
                input #only name="only" type="text" value=(form.get("only"))
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid];
            }))
            (field("source", "Paste it here (at most 1 MiB)", None, errors.of("source"), |aria| html! {
                textarea #source name="source" rows="8" required
                    aria-describedby=(aria.described_by) aria-invalid=[aria.invalid] { (form.get("source")) }
            }))
            button type="submit" { "Import" }
        }
    }
}

pub(super) async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Response {
    let form = FormValues::parse(&body);
    if !state.node_imports {
        let errors = Errors {
            general: Some(IMPORTS_OFF.to_owned()),
            ..Errors::default()
        };
        return markup(StatusCode::FORBIDDEN, import_form(&form, &errors));
    }
    let imported = match imported(&form) {
        Ok(imported) => imported,
        Err(errors) => {
            return markup(
                StatusCode::UNPROCESSABLE_ENTITY,
                import_form(&form, &errors),
            );
        }
    };
    let text = serde_json::to_string_pretty(&imported.definition).unwrap_or_default();
    let (_, problems) = node::check(&text);
    let added = if problems.is_empty() {
        let definition = imported.definition.clone();
        let now = state.clock.now();
        Some(
            state
                .nodes
                .import(&state.store, &caller, definition, now)
                .await,
        )
    } else {
        None
    };
    let status = match &added {
        Some(Ok(_)) => StatusCode::OK,
        Some(Err(crate::nodes::CatalogError::Forbidden(_))) => StatusCode::FORBIDDEN,
        Some(Err(_)) => StatusCode::CONFLICT,
        None => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let checked = Checked {
        text,
        problems,
        added,
    };
    markup(
        status,
        html! {
            // Done with: what was pasted (perhaps with a literal token in it) is not sent back.
            (import_form(&FormValues::default(), &Errors::default()))
            (import_result(&imported, &checked))
        },
    )
}

/// The node a form's source makes, by the kind it names.
fn imported(form: &FormValues) -> Result<importer::Imported, Errors> {
    let options = importer::Options {
        name: Some(form.get("name").trim().to_owned()).filter(|n| !n.is_empty()),
        only: form
            .get("only")
            .split(',')
            .map(|p| p.trim().to_owned())
            .collect(),
        source: None,
    };
    let source = form.get("source");
    let imported = match form.or("kind", "postman") {
        "postman" => importer::postman(source, &options),
        "openapi" => importer::openapi(source, &options),
        "wsdl" => importer::wsdl(source, &options),
        "curl" => importer::curl(source, &options),
        _ => return Err(Errors::one("kind", "pick one of the offered kinds")),
    };
    imported.map_err(|error| match error {
        importer::ImportError::NoMatch(_) => Errors::one("only", error.to_string()),
        error => Errors::one("source", error.to_string()),
    })
}

/// The importer's notes as the console says them: the limit first, then each kind with its
/// count and a few examples, secrets by the tester's field for each.
fn notes(imported: &importer::Imported) -> Vec<String> {
    use importer::notes::Kind;
    let mut lines = Vec::new();
    if let Some(limit) = &imported.limit {
        lines.push(format!(
            "The input has {} operations and a node holds {}: the first {} were kept ({}). Pick the ones you need in “Only these operations” and import again.",
            limit.total, limit.kept.len(), limit.kept.len(), limit.kept.join(", ")
        ));
    }
    for group in imported.groups() {
        let more = group.count - group.examples.len();
        let examples = format!(
            "{}{}",
            group.examples.join("; "),
            if more > 0 {
                format!(" (and {more} more)")
            } else {
                String::new()
            }
        );
        lines.push(match group.kind {
            Kind::BaseUrl => format!(
                "{examples}: edit the URLs of the definition below and save it to a --node-dir."
            ),
            Kind::Secret => format!(
                "Secrets to type in the tester's secret fields for each run: {}.",
                group.secrets.join(", ")
            ),
            Kind::LeftOut => format!("Not carried over ({}): {examples}", group.count),
            Kind::Changed => format!("Carried over in another form ({}): {examples}", group.count),
        });
    }
    lines
}

/// An imported node as checked: its definition's text, what `node check` found, and the slug
/// it was added under (when it checked).
struct Checked {
    text: String,
    problems: Vec<node::Problem>,
    added: Option<Result<String, crate::nodes::CatalogError>>,
}

/// What an import made: its problems, where to try it, what was not carried over.
fn import_result(imported: &importer::Imported, checked: &Checked) -> Markup {
    html! {
        // A node added: the page's node list loads again to show it.
        section #import-result aria-labelledby="import-result-title"
            data-refresh=[matches!(checked.added, Some(Ok(_))).then_some("nodes")] {
            h3 #import-result-title tabindex="-1" data-focus { "Imported “" (imported.definition.name) "”" }
            @if checked.problems.is_empty() {
                p.notice role="status" { "node check: no problems." }
            } @else {
                div.alert role="alert" {
                    p { "node check found " (checked.problems.len()) " problem(s):" }
                    ul { @for problem in &checked.problems { li { (problem.to_string()) } } }
                }
            }
            @match &checked.added {
                Some(Ok(slug)) => {
                    p { "Try its methods (this process keeps the node until it restarts; save the definition to a "
                        code { "--node-dir" } " to keep it):" }
                    ul {
                        @for method in &imported.definition.methods {
                            li { a href={ "/nodes/" (segment(slug)) "/" (segment(&crate::nodes::slug(&method.name))) } { (method.name) } }
                        }
                    }
                }
                Some(Err(error)) => p.alert role="alert" { (error.to_string()) },
                None => {}
            }
            @let notes = notes(imported);
            @if !notes.is_empty() {
                h4 { "Notes" }
                ul.notes { @for note in &notes { li { (note) } } }
            }
            details {
                summary { "The definition" }
                pre tabindex="0" { (checked.text) }
            }
        }
    }
}
