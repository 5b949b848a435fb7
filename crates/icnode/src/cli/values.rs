//! What several commands share: the service database's flags, and the value parsers whose
//! rules come from the one place each is written.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// The service database the keys and tenants live in.
#[derive(Debug, Args)]
pub struct KeyDatabase {
    /// The data directory of `icnode up` or `icnode serve`
    #[arg(long, env = "ICNODE_DATA_DIR", default_value = "./icnode-data")]
    pub data_dir: PathBuf,
    /// sqlite://FILE or postgres://USER@HOST/DB [default: sqlite://<data-dir>/icnode.db]
    #[arg(long, env = "ICNODE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<server::settings::DatabaseUrl>,
}

/// The PBES2 counts the API takes, from the one place they are written.
pub(super) fn iterations() -> clap::builder::RangedI64ValueParser<u32> {
    let range = instant_connect::ITERATIONS;
    clap::value_parser!(u32).range(i64::from(*range.start())..=i64::from(*range.end()))
}

/// The PBES2 salt lengths the API takes, from the one place they are written.
pub(super) fn salt_lengths() -> clap::builder::RangedI64ValueParser<u32> {
    let range = instant_connect::SALT_LENGTHS;
    clap::value_parser!(u32).range(*range.start() as i64..=*range.end() as i64)
}

/// 1 up to the service's `bound`.
pub(super) fn up_to(bound: usize) -> clap::builder::RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(1..=i64::try_from(bound).unwrap_or(i64::MAX))
}

/// A tenant's id, by the service's rule.
pub(super) fn tenant_id(
    text: &str,
) -> Result<server::domain::TenantId, server::domain::TenantIdError> {
    server::domain::TenantId::parse(text)
}

/// Where a tenant's own broker token is read, by the service's rule.
pub(super) fn token_source(
    text: &str,
) -> Result<server::domain::TokenSource, server::domain::BadTokenSource> {
    server::domain::TokenSource::parse(text)
}

/// A key's role, by the service's rule; `--help` and errors list the roles.
pub(super) fn key_role() -> impl clap::builder::TypedValueParser<Value = server::domain::KeyRole> {
    use clap::builder::TypedValueParser as _;
    let names = server::domain::KeyRole::ALL.map(server::domain::KeyRole::as_str);
    clap::builder::PossibleValuesParser::new(names)
        .try_map(|text| text.parse::<server::domain::KeyRole>())
}

/// Why a duration flag was refused.
#[derive(Debug, thiserror::Error)]
pub enum DurationError {
    #[error("must be a positive duration such as 15m, 2h or 1d, got `{0}`")]
    NotPositive(String),
    #[error("must be a duration of zero or more such as 0s, 15m or 2h, got `{0}`")]
    Negative(String),
    #[error("must be at least {at_least}: {why}, got `{got}`")]
    TooShort {
        at_least: String,
        why: &'static str,
        got: String,
    },
    #[error(transparent)]
    Unreadable(#[from] humantime::DurationError),
}

/// An address (`10.0.0.1`) or a range of them (`10.0.0.0/8`).
pub(super) fn proxy_addresses(text: &str) -> Result<ipnet::IpNet, String> {
    match text.parse::<ipnet::IpNet>() {
        Ok(net) => Ok(net),
        Err(_) => text
            .parse::<std::net::IpAddr>()
            .map(ipnet::IpNet::from)
            .map_err(|_| format!("`{text}` is neither an IP address nor a CIDR range")),
    }
}

/// A duration such as `15m` or `2h`, more than zero.
pub(super) fn positive_duration(text: &str) -> Result<Duration, DurationError> {
    if text.trim_start().starts_with('-') {
        return Err(DurationError::NotPositive(text.to_owned()));
    }
    let duration = humantime::parse_duration(text)?;
    if duration.is_zero() {
        return Err(DurationError::NotPositive(text.to_owned()));
    }
    Ok(duration)
}

/// A duration such as `0s`, `15m` or `2h`, read as [`positive_duration`] reads one, where
/// zero is allowed.
pub(super) fn duration(text: &str) -> Result<Duration, DurationError> {
    if text.trim_start().starts_with('-') {
        return Err(DurationError::Negative(text.to_owned()));
    }
    Ok(humantime::parse_duration(text)?)
}

/// How long `--retain` keeps meetings and invites: never under the service's shortest.
pub(super) fn retention_period(text: &str) -> Result<Duration, DurationError> {
    let retain = positive_duration(text)?;
    let shortest = server::retention::MIN_RETAIN;
    if retain < shortest {
        return Err(DurationError::TooShort {
            at_least: in_largest_unit(shortest),
            why: "a tenant's daily invite limit counts the last day's invites",
            got: text.to_owned(),
        });
    }
    Ok(retain)
}

/// A duration as a flag takes it, in the largest unit that writes it whole (`1d`, `90m`).
pub(super) fn in_largest_unit(duration: Duration) -> String {
    let seconds = duration.as_secs();
    let unit = [(86_400, "d"), (3_600, "h"), (60, "m")]
        .into_iter()
        .find(|(size, _)| seconds > 0 && seconds.is_multiple_of(*size));
    match unit {
        Some((size, name)) => format!("{}{name}", seconds / size),
        None => format!("{seconds}s"),
    }
}
