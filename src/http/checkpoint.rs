//! The signed checkpoint of the log and its Merkle proofs (docs/API.md, "Checkpoints and
//! proofs"): `GET /v1/checkpoint`, `/v1/checkpoint/key`, `/v1/proof/inclusion` and
//! `/v1/proof/consistency`.

use acta_messages::{Message, codes};
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use acta_events::fields::quoted;
use acta_events::merkle::Hash;
use acta_events::stored::lower_hex;

use super::extract::QueryParams;
use super::problem::ApiError;
use super::state::{AppState, blocking};
use crate::checkpoints::{CheckpointFailure, Checkpoints};

impl From<CheckpointFailure> for ApiError {
    fn from(failure: CheckpointFailure) -> ApiError {
        match failure {
            CheckpointFailure::OutOfRange { parameter, message } => ApiError::invalid_parameter(
                parameter,
                Message::new(codes::PARAMETER_MALFORMED).text("reason", message),
            ),
            CheckpointFailure::Store(error) => error.into(),
            CheckpointFailure::NotReady(message) => ApiError::Busy(message),
            CheckpointFailure::LogShrank(cause) => ApiError::Internal(cause),
        }
    }
}

fn checkpoints(state: &AppState) -> Result<std::sync::Arc<Checkpoints>, ApiError> {
    state
        .checkpoints
        .clone()
        .ok_or_else(|| ApiError::NotFound("this server signs no checkpoints".into()))
}

fn base64(hash: &Hash) -> String {
    BASE64.encode(hash)
}

/// A query parameter that must be a whole number of 1 or more, if given.
fn count(name: &str, text: Option<&str>) -> Result<Option<u64>, ApiError> {
    text.map(|text| {
        text.parse::<u64>()
            .ok()
            .filter(|value| *value >= 1)
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    name,
                    Message::new(codes::INTEGER_AT_LEAST_ONE).text("value", quoted(text)),
                )
            })
    })
    .transpose()
}

fn required(name: &str, value: Option<u64>) -> Result<u64, ApiError> {
    value.ok_or_else(|| ApiError::invalid_parameter(name, codes::FIELD_REQUIRED))
}

/// The head as a signed note (C2SP tlog-checkpoint), as plain text.
pub async fn checkpoint(
    State(state): State<AppState>,
    query: QueryParams,
) -> Result<Response, ApiError> {
    query.take(&[])?;
    let checkpoints = checkpoints(&state)?;
    let note = blocking(move || Ok(checkpoints.note()?)).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

/// The key checkpoints are signed with, as a C2SP verifier key.
pub async fn key(
    State(state): State<AppState>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    query.take(&[])?;
    let verifier = checkpoints(&state)?.verifier();
    Ok(Json(json!({
        "origin": verifier.name(),
        "algorithm": "ed25519",
        "verifier_key": verifier.to_string(),
    })))
}

pub async fn inclusion(
    State(state): State<AppState>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let [seq, size] = query.take(&["seq", "size"])?[..] else {
        unreachable!("take returns one value per name")
    };
    let seq = required("seq", count("seq", seq)?)?;
    let size = count("size", size)?;
    let checkpoints = checkpoints(&state)?;
    let proof = blocking(move || Ok(checkpoints.inclusion(seq, size)?)).await?;
    Ok(Json(json!({
        "seq": proof.seq,
        "size": proof.size,
        "leaf_index": proof.seq - 1,
        "event_hash": lower_hex(&proof.event_hash),
        "root": base64(&proof.root),
        "proof": proof.proof.iter().map(base64).collect::<Vec<_>>(),
    })))
}

pub async fn consistency(
    State(state): State<AppState>,
    query: QueryParams,
) -> Result<Json<Value>, ApiError> {
    let [from, to] = query.take(&["from", "to"])?[..] else {
        unreachable!("take returns one value per name")
    };
    let from = required("from", count("from", from)?)?;
    let to = count("to", to)?;
    let checkpoints = checkpoints(&state)?;
    let proof = blocking(move || Ok(checkpoints.consistency(from, to)?)).await?;
    Ok(Json(json!({
        "from": proof.from,
        "to": proof.to,
        "from_root": base64(&proof.from_root),
        "to_root": base64(&proof.to_root),
        "proof": proof.proof.iter().map(base64).collect::<Vec<_>>(),
    })))
}
