//! How the record behaves on a million events. Ignored by default (it takes a while in a debug
//! build); run with
//! `cargo test --release -p acta-projections -- --ignored --nocapture a_million`.

use std::time::{Duration, Instant as Clock};

use acta_events::{DatePrecision, EventType, Instant, StoredEvent};
use serde_json::json;

use crate::compact::Day;
use crate::testing::{date, id, plan_key};
use crate::{Query, Record};

/// As the production record: 63 provinces of about 23 plans each, acts over 2010..=2025.
const PLANS: u64 = 63 * 23;
const YEARS: u64 = 16;
const EVENTS: u64 = 1_000_000;

fn event(seq: u64, event_type: &str, plan: u64, day: Day, data: serde_json::Value) -> StoredEvent {
    StoredEvent {
        seq,
        id: id(seq),
        event_type: event_type.parse::<EventType>().unwrap(),
        plan: plan_key(&format!("plan-{plan}")),
        version: 0,
        occurred_on: day.to_civil(),
        date_precision: DatePrecision::Day,
        recorded_at: Instant::from_timestamp(
            jiff::Timestamp::from_millisecond(1_700_000_000_000 + seq as i64 * 10).unwrap(),
        ),
        actor: "scale".to_owned(),
        data,
        evidence: None,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

fn timed<T>(label: &str, runs: u32, mut work: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Clock::now();
            std::hint::black_box(work());
            start.elapsed()
        })
        .collect();
    let first = times[0];
    times.sort();
    println!(
        "{label}: first {first:?}, fastest {:?}, slowest {:?} of {runs}",
        times[0],
        times[times.len() - 1]
    );
    times[times.len() - 1]
}

#[test]
#[ignore = "a scale measurement; run in release with --ignored"]
fn a_million_events() {
    let first = Day::from_civil(date("2010-01-01"));
    let mut record = Record::default();
    let start = Clock::now();
    for plan in 0..PLANS {
        let mut data = json!({"title": "T", "kind": "plan",
                              "period": {"from_year": 2010, "to_year": 2025}});
        if plan > 0 {
            data["parent"] = json!(format!("plan-{}", (plan - 1) / 4));
        }
        record.apply(&event(plan + 1, "plan.registered", plan, first, data));
    }
    let mut applied = PLANS;
    let mut rolling: u64 = 12_345;
    while applied < EVENTS {
        rolling = rolling
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        let plan = (rolling >> 33) % PLANS;
        let day = Day(first.0 + ((rolling >> 20) % (YEARS * 365)) as i32);
        let year = day.to_civil().year();
        let (event_type, data) = match (rolling >> 40) % 10 {
            0..=2 => (
                "funds.allocated",
                json!({"fiscal_year": year, "source": "local",
                                                "amount": 1 + (rolling >> 45) % 1_000_000}),
            ),
            3..=4 => (
                "funds.disbursed",
                json!({"fiscal_year": year, "source": "local",
                                                "amount": 1 + (rolling >> 45) % 1_000_000}),
            ),
            5 => (
                "training.held",
                json!({"topic": "cleaner_production", "sessions": 2,
                                          "participants": 40}),
            ),
            6 => (
                "outreach.delivered",
                json!({"channel": "radio", "items": 3}),
            ),
            7 => (
                "target.set",
                json!({"indicator": "outreach.radio", "year": year,
                                       "quantity": 10}),
            ),
            // As in `acta bench`, about 5% of acts are decisions: the yearly summary lists
            // each one, so they are most of its answer.
            8 => match (rolling >> 50) % 4 {
                0 | 1 => (
                    "decision.issued",
                    json!({"number": format!("{applied}/QĐ-SCT"),
                           "issuer": format!("Sở Công Thương {:02}", plan % 63),
                           "title": "Giao nhiệm vụ thực hiện kế hoạch SXSH"}),
                ),
                2 => (
                    "unit.established",
                    json!({"name": format!("Tổ SXSH {applied}")}),
                ),
                _ => ("staff.assigned", json!({"unit": "U", "count": 1})),
            },
            _ => (
                "event.retracted",
                json!({"target": id(applied).to_string(),
                                             "reason": "r"}),
            ),
        };
        record.apply(&event(applied + 1, event_type, plan, day, data));
        applied += 1;
    }
    println!("applied {EVENTS} events in {:?}", start.elapsed());
    let index_bytes: usize = record
        .plans
        .iter()
        .map(|plan| {
            plan.listed_acts
                .iter()
                .map(|acts| acts.capacity() * 4)
                .sum::<usize>()
                + plan
                    .acts_by_year
                    .iter()
                    .map(|(_, acts)| acts.capacity() * 4 + 32)
                    .sum::<usize>()
        })
        .sum();
    println!(
        "{} checkpoints: {} KiB; year and listing indexes: {} KiB",
        record.checkpoints.count(),
        record.checkpoints.bytes() / 1024,
        index_bytes / 1024
    );

    let today = date("2026-11-28");
    let now = Query::now(today);
    let as_of = Query {
        as_of: Some(date("2014-06-30")),
        ..now.clone()
    };
    let known_at = Query {
        known_at: Some(Instant::from_timestamp(
            jiff::Timestamp::from_millisecond(1_700_000_000_000 + 5_000_000).unwrap(),
        )),
        ..now.clone()
    };
    let both = Query {
        as_of: as_of.as_of,
        ..known_at.clone()
    };
    let subtree = Query {
        plan: Some(plan_key("plan-3")),
        ..as_of.clone()
    };
    time_travel_percentiles(&record, today);
    for (label, query) in [
        ("now", &now),
        ("as_of", &as_of),
        ("known_at", &known_at),
        ("as_of + known_at", &both),
        ("as_of, plan subtree", &subtree),
    ] {
        timed(&format!("funding {label}"), 5, || record.funding(query));
        timed(&format!("yearly {label}"), 5, || record.yearly(query));
        timed(&format!("reconciliation {label}"), 5, || {
            record.reconciliation(query)
        });
        timed(&format!("plans {label}"), 5, || record.plans(query));
    }
}

/// p50 and p99 of funding, the yearly summary, every plan's status and one plan's status, each
/// for random `as_of` (2010..=2025) and `known_at` (anywhere in the log) over the whole record.
fn time_travel_percentiles(record: &Record, today: acta_events::CivilDate) {
    const RUNS: usize = 200;
    let first = Day::from_civil(date("2010-01-01"));
    let mut rolling: u64 = 987_654_321;
    let mut next = move || {
        rolling = rolling
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        rolling >> 20
    };
    let queries: Vec<Query> = (0..RUNS)
        .map(|_| {
            let day = Day(first.0 + (next() % (YEARS * 365)) as i32);
            let millis = 1_700_000_000_000 + (next() % (EVENTS * 10)) as i64;
            Query {
                as_of: Some(day.to_civil()),
                known_at: Some(Instant::from_timestamp(
                    jiff::Timestamp::from_millisecond(millis).unwrap(),
                )),
                ..Query::now(today)
            }
        })
        .collect();
    let percentiles = |label: &str, work: &dyn Fn(&Query)| {
        let (mut times, mut cpu_times): (Vec<Duration>, Vec<Duration>) = queries
            .iter()
            .map(|query| {
                let cpu_start = thread_cpu_time();
                let start = Clock::now();
                work(query);
                let elapsed = start.elapsed();
                (elapsed, thread_cpu_time().saturating_sub(cpu_start))
            })
            .unzip();
        times.sort();
        cpu_times.sort();
        println!(
            "time travel {label}: p50 {:?}, p99 {:?}, max {:?} of {RUNS} \
             (on the CPU: p50 {:?}, p99 {:?})",
            times[RUNS / 2],
            times[RUNS * 99 / 100],
            times[RUNS - 1],
            cpu_times[RUNS / 2],
            cpu_times[RUNS * 99 / 100],
        );
    };
    percentiles("funding", &|query| {
        std::hint::black_box(record.funding(query));
    });
    percentiles("yearly", &|query| {
        std::hint::black_box(record.yearly(query));
    });
    // What the server does with an answer: the fold, then the JSON bytes.
    percentiles("yearly rendered through a Value", &|query| {
        let value = serde_json::to_value(record.yearly(query)).unwrap();
        std::hint::black_box(serde_json::to_vec(&value).unwrap());
    });
    percentiles("yearly rendered directly", &|query| {
        std::hint::black_box(serde_json::to_vec(&record.yearly(query)).unwrap());
    });
    let sizes: Vec<usize> = queries
        .iter()
        .map(|query| serde_json::to_vec(&record.yearly(query)).unwrap().len())
        .collect();
    println!(
        "yearly answer: {} KiB at most, {} KiB on average",
        sizes.iter().max().unwrap_or(&0) / 1024,
        sizes.iter().sum::<usize>() / sizes.len().max(1) / 1024
    );
    percentiles("plans", &|query| {
        std::hint::black_box(record.plans(query));
    });
    let one = plan_key("plan-7");
    percentiles("plan", &|query| {
        std::hint::black_box(record.plan(&one, query));
    });
}

/// How long this thread has run on a CPU: on a busy machine it varies much less than the
/// wall-clock time.
fn thread_cpu_time() -> Duration {
    let time = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

/// The fold streams through every act, so an act's size is the fold's speed: keep it small.
#[test]
fn an_act_stays_within_72_bytes() {
    use crate::compact::Act;
    assert!(
        std::mem::size_of::<Act>() <= 72,
        "{}",
        std::mem::size_of::<Act>()
    );
}
