//! `icnode broker`: the local broker alone, served as the service serves itself.

use secrecy::SecretString;

use super::error::CliError;
use super::local_broker::{broker_settings, open};
use super::process::{bind, data_dir, init_logging, shown, shutdown_signal};
use crate::cli::BrokerArgs;

pub async fn broker(args: BrokerArgs) -> Result<(), CliError> {
    init_logging(args.serve.log_format);
    if !args.serve.connections.trusted_proxies.is_empty() {
        return Err(CliError::Usage(
            "--trusted-proxy: the broker reads no X-Forwarded-For (it counts derivations by the \
             peer's address); it is for `up` and `serve`"
                .into(),
        ));
    }
    if args.serve.ephemeral && args.tokens.is_empty() {
        return Err(CliError::Usage(
            "--ephemeral needs --token or ICNODE_BROKER_TOKENS: a generated token would be unknowable".into(),
        ));
    }
    let (listener, bound_url) = bind(&args.serve).await?;
    let settings = broker::BrokerSettings {
        public_url: args.public_url,
        tokens: args.tokens.into_iter().map(SecretString::from).collect(),
        token_ttl: args.token_ttl,
        secret: args.secret.map(SecretString::from),
        org_id: args.org_id,
        org_name: args.org_name,
        strict: args.strict,
        throttle_per_minute: args.throttle,
        faults: args.faults,
        fault_seed: args.fault_seed,
        fault_token: args.fault_token.map(SecretString::from),
        ..broker_settings(data_dir(&args.serve), &args.pbes2)
    };
    let broker = open(settings, &bound_url).await?;
    println!("icnode broker listening on {}", shown(&bound_url));
    println!("public URL {}", broker.public_url());
    println!("org {} ({})", broker.org().org_id, broker.org().org_name);
    match (&broker.generated_token(), data_dir(&args.serve)) {
        (Some(_), Some(dir)) => println!(
            "token kept in {} (use it as ICNODE_BROKER_TOKEN)",
            dir.join(broker::identity::TOKEN_FILE).display()
        ),
        _ => println!("tokens: as given"),
    }
    // Served as the service serves itself: slow clients are cut off.
    server::serve_router(
        listener,
        broker.router(),
        args.serve.connections.rules(),
        shutdown_signal(),
    )
    .await
    .map_err(|e| CliError::Runtime(format!("the server failed: {e}")))
}
