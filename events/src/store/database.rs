//! Which database a log is kept in: a SQLite file (the embedded default) or a PostgreSQL
//! database, as `--db` names it.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a log is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// A SQLite file: a path, or a `sqlite:` URL (`sqlite:acta.db`, `sqlite:///srv/acta.db`).
    Sqlite(PathBuf),
    /// A PostgreSQL database: a `postgres://` or `postgresql://` URL, as libpq takes it.
    Postgres(String),
}

impl Database {
    /// The SQLite file, if this is one.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match self {
            Database::Sqlite(path) => Some(path),
            Database::Postgres(_) => None,
        }
    }
}

impl FromStr for Database {
    type Err = String;

    fn from_str(text: &str) -> Result<Database, String> {
        if text.is_empty() {
            return Err("a database is a file path, a sqlite: URL or a postgres:// URL".into());
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Database::Postgres(text.to_owned()));
        }
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(format!("{text:?} names no file"));
            }
            return Ok(Database::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(format!(
                "{scheme}:// is not a database acta keeps its log in: use a file path, a \
                 sqlite: URL or a postgres:// URL"
            ));
        }
        Ok(Database::Sqlite(PathBuf::from(text)))
    }
}

impl From<&std::path::Path> for Database {
    fn from(path: &std::path::Path) -> Database {
        Database::Sqlite(path.to_owned())
    }
}

impl From<&PathBuf> for Database {
    fn from(path: &PathBuf) -> Database {
        Database::Sqlite(path.clone())
    }
}

impl From<PathBuf> for Database {
    fn from(path: PathBuf) -> Database {
        Database::Sqlite(path)
    }
}

impl From<&Database> for Database {
    fn from(database: &Database) -> Database {
        database.clone()
    }
}

/// The database as messages name it: a URL without its password.
impl fmt::Display for Database {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Sqlite(path) => write!(formatter, "{}", path.display()),
            Database::Postgres(url) => formatter.write_str(&without_password(url)),
        }
    }
}

/// `url` with the password of its user-info, if any, replaced by `***`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_sqlite_urls_name_files() {
        assert_eq!("acta.db".parse(), Ok(Database::Sqlite("acta.db".into())));
        assert_eq!(
            "sqlite:acta.db".parse(),
            Ok(Database::Sqlite("acta.db".into()))
        );
        assert_eq!(
            "sqlite:///srv/acta.db".parse(),
            Ok(Database::Sqlite("/srv/acta.db".into()))
        );
        assert!("sqlite:".parse::<Database>().is_err());
        assert!("".parse::<Database>().is_err());
    }

    #[test]
    fn postgres_urls_name_postgres() {
        for url in [
            "postgres://acta@db/acta",
            "postgresql://u:p@127.0.0.1:5432/x",
        ] {
            assert_eq!(url.parse(), Ok(Database::Postgres(url.into())));
        }
        assert!("mysql://db/acta".parse::<Database>().is_err());
    }

    #[test]
    fn messages_never_show_a_password() {
        let database: Database = "postgres://acta:secret@db:5432/acta".parse().unwrap();
        assert_eq!(database.to_string(), "postgres://acta:***@db:5432/acta");
        let database: Database = "postgres://acta@db/acta".parse().unwrap();
        assert_eq!(database.to_string(), "postgres://acta@db/acta");
    }
}
