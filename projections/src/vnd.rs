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
//! # Spelling: [`spell`]
//!
//! The output is one canonical spelling; reading ([`read_words`]) accepts it
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
//!
//! # Reading: [`read_words`]
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
//! * amounts of a thousand tỷ or more in the form [`spell`] writes them: the
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

const THOUSAND: u64 = 1_000;
const MILLION: u64 = 1_000_000;
const BILLION: u64 = 1_000_000_000;

/// The canonical words for the digits 0 to 9.
const DIGIT_WORDS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

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
/// inverse of [`push_number_words`] and needs no recursion, so a long run of
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

/// The twelve lowercase Vietnamese vowel letters: the base letter, the
/// combining mark that makes it from the base (breve, circumflex, horn) if
/// any, and its six forms in tone order: none, grave (huyền), acute (sắc),
/// hook above (hỏi), tilde (ngã), dot below (nặng).
const VOWEL_LETTERS: [(char, Option<char>, &str); 12] = [
    ('a', None, "aàáảãạ"),
    ('a', Some(BREVE), "ăằắẳẵặ"),
    ('a', Some(CIRCUMFLEX), "âầấẩẫậ"),
    ('e', None, "eèéẻẽẹ"),
    ('e', Some(CIRCUMFLEX), "êềếểễệ"),
    ('i', None, "iìíỉĩị"),
    ('o', None, "oòóỏõọ"),
    ('o', Some(CIRCUMFLEX), "ôồốổỗộ"),
    ('o', Some(HORN), "ơờớởỡợ"),
    ('u', None, "uùúủũụ"),
    ('u', Some(HORN), "ưừứửữự"),
    ('y', None, "yỳýỷỹỵ"),
];

const BREVE: char = '\u{306}';
const CIRCUMFLEX: char = '\u{302}';
const HORN: char = '\u{31B}';

/// The tone index (1 to 5, as in [`VOWEL_LETTERS`]) of a combining tone mark.
fn tone_of_mark(mark: char) -> Option<usize> {
    match mark {
        // U+0340 and U+0341 are deprecated twins of the grave and acute.
        '\u{300}' | '\u{340}' => Some(1),
        '\u{301}' | '\u{341}' => Some(2),
        '\u{309}' => Some(3),
        '\u{303}' => Some(4),
        '\u{323}' => Some(5),
        _ => None,
    }
}

fn is_combining_mark(character: char) -> bool {
    matches!(
        character,
        '\u{300}'..='\u{36F}'
            | '\u{1AB0}'..='\u{1AFF}'
            | '\u{1DC0}'..='\u{1DFF}'
            | '\u{20D0}'..='\u{20FF}'
            | '\u{FE20}'..='\u{FE2F}'
    )
}

/// Composes decomposed Vietnamese letters (NFD, or any mixture of
/// precomposed letters and combining marks in any order) into precomposed
/// ones, so that word lookup sees a single spelling. Returns `None` for a
/// mark that cannot apply (a second tone, a mark on a consonant): no number
/// word has one.
fn compose_vietnamese_letters(lowercase_text: &str) -> Option<String> {
    let mut composed = String::with_capacity(lowercase_text.len());
    for character in lowercase_text.chars() {
        if is_combining_mark(character) {
            let letter = composed.pop()?;
            composed.push(apply_mark(letter, character)?);
        } else {
            composed.push(character);
        }
    }
    Some(composed)
}

/// Applies one combining mark to a (possibly already marked) vowel letter.
fn apply_mark(letter: char, mark: char) -> Option<char> {
    let (row, tone) = VOWEL_LETTERS
        .iter()
        .enumerate()
        .find_map(|(row, (_, _, forms))| {
            Some((row, forms.chars().position(|form| form == letter)?))
        })?;
    let (base, modifier, _) = VOWEL_LETTERS[row];
    if let Some(new_tone) = tone_of_mark(mark) {
        if tone != 0 {
            return None;
        }
        return letter_form(row, new_tone);
    }
    if modifier.is_some() {
        return None;
    }
    let modified_row = VOWEL_LETTERS
        .iter()
        .position(|(other_base, other_modifier, _)| {
            *other_base == base && *other_modifier == Some(mark)
        })?;
    letter_form(modified_row, tone)
}

fn letter_form(row: usize, tone: usize) -> Option<char> {
    VOWEL_LETTERS[row].2.chars().nth(tone)
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

    /// Decomposes the precomposed letters used in number words, written out
    /// by hand so the NFD tests do not lean on the module's own table.
    fn decompose(text: &str) -> String {
        let mut decomposed = String::new();
        for character in text.chars() {
            let replacement = match character {
                'ô' => "o\u{302}",
                'ộ' => "o\u{323}\u{302}",
                'ố' => "o\u{302}\u{301}",
                'ồ' => "o\u{302}\u{300}",
                'ă' => "a\u{306}",
                'á' => "a\u{301}",
                'ả' => "a\u{309}",
                'à' => "a\u{300}",
                'ẵ' => "a\u{306}\u{303}",
                'ẩ' => "a\u{302}\u{309}",
                'í' => "i\u{301}",
                'ì' => "i\u{300}",
                'ỉ' => "i\u{309}",
                'ư' => "u\u{31B}",
                'ơ' => "o\u{31B}",
                'ờ' => "o\u{31B}\u{300}",
                'ẻ' => "e\u{309}",
                'ệ' => "e\u{323}\u{302}",
                'ỷ' => "y\u{309}",
                other => {
                    decomposed.push(other);
                    continue;
                }
            };
            decomposed.push_str(replacement);
        }
        decomposed
    }

    /// Which accepted variants to swap into a canonical spelling.
    #[derive(Clone, Copy, Debug)]
    struct Variants {
        ngan: bool,
        ti: bool,
        le: bool,
        nham: bool,
        tu: bool,
        commas: bool,
        even: bool,
        decomposed: bool,
        upper_case: bool,
    }

    fn with_variants(canonical: &str, variants: Variants) -> String {
        let mut pieces: Vec<&str> = Vec::new();
        let mut previous: Option<&str> = None;
        for word in canonical.split(' ') {
            let replaced = match word {
                "nghìn" if variants.ngan => "ngàn",
                "tỷ" if variants.ti => "tỉ",
                "linh" if variants.le => "lẻ",
                "lăm" if variants.nham => "nhăm",
                "bốn" if variants.tu && previous == Some("mươi") => "tư",
                other => other,
            };
            let separator =
                if variants.commas && matches!(previous, Some("triệu" | "nghìn" | "ngàn")) {
                    ", "
                } else {
                    "  "
                };
            if previous.is_some() {
                pieces.push(separator);
            }
            pieces.push(replaced);
            previous = Some(replaced);
        }
        let mut text = pieces.concat();
        if variants.even {
            text.push_str(" chẵn");
        }
        if variants.decomposed {
            text = decompose(&text.to_lowercase());
            assert!(
                text.chars().all(|character| character.is_ascii()
                    || character == 'đ'
                    || is_combining_mark(character)),
                "not fully decomposed: {text:?}"
            );
        }
        if variants.upper_case {
            text = text.to_uppercase();
        }
        text
    }

    fn variants() -> impl Strategy<Value = Variants> {
        prop::array::uniform9(any::<bool>()).prop_map(|flags| Variants {
            ngan: flags[0],
            ti: flags[1],
            le: flags[2],
            nham: flags[3],
            tu: flags[4],
            commas: flags[5],
            even: flags[6],
            decomposed: flags[7],
            upper_case: flags[8],
        })
    }

    /// A group of three digits, biased to zero and to the digits whose words
    /// change with position (1, 4, 5, 10, 15, 21, 105, …).
    fn group_of_three_digits() -> impl Strategy<Value = u64> {
        prop_oneof![
            3 => Just(0u64),
            1 => 1u64..10,
            1 => prop::sample::select(vec![
                1u64, 4, 5, 10, 11, 14, 15, 20, 21, 24, 25, 100, 101, 104, 105, 110, 111, 114,
                115, 121, 124, 125, 500, 999,
            ]),
            2 => 0u64..1000,
        ]
    }

    /// Amounts with `group_count` groups of three digits, many of them zero.
    fn amount_from_groups(group_count: usize) -> impl Strategy<Value = u64> {
        prop::collection::vec(group_of_three_digits(), group_count)
            .prop_map(|groups| groups.iter().fold(0, |total, group| total * 1000 + group))
    }

    /// Amounts up to 10^15: small, round (many zero groups) and anywhere.
    fn amount_up_to_10_pow_15() -> impl Strategy<Value = u64> {
        prop_oneof![
            0u64..1_000,
            0u64..1_000_000,
            amount_from_groups(5),
            0u64..=1_000_000_000_000_000,
        ]
    }

    /// Amounts over the whole `u64` range, including its top.
    fn amount_up_to_u64_max() -> impl Strategy<Value = u64> {
        prop_oneof![
            any::<u64>(),
            (0u64..=18, prop::collection::vec(group_of_three_digits(), 6)).prop_filter_map(
                "fits in u64",
                |(top_group, groups)| groups.iter().try_fold(top_group, |total, group| total
                    .checked_mul(1000)?
                    .checked_add(*group)),
            ),
            u64::MAX - 2_000..=u64::MAX,
        ]
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

        #[test]
        fn spelling_is_well_formed(amount in amount_up_to_u64_max()) {
            let spelled = spell(amount);
            prop_assert!(spelled.ends_with(" đồng"));
            prop_assert!(!spelled.contains("  "));
            prop_assert!(spelled.chars().next().is_some_and(char::is_uppercase));
            prop_assert_eq!(spelled.chars().filter(|character| character.is_uppercase()).count(), 1);
        }

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
