//! Reading a JSON object field by field while collecting *every* problem with its JSON Pointer.
//!
//! serde stops at the first error; the contract wants each offending field listed, so request
//! bodies are read through [`ObjectReader`] instead. A reader knows the fields its object may
//! carry: anything else is an unknown field (`400`), everything else wrong is `422`.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::types::{
    Amount, CivilDate, EventId, IndicatorKey, JSON_SAFE_INTEGER_MAX, PlanKey, TEXT_CHARS_MAX,
    YEAR_MAX, YEAR_MIN,
};

/// One offending field: a JSON Pointer into the request body (or a query parameter's name) and
/// what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Every problem found in one request body, split by the status it earns.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors {
    /// Fields the contract does not know: `400`.
    pub unknown: Vec<FieldError>,
    /// Everything else that is wrong: `422`.
    pub invalid: Vec<FieldError>,
}

impl FieldErrors {
    pub fn is_empty(&self) -> bool {
        self.unknown.is_empty() && self.invalid.is_empty()
    }

    pub fn invalid(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.invalid.push(FieldError::new(field, message));
    }

    pub fn extend(&mut self, other: FieldErrors) {
        self.unknown.extend(other.unknown);
        self.invalid.extend(other.invalid);
    }

    /// Every error, unknown fields first.
    pub fn all(&self) -> Vec<FieldError> {
        self.unknown.iter().chain(&self.invalid).cloned().collect()
    }
}

/// Escapes one reference token of a JSON Pointer (RFC 6901).
pub fn pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Text as sent, checked: 1..=500 Unicode scalar values after trimming surrounding white space,
/// no control characters but tab, line feed and carriage return. Stored exactly as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks `text` against the rules of a text field without keeping it.
    pub fn check(text: &str) -> Result<(), String> {
        if let Some(control) = text
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(format!(
                "must not contain control characters (found U+{:04X})",
                control as u32
            ));
        }
        let length = text.trim().chars().count();
        if length == 0 || length > TEXT_CHARS_MAX {
            return Err(format!(
                "must be 1..={TEXT_CHARS_MAX} characters after trimming white space, got {length}"
            ));
        }
        Ok(())
    }
}

impl FromStr for Text {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Text::check(text)?;
        Ok(Text(text.to_owned()))
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads the fields of one JSON object, recording problems under `pointer`.
pub struct ObjectReader<'a, 'e> {
    object: &'a Map<String, Value>,
    pointer: String,
    known: &'static [&'static str],
    errors: &'e mut FieldErrors,
}

impl<'a, 'e> ObjectReader<'a, 'e> {
    /// Reads `value` as an object whose fields are `known`. Returns `None` (and records why)
    /// when `value` is not an object.
    pub fn new(
        value: &'a Value,
        pointer: &str,
        known: &'static [&'static str],
        errors: &'e mut FieldErrors,
    ) -> Option<Self> {
        let Value::Object(object) = value else {
            errors.invalid(
                pointer,
                format!("must be a JSON object, got {}", kind_of(value)),
            );
            return None;
        };
        for name in object.keys() {
            if !known.contains(&name.as_str()) {
                errors.unknown.push(FieldError::new(
                    format!("{pointer}/{}", pointer_token(name)),
                    format!("unknown field; expected one of: {}", known.join(", ")),
                ));
            }
        }
        Some(ObjectReader {
            object,
            pointer: pointer.to_owned(),
            known,
            errors,
        })
    }

    pub fn pointer_of(&self, name: &str) -> String {
        format!("{}/{}", self.pointer, pointer_token(name))
    }

    pub fn errors(&mut self) -> &mut FieldErrors {
        self.errors
    }

    pub fn has(&self, name: &str) -> bool {
        self.object.contains_key(name)
    }

    pub fn raw(&self, name: &str) -> Option<&'a Value> {
        debug_assert!(self.known.contains(&name), "{name} is not a known field");
        self.object.get(name)
    }

    /// A field that must be present.
    pub fn required<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        match self.raw(name) {
            None => {
                let pointer = self.pointer_of(name);
                self.errors.invalid(pointer, "is required");
                None
            }
            Some(value) => self.parse_present(name, value, parse),
        }
    }

    /// A field that may be absent; present, it must be valid (`null` is not "absent").
    pub fn optional<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.raw(name)?;
        self.parse_present(name, value, parse)
    }

    fn parse_present<T>(
        &mut self,
        name: &str,
        value: &Value,
        parse: impl FnOnce(&Value) -> Result<T, String>,
    ) -> Option<T> {
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(message) => {
                let pointer = self.pointer_of(name);
                self.errors.invalid(pointer, message);
                None
            }
        }
    }
}

/// What a JSON value is, for error messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(number) if number.is_f64() => "a float",
        Value::Number(number) if number.is_i64() && number.as_i64() < Some(0) => {
            "a negative integer"
        }
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub fn string(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("must be a string, got {}", kind_of(value)))
}

pub fn text(value: &Value) -> Result<Text, String> {
    string(value)?.parse()
}

pub fn parsed<T: FromStr<Err = String>>(value: &Value) -> Result<T, String> {
    string(value)?.parse()
}

/// A JSON integer within `minimum..=2^53 − 1`.
pub fn integer_at_least(minimum: u64) -> impl Fn(&Value) -> Result<u64, String> {
    move |value| {
        let Value::Number(number) = value else {
            return Err(format!("must be an integer, got {}", kind_of(value)));
        };
        if number.is_f64() {
            return Err(format!("must be an integer, got a float ({number})"));
        }
        match number.as_u64() {
            Some(n) if (minimum..=JSON_SAFE_INTEGER_MAX).contains(&n) => Ok(n),
            _ => Err(format!(
                "must be an integer within {minimum}..={JSON_SAFE_INTEGER_MAX}, got {number}"
            )),
        }
    }
}

pub fn year(value: &Value) -> Result<i16, String> {
    let Value::Number(number) = value else {
        return Err(format!(
            "must be a year (an integer), got {}",
            kind_of(value)
        ));
    };
    number
        .as_i64()
        .filter(|y| (i64::from(YEAR_MIN)..=i64::from(YEAR_MAX)).contains(y))
        .and_then(|y| i16::try_from(y).ok())
        .ok_or_else(|| format!("must be a year within {YEAR_MIN}..={YEAR_MAX}, got {number}"))
}

pub fn amount(value: &Value) -> Result<Amount, String> {
    let Value::Number(number) = value else {
        return Err(format!(
            "must be an integer number of đồng, got {}",
            kind_of(value)
        ));
    };
    if number.is_f64() {
        return Err(format!(
            "must be an integer number of đồng, got a float ({number})"
        ));
    }
    match number.as_u64() {
        Some(dong) => Amount::new(dong),
        None => Err(format!(
            "an amount is whole đồng with 0 < amount <= {JSON_SAFE_INTEGER_MAX}, got {number}"
        )),
    }
}

pub fn boolean(value: &Value) -> Result<bool, String> {
    value
        .as_bool()
        .ok_or_else(|| format!("must be true or false, got {}", kind_of(value)))
}

pub fn plan_key(value: &Value) -> Result<PlanKey, String> {
    parsed(value)
}

pub fn indicator(value: &Value) -> Result<IndicatorKey, String> {
    parsed(value)
}

pub fn event_id(value: &Value) -> Result<EventId, String> {
    parsed(value)
}

pub fn date(value: &Value) -> Result<CivilDate, String> {
    parsed(value)
}

/// Most entries an array or map inside `data` may hold.
pub const COLLECTION_ENTRIES_MAX: usize = 1000;

/// An array of texts, each checked; the pointer of the first bad entry is reported.
pub fn text_list(value: &Value) -> Result<Vec<Text>, String> {
    let Value::Array(items) = value else {
        return Err(format!(
            "must be an array of strings, got {}",
            kind_of(value)
        ));
    };
    if items.len() > COLLECTION_ENTRIES_MAX {
        return Err(format!(
            "must hold at most {COLLECTION_ENTRIES_MAX} entries"
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| text(item).map_err(|message| format!("entry {index}: {message}")))
        .collect()
}

/// A map of names to counts (`participants_by_group`).
pub fn count_map(value: &Value) -> Result<BTreeMap<Text, u64>, String> {
    let Value::Object(entries) = value else {
        return Err(format!(
            "must be an object of names to integers, got {}",
            kind_of(value)
        ));
    };
    if entries.len() > COLLECTION_ENTRIES_MAX {
        return Err(format!(
            "must hold at most {COLLECTION_ENTRIES_MAX} entries"
        ));
    }
    entries
        .iter()
        .map(|(name, count)| {
            let key: Text = name
                .parse()
                .map_err(|message| format!("name {name:?}: {message}"))?;
            let count =
                integer_at_least(0)(count).map_err(|message| format!("{name:?}: {message}"))?;
            Ok((key, count))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_rules() {
        assert!("a".parse::<Text>().is_ok());
        assert!(" a ".parse::<Text>().is_ok());
        assert!("tab\there\nand\r".parse::<Text>().is_ok());
        assert!("".parse::<Text>().is_err());
        assert!("   ".parse::<Text>().is_err());
        assert!("bell\u{7}".parse::<Text>().is_err());
        assert!("ệ".repeat(500).parse::<Text>().is_ok());
        assert!("ệ".repeat(501).parse::<Text>().is_err());
        // Trimming counts for the length, but what is stored keeps the spaces.
        let padded = format!("  {}  ", "a".repeat(500));
        assert_eq!(padded.parse::<Text>().unwrap().as_str(), padded);
    }

    #[test]
    fn integers_refuse_floats_strings_and_negatives() {
        let count = integer_at_least(1);
        assert_eq!(count(&json!(3)), Ok(3));
        assert!(count(&json!(0)).is_err());
        assert!(count(&json!(-1)).is_err());
        assert!(count(&json!(1.0)).is_err());
        assert!(count(&json!("3")).is_err());
        assert!(count(&json!(9_007_199_254_740_992u64)).is_err());
    }

    #[test]
    fn reader_collects_every_problem() {
        let mut errors = FieldErrors::default();
        let body = json!({"a": 1.5, "colour": "red"});
        let mut reader = ObjectReader::new(&body, "/data", &["a", "b"], &mut errors).unwrap();
        assert_eq!(reader.required("a", integer_at_least(0)), None);
        assert_eq!(reader.required("b", text), None);
        assert_eq!(
            errors.unknown,
            vec![FieldError::new(
                "/data/colour",
                "unknown field; expected one of: a, b"
            )]
        );
        let fields: Vec<_> = errors.invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/data/a", "/data/b"]);
    }
}
