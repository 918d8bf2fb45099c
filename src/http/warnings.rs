//! Warnings at the desk (`warnings` of a `201`; a repeat's `200` is the event as first stored,
//! exactly, as the contract says): what
//! reconciliation would flag about the act just stored, told while the clerk still has the
//! paper in hand. Nothing here refuses anything: the act is stored before these are computed.
//!
//! The reconciliation rules are not copied: the warnings *are* the findings that
//! `Record::reconciliation` gives for the act's plan after the commit, kept when they are about
//! this act (its training's breakdown; its disbursement's plan, fiscal year and source). The one
//! warning reconciliation has no finding for — an act identical to one already stored, sent
//! without `id` — is found in the log.

use serde_json::{Value, json};

use acta_events::{EventFilter, StoredEvent};
use acta_messages::{Arg, Lang, Message, codes};
use acta_projections::{Finding, FindingKind, Query};

use super::problem::ApiError;
use super::state::{AppState, blocking};

/// How far back in the log an act sent without `id` is compared: with the events of its plan
/// and type among the last this many of the whole log. A retry that stored twice follows its
/// first within moments; comparing the whole stream cost a read of up to 10,000 events on
/// every append without `id` (the bench's appends send none).
pub const DUPLICATE_WINDOW_EVENTS: u64 = 10_000;

/// Events read per page of that comparison.
const DUPLICATE_SCAN_PAGE_EVENTS: u32 = 1000;

/// The warnings about `stored`, just committed; `sent_id` says whether the request carried an
/// `id` (an act sent without one may be a repeat stored twice).
pub async fn of_append(
    state: &AppState,
    stored: &StoredEvent,
    sent_id: bool,
    lang: Lang,
) -> Result<Vec<Value>, ApiError> {
    let mut warnings: Vec<Value> = reconciliation_warnings(state, stored)
        .iter()
        .map(|(finding, pointer)| {
            json!({
                "kind": finding.kind,
                "severity": finding.severity,
                "code": finding.message.code(),
                "params": finding.message.params_json(),
                "pointer": pointer,
                "message": finding.message.render(lang),
            })
        })
        .collect();
    if !sent_id && let Some(earlier) = identical_earlier(state, stored).await? {
        let message = Message::new(codes::WARNING_DUPLICATE_WITHOUT_ID)
            .text("id", earlier.id.to_string())
            .int("seq", earlier.seq);
        warnings.push(json!({
            "kind": "duplicate_without_id",
            "severity": "warning",
            "code": message.code(),
            "params": message.params_json(),
            "pointer": "",
            "message": message.render(lang),
        }));
    }
    Ok(warnings)
}

/// The findings of the act's plan that are about this act, with the field each points at.
fn reconciliation_warnings(state: &AppState, stored: &StoredEvent) -> Vec<(Finding, &'static str)> {
    let about_disbursement = match stored.event_type {
        acta_events::EventType::TrainingHeld => None,
        acta_events::EventType::FundsDisbursed => Some((
            stored.data["fiscal_year"].as_i64(),
            stored.data["source"].as_str().unwrap_or_default(),
        )),
        _ => return Vec::new(),
    };
    let query = Query {
        plan: Some(stored.plan.clone()),
        ..Query::now(state.now().date_utc().into())
    };
    let findings = state.record().reconciliation(&query).findings;
    findings
        .into_iter()
        .filter_map(|finding| {
            if finding.plan != stored.plan {
                return None;
            }
            match (finding.kind, about_disbursement) {
                (FindingKind::BreakdownMismatch, None) if finding.event == stored.id => {
                    Some((finding, "/data/participants_by_group"))
                }
                (FindingKind::DisbursedWithoutAllocation, Some((fiscal_year, source)))
                    if finding.year.map(i64::from) == fiscal_year
                        && is_source(finding.message.arg("source"), source) =>
                {
                    Some((finding, "/data/amount"))
                }
                _ => None,
            }
        })
        .collect()
}

fn is_source(arg: Option<&Arg>, source: &str) -> bool {
    matches!(arg, Some(Arg::Word { value, .. }) if value == source)
}

/// The latest other event of the same plan and type with the same content (date, precision,
/// data, evidence) as `stored`, among the last [`DUPLICATE_WINDOW_EVENTS`] of the log.
async fn identical_earlier(
    state: &AppState,
    stored: &StoredEvent,
) -> Result<Option<StoredEvent>, ApiError> {
    let log = state.log.clone();
    let stored = stored.clone();
    blocking(move || {
        let mut found = None;
        let mut after_seq = stored.seq.saturating_sub(DUPLICATE_WINDOW_EVENTS + 1);
        loop {
            // Filters that `GET /v1/events` gains keep their defaults (none) here.
            #[allow(clippy::needless_update)]
            let page = log.events(&EventFilter {
                after_seq,
                limit: DUPLICATE_SCAN_PAGE_EVENTS,
                plan: Some(stored.plan.clone()),
                event_type: Some(stored.event_type),
                ..EventFilter::default()
            })?;
            let Some(last) = page.last() else { break };
            after_seq = last.seq;
            for event in &page {
                if event.id != stored.id
                    && event.occurred_on == stored.occurred_on
                    && event.date_precision == stored.date_precision
                    && event.data == stored.data
                    && event.evidence == stored.evidence
                {
                    found = Some(event.clone());
                }
            }
            if page.len() < DUPLICATE_SCAN_PAGE_EVENTS as usize || after_seq >= stored.seq {
                break;
            }
        }
        Ok(found)
    })
    .await
}
