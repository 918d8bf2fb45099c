//! Reading the JSON text of a request into a [`serde_json::Value`], refusing what
//! `serde_json::from_slice` lets through: a key sent twice in one object (serde_json keeps the
//! last one silently, so `{"amount": 1, "amount": 999}` would be read as 999 while another
//! reader of the same bytes may see 1), and nesting deeper than [`JSON_DEPTH_MAX`].
//!
//! The value built is exactly the one `serde_json::from_slice::<Value>` builds for a body that
//! has neither problem — the same `serde_json::Map` (ordered by key), the same numbers — so
//! every reader downstream works unchanged. Both checks run during the one parse; nothing is
//! allocated for them unless the body is refused.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::map::Entry;
use serde_json::{Map, Number, Value};

pub use crate::fields::JSON_DEPTH_MAX;
use crate::quote::pointer_token;

/// Why a request's JSON text was refused (`400`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JsonError {
    /// Not JSON at all; serde_json's message, with line and column.
    #[error("{0}")]
    Syntax(String),
    /// Nested deeper than [`JSON_DEPTH_MAX`].
    #[error("the body nests deeper than {JSON_DEPTH_MAX} levels")]
    TooDeep,
    /// One object holds the same key twice; `pointer` names the second occurrence.
    #[error("{pointer}: the key appears twice in one object; send each key once")]
    DuplicateKey { pointer: String },
}

impl JsonError {
    /// The JSON Pointer of the problem: the second occurrence of a duplicate key, else `""`
    /// (the whole body).
    pub fn field(&self) -> &str {
        match self {
            JsonError::DuplicateKey { pointer } => pointer,
            JsonError::Syntax(_) | JsonError::TooDeep => "",
        }
    }

    /// What is wrong, without the pointer.
    pub fn message(&self) -> String {
        match self {
            JsonError::DuplicateKey { .. } => {
                "this key appears twice in one object; send each key once".to_owned()
            }
            other => other.to_string(),
        }
    }
}

/// Parses `bytes` as one JSON value (surrounding white space allowed), refusing duplicate keys
/// and nesting deeper than [`JSON_DEPTH_MAX`].
pub fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut reading = Reading::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = ValueSeed {
        reading: &mut reading,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    parsed.map_err(|error| match reading.refusal {
        None => JsonError::Syntax(error.to_string()),
        Some(Refusal::TooDeep) => JsonError::TooDeep,
        Some(Refusal::DuplicateKey) => JsonError::DuplicateKey {
            pointer: reading
                .path
                .iter()
                .rev()
                .map(|token| format!("/{}", pointer_token(token)))
                .collect(),
        },
    })
}

/// What one parse has seen so far.
#[derive(Default)]
struct Reading {
    /// Containers open around the value being read.
    depth: usize,
    /// Set when this parser (not serde_json) refuses the body.
    refusal: Option<Refusal>,
    /// The pointer's reference tokens of a refused duplicate, innermost first: each container
    /// adds its own as the error unwinds, so nothing is recorded while all goes well.
    path: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    TooDeep,
    DuplicateKey,
}

impl Reading {
    fn enter<E: de::Error>(&mut self) -> Result<(), E> {
        self.depth += 1;
        if self.depth > JSON_DEPTH_MAX {
            self.refusal = Some(Refusal::TooDeep);
            return Err(E::custom(JsonError::TooDeep));
        }
        Ok(())
    }

    /// Records `token` as part of the refused value's pointer, if this parser refused it.
    fn unwinding(&mut self, token: impl FnOnce() -> String) {
        if self.refusal == Some(Refusal::DuplicateKey) {
            self.path.push(token());
        }
    }
}

/// Reads one value of any kind, as serde_json's own `Value` does.
struct ValueSeed<'r> {
    reading: &'r mut Reading,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // As serde_json: JSON text cannot spell a NaN or an infinity, so this is always `Some`.
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let reading = self.reading;
        reading.enter()?;
        let mut array = Vec::new();
        loop {
            let item = items.next_element_seed(ValueSeed {
                reading: &mut *reading,
            });
            match item {
                Ok(Some(value)) => array.push(value),
                Ok(None) => break,
                Err(error) => {
                    let index = array.len();
                    reading.unwinding(|| index.to_string());
                    return Err(error);
                }
            }
        }
        reading.depth -= 1;
        Ok(Value::Array(array))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Value, A::Error> {
        let reading = self.reading;
        reading.enter()?;
        let mut object = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            let value = entries.next_value_seed(ValueSeed {
                reading: &mut *reading,
            });
            let value = match value {
                Ok(value) => value,
                Err(error) => {
                    reading.unwinding(|| key);
                    return Err(error);
                }
            };
            match object.entry(key) {
                Entry::Vacant(vacant) => {
                    vacant.insert(value);
                }
                Entry::Occupied(occupied) => {
                    reading.refusal = Some(Refusal::DuplicateKey);
                    reading.path.push(occupied.key().clone());
                    return Err(de::Error::custom("duplicate key"));
                }
            }
        }
        reading.depth -= 1;
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn duplicate_at(text: &str) -> String {
        match parse(text.as_bytes()) {
            Err(JsonError::DuplicateKey { pointer }) => pointer,
            other => panic!("{text}: expected a duplicate key, got {other:?}"),
        }
    }

    #[test]
    fn a_duplicate_key_is_named_by_the_pointer_of_its_second_occurrence() {
        assert_eq!(duplicate_at(r#"{"type": "a", "type": "b"}"#), "/type");
        assert_eq!(
            duplicate_at(r#"{"data": {"amount": 1, "amount": 999}}"#),
            "/data/amount"
        );
        assert_eq!(
            duplicate_at(
                r#"{"events": [{}, {}, {}, {"data": {"amount": 1, "x": 2, "amount": 1}}]}"#
            ),
            "/events/3/data/amount"
        );
        // The same value twice is no less ambiguous to a reader that keeps the first.
        assert_eq!(
            duplicate_at(r#"{"a": [1, [2, {"b": 1, "b": 1}]]}"#),
            "/a/1/1/b"
        );
        // Reference tokens are escaped as RFC 6901 says.
        assert_eq!(duplicate_at(r#"{"a/b": {"~": 1, "~": 2}}"#), "/a~1b/~0");
        assert_eq!(duplicate_at(r#"{"": 1, "": 2}"#), "/");
        // Keys that differ only once unescaped are the same key.
        assert_eq!(
            duplicate_at(r#"{"amount": 1, "amo\u0075nt": 2}"#),
            "/amount"
        );
    }

    #[test]
    fn the_same_key_in_different_objects_is_fine() {
        let value = parse(br#"{"a": {"x": 1}, "b": {"x": 1}, "c": [{"x": 1}, {"x": 2}]}"#).unwrap();
        assert_eq!(value["c"][1]["x"], 2);
    }

    #[test]
    fn depth_is_limited_to_64_levels() {
        let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
        assert!(parse(nested(JSON_DEPTH_MAX).as_bytes()).is_ok());
        assert_eq!(
            parse(nested(JSON_DEPTH_MAX + 1).as_bytes()),
            Err(JsonError::TooDeep)
        );
        let objects =
            |levels: usize| format!("{}1{}", r#"{"a":"#.repeat(levels), "}".repeat(levels));
        assert!(parse(objects(JSON_DEPTH_MAX).as_bytes()).is_ok());
        assert_eq!(
            parse(objects(JSON_DEPTH_MAX + 1).as_bytes()),
            Err(JsonError::TooDeep)
        );
        // Far deeper than serde_json's own limit is still "too deep", not a crash.
        assert_eq!(parse(nested(100_000).as_bytes()), Err(JsonError::TooDeep));
    }

    #[test]
    fn what_is_not_json_is_a_syntax_error() {
        for text in [
            "",
            "{",
            r#"{"a": }"#,
            "[1,]",
            "1 2",
            r#"{"a": 1} x"#,
            "\"\\ud800\"",
        ] {
            assert!(
                matches!(parse(text.as_bytes()), Err(JsonError::Syntax(_))),
                "{text}"
            );
        }
        assert!(matches!(parse(b"\xff"), Err(JsonError::Syntax(_))));
        assert_eq!(parse(b" \n{}\t").unwrap(), serde_json::json!({}));
    }

    #[test]
    fn serde_jsons_private_raw_value_key_is_an_ordinary_key() {
        // With the `raw_value` feature, serde_json's own `Value` reads an object with this one
        // key as the JSON text of its value: `{"data": {"$serde_json::…": "{\"amount\": 1}"}}`
        // became `{"data": {"amount": 1}}`, one more way to spell the same body. Here it is a
        // key like any other, which the catalogue then refuses as unknown.
        let text = r#"{"$serde_json::private::RawValue": "[1]"}"#;
        let value = parse(text.as_bytes()).unwrap();
        assert_eq!(value["$serde_json::private::RawValue"], "[1]");
    }

    /// JSON values as text, keys drawn from a few names so that objects may repeat one.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            (-1e6f64..1e6).prop_map(|f| format!("{f:?}")),
            "[a-zé\\\\\"~/ ]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec(("[ab~/]{0,2}", inner), 0..5).prop_map(|entries| {
                    let entries: Vec<String> = entries
                        .into_iter()
                        .map(|(key, value)| {
                            format!("{}:{value}", serde_json::to_string(&key).unwrap())
                        })
                        .collect();
                    format!("{{{}}}", entries.join(","))
                }),
            ]
        })
    }

    /// Whether any object in `text` repeats a key, by a reader that keeps every entry.
    fn has_duplicate(text: &str) -> bool {
        fn walk(value: &Repeated) -> bool {
            match value {
                Repeated::Array(items) => items.iter().any(walk),
                Repeated::Object(entries) => {
                    let mut keys: Vec<&String> = entries.iter().map(|(key, _)| key).collect();
                    keys.sort();
                    keys.windows(2).any(|pair| pair[0] == pair[1])
                        || entries.iter().any(|(_, value)| walk(value))
                }
                Repeated::Other => false,
            }
        }
        walk(&serde_json::from_str::<Repeated>(text).unwrap())
    }

    /// A JSON value with every object entry kept, duplicates included.
    enum Repeated {
        Array(Vec<Repeated>),
        Object(Vec<(String, Repeated)>),
        Other,
    }

    impl<'de> serde::Deserialize<'de> for Repeated {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct All;
            impl<'de> Visitor<'de> for All {
                type Value = Repeated;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("JSON")
                }
                fn visit_bool<E>(self, _: bool) -> Result<Repeated, E> {
                    Ok(Repeated::Other)
                }
                fn visit_i64<E>(self, _: i64) -> Result<Repeated, E> {
                    Ok(Repeated::Other)
                }
                fn visit_u64<E>(self, _: u64) -> Result<Repeated, E> {
                    Ok(Repeated::Other)
                }
                fn visit_f64<E>(self, _: f64) -> Result<Repeated, E> {
                    Ok(Repeated::Other)
                }
                fn visit_str<E>(self, _: &str) -> Result<Repeated, E> {
                    Ok(Repeated::Other)
                }
                fn visit_unit<E>(self) -> Result<Repeated, E> {
                    Ok(Repeated::Other)
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Repeated, A::Error> {
                    let mut items = Vec::new();
                    while let Some(item) = seq.next_element()? {
                        items.push(item);
                    }
                    Ok(Repeated::Array(items))
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Repeated, A::Error> {
                    let mut entries = Vec::new();
                    while let Some(entry) = map.next_entry()? {
                        entries.push(entry);
                    }
                    Ok(Repeated::Object(entries))
                }
            }
            deserializer.deserialize_any(All)
        }
    }

    proptest! {
        /// Without duplicates the value is serde_json's own; with one, it is refused.
        #[test]
        fn reads_as_serde_json_reads_or_refuses_a_duplicate(text in json_text()) {
            let ours = parse(text.as_bytes());
            if has_duplicate(&text) {
                prop_assert!(matches!(ours, Err(JsonError::DuplicateKey { .. })), "{text}");
            } else {
                let theirs: Value = serde_json::from_str(&text).unwrap();
                prop_assert_eq!(ours, Ok(theirs));
            }
        }
    }
}
