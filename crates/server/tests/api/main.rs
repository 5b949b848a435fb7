//! The node service over real HTTP on port 0, against the real local broker on port 0, with a
//! real SQLite file or a fresh database on the machine's PostgreSQL. Every suite that takes a
//! `Db` runs once on each (`on_both_databases!`). With `CI=true`, a missing PostgreSQL fails.

mod audit;
mod batches;
mod chaos;
mod connections;
mod console;
mod console_visits;
mod errors;
mod faults;
mod hostile;
mod idempotency;
mod logs;
mod meetings;
mod nodes;
mod ops;
mod own_links;
mod presence;
mod retention;
mod smtp;
mod sqlite;
mod tenant_tokens;
mod tenants;
mod visit_mail;
mod visits;
mod webhooks;
mod words;

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use broker::{BrokerSettings, LocalBroker};
use instant_connect::ManualClock;
use reqwest::StatusCode;
use secrecy::ExposeSecret;
use serde_json::Value;
use server::{Application, Settings};
use sqlx::Connection;
use tokio::sync::oneshot;

pub const BROKER_TOKEN: &str = "service-test-broker-token";
/// A second token the test broker takes: a tenant's own.
pub const TENANT_BROKER_TOKEN: &str = "service-test-tenant-broker-token";
/// The token of the test broker's fault control route.
pub const FAULT_TOKEN: &str = "service-test-fault-token";
const BROKER_SECRET: &str = "service test broker secret";
/// The count is not what these tests test: the floor keeps them quick.
const ITERATIONS: u32 = 1000;
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/test";

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite,
    /// The URL of a database this test may create databases from.
    Postgres(String),
}

impl Db {
    /// The machine's PostgreSQL (`ICNODE_TEST_POSTGRES_URL`, else the project machines'
    /// address), or `None` with a printed reason; with `CI=true` its absence fails.
    pub async fn postgres() -> Option<Self> {
        let url = std::env::var("ICNODE_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        match sqlx::PgConnection::connect(&url).await {
            Ok(conn) => {
                let _ = conn.close().await;
                Some(Db::Postgres(url))
            }
            Err(error) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("CI=true and PostgreSQL at {url} is unreachable: {error}")
            }
            Err(error) => {
                eprintln!("skipped: PostgreSQL at {url} is unreachable ({error})");
                None
            }
        }
    }
}

/// Runs each named `async fn(Db)` of the calling module once on SQLite and once on PostgreSQL.
#[macro_export]
/// With `current_thread:` first, each runs on a current-thread runtime, where a spawned task
/// runs only when the test awaits (the group commit's exact batches); with `one_worker:`, on
/// one worker thread, where a task woken by another runs next on it (tokio's LIFO slot).
macro_rules! on_both_databases {
    (current_thread: $($name:ident),* $(,)?) => {
        $crate::on_both_databases!(@flavor (flavor = "current_thread") $($name),*);
    };
    (one_worker: $($name:ident),* $(,)?) => {
        $crate::on_both_databases!(@flavor (flavor = "multi_thread", worker_threads = 1) $($name),*);
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_both_databases!(@flavor (flavor = "multi_thread", worker_threads = 2) $($name),*);
    };
    (@flavor $flavor:tt $($name:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test $flavor]
                async fn $name() {
                    super::$name($crate::Db::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test $flavor]
                async fn $name() {
                    if let Some(db) = $crate::Db::postgres().await {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}

/// What a test may change about the service it gets.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// The token the service presents (default: one the broker accepts).
    pub broker_token: Option<String>,
    /// Where the service thinks the broker is (default: the test's broker).
    pub broker_url: Option<String>,
    pub node_dir: Option<PathBuf>,
    pub long_urls: bool,
    /// Every meeting known to the broker by an opaque id.
    pub opaque_subjects: bool,
    /// Serve HTTPS with a certificate made for `localhost`, which `http` trusts.
    pub tls: bool,
    /// How long links live when a request does not say (default: the service's default).
    pub default_ttl: Option<std::time::Duration>,
    /// Let the console import nodes.
    pub node_imports: bool,
    pub rate_limit_per_minute: Option<std::num::NonZeroU32>,
    /// How the service retries broker calls (default: the service's default).
    pub broker_retry: Option<resilience::RetryPolicy>,
    pub breaker: Option<resilience::BreakerSettings>,
    /// The service's timeout of each broker call (default: the service's default).
    pub broker_timeout: Option<std::time::Duration>,
    pub node_retry: Option<resilience::RetryPolicy>,
    /// Where imported nodes may send requests (default: the service's default, public only).
    pub imported_node_destinations: Option<node::Destinations>,
    pub header_read_timeout: Option<std::time::Duration>,
    pub body_read_timeout: Option<std::time::Duration>,
    pub idle_timeout: Option<std::time::Duration>,
    pub max_connections: Option<std::num::NonZeroUsize>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// PostgreSQL only: the service connects as a role of this name, made with the GRANTs of
    /// `SECURITY.md` after the database's owner applied the migrations.
    pub service_role: Option<String>,
    /// How often the retention task runs (default: the service's default).
    pub retention_every: Option<std::time::Duration>,
    /// How long expired meetings and sent invites are kept (default: kept).
    pub retain: Option<std::time::Duration>,
    /// How often visits' jobs are looked for (default: the service's default).
    pub jobs_every: Option<std::time::Duration>,
    /// Where visits' email goes (default: nowhere).
    pub mail: Option<server::mail::MailSettings>,
    /// How often webhook deliveries are looked for.
    pub deliveries_every: Option<std::time::Duration>,
    /// Let webhooks reach loopback (the test's receiver); public only when false, as by
    /// default.
    pub private_webhooks: bool,
    /// How often presence is read from the test's broker (default: never, as `serve`).
    pub presence_every: Option<std::time::Duration>,
    /// Email a visit's hosts when its guests wait this long (default: never).
    pub host_alert_after: Option<std::time::Duration>,
}

pub struct TestApp {
    pub url: String,
    pub broker_url: String,
    pub clock: ManualClock,
    /// A valid API key of the service.
    pub key: String,
    pub store: server::Store,
    /// The store as the operator opens it: the service's own, unless the service runs as a
    /// role of its own (`Options::service_role`); then the database owner's.
    pub operator: server::Store,
    /// Follows no redirects, so tests see the 302s.
    pub http: reqwest::Client,
    /// What the service was started with: another process on the same database and broker
    /// starts with it too ([`TestApp::spawn_beside`]).
    pub settings: Settings,
    stops: Vec<oneshot::Sender<()>>,
    /// Dropped after the service has been told to stop.
    _database: TestDatabase,
    _dir: tempfile::TempDir,
}

/// A database of a test's own: a SQLite file in the test's directory, or a fresh database on
/// the machine's PostgreSQL, dropped with this.
pub struct TestDatabase {
    pub url: String,
    postgres: Option<(String, String)>,
    /// Roles made for this database, dropped with it (roles belong to the whole server).
    roles: Vec<String>,
}

impl TestDatabase {
    pub async fn create(db: &Db, dir: &std::path::Path) -> Self {
        match db {
            Db::Sqlite => TestDatabase {
                url: format!("sqlite://{}", dir.join("icnode.db").display()),
                postgres: None,
                roles: Vec::new(),
            },
            Db::Postgres(admin) => {
                let name = format!("icnode_test_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
                let mut url = url::Url::parse(admin).unwrap();
                url.set_path(&name);
                TestDatabase {
                    url: url.to_string(),
                    postgres: Some((admin.clone(), name)),
                    roles: Vec::new(),
                }
            }
        }
    }
}

impl TestDatabase {
    /// Makes the role `role` with the GRANTs `SECURITY.md` shows for the service's own role,
    /// on a database whose migrations are applied; the URL of this database as that role.
    pub async fn grant_service_role(&mut self, role: &str) -> String {
        let grants = service_role_grants().replace("icnode_service", role);
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::raw_sql(&grants).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
        self.roles.push(role.to_owned());
        let mut url = url::Url::parse(&self.url).unwrap();
        url.set_username(role).unwrap();
        url.to_string()
    }
}

/// The SQL block of `SECURITY.md` that makes the service's own role.
fn service_role_grants() -> String {
    const SECURITY: &str = include_str!("../../../../SECURITY.md");
    let block = SECURITY
        .split("```sql\n")
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(sql, _)| sql))
        .find(|sql| sql.contains("CREATE ROLE icnode_service"))
        .expect("SECURITY.md shows the service role's GRANTs in a ```sql block");
    block.to_owned()
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let roles = std::mem::take(&mut self.roles);
        if let Some((admin, name)) = self.postgres.take() {
            // Dropped on a thread of its own, as Drop cannot await.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                        for role in roles {
                            let drop = format!("DROP ROLE IF EXISTS {role}");
                            let _ = sqlx::query(&drop).execute(&mut conn).await;
                        }
                    }
                });
            })
            .join();
        }
    }
}

/// With `ICNODE_TEST_LOG_DIR` set (`.ci/run` sets it), a file there named for this process
/// and `suffix`: where this binary's log lines (`.log`) and the secrets its tests used
/// (`.secrets`) go, for CI's search of every log line of the whole run.
fn run_file(suffix: &str) -> Option<std::fs::File> {
    let dir = std::env::var_os("ICNODE_TEST_LOG_DIR")?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(PathBuf::from(dir).join(format!("api-{}.{suffix}", std::process::id())))
        .ok()
}

/// Notes a secret a test used, for CI's search of every log line (see [`run_file`]).
pub fn used_secret(secret: &str) {
    if let Some(mut file) = run_file("secrets") {
        let _ = writeln!(file, "{secret}");
    }
}

/// Every log line of this test binary, for the test that greps them for secrets.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap()).into_owned()
}

/// The log lines of this test binary once `done` holds for them: a line is written after the
/// work it reports (a commit, an answer sent), so a test that saw the work may be early.
pub async fn logs_until(within: std::time::Duration, done: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let logs = captured_logs();
        if done(&logs) {
            return logs;
        }
        let tail: Vec<&str> = logs.lines().rev().take(20).collect();
        assert!(
            started.elapsed() < within,
            "the logs never showed what was awaited; the last lines, newest first: {tail:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug,sqlx=warn,hyper=warn,reqwest=warn")
            .with_ansi(false)
            .with_writer(move || LogWriter(Arc::clone(&writer)))
            .try_init();
        buffer
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();
        if let Some(file) = FILE.get_or_init(|| run_file("log").map(Mutex::new)) {
            let _ = file.lock().unwrap().write_all(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, Options::default()).await
}

pub async fn spawn_app_with(db: Db, options: Options) -> TestApp {
    log_buffer();
    let dir = tempfile::tempdir().unwrap();
    let clock = ManualClock::starting_now();
    let mut stops = Vec::new();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let broker_url = format!("http://{}", listener.local_addr().unwrap());
    let broker_settings = BrokerSettings {
        data_dir: Some(dir.path().join("broker")),
        tokens: vec![BROKER_TOKEN.into(), TENANT_BROKER_TOKEN.into()],
        secret: Some(BROKER_SECRET.into()),
        iterations: Some(ITERATIONS),
        fault_token: Some(FAULT_TOKEN.into()),
        ..BrokerSettings::default()
    };
    let broker = LocalBroker::open(
        broker_settings,
        &broker_url.parse().unwrap(),
        Arc::new(clock.clone()),
    )
    .await
    .unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(broker::serve(listener, broker.router(), async {
        let _ = stopped.await;
    }));
    stops.push(stop);

    let mut database = TestDatabase::create(&db, dir.path()).await;
    let mut database_url = database.url.clone();
    let mut operator = None;
    if let Some(role) = &options.service_role {
        // The owner migrates and makes the role; the service is only the role.
        operator = Some(server::Store::connect(&database.url, 2).await.unwrap());
        database_url = database.grant_service_role(role).await;
    }
    let service_broker = options.broker_url.clone().unwrap_or(broker_url.clone());
    let token = options
        .broker_token
        .clone()
        .unwrap_or(BROKER_TOKEN.to_owned());
    let mut settings = Settings::new(database_url, service_broker.parse().unwrap(), token.into())
        .with_clock(Arc::new(clock.clone()));
    settings.node_dir = options.node_dir.clone();
    settings.short_urls = !options.long_urls;
    if options.opaque_subjects {
        settings.subjects = server::domain::Subjects::Opaque;
    }
    settings.node_imports = options.node_imports;
    settings.rate_limit_per_minute = options.rate_limit_per_minute;
    if let Some(ttl) = options.default_ttl {
        settings.default_ttl = ttl;
    }
    if let Some(retry) = options.broker_retry {
        settings.broker.retry = retry;
    }
    if let Some(breaker) = options.breaker {
        settings.broker.breaker = breaker;
    }
    if let Some(timeout) = options.broker_timeout {
        settings.broker.timeout = timeout;
    }
    if let Some(retry) = options.node_retry {
        settings.node_retry = retry;
    }
    if let Some(destinations) = options.imported_node_destinations {
        settings.imported_node_destinations = destinations;
    }
    if let Some(timeout) = options.header_read_timeout {
        settings.connections.first_request = timeout;
    }
    if let Some(timeout) = options.body_read_timeout {
        settings.body_read_timeout = timeout;
    }
    if let Some(timeout) = options.idle_timeout {
        settings.connections.idle = timeout;
    }
    if let Some(max) = options.max_connections {
        settings.connections.max_connections = max;
    }
    settings.trusted_proxies = options.trusted_proxies.clone();
    if let Some(every) = options.retention_every {
        settings.retention_every = every;
    }
    settings.retain = options.retain;
    if let Some(every) = options.jobs_every {
        settings.jobs_every = every;
    }
    if let Some(mail) = options.mail.clone() {
        settings.mail = mail;
    }
    if let Some(every) = options.deliveries_every {
        settings.deliveries_every = every;
    }
    if options.private_webhooks {
        settings.webhook_destinations = node::Destinations::Any;
    }
    settings.presence_every = options.presence_every;
    settings.host_alert_after = options.host_alert_after;
    let mut http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    if options.tls {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.key_pair.serialize_pem()).unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        settings.tls = Some(server::settings::TlsFiles { cert, key });
        http = http.add_root_certificate(
            reqwest::Certificate::from_pem(certified.cert.pem().as_bytes()).unwrap(),
        );
    }
    let app = Application::build(settings.clone()).await.unwrap();
    let url = if options.tls {
        format!("https://localhost:{}", app.port())
    } else {
        format!("http://127.0.0.1:{}", app.port())
    };
    let store = app.store().clone();
    let operator = operator.unwrap_or_else(|| store.clone());
    let key = server::keys::create(&operator, server::keys::NewKey::default_admin("test"), 0)
        .await
        .unwrap()
        .expose_secret()
        .to_owned();
    for secret in [
        key.as_str(),
        BROKER_TOKEN,
        TENANT_BROKER_TOKEN,
        BROKER_SECRET,
        FAULT_TOKEN,
    ] {
        used_secret(secret);
    }
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = stopped.await;
    }));
    stops.push(stop);

    TestApp {
        url,
        broker_url,
        clock,
        key,
        store,
        operator,
        http: http.build().unwrap(),
        settings,
        stops,
        _database: database,
        _dir: dir,
    }
}

impl TestApp {
    /// Another service on the same database, broker and clock, as a second `serve` process
    /// is; its URL.
    pub async fn spawn_beside(&mut self) -> String {
        let app = Application::build(self.settings.clone()).await.unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        }));
        self.stops.push(stop);
        url
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .json(&body)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// A GET with `key` as the bearer instead of the app's own.
    pub async fn get_with_key(&self, path: &str, key: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        answer(response).await
    }

    /// A request with `key` as the bearer: `body` as JSON, or none.
    pub async fn send_with_key(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        answer(request.send().await.unwrap()).await
    }

    /// A new key named `name` of `tenant` (made when missing) with `role`.
    pub async fn key_of(&self, tenant: &str, role: server::domain::KeyRole, name: &str) -> String {
        let id = server::domain::TenantId::parse(tenant).unwrap();
        if self.operator.tenant(&id).await.unwrap().is_none() {
            server::tenants::create(&self.operator, tenant, 0)
                .await
                .unwrap();
        }
        let new = server::keys::NewKey {
            name,
            tenant: &id,
            role,
        };
        let key = server::keys::create(&self.operator, new, 0).await.unwrap();
        used_secret(key.expose_secret());
        key.expose_secret().to_owned()
    }

    /// The SMS invites the test broker has taken (the first 1000), as its `/_icnode/outbox`
    /// lists them.
    pub async fn broker_outbox(&self) -> Value {
        self.http
            .get(format!("{}/_icnode/outbox?limit=1000", self.broker_url))
            .bearer_auth(BROKER_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Replaces the faults the test broker injects into its API.
    pub async fn set_broker_faults(&self, faults: Value) {
        let response = self
            .http
            .put(format!("{}/_icnode/faults", self.broker_url))
            .bearer_auth(FAULT_TOKEN)
            .json(&serde_json::json!({ "faults": faults }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// How many faults of `kind` the test broker has injected.
    pub async fn broker_injected(&self, kind: &str) -> u64 {
        let response = self
            .http
            .get(format!("{}/_icnode/faults", self.broker_url))
            .bearer_auth(FAULT_TOKEN)
            .send()
            .await
            .unwrap();
        let report: Value = response.json().await.unwrap();
        report["injected"][kind].as_u64().unwrap_or(0)
    }

    /// The URL of the test's own database.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// How many meetings the store holds.
    pub async fn meeting_count(&self) -> usize {
        let (status, page) = self.get("/v1/meetings?limit=1000").await;
        assert_eq!(status, StatusCode::OK, "{page}");
        page["items"].as_array().unwrap().len()
    }
}

pub async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts an error answer: its status, and the field it names.
pub fn assert_field_error(answer: &(StatusCode, Value), status: StatusCode, field: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"]["field"], field, "{}", answer.1);
    assert!(
        !answer.1["error"]["message"]
            .as_str()
            .unwrap_or("")
            .is_empty(),
        "{}",
        answer.1
    );
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}
