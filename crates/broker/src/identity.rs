//! The broker's org, secret and dev token: given in the settings, or generated once and kept in
//! the data directory (files of mode 0600), so that links survive a restart. Blocking file I/O:
//! call it off the async threads.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine;
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub const SECRET_FILE: &str = "broker-secret";
pub const ORG_FILE: &str = "broker-org.json";
pub const TOKEN_FILE: &str = "broker-token";
const DEFAULT_ORG_NAME: &str = "icnode local org";

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("could not read or write {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is empty; remove it to have a new one generated")]
    Empty { path: PathBuf },
    #[error("{path} is not a valid org file: {reason}")]
    BadOrgFile { path: PathBuf, reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Org {
    pub org_id: String,
    pub org_name: String,
}

/// A random 256-bit value as base64url text: secrets and tokens alike.
pub fn random_secret_text() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads `dir/name`, or creates it (mode 0600) with `make()` if it does not exist yet.
pub fn read_or_create_private(
    dir: &Path,
    name: &str,
    make: impl FnOnce() -> String,
) -> Result<String, IdentityError> {
    let path = dir.join(name);
    let io = |source| IdentityError::Io {
        path: path.clone(),
        source,
    };
    match fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
    {
        Ok(mut file) => {
            let value = make();
            file.write_all(value.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)?;
            Ok(value)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let value = fs::read_to_string(&path).map_err(io)?.trim().to_owned();
            // An empty file (say, a crash between create and write) must not become an empty
            // secret or token: refuse it and say which file to remove.
            if value.is_empty() {
                return Err(IdentityError::Empty { path });
            }
            Ok(value)
        }
        Err(e) => Err(io(e)),
    }
}

/// The secret: given, or kept in `dir`, or (ephemeral) fresh.
pub fn secret(
    given: Option<SecretString>,
    dir: Option<&Path>,
) -> Result<SecretString, IdentityError> {
    match (given, dir) {
        (Some(secret), _) => Ok(secret),
        (None, Some(dir)) => {
            Ok(read_or_create_private(dir, SECRET_FILE, random_secret_text)?.into())
        }
        (None, None) => Ok(random_secret_text().into()),
    }
}

/// The org: each part given, else kept in `dir`, else (ephemeral) fresh.
pub fn org(
    org_id: Option<uuid::Uuid>,
    org_name: Option<String>,
    dir: Option<&Path>,
) -> Result<Org, IdentityError> {
    let fresh = || Org {
        org_id: uuid::Uuid::new_v4().to_string(),
        org_name: DEFAULT_ORG_NAME.to_owned(),
    };
    let stored = match dir {
        Some(dir) => {
            let text = read_or_create_private(dir, ORG_FILE, || {
                serde_json::to_string_pretty(&fresh()).expect("org serializes")
            })?;
            serde_json::from_str(&text).map_err(|e| IdentityError::BadOrgFile {
                path: dir.join(ORG_FILE),
                reason: e.to_string(),
            })?
        }
        None => fresh(),
    };
    Ok(Org {
        org_id: org_id.map_or(stored.org_id, |id| id.to_string()),
        org_name: org_name.unwrap_or(stored.org_name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_256_random_bits_as_base64url() {
        let (one, two) = (random_secret_text(), random_secret_text());
        assert_ne!(one, two);
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&one)
            .unwrap();
        assert_eq!(bytes.len(), 32);
    }

    #[test]
    fn a_file_that_cannot_be_created_is_refused_with_why_not() {
        // sysfs refuses new files even to root: the error is the refusal to create, not a
        // missing file read afterwards.
        let err = read_or_create_private(Path::new("/sys"), "icnode-never-made", || {
            unreachable!("nothing is made where it cannot be kept")
        })
        .unwrap_err();
        match err {
            IdentityError::Io { path, source } => {
                assert_eq!(path, Path::new("/sys/icnode-never-made"));
                assert_eq!(source.kind(), std::io::ErrorKind::PermissionDenied);
            }
            other => panic!("{other:?}"),
        }
    }
}
