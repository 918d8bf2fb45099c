//! Reconciliation findings as a reader sees them: the projections give each finding a code and
//! parameters (they render nothing); here, at the edge, the text is added as `message` in the
//! language asked for.

use std::ops::Deref;

use serde::Serialize;
use serde_json::Value;

use acta_messages::Lang;
use acta_projections::{Finding, Reconciliation};

/// One finding as JSON: the projection's fields (`code` and `params` among them) and `message`
/// in `lang`, keys in byte order as in every answer.
pub fn finding_json(finding: &Finding, lang: Lang) -> Value {
    let mut value = serde_json::to_value(finding).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields.insert("message".into(), finding.message.render(lang).into());
    }
    value
}

/// A reconciliation with its findings' messages in one language; reads as the
/// [`Reconciliation`] it holds.
pub struct ReconciliationIn {
    pub reconciliation: Reconciliation,
    pub lang: Lang,
}

impl Deref for ReconciliationIn {
    type Target = Reconciliation;

    fn deref(&self) -> &Reconciliation {
        &self.reconciliation
    }
}

impl Serialize for ReconciliationIn {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Rendered {
            findings: Vec<Value>,
            ok: bool,
        }
        Rendered {
            findings: self
                .reconciliation
                .findings
                .iter()
                .map(|finding| finding_json(finding, self.lang))
                .collect(),
            ok: self.reconciliation.ok,
        }
        .serialize(serializer)
    }
}
