//! Every message code with the parameters it gives. A code is stable: clients branch on it, and
//! the API reference (docs/API.md, "Message codes") lists each one. Its texts are the Fluent
//! messages of the same id in `locales/vi/` and `locales/en/`; the completeness test
//! (`tests.rs`) fails when a code lacks a text in either language, when a text uses a parameter
//! its code does not give, or when a text has no code.

/// A message code and the names of the parameters it gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    pub id: &'static str,
    pub params: &'static [&'static str],
}

macro_rules! codes {
    ($($(#[$doc:meta])* $name:ident = $id:literal [$($param:ident),*];)+) => {
        $($(#[$doc])* pub const $name: Code = Code { id: $id, params: &[$(stringify!($param)),*] };)+
        /// Every code, in the order of this file.
        pub const ALL: &[Code] = &[$($name),+];
    };
}

codes! {
    // Field errors of a request body (problem+json `errors[]`). `got` is what a JSON value was
    // (`null`, `boolean`, `float`, `negative_integer`, `integer`, `string`, `array`, `object`).
    /// What a JSON value is (`value`: `null`, `boolean`, `float`, …), the `got` of others.
    JSON_KIND = "json-kind" [value];
    /// A source of funds (`value`: `central`, `local`, `other`).
    SOURCE = "source" [value];
    FIELD_REQUIRED = "field-required" [];
    DATA_REQUIRED = "data-required" [];
    UNKNOWN_FIELD = "unknown-field" [expected];
    NOT_AN_OBJECT = "not-an-object" [got];
    NOT_A_JSON_OBJECT = "not-a-json-object" [got];
    NOT_A_STRING = "not-a-string" [got];
    NOT_AN_INTEGER = "not-an-integer" [got];
    FLOAT_NOT_INTEGER = "float-not-integer" [value];
    INTEGER_OUT_OF_RANGE = "integer-out-of-range" [minimum, maximum, value];
    YEAR_NOT_INTEGER = "year-not-integer" [got];
    YEAR_OUT_OF_RANGE = "year-out-of-range" [minimum, maximum, value];
    AMOUNT_NOT_INTEGER = "amount-not-integer" [got];
    AMOUNT_FLOAT = "amount-float" [value];
    AMOUNT_OUT_OF_RANGE = "amount-out-of-range" [maximum, value];
    NOT_A_BOOLEAN = "not-a-boolean" [got];
    NOT_AN_ARRAY_OF_STRINGS = "not-an-array-of-strings" [got];
    NOT_A_COUNT_MAP = "not-a-count-map" [got];
    NOT_AN_ARRAY_OF_EVENTS = "not-an-array-of-events" [got];
    TOO_MANY_ENTRIES = "too-many-entries" [maximum];
    MAP_NAME_INVALID = "map-name-invalid" [reason];
    TEXT_CONTROL_CHARACTER = "text-control-character" [character];
    TEXT_LENGTH = "text-length" [maximum, length];
    TEXT_FORMAT_CHARACTER = "text-format-character" [character, position];
    NAME_FORMAT_CHARACTER = "name-format-character" [character, position];
    TOO_MANY_FORMAT_CHARACTERS = "too-many-format-characters" [maximum];
    FLOAT_IN_DATA = "float-in-data" [value];
    PLAN_KEY_PATTERN = "plan-key-pattern" [maximum, value];
    INDICATOR_PATTERN = "indicator-pattern" [value];
    DATE_YEAR_RANGE = "date-year-range" [minimum, maximum, year];
    DATE_NOT_IN_CALENDAR = "date-not-in-calendar" [date];
    DATE_FORMAT_HINT = "date-format-hint" [hint, value];
    DATE_FORMAT = "date-format" [value];
    DATE_NO_SUCH_MONTH = "date-no-such-month" [value];
    DATE_NO_SUCH_DAY = "date-no-such-day" [value];
    DATE_IN_FUTURE = "date-in-future" [date, latest];
    EVENT_ID_FORMAT = "event-id-format" [value];
    DATE_PRECISION = "date-precision" [value];
    INSTANT_TOO_LATE = "instant-too-late" [value];
    INSTANT_FORMAT = "instant-format" [value];
    NOT_ONE_OF = "not-one-of" [expected, value];
    BEFORE_FROM_YEAR = "before-from-year" [from_year];
    CORRECTION_NEEDS_CHANGE = "correction-needs-change" [];
    EVENT_TOO_LARGE = "event-too-large" [maximum];
    BATCH_TOO_LARGE = "batch-too-large" [maximum, count];
    BATCH_EMPTY = "batch-empty" [];
    HASH_FORMAT = "hash-format" [];
    RESTORED_NEEDS_ID = "restored-needs-id" [];
    // Refusals by what is stored (the log's rules).
    DECISION_TAKEN = "decision-taken" [number, issuer, year];
    ID_TAKEN = "id-taken" [id, seq];
    ID_STORED = "id-stored" [id];
    PLAN_REGISTERED_ALREADY = "plan-registered-already" [plan];
    PLAN_NOT_REGISTERED = "plan-not-registered" [plan];
    PLAN_NOT_REGISTERED_FIRST = "plan-not-registered-first" [plan];
    VERSION_MISMATCH = "version-mismatch" [expected, plan, current];
    LIFECYCLE_DATED_BEFORE = "lifecycle-dated-before" [plan, latest];
    LIFECYCLE_NOT_ALLOWED = "lifecycle-not-allowed" [plan, status, event_type];
    FISCAL_YEAR_OUTSIDE = "fiscal-year-outside" [year, from_year, to_year];
    CORRECTION_CHANGES_PLAN = "correction-changes-plan" [];
    TARGET_MISSING = "target-missing" [target];
    TARGET_IS_CORRECTION = "target-is-correction" [target, event_type];
    TARGET_OTHER_PLAN = "target-other-plan" [target, plan];
    TARGET_RETRACTED = "target-retracted" [target];
    LIFECYCLE_NOT_RETRACTED = "lifecycle-not-retracted" [target, event_type];
    LIFECYCLE_NOT_REDATED = "lifecycle-not-redated" [];
    HASH_ALTERED = "hash-altered" [hash];
    RESTORE_SEQ = "restore-seq" [seq, head_seq];
    RESTORE_PREV_HASH = "restore-prev-hash" [prev_hash, head_hash];
    RESTORE_VERSION = "restore-version" [version, next];
    RESTORE_RECORDED_AT = "restore-recorded-at" [];
    RESTORE_REPEAT = "restore-repeat" [id, seq, hash, sent_seq, sent_hash];
    // Query parameters and other requests.
    PARAMETER_REPEATED = "parameter-repeated" [];
    PARAMETER_UNKNOWN = "parameter-unknown" [expected];
    PARAMETER_MALFORMED = "parameter-malformed" [reason];
    AFTER_NOT_SEQ = "after-not-seq" [value];
    LIMIT_RANGE = "limit-range" [maximum, value];
    SEARCH_TOO_LONG = "search-too-long" [maximum, length];
    SEARCH_NO_WORD = "search-no-word" [];
    SEARCH_TOO_MANY_WORDS = "search-too-many-words" [maximum, words];
    TOKEN_NAME_TAKEN = "token-name-taken" [];
    AMOUNT_TEXT_REQUIRED = "amount-text-required" [];
    AMOUNT_TEXT_TOO_LONG = "amount-text-too-long" [maximum];
    AMOUNT_TEXT_UNREADABLE = "amount-text-unreadable" [];
    AMOUNT_TEXT_TOO_LARGE = "amount-text-too-large" [maximum];
    INTEGER_AT_LEAST_ONE = "integer-at-least-one" [value];
    SEQ_FORMAT = "seq-format" [value];
    SEQ_BEYOND_HEAD = "seq-beyond-head" [head_seq];
    FORMAT_JSON_OR_CSV = "format-json-or-csv" [];
    JSON_SYNTAX = "json-syntax" [reason];
    JSON_TOO_DEEP = "json-too-deep" [maximum];
    JSON_DUPLICATE_KEY = "json-duplicate-key" [];
    // Summaries of an answer (problem+json `detail`).
    DETAIL_ONE = "detail-one" [field, message];
    DETAIL_MANY = "detail-many" [field, message, more];
    DETAIL_UNKNOWN_FIELDS = "detail-unknown-fields" [];
    DETAIL_INVALID = "detail-invalid" [];
    DETAIL_LEFT_OUT = "detail-left-out" [listed, total];
    DETAIL_PARAMETER = "detail-parameter" [name];
    DETAIL_NOT_JSON = "detail-not-json" [reason];
    DETAIL_DUPLICATE_KEY = "detail-duplicate-key" [field];
    DETAIL_TOKEN_NAME_TAKEN = "detail-token-name-taken" [name];
    DETAIL_SEQ_FORMAT = "detail-seq-format" [field];
    DETAIL_SEQ_BEYOND_HEAD = "detail-seq-beyond-head" [field, after, head_seq];
    // Reconciliation findings (projections' `Finding`), and the same rules as warnings of an
    // append.
    FINDING_TOTAL_MISMATCH = "finding-total_mismatch" [metric, plan, years, reported, computed, difference];
    FINDING_WORDS_MISMATCH = "finding-words_mismatch" [metric, plan, years, words, amount, difference];
    FINDING_WORDS_UNREADABLE = "finding-words_unreadable" [metric, plan, years, amount];
    FINDING_BREAKDOWN_MISMATCH = "finding-breakdown_mismatch" [date, plan, participants, group_sum, difference];
    FINDING_OVERSPEND = "finding-overspend" [plan, source, fiscal_year, disbursed, allocated, overspent];
    FINDING_DISBURSED_WITHOUT_ALLOCATION = "finding-disbursed_without_allocation" [plan, source, fiscal_year, disbursed];
    FINDING_TARGET_MISSED = "finding-target_missed" [plan, indicator, year, target, actual, short];
    /// The years a `total.reported` covers, the `years` of the total and words findings.
    YEARS_ONE = "years-one" [year];
    YEARS_RANGE = "years-range" [from_year, to_year];
    YEARS_FROM = "years-from" [from_year];
    YEARS_UP_TO = "years-up-to" [to_year];
    YEARS_ALL = "years-all" [];
    // Warnings of an append that no reconciliation finding covers.
    WARNING_DUPLICATE_WITHOUT_ID = "warning-duplicate_without_id" [id, seq];
    // Labels of the report and the dated statement (src/report.rs, src/statement.rs).
    ST_STATEMENT = "st-statement" [];
    ST_STATEMENT_CAPS = "st-statement-caps" [];
    ST_TITLE_AS_OF = "st-title-as-of" [date];
    ST_TITLE_ALL = "st-title-all" [];
    ST_PROGRAMME = "st-programme" [];
    ST_AS_OF = "st-as-of" [];
    ST_AS_OF_ANY = "st-as-of-any" [];
    ST_KNOWN_AT = "st-known-at" [];
    ST_KNOWN_NOW = "st-known-now" [];
    ST_CHAIN_HEAD = "st-chain-head" [];
    ST_PRODUCED_AT = "st-produced-at" [];
    ST_PLANS = "st-plans" [];
    ST_PLAN = "st-plan" [];
    ST_TITLE = "st-title" [];
    ST_KIND = "st-kind" [];
    ST_STATUS = "st-status" [];
    ST_SINCE = "st-since" [];
    ST_PERIOD = "st-period" [];
    ST_FUNDING = "st-funding" [];
    ST_FISCAL_YEAR = "st-fiscal-year" [];
    ST_SOURCE = "st-source" [];
    ST_PLANNED = "st-planned" [];
    ST_ALLOCATED = "st-allocated" [];
    ST_DISBURSED = "st-disbursed" [];
    ST_BUDGET = "st-budget" [];
    ST_UNSPENT = "st-unspent" [];
    ST_BY_SOURCE = "st-by-source" [];
    ST_TOTAL = "st-total" [];
    ST_IN_WORDS = "st-in-words" [];
    ST_BUDGET_IN_WORDS = "st-budget-in-words" [];
    ST_YEARLY = "st-yearly" [];
    ST_YEAR = "st-year" [];
    ST_DECISIONS = "st-decisions" [];
    ST_PLANS_APPROVED = "st-plans-approved" [];
    ST_TRAINING = "st-training" [];
    ST_TRAININGS = "st-trainings" [];
    ST_SESSIONS = "st-sessions" [];
    ST_PARTICIPANTS = "st-participants" [];
    ST_OUTREACH = "st-outreach" [];
    ST_ENTERPRISES = "st-enterprises" [];
    ST_STAFF = "st-staff" [];
    ST_RECONCILIATION = "st-reconciliation" [];
    ST_VERDICT_OK = "st-verdict-ok" [warnings];
    ST_VERDICT_ERRORS = "st-verdict-errors" [errors, warnings];
    ST_NO_FINDINGS = "st-no-findings" [];
    ST_SEVERITY = "st-severity" [];
    ST_FINDING = "st-finding" [];
    ST_EXPECTED = "st-expected" [];
    ST_ACTUAL = "st-actual" [];
    ST_DIFFERENCE = "st-difference" [];
    ST_MESSAGE = "st-message" [];
    ST_STATUS_NAME = "st-status-name" [value];
    ST_SOURCE_NAME = "st-source-name" [value];
    ST_SEVERITY_NAME = "st-severity-name" [value];
    ST_FINDING_KIND = "st-finding-kind" [value];
    /// How `detail` names the whole body (the pointer `""`).
    THE_BODY = "the-body" [];
}
