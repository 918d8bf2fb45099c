//! Stored events (CONTRACT §2 "Stored shape") and the hash that chains them.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::catalogue::EventType;
use crate::jcs::{FloatInEvent, canonical_json, write_string, write_value};
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
        let mut data_text = String::with_capacity(256);
        write_value(&self.data, &mut data_text)?;
        Ok(self.compute_hash_with(&data_text))
    }

    /// [`StoredEvent::compute_hash`] given the canonical JSON of `data`, which the writer also
    /// stores: the object is written straight into canonical form, with no intermediate map.
    pub fn compute_hash_with(&self, canonical_data: &str) -> String {
        let mut body = String::with_capacity(canonical_data.len() + 512);
        // The keys in canonical (sorted) order; all ASCII, so UTF-16 order is byte order.
        body.push_str("{\"actor\":");
        write_string(&self.actor, &mut body);
        body.push_str(",\"data\":");
        body.push_str(canonical_data);
        body.push_str(",\"date_precision\":\"");
        body.push_str(self.date_precision.as_str());
        body.push_str("\",\"evidence\":");
        match &self.evidence {
            // Evidence holds strings and nulls only: it cannot hold a float.
            Some(evidence) => write_value(evidence, &mut body).expect("evidence holds no float"),
            None => body.push_str("null"),
        }
        body.push_str(&format!(
            ",\"id\":\"{}\",\"occurred_on\":\"{}\",\"plan\":\"{}\",\"recorded_at\":\"{}\",\"seq\":{},\"type\":\"{}\",\"version\":{}}}",
            self.id,
            self.occurred_on,
            self.plan,
            self.recorded_at,
            self.seq,
            self.event_type.as_str(),
            self.version
        ));
        hash_hex(&self.prev_hash, &body)
    }
}

/// `hash` = lowercase hex SHA-256 of `prev_hash` (64 ASCII hex characters) followed by the
/// canonical JSON of the stored object without `hash` and `prev_hash`.
pub fn chain_hash(prev_hash: &str, hashed_body: &Value) -> Result<String, FloatInEvent> {
    Ok(hash_hex(prev_hash, &canonical_json(hashed_body)?))
}

fn hash_hex(prev_hash: &str, canonical_body: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_body.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in hasher.finalize() {
        hex.push(char::from(HEX[usize::from(byte >> 4)]));
        hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_direct_canonical_form_equals_the_general_one() {
        let mut event = StoredEvent {
            seq: 42,
            id: "01JD0000000000000000000000".parse().unwrap(),
            event_type: EventType::TrainingHeld,
            plan: "dn-kh-2014".parse().unwrap(),
            version: 8,
            occurred_on: "2014-12-31".parse().unwrap(),
            date_precision: DatePrecision::Year,
            recorded_at: "2026-11-28T20:15:00.123Z".parse().unwrap(),
            actor: "phòng \"sxsh\"\n".into(),
            data: json!({"topic": "t", "sessions": 2, "participants_by_group": {"\u{1f600}": 1, "\u{ff61}": 2, "b": 3}}),
            evidence: Some(json!({"document": "Báo cáo", "locator": null})),
            prev_hash: GENESIS_HASH.into(),
            hash: String::new(),
        };
        let general = chain_hash(&event.prev_hash, &event.hashed_body()).unwrap();
        assert_eq!(event.compute_hash().unwrap(), general);
        event.evidence = None;
        let general = chain_hash(&event.prev_hash, &event.hashed_body()).unwrap();
        assert_eq!(event.compute_hash().unwrap(), general);
    }
}
