//! Access tokens (CONTRACT §1 auth): who may read, record and administer, and whose name is
//! written as the `actor` of every event they record.
//!
//! A token is `acta_` followed by 64 hex digits: 256 bits from the operating system's random
//! source. Only its SHA-256 hash is stored. Because a token carries 256 bits of entropy, a fast
//! hash is enough (there is no dictionary to guess from), and looking a token up by its hash
//! leaks nothing about any stored token; the final comparison is constant-time all the same.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::StoreError;
use crate::store::{Database, open_connection};
use crate::stored::lower_hex;
use crate::types::{Instant, PlanKey};

/// Every token starts with this, so that a leaked one is recognisable (secret scanners).
pub const TOKEN_PREFIX: &str = "acta_";

/// Random bytes in a token.
const TOKEN_RANDOM_BYTES: usize = 32;

/// How long a valid token is answered from memory before the database is asked again: the
/// longest a token revoked by another process (`acta token revoke` beside a running server,
/// `DELETE /v1/tokens` on another instance of a shared PostgreSQL database) still works here.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(1);

/// What a token may do. Each role may do everything the ones below it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Read everything.
    Auditor,
    /// Read and append events.
    Recorder,
    /// Everything, including tokens.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Auditor => "auditor",
            Role::Recorder => "recorder",
            Role::Admin => "admin",
        }
    }

    /// Whether this role may do what `needed` may.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl FromStr for Role {
    type Err = acta_messages::Message;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "admin" => Ok(Role::Admin),
            "recorder" => Ok(Role::Recorder),
            "auditor" => Ok(Role::Auditor),
            _ => Err(
                acta_messages::Message::new(acta_messages::codes::NOT_ONE_OF)
                    .text("expected", "\"admin\", \"recorder\", \"auditor\"")
                    .text("value", crate::fields::quoted(text)),
            ),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The holder of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

/// What a token presented is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenStatus {
    /// A valid, unrevoked token, and who holds it.
    Valid(Caller),
    /// A token that was revoked. Its name is public (it is the `actor` of what it recorded), so
    /// a refusal may be logged with it.
    Revoked { name: String },
    /// No token of this database.
    Unknown,
}

/// A token as `acta token list` shows it: never the token, nor its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub created_at: Instant,
    /// When it was revoked; `None` while it works.
    pub revoked_at: Option<Instant>,
}

/// Why a token could not be created or revoked.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// `409`
    #[error("a token named {0} exists (names of revoked tokens stay taken)")]
    NameTaken(String),
    /// `404`
    #[error("no token is named {0}")]
    NoSuchName(String),
    /// `500`
    #[error(transparent)]
    Store(#[from] StoreError),
}

type TokenHash = [u8; 32];

fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// A new token from the operating system's random source.
fn generate_token() -> Result<String, StoreError> {
    let mut random = [0u8; TOKEN_RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|error| StoreError::Corrupt {
        seq: 0,
        problem: format!("the operating system gave no random bytes: {error}"),
    })?;
    Ok(format!("{TOKEN_PREFIX}{}", lower_hex(&random)))
}

/// The tokens of one database, with a cache of the valid ones. Tokens created by another process
/// (`acta token create` while the server runs) are found on their first use.
pub struct Tokens {
    table: Mutex<TokenTable>,
    /// Valid tokens seen lately, and when each was last read from the database.
    valid: RwLock<HashMap<TokenHash, (Caller, std::time::Instant)>>,
}

/// Where the tokens are stored: the `tokens` table of either back end.
enum TokenTable {
    Sqlite(Connection),
    /// The connection is made again when it was lost.
    Postgres {
        url: String,
        client: Option<Box<postgres::Client>>,
    },
}

/// A stored token: its holder, its role, its hash, whether it is revoked.
type TokenRow = (String, String, String, bool);

/// A stored token without its hash: name, role, created_at, revoked_at.
type ListedRow = (String, String, String, Option<String>);

impl TokenTable {
    fn postgres(&mut self) -> Result<Option<&mut postgres::Client>, StoreError> {
        let TokenTable::Postgres { url, client } = self else {
            return Ok(None);
        };
        if client.as_ref().is_none_or(|client| client.is_closed()) {
            *client = Some(Box::new(crate::store::postgres::connect(url)?));
        }
        Ok(client.as_deref_mut())
    }

    fn count(&mut self) -> Result<i64, StoreError> {
        if let Some(client) = self.postgres()? {
            return Ok(client
                .query_one("SELECT COUNT(*) FROM tokens", &[])?
                .try_get(0)?);
        }
        let TokenTable::Sqlite(connection) = self else {
            unreachable!("not PostgreSQL")
        };
        Ok(connection.query_row("SELECT COUNT(*) FROM tokens", [], |row| row.get(0))?)
    }

    /// Inserts a token unless its name is taken; whether it was inserted.
    fn insert(&mut self, name: &str, role: &str, hash: &str, at: &str) -> Result<bool, StoreError> {
        if let Some(client) = self.postgres()? {
            let inserted = client.execute(
                "INSERT INTO tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &role, &hash, &at],
            )?;
            return Ok(inserted == 1);
        }
        let TokenTable::Sqlite(connection) = self else {
            unreachable!("not PostgreSQL")
        };
        let inserted = connection.execute(
            "INSERT OR IGNORE INTO tokens (name, role, hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![name, role, hash, at],
        )?;
        Ok(inserted == 1)
    }

    /// Revokes the token named `name` unless revoked; whether it was.
    fn revoke(&mut self, name: &str, at: &str) -> Result<bool, StoreError> {
        if let Some(client) = self.postgres()? {
            let revoked = client.execute(
                "UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL",
                &[&name, &at],
            )?;
            return Ok(revoked == 1);
        }
        let TokenTable::Sqlite(connection) = self else {
            unreachable!("not PostgreSQL")
        };
        let revoked = connection.execute(
            "UPDATE tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, at],
        )?;
        Ok(revoked == 1)
    }

    /// Every token, by name.
    fn list(&mut self) -> Result<Vec<ListedRow>, StoreError> {
        const LIST: &str = "SELECT name, role, created_at, revoked_at FROM tokens ORDER BY name";
        if let Some(client) = self.postgres()? {
            return client
                .query(LIST, &[])?
                .iter()
                .map(|row| {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                    ))
                })
                .collect();
        }
        let TokenTable::Sqlite(connection) = self else {
            unreachable!("not PostgreSQL")
        };
        let mut statement = connection.prepare(LIST)?;
        let rows = statement
            .query_map([], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    fn by_hash(&mut self, hash: &str) -> Result<Option<TokenRow>, StoreError> {
        if let Some(client) = self.postgres()? {
            let row = client.query_opt(
                "SELECT name, role, hash, revoked_at IS NOT NULL FROM tokens WHERE hash = $1",
                &[&hash],
            )?;
            return row
                .map(|row| {
                    Ok((
                        row.try_get(0)?,
                        row.try_get(1)?,
                        row.try_get(2)?,
                        row.try_get(3)?,
                    ))
                })
                .transpose();
        }
        let TokenTable::Sqlite(connection) = self else {
            unreachable!("not PostgreSQL")
        };
        Ok(connection
            .query_row(
                "SELECT name, role, hash, revoked_at IS NOT NULL FROM tokens WHERE hash = ?1",
                [hash],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?)
    }
}

impl Tokens {
    /// Opens the tokens of the existing database (never creating one: a mistyped path is an
    /// error, not a new record). Not in a process that already has the database open: see
    /// [`Tokens::open_beside`].
    pub fn open(database: impl Into<Database>) -> Result<Tokens, StoreError> {
        let table = match database.into() {
            Database::Sqlite(path) => {
                let database = crate::store::file::existing(&path)?;
                let mut connection = open_connection(&database.path)?;
                crate::schema::migrate(&mut connection)?;
                TokenTable::Sqlite(connection)
            }
            Database::Postgres(url) => {
                let mut client = crate::store::postgres::connect(&url)?;
                crate::store::postgres::schema::migrate(&mut client)?;
                TokenTable::Postgres {
                    url,
                    client: Some(Box::new(client)),
                }
            }
        };
        Ok(Tokens::over(table))
    }

    /// Opens the tokens of the database `log` writes, by the path the log opened it by, without
    /// opening the file again. (Closing any descriptor of a file drops every POSIX lock this
    /// process holds on it,
    /// SQLite's included. Another process (`acta token create`) would then take itself for the
    /// file's last user when it closes, checkpoint and delete the write-ahead log that the
    /// server goes on appending to: what is appended after that is seen by no other process and
    /// lost if the server dies.)
    pub fn open_beside(log: &crate::store::Log) -> Result<Tokens, StoreError> {
        let table = match log.database() {
            Database::Sqlite(path) => TokenTable::Sqlite(open_connection(path)?),
            Database::Postgres(url) => TokenTable::Postgres {
                url: url.clone(),
                client: None,
            },
        };
        Ok(Tokens::over(table))
    }

    fn over(table: TokenTable) -> Tokens {
        Tokens {
            table: Mutex::new(table),
            valid: RwLock::new(HashMap::new()),
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, TokenTable> {
        self.table.lock().expect("token table lock")
    }

    /// Whether any token was ever created.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.table().count()? == 0)
    }

    /// Creates a token named `name` and returns it: the only time it is ever seen.
    pub fn create(&self, name: &PlanKey, role: Role, now: Instant) -> Result<String, TokenError> {
        let token = generate_token()?;
        let hash = hash_token(&token);
        let inserted = self.table().insert(
            name.as_str(),
            role.as_str(),
            &lower_hex(&hash),
            &now.to_string(),
        )?;
        if !inserted {
            return Err(TokenError::NameTaken(name.to_string()));
        }
        Ok(token)
    }

    /// Revokes the token named `name`; it stops working at once.
    pub fn revoke(&self, name: &str, now: Instant) -> Result<(), TokenError> {
        let mut table = self.table();
        let revoked = table.revoke(name, &now.to_string())?;
        // Cleared while the table is still held, so that no concurrent first use of this
        // token (which looks it up and caches it under the same lock) can cache it again.
        self.valid
            .write()
            .expect("token cache lock")
            .retain(|_, (caller, _)| caller.name != name);
        drop(table);
        if !revoked {
            return Err(TokenError::NoSuchName(name.to_owned()));
        }
        Ok(())
    }

    /// Every token: name, role, when created and revoked — never a token or its hash.
    pub fn list(&self) -> Result<Vec<TokenInfo>, StoreError> {
        let instant = |text: &str| {
            text.parse::<Instant>()
                .map_err(|problem| StoreError::Corrupt {
                    seq: 0,
                    problem: format!("a token's time {text:?}: {problem}"),
                })
        };
        self.table()
            .list()?
            .into_iter()
            .map(|(name, role, created_at, revoked_at)| {
                Ok(TokenInfo {
                    role: role.parse().map_err(|problem: acta_messages::Message| {
                        StoreError::Corrupt {
                            seq: 0,
                            problem: format!("a token's role {role:?}: {problem}"),
                        }
                    })?,
                    created_at: instant(&created_at)?,
                    revoked_at: revoked_at.as_deref().map(instant).transpose()?,
                    name,
                })
            })
            .collect()
    }

    /// The holder of `token` if it is in the cache of valid tokens and was read from the
    /// database less than [`TOKEN_CACHE_TTL`] ago: no I/O, so callers on an async runtime can
    /// try this first and go to [`Tokens::authenticate`] only on a miss.
    pub fn authenticate_cached(&self, token: &str) -> Option<Caller> {
        self.valid
            .read()
            .expect("token cache lock")
            .get(&hash_token(token))
            .filter(|(_, read_at)| read_at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(caller, _)| caller.clone())
    }

    /// The holder of `token`, or `None` if it is not a valid, unrevoked token.
    pub fn authenticate(&self, token: &str) -> Result<Option<Caller>, StoreError> {
        Ok(match self.status(token)? {
            TokenStatus::Valid(caller) => Some(caller),
            TokenStatus::Revoked { .. } | TokenStatus::Unknown => None,
        })
    }

    /// What `token` is: valid (and cached as such), revoked, or unknown.
    pub fn status(&self, token: &str) -> Result<TokenStatus, StoreError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(TokenStatus::Unknown);
        }
        if let Some(caller) = self.authenticate_cached(token) {
            return Ok(TokenStatus::Valid(caller));
        }
        let hash = hash_token(token);
        let mut table = self.table();
        let Some((name, role, stored_hash, revoked)) = table.by_hash(&lower_hex(&hash))? else {
            return Ok(TokenStatus::Unknown);
        };
        if !bool::from(stored_hash.as_bytes().ct_eq(lower_hex(&hash).as_bytes())) {
            return Ok(TokenStatus::Unknown);
        }
        if revoked {
            // Revoked by another process: forget it here too.
            self.valid.write().expect("token cache lock").remove(&hash);
            return Ok(TokenStatus::Revoked { name });
        }
        let role = role
            .parse()
            .map_err(|problem: acta_messages::Message| StoreError::Corrupt {
                seq: 0,
                problem: problem.to_string(),
            })?;
        let caller = Caller { name, role };
        self.valid
            .write()
            .expect("token cache lock")
            .insert(hash, (caller.clone(), std::time::Instant::now()));
        drop(table);
        Ok(TokenStatus::Valid(caller))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Instant {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    #[test]
    fn tokens_work_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acta.db");
        crate::schema::migrate(&mut rusqlite::Connection::open(&path).unwrap()).unwrap();
        let tokens = Tokens::open(&path).unwrap();
        assert!(tokens.is_empty().unwrap());
        let name: PlanKey = "phong-sxsh".parse().unwrap();
        let token = tokens.create(&name, Role::Recorder, now()).unwrap();
        assert!(token.starts_with("acta_") && token.len() == 5 + 64);
        let caller = tokens.authenticate(&token).unwrap().unwrap();
        assert_eq!(
            caller,
            Caller {
                name: "phong-sxsh".into(),
                role: Role::Recorder
            }
        );
        assert!(matches!(
            tokens.create(&name, Role::Admin, now()),
            Err(TokenError::NameTaken(_))
        ));
        assert_eq!(tokens.authenticate("acta_0000").unwrap(), None);
        assert_eq!(
            tokens
                .authenticate(&token.replace("acta_", "other"))
                .unwrap(),
            None
        );
        tokens.revoke("phong-sxsh", now()).unwrap();
        assert_eq!(tokens.authenticate(&token).unwrap(), None);
        assert_eq!(
            tokens.status(&token).unwrap(),
            TokenStatus::Revoked {
                name: "phong-sxsh".into()
            }
        );
        assert_eq!(tokens.status("acta_0000").unwrap(), TokenStatus::Unknown);
        assert!(matches!(
            tokens.revoke("phong-sxsh", now()),
            Err(TokenError::NoSuchName(_))
        ));
        assert!(matches!(
            tokens.create(&name, Role::Admin, now()),
            Err(TokenError::NameTaken(_))
        ));
    }

    #[test]
    fn a_token_revoked_by_another_process_stops_working_here_within_the_cache_ttl() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("acta.db");
        crate::schema::migrate(&mut rusqlite::Connection::open(&path).unwrap()).unwrap();
        let server = Tokens::open(&path).unwrap();
        let other = Tokens::open(&path).unwrap();
        let later: Instant = "2026-11-29T08:30:00.5Z".parse().unwrap();
        let token = other
            .create(&"kiem-toan".parse().unwrap(), Role::Auditor, now())
            .unwrap();
        other
            .create(&"admin".parse().unwrap(), Role::Admin, later)
            .unwrap();
        assert!(server.authenticate(&token).unwrap().is_some());
        assert!(server.authenticate_cached(&token).is_some(), "cached");
        other.revoke("kiem-toan", later).unwrap();
        std::thread::sleep(TOKEN_CACHE_TTL);
        assert_eq!(
            server.authenticate_cached(&token),
            None,
            "the cache expired"
        );
        assert_eq!(server.authenticate(&token).unwrap(), None);

        let listed = server.list().unwrap();
        let shown = |name: &str, role, created_at, revoked_at| TokenInfo {
            name: name.to_owned(),
            role,
            created_at,
            revoked_at,
        };
        assert_eq!(
            listed,
            [
                shown("admin", Role::Admin, later, None),
                shown("kiem-toan", Role::Auditor, now(), Some(later)),
            ]
        );
    }

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.allows(Role::Recorder));
        assert!(Role::Recorder.allows(Role::Auditor));
        assert!(!Role::Auditor.allows(Role::Recorder));
        assert!(!Role::Recorder.allows(Role::Admin));
    }
}
