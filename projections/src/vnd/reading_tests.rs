//! The reader against hand-checked examples of every rule in `docs/AMOUNTS_IN_WORDS.md`, and
//! property tests over every way of writing an amount up to 2^53 − 1.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::reading::WORDS_COUNT_MAX;
use super::writings::{
    AMOUNT_MAX_DONG, DIGIT_WORDS, WrittenWord, amount_up_to_2_pow_53, decompose, writing,
};
use super::{read_words, spell};

/// 2^53 − 1, the largest amount an event carries, in the tỷ-counted system (as `spell`
/// writes it) and in the compound one.
const AMOUNT_MAX_COUNTED_IN_TY: &str = "Chín triệu không trăm linh bảy nghìn một trăm chín mươi \
     chín tỷ hai trăm năm mươi bốn triệu bảy trăm bốn mươi nghìn chín trăm chín mươi mốt đồng";
const AMOUNT_MAX_COMPOUND: &str = "Chín triệu tỷ không trăm linh bảy nghìn tỷ một trăm chín \
     mươi chín tỷ hai trăm năm mươi bốn triệu bảy trăm bốn mươi nghìn chín trăm chín mươi mốt đồng";

#[test]
fn the_largest_amount_an_event_carries_reads_in_both_scale_systems() {
    assert_eq!(AMOUNT_MAX_DONG, 9_007_199_254_740_991);
    assert_eq!(spell(AMOUNT_MAX_DONG), AMOUNT_MAX_COUNTED_IN_TY);
    assert_eq!(read_words(AMOUNT_MAX_COUNTED_IN_TY), Some(AMOUNT_MAX_DONG));
    assert_eq!(read_words(AMOUNT_MAX_COMPOUND), Some(AMOUNT_MAX_DONG));
}

/// Each example was worked out by hand, digit group by digit group.
#[test]
fn hand_checked_examples_read_as_written() {
    let examples: &[(&str, u64)] = &[
        // The seed report (Đồng Nai, 2009–2015): its grand total in figures, as the writer
        // spells it, and the different amount its text gives in words.
        ("Một tỷ hai trăm bảy mươi sáu triệu đồng", 1_276_000_000),
        (
            "Một tỷ, một trăm chín mươi tám triệu, không trăm tám mươi lăm ngàn đồng",
            1_198_085_000,
        ),
        // 2^53 − 1 in both scale systems, and with ngàn, tỉ and lẻ.
        (AMOUNT_MAX_COUNTED_IN_TY, 9_007_199_254_740_991),
        (AMOUNT_MAX_COMPOUND, 9_007_199_254_740_991),
        (
            "chín triệu tỉ lẻ bảy ngàn tỉ một trăm chín mươi chín tỉ hai trăm năm mươi tư triệu \
             bảy trăm bốn mươi ngàn chín trăm chín mươi mốt",
            9_007_199_254_740_991,
        ),
        (
            "chín triệu lẻ bảy ngàn một trăm chín mươi chín tỉ hai trăm năm mươi tư triệu \
             bảy trăm bốn mươi ngàn chín trăm chín mươi mốt",
            9_007_199_254_740_991,
        ),
        // The tỷ-counted system: the count of tỷ is one number.
        (
            "ba nghìn năm trăm năm mươi chín tỷ tám trăm mười tám triệu",
            3_559_818_000_000,
        ),
        ("một nghìn tỷ", 1_000_000_000_000),
        ("Một nghìn năm trăm tỷ đồng", 1_500_000_000_000),
        ("mười nghìn tỷ", 10_000_000_000_000),
        ("một trăm nghìn tỷ", 100_000_000_000_000),
        ("một triệu tỷ", 1_000_000_000_000_000),
        ("một triệu năm trăm nghìn tỷ", 1_500_000_000_000_000),
        ("mười hai nghìn ba trăm bốn mươi lăm tỷ", 12_345_000_000_000),
        ("một nghìn không trăm linh năm tỷ", 1_005_000_000_000),
        ("tám nghìn lẻ mười tỷ", 8_010_000_000_000),
        ("một nghìn lẻ năm tỷ", 1_005_000_000_000),
        // The compound system: nghìn tỷ (10¹²) and triệu tỷ (10¹⁵) as scales of their own.
        (
            "ba nghìn tỷ năm trăm năm mươi chín tỷ tám trăm mười tám triệu",
            3_559_818_000_000,
        ),
        (
            "chín triệu tỷ không trăm linh bảy nghìn tỷ",
            9_007_000_000_000_000,
        ),
        ("một nghìn tỷ không trăm năm mươi tỷ", 1_050_000_000_000),
        ("một nghìn tỷ năm trăm tỷ", 1_500_000_000_000),
        ("hai ngàn tỉ", 2_000_000_000_000),
        ("một triệu tỷ năm trăm nghìn tỷ", 1_500_000_000_000_000),
        ("hai triệu tỷ ba nghìn tỷ bốn tỷ", 2_003_004_000_000_000),
        ("một nghìn tỷ năm tỷ", 1_005_000_000_000),
        ("một nghìn tỷ lẻ năm tỷ", 1_005_000_000_000),
        ("tám nghìn tỷ không trăm mười tỷ", 8_010_000_000_000),
        ("tám nghìn tỷ lẻ mười tỷ", 8_010_000_000_000),
        (
            "mười hai nghìn tỷ ba trăm bốn mươi lăm tỷ",
            12_345_000_000_000,
        ),
        (
            "bốn nghìn tỷ, hai trăm tỷ, ba trăm triệu đồng",
            4_200_300_000_000,
        ),
        (
            "Năm trăm nghìn tỷ không trăm linh một tỷ lẻ hai đồng",
            500_001_000_000_002,
        ),
        ("một triệu tỷ một triệu", 1_000_000_001_000_000),
        ("hai triệu tỷ lẻ năm đồng", 2_000_000_000_000_005),
        // Mixtures: some of the count with its own tỷ, some not.
        ("hai triệu ba nghìn tỷ bốn tỷ", 2_003_004_000_000_000),
        ("chín triệu tỷ bảy nghìn hai trăm tỷ", 9_007_200_000_000_000),
        // Lẻ / linh standing for a left-out không trăm, before units or tens.
        ("một nghìn lẻ mười", 1_010),
        ("một triệu lẻ mười", 1_000_010),
        (
            "năm mươi triệu hai trăm ba mươi bốn nghìn lẻ bốn mươi lăm",
            50_234_045,
        ),
        ("hai nghìn lẻ năm", 2_005),
        ("một nghìn lẻ một", 1_001),
        ("một triệu lẻ mười nghìn", 1_010_000),
        ("hai mươi nghìn lẻ năm mươi", 20_050),
        ("một tỷ lẻ mười lăm triệu", 1_015_000_000),
        ("ba nghìn linh tư", 3_004),
        ("ba nghìn lẻ mười tư", 3_014),
        ("bảy triệu lẻ chín mươi chín nghìn lẻ chín", 7_099_009),
        ("một nghìn lẻ hai mốt", 1_021),
        ("sáu trăm triệu lẻ năm đồng chẵn", 600_000_005),
        // Không trăm said, or left out before tens or a unit with its own unit word.
        ("Hai nghìn không trăm hai mươi tư", 2_024),
        ("hai nghìn hai mươi tư", 2_024),
        ("hai triệu năm nghìn", 2_005_000),
        ("một triệu không trăm linh một nghìn đồng", 1_001_000),
        // The variants that were already read.
        ("hai mươi mốt", 21),
        ("hai mươi một", 21),
        ("hai mốt nghìn", 21_000),
        ("ba mươi tư", 34),
        ("ba tư", 34),
        ("mười lăm", 15),
        ("mười nhăm", 15),
        ("mười tư", 14),
        ("hai mươi lăm", 25),
        ("hai mươi nhăm", 25),
        ("hai mươi năm", 25),
        ("hai lăm", 25),
        ("hai mười", 20),
        ("bẩy trăm nghìn", 700_000),
        ("một trăm linh năm", 105),
        ("một trăm lẻ năm", 105),
        ("một trăm linh tư", 104),
        ("Không đồng", 0),
        ("Một tỷ đồng chẵn", 1_000_000_000),
        ("Mười bốn tỷ năm trăm triệu VNĐ", 14_500_000_000),
        ("năm mươi triệu đ", 50_000_000),
        ("MỘT NGHÌN TỶ NĂM TRĂM TỶ ĐỒNG", 1_500_000_000_000),
        (
            "(Ba nghìn tỷ năm trăm năm mươi chín tỷ đồng)",
            3_559_000_000_000,
        ),
        (
            "ba nghi\u{300}n ty\u{309} na\u{306}m tra\u{306}m ty\u{309}",
            3_500_000_000_000,
        ),
        // From a tỷ tỷ up, the count of tỷ as the writer spells it.
        ("một tỷ tỷ", 1_000_000_000_000_000_000),
        (
            "hai tỷ không trăm linh ba nghìn tỷ",
            2_000_003_000_000_000_000,
        ),
    ];
    assert!(examples.len() >= 60, "{} examples", examples.len());
    for (text, amount) in examples {
        assert_eq!(read_words(text), Some(*amount), "read_words({text:?})");
        assert_eq!(
            read_words(&decompose(&text.to_lowercase())),
            Some(*amount),
            "read_words({text:?}) decomposed"
        );
    }
}

/// Each of these has no reading, or two: it must stay unread, never guessed.
#[test]
fn ill_formed_and_ambiguous_examples_stay_unread() {
    let refused = [
        // A scale word out of order, or repeated.
        "năm trăm tỷ ba nghìn tỷ",
        "một tỷ một nghìn tỷ",
        "một nghìn tỷ một triệu tỷ",
        "một nghìn tỷ hai nghìn tỷ",
        "một triệu tỷ hai triệu tỷ",
        "hai tỷ ba nghìn tỷ",
        "hai tỷ một tỷ",
        "một nghìn triệu",
        "một triệu nghìn",
        "tỷ năm trăm",
        // Two numbers run together.
        "ba nghìn năm trăm tỷ hai mươi tỷ",
        "mười hai mươi",
        "một trăm hai trăm",
        "hai mươi ba mươi",
        "một một",
        // Colloquial shortenings with two readings.
        "một nghìn năm tỷ",
        "một nghìn tỷ năm",
        "một triệu hai",
        "một trăm năm",
        // Lẻ out of place or with nothing after it.
        "một trăm lẻ mười",
        "một nghìn lẻ",
        "lẻ mười",
        "một nghìn lẻ một trăm",
        "một nghìn lẻ không",
        "một nghìn lẻ lẻ năm",
        // Zero groups with a unit word, and overflow.
        "không trăm tỷ",
        "một nghìn tỷ không tỷ",
        "một nghìn tỷ tỷ",
        "hai mươi tỷ tỷ",
        "mười tám tỷ tỷ năm trăm triệu tỷ",
        "một trăm mốt",
        "mười mốt",
    ];
    for text in refused {
        assert_eq!(read_words(text), None, "read_words({text:?})");
    }
}

/// The word limit, at its edge: as many words as allowed are all classified, one more is not.
#[test]
fn a_text_of_more_than_the_most_words_is_refused_before_it_is_read() {
    let at_the_limit = "một ".repeat(WORDS_COUNT_MAX);
    assert_eq!(
        super::reading::number_words(&at_the_limit).map(|words| words.len()),
        Some(WORDS_COUNT_MAX)
    );
    let over_the_limit = "một ".repeat(WORDS_COUNT_MAX + 1);
    assert_eq!(super::reading::number_words(&over_the_limit), None);
    // The longest accepted text there is, a spelling with `chẵn`, stays well inside it.
    let longest = format!("{} chẵn", spell(17_777_777_777_777_777_777));
    assert_eq!(longest.split(' ').count(), 40, "{longest}");
    assert_eq!(read_words(&longest), Some(17_777_777_777_777_777_777));
}

/// Long texts built to make a backtracking reader slow are refused in linear time.
#[test]
fn a_long_hostile_text_is_refused_quickly() {
    let hostile = [
        "một tỷ ".repeat(200_000),
        "mười ".repeat(200_000),
        "lẻ ".repeat(200_000),
        "hai mươi mốt nghìn tỷ ".repeat(50_000),
        "không trăm ".repeat(100_000),
        ", ".repeat(500_000),
        format!("một{}", "\u{301}".repeat(100_000)),
        format!("{}tỷ", "  \t\n".repeat(250_000)),
    ];
    for text in hostile {
        let started = Instant::now();
        assert_eq!(read_words(&text), None, "{} bytes", text.len());
        // A guard against super-linear work, not a benchmark: one pass over a megabyte takes
        // milliseconds even unoptimised.
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "{} bytes took {elapsed:?}",
            text.len()
        );
    }
}

/// Words that make up number texts, so that random texts reach deep into the grammar.
const VOCABULARY: [&str; 36] = [
    "không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "bẩy", "tám", "chín", "mốt", "tư",
    "lăm", "nhăm", "mười", "mươi", "trăm", "linh", "lẻ", "nghìn", "ngàn", "triệu", "tỷ", "tỉ",
    "đồng", "VNĐ", "chẵn", " ", ", ", ".", "\u{301}", "\u{323}", "\u{302}", "x", "9",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Scale system × không trăm said or left out × every variant word, separator, ending,
    /// case and decomposition.
    #[test]
    fn every_way_of_writing_an_amount_reads_back(
        amount in amount_up_to_2_pow_53(),
        mut writing in writing(),
    ) {
        let words = writing.words(amount);
        prop_assert!(words.len() + 2 <= WORDS_COUNT_MAX);
        let text = writing.text(&words);
        prop_assert_eq!(read_words(&text), Some(amount), "{:?} {:?}", text, writing);
    }

    /// Changing one digit word (to another digit's word) never reads as the same amount.
    #[test]
    fn changing_one_digit_word_changes_the_reading_or_makes_it_unreadable(
        amount in amount_up_to_2_pow_53(),
        mut writing in writing(),
        which in any::<prop::sample::Index>(),
        shift in 1u64..10,
    ) {
        let mut words = writing.words(amount);
        let digit_places: Vec<usize> = (0..words.len())
            .filter(|place| words[*place].digit.is_some())
            .collect();
        let place = digit_places[which.index(digit_places.len())];
        let digit = (words[place].digit.unwrap_or(0) + shift) % 10;
        words[place] = WrittenWord { text: DIGIT_WORDS[digit as usize], digit: Some(digit) };
        let text = writing.text(&words);
        prop_assert_ne!(read_words(&text), Some(amount), "{:?}", text);
    }

    #[test]
    fn reading_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = read_words(&text);
    }

    #[test]
    fn reading_never_panics_on_number_words_in_any_order(
        pieces in prop::collection::vec(prop::sample::select(VOCABULARY.to_vec()), 0..100),
        separated in any::<bool>(),
    ) {
        let text = pieces.join(if separated { " " } else { "" });
        let _ = read_words(&text);
    }
}
