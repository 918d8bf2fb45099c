//! Reading an amount in words: [`read_words`].
//!
//! Reading is lenient about spelling variants and strict about structure: an
//! amount that could mean two different numbers is refused (`None`) rather
//! than guessed, since a wrong amount is worse than an unread one.
//! `docs/AMOUNTS_IN_WORDS.md` gives the grammar in full; in short:
//!
//! * **Groups** of one to three digits (`năm`, `hai mươi mốt`, `một trăm linh
//!   năm`, `không trăm mười`), each followed by `triệu`, `nghìn` or nothing, in
//!   decreasing order, make a number below a tỷ.
//! * **Beyond a tỷ** the count of tỷ comes first, in either scale system or a
//!   mixture of the two: as one number followed by `tỷ` (`ba nghìn năm trăm
//!   năm mươi chín tỷ`), or cut into parts each followed by its own `tỷ`, in
//!   decreasing order (`ba nghìn tỷ năm trăm năm mươi chín tỷ`, `chín triệu tỷ
//!   không trăm linh bảy nghìn tỷ`). From a tỷ tỷ (10¹⁸) up, the count is read
//!   as [`spell`](super::spell) writes it (`một tỷ tỷ`).
//! * **Spelling variants**, all case-insensitive: `nghìn`/`ngàn`, `tỷ`/`tỉ`,
//!   `bảy`/`bẩy`, `linh`/`lẻ`, `mốt`/`một` and `tư`/`bốn` after tens,
//!   `lăm`/`nhăm`/`năm` after tens, `mười` misspelt for `mươi` after a digit,
//!   colloquial tens without `mươi` (`hai mốt`, `ba tư`, `hai lăm`),
//!   `không trăm` left out after a higher group (`hai nghìn hai mươi tư`,
//!   `một nghìn lẻ mười`), a trailing `đồng`/`đ`/`vnđ`/`vnd` and `chẵn`,
//!   punctuation and white space anywhere between words, and decomposed (NFD)
//!   letters with their marks in any order.
//!
//! Refused: unknown words; a word or scale out of place (`một nghìn triệu`,
//! `hai tỷ ba nghìn tỷ`); two numbers run together (`một trăm hai trăm`,
//! `mười hai mươi`); a zero group with a unit word; amounts above `u64::MAX`;
//! and the colloquial shortenings that have two readings: a bare unit right
//! after `trăm` (`một trăm năm`: 105 or 150?) or right after a unit word with
//! none of its own (`một triệu hai`: 1 000 002 or 1 200 000?).

use super::letters::compose_vietnamese_letters;
use super::spelling::{BILLION, MILLION, THOUSAND};

/// The most words an amount is read from. No accepted text has more than 40, as many as
/// `spell(17 777 777 777 777 777 777)` followed by `chẵn`. A longer text is refused as soon as
/// its 65th word is seen, so its length cannot make reading slow.
pub(super) const WORDS_COUNT_MAX: usize = 64;

/// Reads Vietnamese number words back to an amount of đồng, accepting the
/// common variants listed in the module documentation. Returns `None` for
/// anything that is not a well-formed, unambiguous amount that fits a `u64`.
pub fn read_words(text: &str) -> Option<u64> {
    let mut words = number_words(text)?;
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

/// The words of `text`, each classified; `None` for an unknown word or for more than
/// [`WORDS_COUNT_MAX`] words. Anything that is not a letter or a digit separates words.
pub(super) fn number_words(text: &str) -> Option<Vec<NumberWord>> {
    // Lowercase first: it leaves combining marks alone, so the composition
    // table only needs lowercase letters.
    let normalised = compose_vietnamese_letters(&text.to_lowercase())?;
    let mut words = Vec::new();
    for piece in normalised.split(|character: char| !character.is_alphanumeric()) {
        if piece.is_empty() {
            continue;
        }
        if words.len() == WORDS_COUNT_MAX {
            return None;
        }
        words.push(classify_word(piece)?);
    }
    Some(words)
}

/// One recognised word, with its spelling variants already merged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NumberWord {
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

/// Reads a whole non-zero amount. The words are cut at every `tỷ`: what
/// follows the last `tỷ` is below a tỷ, and what comes before it is the count
/// of tỷ, read in one of two ways:
///
/// * as parts, each followed by its own `tỷ` ([`count_as_parts`]), which
///   covers both scale systems below a tỷ tỷ;
/// * as one number that itself holds `tỷ` ([`count_as_number`]), the way the
///   writer spells a count of a tỷ or more.
///
/// With more than one `tỷ`, the first reading needs a count below 10⁹ whose
/// first part is a thousand or more, and the second an amount of 10¹⁸ or more
/// whose leading piece is at most 18: no text has both readings within a
/// `u64`, and one that did would be refused rather than guessed. Nothing
/// here recurses, so a long run of `tỷ` cannot exhaust the stack.
fn read_number(words: &[NumberWord]) -> Option<u64> {
    let pieces: Vec<&[NumberWord]> = words.split(|word| *word == NumberWord::Billion).collect();
    let (below_billion_words, count_pieces) = pieces.split_last()?;
    let below_billion = if below_billion_words.is_empty() {
        0
    } else {
        let place = Place {
            after_billion: !count_pieces.is_empty(),
            before_billion: false,
        };
        read_below_billion(below_billion_words, place)?.value
    };
    if count_pieces.is_empty() {
        return (below_billion > 0).then_some(below_billion);
    }
    let amount_with_count = |count_of_billions: Option<u64>| {
        count_of_billions?
            .checked_mul(BILLION)?
            .checked_add(below_billion)
    };
    match (
        amount_with_count(count_as_parts(count_pieces)),
        amount_with_count(count_as_number(count_pieces)),
    ) {
        (Some(as_parts), Some(as_number)) if as_parts != as_number => None,
        (as_parts, as_number) => as_parts.or(as_number),
    }
}

/// Reads the count of tỷ as parts, each followed by its own `tỷ`, that add
/// up to the count. Each part ends above where the next one begins, so the
/// parts never overlap and the count stays below 10⁹. One part is the
/// tỷ-counted system (`ba nghìn năm trăm năm mươi chín tỷ`); a part per group
/// is the compound one (`ba nghìn tỷ năm trăm năm mươi chín tỷ`, where `nghìn
/// tỷ` is 10¹²); anything in between is a mixture (`chín triệu tỷ bảy nghìn
/// hai trăm tỷ`). Out of order or overlapping parts are refused: `năm trăm tỷ
/// ba nghìn tỷ`, `hai nghìn tỷ ba nghìn tỷ`, `ba nghìn năm trăm tỷ hai mươi
/// tỷ`.
fn count_as_parts(pieces: &[&[NumberWord]]) -> Option<u64> {
    let mut count = 0;
    let mut lowest_scale_so_far = BILLION;
    for (index, piece) in pieces.iter().enumerate() {
        if piece.is_empty() {
            return None;
        }
        let place = Place {
            after_billion: index > 0,
            before_billion: true,
        };
        let part = read_below_billion(piece, place)?;
        if part.highest_scale >= lowest_scale_so_far {
            return None;
        }
        count += part.value;
        lowest_scale_so_far = part.lowest_scale;
    }
    Some(count)
}

/// Reads the count of tỷ as one number that itself holds `tỷ`, the way
/// [`spell`](super::spell) writes a count of a tỷ or more: each `tỷ` inside
/// the count multiplies what was read so far by 10⁹ (`một tỷ tỷ` = 10¹⁸). A
/// piece between two `tỷ` is empty or begins with its hundreds digit, as the
/// writer spells it (`hai tỷ không trăm linh ba nghìn tỷ`); a shortened one
/// (`hai tỷ ba nghìn tỷ`) reads as scales out of order and is refused.
fn count_as_number(pieces: &[&[NumberWord]]) -> Option<u64> {
    let (leading_piece, later_pieces) = pieces.split_first()?;
    if leading_piece.is_empty() {
        return None;
    }
    let leading_place = Place {
        after_billion: false,
        before_billion: true,
    };
    let mut count = read_below_billion(leading_piece, leading_place)?.value;
    for piece in later_pieces {
        let below_billion = if piece.is_empty() {
            0
        } else {
            let place = Place {
                after_billion: true,
                before_billion: true,
            };
            let part = read_below_billion(piece, place)?;
            if !part.starts_with_hundreds {
                return None;
            }
            part.value
        };
        count = count.checked_mul(BILLION)?.checked_add(below_billion)?;
    }
    Some(count)
}

/// Where a run of groups below a tỷ stands: right after a `tỷ`, right before
/// one, or both.
#[derive(Clone, Copy, Debug)]
struct Place {
    after_billion: bool,
    before_billion: bool,
}

/// A run of groups below a tỷ as read: its value, the scales (1, 10³ or 10⁶)
/// of its first and last groups, and whether its first group said its
/// hundreds digit.
#[derive(Clone, Copy, Debug)]
struct Part {
    value: u64,
    highest_scale: u64,
    lowest_scale: u64,
    starts_with_hundreds: bool,
}

/// Reads a non-empty run of groups below a tỷ: groups followed by `triệu`,
/// `nghìn` or nothing, in strictly decreasing order.
fn read_below_billion(words: &[NumberWord], place: Place) -> Option<Part> {
    let mut position = 0;
    let mut value = 0;
    let mut previous_scale = BILLION;
    let mut highest_scale = 1;
    let mut starts_with_hundreds = false;
    let mut follows_unit_word = place.after_billion;
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
        let is_first_group = previous_scale == BILLION;
        // "một triệu hai" is colloquial for 1 200 000 as often as it is
        // 1 000 002, and "một tỷ năm" for 1 500 000 000: refuse rather than
        // guess. A bare digit that is the whole part between two `tỷ` has that
        // `tỷ` as its own unit word, like `năm` in `hai triệu năm nghìn`.
        let stands_alone_between_billions = is_first_group
            && place.after_billion
            && place.before_billion
            && position == words.len();
        if group.is_bare_unit && follows_unit_word && scale == 1 && !stands_alone_between_billions {
            return None;
        }
        if is_first_group {
            highest_scale = scale;
            starts_with_hundreds = group.has_hundreds;
        }
        value += group.value * scale;
        previous_scale = scale;
        follows_unit_word = true;
    }
    (value > 0).then_some(Part {
        value,
        highest_scale,
        lowest_scale: previous_scale,
        starts_with_hundreds,
    })
}

/// One group of three digits as read.
#[derive(Clone, Copy, Debug)]
struct Group {
    value: u64,
    /// The group said its hundreds digit, even `không trăm`.
    has_hundreds: bool,
    /// The group was a single unit digit with no hundreds or tens words.
    is_bare_unit: bool,
}

/// Reads one non-zero group starting at `position` and moves past it.
/// `follows_unit_word` allows `linh` without hundreds (`hai nghìn lẻ năm`,
/// `một nghìn lẻ mười`).
fn read_group(
    words: &[NumberWord],
    position: &mut usize,
    follows_unit_word: bool,
) -> Option<Group> {
    use NumberWord::*;
    let mut hundreds = None;
    if let (Some(Digit(digit)), Some(Hundred)) =
        (word_at(words, *position), word_at(words, *position + 1))
    {
        hundreds = Some(digit);
        *position += 2;
    }
    let (below_hundred, is_bare_unit) = match (hundreds, word_at(words, *position)) {
        // "một trăm linh năm": linh marks the empty tens place, so only a
        // unit may follow it ("một trăm linh mười" is refused).
        (Some(_), Some(ZeroTens)) => {
            let units = word_at(words, *position + 1).and_then(unit_after_zero_tens)?;
            *position += 2;
            (units, false)
        }
        // "hai nghìn lẻ năm", "một nghìn lẻ mười": after a unit word, linh
        // stands for a "không trăm" left out, and the tens and units follow as
        // they would after "không trăm".
        (None, Some(ZeroTens)) if follows_unit_word => {
            *position += 1;
            let below_hundred = if word_at(words, *position) == Some(UnitFour) {
                *position += 1;
                4
            } else {
                read_tens_and_units(words, position)?.value
            };
            (below_hundred, false)
        }
        _ => {
            let tens_and_units = read_tens_and_units(words, position)?;
            // "một trăm năm" is 105 to some readers and 150 to others.
            if hundreds.is_some() && tens_and_units.is_bare_unit {
                return None;
            }
            (tens_and_units.value, tens_and_units.is_bare_unit)
        }
    };
    let value = hundreds.unwrap_or(0) * 100 + below_hundred;
    // "không trăm" alone carries no value and would hide a misplaced word.
    if value == 0 {
        return None;
    }
    Some(Group {
        value,
        has_hundreds: hundreds.is_some(),
        is_bare_unit,
    })
}

/// The tens and units of a group (0 to 99) as read.
#[derive(Clone, Copy, Debug)]
struct TensAndUnits {
    value: u64,
    /// A single unit digit with no tens word.
    is_bare_unit: bool,
}

/// Reads the tens and units of a group starting at `position`, if any, and
/// moves past them. Reads nothing (a value of 0) when no tens or unit word
/// is there.
fn read_tens_and_units(words: &[NumberWord], position: &mut usize) -> Option<TensAndUnits> {
    use NumberWord::*;
    let mut is_bare_unit = false;
    let value = match (word_at(words, *position), word_at(words, *position + 1)) {
        (Some(Ten), _) => {
            *position += 1;
            let units = word_at(words, *position).and_then(unit_after_ten);
            if units.is_some() {
                *position += 1;
            }
            10 + units.unwrap_or(0)
        }
        (Some(Digit(tens @ 2..=9)), Some(TensMarker | Ten)) => {
            *position += 2;
            let units = word_at(words, *position).and_then(unit_after_higher_tens);
            if units.is_some() {
                *position += 1;
            }
            tens * 10 + units.unwrap_or(0)
        }
        // Colloquial "hai mốt", "ba tư", "hai lăm": these unit words only ever
        // follow tens, so the missing "mươi" is unambiguous.
        (Some(Digit(tens @ 2..=9)), Some(unit @ (UnitOne | UnitFour | UnitFive))) => {
            *position += 2;
            tens * 10 + unit_after_higher_tens(unit)?
        }
        (Some(Digit(units @ 1..=9)), _) => {
            *position += 1;
            is_bare_unit = true;
            units
        }
        _ => 0,
    };
    Some(TensAndUnits {
        value,
        is_bare_unit,
    })
}

fn word_at(words: &[NumberWord], index: usize) -> Option<NumberWord> {
    words.get(index).copied()
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
        let cases: [(&str, u64); 51] = [
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
            ("một nghìn tỷ năm trăm tỷ", 1_500_000_000_000),
            ("một nghìn lẻ mười", 1_010),
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
            "hai tỷ ba nghìn tỷ",
            "năm trăm tỷ ba nghìn tỷ",
            "một trăm lẻ mười",
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
