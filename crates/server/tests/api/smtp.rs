//! A real SMTP server for the tests of visits' email: aiosmtpd (from PyPI, in
//! `target/pytools`) keeping every message in a Maildir, read back with Python's standard
//! MIME parser and the `icalendar` library (`tests/mail/read_maildir.py`). Not a mock: the
//! service speaks SMTP to it over loopback.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const PYTHON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../target/pytools/bin/python"
);
const READER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail/read_maildir.py");

pub struct SmtpSink {
    child: Child,
    pub port: u16,
    maildir: PathBuf,
    _dir: tempfile::TempDir,
}

/// The tools' Python with aiosmtpd and icalendar, or `None` (said; a failure under `CI=true`).
fn python() -> Option<PathBuf> {
    let python = PathBuf::from(PYTHON);
    let usable = Command::new(&python)
        .args(["-c", "import aiosmtpd, icalendar"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if usable {
        return Some(python);
    }
    let reason = "aiosmtpd and icalendar are not installed (.ci/run puts them in target/pytools)";
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {reason}");
    }
    eprintln!("skipped: {reason}");
    None
}

impl SmtpSink {
    /// Starts the server on a free loopback port and waits until it answers.
    pub async fn start() -> Option<Self> {
        let python = python()?;
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            probe.local_addr().unwrap().port()
        };
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let sink = Self {
            child,
            port,
            maildir,
            _dir: dir,
        };
        sink.wait_until_listening().await;
        Some(sink)
    }

    async fn wait_until_listening(&self) {
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd never listened"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops the server (the next message to it fails) and starts it again on the same port
    /// and Maildir.
    pub async fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub async fn restart(&mut self) {
        self.child = Command::new(PYTHON)
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
            ])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&self.maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.wait_until_listening().await;
    }

    /// Every message it kept, oldest first, as the reader parsed it.
    pub fn messages(&self) -> Vec<Value> {
        if !self.maildir.join("new").exists() {
            return Vec::new();
        }
        let output = Command::new(PYTHON)
            .arg(READER)
            .arg(&self.maildir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// Waits until it has kept `count` messages; all of them.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} of {count} messages: {messages:#?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
