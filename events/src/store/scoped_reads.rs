//! The event log seen at a point in time and searched (`GET /v1/events?as_of&known_at&q`):
//! what both back ends share of [`LogReads::events_in_scope`] — the meaning of the two time
//! axes, written once as SQL each back end fills in, and the search, done here in Rust over the
//! rows that SQL found, since neither SQLite nor PostgreSQL (without extensions) compares text
//! without its Vietnamese diacritics.
//!
//! The time axes mean what they mean for the projections (CONTRACT §3, §2.3):
//!
//! - `known_at`: only events recorded by then (`recorded_at <= known_at`), corrections included.
//! - `as_of`: an act or lifecycle event is listed when the date it took effect is on or before
//!   `as_of`, that date being its `occurred_on` as moved by the latest correction recorded by
//!   `known_at` that moves it (a correction that fixes only the data leaves a moved date moved,
//!   as the projections read it). A correction or retraction is not an act and has no date of
//!   its own in the record: it is listed with its target, when the target is.
//!
//! So that its work is bounded whatever it is asked, a page looks through at most
//! [`SCOPED_SCANNED_EVENTS_MAX`] events of the log (by `seq`, after `after`); a page that stops
//! there short of full says where to go on (`next_after`, the last `seq` it looked at).
//!
//! [`LogReads::events_in_scope`]: super::reads::LogReads::events_in_scope

use acta_messages::{Message, codes};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::error::StoreError;
use crate::stored::StoredEvent;

use super::rows::EVENT_COLUMNS;
use crate::types::{CivilDate, Instant};

/// Most events of the log (by `seq`) one page at a point in time or of a search looks through
/// before it answers with what it found.
pub const SCOPED_SCANNED_EVENTS_MAX: u64 = 10_000;
/// Longest search, in characters (the contract's longest text).
pub const SEARCH_CHARS_MAX: usize = 500;
/// Most words of a search.
pub const SEARCH_WORDS_MAX: usize = 16;

/// What `GET /v1/events` adds to an [`EventFilter`](super::EventFilter): a point in time and
/// a search.
#[derive(Debug, Clone, Default)]
pub struct EventScope {
    pub as_of: Option<CivilDate>,
    pub known_at: Option<Instant>,
    pub search: Option<Search>,
}

impl EventScope {
    /// No point in time and no search: every event, as [`super::Log::events`] reads them.
    pub fn is_everything(&self) -> bool {
        self.as_of.is_none() && self.known_at.is_none() && self.search.is_none()
    }
}

/// A page of [`super::Log::events_in_scope`].
#[derive(Debug, Clone, Default)]
pub struct ScopedPage {
    pub events: Vec<StoredEvent>,
    /// Where the next page starts: the last `seq` of a full page, or the last `seq` the page
    /// looked at when it stopped at [`SCOPED_SCANNED_EVENTS_MAX`] with more of the log beyond;
    /// `None` at the end of the log.
    pub next_after: Option<u64>,
}

/// A search of the log: words that must all occur, each within one text of an event's `data`
/// (a document number, a title, a name, a note …) or of its `evidence`, compared without
/// case and without diacritics (`quyet dinh` finds `Quyết định`, `3269` finds `3269/QĐ-UBND`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    words: Vec<String>,
}

impl Search {
    /// Reads `q`: 1..=[`SEARCH_CHARS_MAX`] characters and 1..=[`SEARCH_WORDS_MAX`] words.
    pub fn parse(text: &str) -> Result<Search, Message> {
        let length = text.chars().count();
        if length > SEARCH_CHARS_MAX {
            return Err(Message::new(codes::SEARCH_TOO_LONG)
                .int("maximum", SEARCH_CHARS_MAX as i128)
                .int("length", length as i128));
        }
        let words: Vec<String> = fold(text).split_whitespace().map(str::to_owned).collect();
        if words.is_empty() {
            return Err(Message::new(codes::SEARCH_NO_WORD));
        }
        if words.len() > SEARCH_WORDS_MAX {
            return Err(Message::new(codes::SEARCH_TOO_MANY_WORDS)
                .int("maximum", SEARCH_WORDS_MAX as i128)
                .int("words", words.len() as i128));
        }
        Ok(Search { words })
    }

    /// Whether every word occurs in one of the event's texts.
    pub fn matches(&self, event: &StoredEvent) -> bool {
        let mut texts = Vec::new();
        collect_texts(&event.data, &mut texts);
        if let Some(evidence) = &event.evidence {
            collect_texts(evidence, &mut texts);
        }
        self.words
            .iter()
            .all(|word| texts.iter().any(|text| text.contains(word.as_str())))
    }
}

/// Every string within `value`, folded.
fn collect_texts(value: &serde_json::Value, texts: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => texts.push(fold(text)),
        serde_json::Value::Array(items) => items.iter().for_each(|item| collect_texts(item, texts)),
        serde_json::Value::Object(map) => map.values().for_each(|item| collect_texts(item, texts)),
        _ => {}
    }
}

/// Text as a search compares it: lower case, Vietnamese diacritics dropped (`Quyết định` →
/// `quyet dinh`), `đ` read as `d`.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'đ' { 'd' } else { c })
        .collect()
}

/// The time conditions on the table `events` named `e`, with the placeholders each back end
/// writes (`?3` / `$3`) for the `as_of` date and the `known_at` instant (both as their stored
/// text, which sorts as they do). `json_occurred_on` reads a correction's `data.occurred_on`
/// from its text, in the back end's dialect.
pub(crate) fn time_conditions(
    scope: &EventScope,
    as_of: &str,
    known_at: &str,
    json_occurred_on: fn(&str) -> String,
) -> String {
    let mut conditions = String::new();
    if scope.known_at.is_some() {
        conditions.push_str(&format!(" AND e.recorded_at <= {known_at}"));
    }
    if scope.as_of.is_some() {
        let known = if scope.known_at.is_some() {
            format!(" AND c.recorded_at <= {known_at}")
        } else {
            String::new()
        };
        // The date an event of the table `x` took effect, as known at `known_at`.
        let effective = |x: &str| {
            format!(
                "COALESCE((SELECT {moved} FROM events c WHERE c.target = {x}.id \
                 AND c.type = 'event.corrected' AND {moved} IS NOT NULL{known} \
                 ORDER BY c.seq DESC LIMIT 1), {x}.occurred_on)",
                moved = json_occurred_on("c"),
            )
        };
        conditions.push_str(&format!(
            " AND (CASE WHEN e.target IS NULL THEN {own} \
             ELSE (SELECT {target} FROM events t WHERE t.id = e.target) END) <= {as_of}",
            own = effective("e"),
            target = effective("t"),
        ));
    }
    conditions
}

/// The columns a row of the log is read from ([`EVENT_COLUMNS`]), each of the table `table`.
pub(crate) fn qualified_columns(table: &str) -> String {
    EVENT_COLUMNS
        .split(',')
        .map(|column| format!("{table}.{}", column.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The last `seq` a page after `after_seq` looks at.
pub(crate) fn window_end(after_seq: u64) -> u64 {
    after_seq.saturating_add(SCOPED_SCANNED_EVENTS_MAX)
}

/// How many rows SQL hands over for a page: the page itself, or for a search every row of its
/// window that the time conditions keep.
pub(crate) fn rows_to_read(scope: &EventScope, limit: u32) -> u64 {
    if scope.search.is_some() {
        SCOPED_SCANNED_EVENTS_MAX
    } else {
        u64::from(limit)
    }
}

/// Turns the rows SQL found in the window ending at `window_end` (in `seq` order) into a page:
/// those the search matches, up to `limit`. `more_beyond` tells whether the log goes on after
/// the window; it is asked only of a page that is not full.
pub(crate) fn page_of(
    rows: impl IntoIterator<Item = StoredEvent>,
    search: Option<&Search>,
    limit: u32,
    window_end: u64,
    more_beyond: impl FnOnce() -> Result<bool, StoreError>,
) -> Result<ScopedPage, StoreError> {
    let mut events = Vec::new();
    for event in rows {
        if search.is_none_or(|search| search.matches(&event)) {
            events.push(event);
            if events.len() == limit as usize {
                let next_after = events.last().map(|event| event.seq);
                return Ok(ScopedPage { events, next_after });
            }
        }
    }
    let next_after = more_beyond()?.then_some(window_end);
    Ok(ScopedPage { events, next_after })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_drops_case_and_vietnamese_diacritics() {
        assert_eq!(fold("Quyết định"), "quyet dinh");
        assert_eq!(fold("3269/QĐ-UBND"), "3269/qd-ubnd");
        assert_eq!(
            fold("ĐỒNG NAI Sản xuất sạch hơn"),
            "dong nai san xuat sach hon"
        );
        // Precomposed and decomposed input fold alike.
        assert_eq!(fold("Quy\u{0065}\u{0302}\u{0301}t"), fold("Quyết"));
    }

    #[test]
    fn a_search_needs_words_and_has_limits() {
        assert!(Search::parse("  ").is_err());
        assert!(Search::parse(&"a ".repeat(SEARCH_WORDS_MAX)).is_ok());
        assert!(Search::parse(&"a ".repeat(SEARCH_WORDS_MAX + 1)).is_err());
        assert!(Search::parse(&"x".repeat(SEARCH_CHARS_MAX)).is_ok());
        assert!(Search::parse(&"x".repeat(SEARCH_CHARS_MAX + 1)).is_err());
    }
}
