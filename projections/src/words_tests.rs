//! Amounts in words through reconciliation, end to end: a `total.reported` claim whose
//! `amount_in_words` is written any way the reader accepts raises no finding, and one whose
//! words give another amount raises `words_mismatch` carrying the amount the words give.

use proptest::prelude::*;
use serde_json::json;

use crate::testing::{LogBuilder, now};
use crate::vnd::writings::{
    AMOUNT_MAX_DONG, ScaleSystem, Writing, ZeroHundreds, amount_up_to_2_pow_53, writing,
};
use crate::{FindingKind, Reconciliation, Severity};

/// A plan allocated `amount_dong` in 2011, and a claim of that amount with `words`.
fn claim_with_words(amount_dong: u64, words: &str) -> (LogBuilder, acta_events::EventId) {
    let mut log = LogBuilder::default();
    log.register("prog", None, "2009-01-01");
    log.funds(
        "allocated",
        "prog",
        "2011-06-01",
        2011,
        "local",
        amount_dong,
    );
    let claim = log.event(
        "total.reported",
        "prog",
        "2015-05-17",
        json!({"metric": "funding.allocated", "amount": amount_dong,
               "amount_in_words": words}),
    );
    (log, claim)
}

fn reconciled(log: &LogBuilder) -> Reconciliation {
    log.record().reconciliation(&now())
}

/// The words of `amount` written one way, as a person might type them into a report.
fn written(amount: u64, writing: &mut Writing) -> String {
    let words = writing.words(amount);
    writing.text(&words)
}

fn fits_a_text_field(text: &str) -> bool {
    text.trim().chars().count() <= acta_events::types::TEXT_CHARS_MAX
}

#[test]
fn the_seed_reports_words_raise_a_words_mismatch_with_the_amount_they_give() {
    // The Đồng Nai report gives its grand total as 1.276.000.000 đ and, in words, an amount
    // 77 915 000 đồng smaller.
    let (log, claim) = claim_with_words(
        1_276_000_000,
        "Một tỷ, một trăm chín mươi tám triệu, không trăm tám mươi lăm ngàn đồng",
    );
    let reconciliation = reconciled(&log);
    let kinds: Vec<FindingKind> = reconciliation.findings.iter().map(|f| f.kind).collect();
    assert_eq!(kinds, [FindingKind::WordsMismatch]);
    let finding = &reconciliation.findings[0];
    assert_eq!(finding.event, claim);
    assert_eq!(finding.severity, Severity::Error);
    assert_eq!(
        (finding.expected, finding.actual, finding.difference),
        (1_276_000_000, Some(1_198_085_000), Some(-77_915_000))
    );
    assert!(
        finding
            .message
            .to_string()
            .contains("reads as 1.198.085.000 ₫, not 1.276.000.000 ₫"),
        "{}",
        finding.message
    );
}

#[test]
fn the_largest_amount_in_either_scale_system_raises_no_finding() {
    for words in [
        "Chín triệu không trăm linh bảy nghìn một trăm chín mươi chín tỷ hai trăm năm mươi \
         bốn triệu bảy trăm bốn mươi nghìn chín trăm chín mươi mốt đồng",
        "Chín triệu tỷ không trăm linh bảy nghìn tỷ một trăm chín mươi chín tỷ hai trăm năm \
         mươi bốn triệu bảy trăm bốn mươi nghìn chín trăm chín mươi mốt đồng",
        "chín triệu tỉ lẻ bảy ngàn tỉ một trăm chín mươi chín tỉ hai trăm năm mươi tư triệu \
         bảy trăm bốn mươi ngàn chín trăm chín mươi mốt",
    ] {
        let (log, _) = claim_with_words(AMOUNT_MAX_DONG, words);
        let reconciliation = reconciled(&log);
        assert!(
            reconciliation.findings.is_empty(),
            "{words}: {reconciliation:?}"
        );
    }
}

#[test]
fn words_that_were_unreadable_before_issue_15_raise_no_finding() {
    // See: issue 15 (compound scales and lẻ without không trăm were words_unreadable).
    for (amount_dong, words) in [
        (
            3_559_818_000_000,
            "Ba nghìn tỷ năm trăm năm mươi chín tỷ tám trăm mười tám triệu đồng",
        ),
        (1_050_000_000_000, "một nghìn tỷ không trăm năm mươi tỷ"),
        (1_010, "một nghìn lẻ mười đồng"),
        (
            50_234_045,
            "năm mươi triệu hai trăm ba mươi bốn nghìn lẻ bốn mươi lăm",
        ),
    ] {
        let (log, _) = claim_with_words(amount_dong, words);
        let reconciliation = reconciled(&log);
        assert!(
            reconciliation.findings.is_empty(),
            "{words}: {reconciliation:?}"
        );
    }
}

#[test]
fn ill_formed_words_stay_a_words_unreadable_warning() {
    for words in [
        "một nghìn tỷ hai nghìn tỷ",
        "mười hai mươi nghìn",
        "một triệu hai",
    ] {
        let (log, claim) = claim_with_words(1_000_000, words);
        let reconciliation = reconciled(&log);
        assert!(
            reconciliation.ok,
            "a warning does not make the record wrong"
        );
        let kinds: Vec<FindingKind> = reconciliation.findings.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [FindingKind::WordsUnreadable], "{words}");
        assert_eq!(reconciliation.findings[0].event, claim);
        assert_eq!(reconciliation.findings[0].actual, None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_claim_written_any_accepted_way_raises_no_finding(
        amount in amount_up_to_2_pow_53(),
        mut writing in writing(),
    ) {
        let text = written(amount, &mut writing);
        prop_assume!(fits_a_text_field(&text));
        let (log, _) = claim_with_words(amount, &text);
        let reconciliation = reconciled(&log);
        prop_assert!(reconciliation.findings.is_empty(), "{:?}: {:?}", text, reconciliation);
    }

    #[test]
    fn a_claim_whose_words_give_another_amount_raises_words_mismatch_with_that_amount(
        amount in amount_up_to_2_pow_53(),
        other in prop_oneof![
            amount_up_to_2_pow_53().prop_map(Some),
            Just(None),
        ],
        mut writing in writing(),
    ) {
        // Half the time an amount one đồng away, the smallest mistake.
        let words_amount = other.unwrap_or(if amount == AMOUNT_MAX_DONG { amount - 1 } else { amount + 1 });
        prop_assume!(words_amount != amount);
        let text = written(words_amount, &mut writing);
        prop_assume!(fits_a_text_field(&text));
        let (log, claim) = claim_with_words(amount, &text);
        let reconciliation = reconciled(&log);
        prop_assert_eq!(reconciliation.findings.len(), 1, "{:?}", reconciliation);
        let finding = &reconciliation.findings[0];
        prop_assert_eq!(finding.kind, FindingKind::WordsMismatch);
        prop_assert_eq!(finding.event, claim);
        prop_assert_eq!(finding.expected, i128::from(amount));
        prop_assert_eq!(finding.actual, Some(i128::from(words_amount)));
        prop_assert_eq!(
            finding.difference,
            Some(i128::from(words_amount) - i128::from(amount))
        );
    }
}

/// Every scale system and both ways with `không trăm`, for one amount with every kind of group.
#[test]
fn one_amount_in_every_scale_system_raises_no_finding() {
    let amount_dong = 1_005_010_200_304_015;
    for scale_system in [
        ScaleSystem::CountedInTy,
        ScaleSystem::Compound,
        ScaleSystem::Mixed,
    ] {
        for zero_hundreds in [ZeroHundreds::Said, ZeroHundreds::LeftOut] {
            for seed in 0..8u8 {
                let mut writing = Writing::new(
                    scale_system,
                    zero_hundreds,
                    vec![seed, 3, 1, 4, 1, 5, 9, 2, 6],
                );
                let text = written(amount_dong, &mut writing);
                let (log, _) = claim_with_words(amount_dong, &text);
                let reconciliation = reconciled(&log);
                assert!(
                    reconciliation.findings.is_empty(),
                    "{text}: {reconciliation:?}"
                );
            }
        }
    }
}
