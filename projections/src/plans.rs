//! The plans of a record, each with its lifecycle, its acts and the indexes over them; and
//! [`PlanSet`], the plans a query is about.

use acta_events::PlanKey;
use acta_events::catalogue::PlanKind;

use crate::aggregate::ListKind;
use crate::cells::PlanCells;
use crate::compact::{Act, ActIdentity, ActState, LifecycleEvent, PlanIndex, dense_index};

/// One plan: its place in the tree, its lifecycle, its acts and the cells they feed.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) key: PlanKey,
    pub(crate) kind: PlanKind,
    pub(crate) parent: Option<PlanIndex>,
    pub(crate) children: Vec<PlanIndex>,
    pub(crate) lifecycle: Vec<LifecycleEvent>,
    /// In `seq` order, hence in `recorded_at` order: "known at t" is a prefix.
    pub(crate) acts: Vec<Act>,
    /// Parallel to `acts`.
    pub(crate) act_identities: Vec<ActIdentity>,
    /// `recorded_at` of every event of the plan's stream (lifecycle, acts, corrections): the
    /// plan's version at `known_at` is how many were recorded by then.
    pub(crate) stream_recorded_ms: Vec<i64>,
    /// The cells its acts feed, by kind.
    pub(crate) cells: PlanCells,
    /// Per year of `occurred_on`, the acts with a version that occurred in it (each act once
    /// per year), in the order those versions were applied: time travel from a checkpoint
    /// reads the acts of `as_of`'s year only.
    pub(crate) acts_by_year: Vec<(i16, Vec<u32>)>,
    /// The acts with a version that an answer may list one by one, each once, by what they
    /// may be listed for (indexed by `ListKind`).
    pub(crate) listed_acts: [Vec<u32>; 3],
}

impl Plan {
    /// A plan just registered: its `plan.registered` is the first event of its stream.
    pub(crate) fn registered(
        key: PlanKey,
        kind: PlanKind,
        parent: Option<PlanIndex>,
        recorded_ms: i64,
    ) -> Plan {
        Plan {
            key,
            kind,
            parent,
            children: Vec::new(),
            lifecycle: Vec::new(),
            acts: Vec::new(),
            act_identities: Vec::new(),
            stream_recorded_ms: vec![recorded_ms],
            cells: PlanCells::default(),
            acts_by_year: Vec::new(),
            listed_acts: Default::default(),
        }
    }

    /// How many events of the plan's stream were recorded by `known_ms` (`None`: now): its
    /// `version` then.
    pub(crate) fn stream_version(&self, known_ms: Option<i64>) -> u64 {
        let recorded = match known_ms {
            None => self.stream_recorded_ms.len(),
            Some(known_ms) => self
                .stream_recorded_ms
                .partition_point(|&recorded_ms| recorded_ms <= known_ms),
        };
        recorded as u64
    }

    /// Indexes a new state of `act`, given the act's states before it.
    pub(crate) fn index_state(&mut self, act: u32, state: &ActState, earlier: &[ActState]) {
        if !earlier.iter().any(|other| other.year == state.year) {
            match self
                .acts_by_year
                .iter_mut()
                .find(|(year, _)| *year == state.year)
            {
                Some((_, acts)) => acts.push(act),
                None => self.acts_by_year.push((state.year, vec![act])),
            }
        }
        if let Some(kind) = ListKind::of(state)
            && !earlier.iter().any(|other| ListKind::of(other).is_some())
        {
            self.listed_acts[kind as usize].push(act);
        }
    }
}

/// The plans a query is about: a mask for look-ups and a list, in registration order, to fold.
#[derive(Debug, Clone)]
pub(crate) struct PlanSet {
    mask: Vec<bool>,
    pub(crate) members: Vec<PlanIndex>,
}

impl PlanSet {
    pub(crate) fn all(plan_count: usize) -> PlanSet {
        PlanSet {
            mask: vec![true; plan_count],
            members: (0..dense_index(plan_count)).collect(),
        }
    }

    pub(crate) fn none(plan_count: usize) -> PlanSet {
        PlanSet {
            mask: vec![false; plan_count],
            members: Vec::new(),
        }
    }

    pub(crate) fn only(plan: PlanIndex, plan_count: usize) -> PlanSet {
        let mut mask = vec![false; plan_count];
        mask[plan as usize] = true;
        PlanSet {
            mask,
            members: vec![plan],
        }
    }

    /// `root` and every plan below it by `parent`, in registration order.
    pub(crate) fn subtree(plans: &[Plan], root: PlanIndex) -> PlanSet {
        let mut mask = vec![false; plans.len()];
        let mut members = Vec::new();
        let mut pending = vec![root];
        while let Some(plan) = pending.pop() {
            if !mask[plan as usize] {
                mask[plan as usize] = true;
                members.push(plan);
                pending.extend(&plans[plan as usize].children);
            }
        }
        members.sort_unstable();
        PlanSet { mask, members }
    }

    pub(crate) fn contains(&self, plan: PlanIndex) -> bool {
        self.mask.get(plan as usize).copied().unwrap_or(false)
    }
}
