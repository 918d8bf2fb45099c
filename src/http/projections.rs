//! The read side of CONTRACT §3.1–§3.4: plan status, funding, the yearly summary and
//! reconciliation, answered from the live [`Record`] for any `as_of` and `known_at`.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use acta_events::fields::quoted;
use acta_events::{CivilDate, Instant, PlanKey};
use acta_projections::{PlanStatusView, Query, Record};

use super::AppState;
use super::extract::QueryParams;
use super::problem::ApiError;

/// Reads `as_of`, `known_at` and (where `accepts_plan`) `plan` into a [`Query`]. A `plan` that was
/// never registered is `404`.
fn read_query(
    state: &AppState,
    params: &QueryParams,
    accepts_plan: bool,
) -> Result<Query, ApiError> {
    let names: &[&'static str] = if accepts_plan {
        &["as_of", "known_at", "plan"]
    } else {
        &["as_of", "known_at"]
    };
    let values = params.take(names)?;
    let as_of = values[0]
        .map(|text| {
            text.parse::<CivilDate>()
                .map_err(|message| ApiError::invalid_parameter("as_of", message))
        })
        .transpose()?;
    let known_at = values[1]
        .map(|text| {
            text.parse::<Instant>()
                .map_err(|message| ApiError::invalid_parameter("known_at", message))
        })
        .transpose()?;
    let plan = match values.get(2).copied().flatten() {
        None => None,
        Some(text) => {
            let plan = text
                .parse::<PlanKey>()
                .map_err(|message| ApiError::invalid_parameter("plan", message))?;
            if !state.record().plan_known(&plan) {
                return Err(ApiError::NotFound(format!("plan {plan} is not registered")));
            }
            Some(plan)
        }
    };
    Ok(Query {
        as_of,
        known_at,
        plan,
        today: state.now().date_utc().into(),
    })
}

/// Renders an answer as JSON bytes, straight from its types. Every answer's keys are in byte
/// order because its types declare their fields in that order and keep their maps ordered (the
/// projections crate tests it for every answer); going through a `serde_json::Value` to sort
/// them cost more than the fold of a large answer.
fn render(answer: &impl Serialize) -> Result<Bytes, ApiError> {
    // Sized like the largest answer so far (up to 64 MiB), so that a summary of megabytes is
    // not copied again each time its buffer doubles.
    static LARGEST: AtomicUsize = AtomicUsize::new(4096);
    let mut out = Vec::with_capacity(LARGEST.load(Ordering::Relaxed));
    serde_json::to_writer(&mut out, answer)
        .map_err(|error| ApiError::Internal(format!("cannot render an answer: {error}")))?;
    LARGEST.fetch_max(out.len().min(64 << 20), Ordering::Relaxed);
    Ok(Bytes::from(out))
}

/// `GET /v1/plans`: every plan's status under one key.
#[derive(Serialize)]
struct PlanList {
    plans: Vec<PlanStatusView>,
}

/// Answers `query` with `answer`, which renders it (answers borrow from the record, so they
/// are rendered while it is at hand); a query for "now" (no `as_of`, no `known_at`) is rendered
/// once per commit and day and then served from the live cache.
fn respond(
    state: &AppState,
    endpoint: &str,
    query: &Query,
    answer: impl FnOnce(&Record, &Query) -> Result<Bytes, ApiError>,
) -> Result<Response, ApiError> {
    let body = if query.as_of.is_none() && query.known_at.is_none() {
        let plan = query.plan.as_ref().map_or("", PlanKey::as_str);
        let key = format!("{endpoint}?plan={plan}");
        state
            .live
            .answer_now(&key, query.today, |record| answer(record, query))?
    } else {
        answer(&state.record(), query)?
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

pub async fn plans(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let query = read_query(&state, &params, false)?;
    respond(&state, "plans", &query, |record, query| {
        render(&PlanList {
            plans: record.plans(query),
        })
    })
}

pub async fn plan(
    State(state): State<AppState>,
    Path(plan): Path<String>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let query = read_query(&state, &params, false)?;
    let not_registered = || {
        ApiError::NotFound(format!(
            "plan {} is not registered as of that time",
            quoted(&plan)
        ))
    };
    let key = plan.parse::<PlanKey>().map_err(|_| not_registered())?;
    respond(&state, &format!("plan/{key}"), &query, |record, query| {
        render(&record.plan(&key, query).ok_or_else(not_registered)?)
    })
}

pub async fn funding(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let query = read_query(&state, &params, true)?;
    respond(&state, "funding", &query, |record, query| {
        render(&record.funding(query))
    })
}

pub async fn yearly(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let query = read_query(&state, &params, true)?;
    respond(&state, "yearly", &query, |record, query| {
        render(&record.yearly(query))
    })
}

pub async fn reconciliation(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let query = read_query(&state, &params, true)?;
    respond(&state, "reconciliation", &query, |record, query| {
        render(&record.reconciliation(query))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_list_renders_as_through_a_value() {
        // Every answer writes its keys in byte order (the projections crate checks each answer
        // type); the list of plans only wraps them.
        let list = PlanList { plans: Vec::new() };
        let through_value = serde_json::to_vec(&serde_json::to_value(&list).unwrap()).unwrap();
        assert_eq!(render(&list).unwrap(), through_value);
    }
}
