//! Per-method TLS against real rustls servers on port 0, with certificates made in the test:
//! a private CA in the trust store, a client certificate for mutual TLS, a minimum version.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use node::{Edge, Engine, RunError, RunOptions, Secrets};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use serde_json::{Value, json};

struct Pki {
    ca_pem: String,
    ca_der: CertificateDer<'static>,
    server: (CertificateDer<'static>, PrivateKeyDer<'static>),
    client_pem: (String, String),
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca, &ca_key)
        .unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["flow-client".to_owned()])
        .unwrap()
        .signed_by(&client_key, &ca, &ca_key)
        .unwrap();
    Pki {
        ca_pem: ca.pem(),
        ca_der: ca.der().clone(),
        server: (
            server.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
        ),
        client_pem: (client.pem(), client_key.serialize_pem()),
    }
}

/// An HTTPS server for `localhost` that requires a client certificate from the CA, speaking only
/// the given TLS versions.
async fn mtls_server(
    pki: &Pki,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der.clone()).unwrap();
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(vec![pki.server.0.clone()], pki.server.1.clone_key())
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let router = Router::new().route(
        "/hello",
        get(|| async { axum::Json(json!({"hello": "mtls"})) }),
    );
    let config = axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config));
    tokio::spawn(async move {
        axum_server::from_tcp_rustls(listener, config)
            .serve(router.into_make_service())
            .await
            .unwrap()
    });
    address
}

fn tls_node(address: SocketAddr, tls: Value) -> node::NodeDefinition {
    let definition = json!({
        "name": "Private",
        "methods": [{
            "name": "Hello",
            "requestTimeoutMs": 3000,
            "connectionTimeoutMs": 3000,
            "httpMethod": "GET",
            "url": format!("https://localhost:{}/hello", address.port()),
            "tls": tls,
            "events": [{"name": "Ok", "source": {"type": "status"}, "condition": "equals", "value": "200", "edge": "success"}],
            "outputs": [{"name": "hello", "source": {"type": "body", "path": "$.hello"}}]
        }]
    });
    node::load(&definition.to_string()).unwrap_or_else(|p| panic!("{p:#?}"))
}

/// No answer came: the handshake failed, and the run left by the error edge.
fn assert_no_handshake(result: &node::RunResult) {
    assert_eq!(
        (result.edge, result.status),
        (Edge::Error, None),
        "{result:#?}"
    );
}

async fn hello(node: &node::NodeDefinition, key_pem: &str) -> Result<node::RunResult, RunError> {
    Engine::new(Secrets::from_pairs([("client_key", key_pem)]))
        .run(node, "Hello", &BTreeMap::new(), &RunOptions::default())
        .await
}

#[tokio::test]
async fn mutual_tls_needs_the_trusted_ca_and_the_client_certificate() {
    let pki = pki();
    let address = mtls_server(&pki, &[&rustls::version::TLS13, &rustls::version::TLS12]).await;
    let (client_cert, client_key) = &pki.client_pem;
    let full = json!({"trustStore": pki.ca_pem, "clientCertificate": client_cert,
                      "clientKey": "$(secret:client_key)", "minVersion": "1.2"});

    let result = hello(&tls_node(address, full.clone()), client_key)
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:#?}");
    assert_eq!(result.outputs["hello"], "mtls");

    // Without the private CA the server's certificate is not trusted.
    let mut untrusted = full.clone();
    untrusted.as_object_mut().unwrap().remove("trustStore");
    let result = hello(&tls_node(address, untrusted), client_key)
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Error);
    let error = result.error.unwrap();
    assert!(error.contains("certificate"), "{error}");

    // Without a client certificate the server ends the handshake: no answer, the error edge.
    let result = hello(
        &tls_node(address, json!({"trustStore": pki.ca_pem})),
        client_key,
    )
    .await
    .unwrap();
    assert_no_handshake(&result);

    // A key that is no PEM is refused before anything is sent, naming the settings.
    let refused = hello(&tls_node(address, full), "not a key")
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, RunError::Tls(why) if why.contains("clientCertificate and clientKey")),
        "{refused:?}"
    );
}

#[tokio::test]
async fn a_minimum_of_tls_1_3_does_not_talk_to_a_tls_1_2_server() {
    let pki = pki();
    let address = mtls_server(&pki, &[&rustls::version::TLS12]).await;
    let (client_cert, client_key) = &pki.client_pem;
    let tls = |min: &str| {
        json!({"trustStore": pki.ca_pem, "clientCertificate": client_cert,
               "clientKey": "$(secret:client_key)", "minVersion": min})
    };
    let result = hello(&tls_node(address, tls("1.2")), client_key)
        .await
        .unwrap();
    assert_eq!(result.edge, Edge::Success, "{result:#?}");
    let result = hello(&tls_node(address, tls("1.3")), client_key)
        .await
        .unwrap();
    assert_no_handshake(&result);
}
