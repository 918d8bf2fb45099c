//! Vietnamese đồng: digit grouping for display, amounts spelled in words, and
//! spelled amounts read back to integers.
//!
//! Money is always an integer number of đồng; nothing here touches floats.
//!
//! # Display: [`format_dong`]
//!
//! Digits are grouped by three with a dot, a minus sign leads negative
//! amounts, and the amount ends with a space and the sign `₫`:
//! `1276000000` → `1.276.000.000 ₫`, `-77915000` → `-77.915.000 ₫`,
//! `0` → `0 ₫`. `i64::MIN` works because the magnitude is taken as a `u64`.
//!
//! # Typed amounts: [`read_amount`]
//!
//! What a clerk types into an amount field: plain digits (`587000000`), digits grouped by
//! three the Vietnamese way with dots or spaces (`587.000.000`, `587 000 000`), either
//! optionally followed by `₫` or `đồng`, or the amount in words
//! (`năm trăm tám mươi bảy triệu đồng`, read by [`read_words`]).
//!
//! # Layout
//!
//! Each module uses only modules listed before it.
//!
//! - `letters`: composes decomposed Vietnamese letters, so that the reader sees one
//!   spelling of each word.
//! - `spelling`: [`spell`], the one canonical spelling of an amount in words.
//! - `reading`: [`read_words`], which reads an amount in words back to an integer.
//! - Tests only: `writings`, every way of writing an amount that the reader accepts, for
//!   property tests; `reading_tests`, hand-checked examples and the properties.
//!
//! `docs/AMOUNTS_IN_WORDS.md` gives the grammar the reader accepts and the writer's
//! conventions.

mod letters;
mod reading;
#[cfg(test)]
mod reading_tests;
mod spelling;
#[cfg(test)]
pub(crate) mod writings;

pub use reading::read_words;
pub use spelling::spell;

/// Formats an amount of đồng with dots between groups of three digits and a
/// trailing ` ₫`: `-77915000` → `-77.915.000 ₫`.
pub fn format_dong(amount: i64) -> String {
    // `unsigned_abs` gives the magnitude of i64::MIN, which `abs` cannot.
    let digits = amount.unsigned_abs().to_string();
    let mut formatted = String::with_capacity(digits.len() + digits.len() / 3 + 6);
    if amount < 0 {
        formatted.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        let digits_left = digits.len() - index;
        if index > 0 && digits_left.is_multiple_of(3) {
            formatted.push('.');
        }
        formatted.push(digit);
    }
    formatted.push_str(" ₫");
    formatted
}

/// The separators a typed figure may group its digits with: a dot, a space, a no-break space
/// and a narrow no-break space (what word processors put in `587 000 000`).
const GROUP_SEPARATORS: [char; 4] = ['.', ' ', '\u{a0}', '\u{202f}'];

/// Reads an amount as a clerk types it (see the module documentation): plain or grouped
/// digits, or words. Returns `None` for anything else, for digits grouped unevenly
/// (`58.70.000`, which may be a slip of the finger) and for what does not fit a `u64`.
pub fn read_amount(text: &str) -> Option<u64> {
    let trimmed = text.trim();
    let figures = ["₫", "đồng", "đ", "VND"]
        .iter()
        .find_map(|sign| trimmed.strip_suffix(sign))
        .unwrap_or(trimmed)
        .trim_end();
    if figures.starts_with(|c: char| c.is_ascii_digit()) {
        return read_grouped_digits(figures);
    }
    read_words(trimmed)
}

/// `587000000`, `587.000.000`, `587 000 000`: one separator throughout, every group after
/// the first of exactly three digits.
fn read_grouped_digits(text: &str) -> Option<u64> {
    let separator = text.chars().find(|c| GROUP_SEPARATORS.contains(c));
    let mut groups = match separator {
        None => vec![text],
        Some(separator) => text.split(separator).collect(),
    };
    let first = groups.remove(0);
    let well_formed = (1..=3).contains(&first.len()) || (separator.is_none() && !first.is_empty());
    if !well_formed
        || !first.bytes().all(|b| b.is_ascii_digit())
        || groups
            .iter()
            .any(|group| group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let digits: String = std::iter::once(first).chain(groups).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_amounts_are_read_in_figures_grouped_or_not_and_in_words() {
        for typed in [
            "587000000",
            "587.000.000",
            "587 000 000",
            "587\u{a0}000\u{a0}000",
            " 587.000.000 ₫ ",
            "587.000.000 đồng",
            "năm trăm tám mươi bảy triệu đồng",
            "Năm trăm tám mươi bảy triệu",
        ] {
            assert_eq!(read_amount(typed), Some(587_000_000), "{typed:?}");
        }
        assert_eq!(read_amount("0"), Some(0));
        assert_eq!(read_amount("12.500"), Some(12_500));
    }

    #[test]
    fn typed_amounts_grouped_unevenly_or_mixed_are_refused() {
        for typed in [
            "",
            "58.70.000",
            "587.000 000",
            "5870.000",
            "12.5",
            "-3",
            "1e3",
            "587,000,000",
            ".587",
            "587.",
            "năm trăm x",
            "18446744073709551616",
        ] {
            assert_eq!(read_amount(typed), None, "{typed:?}");
        }
    }
    use proptest::prelude::*;

    #[test]
    fn format_dong_groups_digits_with_dots() {
        let cases: [(i64, &str); 12] = [
            (0, "0 ₫"),
            (7, "7 ₫"),
            (999, "999 ₫"),
            (1_000, "1.000 ₫"),
            (12_345, "12.345 ₫"),
            (123_456, "123.456 ₫"),
            (1_276_000_000, "1.276.000.000 ₫"),
            (-7, "-7 ₫"),
            (-1_000, "-1.000 ₫"),
            (-77_915_000, "-77.915.000 ₫"),
            (i64::MAX, "9.223.372.036.854.775.807 ₫"),
            (i64::MIN, "-9.223.372.036.854.775.808 ₫"),
        ];
        for (amount, expected) in cases {
            assert_eq!(format_dong(amount), expected, "format_dong({amount})");
        }
    }

    proptest! {
        #[test]
        fn format_dong_keeps_the_digits(amount in any::<i64>()) {
            let formatted = format_dong(amount);
            let digits: String = formatted
                .trim_end_matches(" ₫")
                .chars()
                .filter(|character| *character != '.')
                .collect();
            prop_assert_eq!(digits.parse::<i64>(), Ok(amount));
            for group in formatted.trim_end_matches(" ₫").trim_start_matches('-').split('.').skip(1) {
                prop_assert_eq!(group.len(), 3);
            }
        }
    }
}
