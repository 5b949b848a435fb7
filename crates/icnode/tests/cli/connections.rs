//! A process that serves holds up against connections that say nothing: under a low
//! descriptor limit, hundreds of silent sockets neither take the service down nor outlast the
//! first request's deadline, and the soft limit is raised to the hard one at start.

use std::io::Read;
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::Server;

/// `icnode up` with an empty data directory under `prlimit --nofile=SOFT:HARD`.
fn up_under_descriptor_limit(
    data: &std::path::Path,
    soft: u32,
    hard: u32,
    extra: &[&str],
) -> (Server, String) {
    let mut command = Command::new("prlimit");
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("ICNODE_")) {
        command.env_remove(name);
    }
    command
        .arg(format!("--nofile={soft}:{hard}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_icnode"))
        .args(["up", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .args(extra);
    let up = Server::start(command);
    let url = up.word_after("icnode is up at");
    (up, url)
}

/// The soft limit of open files of process `pid`, from `/proc`.
fn open_file_limit(pid: u32) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

#[test]
fn silent_sockets_past_the_descriptor_limit_neither_take_the_service_down_nor_outlast_their_deadline()
 {
    let dir = tempfile::tempdir().unwrap();
    let (up, url) = up_under_descriptor_limit(
        &dir.path().join("data"),
        256,
        256,
        &["--header-timeout", "1s"],
    );
    let address = url.trim_start_matches("http://").to_owned();
    let health = format!("{url}/healthz");
    let http = reqwest::blocking::Client::new();
    assert_eq!(http.get(&health).send().unwrap().status(), 200);

    let opened = Instant::now();
    let mut silent: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(&address).unwrap())
        .collect();
    // Every one is closed by the service: those past the cap at once, the rest at the deadline.
    for stream in &mut silent {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(0) => {}
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => {}
            other => panic!("a silent connection is held: {other:?}"),
        }
    }
    assert!(
        opened.elapsed() < Duration::from_secs(8),
        "{:?}",
        opened.elapsed()
    );
    // The process is alive and answers while the test still holds its 300 sockets.
    assert_eq!(http.get(&health).send().unwrap().status(), 200);
    drop(up);

    // A soft limit below the hard one is raised to it at start.
    let dir = tempfile::tempdir().unwrap();
    let (up, _) = up_under_descriptor_limit(&dir.path().join("data"), 256, 4096, &[]);
    assert_eq!(open_file_limit(up.child.id()), 4096);
}

#[test]
fn the_broker_refuses_a_trusted_proxy_it_would_not_read() {
    let out = crate::icnode()
        .args(["broker", "--ephemeral", "--listen", "127.0.0.1:0"])
        .args(["--trusted-proxy", "10.0.0.1"])
        .env("ICNODE_BROKER_TOKENS", crate::TOKEN)
        .output()
        .unwrap();
    crate::assert_fails(
        &out,
        2,
        "--trusted-proxy: the broker reads no X-Forwarded-For",
    );
}
