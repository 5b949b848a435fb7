//! Faults on demand, for testing what calls the broker: added latency, a chosen status (429
//! with `Retry-After`, 500, 503, ...), a dropped connection, a truncated body or a body that is
//! not JSON, each at a chosen rate and, if asked, only so many times. They hit the JSON API
//! (`/api/...`) only: join pages and the local routes stay true.
//!
//! Set at start ([`crate::BrokerSettings::faults`], `--fault`) or while running through
//! `/_icnode/faults` (`GET` what is set and what was injected, `PUT` a new plan, `DELETE`
//! all), which exists only when a control token is given and answers only to it. Faults at a
//! rate are drawn from a generator that a seed (`--fault-seed`, or `seed` in a plan) makes
//! repeatable.
//!
//! A status fault answers before the handler runs, as a busy production broker refuses work
//! it has not started: nothing is minted or stored. A truncated body is the real answer cut
//! in half after its headers.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub mod routes;

/// The longest latency a fault may add.
pub const MAX_LATENCY: Duration = Duration::from_secs(60);

/// One fault: what happens, how often (`rate`, 0 to 1) and how many times at most.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// The chance that a request meets it; default 1.
    #[serde(default = "always")]
    pub rate: f64,
    /// Injected at most this many times; default: no end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

fn always() -> f64 {
    1.0
}

/// What a fault does to a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FaultKind {
    /// Waits this long before the request is handled (or meets another fault).
    Latency { ms: u64 },
    /// Handles the request, then waits this long before answering: the work is done (links
    /// minted, an invite taken) while the client is still waiting, as on a slow way back.
    SlowAnswer { ms: u64 },
    /// Answers this status in Webex's error shape without handling the request; a 429 or 503
    /// says `Retry-After: retry_after_secs` (default 1).
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
    },
    /// Closes the connection without an answer.
    Drop,
    /// Handles the request, then sends its headers and half its body and closes.
    Truncate,
    /// Answers 200 with an HTML page, as a proxy in the way might.
    NotJson,
}

impl FaultKind {
    fn name(&self) -> &'static str {
        match self {
            FaultKind::Latency { .. } => "latency",
            FaultKind::SlowAnswer { .. } => "slow-answer",
            FaultKind::Status { .. } => "status",
            FaultKind::Drop => "drop",
            FaultKind::Truncate => "truncate",
            FaultKind::NotJson => "not-json",
        }
    }
}

/// A fault that breaks a rule: the field at fault and the rule in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct FaultError {
    pub field: String,
    pub rule: String,
}

impl Fault {
    /// Every rule a fault keeps; `at` names it in errors (`faults[2]`).
    pub fn check(&self, at: &str) -> Result<(), FaultError> {
        let fail = |field: &str, rule: String| {
            Err(FaultError {
                field: format!("{at}.{field}"),
                rule,
            })
        };
        if !(0.0..=1.0).contains(&self.rate) {
            return fail(
                "rate",
                format!("must be between 0 and 1, got {}", self.rate),
            );
        }
        match &self.kind {
            FaultKind::Latency { ms } | FaultKind::SlowAnswer { ms }
                if Duration::from_millis(*ms) > MAX_LATENCY =>
            {
                fail(
                    "ms",
                    format!("must be at most {} ms, got {ms}", MAX_LATENCY.as_millis()),
                )
            }
            FaultKind::Status { status, .. } if !(400..=599).contains(status) => fail(
                "status",
                format!("must be an error status, 400 to 599, got {status}"),
            ),
            _ => Ok(()),
        }
    }
}

/// The text form of `--fault`: `KIND[=VALUE][,OPTION=VALUE...][@RATE]`, e.g. `latency=250ms`,
/// `status=503@0.2`, `status=429,retry-after=2s`, `drop,times=1`, `truncate@0.5`, `not-json`.
impl std::str::FromStr for Fault {
    type Err = FaultError;

    fn from_str(text: &str) -> Result<Self, FaultError> {
        let error = |field: &str, rule: String| FaultError {
            field: field.to_owned(),
            rule,
        };
        let (spec, rate) = match text.rsplit_once('@') {
            Some((spec, rate)) => (
                spec,
                rate.trim().parse::<f64>().map_err(|_| {
                    error(
                        "rate",
                        format!("must be a number from 0 to 1, got `{rate}`"),
                    )
                })?,
            ),
            None => (text, 1.0),
        };
        let mut parts = spec.split(',');
        let head = parts.next().unwrap_or_default().trim();
        let (name, value) = match head.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (head, None),
        };
        let mut retry_after_secs = None;
        let mut times = None;
        for option in parts {
            match option.trim().split_once('=') {
                Some(("retry-after", v)) => {
                    let wait = humantime::parse_duration(v.trim()).map_err(|e| {
                        error("retry-after", format!("must be a duration like 2s: {e}"))
                    })?;
                    retry_after_secs = Some(wait.as_secs());
                }
                Some(("times", v)) => {
                    times = Some(v.trim().parse().map_err(|_| {
                        error("times", format!("must be a whole number, got `{v}`"))
                    })?);
                }
                _ => {
                    return Err(error(
                        "fault",
                        format!("unknown option `{option}`: retry-after=DURATION or times=N"),
                    ));
                }
            }
        }
        let needs_value = |what: &str| error(name, format!("needs a value: {name}={what}"));
        let kind = match (name, value) {
            ("latency", Some(v)) => FaultKind::Latency {
                ms: millis(name, v)?,
            },
            ("latency", None) => return Err(needs_value("250ms")),
            ("slow-answer", Some(v)) => FaultKind::SlowAnswer {
                ms: millis(name, v)?,
            },
            ("slow-answer", None) => return Err(needs_value("250ms")),
            ("status", Some(v)) => FaultKind::Status {
                status: v
                    .parse()
                    .map_err(|_| error("status", format!("must be a status code, got `{v}`")))?,
                retry_after_secs,
            },
            ("status", None) => return Err(needs_value("503")),
            ("drop", None) => FaultKind::Drop,
            ("truncate", None) => FaultKind::Truncate,
            ("not-json", None) => FaultKind::NotJson,
            _ => {
                return Err(error(
                    "fault",
                    format!(
                        "unknown fault `{head}`: latency=DURATION, slow-answer=DURATION, \
                         status=CODE, drop, truncate or not-json"
                    ),
                ));
            }
        };
        let fault = Fault { kind, rate, times };
        fault.check("fault")?;
        Ok(fault)
    }
}

/// A fault's duration in milliseconds, or why `value` is none (naming `field`).
fn millis(field: &str, value: &str) -> Result<u64, FaultError> {
    let duration = humantime::parse_duration(value).map_err(|e| FaultError {
        field: field.to_owned(),
        rule: format!("must be a duration like 250ms: {e}"),
    })?;
    Ok(duration.as_millis().try_into().unwrap_or(u64::MAX))
}

/// What is set and what was injected, as `GET /_icnode/faults` tells it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FaultReport {
    /// The faults set, each with the times it has left (`times`).
    pub faults: Vec<Fault>,
    /// Faults injected since the broker started, by kind.
    pub injected: BTreeMap<String, u64>,
}

/// The faults in force and what they did.
pub(crate) struct Faults {
    state: Mutex<Draws>,
    /// SHA-256 of the control route's token; `None`: no control route.
    control: Option<[u8; 32]>,
}

/// The faults and the generator that rolls them, under one lock so a seeded run's draws
/// follow the requests' order.
struct Draws {
    report: FaultReport,
    rng: StdRng,
}

/// The draws' generator: from `seed`, so a run meets the same faults each time, or from the
/// operating system's randomness.
fn generator(seed: Option<u64>) -> StdRng {
    seed.map_or_else(StdRng::from_entropy, StdRng::seed_from_u64)
}

/// What one request meets.
#[derive(Debug, Default)]
struct Drawn {
    latency: Duration,
    /// Waited after the request was handled, before the answer goes.
    slow_answer: Duration,
    outcome: Option<FaultKind>,
}

impl Faults {
    pub(crate) fn new(faults: Vec<Fault>, seed: Option<u64>, control_token: Option<&str>) -> Self {
        Self {
            state: Mutex::new(Draws {
                report: FaultReport {
                    faults,
                    injected: BTreeMap::new(),
                },
                rng: generator(seed),
            }),
            control: control_token.map(|t| Sha256::digest(t.as_bytes()).into()),
        }
    }

    pub(crate) fn has_control(&self) -> bool {
        self.control.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Draws> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rolls each fault in order: latencies add up; the first other fault that fires decides.
    fn draw(&self) -> Drawn {
        let mut draws = self.lock();
        let Draws {
            report: FaultReport { faults, injected },
            rng,
        } = &mut *draws;
        if faults.is_empty() {
            return Drawn::default();
        }
        let mut drawn = Drawn::default();
        for fault in faults.iter_mut() {
            let terminal = !matches!(
                fault.kind,
                FaultKind::Latency { .. } | FaultKind::SlowAnswer { .. }
            );
            if (terminal && drawn.outcome.is_some())
                || fault.times == Some(0)
                || !rng.gen_bool(fault.rate)
            {
                continue;
            }
            if let Some(times) = &mut fault.times {
                *times -= 1;
            }
            *injected.entry(fault.kind.name().to_owned()).or_default() += 1;
            match &fault.kind {
                FaultKind::Latency { ms } => drawn.latency += Duration::from_millis(*ms),
                FaultKind::SlowAnswer { ms } => drawn.slow_answer += Duration::from_millis(*ms),
                other => drawn.outcome = Some(other.clone()),
            }
        }
        drawn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(text: &str) -> Fault {
        text.parse().unwrap()
    }

    #[test]
    fn latencies_add_up_the_first_other_fault_decides_and_the_rest_are_not_counted() {
        let faults = Faults::new(
            vec![
                fault("latency=5ms"),
                fault("status=503"),
                fault("status=500"),
                fault("latency=7ms"),
            ],
            Some(1),
            None,
        );
        let drawn = faults.draw();
        assert_eq!(drawn.latency, Duration::from_millis(12));
        assert_eq!(
            drawn.outcome,
            Some(FaultKind::Status {
                status: 503,
                retry_after_secs: None
            })
        );
        let injected = faults.lock().report.injected.clone();
        assert_eq!(
            injected,
            BTreeMap::from([("latency".to_owned(), 2), ("status".to_owned(), 1)])
        );
    }

    #[test]
    fn a_latency_may_be_a_minute_and_no_longer() {
        let minute = Fault {
            kind: FaultKind::Latency {
                ms: MAX_LATENCY.as_millis() as u64,
            },
            rate: 1.0,
            times: None,
        };
        assert_eq!(minute.check("f"), Ok(()));
        let longer = Fault {
            kind: FaultKind::Latency {
                ms: MAX_LATENCY.as_millis() as u64 + 1,
            },
            ..minute
        };
        assert_eq!(
            longer.check("f").unwrap_err().to_string(),
            "f.ms: must be at most 60000 ms, got 60001"
        );
    }

    #[test]
    fn a_latency_without_its_value_says_what_to_give() {
        let err = "latency".parse::<Fault>().unwrap_err();
        assert_eq!(err.to_string(), "latency: needs a value: latency=250ms");
    }
}
