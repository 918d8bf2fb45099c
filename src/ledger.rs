//! `acta export --format hledger`: the money of the record as an hledger journal, one
//! transaction per funding act a query sees, and balance assertions of the funding answer's
//! totals for each fiscal year and source. The scheme is explained in `docs/ledger.md`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};

use acta_events::catalogue::Source;
use acta_events::fields::quoted;
use acta_events::store::CommitHook;
use acta_events::{EventType, GENESIS_HASH, Head};
use acta_projections::{FindingKind, FundingEntry, Query, Record};

/// The commodity of every amount: whole đồng, no decimals.
pub const COMMODITY: &str = "VND";

/// The four account trees, one per figure of the funding answer.
const ALLOCATED: &str = "allocated";
const BUDGET: &str = "budget";
const DISBURSED: &str = "disbursed";
const PLANNED: &str = "planned";

/// What the export reads of the log as it opens: every event folded into a record, the hash of
/// each funding act, and the head it reached.
pub struct LedgerReader(Arc<Mutex<Read>>);

struct Read {
    record: Record,
    hashes: HashMap<u64, String>,
    head: Head,
}

impl Default for LedgerReader {
    fn default() -> Self {
        LedgerReader(Arc::new(Mutex::new(Read {
            record: Record::default(),
            hashes: HashMap::new(),
            head: Head {
                seq: 0,
                hash: GENESIS_HASH.to_owned(),
                recorded_at: None,
            },
        })))
    }
}

impl LedgerReader {
    /// The hook to open the log with: it is fed every stored event, in `seq` order.
    pub fn hook(&self) -> CommitHook {
        let read = Arc::clone(&self.0);
        Arc::new(move |events| {
            let mut read = lock(&read);
            for event in events {
                read.record.apply(event);
                if matches!(
                    event.event_type,
                    EventType::FundsPlanned | EventType::FundsAllocated | EventType::FundsDisbursed
                ) {
                    read.hashes.insert(event.seq, event.hash.clone());
                }
                read.head = Head {
                    seq: event.seq,
                    hash: event.hash.clone(),
                    recorded_at: Some(event.recorded_at),
                };
            }
        })
    }

    /// The journal of `query` over what was read; a `plan` never registered is refused.
    pub fn journal(&self, query: &Query) -> Result<String, String> {
        let read = lock(&self.0);
        if let Some(plan) = &query.plan
            && !read.record.plan_known(plan)
        {
            return Err(format!("plan {plan} is not registered"));
        }
        journal(&read.record, query, &read.head, &read.hashes)
    }
}

fn lock(read: &Mutex<Read>) -> MutexGuard<'_, Read> {
    read.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The journal of `query` over `record`: `head` is the log's head when it was read, and
/// `hashes` the hash of each funding act by `seq`. Fails, naming it, on a plan key that
/// could not be an account name (none can be: plan keys are `[a-z0-9-]`).
pub fn journal(
    record: &Record,
    query: &Query,
    head: &Head,
    hashes: &HashMap<u64, String>,
) -> Result<String, String> {
    let entries = record.funding_entries(query);
    let funding = record.funding(query);
    let mut out = String::new();
    header(&mut out, query, head);

    let mut accounts = BTreeSet::new();
    let mut transactions = String::new();
    for entry in &entries {
        let plan = account_component(entry.plan.as_str())?;
        let account = |tree: &str| cell_account(tree, entry.fiscal_year, entry.source, plan);
        let amount = i128::from(entry.amount_dong);
        let postings: Vec<(String, i128)> = match entry.event_type {
            EventType::FundsAllocated => {
                vec![(account(BUDGET), amount), (account(ALLOCATED), -amount)]
            }
            EventType::FundsDisbursed => {
                vec![(account(DISBURSED), amount), (account(BUDGET), -amount)]
            }
            // An estimate moves no money: a virtual posting, outside the balance.
            _ => vec![(format!("({})", account(PLANNED)), amount)],
        };
        let hash = hashes
            .get(&entry.seq)
            .ok_or_else(|| format!("no hash was read for seq {}", entry.seq))?;
        transaction_head(&mut transactions, entry, hash);
        for (account, amount) in &postings {
            posting(&mut transactions, account, *amount, None);
            accounts.insert(account.trim_matches(['(', ')']).to_owned());
        }
        transactions.push('\n');
    }

    // Each (fiscal year, source) of the funding answer, asserted on the accounts that sum it.
    let mut assertions = String::new();
    if let Some(last) = entries.last() {
        let mut years: BTreeMap<i16, Vec<_>> = BTreeMap::new();
        for row in &funding.by_year {
            years.entry(row.fiscal_year).or_default().push(row);
        }
        for (fiscal_year, rows) in years {
            let _ = writeln!(
                assertions,
                "{} acta funding, fiscal year {fiscal_year} (GET /v1/funding, by_year)",
                last.occurred_on
            );
            for row in rows {
                let figures = row.figures;
                let account = |tree: &str| year_account(tree, fiscal_year, row.source);
                let asserted = [
                    (account(ALLOCATED), -i128::from(figures.allocated)),
                    (account(BUDGET), i128::from(figures.unspent)),
                    (account(DISBURSED), i128::from(figures.disbursed)),
                    (
                        format!("({})", account(PLANNED)),
                        i128::from(figures.planned),
                    ),
                ];
                for (account, balance) in &asserted {
                    posting(&mut assertions, account, 0, Some(*balance));
                    accounts.insert(account.trim_matches(['(', ')']).to_owned());
                }
            }
            assertions.push('\n');
        }
    }

    let _ = writeln!(out, "commodity 1000. {COMMODITY}\n");
    for account in &accounts {
        let _ = writeln!(out, "account {account}");
    }
    out.push('\n');
    out.push_str(&transactions);
    out.push_str(&assertions);
    findings(&mut out, record, query);
    Ok(out)
}

/// What the journal is, for whom reads it in a text editor.
fn header(out: &mut String, query: &Query, head: &Head) {
    let or_none = |value: Option<String>| value.unwrap_or_else(|| "none".to_owned());
    let _ = writeln!(
        out,
        "; acta: the money of the record as an hledger journal (docs/ledger.md).\n\
         ; as_of {}, known_at {}, plan {}.\n\
         ; The log's head when read: seq {}, hash {}.\n\
         ; Whole đồng ({COMMODITY}). For each fiscal year FY, source S and plan P:\n\
         ;   {BUDGET}:FY:S:P     allocated − disbursed: what is left to spend (unspent)\n\
         ;   {DISBURSED}:FY:S:P  disbursed\n\
         ;   {ALLOCATED}:FY:S:P  minus what was allocated: where the budget came from\n\
         ;   ({PLANNED}:FY:S:P)  planned: a virtual posting, an estimate that moves no money\n\
         ; Each transaction is one funds.* event on its occurred_on date (its correction's\n\
         ; data where one is seen); its tags name the event's seq, id and hash.\n",
        or_none(query.as_of.map(|date| date.to_string())),
        or_none(query.known_at.map(|instant| instant.to_string())),
        query.plan.as_ref().map_or_else(
            || "every plan".to_owned(),
            |plan| format!("{plan} and the plans below it")
        ),
        head.seq,
        head.hash,
    );
}

fn transaction_head(out: &mut String, entry: &FundingEntry, hash: &str) {
    let _ = write!(
        out,
        "{} {} {}, fiscal year {}, {}  ; seq:{}, id:{}, hash:{}, plan:{}",
        entry.occurred_on,
        entry.event_type.as_str(),
        entry.plan,
        entry.fiscal_year,
        entry.source,
        entry.seq,
        entry.id,
        hash,
        entry.plan,
    );
    if entry.corrected {
        out.push_str(", corrected:yes");
    }
    out.push('\n');
}

/// One posting, its amount aligned; with a balance assertion of the account and every account
/// below it (`=*`) when `asserted` is given.
fn posting(out: &mut String, account: &str, amount: i128, asserted: Option<i128>) {
    let _ = write!(out, "    {account:<44}  {amount:>20} {COMMODITY}");
    if let Some(balance) = asserted {
        let _ = write!(out, " =* {balance} {COMMODITY}");
    }
    out.push('\n');
}

/// The account of one (plan, fiscal year, source) cell in `tree`.
fn cell_account(tree: &str, fiscal_year: i16, source: Source, plan: &str) -> String {
    format!("{}:{plan}", year_account(tree, fiscal_year, source))
}

/// The account whose balance, with every plan's account below it, is one (fiscal year, source)
/// of the funding answer.
fn year_account(tree: &str, fiscal_year: i16, source: Source) -> String {
    format!("{tree}:{fiscal_year}:{source}")
}

/// `text` as one component of an account name: refused, not escaped, unless it is made of
/// a–z, 0–9 and `-` only, so that an account always names its plan exactly and never holds the
/// `:` that separates components, two spaces (which end an account name), or a bracket (which
/// would make a posting virtual).
fn account_component(text: &str) -> Result<&str, String> {
    let plain = !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if plain {
        Ok(text)
    } else {
        Err(format!(
            "{} cannot be part of an hledger account name: only a-z, 0-9 and - can",
            quoted(text)
        ))
    }
}

/// The findings about money (reported totals that differ from the record, overspending) as
/// comments: an assertion that failed would make hledger refuse the whole journal.
fn findings(out: &mut String, record: &Record, query: &Query) {
    let reconciliation = record.reconciliation(query);
    let about_money: Vec<_> = reconciliation
        .findings
        .iter()
        .filter(|finding| match finding.kind {
            FindingKind::Overspend | FindingKind::DisbursedWithoutAllocation => true,
            FindingKind::TotalMismatch | FindingKind::WordsMismatch => finding
                .indicator
                .as_deref()
                .is_some_and(|metric| metric.starts_with("funding.")),
            _ => false,
        })
        .collect();
    if about_money.is_empty() {
        return;
    }
    out.push_str("; Findings about money (GET /v1/reconciliation): what the record reports\n");
    out.push_str("; against what its events add up to. Comments, not assertions.\n");
    for finding in about_money {
        let message: String = finding
            .message
            .to_string()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let _ = writeln!(
            out,
            "; {} {}, event {}: {message}",
            serde_json::to_value(finding.kind)
                .ok()
                .and_then(|kind| kind.as_str().map(str::to_owned))
                .unwrap_or_default(),
            finding.plan,
            finding.event
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_plan_keys_become_account_names() {
        assert_eq!(account_component("dn-kh-2014"), Ok("dn-kh-2014"));
        for bad in ["", "a:b", "a  b", "(a)", "Đồng", "a;b", "a\tb", "[x]"] {
            let refused = account_component(bad).unwrap_err();
            assert!(refused.contains("hledger account name"), "{bad}: {refused}");
        }
    }

    #[test]
    fn postings_align_and_assert_inclusive_balances() {
        let mut out = String::new();
        posting(&mut out, "budget:2014:local", 0, Some(-5));
        assert_eq!(
            out,
            format!("    {:<44}  {:>20} VND =* -5 VND\n", "budget:2014:local", 0)
        );
    }
}
