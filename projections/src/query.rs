//! What a projection is asked: the two time axes, the plan subtree, and today's date.

use acta_events::{CivilDate, Instant, PlanKey};

use crate::compact::Day;

/// The parameters of every projection query (CONTRACT §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Valid time: only acts with `occurred_on <= as_of` count. `None`: no limit.
    pub as_of: Option<CivilDate>,
    /// System time: only events with `recorded_at <= known_at` count, corrections included.
    /// `None`: now, i.e. everything applied so far.
    pub known_at: Option<Instant>,
    /// That plan and every plan below it by `parent`. `None`: every plan.
    pub plan: Option<PlanKey>,
    /// Today's date, passed in because this crate never reads a clock. Only `target_missed`
    /// uses it, to tell whether a target's year has ended when there is no `as_of`.
    pub today: CivilDate,
}

impl Query {
    /// The whole record as it stands now.
    pub fn now(today: CivilDate) -> Query {
        Query {
            as_of: None,
            known_at: None,
            plan: None,
            today,
        }
    }
}

/// A query's two time axes in compact form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Visibility {
    pub(crate) as_of: Option<Day>,
    /// `None` also when `known_at` is at or after the last recorded event: that is "now".
    pub(crate) known_ms: Option<i64>,
}

impl Visibility {
    /// Everything recorded, whatever its date: what the live aggregate holds.
    pub(crate) fn is_now(self) -> bool {
        self.as_of.is_none() && self.known_ms.is_none()
    }

    pub(crate) fn recorded(self, recorded_ms: i64) -> bool {
        self.known_ms.is_none_or(|known_ms| recorded_ms <= known_ms)
    }

    pub(crate) fn dated(self, day: Day) -> bool {
        self.as_of.is_none_or(|as_of| day <= as_of)
    }
}
