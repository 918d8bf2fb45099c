//! PostgreSQL's side of the write interface ([`Transactions`]): the writer's connection, its
//! transactions — each starting by locking `acta_head`, the one point at which the commits of
//! every instance are put in order — and the rules' view of the log inside them.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use postgres::{Client, Statement};

use crate::error::{AppendError, StoreError};
use crate::stored::StoredEvent;
use crate::types::{EventId, PlanKey};

use super::super::health;
use super::super::rows::{EVENT_COLUMNS, event_from_row};
use super::super::rules::{self, DecisionChange, DecisionKey, Holder, PlanStream};
use super::super::state::{NEWEST_ID, STREAM_EVENTS, STREAM_VERSIONS, WriterState};
use super::super::types::Head;
use super::super::writer::{NewRow, Transactions};
use super::connect::connect;
use super::pending::{INSERT_ROWS, Pending};
use super::reads::{as_bigint, head_from_text, read_head};
use crate::error::{is_unreachable, postgres_append_error as append_error};

/// The statements of every group, prepared once per connection.
struct Statements {
    hash_at: Statement,
    events_between: Statement,
    insert_rows: Statement,
    event_by_id: Statement,
    is_retracted: Statement,
    decision_holder: Statement,
    decision_key_of: Statement,
    free_decision: Statement,
    take_decision: Statement,
}

impl Statements {
    fn prepare(client: &mut Client) -> Result<Statements, postgres::Error> {
        Ok(Statements {
            hash_at: client.prepare("SELECT hash FROM events WHERE seq = $1")?,
            // Bounded on both sides: a prepared statement's generic plan for `seq > $1` alone
            // expects a third of the table and chose a parallel sequential scan, inside the
            // head's lock (measured: two instances at 0.06× the single-row limit).
            events_between: client.prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE seq > $1 AND seq <= $2 ORDER BY seq"
            ))?,
            insert_rows: client.prepare(INSERT_ROWS)?,
            event_by_id: client
                .prepare(&format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1"))?,
            is_retracted: client
                .prepare("SELECT 1 FROM events WHERE target = $1 AND type = 'event.retracted'")?,
            decision_holder: client.prepare(
                "SELECT event_id FROM decision_numbers \
                 WHERE issuer = $1 AND number = $2 AND year = $3",
            )?,
            decision_key_of: client
                .prepare("SELECT issuer, number, year FROM decision_numbers WHERE event_id = $1")?,
            free_decision: client.prepare("DELETE FROM decision_numbers WHERE event_id = $1")?,
            take_decision: client.prepare(
                "INSERT INTO decision_numbers (issuer, number, year, event_id) \
                 VALUES ($1, $2, $3, $4)",
            )?,
        })
    }
}

/// The writer's connection, made again when it was lost.
struct Connection {
    client: Client,
    statements: Statements,
}

pub(super) struct PgTransactions {
    url: String,
    /// `None` after the connection was lost, until the next group connects again.
    connection: Option<Connection>,
    /// Whether a statement failed in the open transaction, which PostgreSQL then refuses to go
    /// on with except back to a savepoint.
    failed: Cell<bool>,
    in_savepoint: bool,
    /// The group's rows not sent yet (see `pending.rs`), and how many there were when the open
    /// savepoint was taken: rolling back to it forgets those after.
    pending: RefCell<Pending>,
    pending_at_savepoint: Cell<Option<usize>>,
    health: Arc<health::Health>,
}

impl PgTransactions {
    pub(super) fn new(
        url: &str,
        mut client: Client,
        health: Arc<health::Health>,
    ) -> Result<PgTransactions, StoreError> {
        let statements = Statements::prepare(&mut client)?;
        Ok(PgTransactions {
            url: url.to_owned(),
            connection: Some(Connection { client, statements }),
            failed: Cell::new(false),
            in_savepoint: false,
            pending: RefCell::default(),
            pending_at_savepoint: Cell::new(None),
            health,
        })
    }

    /// The writer's state as the database holds it now.
    pub(super) fn load_state(mut self) -> Result<(PgTransactions, WriterState), StoreError> {
        let state = self.reload()?;
        Ok((self, state))
    }

    /// The connection, made again if it was lost.
    fn connection(&mut self) -> Result<&mut Connection, AppendError> {
        if self
            .connection
            .as_ref()
            .is_some_and(|connection| connection.client.is_closed())
        {
            self.connection = None;
        }
        if self.connection.is_none() {
            let mut client = connect(&self.url).map_err(|error| {
                AppendError::Unavailable(format!(
                    "the database cannot be reached ({error}): nothing of this request was \
                     stored; try again"
                ))
            })?;
            let statements = Statements::prepare(&mut client).map_err(|e| append_error(&e))?;
            eprintln!("acta: connected to the database again");
            self.connection = Some(Connection { client, statements });
        }
        Ok(self.connection.as_mut().expect("connected above"))
    }

    /// The error of a failed statement, noting that the transaction cannot go on as it was and,
    /// for a lost connection, that the next group must connect again.
    fn failure(&mut self, error: postgres::Error) -> AppendError {
        self.failed.set(true);
        if is_unreachable(&error) {
            self.connection = None;
        }
        append_error(&error)
    }

    fn run(&mut self, sql: &str) -> Result<(), AppendError> {
        let result = self.connection()?.client.batch_execute(sql);
        result.map_err(|error| self.failure(error))
    }

    /// Sends the group's pending rows.
    fn send_pending(&mut self) -> Result<(), AppendError> {
        let connection = self.connection.as_mut().ok_or_else(|| {
            AppendError::Unavailable("the connection to the database was lost".into())
        })?;
        let sent = send(
            self.pending.get_mut(),
            &self.pending_at_savepoint,
            &mut connection.client,
            &connection.statements.insert_rows,
        );
        sent.map_err(|error| self.failure(error))
    }

    /// Reads what others committed after `state`'s head, inside the transaction, and brings
    /// `state` up to it.
    fn catch_up(
        &mut self,
        state: &mut WriterState,
        found: Head,
        stale: bool,
    ) -> Result<Vec<StoredEvent>, AppendError> {
        let believed = state.head.clone();
        if found == believed && !stale {
            return Ok(Vec::new());
        }
        let connection = self.connection()?;
        // The head moved on from the one believed: read what came after it. If the first of
        // those chains onto the believed head, that head is still there (one round trip, not
        // two); else, or if the head did not move on, look the believed head up.
        let mut missed = Vec::new();
        let mut rows_read = 0;
        if found.seq > believed.seq {
            let rows = connection
                .client
                .query(
                    &connection.statements.events_between,
                    &[&as_bigint(believed.seq), &as_bigint(found.seq)],
                )
                .map_err(|error| append_error(&error))?;
            rows_read = rows.len();
            // A row that does not read was altered behind the store's back: verification names
            // it, and the state is read again whole.
            missed.extend(rows.iter().filter_map(|row| event_from_row(row).ok()));
        }
        let chains_on = missed
            .first()
            .is_some_and(|first| first.seq == believed.seq + 1 && first.prev_hash == believed.hash);
        let still_there = chains_on
            || match believed.seq {
                0 => true,
                seq => {
                    connection
                        .client
                        .query_opt(&connection.statements.hash_at, &[&as_bigint(seq)])
                        .map_err(|error| append_error(&error))?
                        .map(|row| row.get::<_, String>(0))
                        .as_deref()
                        == Some(believed.hash.as_str())
                }
            };
        if !still_there && !stale {
            let cause = format!(
                "the database changed beneath the running writer: its event at seq {} is no \
                 longer the one this instance wrote (the database was restored or replaced \
                 while it ran). Appends are refused; restart acta",
                believed.seq
            );
            eprintln!("acta: {cause}");
            self.health.refuse(cause.clone());
            return Err(AppendError::Unavailable(cause));
        }
        if !still_there {
            // After a failed commit: read again what is there after the head found.
            missed.clear();
            rows_read = 0;
        }
        let absorbed = still_there
            && !stale
            && missed.len() == rows_read
            && missed.iter().all(|event| state.absorb(event));
        if !absorbed || state.head != found {
            *state = self.load_in_transaction(found)?;
        }
        Ok(missed)
    }

    /// The whole state read inside the open transaction, whose head is `head`.
    fn load_in_transaction(&mut self, head: Head) -> Result<WriterState, AppendError> {
        let client = &mut self.connection()?.client;
        load(client, head).map_err(AppendError::from)
    }
}

/// The writer's state read with the queries every back end's state is folded from.
fn load(client: &mut Client, head: Head) -> Result<WriterState, StoreError> {
    let stream_events: Vec<StoredEvent> = client
        .query(
            &format!("SELECT {EVENT_COLUMNS} FROM events WHERE {STREAM_EVENTS} ORDER BY seq"),
            &[],
        )?
        .iter()
        .filter_map(|row| event_from_row(row).ok())
        .collect();
    let mut stream_versions = Vec::new();
    for row in client.query(STREAM_VERSIONS, &[])? {
        let version: i64 = row.try_get(1)?;
        stream_versions.push((row.try_get(0)?, u64::try_from(version).unwrap_or(0)));
    }
    let newest_id: Option<String> = client.query_one(NEWEST_ID, &[])?.try_get(0)?;
    Ok(WriterState::from_stored(
        head,
        &stream_events,
        stream_versions,
        newest_id.as_deref(),
    ))
}

impl Transactions for PgTransactions {
    type View<'a> = PgView<'a>;

    fn begin(
        &mut self,
        state: &mut WriterState,
        stale: bool,
        _want_missed: bool,
    ) -> Result<Vec<StoredEvent>, AppendError> {
        self.failed.set(false);
        self.in_savepoint = false;
        // BEGIN and the lock in one round trip (the simple protocol runs both).
        let locked = self
            .connection()?
            .client
            .simple_query("BEGIN; SELECT seq, hash, recorded_at FROM acta_head FOR UPDATE");
        let messages = locked.map_err(|error| self.failure(error))?;
        let found = messages
            .iter()
            .find_map(|message| match message {
                postgres::SimpleQueryMessage::Row(row) => Some(head_from_text(row)),
                _ => None,
            })
            .unwrap_or_else(|| Err(StoreError::Io("acta_head has no row".into())))?;
        // The events of other instances are needed whether or not anyone listens: they change
        // the state the rules decide on.
        self.catch_up(state, found, stale)
    }

    /// The rows of the requests before this one are sent first: rows sent after the savepoint
    /// are this request's only, so that rolling back to it undoes nothing acknowledged.
    fn savepoint(&mut self) -> Result<(), AppendError> {
        self.send_pending()?;
        self.run("SAVEPOINT request")?;
        self.in_savepoint = true;
        self.pending_at_savepoint.set(Some(0));
        Ok(())
    }

    fn release_savepoint(&mut self) -> Result<(), AppendError> {
        self.in_savepoint = false;
        self.pending_at_savepoint.set(None);
        self.run("RELEASE SAVEPOINT request")
    }

    fn rollback_to_savepoint(&mut self) -> Result<(), AppendError> {
        self.in_savepoint = false;
        // Rows sent since the savepoint go with it; those not sent yet are forgotten here.
        if let Some(len) = self.pending_at_savepoint.take() {
            self.pending.get_mut().truncate(len);
        }
        self.run("ROLLBACK TO SAVEPOINT request; RELEASE SAVEPOINT request")?;
        self.failed.set(false);
        Ok(())
    }

    fn transaction_lost(&mut self) -> bool {
        self.connection.is_none() || (self.failed.get() && !self.in_savepoint)
    }

    fn view<'a>(&'a mut self, state: &'a WriterState) -> PgView<'a> {
        let connection = self.connection.as_mut().expect("connected in begin");
        PgView {
            client: RefCell::new(&mut connection.client),
            statements: &connection.statements,
            failed: &self.failed,
            pending: &self.pending,
            pending_at_savepoint: &self.pending_at_savepoint,
            state,
        }
    }

    /// Keeps the row to send with the group's others (see `pending.rs`). Two events cannot
    /// take one id here: the rules looked it up inside the head's lock.
    fn insert(&mut self, row: &NewRow<'_>) -> Result<(), AppendError> {
        self.pending.get_mut().push(row);
        Ok(())
    }

    fn change_decision(
        &mut self,
        change: &DecisionChange,
        this_event: EventId,
    ) -> Result<(), AppendError> {
        let connection = self.connection()?;
        let result = match change {
            DecisionChange::Free(holder) => connection
                .client
                .execute(&connection.statements.free_decision, &[&holder.to_string()]),
            DecisionChange::Take(key, holder) => {
                let holder = match holder {
                    Holder::ThisEvent => this_event,
                    Holder::Stored(target) => *target,
                };
                connection.client.execute(
                    &connection.statements.take_decision,
                    &[&key.issuer, &key.number, &key.year, &holder.to_string()],
                )
            }
        };
        result.map(drop).map_err(|error| self.failure(error))
    }

    fn commit(&mut self, head: &Head) -> Result<(), AppendError> {
        // The head's update, the notification (sent when, and only if, the transaction
        // commits) and the commit in one round trip. The values are acta's own — a number, a
        // hash in hex, an instant as acta prints it — and are checked to be nothing else.
        let recorded_at = head.recorded_at.map(|at| at.to_string());
        let safe = |text: &str| {
            text.bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"-:.".contains(&byte))
        };
        if !safe(&head.hash) || !recorded_at.as_deref().is_none_or(safe) {
            return Err(AppendError::Storage(format!(
                "an unexpected head: {head:?}"
            )));
        }
        let recorded_at = recorded_at.map_or("NULL".to_owned(), |at| format!("'{at}'"));
        self.send_pending()?;
        let sql = format!(
            "UPDATE acta_head SET seq = {seq}, hash = '{hash}', recorded_at = {recorded_at}; \
             NOTIFY acta_commits, '{seq}'; COMMIT",
            seq = head.seq,
            hash = head.hash,
        );
        let committed = self.connection()?.client.batch_execute(&sql);
        committed.map_err(|error| {
            let unknown = is_unreachable(&error);
            let failure = self.failure(error);
            match unknown {
                // The COMMIT may have reached the database before the connection went.
                true => AppendError::Unavailable(
                    "the connection to the database was lost while committing: the request may \
                     or may not be stored. Send it again with the same id; a stored event is \
                     answered as already stored, one not stored is stored then"
                        .into(),
                ),
                false => failure,
            }
        })
    }

    fn rollback(&mut self) {
        self.pending.get_mut().truncate(0);
        self.pending_at_savepoint.set(None);
        if let Some(connection) = &mut self.connection {
            let _ = connection.client.batch_execute("ROLLBACK");
        }
        self.failed.set(false);
        self.in_savepoint = false;
    }

    fn reload(&mut self) -> Result<WriterState, StoreError> {
        let client = &mut self
            .connection()
            .map_err(|error| StoreError::Io(error.to_string()))?
            .client;
        let head = read_head(client)?;
        load(client, head)
    }
}

/// Sends `pending`; rows added after this are all after any open savepoint.
fn send(
    pending: &mut Pending,
    pending_at_savepoint: &Cell<Option<usize>>,
    client: &mut Client,
    insert_rows: &Statement,
) -> Result<(), postgres::Error> {
    if pending.len() == 0 {
        return Ok(());
    }
    pending.send(client, insert_rows)?;
    if pending_at_savepoint.get().is_some() {
        pending_at_savepoint.set(Some(0));
    }
    Ok(())
}

/// What the rules read of a PostgreSQL log, inside the writer's transaction: the streams from
/// the writer's state (brought up to date with other instances' commits when the transaction
/// began), the rest from the database.
pub(super) struct PgView<'a> {
    client: RefCell<&'a mut Client>,
    statements: &'a Statements,
    failed: &'a Cell<bool>,
    pending: &'a RefCell<Pending>,
    pending_at_savepoint: &'a Cell<Option<usize>>,
    state: &'a WriterState,
}

impl PgView<'_> {
    fn query_opt(
        &self,
        statement: &Statement,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, StoreError> {
        let mut client = self.client.borrow_mut();
        // What the rules read must include the rows of this group not sent yet.
        let result = send(
            &mut self.pending.borrow_mut(),
            self.pending_at_savepoint,
            &mut client,
            &self.statements.insert_rows,
        )
        .and_then(|()| client.query_opt(statement, params));
        result.map_err(|error| {
            self.failed.set(true);
            StoreError::Postgres(error)
        })
    }
}

impl rules::Stored for PgView<'_> {
    fn stream(&self, plan: &PlanKey) -> Option<&PlanStream> {
        self.state.plans.get(plan)
    }

    fn event(&self, id: EventId) -> Result<Option<StoredEvent>, StoreError> {
        // An id above every stored one cannot be stored: no lookup.
        if !self.state.may_hold(id) {
            return Ok(None);
        }
        self.query_opt(&self.statements.event_by_id, &[&id.to_string()])?
            .map(|row| event_from_row(&row))
            .transpose()
    }

    fn is_retracted(&self, id: EventId) -> Result<bool, StoreError> {
        Ok(self
            .query_opt(&self.statements.is_retracted, &[&id.to_string()])?
            .is_some())
    }

    fn decision_holder(&self, key: &DecisionKey) -> Result<Option<EventId>, StoreError> {
        let row = self.query_opt(
            &self.statements.decision_holder,
            &[&key.issuer, &key.number, &key.year],
        )?;
        row.map(|row| {
            let text: String = row.try_get(0)?;
            text.parse().map_err(|problem| StoreError::Corrupt {
                seq: 0,
                problem: format!("decision_numbers holds the id {text:?}: {problem}"),
            })
        })
        .transpose()
    }

    fn decision_key_of(&self, id: EventId) -> Result<Option<DecisionKey>, StoreError> {
        let row = self.query_opt(&self.statements.decision_key_of, &[&id.to_string()])?;
        row.map(|row| {
            Ok(DecisionKey {
                issuer: row.try_get(0)?,
                number: row.try_get(1)?,
                year: row.try_get(2)?,
            })
        })
        .transpose()
    }
}
