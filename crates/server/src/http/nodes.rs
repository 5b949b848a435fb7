//! `/v1/nodes` handlers: the node list, and one run whose HTTP status follows its edge.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use node::Edge;
use serde_json::{Map, Value};

use super::error::{ApiError, ErrorBody};
use super::extract::{JsonBody, PathParams};
use super::state::AppState;
use crate::keys::Caller;
use crate::nodes::{NodeInfo, NodeRun};

/// List the nodes this service runs.
///
/// Each with its methods, and each method with its parameters and their node UI (type,
/// mandatory, pattern, default): what a form needs to ask for them.
#[utoipa::path(
    get, path = "/v1/nodes", tag = "nodes", operation_id = "listNodes",
    responses((status = 200, description = "every node with its methods and parameters", body = [NodeInfo])),
    security(("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Json<Vec<NodeInfo>> {
    Json(state.nodes.list(&caller))
}

/// Run one method of a node, as Webex Connect runs it.
///
/// The HTTP status follows the edge the run left by, so a flow can branch on it: `200` success,
/// `502` error, `504` timeout. Parameters are checked against the method's node UI first.
#[utoipa::path(
    post, path = "/v1/nodes/{node}/{method}", tag = "nodes", operation_id = "runNodeMethod",
    params(
        ("node" = String, Path, description = "the node's slug or name", example = "instant-connect"),
        ("method" = String, Path, description = "the method's slug or name", example = "generate-basic-link"),
    ),
    request_body(content = Option<Object>, description = "the method's dynamic parameters by name"),
    responses(
        (status = 200, description = "left by the success edge", body = NodeRun),
        (status = 502, description = "left by the error edge", body = NodeRun),
        (status = 504, description = "left by the timeout edge", body = NodeRun),
        (status = 403, description = "the key's role may not run nodes (`viewer`)", body = ErrorBody),
        (status = 404, description = "no such node or method among the key's tenant's; the message lists every name and slug", body = ErrorBody),
        (status = 422, description = "missing, unknown or unusable parameters", body = ErrorBody),
        (status = 503, description = "the service is missing a secret this node names (`node_secret_missing`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
pub async fn run(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    PathParams((node, method)): PathParams<(String, String)>,
    JsonBody(params): JsonBody<Map<String, Value>>,
) -> Result<(StatusCode, Json<NodeRun>), ApiError> {
    let result = state.nodes.run(&caller, &node, &method, &params).await?;
    let status = match result.edge {
        Edge::Success => StatusCode::OK,
        Edge::Timeout => StatusCode::GATEWAY_TIMEOUT,
        Edge::Error => StatusCode::BAD_GATEWAY,
    };
    Ok((status, Json(NodeRun::from(result))))
}
