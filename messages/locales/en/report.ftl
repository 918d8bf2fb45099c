# Labels of the report and the dated statement (acta report, GET /v1/statement).

st-statement = Dated statement
st-statement-caps = DATED STATEMENT
st-title-as-of = Statement as of { $date }
st-title-all = Statement of the whole record
st-programme = Programme
st-as-of = As of
st-as-of-any = every day (no limit of date)
st-known-at = As known at
st-known-now = now (the whole record)
st-chain-head = Chain head
st-produced-at = Produced at
st-plans = 1. Plan status
st-plan = Plan
st-title = Title
st-kind = Kind
st-status = Status
st-since = Since
st-period = Period
st-funding = 2. Funding by year and source
st-fiscal-year = Fiscal year
st-source = Source
st-planned = Planned
st-allocated = Allocated
st-disbursed = Disbursed
st-budget = Budget
st-unspent = Unspent
st-by-source = By source
st-total = Total
st-in-words = Totals in figures and words
st-budget-in-words = Budget in words
st-yearly = 3. Year by year
st-year = Year
st-decisions = Decisions
st-plans-approved = Plans approved
st-training = Training: events / sessions / participants
st-trainings = Trainings
st-sessions = Sessions
st-participants = Participants
st-outreach = Outreach
st-enterprises = Enterprises assessed
st-staff = Staff
st-reconciliation = 4. Reconciliation
st-verdict-ok = Reconciled: no errors; { $warnings } { $warnings ->
    [one] warning
   *[other] warnings
}
st-verdict-errors = Not reconciled: { $errors } { $errors ->
    [one] error
   *[other] errors
}, { $warnings } { $warnings ->
    [one] warning
   *[other] warnings
}
st-no-findings = No findings.
st-severity = Severity
st-finding = Finding
st-expected = Expected
st-actual = Actual
st-difference = Difference
st-message = Message
st-status-name = { $value ->
    [draft] draft
    [submitted] submitted
    [approved] approved
    [completed] completed
   *[cancelled] cancelled
}
st-source-name = { $value ->
    [central] Central budget
    [local] Local budget
   *[other] Other sources
}
st-severity-name = { $value ->
    [error] error
   *[warning] warning
}
st-finding-kind = { $value ->
    [total_mismatch] Reported total differs from the computed one
    [words_mismatch] Amount in words differs from the figure
    [words_unreadable] Amount in words cannot be read
    [breakdown_mismatch] Participants differ from the sum of groups
    [overspend] Disbursed more than allocated
    [disbursed_without_allocation] Disbursed with nothing allocated
   *[target_missed] Target missed
}
