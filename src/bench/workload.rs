//! A deterministic synthetic record at national scale, for `acta bench`: 63 provinces, each with
//! a programme, a multi-year plan and annual plans 2010–2030, and a realistic mix of acts per
//! year — decisions, trainings with breakdowns, outreach, assessments, targets, planned /
//! allocated / disbursed funds, about 1% corrections and 0.2% retractions.
//!
//! The same `--events` and `--seed` always give the same events, ids included.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

pub const PROVINCES: usize = 63;
pub const FIRST_YEAR: i64 = 2010;
pub const LAST_PLAN_YEAR: i64 = 2030;
/// Acts are dated no later than this year: a date after tomorrow is refused.
pub const LAST_ACT_YEAR: i64 = 2025;

/// The registration events of one province: programme, multi-year plan, annual plans.
fn province_plans(province: usize) -> Vec<(String, Value)> {
    let programme = format!("p{province:02}-sxsh");
    let multi_year = format!("p{province:02}-kh-2010-2030");
    let mut plans = vec![
        (
            programme.clone(),
            json!({"title": format!("Chương trình SXSH tỉnh {province:02}"), "kind": "programme",
                   "period": {"from_year": FIRST_YEAR, "to_year": LAST_PLAN_YEAR}}),
        ),
        (
            multi_year.clone(),
            json!({"title": format!("Kế hoạch SXSH tỉnh {province:02} đến 2030"), "kind": "plan",
                   "code": format!("{province}/QĐ-UBND"), "parent": programme,
                   "period": {"from_year": FIRST_YEAR, "to_year": LAST_PLAN_YEAR}}),
        ),
    ];
    for year in FIRST_YEAR..=LAST_PLAN_YEAR {
        plans.push((
            annual_plan(province, year),
            json!({"title": format!("Kế hoạch SXSH năm {year} tỉnh {province:02}"), "kind": "annual_plan",
                   "parent": multi_year, "period": {"from_year": year, "to_year": year}}),
        ));
    }
    plans
}

pub fn annual_plan(province: usize, year: i64) -> String {
    format!("p{province:02}-kh-{year}")
}

/// Generates `count` request-shaped events, each with an id, in an order the log accepts.
pub struct Workload {
    rng: ChaCha8Rng,
    ulid_millis: u64,
    decision_counter: u64,
    /// Acts that may still be corrected or retracted: (id, plan, type, data, occurred_on).
    correctable: Vec<(String, String, &'static str, Value, String)>,
}

impl Workload {
    pub fn new(seed: u64) -> Workload {
        Workload {
            rng: ChaCha8Rng::seed_from_u64(seed),
            // Ids are ULIDs whose time part counts up from a fixed instant, so they are unique,
            // sortable and the same on every run.
            ulid_millis: 1_700_000_000_000,
            decision_counter: 0,
            correctable: Vec::new(),
        }
    }

    fn next_id(&mut self) -> String {
        self.ulid_millis += 1;
        let random: u128 = self.rng.random::<u128>() & ((1u128 << 80) - 1);
        ulid::Ulid::from_parts(self.ulid_millis, random).to_string()
    }

    fn event(&mut self, event_type: &str, plan: &str, occurred_on: &str, data: Value) -> Value {
        json!({"id": self.next_id(), "type": event_type, "plan": plan, "occurred_on": occurred_on,
               "data": data, "evidence": {"document": "Báo cáo tổng hợp", "locator": "phụ lục"}})
    }

    /// Calls `emit` with `count` events.
    pub fn generate(mut self, count: usize, emit: &mut dyn FnMut(Value)) {
        let mut emitted = 0;
        let mut send = |event: Value, emitted: &mut usize| {
            if *emitted < count {
                emit(event);
                *emitted += 1;
            }
        };
        // Plans first: registered at the end of the year before they start, then approved.
        for province in 0..PROVINCES {
            for (plan, data) in province_plans(province) {
                let from_year = data["period"]["from_year"].as_i64().unwrap_or(FIRST_YEAR);
                let registered_on = format!("{}-11-30", (from_year - 1).min(LAST_ACT_YEAR));
                let registration = self.event("plan.registered", &plan, &registered_on, data);
                send(registration, &mut emitted);
                let approved_on = format!("{}-12-20", (from_year - 1).min(LAST_ACT_YEAR));
                self.decision_counter += 1;
                let decision = format!("{}/QĐ-UBND", self.decision_counter);
                let approval = self.event(
                    "plan.approved",
                    &plan,
                    &approved_on,
                    json!({"decision": decision}),
                );
                send(approval, &mut emitted);
            }
        }
        while emitted < count {
            let province = self.rng.random_range(0..PROVINCES);
            let year = self.rng.random_range(FIRST_YEAR..=LAST_ACT_YEAR);
            let event = self.act(province, year);
            send(event, &mut emitted);
        }
    }

    /// One act of `province` in `year`, or now and then a correction or retraction.
    fn act(&mut self, province: usize, year: i64) -> Value {
        let roll = self.rng.random_range(0..1000);
        if roll < 10 && !self.correctable.is_empty() {
            return self.correction();
        }
        if roll < 12 && !self.correctable.is_empty() {
            return self.retraction();
        }
        let plan = annual_plan(province, year);
        let month = self.rng.random_range(1..=12);
        let day = self.rng.random_range(1..=28);
        let occurred_on = format!("{year}-{month:02}-{day:02}");
        let (event_type, data): (&'static str, Value) = match self.rng.random_range(0..100) {
            0..=4 => {
                self.decision_counter += 1;
                let number = format!("{}/QĐ-SCT", self.decision_counter);
                (
                    "decision.issued",
                    json!({"number": number, "issuer": format!("Sở Công Thương {province:02}"),
                                           "title": "Giao nhiệm vụ thực hiện kế hoạch SXSH"}),
                )
            }
            5..=19 => {
                let groups = self.rng.random_range(1..=5);
                let mut by_group = serde_json::Map::new();
                let mut total = 0;
                for group in 0..groups {
                    let count = self.rng.random_range(5..=60);
                    total += count;
                    by_group.insert(format!("Nhóm {group}"), json!(count));
                }
                let topic = if self.rng.random_bool(0.5) {
                    "cleaner_production"
                } else {
                    "energy_efficiency"
                };
                (
                    "training.held",
                    json!({"topic": topic, "sessions": self.rng.random_range(1..=4),
                                         "participants": total, "participants_by_group": by_group}),
                )
            }
            20..=39 => {
                let channels = [
                    "radio", "tv", "bulletin", "booklet", "banner", "website", "workshop",
                ];
                let channel = channels[self.rng.random_range(0..channels.len())];
                (
                    "outreach.delivered",
                    json!({"channel": channel, "items": self.rng.random_range(1..=500)}),
                )
            }
            40..=49 => (
                "assessment.completed",
                json!({"kind": "rapid", "enterprises": self.rng.random_range(1..=8)}),
            ),
            50..=59 => (
                "target.set",
                json!({"indicator": "training.sessions", "year": year,
                                             "quantity": self.rng.random_range(1..=10)}),
            ),
            60..=71 => ("funds.planned", self.funds(year)),
            72..=85 => ("funds.allocated", self.funds(year)),
            _ => ("funds.disbursed", self.funds(year)),
        };
        let event = self.event(event_type, &plan, &occurred_on, data.clone());
        if event_type != "decision.issued" {
            let id = event["id"].as_str().unwrap_or_default().to_owned();
            self.correctable
                .push((id, plan, event_type, data, occurred_on));
        }
        event
    }

    fn funds(&mut self, year: i64) -> Value {
        let sources = ["central", "local", "other"];
        let source = sources[self.rng.random_range(0..sources.len())];
        let amount = self.rng.random_range(1..=2_000u64) * 1_000_000;
        json!({"fiscal_year": year, "source": source, "amount": amount})
    }

    fn take_correctable(&mut self) -> (String, String, &'static str, Value, String) {
        let index = self.rng.random_range(0..self.correctable.len());
        self.correctable.swap_remove(index)
    }

    fn correction(&mut self) -> Value {
        let (target, plan, event_type, mut data, occurred_on) = self.take_correctable();
        // A typo fixed: a count or an amount changes; the act may be corrected again later.
        for key in ["amount", "items", "enterprises", "sessions", "quantity"] {
            if let Some(value) = data.get(key).and_then(Value::as_u64) {
                data[key] = json!(value + 1);
                break;
            }
        }
        let correction = self.event(
            "event.corrected",
            &plan,
            &occurred_on,
            json!({"target": target, "reason": "sửa lỗi đánh máy", "data": data.clone()}),
        );
        self.correctable
            .push((target, plan, event_type, data, occurred_on));
        correction
    }

    fn retraction(&mut self) -> Value {
        let (target, plan, _, _, occurred_on) = self.take_correctable();
        self.event(
            "event.retracted",
            &plan,
            &occurred_on,
            json!({"target": target, "reason": "ghi nhầm"}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(count: usize, seed: u64) -> Vec<Value> {
        let mut out = Vec::new();
        Workload::new(seed).generate(count, &mut |event| out.push(event));
        out
    }

    #[test]
    fn the_same_seed_gives_the_same_record() {
        assert_eq!(events(5_000, 7), events(5_000, 7));
        assert_ne!(events(5_000, 7), events(5_000, 8));
        assert_eq!(events(5_000, 7).len(), 5_000);
    }

    #[test]
    fn every_generated_event_is_accepted_by_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let clock: acta_events::Clock = std::sync::Arc::new(jiff::Timestamp::now);
        let log = acta_events::Log::open(
            dir.path().join("acta.db"),
            acta_events::LogOptions {
                clock,
                on_commit: None,
                bulk: false,
            },
        )
        .unwrap();
        let today = "2026-11-28".parse().unwrap();
        let generated = events(12_000, 1);
        let kinds: std::collections::BTreeSet<&str> = generated
            .iter()
            .map(|e| e["type"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains("event.corrected") && kinds.contains("event.retracted"),
            "{kinds:?}"
        );
        let parsed: Vec<_> = generated
            .iter()
            .map(|event| acta_events::NewEvent::parse(event, "", today).unwrap())
            .collect();
        for chunk in parsed.chunks(1000) {
            let request = acta_events::AppendRequest {
                events: chunk.to_vec(),
                actor: "bench".into(),
                is_batch: true,
            };
            let outcome = log.append_blocking(request).unwrap();
            assert_eq!(outcome.stored_new, chunk.len());
        }
    }
}
