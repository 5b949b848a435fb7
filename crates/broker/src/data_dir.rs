//! The broker's data directory: owner-only (0700, files 0600, whatever they were before), and
//! held by one process at a time through a lock file. Blocking file I/O: call it off the async
//! threads.

use std::fs::{self, File, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::identity::{ORG_FILE, SECRET_FILE, TOKEN_FILE};

/// The SQLite database; SQLite gives its `-wal` and `-shm` files the database file's mode.
pub const DATABASE_FILE: &str = "broker.db";
/// Held (an advisory lock) while a broker serves from the directory.
pub const LOCK_FILE: &str = "broker.lock";
/// Every file the broker keeps: each holds secrets or ciphers, so each is owner-only.
const PRIVATE_FILES: [&str; 7] = [
    DATABASE_FILE,
    "broker.db-wal",
    "broker.db-shm",
    SECRET_FILE,
    ORG_FILE,
    TOKEN_FILE,
    LOCK_FILE,
];

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("could not prepare the data directory {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the data directory {path} is in use by another broker (it holds {lock}); stop that one \
         or choose another data directory"
    )]
    InUse { path: PathBuf, lock: PathBuf },
}

/// An owner-only data directory this process holds; the lock is released when it is dropped.
#[derive(Debug)]
pub struct DataDir {
    path: PathBuf,
    _lock: File,
}

impl DataDir {
    /// Creates `path` if needed, makes it and the broker's files in it owner-only, takes the
    /// lock, and creates the database file (mode 0600) so SQLite never makes it with the umask.
    pub fn open(path: &Path) -> Result<Self, DataDirError> {
        let io = |source| DataDirError::Io {
            path: path.to_owned(),
            source,
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(path)
            .map_err(io)?;
        // `mode` applies only to directories it creates: an existing one is tightened here.
        fs::set_permissions(path, Permissions::from_mode(0o700)).map_err(io)?;

        let lock_path = path.join(LOCK_FILE);
        let lock = private_file(&lock_path).map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(DataDirError::InUse {
                    path: path.to_owned(),
                    lock: lock_path,
                });
            }
            Err(fs::TryLockError::Error(source)) => return Err(io(source)),
        }
        private_file(&path.join(DATABASE_FILE)).map_err(io)?;
        for name in PRIVATE_FILES {
            match fs::set_permissions(path.join(name), Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
                _ => {}
            }
        }
        Ok(Self {
            path: path.to_owned(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Opens `path`, creating it with mode 0600 if it does not exist.
fn private_file(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_file_whose_mode_cannot_be_set_refuses_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        // A link to itself: its mode can never be set, and it is not merely missing.
        std::os::unix::fs::symlink(TOKEN_FILE, dir.path().join(TOKEN_FILE)).unwrap();
        match DataDir::open(dir.path()) {
            Err(DataDirError::Io { path, source }) => {
                assert_eq!(path, dir.path());
                assert_eq!(source.raw_os_error(), Some(40), "ELOOP: {source}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn private_files_not_made_yet_are_no_error() {
        let dir = tempfile::tempdir().unwrap();
        let opened = DataDir::open(dir.path()).unwrap();
        assert!(!dir.path().join(TOKEN_FILE).exists());
        assert_eq!(opened.path(), dir.path());
    }
}
