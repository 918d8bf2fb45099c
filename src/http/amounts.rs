//! `GET /v1/amounts?text=…`: an amount as a clerk types it (`587.000.000`, `587 000 000`,
//! digits, or words), read by the same reader reconciliation uses, answered as the integer
//! with its figures and words, so the page can show what it understood before it sends.

use acta_messages::{Message, codes};
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use acta_projections::vnd::{format_dong, read_amount, spell};

use super::extract::QueryParams;
use super::problem::ApiError;

/// The longest text read: more than any amount in words up to 2^64 (see `vnd/reading.rs`).
pub const AMOUNT_TEXT_CHARS_MAX: usize = 400;

/// The largest amount an event may carry (CONTRACT §1): what is larger cannot be recorded.
const AMOUNT_DONG_MAX: u64 = (1 << 53) - 1;

pub async fn read(params: QueryParams) -> Result<Response, ApiError> {
    let text = params.take(&["text"])?[0]
        .ok_or_else(|| ApiError::invalid_parameter("text", codes::AMOUNT_TEXT_REQUIRED))?;
    if text.chars().count() > AMOUNT_TEXT_CHARS_MAX {
        return Err(ApiError::invalid_parameter(
            "text",
            Message::new(codes::AMOUNT_TEXT_TOO_LONG).int("maximum", AMOUNT_TEXT_CHARS_MAX as u64),
        ));
    }
    let amount = read_amount(text)
        .ok_or_else(|| ApiError::invalid_parameter("text", codes::AMOUNT_TEXT_UNREADABLE))?;
    if amount > AMOUNT_DONG_MAX {
        return Err(ApiError::invalid_parameter(
            "text",
            Message::new(codes::AMOUNT_TEXT_TOO_LARGE).money("maximum", AMOUNT_DONG_MAX),
        ));
    }
    // At most 2^53 − 1 here, so the conversion to i64 is exact.
    let figures = format_dong(amount as i64);
    Ok(Json(json!({"amount": amount, "figures": figures, "words": spell(amount)})).into_response())
}
