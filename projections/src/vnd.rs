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

#[cfg(test)]
mod tests {
    use super::*;
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
