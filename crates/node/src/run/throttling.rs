//! The throttle step: the method's limits (rate, concurrency, volume), counted per engine; a run
//! they stop sends nothing and leaves by the edge its status matches.

use reqwest::header::HeaderMap;

use super::read::{Answer, outputs};
use super::result::{RunResult, Stop};
use crate::model::{Edge, Method, NodeDefinition};
use crate::throttle::{Permit, Throttled, Throttles};

/// Admits the run under the method's limits: its place under the concurrency limit, held until
/// the run ends; or the result of a run the limits stop.
pub(super) fn admit(
    throttles: &Throttles,
    node: &NodeDefinition,
    method: &Method,
) -> Result<Option<Permit>, Stop> {
    let Some(throttling) = &method.throttling else {
        return Ok(None);
    };
    throttles
        .admit(
            &node.name,
            &method.name,
            throttling,
            std::time::Instant::now(),
        )
        .map(Some)
        .map_err(|throttled| Stop::ended(throttled_result(method, throttled)))
}

/// A run a limit stopped: nothing was sent; it leaves by the edge of the first event its
/// status matches (none: the error edge), with the reason.
fn throttled_result(method: &Method, throttled: Throttled) -> RunResult {
    let headers = HeaderMap::new();
    let answer = Answer {
        status: throttled.status,
        headers: &headers,
        body: None,
    };
    let matched = method.events.iter().find(|event| answer.holds(event));
    RunResult {
        edge: matched.map_or(Edge::Error, |e| e.edge),
        status: Some(throttled.status),
        outputs: outputs(method, &answer),
        error: Some(throttled.reason),
        elapsed_ms: 0,
        response: None,
    }
}
