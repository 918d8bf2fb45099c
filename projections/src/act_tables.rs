//! [`ActTables`]: what the compact state of every act points into — the aggregate cells, the
//! interned names of indicators and topics, units' names, the rendered decisions and the
//! `total.reported` claims — and how an act's facts become that compact state, its cells
//! resolved once, when the act is applied ([`PlanActs`]).

use acta_events::catalogue::Channel;

use crate::cells::{
    CellKey, Cells, FundingKey, IndicatorCellKey, Interner, PlanCells, TopicCellKey, YearCellKey,
};
use crate::compact::{
    ActState, CellIndex, Day, FundingMetric, IndicatorIndex, MaybeCell, MaybeCount, Metric,
    Payload, PlanIndex, TotalClaim, UnitNames, WordsReading, dense_index,
};
use crate::decisions::Decisions;
use crate::decode::ActFacts;
use crate::vnd;

/// The tables every act's compact state points into, shared by all plans.
#[derive(Debug, Default)]
pub(crate) struct ActTables {
    pub(crate) indicators: Interner,
    /// The indicators acts feed by their type alone, once interned.
    implied_indicators: ImpliedIndicators,
    pub(crate) topics: Interner,
    pub(crate) cells: Cells,
    pub(crate) unit_names: UnitNames,
    /// Each decision version as the yearly summary lists it, rendered once.
    pub(crate) decisions: Decisions,
    pub(crate) claims: Vec<TotalClaim>,
}

impl ActTables {
    /// The tables, opened for the acts of `plan`, whose list of cells is `cells`.
    pub(crate) fn of_plan<'r>(
        &'r mut self,
        plan: PlanIndex,
        cells: &'r mut PlanCells,
    ) -> PlanActs<'r> {
        PlanActs {
            tables: self,
            plan,
            cells,
        }
    }
}

/// The tables opened for the acts of one plan: each cell made for one of its acts is listed
/// among the plan's cells.
pub(crate) struct PlanActs<'r> {
    tables: &'r mut ActTables,
    plan: PlanIndex,
    cells: &'r mut PlanCells,
}

/// An indicator an act feeds by its type alone (`staff.assigned`, `outreach.radio`, …).
#[derive(Debug, Clone, Copy)]
enum ImpliedIndicator {
    Staff,
    TrainingSessions,
    TrainingParticipants,
    Assessment,
    Outreach(Channel),
}

impl ImpliedIndicator {
    const COUNT: usize = 4 + Channel::ALL.len();

    fn slot(self) -> usize {
        match self {
            ImpliedIndicator::Staff => 0,
            ImpliedIndicator::TrainingSessions => 1,
            ImpliedIndicator::TrainingParticipants => 2,
            ImpliedIndicator::Assessment => 3,
            ImpliedIndicator::Outreach(channel) => 4 + channel as usize,
        }
    }

    fn name(self) -> String {
        match self {
            ImpliedIndicator::Staff => "staff.assigned".to_owned(),
            ImpliedIndicator::TrainingSessions => "training.sessions".to_owned(),
            ImpliedIndicator::TrainingParticipants => "training.participants".to_owned(),
            ImpliedIndicator::Assessment => "assessment.enterprises".to_owned(),
            ImpliedIndicator::Outreach(channel) => format!("outreach.{}", channel.as_str()),
        }
    }
}

/// The interned index of each implied indicator, interned the first time an act feeds it (so
/// indices are given in the same order as by name) and then read without hashing its name.
#[derive(Debug, Default)]
struct ImpliedIndicators([Option<IndicatorIndex>; ImpliedIndicator::COUNT]);

impl PlanActs<'_> {
    /// The compact state of an act, with its cells resolved.
    pub(crate) fn state_of(&mut self, day: Day, facts: &ActFacts<'_>) -> ActState {
        let plan = self.plan;
        let year = day.to_civil().year();
        let payload = match *facts {
            ActFacts::Decision {
                number,
                issuer,
                title,
            } => Payload::Decision {
                text: self
                    .tables
                    .decisions
                    .push(day.to_civil(), issuer, number, title),
            },
            ActFacts::Unit { name } => Payload::Unit {
                name: self.tables.unit_names.push(name),
            },
            ActFacts::Target {
                indicator,
                year: target_year,
                quantity,
            } => Payload::Target {
                indicator: self.tables.indicators.intern(indicator),
                year: target_year,
                quantity,
            },
            ActFacts::Funds {
                kind,
                fiscal_year,
                source,
                amount,
            } => Payload::Funds {
                kind,
                amount,
                funding_cell: self.cell(FundingKey {
                    plan,
                    fiscal_year,
                    source,
                }),
            },
            ActFacts::Total {
                metric,
                amount,
                amount_in_words,
                from_year,
                to_year,
            } => Payload::Total {
                claim: self.push_claim(metric, amount, amount_in_words, from_year, to_year),
            },
            ActFacts::Staff { .. }
            | ActFacts::Training { .. }
            | ActFacts::Outreach { .. }
            | ActFacts::Assessment { .. }
            | ActFacts::Progress { .. } => self.indicator_payload(year, facts),
        };
        ActState {
            day,
            year,
            year_cell: self.cell(YearCellKey { plan, year }),
            payload,
        }
    }

    /// The payload of an act that feeds indicators, with the indicator cells of `year` it
    /// feeds.
    fn indicator_payload(&mut self, year: i16, facts: &ActFacts<'_>) -> Payload {
        match *facts {
            ActFacts::Staff { count } => Payload::Staff {
                count,
                indicator_cell: self.implied_cell(ImpliedIndicator::Staff, year),
            },
            ActFacts::Training {
                topic,
                sessions,
                participants,
                group_sum,
            } => self.training(year, topic, sessions, participants, group_sum),
            ActFacts::Outreach { channel, items } => Payload::Outreach {
                channel,
                items,
                indicator_cell: self.implied_cell(ImpliedIndicator::Outreach(channel), year),
            },
            ActFacts::Assessment { enterprises } => Payload::Assessment {
                enterprises,
                indicator_cell: self.implied_cell(ImpliedIndicator::Assessment, year),
            },
            ActFacts::Progress {
                indicator,
                quantity,
            } => Payload::Progress {
                quantity,
                indicator_cell: self.indicator_cell_named(indicator, year),
            },
            ActFacts::Decision { .. }
            | ActFacts::Unit { .. }
            | ActFacts::Target { .. }
            | ActFacts::Funds { .. }
            | ActFacts::Total { .. } => unreachable!("state_of reads the acts that feed none"),
        }
    }

    /// A training's payload: its topic's cell and the indicators of sessions and, when given,
    /// participants, in `year`.
    fn training(
        &mut self,
        year: i16,
        topic: &str,
        sessions: u64,
        participants: Option<u64>,
        group_sum: Option<u64>,
    ) -> Payload {
        let plan = self.plan;
        let topic = self.tables.topics.intern(topic);
        Payload::Training {
            sessions,
            participants: MaybeCount::new(participants),
            group_sum: MaybeCount::new(group_sum),
            topic_cell: self.cell(TopicCellKey { plan, year, topic }),
            sessions_cell: self.implied_cell(ImpliedIndicator::TrainingSessions, year),
            participants_cell: MaybeCell::new(
                participants
                    .map(|_| self.implied_cell(ImpliedIndicator::TrainingParticipants, year)),
            ),
        }
    }

    /// Keeps a `total.reported` claim, its metric and its words read once, here, rather than
    /// on every query; returns its index.
    fn push_claim(
        &mut self,
        metric: &str,
        amount: u64,
        amount_in_words: Option<&str>,
        from_year: Option<i16>,
        to_year: Option<i16>,
    ) -> u32 {
        let metric_read = match metric {
            "funding.planned" => Metric::Funding(FundingMetric::Planned),
            "funding.allocated" => Metric::Funding(FundingMetric::Allocated),
            "funding.disbursed" => Metric::Funding(FundingMetric::Disbursed),
            "funding.budget" => Metric::Funding(FundingMetric::Budget),
            indicator => Metric::Indicator(self.tables.indicators.intern(indicator)),
        };
        let words = match amount_in_words {
            None => WordsReading::Absent,
            Some(words) => match vnd::read_words(words) {
                Some(amount) => WordsReading::Reads(amount),
                None => WordsReading::Unreadable,
            },
        };
        self.tables.claims.push(TotalClaim {
            metric: metric_read,
            metric_name: metric.to_owned(),
            amount,
            words,
            from_year,
            to_year,
        });
        dense_index(self.tables.claims.len() - 1)
    }

    /// The same act at another date: cells that depend on the year are resolved anew.
    pub(crate) fn moved(&mut self, state: &ActState, day: Day) -> ActState {
        let plan = self.plan;
        let year = day.to_civil().year();
        let reyear = |acts: &mut PlanActs<'_>, cell: CellIndex| {
            let key = acts.tables.cells.indicators.key(cell);
            acts.cell(IndicatorCellKey {
                plan,
                indicator: key.indicator,
                year,
            })
        };
        let payload = match state.payload {
            Payload::Staff {
                count,
                indicator_cell,
            } => Payload::Staff {
                count,
                indicator_cell: reyear(self, indicator_cell),
            },
            Payload::Outreach {
                channel,
                items,
                indicator_cell,
            } => Payload::Outreach {
                channel,
                items,
                indicator_cell: reyear(self, indicator_cell),
            },
            Payload::Assessment {
                enterprises,
                indicator_cell,
            } => Payload::Assessment {
                enterprises,
                indicator_cell: reyear(self, indicator_cell),
            },
            Payload::Progress {
                quantity,
                indicator_cell,
            } => Payload::Progress {
                quantity,
                indicator_cell: reyear(self, indicator_cell),
            },
            Payload::Training {
                sessions,
                participants,
                group_sum,
                topic_cell,
                sessions_cell,
                participants_cell,
            } => {
                let topic = self.tables.cells.topics.key(topic_cell).topic;
                Payload::Training {
                    sessions,
                    participants,
                    group_sum,
                    topic_cell: self.cell(TopicCellKey { plan, year, topic }),
                    sessions_cell: reyear(self, sessions_cell),
                    participants_cell: MaybeCell::new(
                        participants_cell.get().map(|cell| reyear(self, cell)),
                    ),
                }
            }
            // A decision is listed with its date: rendered again, with the new one.
            Payload::Decision { text } => Payload::Decision {
                text: self.tables.decisions.push_redated(text, day.to_civil()),
            },
            // Funding is charged to its fiscal year, targets to their stated year; units and
            // totals carry no cell that depends on the date.
            payload @ (Payload::Unit { .. }
            | Payload::Target { .. }
            | Payload::Funds { .. }
            | Payload::Total { .. }) => payload,
        };
        ActState {
            day,
            year,
            year_cell: self.cell(YearCellKey { plan, year }),
            payload,
        }
    }

    fn implied_cell(&mut self, implied: ImpliedIndicator, year: i16) -> CellIndex {
        let plan = self.plan;
        let slot = &mut self.tables.implied_indicators.0[implied.slot()];
        let indicator = match *slot {
            Some(indicator) => indicator,
            None => {
                let indicator = self.tables.indicators.intern(&implied.name());
                *slot = Some(indicator);
                indicator
            }
        };
        self.cell(IndicatorCellKey {
            plan,
            indicator,
            year,
        })
    }

    fn indicator_cell_named(&mut self, indicator: &str, year: i16) -> CellIndex {
        let plan = self.plan;
        let indicator = self.tables.indicators.intern(indicator);
        self.cell(IndicatorCellKey {
            plan,
            indicator,
            year,
        })
    }

    /// The cell of `key`, made when it is new and then listed among its plan's cells.
    fn cell<K: CellKey>(&mut self, key: K) -> CellIndex {
        debug_assert_eq!(key.plan(), self.plan, "a plan's acts resolve its cells");
        let (cell, created) = K::table(&mut self.tables.cells).intern(key);
        if created {
            K::of_plan(self.cells).push(cell);
        }
        cell
    }
}
