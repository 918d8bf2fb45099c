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
use crate::compact::{ActStateRef, PlanIndex, dense_index};
use crate::plans::PlanSet;
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
    let mut aggregate = Aggregate::sized(record.cells.counts());
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
    let at_checkpoint = Some(checkpoint.known_ms());
    let as_of_year = visibility.as_of.map(|day| day.to_civil().year());
    let before = |year: i16| as_of_year.is_none_or(|as_of_year| year < as_of_year);
    let mut aggregate = Aggregate::sized(record.cells.counts());

    // 1. The checkpoint's sums of the years before `as_of`'s.
    for &plan in &plans.members {
        let entry = record.plan_at(plan);
        for &cell in &entry.cells.years {
            if before(record.cells.years.key(cell).year)
                && let Some(sums) = checkpoint.year(cell)
            {
                aggregate.years[cell as usize] = sums;
            }
        }
        for &cell in &entry.cells.indicators {
            if before(record.cells.indicators.key(cell).year) {
                let index = cell as usize;
                if let Some(actual) = checkpoint.indicator_actual(cell) {
                    aggregate.indicator_actual[index] = actual;
                }
                if let Some(count) = checkpoint.indicator_acts(cell) {
                    aggregate.indicator_acts[index] = count;
                }
            }
        }
        for &cell in &entry.cells.topics {
            if before(record.cells.topics.key(cell).year)
                && let Some(sums) = checkpoint.topic(cell)
            {
                aggregate.topics[cell as usize] = sums;
            }
        }
    }
    for (cell, sums) in checkpoint.funding_before(as_of_year) {
        if plans.contains(record.cells.funding.key(cell).plan) {
            let target = &mut aggregate.funding[cell as usize];
            for (sum, amount) in target.iter_mut().zip(sums) {
                *sum += amount;
            }
        }
    }

    // A plan's acts are in recorded order: those the checkpoint read are a prefix (up to
    // `tail`), and so are those recorded by `known_at` (up to `known`, kept per plan for
    // step 5). Comparing an act's index with them spares reading the act.
    let mut known_by_plan: Vec<usize> = Vec::with_capacity(plans.members.len());
    for &plan in &plans.members {
        let entry = record.plan_at(plan);
        let tail = entry
            .acts
            .partition_point(|event| event.recorded_ms <= checkpoint.known_ms());
        // 2. The acts of `as_of`'s year, as the checkpoint read them.
        if let Some(as_of_year) = as_of_year
            && let Some((_, acts)) = entry.acts_by_year.iter().find(|(y, _)| *y == as_of_year)
        {
            for &act in acts {
                if act as usize >= tail {
                    continue;
                }
                if let Some((_, state)) = entry.acts[act as usize].state_at(at_checkpoint)
                    && state.year == as_of_year
                    && visibility.dated(state.day)
                {
                    aggregate.add_sums(state, 1);
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
            if let Some((_, state)) = event.state_at(visibility.known_ms)
                && visibility.dated(state.day)
            {
                aggregate.add_sums(state, 1);
            }
        }
        known_by_plan.push(known);
    }

    // 4. Earlier acts revised after the checkpoint: the checkpoint's version out, the
    // version at `known_at` in.
    let mut revised: Vec<(PlanIndex, u32)> = checkpoints
        .revisions_after(checkpoint.known_ms())
        .iter()
        .take_while(|note| visibility.recorded(note.recorded_ms))
        .filter(|note| {
            plans.contains(note.plan)
                && record.plan_at(note.plan).acts[note.act as usize].recorded_ms
                    <= checkpoint.known_ms()
        })
        .map(|note| (note.plan, note.act))
        .collect();
    revised.sort_unstable();
    revised.dedup();
    for (plan, act) in revised {
        let event = &record.plan_at(plan).acts[act as usize];
        if let Some((_, state)) = event.state_at(at_checkpoint)
            && visibility.dated(state.day)
        {
            aggregate.add_sums(state, -1);
        }
        if let Some((_, state)) = event.state_at(visibility.known_ms)
            && visibility.dated(state.day)
        {
            aggregate.add_sums(state, 1);
        }
    }

    // 5. What the answer lists, folded over the acts that can be listed for it.
    for (&plan, known) in plans.members.iter().zip(known_by_plan) {
        let entry = record.plan_at(plan);
        for &act in lists
            .iter()
            .flat_map(|&kind| &entry.listed_acts[kind as usize])
        {
            if act as usize >= known {
                continue;
            }
            if let Some((revision, state)) = entry.acts[act as usize].state_at(visibility.known_ms)
                && visibility.dated(state.day)
            {
                let reference = ActStateRef {
                    plan,
                    act,
                    revision,
                };
                let seq = entry.act_identities[act as usize].seq;
                aggregate.add_listed(reference, state, seq, 1);
            }
        }
    }
    Some(aggregate)
}
