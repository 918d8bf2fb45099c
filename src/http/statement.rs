//! `GET /v1/statement?as_of&known_at&plan`: the dated statement (`src/statement.rs`) as one
//! self-contained HTML document — what `acta report --format html` writes and what the page
//! prints ("In / PDF").

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use crate::report::Report;
use crate::statement::Header;

use super::extract::QueryParams;
use super::problem::ApiError;
use super::projections::read_query;
use super::spreadsheet::Format;
use super::state::{AppState, blocking};

pub async fn statement(
    State(state): State<AppState>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    // The statement is HTML: a `format` other than its default has no statement to give.
    let (query, format) = read_query(&state, &params, &HeaderMap::new(), true)?;
    if format == Format::Csv {
        return Err(ApiError::NotAcceptable(
            "the statement is an HTML document; its tables are GET /v1/funding, \
             /v1/summaries/yearly and /v1/reconciliation with format=csv"
                .into(),
        ));
    }
    let log = state.log.clone();
    // The head is read just before the record: a commit landing between the two is in the
    // figures but not yet in the header's head (docs/DESIGN.md, the dated statement).
    let head = blocking(move || Ok(log.head()?)).await?;
    let header = Header {
        as_of: query.as_of,
        known_at: query.known_at,
        plan: query.plan.clone(),
        head,
        produced_at: state.now(),
    };
    let html = {
        let record = state.record();
        Report::of(&record, &query, super::problem::language()).statement_html(&header)
    };
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}
