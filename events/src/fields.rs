//! Reading a JSON object field by field while collecting *every* problem with its JSON Pointer.
//!
//! serde stops at the first error; the contract wants each offending field listed, so request
//! bodies are read through [`ObjectReader`] instead. A reader knows the fields its object may
//! carry: anything else is an unknown field (`400`), everything else wrong is `422`.

use std::collections::{BTreeMap, HashSet};
use std::ops::ControlFlow;
use std::str::FromStr;

use acta_messages::{Message, codes};
use serde::Serialize;
use serde_json::{Map, Value};

pub use crate::quote::{QUOTED_CHARS_MAX, cut, pointer_token, quoted};
use crate::types::{
    Amount, CivilDate, EventId, IndicatorKey, JSON_SAFE_INTEGER_MAX, PlanKey, TEXT_CHARS_MAX,
    YEAR_MAX, YEAR_MIN,
};

/// One offending field: a JSON Pointer into the request body (or a query parameter's name) and
/// what is wrong with it, as a code and parameters: the edge renders it in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: Message,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<Message>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `{"field","code","params","message"}`, the message in English (the HTTP edge renders its own
/// in the language asked).
impl Serialize for FieldError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut entry = serializer.serialize_struct("FieldError", 4)?;
        entry.serialize_field("field", &self.field)?;
        entry.serialize_field("code", self.message.code())?;
        entry.serialize_field("params", &self.message.params_json())?;
        entry.serialize_field("message", &self.message.to_string())?;
        entry.end()
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

    pub fn invalid(&mut self, field: impl Into<String>, message: impl Into<Message>) {
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

/// How deeply a request body may nest (`400` beyond): `[]` is one level, `[[]]` two.
pub const JSON_DEPTH_MAX: usize = 64;

/// Text as sent, checked: 1..=500 Unicode scalar values after trimming surrounding white space,
/// no control characters but tab, line feed and carriage return. Stored exactly as sent.
///
/// A request's texts must also be free of invisible format characters; that rule is checked
/// over the whole request by [`refuse_format_characters`], not here, because stored events are
/// read back through this check at every start, and a text recorded before the rule must
/// still read.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks `text` against the rules of a text field without keeping it.
    pub(crate) fn check(text: &str) -> Result<(), Message> {
        if let Some(control) = text
            .chars()
            .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        {
            return Err(Message::new(codes::TEXT_CONTROL_CHARACTER)
                .text("character", format!("U+{:04X}", control as u32)));
        }
        let length = text.trim().chars().count();
        if length == 0 || length > TEXT_CHARS_MAX {
            return Err(Message::new(codes::TEXT_LENGTH)
                .int("maximum", TEXT_CHARS_MAX as u64)
                .int("length", length as u64));
        }
        Ok(())
    }
}

impl FromStr for Text {
    type Err = Message;

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

/// Whether `c` is an invisible format character: Unicode general category Cf — the soft hyphen
/// U+00AD, the zero-width space, joiners and direction marks U+200B..=U+200F, the bidirectional
/// embeddings, overrides and isolates U+202A..=U+202E and U+2066..=U+2069, the word joiner and
/// invisible operators U+2060..=U+2064, the byte-order mark U+FEFF, U+061C, U+180E, tags, and
/// the rest of the category (`unicode-properties`' table). None is visible, so two texts that
/// differ by one look the same to every reader, and a bidirectional control can make a text
/// display in another order than it reads.
pub fn is_format_character(c: char) -> bool {
    may_be_format_character(c)
        && unicode_properties::UnicodeGeneralCategory::general_category(c)
            == unicode_properties::GeneralCategory::Format
}

/// Whether `c` lies in a block that holds format characters: a superset of the category
/// (checked against the table for every character), so that the letters of Vietnamese and
/// other Latin text — U+00C0..=U+024F, the combining marks U+0300..=U+036F, U+1E00..=U+1EFF —
/// are never looked up in the category's table of some 3,000 ranges.
fn may_be_format_character(c: char) -> bool {
    matches!(
        u32::from(c),
        0xAD | 0x600..=0x8FF | 0x180E | 0x200B..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0x1_0000..
    )
}

/// The first format character of `text` and its position, counted in characters from 1.
pub fn format_character(text: &str) -> Option<(usize, char)> {
    // Every string of every request passes here: most hold none of the blocks at all, which
    // their UTF-8 bytes show without decoding a character.
    if text.is_ascii() || !may_hold_format_character(text.as_bytes()) {
        return None;
    }
    text.chars()
        .enumerate()
        .find(|&(_, c)| is_format_character(c))
        .map(|(index, c)| (index + 1, c))
}

/// Whether the UTF-8 `bytes` encode a character of [`may_be_format_character`]'s blocks, by
/// its first two bytes (a superset: tested against encoding every character).
fn may_hold_format_character(bytes: &[u8]) -> bool {
    /// The first bytes of those blocks' characters.
    const LEADS: [bool; 256] = {
        let mut leads = [false; 256];
        let mut byte = 0xC2;
        while byte <= 0xF4 {
            leads[byte] = matches!(byte, 0xC2 | 0xD8..=0xE2 | 0xEF | 0xF0..=0xF4);
            byte += 1;
        }
        leads
    };
    let mut rest = bytes;
    while let Some(at) = rest.iter().position(|&byte| LEADS[usize::from(byte)]) {
        let next = rest.get(at + 1).copied().unwrap_or(0);
        let in_block = match rest[at] {
            // U+00AD.
            0xC2 => next == 0xAD,
            // U+0800..=U+08FF.
            0xE0 => (0xA0..=0xA3).contains(&next),
            // U+1800..=U+183F (Vietnamese letters, U+1EA0..=U+1EF9, are 0xE1 0xBA and 0xBB).
            0xE1 => next == 0xA0,
            // U+2000..=U+207F.
            0xE2 => (0x80..=0x81).contains(&next),
            // U+FEC0..=U+FEFF and U+FFC0..=U+FFFF.
            0xEF => next == 0xBB || next == 0xBF,
            // U+0600..=U+07FF, and everything beyond U+FFFF.
            _ => true,
        };
        if in_block {
            return true;
        }
        rest = &rest[at + 1..];
    }
    false
}

/// Refuses invisible format characters in every string of a request, `value` found at
/// `pointer`: in every text field (`data`, `evidence`, a correction's replacement data) and in
/// every name of a map (`participants_by_group`). The other strings of a request (keys, ids,
/// dates, kinds) are ASCII patterns, which refuse them already: a field with a problem recorded
/// is not named again, nor is anything inside an unknown field.
pub fn refuse_format_characters(value: &Value, pointer: &str, errors: &mut FieldErrors) {
    let mut named = 0;
    // The fields refused before the scan, gathered when it first finds something: looked up by
    // hash, so that a body of thousands of unknown fields, each holding a format character,
    // costs no more than one pass.
    let mut refused: Option<(HashSet<String>, HashSet<String>)> = None;
    let _ = scan_for_format_characters(value, &Path::Root, 0, &mut |path, message| {
        let at = path.pointer(pointer);
        let (invalid, unknown) = refused.get_or_insert_with(|| {
            let fields = |list: &[FieldError]| list.iter().map(|e| e.field.clone()).collect();
            (fields(&errors.invalid), fields(&errors.unknown))
        });
        let inside_unknown = at
            .match_indices('/')
            .any(|(end, _)| unknown.contains(&at[..end]));
        if invalid.contains(&at) || unknown.contains(&at) || inside_unknown {
            return ControlFlow::Continue(());
        }
        if named == FORMAT_CHARACTERS_NAMED_MAX {
            errors.invalid(
                pointer,
                Message::new(codes::TOO_MANY_FORMAT_CHARACTERS)
                    .int("maximum", FORMAT_CHARACTERS_NAMED_MAX as u64),
            );
            return ControlFlow::Break(());
        }
        named += 1;
        errors.invalid(at, message);
        ControlFlow::Continue(())
    });
}

/// Most format characters named in one event: a body of a megabyte could hold a hundred
/// thousand, and each named is an error kept in memory until the answer is sent.
pub const FORMAT_CHARACTERS_NAMED_MAX: usize = 100;

/// Where a value lies below the one scanned: a chain of reference tokens on the stack, so that
/// a scan allocates nothing until it finds something.
enum Path<'p, 'v> {
    Root,
    Name(&'p Path<'p, 'v>, &'v str),
    Index(&'p Path<'p, 'v>, usize),
}

impl Path<'_, '_> {
    /// The JSON Pointer of this path below `pointer`.
    fn pointer(&self, pointer: &str) -> String {
        let mut tokens = Vec::new();
        let mut at = self;
        loop {
            match at {
                Path::Root => break,
                Path::Name(parent, name) => {
                    tokens.push(pointer_token(name));
                    at = parent;
                }
                Path::Index(parent, index) => {
                    tokens.push(index.to_string());
                    at = parent;
                }
            }
        }
        let mut joined = pointer.to_owned();
        for token in tokens.iter().rev() {
            joined.push('/');
            joined.push_str(token);
        }
        joined
    }
}

/// Calls `found` with the path and a message for each format character below `value`, which
/// lies `depth` levels down, in document order. Stops descending at
/// [`JSON_DEPTH_MAX`] levels, deeper than any request is read.
fn scan_for_format_characters<'v>(
    value: &'v Value,
    path: &Path<'_, 'v>,
    depth: usize,
    found: &mut dyn FnMut(&Path<'_, 'v>, Message) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let descend = depth < JSON_DEPTH_MAX;
    match value {
        Value::String(text) => {
            if let Some((position, c)) = format_character(text) {
                let message = Message::new(codes::TEXT_FORMAT_CHARACTER)
                    .text("character", format!("U+{:04X}", u32::from(c)))
                    .int("position", position as u64);
                found(path, message)?;
            }
        }
        Value::Array(items) if descend => {
            for (index, item) in items.iter().enumerate() {
                scan_for_format_characters(item, &Path::Index(path, index), depth + 1, found)?;
            }
        }
        Value::Object(entries) if descend => {
            for (name, item) in entries {
                let below = Path::Name(path, name);
                if let Some((position, c)) = format_character(name) {
                    let message = Message::new(codes::NAME_FORMAT_CHARACTER)
                        .text("character", format!("U+{:04X}", u32::from(c)))
                        .int("position", position as u64);
                    found(&below, message)?;
                }
                scan_for_format_characters(item, &below, depth + 1, found)?;
            }
        }
        _ => {}
    }
    ControlFlow::Continue(())
}

/// The form in which two spellings of one document's number or issuer are equal, for the
/// uniqueness of decision numbers: surrounding white space trimmed, each inner run of white
/// space made one space, and Unicode NFC (so a letter typed as a base and combining marks
/// equals the same letter precomposed). Letter case is kept: `QĐ` and `Qđ` stay distinct. What
/// is stored is the text as sent; only the key of the uniqueness index is this form.
pub fn comparable_form(text: &str) -> String {
    let mut spaced = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !spaced.is_empty() {
            spaced.push(' ');
        }
        spaced.push_str(word);
    }
    if unicode_normalization::is_nfc_quick(spaced.chars())
        == unicode_normalization::IsNormalized::Yes
    {
        return spaced;
    }
    unicode_normalization::UnicodeNormalization::nfc(spaced.as_str()).collect()
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
            errors.invalid(pointer, Message::new(codes::NOT_A_JSON_OBJECT).got(value));
            return None;
        };
        for name in object.keys() {
            if !known.contains(&name.as_str()) {
                errors.unknown.push(FieldError::new(
                    format!("{pointer}/{}", pointer_token(name)),
                    Message::new(codes::UNKNOWN_FIELD).text("expected", known.join(", ")),
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
        parse: impl FnOnce(&Value) -> Result<T, Message>,
    ) -> Option<T> {
        match self.raw(name) {
            None => {
                let pointer = self.pointer_of(name);
                self.errors.invalid(pointer, codes::FIELD_REQUIRED);
                None
            }
            Some(value) => self.parse_present(name, value, parse),
        }
    }

    /// A field that may be absent; present, it must be valid (`null` is not "absent").
    pub fn optional<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, Message>,
    ) -> Option<T> {
        let value = self.raw(name)?;
        self.parse_present(name, value, parse)
    }

    /// As [`ObjectReader::optional`], for a list or map whose problems are reported at the
    /// entry they are in (`/data/basis/1`, `/data/participants_by_group/food`).
    pub fn optional_inner<T>(
        &mut self,
        name: &str,
        parse: impl FnOnce(&Value) -> Result<T, Inner>,
    ) -> Option<T> {
        let value = self.raw(name)?;
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(Inner { at, message }) => {
                let pointer = format!("{}{at}", self.pointer_of(name));
                self.errors.invalid(pointer, message);
                None
            }
        }
    }

    fn parse_present<T>(
        &mut self,
        name: &str,
        value: &Value,
        parse: impl FnOnce(&Value) -> Result<T, Message>,
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

pub fn string(value: &Value) -> Result<&str, Message> {
    value
        .as_str()
        .ok_or_else(|| Message::new(codes::NOT_A_STRING).got(value))
}

pub fn text(value: &Value) -> Result<Text, Message> {
    string(value)?.parse()
}

pub fn parsed<T: FromStr<Err = Message>>(value: &Value) -> Result<T, Message> {
    string(value)?.parse()
}

/// A JSON integer within `minimum..=2^53 − 1`.
pub fn integer_at_least(minimum: u64) -> impl Fn(&Value) -> Result<u64, Message> {
    move |value| {
        let Value::Number(number) = value else {
            return Err(Message::new(codes::NOT_AN_INTEGER).got(value));
        };
        if number.is_f64() {
            return Err(Message::new(codes::FLOAT_NOT_INTEGER).text("value", number.to_string()));
        }
        match number.as_u64() {
            Some(n) if (minimum..=JSON_SAFE_INTEGER_MAX).contains(&n) => Ok(n),
            _ => Err(Message::new(codes::INTEGER_OUT_OF_RANGE)
                .int("minimum", minimum)
                .int("maximum", JSON_SAFE_INTEGER_MAX)
                .text("value", number.to_string())),
        }
    }
}

pub fn year(value: &Value) -> Result<i16, Message> {
    let Value::Number(number) = value else {
        return Err(Message::new(codes::YEAR_NOT_INTEGER).got(value));
    };
    number
        .as_i64()
        .filter(|y| (i64::from(YEAR_MIN)..=i64::from(YEAR_MAX)).contains(y))
        .and_then(|y| i16::try_from(y).ok())
        .ok_or_else(|| {
            Message::new(codes::YEAR_OUT_OF_RANGE)
                .int("minimum", YEAR_MIN)
                .int("maximum", YEAR_MAX)
                .text("value", number.to_string())
        })
}

pub fn amount(value: &Value) -> Result<Amount, Message> {
    let Value::Number(number) = value else {
        return Err(Message::new(codes::AMOUNT_NOT_INTEGER).got(value));
    };
    if number.is_f64() {
        return Err(Message::new(codes::AMOUNT_FLOAT).text("value", number.to_string()));
    }
    match number.as_u64() {
        Some(dong) => Amount::new(dong),
        None => Err(Message::new(codes::AMOUNT_OUT_OF_RANGE)
            .int("maximum", JSON_SAFE_INTEGER_MAX)
            .text("value", number.to_string())),
    }
}

pub fn boolean(value: &Value) -> Result<bool, Message> {
    value
        .as_bool()
        .ok_or_else(|| Message::new(codes::NOT_A_BOOLEAN).got(value))
}

pub fn plan_key(value: &Value) -> Result<PlanKey, Message> {
    parsed(value)
}

pub fn indicator(value: &Value) -> Result<IndicatorKey, Message> {
    parsed(value)
}

pub fn event_id(value: &Value) -> Result<EventId, Message> {
    parsed(value)
}

pub fn date(value: &Value) -> Result<CivilDate, Message> {
    parsed(value)
}

/// Most entries an array or map inside `data` may hold.
pub const COLLECTION_ENTRIES_MAX: usize = 1000;

fn too_many_entries() -> Message {
    Message::new(codes::TOO_MANY_ENTRIES).int("maximum", COLLECTION_ENTRIES_MAX as u64)
}

/// An array of texts, each checked; the pointer of the first bad entry is reported.
pub fn text_list(value: &Value) -> Result<Vec<Text>, Inner> {
    let Value::Array(items) = value else {
        return Err(Message::new(codes::NOT_AN_ARRAY_OF_STRINGS)
            .got(value)
            .into());
    };
    if items.len() > COLLECTION_ENTRIES_MAX {
        return Err(too_many_entries().into());
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            text(item).map_err(|message| Inner {
                at: format!("/{index}"),
                message,
            })
        })
        .collect()
}

/// A map of names to counts (`participants_by_group`).
pub fn count_map(value: &Value) -> Result<BTreeMap<Text, u64>, Inner> {
    let Value::Object(entries) = value else {
        return Err(Message::new(codes::NOT_A_COUNT_MAP).got(value).into());
    };
    if entries.len() > COLLECTION_ENTRIES_MAX {
        return Err(too_many_entries().into());
    }
    entries
        .iter()
        .map(|(name, count)| {
            let at = || format!("/{}", pointer_token(name));
            let key: Text = name.parse().map_err(|reason| Inner {
                at: at(),
                message: Message::new(codes::MAP_NAME_INVALID).message("reason", reason),
            })?;
            let count =
                integer_at_least(0)(count).map_err(|message| Inner { at: at(), message })?;
            Ok((key, count))
        })
        .collect()
}

/// A problem inside a value: `at` is its JSON Pointer below the value (`/3`, `/food`; empty
/// for the value itself), so that it is reported at the innermost field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inner {
    pub at: String,
    pub message: Message,
}

impl From<Message> for Inner {
    fn from(message: Message) -> Inner {
        Inner {
            at: String::new(),
            message,
        }
    }
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
    fn every_format_character_is_found_with_its_position() {
        for c in [
            '\u{AD}',
            '\u{600}',
            '\u{61C}',
            '\u{6DD}',
            '\u{70F}',
            '\u{180E}',
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{200E}',
            '\u{200F}',
            '\u{202A}',
            '\u{202E}',
            '\u{2060}',
            '\u{2064}',
            '\u{2066}',
            '\u{2069}',
            '\u{FEFF}',
            '\u{FFF9}',
            '\u{110BD}',
            '\u{1D173}',
            '\u{E0001}',
            '\u{E0041}',
        ] {
            assert!(is_format_character(c), "U+{:04X}", u32::from(c));
            assert_eq!(format_character(&format!("Số{c}1")), Some((3, c)));
        }
        // Look-alikes that are not format characters: spaces, letters, combining marks,
        // controls (which the text rule refuses on its own), and the characters beside U+00AD.
        for c in [
            ' ',
            '\u{A0}',
            '\u{AC}',
            '\u{AE}',
            '\u{2009}',
            '\u{3000}',
            'Đ',
            'ệ',
            '\u{301}',
            '\u{7}',
            '\u{2028}',
            '\u{FFFC}',
            '\u{1F600}',
        ] {
            assert!(!is_format_character(c), "U+{:04X}", u32::from(c));
        }
        assert_eq!(format_character("3269/QĐ-UBND"), None);
        assert_eq!(format_character("plain ascii"), None);
    }

    #[test]
    fn the_blocks_looked_up_hold_every_format_character() {
        let mut found = 0;
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            let format = unicode_properties::UnicodeGeneralCategory::general_category(c)
                == unicode_properties::GeneralCategory::Format;
            if format {
                assert!(may_be_format_character(c), "U+{:04X}", u32::from(c));
                found += 1;
            }
            if may_be_format_character(c) {
                let mut utf8 = [0; 4];
                let bytes = c.encode_utf8(&mut utf8).as_bytes();
                assert!(may_hold_format_character(bytes), "U+{:04X}", u32::from(c));
            }
        }
        // Unicode 16 has 170 of them.
        assert!(found >= 170, "{found}");
    }

    #[test]
    fn format_characters_are_refused_in_every_string_and_name_of_a_request() {
        let body = json!({
            "plan": "p\u{200B}",
            "data": {"title": "Kế\u{200B}hoạch", "basis": ["a", "b\u{FEFF}"],
                     "groups": {"Nông\u{200C}dân": 1, "a/b\u{2066}": 2}},
            "evidence": {"document": "ok", "locator": "\u{202E}4 cụm"},
            "colour": {"x": "\u{200B}"}
        });
        let mut errors = FieldErrors::default();
        errors.invalid("/events/2/plan", codes::FIELD_REQUIRED);
        errors
            .unknown
            .push(FieldError::new("/events/2/colour", codes::FIELD_REQUIRED));
        refuse_format_characters(&body, "/events/2", &mut errors);
        let found: Vec<(&str, String)> = errors.invalid[1..]
            .iter()
            .map(|error| (error.field.as_str(), error.message.to_string()))
            .collect();
        let fields: Vec<&str> = found.iter().map(|(field, _)| *field).collect();
        assert_eq!(
            fields,
            [
                "/events/2/data/basis/1",
                "/events/2/data/groups/Nông\u{200C}dân",
                "/events/2/data/groups/a~1b\u{2066}",
                "/events/2/data/title",
                "/events/2/evidence/locator",
            ]
        );
        assert!(
            found[3]
                .1
                .starts_with("contains U+200B, an invisible format character, at character 3"),
            "{}",
            found[3].1
        );
        assert!(found[1].1.starts_with("this name contains U+200C"));
        assert!(
            found[4]
                .1
                .contains("U+202E, an invisible format character, at character 1")
        );
        // The field already refused (`/plan`) and the unknown one are not named again.
        assert_eq!(errors.invalid.len(), 6);
    }

    #[test]
    fn a_body_of_many_refused_fields_with_format_characters_is_scanned_in_one_pass() {
        let count = 100_000;
        let data: Map<String, Value> = (0..count)
            .map(|index| (format!("k{index}"), Value::from("\u{200B}")))
            .collect();
        let mut basis = vec![Value::from("\u{200B}"); count];
        basis.push(Value::from("ok"));
        let body = json!({"data": data, "basis": basis});
        let mut errors = FieldErrors::default();
        for index in 0..count {
            let field = format!("/data/k{index}");
            errors
                .unknown
                .push(FieldError::new(field, codes::FIELD_REQUIRED));
        }
        errors.invalid("/basis", too_many_entries());
        let started = std::time::Instant::now();
        refuse_format_characters(&body, "", &mut errors);
        // Nothing inside an unknown field is named, and of the entries of `basis` (not the
        // refused field itself) the first 100, then that there are more. Quadratic, this took
        // minutes.
        assert_eq!(errors.invalid.len(), 1 + FORMAT_CHARACTERS_NAMED_MAX + 1);
        assert_eq!(errors.invalid[1].field, "/basis/0");
        assert_eq!(errors.invalid[100].field, "/basis/99");
        assert_eq!(
            errors.invalid[101],
            FieldError::new(
                "",
                Message::new(codes::TOO_MANY_FORMAT_CHARACTERS).int("maximum", 100)
            )
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn at_most_100_format_characters_are_named_in_one_event() {
        let texts = |count: usize| json!({"basis": vec!["\u{FEFF}"; count]});
        let mut errors = FieldErrors::default();
        refuse_format_characters(
            &texts(FORMAT_CHARACTERS_NAMED_MAX),
            "/events/1",
            &mut errors,
        );
        assert_eq!(errors.invalid.len(), FORMAT_CHARACTERS_NAMED_MAX);
        let mut errors = FieldErrors::default();
        refuse_format_characters(
            &texts(FORMAT_CHARACTERS_NAMED_MAX + 1),
            "/events/1",
            &mut errors,
        );
        assert_eq!(errors.invalid.len(), FORMAT_CHARACTERS_NAMED_MAX + 1);
        assert_eq!(
            errors.invalid[FORMAT_CHARACTERS_NAMED_MAX].field,
            "/events/1"
        );
    }

    #[test]
    fn comparable_forms_of_look_alike_numbers_are_equal() {
        let number = "3269/QĐ-UBND";
        for look_alike in [
            "3269/QĐ-UBND ",
            " 3269/QĐ-UBND",
            "\t3269/QĐ-UBND\n",
            "3269/QĐ-UBND\u{3000}",
        ] {
            assert_eq!(comparable_form(look_alike), number, "{look_alike:?}");
        }
        let issuer = "UBND tỉnh Đồng Nai";
        let decomposed: String = unicode_normalization::UnicodeNormalization::nfd(issuer).collect();
        assert_ne!(decomposed, issuer);
        assert_eq!(comparable_form(&decomposed), issuer);
        assert_eq!(comparable_form("UBND  tỉnh\u{A0}Đồng \t Nai "), issuer);
        // Case and punctuation are kept: these are different numbers.
        assert_ne!(comparable_form("3269/Qđ-UBND"), number);
        assert_ne!(comparable_form("3269/QĐ/UBND"), number);
        // Already comparable text comes back as it was.
        assert_eq!(comparable_form(number), number);
        assert_eq!(comparable_form(""), "");
    }

    #[test]
    fn quotes_and_pointer_tokens_are_cut_at_64_characters() {
        let edge = "ệ".repeat(QUOTED_CHARS_MAX);
        assert_eq!(cut(&edge), edge.as_str());
        assert_eq!(quoted(&edge), format!("\"{edge}\""));
        assert_eq!(pointer_token(&edge), edge);
        let over = format!("{edge}x");
        assert_eq!(cut(&over), format!("{edge}…"));
        assert_eq!(quoted(&over), format!("\"{edge}…\" (65 characters)"));
        assert_eq!(pointer_token(&over), format!("{edge}…"));
        // Escapes are Rust's, and counted after the cut; pointer tokens are escaped after it.
        assert_eq!(quoted("a\"b\u{7}"), r#""a\"b\u{7}""#);
        let huge = "/~".repeat(450_000);
        assert_eq!(
            quoted(&huge).chars().count(),
            2 + 64 + 1 + " (900000 characters)".len()
        );
        assert_eq!(pointer_token(&huge), format!("{}…", "~1~0".repeat(32)));
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
                Message::new(codes::UNKNOWN_FIELD).text("expected", "a, b")
            )]
        );
        let fields: Vec<_> = errors.invalid.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/data/a", "/data/b"]);
    }
}
