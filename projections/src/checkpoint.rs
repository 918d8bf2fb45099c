//! Checkpoints of the live aggregate, so that a query that travels in time does not fold every
//! act of the plans it asks about.
//!
//! Every `every` events (at the first change of `recorded_at` after that, so that a checkpoint
//! is exactly "known at" one millisecond), the record keeps a copy of the live aggregate's sums.
//! Its cells for indicators, yearly figures and topics already carry the year of `occurred_on`;
//! funding cells are keyed by fiscal year, so their sums are kept split by the year of
//! `occurred_on` too. A query (`as_of` = d, `known_at` = t) then starts from the last checkpoint
//! recorded by t:
//!
//! 1. it copies the checkpoint's sums of the years before d's year, for the plans asked about;
//! 2. it adds the acts of d's year, as the checkpoint read them, dated by d (each plan indexes
//!    its acts by the years their versions occurred in);
//! 3. it adds the acts recorded after the checkpoint, as read at t (the tail of each plan);
//! 4. for acts recorded before the checkpoint but corrected or retracted after it and by t, it
//!    takes out the version the checkpoint read and puts in the one read at t (the aggregate is
//!    additive, with exact inverses);
//! 5. what its answer lists one by one (decisions and units for the yearly summary, targets
//!    for plan status, totals and trainings whose groups disagree for reconciliation) it folds
//!    as before, but only over the acts that can be listed for it; funding lists nothing.
//!
//! This is the same sum as a plain fold, regrouped; property tests compare the two.

use std::collections::HashMap;

use crate::aggregate::{Aggregate, ListKind, YearTotals};
use crate::compact::{CellIndex, Payload, PlanIndex, Version, VersionRef};
use crate::query::Visibility;
use crate::record::{PlanSet, Record};

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

#[derive(Debug, Clone, Copy)]
struct RevisionNote {
    recorded_ms: i64,
    plan: PlanIndex,
    act: u32,
}

/// The live aggregate's sums as they stood when everything recorded by `known_ms`, and nothing
/// after, had been applied. Kept in `i64` to halve its size: a checkpoint is taken only when
/// every sum fits, and widened back exactly when read.
#[derive(Debug)]
struct Checkpoint {
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
    pub(crate) fn note_live(&mut self, version: &Version, sign: i128) {
        if let Payload::Funds {
            kind,
            amount,
            funding_cell,
        } = version.payload
        {
            let key = (funding_cell, version.year);
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

impl Record {
    /// The aggregate for these time axes over these plans, from the last checkpoint recorded
    /// by `known_at`; `None` when there is none, or when the plans asked about have fewer acts
    /// than lie between checkpoints (a plain fold of them is then as cheap).
    pub(crate) fn fold_from_checkpoint(
        &self,
        visibility: Visibility,
        plans: &PlanSet,
        lists: &[ListKind],
    ) -> Option<Aggregate> {
        let checkpoints = &self.checkpoints;
        let found = match visibility.known_ms {
            None => checkpoints.list.len(),
            Some(known_ms) => checkpoints
                .list
                .partition_point(|checkpoint| checkpoint.known_ms <= known_ms),
        };
        let checkpoint = checkpoints.list.get(found.checked_sub(1)?)?;
        let acts: usize = plans
            .members
            .iter()
            .map(|&plan| self.plan_at(plan).acts.len())
            .sum();
        if acts < checkpoints.every {
            return None;
        }
        let at_checkpoint = Some(checkpoint.known_ms);
        let as_of_year = visibility.as_of.map(|day| day.to_civil().year());
        let before = |year: i16| as_of_year.is_none_or(|as_of_year| year < as_of_year);
        let mut aggregate = Aggregate::sized(self.cell_counts());

        // 1. The checkpoint's sums of the years before `as_of`'s.
        for &plan in &plans.members {
            let entry = self.plan_at(plan);
            for &cell in &entry.year_cells {
                if let Some(&sums) = checkpoint.years.get(cell as usize)
                    && before(self.year_cells.key(cell).year)
                {
                    aggregate.years[cell as usize] = sums.widen();
                }
            }
            for &cell in &entry.indicator_cells {
                if before(self.indicator_cells.key(cell).year) {
                    let index = cell as usize;
                    if let Some(&actual) = checkpoint.indicator_actual.get(index) {
                        aggregate.indicator_actual[index] = actual.into();
                    }
                    if let Some(&count) = checkpoint.indicator_acts.get(index) {
                        aggregate.indicator_acts[index] = count;
                    }
                }
            }
            for &cell in &entry.topic_cells {
                if let Some(&sums) = checkpoint.topics.get(cell as usize)
                    && before(self.topic_cells.key(cell).year)
                {
                    aggregate.topics[cell as usize] = sums.map(i128::from);
                }
            }
        }
        let funding_years = checkpoint
            .funding
            .partition_point(|&(year, _, _)| before(year));
        for &(_, cell, sums) in &checkpoint.funding[..funding_years] {
            if plans.contains(self.funding_cells.key(cell).plan) {
                let target = &mut aggregate.funding[cell as usize];
                for (sum, amount) in target.iter_mut().zip(sums) {
                    *sum += i128::from(amount);
                }
            }
        }

        // A plan's acts are in recorded order: those the checkpoint read are a prefix (up to
        // `tail`), and so are those recorded by `known_at` (up to `known`, kept per plan for
        // step 5). Comparing an act's index with them spares reading the act.
        let mut known_by_plan: Vec<usize> = Vec::with_capacity(plans.members.len());
        for &plan in &plans.members {
            let entry = self.plan_at(plan);
            let tail = entry
                .acts
                .partition_point(|event| event.recorded_ms <= checkpoint.known_ms);
            // 2. The acts of `as_of`'s year, as the checkpoint read them.
            if let Some(as_of_year) = as_of_year
                && let Some((_, acts)) = entry.acts_by_year.iter().find(|(y, _)| *y == as_of_year)
            {
                for &act in acts {
                    if act as usize >= tail {
                        continue;
                    }
                    if let Some((_, version)) = entry.acts[act as usize].version_at(at_checkpoint)
                        && version.year == as_of_year
                        && visibility.dated(version.day)
                    {
                        aggregate.add_sums(version, 1);
                    }
                }
            }
            // 3. The acts recorded after the checkpoint, as read at `known_at`.
            let mut known = entry.acts.len();
            for (index, event) in entry.acts.iter().enumerate().skip(tail) {
                if !visibility.recorded(event.recorded_ms) {
                    known = index;
                    break;
                }
                if let Some((_, version)) = event.version_at(visibility.known_ms)
                    && visibility.dated(version.day)
                {
                    aggregate.add_sums(version, 1);
                }
            }
            known_by_plan.push(known);
        }

        // 4. Earlier acts revised after the checkpoint: the checkpoint's version out, the
        // version at `known_at` in.
        let first = checkpoints
            .revisions
            .partition_point(|note| note.recorded_ms <= checkpoint.known_ms);
        let mut revised: Vec<(PlanIndex, u32)> = checkpoints.revisions[first..]
            .iter()
            .take_while(|note| visibility.recorded(note.recorded_ms))
            .filter(|note| {
                plans.contains(note.plan)
                    && self.plan_at(note.plan).acts[note.act as usize].recorded_ms
                        <= checkpoint.known_ms
            })
            .map(|note| (note.plan, note.act))
            .collect();
        revised.sort_unstable();
        revised.dedup();
        for (plan, act) in revised {
            let event = &self.plan_at(plan).acts[act as usize];
            if let Some((_, version)) = event.version_at(at_checkpoint)
                && visibility.dated(version.day)
            {
                aggregate.add_sums(version, -1);
            }
            if let Some((_, version)) = event.version_at(visibility.known_ms)
                && visibility.dated(version.day)
            {
                aggregate.add_sums(version, 1);
            }
        }

        // 5. What the answer lists, folded over the acts that can be listed for it.
        for (&plan, known) in plans.members.iter().zip(known_by_plan) {
            let entry = self.plan_at(plan);
            for &act in lists
                .iter()
                .flat_map(|&kind| &entry.listed_acts[kind as usize])
            {
                if act as usize >= known {
                    continue;
                }
                if let Some((revision, version)) =
                    entry.acts[act as usize].version_at(visibility.known_ms)
                    && visibility.dated(version.day)
                {
                    let reference = VersionRef {
                        plan,
                        act,
                        revision,
                    };
                    let seq = entry.act_identities[act as usize].seq;
                    aggregate.add_listed(reference, version, seq, 1);
                }
            }
        }
        Some(aggregate)
    }
}
