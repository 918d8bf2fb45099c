//! Spelling an amount in words: [`spell`].
//!
//! The output is one canonical spelling; reading ([`read_words`](super::read_words)) accepts it
//! and many variants. The rules chosen (standard modern usage, as in invoices
//! and budget documents):
//!
//! 1. **Groups.** The amount is cut into groups of three digits from the
//!    right. Below a tỷ (10⁹) the groups are followed by `triệu` (10⁶),
//!    `nghìn` (10³) or nothing.
//! 2. **Beyond a tỷ the count of tỷ is itself spelled as a number**, followed
//!    by `tỷ`: `n = q·10⁹ + r` is spelled `spell(q) tỷ spell(r)`. So 10¹² is
//!    `một nghìn tỷ`, 10¹⁵ `một triệu tỷ`, 10¹⁸ `một tỷ tỷ`, and
//!    1 500 000 000 000 is `một nghìn năm trăm tỷ`, the way it is said aloud.
//!    `u64::MAX` spells as `Mười tám tỷ bốn trăm bốn mươi sáu triệu bảy trăm
//!    bốn mươi bốn nghìn không trăm bảy mươi ba tỷ bảy trăm linh chín triệu
//!    năm trăm năm mươi mốt nghìn sáu trăm mười lăm đồng`.
//! 3. **Wholly zero groups are skipped**, and so is their unit word.
//! 4. **A group spoken after any higher non-zero group is spelled in full**:
//!    a zero hundreds digit is `không trăm`, and a zero tens digit before a
//!    non-zero unit is `linh`. This holds even when zero groups were skipped
//!    in between: 1 000 000 005 → `Một tỷ không trăm linh năm đồng`,
//!    1 198 085 000 → `Một tỷ một trăm chín mươi tám triệu không trăm tám
//!    mươi lăm nghìn đồng`. The leading group is spelled short (`năm`,
//!    `mười lăm`, `hai mươi mốt`), except that `linh` still follows a spoken
//!    hundreds digit: 105 → `một trăm linh năm`.
//! 5. **Tens**: 1 → `mười`; 2 to 9 → the digit and `mươi`.
//! 6. **Units after tens**: 1 after tens ≥ 2 is `mốt` (21 → `hai mươi mốt`,
//!    but 11 → `mười một`); 5 after any non-zero tens is `lăm` (15 → `mười
//!    lăm`, 25 → `hai mươi lăm`, but 105 → `một trăm linh năm`); 4 stays
//!    `bốn` (24 → `hai mươi bốn`).
//! 7. Digits: `không một hai ba bốn năm sáu bảy tám chín`; the words are
//!    joined by single spaces; the first letter is capitalised and the
//!    amount ends with `đồng`. Zero is `Không đồng`.

pub(super) const THOUSAND: u64 = 1_000;
pub(super) const MILLION: u64 = 1_000_000;
pub(super) const BILLION: u64 = 1_000_000_000;

/// The canonical words for the digits 0 to 9.
const DIGIT_WORDS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

/// Spells an amount of đồng in Vietnamese words, capitalised and ending in
/// `đồng`: `1276000000` → `Một tỷ hai trăm bảy mươi sáu triệu đồng`. See the
/// module documentation for the rules.
pub fn spell(amount: u64) -> String {
    let mut words = Vec::new();
    if amount == 0 {
        words.push(DIGIT_WORDS[0]);
    } else {
        push_number_words(amount, &mut words);
    }
    words.push("đồng");
    capitalise_first_letter(&words.join(" "))
}

/// Pushes the words of a non-zero number. Beyond a tỷ the count of tỷ is
/// spelled recursively, which is at most three levels deep for a `u64`.
fn push_number_words(number: u64, words: &mut Vec<&'static str>) {
    let count_of_billions = number / BILLION;
    if count_of_billions > 0 {
        push_number_words(count_of_billions, words);
        words.push("tỷ");
    }
    push_below_billion_words(number % BILLION, count_of_billions > 0, words);
}

/// Pushes the words of `number` (< 10⁹); `higher_group_spoken` says whether
/// a non-zero group was already spoken, which makes every group full-form.
fn push_below_billion_words(
    number: u64,
    mut higher_group_spoken: bool,
    words: &mut Vec<&'static str>,
) {
    for (scale, scale_word) in [
        (MILLION, Some("triệu")),
        (THOUSAND, Some("nghìn")),
        (1, None),
    ] {
        let group = number / scale % 1000;
        if group == 0 {
            continue;
        }
        push_group_words(group, higher_group_spoken, words);
        if let Some(scale_word) = scale_word {
            words.push(scale_word);
        }
        higher_group_spoken = true;
    }
}

/// Pushes the words of one non-zero group of three digits. A full-form group
/// always says its hundreds digit, even `không trăm`.
fn push_group_words(group: u64, full_form: bool, words: &mut Vec<&'static str>) {
    let hundreds = group / 100;
    let tens = group / 10 % 10;
    let units = group % 10;
    let hundreds_spoken = full_form || hundreds > 0;
    if hundreds_spoken {
        words.push(digit_word(hundreds));
        words.push("trăm");
    }
    match tens {
        0 => {
            if units > 0 {
                // "linh" marks the empty tens place; without it "một trăm năm"
                // would be heard as 150.
                if hundreds_spoken {
                    words.push("linh");
                }
                words.push(digit_word(units));
            }
        }
        1 => {
            words.push("mười");
            if units > 0 {
                words.push(unit_word_after_tens(tens, units));
            }
        }
        _ => {
            words.push(digit_word(tens));
            words.push("mươi");
            if units > 0 {
                words.push(unit_word_after_tens(tens, units));
            }
        }
    }
}

/// The word for a unit digit that follows a non-zero tens digit.
fn unit_word_after_tens(tens: u64, units: u64) -> &'static str {
    match units {
        1 if tens >= 2 => "mốt",
        5 => "lăm",
        _ => digit_word(units),
    }
}

fn digit_word(digit: u64) -> &'static str {
    DIGIT_WORDS[digit as usize]
}

fn capitalise_first_letter(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vnd::writings::amount_up_to_u64_max;
    use proptest::prelude::*;

    #[test]
    fn spell_gives_exact_canonical_strings() {
        let cases: [(u64, &str); 24] = [
            (0, "Không đồng"),
            (5, "Năm đồng"),
            (10, "Mười đồng"),
            (11, "Mười một đồng"),
            (15, "Mười lăm đồng"),
            (21, "Hai mươi mốt đồng"),
            (24, "Hai mươi bốn đồng"),
            (105, "Một trăm linh năm đồng"),
            (110, "Một trăm mười đồng"),
            (1_005, "Một nghìn không trăm linh năm đồng"),
            (1_000_000, "Một triệu đồng"),
            (2_000_021, "Hai triệu không trăm hai mươi mốt đồng"),
            (
                77_915_000,
                "Bảy mươi bảy triệu chín trăm mười lăm nghìn đồng",
            ),
            (1_276_000_000, "Một tỷ hai trăm bảy mươi sáu triệu đồng"),
            (
                1_198_085_000,
                "Một tỷ một trăm chín mươi tám triệu không trăm tám mươi lăm nghìn đồng",
            ),
            (1_000_000_005, "Một tỷ không trăm linh năm đồng"),
            (1_000_000_000_000, "Một nghìn tỷ đồng"),
            (1_500_000_000_000, "Một nghìn năm trăm tỷ đồng"),
            (1_001_000_000_000, "Một nghìn không trăm linh một tỷ đồng"),
            (1_000_000_000_000_000, "Một triệu tỷ đồng"),
            (1_000_000_000_000_000_000, "Một tỷ tỷ đồng"),
            (
                1_000_000_001_000_000_000,
                "Một tỷ không trăm linh một tỷ đồng",
            ),
            (
                1_000_000_000_000_000_001,
                "Một tỷ tỷ không trăm linh một đồng",
            ),
            (
                u64::MAX,
                "Mười tám tỷ bốn trăm bốn mươi sáu triệu bảy trăm bốn mươi bốn nghìn \
                 không trăm bảy mươi ba tỷ bảy trăm linh chín triệu năm trăm năm mươi \
                 mốt nghìn sáu trăm mười lăm đồng",
            ),
        ];
        for (amount, expected) in cases {
            assert_eq!(spell(amount), expected, "spell({amount})");
        }
    }

    proptest! {
        #[test]
        fn spelling_is_well_formed(amount in amount_up_to_u64_max()) {
            let spelled = spell(amount);
            prop_assert!(spelled.ends_with(" đồng"));
            prop_assert!(!spelled.contains("  "));
            prop_assert!(spelled.chars().next().is_some_and(char::is_uppercase));
            prop_assert_eq!(spelled.chars().filter(|character| character.is_uppercase()).count(), 1);
        }
    }
}
