//! The money of the record act by act, for a ledger (`acta export --format hledger`): every
//! funding act that a query sees, at the version it sees, in date order. Summed per
//! (fiscal year, source) they are [`Record::funding`]'s `by_year`; the ledger asserts that.

use acta_events::catalogue::Source;
use acta_events::{CivilDate, EventId, EventType, PlanKey};

use crate::compact::{FundsKind, Payload};
use crate::query::Query;
use crate::record::Record;

/// One funding act (`funds.planned`, `funds.allocated`, `funds.disbursed`) as a query sees it:
/// a correction recorded by `known_at` gives its amount, year, source and date; a retracted
/// act, or one dated after `as_of`, is not listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingEntry {
    /// The act's own `seq` and id (not its correction's).
    pub seq: u64,
    pub id: EventId,
    pub event_type: EventType,
    pub plan: PlanKey,
    /// The date the act took effect, as the version seen dates it.
    pub occurred_on: CivilDate,
    pub fiscal_year: i16,
    pub source: Source,
    pub amount_dong: u64,
    /// Whether the version seen is a correction's rather than the act as first recorded.
    pub corrected: bool,
}

impl Record {
    /// The funding acts of `query.plan`'s subtree (every plan without it) that `query` sees,
    /// ordered by `occurred_on`, then `seq`.
    pub fn funding_entries(&self, query: &Query) -> Vec<FundingEntry> {
        let visibility = self.visibility(query);
        let plans = self.plan_set(query.plan.as_ref());
        let mut entries = Vec::new();
        for &plan in &plans.members {
            let entry = self.plan_at(plan);
            for (act, event) in entry.acts.iter().enumerate() {
                // A plan's acts are in recorded order.
                if !visibility.recorded(event.recorded_ms) {
                    break;
                }
                let Some((revision, state)) = event.state_at(visibility.known_ms) else {
                    continue;
                };
                let Payload::Funds {
                    kind,
                    amount,
                    funding_cell,
                } = state.payload
                else {
                    continue;
                };
                if !visibility.dated(state.day) {
                    continue;
                }
                let key = self.tables.cells.funding.key(funding_cell);
                let identity = entry.act_identities[act];
                entries.push(FundingEntry {
                    seq: identity.seq,
                    id: identity.id,
                    event_type: match kind {
                        FundsKind::Planned => EventType::FundsPlanned,
                        FundsKind::Allocated => EventType::FundsAllocated,
                        FundsKind::Disbursed => EventType::FundsDisbursed,
                    },
                    plan: entry.key.clone(),
                    occurred_on: state.day.to_civil(),
                    fiscal_year: key.fiscal_year,
                    source: key.source,
                    amount_dong: amount,
                    corrected: revision > 0,
                });
            }
        }
        entries.sort_by_key(|entry| (entry.occurred_on, entry.seq));
        entries
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::testing::{LogBuilder, as_of, known_at, now, within};

    /// (fiscal year, source) → [planned, allocated, disbursed], summed from the entries.
    fn sums(entries: &[FundingEntry]) -> BTreeMap<(i16, Source), [u64; 3]> {
        let mut sums: BTreeMap<(i16, Source), [u64; 3]> = BTreeMap::new();
        for entry in entries {
            let figure = match entry.event_type {
                EventType::FundsPlanned => 0,
                EventType::FundsAllocated => 1,
                _ => 2,
            };
            sums.entry((entry.fiscal_year, entry.source)).or_default()[figure] += entry.amount_dong;
        }
        sums
    }

    fn by_year(record: &Record, query: &Query) -> BTreeMap<(i16, Source), [u64; 3]> {
        record
            .funding(query)
            .by_year
            .iter()
            .map(|row| {
                let figures = row.figures;
                (
                    (row.fiscal_year, row.source),
                    [figures.planned, figures.allocated, figures.disbursed],
                )
            })
            .collect()
    }

    #[test]
    fn entries_add_up_to_funding_by_year_for_every_time_axis() {
        // Given funding on a plan and its child, one act corrected, one retracted and one
        // re-dated, recorded at three moments;
        let mut log = LogBuilder::default();
        log.register("p", None, "2009-01-01");
        log.register("c", Some("p"), "2009-01-01");
        log.funds("planned", "p", "2011-01-01", 2011, "central", 100);
        let allocated = log.funds("allocated", "p", "2011-02-01", 2011, "central", 80);
        log.funds("disbursed", "c", "2011-03-01", 2011, "local", 60);
        let retracted = log.funds("disbursed", "p", "2012-04-01", 2012, "other", 30);
        let moved = log.funds("allocated", "c", "2012-05-01", 2012, "local", 7);
        log.at("2026-02-01T00:00:00Z");
        log.correct(
            allocated,
            "2026-02-01",
            json!({"data": {"fiscal_year": 2011, "source": "local", "amount": 90}}),
        );
        log.at("2026-03-01T00:00:00Z");
        log.retract(retracted, "2026-03-01");
        log.correct(moved, "2026-03-01", json!({"occurred_on": "2011-06-01"}));
        let record = log.record();
        // then for every query the entries sum to the funding answer's rows,
        for query in [
            now(),
            as_of("2011-12-31"),
            as_of("2011-02-01"),
            known_at("2026-01-15T00:00:00Z"),
            known_at("2026-02-15T00:00:00Z"),
            within("c"),
        ] {
            let entries = record.funding_entries(&query);
            assert_eq!(sums(&entries), by_year(&record, &query), "{query:?}");
            assert!(entries.is_sorted_by_key(|entry| (entry.occurred_on, entry.seq)));
        }
        // and each entry is the version seen: the correction's source and amount, the moved
        // date, no retracted act.
        let entries = record.funding_entries(&now());
        let corrected = entries.iter().find(|entry| entry.id == allocated).unwrap();
        assert_eq!(
            (corrected.source, corrected.amount_dong),
            (Source::Local, 90)
        );
        assert!(corrected.corrected);
        assert!(entries.iter().all(|entry| entry.id != retracted));
        let moved = entries.iter().find(|entry| entry.id == moved).unwrap();
        assert_eq!(moved.occurred_on.to_string(), "2011-06-01");
        let before = record.funding_entries(&known_at("2026-01-15T00:00:00Z"));
        let original = before.iter().find(|entry| entry.id == allocated).unwrap();
        assert_eq!(
            (original.source, original.amount_dong, original.corrected),
            (Source::Central, 80, false)
        );
    }
}
