//! The `icnode` binary as a user runs it: real processes, real ports, real files.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

mod audit;
mod bench;
mod connections;
mod console;
mod console_live;
mod console_webhooks;
mod contract;
mod jobs;
mod node;
mod service;
mod visits;
mod webhook_outbox;

const TOKEN: &str = "cli-test-token";
const SECRET: &str = "cli-test-secret";

/// The address of a loopback server that answers every request with `status` and `body`, as
/// JSON, the body's end told by the connection's close rather than a length (so a client reads
/// it in chunks until it ends).
fn answering(status: &str, body: Vec<u8>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let head =
        format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().map_while(Result::ok) {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    address
}

/// `document` followed by spaces up to `len` bytes: the same JSON document, only longer.
fn padded(document: &[u8], len: usize) -> Vec<u8> {
    let mut body = document.to_vec();
    body.resize(len, b' ');
    body
}

fn icnode() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_icnode"));
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("ICNODE_")) {
        command.env_remove(name);
    }
    command
}

/// A server process, killed when dropped, with its stdout lines as they come.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    /// Starts `command`; its log (stderr) goes to the run's log directory, if there is one.
    fn start(command: Command) -> Self {
        Self::start_with_stderr(command, run_log())
    }

    fn start_with_stderr(mut command: Command, stderr: Stdio) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// The last word of the next line containing `needle`: the URL or key a server prints.
    fn word_after(&self, needle: &str) -> String {
        self.line_with(needle)
            .rsplit(' ')
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    /// The next line containing `needle` (servers print a few lines as they start).
    fn line_with(&self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the server printed nothing in time");
            if line.contains(needle) {
                return line;
            }
        }
    }
}

impl Server {
    /// Stops the process as SIGKILL does, with no chance to finish anything.
    fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// With `ICNODE_TEST_LOG_DIR` set (`.ci/run` sets it), a file there named `{name}.{suffix}`:
/// the processes' logs (`.log`) and the secrets the tests used (`.secrets`), for CI's search of
/// every log line of the whole run.
fn run_file(name: &str, suffix: &str) -> Option<std::fs::File> {
    let dir = std::env::var_os("ICNODE_TEST_LOG_DIR")?;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(std::path::PathBuf::from(dir).join(format!("{name}.{suffix}")))
        .ok()
}

/// Where a started process's stderr goes: a log file of its own in the run's log directory,
/// else nowhere.
fn run_log() -> Stdio {
    run_file(&format!("cli-{}", uuid::Uuid::new_v4().simple()), "log")
        .map_or_else(Stdio::null, Stdio::from)
}

/// Notes a secret a test used, for CI's search of every log line.
fn used_secret(secret: &str) {
    if let Some(mut file) = run_file(&format!("cli-{}", std::process::id()), "secrets") {
        use std::io::Write;
        let _ = writeln!(file, "{secret}");
    }
}

fn start_broker() -> (Server, String) {
    start_broker_with(&[])
}

/// An ephemeral test broker with `extra` flags; the server and its URL.
fn start_broker_with(extra: &[&str]) -> (Server, String) {
    let mut command = icnode();
    command.args([
        "broker",
        "--ephemeral",
        "--listen",
        "127.0.0.1:0",
        "--token",
        TOKEN,
        "--secret",
        SECRET,
        "--iterations",
        "1000",
    ]);
    command.args(extra);
    used_secret(TOKEN);
    used_secret(SECRET);
    let server = Server::start(command);
    let url = server.word_after("listening on");
    (server, url)
}

fn run(args: &[&str], token: Option<&str>) -> Output {
    let mut command = icnode();
    command.args(args);
    if let Some(token) = token {
        command.env("ICNODE_BROKER_TOKEN", token);
    }
    command.output().unwrap()
}

/// What a command that succeeds prints with `--json`, run with the test broker's token.
fn json_of(args: &[&str]) -> Value {
    let out = run(args, Some(TOKEN));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Asserts that a command exited with `code` and said `text` on stderr.
/// What `command` printed and how it exited, for one that must end by itself: still running
/// after `within` (a server that started where it should have refused), it is killed and the
/// test fails rather than hangs.
fn ended_within(mut command: Command, within: Duration) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if exited_within(&mut child, within).is_none() {
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        panic!(
            "still running after {within:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    child.wait_with_output().unwrap()
}

/// How `child` exited, if it did within `within`.
fn exited_within(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + within;
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            return Some(exit);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `expires_at` (RFC 3339, as answers give it) is `lifetime` from now, less the little a test
/// takes to get there.
fn assert_expires_in(expires_at: &Value, lifetime: Duration) {
    let expires = humantime::parse_rfc3339(expires_at.as_str().unwrap()).unwrap();
    let left = expires
        .duration_since(std::time::SystemTime::now())
        .unwrap();
    assert!(
        left > lifetime - Duration::from_secs(60) && left <= lifetime,
        "{left:?} left of {lifetime:?}"
    );
}

fn assert_fails(out: &Output, code: i32, text: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains(text), "`{text}` not in: {stderr}");
}

fn http() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[test]
fn link_prints_json_whose_short_links_open_join_pages() {
    let (_broker, url) = start_broker();
    let out = run(
        &[
            "link",
            "--broker-url",
            &url,
            "--chat-id",
            "cli-visit",
            "--guests",
            "2",
            "--ttl",
            "2h",
            "--vertical",
            "gen",
            "--json",
        ],
        Some(TOKEN),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["chatId"], "cli-visit");
    assert_eq!(json["hosts"].as_array().unwrap().len(), 1);
    assert_eq!(json["guests"].as_array().unwrap().len(), 2);
    // The host signs in; guests join as guests.
    assert!(
        json["hosts"][0]["longUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{url}/gen/v1/login?int=jose&v=1&data=")),
        "{json}"
    );
    let guest = &json["guests"][0];
    assert!(
        guest["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{url}/visit/"))
    );
    assert_eq!(guest["url"], guest["shortUrl"]);
    assert!(
        guest["longUrl"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{url}/gen/v1/talk?int=jose&v=1&data="))
    );
    assert_expires_in(&json["expiresAt"], Duration::from_secs(7200));

    let redirect = http().get(guest["url"].as_str().unwrap()).send().unwrap();
    assert_eq!(redirect.status(), 302);
    assert_eq!(
        redirect.headers()["location"].to_str().unwrap(),
        guest["longUrl"].as_str().unwrap()
    );
    let page = http()
        .get(guest["longUrl"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().unwrap().contains("Virtual Visit - cli-visit"));
}

#[test]
fn link_prints_a_table_and_add_guest_joins_the_same_meeting() {
    let (_broker, url) = start_broker();
    let out = run(
        &["link", "--broker-url", &url, "--chat-id", "cli-table"],
        Some(TOKEN),
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("meeting cli-table  expires "),
        "{text}"
    );
    assert!(
        lines[2].starts_with(&format!("host   {url}/visit/")),
        "{text}"
    );
    assert!(
        lines[3].starts_with(&format!("guest  {url}/visit/")),
        "{text}"
    );

    let more = run(
        &[
            "add-guest",
            "--broker-url",
            &url,
            "--chat-id",
            "cli-table",
            "--guests",
            "2",
            "--no-short",
            "--json",
        ],
        Some(TOKEN),
    );
    assert!(
        more.status.success(),
        "{}",
        String::from_utf8_lossy(&more.stderr)
    );
    let json: Value = serde_json::from_slice(&more.stdout).unwrap();
    assert!(json["hosts"].as_array().unwrap().is_empty());
    let guests = json["guests"].as_array().unwrap();
    assert_eq!(guests.len(), 2);
    assert_eq!(guests[0]["shortUrl"], Value::Null);
    assert_eq!(guests[0]["url"], guests[0]["longUrl"]);
    let page = http()
        .get(guests[1]["url"].as_str().unwrap())
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("Virtual Visit - cli-table"));
}

#[test]
fn failures_exit_1_with_the_brokers_message_and_bad_input_exits_2() {
    let (_broker, url) = start_broker();
    let refused = run(
        &["link", "--broker-url", &url, "--chat-id", "x"],
        Some("wrong-token"),
    );
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(
        stderr.contains("the broker answered 401: The request requires a valid access token"),
        "{stderr}"
    );
    assert!(stderr.contains("(trackingId ICNODE_"), "{stderr}");

    let too_many = run(
        &[
            "link",
            "--broker-url",
            &url,
            "--chat-id",
            "x",
            "--hosts",
            "30",
        ],
        Some(TOKEN),
    );
    assert_eq!(too_many.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&too_many.stderr),
        "icnode: --hosts must be between 0 and 25, got 30; \
         --hosts + --guests together must be between 1 and 25, got 31\n"
    );
    let no_chat = run(
        &["link", "--broker-url", &url, "--chat-id", ""],
        Some(TOKEN),
    );
    assert_eq!(no_chat.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&no_chat.stderr),
        "icnode: --chat-id is required and must not be empty\n"
    );
    let negative = run(
        &[
            "link",
            "--broker-url",
            &url,
            "--chat-id",
            "x",
            "--ttl",
            "-5m",
        ],
        Some(TOKEN),
    );
    assert_fails(
        &negative,
        2,
        "must be a positive duration such as 15m, 2h or 1d, got `-5m`",
    );
    let endless = run(
        &[
            "link",
            "--broker-url",
            &url,
            "--chat-id",
            "x",
            "--ttl",
            "10000000d",
        ],
        Some(TOKEN),
    );
    assert_eq!(endless.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&endless.stderr),
        "icnode: --ttl is too long: the links would expire after 5138-11-16T09:46:40Z\n"
    );

    let no_token = run(&["link", "--broker-url", &url, "--chat-id", "x"], None);
    assert_fails(&no_token, 2, "set ICNODE_BROKER_TOKEN");

    // Port 1 refuses; a port freed by a dropped listener could be taken by another test.
    let closed = "http://127.0.0.1:1".to_owned();
    let unreachable = run(
        &["link", "--broker-url", &closed, "--chat-id", "x"],
        Some(TOKEN),
    );
    assert_eq!(unreachable.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unreachable.stderr);
    assert!(
        stderr.contains("could not connect to the broker") && stderr.contains("refused"),
        "{stderr}"
    );

    let usage = run(
        &[
            "link",
            "--chat-id",
            "x",
            "--ttl",
            "1h",
            "--exp",
            "2000000000",
        ],
        Some(TOKEN),
    );
    assert_eq!(usage.status.code(), Some(2), "--ttl conflicts with --exp");
    assert_eq!(run(&[], None).status.code(), Some(2));
    let bad_iterations = run(
        &[
            "broker",
            "--ephemeral",
            "--token",
            "t",
            "--iterations",
            "999",
        ],
        None,
    );
    assert_eq!(bad_iterations.status.code(), Some(2));

    // The broker's own rules, told in the words of the flag that broke them; a secret on the
    // command line is warned of, the token in its variable is not.
    for (flag, rule, warned) in [
        ("--token= ", "--token must not hold an empty token", true),
        ("--org-name= ", "--org-name must not be empty", false),
        ("--fault-token= ", "--fault-token must not be empty", true),
        (
            "--public-url=http://127.0.0.1:1/?q=1",
            "--public-url must have no query or fragment",
            false,
        ),
    ] {
        let mut broker = icnode();
        broker
            .args(["broker", "--ephemeral", "--listen", "127.0.0.1:0", flag])
            .env("ICNODE_BROKER_TOKENS", "t");
        let refused = ended_within(broker, Duration::from_secs(30));
        assert_fails(&refused, 2, rule);
        let said = String::from_utf8_lossy(&refused.stderr);
        assert_eq!(
            said.contains("on the command line can be read"),
            warned,
            "{said}"
        );
    }
}

#[test]
fn help_never_shows_secret_values() {
    let mut command = icnode();
    command
        .args(["broker", "--help"])
        .env("ICNODE_BROKER_SECRET", "hunter2-secret")
        .env("ICNODE_BROKER_TOKENS", "hunter2-token");
    let out = command.output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("--secret"), "{help}");
    assert!(!help.contains("hunter2"), "{help}");
    for command in [["serve", "--help"], ["keys", "list"]] {
        let mut help = icnode();
        help.args(command)
            .arg("--help")
            .env("ICNODE_DATABASE_URL", "postgres://icnode:hunter2@db/icnode");
        let text = String::from_utf8(help.output().unwrap().stdout).unwrap();
        assert!(text.contains("--database-url"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
    }
}

#[test]
fn up_prints_a_link_pair_that_opens_and_keeps_its_token_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (up, url) = service::start_up(&data);
    let host = up
        .line_with("  host ")
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    let guest = up
        .line_with("  guest ")
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned();
    // Own links of a meeting of the service, sent on to the broker's join pages.
    assert!(host.starts_with(&format!("{url}/l/")) && guest.starts_with(&format!("{url}/l/")));
    for link in [&host, &guest] {
        used_secret(link.rsplit('/').next().unwrap());
    }

    let following = reqwest::blocking::Client::new();
    let host_page = following.get(&host).send().unwrap();
    assert_eq!(host_page.status(), 200);
    assert!(host_page.url().path().ends_with("/v1/login"));
    assert!(
        host_page
            .text()
            .unwrap()
            .contains(r#"<strong id="role">host</strong>"#)
    );
    let guest_page = following.get(&guest).send().unwrap().text().unwrap();
    assert!(guest_page.contains(r#"<strong id="role">guest</strong>"#));

    let token_file = data.join("broker-token");
    assert_eq!(
        std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(&data).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // `/` is the console's: the broker's own home page is `icnode broker`'s alone.
    let home = following.get(format!("{url}/")).send().unwrap();
    assert_eq!(home.status(), 200);
    let home = home.text().unwrap();
    assert!(
        home.contains("<title>New meeting · icnode</title>"),
        "{home}"
    );
    assert!(!home.contains("icnode's local Instant Connect broker"));
    let token = std::fs::read_to_string(token_file).unwrap();
    let out = run(
        &[
            "link",
            "--broker-url",
            &url,
            "--chat-id",
            "after-up",
            "--json",
        ],
        Some(token.trim()),
    );
    assert!(
        out.status.success(),
        "the dev token works for link: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn flags_read_their_icnode_variables() {
    let (_broker, url) = start_broker();
    let mut command = icnode();
    command
        .args(["link", "--json"])
        .env("ICNODE_BROKER_URL", &url)
        .env("ICNODE_BROKER_TOKEN", TOKEN)
        .env("ICNODE_CHAT_ID", "from-the-environment")
        .env("ICNODE_GUESTS", "3");
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["chatId"], "from-the-environment");
    assert_eq!(json["guests"].as_array().unwrap().len(), 3);
}

#[test]
fn add_guest_links_last_as_long_as_the_meetings_unless_told() {
    let (_broker, url) = start_broker();
    let first = json_of(&[
        "link",
        "--broker-url",
        &url,
        "--chat-id",
        "long-visit",
        "--ttl",
        "3h",
        "--json",
    ]);
    let added = json_of(&[
        "add-guest",
        "--broker-url",
        &url,
        "--chat-id",
        "long-visit",
        "--json",
    ]);
    assert_eq!(added["expiresAt"], first["expiresAt"]);
    let shorter = json_of(&[
        "add-guest",
        "--broker-url",
        &url,
        "--chat-id",
        "long-visit",
        "--ttl",
        "10m",
        "--json",
    ]);
    assert_ne!(shorter["expiresAt"], first["expiresAt"]);

    let unknown = run(
        &[
            "add-guest",
            "--broker-url",
            &url,
            "--chat-id",
            "no-such-visit",
        ],
        Some(TOKEN),
    );
    assert_fails(&unknown, 2, "meeting `no-such-visit` has no links yet");

    // A broker without the local route (production) cannot say: the user is asked for the flags.
    let elsewhere = answering("404 Not Found", b"{}".to_vec());
    for (flags, told) in [
        (
            &[][..],
            "cannot tell how long meeting `visit-1`'s links last and which join pages they open \
             (only icnode's local broker can): give --ttl or --exp, and --vertical",
        ),
        (
            &["--ttl", "1h"][..],
            "cannot tell which join pages meeting `visit-1`'s links open (only icnode's local \
             broker can): give --vertical",
        ),
        (
            &["--vertical", "gen"][..],
            "cannot tell how long meeting `visit-1`'s links last (only icnode's local broker \
             can): give --ttl or --exp\n",
        ),
    ] {
        let base = [
            "add-guest",
            "--broker-url",
            &elsewhere,
            "--chat-id",
            "visit-1",
        ];
        let production = run(&[&base[..], flags].concat(), Some(TOKEN));
        assert_fails(&production, 2, told);
    }
}

#[test]
fn add_guest_opens_the_meetings_join_pages_unless_told() {
    let (_broker, url) = start_broker();
    let guest = |json: &Value| -> (String, String) {
        let guest = &json["guests"][0];
        let vt = node::claims(guest["cipher"].as_str().unwrap())["vt"]
            .as_str()
            .unwrap()
            .to_owned();
        (vt, guest["longUrl"].as_str().unwrap().to_owned())
    };
    let base = [
        "--broker-url",
        url.as_str(),
        "--chat-id",
        "gen-visit",
        "--json",
    ];
    let first = json_of(&[&["link", "--vertical", "gen"], &base[..]].concat());
    let (vt, long_url) = guest(&first);
    assert_eq!(vt, "gen");
    assert!(
        long_url.starts_with(&format!("{url}/gen/v1/talk?")),
        "{long_url}"
    );

    // Told nothing, add-guest asks the local broker; told, it does as told.
    let added = json_of(&[&["add-guest"], &base[..]].concat());
    let (vt, long_url) = guest(&added);
    assert_eq!(vt, "gen", "the meeting's vertical, not the default hc");
    assert!(
        long_url.starts_with(&format!("{url}/gen/v1/talk?")),
        "{long_url}"
    );
    assert_eq!(added["expiresAt"], first["expiresAt"]);
    let told = json_of(&[&["add-guest", "--vertical", "cc", "--ttl", "5m"], &base[..]].concat());
    let (vt, long_url) = guest(&told);
    assert_eq!(vt, "cc");
    assert!(
        long_url.starts_with(&format!("{url}/cc/v1/talk?")),
        "{long_url}"
    );
    assert_ne!(told["expiresAt"], first["expiresAt"]);
    // The meeting still opens as its first links did.
    let again = json_of(&[&["add-guest", "--ttl", "5m"], &base[..]].concat());
    assert_eq!(guest(&again).0, "gen");
}

#[test]
fn a_second_broker_on_one_data_dir_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let args = [
        "broker",
        "--listen",
        "127.0.0.1:0",
        "--data-dir",
        data,
        "--token",
        TOKEN,
    ];
    let mut first = icnode();
    first.args(args);
    let first = Server::start(first);
    first.line_with("listening on");
    let mut second = icnode();
    second.args(args);
    let second = ended_within(second, Duration::from_secs(30));
    assert_fails(
        &second,
        1,
        &format!("the data directory {data} is in use by another broker"),
    );
}

/// A broker told no token makes one, keeps it owner-only in its data directory and says where;
/// that token is the one it takes. Told its tokens, it says so.
#[test]
fn a_broker_keeps_the_token_it_makes_in_its_data_dir_and_says_where() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut command = icnode();
    command.args(["broker", "--listen", "127.0.0.1:0", "--iterations", "1000"]);
    command.arg("--data-dir").arg(dir.path());
    let server = Server::start(command);
    let url = server.word_after("listening on");
    let file = dir.path().join("broker-token");
    assert_eq!(
        server.line_with("token"),
        format!(
            "token kept in {} (use it as ICNODE_BROKER_TOKEN)",
            file.display()
        )
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let token = std::fs::read_to_string(&file).unwrap();
    used_secret(token.trim());
    let link = |token: &str| {
        run(
            &["link", "--broker-url", &url, "--chat-id", "kept-token"],
            Some(token),
        )
    };
    assert!(link(token.trim()).status.success());
    assert_fails(&link(TOKEN), 1, "401");

    let (told, _) = start_broker();
    assert_eq!(told.line_with("token"), "tokens: as given");
}

/// `--org-id`, `--org-name` and `--public-url` are what the broker says it is and what its
/// links carry: the org as each token's issuer, the public address in each short link.
#[test]
fn a_broker_is_the_org_and_the_public_address_it_is_told() {
    let org_id = "5f1c2d3e-0000-4000-8000-00000000abcd";
    let (server, url) = start_broker_with(&[
        "--org-id",
        org_id,
        "--org-name",
        "Clinic Seven",
        "--public-url",
        "http://visits.test/ic",
    ]);
    assert_eq!(server.word_after("public URL"), "http://visits.test/ic");
    assert_eq!(
        server.line_with("org "),
        format!("org {org_id} (Clinic Seven)")
    );
    let links = json_of(&[
        "link",
        "--broker-url",
        &url,
        "--chat-id",
        "org-cli",
        "--json",
    ]);
    let guest = &links["guests"][0];
    assert!(
        guest["shortUrl"]
            .as_str()
            .unwrap()
            .starts_with("http://visits.test/ic/visit/"),
        "{guest}"
    );
    let claims = node::claims(guest["cipher"].as_str().unwrap());
    assert_eq!(claims["iss"], org_id, "{claims}");
}

#[test]
fn a_strict_broker_refuses_what_a_lenient_one_warns_about() {
    let (_server, url) = start_broker_with(&["--strict", "--token-ttl", "12h"]);
    let body = serde_json::json!({"aud": "a4d886b0-979f-4e2c-a958-3e8c14605e51",
        "jwt": {"sub": "strict-cli", "Exp": 1}});
    let refused = http()
        .post(format!("{url}/api/v2/joseencrypt"))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    let out = run(
        &["link", "--broker-url", &url, "--chat-id", "strict-cli"],
        Some(TOKEN),
    );
    assert!(
        out.status.success(),
        "documented requests pass: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let home = http()
        .get(format!("{url}/"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(home.contains("Strict: it refuses"), "{home}");
    assert!(home.contains("Tokens are refused 12h after"), "{home}");
}

/// The CLI's window is the service's (`server::domain::window`): an expiry already past, a time
/// in milliseconds and a chat id with a control character are refused before the broker is
/// asked, and links that start later last the default lifetime from their start.
#[test]
fn link_keeps_the_services_window_rules_in_its_flags_words() {
    let (_broker, url) = start_broker();
    let link = |extra: &[&str]| {
        let mut args = vec!["link", "--broker-url", url.as_str(), "--json"];
        args.extend_from_slice(extra);
        run(&args, Some(TOKEN))
    };
    let past = link(&["--chat-id", "past", "--exp", "2020-01-01T00:00:00Z"]);
    assert_fails(
        &past,
        2,
        "--exp must be in the future: 2020-01-01T00:00:00Z",
    );
    let milliseconds = link(&["--chat-id", "ms", "--exp", "1800000000000"]);
    assert_fails(
        &milliseconds,
        2,
        "--exp must be before 5138-11-16T09:46:40Z",
    );
    let control = link(&["--chat-id", "line\nbreak"]);
    assert_fails(&control, 2, "--chat-id must not contain control characters");

    let naive = link(&["--chat-id", "naive", "--exp", "2030-01-15T09:00:00"]);
    assert_fails(&naive, 2, "--exp `2030-01-15T09:00:00` has no offset");
    assert_fails(&naive, 2, "or give --time-zone");
    let zoned = link(&[
        "--chat-id",
        "zoned",
        "--exp",
        "2030-01-15T09:00:00",
        "--time-zone",
        "America/New_York",
    ]);
    let json: Value = serde_json::from_slice(&zoned.stdout).unwrap();
    assert_eq!(json["expiresAt"], "2030-01-15T14:00:00Z");
    let offset = link(&["--chat-id", "offset", "--exp", "2030-01-15T09:00:00-05:00"]);
    let json: Value = serde_json::from_slice(&offset.stdout).unwrap();
    assert_eq!(json["expiresAt"], "2030-01-15T14:00:00Z");

    let start = "2030-01-15T09:00:00Z";
    let later = link(&["--chat-id", "later", "--nbf", start]);
    assert!(
        later.status.success(),
        "{}",
        String::from_utf8_lossy(&later.stderr)
    );
    let json: Value = serde_json::from_slice(&later.stdout).unwrap();
    assert_eq!(json["expiresAt"], "2030-01-15T09:15:00Z");
}

#[test]
fn links_last_15_minutes_by_default_and_the_brokers_warnings_are_passed_on() {
    let (_broker, url) = start_broker();
    let out = run(
        &[
            "link",
            "--broker-url",
            &url,
            "--chat-id",
            "cc-visit",
            "--vertical",
            "cc",
            "--json",
        ],
        Some(TOKEN),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_expires_in(&json["expiresAt"], Duration::from_secs(15 * 60));
    let warning = "verticalType: `cc` is not in the developer guide (`hc`, `gen`); its links open the /cc/ join pages";
    assert_eq!(json["warnings"], serde_json::json!([warning]));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("icnode: the broker warned: {warning}\n")
    );
    assert!(
        json["guests"][0]["longUrl"]
            .as_str()
            .unwrap()
            .contains("/cc/v1/talk?int=jose&v=1&data=")
    );
}

#[test]
fn the_brokers_fault_and_throttle_flags_act_and_a_bad_fault_names_the_flag() {
    let (_server, url) = start_broker_with(&[
        "--fault",
        "status=503,times=1",
        "--fault-token",
        "fault-cli-token",
        "--throttle",
        "3",
    ]);
    let probe = || {
        http()
            .post(format!("{url}/api/v2/joseencrypt"))
            .bearer_auth(TOKEN)
            .json(&serde_json::json!({}))
            .send()
            .unwrap()
    };
    let first = probe();
    assert_eq!(first.status(), 503);
    assert_eq!(first.headers()["retry-after"], "1");
    // The fault ran out. The throttle counts requests that reached the broker's work, so
    // the refused one is not among its three.
    for _ in 0..3 {
        assert_eq!(probe().status(), 400);
    }
    assert_eq!(probe().status(), 429);
    let report: serde_json::Value = http()
        .get(format!("{url}/_icnode/faults"))
        .bearer_auth("fault-cli-token")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(report["injected"]["status"], 1, "{report}");
    assert_eq!(report["faults"][0]["times"], 0, "{report}");

    for (fault, said) in [
        ("meteor", "unknown fault `meteor`"),
        ("drop@2", "must be between 0 and 1"),
    ] {
        let out = run(
            &["broker", "--ephemeral", "--token", TOKEN, "--fault", fault],
            None,
        );
        assert_fails(&out, 2, "--fault");
        assert_fails(&out, 2, said);
    }
}

#[test]
fn a_fault_seed_makes_a_brokers_faults_at_a_rate_meet_the_same_requests() {
    let refused_with = |seed: &str| {
        let (_server, url) =
            start_broker_with(&["--fault", "status=503@0.5", "--fault-seed", seed]);
        (0..40)
            .map(|_| {
                let status = http()
                    .post(format!("{url}/api/v2/joseencrypt"))
                    .bearer_auth(TOKEN)
                    .json(&serde_json::json!({}))
                    .send()
                    .unwrap()
                    .status();
                status == 503
            })
            .collect::<Vec<bool>>()
    };
    let first = refused_with("7");
    assert!(first.contains(&true) && first.contains(&false), "{first:?}");
    assert_eq!(refused_with("7"), first, "the same seed, the same requests");
    assert_ne!(refused_with("8"), first, "another seed, others");
}

#[test]
fn a_broker_token_file_others_can_read_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (_server, url) = start_broker();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("{TOKEN}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = [
        "link",
        "--broker-url",
        &url,
        "--chat-id",
        "token-file",
        "--broker-token-file",
        file.to_str().unwrap(),
    ];
    let out = run(&args, None);
    assert_fails(&out, 2, "can be read by other users (mode 644)");
    assert_fails(&out, 2, "chmod 600");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `head`, then a byte every 200 ms, until the server closes the connection (or 30 s
/// pass); what the server said meanwhile.
fn trickle(address: &str, head: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let started = std::time::Instant::now();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while started.elapsed() < Duration::from_secs(30) {
        if stream.write_all(b"x").is_err() {
            break;
        }
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => break,
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the connection was held for 30 s"
    );
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn the_standalone_broker_cuts_off_clients_that_trickle_bytes() {
    let (_server, url) = start_broker();
    let address = url.trim_start_matches("http://").to_owned();
    let headers = {
        let address = address.clone();
        std::thread::spawn(move || {
            trickle(
                &address,
                "POST /api/v2/joseencrypt HTTP/1.1\r\nhost: x\r\nx-slow: ",
            )
        })
    };
    let body = trickle(
        &address,
        &format!(
            "POST /api/v2/joseencrypt HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {TOKEN}\r\n\
             content-type: application/json\r\ncontent-length: 1000\r\n\r\n"
        ),
    );
    assert!(body.starts_with("HTTP/1.1 408"), "{body}");
    assert!(body.contains("body_timeout"), "{body}");
    headers.join().unwrap();
}
