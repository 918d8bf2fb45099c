//! Newtypes that parse. Each can only be built from a value the contract accepts, so code that
//! holds one never checks it again.

use std::fmt;
use std::str::FromStr;

use acta_messages::{Message, codes};
use serde::{Serialize, Serializer};

use crate::quote::quoted;

/// The largest integer a JSON number carries exactly in every language (2^53 − 1). Money and
/// every other count in an event is bounded by it so that no client ever rounds a figure.
pub const JSON_SAFE_INTEGER_MAX: u64 = 9_007_199_254_740_991;

/// Civil years the contract accepts, for dates, fiscal years and periods.
pub const YEAR_MIN: i16 = 1900;
pub const YEAR_MAX: i16 = 2200;

/// Text fields: 1..=500 Unicode scalar values after trimming surrounding white space.
pub const TEXT_CHARS_MAX: usize = 500;

/// A plan's key: `^[a-z0-9][a-z0-9-]{0,63}$`. Token names follow the same rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PlanKey(String);

impl PlanKey {
    pub const CHARS_MAX: usize = 64;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` is a plan key, without making one (the cold start checks every stored
    /// event's plan and keeps none of them).
    pub fn is_valid(text: &str) -> bool {
        let mut chars = text.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        first_ok && rest_ok && text.len() <= Self::CHARS_MAX
    }
}

/// A key hashes and compares as its text, so maps keyed by plan can be asked with a `&str`.
impl std::borrow::Borrow<str> for PlanKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl FromStr for PlanKey {
    type Err = Message;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if Self::is_valid(text) {
            Ok(PlanKey(text.to_owned()))
        } else {
            Err(Message::new(codes::PLAN_KEY_PATTERN)
                .int("maximum", Self::CHARS_MAX as u64)
                .text("value", quoted(text)))
        }
    }
}

impl fmt::Display for PlanKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An indicator key such as `training.participants`: `^[a-z][a-z_]*(\.[a-z][a-z_]*)*$`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct IndicatorKey(String);

impl IndicatorKey {
    pub const CHARS_MAX: usize = 200;

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `text` is an indicator key, without making one.
    pub(crate) fn is_valid(text: &str) -> bool {
        let parts_ok = text.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(|c| c.is_ascii_lowercase())
                && chars.all(|c| c.is_ascii_lowercase() || c == '_')
        });
        parts_ok && text.len() <= Self::CHARS_MAX
    }
}

impl FromStr for IndicatorKey {
    type Err = Message;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if Self::is_valid(text) {
            Ok(IndicatorKey(text.to_owned()))
        } else {
            Err(Message::new(codes::INDICATOR_PATTERN).text("value", quoted(text)))
        }
    }
}

impl fmt::Display for IndicatorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A civil date `YYYY-MM-DD`, proleptic Gregorian, years 1900..=2200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CivilDate(jiff::civil::Date);

impl CivilDate {
    pub fn new(year: i16, month: i8, day: i8) -> Result<Self, Message> {
        if !(YEAR_MIN..=YEAR_MAX).contains(&year) {
            return Err(Message::new(codes::DATE_YEAR_RANGE)
                .int("minimum", YEAR_MIN)
                .int("maximum", YEAR_MAX)
                .int("year", year));
        }
        jiff::civil::Date::new(year, month, day)
            .map(CivilDate)
            .map_err(|_| {
                Message::new(codes::DATE_NOT_IN_CALENDAR)
                    .text("date", format!("{year:04}-{month:02}-{day:02}"))
            })
    }

    pub fn year(self) -> i16 {
        self.0.year()
    }

    pub fn jiff(self) -> jiff::civil::Date {
        self.0
    }

    /// Days from 1970-01-01 to this date, negative before it (proleptic Gregorian calendar).
    #[inline]
    pub fn days_since_epoch(self) -> i32 {
        i32::try_from(days_from_civil(self.0)).expect("years 1900..=2200 lie within 2^31 days")
    }

    /// The next day, saturating at the last representable one.
    pub fn tomorrow(self) -> Self {
        self.0.tomorrow().map(CivilDate).unwrap_or(self)
    }
}

impl From<jiff::civil::Date> for CivilDate {
    fn from(date: jiff::civil::Date) -> Self {
        CivilDate(date)
    }
}

impl FromStr for CivilDate {
    type Err = Message;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(match day_month_year_hint(text) {
                Some(hint) => Message::new(codes::DATE_FORMAT_HINT)
                    .text("hint", hint)
                    .text("value", quoted(text)),
                None => Message::new(codes::DATE_FORMAT).text("value", quoted(text)),
            });
        }
        let number = |range: std::ops::Range<usize>| -> i16 {
            text[range].parse().expect("checked to be ASCII digits")
        };
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        let month = i8::try_from(month)
            .map_err(|_| Message::new(codes::DATE_NO_SUCH_MONTH).text("value", quoted(text)))?;
        let day = i8::try_from(day)
            .map_err(|_| Message::new(codes::DATE_NO_SUCH_DAY).text("value", quoted(text)))?;
        Self::new(year, month, day)
    }
}

/// For a date written the Vietnamese way, `07/12/2011` or `7-12-2011`, the ISO spelling to
/// suggest instead.
fn day_month_year_hint(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    let [day, month, year] = parts.as_slice() else {
        return None;
    };
    let day: i8 = day.parse().ok()?;
    let month: i8 = month.parse().ok()?;
    let year: i16 = year.parse().ok()?;
    if year.to_string().len() != 4 || jiff::civil::Date::new(year, month, day).is_err() {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

impl CivilDate {
    /// `YYYY-MM-DD` in ASCII, as `Display` writes it, for years 0..=9999 (`None` for others):
    /// a large answer holds tens of thousands of dates, and the formatting machinery of
    /// `Display` was a good part of serialising them.
    fn iso_bytes(self) -> Option<[u8; 10]> {
        let year = u16::try_from(self.0.year())
            .ok()
            .filter(|&year| year <= 9999)?;
        let month = u16::try_from(self.0.month()).ok()?;
        let day = u16::try_from(self.0.day()).ok()?;
        let digit = |value: u16, unit: u16| b'0' + ((value / unit) % 10) as u8;
        Some([
            digit(year, 1000),
            digit(year, 100),
            digit(year, 10),
            digit(year, 1),
            b'-',
            digit(month, 10),
            digit(month, 1),
            b'-',
            digit(day, 10),
            digit(day, 1),
        ])
    }
}

impl Serialize for CivilDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.iso_bytes() {
            Some(bytes) => serializer
                .serialize_str(std::str::from_utf8(&bytes).expect("ASCII digits and dashes")),
            None => serializer.collect_str(self),
        }
    }
}

/// An amount of money in whole đồng: `0 < amount <= 2^53 − 1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Amount(u64);

impl Amount {
    pub fn new(dong: u64) -> Result<Self, Message> {
        if dong == 0 || dong > JSON_SAFE_INTEGER_MAX {
            Err(Message::new(codes::AMOUNT_OUT_OF_RANGE)
                .int("maximum", JSON_SAFE_INTEGER_MAX)
                .text("value", dong.to_string()))
        } else {
            Ok(Amount(dong))
        }
    }

    pub fn dong(self) -> u64 {
        self.0
    }
}

/// An event's id: a ULID, 26 characters of Crockford base32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(ulid::Ulid);

impl EventId {
    pub fn from_ulid(ulid: ulid::Ulid) -> Self {
        EventId(ulid)
    }

    pub fn ulid(self) -> ulid::Ulid {
        self.0
    }
}

impl FromStr for EventId {
    type Err = Message;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        // `Ulid::from_string` accepts lowercase too; the contract's ids are as the server
        // prints them, so an id is valid only in its canonical, uppercase form.
        // The first character carries only 3 bits: above '7' the value overflows 128 bits.
        let canonical = text.len() == 26
            && text.as_bytes()[0] <= b'7'
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        match ulid::Ulid::from_string(text) {
            Ok(ulid) if canonical => Ok(EventId(ulid)),
            _ => Err(Message::new(codes::EVENT_ID_FORMAT).text("value", quoted(text))),
        }
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// How precisely `occurred_on` is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DatePrecision {
    #[default]
    Day,
    Month,
    Year,
}

impl DatePrecision {
    pub fn as_str(self) -> &'static str {
        match self {
            DatePrecision::Day => "day",
            DatePrecision::Month => "month",
            DatePrecision::Year => "year",
        }
    }
}

impl FromStr for DatePrecision {
    type Err = Message;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "day" => Ok(DatePrecision::Day),
            "month" => Ok(DatePrecision::Month),
            "year" => Ok(DatePrecision::Year),
            _ => Err(Message::new(codes::DATE_PRECISION).text("value", quoted(text))),
        }
    }
}

/// An instant of system time, kept to the millisecond, written `2026-11-28T20:15:00.123Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Instant(jiff::Timestamp);

impl Instant {
    /// Truncates to the millisecond so that what is stored is exactly what is printed.
    pub fn from_timestamp(timestamp: jiff::Timestamp) -> Self {
        Instant::truncated(timestamp)
            .expect("a clock's instant is far from jiff's last millisecond")
    }

    /// `timestamp` truncated to the millisecond; `None` in the last millisecond jiff can hold,
    /// which it can parse but not build from milliseconds.
    fn truncated(timestamp: jiff::Timestamp) -> Option<Instant> {
        jiff::Timestamp::from_millisecond(timestamp.as_millisecond())
            .ok()
            .map(Instant)
    }

    pub fn timestamp(self) -> jiff::Timestamp {
        self.0
    }

    pub fn as_millisecond(self) -> i64 {
        self.0.as_millisecond()
    }

    /// Reads the form the store writes, `2026-11-28T20:15:00.123Z`, straight into milliseconds;
    /// `None` for any other form, which [`Instant::from_str`] then reads in full. Every stored
    /// event carries one, so this is most of what the cold start spends on instants.
    fn from_canonical(text: &str) -> Option<Instant> {
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 24
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes[10] == b'T'
            && bytes[13] == b':'
            && bytes[16] == b':'
            && bytes[19] == b'.'
            && bytes[23] == b'Z'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| matches!(i, 4 | 7 | 10 | 13 | 16 | 19 | 23) || b.is_ascii_digit());
        if !shape_ok {
            return None;
        }
        let number = |from: usize, to: usize| {
            bytes[from..to]
                .iter()
                .fold(0i64, |n, digit| n * 10 + i64::from(digit - b'0'))
        };
        let (hour, minute, second) = (number(11, 13), number(14, 16), number(17, 19));
        // A leap second (60) and the like are left to the full reader.
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let date = jiff::civil::Date::new(
            i16::try_from(number(0, 4)).ok()?,
            i8::try_from(number(5, 7)).ok()?,
            i8::try_from(number(8, 10)).ok()?,
        )
        .ok()?;
        let days = days_from_civil(date);
        let millis = ((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + number(20, 23);
        jiff::Timestamp::from_millisecond(millis).ok().map(Instant)
    }

    /// The civil date of this instant in UTC.
    pub fn date_utc(self) -> jiff::civil::Date {
        self.0.to_zoned(jiff::tz::TimeZone::UTC).date()
    }
}

impl FromStr for Instant {
    type Err = Message;

    /// Accepts any RFC 3339 instant (with `Z` or an offset); a bare date `YYYY-MM-DD` is read as
    /// the end of that day in UTC, which is what "as known on that day" means.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(instant) = Instant::from_canonical(text) {
            return Ok(instant);
        }
        if let Ok(date) = text.parse::<CivilDate>() {
            let end_of_day = date.jiff().at(23, 59, 59, 999_000_000);
            return end_of_day
                .to_zoned(jiff::tz::TimeZone::UTC)
                .ok()
                .and_then(|zoned| Instant::truncated(zoned.timestamp()))
                .ok_or_else(|| Message::new(codes::INSTANT_TOO_LATE).text("value", quoted(text)));
        }
        text.parse::<jiff::Timestamp>()
            .ok()
            .and_then(Instant::truncated)
            .ok_or_else(|| Message::new(codes::INSTANT_FORMAT).text("value", quoted(text)))
    }
}

/// Days from 1970-01-01 to `date` in the proleptic Gregorian calendar (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(date: jiff::civil::Date) -> i64 {
    let month = i64::from(date.month());
    let day = i64::from(date.day());
    let year = i64::from(date.year()) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}", self.0)
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_keys() {
        for good in ["a", "dn-kh-2014", "0", &"a".repeat(64)] {
            assert!(good.parse::<PlanKey>().is_ok(), "{good}");
        }
        for bad in ["", "-a", "A", "dn_kh", "dn kh", "đn", &"a".repeat(65)] {
            assert!(bad.parse::<PlanKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn indicator_keys() {
        for good in ["training.participants", "outreach.radio", "x", "a_b.c_d"] {
            assert!(good.parse::<IndicatorKey>().is_ok(), "{good}");
        }
        for bad in ["", ".a", "a.", "a..b", "A", "a1", "_a", "a.b-c"] {
            assert!(bad.parse::<IndicatorKey>().is_err(), "{bad}");
        }
    }

    #[test]
    fn dates() {
        assert_eq!(
            "2014-05-30".parse::<CivilDate>().unwrap().to_string(),
            "2014-05-30"
        );
        assert_eq!("1900-01-01".parse::<CivilDate>().unwrap().year(), 1900);
        assert_eq!("2200-12-31".parse::<CivilDate>().unwrap().year(), 2200);
        for bad in [
            "0014-05-30",
            "2014-02-30",
            "1899-12-31",
            "2201-01-01",
            "2014-5-30",
            "",
        ] {
            assert!(bad.parse::<CivilDate>().is_err(), "{bad}");
        }
        let hint = "07/12/2011".parse::<CivilDate>().unwrap_err();
        assert!(hint.to_string().contains("write 2011-12-07"), "{hint}");
    }

    #[test]
    fn amounts() {
        assert!(Amount::new(1).is_ok());
        assert!(Amount::new(JSON_SAFE_INTEGER_MAX).is_ok());
        assert!(Amount::new(0).is_err());
        assert!(Amount::new(JSON_SAFE_INTEGER_MAX + 1).is_err());
    }

    #[test]
    fn event_ids_are_canonical_ulids() {
        assert!("01JD0000000000000000000000".parse::<EventId>().is_ok());
        assert!("01jd0000000000000000000000".parse::<EventId>().is_err());
        assert!("01JD000000000000000000000".parse::<EventId>().is_err());
        assert!("81JD0000000000000000000000".parse::<EventId>().is_err());
        assert!("01JD000000000000000000000U".parse::<EventId>().is_err());
    }

    #[test]
    fn instants_print_milliseconds_in_utc() {
        let instant: Instant = "2026-11-28T20:15:00.123456Z".parse().unwrap();
        assert_eq!(instant.to_string(), "2026-11-28T20:15:00.123Z");
        let instant: Instant = "2026-11-28T22:15:00+02:00".parse().unwrap();
        assert_eq!(instant.to_string(), "2026-11-28T20:15:00.000Z");
        let end_of_day: Instant = "2012-12-31".parse().unwrap();
        assert_eq!(end_of_day.to_string(), "2012-12-31T23:59:59.999Z");
        assert!("yesterday".parse::<Instant>().is_err());
    }

    #[test]
    fn the_stored_form_of_instants_reads_as_the_full_reader_reads_it() {
        // Across leap days, century rules, the epoch and the contract's whole range of years.
        let mut millis = jiff::Timestamp::from_second(-2_208_988_800)
            .unwrap()
            .as_millisecond();
        let last = jiff::Timestamp::from_second(7_289_654_400)
            .unwrap()
            .as_millisecond();
        let mut step = 1_i64;
        while millis < last {
            let instant = Instant(jiff::Timestamp::from_millisecond(millis).unwrap());
            let text = instant.to_string();
            assert_eq!(Instant::from_canonical(&text), Some(instant), "{text}");
            assert_eq!(
                text.parse::<jiff::Timestamp>()
                    .ok()
                    .map(Instant::from_timestamp),
                Some(instant)
            );
            millis += step * 86_399_999 + step % 1000;
            step = step % 97 + 1;
        }
        for other in [
            "2026-11-28T20:15:00.123456Z",
            "2026-11-28T20:15:00Z",
            "2026-11-28T22:15:00.000+02:00",
            "2026-02-29T00:00:00.000Z",
            "2026-11-28T24:00:00.000Z",
            "2016-12-31T23:59:60.000Z",
            "2026-11-28t20:15:00.123z",
            "+2026-11-28T20:15:00.123",
        ] {
            assert_eq!(Instant::from_canonical(other), None, "{other}");
        }
    }

    #[test]
    fn an_instant_in_jiffs_last_millisecond_is_refused_not_a_panic() {
        assert!("9999-12-30T22:00:00.500Z".parse::<Instant>().is_err());
        assert!("9999-12-30T21:59:59.999Z".parse::<Instant>().is_ok());
    }

    #[test]
    fn a_date_serialises_as_it_displays() {
        let mut day = jiff::civil::Date::constant(1899, 12, 25);
        while day.year() <= 2201 {
            let date = CivilDate(day);
            assert_eq!(serde_json::to_string(&date).unwrap(), format!("\"{date}\""));
            day = day.tomorrow().unwrap();
        }
        for day in [
            jiff::civil::Date::MIN,
            jiff::civil::Date::constant(-1, 1, 1),
            jiff::civil::Date::constant(0, 1, 1),
            jiff::civil::Date::constant(9, 10, 1),
            jiff::civil::Date::constant(999, 12, 31),
            jiff::civil::Date::MAX,
        ] {
            let date = CivilDate(day);
            assert_eq!(serde_json::to_string(&date).unwrap(), format!("\"{date}\""));
        }
    }
}
