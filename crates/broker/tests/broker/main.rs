//! The local broker over real HTTP on port 0, with a real SQLite file in a temporary directory
//! and a clock the tests move.

mod api;
mod bounds;
mod clients;
mod faults;
mod joins;
mod logs;
mod pages;
mod persistence;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use broker::{BrokerSettings, LocalBroker};
use instant_connect::{Client, ClientConfig, ManualClock};
use serde_json::Value;
use tokio::sync::oneshot;

pub const TOKEN: &str = "test-token";
pub const SECRET: &str = "test broker secret";
pub const ORG_ID: &str = "1eb65fdf-9643-417f-9974-ad72cae0e10f";
/// The count is not what these tests test: the floor keeps them quick.
pub const ITERATIONS: u32 = 1000;

pub struct TestBroker {
    pub url: String,
    /// The broker's clock, and its client's: tests move it instead of sleeping.
    pub clock: ManualClock,
    pub broker: Arc<LocalBroker>,
    /// Follows no redirects, so tests see the 302s.
    pub http: reqwest::Client,
    pub client: Client,
    shutdown: Option<oneshot::Sender<()>>,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: Option<tempfile::TempDir>,
}

pub fn settings(dir: Option<&Path>) -> BrokerSettings {
    BrokerSettings {
        data_dir: dir.map(Path::to_owned),
        tokens: vec![TOKEN.into()],
        secret: Some(SECRET.into()),
        org_id: Some(ORG_ID.parse().unwrap()),
        org_name: Some("Test Clinic <b>".to_owned()),
        iterations: Some(ITERATIONS),
        ..BrokerSettings::default()
    }
}

/// A broker with its own temporary data directory.
pub async fn spawn_broker() -> TestBroker {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = spawn_with(settings(Some(dir.path()))).await;
    broker._dir = Some(dir);
    broker
}

pub async fn spawn_with(settings: BrokerSettings) -> TestBroker {
    spawn_at(settings, ManualClock::starting_now()).await
}

/// With `ICNODE_TEST_LOG_DIR` set (`.ci/run` sets it), a file there named for this process
/// and `suffix`: this binary's log lines (`.log`) and the secrets its tests used (`.secrets`),
/// for CI's search of every log line of the whole run.
pub(crate) fn run_file(suffix: &str) -> Option<std::fs::File> {
    let dir = std::env::var_os("ICNODE_TEST_LOG_DIR")?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::path::PathBuf::from(dir).join(format!("broker-{}.{suffix}", std::process::id())))
        .ok()
}

pub async fn spawn_at(settings: BrokerSettings, clock: ManualClock) -> TestBroker {
    logs::captured();
    if let Some(mut file) = run_file("secrets") {
        use std::io::Write;
        let tokens = settings
            .tokens
            .iter()
            .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned());
        let others = [settings.secret.as_ref(), settings.fault_token.as_ref()]
            .into_iter()
            .flatten()
            .map(|s| secrecy::ExposeSecret::expose_secret(s).to_owned());
        for secret in tokens.chain(others) {
            let _ = writeln!(file, "{secret}");
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let broker = Arc::new(
        LocalBroker::open(settings, &url.parse().unwrap(), Arc::new(clock.clone()))
            .await
            .unwrap(),
    );
    let (tx, rx) = oneshot::channel::<()>();
    let served = tokio::spawn(broker::serve(listener, broker.router(), async {
        let _ = rx.await;
    }));
    let mut config = ClientConfig::new(url.parse().unwrap(), TOKEN.into());
    config.clock = Arc::new(clock.clone());
    let client = Client::new(config).unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    TestBroker {
        url,
        clock,
        broker,
        http,
        client,
        shutdown: Some(tx),
        served,
        _dir: None,
    }
}

impl TestBroker {
    pub async fn stop(mut self) {
        self.shutdown.take().unwrap().send(()).unwrap();
        (&mut self.served).await.unwrap().unwrap();
    }

    pub fn post_json(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.url))
            .bearer_auth(TOKEN)
            .json(body)
    }

    pub async fn get_json(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.url))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

pub fn b64(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}

/// Opens a cipher as an independent reader would: JWE with the secret, then the JWT payload
/// (not verified here; the broker's own checks are tested through its endpoints).
pub fn claims_of(cipher: &str) -> Value {
    let opened = jose::jwe::decrypt(SECRET.as_bytes(), cipher, &Default::default()).unwrap();
    let jwt = String::from_utf8(opened.plaintext).unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&b64(payload)).unwrap()
}

pub fn header_of(cipher: &str) -> jose::Header {
    jose::jwe::unverified_header(cipher).unwrap()
}

/// Each value of the `Icnode-Warning` headers of `response`.
pub fn warnings(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("icnode-warning")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}
