//! Vietnamese letters written with combining marks, composed into precomposed letters.

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

pub(super) fn is_combining_mark(character: char) -> bool {
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
pub(super) fn compose_vietnamese_letters(lowercase_text: &str) -> Option<String> {
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
