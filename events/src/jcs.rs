//! Canonical JSON (RFC 8785, JCS) for the hash chain: object keys sorted by their UTF-16 code
//! units, no white space, integers in plain decimal, strings with the minimal JSON escapes and
//! every other character as UTF-8.
//!
//! Stored events hold integers only (the catalogue refuses floats), so the ECMAScript number
//! formatting that JCS prescribes for floats is never needed; a float is refused here rather than
//! hashed in a form an auditor's tool might write differently.

use std::fmt::Write as _;

use serde_json::Value;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("canonical JSON of a stored event holds integers only, found the float {0}")]
pub struct FloatInEvent(pub String);

/// The canonical JSON text of `value`.
pub fn canonical_json(value: &Value) -> Result<String, FloatInEvent> {
    let mut out = String::with_capacity(256);
    write_value(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical JSON text of `value` to `out`.
pub fn write_value(value: &Value, out: &mut String) -> Result<(), FloatInEvent> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => {
            if number.is_f64() {
                return Err(FloatInEvent(number.to_string()));
            }
            // Written in place: no String per number.
            let _ = write!(out, "{number}");
        }
        Value::String(text) => write_string(text, out),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_value(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            // The map iterates in UTF-8 byte order. UTF-16 code-unit order differs from it only
            // for characters at or above U+E000, so only keys holding one are sorted again.
            if map.keys().all(|key| key.chars().all(|c| c < '\u{E000}')) {
                write_members(map.iter(), out)?;
            } else {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
                write_members(entries.into_iter(), out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_members<'a>(
    members: impl Iterator<Item = (&'a String, &'a Value)>,
    out: &mut String,
) -> Result<(), FloatInEvent> {
    for (index, (key, item)) in members.enumerate() {
        if index > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        write_value(item, out)?;
    }
    Ok(())
}

/// Appends `text` as a canonical JSON string to `out`.
pub fn write_string(text: &str, out: &mut String) {
    out.push('"');
    if !text
        .bytes()
        .any(|byte| byte < 0x20 || byte == b'"' || byte == b'\\')
    {
        out.push_str(text);
        out.push('"');
        return;
    }
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_and_drops_white_space() {
        let value = json!({"b": [1, {"z": null, "a": true}], "a": "x"});
        assert_eq!(
            canonical_json(&value).unwrap(),
            r#"{"a":"x","b":[1,{"a":true,"z":null}]}"#
        );
    }

    #[test]
    fn escapes_minimally_and_keeps_unicode() {
        let value = json!("Đồng Nai \"quoted\" \\ \n\t\u{1} \u{7f} €");
        assert_eq!(
            canonical_json(&value).unwrap(),
            "\"Đồng Nai \\\"quoted\\\" \\\\ \\n\\t\\u0001 \u{7f} €\""
        );
    }

    #[test]
    fn sorts_by_utf16_code_units() {
        // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FF61; in UTF-8 it sorts after.
        let value = json!({"\u{ff61}": 1, "\u{1f600}": 2});
        assert_eq!(
            canonical_json(&value).unwrap(),
            "{\"\u{1f600}\":2,\"\u{ff61}\":1}"
        );
    }

    #[test]
    fn refuses_floats() {
        assert!(canonical_json(&json!({"a": 1.5})).is_err());
        assert_eq!(canonical_json(&json!(-12)).unwrap(), "-12");
    }
}
