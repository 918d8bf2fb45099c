//! Stored events (CONTRACT §2 "Stored shape") and the hash that chains them.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::catalogue::EventType;
use crate::jcs::{FloatInEvent, canonical_json, write_string, write_value};
use crate::types::{CivilDate, DatePrecision, EventId, Instant, PlanKey};

/// `prev_hash` of the first event: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Who and when a stored event is: what a reader of the log reads of it besides its data,
/// whether the event came whole ([`StoredEvent::header`]) or borrowed from its row
/// ([`EventRow`](crate::EventRow)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventHeader<'a> {
    pub seq: u64,
    pub id: EventId,
    pub event_type: EventType,
    /// A valid plan key.
    pub plan: &'a str,
    pub occurred_on: CivilDate,
    pub recorded_at: Instant,
}

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
    /// Who and when this event is.
    pub fn header(&self) -> EventHeader<'_> {
        EventHeader {
            seq: self.seq,
            id: self.id,
            event_type: self.event_type,
            plan: self.plan.as_str(),
            occurred_on: self.occurred_on,
            recorded_at: self.recorded_at,
        }
    }

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

    /// [`StoredEvent::compute_hash`] given the canonical JSON of `data`.
    pub fn compute_hash_with(&self, canonical_data: &str) -> String {
        let evidence = self.evidence.as_ref().map(|evidence| {
            // Evidence holds strings and nulls only: it cannot hold a float.
            crate::jcs::canonical_json(evidence).expect("evidence holds no float")
        });
        HashedText {
            seq: self.seq,
            id: &self.id.to_string(),
            event_type: self.event_type.as_str(),
            plan: self.plan.as_str(),
            version: self.version,
            occurred_on: &self.occurred_on.to_string(),
            date_precision: self.date_precision.as_str(),
            recorded_at: &self.recorded_at.to_string(),
            actor: &self.actor,
            canonical_data,
            canonical_evidence: evidence.as_deref(),
        }
        .hash(&self.prev_hash, &mut String::new())
    }
}

/// The hashed fields of a stored event as text: what the writer has already rendered for the
/// row, so that the hash is assembled without rendering anything twice.
pub struct HashedText<'a> {
    pub seq: u64,
    pub id: &'a str,
    pub event_type: &'a str,
    pub plan: &'a str,
    pub version: u64,
    pub occurred_on: &'a str,
    pub date_precision: &'a str,
    pub recorded_at: &'a str,
    pub actor: &'a str,
    pub canonical_data: &'a str,
    /// `None` is JSON `null`.
    pub canonical_evidence: Option<&'a str>,
}

impl HashedText<'_> {
    /// The chain hash given `prev_hash`; `buffer` is scratch space, reused across calls.
    pub fn hash(&self, prev_hash: &str, buffer: &mut String) -> String {
        use std::fmt::Write as _;
        buffer.clear();
        // The keys in canonical (sorted) order; all ASCII, so UTF-16 order is byte order. The
        // id, dates, plan, type and precision are ASCII without characters JSON escapes.
        buffer.push_str("{\"actor\":");
        write_string(self.actor, buffer);
        buffer.push_str(",\"data\":");
        buffer.push_str(self.canonical_data);
        buffer.push_str(",\"date_precision\":\"");
        buffer.push_str(self.date_precision);
        buffer.push_str("\",\"evidence\":");
        buffer.push_str(self.canonical_evidence.unwrap_or("null"));
        buffer.push_str(",\"id\":\"");
        buffer.push_str(self.id);
        buffer.push_str("\",\"occurred_on\":\"");
        buffer.push_str(self.occurred_on);
        buffer.push_str("\",\"plan\":\"");
        buffer.push_str(self.plan);
        buffer.push_str("\",\"recorded_at\":\"");
        buffer.push_str(self.recorded_at);
        let _ = write!(buffer, "\",\"seq\":{},\"type\":\"", self.seq);
        buffer.push_str(self.event_type);
        let _ = write!(buffer, "\",\"version\":{}}}", self.version);
        hash_hex(prev_hash, buffer)
    }
}

/// `hash` = lowercase hex SHA-256 of `prev_hash` (64 ASCII hex characters) followed by the
/// canonical JSON of the stored object without `hash` and `prev_hash`.
pub fn chain_hash(prev_hash: &str, hashed_body: &Value) -> Result<String, FloatInEvent> {
    Ok(hash_hex(prev_hash, &canonical_json(hashed_body)?))
}

fn hash_hex(prev_hash: &str, canonical_body: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(prev_hash.as_bytes());
    hasher.update(canonical_body.as_bytes());
    lower_hex(&hasher.finalize())
}

/// `bytes` as lowercase hexadecimal: the chain's hashes and the tokens' secrets and hashes.
pub fn lower_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(2 * bytes.len());
    for byte in bytes {
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
