//! Property tests of the folds, on generated logs of valid events: a few plans in a tree, and
//! random acts, funds, targets, totals, lifecycle steps, corrections and retractions, recorded
//! at nondecreasing instants (often several at the same millisecond).

use acta_events::{CivilDate, EventId, Instant, StoredEvent};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::compact::Day;
use crate::testing::{
    LogBuilder, assert_answers_keys_in_order, date, plan_key, record_of, replay_into,
};
use crate::{Query, Record, vnd};

const PLANS: [(&str, Option<&str>); 4] = [
    ("p0", None),
    ("p1", Some("p0")),
    ("p2", Some("p1")),
    ("p3", None),
];

/// Acts are dated within 2009..=2016 (eight years).
const DAYS_SPAN: u16 = 8 * 365;

fn day(offset: u16) -> CivilDate {
    let first = Day::from_civil(date("2009-01-01"));
    Day(first.0 + i32::from(offset % DAYS_SPAN)).to_civil()
}

#[derive(Debug, Clone)]
enum Step {
    Act {
        kind: u8,
        plan: u8,
        seed: (u64, u64, bool),
        day: u16,
    },
    Correct {
        which: u16,
        seed: (u64, u64, bool),
        with_data: bool,
        new_day: Option<u16>,
    },
    Retract {
        which: u16,
    },
    Lifecycle {
        plan: u8,
        approve: bool,
        day: u16,
    },
}

/// Act kinds: 0 staff, 1 training, 2 outreach, 3 assessment, 4 progress, 5 target,
/// 6 planned, 7 allocated, 8 disbursed, 9 total, 10 decision, 11 unit.
const ACT_KINDS: u8 = 12;

fn act_type(kind: u8) -> &'static str {
    [
        "staff.assigned",
        "training.held",
        "outreach.delivered",
        "assessment.completed",
        "progress.reported",
        "target.set",
        "funds.planned",
        "funds.allocated",
        "funds.disbursed",
        "total.reported",
        "decision.issued",
        "unit.established",
    ][usize::from(kind)]
}

fn pick<'a>(choices: &[&'a str], seed: u64) -> &'a str {
    choices[(seed % choices.len() as u64) as usize]
}

fn act_data(kind: u8, (a, b, flag): (u64, u64, bool)) -> Value {
    let year = 2009 + (a % 8) as i64;
    match kind {
        0 => json!({"unit": "U", "count": 1 + a % 5}),
        1 => {
            let topic = pick(&["cleaner_production", "energy_efficiency"], a);
            let mut data = json!({"topic": topic, "sessions": 1 + b % 3});
            if flag {
                data["participants"] = json!(b % 50);
            }
            if a % 3 == 0 {
                data["participants_by_group"] = json!({"x": b % 30, "y": a % 7});
            }
            data
        }
        2 => {
            let channels = [
                "radio", "tv", "bulletin", "booklet", "banner", "website", "workshop", "other",
            ];
            json!({"channel": pick(&channels, a), "items": 1 + b % 10})
        }
        3 => json!({"kind": "rapid", "enterprises": 1 + b % 4}),
        4 => {
            let indicator = pick(&["training.sessions", "enterprises.certified"], a);
            json!({"indicator": indicator, "quantity": b % 5})
        }
        5 => {
            let indicator = pick(
                &["outreach.radio", "training.sessions", "staff.assigned"],
                b,
            );
            json!({"indicator": indicator, "year": year, "quantity": b % 10})
        }
        6..=8 => {
            let source = pick(&["central", "local", "other"], b);
            json!({"fiscal_year": year, "source": source, "amount": 1 + (b % 1000) * 1000})
        }
        9 => {
            let amount = 1 + b % 5000;
            let metric = pick(
                &["funding.budget", "funding.disbursed", "training.sessions"],
                a,
            );
            let mut data = json!({"metric": metric, "amount": amount});
            match b % 4 {
                0 => data["amount_in_words"] = json!(vnd::spell(amount)),
                1 => data["amount_in_words"] = json!(vnd::spell(amount + 1)),
                2 => data["amount_in_words"] = json!("không rõ"),
                _ => {}
            }
            if flag {
                data["from_year"] = json!(year);
                data["to_year"] = json!(year + (b % 3) as i64);
            }
            data
        }
        10 => json!({"number": format!("{a}/QĐ"), "issuer": "UBND", "title": "T"}),
        _ => json!({"name": format!("Unit {b}")}),
    }
}

fn step(corrections: bool) -> BoxedStrategy<Step> {
    let seed = (0u64..1000, 0u64..1000, any::<bool>());
    let act =
        (0..ACT_KINDS, 0u8..4, seed.clone(), 0..DAYS_SPAN).prop_map(|(kind, plan, seed, day)| {
            Step::Act {
                kind,
                plan,
                seed,
                day,
            }
        });
    let lifecycle = (0u8..4, any::<bool>(), 0..DAYS_SPAN)
        .prop_map(|(plan, approve, day)| Step::Lifecycle { plan, approve, day });
    if !corrections {
        return prop_oneof![6 => act, 1 => lifecycle].boxed();
    }
    let correct = (
        any::<u16>(),
        seed,
        any::<bool>(),
        proptest::option::of(0..DAYS_SPAN),
    )
        .prop_map(|(which, seed, with_data, new_day)| Step::Correct {
            which,
            seed,
            with_data,
            new_day,
        });
    let retract = any::<u16>().prop_map(|which| Step::Retract { which });
    prop_oneof![6 => act, 1 => lifecycle, 2 => correct, 1 => retract].boxed()
}

/// Steps, each with how many milliseconds pass before it is recorded (often none).
fn log(corrections: bool) -> impl Strategy<Value = Vec<StoredEvent>> {
    proptest::collection::vec((step(corrections), prop_oneof![0i64..1, 1i64..3000]), 0..60)
        .prop_map(build)
}

/// Turns steps into a valid log: corrections only of live acts, lifecycle steps only where
/// the transition is allowed and not dated before the plan's latest lifecycle event.
fn build(steps: Vec<(Step, i64)>) -> Vec<StoredEvent> {
    let mut log = LogBuilder::default();
    let mut clock_ms = "2026-01-01T00:00:00Z"
        .parse::<Instant>()
        .unwrap()
        .as_millisecond();
    let mut at = |log: &mut LogBuilder, advance_ms: i64| {
        clock_ms += advance_ms;
        let instant = jiff::Timestamp::from_millisecond(clock_ms).unwrap();
        log.at(&format!("{instant:.3}"));
    };
    for (plan, parent) in PLANS {
        at(&mut log, 0);
        let mut data = json!({"title": plan, "kind": "plan",
                              "period": {"from_year": 2009, "to_year": 2016}});
        if let Some(parent) = parent {
            data["parent"] = json!(parent);
        }
        log.event("plan.registered", plan, "2009-01-01", data);
    }
    // (status, date of the latest lifecycle event) per plan; all registered on day 0.
    let mut lifecycle = [("draft", 0u16); 4];
    let mut acts: Vec<(EventId, u8, bool)> = Vec::new();
    for (step, advance_ms) in steps {
        match step {
            Step::Act {
                kind,
                plan,
                seed,
                day: offset,
            } => {
                at(&mut log, advance_ms);
                let plan = PLANS[usize::from(plan)].0;
                let id = log.event(
                    act_type(kind),
                    plan,
                    &day(offset).to_string(),
                    act_data(kind, seed),
                );
                acts.push((id, kind, false));
            }
            Step::Lifecycle {
                plan,
                approve,
                day: offset,
            } => {
                let (status, latest) = lifecycle[usize::from(plan)];
                let offset = offset % DAYS_SPAN;
                let allowed = if approve {
                    matches!(status, "draft" | "submitted")
                } else {
                    status == "draft"
                };
                if !allowed || offset < latest {
                    continue;
                }
                at(&mut log, advance_ms);
                let key = PLANS[usize::from(plan)].0;
                let on = day(offset).to_string();
                if approve {
                    log.approve(key, &on);
                    lifecycle[usize::from(plan)] = ("approved", offset);
                } else {
                    log.event("plan.submitted", key, &on, json!({}));
                    lifecycle[usize::from(plan)] = ("submitted", offset);
                }
            }
            Step::Correct {
                which,
                seed,
                with_data,
                new_day,
            } => {
                let live: Vec<_> = acts.iter().filter(|(_, _, retracted)| !retracted).collect();
                if live.is_empty() {
                    continue;
                }
                let (target, kind, _) = *live[usize::from(which) % live.len()];
                let mut correction = json!({});
                if with_data || new_day.is_none() {
                    correction["data"] = act_data(kind, seed);
                }
                if let Some(offset) = new_day {
                    correction["occurred_on"] = json!(day(offset).to_string());
                }
                at(&mut log, advance_ms);
                log.correct(target, "2026-01-01", correction);
            }
            Step::Retract { which } => {
                let live: Vec<usize> = (0..acts.len()).filter(|&i| !acts[i].2).collect();
                if live.is_empty() {
                    continue;
                }
                let index = live[usize::from(which) % live.len()];
                at(&mut log, advance_ms);
                log.retract(acts[index].0, "2026-01-01");
                acts[index].2 = true;
            }
        }
    }
    log.events().to_vec()
}

fn query(as_of: Option<CivilDate>, known_at: Option<Instant>, plan: Option<&str>) -> Query {
    Query {
        as_of,
        known_at,
        plan: plan.map(plan_key),
        today: date("2026-11-28"),
    }
}

/// Every answer of the record for a query, and for each plan subtree, as JSON.
fn answers(record: &Record, base: &Query, with_versions: bool) -> Value {
    let mut all = Vec::new();
    for plan in [None, Some("p0"), Some("p1"), Some("p3")] {
        let query = Query {
            plan: plan.map(plan_key),
            ..base.clone()
        };
        let mut plans = serde_json::to_value(record.plans(&query)).unwrap();
        let mut single: Value = PLANS
            .iter()
            .map(|(key, _)| serde_json::to_value(record.plan(&plan_key(key), &query)).unwrap())
            .collect();
        if !with_versions {
            for status in plans
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .chain(single.as_array_mut().unwrap().iter_mut())
            {
                if let Some(status) = status.as_object_mut() {
                    status.remove("version");
                }
            }
        }
        all.push(json!({
            "plans": plans,
            "plan": single,
            "funding": record.funding(&query),
            "yearly": record.yearly(&query),
            "reconciliation": record.reconciliation(&query),
        }));
    }
    Value::Array(all)
}

/// A date after every act: `as_of` then changes nothing but forces a fold.
fn far_future() -> Option<CivilDate> {
    Some(date("2200-12-31"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// (a) The live record, queried between applies, answers as a fold from scratch does, and
    /// as a record rebuilt from the whole log does.
    #[test]
    fn the_live_record_equals_a_rebuilt_one(events in log(true)) {
        let mut live = Record::default();
        for (index, event) in events.iter().enumerate() {
            live.apply(event);
            if index % 7 == 0 {
                prop_assert_eq!(
                    answers(&live, &query(None, None, None), true),
                    answers(&live, &query(far_future(), None, None), true)
                );
            }
        }
        let rebuilt = record_of(&events);
        let now = query(None, None, None);
        prop_assert_eq!(answers(&live, &now, true), answers(&rebuilt, &now, true));
        prop_assert_eq!(
            answers(&live, &now, true),
            answers(&rebuilt, &query(far_future(), None, None), true)
        );
    }

    /// (b) The answer at `known_at = t` is the answer of the log cut at `t`, for any `as_of`.
    #[test]
    fn known_at_equals_the_log_cut_there(
        events in log(true),
        cut in any::<prop::sample::Index>(),
        as_of in proptest::option::of(0..DAYS_SPAN),
    ) {
        let record = record_of(&events);
        let instants: Vec<Instant> = events.iter().map(|e| e.recorded_at).collect();
        let t = instants[cut.index(instants.len())];
        let prefix: Vec<StoredEvent> =
            events.iter().filter(|e| e.recorded_at <= t).cloned().collect();
        let as_of = as_of.map(day);
        prop_assert_eq!(
            answers(&record, &query(as_of, Some(t), None), true),
            answers(&record_of(&prefix), &query(as_of, None, None), true)
        );
        // Before anything was recorded, nothing is known.
        let before = Instant::from_timestamp(
            jiff::Timestamp::from_millisecond(instants[0].as_millisecond() - 1).unwrap(),
        );
        prop_assert_eq!(
            answers(&record, &query(None, Some(before), None), true),
            answers(&Record::default(), &query(None, None, None), true)
        );
    }

    /// (c) Without corrections, the answer at `as_of = d` is the answer of the log filtered to
    /// `occurred_on <= d` (plan versions aside: they count the stream, not the dates).
    #[test]
    fn as_of_equals_the_log_filtered_by_date(events in log(false), d in 0..DAYS_SPAN) {
        let d = day(d);
        let record = record_of(&events);
        let filtered: Vec<StoredEvent> =
            events.iter().filter(|e| e.occurred_on <= d).cloned().collect();
        // `target_missed` looks at as_of, or at today without it: make them agree.
        let filtered_query = Query { today: d, ..query(None, None, None) };
        prop_assert_eq!(
            answers(&record, &query(Some(d), None, None), false),
            answers(&record_of(&filtered), &filtered_query, false)
        );
    }

    /// (d) Funding does not depend on the order in which funding acts were recorded.
    #[test]
    fn funding_does_not_depend_on_recording_order(
        (events, order) in log(false).prop_flat_map(|events| {
            let funds: Vec<usize> = (0..events.len())
                .filter(|&i| events[i].event_type.as_str().starts_with("funds."))
                .collect();
            (Just(events), Just(funds).prop_shuffle())
        }),
        d in 0..DAYS_SPAN,
    ) {
        let funds_positions: Vec<usize> = {
            let mut positions = order.clone();
            positions.sort_unstable();
            positions
        };
        let mut permuted = events.clone();
        for (position, source) in funds_positions.iter().zip(&order) {
            let mut moved = events[*source].clone();
            // The event takes the place, and so the seq and recorded_at, of another.
            moved.seq = events[*position].seq;
            moved.recorded_at = events[*position].recorded_at;
            permuted[*position] = moved;
        }
        let (original, reordered) = (record_of(&events), record_of(&permuted));
        for as_of in [None, Some(day(d))] {
            for plan in [None, Some("p0"), Some("p1"), Some("p3")] {
                let query = query(as_of, None, plan);
                prop_assert_eq!(original.funding(&query), reordered.funding(&query));
            }
        }
    }
}

/// Logs long enough to cross several checkpoints when one is kept every 7 or 16 events.
fn long_log() -> impl Strategy<Value = Vec<StoredEvent>> {
    proptest::collection::vec((step(true), prop_oneof![0i64..1, 1i64..3000]), 40..200)
        .prop_map(build)
}

fn record_with_checkpoints(events: &[StoredEvent], every: usize) -> Record {
    let mut record = Record::with_checkpoint_every(every);
    for event in events {
        record.apply(event);
    }
    record
}

/// `known_at` at an event's instant, a millisecond before or after it, or now.
fn instant_near(events: &[StoredEvent], at: prop::sample::Index, shift: i64) -> Instant {
    let base = events[at.index(events.len())].recorded_at.as_millisecond();
    Instant::from_timestamp(jiff::Timestamp::from_millisecond(base + shift).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// (e) Time travel from checkpoints answers as the plain fold does, for any `as_of` and
    /// `known_at`, on every plan subtree and every plan, with corrections and retractions
    /// recorded on either side of each checkpoint.
    #[test]
    fn time_travel_from_checkpoints_equals_the_plain_fold(
        events in long_log(),
        every in prop_oneof![Just(7usize), Just(16usize)],
        cuts in proptest::collection::vec(
            (
                proptest::option::of((any::<prop::sample::Index>(), -1i64..2)),
                proptest::option::of(0..DAYS_SPAN),
            ),
            4,
        ),
    ) {
        let indexed = record_with_checkpoints(&events, every);
        let plain = record_of(&events);
        for (known_at, as_of) in cuts {
            let known_at = known_at.map(|(at, shift)| instant_near(&events, at, shift));
            let as_of = as_of.map(day);
            let query = query(as_of, known_at, None);
            prop_assert_eq!(answers(&indexed, &query, true), answers(&plain, &query, true));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// (f) The cold start, which reads each act's data straight from its stored text, builds
    /// the record that applying the whole stored events builds: the same answers now, after
    /// time travel, and with checkpoints.
    #[test]
    fn the_replayed_record_equals_the_applied_one(
        events in long_log(),
        every in prop_oneof![Just(7usize), Just(16usize)],
        cuts in proptest::collection::vec(
            (
                proptest::option::of((any::<prop::sample::Index>(), -1i64..2)),
                proptest::option::of(0..DAYS_SPAN),
            ),
            3,
        ),
    ) {
        let applied = record_with_checkpoints(&events, every);
        let mut replayed = Record::with_checkpoint_every(every);
        replay_into(&mut replayed, &events);
        let now = query(None, None, None);
        prop_assert_eq!(answers(&replayed, &now, true), answers(&applied, &now, true));
        for (known_at, as_of) in cuts {
            let known_at = known_at.map(|(at, shift)| instant_near(&events, at, shift));
            let query = query(as_of.map(day), known_at, None);
            prop_assert_eq!(answers(&replayed, &query, true), answers(&applied, &query, true));
        }
    }
}

#[test]
fn checkpoints_are_taken_and_used_on_a_busy_log() {
    // A fixed log of 400 steps, a checkpoint every 7 events: many checkpoints, and every
    // answer for a grid of (as_of, known_at) equals the plain fold's.
    let steps = busy_steps(400);
    let events = build(steps);
    let indexed = record_with_checkpoints(&events, 7);
    let plain = record_of(&events);
    assert!(
        indexed.checkpoints.count() >= 20,
        "{}",
        indexed.checkpoints.count()
    );
    assert_eq!(plain.checkpoints.count(), 0);
    for at in (0..events.len()).step_by(17) {
        for as_of in [
            None,
            Some(day(0)),
            Some(day(400)),
            Some(day(1500)),
            Some(day(2900)),
        ] {
            let query = query(as_of, Some(events[at].recorded_at), None);
            assert_eq!(
                answers(&indexed, &query, true),
                answers(&plain, &query, true)
            );
        }
    }
    let query = query(Some(day(1000)), None, None);
    assert_eq!(
        answers(&indexed, &query, true),
        answers(&plain, &query, true)
    );
}

fn busy_steps(count: u16) -> Vec<(Step, i64)> {
    (0..count)
        .map(|i| {
            let step = match i % 10 {
                7 => Step::Correct {
                    which: i * 7,
                    seed: (u64::from(i), u64::from(i) * 3, i % 2 == 0),
                    with_data: i % 3 == 0,
                    new_day: (i % 4 == 0).then_some(i * 13),
                },
                9 => Step::Retract { which: i * 11 },
                8 => Step::Lifecycle {
                    plan: (i % 4) as u8,
                    approve: i % 3 == 0,
                    day: i * 5,
                },
                _ => Step::Act {
                    kind: (i % u16::from(ACT_KINDS)) as u8,
                    plan: (i % 4) as u8,
                    seed: (u64::from(i) * 37, u64::from(i) * 101, i % 3 == 1),
                    day: i * 17,
                },
            };
            (step, i64::from(i % 3) * 500)
        })
        .collect()
}

#[test]
fn generated_logs_are_applied_whole() {
    // A fixed, busy log: every event must be taken (none skipped as invalid), so the sum of
    // the plans' versions is the length of the log.
    let steps = busy_steps(200);
    let events = build(steps);
    let record = record_of(&events);
    let versions: u64 = record
        .plans(&query(None, None, None))
        .iter()
        .map(|plan| plan.version)
        .sum();
    assert_eq!(versions, events.len() as u64);
}

#[test]
fn every_answer_of_a_busy_log_writes_its_keys_in_order() {
    // A fixed, busy log with checkpoints (every kind of act, several channels and topics a
    // year, corrections, retractions, lifecycle steps): for every query shape and plan
    // subtree, every answer serialised directly is byte for byte what it gives through a
    // `serde_json::Value`, which sorts keys.
    let events = build(busy_steps(400));
    let record = record_with_checkpoints(&events, 16);
    let middle = Some(events[events.len() / 2].recorded_at);
    for plan in [None, Some("p0"), Some("p1"), Some("p3")] {
        for (as_of, known_at) in [
            (None, None),
            (Some(day(1500)), None),
            (None, middle),
            (Some(day(1500)), middle),
        ] {
            let bytes = assert_answers_keys_in_order(&record, &query(as_of, known_at, plan));
            assert!(bytes > 500, "{bytes} bytes");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The same on random logs and cuts.
    #[test]
    fn every_answer_writes_its_keys_in_order(
        events in log(true),
        known_at in proptest::option::of((any::<prop::sample::Index>(), -1i64..2)),
        as_of in proptest::option::of(0..DAYS_SPAN),
        plan in prop_oneof![Just(None), Just(Some("p0")), Just(Some("p1")), Just(Some("p3"))],
    ) {
        let known_at = known_at.map(|(at, shift)| instant_near(&events, at, shift));
        assert_answers_keys_in_order(&record_of(&events), &query(as_of.map(day), known_at, plan));
    }
}
