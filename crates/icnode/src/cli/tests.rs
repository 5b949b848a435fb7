//! The command line's own checks: every flag's variable, the README's lines, the bounds and
//! defaults the flags take from the service.

use super::values::DurationError;
use super::visit;
use super::*;
use clap::CommandFactory;

/// Flags whose variable is not `ICNODE_` + the long name: they share the broker's names,
/// or one variable holds the values of a repeated flag.
const RENAMED: [(&str, &str); 4] = [
    ("token", "ICNODE_BROKER_TOKENS"),
    ("secret", "ICNODE_BROKER_SECRET"),
    ("fault", "ICNODE_FAULTS"),
    ("trusted-proxy", "ICNODE_TRUSTED_PROXIES"),
];

#[test]
fn a_secret_on_the_command_line_is_warned_of_naming_its_variable() {
    let warnings = |args: &[&str]| {
        secrets_on_the_command_line(&Cli::command().try_get_matches_from(args).unwrap())
    };
    let given = warnings(&[
        "icnode",
        "broker",
        "--token",
        "t",
        "--secret",
        "s",
        "--fault-token",
        "f",
    ]);
    assert_eq!(given.len(), 3, "{given:?}");
    assert!(
        given[0].starts_with("--token on the command line"),
        "{given:?}"
    );
    assert!(given[0].contains("ICNODE_BROKER_TOKENS"), "{given:?}");
    assert!(given[1].starts_with("--secret "), "{given:?}");
    assert!(given[2].starts_with("--fault-token "), "{given:?}");
    let with_password = warnings(&[
        "icnode",
        "keys",
        "list",
        "--database-url",
        "postgres://u:p@127.0.0.1/db",
    ]);
    assert_eq!(with_password.len(), 1, "{with_password:?}");
    assert!(with_password[0].starts_with("--database-url "));
    let no_password = warnings(&[
        "icnode",
        "keys",
        "list",
        "--database-url",
        "postgres://u@127.0.0.1/db",
    ]);
    assert!(no_password.is_empty(), "{no_password:?}");
    assert!(warnings(&["icnode", "broker"]).is_empty());
}

/// The flags' defaults are the service's own, written once there.
#[test]
fn serving_defaults_are_the_services() {
    let cli = Cli::try_parse_from(["icnode", "up"]).unwrap();
    let Command::Up(up) = cli.command else {
        panic!("not up");
    };
    let rules = up.serve.connections.rules();
    let defaults = server::ConnectionRules::default();
    assert_eq!(rules.first_request, defaults.first_request);
    assert_eq!(rules.idle, defaults.idle);
    assert_eq!(rules.max_connections, defaults.max_connections);
    assert!(up.serve.connections.trusted_proxies.is_empty());
    let proxies =
        Cli::try_parse_from(["icnode", "up", "--trusted-proxy", "10.0.0.1,fd00::/8"]).unwrap();
    let Command::Up(up) = proxies.command else {
        panic!("not up");
    };
    let shown: Vec<String> = up
        .serve
        .connections
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(shown, ["10.0.0.1/32", "fd00::/8"]);
    let error = Cli::try_parse_from(["icnode", "up", "--trusted-proxy", "proxy.example"])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("neither an IP address nor a CIDR range"),
        "{error}"
    );
    assert_eq!(up.service.idempotency_ttl, server::idempotency::DEFAULT_TTL);
}

fn every_flag(command: &clap::Command, path: String, into: &mut Vec<(String, clap::Arg)>) {
    for arg in command.get_arguments() {
        if arg.get_long().is_some() && !matches!(arg.get_id().as_str(), "help" | "version") {
            into.push((path.clone(), arg.clone()));
        }
    }
    for sub in command.get_subcommands() {
        every_flag(sub, format!("{path} {}", sub.get_name()), into);
    }
}

#[test]
fn every_flag_reads_its_icnode_variable() {
    let mut flags = Vec::new();
    every_flag(&Cli::command(), "icnode".into(), &mut flags);
    assert!(flags.len() > 30, "the walk sees the flags");
    for (path, arg) in flags {
        let long = arg.get_long().unwrap();
        let expected = RENAMED.iter().find(|(name, _)| *name == long).map_or_else(
            || format!("ICNODE_{}", long.to_uppercase().replace('-', "_")),
            |(_, variable)| (*variable).to_owned(),
        );
        let env = arg.get_env().map(|e| e.to_string_lossy().into_owned());
        assert_eq!(env.as_deref(), Some(expected.as_str()), "{path} --{long}");
    }
}

/// A command line's words as a shell reads them (quotes, `$(…)` substitutions such as a
/// date worked out by `date`, comments): `sh` prints each, NUL-terminated.
fn shell_words(line: &str) -> Vec<String> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("printf '%s\\0' {line}"))
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stderr.is_empty(),
        "{line}: {stderr}"
    );
    let mut words: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .map(str::to_owned)
        .collect();
    words.pop(); // after the last NUL
    words
}

/// What `link` would ask the broker for, as the command line says it at `now`.
fn link_at(line: &str, now: i64) -> Result<(), String> {
    let parsed = Cli::try_parse_from(shell_words(line)).map_err(|e| e.to_string())?;
    match parsed.command {
        Command::Link(args) => crate::commands::link_spec(&args, now)
            .map(drop)
            .map_err(|e| e.to_string()),
        _ => Ok(()),
    }
}

/// Every `icnode` line of the README parses as the shell hands it over, and a `link` among
/// them asks for a window the rules take today: no example goes stale.
#[test]
fn the_readmes_commands_parse() {
    let readme = include_str!("../../../../README.md");
    let now = instant_connect::unix_now();
    let mut commands = 0;
    for block in readme.split("```sh").skip(1) {
        let block = block.split("```").next().unwrap();
        for line in block.lines().filter(|l| l.starts_with("icnode ")) {
            if let Err(error) = link_at(line, now) {
                panic!("{line}: {error}");
            }
            commands += 1;
        }
    }
    assert!(
        commands >= 10,
        "the README's commands were found ({commands})"
    );
    // What the check catches: a date gone by, and words a shell would not pass.
    let stale = "icnode link --chat-id v --nbf 2026-12-01T09:00:00Z --exp 2026-12-01T10:00:00Z";
    let error = link_at(stale, 1_800_000_000).unwrap_err();
    assert!(error.contains("--exp"), "{error}");
    assert_eq!(
        shell_words(r#"icnode node run x "Add Guest" --param a=$(echo b) # note"#),
        ["icnode", "node", "run", "x", "Add Guest", "--param", "a=b"]
    );
}

/// A tenant's phones and nodes go up to the service's bounds, and no further.
#[test]
fn tenant_limit_flags_stop_at_the_services_bounds() {
    let parse = |flag: &str, value: usize| {
        Cli::try_parse_from(["icnode", "tenants", "limits", "t", flag, &value.to_string()])
    };
    for (flag, bound) in [
        (
            "--phones-per-invite",
            server::meetings::MAX_PHONES_PER_INVITE,
        ),
        ("--imported-nodes", server::nodes::MAX_IMPORTED_NODES),
    ] {
        assert!(parse(flag, bound).is_ok(), "{flag} {bound}");
        for refused in [0, bound + 1] {
            let error = parse(flag, refused).unwrap_err().to_string();
            assert!(error.contains(flag), "{error}");
        }
    }
    let cli = Cli::try_parse_from([
        "icnode",
        "tenants",
        "limits",
        "t",
        "--requests-per-minute",
        "4",
        "--phones-per-invite",
        "2",
    ])
    .unwrap();
    let Command::Tenants(TenantsCommand::Limits { limits, .. }) = cli.command else {
        panic!("not tenants limits");
    };
    assert_eq!(
        limits.limits(),
        server::domain::TenantLimits {
            requests_per_minute: std::num::NonZeroU32::new(4),
            phones_per_invite: Some(2),
            ..server::domain::TenantLimits::default()
        }
    );
    assert!(parse("--requests-per-minute", 0).is_err());
}

#[test]
fn durations_must_be_positive() {
    assert!(matches!(
        positive_duration("-5m"),
        Err(DurationError::NotPositive(_))
    ));
    assert!(matches!(
        positive_duration("0s"),
        Err(DurationError::NotPositive(_))
    ));
    assert_eq!(positive_duration("2h").unwrap(), Duration::from_secs(7200));
    assert!(matches!(
        positive_duration("soon"),
        Err(DurationError::Unreadable(_))
    ));
}

/// `--retain` refuses a period shorter than the service's shortest, naming the flag and why,
/// and takes any longer one in `up` and `serve` alike.
#[test]
fn retain_is_at_least_the_services_shortest() {
    let error = Cli::try_parse_from(["icnode", "up", "--retain", "1h"])
        .unwrap_err()
        .to_string();
    assert!(error.contains("--retain"), "{error}");
    assert!(
        error.contains("must be at least 1d: a tenant's daily invite limit"),
        "{error}"
    );
    let retained = |command: Command| match command {
        Command::Up(up) => up.service.retain,
        Command::Serve(serve) => serve.service.retain,
        _ => panic!("neither up nor serve"),
    };
    let thirty_days = Duration::from_secs(30 * 24 * 60 * 60);
    for command in ["up", "serve"] {
        let cli = Cli::try_parse_from(["icnode", command, "--retain", "30d"]).unwrap();
        assert_eq!(retained(cli.command), Some(thirty_days), "{command}");
        let cli = Cli::try_parse_from(["icnode", command]).unwrap();
        assert_eq!(
            retained(cli.command),
            None,
            "{command} keeps everything by default"
        );
    }
    let shortest = server::retention::MIN_RETAIN;
    assert_eq!(retention_period("1d").unwrap(), shortest);
    assert_eq!(in_largest_unit(shortest), "1d");
    assert_eq!(in_largest_unit(Duration::from_secs(90 * 60)), "90m");
    assert_eq!(in_largest_unit(Duration::from_secs(61)), "61s");
    assert_eq!(in_largest_unit(Duration::ZERO), "0s");
}

/// `icnode audit` alone lists, with its filters on `audit` itself; `audit prune` takes its own
/// flags, and a listing's flag before `prune` is refused rather than ignored.
#[test]
fn audit_lists_by_itself_and_prunes_by_subcommand() {
    let cli = Cli::try_parse_from([
        "icnode",
        "audit",
        "--tenant",
        "clinic-7",
        "--action",
        "meeting.created",
        "--limit",
        "5",
    ])
    .unwrap();
    let Command::Audit(AuditArgs {
        command: None,
        list,
    }) = cli.command
    else {
        panic!("not a listing");
    };
    assert_eq!(list.tenant.as_ref().map(|t| t.as_str()), Some("clinic-7"));
    let query = list.query();
    assert_eq!(query.action.as_deref(), Some("meeting.created"));
    assert_eq!(query.limit, Some(5));
    let error = Cli::try_parse_from(["icnode", "audit", "--tenant", "Clinic"])
        .unwrap_err()
        .to_string();
    assert!(error.contains("--tenant"), "{error}");

    let cli = Cli::try_parse_from(["icnode", "audit", "prune", "--older-than", "400d"]).unwrap();
    let Command::Audit(AuditArgs {
        command: Some(AuditCommand::Prune { older_than, .. }),
        ..
    }) = cli.command
    else {
        panic!("not prune");
    };
    assert_eq!(older_than, Duration::from_secs(400 * 24 * 60 * 60));
    for refused in [
        &["icnode", "audit", "prune"][..],
        &["icnode", "audit", "prune", "--older-than", "0s"],
        &[
            "icnode",
            "audit",
            "--tenant",
            "t",
            "prune",
            "--older-than",
            "1d",
        ],
    ] {
        assert!(Cli::try_parse_from(refused).is_err(), "{refused:?}");
    }
}

/// `--visit-lead` and `--visit-grace` default to the service's own times, take zero, refuse a
/// negative or unreadable duration naming the flag, and reach the service's `link_times` in
/// `up` and `serve` alike.
#[test]
fn visit_lead_and_grace_default_to_the_services_and_take_zero() {
    let options = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
        Command::Up(up) => up.service,
        Command::Serve(serve) => serve.service,
        _ => panic!("neither up nor serve"),
    };
    for command in ["up", "serve"] {
        let defaults = options(&["icnode", command]);
        assert_eq!(defaults.visit_lead, server::domain::DEFAULT_LEAD);
        assert_eq!(defaults.visit_grace, server::domain::DEFAULT_GRACE);
        assert_eq!(defaults.link_times(), server::domain::LinkTimes::default());
        let given = options(&[
            "icnode",
            command,
            "--visit-lead",
            "0s",
            "--visit-grace",
            "2h",
        ]);
        assert_eq!(
            given.link_times(),
            server::domain::LinkTimes {
                lead: Duration::ZERO,
                grace: Duration::from_secs(2 * 60 * 60),
            },
            "{command}"
        );
    }
    for (flag, value, said) in [
        ("--visit-lead", "-5m", "must be a duration of zero or more"),
        ("--visit-grace", "-1h", "got `-1h`"),
        ("--visit-lead", "soon", "--visit-lead"),
    ] {
        let error = Cli::try_parse_from(["icnode", "up", flag, value])
            .unwrap_err()
            .to_string();
        assert!(error.contains(flag) && error.contains(said), "{error}");
    }
    assert_eq!(duration("0s").unwrap(), Duration::ZERO);
    assert_eq!(duration("15m").unwrap(), Duration::from_secs(15 * 60));
    assert!(matches!(duration("-0s"), Err(DurationError::Negative(_))));
}

/// `icnode visit` calls where `up` and `serve` listen unless told.
#[test]
fn visit_calls_the_address_serve_listens_on_by_default() {
    let serve = Cli::try_parse_from(["icnode", "serve"]).unwrap();
    let Command::Serve(serve) = serve.command else {
        panic!("not serve");
    };
    let default = url::Url::parse(DEFAULT_SERVICE_URL).unwrap();
    let listen = serve.serve.listen;
    assert_eq!(default.host_str(), Some(listen.ip().to_string().as_str()));
    assert_eq!(default.port(), Some(listen.port()));
}

/// A person's SPEC is KEY=VALUE pairs of known keys, each at most once; an unknown key is named.
#[test]
fn a_party_is_known_keys_each_given_once_as_key_value_pairs() {
    assert_eq!(
        visit::party("name=Dr. Ada, phone=+14155550100,email=ada@example.com,language=de,")
            .unwrap(),
        Party {
            name: Some("Dr. Ada".into()),
            phone: Some("+14155550100".into()),
            email: Some("ada@example.com".into()),
            language: Some("de".into()),
        }
    );
    assert_eq!(visit::party("").unwrap(), Party::default());
    let unknown = visit::party("name=Ada,nick=A").unwrap_err();
    assert!(unknown.contains("unknown key `nick`"), "{unknown}");
    assert!(
        visit::party("name=A,name=B")
            .unwrap_err()
            .contains("`name` is given twice")
    );
    assert!(
        visit::party("Ada")
            .unwrap_err()
            .contains("`Ada` is not KEY=VALUE")
    );
}

/// `visit book` reads its people and reminders that start with `-`, shows no API key in `Debug`
/// and warns of one on the command line.
#[test]
fn visit_reads_its_people_and_reminders_and_hides_its_key() {
    let book = [
        "icnode",
        "visit",
        "book",
        "--start",
        "1",
        "--end",
        "2",
        "--host",
        "name=Ada",
        "--guest",
        "phone=+14155550100",
        "--guest",
        "",
        "--remind",
        "-P1D",
        "--remind",
        "-PT15M",
        "--api-key",
        "sk-visible-nowhere",
    ];
    let matches = Cli::command().try_get_matches_from(book).unwrap();
    let warnings = secrets_on_the_command_line(&matches);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("--api-key on the command line"),
        "{warnings:?}"
    );
    assert!(warnings[0].contains("ICNODE_API_KEY"), "{warnings:?}");
    let cli = Cli::try_parse_from(book).unwrap();
    assert!(!format!("{cli:?}").contains("sk-visible-nowhere"));
    let Command::Visit(VisitCommand::Book(args)) = cli.command else {
        panic!("not visit book");
    };
    assert_eq!(args.guests.len(), 2);
    assert_eq!(args.guests[1], Party::default());
    assert_eq!(
        args.schedule.reminders(),
        Some(vec!["-P1D".to_owned(), "-PT15M".to_owned()])
    );
    let reminders = |extra: &[&str]| {
        let mut args = vec!["icnode", "visit", "move", "v1"];
        args.extend_from_slice(extra);
        match Cli::try_parse_from(args).map(|cli| cli.command) {
            Ok(Command::Visit(VisitCommand::Move(args))) => Ok(args.schedule.reminders()),
            Ok(_) => panic!("not visit move"),
            Err(error) => Err(error.to_string()),
        }
    };
    assert_eq!(reminders(&[]), Ok(None), "the visit's stay");
    assert_eq!(reminders(&["--no-reminders"]), Ok(Some(Vec::new())));
    let both = reminders(&["--no-reminders", "--remind", "-PT5M"]).unwrap_err();
    assert!(both.contains("--no-reminders"), "{both}");
    let vertical = Cli::try_parse_from([&book[..], &["--vertical", "xx"]].concat())
        .unwrap_err()
        .to_string();
    assert!(
        vertical.contains("[possible values: hc, gen, cc]"),
        "{vertical}"
    );
}

#[test]
fn visits_email_goes_over_smtp_to_an_outbox_or_nowhere_from_the_address_given() {
    use server::mail::{DEFAULT_FROM, MailTransport};
    let options = |args: &[&str]| match Cli::try_parse_from(args).unwrap().command {
        Command::Up(up) => up.service,
        Command::Serve(serve) => serve.service,
        _ => panic!("neither up nor serve"),
    };
    for command in ["up", "serve"] {
        assert_eq!(
            options(&["icnode", command]).job_lease,
            server::settings::JOB_LEASE
        );
        let defaults = options(&["icnode", command]).mail();
        assert_eq!(defaults.transport, MailTransport::None, "{command}");
        assert_eq!(defaults.from, DEFAULT_FROM);
        let smtp = options(&[
            "icnode",
            command,
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "--mail-from",
            "Clinic <visits@clinic.example>",
        ])
        .mail();
        assert_eq!(
            smtp.transport,
            MailTransport::Smtp("smtp://127.0.0.1:2525".into())
        );
        assert_eq!(smtp.from, "Clinic <visits@clinic.example>");
        let outbox = options(&["icnode", command, "--mail-outbox", "/tmp/mail"]).mail();
        assert_eq!(outbox.transport, MailTransport::Outbox("/tmp/mail".into()));
        let both = Cli::try_parse_from([
            "icnode",
            command,
            "--smtp-url",
            "smtp://127.0.0.1:2525",
            "--mail-outbox",
            "/tmp/mail",
        ]);
        assert!(both.is_err(), "{command}: one place for email");
    }
}

/// `audit --help` names every action and outcome the service records, from the service's own
/// lists, so a new one is listed without an edit here.
#[test]
fn audit_help_lists_every_action_and_outcome_the_service_records() {
    let mut cli = Cli::command();
    let help = cli
        .find_subcommand_mut("audit")
        .unwrap()
        .render_long_help()
        .to_string();
    let listed = |what: &str, all: &[&str]| {
        assert!(
            help.contains(&format!("{what}: {}", all.join(", "))),
            "{help}"
        );
    };
    listed(
        "Rows of this action",
        &server::domain::Action::ALL.map(server::domain::Action::as_str),
    );
    listed(
        "Rows of this outcome",
        &server::domain::Outcome::ALL.map(server::domain::Outcome::as_str),
    );
}
