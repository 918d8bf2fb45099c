//! Reading an amount in words: [`read_words`].
//!
//! Reading is lenient about spelling variants and strict about structure: an
//! amount that could mean two different numbers is refused (`None`) rather
//! than guessed, since a wrong amount is worse than an unread one.
//!
//! Accepted variants, all case-insensitive:
//!
//! * `nghìn` / `ngàn`; `tỷ` / `tỉ`; `bảy` / `bẩy`;
//! * `linh` / `lẻ` for a zero tens digit, after a hundreds digit or right
//!   after a unit word (`một trăm lẻ năm` = 105, `hai nghìn lẻ năm` = 2005),
//!   with `bốn` or `tư` after it (`một trăm linh tư` = 104);
//! * after `mười`: any digit 1 to 9, `tư` for 4 and `lăm` / `nhăm` for 5;
//! * after `X mươi` (X = 2..9): any digit 1 to 9 as well as `mốt` (1), `tư`
//!   (4) and `lăm` / `nhăm` (5); `mười` misspelt for `mươi` after a digit
//!   (`hai mười`) is read as `mươi`;
//! * colloquial tens without `mươi` when the unit word can only follow tens:
//!   `hai mốt` = 21, `ba tư` = 34, `hai lăm` / `hai nhăm` = 25;
//! * `không trăm` for a zero hundreds digit anywhere (it is optional after a
//!   higher group: `hai nghìn hai mươi tư` = 2024, `hai nghìn lẻ năm` = 2005);
//! * a trailing `đồng`, `đ`, `vnđ` or `vnd`, optionally followed by `chẵn`
//!   (or `chẵn` alone);
//! * commas, full stops and any other punctuation or symbols between words,
//!   and any amount of white space;
//! * precomposed (NFC) letters, decomposed (NFD) letters and any mixture,
//!   with the combining marks in any order (normalised by hand below);
//! * amounts of a thousand tỷ or more in the form [`spell`](super::spell) writes them: the
//!   count of tỷ first, as a whole number (`một nghìn năm trăm tỷ`,
//!   `một tỷ tỷ`).
//!
//! Refused (`None`): empty input or one with only `đồng`; unknown words or
//! digits; any word out of place (`một một`, `một triệu triệu`, `một nghìn
//! triệu`, `đồng` in the middle); a zero group with a unit word (`không
//! nghìn`, `không trăm`); `mốt` after `mười`; amounts above `u64::MAX`; and
//! the ambiguous colloquial shortenings: a bare unit digit right after `trăm`
//! (`một trăm năm`: 105 or 150?), or a bare unit digit right after a unit
//! word with no unit word of its own (`một triệu hai`: 1 000 002 or
//! 1 200 000?; `một tỷ năm`; `hai tỷ một tỷ`). A bare digit followed by its
//! own unit word is fine (`hai triệu năm nghìn` = 2 005 000). The term-by-term
//! form of large amounts (`một nghìn tỷ năm trăm tỷ`) is refused: after the
//! first `tỷ` it would have to be read as a count of tỷ, which overflows.

use super::letters::compose_vietnamese_letters;
use super::spelling::{BILLION, MILLION, THOUSAND};

/// Reads Vietnamese number words back to an amount of đồng, accepting the
/// common variants listed in the module documentation. Returns `None` for
/// anything that is not a well-formed, unambiguous amount that fits a `u64`.
pub fn read_words(text: &str) -> Option<u64> {
    // Lowercase first: it leaves combining marks alone, so the composition
    // table only needs lowercase letters.
    let normalised = compose_vietnamese_letters(&text.to_lowercase())?;
    let mut words = Vec::new();
    for piece in normalised.split(|character: char| !character.is_alphanumeric()) {
        if piece.is_empty() {
            continue;
        }
        words.push(classify_word(piece)?);
    }
    if words.last() == Some(&NumberWord::Even) {
        words.pop();
    }
    if words.last() == Some(&NumberWord::Currency) {
        words.pop();
    }
    if words == [NumberWord::Digit(0)] {
        return Some(0);
    }
    read_number(&words)
}

/// One recognised word, with its spelling variants already merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum NumberWord {
    /// `không` to `chín`, and `bẩy`.
    Digit(u64),
    /// `mốt`: 1 after tens of 2 or more.
    UnitOne,
    /// `tư`: 4 after tens or `linh`.
    UnitFour,
    /// `lăm`, `nhăm`: 5 after tens.
    UnitFive,
    /// `mười`: ten, or a misspelt `mươi` after a digit.
    Ten,
    /// `mươi`: marks the word before it as a tens digit.
    TensMarker,
    /// `trăm`.
    Hundred,
    /// `linh`, `lẻ`: the tens digit is zero.
    ZeroTens,
    /// `nghìn`, `ngàn`.
    Thousand,
    /// `triệu`.
    Million,
    /// `tỷ`, `tỉ`.
    Billion,
    /// `đồng`, `đ`, `vnđ`, `vnd`.
    Currency,
    /// `chẵn`: "exactly", after the currency.
    Even,
}

fn classify_word(word: &str) -> Option<NumberWord> {
    use NumberWord::*;
    let classified = match word {
        "không" => Digit(0),
        "một" => Digit(1),
        "hai" => Digit(2),
        "ba" => Digit(3),
        "bốn" => Digit(4),
        "năm" => Digit(5),
        "sáu" => Digit(6),
        "bảy" | "bẩy" => Digit(7),
        "tám" => Digit(8),
        "chín" => Digit(9),
        "mốt" => UnitOne,
        "tư" => UnitFour,
        "lăm" | "nhăm" => UnitFive,
        "mười" => Ten,
        "mươi" => TensMarker,
        "trăm" => Hundred,
        "linh" | "lẻ" => ZeroTens,
        "nghìn" | "ngàn" => Thousand,
        "triệu" => Million,
        "tỷ" | "tỉ" => Billion,
        "đồng" | "đ" | "vnđ" | "vnd" => Currency,
        "chẵn" => Even,
        _ => return None,
    };
    Some(classified)
}

/// Reads a whole non-zero amount. The words are cut at every `tỷ`: the first
/// piece is the leading count, and each `tỷ` multiplies everything read so
/// far by 10⁹ before the next piece (below a tỷ) is added. This is the
/// inverse of `spelling::push_number_words` and needs no recursion, so a long run of
/// `tỷ` cannot exhaust the stack.
fn read_number(words: &[NumberWord]) -> Option<u64> {
    let mut pieces = words.split(|word| *word == NumberWord::Billion);
    let leading_piece = pieces.next()?;
    if leading_piece.is_empty() {
        return None;
    }
    let mut total = read_below_billion(leading_piece, false)?;
    for piece in pieces {
        // An empty piece is a repeated `tỷ` (`một tỷ tỷ`) or a trailing one.
        let below_billion = if piece.is_empty() {
            0
        } else {
            read_below_billion(piece, true)?
        };
        total = total.checked_mul(BILLION)?.checked_add(below_billion)?;
    }
    Some(total)
}

/// Reads a non-empty run of groups below a tỷ: groups followed by `triệu`,
/// `nghìn` or nothing, in strictly decreasing order. `follows_unit_word` says
/// whether the run comes right after a `tỷ`.
fn read_below_billion(words: &[NumberWord], mut follows_unit_word: bool) -> Option<u64> {
    let mut position = 0;
    let mut total = 0;
    let mut previous_scale = BILLION;
    while position < words.len() {
        let group = read_group(words, &mut position, follows_unit_word)?;
        let scale = match words.get(position) {
            None => 1,
            Some(NumberWord::Million) => MILLION,
            Some(NumberWord::Thousand) => THOUSAND,
            Some(_) => return None,
        };
        if scale > 1 {
            position += 1;
        }
        if scale >= previous_scale {
            return None;
        }
        // "một triệu hai" is colloquial for 1 200 000 as often as it is
        // 1 000 002: refuse rather than guess.
        if group.is_bare_unit && follows_unit_word && scale == 1 {
            return None;
        }
        total += group.value * scale;
        previous_scale = scale;
        follows_unit_word = true;
    }
    Some(total)
}

/// One group of three digits as read.
struct Group {
    value: u64,
    /// The group was a single unit digit with no hundreds or tens words.
    is_bare_unit: bool,
}

/// Reads one non-zero group starting at `position` and moves past it.
/// `follows_unit_word` allows `linh` without hundreds (`hai nghìn lẻ năm`).
fn read_group(
    words: &[NumberWord],
    position: &mut usize,
    follows_unit_word: bool,
) -> Option<Group> {
    use NumberWord::*;
    let word_at = |index: usize| words.get(index).copied();
    let mut value = 0;
    let mut has_hundreds = false;
    let mut is_bare_unit = false;
    if let (Some(Digit(hundreds)), Some(Hundred)) = (word_at(*position), word_at(*position + 1)) {
        value = hundreds * 100;
        has_hundreds = true;
        *position += 2;
    }
    match (word_at(*position), word_at(*position + 1)) {
        (Some(ZeroTens), Some(unit)) if has_hundreds || follows_unit_word => {
            value += unit_after_zero_tens(unit)?;
            *position += 2;
        }
        (Some(Ten), _) => {
            value += 10;
            *position += 1;
            if let Some(units) = word_at(*position).and_then(unit_after_ten) {
                value += units;
                *position += 1;
            }
        }
        (Some(Digit(tens @ 2..=9)), Some(TensMarker | Ten)) => {
            value += tens * 10;
            *position += 2;
            if let Some(units) = word_at(*position).and_then(unit_after_higher_tens) {
                value += units;
                *position += 1;
            }
        }
        // Colloquial "hai mốt", "ba tư", "hai lăm": these unit words only ever
        // follow tens, so the missing "mươi" is unambiguous.
        (Some(Digit(tens @ 2..=9)), Some(unit @ (UnitOne | UnitFour | UnitFive))) => {
            value += tens * 10 + unit_after_higher_tens(unit)?;
            *position += 2;
        }
        // "một trăm năm" is 105 to some readers and 150 to others.
        (Some(Digit(_)), _) if has_hundreds => return None,
        (Some(Digit(units @ 1..=9)), _) => {
            value += units;
            is_bare_unit = true;
            *position += 1;
        }
        _ if has_hundreds => {}
        _ => return None,
    }
    // "không trăm" alone carries no value and would hide a misplaced word.
    if value == 0 {
        return None;
    }
    Some(Group {
        value,
        is_bare_unit,
    })
}

/// A unit after `linh` / `lẻ`.
fn unit_after_zero_tens(word: NumberWord) -> Option<u64> {
    match word {
        NumberWord::Digit(units @ 1..=9) => Some(units),
        NumberWord::UnitFour => Some(4),
        _ => None,
    }
}

/// A unit after `mười`; `mốt` is not used there (11 is `mười một`).
fn unit_after_ten(word: NumberWord) -> Option<u64> {
    match word {
        NumberWord::Digit(units @ 1..=9) => Some(units),
        NumberWord::UnitFour => Some(4),
        NumberWord::UnitFive => Some(5),
        _ => None,
    }
}

/// A unit after tens of 2 to 9.
fn unit_after_higher_tens(word: NumberWord) -> Option<u64> {
    match word {
        NumberWord::UnitOne => Some(1),
        other => unit_after_ten(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vnd::spell;
    use crate::vnd::writings::{
        amount_up_to_10_pow_15, amount_up_to_u64_max, variants, with_variants,
    };
    use proptest::prelude::*;

    #[test]
    fn read_words_reads_real_world_spellings_and_variants() {
        let cases: [(&str, u64); 49] = [
            ("Năm trăm hai mươi triệu đồng", 520_000_000),
            ("Chín mươi triệu đồng chẵn", 90_000_000),
            ("Bảy mươi chín triệu đồng", 79_000_000),
            ("hai mươi mốt nghìn", 21_000),
            ("một trăm lẻ năm", 105),
            ("một trăm linh năm", 105),
            ("một trăm linh tư", 104),
            ("mười lăm", 15),
            ("mười tư", 14),
            ("hai mươi nhăm", 25),
            ("hai mươi lăm", 25),
            ("hai mươi năm", 25),
            ("ba mươi tư", 34),
            ("ba mươi bốn", 34),
            ("hai mươi một", 21),
            ("hai mốt", 21),
            ("ba tư nghìn", 34_000),
            ("hai nhăm", 25),
            ("hai mười", 20),
            ("một tỉ", 1_000_000_000),
            ("Một nghìn tỷ đồng", 1_000_000_000_000),
            ("Một nghìn năm trăm tỷ đồng", 1_500_000_000_000),
            ("một triệu tỷ", 1_000_000_000_000_000),
            ("một tỷ tỷ", 1_000_000_000_000_000_000),
            ("mười tỷ tỷ", 10_000_000_000_000_000_000),
            (
                "Một tỷ, một trăm chín mươi tám triệu, không trăm tám mươi lăm ngàn đồng",
                1_198_085_000,
            ),
            ("MỘT TỶ HAI TRĂM BẢY MƯƠI SÁU TRIỆU ĐỒNG", 1_276_000_000),
            ("mỘt Tỷ HaI trĂm BảY mƯơI sÁu TrIệU đỒnG", 1_276_000_000),
            // Fully decomposed (NFD, canonical mark order).
            (
                "Mo\u{323}\u{302}t ty\u{309} hai tra\u{306}m ba\u{309}y mu\u{31B}o\u{31B}i \
                 sa\u{301}u trie\u{323}\u{302}u \u{111}o\u{302}\u{300}ng",
                1_276_000_000,
            ),
            // Decomposed capitals with the marks in the other order.
            ("MO\u{302}\u{323}T TRA\u{306}M", 100),
            // Precomposed circumflex with a combining tone (keyboard style).
            ("Mô\u{323}t nghi\u{300}n đô\u{300}ng", 1_000),
            ("Không đồng", 0),
            ("không", 0),
            ("Ba trăm triệu đồng chẵn", 300_000_000),
            ("Ba trăm triệu chẵn", 300_000_000),
            ("bẩy trăm nghìn đồng", 700_000),
            ("một triệu không trăm linh một nghìn đồng", 1_001_000),
            ("Mười hai triệu năm trăm nghìn đồng", 12_500_000),
            ("Một tỷ không trăm linh năm đồng", 1_000_000_005),
            ("  hai   mươi\tmốt  nghìn\n", 21_000),
            ("Hai nghìn không trăm hai mươi tư", 2_024),
            ("hai nghìn hai mươi tư", 2_024),
            ("hai nghìn lẻ năm", 2_005),
            ("một tỷ lẻ năm đồng", 1_000_000_005),
            ("hai triệu năm nghìn", 2_005_000),
            ("Mười bốn tỷ năm trăm triệu đồng.", 14_500_000_000),
            ("năm mươi triệu đ", 50_000_000),
            (
                "(Bốn trăm ba mươi lăm triệu, bảy trăm nghìn VNĐ)",
                435_700_000,
            ),
            ("Một trăm tám mươi mốt nghìn đồng chẵn./.", 181_000),
        ];
        for (text, expected) in cases {
            assert_eq!(read_words(text), Some(expected), "read_words({text:?})");
        }
    }

    #[test]
    fn read_words_refuses_garbage_and_ambiguity() {
        let refused = [
            "",
            "   ",
            "abc",
            "một một",
            "đồng",
            "đồng chẵn",
            "chẵn",
            "tỷ",
            "triệu",
            "trăm",
            "một triệu triệu",
            "một nghìn triệu",
            "hai tỷ một tỷ",
            "không nghìn",
            "không trăm",
            "linh năm",
            "mười mốt",
            "một mươi",
            "hai mươi mươi",
            "2 triệu",
            "một trăm đồng đồng",
            "đồng một trăm",
            "một trăm năm",
            "một triệu hai",
            "một tỷ năm",
            "một nghìn tỷ năm trăm tỷ",
            "hai mươi tỷ tỷ",
            "một tỷ tỷ tỷ",
            "mười tám tỷ tỷ năm trăm triệu tỷ",
            "mo\u{301}\u{301}t",
            // Two tones on one letter: each alone would make a number word.
            "hai mươi mô\u{301}\u{323}t",
            "x\u{302}",
            "\u{301}một",
        ];
        for text in refused {
            assert_eq!(read_words(text), None, "read_words({text:?})");
        }
    }

    #[test]
    fn read_words_reads_the_largest_amount_and_refuses_one_more() {
        assert_eq!(read_words(&spell(u64::MAX)), Some(u64::MAX));
        let one_more = spell(u64::MAX).replace("mười lăm đồng", "mười sáu đồng");
        assert_eq!(read_words(&one_more), None);
    }

    proptest! {
        #[test]
        fn spelling_reads_back_up_to_10_pow_15(amount in amount_up_to_10_pow_15()) {
            prop_assert_eq!(read_words(&spell(amount)), Some(amount));
        }

        #[test]
        fn spelling_reads_back_over_the_whole_u64_range(amount in amount_up_to_u64_max()) {
            prop_assert_eq!(read_words(&spell(amount)), Some(amount));
        }

        #[test]
        fn spelling_with_variants_reads_back(
            amount in prop_oneof![amount_up_to_10_pow_15(), amount_up_to_u64_max()],
            variants in variants(),
        ) {
            let text = with_variants(&spell(amount), variants);
            prop_assert_eq!(read_words(&text), Some(amount), "{}", text);
        }
    }
}
