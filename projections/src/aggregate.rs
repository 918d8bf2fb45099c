//! The sums every projection is answered from, kept in dense arrays indexed by cell.
//!
//! One [`Aggregate`] is kept live by [`Record::apply`](crate::Record::apply) for "now" (adding each
//! new act, and taking out the version a correction replaces); a query that travels in time folds
//! a fresh one from the compact acts. Both use the same [`Aggregate::add`], so they cannot drift
//! apart (the property tests check it).

use std::collections::{HashMap, HashSet};

use crate::cells::CellCounts;
use crate::compact::{ActState, ActStateRef, CellIndex, Day, IndicatorIndex, Payload, PlanIndex};

/// Targets replace each other per (plan, indicator, year).
pub(crate) type TargetKey = (PlanIndex, IndicatorIndex, i16);

/// A visible `target.set`. The one in force for its key is the latest by `occurred_on`, ties
/// broken by `seq` — and within one plan the act index is in `seq` order, so `(day, act)` is
/// that order without reading the act's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TargetCandidate {
    pub(crate) order: (Day, u32),
    pub(crate) reference: ActStateRef,
    pub(crate) quantity: u64,
}

/// The yearly summary's figures for one (plan, year of `occurred_on`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct YearTotals {
    /// How many visible acts occurred in that year: a year with any appears in the summary.
    pub(crate) acts: i64,
    pub(crate) training_events: i64,
    pub(crate) training_sessions: i128,
    pub(crate) training_participants: i128,
    pub(crate) staff_assigned: i128,
    pub(crate) assessment_enterprises: i128,
    /// Items per channel, indexed by the channel's position in `Channel::ALL`.
    pub(crate) outreach_items: [i128; 8],
}

/// Sums are `i128`: each quantity is at most 2^53 and there are fewer than 2^32 events, so no
/// sum can overflow, and taking a version out is the exact inverse of putting it in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Aggregate {
    /// Per funding cell: planned, allocated, disbursed (indexed by `FundsKind`).
    pub(crate) funding: Vec<[i128; 3]>,
    pub(crate) indicator_actual: Vec<i128>,
    /// How many visible acts feed each indicator cell: a cell with an act of quantity 0 still
    /// has an actual (of 0) and is listed.
    pub(crate) indicator_acts: Vec<i64>,
    pub(crate) years: Vec<YearTotals>,
    /// Per topic cell: sessions, participants.
    pub(crate) topics: Vec<[i128; 2]>,
    pub(crate) decisions: Listed,
    pub(crate) units: Listed,
    /// Every visible target, grouped by what it is a target for: a key rarely has more than a
    /// few, so taking one out and picking the one in force are both cheap, and "now" never
    /// walks all targets.
    pub(crate) targets: HashMap<TargetKey, Vec<TargetCandidate>>,
    pub(crate) totals: Listed,
    /// Trainings whose `participants` differ from the sum of `participants_by_group`.
    pub(crate) breakdown_mismatches: Listed,
}

/// Versions an answer lists one by one (decisions, units, targets, totals, trainings whose
/// groups disagree). The live aggregate must take versions out again, so it keeps a set; a fold
/// only ever adds, so it keeps a plain list, which costs one push per act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Listed {
    Live(HashSet<ActStateRef>),
    Folded(Vec<Listing>),
}

/// A version a fold listed, with what an answer orders and names it by, read while the fold
/// had the act at hand: reading them again from the record for tens of thousands of decisions
/// cost a cache miss or two each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Listing {
    pub(crate) reference: ActStateRef,
    pub(crate) year: i16,
    pub(crate) day: Day,
    /// The act's `seq`.
    pub(crate) seq: u64,
    /// The decision's entry in the record's `decisions`, or the unit's name in its `unit_names`;
    /// 0 for what has neither.
    pub(crate) text: u32,
}

impl Default for Listed {
    fn default() -> Self {
        Listed::Live(HashSet::new())
    }
}

impl Listed {
    fn mark(&mut self, listing: Listing, sign: i128) {
        match self {
            Listed::Live(set) if sign > 0 => {
                set.insert(listing.reference);
            }
            Listed::Live(set) => {
                set.remove(&listing.reference);
            }
            Listed::Folded(list) => {
                debug_assert!(sign > 0, "a fold only adds");
                list.push(listing);
            }
        }
    }

    /// What a fold listed, with its keys; `None` for the live aggregate, which keeps only the
    /// versions.
    pub(crate) fn listings(&self) -> Option<&[Listing]> {
        match self {
            Listed::Live(_) => None,
            Listed::Folded(list) => Some(list),
        }
    }

    /// In no particular order: every answer sorts what it lists.
    pub(crate) fn iter(&self) -> impl Iterator<Item = ActStateRef> + '_ {
        let (set, list) = match self {
            Listed::Live(set) => (Some(set), None),
            Listed::Folded(list) => (None, Some(list)),
        };
        set.into_iter()
            .flatten()
            .copied()
            .chain(list.into_iter().flatten().map(|listing| listing.reference))
    }
}

/// What a version may be listed for by [`Aggregate::add_listed`], so that a time-travel fold
/// lists only what its answer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// Decisions and units (the yearly summary).
    Yearly = 0,
    /// Targets (plan status, `target_missed`).
    Targets = 1,
    /// Totals and trainings that give their groups (reconciliation).
    Findings = 2,
}

impl ListKind {
    pub(crate) const ALL: [ListKind; 3] = [ListKind::Yearly, ListKind::Targets, ListKind::Findings];

    /// What this version may be listed for, if anything. An act's type never changes, so
    /// every version of an act that may be listed may be listed for the same thing.
    pub(crate) fn of(state: &ActState) -> Option<ListKind> {
        match state.payload {
            Payload::Decision { .. } | Payload::Unit { .. } => Some(ListKind::Yearly),
            Payload::Target { .. } => Some(ListKind::Targets),
            Payload::Total { .. } => Some(ListKind::Findings),
            Payload::Training { group_sum, .. } if group_sum.get().is_some() => {
                Some(ListKind::Findings)
            }
            _ => None,
        }
    }
}

fn slot<T: Default + Clone>(cells: &mut Vec<T>, cell: CellIndex) -> &mut T {
    let index = cell as usize;
    if index >= cells.len() {
        // Only the live aggregate grows; a fold is sized up front.
        cells.resize(index + 1, T::default());
    }
    &mut cells[index]
}

fn feed(
    indicator_actual: &mut Vec<i128>,
    indicator_acts: &mut Vec<i64>,
    cell: CellIndex,
    quantity: u64,
    sign: i128,
) {
    *slot(indicator_actual, cell) += sign * i128::from(quantity);
    *slot(indicator_acts, cell) += sign as i64;
}

impl Aggregate {
    pub(crate) fn sized(counts: CellCounts) -> Aggregate {
        Aggregate {
            funding: vec![[0; 3]; counts.funding],
            indicator_actual: vec![0; counts.indicators],
            indicator_acts: vec![0; counts.indicators],
            years: vec![YearTotals::default(); counts.years],
            topics: vec![[0; 2]; counts.topics],
            decisions: Listed::Folded(Vec::new()),
            units: Listed::Folded(Vec::new()),
            targets: HashMap::new(),
            totals: Listed::Folded(Vec::new()),
            breakdown_mismatches: Listed::Folded(Vec::new()),
        }
    }

    /// Adds (`sign` = 1) or takes out (`sign` = −1) one visible state of an act.
    /// `seq` is the act's.
    pub(crate) fn add(&mut self, reference: ActStateRef, state: &ActState, seq: u64, sign: i128) {
        self.add_sums(state, sign);
        self.add_listed(reference, state, seq, sign);
    }

    /// The additive part of [`Aggregate::add`]: the sums in the dense cell arrays, which a
    /// checkpoint can hold and a time-travel fold can start from.
    pub(crate) fn add_sums(&mut self, state: &ActState, sign: i128) {
        let year = slot(&mut self.years, state.year_cell);
        year.acts += sign as i64;
        match state.payload {
            Payload::Decision { .. }
            | Payload::Unit { .. }
            | Payload::Target { .. }
            | Payload::Total { .. } => {}
            Payload::Staff {
                count,
                indicator_cell,
            } => {
                year.staff_assigned += sign * i128::from(count);
                feed(
                    &mut self.indicator_actual,
                    &mut self.indicator_acts,
                    indicator_cell,
                    count,
                    sign,
                );
            }
            Payload::Outreach {
                channel,
                items,
                indicator_cell,
            } => {
                year.outreach_items[channel as usize] += sign * i128::from(items);
                feed(
                    &mut self.indicator_actual,
                    &mut self.indicator_acts,
                    indicator_cell,
                    items,
                    sign,
                );
            }
            Payload::Assessment {
                enterprises,
                indicator_cell,
            } => {
                year.assessment_enterprises += sign * i128::from(enterprises);
                feed(
                    &mut self.indicator_actual,
                    &mut self.indicator_acts,
                    indicator_cell,
                    enterprises,
                    sign,
                );
            }
            Payload::Progress {
                quantity,
                indicator_cell,
            } => feed(
                &mut self.indicator_actual,
                &mut self.indicator_acts,
                indicator_cell,
                quantity,
                sign,
            ),
            Payload::Training {
                sessions,
                participants,
                topic_cell,
                sessions_cell,
                participants_cell,
                ..
            } => {
                year.training_events += sign as i64;
                year.training_sessions += sign * i128::from(sessions);
                let participants = participants.get();
                year.training_participants += sign * i128::from(participants.unwrap_or(0));
                let topic = slot(&mut self.topics, topic_cell);
                topic[0] += sign * i128::from(sessions);
                topic[1] += sign * i128::from(participants.unwrap_or(0));
                feed(
                    &mut self.indicator_actual,
                    &mut self.indicator_acts,
                    sessions_cell,
                    sessions,
                    sign,
                );
                if let (Some(cell), Some(participants)) = (participants_cell.get(), participants) {
                    feed(
                        &mut self.indicator_actual,
                        &mut self.indicator_acts,
                        cell,
                        participants,
                        sign,
                    );
                }
            }
            Payload::Funds {
                kind,
                amount,
                funding_cell,
            } => slot(&mut self.funding, funding_cell)[kind as usize] += sign * i128::from(amount),
        }
    }

    /// The part of [`Aggregate::add`] that lists versions one by one (decisions, units,
    /// targets, totals, trainings whose groups disagree). Only versions with a
    /// [`ListKind`] are listed.
    pub(crate) fn add_listed(
        &mut self,
        reference: ActStateRef,
        state: &ActState,
        seq: u64,
        sign: i128,
    ) {
        let listing = |text: u32| Listing {
            reference,
            year: state.year,
            day: state.day,
            seq,
            text,
        };
        match state.payload {
            Payload::Decision { text } => self.decisions.mark(listing(text), sign),
            Payload::Unit { name } => self.units.mark(listing(name), sign),
            Payload::Target {
                indicator,
                year: target_year,
                quantity,
            } => {
                let key = (reference.plan, indicator, target_year);
                if sign > 0 {
                    self.targets.entry(key).or_default().push(TargetCandidate {
                        order: (state.day, reference.act),
                        reference,
                        quantity,
                    });
                } else if let Some(candidates) = self.targets.get_mut(&key) {
                    candidates.retain(|candidate| candidate.reference != reference);
                    if candidates.is_empty() {
                        self.targets.remove(&key);
                    }
                }
            }
            Payload::Total { .. } => self.totals.mark(listing(0), sign),
            Payload::Training {
                participants,
                group_sum,
                ..
            } => {
                if let (Some(participants), Some(group_sum)) = (participants.get(), group_sum.get())
                    && participants != group_sum
                {
                    self.breakdown_mismatches.mark(listing(0), sign);
                }
            }
            Payload::Staff { .. }
            | Payload::Outreach { .. }
            | Payload::Assessment { .. }
            | Payload::Progress { .. }
            | Payload::Funds { .. } => {}
        }
    }

    /// The target in force for every key of `plans`' targets.
    pub(crate) fn winning_targets(
        &self,
        mut in_scope: impl FnMut(PlanIndex) -> bool,
    ) -> Vec<(TargetKey, TargetCandidate)> {
        self.targets
            .iter()
            .filter(|(key, _)| in_scope(key.0))
            .filter_map(|(key, candidates)| {
                let winner = candidates.iter().max_by_key(|candidate| candidate.order)?;
                Some((*key, *winner))
            })
            .collect()
    }

    pub(crate) fn funding_of(&self, cell: CellIndex) -> [i128; 3] {
        self.funding.get(cell as usize).copied().unwrap_or_default()
    }

    pub(crate) fn year_of(&self, cell: CellIndex) -> YearTotals {
        self.years.get(cell as usize).copied().unwrap_or_default()
    }

    pub(crate) fn topic_of(&self, cell: CellIndex) -> [i128; 2] {
        self.topics.get(cell as usize).copied().unwrap_or_default()
    }

    /// (actual, number of acts feeding it) of an indicator cell.
    pub(crate) fn indicator_of(&self, cell: CellIndex) -> (i128, i64) {
        (
            self.indicator_actual
                .get(cell as usize)
                .copied()
                .unwrap_or(0),
            self.indicator_acts.get(cell as usize).copied().unwrap_or(0),
        )
    }
}

/// Narrows an exact sum for an answer. Sums of at most 2^32 quantities of at most 2^53 cannot
/// exceed `u64` in any real record; should one, the answer shows the largest figure rather than
/// a wrapped one.
pub(crate) fn saturating_u64(value: i128) -> u64 {
    u64::try_from(value.max(0)).unwrap_or(u64::MAX)
}

/// As [`saturating_u64`], for figures that may be negative (`unspent`).
pub(crate) fn saturating_i64(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}
