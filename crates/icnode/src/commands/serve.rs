//! `icnode serve`: the node service alone, against any broker.

use secrecy::ExposeSecret;
use server::settings::{IN_MEMORY_DATABASE, TlsFiles, sqlite_url_in};
use server::{Application, Settings, StartError};

use super::connection::{broker_token, join_urls};
use super::error::CliError;
use super::process::{bind, dev_key, init_logging, owner_only_dir, shown, shutdown_signal};
use crate::cli::{ConnectionOptions, ServiceArgs, ServiceOptions};

pub async fn serve(args: ServiceArgs) -> Result<(), CliError> {
    init_logging(args.serve.log_format);
    let token = broker_token(&args.connection)?;
    let join = join_urls(&args.connection)?;
    let database_url = match (&args.database_url, args.serve.ephemeral) {
        (Some(url), _) => url.0.clone(),
        (None, true) => IN_MEMORY_DATABASE.to_owned(),
        (None, false) => {
            owner_only_dir(&args.serve.data_dir)?;
            sqlite_url_in(&args.serve.data_dir)
        }
    };
    let mut settings = Settings::new(database_url, args.connection.broker_url.clone(), token);
    settings.listen = args.serve.listen;
    settings.broker.timeout = args.connection.timeout;
    settings.broker.join_url = Some(
        url::Url::parse(join.base()).map_err(|e| CliError::Usage(format!("--join-url: {e}")))?,
    );
    apply(&mut settings, &args.service);
    apply_connections(&mut settings, &args.serve.connections);
    settings.tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ => None,
    };
    let (listener, _) = bind(&args.serve).await?;
    let app = Application::with_listener(listener, settings)
        .await
        .map_err(start_error)?;
    // An in-memory database is out of reach of `icnode keys`: the service makes its key.
    let memory_key = if args.serve.ephemeral && args.database_url.is_none() {
        dev_key(app.store(), None).await?
    } else {
        None
    };
    let scheme = if app.is_tls() { "https" } else { "http" };
    println!("icnode serve listening on {scheme}://{}", app.local_addr());
    if let Some(key) = memory_key {
        println!(
            "API key (in memory, shown this once): {}",
            key.expose_secret()
        );
    }
    println!(
        "broker {} ({} database)",
        shown(&args.connection.broker_url),
        app.store().backend().as_str()
    );
    app.run_until_stopped(shutdown_signal())
        .await
        .map_err(|e| CliError::Runtime(format!("the server failed: {e}")))
}

/// The service options `up` and `serve` share.
pub(super) fn apply(settings: &mut Settings, options: &ServiceOptions) {
    settings.default_ttl = options.default_ttl;
    settings.short_urls = !options.long_urls;
    if options.opaque_subjects {
        settings.subjects = server::domain::Subjects::Opaque;
    }
    settings.node_dir = options.node_dir.clone();
    settings.node_imports = options.allow_node_import;
    if options.allow_private_node_addresses {
        settings.imported_node_destinations = node::Destinations::Any;
    }
    if options.allow_private_webhook_addresses {
        settings.webhook_destinations = node::Destinations::Any;
    }
    if options.presence_from_broker {
        settings.presence_every = Some(server::settings::PRESENCE_EVERY);
    }
    settings.rate_limit_per_minute = options.rate_limit;
    settings.idempotency_ttl = options.idempotency_ttl;
    settings.retain = options.retain;
    settings.link_times = options.link_times();
    settings.host_alert_after = options.alert_host_after;
    settings.mail = options.mail();
    settings.job_lease = options.job_lease;
    settings.public_url = options.public_url.clone();
    settings.broker.retry = resilience::RetryPolicy::with_retries(options.broker_retries);
    settings.node_retry = resilience::RetryPolicy::with_retries(options.node_retries);
    settings.broker.breaker = resilience::BreakerSettings {
        failures: options.circuit_failures,
        open_for: options.circuit_open_for,
    };
}

/// The connection options every serving command has.
pub(super) fn apply_connections(settings: &mut Settings, options: &ConnectionOptions) {
    settings.connections = options.rules();
    settings.trusted_proxies = options.trusted_proxies.clone();
}

/// A start-up failure: the user's when a file or address they named is at fault.
pub(super) fn start_error(error: StartError) -> CliError {
    match error {
        StartError::Nodes(_)
        | StartError::Tls { .. }
        | StartError::JoinUrl(_)
        | StartError::Mail(_) => CliError::usage(&error),
        other => CliError::runtime(&other),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// `up` and `serve` hand the service their `--retain` through the one `apply` they share.
    #[test]
    fn the_service_is_given_its_retention() {
        let cli = Cli::try_parse_from(["icnode", "up", "--retain", "30d"]).unwrap();
        let Command::Up(up) = cli.command else {
            panic!("not up");
        };
        let broker = url::Url::parse("http://127.0.0.1:1").unwrap();
        let mut settings = Settings::new(IN_MEMORY_DATABASE, broker, "token".into());
        assert_eq!(settings.retain, None);
        apply(&mut settings, &up.service);
        assert_eq!(
            settings.retain,
            Some(std::time::Duration::from_secs(30 * 24 * 60 * 60))
        );
    }

    /// `serve` hands the service its `--visit-lead` and `--visit-grace` through `apply`.
    #[test]
    fn the_service_is_given_its_visits_link_times() {
        let args = [
            "icnode",
            "serve",
            "--visit-lead",
            "0s",
            "--visit-grace",
            "1h",
        ];
        let Command::Serve(serve) = Cli::try_parse_from(args).unwrap().command else {
            panic!("not serve");
        };
        let broker = url::Url::parse("http://127.0.0.1:1").unwrap();
        let mut settings = Settings::new(IN_MEMORY_DATABASE, broker, "token".into());
        assert_eq!(settings.link_times, server::domain::LinkTimes::default());
        apply(&mut settings, &serve.service);
        assert_eq!(
            settings.link_times,
            server::domain::LinkTimes {
                lead: std::time::Duration::ZERO,
                grace: std::time::Duration::from_secs(60 * 60),
            }
        );
    }

    /// `serve` reads presence and alerts hosts only when told to.
    #[test]
    fn the_service_is_given_presence_and_host_alerts_when_asked() {
        let parse = |args: &[&str]| {
            let Command::Serve(serve) = Cli::try_parse_from(args).unwrap().command else {
                panic!("not serve");
            };
            let broker = url::Url::parse("http://127.0.0.1:1").unwrap();
            let mut settings = Settings::new(IN_MEMORY_DATABASE, broker, "token".into());
            apply(&mut settings, &serve.service);
            (settings.presence_every, settings.host_alert_after)
        };
        assert_eq!(parse(&["icnode", "serve"]), (None, None));
        assert_eq!(
            parse(&[
                "icnode",
                "serve",
                "--presence-from-broker",
                "--alert-host-after",
                "5m"
            ]),
            (
                Some(server::settings::PRESENCE_EVERY),
                Some(std::time::Duration::from_secs(5 * 60))
            )
        );
    }
}
