//! Where a public-only engine (the console's imported nodes) may connect: every address it
//! would reach is checked, the OAuth 2.0 token endpoint's as the resource's, no proxy from the
//! environment connects in its place, and a token is only ever reused with the credentials
//! that fetched it.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use node::{Edge, Engine, Secrets};
use serde_json::json;

use crate::run::{at, counting, definition, engine, oauth_node, oauth_world, usual};

#[tokio::test]
async fn a_token_endpoint_at_a_local_address_is_refused_before_any_credential_is_sent() {
    let world = oauth_world().await;
    let (resource, count) = counting(std::time::Duration::ZERO).await;
    // The token endpoint is an IP literal on loopback; the resource a name (checked as it
    // resolves), so the token step is the first to meet a local address.
    let token_base: url::Url = format!("http://127.0.0.1:{}/", world.base.port().unwrap())
        .parse()
        .unwrap();
    let resource: url::Url = format!("http://localhost:{}/", resource.port().unwrap())
        .parse()
        .unwrap();
    let run = crate::run::oauth_engine("cs-1")
        .with_destinations(node::Destinations::Public)
        .run(
            &oauth_node(&token_base, json!({"type": "clientCredentials"})),
            "Send",
            &usual(),
            &at(&resource),
        )
        .await
        .unwrap();
    assert_eq!((run.edge, run.status), (Edge::Error, None));
    let error = run.error.unwrap();
    assert!(error.contains("private or local address"), "{error}");
    assert_eq!(
        world.issued.load(Ordering::SeqCst),
        0,
        "no token was asked for"
    );
    assert_eq!(count.load(Ordering::SeqCst), 0, "nothing was sent");
}

#[tokio::test]
async fn a_cached_token_is_given_only_to_runs_with_the_credentials_that_fetched_it() {
    let world = oauth_world().await;
    let token_url = format!("{}token", world.base);
    let node = definition(move |d| {
        let m = &mut d["methods"][0];
        m["headers"] = json!([{"type": "dynamic", "name": "X-Trace", "field": "trace"}]);
        m["authorization"] = json!({"type": "oauth2", "tokenUrl": token_url,
            "clientId": {"type": "static", "value": "client"},
            "clientSecret": {"type": "dynamic", "field": "secret"},
            "grant": {"type": "clientCredentials"}, "scopes": ["tickets"]});
        m["outputs"] = json!([{"name": "token", "source": {"type": "body", "path": "$.token"}}]);
        m["computedOutputs"] = json!([]);
    });
    let engine = Engine::new(Secrets::from_pairs([("api_token", "tok-123")]));
    let with_secret = |secret: &str| {
        let mut params = usual();
        params.insert("secret".into(), secret.into());
        params
    };
    let run = engine
        .run(&node, "Send", &with_secret("cs-1"), &at(&world.base))
        .await
        .unwrap();
    assert_eq!(run.edge, Edge::Success, "{run:?}");
    assert_eq!(world.issued.load(Ordering::SeqCst), 1);

    let wrong = engine
        .run(&node, "Send", &with_secret("wrong"), &at(&world.base))
        .await
        .unwrap();
    assert_eq!((wrong.edge, wrong.status), (Edge::Error, None), "{wrong:?}");
    assert!(
        wrong
            .error
            .as_deref()
            .unwrap()
            .contains("no OAuth 2.0 token"),
        "{wrong:?}"
    );

    let again = engine
        .run(&node, "Send", &with_secret("cs-1"), &at(&world.base))
        .await
        .unwrap();
    assert_eq!(
        again.outputs["token"],
        json!(1),
        "the right secret's token, cached"
    );
    assert_eq!(world.issued.load(Ordering::SeqCst), 1);
}

/// Set in the child process this test starts with a proxy in its environment.
const CHILD: &str = "ICNODE_TEST_PROXY_CHILD";

/// A proxy on loopback that answers 200 to anything and counts the connections it is given.
fn counting_proxy() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
        }
    });
    (address, count)
}

/// A proxy from `HTTP_PROXY`/`ALL_PROXY` would connect in the run's place: the engine's
/// resolver would see only the proxy's address. The environment is the process's, so the
/// runs happen in a child process of this test binary, started with the proxy set.
#[test]
fn a_public_only_engine_takes_no_proxy_from_the_environment() {
    if let Ok(destinations) = std::env::var(CHILD) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let target: url::Url = "http://localhost:9/".parse().unwrap();
        let engine = match destinations.as_str() {
            "public" => engine().with_destinations(node::Destinations::Public),
            _ => engine(),
        };
        let run = runtime
            .block_on(engine.run(&definition(|_| {}), "Send", &usual(), &at(&target)))
            .unwrap();
        println!("edge={:?} error={:?}", run.edge, run.error);
        return;
    }
    let (proxy, count) = counting_proxy();
    let child = |destinations: &str| {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "destinations::a_public_only_engine_takes_no_proxy_from_the_environment",
                "--nocapture",
            ])
            .env(CHILD, destinations)
            .env("HTTP_PROXY", format!("http://{proxy}"))
            .env("ALL_PROXY", format!("http://{proxy}"))
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let public = child("public");
    assert!(public.contains("private or local address"), "{public}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "the proxy was never asked");
    // The same run by an engine that may reach anything goes through the proxy, as the
    // operator's environment says: the test's proxy is seen.
    let any = child("any");
    assert!(any.contains("edge=Success"), "{any}");
    assert_eq!(count.load(Ordering::SeqCst), 1);
}
