//! The database file: which file a path names, whether acta may open it, and the lock that makes
//! one process its only writer.
//!
//! SQLite keeps a database's write-ahead log beside the *name* it was opened by (`<name>-wal`),
//! so two names of one file are two logs: two writers through a hard link each acknowledge
//! commits into their own WAL, and the first checkpoint of one destroys the other's. Hence:
//! - the writer's lock is taken on the database file itself (its inode, with `flock`), so every
//!   name of it shares one lock, symbolic links and hard links alike;
//! - a database with more than one hard link is refused outright, for reading as for writing,
//!   since a reader through another name would not see the WAL either;
//! - every connection is opened by the canonical path (symbolic links resolved), so the side
//!   files are always the same ones.
//!
//! A database that exists but is empty, or is no acta database, is refused rather than made a
//! fresh record: a bad restore must not look like a first start. Files are created `0600`.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::error::StoreError;

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Mode of every file acta creates: the record and its token hashes are for its owner only.
pub const CREATED_FILE_MODE: u32 = 0o600;

/// A database file that may be opened: its canonical path, and whether this open created it.
#[derive(Debug, Clone)]
pub struct DatabaseFile {
    /// Symbolic links resolved: the name every connection (and so every side file) uses.
    pub path: PathBuf,
    /// Whether the file did not exist and was created (empty) by this open: a first start.
    pub created: bool,
}

/// Held by the only process that writes a database: an exclusive `flock` on the database file
/// itself, released when the last clone of the log is gone (or the process dies). Its side file
/// `<database>.lock` names the holder, for the message another process gets.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

/// Resolves `path` to an existing database that may be read: it must exist, be a regular file
/// with one name only, and start like an SQLite database. It opens and closes the file, which
/// drops every POSIX lock the process holds on it (SQLite's included): call it before this
/// process opens any connection to that file.
pub fn existing(path: &Path) -> Result<DatabaseFile, StoreError> {
    let file = File::open(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => StoreError::Io(format!(
            "{} does not exist (no database there; check the path)",
            path.display()
        )),
        _ => StoreError::Io(format!("cannot open {}: {error}", path.display())),
    })?;
    check_one_name(&file, path)?;
    check_content(&file, path)?;
    Ok(DatabaseFile {
        path: canonical(path)?,
        created: false,
    })
}

/// Opens `path` for writing, creating it (empty, `0600`) only if nothing is there, and takes the
/// writer's lock. A second writer — through any name of the file — is refused with
/// [`StoreError::Locked`], naming the process that holds it.
pub fn lock_for_writing(
    path: &Path,
    holder: &str,
) -> Result<(DatabaseFile, WriterLock), StoreError> {
    let (file, created) = match OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(CREATED_FILE_MODE)
        .open(path)
    {
        Ok(file) => (file, true),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|error| match error.kind() {
                    std::io::ErrorKind::NotFound => StoreError::Io(format!(
                        "{} is a symbolic link to a file that does not exist",
                        path.display()
                    )),
                    _ => StoreError::Io(format!("cannot open {}: {error}", path.display())),
                })?;
            (file, false)
        }
        Err(error) => {
            return Err(StoreError::Io(format!(
                "cannot create {}: {error}",
                path.display()
            )));
        }
    };
    let canonical_path = canonical(path)?;
    let info_path = side_path(&canonical_path, ".lock");
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let held_by = std::fs::read_to_string(&info_path)
                .ok()
                .map(|text| text.trim().to_owned())
                .filter(|text| !text.is_empty())
                .unwrap_or_else(|| "another acta process".to_owned());
            return Err(StoreError::Locked {
                path: display_names(path, &canonical_path),
                held_by,
            });
        }
        Err(std::fs::TryLockError::Error(error)) => {
            return Err(StoreError::Io(format!(
                "cannot lock {}: {error}",
                path.display()
            )));
        }
    }
    check_one_name(&file, path)?;
    if !created {
        check_content(&file, path)?;
    }
    write_holder(&info_path, holder);
    Ok((
        DatabaseFile {
            path: canonical_path,
            created,
        },
        WriterLock { _file: file },
    ))
}

/// `<path><suffix>`, beside the database (SQLite's own side files are named the same way).
pub fn side_path(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn canonical(path: &Path) -> Result<PathBuf, StoreError> {
    std::fs::canonicalize(path)
        .map_err(|error| StoreError::Io(format!("cannot resolve {}: {error}", path.display())))
}

/// "a.db" or, when it was reached through a link, "a.db (= /data/real.db)".
fn display_names(typed: &Path, canonical: &Path) -> String {
    match std::fs::canonicalize(typed.parent().unwrap_or(Path::new(".")))
        .map(|parent| parent.join(typed.file_name().unwrap_or_default()))
    {
        Ok(absolute) if absolute == canonical => typed.display().to_string(),
        _ => format!("{} (= {})", typed.display(), canonical.display()),
    }
}

/// Refuses anything but a regular file with exactly one name.
fn check_one_name(file: &File, path: &Path) -> Result<(), StoreError> {
    let metadata = file
        .metadata()
        .map_err(|error| StoreError::Io(format!("cannot stat {}: {error}", path.display())))?;
    if !metadata.is_file() {
        return Err(StoreError::Refused(format!(
            "{} is not a regular file",
            path.display()
        )));
    }
    if metadata.nlink() > 1 {
        return Err(StoreError::Refused(format!(
            "{} has {} hard links (inode {}). SQLite keeps the write-ahead log beside the name a \
             database is opened by, so each name would be a log of its own and writes through one \
             would destroy the other's. Remove the extra links (find them with `find / -inum {}`) \
             or copy the file with `sqlite3 {} '.backup copy.db'`",
            path.display(),
            metadata.nlink(),
            metadata.ino(),
            metadata.ino(),
            path.display()
        )));
    }
    Ok(())
}

/// Refuses an existing file that is empty (with no write-ahead log that holds its pages) or does
/// not start like an SQLite database: a bad restore or a mistyped path, not a first start.
fn check_content(file: &File, path: &Path) -> Result<(), StoreError> {
    let mut header = [0u8; 16];
    let mut read = 0;
    let mut reader = file;
    while read < header.len() {
        match reader.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(error) => {
                return Err(StoreError::Io(format!(
                    "cannot read {}: {error}",
                    path.display()
                )));
            }
        }
    }
    if read == 0 {
        let wal_len = std::fs::metadata(side_path(path, "-wal")).map_or(0, |meta| meta.len());
        if wal_len > 0 {
            return Ok(());
        }
        return Err(StoreError::Refused(format!(
            "{} exists but is empty: acta creates a new record only where no file is. If this \
             is a restore, restore the right file; to start a new record, delete the empty file",
            path.display()
        )));
    }
    if read < header.len() || &header != SQLITE_HEADER {
        return Err(StoreError::Refused(format!(
            "{} is not an SQLite database (it does not begin with the SQLite header): check the \
             path",
            path.display()
        )));
    }
    Ok(())
}

/// Records who holds the lock, for the message a second writer gets. Best effort: the lock
/// itself is the `flock`, not this file.
fn write_holder(info_path: &Path, holder: &str) {
    let written = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(CREATED_FILE_MODE)
        .open(info_path)
        .and_then(|mut file| writeln!(file, "{holder} (pid {})", std::process::id()));
    if let Err(error) = written {
        eprintln!(
            "acta: cannot write {} (who holds the lock): {error}",
            info_path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().expect("temporary directory")
    }

    #[test]
    fn creates_a_missing_file_with_mode_0600() {
        let dir = dir();
        let path = dir.path().join("new.db");
        let (file, _lock) = lock_for_writing(&path, "test").expect("creates");
        assert!(file.created);
        let mode = std::fs::metadata(&path).expect("exists").mode() & 0o777;
        assert_eq!(mode, CREATED_FILE_MODE);
    }

    #[test]
    fn a_second_writer_is_refused_through_a_symbolic_link() {
        let dir = dir();
        let path = dir.path().join("a.db");
        let (_file, _lock) = lock_for_writing(&path, "acta serve").expect("first writer");
        let link = dir.path().join("link.db");
        std::os::unix::fs::symlink(&path, &link).expect("symlink");
        match lock_for_writing(&link, "acta import") {
            Err(StoreError::Locked { held_by, path }) => {
                assert!(held_by.starts_with("acta serve (pid "), "{held_by}");
                assert!(path.contains("link.db") && path.contains("a.db"), "{path}");
            }
            other => panic!("expected Locked, got {other:?}"),
        }
    }

    #[test]
    fn a_file_with_two_hard_links_is_refused() {
        let dir = dir();
        let path = dir.path().join("a.db");
        drop(lock_for_writing(&path, "test").expect("creates"));
        std::fs::hard_link(&path, dir.path().join("b.db")).expect("hard link");
        for result in [
            lock_for_writing(&path, "test").map(|_| ()),
            existing(&path).map(|_| ()),
        ] {
            match result {
                Err(StoreError::Refused(message)) => {
                    assert!(message.contains("2 hard links"), "{message}")
                }
                other => panic!("expected Refused, got {other:?}"),
            }
        }
    }

    #[test]
    fn an_existing_empty_or_foreign_file_is_refused() {
        let dir = dir();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").expect("write");
        let foreign = dir.path().join("notes.db");
        std::fs::write(&foreign, b"these are not the droids").expect("write");
        for (path, expected) in [(&empty, "is empty"), (&foreign, "not an SQLite database")] {
            match lock_for_writing(path, "test") {
                Err(StoreError::Refused(message)) => {
                    assert!(message.contains(expected), "{message}")
                }
                other => panic!("expected Refused, got {other:?}"),
            }
            assert!(matches!(existing(path), Err(StoreError::Refused(_))));
        }
    }

    #[test]
    fn reading_a_missing_file_is_an_error_and_creates_nothing() {
        let dir = dir();
        let path = dir.path().join("missing.db");
        assert!(matches!(existing(&path), Err(StoreError::Io(_))));
        assert!(!path.exists());
    }
}
