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

/// The largest amount an event can carry, 2^53 − 1 đồng.
pub(crate) const AMOUNT_MAX_DONG: u64 = acta_events::types::JSON_SAFE_INTEGER_MAX;

/// Amounts in `1..=2^53 − 1`: anywhere, small, near the top, and round ones (many zero groups)
/// with the digits whose words change with position.
pub(crate) fn amount_up_to_2_pow_53() -> impl Strategy<Value = u64> {
    prop_oneof![
        1u64..=AMOUNT_MAX_DONG,
        1u64..1_000_000,
        AMOUNT_MAX_DONG - 2_000..=AMOUNT_MAX_DONG,
        (0u64..=9, prop::collection::vec(group_of_three_digits(), 5)).prop_filter_map(
            "in 1..=2^53 − 1",
            |(top_group, groups)| {
                let amount = groups
                    .iter()
                    .fold(top_group, |total, group| total * 1000 + group);
                (1..=AMOUNT_MAX_DONG).contains(&amount).then_some(amount)
            }
        ),
    ]
}

/// How the count of tỷ is written.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ScaleSystem {
    /// One number followed by `tỷ`: `ba nghìn năm trăm tỷ`.
    CountedInTy,
    /// Each group with its own scale: `ba nghìn tỷ năm trăm tỷ`.
    Compound,
    /// Cut anywhere between groups: `chín triệu tỷ bảy nghìn hai trăm tỷ`.
    Mixed,
}

/// How a group with a zero hundreds digit is written after a higher group.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ZeroHundreds {
    /// `không trăm linh năm`, `không trăm mười`.
    Said,
    /// `lẻ năm`, `lẻ mười`, or nothing: `mười`, `năm nghìn`.
    LeftOut,
    /// Either, group by group.
    Either,
}

/// One way of writing amounts: the scale system, `không trăm` or not, and every smaller
/// choice (each variant word, separators, ending, case, decomposed letters) drawn from bytes.
#[derive(Clone, Debug)]
pub(crate) struct Writing {
    pub(crate) scale_system: ScaleSystem,
    pub(crate) zero_hundreds: ZeroHundreds,
    choices: Vec<u8>,
    next_choice: usize,
}

pub(crate) fn writing() -> impl Strategy<Value = Writing> {
    (
        prop_oneof![
            Just(ScaleSystem::CountedInTy),
            Just(ScaleSystem::Compound),
            Just(ScaleSystem::Mixed),
        ],
        prop_oneof![
            Just(ZeroHundreds::Said),
            Just(ZeroHundreds::LeftOut),
            Just(ZeroHundreds::Either),
        ],
        prop::collection::vec(any::<u8>(), 1..96),
    )
        .prop_map(|(scale_system, zero_hundreds, choices)| {
            Writing::new(scale_system, zero_hundreds, choices)
        })
}

/// A word written, and the digit it stands for if it is a digit word (`không` to `chín`,
/// `bẩy`, `mốt`, `tư`, `lăm`, `nhăm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WrittenWord {
    pub(crate) text: &'static str,
    pub(crate) digit: Option<u64>,
}

pub(crate) const DIGIT_WORDS: [&str; 10] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín",
];

impl Writing {
    pub(crate) fn new(
        scale_system: ScaleSystem,
        zero_hundreds: ZeroHundreds,
        choices: Vec<u8>,
    ) -> Writing {
        assert!(!choices.is_empty());
        Writing {
            scale_system,
            zero_hundreds,
            choices,
            next_choice: 0,
        }
    }

    /// One of `count` options.
    fn pick(&mut self, count: usize) -> usize {
        let byte = self.choices[self.next_choice % self.choices.len()];
        self.next_choice += 1;
        usize::from(byte) % count
    }

    fn pick_word(&mut self, options: &[&'static str]) -> &'static str {
        options[self.pick(options.len())]
    }

    /// Writes `amount` (1 to 10¹⁸ − 1) as words, one of the ways the reader accepts.
    pub(crate) fn words(&mut self, amount: u64) -> Vec<WrittenWord> {
        assert!((1..1_000_000_000_000_000_000).contains(&amount), "{amount}");
        let mut words = Vec::new();
        let groups_of = |number: u64| [number / 1_000_000, number / 1_000 % 1_000, number % 1_000];
        let count_groups = groups_of(amount / 1_000_000_000);
        let below_groups = groups_of(amount % 1_000_000_000);
        let mut higher_group_spoken = false;
        let count_places: Vec<usize> = (0..3).filter(|place| count_groups[*place] > 0).collect();
        let mut part_started = true;
        for (index, &place) in count_places.iter().enumerate() {
            let ends_part = index + 1 == count_places.len()
                || match self.scale_system {
                    ScaleSystem::CountedInTy => false,
                    ScaleSystem::Compound => true,
                    ScaleSystem::Mixed => self.pick(2) == 0,
                };
            // A bare unit needs a unit word of its own: its scale, or a tỷ when it is a whole
            // part after another tỷ (`một nghìn tỷ năm tỷ`, but not `một nghìn năm tỷ`).
            let bare_unit_allowed = place < 2 || (part_started && ends_part);
            self.push_group(
                &mut words,
                count_groups[place],
                higher_group_spoken,
                bare_unit_allowed,
            );
            self.push_scale_word(&mut words, place);
            if ends_part {
                let ty = self.pick_word(&["tỷ", "tỉ"]);
                words.push(WrittenWord {
                    text: ty,
                    digit: None,
                });
            }
            part_started = ends_part;
            higher_group_spoken = true;
        }
        for (place, group) in below_groups.into_iter().enumerate() {
            if group == 0 {
                continue;
            }
            self.push_group(&mut words, group, higher_group_spoken, place < 2);
            self.push_scale_word(&mut words, place);
            higher_group_spoken = true;
        }
        words
    }

    fn push_scale_word(&mut self, words: &mut Vec<WrittenWord>, place: usize) {
        let scale_word = match place {
            0 => "triệu",
            1 => self.pick_word(&["nghìn", "ngàn"]),
            _ => return,
        };
        words.push(WrittenWord {
            text: scale_word,
            digit: None,
        });
    }

    fn push_group(
        &mut self,
        words: &mut Vec<WrittenWord>,
        group: u64,
        higher_group_spoken: bool,
        bare_unit_allowed: bool,
    ) {
        let (hundreds, tens, units) = (group / 100, group / 10 % 10, group % 10);
        if hundreds > 0 || !higher_group_spoken {
            if hundreds > 0 {
                self.push_digit(words, hundreds);
                words.push(plain("trăm"));
            }
            self.push_tens_and_units(words, tens, units, hundreds > 0);
            return;
        }
        let say_khong_tram = match self.zero_hundreds {
            ZeroHundreds::Said => true,
            ZeroHundreds::LeftOut => false,
            ZeroHundreds::Either => self.pick(2) == 0,
        };
        if say_khong_tram {
            self.push_digit(words, 0);
            words.push(plain("trăm"));
            self.push_tens_and_units(words, tens, units, true);
        } else if (tens > 0 || bare_unit_allowed) && self.pick(2) == 0 {
            self.push_tens_and_units(words, tens, units, false);
        } else {
            let zero_tens = self.pick_word(&["linh", "lẻ"]);
            words.push(plain(zero_tens));
            if tens == 0 {
                self.push_unit_after_zero_tens(words, units);
            } else {
                self.push_tens_and_units(words, tens, units, false);
            }
        }
    }

    /// The tens and units of a group; `after_hundreds` says a hundreds digit was spoken, so a
    /// zero tens digit before a unit is `linh`.
    fn push_tens_and_units(
        &mut self,
        words: &mut Vec<WrittenWord>,
        tens: u64,
        units: u64,
        after_hundreds: bool,
    ) {
        match tens {
            0 if units == 0 => {}
            0 if after_hundreds => {
                let zero_tens = self.pick_word(&["linh", "lẻ"]);
                words.push(plain(zero_tens));
                self.push_unit_after_zero_tens(words, units);
            }
            0 => self.push_digit(words, units),
            1 => {
                words.push(plain("mười"));
                let unit_word = match units {
                    0 => return,
                    4 => self.pick_word(&["bốn", "tư"]),
                    5 => self.pick_word(&["lăm", "nhăm", "năm"]),
                    _ => return self.push_digit(words, units),
                };
                words.push(digit_word(unit_word, units));
            }
            _ => {
                // "hai mốt", "ba tư", "hai lăm": mươi left out before a unit word that only
                // ever follows tens.
                let colloquial = matches!(units, 1 | 4 | 5) && self.pick(4) == 0;
                self.push_digit(words, tens);
                if !colloquial {
                    // `mười` is a common misspelling of `mươi` after a digit.
                    let tens_marker = if self.pick(8) == 0 {
                        "mười"
                    } else {
                        "mươi"
                    };
                    words.push(plain(tens_marker));
                }
                let unit_word = match (units, colloquial) {
                    (0, _) => return,
                    (1, true) => "mốt",
                    (1, false) => self.pick_word(&["mốt", "một"]),
                    (4, true) => "tư",
                    (4, false) => self.pick_word(&["bốn", "tư"]),
                    (5, true) => self.pick_word(&["lăm", "nhăm"]),
                    (5, false) => self.pick_word(&["lăm", "nhăm", "năm"]),
                    _ => return self.push_digit(words, units),
                };
                words.push(digit_word(unit_word, units));
            }
        }
    }

    fn push_unit_after_zero_tens(&mut self, words: &mut Vec<WrittenWord>, units: u64) {
        if units == 4 {
            let four = self.pick_word(&["bốn", "tư"]);
            words.push(digit_word(four, 4));
        } else {
            self.push_digit(words, units);
        }
    }

    fn push_digit(&mut self, words: &mut Vec<WrittenWord>, digit: u64) {
        let text = if digit == 7 {
            self.pick_word(&["bảy", "bẩy"])
        } else {
            DIGIT_WORDS[digit as usize]
        };
        words.push(digit_word(text, digit));
    }

    /// Joins words into a text as a person might type it: separators (a comma after a scale
    /// word), a currency and `chẵn` or not, a full stop or brackets, any case, and letters
    /// precomposed or decomposed.
    pub(crate) fn text(&mut self, words: &[WrittenWord]) -> String {
        let mut text = String::new();
        for (index, word) in words.iter().enumerate() {
            if index > 0 {
                let after_scale = matches!(
                    words[index - 1].text,
                    "triệu" | "nghìn" | "ngàn" | "tỷ" | "tỉ"
                );
                let separator = if after_scale {
                    self.pick_word(&[" ", " ", ", ", " ,  "])
                } else {
                    self.pick_word(&[" ", " ", "  ", "\t", "\n"])
                };
                text.push_str(separator);
            }
            text.push_str(word.text);
        }
        text.push_str(self.pick_word(&[
            "",
            " đồng",
            " đồng",
            " VNĐ",
            " đ",
            " vnd",
            " đồng chẵn",
            " chẵn",
            " VNĐ chẵn",
        ]));
        let (opening, closing) = match self.pick(4) {
            0 => ("(", ")"),
            1 => ("", "."),
            2 => ("", "./."),
            _ => ("", ""),
        };
        text = format!("{opening}{text}{closing}");
        if self.pick(4) == 0 {
            text = decompose(&text.to_lowercase());
        }
        match self.pick(4) {
            0 => text.to_uppercase(),
            1 => capitalise_first_letter(&text),
            _ => text,
        }
    }
}

fn plain(text: &'static str) -> WrittenWord {
    WrittenWord { text, digit: None }
}

fn digit_word(text: &'static str, digit: u64) -> WrittenWord {
    WrittenWord {
        text,
        digit: Some(digit),
    }
}

fn capitalise_first_letter(text: &str) -> String {
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}
