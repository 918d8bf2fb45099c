//! Connections to PostgreSQL, all made with acta's timeouts: no request hangs on a database that
//! stopped answering.

use std::time::Duration;

use postgres::{Client, Config, NoTls};

use crate::error::StoreError;

/// How long a connection may take to be made.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a statement may run, and wait for a lock, before PostgreSQL gives it up: no request
/// hangs on a database that stopped answering.
const STATEMENT_TIMEOUT_MS: u32 = 30_000;
const LOCK_TIMEOUT_MS: u32 = 10_000;

/// How long sent data may stay unacknowledged by the database host before the connection is
/// taken for lost (a host that vanished, not one that is slow).
const TCP_USER_TIMEOUT: Duration = Duration::from_secs(15);

/// A new connection to the database at `url`, with acta's timeouts.
pub(crate) fn connect(url: &str) -> Result<Client, StoreError> {
    let mut config: Config = url.parse()?;
    config
        .connect_timeout(CONNECT_TIMEOUT)
        .tcp_user_timeout(TCP_USER_TIMEOUT)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30))
        .application_name("acta")
        .options(&format!(
            "-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} \
             -c idle_in_transaction_session_timeout={STATEMENT_TIMEOUT_MS} -c TimeZone=UTC"
        ));
    Ok(config.connect(NoTls)?)
}
