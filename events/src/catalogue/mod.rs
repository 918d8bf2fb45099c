//! The event catalogue of CONTRACT §2.1–§2.3 as typed Rust, and the one owner of what valid
//! `data` is.
//!
//! [`EventData::parse`] turns the `data` object of an event into its typed form, reporting every
//! problem with its JSON Pointer. [`BorrowedData::read`] reads the stored text of an act's
//! `data` at the cold start without an intermediate JSON value, accepting only what
//! `EventData::parse` accepts. Both go by one table of each type's fields.
//!
//! # Layout
//!
//! - `names`: [`EventType`], [`PlanStatus`] and the fixed sets of names data may carry.
//! - `data`: the typed data of each event type, [`EventData`].
//! - `table`: the one table of each type's fields: name, presence, kind; [`FieldAt`].
//! - `read`: [`EventData::parse`], field by field from a JSON value.
//! - `borrowed`: [`BorrowedData`], an act's data read straight from its stored text.

mod borrowed;
mod data;
mod names;
mod read;
mod table;

pub use borrowed::{Borrowed, BorrowedData};
pub use data::{
    AssessmentCompleted, DecisionIssued, EventCorrected, EventData, EventRetracted, Funds,
    OutreachDelivered, Period, PlanApproved, PlanCancelled, PlanCompleted, PlanRegistered,
    PlanSubmitted, ProgressReported, StaffAssigned, TargetSet, TotalReported, TrainingHeld,
    UnitEstablished,
};
pub use names::{AssessmentKind, Channel, DecisionKind, EventType, PlanKind, PlanStatus, Source};
pub use table::FieldAt;
