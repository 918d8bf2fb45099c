//! The read side of CONTRACT §3.1–§3.4: plan status, funding, the yearly summary and
//! reconciliation, answered from the live [`Record`] for any `as_of` and `known_at`.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use acta_events::fields::quoted;
use acta_events::{CivilDate, Instant, PlanKey};
use acta_projections::{PlanStatusView, Query, Record};

use super::extract::QueryParams;
use super::problem::ApiError;
use super::spreadsheet::{self, CSV_CONTENT_TYPE, Format};
use super::state::AppState;

/// Reads `as_of`, `known_at`, (where `accepts_plan`) `plan` and `format` into a [`Query`] and
/// the [`Format`] asked for (`format`, else `Accept`). A `plan` that was never registered is
/// `404`.
pub(super) fn read_query(
    state: &AppState,
    params: &QueryParams,
    headers: &HeaderMap,
    accepts_plan: bool,
) -> Result<(Query, Format), ApiError> {
    let names: &[&'static str] = if accepts_plan {
        &["as_of", "known_at", "format", "plan"]
    } else {
        &["as_of", "known_at", "format"]
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
    let format = Format::requested(values[2], headers)?;
    let plan = match values.get(3).copied().flatten() {
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
    let query = Query {
        as_of,
        known_at,
        plan,
        today: state.now().date_utc().into(),
    };
    Ok((query, format))
}

/// The size of an endpoint's last answer: the first capacity of its next answer's buffer, so
/// that a summary of megabytes is not copied each time its buffer doubles.
struct SizeHint(AtomicUsize);

impl SizeHint {
    const fn new() -> SizeHint {
        SizeHint(AtomicUsize::new(0))
    }
}

/// The first capacity of an answer's buffer when its endpoint's last answer was smaller.
const RENDER_BUFFER_BYTES_MIN: usize = 4096;
/// The most an answer's buffer starts with, whatever the last answer was.
const RENDER_BUFFER_BYTES_HINT_MAX: usize = 64 << 20;
/// From this size of the last answer, the next is rendered into a reservation of
/// [`RENDER_RESERVATION_BYTES`].
const RENDER_RESERVED_FROM_BYTES: usize = 64 * 1024;
/// Above the most that glibc's dynamic mmap threshold rises to (32 MiB on 64-bit, mallopt(3)),
/// so the buffer is always its own mapping: only the pages written are resident, shrinking it
/// to the answer is an `mremap`, and freeing it returns its memory to the system at once. A
/// buffer under the threshold comes from the heap, which keeps what is freed.
const RENDER_RESERVATION_BYTES: usize = (32 << 20) + 4096;

/// Renders an answer as JSON bytes, straight from its types. Every answer's keys are in byte
/// order because its types declare their fields in that order and keep their maps ordered (the
/// projections crate tests it for every answer); going through a `serde_json::Value` to sort
/// them cost more than the fold of a large answer.
///
/// The buffer starts at the size of the endpoint's last answer and is shrunk to this answer's
/// size: `Bytes` keeps a `Vec`'s whole capacity for as long as the answer lives, so a small
/// answer in a large buffer would hold megabytes while its client reads it.
fn render(answer: &impl Serialize, hint: &SizeHint) -> Result<Bytes, ApiError> {
    let last = hint.0.load(Ordering::Relaxed);
    let capacity = if last >= RENDER_RESERVED_FROM_BYTES {
        last.clamp(RENDER_RESERVATION_BYTES, RENDER_BUFFER_BYTES_HINT_MAX)
    } else {
        last.max(RENDER_BUFFER_BYTES_MIN)
    };
    let mut out = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut out, answer)
        .map_err(|error| ApiError::Internal(format!("cannot render an answer: {error}")))?;
    hint.0.store(out.len(), Ordering::Relaxed);
    out.shrink_to_fit();
    Ok(Bytes::from(out))
}

static PLANS_SIZE: SizeHint = SizeHint::new();
static PLAN_SIZE: SizeHint = SizeHint::new();
static FUNDING_SIZE: SizeHint = SizeHint::new();
static YEARLY_SIZE: SizeHint = SizeHint::new();
static RECONCILIATION_SIZE: SizeHint = SizeHint::new();

/// `GET /v1/plans`: every plan's status under one key.
#[derive(Serialize)]
struct PlanList {
    plans: Vec<PlanStatusView>,
}

/// Answers `query` in `format` with `answer`, which renders it (answers borrow from the
/// record, so they are rendered while it is at hand); a query for "now" (no `as_of`, no
/// `known_at`) is rendered once per commit, day and format and then served from the live
/// cache. A table is offered as a file named after `endpoint`.
fn respond(
    state: &AppState,
    endpoint: &str,
    query: &Query,
    format: Format,
    answer: impl FnOnce(&Record, &Query) -> Result<Bytes, ApiError>,
) -> Result<Response, ApiError> {
    let extension = match format {
        Format::Json => "json",
        Format::Csv => "csv",
    };
    let body = if query.as_of.is_none() && query.known_at.is_none() {
        let plan = query.plan.as_ref().map_or("", PlanKey::as_str);
        // Messages are in the language asked for: each language's answer is kept on its own.
        let lang = super::problem::language().tag();
        let key = format!("{endpoint}.{extension}?plan={plan}&lang={lang}");
        state
            .live
            .answer_now(&key, query.today, |record| answer(record, query))?
    } else {
        answer(&state.record(), query)?
    };
    Ok(match format {
        Format::Json => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Format::Csv => {
            let file = format!(
                "attachment; filename=\"acta-{}.csv\"",
                endpoint.replace('/', "-")
            );
            (
                [
                    (header::CONTENT_TYPE, CSV_CONTENT_TYPE.to_owned()),
                    (header::CONTENT_DISPOSITION, file),
                ],
                body,
            )
                .into_response()
        }
    })
}

pub async fn plans(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let (query, format) = read_query(&state, &params, &headers, false)?;
    respond(&state, "plans", &query, format, |record, query| {
        let plans = record.plans(query);
        match format {
            Format::Json => render(&PlanList { plans }, &PLANS_SIZE),
            Format::Csv => spreadsheet::plans(&plans),
        }
    })
}

pub async fn plan(
    State(state): State<AppState>,
    Path(plan): Path<String>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let (query, format) = read_query(&state, &params, &headers, false)?;
    let not_registered = || {
        ApiError::NotFound(format!(
            "plan {} is not registered as of that time",
            quoted(&plan)
        ))
    };
    let key = plan.parse::<PlanKey>().map_err(|_| not_registered())?;
    respond(
        &state,
        &format!("plan/{key}"),
        &query,
        format,
        |record, query| {
            let status = record.plan(&key, query).ok_or_else(not_registered)?;
            match format {
                Format::Json => render(&status, &PLAN_SIZE),
                Format::Csv => spreadsheet::plans([&status]),
            }
        },
    )
}

pub async fn funding(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let (query, format) = read_query(&state, &params, &headers, true)?;
    respond(
        &state,
        "funding",
        &query,
        format,
        |record, query| match format {
            Format::Json => render(&record.funding(query), &FUNDING_SIZE),
            Format::Csv => spreadsheet::funding(&record.funding_by_plan(query)),
        },
    )
}

pub async fn yearly(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let (query, format) = read_query(&state, &params, &headers, true)?;
    respond(
        &state,
        "yearly",
        &query,
        format,
        |record, query| match format {
            Format::Json => render(&record.yearly(query), &YEARLY_SIZE),
            Format::Csv => spreadsheet::yearly(&record.yearly(query)),
        },
    )
}

pub async fn reconciliation(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: QueryParams,
) -> Result<Response, ApiError> {
    let (query, format) = read_query(&state, &params, &headers, true)?;
    let lang = super::problem::language();
    respond(&state, "reconciliation", &query, format, |record, query| {
        let reconciliation = record.reconciliation(query);
        match format {
            Format::Json => render(
                &crate::findings::ReconciliationIn {
                    reconciliation,
                    lang,
                },
                &RECONCILIATION_SIZE,
            ),
            Format::Csv => spreadsheet::reconciliation(&reconciliation.findings, lang),
        }
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
        assert_eq!(render(&list, &PLANS_SIZE).unwrap(), through_value);
    }

    #[test]
    fn an_answer_holds_only_its_own_bytes_after_a_larger_one() {
        let hint = SizeHint::new();
        let large: Vec<u64> = (0..200_000).collect();
        let rendered = render(&large, &hint).unwrap();
        assert!(hint.0.load(Ordering::Relaxed) > 1 << 20);
        drop(rendered);
        let small = render(&[1, 2, 3], &hint).unwrap();
        // A `Bytes` made from a `Vec` whose length is its capacity is a boxed slice of exactly
        // that length; converting back without a copy shows it.
        let vec: Vec<u8> = small.into();
        assert_eq!(vec.capacity(), b"[1,2,3]".len());
    }
}
