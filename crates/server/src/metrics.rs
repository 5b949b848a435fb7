//! Prometheus metrics: requests by route and status, broker call latency, how long requests
//! waited for the database, node runs by edge, and how many new meetings each commit wrote.
//! Counters are per process, as Prometheus expects: it scrapes each process and sums.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::store::{CommitCounts, KeyCheckCounts, Wait, WaitObserver};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    /// The route template (`/v1/meetings/{chatId}`), never the path: ids stay out.
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BrokerLabels {
    call: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StoreLabels {
    call: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    node: String,
    method: String,
    edge: String,
}

/// Broker latency buckets, in seconds: a link costs milliseconds of PBKDF2 on the broker.
const BROKER_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Store wait buckets, in seconds: a key check or a commit on the request's path takes tens
/// of microseconds (SQLite) to a millisecond (PostgreSQL, a round trip and a WAL flush).
const STORE_BUCKETS: [f64; 12] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.1, 1.0, 5.0,
];

#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    broker: Family<BrokerLabels, Histogram>,
    store: Family<StoreLabels, Histogram>,
    runs: Family<RunLabels, Counter>,
}

/// The store's counts of commits and of key checks, read when scraped.
#[derive(Debug)]
struct StoreCollector(Arc<CommitCounts>, Arc<KeyCheckCounts>);

impl Collector for StoreCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        for (name, help, value) in [
            (
                "meeting_commits",
                "Database commits that wrote new meetings",
                self.0.commits(),
            ),
            (
                "meetings_committed",
                "New meetings written; divided by meeting_commits, meetings per commit",
                self.0.meetings(),
            ),
            (
                "key_check_reads",
                "Database reads that checked API keys",
                self.1.reads(),
            ),
            (
                "key_checks",
                "API keys checked; divided by key_check_reads, checks per read",
                self.1.checks(),
            ),
        ] {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

impl Metrics {
    pub fn new(commits: Arc<CommitCounts>, key_checks: Arc<KeyCheckCounts>) -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let broker = Family::<BrokerLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(BROKER_BUCKETS)) as fn() -> Histogram,
        );
        let store = Family::<StoreLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(STORE_BUCKETS)) as fn() -> Histogram,
        );
        let runs = Family::<RunLabels, Counter>::default();
        let mut registry = Registry::with_prefix("icnode");
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            requests.clone(),
        );
        registry.register(
            "broker_call_duration_seconds",
            "Time of each call to the broker, by call",
            broker.clone(),
        );
        registry.register(
            "store_wait_duration_seconds",
            "Time a request waited for the database, by call (its queue and round trips included)",
            store.clone(),
        );
        registry.register(
            "node_runs",
            "Node method runs, by node, method and edge",
            runs.clone(),
        );
        registry.register_collector(Box::new(StoreCollector(commits, key_checks)));
        Self {
            registry,
            requests,
            broker,
            store,
            runs,
        }
    }

    /// One request answered; `method` is a label from a closed set ([`method_label`]).
    pub fn request(&self, method: &'static str, route: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
    }

    pub fn broker_call(&self, call: &str, took: Duration) {
        self.broker
            .get_or_create(&BrokerLabels {
                call: call.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn node_run(&self, node: &str, method: &str, edge: &str) {
        self.runs
            .get_or_create(&RunLabels {
                node: node.to_owned(),
                method: method.to_owned(),
                edge: edge.to_owned(),
            })
            .inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// The store tells how long each request waited for it: `store_wait_duration_seconds`.
impl WaitObserver for Metrics {
    fn waited(&self, wait: Wait, took: Duration) {
        self.store
            .get_or_create(&StoreLabels {
                call: wait.as_str().to_owned(),
            })
            .observe(took.as_secs_f64());
    }
}

/// A request's method as a label and a log field: the methods HTTP defines, and `OTHER` for
/// any other (a client chooses the method's text, so it must not choose a label's).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|known| *known == method.as_str())
        .unwrap_or("OTHER")
}
