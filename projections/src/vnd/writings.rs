//! Test helpers: amounts to try, and the accepted variants of a canonical spelling.

use proptest::prelude::*;

use super::letters::is_combining_mark;

/// Decomposes the precomposed letters used in number words, written out
/// by hand so the NFD tests do not lean on the module's own table.
pub(super) fn decompose(text: &str) -> String {
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
pub(super) struct Variants {
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

pub(super) fn with_variants(canonical: &str, variants: Variants) -> String {
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
        let separator = if variants.commas && matches!(previous, Some("triệu" | "nghìn" | "ngàn"))
        {
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

pub(super) fn variants() -> impl Strategy<Value = Variants> {
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
pub(super) fn group_of_three_digits() -> impl Strategy<Value = u64> {
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
pub(super) fn amount_from_groups(group_count: usize) -> impl Strategy<Value = u64> {
    prop::collection::vec(group_of_three_digits(), group_count)
        .prop_map(|groups| groups.iter().fold(0, |total, group| total * 1000 + group))
}

/// Amounts up to 10^15: small, round (many zero groups) and anywhere.
pub(super) fn amount_up_to_10_pow_15() -> impl Strategy<Value = u64> {
    prop_oneof![
        0u64..1_000,
        0u64..1_000_000,
        amount_from_groups(5),
        0u64..=1_000_000_000_000_000,
    ]
}

/// Amounts over the whole `u64` range, including its top.
pub(super) fn amount_up_to_u64_max() -> impl Strategy<Value = u64> {
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
