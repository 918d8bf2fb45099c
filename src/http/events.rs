//! The event log's endpoints: append one, append a batch, page through, read one, the head and
//! the chain's verification.

use acta_messages::{Message, codes};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use acta_events::fields::quoted;
use acta_events::{
    AppendError, AppendRequest, CivilDate, EventFilter, EventId, EventScope, EventType, Instant,
    NewEvent, PlanKey, ScopedPage, Search,
};

use super::extract::{Actor, JsonBody, QueryParams};
use super::problem::ApiError;
use super::state::{AppState, blocking};
use crate::verifier::VerifyError;

/// Largest page of `GET /v1/events`.
pub const PAGE_EVENTS_MAX: u32 = 1000;
/// Page size when `limit` is not given.
pub const PAGE_EVENTS_DEFAULT: u32 = 100;

pub async fn append_one(
    State(state): State<AppState>,
    Actor(actor): Actor,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let today = state.now().date_utc().into();
    let event = NewEvent::parse(&body, "", today).map_err(AppendError::from_fields)?;
    let sent_id = body.get("id").is_some();
    let outcome = append(
        &state,
        AppendRequest {
            events: vec![event],
            actor,
            is_batch: false,
        },
    )
    .await?;
    let status = created_or_ok(outcome.stored_new);
    let stored = outcome
        .events
        .into_iter()
        .next()
        .expect("one event in, one out");
    // What reconciliation would flag about this act, told now (src/http/warnings.rs); the key
    // is there only when there is something to tell, so a clean act's answer is the stored
    // event exactly. A repeat (200) is answered as first stored, exactly (CONTRACT §2).
    let warnings = match status {
        StatusCode::CREATED => {
            let lang = super::problem::language();
            super::warnings::of_append(&state, &stored, sent_id, lang).await?
        }
        _ => Vec::new(),
    };
    let mut answer = stored.to_json();
    if !warnings.is_empty()
        && let Value::Object(fields) = &mut answer
    {
        fields.insert("warnings".into(), Value::Array(warnings));
    }
    Ok((status, Json(answer)).into_response())
}

pub async fn append_batch(
    State(state): State<AppState>,
    Actor(actor): Actor,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let today = state.now().date_utc().into();
    let events = NewEvent::parse_batch(&body, today).map_err(AppendError::from_fields)?;
    let outcome = append(
        &state,
        AppendRequest {
            events,
            actor,
            is_batch: true,
        },
    )
    .await?;
    let events: Vec<Value> = outcome.events.iter().map(|event| event.to_json()).collect();
    Ok((
        created_or_ok(outcome.stored_new),
        Json(json!({ "events": events })),
    )
        .into_response())
}

fn created_or_ok(stored_new: usize) -> StatusCode {
    if stored_new > 0 {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

async fn append(
    state: &AppState,
    request: AppendRequest,
) -> Result<acta_events::AppendOutcome, ApiError> {
    Ok(state.log.append(request).await?)
}

pub async fn list(
    State(state): State<AppState>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let [after, limit, plan, event_type, as_of, known_at, search] =
        query.take(&["after", "limit", "plan", "type", "as_of", "known_at", "q"])?[..]
    else {
        unreachable!("take returns one value per name")
    };
    // The point in time reads as the projections' does (CONTRACT §3), and means what it means
    // there (acta_events::store::scoped_reads).
    let scope = EventScope {
        as_of: as_of
            .map(|text| {
                text.parse::<CivilDate>()
                    .map_err(|message| ApiError::invalid_parameter("as_of", message))
            })
            .transpose()?,
        known_at: known_at
            .map(|text| {
                text.parse::<Instant>()
                    .map_err(|message| ApiError::invalid_parameter("known_at", message))
            })
            .transpose()?,
        search: search
            .map(|text| {
                Search::parse(text).map_err(|message| ApiError::invalid_parameter("q", message))
            })
            .transpose()?,
    };
    let after_seq = match after {
        None => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            ApiError::invalid_parameter(
                "after",
                Message::new(codes::AFTER_NOT_SEQ).text("value", quoted(text)),
            )
        })?,
    };
    let limit = match limit {
        None => PAGE_EVENTS_DEFAULT,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|limit| (1..=PAGE_EVENTS_MAX).contains(limit))
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "limit",
                    Message::new(codes::LIMIT_RANGE)
                        .int("maximum", PAGE_EVENTS_MAX)
                        .text("value", quoted(text)),
                )
            })?,
    };
    let event_type = event_type
        .map(|text| {
            text.parse::<EventType>()
                .map_err(|message| ApiError::invalid_parameter("type", message))
        })
        .transpose()?;
    let plan = plan
        .map(|text| {
            text.parse::<PlanKey>()
                .map_err(|message| ApiError::invalid_parameter("plan", message))
        })
        .transpose()?;
    let filter = EventFilter {
        after_seq,
        limit,
        plan,
        event_type,
    };
    let log = state.log.clone();
    let page = blocking(move || {
        if let Some(plan) = &filter.plan
            && !log.plan_exists(plan)?
        {
            return Err(ApiError::NotFound(format!("plan {plan} is not registered")));
        }
        if scope.is_everything() {
            let events = log.events(&filter)?;
            let next_after = match events.last() {
                Some(last) if events.len() == limit as usize => Some(last.seq),
                _ => None,
            };
            return Ok(ScopedPage { events, next_after });
        }
        Ok(log.events_in_scope(&filter, &scope)?)
    })
    .await?;
    let next_after = page.next_after.map_or(Value::Null, Value::from);
    let events: Vec<Value> = page.events.iter().map(|event| event.to_json()).collect();
    Ok(Json(json!({ "events": events, "next_after": next_after })))
}

pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let not_found = || ApiError::NotFound(format!("no event has id {}", quoted(&id)));
    let Ok(event_id) = id.parse::<EventId>() else {
        return Err(not_found());
    };
    let log = state.log.clone();
    match blocking(move || Ok(log.event(event_id)?)).await? {
        Some(event) => Ok(Json(event.to_json())),
        None => Err(not_found()),
    }
}

pub async fn head(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let log = state.log.clone();
    let head = blocking(move || Ok(log.head()?)).await?;
    Ok(Json(json!({
        "seq": head.seq,
        "hash": head.hash,
        "recorded_at": head.recorded_at.map(|at| at.to_string()),
    })))
}

pub async fn verify(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let report = state.verifier.report().await.map_err(|error| match error {
        VerifyError::ShuttingDown => ApiError::Unavailable,
        VerifyError::Failed(cause) => ApiError::Internal(cause),
    })?;
    Ok(Json(verify_json(&report)))
}

/// The answer of `GET /v1/verify`, also printed by `acta verify --json`.
pub fn verify_json(report: &acta_events::VerifyReport) -> Value {
    json!({
        "ok": report.ok(),
        "checked": report.checked,
        "head": { "seq": report.head_seq, "hash": report.head_hash },
        "first_bad_seq": report.first_bad_seq,
        "problem": report.problem_text(),
        "integrity": {
            "check": if report.integrity.full { "integrity_check" } else { "quick_check" },
            "ok": report.integrity.problems.is_empty(),
            "problems": report.integrity.problems,
        },
    })
}
