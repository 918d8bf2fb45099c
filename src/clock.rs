//! The one place that reads the wall clock. Everything below `src/` is handed a clock.

use std::sync::Arc;

use acta_events::Clock;

/// The system clock.
pub fn system() -> Clock {
    Arc::new(jiff::Timestamp::now)
}
