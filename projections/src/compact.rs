//! The compact, typed form in which a [`Record`](crate::Record) keeps every event it has folded.
//!
//! Nothing here holds JSON. Dates are day numbers, instants are milliseconds, money and counts are
//! plain integers, plans are indices, and every quantity that feeds a sum already names the
//! aggregate cell it feeds (resolved once, when the event is applied). A query then adds integers
//! into arrays by index, which is what keeps time travel over a million events fast.

use acta_events::catalogue::{Channel, Period};
use acta_events::{CivilDate, EventId, EventType};

/// Index of a plan in [`Record`](crate::Record)'s plan table, in registration order.
pub(crate) type PlanIndex = u32;

/// Index of an interned indicator key (also used for `total.reported` metrics that are
/// indicators).
pub(crate) type IndicatorIndex = u32;

/// Index of an aggregate cell in one of the cell tables.
pub(crate) type CellIndex = u32;

/// The index the next entry of a table of `length` entries gets.
pub(crate) fn dense_index(length: usize) -> u32 {
    u32::try_from(length).expect("fewer than 2^32 entries in one table")
}

/// A civil date as a count of days since 1970-01-01, so that `as_of` filtering is one integer
/// comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Day(pub(crate) i32);

impl Day {
    pub(crate) fn from_civil(date: CivilDate) -> Day {
        Day(date.days_since_epoch())
    }

    /// The inverse of [`Day::from_civil`] (Howard Hinnant's `civil_from_days`). Every `Day` in a
    /// record came from a valid `CivilDate`, so the conversion back cannot fail.
    pub(crate) fn to_civil(self) -> CivilDate {
        let days = self.0 + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_from_march = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
        let month = if month_from_march < 10 {
            month_from_march + 3
        } else {
            month_from_march - 9
        };
        let year = year_of_era + era * 400 + i32::from(month <= 2);
        let narrow = |value: i32| i8::try_from(value).expect("a month or a day fits an i8");
        CivilDate::new(
            i16::try_from(year).expect("a record's years lie within 1900..=2200"),
            narrow(month),
            narrow(day),
        )
        .expect("came from a valid CivilDate")
    }
}

/// Which of the three funding acts a `funds.*` event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum FundsKind {
    Planned = 0,
    Allocated = 1,
    Disbursed = 2,
}

/// What an act says in one of its states, reduced to what the projections read.
///
/// Cell indices point into the cell tables of the [`Record`](crate::Record); they depend on the
/// state's plan and year, so a correction that moves an act to another year gets new ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payload {
    /// `text`: the decision as the yearly summary lists it, in the record's `decisions`.
    Decision {
        text: u32,
    },
    /// `name`: the unit's name in the record's `unit_names`.
    Unit {
        name: u32,
    },
    Staff {
        count: u64,
        indicator_cell: CellIndex,
    },
    Training {
        sessions: u64,
        participants: MaybeCount,
        /// The sum of `participants_by_group`, when the groups are given.
        group_sum: MaybeCount,
        topic_cell: CellIndex,
        sessions_cell: CellIndex,
        /// Present only when `participants` is given: an act feeds an indicator only with the
        /// quantities it states.
        participants_cell: MaybeCell,
    },
    Outreach {
        channel: Channel,
        items: u64,
        indicator_cell: CellIndex,
    },
    Assessment {
        enterprises: u64,
        indicator_cell: CellIndex,
    },
    Progress {
        quantity: u64,
        indicator_cell: CellIndex,
    },
    Target {
        indicator: IndicatorIndex,
        year: i16,
        quantity: u64,
    },
    Funds {
        kind: FundsKind,
        amount: u64,
        /// Keyed by (plan, fiscal year, source): the occurred year does not move it.
        funding_cell: CellIndex,
    },
    Total {
        claim: u32,
    },
}

/// An optional count in 8 bytes rather than `Option<u64>`'s 16: counts are at most 2^53
/// (sums saturate below `u64::MAX`), so `u64::MAX` is free to mean "not given". Trainings are
/// common acts, and the fold reads every act, so their size is the fold's speed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MaybeCount(u64);

impl MaybeCount {
    const ABSENT: u64 = u64::MAX;

    pub(crate) fn new(count: Option<u64>) -> MaybeCount {
        MaybeCount(count.map_or(Self::ABSENT, |count| count.min(Self::ABSENT - 1)))
    }

    pub(crate) fn get(self) -> Option<u64> {
        (self.0 != Self::ABSENT).then_some(self.0)
    }
}

/// An optional cell in 4 bytes: no table holds `u32::MAX` cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MaybeCell(CellIndex);

impl MaybeCell {
    const ABSENT: CellIndex = CellIndex::MAX;

    pub(crate) fn new(cell: Option<CellIndex>) -> MaybeCell {
        MaybeCell(cell.unwrap_or(Self::ABSENT))
    }

    pub(crate) fn get(self) -> Option<CellIndex> {
        (self.0 != Self::ABSENT).then_some(self.0)
    }
}

/// An act's state after one of its revisions: the act as recorded (revision 0), or what a
/// correction made of it. Elsewhere called a version of the act; it is not a plan's `version`
/// (how many events its stream holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ActState {
    pub(crate) day: Day,
    pub(crate) year: i16,
    /// The (plan, year) cell that counts acts and the yearly summary's figures.
    pub(crate) year_cell: CellIndex,
    pub(crate) payload: Payload,
}

/// A correction or retraction of an act, in the order recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Revision {
    pub(crate) recorded_ms: i64,
    /// `None`: the act was retracted from this revision on.
    pub(crate) state: Option<ActState>,
}

/// An act (§2.2) of one plan: what a fold reads, and nothing else (the act's id, `seq` and
/// type are kept apart, in [`ActIdentity`], so that a fold streams through less memory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Act {
    pub(crate) recorded_ms: i64,
    pub(crate) original: ActState,
    /// Corrections and retractions in recorded order. Almost always `None`: one pointer, no
    /// allocation. A bare `Vec` would cost 24 bytes in every act for the rare act corrected.
    #[allow(clippy::box_collection, reason = "8 bytes per act instead of 24")]
    pub(crate) revisions: Option<Box<Vec<Revision>>>,
}

/// Who an act is: read only to name it in an answer or to order it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ActIdentity {
    pub(crate) id: EventId,
    pub(crate) seq: u64,
    pub(crate) event_type: EventType,
}

/// Which state of an act is meant: 0 is the original, `n` is `revisions[n - 1]`.
pub(crate) type RevisionNumber = u32;

impl Act {
    pub(crate) fn revisions(&self) -> &[Revision] {
        self.revisions.as_deref().map_or(&[], Vec::as_slice)
    }

    /// The state of this act as the record read at `known_ms` (`None`: now), with its
    /// revision number, or `None` when it had been retracted by then. The caller has already
    /// checked that the act itself was recorded by then.
    pub(crate) fn state_at(&self, known_ms: Option<i64>) -> Option<(RevisionNumber, &ActState)> {
        let revisions = self.revisions();
        let applicable = match known_ms {
            None => revisions.len(),
            // Revisions are in recorded order: count those recorded by `known_ms`.
            Some(known_ms) => {
                revisions.partition_point(|revision| revision.recorded_ms <= known_ms)
            }
        };
        if applicable == 0 {
            return Some((0, &self.original));
        }
        let revision = &revisions[applicable - 1];
        let number = RevisionNumber::try_from(applicable).expect("fewer than 2^32 corrections");
        revision.state.as_ref().map(|state| (number, state))
    }

    /// The state with this revision number, whatever its visibility.
    pub(crate) fn state(&self, number: RevisionNumber) -> Option<&ActState> {
        match number {
            0 => Some(&self.original),
            n => self.revisions()[n as usize - 1].state.as_ref(),
        }
    }

    /// The state read now: the latest correction, or `None` if retracted.
    pub(crate) fn current(&self) -> Option<&ActState> {
        self.state_at(None).map(|(_, state)| state)
    }
}

/// Points at one state of one act: what the aggregates list (decisions, targets, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ActStateRef {
    pub(crate) plan: PlanIndex,
    pub(crate) act: u32,
    pub(crate) revision: RevisionNumber,
}

/// What a lifecycle event says that a plan's status shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LifecycleDetails {
    Registered {
        title: String,
        code: Option<String>,
        issuer: Option<String>,
        period: Period,
    },
    Approved {
        decision: String,
        approved_by: Option<String>,
    },
    /// `plan.submitted`, `plan.completed`, `plan.cancelled`: only their date and status show.
    Other,
}

/// A lifecycle event (§2.1) of one plan. Lifecycle events cannot be retracted or re-dated, so
/// a correction can only replace their details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LifecycleEvent {
    pub(crate) id: EventId,
    pub(crate) seq: u64,
    pub(crate) recorded_ms: i64,
    pub(crate) day: Day,
    pub(crate) event_type: EventType,
    pub(crate) original: LifecycleDetails,
    /// Corrections in recorded order: (recorded_ms, replacement details).
    pub(crate) revisions: Vec<(i64, LifecycleDetails)>,
}

impl LifecycleEvent {
    pub(crate) fn details_at(&self, known_ms: Option<i64>) -> &LifecycleDetails {
        let applicable = match known_ms {
            None => self.revisions.len(),
            Some(known_ms) => self
                .revisions
                .partition_point(|(recorded_ms, _)| *recorded_ms <= known_ms),
        };
        match applicable {
            0 => &self.original,
            n => &self.revisions[n - 1].1,
        }
    }
}

/// Units' names, kept once per state of a `unit.established` that carries one, end to end in
/// one string: no allocation per name. (Decisions are kept rendered, as the yearly summary
/// lists them: `decisions.rs`.)
#[derive(Debug, Default)]
pub(crate) struct UnitNames {
    all: String,
    /// Where each name ends in `all`; each starts where the one before ends.
    ends: Vec<usize>,
}

impl UnitNames {
    /// Keeps `name`; returns its index.
    pub(crate) fn push(&mut self, name: &str) -> u32 {
        let index = u32::try_from(self.ends.len()).expect("fewer than 2^32 names");
        self.all.push_str(name);
        self.ends.push(self.all.len());
        index
    }

    pub(crate) fn get(&self, index: u32) -> &str {
        let index = index as usize;
        let start = index.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.all[start..self.ends[index]]
    }
}

/// What a `total.reported` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Metric {
    Funding(FundingMetric),
    Indicator(IndicatorIndex),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FundingMetric {
    Planned,
    Allocated,
    Disbursed,
    Budget,
}

/// How a total's `amount_in_words` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WordsReading {
    Absent,
    Unreadable,
    Reads(u64),
}

/// A `total.reported` claim, read once when applied (the words are read then, not per query).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TotalClaim {
    pub(crate) metric: Metric,
    pub(crate) metric_name: String,
    pub(crate) amount: u64,
    pub(crate) words: WordsReading,
    pub(crate) from_year: Option<i16>,
    pub(crate) to_year: Option<i16>,
}

impl TotalClaim {
    pub(crate) fn covers(&self, year: i16) -> bool {
        self.from_year.is_none_or(|from| from <= year) && self.to_year.is_none_or(|to| year <= to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip_over_the_whole_contract_range() {
        let mut date = CivilDate::new(1900, 1, 1).unwrap();
        let last = CivilDate::new(2200, 12, 31).unwrap();
        let mut expected = Day::from_civil(date).0;
        loop {
            let day = Day::from_civil(date);
            assert_eq!(day.0, expected, "{date}");
            assert_eq!(day.to_civil(), date);
            if date == last {
                break;
            }
            date = date.tomorrow();
            expected += 1;
        }
        assert_eq!(Day::from_civil(CivilDate::new(1970, 1, 1).unwrap()).0, 0);
    }
}
