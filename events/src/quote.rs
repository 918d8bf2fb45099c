//! Quoting what a request sent, in errors: cut short, so that no input, however long, is
//! echoed back whole. A leaf: every reader of requests uses it.

use std::borrow::Cow;

/// Most characters of a value or a name that an error quotes: a longer one is cut there and
/// marked `…`, so that no input, however long, is echoed back whole.
pub const QUOTED_CHARS_MAX: usize = 64;

/// `text` cut to its first [`QUOTED_CHARS_MAX`] characters, with `…` where it was cut.
pub fn cut(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(QUOTED_CHARS_MAX) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

/// `text` as an error message quotes it: in double quotes, escaped as Rust's `{:?}` does, cut
/// to [`QUOTED_CHARS_MAX`] characters and then followed by its whole length:
/// `"xxxx…" (65536 characters)`.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS_MAX) {
        None => format!("{text:?}"),
        Some((end, _)) => {
            let shown = format!("{:?}", &text[..end]);
            let unquoted = &shown[..shown.len() - 1];
            format!("{unquoted}…\" ({} characters)", text.chars().count())
        }
    }
}

/// Escapes one reference token of a JSON Pointer (RFC 6901), cut to [`QUOTED_CHARS_MAX`]
/// characters (then `…`): a pointer names a field the request sent, and a name of a megabyte
/// must not come back whole. A cut pointer no longer resolves, but shows which field it was.
pub fn pointer_token(token: &str) -> String {
    cut(token).replace('~', "~0").replace('/', "~1")
}
