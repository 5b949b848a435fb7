//! `icnode node import postman|openapi|wsdl|curl`: the input read from a file or fetched from
//! its URL, the importer's operations listed or imported, and its notes worded for the command
//! line: a limit first, with `--only`; secrets as `ICNODE_<NAME>` or `--secrets-file`.

use std::time::Duration;

use importer::notes::Kind;
use importer::{ImportError, Imported, Operation, Options};

use super::error::CliError;
use crate::cli::{NodeImportArgs, NodeImportCommand, NodeImportOutput};

/// A fetched document may be this large (Twilio's whole v2010 API is 1.9 MB).
const MAX_FETCH_BYTES: usize = 16 * 1024 * 1024;

/// How long a fetch may take, all of it.
const FETCH_TIMEOUT: Duration = Duration::from_secs(30);

/// A group of notes shows this many examples.
const LEFT_OUT_SHOWN: usize = 5;

pub async fn import(command: NodeImportCommand) -> Result<(), CliError> {
    let (imported, out) = match command {
        NodeImportCommand::Curl(args) => (
            importer::curl(&args.line, &Options::named(args.out.name.as_deref())),
            args.out,
        ),
        NodeImportCommand::Postman(args) => {
            return from_document(args, importer::postman::operations, importer::postman).await;
        }
        NodeImportCommand::Openapi(args) => {
            return from_document(args, importer::openapi::operations, importer::openapi).await;
        }
        NodeImportCommand::Wsdl(args) => {
            return from_document(args, importer::wsdl::operations, importer::wsdl).await;
        }
    };
    finish(imported, &out)
}

type Lister = fn(&str) -> Result<Vec<Operation>, ImportError>;
type Importer = fn(&str, &Options) -> Result<Imported, ImportError>;

/// A document read from its file or URL, then listed or imported.
async fn from_document(
    args: NodeImportArgs,
    list: Lister,
    import: Importer,
) -> Result<(), CliError> {
    let (text, source) = read(&args.file).await?;
    if args.list {
        let operations = list(&text).map_err(|e| CliError::Usage(e.to_string()))?;
        print_operations(&operations);
        return Ok(());
    }
    let options = Options {
        name: args.out.name.clone(),
        only: args.only.clone(),
        source,
    };
    finish(import(&text, &options), &args.out)
}

/// The notes on stderr, then the definition to its file or stdout.
fn finish(imported: Result<Imported, ImportError>, out: &NodeImportOutput) -> Result<(), CliError> {
    let imported = imported.map_err(|error| match error {
        ImportError::NoMatch(_) => {
            CliError::Usage(format!("--only: {error} (--list shows the operations)"))
        }
        error => CliError::Usage(error.to_string()),
    })?;
    for note in notes(&imported) {
        eprintln!("note: {note}");
    }
    let text = serde_json::to_string_pretty(&imported.definition)
        .map_err(|e| CliError::Runtime(e.to_string()))?;
    write_out(&text, out.output.as_deref())
}

/// `text` to `path`, or to stdout.
pub(super) fn write_out(text: &str, path: Option<&std::path::Path>) -> Result<(), CliError> {
    match path {
        Some(path) => std::fs::write(path, format!("{text}\n"))
            .map_err(|e| CliError::Runtime(format!("cannot write {}: {e}", path.display()))),
        None => {
            println!("{text}");
            Ok(())
        }
    }
}

/// The input: a file's text, or a URL's answer and the URL (relative URLs resolve against it).
async fn read(file: &str) -> Result<(String, Option<url::Url>), CliError> {
    let url = url::Url::parse(file)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https"));
    let Some(url) = url else {
        return std::fs::read_to_string(file)
            .map(|text| (text, None))
            .map_err(|e| CliError::Usage(format!("cannot read {file}: {e}")));
    };
    let text = fetch(&url).await.map_err(|reason| {
        CliError::Runtime(format!(
            "cannot fetch {}: {reason}",
            url.origin().ascii_serialization()
        ))
    })?;
    Ok((text, Some(url)))
}

/// The text at `url`, within [`FETCH_TIMEOUT`] and [`MAX_FETCH_BYTES`]; a status other than 2xx
/// is a failure.
async fn fetch(url: &url::Url) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let mut response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| resilience::report(&e.without_url()))?;
    if !response.status().is_success() {
        return Err(format!("it answered {}", response.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| resilience::report(&e.without_url()))?
    {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_FETCH_BYTES {
            return Err(format!("it is larger than {} MiB", MAX_FETCH_BYTES >> 20));
        }
    }
    String::from_utf8(body).map_err(|_| "it is not UTF-8 text".to_owned())
}

/// One line per operation: name, method, path, its groups.
fn print_operations(operations: &[Operation]) {
    let width = |f: fn(&Operation) -> usize| operations.iter().map(f).max().unwrap_or(0);
    let (name, method, path) = (
        width(|o| o.name.len()),
        width(|o| o.method.len()),
        width(|o| o.path.len()),
    );
    for operation in operations {
        println!(
            "{:<name$}  {:<method$}  {:<path$}  {}",
            operation.name,
            operation.method,
            operation.path,
            operation.groups.join(", ")
        );
    }
}

/// The importer's notes as the command line says them: the limit first, then each kind with
/// its count and a few examples, secrets by the variable that gives each.
fn notes(imported: &Imported) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(limit) = &imported.limit {
        lines.push(format!(
            "the input has {} operations and a node holds {}: kept the first {} ({}); left out \
             {}. Pick the ones you need with --only NAME (an operationId, request name, path, tag \
             or folder; repeat it or separate with commas); --list shows them all",
            limit.total,
            limit.kept.len(),
            limit.kept.len(),
            limit.kept.join(", "),
            some_of(&limit.dropped, LEFT_OUT_SHOWN),
        ));
    }
    for group in imported.groups() {
        lines.push(match group.kind {
            Kind::BaseUrl => format!(
                "{}: edit the URLs in the definition, import it from its URL, or run it with \
                 --broker-url",
                group.examples.join("; ")
            ),
            Kind::Secret => format!(
                "the definition names {} secret{}, to give at run time as its variable or a \
                 NAME=value line in --secrets-file: {}",
                group.secrets.len(),
                plural(group.secrets.len()),
                group
                    .secrets
                    .iter()
                    .map(|name| format!("`{name}` ({})", node::secrets::env_variable(name)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Kind::LeftOut => format!(
                "{} part{} of the input not carried over, e.g. {}",
                group.count,
                plural(group.count),
                examples(&group.examples, group.count)
            ),
            Kind::Changed => format!(
                "{} part{} carried over in another form, e.g. {}",
                group.count,
                plural(group.count),
                examples(&group.examples, group.count)
            ),
        });
    }
    lines
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// The first few examples, and how many more there are.
fn examples(shown: &[&str], count: usize) -> String {
    let more = count - shown.len();
    let tail = if more > 0 {
        format!(" (and {more} more)")
    } else {
        String::new()
    };
    format!("{}{tail}", shown.join("; "))
}

/// The first `n` names, and how many more.
fn some_of(names: &[String], n: usize) -> String {
    let shown: Vec<&str> = names.iter().take(n).map(String::as_str).collect();
    match names.len().saturating_sub(n) {
        0 => shown.join(", "),
        more => format!("{}, and {more} more", shown.join(", ")),
    }
}
