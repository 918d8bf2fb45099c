# acta's field errors in English. Each message id is a code of messages/src/codes.rs; the
# parameters are the ones its code gives. Keep the wording plain: clerks read these.

json-kind = { $value ->
    [null] null
    [boolean] a boolean
    [float] a float
    [negative_integer] a negative integer
    [integer] an integer
    [string] a string
    [array] an array
   *[object] an object
}

field-required = is required
data-required = is required ({"{}"} where no field is needed)
unknown-field = unknown field; expected one of: { $expected }
not-an-object = must be an object, got { $got }
not-a-json-object = must be a JSON object, got { $got }
not-a-string = must be a string, got { $got }
not-an-integer = must be an integer, got { $got }
float-not-integer = must be an integer, got a float ({ $value })
integer-out-of-range = must be an integer within { $minimum }..={ $maximum }, got { $value }
year-not-integer = must be a year (an integer), got { $got }
year-out-of-range = must be a year within { $minimum }..={ $maximum }, got { $value }
amount-not-integer = must be an integer number of đồng, got { $got }
amount-float = must be an integer number of đồng, got a float ({ $value })
amount-out-of-range = an amount is whole đồng with 0 < amount <= { $maximum }, got { $value }
not-a-boolean = must be true or false, got { $got }
not-an-array-of-strings = must be an array of strings, got { $got }
not-a-count-map = must be an object of names to integers, got { $got }
not-an-array-of-events = must be an array of events, got { $got }
too-many-entries = must hold at most { $maximum } entries
map-name-invalid = this name: { $reason }
text-control-character = must not contain control characters (found { $character })
text-length = must be 1..={ $maximum } characters after trimming white space, got { $length }
text-format-character = contains { $character }, an invisible format character, at character { $position }: texts may not hold format characters (Unicode category Cf)
name-format-character = this name contains { $character }, an invisible format character, at character { $position }: names may not hold format characters (Unicode category Cf)
too-many-format-characters = holds more format characters than the first { $maximum } named
float-in-data = canonical JSON of a stored event holds integers only, found the float { $value }
plan-key-pattern = must match ^[a-z0-9][a-z0-9-]{"{"}0,63{"}"}$ (lowercase letters, digits and '-', at most { $maximum } characters), got { $value }
indicator-pattern = must match ^[a-z][a-z_]*(\.[a-z][a-z_]*)*$ (e.g. training.participants), got { $value }
date-year-range = year must be within { $minimum }..={ $maximum }, got { $year }
date-not-in-calendar = { $date } is not a day of the calendar
date-format-hint = dates are written YYYY-MM-DD: write { $hint }, not { $value }
date-format = dates are written YYYY-MM-DD (e.g. 2011-12-07), got { $value }
date-no-such-month = { $value } has no such month
date-no-such-day = { $value } has no such day
date-in-future = { $date } is in the future: the latest date accepted today is { $latest }
event-id-format = must be a ULID: 26 characters of Crockford base32 in upper case, got { $value }
date-precision = must be "day", "month" or "year", got { $value }
instant-too-late = { $value } is too late an instant
instant-format = must be an RFC 3339 instant such as 2026-11-28T20:15:00.123Z (or a date YYYY-MM-DD, read as the end of that day in UTC), got { $value }
not-one-of = must be one of { $expected }, got { $value }
before-from-year = must not be before from_year ({ $from_year })
correction-needs-change = a correction carries at least one of data (the full replacement data) and occurred_on
event-too-large = one event may be at most { $maximum } bytes of JSON
batch-too-large = must hold at most { $maximum } events, got { $count }
batch-empty = must hold at least one event
hash-format = must be 64 lowercase hex digits
restored-needs-id = is required in a restored event

decision-taken = decision { $number } of { $issuer } is already recorded for { $year } (numbers and issuers compare with white space trimmed and collapsed, in NFC)
id-taken = event { $id } is already stored (seq { $seq }) with other content; an id may be used for one event only
id-stored = event { $id } is already stored
plan-registered-already = plan { $plan } is already registered
plan-not-registered = plan { $plan } is not registered
plan-not-registered-first = plan { $plan } is not registered: a plan's first event must be plan.registered
version-mismatch = expected version { $expected }, but plan { $plan }'s stream holds { $current } events: the current version is { $current }
lifecycle-dated-before = a lifecycle event of plan { $plan } may not be dated before its latest one ({ $latest })
lifecycle-not-allowed = plan { $plan } is { $status }: { $event_type } is not allowed from there
fiscal-year-outside = fiscal year { $year } is outside the plan's period { $from_year }..={ $to_year }
correction-changes-plan = a correction of plan.registered may not change the plan's parent or kind (register a new plan instead)
target-missing = event { $target } does not exist
target-is-correction = event { $target } is a { $event_type }: corrections and retractions are not themselves corrected
target-other-plan = a correction belongs to its target's plan: event { $target } is in plan { $plan }
target-retracted = event { $target } is retracted: it cannot be corrected or retracted again
lifecycle-not-retracted = event { $target } is a { $event_type }: a plan's lifecycle events cannot be retracted (cancel the plan instead)
lifecycle-not-redated = a plan's lifecycle events cannot be moved to another date
hash-altered = the hash recomputed from this event, { $hash }, is not the one it carries: it was altered after it was recorded, and is not restored
restore-seq = seq { $seq } does not follow this log's head, seq { $head_seq }: a restore continues a log where it ends (an empty one, for a whole export)
restore-prev-hash = prev_hash { $prev_hash } is not this log's head hash { $head_hash }: the export is of another log
restore-version = version { $version } is not its plan's next version here, { $next }
restore-recorded-at = is before the head's recorded_at: recorded_at never goes back along seq
restore-repeat = event { $id } is stored at seq { $seq } with hash { $hash }, not at seq { $sent_seq } with hash { $sent_hash }

parameter-repeated = given more than once
parameter-unknown = unknown parameter; this path accepts: { $expected }
parameter-malformed = { $reason }
after-not-seq = must be a seq (an integer ≥ 0), got { $value }
limit-range = must be an integer within 1..={ $maximum }, got { $value }
search-too-long = must be at most { $maximum } characters, got { $length }
search-no-word = must have at least one word (a document number, words of a title)
search-too-many-words = must have at most { $maximum } words, got { $words }
token-name-taken = is in use
json-syntax = { $reason }
json-too-deep = the body nests deeper than { $maximum } levels
json-duplicate-key = this key appears twice in one object; send each key once
detail-duplicate-key = { $field }: the body sends this key twice in one object, so what it means depends on which one a reader keeps

detail-one = { $field }: { $message }
detail-many = { $field }: { $message } (and { $more } more { $more ->
    [one] problem
   *[other] problems
})
detail-unknown-fields = the request has fields the contract does not know
detail-invalid = the request is not valid
detail-left-out = ; errors lists the first { $listed } of { $total } problems
detail-parameter = query parameter { $name } is invalid
detail-not-json = the body is not valid JSON: { $reason }
the-body = the body

amount-text-required = required: the amount as typed
amount-text-too-long = longer than { $maximum } characters
amount-text-unreadable = not an amount: write digits, grouped or not (587.000.000, 587 000 000), or words (năm trăm tám mươi bảy triệu đồng)
amount-text-too-large = larger than { $maximum }, the most an event may carry
integer-at-least-one = must be an integer ≥ 1, got { $value }
seq-format = must be a whole number, 0 or more, got { $value }
seq-beyond-head = must be at most the head's seq, { $head_seq }
format-json-or-csv = must be "json" or "csv"
detail-token-name-taken = a token named { $name } exists (names of revoked tokens stay taken)
detail-seq-format = { $field } must be a seq: a whole number, 0 or more
detail-seq-beyond-head = { $field } is { $after }, beyond the head of the log (seq { $head_seq }): nothing was stored there
