//! The catalogue's completeness: every code has a text in each language, each text uses only
//! the parameters its code gives, and no text is without a code.

use std::collections::BTreeSet;

use fluent_syntax::ast;

use super::*;

/// The variables a pattern refers to (`$name`), terms' own parameters excluded: a term call
/// `-kind(got: $got)` counts its argument `$got`, not what the term's body names.
fn variables<'s>(pattern: &ast::Pattern<&'s str>, found: &mut BTreeSet<&'s str>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            expression_variables(expression, found);
        }
    }
}

fn expression_variables<'s>(expression: &ast::Expression<&'s str>, found: &mut BTreeSet<&'s str>) {
    match expression {
        ast::Expression::Select { selector, variants } => {
            inline_variables(selector, found);
            for variant in variants {
                variables(&variant.value, found);
            }
        }
        ast::Expression::Inline(inline) => inline_variables(inline, found),
    }
}

fn inline_variables<'s>(inline: &ast::InlineExpression<&'s str>, found: &mut BTreeSet<&'s str>) {
    match inline {
        ast::InlineExpression::VariableReference { id } => {
            found.insert(id.name);
        }
        ast::InlineExpression::FunctionReference { arguments, .. }
        | ast::InlineExpression::TermReference {
            arguments: Some(arguments),
            ..
        } => {
            for argument in &arguments.positional {
                inline_variables(argument, found);
            }
            for argument in &arguments.named {
                inline_variables(&argument.value, found);
            }
        }
        ast::InlineExpression::Placeable { expression } => {
            expression_variables(expression, found);
        }
        _ => {}
    }
}

#[test]
fn every_code_has_a_text_in_each_language_using_only_its_parameters() {
    let mut problems = Vec::new();
    for (lang, files) in SOURCES {
        let mut texts = std::collections::BTreeMap::new();
        for (name, source) in files {
            let resource = fluent_syntax::parser::parse(*source)
                .unwrap_or_else(|(_, errors)| panic!("{name}: {errors:?}"));
            for entry in &resource.body {
                match entry {
                    ast::Entry::Message(message) => {
                        let mut found = BTreeSet::new();
                        if let Some(pattern) = &message.value {
                            variables(pattern, &mut found);
                        } else {
                            problems.push(format!("{name}: {} has no text", message.id.name));
                        }
                        texts.insert(message.id.name, found);
                    }
                    ast::Entry::Junk { content } => problems.push(format!("{name}: {content}")),
                    _ => {}
                }
            }
        }
        for code in codes::ALL {
            match texts.remove(code.id) {
                None => problems.push(format!("{}: no text for {}", lang.tag(), code.id)),
                Some(used) => {
                    for variable in used {
                        if !code.params.contains(&variable) {
                            problems.push(format!(
                                "{}: {} uses ${variable}, which its code does not give",
                                lang.tag(),
                                code.id
                            ));
                        }
                    }
                }
            }
        }
        for orphan in texts.keys() {
            problems.push(format!("{}: {orphan} is no code", lang.tag()));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn codes_are_unique() {
    let ids: BTreeSet<&str> = codes::ALL.iter().map(|code| code.id).collect();
    assert_eq!(ids.len(), codes::ALL.len());
}

#[test]
fn a_message_renders_in_each_language_with_its_parameters() {
    let message = Message::new(codes::NOT_A_STRING).got(&serde_json::json!(3));
    assert_eq!(message.render(Lang::En), "must be a string, got an integer");
    assert_eq!(
        message.render(Lang::Vi),
        "phải là một chuỗi ký tự, nhưng nhận được một số nguyên"
    );
    assert_eq!(message.to_string(), message.render(Lang::En));
    let finding = Message::new(codes::FINDING_DISBURSED_WITHOUT_ALLOCATION)
        .text("plan", "p")
        .word("source", "local", codes::SOURCE)
        .int("fiscal_year", 2014)
        .money("disbursed", 587_000_000);
    assert_eq!(
        finding.render(Lang::Vi),
        "Kế hoạch p đã giải ngân 587.000.000 ₫ từ ngân sách địa phương cho năm ngân sách 2014, \
         trong khi chưa có khoản phân bổ nào."
    );
    assert_eq!(
        serde_json::Value::Object(finding.params_json()),
        serde_json::json!({"plan": "p", "source": "local", "fiscal_year": 2014,
                           "disbursed": 587000000})
    );
    let dated = Message::new(codes::DATE_IN_FUTURE)
        .date("date", 2030, 1, 2)
        .date("latest", 2026, 12, 5);
    assert!(
        dated
            .render(Lang::Vi)
            .starts_with("02/01/2030 là ngày trong tương lai")
    );
    assert!(
        dated
            .render(Lang::En)
            .starts_with("2030-01-02 is in the future")
    );
    // English plural forms follow the count.
    let many = |more: i64| {
        Message::new(codes::DETAIL_MANY)
            .text("field", "/a")
            .text("message", "m")
            .int("more", more)
            .render(Lang::En)
    };
    assert_eq!(many(1), "/a: m (and 1 more problem)");
    assert_eq!(many(2), "/a: m (and 2 more problems)");
}

#[test]
#[should_panic(expected = "does not declare the parameter")]
fn a_parameter_the_code_does_not_declare_is_refused() {
    let _ = Message::new(codes::FIELD_REQUIRED).text("name", "x");
}

#[test]
fn accept_language_picks_the_preferred_language_we_have() {
    assert_eq!(Lang::from_accept_language(None), Lang::Vi);
    assert_eq!(Lang::from_accept_language(Some("en")), Lang::En);
    assert_eq!(Lang::from_accept_language(Some("en-GB,en;q=0.9")), Lang::En);
    assert_eq!(
        Lang::from_accept_language(Some("vi-VN,vi;q=0.9,en;q=0.8")),
        Lang::Vi
    );
    assert_eq!(Lang::from_accept_language(Some("fr, en;q=0.5")), Lang::En);
    assert_eq!(
        Lang::from_accept_language(Some("en;q=0.4, vi;q=0.6")),
        Lang::Vi
    );
    assert_eq!(Lang::from_accept_language(Some("de, fr")), Lang::Vi);
    assert_eq!(Lang::from_accept_language(Some("en;q=0")), Lang::Vi);
    assert_eq!(Lang::from_accept_language(Some("*")), Lang::Vi);
    assert_eq!(Lang::from_accept_language(Some("EN-us")), Lang::En);
    assert_eq!(Lang::from_accept_language(Some("en;q=2")), Lang::Vi);
}

#[test]
fn money_is_grouped_the_vietnamese_way() {
    assert_eq!(format_money(1_276_000_000), "1.276.000.000 ₫");
    assert_eq!(format_money(-77_915_000), "-77.915.000 ₫");
    assert_eq!(format_money(0), "0 ₫");
}
