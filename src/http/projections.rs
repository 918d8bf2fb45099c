//! The read side of CONTRACT §3.1–§3.4: plan status, funding, the yearly summary and
//! reconciliation, answered from the live [`Record`] for any `as_of` and `known_at`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};

use acta_events::{CivilDate, Instant, PlanKey};
use acta_projections::Query;

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

fn to_json(answer: &impl Serialize) -> Result<Json<Value>, ApiError> {
    serde_json::to_value(answer)
        .map(Json)
        .map_err(|error| ApiError::Internal(format!("cannot render an answer: {error}")))
}

pub async fn plans(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let query = read_query(&state, &params, false)?;
    let plans = state.record().plans(&query);
    Ok(Json(json!({ "plans": to_json(&plans)?.0 })))
}

pub async fn plan(
    State(state): State<AppState>,
    Path(plan): Path<String>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let query = read_query(&state, &params, false)?;
    let not_registered =
        || ApiError::NotFound(format!("plan {plan:?} is not registered as of that time"));
    let key = plan.parse::<PlanKey>().map_err(|_| not_registered())?;
    let status = state
        .record()
        .plan(&key, &query)
        .ok_or_else(not_registered)?;
    to_json(&status)
}

pub async fn funding(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let query = read_query(&state, &params, true)?;
    to_json(&state.record().funding(&query))
}

pub async fn yearly(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let query = read_query(&state, &params, true)?;
    to_json(&state.record().yearly(&query))
}

pub async fn reconciliation(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let query = read_query(&state, &params, true)?;
    to_json(&state.record().reconciliation(&query))
}
