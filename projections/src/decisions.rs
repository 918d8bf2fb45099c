//! The decisions the yearly summary lists, each version kept rendered as the summary writes it.
//!
//! The summary of a whole record lists tens of thousands of decisions, and escaping their texts
//! for every answer was a good part of its cost: each version is rendered once, when it is
//! applied, and an answer writes it out as it is.

use acta_events::CivilDate;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Every decision version applied, as the yearly summary lists it: a JSON object of
/// `issued_on`, `issuer`, `number` and `title`. A payload names its entry by index.
#[derive(Debug, Default)]
pub(crate) struct Decisions {
    rendered: Vec<Box<RawValue>>,
}

/// The fields of a listed decision, in byte order of their names as every answer's keys.
#[derive(Serialize)]
struct DecisionFields<'a> {
    issued_on: CivilDate,
    issuer: &'a str,
    number: &'a str,
    title: &'a str,
}

impl Decisions {
    /// Keeps a decision version, rendered; returns its index.
    pub(crate) fn push(
        &mut self,
        issued_on: CivilDate,
        issuer: &str,
        number: &str,
        title: &str,
    ) -> u32 {
        let fields = DecisionFields {
            issued_on,
            issuer,
            number,
            title,
        };
        let rendered =
            serde_json::value::to_raw_value(&fields).expect("a decision's fields render as JSON");
        self.rendered.push(rendered);
        u32::try_from(self.rendered.len() - 1).expect("fewer than 2^32 decisions")
    }

    /// Keeps the decision at `index` again, with the date `issued_on` (a correction moved it);
    /// returns the new entry's index.
    pub(crate) fn push_redated(&mut self, index: u32, issued_on: CivilDate) -> u32 {
        #[derive(Deserialize)]
        struct Owned {
            issuer: String,
            number: String,
            title: String,
        }
        let texts: Owned =
            serde_json::from_str(self.get(index).get()).expect("a rendered decision reads back");
        self.push(issued_on, &texts.issuer, &texts.number, &texts.title)
    }

    /// The decision at `index`, as JSON.
    pub(crate) fn get(&self, index: u32) -> &RawValue {
        &self.rendered[index as usize]
    }
}
