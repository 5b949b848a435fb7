//! Node runs: the bundled Instant Connect node and every definition of the node directory,
//! addressed by slug (`instant-connect`, `generate-basic-link`) or by name (`Instant Connect`,
//! `Generate Basic Link`), run through the engine with
//! the service's broker URL and token; and nodes imported while the service runs (the
//! console's importer), kept in memory and run only with the secrets each run is given.
//!
//! Who sees which: the nodes loaded at start run with the service's own secrets (its broker
//! token above all, whose spaces are the default tenant's meetings), so they are the default
//! tenant's; a node imported belongs to the importing key's tenant. A key sees and runs its
//! tenant's nodes only: any other is not found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use node::{Engine, NodeDefinition, RunError, RunOptions, RunResult, Secrets};
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Map, Value};
use url::Url;
use utoipa::ToSchema;

use crate::domain::{Action, KeyRole, Outcome, Permission, TenantId, TenantLimits};
use crate::keys::Caller;
use crate::metrics::Metrics;
use crate::store::Store;

/// The seed's Instant Connect node, as data.
pub const BUNDLED: &str = include_str!("../../../nodes/instant-connect.json");

/// At most this many nodes imported while running, per tenant, so imports cannot fill the
/// memory and one tenant cannot take what another may import.
pub const MAX_IMPORTED_NODES: usize = 50;

/// The secret the bundled node's `Authorization` header names.
const BROKER_TOKEN_SECRET: &str = "broker_token";

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("could not read the node directory {path}")]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not read {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{name} does not check out: {problems}")]
    Invalid { name: String, problems: String },
    #[error("{second} has the slug `{slug}` of {first}: rename one node")]
    DuplicateSlug {
        slug: String,
        first: String,
        second: String,
    },
    #[error("the name `{0}` gives no slug: name the node with letters or digits")]
    NoSlug(String),
    #[error(
        "`{0}` is the slug of a node this service loaded at start: give the imported node \
         another name"
    )]
    SlugTaken(String),
    #[error("a tenant keeps at most {0} imported nodes")]
    TooManyImports(usize),
    #[error("a key whose role is `{0}` may not import nodes")]
    Forbidden(KeyRole),
}

/// Why a run did not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeRunError {
    #[error(transparent)]
    UnknownNode(UnknownNode),
    #[error("node `{node}` has no method `{method}`; it has: {available}")]
    UnknownMethod {
        node: String,
        method: String,
        /// Every method, by name and slug.
        available: String,
    },
    #[error("parameter `{name}` must be a string, number or boolean")]
    NotAScalar { name: String },
    #[error(transparent)]
    Refused(#[from] RunError),
    #[error("a key whose role is `{0}` may not run nodes")]
    Forbidden(KeyRole),
}

/// A node no name or slug of this service's names, and those it has.
#[derive(Debug, thiserror::Error)]
#[error("no node `{node}`; this service runs: {available}")]
pub struct UnknownNode {
    pub node: String,
    /// Every node, by name and slug.
    pub available: String,
}

/// A node and one of its methods, as a caller named them (by name or slug).
pub struct Found {
    pub node: NodeInfo,
    pub method: MethodInfo,
    pub definition: Arc<NodeDefinition>,
    /// Imported while running: it gets none of the service's secrets.
    pub imported: bool,
}

/// A node as `GET /v1/nodes` lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    /// How a route names it (`instant-connect`).
    pub slug: String,
    /// Its name in its definition.
    pub name: String,
    /// What it does, from its definition.
    pub description: String,
    /// Its methods.
    pub methods: Vec<MethodInfo>,
}

/// A method of a node.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MethodInfo {
    /// How a route names it (`generate-basic-link`).
    pub slug: String,
    /// Its name in the definition (`Generate Basic Link`).
    pub name: String,
    /// What the request body of a run holds.
    pub parameters: Vec<ParameterInfo>,
}

/// A dynamic parameter with its node UI: what a form needs to ask for it and check it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ParameterInfo {
    /// Its name, the key of the run's body.
    pub name: String,
    /// What it is, from the definition.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its label in a form.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// The hint a form shows beside it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tooltip: String,
    /// `text`, `number`, `boolean`, `email`, `phone` or `json`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: node::FieldType,
    /// Whether a run must give it.
    pub mandatory: bool,
    /// The whole value must match it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// The value a run takes when it gives none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
}

/// The answer of a run.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeRun {
    /// `success`, `error` or `timeout`.
    pub edge: String,
    /// The HTTP status of the node's call; absent when no answer came.
    pub status: Option<u16>,
    /// The method's outputs by name, read from the answer.
    #[schema(value_type = Object)]
    pub outputs: Map<String, Value>,
    /// Why the run left by `error` or `timeout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How long the run took, in milliseconds.
    pub elapsed_ms: u64,
    /// The answer as it came (status, headers, the start of the body).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub response: Option<node::RawResponse>,
}

impl From<RunResult> for NodeRun {
    fn from(result: RunResult) -> Self {
        Self {
            edge: result.edge.as_str().to_owned(),
            status: result.status,
            outputs: result.outputs,
            error: result.error,
            elapsed_ms: result.elapsed_ms,
            response: result.response,
        }
    }
}

struct Entry {
    slug: String,
    definition: Arc<NodeDefinition>,
    /// Where it came from, for messages.
    origin: String,
    /// The tenant whose key imported it while running; such a node gets no secret of the
    /// service's, only those a run gives. `None`: loaded at start, the default tenant's.
    importer: Option<TenantId>,
}

impl Entry {
    /// Whether `tenant` sees this node.
    fn seen_by(&self, tenant: &TenantId) -> bool {
        match &self.importer {
            Some(importer) => importer == tenant,
            None => tenant.is_default(),
        }
    }
}

/// The nodes a service runs.
pub struct Nodes {
    entries: RwLock<Vec<Entry>>,
    engine: Engine,
    broker_url: Url,
    metrics: Arc<Metrics>,
    policy: RunPolicy,
}

/// How the service runs nodes, beyond what their definitions say.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunPolicy {
    /// Off unless asked for ([`crate::Settings::node_retry`]).
    pub retry: resilience::RetryPolicy,
    /// Where nodes imported while running may send requests
    /// ([`crate::Settings::imported_node_destinations`]).
    pub imported_destinations: node::Destinations,
}

impl std::fmt::Debug for Nodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nodes")
            .field(
                "slugs",
                &self
                    .read()
                    .iter()
                    .map(|e| e.slug.clone())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// `Generate Basic Link` → `generate-basic-link`: the engine's, the one way names become slugs.
pub use node::slug;

impl Nodes {
    /// The bundled node and every `*.json` of `node_dir`. The broker token is the secret
    /// `broker_token`; other secrets come from the environment as in `icnode node run`.
    pub fn load(
        node_dir: Option<&Path>,
        broker_url: Url,
        broker_token: SecretString,
        metrics: Arc<Metrics>,
        policy: RunPolicy,
    ) -> Result<Self, CatalogError> {
        let mut texts = vec![("builtin:instant-connect".to_owned(), BUNDLED.to_owned())];
        if let Some(dir) = node_dir {
            let read_dir = |source| CatalogError::ReadDir {
                path: dir.to_owned(),
                source,
            };
            let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(read_dir)?
                .map(|entry| entry.map(|e| e.path()))
                .collect::<Result<_, _>>()
                .map_err(read_dir)?;
            paths.retain(|p| p.extension().is_some_and(|e| e == "json"));
            paths.sort();
            for path in paths {
                let text = std::fs::read_to_string(&path).map_err(|source| CatalogError::Read {
                    path: path.clone(),
                    source,
                })?;
                texts.push((path.display().to_string(), text));
            }
        }
        let mut entries: Vec<Entry> = Vec::new();
        for (origin, text) in texts {
            let definition = node::load(&text).map_err(|problems| CatalogError::Invalid {
                name: origin.clone(),
                problems: problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; "),
            })?;
            let slug = slug(&definition.name);
            if let Some(first) = entries.iter().find(|e| e.slug == slug) {
                return Err(CatalogError::DuplicateSlug {
                    slug,
                    first: first.origin.clone(),
                    second: origin,
                });
            }
            entries.push(Entry {
                slug,
                definition: Arc::new(definition),
                origin,
                importer: None,
            });
        }
        let secrets = Secrets::from_environment().with(BROKER_TOKEN_SECRET, broker_token);
        Ok(Self {
            entries: RwLock::new(entries),
            engine: Engine::new(secrets),
            broker_url,
            metrics,
            policy,
        })
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Entry>> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// [`Nodes::add_imported`], with the attempt in the tenant's audit trail (after the
    /// node is kept: imported nodes live in memory, not beside the trail). A row that cannot
    /// be written is logged; the import stands.
    pub async fn import(
        &self,
        store: &Store,
        caller: &Caller,
        definition: NodeDefinition,
        now: i64,
    ) -> Result<String, CatalogError> {
        let asked = slug(&definition.name);
        let added = self.add_imported(caller, definition);
        let outcome = match &added {
            Ok(_) => Outcome::Done,
            Err(CatalogError::Forbidden(_)) => Outcome::Forbidden,
            Err(CatalogError::TooManyImports(_)) => Outcome::Limited,
            Err(CatalogError::SlugTaken(_)) => Outcome::Exists,
            Err(_) => Outcome::Invalid,
        };
        let target = Some(asked.as_str()).filter(|slug| !slug.is_empty());
        let row = caller.audit_row(now, Action::NodeImported, target, outcome);
        store.append_audit_or_log(&row).await;
        added
    }

    /// Adds a node the caller's tenant imported while running, or replaces one it imported
    /// before under the same slug; its slug. A node loaded at start keeps its slug.
    pub fn add_imported(
        &self,
        caller: &Caller,
        definition: NodeDefinition,
    ) -> Result<String, CatalogError> {
        if !caller.may(Permission::Administer) {
            return Err(CatalogError::Forbidden(caller.role));
        }
        let importer = &caller.tenant;
        let most = TenantLimits::within(caller.limits.imported_nodes, MAX_IMPORTED_NODES);
        let slug = slug(&definition.name);
        if slug.is_empty() {
            return Err(CatalogError::NoSlug(definition.name));
        }
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match entries
            .iter()
            .find(|e| e.slug == slug && e.seen_by(importer))
        {
            Some(taken) if taken.importer.is_none() => {
                return Err(CatalogError::SlugTaken(slug));
            }
            Some(_) => {}
            None if entries
                .iter()
                .filter(|e| e.importer.as_ref() == Some(importer))
                .count()
                >= most =>
            {
                return Err(CatalogError::TooManyImports(most));
            }
            None => {}
        }
        entries.retain(|e| !(e.slug == slug && e.importer.as_ref() == Some(importer)));
        entries.push(Entry {
            slug: slug.clone(),
            definition: Arc::new(definition),
            origin: "an import".to_owned(),
            importer: Some(importer.clone()),
        });
        Ok(slug)
    }

    /// The definition of node `node` (its slug or its name) among those `tenant` sees, and
    /// whether it was imported while running.
    pub fn definition(&self, tenant: &TenantId, node: &str) -> Option<(Arc<NodeDefinition>, bool)> {
        let entries = self.read();
        let seen = || entries.iter().filter(|e| e.seen_by(tenant));
        seen()
            .find(|e| e.slug == node)
            .or_else(|| seen().find(|e| e.definition.name == node))
            .map(|e| (Arc::clone(&e.definition), e.importer.is_some()))
    }

    /// Node `node` and its method `method`, each by its slug or its name, among the caller's
    /// tenant's nodes; or what there is.
    pub fn find(&self, caller: &Caller, node: &str, method: &str) -> Result<Found, NodeRunError> {
        let (definition, imported) = self.definition(&caller.tenant, node).ok_or_else(|| {
            let entries = self.read();
            NodeRunError::UnknownNode(UnknownNode {
                node: node.to_owned(),
                available: node::both_forms(
                    entries
                        .iter()
                        .filter(|e| e.seen_by(&caller.tenant))
                        .map(|e| e.definition.name.as_str()),
                ),
            })
        })?;
        let found = definition
            .find_method(method)
            .ok_or_else(|| NodeRunError::UnknownMethod {
                node: node.to_owned(),
                method: method.to_owned(),
                available: definition.method_names(),
            })?;
        Ok(Found {
            node: node_info(&definition),
            method: method_info(found),
            imported,
            definition: Arc::clone(&definition),
        })
    }

    /// The caller's tenant's nodes.
    pub fn list(&self, caller: &Caller) -> Vec<NodeInfo> {
        self.read()
            .iter()
            .filter(|entry| entry.seen_by(&caller.tenant))
            .map(|entry| node_info(&entry.definition))
            .collect()
    }

    /// Runs `method` of `node` with `params`. A node addressed to the production broker runs
    /// against the service's broker instead; any other node runs as written.
    pub async fn run(
        &self,
        caller: &Caller,
        node: &str,
        method: &str,
        params: &Map<String, Value>,
    ) -> Result<RunResult, NodeRunError> {
        self.run_with_secrets(caller, node, method, params, Vec::new())
            .await
    }

    /// [`run`](Self::run), with `secrets` for a node imported while running: it is given none
    /// of the service's own (the broker token above all), only these, for this run.
    pub async fn run_with_secrets(
        &self,
        caller: &Caller,
        node: &str,
        method: &str,
        params: &Map<String, Value>,
        secrets: Vec<(String, SecretString)>,
    ) -> Result<RunResult, NodeRunError> {
        let Found {
            node: info,
            method: method_info,
            definition,
            imported,
        } = self.find(caller, node, method)?;
        // Found first: another tenant's node is not found, whatever the role.
        if !caller.may(Permission::Write) {
            return Err(NodeRunError::Forbidden(caller.role));
        }
        let found =
            definition
                .method(&method_info.name)
                .ok_or_else(|| NodeRunError::UnknownMethod {
                    node: info.slug.clone(),
                    method: method_info.name.clone(),
                    available: definition.method_names(),
                })?;
        let mut text_params = BTreeMap::new();
        for (name, value) in params {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return Err(NodeRunError::NotAScalar { name: name.clone() }),
            };
            text_params.insert(name.clone(), text);
        }
        let to_production = found
            .url
            .starts_with(instant_connect::PRODUCTION_BROKER_URL);
        let options = RunOptions {
            base_url_override: to_production.then(|| self.broker_url.clone()),
            retry: self.policy.retry,
        };
        let result = if imported {
            let given = secrets
                .into_iter()
                .fold(Secrets::default(), |all, (name, value)| {
                    all.with(&name, value)
                });
            Engine::new(given)
                .with_destinations(self.policy.imported_destinations)
                .run(&definition, &found.name, &text_params, &options)
                .await?
        } else {
            self.engine
                .run(&definition, &found.name, &text_params, &options)
                .await?
        };
        // Imported nodes share one label: their names are the importers' to choose. Others are
        // labelled by slug, however the caller named them.
        let (node_label, method_label) = if imported {
            ("imported", "imported")
        } else {
            (info.slug.as_str(), method_info.slug.as_str())
        };
        self.metrics
            .node_run(node_label, method_label, result.edge.as_str());
        Ok(result)
    }
}

/// A node as listed: its slug, name, description and methods.
fn node_info(definition: &NodeDefinition) -> NodeInfo {
    NodeInfo {
        slug: slug(&definition.name),
        name: definition.name.clone(),
        description: definition.description.clone(),
        methods: definition.methods.iter().map(method_info).collect(),
    }
}

/// A method as listed: its slug, name and parameters with their node UI.
fn method_info(method: &node::Method) -> MethodInfo {
    let description = |field: &str| {
        method
            .rows()
            .find_map(|row| match row {
                node::model::Row::Dynamic { description, .. } if row.field() == Some(field) => {
                    Some(description.clone())
                }
                _ => None,
            })
            .unwrap_or_default()
    };
    MethodInfo {
        slug: slug(&method.name),
        name: method.name.clone(),
        parameters: method
            .dynamic_fields()
            .into_iter()
            .map(|field| {
                let ui = method.field_ui(field);
                ParameterInfo {
                    name: field.to_owned(),
                    label: ui.label,
                    tooltip: ui.tooltip,
                    kind: ui.kind,
                    mandatory: ui.mandatory,
                    regex: ui.regex,
                    default: ui.default,
                    description: description(field),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imported(name: &str) -> NodeDefinition {
        let mut definition = node::load(BUNDLED).unwrap();
        definition.name = name.to_owned();
        definition
    }

    fn caller(tenant: &str, role: KeyRole) -> Caller {
        Caller {
            key_id: format!("{tenant}-key"),
            name: format!("{tenant}-key"),
            tenant: TenantId::parse(tenant).unwrap(),
            role,
            limits: TenantLimits::default(),
            broker_token: None,
            request_id: None,
        }
    }

    #[test]
    fn imports_are_bounded_per_tenant_owned_by_it_and_never_take_a_loaded_slug() {
        let nodes = Nodes::load(
            None,
            "http://127.0.0.1:1".parse().unwrap(),
            SecretString::from("t"),
            Arc::new(Metrics::new(Arc::default(), Arc::default())),
            RunPolicy::default(),
        )
        .unwrap();
        let default = caller("default", KeyRole::Admin);
        let clinic = caller("clinic", KeyRole::Admin);
        let bank = caller("bank", KeyRole::Admin);
        assert!(matches!(
            nodes.add_imported(&default, imported("Instant Connect")),
            Err(CatalogError::SlugTaken(slug)) if slug == "instant-connect"
        ));
        assert!(matches!(
            nodes.add_imported(&default, imported("!!")),
            Err(CatalogError::NoSlug(_))
        ));
        assert!(matches!(
            nodes.add_imported(&caller("clinic", KeyRole::Member), imported("Mine")),
            Err(CatalogError::Forbidden(KeyRole::Member))
        ));
        assert_eq!(
            nodes.add_imported(&clinic, imported("Mine")).unwrap(),
            "mine"
        );
        // The same tenant replaces its own; another tenant's is another node.
        assert_eq!(
            nodes.add_imported(&clinic, imported("Mine")).unwrap(),
            "mine"
        );
        assert_eq!(nodes.add_imported(&bank, imported("Mine")).unwrap(), "mine");
        // The loaded node is the default tenant's: another tenant may take its slug.
        assert_eq!(
            nodes
                .add_imported(&bank, imported("Instant Connect"))
                .unwrap(),
            "instant-connect"
        );
        for n in 2..MAX_IMPORTED_NODES {
            nodes
                .add_imported(&bank, imported(&format!("n{n}")))
                .unwrap();
        }
        assert!(matches!(
            nodes.add_imported(&bank, imported("one more")),
            Err(CatalogError::TooManyImports(MAX_IMPORTED_NODES))
        ));
        let mut limited = caller("small", KeyRole::Admin);
        limited.limits.imported_nodes = Some(1);
        assert_eq!(
            nodes.add_imported(&limited, imported("one")).unwrap(),
            "one"
        );
        assert!(matches!(
            nodes.add_imported(&limited, imported("two")),
            Err(CatalogError::TooManyImports(1))
        ));
        // A limit above the service's is the service's.
        limited.limits.imported_nodes = Some(1000);
        assert_eq!(
            TenantLimits::within(Some(1000), MAX_IMPORTED_NODES),
            MAX_IMPORTED_NODES
        );
        // The bank's imports leave the clinic its own allowance.
        assert_eq!(nodes.add_imported(&clinic, imported("two")).unwrap(), "two");
        assert_eq!(nodes.list(&bank).len(), MAX_IMPORTED_NODES);
        assert_eq!(nodes.list(&clinic).len(), 2);
        assert_eq!(nodes.list(&default).len(), 1);
        let tenant = |c: &Caller| c.tenant.clone();
        assert!(
            nodes.definition(&tenant(&clinic), "mine").unwrap().1,
            "imported"
        );
        assert!(
            !nodes
                .definition(&tenant(&default), "instant-connect")
                .unwrap()
                .1,
            "loaded at start"
        );
        assert!(nodes.definition(&tenant(&default), "mine").is_none());
        assert!(
            nodes
                .definition(&tenant(&clinic), "instant-connect")
                .is_none()
        );
        assert!(
            nodes
                .definition(&tenant(&bank), "instant-connect")
                .unwrap()
                .1
        );
    }
}
