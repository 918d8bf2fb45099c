//! Rows the writer has decided to insert but not yet sent: a group's rows go to PostgreSQL in
//! one statement (`INSERT … SELECT FROM unnest(…)`, one round trip however many rows) when the
//! group commits, or earlier when a rule must read the log and so must see them. The head's
//! lock is held from the group's first statement to its commit, so every round trip saved there
//! is time every other instance waits less.

use postgres::types::ToSql;
use postgres::{Client, Statement};

use super::super::writer::NewRow;
use super::reads::as_bigint;

/// The statement that inserts every pending row, each column an array.
pub(super) const INSERT_ROWS: &str = "INSERT INTO events (seq, id, type, plan, version, \
     occurred_on, date_precision, recorded_at, actor, data, evidence, prev_hash, hash, target) \
     SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], \
     $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::TEXT[], \
     $13::TEXT[], $14::TEXT[])";

/// The pending rows, column by column.
#[derive(Default)]
pub(super) struct Pending {
    seq: Vec<i64>,
    id: Vec<String>,
    event_type: Vec<String>,
    plan: Vec<String>,
    version: Vec<i64>,
    occurred_on: Vec<String>,
    date_precision: Vec<String>,
    recorded_at: Vec<String>,
    actor: Vec<String>,
    data: Vec<String>,
    evidence: Vec<Option<String>>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
    target: Vec<Option<String>>,
}

impl Pending {
    pub(super) fn len(&self) -> usize {
        self.seq.len()
    }

    pub(super) fn push(&mut self, row: &NewRow<'_>) {
        let hashed = &row.hashed;
        self.seq.push(as_bigint(hashed.seq));
        self.id.push(hashed.id.to_owned());
        self.event_type.push(hashed.event_type.to_owned());
        self.plan.push(hashed.plan.to_owned());
        self.version.push(as_bigint(hashed.version));
        self.occurred_on.push(hashed.occurred_on.to_owned());
        self.date_precision.push(hashed.date_precision.to_owned());
        self.recorded_at.push(hashed.recorded_at.to_owned());
        self.actor.push(hashed.actor.to_owned());
        self.data.push(hashed.canonical_data.to_owned());
        self.evidence
            .push(hashed.canonical_evidence.map(str::to_owned));
        self.prev_hash.push(row.prev_hash.to_owned());
        self.hash.push(row.hash.to_owned());
        self.target.push(row.target.map(str::to_owned));
    }

    /// Forgets the rows after the first `len` (a request undone before they were sent).
    pub(super) fn truncate(&mut self, len: usize) {
        self.seq.truncate(len);
        self.id.truncate(len);
        self.event_type.truncate(len);
        self.plan.truncate(len);
        self.version.truncate(len);
        self.occurred_on.truncate(len);
        self.date_precision.truncate(len);
        self.recorded_at.truncate(len);
        self.actor.truncate(len);
        self.data.truncate(len);
        self.evidence.truncate(len);
        self.prev_hash.truncate(len);
        self.hash.truncate(len);
        self.target.truncate(len);
    }

    /// Inserts every pending row with `insert_rows` (prepared from [`INSERT_ROWS`]), then
    /// forgets them.
    pub(super) fn send(
        &mut self,
        client: &mut Client,
        insert_rows: &Statement,
    ) -> Result<(), postgres::Error> {
        if self.len() == 0 {
            return Ok(());
        }
        let params: [&(dyn ToSql + Sync); 14] = [
            &self.seq,
            &self.id,
            &self.event_type,
            &self.plan,
            &self.version,
            &self.occurred_on,
            &self.date_precision,
            &self.recorded_at,
            &self.actor,
            &self.data,
            &self.evidence,
            &self.prev_hash,
            &self.hash,
            &self.target,
        ];
        client.execute(insert_rows, &params)?;
        self.truncate(0);
        Ok(())
    }
}
