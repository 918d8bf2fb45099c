//! Stored events (CONTRACT §2 "Stored shape") and the hash that chains them.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::catalogue::EventType;
use crate::jcs::{FloatInEvent, canonical_json};
use crate::types::{CivilDate, DatePrecision, EventId, Instant, PlanKey};

/// `prev_hash` of the first event: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One event as stored: every key of the contract's stored shape.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    pub seq: u64,
    pub id: EventId,
    pub event_type: EventType,
    pub plan: PlanKey,
    pub version: u64,
    pub occurred_on: CivilDate,
    pub date_precision: DatePrecision,
    pub recorded_at: Instant,
    pub actor: String,
    pub data: Value,
    pub evidence: Option<Value>,
    pub prev_hash: String,
    pub hash: String,
}

impl StoredEvent {
    /// The stored object without `hash` and `prev_hash`: what the hash covers.
    pub fn hashed_body(&self) -> Value {
        let mut body = Map::new();
        body.insert("seq".into(), self.seq.into());
        body.insert("id".into(), self.id.to_string().into());
        body.insert("type".into(), self.event_type.as_str().into());
        body.insert("plan".into(), self.plan.as_str().into());
        body.insert("version".into(), self.version.into());
        body.insert("occurred_on".into(), self.occurred_on.to_string().into());
        body.insert("date_precision".into(), self.date_precision.as_str().into());
        body.insert("recorded_at".into(), self.recorded_at.to_string().into());
        body.insert("actor".into(), self.actor.clone().into());
        body.insert("data".into(), self.data.clone());
        body.insert(
            "evidence".into(),
            self.evidence.clone().unwrap_or(Value::Null),
        );
        Value::Object(body)
    }

    /// The stored shape, as every response and the export carry it.
    pub fn to_json(&self) -> Value {
        let Value::Object(mut body) = self.hashed_body() else {
            unreachable!("hashed_body is an object")
        };
        body.insert("prev_hash".into(), self.prev_hash.clone().into());
        body.insert("hash".into(), self.hash.clone().into());
        Value::Object(body)
    }

    /// The hash this event should carry given its `prev_hash` and content.
    pub fn compute_hash(&self) -> Result<String, FloatInEvent> {
        chain_hash(&self.prev_hash, &self.hashed_body())
    }
}

/// `hash` = lowercase hex SHA-256 of `prev_hash` (64 ASCII hex characters) followed by the
/// canonical JSON of the stored object without `hash` and `prev_hash`.
pub fn chain_hash(prev_hash: &str, hashed_body: &Value) -> Result<String, FloatInEvent> {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_json(hashed_body)?.as_bytes());
    Ok(hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect())
}
