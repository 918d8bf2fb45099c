//! `acta token create | list | revoke`: the tokens of an existing database, beside a running
//! server if there is one (it notices a revocation within `TOKEN_CACHE_TTL`).

use std::process::ExitCode;

use acta_events::tokens::TokenInfo;
use acta_events::{Database, PlanKey, Role, TokenError, Tokens};

use crate::clock;

fn open(database: &Database) -> Result<Tokens, String> {
    Tokens::open(database).map_err(|error| format!("cannot open {database}: {error}"))
}

fn now() -> acta_events::Instant {
    acta_events::Instant::from_timestamp(clock::system()())
}

/// Prints the new token, alone on its line: the only time it is seen.
pub fn create(database: &Database, name: &PlanKey, role: Role) -> Result<ExitCode, String> {
    let token = open(database)?
        .create(name, role, now())
        .map_err(|error| error.to_string())?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}

/// Prints every token's name, role and times as a table; never a token or its hash.
pub fn list(database: &Database) -> Result<ExitCode, String> {
    let tokens = open(database)?
        .list()
        .map_err(|error| format!("cannot read the tokens of {database}: {error}"))?;
    if tokens.is_empty() {
        eprintln!("acta: {database} has no tokens yet (`acta serve` makes the first, an admin)");
    }
    print!("{}", table(&tokens));
    Ok(ExitCode::SUCCESS)
}

/// The table `acta token list` prints: a header, then one line a token, by name.
fn table(tokens: &[TokenInfo]) -> String {
    let rows: Vec<[String; 4]> = tokens
        .iter()
        .map(|token| {
            [
                token.name.clone(),
                token.role.to_string(),
                token.created_at.to_string(),
                token
                    .revoked_at
                    .map_or_else(|| "-".to_owned(), |at| at.to_string()),
            ]
        })
        .collect();
    let header = ["NAME", "ROLE", "CREATED (UTC)", "REVOKED (UTC)"].map(str::to_owned);
    let widths: Vec<usize> = (0..3)
        .map(|column| {
            std::iter::once(&header)
                .chain(&rows)
                .map(|row| row[column].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        for (column, width) in widths.iter().enumerate() {
            let cell = &row[column];
            out.push_str(cell);
            out.extend(std::iter::repeat_n(' ', width - cell.chars().count() + 2));
        }
        out.push_str(&row[3]);
        out.push('\n');
    }
    out
}

pub fn revoke(database: &Database, name: &str) -> Result<ExitCode, String> {
    match open(database)?.revoke(name, now()) {
        Ok(()) => {
            eprintln!("acta: revoked the token {name}; it no longer works");
            Ok(ExitCode::SUCCESS)
        }
        Err(TokenError::NoSuchName(_)) => Err(format!(
            "no token named {name} works in {database} (it may be revoked already): see \
             `acta token list --db {database}`"
        )),
        Err(error) => Err(error.to_string()),
    }
}
