//! Secrets named in a definition as `$(secret:NAME)`: never in the file, resolved at run time
//! from a secrets file (`NAME=value` lines) or else the environment variable `ICNODE_<NAME>`.

use std::collections::HashMap;
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("could not read the secrets file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: expected NAME=value")]
    Syntax { path: String, line: usize },
    #[error("{path}:{line}: the PEM block has no -----END line")]
    UnendedPem { path: String, line: usize },
    #[error(
        "{path} can be read by other users (mode {mode:03o}): a file of secrets must be the \
         owner's alone; chmod 600 it"
    )]
    OpenToOthers { path: String, mode: u32 },
}

/// Reads a file that holds secrets (a secrets file, a broker token file), refusing one that
/// other users may read or write, as ssh refuses such a key.
pub fn read_private_file(path: &Path) -> Result<String, SecretsError> {
    let shown = || path.display().to_string();
    let read = |source| SecretsError::Read {
        path: shown(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(read)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(SecretsError::OpenToOthers {
                path: shown(),
                mode,
            });
        }
    }
    std::fs::read_to_string(path).map_err(read)
}

const PEM_BEGIN: &str = "-----BEGIN ";
const PEM_END: &str = "-----END ";

/// Where secrets come from. `Debug` shows names only.
#[derive(Default)]
pub struct Secrets {
    file: HashMap<String, SecretString>,
    read_environment: bool,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&String> = self.file.keys().collect();
        names.sort();
        f.debug_struct("Secrets")
            .field("file_names", &names)
            .field("read_environment", &self.read_environment)
            .finish()
    }
}

impl Secrets {
    /// Secrets from the environment only.
    pub fn from_environment() -> Self {
        Self {
            file: HashMap::new(),
            read_environment: true,
        }
    }

    /// Secrets from `path` (the owner's alone: see [`read_private_file`]) first, then the
    /// environment. Blank lines and `#` comments are skipped;
    /// a value that opens a PEM block (`NAME=-----BEGIN PRIVATE KEY-----`) goes on to its
    /// `-----END` line.
    pub fn with_file(path: &Path) -> Result<Self, SecretsError> {
        let shown = path.display().to_string();
        let text = read_private_file(path)?;
        let mut file = HashMap::new();
        let mut lines = text.lines().enumerate();
        while let Some((index, line)) = lines.next() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let syntax = |line: usize| SecretsError::Syntax {
                path: shown.clone(),
                line,
            };
            let (name, value) = line
                .split_once('=')
                .filter(|(name, _)| is_valid_name(name.trim()))
                .ok_or_else(|| syntax(index + 1))?;
            let mut value = value.trim().to_owned();
            // A PEM block (a TLS client key) goes on over the following lines to its END line.
            if value.starts_with(PEM_BEGIN) && !value.contains(PEM_END) {
                loop {
                    let (_, next) = lines.next().ok_or_else(|| SecretsError::UnendedPem {
                        path: shown.clone(),
                        line: index + 1,
                    })?;
                    value.push('\n');
                    value.push_str(next.trim());
                    if next.trim_start().starts_with(PEM_END) {
                        break;
                    }
                }
            }
            file.insert(name.trim().to_ascii_lowercase(), SecretString::from(value));
        }
        Ok(Self {
            file,
            read_environment: true,
        })
    }

    /// Fixed secrets and nothing else, for tests and embedding.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let file = pairs
            .into_iter()
            .map(|(name, value)| {
                (
                    name.to_ascii_lowercase(),
                    SecretString::from(value.to_owned()),
                )
            })
            .collect();
        Self {
            file,
            read_environment: false,
        }
    }

    /// These secrets with `name` set to `value`, ahead of the file and the environment.
    pub fn with(mut self, name: &str, value: SecretString) -> Self {
        self.file.insert(name.to_ascii_lowercase(), value);
        self
    }

    /// The secret `name` (`broker_token` ← `ICNODE_BROKER_TOKEN`).
    pub fn get(&self, name: &str) -> Option<SecretString> {
        if let Some(value) = self.file.get(&name.to_ascii_lowercase()) {
            return Some(value.clone());
        }
        if !self.read_environment || !is_valid_name(name) {
            return None;
        }
        std::env::var(env_variable(name))
            .ok()
            .map(SecretString::from)
    }

    pub(crate) fn expose(&self, name: &str) -> Option<String> {
        self.get(name).map(|s| s.expose_secret().to_owned())
    }
}

/// `broker_token` → `ICNODE_BROKER_TOKEN`.
pub fn env_variable(name: &str) -> String {
    format!("ICNODE_{}", name.to_ascii_uppercase())
}

/// Secret names are letters, digits and underscores.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    const CHILD: &str = "ICNODE_SECRETS_TEST_CHILD";

    fn shown(secret: Option<SecretString>) -> Option<String> {
        secret.map(|s| s.expose_secret().to_owned())
    }

    /// Run in a child process given `ICNODE_PROBE_TOKEN`: a test may not set its own
    /// process's environment.
    #[test]
    fn a_secret_comes_from_its_icnode_variable_unless_given_first() {
        if std::env::var_os(CHILD).is_none() {
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "secrets::tests::a_secret_comes_from_its_icnode_variable_unless_given_first",
                    "--quiet",
                ])
                .env(CHILD, "1")
                .env("ICNODE_PROBE_TOKEN", "from-the-environment")
                .status()
                .unwrap();
            assert!(status.success());
            return;
        }
        let environment = Secrets::from_environment();
        assert_eq!(
            shown(environment.get("probe_token")),
            Some("from-the-environment".into())
        );
        assert_eq!(shown(environment.get("probe token")), None, "not a name");
        let given = Secrets::from_environment().with("PROBE_TOKEN", "given".into());
        assert_eq!(shown(given.get("probe_token")), Some("given".into()));
        let fixed = Secrets::from_pairs([("other", "x")]);
        assert_eq!(shown(fixed.get("probe_token")), None, "pairs only");
    }

    #[test]
    fn debug_names_the_secrets_and_never_shows_one() {
        let secrets = Secrets::from_pairs([("b_key", "hidden-1"), ("a_key", "hidden-2")]);
        assert_eq!(
            format!("{secrets:?}"),
            "Secrets { file_names: [\"a_key\", \"b_key\"], read_environment: false }"
        );
    }
}
