//! `icnode node check|run|schema|import|export`: the custom-node engine from the command line
//! (`import` in [`super::node_import`]).

use std::collections::BTreeMap;

use node::{Edge, Engine, RunOptions, Secrets};

use super::error::CliError;
use super::node_import::{self, write_out};
use crate::bundled::definition_text;
use crate::cli::{NodeCommand, NodeExportCommand, NodeRunArgs};

pub async fn node(command: NodeCommand) -> Result<(), CliError> {
    match command {
        NodeCommand::Check { file } => check(&file),
        NodeCommand::Run(args) => run(args).await,
        NodeCommand::Import(command) => node_import::import(command).await,
        NodeCommand::Export(NodeExportCommand::Postman { node, output }) => {
            let text = definition_text(&node).map_err(|e| CliError::usage(&e))?;
            let definition = loaded(&node, &text)?;
            let collection = importer::postman::export(&definition);
            let text = serde_json::to_string_pretty(&collection)
                .map_err(|e| CliError::Runtime(e.to_string()))?;
            write_out(&text, output.as_deref())
        }
        NodeCommand::Schema => {
            let schema = serde_json::to_string_pretty(&node::schema())
                .map_err(|e| CliError::Runtime(e.to_string()))?;
            println!("{schema}");
            Ok(())
        }
    }
}

/// The definition in `text`, or every problem it has.
fn loaded(file: &str, text: &str) -> Result<node::NodeDefinition, CliError> {
    node::load(text).map_err(|problems| {
        let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
        CliError::Usage(format!(
            "{file} does not check out:\n  {}",
            listed.join("\n  ")
        ))
    })
}

fn check(file: &str) -> Result<(), CliError> {
    let text = definition_text(file).map_err(|e| CliError::usage(&e))?;
    let (definition, problems) = node::check(&text);
    if problems.is_empty() {
        let methods = definition.map_or(0, |d| d.methods.len());
        println!(
            "{file}: ok ({methods} method{})",
            if methods == 1 { "" } else { "s" }
        );
        return Ok(());
    }
    for problem in &problems {
        println!("{file}: {problem}");
    }
    Err(CliError::Usage(format!(
        "{file}: {} problem{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )))
}

async fn run(args: NodeRunArgs) -> Result<(), CliError> {
    let text = definition_text(&args.file).map_err(|e| CliError::usage(&e))?;
    let definition = loaded(&args.file, &text)?;
    let mut params = BTreeMap::new();
    for pair in &args.params {
        let (name, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("--param takes NAME=VALUE, got `{pair}`")))?;
        params.insert(name.to_owned(), value.to_owned());
    }
    let secrets = match &args.secrets_file {
        Some(path) => Secrets::with_file(path).map_err(|e| CliError::Usage(e.to_string()))?,
        None => Secrets::from_environment(),
    };
    let options = RunOptions {
        base_url_override: args.broker_url.clone(),
        ..RunOptions::default()
    };
    let result = Engine::new(secrets)
        .run(&definition, &args.method, &params, &options)
        .await
        .map_err(|e| CliError::Usage(e.to_string()))?;

    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&result).map_err(|e| CliError::Runtime(e.to_string()))?
        );
    } else {
        println!("edge     {}", result.edge.as_str());
        println!(
            "status   {}",
            result.status.map_or("-".to_owned(), |s| s.to_string())
        );
        println!("elapsed  {} ms", result.elapsed_ms);
        if let Some(error) = &result.error {
            println!("error    {error}");
        }
        // The service's own words (message, tracking id) are what a person acts on.
        if result.edge != Edge::Success
            && let Some(response) = &result.response
            && !response.body.trim().is_empty()
        {
            let body = response.body.trim_end().replace('\n', "\n         ");
            let cut = if response.body_truncated { " …" } else { "" };
            println!("body     {body}{cut}");
        }
        let width = result.outputs.keys().map(String::len).max().unwrap_or(0);
        for (name, value) in &result.outputs {
            let shown = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            println!("  {name:<width$}  {shown}");
        }
    }
    match result.edge {
        Edge::Success => Ok(()),
        other => Err(CliError::Runtime(format!(
            "`{}` left by the {} edge{}",
            args.method,
            other.as_str(),
            result.error.map(|e| format!(": {e}")).unwrap_or_default()
        ))),
    }
}
