//! Checkpoints of the live aggregate, so that a query that travels in time does not fold every
//! act of the plans it asks about.
//!
//! Every `every` events (at the first change of `recorded_at` after that, so that a checkpoint
//! is exactly "known at" one millisecond), the record keeps a copy of the live aggregate's sums.
//! Its cells for indicators, yearly figures and topics already carry the year of `occurred_on`;
//! funding cells are keyed by fiscal year, so their sums are kept split by the year of
//! `occurred_on` too. The record also notes every correction and retraction in recorded order.
//! This module is the data; `fold.rs` folds from it.

use std::collections::HashMap;

use crate::aggregate::{Aggregate, YearTotals};
use crate::compact::{ActState, CellIndex, Payload, PlanIndex};

/// The least distance between checkpoints, in events, by default.
pub(crate) const DEFAULT_CHECKPOINT_EVERY: usize = 65_536;

/// By default a checkpoint may cost at most this many bytes per event since the previous one,
/// so checkpoints add at most about 64 MB per million events, however many cells the record
/// has: a record with many plans and years takes them further apart. (Twice the first
/// setting's density: with the yearly summary's listing made cheap, the fold from the last
/// checkpoint was the larger part of time travel; peak RSS of the bench's record rose 3 MB.)
pub(crate) const DEFAULT_BYTES_PER_EVENT: usize = 64;

/// The checkpoints of a record and what it keeps to take and use them.
#[derive(Debug)]
pub(crate) struct Checkpoints {
    /// The least number of events between checkpoints.
    every: usize,
    /// When set, the most a checkpoint may cost per event since the previous one.
    bytes_per_event: Option<usize>,
    /// Events applied since the last checkpoint.
    since_last: usize,
    list: Vec<Checkpoint>,
    /// The live funding sums split by the year of `occurred_on`: (funding cell, year) →
    /// planned, allocated, disbursed. What a checkpoint copies for funding.
    live_funding_by_year: HashMap<(CellIndex, i16), [i128; 3]>,
    /// Every correction and retraction of an act, in `seq` order (hence `recorded_at` order).
    revisions: Vec<RevisionNote>,
}

impl Default for Checkpoints {
    fn default() -> Self {
        Checkpoints {
            bytes_per_event: Some(DEFAULT_BYTES_PER_EVENT),
            ..Checkpoints::every(DEFAULT_CHECKPOINT_EVERY)
        }
    }
}

/// A correction or retraction of an act: when, and of which act.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RevisionNote {
    pub(crate) recorded_ms: i64,
    pub(crate) plan: PlanIndex,
    pub(crate) act: u32,
}

/// The live aggregate's sums as they stood when everything recorded by `known_ms`, and nothing
/// after, had been applied. Kept in `i64` to halve its size: a checkpoint is taken only when
/// every sum fits, and widened back exactly when read.
#[derive(Debug)]
pub(crate) struct Checkpoint {
    known_ms: i64,
    /// (year of `occurred_on`, funding cell, planned/allocated/disbursed), by year.
    funding: Vec<(i16, CellIndex, [i64; 3])>,
    indicator_actual: Vec<i64>,
    indicator_acts: Vec<i64>,
    years: Vec<NarrowYear>,
    topics: Vec<[i64; 2]>,
}

/// [`YearTotals`] in `i64`.
#[derive(Debug, Clone, Copy)]
struct NarrowYear {
    acts: i64,
    training_events: i64,
    training_sessions: i64,
    training_participants: i64,
    staff_assigned: i64,
    assessment_enterprises: i64,
    outreach_items: [i64; 8],
}

fn narrow(value: i128) -> Option<i64> {
    i64::try_from(value).ok()
}

fn narrow_all<const N: usize>(values: [i128; N]) -> Option<[i64; N]> {
    let mut narrowed = [0; N];
    for (to, from) in narrowed.iter_mut().zip(values) {
        *to = narrow(from)?;
    }
    Some(narrowed)
}

impl NarrowYear {
    fn of(totals: &YearTotals) -> Option<NarrowYear> {
        Some(NarrowYear {
            acts: totals.acts,
            training_events: totals.training_events,
            training_sessions: narrow(totals.training_sessions)?,
            training_participants: narrow(totals.training_participants)?,
            staff_assigned: narrow(totals.staff_assigned)?,
            assessment_enterprises: narrow(totals.assessment_enterprises)?,
            outreach_items: narrow_all(totals.outreach_items)?,
        })
    }

    fn widen(self) -> YearTotals {
        YearTotals {
            acts: self.acts,
            training_events: self.training_events,
            training_sessions: self.training_sessions.into(),
            training_participants: self.training_participants.into(),
            staff_assigned: self.staff_assigned.into(),
            assessment_enterprises: self.assessment_enterprises.into(),
            outreach_items: self.outreach_items.map(i128::from),
        }
    }
}

impl Checkpoint {
    /// A checkpoint of `live` (and the live funding by year), or `None` if a sum does not fit
    /// an `i64` (no real record comes near; time travel then folds from an earlier one).
    fn of(
        known_ms: i64,
        live: &Aggregate,
        funding_by_year: &HashMap<(CellIndex, i16), [i128; 3]>,
    ) -> Option<Checkpoint> {
        let mut funding = funding_by_year
            .iter()
            .map(|(&(cell, year), &sums)| Some((year, cell, narrow_all(sums)?)))
            .collect::<Option<Vec<_>>>()?;
        funding.sort_unstable_by_key(|&(year, cell, _)| (year, cell));
        let mut checkpoint = Checkpoint {
            known_ms,
            funding,
            indicator_actual: live
                .indicator_actual
                .iter()
                .map(|&actual| narrow(actual))
                .collect::<Option<_>>()?,
            indicator_acts: live.indicator_acts.clone(),
            years: live
                .years
                .iter()
                .map(NarrowYear::of)
                .collect::<Option<_>>()?,
            topics: live
                .topics
                .iter()
                .map(|&sums| narrow_all(sums))
                .collect::<Option<_>>()?,
        };
        // Collected through `Option`, the vectors may have grown past their length.
        checkpoint.funding.shrink_to_fit();
        checkpoint.indicator_actual.shrink_to_fit();
        checkpoint.years.shrink_to_fit();
        checkpoint.topics.shrink_to_fit();
        Some(checkpoint)
    }

    /// Everything recorded by this instant, and nothing after, is in the checkpoint.
    pub(crate) fn known_ms(&self) -> i64 {
        self.known_ms
    }

    /// The figures of a year cell, if the cell existed then.
    pub(crate) fn year(&self, cell: CellIndex) -> Option<YearTotals> {
        self.years.get(cell as usize).map(|sums| sums.widen())
    }

    /// The actual of an indicator cell, if the cell existed then.
    pub(crate) fn indicator_actual(&self, cell: CellIndex) -> Option<i128> {
        self.indicator_actual
            .get(cell as usize)
            .map(|&actual| actual.into())
    }

    /// How many acts fed an indicator cell, if the cell existed then.
    pub(crate) fn indicator_acts(&self, cell: CellIndex) -> Option<i64> {
        self.indicator_acts.get(cell as usize).copied()
    }

    /// Sessions and participants of a topic cell, if the cell existed then.
    pub(crate) fn topic(&self, cell: CellIndex) -> Option<[i128; 2]> {
        self.topics
            .get(cell as usize)
            .map(|&sums| sums.map(i128::from))
    }

    /// The funding sums (planned, allocated, disbursed) per funding cell of the years of
    /// `occurred_on` before `year` (of every year when `None`); a cell may come once per year.
    pub(crate) fn funding_before(
        &self,
        year: Option<i16>,
    ) -> impl Iterator<Item = (CellIndex, [i128; 3])> + '_ {
        let before = self
            .funding
            .partition_point(|&(funding_year, _, _)| year.is_none_or(|year| funding_year < year));
        self.funding[..before]
            .iter()
            .map(|&(_, cell, sums)| (cell, sums.map(i128::from)))
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        use std::mem::size_of;
        self.funding.capacity() * size_of::<(i16, CellIndex, [i64; 3])>()
            + self.indicator_actual.capacity() * size_of::<i64>()
            + self.indicator_acts.capacity() * size_of::<i64>()
            + self.years.capacity() * size_of::<NarrowYear>()
            + self.topics.capacity() * size_of::<[i64; 2]>()
    }
}

impl Checkpoints {
    /// A checkpoint every `every` events, whatever it costs.
    pub(crate) fn every(every: usize) -> Checkpoints {
        Checkpoints {
            every: every.max(1),
            bytes_per_event: None,
            since_last: 0,
            list: Vec::new(),
            live_funding_by_year: HashMap::new(),
            revisions: Vec::new(),
        }
    }

    /// Called by `apply` for every event, before it is applied: takes a checkpoint of `live`
    /// when enough events have passed and this event is recorded later than the last one
    /// (`last_ms`), so that the checkpoint holds exactly what was known at `last_ms`.
    pub(crate) fn before_event(&mut self, live: &Aggregate, last_ms: Option<i64>, ms: i64) {
        if let Some(last_ms) = last_ms
            && ms > last_ms
            && self.since_last >= self.every
            && self.bytes_per_event.is_none_or(|budget| {
                self.since_last.saturating_mul(budget) >= self.snapshot_bytes(live)
            })
        {
            if let Some(checkpoint) = Checkpoint::of(last_ms, live, &self.live_funding_by_year) {
                self.list.push(checkpoint);
            }
            self.since_last = 0;
        }
        self.since_last += 1;
    }

    /// What a checkpoint of `live` would hold, in bytes.
    fn snapshot_bytes(&self, live: &Aggregate) -> usize {
        use std::mem::size_of;
        self.live_funding_by_year.len() * size_of::<(i16, CellIndex, [i64; 3])>()
            + live.indicator_actual.len() * size_of::<i64>()
            + live.indicator_acts.len() * size_of::<i64>()
            + live.years.len() * size_of::<NarrowYear>()
            + live.topics.len() * size_of::<[i64; 2]>()
    }

    /// Follows the live aggregate's funding, split by the year of `occurred_on`.
    pub(crate) fn note_live(&mut self, state: &ActState, sign: i128) {
        if let Payload::Funds {
            kind,
            amount,
            funding_cell,
        } = state.payload
        {
            let key = (funding_cell, state.year);
            let sums = self.live_funding_by_year.entry(key).or_default();
            sums[kind as usize] += sign * i128::from(amount);
            if *sums == [0; 3] {
                self.live_funding_by_year.remove(&key);
            }
        }
    }

    pub(crate) fn note_revision(&mut self, recorded_ms: i64, plan: PlanIndex, act: u32) {
        self.revisions.push(RevisionNote {
            recorded_ms,
            plan,
            act,
        });
    }

    /// The least number of events between checkpoints.
    pub(crate) fn least_distance(&self) -> usize {
        self.every
    }

    /// The last checkpoint that holds only what was recorded by `known_ms` (`None`: now).
    pub(crate) fn last_known_by(&self, known_ms: Option<i64>) -> Option<&Checkpoint> {
        let found = match known_ms {
            None => self.list.len(),
            Some(known_ms) => self
                .list
                .partition_point(|checkpoint| checkpoint.known_ms <= known_ms),
        };
        self.list.get(found.checked_sub(1)?)
    }

    /// Every correction and retraction recorded after `known_ms`, in recorded order.
    pub(crate) fn revisions_after(&self, known_ms: i64) -> &[RevisionNote] {
        let first = self
            .revisions
            .partition_point(|note| note.recorded_ms <= known_ms);
        &self.revisions[first..]
    }

    /// How many checkpoints have been taken.
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.list.len()
    }

    /// Approximate heap bytes held by the checkpoints and the revision list.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> usize {
        self.list.iter().map(Checkpoint::bytes).sum::<usize>()
            + self.revisions.capacity() * std::mem::size_of::<RevisionNote>()
            + self.live_funding_by_year.capacity() * std::mem::size_of::<((u32, i16), [i128; 3])>()
    }
}
