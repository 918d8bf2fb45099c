//! The aggregate a query reads, for its time axes: the live one for "now"; else one folded from
//! the last checkpoint recorded by `known_at` (`checkpoint.rs`); else one linear pass over the
//! compact acts of the plans asked about.
//!
//! A query (`as_of` = d, `known_at` = t) that starts from a checkpoint:
//!
//! 1. copies the checkpoint's sums of the years before d's year, for the plans asked about;
//! 2. adds the acts of d's year, as the checkpoint read them, dated by d (each plan indexes its
//!    acts by the years their versions occurred in);
//! 3. adds the acts recorded after the checkpoint, as read at t (the tail of each plan);
//! 4. for acts recorded before the checkpoint but corrected or retracted after it and by t,
//!    takes out the version the checkpoint read and puts in the one read at t (the aggregate is
//!    additive, with exact inverses);
//! 5. folds what its answer lists one by one (decisions and units for the yearly summary,
//!    targets for plan status, totals and trainings whose groups disagree for reconciliation)
//!    as a plain fold does, but only over the acts that can be listed for it; funding lists
//!    nothing.
//!
//! This is the same sum as a plain fold, regrouped; property tests compare the two.

use crate::aggregate::{Aggregate, ListKind};
use crate::checkpoint::Checkpoint;
use crate::compact::{ActStateRef, PlanIndex, dense_index};
use crate::plans::{Plan, PlanSet};
use crate::query::Visibility;
use crate::record::Record;

/// The aggregate a query reads: the live one, or one folded for its time axes.
pub(crate) enum AggregateView<'a> {
    Live(&'a Aggregate),
    Folded(Box<Aggregate>),
}

impl std::ops::Deref for AggregateView<'_> {
    type Target = Aggregate;

    fn deref(&self) -> &Aggregate {
        match self {
            AggregateView::Live(aggregate) => aggregate,
            AggregateView::Folded(aggregate) => aggregate,
        }
    }
}

/// The aggregate for these time axes over these plans: the live one for "now", else one
/// built from a checkpoint ([`fold_from_checkpoint`]), else one linear pass over the
/// compact acts of `plans`, stopping at the first act recorded after `known_at` (acts are
/// in `recorded_at` order).
///
/// `lists` names what the answer reads of what aggregates list one by one: a fold from a
/// checkpoint lists only that (the other aggregates list everything).
pub(crate) fn aggregate<'r>(
    record: &'r Record,
    visibility: Visibility,
    plans: &PlanSet,
    lists: &[ListKind],
) -> AggregateView<'r> {
    if visibility.is_now() {
        AggregateView::Live(record.live())
    } else if let Some(aggregate) = fold_from_checkpoint(record, visibility, plans, lists) {
        AggregateView::Folded(Box::new(aggregate))
    } else {
        AggregateView::Folded(Box::new(fold(record, visibility, plans)))
    }
}

/// Every act of `plans` recorded by `known_at`, as read then, dated by `as_of`.
fn fold(record: &Record, visibility: Visibility, plans: &PlanSet) -> Aggregate {
    let mut aggregate = Aggregate::sized(record.tables.cells.counts());
    for &plan in &plans.members {
        for (act, event) in record.plans[plan as usize].acts.iter().enumerate() {
            if !visibility.recorded(event.recorded_ms) {
                break;
            }
            let Some((revision, state)) = event.state_at(visibility.known_ms) else {
                continue;
            };
            if !visibility.dated(state.day) {
                continue;
            }
            let reference = ActStateRef {
                plan,
                act: dense_index(act),
                revision,
            };
            let seq = record.plans[plan as usize].act_identities[act].seq;
            aggregate.add(reference, state, seq, 1);
        }
    }
    aggregate
}

/// The aggregate for these time axes over these plans, from the last checkpoint recorded
/// by `known_at`; `None` when there is none, or when the plans asked about have fewer acts
/// than lie between checkpoints (a plain fold of them is then as cheap).
fn fold_from_checkpoint(
    record: &Record,
    visibility: Visibility,
    plans: &PlanSet,
    lists: &[ListKind],
) -> Option<Aggregate> {
    let checkpoints = &record.checkpoints;
    let checkpoint = checkpoints.last_known_by(visibility.known_ms)?;
    let acts: usize = plans
        .members
        .iter()
        .map(|&plan| record.plan_at(plan).acts.len())
        .sum();
    if acts < checkpoints.least_distance() {
        return None;
    }
    let mut fold = FoldFromCheckpoint {
        record,
        checkpoint,
        visibility,
        plans,
        as_of_year: visibility.as_of.map(|day| day.to_civil().year()),
        aggregate: Aggregate::sized(record.tables.cells.counts()),
    };
    fold.copy_years_before_as_of();
    // A plan's acts are in recorded order: those the checkpoint read are a prefix (up to
    // `tail`), and so are those recorded by `known_at` (up to `known`, kept per plan for
    // step 5). Comparing an act's index with them spares reading the act.
    let mut known_by_plan: Vec<usize> = Vec::with_capacity(plans.members.len());
    for &plan in &plans.members {
        let entry = record.plan_at(plan);
        let tail = entry
            .acts
            .partition_point(|event| event.recorded_ms <= checkpoint.known_ms());
        fold.add_as_of_year_as_checkpoint_read(entry, tail);
        known_by_plan.push(fold.add_tail_as_known(entry, tail));
    }
    fold.replace_revised_since_checkpoint();
    fold.list_what_the_answer_lists(lists, &known_by_plan);
    Some(fold.aggregate)
}

/// A fold from one checkpoint, made in the steps the module docs number.
struct FoldFromCheckpoint<'a> {
    record: &'a Record,
    checkpoint: &'a Checkpoint,
    visibility: Visibility,
    plans: &'a PlanSet,
    as_of_year: Option<i16>,
    aggregate: Aggregate,
}

impl FoldFromCheckpoint<'_> {
    /// Whether the checkpoint's sums of `year` are taken whole (step 1).
    fn before_as_of(&self, year: i16) -> bool {
        self.as_of_year.is_none_or(|as_of_year| year < as_of_year)
    }

    /// Step 1: the checkpoint's sums of the years before `as_of`'s.
    fn copy_years_before_as_of(&mut self) {
        let (record, checkpoint) = (self.record, self.checkpoint);
        for &plan in &self.plans.members {
            let entry = record.plan_at(plan);
            for &cell in &entry.cells.years {
                if self.before_as_of(record.tables.cells.years.key(cell).year)
                    && let Some(sums) = checkpoint.year(cell)
                {
                    self.aggregate.years[cell as usize] = sums;
                }
            }
            for &cell in &entry.cells.indicators {
                if self.before_as_of(record.tables.cells.indicators.key(cell).year) {
                    let index = cell as usize;
                    if let Some(actual) = checkpoint.indicator_actual(cell) {
                        self.aggregate.indicator_actual[index] = actual;
                    }
                    if let Some(count) = checkpoint.indicator_acts(cell) {
                        self.aggregate.indicator_acts[index] = count;
                    }
                }
            }
            for &cell in &entry.cells.topics {
                if self.before_as_of(record.tables.cells.topics.key(cell).year)
                    && let Some(sums) = checkpoint.topic(cell)
                {
                    self.aggregate.topics[cell as usize] = sums;
                }
            }
        }
        for (cell, sums) in checkpoint.funding_before(self.as_of_year) {
            if self
                .plans
                .contains(record.tables.cells.funding.key(cell).plan)
            {
                let target = &mut self.aggregate.funding[cell as usize];
                for (sum, amount) in target.iter_mut().zip(sums) {
                    *sum += amount;
                }
            }
        }
    }

    /// Step 2: the acts of `as_of`'s year among the plan's first `tail` acts, as the
    /// checkpoint read them.
    fn add_as_of_year_as_checkpoint_read(&mut self, entry: &Plan, tail: usize) {
        let Some(as_of_year) = self.as_of_year else {
            return;
        };
        let Some((_, acts)) = entry.acts_by_year.iter().find(|(y, _)| *y == as_of_year) else {
            return;
        };
        let at_checkpoint = Some(self.checkpoint.known_ms());
        for &act in acts {
            if act as usize >= tail {
                continue;
            }
            if let Some((_, state)) = entry.acts[act as usize].state_at(at_checkpoint)
                && state.year == as_of_year
                && self.visibility.dated(state.day)
            {
                self.aggregate.add_sums(state, 1);
            }
        }
    }

    /// Step 3: the plan's acts from `tail` on (recorded after the checkpoint), as read at
    /// `known_at`; returns how many of the plan's acts were recorded by `known_at`.
    fn add_tail_as_known(&mut self, entry: &Plan, tail: usize) -> usize {
        for (index, event) in entry.acts.iter().enumerate().skip(tail) {
            if !self.visibility.recorded(event.recorded_ms) {
                return index;
            }
            if let Some((_, state)) = event.state_at(self.visibility.known_ms)
                && self.visibility.dated(state.day)
            {
                self.aggregate.add_sums(state, 1);
            }
        }
        entry.acts.len()
    }

    /// Step 4: earlier acts revised after the checkpoint: the checkpoint's state out, the
    /// state at `known_at` in.
    fn replace_revised_since_checkpoint(&mut self) {
        let (record, visibility) = (self.record, self.visibility);
        let known_ms = self.checkpoint.known_ms();
        let mut revised: Vec<(PlanIndex, u32)> = record
            .checkpoints
            .revisions_after(known_ms)
            .iter()
            .take_while(|note| visibility.recorded(note.recorded_ms))
            .filter(|note| {
                self.plans.contains(note.plan)
                    && record.plan_at(note.plan).acts[note.act as usize].recorded_ms <= known_ms
            })
            .map(|note| (note.plan, note.act))
            .collect();
        revised.sort_unstable();
        revised.dedup();
        for (plan, act) in revised {
            let event = &record.plan_at(plan).acts[act as usize];
            if let Some((_, state)) = event.state_at(Some(known_ms))
                && visibility.dated(state.day)
            {
                self.aggregate.add_sums(state, -1);
            }
            if let Some((_, state)) = event.state_at(visibility.known_ms)
                && visibility.dated(state.day)
            {
                self.aggregate.add_sums(state, 1);
            }
        }
    }

    /// Step 5: what the answer lists, folded over the acts that can be listed for it among each
    /// plan's acts recorded by `known_at` (`known_by_plan`, in the order of the plans).
    fn list_what_the_answer_lists(&mut self, lists: &[ListKind], known_by_plan: &[usize]) {
        let visibility = self.visibility;
        for (&plan, &known) in self.plans.members.iter().zip(known_by_plan) {
            let entry = self.record.plan_at(plan);
            for &act in lists
                .iter()
                .flat_map(|&kind| &entry.listed_acts[kind as usize])
            {
                if act as usize >= known {
                    continue;
                }
                if let Some((revision, state)) =
                    entry.acts[act as usize].state_at(visibility.known_ms)
                    && visibility.dated(state.day)
                {
                    let reference = ActStateRef {
                        plan,
                        act,
                        revision,
                    };
                    let seq = entry.act_identities[act as usize].seq;
                    self.aggregate.add_listed(reference, state, seq, 1);
                }
            }
        }
    }
}
