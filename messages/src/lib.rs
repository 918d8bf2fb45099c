//! acta's message catalogue. Every message a client or an auditor reads — a field error, a
//! reconciliation finding, a warning at the desk, a heading of the report — is a [`Message`]: a
//! stable machine [`Code`] and its parameters. Its text lives in one Fluent file per language
//! (`locales/vi/*.ftl`, `locales/en/*.ftl`), compiled into the binary, and is rendered at the
//! edge in the language the reader asks for ([`Lang`]). Nothing here does I/O: the catalogue is
//! read from the binary itself, so the crates that keep to pure functions may hold messages.
//!
//! # Layout
//! - [`codes`]: every code with the parameters it gives, the list the completeness test checks.
//! - this file: [`Lang`], [`Message`], [`Arg`], rendering and `Accept-Language` negotiation.

pub mod codes;

use std::fmt;
use std::sync::LazyLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde_json::{Map, Value};

pub use codes::Code;

/// The languages of the catalogue. Vietnamese is the default: acta's users are Vietnamese.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Vi, Lang::En];

    /// The language tag, as `Content-Language` and `lang=""` write it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// `vi` or `en` (any region: `vi-VN`, `en-GB`), case-insensitive.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        if primary.eq_ignore_ascii_case("vi") {
            Some(Lang::Vi)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language an `Accept-Language` header (RFC 9110 §12.5.4) prefers among those the
    /// catalogue has: the one of highest weight, the first listed on a tie; Vietnamese when the
    /// header is absent or names neither. `*` stands for the default.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::default();
        };
        let mut best: Option<(u16, Lang)> = None;
        // A header longer than any real one is read no further than its first entries.
        for entry in header.split(',').take(ACCEPT_LANGUAGE_ENTRIES_MAX) {
            let mut parts = entry.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let weight = parts
                .find_map(|part| part.trim().strip_prefix("q="))
                .map_or(Some(1000), parse_weight);
            let Some(weight) = weight else { continue };
            let lang = if tag == "*" {
                Some(Lang::default())
            } else {
                Lang::from_tag(tag)
            };
            if let Some(lang) = lang
                && weight > 0
                && best.is_none_or(|(held, _)| weight > held)
            {
                best = Some((weight, lang));
            }
        }
        best.map_or(Lang::default(), |(_, lang)| lang)
    }
}

/// `vi` or `en` exactly, as `acta report --lang` takes it.
impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(text: &str) -> Result<Lang, String> {
        match text {
            "vi" => Ok(Lang::Vi),
            "en" => Ok(Lang::En),
            _ => Err(format!("must be vi or en, got {text:?}")),
        }
    }
}

/// Most entries of an `Accept-Language` header looked at.
pub const ACCEPT_LANGUAGE_ENTRIES_MAX: usize = 32;

/// A `q` value (`0`, `0.5`, `1.000`) in thousandths; `None` when it is not one.
fn parse_weight(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// One parameter of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Text shown as given: a name, a quoted value, a key, a date.
    Text(String),
    /// A count or a year; texts may choose a plural form by it.
    Integer(i128),
    /// Whole đồng, shown with the language's digit grouping and `₫`.
    Money(i128),
    /// A civil date: `dd/mm/yyyy` in Vietnamese, `yyyy-mm-dd` in English and in `params`.
    Date { year: i16, month: i8, day: i8 },
    /// A word of the contract (a JSON kind such as `string`, a source such as `local`): the
    /// name as sent in `params`, its text the one the code `via` chooses for it (a Fluent select
    /// on `$value`).
    Word { value: String, via: Code },
    /// A message inside another (the reason a name of a map was refused), rendered in the same
    /// language.
    Message(Box<Message>),
}

/// A code and its parameters: what a message says, independent of the language it is read in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    code: Code,
    args: Vec<(&'static str, Arg)>,
}

impl Message {
    pub fn new(code: Code) -> Self {
        Message {
            code,
            args: Vec::new(),
        }
    }

    /// A parameter given as an [`Arg`] of any kind.
    pub fn arg_as(self, name: &'static str, arg: Arg) -> Self {
        self.with(name, arg)
    }

    fn with(mut self, name: &'static str, arg: Arg) -> Self {
        assert!(
            self.code.params.contains(&name),
            "code {} does not declare the parameter {name}",
            self.code.id
        );
        self.args.push((name, arg));
        self
    }

    pub fn text(self, name: &'static str, value: impl Into<String>) -> Self {
        self.with(name, Arg::Text(value.into()))
    }

    pub fn int(self, name: &'static str, value: impl Into<i128>) -> Self {
        self.with(name, Arg::Integer(value.into()))
    }

    pub fn money(self, name: &'static str, dong: impl Into<i128>) -> Self {
        self.with(name, Arg::Money(dong.into()))
    }

    pub fn date(self, name: &'static str, year: i16, month: i8, day: i8) -> Self {
        self.with(name, Arg::Date { year, month, day })
    }

    /// What a JSON value was (`integer`, `float`, …), shown in the reader's words.
    pub fn got(self, value: &serde_json::Value) -> Self {
        self.word("got", json_kind(value), codes::JSON_KIND)
    }

    pub fn word(self, name: &'static str, value: impl Into<String>, via: Code) -> Self {
        let value = value.into();
        self.with(name, Arg::Word { value, via })
    }

    pub fn message(self, name: &'static str, inner: Message) -> Self {
        self.with(name, Arg::Message(Box::new(inner)))
    }

    pub fn code(&self) -> &'static str {
        self.code.id
    }

    pub fn arg(&self, name: &str) -> Option<&Arg> {
        self.args
            .iter()
            .find(|(held, _)| *held == name)
            .map(|(_, arg)| arg)
    }

    /// The parameters as the API reference shows them: texts as strings, integers and money
    /// as JSON integers (a string beyond 2^53 − 1), an inner message as `{"code","params"}`.
    pub fn params_json(&self) -> Map<String, Value> {
        self.args
            .iter()
            .map(|(name, arg)| {
                let value = match arg {
                    Arg::Text(text) | Arg::Word { value: text, .. } => Value::from(text.as_str()),
                    Arg::Integer(n) | Arg::Money(n) => integer_json(*n),
                    Arg::Date { year, month, day } => {
                        Value::from(format!("{year:04}-{month:02}-{day:02}"))
                    }
                    Arg::Message(inner) => serde_json::json!({
                        "code": inner.code(),
                        "params": inner.params_json(),
                    }),
                };
                ((*name).to_owned(), value)
            })
            .collect()
    }

    /// The text in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        let bundle = &BUNDLES[lang as usize];
        let Some(pattern) = bundle
            .get_message(self.code.id)
            .and_then(|message| message.value())
        else {
            // The completeness test makes this unreachable for every code in `codes::ALL`.
            return self.code.id.to_owned();
        };
        let mut args = FluentArgs::new();
        for (name, arg) in &self.args {
            let value: FluentValue<'_> = match arg {
                Arg::Text(text) => text.as_str().into(),
                Arg::Integer(n) => match i64::try_from(*n) {
                    Ok(n) if n.unsigned_abs() < 1 << 53 => n.into(),
                    _ => n.to_string().into(),
                },
                Arg::Money(n) => format_money(*n).into(),
                Arg::Word { value, via } => {
                    Message::new(*via).text("value", value).render(lang).into()
                }
                Arg::Date { year, month, day } => match lang {
                    Lang::Vi => format!("{day:02}/{month:02}/{year:04}").into(),
                    Lang::En => format!("{year:04}-{month:02}-{day:02}").into(),
                },
                Arg::Message(inner) => inner.render(lang).into(),
            };
            args.set(*name, value);
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&args), &mut errors);
        debug_assert!(
            errors.is_empty(),
            "rendering {} in {}: {errors:?}",
            self.code.id,
            lang.tag()
        );
        text.into_owned()
    }
}

/// The English text: what logs and the command line's other commands print.
impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Lang::En))
    }
}

/// So that a message is an error wherever one is wanted (a command line's argument parser).
impl std::error::Error for Message {}

impl From<Code> for Message {
    fn from(code: Code) -> Self {
        Message::new(code)
    }
}

/// The contract's name of what a JSON value is.
pub fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_f64() => "float",
        Value::Number(number) if number.as_i64().is_some_and(|n| n < 0) => "negative_integer",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn integer_json(n: i128) -> Value {
    match (i64::try_from(n), u64::try_from(n)) {
        (Ok(n), _) => Value::from(n),
        (_, Ok(n)) => Value::from(n),
        _ => Value::from(n.to_string()),
    }
}

/// Whole đồng as acta writes them in either language, the Vietnamese way: `1.276.000.000 ₫`
/// (the figures are Vietnamese records; an English reader of them meets them so in the
/// documents too).
pub fn format_money(dong: i128) -> String {
    let separator = '.';
    let digits = dong.unsigned_abs().to_string();
    let mut formatted = String::with_capacity(digits.len() * 4 / 3 + 6);
    if dong < 0 {
        formatted.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            formatted.push(separator);
        }
        formatted.push(digit);
    }
    formatted.push_str(" ₫");
    formatted
}

/// The Fluent files of each language, in the order of [`Lang::ALL`].
pub const SOURCES: [(Lang, &[(&str, &str)]); 2] = [
    (
        Lang::Vi,
        &[
            ("vi/errors.ftl", include_str!("../locales/vi/errors.ftl")),
            (
                "vi/findings.ftl",
                include_str!("../locales/vi/findings.ftl"),
            ),
            ("vi/report.ftl", include_str!("../locales/vi/report.ftl")),
        ],
    ),
    (
        Lang::En,
        &[
            ("en/errors.ftl", include_str!("../locales/en/errors.ftl")),
            (
                "en/findings.ftl",
                include_str!("../locales/en/findings.ftl"),
            ),
            ("en/report.ftl", include_str!("../locales/en/report.ftl")),
        ],
    ),
];

static BUNDLES: LazyLock<[FluentBundle<FluentResource>; 2]> =
    LazyLock::new(|| SOURCES.map(|(lang, files)| bundle(lang, files)));

fn bundle(lang: Lang, files: &[(&str, &str)]) -> FluentBundle<FluentResource> {
    let tag = lang.tag().parse().expect("vi and en are language tags");
    let mut bundle = FluentBundle::new_concurrent(vec![tag]);
    // Isolation marks (U+2068, U+2069) around each parameter are for mixed-direction text;
    // both languages run left to right, and the marks would end up in JSON and terminals.
    bundle.set_use_isolating(false);
    for (name, source) in files {
        let resource = FluentResource::try_new((*source).to_owned())
            .unwrap_or_else(|(_, errors)| panic!("{name} does not parse: {errors:?}"));
        bundle
            .add_resource(resource)
            .unwrap_or_else(|errors| panic!("{name} repeats a message: {errors:?}"));
    }
    bundle
}

#[cfg(test)]
mod tests;
