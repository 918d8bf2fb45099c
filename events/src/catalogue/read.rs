//! Reading an event's `data` from a JSON value field by field ([`EventData::parse`]), every
//! problem listed with its JSON Pointer. Unknown fields are refused (the same as serde's
//! `deny_unknown_fields`, but listed all at once).

use acta_messages::{Message, codes};
use serde_json::Value;

use super::data::{
    AssessmentCompleted, DecisionIssued, EventCorrected, EventData, EventRetracted, Funds,
    OutreachDelivered, Period, PlanApproved, PlanCancelled, PlanCompleted, PlanRegistered,
    PlanSubmitted, ProgressReported, StaffAssigned, TargetSet, TotalReported, TrainingHeld,
    UnitEstablished,
};
use super::names::{DecisionKind, EventType};
use super::table::data_fields;
use crate::fields::{
    self, FieldErrors, ObjectReader, amount, boolean, count_map, event_id, indicator,
    integer_at_least, parsed, plan_key, text, text_list, year,
};

impl EventData {
    /// Reads `data` as the data of an event of type `event_type`. `pointer` is where `data` sits
    /// in the request body (`/data`, `/events/3/data`, `/data/data` for a correction's
    /// replacement data).
    pub fn parse(
        event_type: EventType,
        data: &Value,
        pointer: &str,
    ) -> Result<EventData, FieldErrors> {
        let mut errors = FieldErrors::default();
        let parsed = parse_data(event_type, data, pointer, &mut errors);
        match parsed {
            Some(parsed) if errors.is_empty() => Ok(parsed),
            _ => {
                debug_assert!(!errors.is_empty(), "a failed parse records why");
                Err(errors)
            }
        }
    }
}

/// Returns `Some` only if every required field was read; problems go to `errors`.
fn parse_data(
    event_type: EventType,
    data: &Value,
    pointer: &str,
    errors: &mut FieldErrors,
) -> Option<EventData> {
    use EventType as T;
    let mut r = ObjectReader::new(data, pointer, data_fields(event_type), errors)?;
    match event_type {
        T::PlanRegistered => read_plan_registered(&mut r),
        T::PlanSubmitted => read_plan_submitted(&mut r),
        T::PlanApproved => read_plan_approved(&mut r),
        T::PlanCompleted => read_plan_completed(&mut r),
        T::PlanCancelled => read_plan_cancelled(&mut r),
        T::DecisionIssued => read_decision_issued(&mut r),
        T::UnitEstablished => read_unit_established(&mut r),
        T::StaffAssigned => read_staff_assigned(&mut r),
        T::TrainingHeld => read_training_held(&mut r),
        T::OutreachDelivered => read_outreach_delivered(&mut r),
        T::AssessmentCompleted => read_assessment_completed(&mut r),
        T::ProgressReported => read_progress_reported(&mut r),
        T::TargetSet => read_target_set(&mut r),
        T::FundsPlanned | T::FundsAllocated | T::FundsDisbursed => read_funds(&mut r, event_type),
        T::TotalReported => read_total_reported(&mut r),
        T::EventCorrected => read_event_corrected(&mut r),
        T::EventRetracted => read_event_retracted(&mut r),
    }
}
/// `data` of `plan.registered`.
fn read_plan_registered(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let title = r.required("title", text);
    let code = r.optional("code", text);
    let issuer = r.optional("issuer", text);
    let kind = r.required("kind", parsed);
    let period = read_period(r);
    let parent = r.optional("parent", plan_key);
    Some(EventData::PlanRegistered(PlanRegistered {
        title: title?,
        code,
        issuer,
        kind: kind?,
        period: period?,
        parent,
    }))
}

/// `data` of `plan.submitted`.
fn read_plan_submitted(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    Some(EventData::PlanSubmitted(PlanSubmitted {
        to: r.optional("to", text),
        document: r.optional("document", text),
    }))
}

/// `data` of `plan.approved`.
fn read_plan_approved(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let decision = r.required("decision", text);
    let approved_by = r.optional("approved_by", text);
    Some(EventData::PlanApproved(PlanApproved {
        decision: decision?,
        approved_by,
    }))
}

/// `data` of `plan.completed`.
fn read_plan_completed(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    Some(EventData::PlanCompleted(PlanCompleted {
        note: r.optional("note", text),
    }))
}

/// `data` of `plan.cancelled`.
fn read_plan_cancelled(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    Some(EventData::PlanCancelled(PlanCancelled {
        reason: r.required("reason", text)?,
    }))
}

/// `data` of `decision.issued`.
fn read_decision_issued(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let number = r.required("number", text);
    let issuer = r.required("issuer", text);
    let title = r.required("title", text);
    let kind = r.optional("kind", parsed).unwrap_or(DecisionKind::Decision);
    let basis = r.optional_inner("basis", text_list).unwrap_or_default();
    Some(EventData::DecisionIssued(DecisionIssued {
        number: number?,
        issuer: issuer?,
        title: title?,
        kind,
        basis,
    }))
}

/// `data` of `unit.established`.
fn read_unit_established(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let name = r.required("name", text);
    let decision = r.optional("decision", text);
    Some(EventData::UnitEstablished(UnitEstablished {
        name: name?,
        decision,
    }))
}

/// `data` of `staff.assigned`.
fn read_staff_assigned(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let unit = r.required("unit", text);
    let count = r.required("count", integer_at_least(1));
    let role = r.optional("role", text);
    Some(EventData::StaffAssigned(StaffAssigned {
        unit: unit?,
        count: count?,
        role,
    }))
}

/// `data` of `training.held`.
fn read_training_held(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let topic = r.required("topic", text);
    let sessions = r.required("sessions", integer_at_least(1));
    let participants = r.optional("participants", integer_at_least(0));
    let participants_by_group = r.optional_inner("participants_by_group", count_map);
    let organisations = r.optional("organisations", integer_at_least(0));
    let approximate = r.optional("approximate", boolean).unwrap_or(false);
    Some(EventData::TrainingHeld(TrainingHeld {
        topic: topic?,
        sessions: sessions?,
        participants,
        participants_by_group,
        organisations,
        approximate,
    }))
}

/// `data` of `outreach.delivered`.
fn read_outreach_delivered(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let channel = r.required("channel", parsed);
    let items = r.required("items", integer_at_least(1));
    let note = r.optional("note", text);
    Some(EventData::OutreachDelivered(OutreachDelivered {
        channel: channel?,
        items: items?,
        note,
    }))
}

/// `data` of `assessment.completed`.
fn read_assessment_completed(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let kind = r.required("kind", parsed);
    let enterprises = r.required("enterprises", integer_at_least(1));
    Some(EventData::AssessmentCompleted(AssessmentCompleted {
        kind: kind?,
        enterprises: enterprises?,
    }))
}

/// `data` of `progress.reported`.
fn read_progress_reported(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let indicator_key = r.required("indicator", indicator);
    let quantity = r.required("quantity", integer_at_least(0));
    let note = r.optional("note", text);
    Some(EventData::ProgressReported(ProgressReported {
        indicator: indicator_key?,
        quantity: quantity?,
        note,
    }))
}

/// `data` of `target.set`.
fn read_target_set(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let indicator_key = r.required("indicator", indicator);
    let target_year = r.required("year", year);
    let quantity = r.required("quantity", integer_at_least(0));
    let unit = r.optional("unit", text);
    Some(EventData::TargetSet(TargetSet {
        indicator: indicator_key?,
        year: target_year?,
        quantity: quantity?,
        unit,
    }))
}

/// `data` of `funds.planned`, `funds.allocated`, `funds.disbursed`.
fn read_funds(r: &mut ObjectReader<'_, '_>, event_type: EventType) -> Option<EventData> {
    use EventType as T;
    let fiscal_year = r.required("fiscal_year", year);
    let source = r.required("source", parsed);
    let money = r.required("amount", amount);
    let budget_line = r.optional("budget_line", text);
    let document = r.optional("document", text);
    let funds = Funds {
        fiscal_year: fiscal_year?,
        source: source?,
        amount: money?,
        budget_line,
        document,
    };
    Some(match event_type {
        T::FundsPlanned => EventData::FundsPlanned(funds),
        T::FundsAllocated => EventData::FundsAllocated(funds),
        _ => EventData::FundsDisbursed(funds),
    })
}

/// `data` of `total.reported`.
fn read_total_reported(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let metric = r.required("metric", indicator);
    let money = r.required("amount", amount);
    let amount_in_words = r.optional("amount_in_words", text);
    let from_year = r.optional("from_year", year);
    let to_year = r.optional("to_year", year);
    let document = r.optional("document", text);
    if let (Some(from), Some(to)) = (from_year, to_year)
        && from > to
    {
        let pointer = r.pointer_of("to_year");
        r.errors().invalid(
            pointer,
            Message::new(codes::BEFORE_FROM_YEAR).int("from_year", from),
        );
    }
    Some(EventData::TotalReported(TotalReported {
        metric: metric?,
        amount: money?,
        amount_in_words,
        from_year,
        to_year,
        document,
    }))
}

/// `data` of `event.corrected`.
fn read_event_corrected(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let target = r.required("target", event_id);
    let reason = r.required("reason", text);
    let replacement = r.optional("data", |value| match value {
        Value::Object(_) => Ok(value.clone()),
        other => Err(Message::new(codes::NOT_AN_OBJECT).got(other)),
    });
    let occurred_on = r.optional("occurred_on", fields::date);
    if !r.has("data") && !r.has("occurred_on") {
        let pointer = r.pointer_of("").trim_end_matches('/').to_owned();
        r.errors().invalid(pointer, codes::CORRECTION_NEEDS_CHANGE);
    }
    Some(EventData::EventCorrected(EventCorrected {
        target: target?,
        reason: reason?,
        data: replacement,
        occurred_on,
    }))
}

/// `data` of `event.retracted`.
fn read_event_retracted(r: &mut ObjectReader<'_, '_>) -> Option<EventData> {
    let target = r.required("target", event_id);
    let reason = r.required("reason", text);
    Some(EventData::EventRetracted(EventRetracted {
        target: target?,
        reason: reason?,
    }))
}

fn read_period(r: &mut ObjectReader<'_, '_>) -> Option<Period> {
    let pointer = r.pointer_of("period");
    let Some(value) = r.raw("period") else {
        r.errors().invalid(pointer, codes::FIELD_REQUIRED);
        return None;
    };
    let mut errors = FieldErrors::default();
    let period = ObjectReader::new(value, &pointer, &["from_year", "to_year"], &mut errors)
        .and_then(|mut period| {
            let from_year = period.required("from_year", year);
            let to_year = period.required("to_year", year);
            match (from_year, to_year) {
                (Some(from_year), Some(to_year)) if from_year > to_year => {
                    let to_pointer = period.pointer_of("to_year");
                    period.errors().invalid(
                        to_pointer,
                        Message::new(codes::BEFORE_FROM_YEAR).int("from_year", from_year),
                    );
                    None
                }
                (Some(from_year), Some(to_year)) => Some(Period { from_year, to_year }),
                _ => None,
            }
        });
    r.errors().extend(errors);
    period
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn optional_fields_take_their_defaults() {
        let data = json!({"number": "1419/QĐ-TTg", "issuer": "Thủ tướng", "title": "Chiến lược"});
        let EventData::DecisionIssued(decision) =
            EventData::parse(EventType::DecisionIssued, &data, "/data").unwrap()
        else {
            panic!("wrong variant")
        };
        assert_eq!(decision.kind, DecisionKind::Decision);
        assert!(decision.basis.is_empty());
    }

    #[test]
    fn period_must_run_forward() {
        let data =
            json!({"title": "t", "kind": "plan", "period": {"from_year": 2015, "to_year": 2011}});
        let errors = EventData::parse(EventType::PlanRegistered, &data, "/data").unwrap_err();
        assert_eq!(errors.invalid[0].field, "/data/period/to_year");
    }

    #[test]
    fn a_correction_needs_data_or_a_date() {
        let data = json!({"target": "01JD0000000000000000000000", "reason": "typo"});
        let errors = EventData::parse(EventType::EventCorrected, &data, "/data").unwrap_err();
        assert_eq!(errors.invalid[0].field, "/data");
    }
}
